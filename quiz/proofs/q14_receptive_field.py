"""Q14 — What is the receptive field of a ResNet-50?

Walks torchvision's resnet50 conv by conv along the main path to get the theoretical receptive field (RF) of a
layer4 feature, then measures the effective RF: the gradient of one layer4 feature (summed over channels) w.r.t.
the input pixels of a randomly initialised ResNet-50 — on a probe large enough to hold its gradient mass (is it larger
than the image?) and on the image itself (does a feature draw on the whole image, as the global average pool
after layer4 does?).
"""

import functools
import math

import torch
import torchvision
from torch import nn

from quiz.proofs import Knob
from quiz.proofs._tools import seed

STAGES = ("layer1", "layer2", "layer3", "layer4")
KNOBS = {
    "image": Knob(224, "the input image's side (px)", control=64, says="on a 64-px image", low=32, high=448),
    "stage": Knob("layer4", "the last ResNet-50 stage kept: whose feature is measured", control="layer1",
                  says="features of layer1", choices=STAGES),
}
CLOSE = 0.1  # 'as global as the pooled feature': the two influence curves never more than this apart
PROBE = 320  # px, the largest probe: layer4's RF (427 px) overfills it, but its outer 16 px hold under 1% of the mass


def _pair(v):
    return v if isinstance(v, int) else v[0]


def _walk(model, stage):
    """(name, rf, jump, centre of unit 0) after every conv/pool on the main path up to `stage`, in order."""
    rf, jump, start, steps = 1, 1, 0.0, []
    for name, m in model.named_modules():
        if name.startswith("layer") and name[:6] > stage:
            break
        if "downsample" in name or not isinstance(m, (nn.Conv2d, nn.MaxPool2d)):
            continue  # the 1×1 stride-2 shortcut convs are not on the longest path
        k, s, pad, d = (_pair(getattr(m, a)) for a in ("kernel_size", "stride", "padding", "dilation"))
        k_eff = d * (k - 1) + 1
        rf += (k_eff - 1) * jump
        start += ((k_eff - 1) / 2 - pad) * jump
        jump *= s
        steps.append((name, rf, jump, start))
    return steps


@functools.cache  # a control run measures the same random network
def resnet():
    seed()
    model = torchvision.models.resnet50(weights=None).eval()  # eval: BN is a per-channel affine map
    return model.requires_grad_(False)  # only ∂/∂input is needed: skip the weight gradients (time, memory)


def body(stage):
    children = list(resnet().children())  # conv1, bn1, relu, maxpool, layer1…layer4, avgpool, fc
    return nn.Sequential(*children[:5 + STAGES.index(stage)])


@functools.cache  # deterministic: the image control reads the probe measured by the first run
def gradients(stage, side, pooled=False):
    """|∂ feature / ∂ input| summed over RGB, (side, side), on seeded noise: for the centre-most unit of
    `stage` (all its channels summed) and, if `pooled`, for the global average of the whole map as well."""
    x = torch.randn(1, 3, side, side, generator=torch.Generator().manual_seed(side), requires_grad=True)
    y = body(stage)(x)  # (1, C, side/jump, side/jump)
    c = y.shape[-1] // 2
    maps = [torch.autograd.grad(y[0, :, c, c].sum(), x, retain_graph=pooled)[0].abs().sum(1)[0]]
    if pooled:  # what the global average pool after layer4 sees: every position's feature, averaged
        maps.append(torch.autograd.grad(y[0].mean((1, 2)).sum(), x)[0].abs().sum(1)[0])
    return maps, c


def by_distance(grad, centre):
    """Share of the influence from the nearest k pixels to `centre`, for k = 1 … all (a cumulative curve)."""
    side = grad.shape[-1]
    yy, xx = torch.meshgrid(torch.arange(side) - centre, torch.arange(side) - centre, indexing="ij")
    order = (yy**2 + xx**2).flatten().argsort(stable=True)
    return grad.flatten()[order].cumsum(0) / grad.sum()  # (side²,)


def run(p):
    image, stage = p.options["image"], p.options["stage"]
    steps = _walk(resnet(), stage)
    _, rf, jump, start = steps[-1]  # after the stage's last conv
    n = math.ceil(image / jump)  # positions per axis on the image
    lo = [start + i * jump - (rf - 1) / 2 for i in range(n)]
    hi = [start + i * jump + (rf - 1) / 2 for i in range(n)]
    full = [i for i in range(n) if lo[i] <= 0 and hi[i] >= image - 1]  # positions that see the whole image

    # 1. The effective RF on a probe that holds most of the centre unit's gradient, up to PROBE px (a larger one costs
    #    its area: 384 px took 0.3 s more for the last 0.6% of the mass)
    probe = min(PROBE, 2 * jump * math.ceil((rf + 1) / (2 * jump)))  # 320 px for layer4, 40 for layer1
    (grad,), c = gradients(stage, probe)  # (probe, probe)
    centre = round(start + c * jump)  # input pixel under the centre unit (224 for layer4)
    rows, cols = torch.nonzero(grad.sum(1)).flatten(), torch.nonzero(grad.sum(0)).flatten()
    support = [int(rows[-1] - rows[0]) + 1, int(cols[-1] - cols[0]) + 1]  # nonzero-gradient box (px)
    rim = 1 - float(grad[16:-16, 16:-16].sum() / grad.sum())  # share of the mass in the probe's outer 16 px

    def window(half):  # share of the gradient mass in the (2·half+1)² square around the unit
        a, b = max(centre - half, 0), centre + half + 1
        return float(grad[a:b, a:b].sum() / grad.sum())

    sides = list(range(1, 2 * min(centre, probe - 1 - centre) + 2, 2))  # odd window sides around the unit
    curve = [window(side // 2) for side in sides]  # share of the gradient mass within each window
    side_at = lambda share: sides[next(i for i, v in enumerate(curve) if v >= share)]  # noqa: E731
    erf50, erf90, erf95 = side_at(0.5), side_at(0.9), side_at(0.95)
    in_image = window(image // 2)

    p.by_definition(  # how large it is next to the image is the measured claim's business
        "Theoretical RF of one feature",
        f"arithmetic: walking resnet50's convs/pools (k, s, p, d) along the main path to {stage} gives the RF of "
        f"one of its features; the gradient on a {probe}-px probe is nonzero on a {support[0]}×{support[1]} box "
        + ("(the RF: it agrees). " if support == [rf, rf] else "(all of it: the RF overfills the probe). ") +
        f"Stride: {jump} px; the 1×1 downsample convs are skipped (a shorter path).",
        f"{stage}: {rf} px",
        data={"rf": rf, "jump": jump, "start": start, "support": support,
              "stages": {name.split(".")[0]: r for name, r, _, _ in steps}},  # RF at the end of each stage
    )
    p.claim(
        "It is massive (larger than the input) — effective RF",
        f"Σ|∂ centre {stage} feature / ∂ input| (random init, seeded, eval mode, {probe}-px noise probe; its "
        f"outer 16 px hold {rim:.0e} of the mass): share of the mass inside an image-sized ({image}-px) window "
        f"around the unit, and the window sides holding 50% / 90% / 95% ({erf50} / {erf90} / {erf95} px). Larger "
        "than the image: most of the mass falls outside it.",
        f"{in_image:.0%} of the mass within {image} px; half within {erf50} px",
        holds=in_image < 0.5,
        partly=rf > image,
        note=f"The theoretical RF ({rf} px) is {rf / image:.2f}× the {image}-px image; "
        + (f"{1 - in_image:.0%} of the gradient mass falls outside an image-sized window (half within {erf50} px)."
           if in_image < 0.5 else f"the gradient mass is concentrated near the unit: {in_image:.0%} of it within "
           f"an image-sized window, half within {erf50} px.")
        + f" Where the effective RF 'ends' depends on the share one asks for — {erf90} px at 90%, {erf95} px "
        f"({erf95 / image:.2f}× the image) at 95% — so "
        + ("here most of it lies outside the image: larger than the input" if in_image < 0.5 else
           "even at 95% it is about as large as the image or smaller, not massive" if erf95 <= 1.1 * image else
           "most of it lies within the image, only its tail spills over")
        + f"; over half the mass spills past images narrower than about {erf50} px"
        + (f" (--control: {KNOBS['image'].control} px)" if KNOBS["image"].control + 1 < erf50 else "")
        + ". Random weights; Luo et al. 2016 report that training enlarges the effective RF.",
        data={"sides": sides, "curve": curve, "erf50": erf50, "erf90": erf90, "erf95": erf95, "in_image": in_image,
              "centre": centre, "probe": probe, "rim": rim},
        control={"image": KNOBS["image"].control, "stage": KNOBS["stage"].control},
    )

    # 2. 'Global context': on the image itself, does the unit draw on the whole image as the pooled feature does?
    (unit_grad, pool_grad), k = gradients(stage, image, pooled=True)  # (image, image) each
    at = round(start + k * jump)  # the unit's pixel: 96 on a 224 image (units sit at 32·i), not the centre 112
    unit, pool = by_distance(unit_grad, at), by_distance(pool_grad, at)  # nearest pixels first
    gap = (unit - pool).abs().max().item()
    half = len(unit) // 2
    far_unit, far_pool = 1 - unit[half - 1].item(), 1 - pool[half - 1].item()  # from the farthest half of the pixels
    reach = (unit_grad > 0).float().mean().item()  # share of the image's pixels that reach the unit at all
    p.claim(
        "This allows the final features to capture global context",
        f"on a {image}-px image: the share of Σ|∂ feature / ∂ input| from the pixels nearest the unit (px {at}) "
        f"first, for one {stage} unit and for the global average of all {n}×{n} units (what the pool after layer4 "
        f"feeds the classifier); largest gap between the two curves; {len(full) ** 2} of {n * n} positions have a "
        "theoretical RF covering the image",
        f"far half of the image: {far_unit:.0%} vs pooled {far_pool:.0%}",
        holds=gap <= CLOSE,  # the unit draws on the image as the pooled feature does, within CLOSE everywhere
        partly=reach == 1.0,  # every pixel reaches the unit, however weakly
        note=("Every pixel reaches the unit, so context from anywhere can get in" if reach == 1.0 else
              f"Only {reach:.0%} of the image's pixels reach the unit at all")
        + f" — the half of the image farthest from the unit supplies {far_unit:.0%} of its input, against "
        f"{far_pool:.0%} for the pooled feature (curves up to {gap:.2f} apart; uniform would be 50%). "
        + ("Global context in ResNet-50 comes from the global average pool after layer4, not from each feature's "
           "receptive field" + ("; on a small image (--control: 64 px) one unit is as global as the pool."
                                if stage == "layer4" else ".") if gap > CLOSE else
           f"On this {image}-px image one {stage} unit draws on it as the pooled feature does (curves within "
           f"{CLOSE}): here a single feature is as global as the pool."),
        data={"unit": at, "far_unit": far_unit, "far_pool": far_pool, "gap": gap, "reach": reach,
              "covering": len(full) ** 2, "positions": n * n, "full_axis": full},
        control={"image": KNOBS["image"].control, "stage": KNOBS["stage"].control},
    )

    idx = [round(i * (len(unit) - 1) / 200) for i in range(201)]  # 201 points of each curve, first to last
    share = [100 * (i + 1) / len(unit) for i in idx]
    p.lines(f"influence on one {stage} unit vs on the pooled feature: share from the nearest pixels first",
            {f"one unit (px {at})": (share, unit[idx]), "pooled (GAP)": (share, pool[idx]),
             "uniform": ([0, 100], [0, 1])}, x="% of the image's pixels, nearest first", y="share of |∂y/∂x|")
    p.lines("effective RF: share of the gradient mass within a window around the unit vs window side (px)",
            {"effective (gradient mass)": (sides, curve), f"image side {image} px": ([image, image], [0, 1])},
            x="window side (px)", y="share of |∂y/∂x|")
    xs = list(range(1, len(steps) + 1))
    p.lines(f"Theoretical RF (px) after each conv/pool of resnet50's main path, vs the {image}-px input",
            {"theoretical RF": (xs, [s[1] for s in steps]), f"input {image}": (xs, [image] * len(xs))},
            x="layer", y="RF (px)")
    p.takeaway(f"theoretical RF {rf} px {'>' if rf > image else '≤'} the {image}-px image; half the gradient "
               f"lies within {erf50} px and the far half of the image gives a unit {far_unit:.0%} of its input"
               + (": global context comes from the pooling" if gap > CLOSE else
                  f", the pooled feature {far_pool:.0%}: one unit is as global as the pool here"))
