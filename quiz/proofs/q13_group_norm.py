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
    p.by_definition(
        "Splits channels into groups (e.g. 32), normalizes each",
        f"the definition: nn.GroupNorm({G}, {C}) equals a per-(sample, group) mean/var written by hand (max "
        f"|diff| {err_def:.1e}; each group then has |mean| ≤ {worst_mean:.1e}, |std−1| ≤ {worst_std:.1e}); "
        f"torchvision's fcos_resnet50_fpn head uses {tv_groups} groups, the paper's default",
        f"{G} groups of {C // G} channels",
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
        value=f"sample moves {gn_drift[0]:.0g} (GN) vs {bn_drift[0]:.2f} (BN)",
        holds=gn_drift[0] < ATOL and bn_drift[0] > 0.1,
        note="BN in eval mode uses running statistics and is batch-independent too; the dependence is in training.",
        data={"sizes": sizes, "gn_drift": gn_drift, "bn_drift": bn_drift},
    )
    p.lines("Sample 0's output vs batch size: max |out(batch b) − out(batch 32)|",
            {"BatchNorm2d (train)": (sizes, bn_drift), "GroupNorm": (sizes, gn_drift)}, x="batch size",
            y="max |Δ|", logx=True)

    # 3. The two extremes: 1 group = LayerNorm over (C, H, W); C groups = InstanceNorm.
    ln_err = (nn.GroupNorm(1, C, affine=False)(x) - nn.LayerNorm([C, H, W], elementwise_affine=False)(x))
    in_err = (nn.GroupNorm(C, C, affine=False)(x) - nn.InstanceNorm2d(C)(x))
    ln_err, in_err = ln_err.abs().max().item(), in_err.abs().max().item()
    p.by_definition(
        "1 group = LayerNorm, C groups = InstanceNorm",
        "the definitions coincide at the extremes: max |GroupNorm(1, C) − LayerNorm([C, H, W])| = "
        f"{ln_err:.1e}, |GroupNorm(C, C) − InstanceNorm2d(C)| = {in_err:.1e}",
        "GN sits between LN and IN",
        data={"ln_err": ln_err, "in_err": in_err, "atol": ATOL}, added=True,
    )

    # 4. "Channel independence to some degree": channels with different scales, aligned with the groups or not
    ln_small, gn_small = channel_scales(gn, aligned=True, g=g)
    ln_odd, gn_odd = channel_scales(gn, aligned=False, g=g)
    p.claim(
        "respects channel independence to some degree",
        "std after normalisation of the small channels when half the channels are 10× larger: LayerNorm (all "
        f"channels share statistics) vs GroupNorm({G}); large channels = the second half (aligned with the "
        f"groups: LN {ln_small:.2f}, GN {gn_small:.2f}) or every other channel (each group mixes both: LN "
        f"{ln_odd:.2f}, GN {gn_odd:.2f})",
        f"aligned GN {gn_small:.2f} vs LN {ln_small:.2f}; mixed {gn_odd:.2f} vs {ln_odd:.2f}",
        holds=gn_small > 0.9 and ln_small < 0.5 and gn_odd > 0.9,
        partly=gn_small > 0.9 and ln_small < 0.5,
        note="GN keeps the small channels' scale only when channels of one kind share a group. With the large "
        f"channels interleaved, every group mixes both and GN squashes the small ones like LN ({gn_odd:.2f} vs "
        f"{ln_odd:.2f}): the 'independence' is per group, and it depends on how channels fall into groups.",
        data={"ln_small": ln_small, "gn_small": gn_small, "ln_odd": ln_odd, "gn_odd": gn_odd},
    )
    p.published(
        "Better than LayerNorm for CNNs",
        "Wu & He 2018 (Group Normalization), Table 1: ResNet-50 on ImageNet, batch 32 per GPU, top-1 error",
        "error GN 24.1% vs LN 25.3% (BN 23.6%)",
    )
    p.published(
        "unlike BN, GN's accuracy holds at batch 2",
        "Wu & He 2018, Figure 1 / Table 2: ResNet-50 top-1 error at batch 32/16/8/4/2 per GPU — BN "
        "23.6/23.7/24.8/27.3/34.7, GN 24.1/24.2/24.0/24.2/24.1",
        "batch 2: BN 34.7% vs GN 24.1% error", added=True,
    )
    p.takeaway(f"GN normalises each sample's channel groups: batch-free (sample moves {gn_drift[0]:.0g} vs "
               f"{bn_drift[0]:.2f} with BN) and 24.1% vs BN's 34.7% error at batch 2; its edge over LN needs "
               "channels grouped by kind")


def channel_scales(gn, aligned, g):
    """Mean std after LayerNorm and after `gn` of the small channels, when half the channels are 10× larger:
    the second half (aligned with GN's consecutive groups) or every other channel (each group mixed)."""
    scale = torch.ones(C)
    big = torch.arange(C // 2, C) if aligned else torch.arange(1, C, 2)
    scale[big] = 10.0
    small = torch.ones(C, dtype=torch.bool)
    small[big] = False
    z = torch.randn(N, C, H, W, generator=g) * scale[None, :, None, None]  # (32, 64, 8, 8)
    ln_std = nn.GroupNorm(1, C, affine=False)(z).std(dim=(0, 2, 3))  # = LayerNorm, per channel
    gn_std = gn(z).std(dim=(0, 2, 3))
    return ln_std[small].mean().item(), gn_std[small].mean().item()
