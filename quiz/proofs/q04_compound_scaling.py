"""What is compound scaling in EfficientNet? — scale a small CNN's depth, width, resolution alone and all
together (α=1.2, β=1.1, γ=1.15, φ=1, 2) and count its FLOPs; then torchvision EfficientNet-B0…B3 on meta.
"""

import torch
from torch import nn
from torchvision import models

from quiz.proofs._tools import fmt, macs, params, seed, without_bn

ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15  # depth, width, resolution multipliers (EfficientNet paper)
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
    base = count(D0, W0, R0)
    settings = {  # name: (depth mult, width mult, resolution mult, predicted FLOPs ratio) for a given φ
        "depth": lambda f: (ALPHA ** f, 1, 1, ALPHA ** f),
        "width": lambda f: (1, BETA ** f, 1, BETA ** (2 * f)),
        "resolution": lambda f: (1, 1, GAMMA ** f, GAMMA ** (2 * f)),
        "compound": lambda f: (ALPHA ** f, BETA ** f, GAMMA ** f, (ALPHA * BETA ** 2 * GAMMA ** 2) ** f),
    }
    rows = []
    for phi in PHIS:
        for name, mults in settings.items():
            dm, wm, rm, predicted = mults(phi)
            d, w, r = round(D0 * dm), round(W0 * wm), round(R0 * rm)  # layers and channels are integers
            m = count(d, w, r)
            rows.append({"phi": phi, "scale": name, "depth": d, "width": w, "res": r, "macs": m,
                         "ratio": m / base, "predicted": predicted})
    p.lines("FLOPs ÷ baseline vs φ: one dimension scaled, or all three (α=1.2, β=1.1, γ=1.15)",
            {name: ([0, *PHIS], [1.0] + [r["ratio"] for r in rows if r["scale"] == name]) for name in settings},
            x="φ", y="FLOPs ÷ baseline", logy=True)

    single = [r for r in rows if r["scale"] != "compound"]
    err_single = max(abs(r["ratio"] / r["predicted"] - 1) for r in single)
    p.claim(
        "FLOPs grow ∝ depth, ∝ width², ∝ resolution²",
        "MACs counted (FlopCounterMode) after scaling one dimension by α^φ, β^φ or γ^φ; vs α^φ, β^2φ, γ^2φ: "
        + ", ".join(f"{r['scale']} φ={r['phi']}: ×{r['ratio']:.3f} (pred ×{r['predicted']:.3f})" for r in single),
        f"within {err_single:.1%} of d·w²·r²",
        holds=err_single < 0.05, added=True,
        note="Deviations come from rounding layers/channels/pixels to integers and from the 3-channel stem.",
        data={"base_macs": base, "rows": rows, "max_rel_err_single": err_single},
    )
    comp = [r for r in rows if r["scale"] == "compound"]
    err = max(abs(r["ratio"] / r["predicted"] - 1) for r in comp)
    per_step = [r["ratio"] ** (1 / r["phi"]) for r in comp]  # FLOPs growth per unit of φ
    k = ALPHA * BETA ** 2 * GAMMA ** 2
    p.claim(
        "Scaling depth, width, resolution together with one φ",
        f"MACs of the compound-scaled CNN ÷ baseline, α·β²·γ² = {k:.3f}: " + " · ".join(
            f"φ={r['phi']}: measured ×{r['ratio']:.3f}, predicted ×{r['predicted']:.3f}, 2^φ = {2 ** r['phi']}"
            for r in comp),
        "×" + ", ×".join(f"{g:.2f}" for g in per_step) + " per unit φ",
        holds=err < 0.05 and all(abs(g - 2) < 0.2 for g in per_step),  # the paper's α·β²·γ² ≈ 2, within 10%
        note=f"The paper constrains α·β²·γ² ≈ 2; with these α, β, γ it is {k:.3g}, so FLOPs grow "
        f"{k:.3g}^φ ({k ** 2:.3g}×, not 4×, at φ=2).",
        data={"compound": comp, "max_rel_err_predicted": err, "growth_per_phi": per_step},
    )

    # torchvision EfficientNet-B0…B3: input resolution from the weights' metadata (published, no download);
    # depth, width, params and MACs measured on the builders, weights=None, on the meta device
    effs = {b: efficientnet_stats(b) for b in MODELS}
    seq = list(effs.values())
    px = "→".join(str(e["res"]) for e in seq)
    p.published(
        "EfficientNet-B0…B3 inputs grow with φ",
        "torchvision EfficientNet_B0…B3_Weights.DEFAULT.transforms().crop_size",
        f"{px} px",
        holds=all(a["res"] < b["res"] for a, b in zip(seq, seq[1:])),
        note="The crop each set of torchvision's weights is evaluated at: torchvision's evaluation sizes, "
        "which need not be the paper's own for every model.",
        data={"res": {b: e["res"] for b, e in effs.items()}},
    )
    grows = all(a[k] <= b[k] for a, b in zip(seq, seq[1:]) for k in ("blocks", "width", "params", "macs"))
    p.claim(
        "…and B0…B3 deepen and widen with them",
        "MBConv blocks, last-conv channels, params and MACs (FlopCounterMode at each model's crop) of "
        "torchvision's efficientnet_b0…b3 built on the meta device: " + " · ".join(
            f"{b}: {e['blocks']} blocks, {e['width']} ch, {e['res']}px, {fmt(e['params'])} params, "
            f"{fmt(e['macs'])} MACs" for b, e in effs.items()),
        "blocks " + "→".join(str(e["blocks"]) for e in seq) + ", ch " + "→".join(str(e["width"]) for e in seq),
        holds=grows and all(seq[-1][k] > seq[0][k] for k in ("blocks", "width")),
        note="B1…B3 use rounded per-model multipliers, not exact α^φ, β^φ, γ^φ (same last-conv width: "
        + ", ".join(f"{a}={b}" for a, b in zip(effs, list(effs)[1:]) if effs[a]["width"] == effs[b]["width"])
        + "): each dimension grows or stays, none shrinks. MACs B0→B3: "
        + " → ".join(fmt(e["macs"]) for e in seq) + ".",
        data={"efficientnet": effs},
    )

    p.takeaway(f"compound scaling multiplies FLOPs by α·β²·γ² = {k:.2f} per step of φ (measured ×"
               f"{per_step[0]:.2f}); B0→B3 grows depth {seq[0]['blocks']}→{seq[-1]['blocks']} blocks and input "
               f"{seq[0]['res']}→{seq[-1]['res']} px together")
    p.not_shown(
        "Prevents bottlenecks where one dimension limits accuracy",
        "An accuracy claim: it needs training each scaled model to convergence on ImageNet (paper, Fig. 3: "
        "single-dimension scaling saturates near 80% top-1). Counting FLOPs and params says what scaling costs, "
        "not what accuracy it buys, and no training run of that size fits in CPU-seconds.",
    )
