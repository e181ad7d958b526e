"""Q7: Why use 1×1 convolutions in bottlenecks? — count parameters and FLOPs of a 3×3 conv on
64 vs 256 channels, read the channels of torchvision's ResNet Bottleneck (1×1 256→64, 3×3 64→64,
1×1 64→256), then time the whole block against one 3×3 conv at 256 channels on a CPU; the control
keeps 256 channels inside the block (no reduction)."""

import time

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck  # the real ResNet blocks

from quiz.proofs import Knob
from quiz.proofs._tools import fmt, macs, params, seed

KNOBS = {
    "width": Knob(64, "channels the first 1×1 reduces 256 to, for the 3×3 (torchvision's base_width)",
                  control=256, says="without the reduction", low=16, high=256),
}
RUNS = 7  # timed forward passes per block, interleaved


def _fastest_ms(blocks, x, runs=RUNS):
    """Fastest wall time (ms) of each block's forward on x (run_proof gives proofs one thread): warmed up,
    runs interleaved so load hits all blocks alike; the fastest run is the one least disturbed by it."""
    times = [[] for _ in blocks]
    with torch.no_grad():
        for b in blocks:  # warm-up: oneDNN builds its kernels on the first call
            b(x), b(x)
        for _ in range(runs):
            for t, b in zip(times, blocks):
                start = time.perf_counter()
                b(x)
                t.append((time.perf_counter() - start) * 1e3)
    return [min(t) for t in times], times


def run(p):
    seed()
    meta = torch.device("meta")  # params and FLOPs need shapes only

    # --- a 3×3 conv on 64 channels vs on 256 channels
    c64 = nn.Conv2d(64, 64, 3, padding=1, bias=False, device=meta)
    c256 = nn.Conv2d(256, 256, 3, padding=1, bias=False, device=meta)
    p64, p256 = params(c64), params(c256)
    m64 = macs(c64, torch.empty(1, 64, 56, 56, device=meta))  # (N, C, H, W) = (1, 64, 56, 56)
    m256 = macs(c256, torch.empty(1, 256, 56, 56, device=meta))  # (1, 256, 56, 56)
    p.by_definition(
        "3×3 on 64 channels is 16× cheaper than on 256",
        "arithmetic: a conv has k·k·C_in·C_out weights and as many multiply-adds per output pixel, so "
        f"dividing both C_in and C_out by 4 divides both by 16 (nn.Conv2d agrees: {p64:,} vs {p256:,} params, "
        f"{fmt(m64)} vs {fmt(m256)} MACs at 56×56)",
        f"{p256 / p64:.2f}× params, {m256 / m64:.2f}× MACs",
        data={"params_64": p64, "params_256": p256, "ratio": p256 / p64, "macs_64": m64, "macs_256": m256,
              "macs_ratio": m256 / m64},
    )

    # --- the 1×1 reduces 256 → 64 before the 3×3 (shapes hooked in torchvision's Bottleneck)
    shapes = {}  # conv name → (channels in, channels out), seen by forward hooks
    with meta:
        answer = Bottleneck(256, 64)  # the answer's example: 1×1 256→64, 3×3 64→64, 1×1 64→256
    for name in ("conv1", "conv2", "conv3"):
        hook = lambda m, i, o, n=name: shapes.__setitem__(n, (i[0].shape[1], o.shape[1]))  # noqa: E731
        getattr(answer, name).register_forward_hook(hook)
    answer(torch.empty(1, 256, 28, 28, device=meta))  # (N, C, H, W) = (1, 256, 28, 28)
    p.by_definition(
        "1×1 convs reduce dimensionality before the expensive 3×3",
        "architecture read: torchvision's Bottleneck(256, 64) is built so; the channels in → out of each conv, "
        "hooked in a forward pass, agree",
        " → ".join(f"{a}→{b}" for n, (a, b) in shapes.items()),
        data={"channels": {n: list(v) for n, v in shapes.items()}},
    )

    # --- the whole bottleneck vs one 3×3 conv at 256: MACs, and CPU time (28×28 to keep the proof fast)
    width = p.options["width"]  # 64: the answer's block; 256 (the control): no reduction
    with meta:
        neck_m, basic_m = Bottleneck(256, 64, base_width=width), BasicBlock(256, 256)
        one3_m = nn.Conv2d(256, 256, 3, padding=1, bias=False)  # the rival, counted the same way
    x = torch.randn(1, 256, 28, 28)  # (N, C, H, W) = (1, 256, 28, 28)
    neck = Bottleneck(256, 64, base_width=width).eval()  # 1×1 256→w, 3×3 w→w, 1×1 w→256 (+ BN, ReLU, identity)
    one3 = nn.Conv2d(256, 256, 3, padding=1, bias=False).eval()  # the rival: same input and output
    (tn, t3), raw = _fastest_ms([neck, one3], x)
    mn = macs(neck_m, torch.empty(1, 256, 28, 28, device=meta))
    m3, mb = (macs(m, torch.empty(1, 256, 28, 28, device=meta)) for m in (one3_m, basic_m))

    def fewer(a, b):  # b's MACs against a's, in words
        return f"{a / b:.1f}× fewer" if a >= b else f"{b / a:.1f}× more"
    convs = [params(c) for c in (neck_m.conv1, neck_m.conv2, neck_m.conv3)]
    p.claim(
        "so the 1×1s make the 3×3 at 256 channels cheap",
        f"CPU time of torchvision's Bottleneck(256, 64) (1×1 256→{width}, 3×3 {width}→{width}, 1×1 {width}→256, "
        f"with its BN, ReLU and identity) vs one 3×3 conv 256→256 (the fair rival: same input and output): "
        f"fastest of {RUNS} interleaved runs, 1 thread, torch.no_grad, batch 1, 256×28×28; MACs counted",
        f"{mn / m3:.2f}× the MACs, {tn / t3:.2f}× the time",
        holds=t3 > 2 * tn,  # cheap: under half the time of the 3×3 it replaces
        note=f"Not 16×: the two 1×1s cost {convs[0] + convs[2]:,} weights themselves, so the block does "
        f"{fewer(m3, mn)} multiply-adds than one 3×3 at 256 channels ({fmt(mn)} vs {fmt(m3)}). Time "
        f"({tn:.2f} vs {t3:.2f} ms) is not MACs: the block also pays for BN, ReLU and three layers' overhead, the "
        f"wide 3×3 streams {params(one3) * 4 / 2**20:.1f} MB of weights, and wall time varies with machine and "
        f"load. Against two 3×3s (BasicBlock(256, 256), {fmt(mb)} MACs) the ratio is {mb / mn:.1f}×, but that "
        "compares two layers with three. "
        + (f"Without the reduction (width {width}) the three convs do {'more' if mn > m3 else 'less'} work than the "
           f"one 3×3 and the block is {'slower' if tn > t3 else 'faster'} than the conv it was meant to cheapen."
           if width == KNOBS["width"].control else
           f"--control keeps {KNOBS['width'].control} channels inside the block (no reduction)."),
        data={"width": width, "bottleneck_macs": mn, "one_3x3_macs": m3, "basic_macs": mb,
              "bottleneck_conv_params": sum(convs), "mac_ratio": m3 / mn, "bottleneck_ms": tn, "one_3x3_ms": t3,
              "bottleneck_runs_ms": raw[0], "one_3x3_runs_ms": raw[1]},
        control="width",
    )

    # --- figure: where the parameters are
    p.bars(f"Conv weights per layer: bottleneck (width {width}) vs one 3×3 at 256 channels",
           {f"bottleneck 1st 1×1 256→{width}": convs[0], f"bottleneck 3×3 {width}→{width}": convs[1],
            f"bottleneck last 1×1 {width}→256": convs[2], "one 3×3 256→256": params(one3)})
    speed = f"runs {t3 / tn:.1f}× faster" if t3 > tn else f"runs {tn / t3:.1f}× slower"
    p.takeaway(f"a 3×3 at 64 ch costs 1/{p256 // p64} of one at 256; with the two 1×1s the whole bottleneck "
               f"(width {width}) does {fewer(m3, mn)} MACs than one 3×3 at 256 (not 16×) and {speed}")
