"""q02_basic_vs_bottleneck: numbers match torchvision's published figures and our own formulas; without the
bottleneck's reduction the 50-layer layout costs ~10× ResNet-34 (the control, read from the proof's own run)."""

import pytest

from quiz.proofs import run_proof

NAME = "q02_basic_vs_bottleneck"

# torchvision docs (weights meta num_params), published constants
PUBLISHED_PARAMS = {18: 11_689_512, 34: 21_797_672, 50: 25_557_032, 101: 44_549_160, 152: 60_192_808}


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "by definition", "holds"]
    assert len(result.takeaways) == 1


def layout50_params(width_per_group):
    """Our own count of torchvision's ResNet(Bottleneck, [3, 4, 6, 3], width_per_group): each 3×3 runs at
    planes·width_per_group/64 channels, each block outputs 4·planes (BN: weight + bias per channel)."""
    total = 3 * 64 * 7 * 7 + 2 * 64  # stem conv + BN
    cin = 64
    for planes, blocks in zip((64, 128, 256, 512), (3, 4, 6, 3)):
        w, out = planes * width_per_group // 64, 4 * planes
        for i in range(blocks):
            total += cin * w + 9 * w * w + w * out + 2 * (w + w + out)
            if i == 0:
                total += cin * out + 2 * out  # projection shortcut
            cin = out
    return total + 2048 * 1000 + 1000  # fc


def test_bottlenecks_buy_layers_per_parameter(result):
    d = result.claim("parameter efficient").data
    assert d["reduction"] == 4
    assert d["layout50_params"] == layout50_params(64) == PUBLISHED_PARAMS[50]  # reduction 4 is resnet50 itself
    assert d["resnet34_params"] == PUBLISHED_PARAMS[34]
    assert (d["layout50_layers"], d["resnet34_layers"]) == (50, 34)
    assert d["layout50_layers"] / d["layout50_params"] > d["resnet34_layers"] / d["resnet34_params"]
    # He et al.'s comparison: a bottleneck costs what a 64-wide BasicBlock does (within 5%), for a 4× wider output
    assert d["bottleneck_params"] == pytest.approx(d["basic64_params"], rel=0.05)
    assert d["same_cost_basic_width"] == pytest.approx((69_632 / 18) ** 0.5)  # 18·w² = the bottleneck's convs


def test_without_reduction_the_50_layer_layout_costs_ten_resnet34s(controlled):
    (run,) = [r for r in controlled.controls if r.knob == "reduction"]
    assert run.value == 1
    (c,) = [c for c in run.claims if c.claim.startswith("Bottleneck is more")]
    d = c.data
    # the 3×3 at the full width: 1·1·256·256 + 3·3·256·256 + 1·1·256·256 in stage 1, and so on
    assert d["bottleneck_conv_params"] == 256 * 256 + 9 * 256 * 256 + 256 * 256
    assert d["layout50_params"] == layout50_params(256)
    assert d["layout50_params"] > 10 * d["resnet34_params"]  # why it flips: the same 50 layers, ~10× the params
    assert d["layout50_layers"] == 50 and d["same_cost_basic_width"] > 190  # a BasicBlock as wide costs the same


def test_block_params_match_own_formula(result):
    d = result.claim("parameter efficient").data
    conv = lambda k, cin, cout: k * k * cin * cout
    bn = lambda c: 2 * c  # weight + bias
    basic = 2 * conv(3, 256, 256)
    bottleneck = conv(1, 256, 64) + conv(3, 64, 64) + conv(1, 64, 256)
    assert d["basic_conv_params"] == basic == 1_179_648
    assert d["bottleneck_conv_params"] == bottleneck == 69_632
    assert d["basic_params"] == basic + 2 * bn(256)
    assert d["bottleneck_params"] == bottleneck + 2 * bn(64) + bn(256)
    assert d["basic64_conv_params"] == 2 * conv(3, 64, 64)
    # conv MACs = weights × output positions (stride 1, 56×56)
    assert d["basic_macs"] == basic * 56 * 56
    assert d["bottleneck_macs"] == bottleneck * 56 * 56
    assert d["basic64_macs"] == 2 * conv(3, 64, 64) * 56 * 56


def test_block_shapes(result):
    d = result.claim("two 3×3").data
    assert d["bottleneck_widths"] == [256, 64, 64, 256]
    assert [tuple(k) for k in d["bottleneck_kernels"]] == [(1, 1), (3, 3), (1, 1)]


@pytest.mark.parametrize("depth", sorted(PUBLISHED_PARAMS))
def test_resnets_match_torchvision_published(result, depth):
    from torchvision import models

    row = result.claim("Basic Block used in").data[f"resnet{depth}"]
    assert row["params"] == PUBLISHED_PARAMS[depth]
    weights = getattr(models, f"ResNet{depth}_Weights").IMAGENET1K_V1  # metadata only, no download
    assert row["params"] == weights.meta["num_params"]
    assert round(row["macs"] / 1e9, 3) == pytest.approx(weights.meta["_ops"], abs=1e-9)  # GFLOPS = G multiply-adds
    assert row["layers"] == depth  # the name counts conv + fc layers
    assert row["block"] == ("BasicBlock" if depth < 50 else "Bottleneck")


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]


def test_takeaway_says_as_cheap_only_when_it_is(result):
    d = result.claim("parameter efficient").data
    assert abs(d["bottleneck_params"] / d["basic64_params"] - 1) < 0.15
    assert result.takeaways[0].startswith("a bottleneck costs what a 64-wide BasicBlock does")
    r = run_proof(NAME, settings=["reduction=1"])
    d = r.claim("parameter efficient").data
    assert "costs what a 64-wide BasicBlock does" not in r.takeaways[0]
    assert f"{d['bottleneck_params'] / d['basic64_params']:.1f}× a 64-wide BasicBlock" in r.takeaways[0]
