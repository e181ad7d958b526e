"""q07: 1×1 bottlenecks — params and MACs checked with our own k·k·C_in·C_out formulas; the control (no
reduction: 256 channels inside the block) makes the block dearer than the 3×3 it replaces, in MACs and time."""

import pytest

from quiz.proofs import run_proof
from quiz.proofs.q07_one_by_one import KNOBS, RUNS

NAME = "q07_one_by_one"

HW = 56 * 56  # the resolution the proof counts the first claim's FLOPs at
TIMED = 28 * 28  # and times the blocks at
TIMING = {"bottleneck_ms", "one_3x3_ms", "bottleneck_runs_ms", "one_3x3_runs_ms"}


def neck_convs(width):
    """Conv weights of torchvision's Bottleneck(256, 64, base_width=width): 1×1 256→w, 3×3 w→w, 1×1 w→256."""
    return 256 * width + 9 * width * width + width * 256


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "by definition", "holds"]
    assert len(result.takeaways) == 1


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
    assert d["width"] == KNOBS["width"].default == 64
    assert d["bottleneck_conv_params"] == neck_convs(64)
    # the proof counts the 3×3 with macs() (torch's FlopCounterMode): our own k·k·C_in·C_out per output pixel
    assert d["bottleneck_macs"] == neck_convs(64) * TIMED and d["one_3x3_macs"] == 9 * 256 * 256 * TIMED
    assert d["mac_ratio"] == pytest.approx(9 * 256 * 256 / neck_convs(64)) == pytest.approx(8.47, abs=0.01)
    assert d["basic_macs"] == 2 * 9 * 256 * 256 * TIMED  # BasicBlock: two 3×3s at 256


def test_without_the_reduction_the_block_costs_more_than_the_3x3(controlled):
    (run,) = [r for r in controlled.controls if r.knob == "width"]
    d = [c for c in run.claims if c.claim.startswith("so the 1×1s")][0].data
    assert d["width"] == KNOBS["width"].control == 256
    assert d["bottleneck_conv_params"] == neck_convs(256) == 11 * 256 * 256  # three convs at 256: 11/9 of one 3×3
    assert d["mac_ratio"] == pytest.approx(9 / 11)  # more work than the 3×3 it replaces (the time: test_controls)


def test_timing_is_recorded(result):
    d = result.claim("make the 3×3").data
    assert len(d["bottleneck_runs_ms"]) == len(d["one_3x3_runs_ms"]) == RUNS >= 5
    assert d["bottleneck_ms"] == min(d["bottleneck_runs_ms"]) > 0


def test_deterministic(result):
    again = run_proof(NAME)
    strip = lambda r: [{k: v for k, v in c.data.items() if k not in TIMING} for c in r.claims]  # noqa: E731
    assert strip(again) == strip(result)


def test_the_rival_3x3_is_counted_not_typed():
    import inspect

    from quiz.proofs import q07_one_by_one

    source = inspect.getsource(q07_one_by_one.run)
    assert "9 * 256 * 256" not in source  # counted with macs() on a Conv2d, checked against the formula above


def test_more_or_fewer_follows_the_ratio(result, controlled):
    assert "8.5× fewer multiply-adds" in result.claim("make the 3×3").note
    assert "8.5× fewer MACs" in result.takeaways[0]
    (run,) = [r for r in controlled.controls if r.knob == "width"]
    (c,) = [c for c in run.claims if c.claim.startswith("so the 1×1s")]
    assert f"{1 / c.data['mac_ratio']:.1f}× more multiply-adds" in c.note and "fewer" not in c.note


def test_bars_keep_every_conv_at_any_width():
    r = run_proof(NAME, settings=["width=256"])
    assert len(r.figures[0].data["bars"]) == 4
