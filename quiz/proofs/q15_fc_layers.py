"""Q15 — Why do modern backbones drop the fully connected layers?

Counts VGG-16's parameters (torchvision, meta device: shapes only, no weights):
convolutions vs its three FC layers and the 4096×4096 one alone. Then feeds
several input sizes to an FC head (conv features → Flatten → Linear), to torchvision's
vgg16 as shipped (an adaptive pool to 7×7 before the same FC layers) and to a
global-average-pooling head (conv features → AdaptiveAvgPool2d(1) → Linear).
"""

import torch
import torchvision
from torch import nn

from quiz.proofs import Knob
from quiz.proofs._tools import fmt, params, seed

SIZES = (160, 224, 256, 320)  # input sides tried on every head (px)
KNOBS = {
    "adaptive_pool": Knob(True, "torchvision's AdaptiveAvgPool2d((7, 7)) in vgg16 before its FC layers "
                          "(off: Identity)", control=False, says="without the adaptive pool"),
    "flatten": Knob(True, "the FC head flattens the conv map into Linear(512·7·7, 4096) (off: the same weights "
                    "slide over the map as convolutions, VGG's dense evaluation)", control=False,
                    says="FC layers as convolutions"),
}


def _try(model, side):
    """Output shape of model on a (1, 3, side, side) meta input, or the error torch raised."""
    try:
        return list(model(torch.empty(1, 3, side, side, device="meta")).shape), None
    except RuntimeError as e:
        return None, str(e).splitlines()[0]


def as_convs(classifier, side=7):
    """VGG's dense evaluation (Simonyan & Zisserman 2015, §3.2): each Linear becomes a conv with the same weights
    — the first a side×side conv over the 512-channel map, the others 1×1 — and the class-score map is averaged."""
    layers = []
    for m in classifier:
        if isinstance(m, nn.Linear):
            k = side if not layers else 1  # (4096, 25088) → (4096, 512, 7, 7); (1000, 4096) → (1000, 4096, 1, 1)
            conv = nn.Conv2d(m.in_features // (k * k), m.out_features, k, device=m.weight.device)
            conv.weight, conv.bias = nn.Parameter(m.weight.view(m.out_features, -1, k, k)), m.bias
            m = conv
        layers.append(m)
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())  # (1, 1000, h, w) → (1, 1000)


def run(p):
    seed()
    with torch.device("meta"):  # shapes and parameter counts only: nothing is allocated
        vgg = torchvision.models.vgg16(weights=None)
    total = params(vgg)
    conv = params(vgg.features)
    fcs = [m for m in vgg.classifier if isinstance(m, nn.Linear)]  # 25088→4096, 4096→4096, 4096→1000
    fc_each = [params(m) for m in fcs]
    fc = sum(fc_each)
    big = next(m for m in fcs if (m.in_features, m.out_features) == (4096, 4096))
    big_params = params(big)

    p.by_definition(
        "FC layers have massive parameter counts (4096×4096)",
        f"a count: torchvision vgg16's 3 Linear layers hold {fmt(fc)} params, its 13 convolutions {fmt(conv)}; the "
        f"4096×4096 layer alone {fmt(big_params)} = 4096·4096 + 4096. The largest FC layer is the first, "
        f"{fcs[0].in_features}×4096 (512·7·7 inputs): {fmt(fc_each[0])} params",
        f"FC {fmt(fc)} of {fmt(total)} ({fc / total:.0%}); convs {fmt(conv)}",
        data={"total": total, "conv": conv, "fc": fc, "fc_each": fc_each, "fc_4096x4096": big_params},
    )

    # FC head as in the original VGG: flatten the conv map straight into Linear(512·7·7, 4096) — or, with the
    # flatten knob off, the same weights applied at every position (convolutions), class scores averaged.
    # torchvision's VGG puts AdaptiveAvgPool2d((7, 7)) in front of the classifier: the adaptive_pool knob.
    flatten = p.options["flatten"]
    flat_head = nn.Sequential(vgg.features, nn.Flatten(), *vgg.classifier)
    conv_head = nn.Sequential(vgg.features, as_convs(vgg.classifier))
    if flatten:
        fc_head, head = flat_head, "flatten→FC"
        how = "Flatten → its FC layers (the original VGG head"
    else:
        fc_head, head = conv_head, "FC as convs"
        how = "its FC layers as convolutions, class scores averaged (VGG's dense evaluation"
    if not p.options["adaptive_pool"]:
        vgg.avgpool = nn.Identity()
    # GAP head: global average pooling (no parameters) and a single Linear(512, 1000).
    with torch.device("meta"):
        gap = nn.AdaptiveAvgPool2d(1)
        gap_head = nn.Sequential(vgg.features, gap, nn.Flatten(), nn.Linear(512, 1000))

    fc_out = {s: _try(fc_head, s) for s in SIZES}
    gap_out = {s: _try(gap_head, s) for s in SIZES}
    tv_out = {s: _try(vgg, s) for s in SIZES}  # torchvision's vgg16 as shipped (with its adaptive pool)
    fc_ok = [s for s in SIZES if fc_out[s][1] is None]
    gap_ok = [s for s in SIZES if gap_out[s][1] is None]
    tv_ok = [s for s in SIZES if tv_out[s][1] is None]
    err256 = fc_out[256][1]
    flat_ok = fc_ok if flatten else [s for s in SIZES if _try(flat_head, s)[1] is None]
    conv_ok = [s for s in SIZES if _try(conv_head, s)[1] is None] if flatten else fc_ok
    sizes = lambda ok: ", ".join(map(str, ok))
    fixed = len(flat_ok) == 1
    if tv_ok != flat_ok:
        tv_note = (f"But torchvision's vgg16 accepts S = {sizes(tv_ok)}: its AdaptiveAvgPool2d((7, 7)) resamples "
                   f"any map to 7×7 for the same FC layers{' (--control: without it, the claim holds)' * (fixed and flatten)}. ")
    else:
        tv_note = (f"torchvision's vgg16 {'as shipped' if p.options['adaptive_pool'] else 'without its adaptive pool'}"
                   f" accepts the same S = {sizes(tv_ok)}. ")

    p.claim(
        "FC layers require a fixed input size",
        measured=f"1×3×S×S inputs into VGG-16's conv features → {how}; at 256: {err256 or 'accepted'}) and into "
        f"torchvision's vgg16{' as shipped' if p.options['adaptive_pool'] else ' without its adaptive pool'}, "
        "which pools to 7×7 before the same FC layers",
        value=f"{head}: S = {', '.join(map(str, fc_ok))}; torchvision's: {len(tv_ok)} of {len(SIZES)} sizes",
        holds=fc_ok == [224] and tv_ok == [224],
        partly=fc_ok == [224],
        note=(
            f"{'True' if fixed else 'Not true'} of a flatten→FC head{'' if flatten else ' (tried beside this run)'}: "
            f"the first Linear takes exactly {fcs[0].in_features} inputs, so S = {sizes(flat_ok)}"
            f"{' only' * fixed}. " + tv_note
            + "And VGG itself was evaluated densely by sliding its FC layers over the map as convolutions, the class "
            f"scores averaged (Simonyan & Zisserman 2015 §3.2): so the same FC weights take S = {sizes(conv_ok)}"
            f"{'' if flatten else ' (this run)'}. "
            + ("The fixed size comes from the flatten, not from the FC weights. " if len(conv_ok) > len(flat_ok)
               else "")
            + "Shapes are checked on the meta device; the error is torch's own."
        ),
        data={"fc_ok": fc_ok, "gap_ok": gap_ok, "torchvision_ok": tv_ok, "error_256": err256,
              "fc_head_params": params(fc_head)},
        control=("adaptive_pool", "flatten"),
    )

    gap_params = params(gap)
    head_fc = fc
    head_gap = params(gap_head) - conv
    p.by_definition(
        "Replaced by Global Average Pooling (0 params, any size)",
        f"by construction: nn.AdaptiveAvgPool2d(1) has no weights ({gap_params} params) and averages any map to "
        f"1×1; the GAP head accepts S = {', '.join(map(str, gap_ok))}. Head params: GAP + Linear(512, 1000) "
        f"{fmt(head_gap)} vs the three FC layers {fmt(head_fc)}",
        f"{gap_params} params; all {len(gap_ok)} sizes; head {head_fc / head_gap:.0f}× smaller",
        data={"gap_params": gap_params, "head_gap": head_gap, "head_fc": head_fc,
              "gap_out": {str(s): gap_out[s][0] for s in SIZES}},
    )

    # Parameters along VGG-16: all 13 convolutions together vs each FC layer
    p.bars("VGG-16 parameters: the 13 convolutions together vs each FC layer (millions)",
           {"13 convs": conv / 1e6, **{f"fc {m.in_features}→{m.out_features}": params(m) / 1e6 for m in fcs}},
           unit="M")
    lift = (f"torchvision's adaptive pool lifts that to {sizes(tv_ok)}" if tv_ok != flat_ok else
            f"torchvision's vgg16 {'as shipped' if p.options['adaptive_pool'] else 'without its adaptive pool'} too")
    p.takeaway(f"VGG-16's FC layers hold {fc / total:.0%} of its {fmt(total)} params and pin a flatten head to "
               f"{sizes(flat_ok)} px ({lift}); GAP + one Linear is {head_fc / head_gap:.0f}× smaller, any size")
