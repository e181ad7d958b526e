"""q07: 1×1 bottlenecks — params and MACs checked with our own k·k·C_in·C_out formulas."""

from quiz.proofs import run_proof

NAME = "q07_one_by_one"

HW = 56 * 56  # the resolution the proof counts FLOPs at
TIMING = {"bottleneck_ms", "basic_ms", "bottleneck_runs_ms", "basic_runs_ms"}


def test_every_claim_holds(result):
    assert len(result.claims) == 5
    assert all(c.holds is True for c in result.claims)  # nothing here is "not shown"


def test_sixteen_times_fewer_parameters(result):
    d = result.claim("parameters").data
    assert d["params_64"] == 3 * 3 * 64 * 64 == 36_864
    assert d["params_256"] == 3 * 3 * 256 * 256 == 589_824
    assert d["ratio"] == 16
    first = result.claims[0]
    assert "16.00×" in first.value  # what `quiz prove 7` shows first


def test_sixteen_times_fewer_macs(result):
    d = result.claim("compute").data
    assert d["macs_64"] == 3 * 3 * 64 * 64 * HW
    assert d["macs_256"] == 3 * 3 * 256 * 256 * HW
    assert d["ratio"] == 16


def test_bottleneck_channels(result):
    assert result.claim("reduce dimensionality").data["channels"] == {
        "conv1": [256, 64], "conv2": [64, 64], "conv3": [64, 256]}


def test_bottleneck_vs_two_3x3(result):
    d = result.claim("far cheaper").data
    neck_convs = 256 * 64 + 3 * 3 * 64 * 64 + 64 * 256
    basic_convs = 2 * 3 * 3 * 256 * 256
    assert d["bottleneck_params"] == neck_convs + 2 * (64 + 64 + 256)  # + BN weight and bias
    assert d["basic_params"] == basic_convs + 2 * (256 + 256)
    assert d["bottleneck_macs"] == neck_convs * HW
    assert d["basic_macs"] == basic_convs * HW


def test_timing_is_recorded(result):
    d = result.claim("faster").data
    assert len(d["bottleneck_runs_ms"]) == len(d["basic_runs_ms"]) >= 5
    assert all(t > 0 for t in d["bottleneck_runs_ms"] + d["basic_runs_ms"])


def test_deterministic(result):
    again = run_proof("q07_one_by_one")
    strip = lambda r: [{k: v for k, v in c.data.items() if k not in TIMING} for c in r.claims]  # noqa: E731
    assert strip(again) == strip(result)
