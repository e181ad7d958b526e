"""Q16 — What is a Feature Pyramid Network (FPN)?

Takes C2…C5 from a ResNet-18 (torchvision, weights=None) on a 128×128 image and runs
torchvision.ops.FeaturePyramidNetwork on them: the output strides and widths. Then writes P2 out as
the FPN computes it — a 3×3 conv over C2's lateral 1×1 conv plus the upsampled laterals of C3, C4
and C5 (nearest upsampling is linear, so the sum splits by level) — and measures what share of that
sum each level supplies, over 5 seeds of backbone, FPN and image; the top-down path and C2's lateral
are knobs.
"""

import functools

import torch
import torchvision
from torch.nn import functional as F
from torchvision.models.detection.faster_rcnn import _default_anchorgen
from torchvision.ops import FeaturePyramidNetwork
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

from quiz.proofs import Knob
from quiz.proofs._tools import seed

SIDE = 128  # input image side (px)
WIDTH = 256  # FPN channel width, as in the paper and torchvision's detectors
STAGES = {"layer1": "C2", "layer2": "C3", "layer3": "C4", "layer4": "C5"}
SEEDS = 5  # backbone, FPN and image seeds for the shares
PRESENT = 0.01  # a part of P2 under 1% of it is lost next to the rest
KNOBS = {
    "top_down": Knob(True, "the top-down path: C3…C5's laterals upsampled and added into P2 (off: P2 from C2 alone)",
                     control=False, says="without top-down"),
    "lateral": Knob(True, "C2's lateral 1×1 conv into P2 (off: P2 is the upsampled coarse levels alone)",
                    control=False, says="without C2's lateral"),
}


@functools.cache  # deterministic: a control run reads the same networks and features
def networks(s):
    """Seed s: a random-init ResNet-18's C2…C5 on a seeded noise image, and a random-init FPN."""
    g = seed(s)
    net = torchvision.models.resnet18(weights=None).eval()
    fpn = FeaturePyramidNetwork([64, 128, 256, 512], WIDTH, extra_blocks=LastLevelMaxPool()).eval()
    x = torch.randn(1, 3, SIDE, SIDE, generator=g)  # (N, C, H, W) = (1, 3, 128, 128)
    return net, fpn, x


@functools.cache
def features(s, scale=1.0):
    """C2 (1, 64, 32, 32) … C5 (1, 512, 4, 4): ResNet-18's stage outputs, the taps FPN uses."""
    net, _, x = networks(s)
    with torch.no_grad():
        h = net.maxpool(net.relu(net.bn1(net.conv1(x * scale))))  # stem: stride 4
        feats = {}
        for stage, name in STAGES.items():
            h = getattr(net, stage)(h)
            feats[name] = h
    return feats


def merged(fpn, feats, top_down=True, lateral=True):
    """P2 before its 3×3 output conv, by level: [lateral(C2), up(lateral(C3)), up(lateral(C4)), up(lateral(C5))],
    each coarse lateral nearest-upsampled to P2's 32×32 grid (the FPN's chain of ×2 steps is the same: nearest
    upsampling is linear). The knobs zero a path; the parts add up to the map P2's 3×3 conv smooths."""
    lat = [fpn.inner_blocks[i](feats[n]) for i, n in enumerate(STAGES.values())]  # 1×1 convs → 256 channels
    keep = [lateral, top_down, top_down, top_down]  # which paths feed P2
    grid = lat[0].shape[-2:]  # P2's 32×32
    return [F.interpolate(t, size=grid, mode="nearest") * k for t, k in zip(lat, keep)]  # 4 × (1, 256, 32, 32)


def p2(fpn, feats, top_down=True, lateral=True):
    """P2 (1, 256, 32, 32) = 3×3(lateral(C2) + up(lateral(C3)) + up(lateral(C4)) + up(lateral(C5)))."""
    return fpn.layer_blocks[0](sum(merged(fpn, feats, top_down, lateral)))


def shares(fpn, feats, top_down=True, lateral=True):
    """Each level's share of the merged map: ⟨part, sum⟩ / ‖sum‖² (the parts add up to it, the shares to 1)."""
    with torch.no_grad():
        parts = merged(fpn, feats, top_down, lateral)
        whole = sum(parts)
        energy = (whole * whole).sum()
        return [((part * whole).sum() / energy).item() if energy > 0 else 0.0 for part in parts]


def run(p):
    top_down, lateral = p.options["top_down"], p.options["lateral"]
    _, fpn, _ = networks(0)
    feats = features(0)
    names = list(STAGES.values())
    if p.measures():  # the pyramid as torchvision builds it: judged by no control
        pyramid = fpn(feats)  # P2 (1, 256, 32, 32) … P5 (1, 256, 4, 4), pool (1, 256, 2, 2); keys C2…C5, pool
        levels = [f"P{n[1]}" for n in names] + ["pool"]
        c_shapes = [list(feats[n].shape) for n in names]
        p_shapes = [list(pyramid[n].shape) for n in names + ["pool"]]
        strides = [SIDE // s[-1] for s in p_shapes]
        with torch.no_grad():
            written = (p2(fpn, feats) - pyramid["C2"]).abs().max().item()
        p.by_definition(
            "Extracting features at multiple scales (stages)",
            "how FPN is built: ResNet-18 stages layer1…layer4 → torchvision FeaturePyramidNetwork on a "
            f"{SIDE}×{SIDE} input gives "
            + "; ".join(f"{lv} {s[1]}×{s[2]}×{s[3]}" for lv, s in zip(levels, p_shapes))
            + ". Backbone widths C2…C5 " + ", ".join(str(s[1]) for s in c_shapes) + f" become one width ({WIDTH}) "
            "via 1×1 lateral convs; 'pool' is a stride-2 max pool of P5. P2 written out level by level matches "
            f"torchvision's to {written:.1g}.",
            "strides " + ", ".join(map(str, strides)),
            data={"c_shapes": c_shapes, "p_shapes": p_shapes, "strides": strides,
                  "widths": sorted({s[1] for s in p_shapes}), "written_vs_torchvision": written},
        )

    # What share of P2 (stride 4) each level supplies, over SEEDS backbones, FPNs and images
    per_seed = [shares(networks(s)[1], features(s), top_down, lateral) for s in range(SEEDS)]  # [C2, C3, C4, C5]
    fine = [s[0] for s in per_seed]  # C2's lateral: the low-level, full-resolution part
    coarse = [sum(s[1:]) for s in per_seed]  # C3…C5 through the top-down path
    mean = [sum(s[i] for s in per_seed) / SEEDS for i in range(4)]
    c5 = feats["C5"].clone().requires_grad_(True)  # autograd: does P2 depend on C5 at all?
    (grad,) = torch.autograd.grad(sum(merged(fpn, {**feats, "C5": c5}, top_down, lateral)).pow(2).sum(), c5)
    input_scaled = shares(fpn, features(0, 1e-3), top_down, lateral)  # the image × 1e-3
    coarse_scaled = shares(fpn, {n: f * (1e-3 if n != "C2" else 1) for n, f in feats.items()}, top_down, lateral)
    with torch.no_grad():  # per-element size (RMS) of each level's lateral, seed 0
        rms = [fpn.inner_blocks[i](feats[n]).pow(2).mean().sqrt().item() for i, n in enumerate(names)]
    both = min(fine) >= PRESENT and min(coarse) >= PRESENT  # the check, on this run's shares
    scaled_both = min(coarse_scaled[0], sum(coarse_scaled[1:])) >= PRESENT  # …with C3…C5 × 1e-3
    span = lambda v: f"{min(v):.0%}" + (f"–{max(v):.0%}" if f"{min(v):.0%}" != f"{max(v):.0%}" else "")  # noqa: E731
    p.claim(
        "Combining high-level semantic with low-level spatial features",
        "P2 = 3×3(M), M = lateral(C2) + up(lateral(C3…C5)): each level's share of M, ⟨part, M⟩ / ‖M‖² (the "
        f"shares add up to 1), random-init ResNet-18 and FPN, {SEEDS} seeds; both present: each ≥ {PRESENT:.0%} in "
        f"every seed. Autograd agrees: ‖∂(Σ M²)/∂C5‖ = {grad.norm().item():.3g}",
        f"C2 {span(fine)} · C3…C5 {span(coarse)} of the sum",
        holds=min(fine) >= PRESENT and min(coarse) >= PRESENT,
        note=f"P2 keeps C2's {SIDE // 4}×{SIDE // 4} grid (stride 4); on average C2's own lateral supplies "
        f"{mean[0]:.0%} of it, C3 {mean[1]:.0%}, C4 {mean[2]:.0%}, C5 {mean[3]:.0%}"
        + (": most of it comes down from the coarse levels. " if sum(mean[1:]) > 0.5 else
           ": most of it is C2's own lateral. " if mean[0] > 0.5 else ". ")
        + ("At this init the deeper laterals are larger per element (RMS, seed 0: "
           + ", ".join(f"{n} {r:.2f}" for n, r in zip(names, rms)) + "), so they dominate; training sets the "
           "balance. The shares measure magnitudes: the image × 1e-3 leaves seed 0's C2 share at "
           f"{input_scaled[0]:.1%} (was {fine[0]:.1%}"
           + (": no biases at init)" if abs(input_scaled[0] - fine[0]) < 1e-3 else ")")
           + f", but C3…C5 × 1e-3 against C2 bring theirs to {sum(coarse_scaled[1:]):.0e} and the check "
           + ("fails. " if not scaled_both else "still holds. ")
           if both and sum(mean[1:]) > 0.5 and rms == sorted(rms) else "")
        + "Random weights: this measures magnitudes, not whether the combined features are semantically better.",
        data={"shares": per_seed, "fine": fine, "coarse": coarse, "mean": mean, "grad_c5": grad.norm().item(),
              "input_scaled": input_scaled, "coarse_scaled": coarse_scaled},
        control=("top_down", "lateral"),
    )
    p.bars(f"share of P2 (before its 3×3 conv) from each level, mean of {SEEDS} seeds (random init)",
           {"C2 (lateral)": 100 * mean[0], **{f"{n} (top-down)": 100 * m for n, m in zip(names[1:], mean[1:])}},
           unit="%")

    if p.measures():
        # Where C5 lands in P2: P2 is affine in C5, so perturbing one C5 cell (all channels) shows exactly which
        # P2 pixels it reaches: an 8×8 nearest-upsample block (32/4) plus the 3×3 conv's border.
        cell = (1, 2)  # (row, col) in C5's 4×4 grid
        up = SIDE // 4 // feats["C5"].shape[-1]  # 8: P2 pixels per C5 cell, per side
        with torch.no_grad():
            c5 = feats["C5"].clone()
            c5[:, :, cell[0], cell[1]] += 1.0
            moved = (p2(fpn, {**feats, "C5": c5}, top_down, lateral) - p2(fpn, feats, top_down, lateral))
            moved = moved.abs().amax(1)[0]  # (32, 32)
        rows, cols = (moved > 0).nonzero().unbind(1)  # exactly 0 elsewhere: same arithmetic, same bits
        box = [rows.min().item(), rows.max().item(), cols.min().item(), cols.max().item()] if len(rows) else []
        patch = [box[1] - box[0] + 1, box[3] - box[2] + 1] if box else [0, 0]
        if top_down:  # without the top-down path no C5 cell reaches P2: nothing to place
            p.by_definition(
                "each C5 cell lands on its own region of P2",
                f"the wiring: nearest upsampling spreads a C5 cell over {up}×{up} P2 pixels, and P2's 3×3 output "
                f"conv adds 1 px around; measured by +1 on C5 cell {cell}: "
                + (f"rows {box[0]}–{box[1]}, cols {box[2]}–{box[3]}" if box else "no P2 pixel moves"),
                f"a {patch[0]}×{patch[1]} patch of P2",
                data={"cell": list(cell), "box": box, "patch": patch}, added=True,
            )
        if box:
            p.heatmap(f"|ΔP2| (max over channels) after +1 on C5 cell {cell}: one coarse cell feeds a block of P2",
                      moved.tolist(), label="|ΔP2|")

        # Detection: torchvision's Faster R-CNN assigns one anchor size per FPN level.
        anchors = [s[0] for s in _default_anchorgen().sizes]  # P2, P3, P4, P5, pool
        p.not_shown(
            "Essential for Object Detection (small and large objects)",
            reason=(
                "Needs trained detectors and COCO AP by object size (the FPN paper reports gains mostly on small "
                "objects); no pretrained weights or data offline and no training in seconds on a CPU. What "
                "torchvision does show: its Faster R-CNN puts small anchors on the fine levels and large ones on the "
                f"coarse levels (anchor/stride = {sorted({a // s for a, s in zip(anchors, strides)})})."
            ),
            measured="torchvision Faster R-CNN default anchor size per FPN level (read from the library)",
            value=f"anchors {anchors[0]}…{anchors[-1]} px by level",
            data={"anchor_sizes": anchors, "anchor_strides": strides},
        )
        p.takeaway(f"FPN gives every scale (strides {strides[0]}…{strides[-2]}) the same {WIDTH} channels"
                   + (f" and adds the coarse levels onto the fine ones: {span(coarse)} of the stride-4 map comes "
                      "from C3…C5 at init" if top_down and lateral else
                      f"; here {span(coarse)} of the stride-4 map comes from C3…C5, {span(fine)} from C2"))
