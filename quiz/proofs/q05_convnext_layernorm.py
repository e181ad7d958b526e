"""Why did ConvNeXt switch to LayerNorm? — BatchNorm2d (training mode) vs torchvision's ConvNeXt LayerNorm2d
on one batch: perturb one sample, change the batch size, blow one sample up ×100, and see who notices.
"""

import torch
from torch import nn
from torchvision import models
from torchvision.models.convnext import LayerNorm2d  # ConvNeXt's channel LayerNorm for (N, C, H, W)

from quiz.proofs._tools import seed

N, C, HW = 16, 32, 7


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
        "ConvNeXt switched to LayerNorm",
        "norm layers in torchvision convnext_tiny vs resnet50",
        f"convnext_tiny: {cx['batchnorm']} BatchNorm, {cx['layernorm']} LayerNorm · "
        f"resnet50: {rn['batchnorm']} BatchNorm, {rn['layernorm']} LayerNorm",
        holds=cx["batchnorm"] == 0 < cx["layernorm"] and rn["layernorm"] == 0 < rn["batchnorm"],
        data=norms,
    )
    p.not_shown(
        "To mimic Transformers",
        "A design-history claim: the ConvNeXt paper adopts LN because Transformers use it (its 'modernising' "
        "recipe). A motive cannot be measured; the measurable consequences are the claims below.",
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
        "BatchNorm introduces dependencies between samples (batch statistics)",
        f"perturb sample 0 of {N}; max |change| of the other {N - 1} samples' outputs",
        f"BatchNorm (train) {bn_moved:.3g} · LayerNorm2d bit-identical: {ln_same} · "
        f"BatchNorm (eval, running stats) bit-identical: {bn_eval_same}",
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
        "LayerNorm is independent of batch size; BatchNorm's output depends on it (problematic for small batches)",
        f"sample 0's output in batches of {sizes}: max |difference| from its batch-{N} output",
        "BatchNorm " + ", ".join(f"N={k}: {v:.3g}" for k, v in bn_spread.items()) + f" · LayerNorm2d bit-identical "
        f"for every batch size: {ln_equal}",
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
        "LayerNorm copes with large variations in activation statistics",
        "sample 0 scaled ×100 and shifted +5: LN output change for it, and others; std of the other samples' "
        "BN (train) outputs before → after",
        f"LayerNorm2d: outlier's output changes by {ln_inv:.2g} (float rounding), others bit-identical: "
        f"{ln_others} · BatchNorm: others' std {bn_std_before:.3g} → {bn_std_after:.3g}",
        holds=ln_inv < 1e-4 and ln_others and bn_std_after < bn_std_before / 5,
        note="Shown: LN normalises each sample by its own statistics, so one sample's scale neither hurts it nor "
        "others; with BN the outlier inflates the batch variance and squashes everyone else toward a constant. "
        "Not shown: that this improves accuracy in ConvNeXt (needs ImageNet training).",
        data={"ln_outlier_change": ln_inv, "ln_others_identical": ln_others,
              "bn_others_std_before": bn_std_before, "bn_others_std_after": bn_std_after},
    )
