"""q07: 1×1 bottlenecks — params and MACs checked with our own k·k·C_in·C_out formulas."""

import pytest

from quiz.proofs import run_proof

NAME = "q07_one_by_one"

HW = 56 * 56  # the resolution the proof counts FLOPs at
TIMING = {"bottleneck_ms", "basic_ms", "bottleneck_runs_ms", "basic_runs_ms"}


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "holds", "holds", "holds"]
    assert result.claims[-1].added and len(result.takeaways) == 1


def test_sixteen_times_is_arithmetic(result):
    d = result.claim("16× cheaper").data
    assert d["params_64"] == 3 * 3 * 64 * 64 == 36_864
    assert d["params_256"] == 3 * 3 * 256 * 256 == 589_824
    assert d["ratio"] == 16 and d["macs_ratio"] == 16
    assert d["macs_64"] == 3 * 3 * 64 * 64 * HW


def test_bottleneck_channels(result):
    assert result.claim("reduce dimensionality").data["channels"] == {
        "conv1": [256, 64], "conv2": [64, 64], "conv3": [64, 256]}


def test_bottleneck_vs_one_3x3_is_about_8_5x(result):
    d = result.claim("make the 3×3").data
    neck_convs = 256 * 64 + 3 * 3 * 64 * 64 + 64 * 256
    basic_convs = 2 * 3 * 3 * 256 * 256
    assert d["bottleneck_conv_params"] == neck_convs
    assert d["fair_ratio"] == pytest.approx(9 * 256 * 256 / neck_convs) == pytest.approx(8.47, abs=0.01)
    assert d["bottleneck_params"] == neck_convs + 2 * (64 + 64 + 256)  # + BN weight and bias
    assert d["basic_params"] == basic_convs + 2 * (256 + 256)
    assert d["bottleneck_macs"] == neck_convs * HW and d["basic_macs"] == basic_convs * HW


def test_negative_control_without_the_reduction_nothing_is_saved():
    # remove the mechanism: 1×1s that keep 256 channels make the block dearer than one 3×3
    from torch import nn

    from quiz.proofs._tools import params

    wide = [nn.Conv2d(256, 256, 1, bias=False), nn.Conv2d(256, 256, 3, bias=False), nn.Conv2d(256, 256, 1, bias=False)]
    ratio = 9 * 256 * 256 / sum(params(c) for c in wide)
    assert not ratio > 4  # the proof's check would report ✗


def test_timing_is_recorded(result):
    d = result.claim("faster").data
    assert len(d["bottleneck_runs_ms"]) == len(d["basic_runs_ms"]) >= 5
    assert all(t > 0 for t in d["bottleneck_runs_ms"] + d["basic_runs_ms"])


def test_deterministic(result):
    again = run_proof("q07_one_by_one")
    strip = lambda r: [{k: v for k, v in c.data.items() if k not in TIMING} for c in r.claims]  # noqa: E731
    assert strip(again) == strip(result)
