"""Q14 — What is the receptive field of a ResNet-50?

Walks torchvision's resnet50 (meta device) conv by conv along the main path to get the
theoretical receptive field (RF) of a layer4 feature, then measures the effective RF: the
gradient of the centre layer4 feature (summed over channels) w.r.t. the input pixels of a
randomly initialised ResNet-50, and the square window that holds 95% of that gradient mass.
"""

import torch
import torchvision
from torch import nn

from quiz.proofs._tools import seed

INPUT = 224  # the usual ImageNet input side (px)
PROBE = 448  # input side for the gradient probe: big enough that the 95% window is not clipped


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
    y = body(x)  # (1, 2048, 14, 14)
    c = y.shape[-1] // 2
    y[0, :, c, c].sum().backward()
    grad = x.grad.abs().sum(1)[0]  # (448, 448) |∂y/∂x| summed over RGB
    centre = round(start + c * jump)  # input pixel under the centre unit (224)
    total = grad.sum()

    rows = torch.nonzero(grad.sum(1)).flatten()
    cols = torch.nonzero(grad.sum(0)).flatten()
    support = [int(rows[-1] - rows[0]) + 1, int(cols[-1] - cols[0]) + 1]  # nonzero-gradient box (px)

    def window(half):  # share of the gradient mass in the (2·half+1)² square around the centre
        a, b = max(centre - half, 0), centre + half + 1
        return float(grad[a:b, a:b].sum() / total)

    sides = list(range(1, PROBE - 2 * abs(PROBE // 2 - centre), 2))  # odd window sides around the unit
    curve = [window(side // 2) for side in sides]  # share of the gradient mass within each window
    side_at = lambda share: sides[next(i for i, v in enumerate(curve) if v >= share)]  # noqa: E731
    erf50, erf90, erf95 = side_at(0.5), side_at(0.9), side_at(0.95)
    in_input = window(INPUT // 2)

    p.by_definition(
        "It is massive (larger than the input) — theoretical RF",
        "arithmetic: walking resnet50's convs/pools (k, s, p, d) along the main path gives the RF of a layer4 "
        f"feature; the nonzero-gradient box of a {PROBE}-px probe agrees ({support[0]}×{support[1]} px). "
        f"Stride of layer4: {jump} px; the 1×1 downsample convs are skipped (shorter path).",
        f"{rf} px vs a {INPUT}-px input",
        data={"rf": rf, "jump": jump, "start": start, "support": support,
              "stages": {name.split(".")[0]: r for name, r, _, _ in steps}},  # RF at the end of each stage
    )
    p.claim(
        "It is massive (larger than the input) — effective RF",
        "Σ|∂ centre layer4 feature / ∂ input| (random init, seeded, eval mode, one thread, "
        f"{PROBE}-px noise input): share of the mass inside a {INPUT}-px window around the unit, and the window "
        f"sides holding 50% / 90% / 95% ({erf50} / {erf90} / {erf95} px). Criterion: larger than the input "
        f"means most of the mass falls outside an input-sized window.",
        f"{in_input:.0%} of the mass within {INPUT} px; half within {erf50} px",
        holds=in_input < 0.5,
        partly=rf > INPUT,
        note=f"The theoretical RF ({rf} px) is larger than the image, but the gradient mass is concentrated: "
        f"half of it within {erf50} px and {in_input:.0%} within an input-sized window. Where the window 'ends' "
        f"depends on the share one asks for ({erf90} px at 90%, {erf95} px at 95%), so the curve is the answer. "
        "Random weights; Luo et al. 2016 report that training enlarges the effective RF.",
        data={"sides": sides, "curve": curve, "erf50": erf50, "erf90": erf90, "erf95": erf95,
              "in_input": in_input, "centre": centre},
    )

    # 'global context': on a real-size input, how much does the centre feature depend on the image's outer part?
    x2 = torch.randn(1, 3, INPUT, INPUT, generator=g, requires_grad=True)  # (1, 3, 224, 224)
    y2 = body(x2)  # (1, 2048, 7, 7)
    y2[0, :, n // 2, n // 2].sum().backward()
    g2 = x2.grad.abs().sum(1)[0]  # (224, 224)
    q = INPUT // 4
    outer = 1 - (g2[q:INPUT - q, q:INPUT - q].sum() / g2.sum()).item()  # outside the central half-size window
    p.claim(
        "This allows the final features to capture global context",
        f"on a {INPUT}-px input: share of Σ|∂ centre layer4 feature / ∂ input| from outside the central "
        f"{INPUT // 2}-px window, i.e. from the outer 75% of the image; theoretically {covering} of {n * n} "
        "layer4 positions see the whole image",
        f"{outer:.0%} of the influence from the outer 75%",
        holds=outer > 0.5,
        partly=outer > 0.05,
        note="Every pixel can reach a central feature (the theoretical RF covers the image), but most of the "
        f"influence comes from near the unit: {outer:.0%} from the outer three quarters of the image. Global "
        "context in ResNet-50's prediction comes from the global average pool after layer4, not from each "
        "feature's receptive field.",
        data={"outer_share": outer, "covering": covering, "positions": n * n, "full_axis": full},
    )

    xs = list(range(1, len(steps) + 1))
    p.lines("ERF: share of the gradient mass within a window around the unit, vs window side (px)",
            {"effective (gradient mass)": (sides, curve), f"input side {INPUT} px": ([INPUT, INPUT], [0, 1])},
            x="window side (px)", y="share of |∂y/∂x|")
    p.lines(f"Theoretical RF (px) after each conv/pool of resnet50's main path, vs the {INPUT}-px input",
            {"theoretical RF": (xs, [s[1] for s in steps]), f"input {INPUT}": (xs, [INPUT] * len(xs))},
            x="layer", y="RF (px)")
    p.takeaway(f"theoretical RF {rf} px > {INPUT} px, but the effective RF is compact: half the gradient within "
               f"{erf50} px, {in_input:.0%} within an input-sized window; global context comes from the pooling")
