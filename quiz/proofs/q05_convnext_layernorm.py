"""Why did ConvNeXt switch to LayerNorm? — BatchNorm2d (training mode) vs torchvision's ConvNeXt LayerNorm2d
on one batch: perturb one sample, change the batch size, blow one sample up ×100, and see who notices.
"""

import torch
from torch import nn
from torchvision import models
from torchvision.models.convnext import LayerNorm2d  # ConvNeXt's channel LayerNorm for (N, C, H, W)

from quiz.proofs._tools import seed

N, C, HW = 16, 32, 7


def vs_token_layernorm(norm, x):
    """max |norm(x) − a Transformer's nn.LayerNorm applied to each pixel's C channels as a token|."""
    token_ln = nn.LayerNorm(x.shape[1])  # what a ViT / Swin applies to each token (…, C)
    with torch.no_grad():
        as_tokens = token_ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)  # (N, H, W, C) tokens → (N, C, H, W)
        return (norm(x) - as_tokens).abs().max().item()


def run(p):
    g = seed()
    bn = nn.BatchNorm2d(C).train()  # normalises each channel over (N, H, W): batch statistics
    ln = LayerNorm2d(C)  # normalises each pixel over C: one sample's own statistics
    x = torch.randn(N, C, HW, HW, generator=g)  # (N, C, H, W) = (16, 32, 7, 7)

    # ConvNeXt in torchvision really has no BatchNorm (ResNet-50 for contrast), built on meta
    with torch.device("meta"):
        nets = {"convnext_tiny": models.convnext_tiny(weights=None), "resnet50": models.resnet50(weights=None)}
    norms = {n: {"batchnorm": sum(isinstance(m, nn.BatchNorm2d) for m in net.modules()),
                 "layernorm": sum(isinstance(m, nn.LayerNorm) for m in net.modules())}  # LayerNorm2d is one too
             for n, net in nets.items()}
    cx, rn = norms["convnext_tiny"], norms["resnet50"]
    p.claim(
        "ConvNeXt uses LayerNorm, no BatchNorm",
        f"norm layers in torchvision convnext_tiny ({cx['batchnorm']} BatchNorm, {cx['layernorm']} LayerNorm) vs "
        f"resnet50 ({rn['batchnorm']} BatchNorm, {rn['layernorm']} LayerNorm), built on the meta device",
        f"{cx['batchnorm']} BN, {cx['layernorm']} LN (ResNet-50: {rn['batchnorm']} BN)",
        holds=cx["batchnorm"] == 0 < cx["layernorm"] and rn["layernorm"] == 0 < rn["batchnorm"],
        data=norms, added=True,
    )

    # a Transformer's LayerNorm normalises each token over its channels; ConvNeXt's LayerNorm2d does the same
    # to each pixel: the same numbers?
    same_as_tokens = vs_token_layernorm(ln, x)
    bn_vs_tokens = vs_token_layernorm(bn, x)  # control: BatchNorm is not the token LayerNorm
    with torch.device("meta"):
        tf = {"swin_t": models.swin_t(weights=None), "vit_b_16": models.vit_b_16(weights=None)}
    tf_norms = {n: {"batchnorm": sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in net.modules()),
                    "layernorm": sum(isinstance(m, nn.LayerNorm) for m in net.modules())} for n, net in tf.items()}
    p.claim(
        "To mimic Transformers",
        "torchvision swin_t and vit_b_16 (meta device): BatchNorm and LayerNorm layers "
        + ", ".join(f"{n}: {v['batchnorm']} BN / {v['layernorm']} LN" for n, v in tf_norms.items())
        + f"; max |LayerNorm2d(x) − nn.LayerNorm over each pixel's {C} channels as tokens| = {same_as_tokens:.1g}",
        f"= token LayerNorm (Δ {same_as_tokens:.1g}); ViT, Swin: 0 BN",
        holds=same_as_tokens < 1e-5 and all(v["batchnorm"] == 0 < v["layernorm"] for v in tf_norms.values()),
        note="Shown: ConvNeXt's norm is exactly the per-token LayerNorm of torchvision's Transformers, which "
        f"use no BatchNorm (BatchNorm2d on the same x: Δ {bn_vs_tokens:.2g}). A motive cannot be measured; that the authors copied it from Transformers is their "
        "own account (Liu et al. 2022, §2.6).",
        data={"max_diff_vs_token_layernorm": same_as_tokens, "bn_max_diff_vs_token_layernorm": bn_vs_tokens,
              "transformers": tf_norms},
    )

    # perturb sample 0 only; watch samples 1..N-1
    x2 = x.clone()
    x2[0] += torch.randn(C, HW, HW, generator=g)
    with torch.no_grad():
        bn_moved = (bn(x)[1:] - bn(x2)[1:]).abs().max().item()
        ln_same = torch.equal(ln(x)[1:], ln(x2)[1:])
        bn.eval()  # running statistics instead of batch statistics
        bn_eval_same = torch.equal(bn(x)[1:], bn(x2)[1:])
        bn.train()
    p.claim(
        "BatchNorm makes samples depend on each other",
        f"perturb sample 0 of {N}; max |change| of the other {N - 1} samples' outputs: BatchNorm (train) "
        f"{bn_moved:.3g} · LayerNorm2d bit-identical: {ln_same} · BatchNorm (eval, running stats) bit-identical: "
        f"{bn_eval_same}",
        f"others move {bn_moved:.2g} (BN) vs 0 (LN)",
        holds=bn_moved > 1e-3 and ln_same,
        note="The coupling is a training-mode property: in eval mode BN uses running statistics, so samples are "
        "independent at test time, and train and test then normalise differently.",
        data={"bn_other_samples_max_change": bn_moved, "ln_other_samples_identical": ln_same,
              "bn_eval_other_samples_identical": bn_eval_same},
    )

    # the same sample 0 in batches of 2, 4, 8, 16
    sizes = [2, 4, 8]
    with torch.no_grad():
        bn_out = {k: bn(x[:k])[0] for k in sizes + [N]}  # (C, H, W) for sample 0
        ln_out = {k: ln(x[:k])[0] for k in sizes + [N]}
    bn_spread = {k: (bn_out[k] - bn_out[N]).abs().max().item() for k in sizes}
    ln_equal = all(torch.equal(ln_out[k], ln_out[N]) for k in sizes)
    p.claim(
        "LayerNorm is independent of batch size",
        f"sample 0's output in batches of {sizes}: max |difference| from its batch-{N} output: BatchNorm "
        + ", ".join(f"N={k}: {v:.3g}" for k, v in bn_spread.items()) + f" · LayerNorm2d bit-identical: {ln_equal}",
        f"LN Δ 0; BN Δ {min(bn_spread.values()):.2g}…{max(bn_spread.values()):.2g}",
        holds=ln_equal and min(bn_spread.values()) > 1e-3,
        data={"bn_diff_vs_full_batch": {str(k): v for k, v in bn_spread.items()}, "ln_identical": ln_equal},
    )

    # one sample with very different statistics: ×100 and shifted
    x3 = x.clone()
    x3[0] = 100 * x3[0] + 5
    with torch.no_grad():
        ln_inv = (ln(x3)[0] - ln(x)[0]).abs().max().item()  # the outlier itself, normalised by its own stats
        ln_others = torch.equal(ln(x3)[1:], ln(x)[1:])
        bn_std_before, bn_std_after = bn(x)[1:].std().item(), bn(x3)[1:].std().item()
    p.claim(
        "LayerNorm copes with large variations in statistics",
        "sample 0 scaled ×100 and shifted +5: LN output change for it, and others; std of the other samples' "
        f"BN (train) outputs before → after; LN outlier change {ln_inv:.2g} (float rounding), others bit-identical: "
        f"{ln_others}",
        f"BN squashes others: std {bn_std_before:.2f} → {bn_std_after:.2f}",
        holds=ln_inv < 1e-4 and ln_others and bn_std_after < bn_std_before / 5,
        note="Shown: LN normalises each sample by its own statistics, so one sample's scale neither hurts it nor "
        "others; with BN the outlier inflates the batch variance and squashes everyone else toward a constant. "
        "Not shown: that this improves accuracy in ConvNeXt (needs ImageNet training).",
        data={"ln_outlier_change": ln_inv, "ln_others_identical": ln_others,
              "bn_others_std_before": bn_std_before, "bn_others_std_after": bn_std_after},
    )
    p.bars(f"BatchNorm (train): sample 0's output moves with the batch size (LayerNorm: 0 for all)",
           {f"batch {k} vs {N}": v for k, v in bn_spread.items()})
    p.takeaway(f"ConvNeXt's LayerNorm2d is a Transformer's token LayerNorm (Δ {same_as_tokens:.1g}); BN couples "
               f"samples (others move {bn_moved:.2g}) and one ×100 outlier squashes the batch to std "
               f"{bn_std_after:.2f}")
