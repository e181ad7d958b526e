"""q02_basic_vs_bottleneck: claims hold; numbers match torchvision's published figures and our own formulas."""

import pytest

from quiz.proofs import run_proof

NAME = "q02_basic_vs_bottleneck"

# torchvision docs (weights meta num_params), published constants
PUBLISHED_PARAMS = {18: 11_689_512, 34: 21_797_672, 50: 25_557_032, 101: 44_549_160, 152: 60_192_808}


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "overstated", "holds", "holds"]
    assert len(result.takeaways) == 1


def test_the_fair_rival_decides_the_efficiency_verdict(result):
    d = result.claim("parameter efficient").data
    # at the same inner width the two blocks cost about the same: within 10%
    assert d["fair_ratio"] == pytest.approx(2 * 9 * 64 * 64 / (256 * 64 + 9 * 64 * 64 + 64 * 256), rel=0.02)
    assert 0.95 < d["fair_ratio"] < 1.15
    # negative control: judged against the 4×-wider BasicBlock(256), the same check would say "holds"
    assert d["bottleneck_params"] * 1.5 < d["basic_params"]
    assert not d["bottleneck_params"] * 1.5 < d["basic64_params"]


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

    row = result.claim("for deep networks").data[f"resnet{depth}"]
    assert row["params"] == PUBLISHED_PARAMS[depth]
    weights = getattr(models, f"ResNet{depth}_Weights").IMAGENET1K_V1  # metadata only, no download
    assert row["params"] == weights.meta["num_params"]
    assert round(row["macs"] / 1e9, 3) == pytest.approx(weights.meta["_ops"], abs=1e-9)  # GFLOPS = G multiply-adds
    assert row["layers"] == depth  # the name counts conv + fc layers
    assert row["block"] == ("BasicBlock" if depth < 50 else "Bottleneck")


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
