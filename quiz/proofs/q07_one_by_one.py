"""Q7: Why use 1×1 convolutions in bottlenecks? — count parameters and FLOPs of a 3×3 conv on
64 vs 256 channels, then compare torchvision's ResNet Bottleneck (1×1 256→64, 3×3 64→64,
1×1 64→256) with two 3×3 convs at 256 channels (torchvision BasicBlock): params, FLOPs, CPU time."""

import statistics
import time

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck  # the real ResNet blocks

from quiz.proofs._tools import fmt, macs, params, seed


def _median_ms(blocks, x, runs=7):
    """Median wall time (ms) of each block's forward on x (run_proof gives proofs one thread):
    warmed up, runs interleaved so load hits all blocks alike."""
    times = [[] for _ in blocks]
    with torch.no_grad():
        for b in blocks:  # warm-up: oneDNN builds its kernels on the first call
            b(x), b(x)
        for _ in range(runs):
            for t, b in zip(times, blocks):
                start = time.perf_counter()
                b(x)
                t.append((time.perf_counter() - start) * 1e3)
    return [statistics.median(t) for t in times], times


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
    neck = Bottleneck(256, 64).eval()  # 1×1 256→64, 3×3 64→64, 1×1 64→256 (+ BN, ReLU, identity)
    basic = BasicBlock(256, 256).eval()  # 3×3 256→256, 3×3 256→256 (+ BN, ReLU, identity)
    shapes = {}  # conv name → (channels in, channels out), seen by forward hooks
    for name in ("conv1", "conv2", "conv3"):
        hook = lambda m, i, o, n=name: shapes.__setitem__(n, (i[0].shape[1], o.shape[1]))  # noqa: E731
        getattr(neck, name).register_forward_hook(hook)
    x = torch.randn(1, 256, 28, 28)  # (N, C, H, W) = (1, 256, 28, 28)
    with torch.no_grad():
        y = neck(x)  # (1, 256, 28, 28)
    p.claim(
        "1×1 convs reduce dimensionality before the expensive 3×3",
        "channels in → out of each conv in torchvision's Bottleneck(256, 64), hooked",
        " → ".join(f"{a}→{b}" for n, (a, b) in shapes.items()),
        shapes["conv1"] == (256, 64) and shapes["conv2"] == (64, 64) and shapes["conv3"] == (64, 256),
        data={"channels": {n: list(v) for n, v in shapes.items()}},
    )

    # --- the whole bottleneck vs two 3×3 convs at 256: params and FLOPs (56×56)
    with meta:
        neck_m, basic_m = Bottleneck(256, 64), BasicBlock(256, 256)
    pn, pb = params(neck_m), params(basic_m)
    mn = macs(neck_m, torch.empty(1, 256, 56, 56, device=meta))
    mb = macs(basic_m, torch.empty(1, 256, 56, 56, device=meta))
    one3 = 9 * 256 * 256  # the rival the answer has in mind: one 3×3 conv at 256 channels
    mn_convs = sum(params(c) for c in (neck_m.conv1, neck_m.conv2, neck_m.conv3))
    p.claim(
        "so the 1×1s make the 3×3 at 256 channels cheap",
        "conv weights of torchvision Bottleneck(256, 64) (1×1 256→64, 3×3 64→64, 1×1 64→256) vs one 3×3 conv "
        f"256→256 (the fair rival: same input and output) and vs BasicBlock(256, 256) (two 3×3s); MACs at 56×56",
        f"{one3 / mn_convs:.1f}× fewer than one 3×3 @256",
        holds=one3 / mn_convs > 4,
        note=f"Not 16×: the two 1×1s cost {params(neck_m.conv1) + params(neck_m.conv3):,} weights themselves, so "
        f"the block is {one3 / mn_convs:.1f}× cheaper than a single 3×3 at 256 channels. Against two 3×3s "
        f"(BasicBlock(256, 256)) it is {pb / pn:.1f}× in params and {mb / mn:.1f}× in MACs, but that compares "
        "two layers with three.",
        data={"bottleneck_params": pn, "basic_params": pb, "bottleneck_macs": mn, "basic_macs": mb,
              "one_3x3_params": one3, "bottleneck_conv_params": mn_convs, "fair_ratio": one3 / mn_convs},
    )

    # --- measured CPU time (28×28 to keep the proof fast; the ratio of work is the same)
    (tn, tb), raw = _median_ms([neck, basic], x)
    p.claim(
        "faster on a CPU than two 3×3s at 256",
        "median forward time of 7 interleaved runs, 1 thread, torch.no_grad, batch 1, 256×28×28",
        f"{tn:.2f} vs {tb:.2f} ms ({tb / tn:.1f}×)",
        tb > tn, added=True,
        note=f"wall-clock time varies with machine and load (timed on one thread, as other processes share the "
        f"CPU); the MAC ratio ({mb / mn:.1f}×) is the hardware-independent number — time also pays for memory "
        "traffic, BN/ReLU and per-layer overhead, which MACs do not count",
        data={"bottleneck_ms": tn, "basic_ms": tb, "bottleneck_runs_ms": raw[0], "basic_runs_ms": raw[1]},
    )

    # --- figure: where the parameters are
    p.bars("Conv weights per layer: bottleneck vs one 3×3 at 256 channels",
           {"bottleneck 1×1 256→64": params(neck_m.conv1), "bottleneck 3×3 64→64": params(neck_m.conv2),
            "bottleneck 1×1 64→256": params(neck_m.conv3), "one 3×3 256→256": one3})
    p.takeaway(f"a 3×3 at 64 ch costs 1/{p256 // p64} of one at 256; with the two 1×1s the whole bottleneck is "
               f"{one3 / mn_convs:.1f}× cheaper than one 3×3 at 256, not 16×")
