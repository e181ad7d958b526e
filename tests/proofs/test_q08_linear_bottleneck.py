"""q08: linear bottleneck — lost fractions against the binomial law, the trained bottleneck's median,
MobileNetV2 against the paper; the controls (no ReLU, a 16-d bottleneck) flip for the reasons given."""

import statistics

import pytest

from quiz.proofs import run_proof
from quiz.proofs.q08_linear_bottleneck import KNOBS, SEEDS, train_bottlenecks

NAME = "q08_linear_bottleneck"


def control(controlled, knob, text):
    (run,) = [r for r in controlled.controls if r.knob == knob]
    (claim,) = [c for c in run.claims if text in c.claim]
    return claim


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["holds", "by definition", "holds", "by definition"]
    assert len(result.takeaways) == 1


def test_trained_bottleneck(result):
    d = result.claim("narrow bottleneck").data
    assert d["bottleneck"] == KNOBS["bottleneck"].default == 2 and len(d["linear"]) == SEEDS >= 5
    assert max(d["linear"]) < 0.05 and d["collapsed"] >= 1
    # the median of an even count is the mean of the middle two (the upper middle alone overstated it)
    lin, rel, m = sorted(d["linear"]), sorted(d["relu"]), SEEDS // 2
    assert SEEDS % 2 == 0
    ratio = (rel[m - 1] + rel[m]) / (lin[m - 1] + lin[m])
    assert f"({ratio:.1f}×)" in result.claim("narrow bottleneck").value
    assert f"{ratio:.1f}× worse" in result.takeaways[0]


def test_a_bottleneck_as_wide_as_the_data_does_not_need_to_be_linear(controlled):
    d = control(controlled, "bottleneck", "narrow bottleneck").data
    assert d["bottleneck"] == 16 and d["collapsed"] == 0
    assert statistics.median(d["relu"]) < 2 * statistics.median(d["linear"])  # ReLU no longer costs 2×
    assert max(d["relu"]) < 0.05  # no run loses a dimension


def test_lost_fraction_follows_the_binomial_law(result):
    # For a fixed x and Gaussian T, each sign(t_i·x) is a fair coin: P(≤ 1 of n positive) = (n+1)/2^n.
    # 10 random T per n, so allow ±0.15 around the law (large n: the law is ~0).
    d = result.claim("destroys information").data
    assert d["dims"] == [2, 3, 5, 15, 30]
    for n, lost in zip(d["dims"], d["lost_fraction"]):
        assert abs(lost - (n + 1) / 2**n) < 0.15, (n, lost)
    assert d["lost_fraction"][-1] == 0
    assert d["exact_error"][0] > 0.3 and d["exact_error"][-1] < 1e-12


def test_without_relu_every_point_comes_back(controlled):
    d = control(controlled, "relu", "destroys information").data
    assert d["lost_fraction"] == [0.0] * 5 and max(d["exact_error"]) < 1e-12
    assert max(d["paper_error"]) < 1e-12  # T⁺·(T·x) = x: the paper's inverse is exact without ReLU too


def test_paper_procedure_error_falls_with_n(result):
    err = result.claim("destroys information").data["paper_error"]
    assert err == sorted(err, reverse=True) and err[0] > 0.6 and err[-1] < 0.5


def test_linear_embedding_is_exactly_invertible(result):
    assert result.claim("linear preserves").data["linear_max_error"] < 1e-12


def test_mobilenet_v2_blocks(result):
    d = result.claim("Removes the ReLU").data
    assert d["blocks"] == 17  # paper Table 2: bottleneck repeats 1+2+3+4+3+3+1
    assert d["linear_tail_blocks"] == 17 and d["negative_output_blocks"] == 17
    assert d["hidden_min"] >= 0  # ReLU6 before the projection


def test_figures(result):
    assert [f.kind for f in result.figures] == ["lines", "scatter", "scatter"]
    assert [len(v[0]) for v in result.figures[1].data["series"].values()] == [300, 300]


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [f.data for f in again.figures] == [f.data for f in result.figures]
    # the trained errors are cached between runs: trained again from scratch, the same numbers
    assert list(train_bottlenecks.__wrapped__(True)) == result.claim("narrow bottleneck").data["relu"]


def test_takeaway_numbers_and_conclusion_come_from_the_run(result):
    lost = dict(zip(result.claim("low-dimensional").data["dims"], result.claim("low-dimensional").data["lost_fraction"]))
    assert f"({lost[30]:.0%} at 30 dims)" in result.takeaways[0] and f"loses {lost[2]:.0%}" in result.takeaways[0]
    assert result.takeaways[0].endswith("so no ReLU after the projection")


@pytest.mark.parametrize("setting, bottleneck", [("relu=false", 2), ("bottleneck=16", 16)])
def test_the_conclusion_follows_the_verdicts(setting, bottleneck):
    r = run_proof(NAME, settings=[setting])
    assert r.claim("trained narrow").verdict == "fails"
    assert "so no ReLU after the projection" not in r.takeaways[0] and "worse than linear" not in r.takeaways[0]
    assert f"a trained {bottleneck}-d bottleneck" in r.takeaways[0]
