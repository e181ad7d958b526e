"""q01_why_resnet: every claim holds, key numbers sit where the maths says, and it is deterministic."""

import pytest

from quiz.proofs import run_proof

NAME = "q01_why_resnet"


def test_all_claims_hold_none_unshown(result):
    assert len(result.claims) == 4
    assert [c.holds for c in result.claims] == [True] * 4
    assert [c.claim for c in result.claims if c.holds is None] == []


def test_gradient_reaches_first_layer_only_with_skips(result):
    d = result.claim("Gradient flow").data
    assert d["depth"] >= 30 and d["seeds"] >= 5
    r = d["ratios"]
    assert all(len(v) == d["seeds"] for v in r.values())
    # default init: Var W = 1/(3·fan_in), half the ReLUs open → gradient variance ×1/6 per layer (mean-field),
    # so block 1 ÷ block L ≈ 6^(−(L−1)/2) ≈ 1e-12 for L = 32
    expected = 6 ** (-(d["depth"] - 1) / 2)
    assert all(expected / 100 < v < expected * 100 for v in r["plain"])
    assert max(r["plain"]) < 1e-6
    # with skips: every seed within 10× either way, and far tighter across seeds than the He-init plain stack
    assert all(0.1 < v < 10 for v in r["residual"])
    assert d["spread"]["residual"] < 2 < d["spread"]["plain_he"]
    assert d["spread"]["residual"] == pytest.approx(max(r["residual"]) / min(r["residual"]))
    # the unscaled x + relu(Wx) explodes: output std far above the unit-variance input
    assert min(d["naive_output_std"]) > 100 and min(r["naive"]) > 100


def test_jacobian_is_identity_plus_branch(result):
    d = result.claim("d(x + F(x))/dx").data
    assert d["jacobian_max_err"] < 1e-6
    assert d["jf_norm"] > 0.1  # the branch is not trivially zero, so the check is not vacuous


def test_zero_init_residual_block_is_identity(result):
    d = result.claim("Residual learning").data
    assert d["residual_exact_identity"] is True and d["dist_residual_zero_init"] == 0.0
    # a plain block whose last BN scale is 0 outputs relu(0) = 0, so ‖0 − x‖/‖x‖ = 1 exactly
    assert d["dist_plain_zero_init"] == pytest.approx(1.0, abs=1e-6)
    assert d["dist_plain_default"] > 0.5


def test_landscape_roughness(result):
    d = result.claim("Loss landscape").data
    assert d["roughness_plain"] > 2 * d["roughness_residual"]
    assert d["minima_residual"] == [1, 1]  # one bowl along each direction
    assert min(d["minima_plain"]) > 1


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [f.text for f in again.figures] == [f.text for f in result.figures]
