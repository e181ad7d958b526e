"""q08: linear bottleneck — lost fractions against the binomial law, MobileNetV2 against the paper."""

from quiz.proofs import run_proof
from quiz.proofs.q08_linear_bottleneck import train_bottleneck

NAME = "q08_linear_bottleneck"


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["holds", "by definition", "holds", "holds"]
    assert len(result.takeaways) == 1


def test_trained_bottleneck(result):
    d = result.claim("trained 2-d").data
    assert max(d["linear"]) < 0.05 and d["collapsed"] >= 1


def test_negative_control_a_wide_bottleneck_does_not_need_to_be_linear():
    # remove the low dimension: with 16 bottleneck units (as many as the data's), ReLU no longer hurts much
    lin = [train_bottleneck(False, s, k=16) for s in range(3)]
    rel = [train_bottleneck(True, s, k=16) for s in range(3)]
    assert not sorted(rel)[1] > 2 * sorted(lin)[1]  # the proof's check would report ✗


def test_lost_fraction_follows_the_binomial_law(result):
    # For a fixed x and Gaussian T, each sign(t_i·x) is a fair coin: P(≤ 1 of n positive) = (n+1)/2^n.
    # 10 random T per n, so allow ±0.15 around the law (large n: the law is ~0).
    d = result.claim("destroys information").data
    assert d["dims"] == [2, 3, 5, 15, 30]
    for n, lost in zip(d["dims"], d["lost_fraction"]):
        assert abs(lost - (n + 1) / 2**n) < 0.15, (n, lost)
    assert d["lost_fraction"][-1] == 0
    assert d["exact_error"][0] > 0.3 and d["exact_error"][-1] < 1e-12


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
    assert [f.kind for f in result.figures] == ["scatter", "scatter"]
    assert [len(v[0]) for v in result.figures[0].data["series"].values()] == [300, 300]


def test_deterministic(result):
    again = run_proof("q08_linear_bottleneck")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [f.data for f in again.figures] == [f.data for f in result.figures]
