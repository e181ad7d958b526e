"""q01_why_resnet: verdicts follow the numbers, key numbers sit where the maths says, negative controls
(no skip → the identity is not learned), deterministic."""

import pytest

from quiz.proofs import run_proof
from quiz.proofs.q01_why_resnet import learn_identity

NAME = "q01_why_resnet"


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["holds", "by definition", "holds", "overstated"]
    assert len(result.takeaways) == 1


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
    d = result.claim("d(x + F)/dx").data
    assert d["jacobian_max_err"] < 1e-6
    assert d["jf_norm"] > 0.1  # the branch is not trivially zero, so the check is not vacuous


def test_residual_learns_the_identity_and_plain_does_not(result):
    d = result.claim("easier to learn").data
    assert d["residual_loss"][-1] < d["plain_loss"][-1] / 2
    assert d["plain_loss"][-1] > 0.5  # the plain net is still far from the identity (loss 1 = predicting 0)


def test_negative_control_without_the_skip_the_identity_is_hard_again():
    # remove the mechanism: the "residual" net trained without its skip is the plain net, loss for loss
    assert learn_identity(skip=False) == learn_identity(skip=False)
    no_skip, skip = learn_identity(skip=False, steps=60), learn_identity(skip=True, steps=60)
    assert no_skip[-1] > 2 * skip[-1]


def test_landscape_roughness(result):
    d = result.claim("Loss landscape").data
    assert d["roughness_plain"] > 2 * d["roughness_residual"]
    assert d["raw_d2_residual"] > d["raw_d2_plain"]  # why "overstated": raw curvature says the opposite
    assert d["minima_residual"] == [1, 1]  # one bowl along each direction
    assert min(d["minima_plain"]) > 1


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [f.data for f in again.figures] == [f.data for f in result.figures]
