"""What is compound scaling in EfficientNet? — scale a small CNN's depth, width, resolution alone and all
together (α=1.2, β=1.1, γ=1.15, φ=1…3) and count its FLOPs; then torchvision EfficientNet-B0…B3 on meta. Every
claim is arithmetic, a read of torchvision's builders or published: no control can flip it, so none is measured.
"""

import itertools

import torch
from torch import nn
from torchvision import models

from quiz.proofs import Knob
from quiz.proofs._tools import fmt, macs, params, seed, without_bn

ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15  # depth, width, resolution multipliers (EfficientNet paper)
# What-if knobs (no control: every claim here is arithmetic, a read of torchvision or published): try your own
KNOBS = {
    "alpha": Knob(ALPHA, "depth multiplier per step of φ", low=1.0, high=2.0),
    "beta": Knob(BETA, "width multiplier per step of φ", low=1.0, high=2.0),
    "gamma": Knob(GAMMA, "resolution multiplier per step of φ", low=1.0, high=2.0),
}
D0, W0, R0 = 20, 64, 224  # baseline: 20 conv layers, 64 channels, 224×224 input
MODELS = ("b0", "b1", "b2", "b3")
PHIS = (1, 2, 3)


def small_cnn(depth, width):
    # stem 3×3/2 → depth × (3×3 conv, BN, ReLU) at width channels → global pool → 10 classes
    layers = [nn.Conv2d(3, width, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
    for _ in range(depth):
        layers += [nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, 10))


def count(depth, width, res):
    with torch.device("meta"):
        net, x = small_cnn(depth, width).eval(), torch.empty(1, 3, res, res)  # (1, 3, res, res)
        return macs(without_bn(net), x)


def efficientnet_stats(b):
    """torchvision EfficientNet-<b>: MBConv blocks, last-conv channels, params, MACs at its weights' crop size."""
    with torch.device("meta"):
        net = getattr(models, f"efficientnet_{b}")(weights=None).eval()
    weights = getattr(models, f"EfficientNet_{b.upper()}_Weights").DEFAULT  # metadata only, no download
    res = weights.transforms().crop_size[0]  # the input size the weights were evaluated at
    return {"res": res, "params": params(net),
            "blocks": sum(type(m).__name__ == "MBConv" for m in net.modules()),
            "width": net.features[-1][0].out_channels,  # channels of the last 1×1 conv
            "macs": macs(without_bn(net), torch.empty(1, 3, res, res, device="meta"))}  # (1, 3, res, res)


def run(p):
    seed()
    alpha, beta, gamma = p.options["alpha"], p.options["beta"], p.options["gamma"]
    base = count(D0, W0, R0)
    settings = {  # name: (depth mult, width mult, resolution mult, predicted FLOPs ratio) for a given φ
        "depth": lambda f: (alpha ** f, 1, 1, alpha ** f),
        "width": lambda f: (1, beta ** f, 1, beta ** (2 * f)),
        "resolution": lambda f: (1, 1, gamma ** f, gamma ** (2 * f)),
        "compound": lambda f: (alpha ** f, beta ** f, gamma ** f, (alpha * beta ** 2 * gamma ** 2) ** f),
    }
    rows = []
    for phi in PHIS:
        for name, mults in settings.items():
            dm, wm, rm, predicted = mults(phi)
            d, w, r = round(D0 * dm), round(W0 * wm), round(R0 * rm)  # layers and channels are integers
            m = count(d, w, r)
            rows.append({"phi": phi, "scale": name, "depth": d, "width": w, "res": r, "macs": m,
                         "ratio": m / base, "predicted": predicted})
    top = [r for r in rows if r["phi"] == PHIS[-1]]
    mult = {"depth": f"α={alpha:g}", "width": f"β²={beta ** 2:.3g}", "resolution": f"γ²={gamma ** 2:.3g}",
            "compound": f"α·β²·γ²={alpha * beta ** 2 * gamma ** 2:.3g}"}
    p.bars(f"FLOPs ÷ baseline at φ = {PHIS[-1]}: one dimension scaled, or all three (growth per step of φ)",
           {f"{r['scale']} ({mult[r['scale']]})": r["ratio"] for r in top}, unit="×")

    single = [r for r in rows if r["scale"] != "compound"]
    err_single = max(abs(r["ratio"] / r["predicted"] - 1) for r in single)
    p.by_definition(
        "FLOPs grow ∝ depth, ∝ width², ∝ resolution²",
        "arithmetic: a k×k conv costs k²·c_in·c_out·H·W multiply-adds, so a stack of them costs depth × width² × "
        "resolution². Counted (FlopCounterMode) after scaling one dimension by α^φ, β^φ or γ^φ, vs α^φ, β^2φ, "
        "γ^2φ: " + ", ".join(f"{r['scale']} φ={r['phi']}: ×{r['ratio']:.3f} (pred ×{r['predicted']:.3f})"
                             for r in single)
        + "; the rest is rounding layers/channels/pixels to integers and the 3-channel stem",
        f"within {err_single:.1%} of d·w²·r²",
        data={"base_macs": base, "rows": rows, "max_rel_err_single": err_single}, added=True,
    )
    comp = [r for r in rows if r["scale"] == "compound"]
    err = max(abs(r["ratio"] / r["predicted"] - 1) for r in comp)
    per_step = [r["ratio"] ** (1 / r["phi"]) for r in comp]  # FLOPs growth per unit of φ
    k = alpha * beta ** 2 * gamma ** 2
    p.by_definition(
        "Scaling depth, width, resolution together with one φ",
        f"the method's definition: depth α^φ, width β^φ, resolution γ^φ, so FLOPs grow (α·β²·γ²)^φ = {k:.3f}^φ. "
        "Counted on the compound-scaled CNN ÷ baseline: " + " · ".join(
            f"φ={r['phi']}: ×{r['ratio']:.3f}, predicted ×{r['predicted']:.3f}, 2^φ = {2 ** r['phi']}" for r in comp)
        + f". The paper constrains α·β²·γ² ≈ 2; with these α, β, γ it is {k:.3g}, so FLOPs grow {k:.3g}^φ "
        f"({k ** 2:.3g}×{', not 4×,' if abs(k ** 2 - 4) > 0.05 else ''} at φ=2). Try your own: --set alpha=1.4.",
        "×" + ", ×".join(f"{g:.2f}" for g in per_step) + " per unit φ",
        data={"compound": comp, "max_rel_err_predicted": err, "growth_per_phi": per_step},
    )

    # torchvision EfficientNet-B0…B3: input resolution from the weights' metadata (published, no download);
    # depth, width, params and MACs counted on the builders, weights=None, on the meta device
    effs = {b: efficientnet_stats(b) for b in MODELS}
    seq = list(effs.values())
    px = "→".join(str(e["res"]) for e in seq)
    p.published(
        "EfficientNet-B0…B3 inputs grow with φ",
        "torchvision EfficientNet_B0…B3_Weights.DEFAULT.transforms().crop_size",
        f"{px} px",
        holds=all(a["res"] < b["res"] for a, b in itertools.pairwise(seq)),
        note="The crop each set of torchvision's weights is evaluated at: torchvision's evaluation sizes, "
        "which need not be the paper's own for every model.",
        data={"res": {b: e["res"] for b, e in effs.items()}},
    )
    p.by_definition(
        "…and B0…B3 deepen and widen with them",
        "how torchvision builds them (efficientnet_b0…b3 on the meta device; MACs at each model's crop): " + " · ".join(
            f"{b}: {e['blocks']} MBConv blocks, {e['width']} last-conv ch, {e['res']}px, {fmt(e['params'])} params, "
            f"{fmt(e['macs'])} MACs" for b, e in effs.items())
        + ". B1…B3 use rounded per-model multipliers, not exact α^φ, β^φ, γ^φ (same last-conv width: "
        + ", ".join(f"{a}={b}" for a, b in zip(effs, list(effs)[1:]) if effs[a]["width"] == effs[b]["width"])
        + "): each dimension grows or stays, none shrinks",
        "blocks " + "→".join(str(e["blocks"]) for e in seq) + ", ch " + "→".join(str(e["width"]) for e in seq),
        data={"efficientnet": effs},
    )

    p.takeaway(f"compound scaling multiplies FLOPs by α·β²·γ² = {k:.2f} per step of φ (counted ×"
               f"{per_step[0]:.2f}); B0→B3 grows depth {seq[0]['blocks']}→{seq[-1]['blocks']} blocks and input "
               f"{seq[0]['res']}→{seq[-1]['res']} px together")
    p.not_shown(
        "Prevents bottlenecks where one dimension limits accuracy",
        "An accuracy claim: it needs training each scaled model to convergence on ImageNet (paper, Fig. 3: "
        "single-dimension scaling saturates near 80% top-1). Counting FLOPs and params says what scaling costs, "
        "not what accuracy it buys, and no training run of that size fits in CPU-seconds.",
    )
