"""Q13 — Explain Group Normalization.

Feeds a seeded (32, 64, 8, 8) activation to nn.GroupNorm and nn.BatchNorm2d: checks GN
against its definition (per-sample, per-group mean/variance), its batch independence
(sample 0 alone vs in a batch of 32), its two limits (1 group = LayerNorm over (C, H, W),
C groups = InstanceNorm), and what grouping does when channels have different scales.
Every GN claim here follows from its definition (≡): the experiments show the arithmetic, and
`--set groups=1` (LayerNorm) or `groups=64` (InstanceNorm) shows its limits; what GN buys in a
trained network is Wu & He's published result (§).
"""

import torch
import torchvision
from torch import nn

from quiz.proofs import Knob
from quiz.proofs._tools import seed

N, C, H, W = 32, 64, 8, 8
PAPER_G = 32  # paper (Wu & He, ECCV 2018): default number of groups G = 32
LAYOUTS = 8  # random placements of the large channels
# Wu & He 2018, Figure 1 / Table 2: ResNet-50 ImageNet top-1 error (%) at these batch sizes per GPU
PAPER_BATCHES = (32, 16, 8, 4, 2)
PAPER_ERROR = {"BN": (23.6, 23.7, 24.8, 27.3, 34.7), "GN": (24.1, 24.2, 24.0, 24.2, 24.1)}
ATOL = 1e-5  # tolerance for "numerically equal" (float32)
# a what-if knob, no control: every GN claim is true by definition, so no setting can flip a verdict
KNOBS = {"groups": Knob(PAPER_G, "GroupNorm's number of groups G (1: LayerNorm, 64: InstanceNorm)",
                        choices=(1, 2, 4, 8, 16, 32, 64))}


def run(p):
    G = p.options["groups"]
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
        f"{G} group{'s' * (G > 1)} of {C // G} channel{'s' * (C // G > 1)}",
        data={"err_def": err_def, "worst_mean": worst_mean, "worst_std": worst_std, "torchvision_groups": tv_groups},
    )

    # 2. Batch independence: sample 0 alone vs inside the batch of 32.
    bn = nn.BatchNorm2d(C).train()  # training mode: normalises with this batch's statistics
    sizes = [1, 2, 4, 8, 16, 32]
    gn_drift = [(gn(x[:b])[0] - gn(x)[0]).abs().max().item() for b in sizes]
    bn_drift = [(bn(x[:b])[0] - bn(x)[0]).abs().max().item() for b in sizes]
    p.by_definition(
        "Independent of batch size (unlike BN)",
        "by definition: GN's mean and variance are taken over one sample's group, never across the batch. "
        f"Shown: sample 0's output moves by {gn_drift[0]:.0g} between a batch of 1 and a batch of 32 (BatchNorm2d in "
        f"training mode: {bn_drift[0]:.2f}; in eval mode BN uses running statistics and is batch-independent too)",
        f"sample moves {gn_drift[0]:.0g} (GN) vs {bn_drift[0]:.2f} (BN)",
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

    # 4. "Channel independence to some degree": half the channels 10× larger, placed with or against the groups
    ln_small, gn_small, _ = channel_scales(gn, "aligned", g)  # the large channels: the second half
    ln_odd, gn_odd, _ = channel_scales(gn, "interleaved", g)  # the large channels: every other one
    aligned, interleaved = _grouping("aligned", G), _grouping("interleaved", G)
    kept = [channel_scales(gn, "random", torch.Generator().manual_seed(s))[2] for s in range(LAYOUTS)]  # at random
    p.by_definition(
        "respects channel independence to some degree",
        f"by definition: a channel shares its mean and variance only with the {C // G - 1} other channel"
        f"{'s' if C // G != 2 else ''} of its group (LayerNorm: all {C - 1}; InstanceNorm: none). Shown with half the channels 10× larger: the small ones "
        f"end at std {gn_small:.2f} with GN({G}) when the large ones are the second half ({aligned[1]}), {ln_small:.2f} "
        f"with LN; {gn_odd:.2f} with GN when they are every other one ({interleaved[1]}); scattered at random ({LAYOUTS} "
        "layouts), GN "
        f"keeps {min(kept):.0%}–{max(kept):.0%} of the small channels at their scale (LN none). Arithmetic: a pure "
        "group is divided by its own std, a mixed one by ≈ √((1 + 100)/2). 'To some degree' names exactly this "
        "per-group independence, which holds by construction; "
        "whether trained channels of a kind share a group, and what that buys, is Wu & He's result (§)",
        f"{aligned[0]} {gn_small:.2f} vs LN {ln_small:.2f}; {interleaved[0]} {gn_odd:.2f}",
        data={"ln_small": ln_small, "gn_small": gn_small, "ln_odd": ln_odd, "gn_odd": gn_odd, "kept": kept,
              "groups": G},
    )
    p.published(
        "Better than LayerNorm for CNNs",
        "Wu & He 2018 (Group Normalization), Table 1: ResNet-50 on ImageNet, batch 32 per GPU, top-1 error",
        "error GN 24.1% vs LN 25.3% (BN 23.6%)",
    )
    p.published(
        "unlike BN, GN's accuracy holds at batch 2",
        f"Wu & He 2018, Figure 1 / Table 2: ResNet-50 top-1 error at batch {'/'.join(map(str, PAPER_BATCHES))} "
        "per GPU — " + ", ".join(f"{k} {'/'.join(f'{e:.1f}' for e in v)}" for k, v in PAPER_ERROR.items()),
        f"batch {PAPER_BATCHES[-1]}: BN {PAPER_ERROR['BN'][-1]}% vs GN {PAPER_ERROR['GN'][-1]}% error", added=True,
    )
    p.takeaway(f"GN normalises each sample's channel groups: batch-free (sample moves {gn_drift[0]:.0g} vs "
               f"{bn_drift[0]:.2f} with BN) and {PAPER_ERROR['GN'][-1]}% vs BN's {PAPER_ERROR['BN'][-1]}% error at "
               f"batch {PAPER_BATCHES[-1]} (Wu & He); its edge over LN needs "
               "channels grouped by kind")


def channel_scales(gn, layout, g):
    """Half the channels 10× larger — the second half ("aligned" with GN's consecutive groups), every other
    channel ("interleaved": each group mixed) or a random half — then the small channels' mean std after
    LayerNorm and after `gn`, and the share of them `gn` keeps at their scale (std > 0.5)."""
    big = {"aligned": torch.arange(C // 2, C), "interleaved": torch.arange(1, C, 2),
           "random": torch.randperm(C, generator=g)[: C // 2]}[layout]
    scale = torch.ones(C)
    scale[big] = 10.0
    small = scale == 1
    z = torch.randn(N, C, H, W, generator=g) * scale[None, :, None, None]  # (32, 64, 8, 8)
    ln_std = nn.GroupNorm(1, C, affine=False)(z).std(dim=(0, 2, 3))[small]  # = LayerNorm, per channel
    gn_std = gn(z).std(dim=(0, 2, 3))[small]
    return ln_std.mean().item(), gn_std.mean().item(), (gn_std > 0.5).float().mean().item()


def _grouping(layout, G):
    """How GroupNorm(G, C)'s consecutive groups meet the large channels of `layout` ("aligned": the second
    half; "interleaved": every other channel): (short label, phrase), computed from the channel indices."""
    big = {"aligned": torch.arange(C // 2, C), "interleaved": torch.arange(1, C, 2)}[layout]
    share = torch.zeros(C).index_fill_(0, big, 1.0).reshape(G, -1).sum(1)  # large channels per group
    if ((share == 0) | (share == C // G)).all():
        return "own groups", "groups of their own"
    if (share == C // G - share).all():
        n = int(share[0])
        return "mixed", f"{'the one group' if G == 1 else 'every group'} holds {n if n > 1 else 'one'} of each"
    return "mixed", "groups mix the two kinds"
