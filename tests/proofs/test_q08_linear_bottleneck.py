"""q08: linear bottleneck — lost fractions against the binomial law, MobileNetV2 against the paper."""

from quiz.proofs import run_proof

NAME = "q08_linear_bottleneck"


def test_every_claim_holds(result):
    assert len(result.claims) == 4
    assert all(c.holds is True for c in result.claims)


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
    err = result.claim("Fig. 1").data["paper_error"]
    assert err == sorted(err, reverse=True) and err[0] > 0.6 and err[-1] < 0.5


def test_linear_embedding_is_exactly_invertible(result):
    assert result.claim("linear preserves").data["linear_max_error"] < 1e-12


def test_mobilenet_v2_blocks(result):
    d = result.claim("MobileNetV2").data
    assert d["blocks"] == 17  # paper Table 2: bottleneck repeats 1+2+3+4+3+3+1
    assert d["linear_tail_blocks"] == 17 and d["negative_output_blocks"] == 17
    assert d["hidden_min"] >= 0  # ReLU6 before the projection


def test_figures(result):
    assert len(result.figures) == 2 and all("•" in f.text for f in result.figures)


def test_deterministic(result):
    again = run_proof("q08_linear_bottleneck")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [f.text for f in again.figures] == [f.text for f in result.figures]
