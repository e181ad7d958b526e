"""Q15 — Why do modern backbones drop the fully connected layers?

Counts VGG-16's parameters (torchvision, meta device: shapes only, no weights):
convolutions vs its three FC layers and the 4096×4096 one alone. Then feeds
several input sizes to an FC head (conv features → Flatten → Linear) and to a
global-average-pooling head (conv features → AdaptiveAvgPool2d(1) → Linear).
"""

import torch
import torchvision
from torch import nn

from quiz.proofs._tools import fmt, params, seed

SIZES = (160, 224, 256, 320)  # input sides tried on both heads (px)


def _try(model, side):
    """Output shape of model on a (1, 3, side, side) meta input, or the error torch raised."""
    try:
        return list(model(torch.empty(1, 3, side, side, device="meta")).shape), None
    except RuntimeError as e:
        return None, str(e).splitlines()[0]


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

    p.claim(
        "FC layers have massive parameter counts (4096×4096)",
        measured="torchvision vgg16: params of its 3 Linear layers vs its convolutions; the 4096×4096 layer alone "
        f"{fmt(big_params)}",
        value=f"FC {fmt(fc)} of {fmt(total)} ({fc / total:.0%}); convs {fmt(conv)}",
        holds=fc > conv and big_params > conv,
        note=(
            f"The largest FC layer is not the 4096×4096 one but the first, 25088×4096 (512·7·7 inputs): "
            f"{fmt(fc_each[0])} params. Even the 4096×4096 layer alone ({fmt(big_params)}) outweighs all "
            f"13 convolutions ({fmt(conv)})."
        ),
        data={"total": total, "conv": conv, "fc": fc, "fc_each": fc_each, "fc_4096x4096": big_params},
    )

    # FC head as in the original VGG: flatten the conv map straight into Linear(512·7·7, 4096).
    # torchvision's VGG puts AdaptiveAvgPool2d((7, 7)) in front of the classifier, so it is left out here.
    fc_head = nn.Sequential(vgg.features, nn.Flatten(), *vgg.classifier)
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

    p.claim(
        "FC layers require a fixed input size",
        measured=f"1×3×S×S inputs into VGG-16's conv features → Flatten → its FC layers (the original VGG head; at "
        f"256: {err256}) and into torchvision's vgg16 as shipped, which pools to 7×7 before the same FC layers",
        value=f"flatten→FC: only S = {', '.join(map(str, fc_ok))}; torchvision's: {len(tv_ok)} of {len(SIZES)} sizes",
        holds=fc_ok == [224] and tv_ok == [224],
        partly=fc_ok == [224],
        note=(
            f"True of a flatten→FC head: the first Linear takes exactly {fcs[0].in_features} inputs. But torchvision's "
            f"vgg16 accepts S ∈ {tv_ok}: its AdaptiveAvgPool2d((7, 7)) resamples any map to 7×7 for the same FC "
            "layers (and VGG itself was evaluated densely on any size by turning its FC layers into convolutions, "
            "Simonyan & Zisserman 2015 §3.2). Shapes are checked on the meta device; the error is torch's own."
        ),
        data={"fc_ok": fc_ok, "gap_ok": gap_ok, "torchvision_ok": tv_ok, "error_256": err256},
    )

    gap_params = params(gap)
    head_fc = params(fc_head) - conv
    head_gap = params(gap_head) - conv
    p.claim(
        "Replaced by Global Average Pooling (0 params, any size)",
        measured="params of nn.AdaptiveAvgPool2d(1); sizes the GAP head accepts "
        f"({', '.join(map(str, gap_ok))}); head params GAP+Linear {fmt(head_gap)} vs FC {fmt(head_fc)}",
        value=f"{gap_params} params; all {len(gap_ok)} sizes; head {head_fc / head_gap:.0f}× smaller",
        holds=gap_params == 0 and gap_ok == list(SIZES) and head_gap < head_fc,
        note="The GAP head still has one Linear(512, 1000) classifier; GAP itself has no parameters.",
        data={"gap_params": gap_params, "head_gap": head_gap, "head_fc": head_fc,
              "gap_out": {str(s): gap_out[s][0] for s in SIZES}},
    )

    # Parameters along VGG-16: all 13 convolutions together vs each FC layer
    p.bars("VGG-16 parameters: the 13 convolutions together vs each FC layer (millions)",
           {"13 convs": conv / 1e6, **{f"fc {m.in_features}→{m.out_features}": params(m) / 1e6 for m in fcs}},
           unit="M")
    p.takeaway(f"VGG-16's FC layers hold {fc / total:.0%} of its {fmt(total)} params and pin a flatten head to 224 px "
               f"(an adaptive pool lifts that); GAP + one Linear is {head_fc / head_gap:.0f}× smaller, any size")
