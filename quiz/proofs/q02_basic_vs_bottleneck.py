"""ResNet-18/34 vs ResNet-50/101/152? — torchvision's BasicBlock vs Bottleneck (params, FLOPs, layer
shapes), the five ResNets built on the meta device (params, MACs at 224×224, weighted layers), and ResNet-50's
layout built again with the bottleneck's reduction changed: what the 1×1 reduce buys a deep network.
"""

import math

import torch
from torch import nn
from torchvision import models
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

from quiz.proofs import Knob
from quiz.proofs._tools import fmt, macs, params, seed, without_bn

HW = 56  # spatial size of ResNet stage 1 at 224×224 input
DEPTHS = (18, 34, 50, 101, 152)
KNOBS = {
    "reduction": Knob(4, "how much each bottleneck's 1×1 narrows its stream before the 3×3 (inner width = "
                      "output width ÷ reduction; torchvision: 4)", control=1, says="without reduction",
                      choices=(1, 2, 4, 8)),
}


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
    reduction = p.options["reduction"]  # 4 in torchvision; 1 in the control: the 3×3 runs at the full width
    meta = torch.device("meta")
    with meta:
        basic = BasicBlock(256, 256)  # two 3×3 convs, 256 → 256
        bottle = Bottleneck(256, 64, base_width=256 // reduction)  # 1×1 256→256/r, 3×3, 1×1 →256 (64·expansion 4)
        basic64 = BasicBlock(64, 64)  # ResNet-34 stage-1 block: He et al.'s rival (Fig. 5), ~ the same cost
        x256 = torch.empty(1, 256, HW, HW)  # (N, C, H, W) = (1, 256, 56, 56)
        x64 = torch.empty(1, 64, HW, HW)
    for b in (basic, bottle, basic64):
        b.eval()  # eval-mode BN: same FLOPs, and far cheaper to trace on meta than train-mode BN
    ks = lambda b: [tuple(c.kernel_size) for c in convs(b)]
    widths = lambda b: [convs(b)[0].in_channels] + [c.out_channels for c in convs(b)]

    if p.measures():  # reads of torchvision's architectures: the proof as it is only (no control judges them)
        p.by_definition(
            "Basic: two 3×3 convs; Bottleneck: 1×1 → 3×3 → 1×1",
            "how the blocks are built: torchvision's BasicBlock(256, 256) and Bottleneck(256, 64) have kernels "
            f"{ks(basic)} / {ks(bottle)} and widths {widths(basic)} / {widths(bottle)}",
            f"widths {'→'.join(map(str, widths(bottle)))}",
            data={"basic_kernels": ks(basic), "bottleneck_kernels": ks(bottle),
                  "basic_widths": widths(basic), "bottleneck_widths": widths(bottle)},
        )
        rows = {}
        for depth in DEPTHS:
            with meta:
                model = getattr(models, f"resnet{depth}")(weights=None).eval()  # no download, meta tensors
                x = torch.empty(1, 3, 224, 224)
            block = type(model.layer1[0]).__name__
            rows[depth] = {"params": params(model), "layers": weighted_layers(model), "block": block}
            rows[depth]["macs"] = macs(without_bn(model), x)  # after counting params
        split = all((r["block"] == "BasicBlock") == (d < 50) for d, r in rows.items())
        p.by_definition(
            "Basic Block used in 18/34, Bottleneck in 50+",
            "how torchvision builds them: block type in layer1 of each builder: "
            + ", ".join(f"{d}: {r['block']}" for d, r in rows.items()) + "; weighted layers (conv + fc, projection "
            "shortcuts excluded), params, MACs at 224×224: "
            + ", ".join(f"{d}: {r['layers']}, {fmt(r['params'])}, {fmt(r['macs'])}" for d, r in rows.items()),
            "18, 34: Basic · 50, 101, 152: Bottleneck" if split else "mixed (see --explain)",
            data={f"resnet{d}": r for d, r in rows.items()},
        )
        p.bars("torchvision ResNets: weighted layers (conv + fc)",
               {f"resnet{d} ({r['block']})": r["layers"] for d, r in rows.items()})
        p.bars("torchvision ResNets: parameters (millions)",
               {f"resnet{d}": r["params"] / 1e6 for d, r in rows.items()}, unit="M")

    # the deep network: ResNet-50's layout (3, 4, 6, 3 bottlenecks) with this reduction, vs ResNet-34 (basic)
    with meta:
        r34 = models.resnet34(weights=None)
    r50, plain50 = layout50(reduction), layout50(1)  # reduction 4: torchvision's resnet50 itself
    p34, l34, p50, l50 = params(r34), weighted_layers(r34), params(r50), weighted_layers(r50)
    per_m = lambda layers, n: layers / n * 1e6  # weighted layers per million parameters
    top1 = {d: getattr(models, f"ResNet{d}_Weights").IMAGENET1K_V1.meta["_metrics"]["ImageNet-1K"]["acc@1"]
            for d in (34, 50)}  # published (torchvision's weights metadata, no download)
    sum_b, conv_b = arithmetic(basic)
    sum_k, conv_k = arithmetic(bottle)
    sum_64, conv_64 = arithmetic(basic64)
    pb, pk, p64 = params(basic), params(bottle), params(basic64)
    mb, mk, m64 = macs(basic, x256), macs(bottle, x256), macs(basic64, x64)
    same = math.sqrt(conv_k / 18)  # the width of a BasicBlock (18·w² conv params) that costs what this bottleneck does
    out = widths(bottle)[-1]
    p.claim(
        "Bottleneck is more parameter efficient for deep networks",
        f"weighted layers per million params: ResNet-50's layout (bottlenecks, reduction {reduction}: 3×3 at "
        f"{widths(bottle)[1]} of {out} channels in stage 1) vs ResNet-34 (basic blocks), torchvision builders on meta",
        f"{per_m(l50, p50):.2f} vs {per_m(l34, p34):.2f} layers/M params",
        holds=per_m(l50, p50) > per_m(l34, p34),
        note=f"He et al.'s meaning (2016, §4.1, Fig. 5): a bottleneck {'→'.join(map(str, widths(bottle)))} costs "
        f"{fmt(pk)} params ({sum_k}), a BasicBlock(64) {fmt(p64)} ({sum_64}), yet it adds a third layer and "
        f"carries a {out // 64}× wider ({out}-d) stream; a BasicBlock costing the same would be {same:.0f} wide. So ResNet-50 has {l50} layers "
        f"and a 256…2048-d stream for {fmt(p50)} params, ResNet-34 {l34} layers at 64…512-d for {fmt(p34)}. "
        f"Without the reduction (--control) the same {l50} layers cost {fmt(params(plain50))}. Against "
        f"BasicBlock(256), the same output width ({sum_b}), a bottleneck is {pb / pk:.3g}× cheaper, but that rival is "
        f"wide inside. Accuracy per parameter is published, not measured: torchvision's top-1 {top1[34]:.1f}% (34) "
        f"→ {top1[50]:.1f}% (50).",
        data={"reduction": reduction, "resnet34_params": p34, "resnet34_layers": l34, "layout50_params": p50,
              "layout50_layers": l50, "same_cost_basic_width": same, "top1": top1,
              "basic_params": pb, "bottleneck_params": pk, "basic_conv_params": conv_b,
              "bottleneck_conv_params": conv_k, "basic_macs": mb, "bottleneck_macs": mk,
              "basic64_params": p64, "basic64_conv_params": conv_64, "basic64_macs": m64},
        control="reduction",
    )
    as_cheap = abs(pk / p64 - 1) < 0.15  # the bottleneck costs about what BasicBlock(64) does
    cost = (f"a bottleneck costs what a 64-wide BasicBlock does ({fmt(pk)} vs {fmt(p64)}) but" if as_cheap else
            f"a bottleneck (reduction {reduction}) costs {pk / p64:.1f}× a 64-wide BasicBlock ({fmt(pk)} vs "
            f"{fmt(p64)}) and")
    net = "ResNet-50" if reduction == 4 else f"ResNet-50's layout (reduction {reduction})"
    p.takeaway(f"{cost} adds a layer and a {out // 64}× wider stream: {net} gets {l50} layers for "
               f"{p50 / p34 - 1:+.0%} params over ResNet-34")


def layout50(reduction):
    """ResNet-50's layout (3, 4, 6, 3 bottlenecks) whose 3×3 convs run at 1/reduction of each stage's width
    (torchvision: width_per_group 64 → reduction 4), on the meta device."""
    with torch.device("meta"):
        return ResNet(Bottleneck, [3, 4, 6, 3], width_per_group=256 // reduction)
