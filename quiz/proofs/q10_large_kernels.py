"""Q10: What is the advantage of large (7×7) kernels in ConvNeXt? — walk the layers to get the
theoretical receptive field, measure the effective one (gradient of the centre output w.r.t. the
input) for stacks of ConvNeXt blocks with 7×7 vs 3×3 depthwise convs, count blocks ConvNeXt-T needs
to cover a 224-px image, count parameters, and compare one 7×7 layer with one self-attention layer.
Controls: a 3×3 kernel in the measured stack, and the comparison on a 7×7 map (ConvNeXt-T's last stage)."""

import functools
import math

import torch
from torch import nn
from torchvision.models import convnext_tiny
from torchvision.models.convnext import CNBlock  # dw 7×7 → LayerNorm → Linear 4C → GELU → Linear C, + x

from quiz.proofs import Knob
from quiz.proofs._tools import params, seed

DEPTH, DIM, SIZE, SEEDS = 4, 8, 32, 3  # blocks per stack, channels, input H=W, random inits averaged
KNOBS = {
    "kernel": Knob(7, "the depthwise kernel of the measured ConvNeXt blocks (compared with 3×3)", control=3,
                   says="3×3 depthwise", choices=(3, 5, 7, 9, 11, 13, 15)),
    "map": Knob(SIZE, "side of the feature map where one conv layer is compared with one attention layer",
                control=7, says="on a 7×7 map (stage 4)", low=3, high=64),
}


def _rf_walk(modules):
    """(conv, theoretical RF after it) for each conv, in order: rf += (k−1)·dilation·jump; jump *= stride."""
    rf, jump, after = 1, 1, []
    for m in modules:
        if isinstance(m, nn.Conv2d):
            rf += (m.kernel_size[0] - 1) * m.dilation[0] * jump
            jump *= m.stride[0]
            after.append((m, rf))
    return after


def _stack(k):
    """DEPTH ConvNeXt blocks (torchvision CNBlock) whose depthwise conv is k×k."""
    blocks = []
    for _ in range(DEPTH):
        b = CNBlock(DIM, layer_scale=1.0, stochastic_depth_prob=0.0)  # layer_scale 1: the branch counts at init
        if k != 7:
            b.block[0] = nn.Conv2d(DIM, DIM, k, padding=k // 2, groups=DIM)
        blocks.append(b)
    return nn.Sequential(*blocks)


@functools.cache  # deterministic: a control run that measures the same stack reads the first run's gradient
def _erf(k):
    """Mean |∂ centre output / ∂ input| over SEEDS random inits, (SIZE, SIZE); and the stack's theoretical RF."""
    grad = torch.zeros(SIZE, SIZE)
    for s in range(SEEDS):
        torch.manual_seed(s)
        net = _stack(k)
        x = torch.randn(1, DIM, SIZE, SIZE, requires_grad=True)  # (N, C, H, W) = (1, 8, 32, 32)
        net(x)[0, :, SIZE // 2, SIZE // 2].sum().backward()
        grad += x.grad[0].abs().sum(dim=0) / SEEDS  # (32, 32)
    return grad, _rf_walk(net.modules())[-1][1]


def _width(grad):
    """95%-mass radius (square rings around the centre) and the std of the gradient distribution (px)."""
    c = SIZE // 2
    yy, xx = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
    ring = torch.maximum((yy - c).abs(), (xx - c).abs())
    mass = torch.stack([grad[ring <= r].sum() for r in range(SIZE)]) / grad.sum()
    r95 = int((mass >= 0.95).nonzero()[0])
    std = math.sqrt(((grad * ((yy - c) ** 2 + (xx - c) ** 2)).sum() / grad.sum()).item())
    return r95, std, ring


def run(p):
    seed()
    k = p.options["kernel"]  # 7: ConvNeXt's; 3 in the control run
    g7, rf7 = _erf(7)  # ConvNeXt's 7×7 stack and the 3×3 one: the RF arithmetic, and the baseline
    g3, rf3 = _erf(3)
    if p.measures():
        sup7, sup3 = int((g7 > 0).sum()), int((g3 > 0).sum())
        p.by_definition(
            "a 7×7 grows the RF 3× faster per layer than a 3×3",
            f"arithmetic: each k×k layer adds k−1 pixels, so {DEPTH} blocks see {rf7}×{rf7} vs {rf3}×{rf3}; the "
            f"input gradient's support agrees ({sup7} and {sup3} inputs move the centre output)",
            f"RF {rf7} vs {rf3} px after {DEPTH} blocks",
            data={"rf7": rf7, "rf3": rf3, "support7": sup7, "support3": sup3}, added=True,
        )
    if p.measures("kernel"):
        erf = effective_rf(p, k, g3)
    stages = convnext_tiny_reads(p) if p.measures() else []
    if p.measures("map"):
        n_conv, n_attn, side = attention(p, k, p.options["map"], stages)
    if p.measures():  # the proof's own run measures both
        widen = (f"{k}×{k} widens the effective RF {erf:.1f}× over 3×3" if erf > 1
                 else f"{k}×{k} does not widen the effective RF over 3×3 ({erf:.1f}×)")
        local = (f"stays local: one layer sees {n_conv} of {side * side} inputs, attention all {n_attn}"
                 if n_conv < n_attn else
                 f"on a {side}×{side} map one layer sees all {n_conv} inputs, as attention does (fixed weights)")
        p.takeaway(f"{widen} but {local}" if erf > 1 and n_conv < n_attn else f"{widen}; {local}")


def effective_rf(p, k, g3):
    """The effective RF (where the gradient mass is) of the k×k stack vs the 3×3 one."""
    gk, rfk = _erf(k)
    (rk, sk, ring), (r3, s3, _) = _width(gk), _width(g3)
    centre = (gk[SIZE // 2, SIZE // 2] / gk.sum()).item()  # share of the gradient on the centre pixel
    outside = gk[ring > (rfk - 1) // 2].sum().item()  # gradient outside the theoretical RF: none
    half = (rfk - 1) // 2  # the theoretical RF's radius
    smaller = "much smaller than" if 2 * rk <= half else "smaller than" if rk < half else "as wide as"
    p.claim(
        "Increases effective Receptive Field immediately",
        f"|∂ centre output / ∂ input| of {DEPTH} random-init CNBlocks (mean of {SEEDS} seeds), {k}×{k} vs 3×3 "
        f"depthwise: radius holding 95% of the gradient mass ({k}×{k}: {rk} px, 3×3: {r3} px); std of the "
        "gradient distribution",
        f"ERF std {sk:.1f} vs {s3:.1f} px ({sk / s3:.1f}×)",
        holds=rk > r3 and sk > s3,
        note=f"the effective RF is {smaller} the theoretical one ({k}×{k}: 95% within radius {rk} of "
        f"{(rfk - 1) // 2}; the centre pixel alone holds {centre:.0%} of the mass, via the identity path). "
        "Random init, not trained weights; layer_scale = 1 instead of torchvision's 1e-6, which would make "
        "every block an identity at init. With a 3×3 kernel (the control) both stacks are the same.",
        data={"kernel": k, "r95_k": rk, "r95_3": r3, "std_k": sk, "std3": s3, "centre_share": centre,
              "grad_outside_rf": outside},
        control="kernel",
    )
    # --- figures: both ERF profiles, and the stack's ERF in whole decades (every drawn cell has a shade)
    c = SIZE // 2
    offsets = list(range(-c, SIZE - c))
    p.lines(f"ERF profile, centre row: {k}×{k} vs 3×3 depthwise (log scale; zeros left out)",
            {f"{k}×{k}": (offsets, gk[c].tolist()), "3×3": (offsets, g3[c].tolist())}, x="offset (px)",
            y="|∂y/∂x|", logy=True)
    decades = (torch.log10(gk.clamp(min=1e-30) / gk.max()) + 4).clamp(min=0).ceil()  # 1…4; 0 below 1e-4 of the peak
    p.heatmap(f"Effective RF, {DEPTH} ConvNeXt blocks, {k}×{k} depthwise: log10 |∂y_centre/∂x| (4 decades)",
              decades.tolist(), label="decades above 1e-4 of the peak, rounded up")
    return sk / s3


def convnext_tiny_reads(p):
    """ConvNeXt-T's theoretical RF per block, and the cost of a 7×7 depthwise: arithmetic on its layers."""
    with torch.device("meta"):
        net7 = convnext_tiny(weights=None)
        net3 = convnext_tiny(weights=None)
        for b in net3.modules():
            if isinstance(b, CNBlock):  # same network, 3×3 depthwise instead of 7×7
                c = b.block[0].in_channels
                b.block[0] = nn.Conv2d(c, c, 3, padding=1, groups=c)
    need = {}
    for k, net in ((7, net7), (3, net3)):
        rfs = [rf for m, rf in _rf_walk(net.features.modules()) if m.groups > 1]  # RF after each block
        need[k] = (next(i + 1 for i, rf in enumerate(rfs) if rf >= 224), rfs[-1], len(rfs))
    p.by_definition(
        "Reduces the number of layers needed to see the whole object",
        "arithmetic on the layers: torchvision ConvNeXt-T (and the same net with 3×3 depthwise), blocks until "
        f"the theoretical RF ≥ 224 px (each k×k adds (k−1)·stride so far), stem and downsampling included; final "
        f"RF {need[7][1]} vs {need[3][1]} px. The effective RF is smaller (claim above), so 'seeing' an object "
        "takes more than this",
        f"block {need[7][0]} vs {need[3][0]} of {need[7][2]} to cover 224 px",
        data={"blocks_to_224_k7": need[7][0], "blocks_to_224_k3": need[3][0],
              "final_rf_k7": need[7][1], "final_rf_k3": need[3][1]},
    )

    # --- cost: one 7×7 depthwise vs three 3×3 depthwise vs one dense 7×7 (C = 96, ConvNeXt-T stage 1)
    C = 96
    with torch.device("meta"):
        dw7 = nn.Conv2d(C, C, 7, padding=3, groups=C)
        dw3x3 = nn.Sequential(*[nn.Conv2d(C, C, 3, padding=1, groups=C) for _ in range(3)])
        dense7 = nn.Conv2d(C, C, 7, padding=3)
        block = CNBlock(C, 1e-6, 0.0)
    rf = [_rf_walk(m.modules())[-1][1] for m in (dw7, dw3x3, dense7)]
    pw = [params(m) for m in (dw7, dw3x3, dense7)]
    p.by_definition(
        "depthwise makes a 7×7 kernel cheap",
        f"arithmetic: a depthwise k×k has k·k weights per channel, a dense one k·k·C; params (with bias) at "
        f"C = {C}: one 7×7 depthwise {pw[0]:,} (RF {rf[0]}), three 3×3 depthwise {pw[1]:,} (RF {rf[1]}), one "
        f"dense 7×7 {pw[2]:,} (RF {rf[2]}); the 7×7 depthwise costs {pw[0] / pw[1]:.2f}× three 3×3 depthwise but "
        f"is one layer; in a whole ConvNeXt block it is {pw[0] / params(block):.1%} of the {params(block):,} "
        "params — the 1×1 MLP dominates",
        f"{pw[0]:,} vs {pw[2]:,} params dense ({pw[2] / pw[0]:.0f}×)",
        data={"params_dw7": pw[0], "params_3x_dw3": pw[1], "params_dense7": pw[2], "rf": rf,
              "block_params": params(block)}, added=True,
    )
    with torch.device("meta"):  # the feature-map side of each stage at 224 px input: where a 7×7 is global
        x, sides = torch.empty(1, 3, 224, 224), []
        for m in net7.features:
            x = m(x)
            if isinstance(m, nn.Sequential) and isinstance(m[0], CNBlock):
                sides.append((x.shape[-1], len(m)))
    return sides  # (side, blocks) per stage


def attention(p, k, side, stages):
    """'Global attention': after one layer on a side×side map, which inputs can move the centre output?
    And do the mixing weights depend on the input, as attention's do? (stages: ConvNeXt-T's (side, blocks))"""
    torch.manual_seed(0)
    centre = (side // 2) * side + side // 2
    attn = nn.MultiheadAttention(DIM, num_heads=1, batch_first=True)
    conv = nn.Conv2d(DIM, DIM, k, padding=k // 2, groups=DIM)
    seen = {"attn": [], "conv": []}  # |∂ centre / ∂ input| per position, for two different inputs
    for _ in range(2):
        tokens = torch.randn(1, side * side, DIM, requires_grad=True)  # (N, H·W, C)
        attn(tokens, tokens, tokens)[0][0, centre].sum().backward()
        seen["attn"].append(tokens.grad[0].abs().sum(dim=1))  # (H·W,)
        img = torch.randn(1, DIM, side, side, requires_grad=True)  # (N, C, H, W)
        conv(img)[0, :, side // 2, side // 2].sum().backward()
        seen["conv"].append(img.grad[0].abs().sum(dim=0).flatten())  # (H·W,)
    n_conv, n_attn = (int((v[0] > 0).sum()) for v in (seen["conv"], seen["attn"]))
    change = {m: ((v[1] - v[0]).norm() / v[0].norm()).item() for m, v in seen.items()}  # input-dependence
    cover = ", ".join(f"{min(k, s) ** 2 / s ** 2:.1%} of {s}×{s} ({b} blocks)" for s, b in stages)
    whole = [f"{s}×{s}" for s, _ in stages if k >= s]  # stages whose map one k×k window covers
    p.claim(
        "Mimics the global attention mechanism of Transformers",
        f"inputs with non-zero gradient on the centre output after one layer on a {side}×{side} map: a {k}×{k} "
        "depthwise conv vs one nn.MultiheadAttention layer over the tokens; and how much that gradient map "
        "changes between two random inputs (input-dependent weights)",
        f"sees {n_conv}/{side * side} inputs vs {n_attn}/{side * side}",
        holds=n_conv == n_attn,
        note=(f"Global means every position: one attention layer sees all {n_attn} of them, a {k}×{k} window "
              f"{n_conv}, and stacking only grows a local window. " if n_conv < n_attn else
              f"On this {side}×{side} map one {k}×{k} window already reaches every position ({n_conv} of "
              f"{side * side}), as attention does ({n_attn}). ")
        + "The mechanism differs: attention computes its weights from the input "
        f"(its gradient map changes by {change['attn']:.0%} between two inputs), a conv applies fixed weights "
        f"(change {change['conv']:.0%}). "
        + (f"In ConvNeXt-T at 224 px the {k}×{k} window covers {cover}: global "
           + (f"only on the {' and '.join(whole)} map{'s' * (len(whole) > 1)}, and even there with fixed weights. "
              if whole else "on no stage's map. ") if cover else "")
        + ("Not ◐: what holds — a local window like Swin's local attention windows, mixing space per channel — "
           "is ConvNeXt's design analogy, not global attention." if n_conv < n_attn else ""),
        data={"one_layer_conv": n_conv, "one_layer_attention": n_attn, "side": side, "kernel": k,
              "weights_change": change, "stages": stages},
        control="map",
    )
    return n_conv, n_attn, side
