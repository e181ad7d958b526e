"""Q13 — Explain Group Normalization.

Feeds a seeded (32, 64, 8, 8) activation to nn.GroupNorm and nn.BatchNorm2d: checks GN
against its definition (per-sample, per-group mean/variance), its batch independence
(sample 0 alone vs in a batch of 32), its two limits (1 group = LayerNorm over (C, H, W),
C groups = InstanceNorm), and what grouping does when channels have different scales.
"""

import torch
import torchvision
from torch import nn

from quiz.proofs._tools import seed
from quiz.proofs.draw import lineplot

N, C, H, W = 32, 64, 8, 8
G = 32  # groups used here
PAPER_G = 32  # paper (Wu & He, ECCV 2018): default number of groups G = 32
ATOL = 1e-5  # tolerance for "numerically equal" (float32)


def run(p):
    g = seed()
    x = torch.randn(N, C, H, W, generator=g) * 2 + 0.5  # (32, 64, 8, 8)

    # 1. Definition: split C into G groups, normalise each (sample, group) over its C/G·H·W values.
    gn = nn.GroupNorm(G, C, affine=False)  # torch's GroupNorm (γ=1, β=0 at init anyway)
    xg = x.reshape(N, G, -1)  # (32, 32, 2·8·8)
    mine = ((xg - xg.mean(-1, keepdim=True)) / torch.sqrt(xg.var(-1, unbiased=False, keepdim=True) + gn.eps))
    err_def = (gn(x) - mine.reshape_as(x)).abs().max().item()
    out = gn(x).reshape(N, G, -1)
    worst_mean = out.mean(-1).abs().max().item()
    worst_std = (out.std(-1, unbiased=False) - 1).abs().max().item()
    with torch.device("meta"):  # a torchvision builder that uses GroupNorm: FCOS's detection head
        fcos = torchvision.models.detection.fcos_resnet50_fpn(weights=None, weights_backbone=None)
    tv_groups = sorted({m.num_groups for m in fcos.modules() if isinstance(m, nn.GroupNorm)})
    p.claim(
        "Splits channels into groups (e.g., 32 groups) and normalizes within each group",
        measured=f"nn.GroupNorm({G}, {C}) vs per-(sample, group) mean/var by hand; "
        "stats of each group after GN; GroupNorm groups in torchvision's fcos_resnet50_fpn",
        value=f"max |diff| {err_def:.1e}; per-group |mean| ≤ {worst_mean:.1e}, |std−1| ≤ {worst_std:.1e}; "
        f"fcos head uses {tv_groups} groups",
        holds=err_def < ATOL and worst_mean < ATOL and worst_std < 1e-3 and tv_groups == [PAPER_G],
        note=f"32 is the paper's default (paper: G = {PAPER_G}); nn.GroupNorm has no default and needs "
        "num_groups. std is 1 up to eps (1e-5 added to the variance).",
        data={"err_def": err_def, "worst_mean": worst_mean, "worst_std": worst_std, "torchvision_groups": tv_groups},
    )

    # 2. Batch independence: sample 0 alone vs inside the batch of 32.
    bn = nn.BatchNorm2d(C).train()  # training mode: normalises with this batch's statistics
    sizes = [1, 2, 4, 8, 16, 32]
    gn_drift = [(gn(x[:b])[0] - gn(x)[0]).abs().max().item() for b in sizes]
    bn_drift = [(bn(x[:b])[0] - bn(x)[0]).abs().max().item() for b in sizes]
    p.claim(
        "Independent of batch size (unlike BN)",
        measured="max |output of sample 0 in a batch of 1 − in a batch of 32|, GroupNorm vs BatchNorm2d (train)",
        value=f"GN {gn_drift[0]:.1e}, BN {bn_drift[0]:.2f}",
        holds=gn_drift[0] < ATOL and bn_drift[0] > 0.1,
        note="BN in eval mode uses running statistics and is batch-independent too; the dependence is in training.",
        data={"sizes": sizes, "gn_drift": gn_drift, "bn_drift": bn_drift},
    )
    p.figure(
        "Sample 0's output vs batch size: max |out(batch b) − out(batch 32)|",
        lineplot({"BatchNorm2d (train)": (sizes, bn_drift), "GroupNorm": (sizes, gn_drift)}, height=10),
    )

    # 3. The two extremes: 1 group = LayerNorm over (C, H, W); C groups = InstanceNorm.
    ln_err = (nn.GroupNorm(1, C, affine=False)(x) - nn.LayerNorm([C, H, W], elementwise_affine=False)(x))
    in_err = (nn.GroupNorm(C, C, affine=False)(x) - nn.InstanceNorm2d(C)(x))
    ln_err, in_err = ln_err.abs().max().item(), in_err.abs().max().item()
    p.claim(
        "Normalizes within each group — the extremes: 1 group = LayerNorm over (C, H, W), C groups = InstanceNorm",
        measured="max |GroupNorm(1, C) − LayerNorm([C, H, W])| and |GroupNorm(C, C) − InstanceNorm2d(C)|",
        value=f"{ln_err:.1e} and {in_err:.1e} (tolerance {ATOL:g})",
        holds=ln_err < ATOL and in_err < ATOL,
        note="Not spelled out in the seed's answer; it places GN between LayerNorm, which the last claim "
        "compares it with, and InstanceNorm.",
        data={"ln_err": ln_err, "in_err": in_err, "atol": ATOL},
    )

    # 4. "Channel independence to some degree": channels with different scales in different groups.
    scale = torch.ones(C)
    scale[C // 2:] = 10.0  # second half of the channels 10× larger (e.g. a different kind of feature)
    z = torch.randn(N, C, H, W, generator=g) * scale[None, :, None, None]
    ln_std = nn.GroupNorm(1, C, affine=False)(z).std(dim=(0, 2, 3))  # = LayerNorm, per channel
    gn_std = gn(z).std(dim=(0, 2, 3))
    ln_small, gn_small = ln_std[: C // 2].mean().item(), gn_std[: C // 2].mean().item()
    p.claim(
        "…because it respects channel independence to some degree",
        measured="std after normalisation of the small channels when half the channels are 10× larger: "
        f"LayerNorm (all channels share statistics) vs GroupNorm({G}) (each group its own)",
        value=f"LN {ln_small:.2f}, GN {gn_small:.2f}",
        holds=gn_small > 0.9 and ln_small < 0.5,
        note="Shows the mechanism only: LN lets the large channels set the scale for all, GN normalises each "
        "group on its own. Whether that helps accuracy is the next claim.",
        data={"ln_small": ln_small, "gn_small": gn_small},
    )

    p.not_shown(
        "Better than LayerNorm for CNNs",
        "An accuracy claim about training CNNs on real data (the paper reports it for ResNet-50 on ImageNet, "
        "batch 32 per GPU); a fair comparison cannot be trained in seconds on a CPU, and a toy one would "
        "not decide it.",
    )
