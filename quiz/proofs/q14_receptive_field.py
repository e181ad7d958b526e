"""Q14 — What is the receptive field of a ResNet-50?

Walks torchvision's resnet50 (meta device) conv by conv along the main path to get the
theoretical receptive field (RF) of a layer4 feature, then measures the effective RF: the
gradient of the centre layer4 feature (summed over channels) w.r.t. the input pixels of a
randomly initialised ResNet-50, and the square window that holds 95% of that gradient mass.
"""

import os

import torch
import torchvision
from torch import nn

from quiz.proofs._tools import seed
from quiz.proofs.draw import heatmap, lineplot

INPUT = 224  # the usual ImageNet input side (px)
PROBE = 448  # input side for the gradient probe: big enough that the 95% window is not clipped
MASS = 0.95  # share of the gradient mass the effective-RF window must hold


def _pair(v):
    return v if isinstance(v, int) else v[0]


def _walk(model):
    """(name, rf, jump, centre of unit 0) after every conv/pool on the main path, in order."""
    rf, jump, start, steps = 1, 1, 0.0, []
    for name, m in model.named_modules():
        if "downsample" in name or not isinstance(m, (nn.Conv2d, nn.MaxPool2d)):
            continue  # the 1×1 stride-2 shortcut convs are not on the longest path
        k, s, pad, d = (_pair(getattr(m, a)) for a in ("kernel_size", "stride", "padding", "dilation"))
        k_eff = d * (k - 1) + 1
        rf += (k_eff - 1) * jump
        start += ((k_eff - 1) / 2 - pad) * jump
        jump *= s
        steps.append((name, rf, jump, start))
    return steps


def run(p):
    g = seed()
    with torch.device("meta"):
        steps = _walk(torchvision.models.resnet50(weights=None))
    _, rf, jump, start = steps[-1]  # after layer4.2.conv3

    # Theoretical RF of each layer4 position on a 224 input: which ones see the whole image?
    n = INPUT // jump  # 7 positions per axis
    lo = [start + i * jump - (rf - 1) / 2 for i in range(n)]
    hi = [start + i * jump + (rf - 1) / 2 for i in range(n)]
    full = [i for i in range(n) if lo[i] <= 0 and hi[i] >= INPUT - 1]
    covering = len(full) ** 2

    # Effective RF: d(centre layer4 feature, summed over channels) / d(input), random init.
    model = torchvision.models.resnet50(weights=None).eval()  # eval: BN is a per-channel affine map
    model.requires_grad_(False)  # only ∂/∂input is needed: skip the weight gradients (time, memory)
    body = nn.Sequential(*list(model.children())[:-2])  # up to layer4
    x = torch.randn(1, 3, PROBE, PROBE, generator=g, requires_grad=True)  # (1, 3, 448, 448)
    threads = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or 1)  # the one big pass of all proofs: use every core
    try:
        y = body(x)  # (1, 2048, 14, 14)
        c = y.shape[-1] // 2
        y[0, :, c, c].sum().backward()
    finally:
        torch.set_num_threads(threads)
    grad = x.grad.abs().sum(1)[0]  # (448, 448) |∂y/∂x| summed over RGB
    centre = round(start + c * jump)  # input pixel under the centre unit (224)
    total = grad.sum()

    rows = torch.nonzero(grad.sum(1)).flatten()
    cols = torch.nonzero(grad.sum(0)).flatten()
    support = [int(rows[-1] - rows[0]) + 1, int(cols[-1] - cols[0]) + 1]  # nonzero-gradient box (px)

    def window(half):  # share of the gradient mass in the (2·half+1)² square around the centre
        a, b = max(centre - half, 0), centre + half + 1
        return float(grad[a:b, a:b].sum() / total)

    erf = 2 * next(h for h in range(PROBE) if window(h) >= MASS) + 1
    erf90 = 2 * next(h for h in range(PROBE) if window(h) >= 0.90) + 1  # same, 90% of the mass
    in_input = window(INPUT // 2)

    p.claim(
        "It is massive (larger than the input image) — the theoretical receptive field",
        measured="RF of a layer4 feature, walking resnet50's convs/pools (k, s, p, d) along the main path; "
        f"checked by the nonzero-gradient box of a {PROBE}-px probe",
        value=f"{rf} px vs {INPUT} px input ({rf / INPUT:.2f}×); gradient support {support[0]}×{support[1]} px",
        holds=rf > INPUT and support == [rf, rf],
        note=f"Stride of layer4: {jump} px. The 1×1 downsample convs are skipped (shorter path).",
        data={"rf": rf, "jump": jump, "start": start, "support": support,
              "stages": {name.split(".")[0]: r for name, r, _, _ in steps}},  # RF at the end of each stage
    )

    p.claim(
        "It is massive (larger than the input image) — the effective receptive field",
        measured=f"side of the square around the centre layer4 feature holding {MASS:.0%} of Σ|∂y/∂x| "
        f"(random init, seeded, eval mode, {PROBE}-px noise input)",
        value=f"{erf} px vs {INPUT} px input; {in_input:.1%} of the mass inside a {INPUT}-px window; "
        f"{erf / rf:.0%} of the theoretical {rf} px",
        holds=erf > INPUT,
        note=(
            f"Holds only just, and by convention: the {MASS:.0%} window is {erf} px, the 90% window {erf90} px. "
            f"The effective RF is about the size of the input and about half the theoretical RF; the gradient mass "
            f"is concentrated around the unit, not spread over the {rf}-px window (see the heatmap), so 'massive' "
            f"overstates it. Measured on a {PROBE}-px input so the window is not clipped by the image border. "
            "Random weights: a trained ResNet-50's effective RF may differ (Luo et al. 2016 report that "
            "training enlarges it); not measured here."
        ),
        data={"erf": erf, "erf90": erf90, "mass": MASS, "in_input": in_input, "centre": centre},
    )

    centre = n // 2  # the layer4 position over the middle of the image
    p.claim(
        "This allows the final features to capture global context — a layer4 feature away from the "
        "border has the whole 224-px image in its receptive field",
        measured=f"theoretical RF interval of each of the {n}×{n} layer4 positions vs pixels 0…{INPUT - 1}",
        value=f"{covering} of {n * n} positions cover the whole image (the centre one: "
        f"{lo[centre]:.0f}…{hi[centre]:.0f}); edge unit 0 covers {lo[0]:.0f}…{hi[0]:.0f}",
        holds=centre in full,
        note=(
            "Not every feature: unit i is centred on pixel {j}·i (padding keeps unit 0 on pixel 0), so the "
            "first row/column of units misses the last {m:.0f} px; and within the RF the gradient mass is "
            "concentrated near the unit (see the previous claim). In ResNet-50 the global context of the "
            "final prediction comes from the global average pool after layer4, not from each feature's RF."
        ).format(j=jump, m=INPUT - 1 - hi[0]),
        data={"covering": covering, "positions": n * n, "full_axis": full, "lo": lo, "hi": hi},
    )

    # Figures: RF growth along the network; the effective RF as a heatmap (16-px cells).
    xs = list(range(1, len(steps) + 1))
    p.figure(
        f"Theoretical RF (px) after each conv/pool of resnet50's main path, vs the {INPUT}-px input",
        lineplot({"theoretical RF": (xs, [s[1] for s in steps]), f"input {INPUT}": (xs, [INPUT] * len(xs))}),
    )
    cells = nn.functional.avg_pool2d(grad[None, None], 16)[0, 0]  # (28, 28)
    p.figure(
        f"Effective RF: |∂ centre layer4 feature / ∂ input| on a {PROBE}-px input (16-px cells); "
        f"{MASS:.0%} of the mass in the central {erf} px",
        heatmap(cells.tolist()),
    )
