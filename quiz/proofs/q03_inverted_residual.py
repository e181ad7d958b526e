"""Explain the inverted residual block — torchvision's MobileNetV2 InvertedResidual (24 ch, expansion 6) vs
ResNet-50's Bottleneck (256 ch), both at their networks' 56×56 stage: widths, depthwise vs dense 3×3,
what the skip carries, and peak activation memory measured with forward hooks and saved-tensor hooks.
"""

import torch
from torch import nn
from torchvision import models
from torchvision.models.efficientnet import MBConv  # EfficientNet's inverted residual (+ squeeze-excitation)
from torchvision.models.mobilenetv2 import InvertedResidual  # MobileNetV2 block
from torchvision.models.resnet import Bottleneck  # ResNet-50 block

from quiz.proofs._tools import fmt, macs, params, seed

HW, T = 56, 6  # spatial size; MobileNetV2 expansion ratio


def convs(block):
    return [m for m in block.modules() if isinstance(m, nn.Conv2d)]


def widths(block):
    # channels along the block, read from the conv weight shapes (cout, cin/groups, k, k)
    return [convs(block)[0].in_channels] + [c.weight.shape[0] for c in convs(block)]


def storage(t):
    return t.untyped_storage().data_ptr(), t.untyped_storage().nbytes()


def peak_live(block, x):
    """Inference: bytes live while each layer runs = block input (held for the skip) + layer input + output."""
    peak = {"bytes": 0}

    def hook(name):
        def fn(m, inp, out):
            live = {storage(t)[0]: (storage(t)[1], t.shape[1]) for t in (x, inp[0], out)}  # in-place ReLU6: one
            total = sum(b for b, _ in live.values())
            if total > peak["bytes"]:
                peak.update(bytes=total, layer=f"{name or 'block'} ({type(m).__name__})",
                            channels=sorted(c for _, c in live.values()),
                            wide=sum(b for b, c in live.values() if c > x.shape[1]))
        return fn

    handles = [m.register_forward_hook(hook(n)) for n, m in block.named_modules() if not list(m.children()) or not n]
    with torch.no_grad():
        block(x)
    for h in handles:
        h.remove()
    return peak


def conv_macs(block, x):
    """Multiply-adds of each conv of the block, counted on the input that conv really receives."""
    inputs = {}
    handles = [c.register_forward_hook(lambda m, i, o: inputs.__setitem__(m, i[0])) for c in convs(block)]
    with torch.no_grad():
        block.eval()(x)
    for h in handles:
        h.remove()
    return [macs(c, inputs[c]) for c in convs(block)]


def spatial_share(block, x):
    """Share of the block's conv multiply-adds done by its 3×3 conv (the depthwise one in MobileNetV2)."""
    per_conv = conv_macs(block, x)
    k3 = [m for c, m in zip(convs(block), per_conv) if c.kernel_size == (3, 3)]
    return sum(k3) / sum(per_conv)


def expanded_share(block, x):
    """Share of the inference peak (see peak_live) taken by tensors wider than the block input."""
    pk = peak_live(block.eval(), x)
    return pk["wide"] / pk["bytes"]


def saved_for_backward(block, x):
    """Training: bytes of activations autograd keeps for backward (parameters excluded), and per channel count."""
    weights = {storage(w)[0] for w in block.parameters()}
    saved = {}

    def pack(t):
        ptr, nbytes = storage(t)
        if ptr not in weights and t.dim() == 4:
            saved[ptr] = (nbytes, t.shape[1])
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        block(x.clone().requires_grad_())
    return saved


def run(p):
    g = seed()
    ir = InvertedResidual(24, 24, stride=1, expand_ratio=T)  # 24 → 144 → 144 → 24
    bottle = Bottleneck(256, 64)  # 256 → 64 → 64 → 256
    x_ir = torch.randn(1, 24, HW, HW, generator=g)  # (N, C, H, W) = (1, 24, 56, 56)
    x_bt = torch.randn(1, 256, HW, HW, generator=g)  # (1, 256, 56, 56)

    # which networks use it: torchvision MobileNetV2 and EfficientNet-B0, built on meta (shapes only)
    with torch.device("meta"):
        nets = {"mobilenet_v2": (models.mobilenet_v2(weights=None), InvertedResidual),
                "efficientnet_b0": (models.efficientnet_b0(weights=None), MBConv)}
    found = {}
    for name, (net, kind) in nets.items():
        blocks = [b for b in net.modules() if isinstance(b, kind)]
        # (block input channels, depthwise conv channels) per block
        io = [(convs(b)[0].in_channels, next(c for c in convs(b) if c.groups > 1).in_channels) for b in blocks]
        found[name] = {"blocks": len(blocks), "expanding": sum(d > c for c, d in io),
                       "ratios": sorted({d // c for c, d in io}), "first_ratio": io[0][1] // io[0][0]}
    p.claim(
        "Used in MobileNetV2/EfficientNet",
        "inverted-residual blocks in torchvision mobilenet_v2 (InvertedResidual) and efficientnet_b0 (MBConv); "
        "blocks whose depthwise conv is wider than the block input: " + " · ".join(
            f"{n}: {f['blocks']} blocks, {f['expanding']} expand (ratios {f['ratios']})" for n, f in found.items()),
        " · ".join(f"{n.split('_')[0]} {f['expanding']}/{f['blocks']}" for n, f in found.items()) + " expand",
        holds=all(f["expanding"] >= f["blocks"] - 1 > 0 and T in f["ratios"] for f in found.values()),
        note="Expansion of each network's first block: "
        + ", ".join(f"{n} {f['first_ratio']}" for n, f in found.items()) + " (no 1×1 expand there).",
        data={n: f for n, f in found.items()},
    )

    w_ir, w_bt = widths(ir), widths(bottle)
    dw = convs(ir)[1]
    hi = w_ir[1]
    p.by_definition(
        "Expands channels, depthwise conv, projects back",
        "how the block is built: torchvision InvertedResidual(24, 24, expand_ratio=6) has widths "
        f"{' → '.join(map(str, w_ir))} and its 3×3 conv has groups = channels = {dw.groups} (depthwise)",
        " → ".join(map(str, w_ir)),
        data={"ir_widths": w_ir, "dw_groups": dw.groups},
    )
    p.by_definition(
        "Opposite of the ResNet bottleneck",
        f"how the blocks are built: inverted {' → '.join(map(str, w_ir))} (narrow → wide → narrow) vs "
        f"Bottleneck(256, 64) {' → '.join(map(str, w_bt))} (wide → narrow → wide). The seed's parenthetical "
        "'(Low → High → Low)' describes the inverted block, not ResNet's.",
        " → ".join(map(str, w_bt)) + " in ResNet",
        data={"bottleneck_widths": w_bt},
    )

    # depthwise vs dense 3×3 at the expanded width
    with torch.device("meta"):
        dense = nn.Conv2d(hi, hi, 3, padding=1, bias=False)
        dwm = nn.Conv2d(hi, hi, 3, padding=1, groups=hi, bias=False)
        xm = torch.empty(1, hi, HW, HW)  # (1, 144, 56, 56)
    p_dw, p_dense, m_dw, m_dense = params(dwm), params(dense), macs(dwm, xm), macs(dense, xm)
    block_macs = macs(ir.eval(), x_ir)
    share_macs = spatial_share(ir, x_ir)  # depthwise MACs ÷ all conv MACs of the block
    p.claim(
        "The depthwise conv in high dim has few params",
        f"3×3 conv at {hi} channels, {HW}×{HW}: depthwise vs dense params and MACs",
        f"{p_dw:,} vs {p_dense:,} dense ({p_dense // p_dw}×)",
        holds=p_dw * 100 < p_dense and m_dw * 100 < m_dense,
        data={"dw_params": p_dw, "dense_params": p_dense, "dw_macs": m_dw, "dense_macs": m_dense,
              "ir_block_macs": block_macs, "ir_block_params": params(ir)},
    )
    p.claim(
        "…the depthwise conv is the heavy part",
        f"its share of the block's multiply-adds ({fmt(m_dw)} of {fmt(block_macs)} MACs at {HW}×{HW})",
        f"{share_macs:.0%} of the block's MACs",
        holds=share_macs > 0.5,
        note=f"The 1×1 expand and project convs do the other {1 - share_macs:.0%}: the depthwise conv is the "
        "light part of the block. With a dense 3×3 in its place the same count gives the 3×3 conv the most.",
        data={"dw_share_of_macs": share_macs},
    )

    skip_ir, skip_bt, expanded = x_ir.numel(), x_bt.numel(), hi * HW * HW
    p.by_definition(
        "the skip carries the narrow tensor",
        "construction: the skip adds the block's input, which has the narrow width "
        f"({skip_ir:,} elements vs {expanded:,} for one expanded tensor; ResNet's bottleneck skip {skip_bt:,})",
        f"{skip_ir:,} vs {expanded:,} expanded",
        data={"skip_ir": skip_ir, "skip_bottleneck": skip_bt, "expanded": expanded}, added=True,
    )

    pk_ir, pk_bt = peak_live(ir.eval(), x_ir), peak_live(bottle.eval(), x_bt)
    sv_ir = saved_for_backward(ir.train(), x_ir)
    sv_bt = saved_for_backward(bottle.train(), x_bt)
    sv_total = sum(b for b, _ in sv_ir.values())
    sv_wide = sum(b for b, c in sv_ir.values() if c == hi)
    sv_bt_total = sum(b for b, _ in sv_bt.values())
    share = expanded_share(ir, x_ir)  # bytes of expanded tensors in the peak
    in_ir, in_bt = skip_ir * x_ir.element_size(), skip_bt * x_bt.element_size()  # block input bytes
    p.claim(
        "Memory efficient",
        "inference: max over layers of live bytes (block input + layer input + output, forward hooks); "
        f"peak {fmt(pk_ir['bytes'])}B at {pk_ir['layer']} (channels {pk_ir['channels']}), {pk_ir['bytes'] / in_ir:.3g}× "
        f"its input (bottleneck {fmt(pk_bt['bytes'])}B, {pk_bt['bytes'] / in_bt:.3g}×); training: bytes autograd "
        f"saves for backward {fmt(sv_total)}B ({sv_wide / sv_total:.0%} at {hi} ch) vs bottleneck {fmt(sv_bt_total)}B",
        f"expanded tensors {share:.0%} of peak memory",
        holds=share < 0.5,
        partly=True,
        note="What holds: only the narrow tensor crosses between blocks (skip, stage outputs), so the network's "
        f"stored state is small. What fails: inside the block, eager PyTorch materialises the {T}× expanded "
        f"tensors, {share:.0%} of the peak and {sv_wide / sv_total:.0%} of what training keeps. MobileNetV2's memory "
        "argument needs an implementation that streams the expansion in chunks.",
        data={"ir_peak_bytes": pk_ir["bytes"], "ir_peak_layer": pk_ir["layer"], "ir_peak_channels": pk_ir["channels"],
              "bottleneck_peak_bytes": pk_bt["bytes"], "bottleneck_peak_channels": pk_bt["channels"],
              "ir_saved_bytes": sv_total, "ir_saved_wide_bytes": sv_wide, "bottleneck_saved_bytes": sv_bt_total,
              "expanded_share_of_peak": share},
    )
    p.bars(f"where the block's multiply-adds go (InvertedResidual 24→{hi}→24, {HW}×{HW})",
           dict(zip(["1×1 expand", f"3×3 depthwise ({hi} ch)", "1×1 project"], conv_macs(ir, x_ir))), unit="MACs")
    p.takeaway(f"the depthwise 3×3 is the light part ({share_macs:.0%} of MACs, {p_dense // p_dw}× fewer params than "
               f"dense); the expanded tensors are {share:.0%} of peak memory: only the narrow skip is cheap")
