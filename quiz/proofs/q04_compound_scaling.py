"""What is compound scaling in EfficientNet? — scale a small CNN's depth, width, resolution alone and all
together (α=1.2, β=1.1, γ=1.15, φ=1, 2) and count its FLOPs; then torchvision EfficientNet-B0…B3 on meta.
"""

import torch
from torch import nn
from torchvision import models

from quiz.proofs._tools import fmt, macs, params, seed, without_bn

ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15  # depth, width, resolution multipliers (EfficientNet paper)
D0, W0, R0 = 20, 64, 224  # baseline: 20 conv layers, 64 channels, 224×224 input
NATIVE = {"b0": 224, "b1": 240, "b2": 260, "b3": 300}  # EfficientNet paper resolutions


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
    for phi in (1, 2):
        for name, mults in settings.items():
            dm, wm, rm, predicted = mults(phi)
            d, w, r = round(D0 * dm), round(W0 * wm), round(R0 * rm)  # layers and channels are integers
            m = count(d, w, r)
            rows.append({"phi": phi, "scale": name, "depth": d, "width": w, "res": r, "macs": m,
                         "ratio": m / base, "predicted": predicted})
    table = f"baseline: {D0} layers, {W0} ch, {R0}px, {fmt(base)} MACs\n" + "\n".join(
        f"φ={r['phi']} {r['scale']:<10} {r['depth']:>3} layers {r['width']:>4} ch {r['res']:>4}px  "
        f"{fmt(r['macs']):>6} MACs  ×{r['ratio']:.3f} (predicted ×{r['predicted']:.3f})" for r in rows)
    p.figure("FLOPs of a small CNN scaled by depth d·α^φ, width w·β^φ, resolution r·γ^φ", table)

    single = [r for r in rows if r["scale"] != "compound"]
    err_single = max(abs(r["ratio"] / r["predicted"] - 1) for r in single)
    p.claim(
        "Each dimension costs differently: FLOPs grow ∝ depth, ∝ width², ∝ resolution²",
        "MACs counted (FlopCounterMode) after scaling one dimension by α^φ, β^φ or γ^φ; vs α^φ, β^2φ, γ^2φ",
        ", ".join(f"{r['scale']} φ={r['phi']}: ×{r['ratio']:.3f} (pred ×{r['predicted']:.3f})" for r in single),
        holds=err_single < 0.05,
        note="Deviations come from rounding layers/channels/pixels to integers and from the 3-channel stem.",
        data={"base_macs": base, "rows": rows, "max_rel_err_single": err_single},
    )
    comp = [r for r in rows if r["scale"] == "compound"]
    err = max(abs(r["ratio"] / r["predicted"] - 1) for r in comp)
    per_step = [r["ratio"] ** (1 / r["phi"]) for r in comp]  # FLOPs growth per unit of φ
    k = ALPHA * BETA ** 2 * GAMMA ** 2
    p.claim(
        "Scaling depth, width and resolution together with one coefficient φ (FLOPs ≈ (α·β²·γ²)^φ ≈ 2^φ)",
        f"MACs of the compound-scaled CNN ÷ baseline, α·β²·γ² = {k:.3f}",
        " · ".join(f"φ={r['phi']}: measured ×{r['ratio']:.3f}, predicted ×{r['predicted']:.3f}, 2^φ = "
                   f"{2 ** r['phi']}; growth per unit φ {g:.3f}" for r, g in zip(comp, per_step)),
        holds=err < 0.05 and all(abs(g - 2) < 0.1 for g in per_step),
        note=f"The paper constrains α·β²·γ² ≈ 2; with these α, β, γ it is {k:.3g}, so FLOPs grow "
        f"{k:.3g}^φ ({k ** 2:.3g}×, not 4×, at φ=2).",
        data={"compound": comp, "max_rel_err_predicted": err, "growth_per_phi": per_step},
    )

    # torchvision EfficientNet-B0…B3, weights=None on meta: shapes, params, MACs only
    effs = {}
    for b, res in NATIVE.items():
        with torch.device("meta"):
            net = getattr(models, f"efficientnet_{b}")(weights=None).eval()
        weights = getattr(models, f"EfficientNet_{b.upper()}_Weights").IMAGENET1K_V1  # metadata, no download
        crop = weights.transforms.keywords["crop_size"]  # the resolution torchvision evaluates (and counts) at
        effs[b] = {"res": res, "params": params(net), "tv_crop": crop,
                   "blocks": sum(type(m).__name__ == "MBConv" for m in net.modules()),
                   "width": net.features[-1][0].out_channels}  # channels of the last 1×1 conv
        counted = {r: macs(without_bn(net), torch.empty(1, 3, r, r, device="meta")) for r in sorted({res, crop})}
        effs[b].update(macs=counted[res], macs_tv_crop=counted[crop])
    lines = [f"{b}  {e['res']}px  {e['blocks']:>2} MBConv  last conv {e['width']:>4} ch  "
             f"params {fmt(e['params']):>6}  MACs {fmt(e['macs']):>6}" for b, e in effs.items()]
    lines += [f"{b}  {fmt(e['macs_tv_crop'])} MACs at torchvision's {e['tv_crop']}px eval crop"
              for b, e in effs.items() if e["tv_crop"] != e["res"]]
    p.figure("torchvision EfficientNet (weights=None, meta device)", "\n".join(lines))
    seq = list(effs.values())
    grows = all(a[k] <= b[k] for a, b in zip(seq, seq[1:]) for k in ("res", "blocks", "width", "params", "macs"))
    p.claim(
        "EfficientNet-B0…B3 scale depth, width and resolution together",
        "MBConv blocks, last-conv channels, input resolution, params, MACs at native resolution",
        " · ".join(f"{b}: {e['blocks']} blocks, {e['width']} ch, {e['res']}px, {fmt(e['params'])} params, "
                   f"{fmt(e['macs'])} MACs" for b, e in effs.items()),
        holds=grows and all(seq[-1][k] > seq[0][k] for k in ("res", "blocks", "width")),
        note="B1…B3 use rounded per-model multipliers, not exact α^φ, β^φ, γ^φ (same last-conv width: "
        + ", ".join(f"{a}={b}" for a, b in zip(effs, list(effs)[1:]) if effs[a]["width"] == effs[b]["width"])
        + "). torchvision evaluates "
        + ", ".join(f"{b} at {e['tv_crop']}px" for b, e in effs.items() if e["tv_crop"] != e["res"])
        + " (its GFLOPS figure is counted there), not at the paper's resolution.",
        data={"efficientnet": effs},
    )

    p.not_shown(
        "Prevents bottlenecks where one dimension limits performance (e.g. huge resolution but shallow network)",
        "An accuracy claim: it needs training each scaled model to convergence on ImageNet (paper, Fig. 3: "
        "single-dimension scaling saturates near 80% top-1). Counting FLOPs and params says what scaling costs, "
        "not what accuracy it buys, and no training run of that size fits in CPU-seconds.",
    )
