"""q01_why_resnet: key numbers sit where the maths says, the controls flip what they should for the
reasons the notes give (the flips themselves: test_controls.py), deterministic."""

import math

from quiz.proofs import run_proof
from quiz.proofs.q01_why_resnet import DEPTH, KNOBS

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
    assert all(0.1 < v < 10 for v in r["residual"])
    assert d["spread"]["residual"] < 2 < d["spread"]["plain_he"]
    # the unscaled x + relu(Wx) explodes: output std far above the unit-variance input
    assert min(d["naive_output_std"]) > 100 and min(r["naive"]) > 100


def test_without_the_skip_the_residual_stack_is_a_plain_one(controlled):
    (run,) = [r for r in controlled.controls if r.knob == "skip"]
    grad = [c for c in run.claims if c.claim.startswith("Gradient flow")][0].data["ratios"]
    assert max(grad["residual"]) < 1e-6  # relu(Wh)/√L alone: the signal vanishes, as plain stacks' does
    learn = [c for c in run.claims if c.claim.startswith("easier")][0].data
    assert learn["residual_loss"] == learn["plain_loss"]  # the same net: the same losses
    land = [c for c in run.claims if c.claim.startswith("Loss landscape")][0].data
    assert land["roughness_residual"] == land["roughness_plain"]


def test_jacobian_is_identity_plus_branch(result):
    d = result.claim("d(x + F)/dx").data
    assert d["jacobian_max_err"] < 1e-6
    assert d["jf_norm"] > 0.1  # the branch is not trivially zero, so the check is not vacuous


def test_residual_learns_the_identity_and_plain_does_not(result):
    d = result.claim("easier to learn").data
    assert d["plain_loss"][-1] > 0.5  # the plain net is still far from the identity (loss 1 = predicting 0)


def test_landscape_roughness(result, controlled):
    d = result.claim("Loss landscape").data
    assert d["raw_d2_residual"] > d["raw_d2_plain"]  # why "overstated": raw curvature says the opposite
    assert d["minima_residual"] == [1, 1]  # one bowl along each direction
    assert min(d["minima_plain"]) > 1
    (run,) = [r for r in controlled.controls if r.knob == "branch_scale"]
    scaled = [c for c in run.claims if c.claim.startswith("Loss landscape")][0].data
    assert scaled["branch_scale"] == KNOBS["branch_scale"].control == round(1 / math.sqrt(DEPTH), 4)
    assert scaled["raw_d2_residual"] < scaled["raw_d2_plain"]  # the scaled branch is smoother in raw terms too


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [f.data for f in again.figures] == [f.data for f in result.figures]


def test_notes_and_takeaway_follow_the_verdicts(result, controlled):
    note = result.claim("Loss landscape").note
    assert "residual loss curves more" in note and f"branch_scale={KNOBS['branch_scale'].control}" in note
    (scaled,) = [c for r in controlled.controls if r.knob == "branch_scale" for c in r.claims
                 if c.claim.startswith("Loss landscape")]
    assert scaled.verdict == "holds" and "curves more" not in scaled.note and "curves less" in scaled.note
    assert result.takeaways[0].startswith("skips keep the gradient within")
    assert "learn the identity" in result.takeaways[0] and "×) for every seed" in result.claim("Gradient").note


def test_without_the_skip_the_words_say_what_was_measured():
    r = run_proof(NAME, settings=["skip=false"])
    assert "within" not in r.takeaways[0] and "better" not in r.takeaways[0]
    assert "inf" not in r.claim("Gradient").note and "Not unimpeded" in r.claim("Gradient").note
    assert "not clearly smoother" in r.claim("Loss landscape").note
