"""Explain the inverted residual block — torchvision's MobileNetV2 InvertedResidual (24 ch, expansion 6) vs
ResNet-50's Bottleneck (256 ch), both at their networks' 56×56 stage: widths, depthwise vs dense 3×3,
what the skip carries, and peak activation memory at inference, computed all at once (as PyTorch runs it) and
streamed in slices (MobileNetV2 §5.1), plus what training keeps (saved-tensor hooks).
"""

import copy

import torch
from torch import nn
from torchvision import models
from torchvision.models.efficientnet import (
    MBConv,  # EfficientNet's inverted residual (+ squeeze-excitation)
)
from torchvision.models.mobilenetv2 import InvertedResidual  # MobileNetV2 block
from torchvision.models.resnet import Bottleneck  # ResNet-50 block

from quiz.proofs import Knob
from quiz.proofs._tools import fmt, macs, params, seed

HW, T = 56, 6  # spatial size; MobileNetV2 expansion ratio
KNOBS = {
    "depthwise": Knob(True, "the 3×3 conv filters each channel alone (groups = channels); off: a dense 3×3",
                      control=False, says="dense 3×3"),
    "chunks": Knob(1, "slices of the hidden channels computed at a time at inference (1: all at once, as "
                   "PyTorch runs the block)", control=T, says=f"streamed in {T} slices", low=1, high=144),
    "inverted": Knob(True, "narrow → wide → narrow (off: ResNet's order at the same widths, 144 → 24 → 144)",
                     control=False, says="ResNet order"),
}


def convs(block):
    return [m for m in block.modules() if isinstance(m, nn.Conv2d)]


def widths(block):
    # channels along the block, read from the conv weight shapes (cout, cin/groups, k, k)
    return [convs(block)[0].in_channels] + [c.weight.shape[0] for c in convs(block)]


def storage(t):
    return t.untyped_storage().data_ptr(), t.untyped_storage().nbytes()


class Peak:
    """The most bytes alive at once over the calls (one storage counted once: in-place ReLU6), and how many of
    those bytes were in tensors wider than `narrow` channels."""

    def __init__(self, narrow):
        self.narrow, self.bytes, self.wide, self.channels = narrow, 0, 0, []

    def __call__(self, *tensors):
        alive = {storage(t)[0]: (storage(t)[1], t.shape[1]) for t in tensors if t is not None}
        total = sum(b for b, _ in alive.values())
        if total > self.bytes:
            self.bytes, self.channels = total, sorted(c for _, c in alive.values())
            self.wide = sum(b for b, c in alive.values() if c > self.narrow)


def forward(block, x, chunks=1, peak=None):
    """block(x) at inference (an InvertedResidual with a 1×1 expand), its hidden channels computed `chunks` slices
    at a time: MobileNetV2 §5.1's memory-efficient implementation. chunks=1 computes the whole hidden tensor at
    once, op by op as torchvision's forward does. peak(...) sees, at every op, what is alive: the block input
    (kept for the skip), the output summed so far, and the op's input and output."""
    (e_conv, e_bn, _), (d_conv, d_bn, _), p_conv, p_bn = block.conv
    assert d_conv.groups == d_conv.in_channels  # depthwise: each hidden channel's slice is computed alone
    norm = lambda bn, t, sl=slice(None): nn.functional.batch_norm(  # eval-mode BN on these channels
        t, bn.running_mean[sl], bn.running_var[sl], bn.weight[sl], bn.bias[sl], False, 0.0, bn.eps)
    hidden = e_conv.out_channels
    chunks = min(chunks, hidden)
    peak = peak or (lambda *t: None)
    out = None  # (N, C_out, H, W): the project conv's output, summed over the slices
    with torch.no_grad():
        for i in range(chunks):
            sl = slice(hidden * i // chunks, hidden * (i + 1) // chunks)
            a = nn.functional.conv2d(x, e_conv.weight[sl])  # 1×1 expand: (N, hidden/chunks, H, W)
            peak(x, out, a)
            b = nn.functional.relu6(norm(e_bn, a, sl), inplace=True)
            peak(x, out, a, b)
            c = nn.functional.conv2d(b, d_conv.weight[sl], padding=d_conv.padding, groups=sl.stop - sl.start)
            peak(x, out, b, c)  # depthwise 3×3: each channel alone, so a slice needs only its own channels
            d = nn.functional.relu6(norm(d_bn, c, sl), inplace=True)
            peak(x, out, c, d)
            part = nn.functional.conv2d(d, p_conv.weight[:, sl])  # 1×1 project: this slice's share of the output
            peak(x, out, d, part)
            out = part if out is None else out.add_(part)
        y = norm(p_bn, out)
        peak(x, out, y)
        if block.use_res_connect:
            z = x + y  # the skip
            peak(x, y, z)
            y = z
    return y


def memory(block, x, chunks):
    """Peak of forward(block, x, chunks), and the share of it in tensors wider than the block's narrowest width."""
    pk = Peak(narrow=min(x.shape[1], block.conv[0][0].out_channels))
    forward(block, x, chunks, pk)
    return {"bytes": pk.bytes, "channels": pk.channels, "wide_share": pk.wide / pk.bytes}


def conv_macs(block, x):
    """Multiply-adds of each conv of the block, counted on the input that conv really receives."""
    inputs = {}
    handles = [c.register_forward_hook(lambda m, i, o: inputs.__setitem__(m, i[0])) for c in convs(block)]
    with torch.no_grad():
        block.eval()(x)
    for h in handles:
        h.remove()
    return [macs(c, inputs[c]) for c in convs(block)]


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
    depthwise, chunks, inverted = p.options["depthwise"], p.options["chunks"], p.options["inverted"]
    ir = InvertedResidual(24, 24, stride=1, expand_ratio=T).eval()  # 24 → 144 → 144 → 24
    bottle = Bottleneck(256, 64)  # 256 → 64 → 64 → 256
    x_ir = torch.randn(1, 24, HW, HW, generator=g)  # (N, C, H, W) = (1, 24, 56, 56)
    x_bt = torch.randn(1, 256, HW, HW, generator=g)  # (1, 256, 56, 56)
    w_ir, w_bt = widths(ir), widths(bottle)
    hi = w_ir[1]

    def with_dense_3x3(block):
        # a copy of the block with a dense 3×3 (groups 1) in the depthwise conv's place; `ir` stays depthwise
        dense = copy.deepcopy(block)
        dense.conv[1][0] = nn.Conv2d(hi, hi, 3, padding=1, bias=False)
        return dense

    if p.measures():  # reads of torchvision's architectures and arithmetic: the proof as it is only
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
        p.by_definition(
            "Used in MobileNetV2/EfficientNet",
            "how torchvision builds them: inverted-residual blocks in mobilenet_v2 (InvertedResidual) and "
            "efficientnet_b0 (MBConv); blocks whose depthwise conv is wider than the block input: " + " · ".join(
                f"{n}: {f['blocks']} blocks, {f['expanding']} expand (ratios {f['ratios']}, the first block "
                f"{f['first_ratio']}: no 1×1 expand there)" for n, f in found.items()),
            " · ".join(f"{n.split('_')[0]} {f['expanding']}/{f['blocks']}" for n, f in found.items()) + " expand",
            data={n: f for n, f in found.items()},
        )
        p.by_definition(
            "Expands channels, depthwise conv, projects back",
            "how the block is built: torchvision InvertedResidual(24, 24, expand_ratio=6) has widths "
            f"{' → '.join(map(str, w_ir))} and its 3×3 conv has groups = channels = {convs(ir)[1].groups} (depthwise)",
            " → ".join(map(str, w_ir)),
            data={"ir_widths": w_ir, "dw_groups": convs(ir)[1].groups},
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
        p.by_definition(
            "The depthwise conv in high dim has few params",
            f"arithmetic: a depthwise 3×3 has one 3×3 filter per channel (3·3·{hi}), a dense one 3·3·{hi}·{hi}; "
            f"counted on the layers at {hi} channels, {HW}×{HW}: MACs {fmt(m_dw)} vs {fmt(m_dense)}",
            f"{p_dw:,} vs {p_dense:,} dense ({p_dense // p_dw}×)",
            data={"dw_params": p_dw, "dense_params": p_dense, "dw_macs": m_dw, "dense_macs": m_dense,
                  "ir_block_macs": macs(ir, x_ir), "ir_block_params": params(ir)},
        )

    if p.measures("depthwise"):
        # [1×1 expand, 3×3, 1×1 project] with the 3×3 depthwise and with a dense 3×3 in its place
        counts = {True: conv_macs(ir, x_ir), False: conv_macs(with_dense_3x3(ir), x_ir)}
        shares = {dw: c[1] / sum(c) for dw, c in counts.items()}  # the 3×3's share of the block's conv MACs
        per_conv, share_macs = counts[depthwise], shares[depthwise]  # the 3×3 this run judges
        kind, other = ("depthwise", "dense") if depthwise else ("dense", "depthwise")
        part = lambda share: "heavy" if share > 0.5 else "light"
        cheap = (" Depthwise is what makes the wide 3×3 cheap." if shares[True] < 0.5 < shares[False]
                 else "")
        p.claim(
            "…the depthwise conv is the heavy part",
            f"its share of the block's multiply-adds ({fmt(per_conv[1])} of {fmt(sum(per_conv))} conv MACs at "
            f"{HW}×{HW}, the 3×3 {kind})",
            f"{share_macs:.0%} of the block's MACs",
            holds=share_macs > 0.5,
            note=f"The 1×1 expand and project convs do the other {1 - share_macs:.0%}: the {kind} 3×3 is the "
            f"{part(share_macs)} part of the block. A {other} 3×3 in its place takes {shares[not depthwise]:.0%} "
            f"of the same count ({part(shares[not depthwise])}).{cheap}",
            data={"dw_share_of_macs": share_macs, "conv_macs": per_conv, "depthwise": depthwise},
            control="depthwise",
        )

    if p.measures():
        skip_ir, skip_bt, expanded = x_ir.numel(), x_bt.numel(), hi * HW * HW
        p.by_definition(
            "the skip carries the narrow tensor",
            "construction: the skip adds the block's input, which has the narrow width "
            f"({skip_ir:,} elements vs {expanded:,} for one expanded tensor; ResNet's bottleneck skip {skip_bt:,})",
            f"{skip_ir:,} vs {expanded:,} expanded",
            data={"skip_ir": skip_ir, "skip_bottleneck": skip_bt, "expanded": expanded}, added=True,
        )

    if p.measures("chunks", "inverted"):
        # ResNet's order at the same widths for the control: 144 → 24 → 24 → 144 (a 1×1 that narrows first)
        block = ir if inverted else InvertedResidual(hi, hi, stride=1, expand_ratio=1 / T).eval()
        x = x_ir if inverted else torch.randn(1, hi, HW, HW, generator=g)  # (1, 24 or 144, 56, 56)
        narrow = min(x.shape[1], widths(block)[1])  # 24 either way
        as_run, streamed = memory(block, x, chunks), memory(block, x, T)  # chunks=1: as PyTorch runs it
        sv = saved_for_backward(block.train(), x)
        block.eval()
        sv_total, sv_wide = sum(b for b, _ in sv.values()), sum(b for b, c in sv.values() if c > narrow)
        ws = lambda m: f"{m['wide_share']:.0%}"

        def way(m, k):  # what this run measured for one way of running the block, in words
            how = ("op by op as PyTorch runs torchvision's block (whole tensors)" if k == 1
                   else f"computed {k} slices at a time")
            wide = (f"all in tensors ≤ {narrow} ch" if m["wide_share"] == 0
                    else f"{ws(m)} of it in tensors wider than {narrow} ch")
            whole = (" — the expanded tensor is never whole (MobileNetV2 §5.1)"
                     if inverted and k > 1 and m["wide_share"] < 0.5 else "")
            return f"{how}, the peak is {m['bytes'] / x.nbytes:.3g}× the block input, {wide}{whole}"

        ways = [(as_run, chunks)] + ([(streamed, T)] if chunks != T else [])
        good = [way(m, k) for m, k in ways if m["wide_share"] < 0.5]
        bad = [way(m, k) for m, k in ways if m["wide_share"] >= 0.5]
        note = " ".join([f"What holds: {'; '.join(good)}."] * bool(good) + [f"What fails: {'; '.join(bad)}."] * bool(bad))
        note += (f" Training: autograd keeps {sv_wide / sv_total:.0%} of what it saves for backward in tensors wider "
                 f"than {narrow} ch.")
        if inverted:
            note += (f" --control also runs ResNet's order ({hi} → {narrow} → {narrow} → {hi}), where the wide "
                     "tensors are the block's own input and output.")
        elif streamed["wide_share"] >= 0.5:
            note += " In ResNet's order the wide tensors are the block's own input and output: slicing cannot avoid them."
        p.claim(
            "Memory efficient",
            f"inference, {'InvertedResidual' if inverted else 'the same block in ResNet order'} "
            f"{' → '.join(map(str, widths(block)))}: peak bytes alive at once (block input, output so far, each op's "
            f"input and output), the hidden channels computed {chunks} slice(s) at a time, and streamed in {T} "
            f"slices as MobileNetV2 §5.1 does: peak {fmt(as_run['bytes'])}B = {as_run['bytes'] / x.nbytes:.3g}× the "
            f"block input, {ws(as_run)} in tensors wider than {narrow} ch; streamed {fmt(streamed['bytes'])}B, "
            f"{ws(streamed)}. Training: autograd keeps {fmt(sv_total)}B, {sv_wide / sv_total:.0%} of it wider than "
            f"{narrow} ch",
            f"wide tensors {ws(as_run)} of peak, streamed {ws(streamed)}",
            holds=as_run["wide_share"] < 0.5,  # the memory is dominated by the narrow tensors
            partly=streamed["wide_share"] < 0.5,
            note=note,
            data={"chunks": chunks, "inverted": inverted, "peak_bytes": as_run["bytes"],
                  "peak_channels": as_run["channels"], "wide_share": as_run["wide_share"],
                  "streamed_peak_bytes": streamed["bytes"], "streamed_wide_share": streamed["wide_share"],
                  "input_bytes": x.nbytes, "saved_bytes": sv_total, "saved_wide_bytes": sv_wide},
            control=("chunks", "inverted"),
        )

    if p.measures():
        p.bars(f"where the block's multiply-adds go (InvertedResidual 24→{hi}→24{'' if depthwise else ', dense 3×3'}"
               f", {HW}×{HW})",
               dict(zip(["1×1 expand", f"3×3 {kind} ({hi} ch)", "1×1 project"], per_conv)), unit="MACs")
        mac_part = (f"the depthwise 3×3 is the {part(share_macs)} part ({share_macs:.0%} of MACs, {p_dense // p_dw}× "
                    "fewer params than dense)" if depthwise else
                    f"a dense 3×3 in the depthwise conv's place is the {part(share_macs)} part ({share_macs:.0%} of "
                    f"MACs; depthwise has {p_dense // p_dw}× fewer params)")
        wide_name = "expanded tensors" if inverted else f"the wide ({hi}-ch) tensors"
        if as_run["wide_share"] >= 0.5 > streamed["wide_share"]:
            mem_part = f"{wide_name} are {ws(as_run)} of the peak unless the block is streamed in slices ({ws(streamed)})"
        elif chunks == T:
            mem_part = f"{wide_name} are {ws(as_run)} of the peak streamed in {T} slices"
        else:
            mem_part = (f"{wide_name} are {ws(as_run)} of the peak "
                        f"{'as PyTorch runs it' if chunks == 1 else f'in {chunks} slices'}, {ws(streamed)} streamed in "
                        f"{T} slices")
        p.takeaway(f"{mac_part}; {mem_part}")
