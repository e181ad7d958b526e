"""ResNet-18/34 vs ResNet-50/101/152? — torchvision's BasicBlock vs Bottleneck (params, FLOPs, layer
shapes), and the five ResNets built on the meta device: params, MACs at 224×224, weighted layers.
"""

import torch
from torch import nn
from torchvision import models
from torchvision.models.resnet import BasicBlock, Bottleneck

from quiz.proofs._tools import fmt, macs, params, seed, without_bn

HW = 56  # spatial size of ResNet stage 1 at 224×224 input
DEPTHS = (18, 34, 50, 101, 152)


def convs(block):
    return [m for m in block.modules() if isinstance(m, nn.Conv2d)]


def arithmetic(block):
    # "k·k·cin·cout + …" from the conv weight shapes (cout, cin, k, k)
    terms = [(w.shape[2], w.shape[3], w.shape[1], w.shape[0]) for w in (c.weight for c in convs(block))]
    total = sum(a * b * c * d for a, b, c, d in terms)
    return " + ".join(f"{a}·{b}·{c}·{d}" for a, b, c, d in terms) + f" = {total:,}", total


def weighted_layers(model):
    # conv + fc on the main path; the 1×1 projection shortcuts (downsample) are not counted in the name
    skip = {id(m) for name, m in model.named_modules() if "downsample" in name}
    return sum(isinstance(m, (nn.Conv2d, nn.Linear)) and id(m) not in skip for m in model.modules())


def run(p):
    seed()
    meta = torch.device("meta")
    with meta:
        basic = BasicBlock(256, 256)  # two 3×3 convs, 256 → 256
        bottle = Bottleneck(256, 64)  # 1×1 256→64, 3×3 64→64, 1×1 64→256 (expansion 4)
        basic64 = BasicBlock(64, 64)  # ResNet-34 stage-1 block (same inner width as the bottleneck)
        x256 = torch.empty(1, 256, HW, HW)  # (N, C, H, W) = (1, 256, 56, 56)
        x64 = torch.empty(1, 64, HW, HW)
    for b in (basic, bottle, basic64):
        b.eval()  # eval-mode BN: same FLOPs, and far cheaper to trace on meta than train-mode BN

    ks = lambda b: [tuple(c.kernel_size) for c in convs(b)]
    widths = lambda b: [convs(b)[0].in_channels] + [c.out_channels for c in convs(b)]
    p.by_definition(
        "Basic: two 3×3 convs; Bottleneck: 1×1 → 3×3 → 1×1",
        "how the blocks are built: torchvision's BasicBlock(256, 256) and Bottleneck(256, 64) have kernels "
        f"{ks(basic)} / {ks(bottle)} and widths {widths(basic)} / {widths(bottle)}",
        f"widths {'→'.join(map(str, widths(bottle)))}",
        data={"basic_kernels": ks(basic), "bottleneck_kernels": ks(bottle),
              "basic_widths": widths(basic), "bottleneck_widths": widths(bottle)},
    )

    sum_b, conv_b = arithmetic(basic)
    sum_k, conv_k = arithmetic(bottle)
    sum_64, conv_64 = arithmetic(basic64)
    pb, pk, p64 = params(basic), params(bottle), params(basic64)
    mb, mk, m64 = macs(basic, x256), macs(bottle, x256), macs(basic64, x64)
    fair = p64 / pk  # the same inner width (64): what the bottleneck really saves per block
    p.claim(
        "Bottleneck is more parameter efficient",
        f"one block at {HW}×{HW}: params (conv weights from shapes + BN) and MACs of Bottleneck(256, 64) vs "
        "BasicBlock(64, 64) (same inner width: the fair rival) and BasicBlock(256, 256) (same output width)",
        f"{fmt(pk)} vs {fmt(p64)} @64 · {fmt(pb)} @256",
        holds=pk * 1.5 < p64 and pk * 10 < pb,
        partly=pk * 10 < pb,
        note=f"Against two 3×3 convs at 256 channels the bottleneck is {pb / pk:.3g}× cheaper ({sum_k} vs {sum_b}), "
        f"but that rival is 4× wider inside. At the same inner width a BasicBlock(64) costs {sum_64}: "
        f"{fair:.2f}× the bottleneck, about the same. The bottleneck's gain is a third layer and a "
        f"{widths(bottle)[-1] // widths(basic64)[-1]}× wider ({widths(bottle)[-1]}-d) output for that cost: depth "
        "and width, not fewer parameters per block.",
        data={"basic_params": pb, "bottleneck_params": pk, "basic_conv_params": conv_b,
              "bottleneck_conv_params": conv_k, "basic_macs": mb, "bottleneck_macs": mk,
              "basic64_params": p64, "basic64_conv_params": conv_64, "basic64_macs": m64, "fair_ratio": fair},
    )

    rows = {}
    for depth in DEPTHS:
        with meta:
            model = getattr(models, f"resnet{depth}")(weights=None).eval()  # no download, meta tensors
            x = torch.empty(1, 3, 224, 224)
        block = type(model.layer1[0]).__name__
        rows[depth] = {"params": params(model), "layers": weighted_layers(model), "block": block}
        rows[depth]["macs"] = macs(without_bn(model), x)  # after counting params
    r34, r50 = rows[34], rows[50]
    p.bars("torchvision ResNets: weighted layers (conv + fc)",
           {f"resnet{d} ({r['block']})": r["layers"] for d, r in rows.items()})
    p.bars("torchvision ResNets: parameters (millions)", {f"resnet{d}": r["params"] / 1e6 for d, r in rows.items()},
           unit="M")
    p.claim(
        "Basic Block used in 18/34, Bottleneck in 50+",
        "block type in layer1 of each torchvision builder: " + ", ".join(f"{d}: {r['block']}" for d, r in rows.items()),
        "18, 34: Basic · 50, 101, 152: Bottleneck" if all((r["block"] == "BasicBlock") == (d < 50) for d, r in
                                                         rows.items()) else "mixed (see --explain)",
        holds=all((r["block"] == "BasicBlock") == (d < 50) for d, r in rows.items()),
        data={f"resnet{d}_block": r["block"] for d, r in rows.items()},
    )
    p.claim(
        "…for deep networks: 50 layers for few more params than 34",
        "weighted layers (conv + fc, projection shortcuts excluded), params, MACs at 224×224 (one multiply-add "
        f"each): MACs {fmt(r34['macs'])} → {fmt(r50['macs'])}",
        f"layers {r34['layers']} → {r50['layers']}, params +{r50['params'] / r34['params'] - 1:.0%}",
        holds=r50["layers"] / r34["layers"] > 1.4 and r50["params"] / r34["params"] < 1.25,
        data={f"resnet{d}": r for d, r in rows.items()},
    )
    p.takeaway(f"bottleneck: {fmt(pk)} params vs {fmt(p64)} for a BasicBlock at 64 ch; the win is depth "
               f"({r34['layers']} → {r50['layers']} layers for +{r50['params'] / r34['params'] - 1:.0%} params), "
               "not fewer params per block")
