"""Q10: What is the advantage of large (7×7) kernels in ConvNeXt? — walk the layers to get the
theoretical receptive field, measure the effective one (gradient of the centre output w.r.t. the
input) for stacks of ConvNeXt blocks with 7×7 vs 3×3 depthwise convs, count blocks ConvNeXt-T needs
to cover a 224-px image, count parameters, and compare with one self-attention layer."""

import math

import torch
from torch import nn
from torchvision.models import convnext_tiny
from torchvision.models.convnext import CNBlock  # dw 7×7 → LayerNorm → Linear 4C → GELU → Linear C, + x

from quiz.proofs._tools import params, seed

DEPTH, DIM, SIZE, SEEDS = 4, 8, 32, 3  # blocks per stack, channels, input H=W, random inits averaged


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

    # --- effective receptive field of 4 ConvNeXt blocks, 7×7 vs 3×3 depthwise
    g7, rf7 = _erf(7)
    g3, rf3 = _erf(3)
    (r7, s7, ring), (r3, s3, _) = _width(g7), _width(g3)
    sup7, sup3 = int((g7 > 0).sum()), int((g3 > 0).sum())
    centre7 = (g7[SIZE // 2, SIZE // 2] / g7.sum()).item()  # share of the gradient on the centre pixel
    out7 = g7[ring > (rf7 - 1) // 2].abs().sum().item()  # gradient outside the theoretical RF
    p.by_definition(
        f"a 7×7 grows the RF 3× faster per layer than a 3×3",
        f"arithmetic: each k×k layer adds k−1 pixels, so {DEPTH} blocks see {rf7}×{rf7} vs {rf3}×{rf3}; the input "
        f"gradient's support agrees ({sup7} and {sup3} inputs move the centre output)",
        f"RF {rf7} vs {rf3} px after {DEPTH} blocks",
        data={"rf7": rf7, "rf3": rf3, "support7": sup7, "support3": sup3}, added=True,
    )
    p.claim(
        "Increases effective Receptive Field immediately",
        f"|∂ centre output / ∂ input| of {DEPTH} random-init CNBlocks (mean of {SEEDS} seeds): radius holding "
        f"95% of the gradient mass (7×7: {r7} px, 3×3: {r3} px); std of the gradient distribution",
        f"ERF std {s7:.1f} vs {s3:.1f} px ({s7 / s3:.1f}×)",
        r7 > r3 and s7 > s3,
        note=f"the effective RF is much smaller than the theoretical one (7×7: 95% within radius {r7} of "
        f"{(rf7 - 1) // 2}; the centre pixel alone holds {centre7:.0%} of the mass, via the identity path). "
        "Random init, not trained weights; layer_scale = 1 instead of torchvision's 1e-6, which would make "
        "every block an identity at init",
        data={"r95_7": r7, "r95_3": r3, "std7": s7, "std3": s3, "centre_share7": centre7},
    )

    # --- ConvNeXt-T: how many blocks until the theoretical RF covers a 224-px image?
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
    p.claim(
        "Reduces the number of layers needed to see the whole object",
        "torchvision ConvNeXt-T (and the same net with 3×3 depthwise): blocks until the theoretical RF ≥ 224 px; "
        f"final RF {need[7][1]} vs {need[3][1]} px",
        f"block {need[7][0]} vs {need[3][0]} of {need[7][2]} to cover 224 px",
        need[7][0] < need[3][0],
        note="theoretical RF, stem and downsampling included; the effective RF is smaller (claim above), "
        "so 'seeing' an object takes more than this",
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
    p.claim(
        "depthwise makes a 7×7 kernel cheap",
        f"params (with bias) at C = {C}, and theoretical RF: one 7×7 depthwise {pw[0]:,} (RF {rf[0]}), three 3×3 "
        f"depthwise {pw[1]:,} (RF {rf[1]}), one dense 7×7 {pw[2]:,} (RF {rf[2]})",
        f"{pw[0]:,} vs {pw[2]:,} params dense ({pw[2] / pw[0]:.0f}×)",
        rf[0] == rf[1] == rf[2] and pw[2] / pw[0] > C / 2, added=True,
        note=f"same RF; depthwise keeps one 7×7 filter per channel instead of C per channel (≈ C× fewer); "
        f"the 7×7 depthwise costs {pw[0] / pw[1]:.2f}× three 3×3 depthwise but is one layer; "
        f"in a whole ConvNeXt block (C = {C}) it is {pw[0] / params(block):.1%} of the {params(block):,} params — "
        "the 1×1 MLP dominates",
        data={"params_dw7": pw[0], "params_3x_dw3": pw[1], "params_dense7": pw[2], "rf": rf,
              "block_params": params(block)},
    )

    # --- 'global attention': after one layer, which inputs can move the centre output?
    torch.manual_seed(0)
    tokens = torch.randn(1, SIZE * SIZE, DIM, requires_grad=True)  # (N, H·W, C) = (1, 1024, 8)
    attn = nn.MultiheadAttention(DIM, num_heads=1, batch_first=True)
    attn(tokens, tokens, tokens)[0][0, (SIZE // 2) * SIZE + SIZE // 2].sum().backward()
    seen_attn = int((tokens.grad[0].abs().sum(dim=1) > 0).sum())
    conv = nn.Conv2d(DIM, DIM, 7, padding=3, groups=DIM)
    img = torch.randn(1, DIM, SIZE, SIZE, requires_grad=True)
    conv(img)[0, :, SIZE // 2, SIZE // 2].sum().backward()
    seen_conv = int((img.grad[0].abs().sum(dim=0) > 0).sum())
    p.claim(
        "Mimics the global attention mechanism of Transformers",
        "inputs with non-zero gradient on the centre output after one layer: 7×7 depthwise conv vs one "
        f"nn.MultiheadAttention layer over the {SIZE}×{SIZE} tokens; after {DEPTH} blocks the gradient outside "
        f"the {rf7}×{rf7} RF is {out7:g}",
        f"sees {seen_conv}/{SIZE * SIZE} inputs vs {seen_attn}/{SIZE * SIZE}",
        holds=seen_conv == seen_attn,
        note="Global means every position: one attention layer sees all of them, a 7×7 window 49, and stacking "
        "only grows a local window. ConvNeXt's paper relates its 7×7 to Swin's local 7×7 attention windows, "
        "not to global attention.",
        data={"one_layer_conv": seen_conv, "one_layer_attention": seen_attn, "grad_outside_rf": out7},
    )

    # --- figure: the 7×7 stack's ERF (cropped to its mass when drawn), and both ERF profiles
    c = SIZE // 2
    decades = (torch.log10(g7.clamp(min=1e-30) / g7.max()) + 4).clamp(min=0)  # 4 decades below the peak → 0
    p.heatmap(f"Effective RF, {DEPTH} ConvNeXt blocks, 7×7 depthwise: log10 |∂y_centre/∂x| (4 decades)",
              decades.tolist(), label="decades above 1e-4 of the peak")
    p.lines("ERF profile through the centre row: 7×7 vs 3×3 depthwise (log scale)",
            {"7×7": (list(range(-c, SIZE - c)), g7[c].clamp(min=1e-12).tolist()),
             "3×3": (list(range(-c, SIZE - c)), g3[c].clamp(min=1e-12).tolist())}, x="offset (px)",
            y="|∂y/∂x|", logy=True)
    p.takeaway(f"7×7 widens the effective RF {s7 / s3:.1f}× and covers 224 px by block {need[7][0]} (3×3: "
               f"{need[3][0]}), but it stays local: {seen_conv} of {SIZE * SIZE} inputs per layer vs all for attention")
