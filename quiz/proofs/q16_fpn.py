"""Q16 — What is a Feature Pyramid Network (FPN)?

Takes C2…C5 from a ResNet-18 (torchvision, weights=None) with create_feature_extractor on a
128×128 image, runs torchvision.ops.FeaturePyramidNetwork on them, and measures the output
strides and widths; then asks autograd whether P2 (stride 4) depends on C5 (stride 32) — with
the top-down path, and with it removed (P2 from C2's lateral 1×1 conv alone, same weights).
"""

import torch
import torchvision
from torchvision.models.detection.faster_rcnn import _default_anchorgen
from torchvision.models.feature_extraction import create_feature_extractor
from torchvision.ops import FeaturePyramidNetwork
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

from quiz.proofs._tools import seed

SIDE = 128  # input image side (px)
WIDTH = 256  # FPN channel width, as in the paper and torchvision's detectors
STAGES = {"layer1": "C2", "layer2": "C3", "layer3": "C4", "layer4": "C5"}


def run(p):
    seed()
    resnet = torchvision.models.resnet18(weights=None).eval()
    backbone = create_feature_extractor(resnet, return_nodes=STAGES)  # torchvision: C2…C5 taps
    # torchvision.ops FPN with its real top-down path, plus the extra stride-2 max-pool level ("pool", often
    # called P6) that torchvision's detection backbones add.
    fpn = FeaturePyramidNetwork([64, 128, 256, 512], WIDTH, extra_blocks=LastLevelMaxPool()).eval()

    x = torch.randn(1, 3, SIDE, SIDE)  # (N, C, H, W) = (1, 3, 128, 128)
    with torch.no_grad():
        feats = backbone(x)  # C2 (1, 64, 32, 32) … C5 (1, 512, 4, 4)
    # C5 becomes a leaf so autograd can tell what depends on it.
    feats = {k: v.clone().requires_grad_(k == "C5") for k, v in feats.items()}
    pyramid = fpn(feats)  # P2 (1, 256, 32, 32) … P5 (1, 256, 4, 4), pool (1, 256, 2, 2); keys C2…C5, pool
    names = list(STAGES.values())
    levels = [f"P{n[1]}" for n in names] + ["pool"]
    c_shapes = [list(feats[n].shape) for n in names]
    p_shapes = [list(pyramid[n].shape) for n in names + ["pool"]]
    strides = [SIDE // s[-1] for s in p_shapes]
    widths = sorted({s[1] for s in p_shapes})

    p.by_definition(
        "Extracting features at multiple scales (stages)",
        f"how FPN is built: ResNet-18 stages layer1…layer4 → torchvision FeaturePyramidNetwork on a {SIDE}×{SIDE} "
        "input gives " + "; ".join(f"{lv} {s[1]}×{s[2]}×{s[3]}" for lv, s in zip(levels, p_shapes))
        + ". Backbone widths C2…C5 " + ", ".join(str(s[1]) for s in c_shapes) + f" become one width ({WIDTH}) "
        "via 1×1 lateral convs; 'pool' is a stride-2 max pool of P5.",
        "strides " + ", ".join(map(str, strides)),
        data={"c_shapes": c_shapes, "p_shapes": p_shapes, "strides": strides, "widths": widths},
    )

    # With top-down: P2 = 3×3(lateral(C2) + up(lateral(C3) + up(… + up(lateral(C5))))).
    p2 = pyramid["C2"]
    (g_full,) = torch.autograd.grad(p2.pow(2).sum(), feats["C5"])
    # Top-down removed: P2 from C2's lateral 1×1 and output 3×3 conv alone (the same FPN weights).
    p2_lateral = fpn.layer_blocks[0](fpn.inner_blocks[0](feats["C2"]))
    (g_cut,) = torch.autograd.grad(
        p2_lateral.pow(2).sum(), feats["C5"], allow_unused=True, materialize_grads=True
    )
    p2_side, c5_side = p_shapes[0][-1], c_shapes[3][-1]  # 32, 4
    up = p2_side // c5_side  # 8: P2 pixels per C5 cell, per side
    g_full_norm = g_full.norm().item()
    g_cut_norm = g_cut.norm().item()
    with torch.no_grad():  # how much of P2 comes down from the coarser levels (C3…C5), not from C2 itself
        share = ((p2 - p2_lateral).norm() / p2.norm()).item()
    p.claim(
        "Combining high-level semantic with low-level spatial features",
        f"‖P2 − P2 without the top-down path‖ ÷ ‖P2‖ (random-init ResNet-18 and FPN, same weights): the part "
        f"of the stride-4 map that comes from C3…C5; autograd agrees: ‖∂(Σ P2²)/∂C5‖ = {g_full_norm:.3g} with the "
        f"top-down path, {g_cut_norm:.3g} without",
        f"{share:.0%} of P2 comes from C3…C5",
        holds=share > 0.1,
        note=f"P2 keeps C2's {p2_side}×{p2_side} grid yet {share:.0%} of it is the upsampled coarser levels. "
        "Random weights: this shows the mixing, not that the combined features are semantically better.",
        data={"grad_norm_top_down": g_full_norm, "grad_norm_lateral_only": g_cut_norm, "top_down_share": share},
    )

    # Where C5 lands in P2: the FPN is affine in C5, so perturbing one C5 cell (all channels) shows
    # exactly which P2 pixels it reaches: an 8×8 nearest-upsample block (32/4) plus the 3×3 conv's border.
    cell = (1, 2)  # (row, col) in C5's 4×4 grid
    with torch.no_grad():
        c5 = feats["C5"].clone()
        c5[:, :, cell[0], cell[1]] += 1.0
        moved = (fpn({**feats, "C5": c5})["C2"] - p2).abs().amax(1)[0]  # (32, 32)
    rows, cols = (moved > 0).nonzero().unbind(1)  # exactly 0 elsewhere: same arithmetic, same bits
    box = [rows.min().item(), rows.max().item(), cols.min().item(), cols.max().item()]  # r0, r1, c0, c1
    patch = [box[1] - box[0] + 1, box[3] - box[2] + 1]
    p.by_definition(
        "each C5 cell lands on its own region of P2",
        f"the wiring: three ×2 nearest upsamplings spread a C5 cell over {up}×{up} P2 pixels, and P2's 3×3 "
        f"output conv adds 1 px around; measured by +1 on C5 cell {cell}: rows {box[0]}–{box[1]}, cols "
        f"{box[2]}–{box[3]}",
        f"a {patch[0]}×{patch[1]} patch of P2",
        data={"cell": list(cell), "box": box, "patch": patch}, added=True,
    )
    p.heatmap(f"|ΔP2| (max over channels) after +1 on C5 cell {cell}: one coarse cell feeds a block of P2",
              moved.tolist(), label="|ΔP2|")

    # Detection: torchvision's Faster R-CNN assigns one anchor size per FPN level.
    anchors = [s[0] for s in _default_anchorgen().sizes]  # P2, P3, P4, P5, pool
    anchor_strides = strides  # P2 … P5, pool: the levels measured above
    p.not_shown(
        "Essential for Object Detection (small and large objects)",
        reason=(
            "Needs trained detectors and COCO AP by object size (the FPN paper reports gains mostly on small "
            "objects); no pretrained weights or data offline and no training in seconds on a CPU. What torchvision "
            "does show: its Faster R-CNN puts small anchors on the fine levels and large ones on the coarse levels "
            f"(anchor/stride = {sorted({a // s for a, s in zip(anchors, anchor_strides)})})."
        ),
        measured="torchvision Faster R-CNN default anchor size per FPN level (read from the library)",
        value=f"anchors {anchors[0]}…{anchors[-1]} px by level",
        data={"anchor_sizes": anchors, "anchor_strides": anchor_strides},
    )
    p.takeaway(f"FPN gives every scale (strides {strides[0]}…{strides[-2]}) the same {WIDTH} channels and adds the "
               f"coarse levels onto the fine ones: {share:.0%} of the stride-4 map comes from C3…C5")
