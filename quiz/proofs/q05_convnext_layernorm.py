"""Why did ConvNeXt switch to LayerNorm? — BatchNorm2d (training mode) vs torchvision's ConvNeXt LayerNorm2d
on one batch: perturb one sample, change the batch size, blow one sample up ×100, and see who notices. Controls:
BN with its running statistics (eval mode), and LN with its statistics pooled over the batch.
"""

import torch
from torch import nn
from torchvision import models
from torchvision.models.convnext import (
    LayerNorm2d,  # ConvNeXt's channel LayerNorm for (N, C, H, W)
)

from quiz.proofs import Knob
from quiz.proofs._tools import seed

N, C, HW = 16, 32, 7
KNOBS = {
    "batch_stats": Knob(True, "BatchNorm normalises with the batch's own statistics (training mode); off: with "
                        "its running statistics (eval mode)", control=False, says="BN in eval mode"),
    "per_sample": Knob(True, "LayerNorm2d takes each sample's own statistics (its C channels at each pixel); off: "
                       "pooled over the batch as well", control=False, says="LN pooled over the batch"),
}


class PooledLayerNorm2d(LayerNorm2d):
    """Control: ConvNeXt's LayerNorm2d with its statistics pooled over the batch too (each pixel's channels of
    every sample), the only change."""

    def forward(self, x):  # (N, C, H, W)
        mean = x.mean(dim=(0, 1), keepdim=True)  # (1, 1, H, W)
        var = x.var(dim=(0, 1), unbiased=False, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight[:, None, None] + self.bias[:, None, None]


def norm_counts(net):
    return {"batchnorm": sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in net.modules()),
            "layernorm": sum(isinstance(m, nn.LayerNorm) for m in net.modules())}  # LayerNorm2d is one too


def run(p):
    g = seed()
    bn = nn.BatchNorm2d(C).train(p.options["batch_stats"])  # train: each channel over (N, H, W) of this batch
    ln = (LayerNorm2d if p.options["per_sample"] else PooledLayerNorm2d)(C)  # each pixel over C, one sample alone
    x = torch.randn(N, C, HW, HW, generator=g)  # (N, C, H, W) = (16, 32, 7, 7)
    mode = "train" if bn.training else "eval"
    bn_stats = "the batch's statistics" if bn.training else "its running statistics"
    ln_name = "LayerNorm2d" if p.options["per_sample"] else "LayerNorm2d pooled over the batch"

    if p.measures():  # reads of torchvision's architectures and the authors' account: the proof as it is only
        # ConvNeXt in torchvision really has no BatchNorm (ResNet-50 for contrast), built on meta
        with torch.device("meta"):
            nets = {n: getattr(models, n)(weights=None) for n in ("convnext_tiny", "resnet50", "swin_t", "vit_b_16")}
        norms = {n: norm_counts(net) for n, net in nets.items()}
        cx, rn = norms["convnext_tiny"], norms["resnet50"]
        p.by_definition(
            "ConvNeXt uses LayerNorm, no BatchNorm",
            f"how torchvision builds them (meta device): norm layers in convnext_tiny ({cx['batchnorm']} BatchNorm, "
            f"{cx['layernorm']} LayerNorm) vs resnet50 ({rn['batchnorm']} BatchNorm, {rn['layernorm']} LayerNorm)",
            f"{cx['batchnorm']} BN, {cx['layernorm']} LN (ResNet-50: {rn['batchnorm']} BN)",
            data={n: norms[n] for n in ("convnext_tiny", "resnet50")}, added=True,
        )
        tf = {n: norms[n] for n in ("swin_t", "vit_b_16")}
        p.published(
            "To mimic Transformers",
            "Liu et al. 2022 (ConvNeXt), §2.6 'Substituting BN with LN': the authors' account of their design",
            f"their stated motive (ViT, Swin: {sum(v['batchnorm'] for v in tf.values())} BN)",
            note="A motive cannot be measured. What can be read: torchvision's LayerNorm2d permutes (N, C, H, W) to "
            "(N, H, W, C) and calls F.layer_norm over C — a Transformer's per-token LayerNorm by construction, so "
            "comparing the two measures nothing — and torchvision's Transformers use no BatchNorm: "
            + ", ".join(f"{n} {v['batchnorm']} BN / {v['layernorm']} LN" for n, v in tf.items()) + ".",
            data={"transformers": tf},
        )

    # perturb sample 0 only; watch samples 1..N-1
    x2 = x.clone()
    x2[0] += torch.randn(C, HW, HW, generator=g)
    with torch.no_grad():
        bn_moved = (bn(x)[1:] - bn(x2)[1:]).abs().max().item()
        ln_moved = (ln(x)[1:] - ln(x2)[1:]).abs().max().item()
    p.claim(
        "BatchNorm makes samples depend on each other",
        f"perturb sample 0 of {N}; max |change| of the other {N - 1} samples' outputs: BatchNorm "
        f"({'train' if bn.training else 'eval'} mode) {bn_moved:.3g} · LayerNorm2d {ln_moved:.3g}",
        f"others move {bn_moved:.2g} (BN) vs {ln_moved:.2g} (LN)",
        holds=bn_moved > 1e-3,  # BN's own coupling; LN's number is the contrast, judged by the claims below
        note=f"BatchNorm in {mode} mode normalises with {bn_stats}: the other samples move {bn_moved:.2g} when "
        f"sample 0 changes ({'coupled' if bn_moved > 1e-3 else 'independent'}); {ln_name}: {ln_moved:.2g}. "
        "--control runs BN in eval mode (running statistics), as at test time: train and test normalise "
        "differently.",
        data={"bn_other_samples_max_change": bn_moved, "ln_other_samples_max_change": ln_moved,
              "bn_training": bn.training},
        control="batch_stats",
    )

    # the same sample 0 in batches of 2, 4, 8, 16
    sizes = [2, 4, 8]
    with torch.no_grad():
        bn_out = {k: bn(x[:k])[0] for k in sizes + [N]}  # (C, H, W) for sample 0
        ln_out = {k: ln(x[:k])[0] for k in sizes + [N]}
    bn_spread = {k: (bn_out[k] - bn_out[N]).abs().max().item() for k in sizes}
    ln_spread = {k: (ln_out[k] - ln_out[N]).abs().max().item() for k in sizes}
    p.claim(
        "LayerNorm is independent of batch size",
        f"sample 0's output in batches of {sizes}: max |difference| from its batch-{N} output: "
        + " · ".join(f"{name} " + ", ".join(f"N={k}: {v:.3g}" for k, v in spread.items())
                     for name, spread in (("LayerNorm2d", ln_spread), ("BatchNorm", bn_spread))),
        f"LN Δ {max(ln_spread.values()):.2g}; BN Δ {min(bn_spread.values()):.2g}…{max(bn_spread.values()):.2g}",
        holds=max(ln_spread.values()) == 0,  # LN's own independence; BN's Δ is the contrast
        note=(f"{ln_name} never looks across samples: sample 0's output is bit-identical in every batch"
              if max(ln_spread.values()) == 0 else
              f"{ln_name}: sample 0's output moves with the batch (up to {max(ln_spread.values()):.2g})")
        + f"; BatchNorm ({mode} mode): {min(bn_spread.values()):.2g}…{max(bn_spread.values()):.2g}. "
        "--control pools LN's statistics over the batch as well.",
        data={"bn_diff_vs_full_batch": {str(k): v for k, v in bn_spread.items()},
              "ln_diff_vs_full_batch": {str(k): v for k, v in ln_spread.items()}},
        control="per_sample",
    )

    # one sample with very different statistics: ×100 and shifted
    x3 = x.clone()
    x3[0] = 100 * x3[0] + 5
    with torch.no_grad():
        ln_inv = (ln(x3)[0] - ln(x)[0]).abs().max().item()  # the outlier itself, normalised by its own stats
        ln_others = (ln(x3)[1:] - ln(x)[1:]).abs().max().item()
        bn_std_before, bn_std_after = bn(x)[1:].std().item(), bn(x3)[1:].std().item()
    squashed = bn_std_after < bn_std_before / 5  # BN's contrast: the outlier squashes everyone else
    p.claim(
        "LayerNorm copes with large variations in statistics",
        "sample 0 scaled ×100 and shifted +5: max |change| of LN's output for it and for the others; std of the "
        f"other samples' BN outputs before → after; LN outlier {ln_inv:.2g} (float rounding), others {ln_others:.2g}",
        f"others: LN Δ {ln_others:.2g}, BN std {bn_std_before:.2f} → {bn_std_after:.2f}",
        holds=ln_inv < 1e-4 and ln_others == 0,  # LN's own: the outlier and the others unmoved; BN is the contrast
        note=("Shown: LN normalises each sample by its own statistics, so one sample's scale neither hurts it nor "
              "others" if ln_inv < 1e-4 and ln_others == 0 else
              f"Shown: {ln_name} lets the outlier move the others ({ln_others:.2g}) and itself ({ln_inv:.2g})")
        + ("; with BN the outlier inflates the batch variance and squashes everyone else toward a constant (std "
           if squashed else f"; BatchNorm in {mode} mode does not squash the others (std ")
        + f"{bn_std_before:.2f} → {bn_std_after:.2f}). --control pools LN's statistics over the batch as well. "
        "Not shown: that this improves accuracy in ConvNeXt (needs ImageNet training).",
        data={"ln_outlier_change": ln_inv, "ln_others_max_change": ln_others,
              "bn_others_std_before": bn_std_before, "bn_others_std_after": bn_std_after},
        control="per_sample",
    )
    ln_max, bn_lo, bn_hi = max(ln_spread.values()), min(bn_spread.values()), max(bn_spread.values())
    moves = "moves with" if bn_lo > 1e-3 else "does not move with" if bn_hi == 0 else "partly moves with"
    p.bars(f"BatchNorm ({mode}): sample 0's output {moves} the batch size "
           f"(LayerNorm: {'0 for all' if ln_max == 0 else f'up to {ln_max:.2g}'})",
           {f"batch {k} vs {N}": v for k, v in bn_spread.items()})
    bn_part = (f"BN ({mode}) couples samples (others move {bn_moved:.2g})" if bn_moved > 1e-3
               else f"BN ({mode}) leaves the others unmoved ({bn_moved:.2g})")
    outlier = (f"one ×100 outlier squashes the batch to std {bn_std_after:.2f}" if squashed
               else f"a ×100 outlier does not squash the others (BN std {bn_std_before:.2f} → {bn_std_after:.2f})")
    ln_part = "" if ln_moved == 0 else f"; {ln_name} couples them too ({ln_moved:.2g})"
    p.takeaway(f"ConvNeXt's LayerNorm2d is a Transformer's token LayerNorm by construction; {bn_part} and "
               f"{outlier}{ln_part}")
