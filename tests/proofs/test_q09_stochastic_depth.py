"""q09: stochastic depth — checked against Huang et al.'s formula and torchvision's defaults."""

import pytest

from quiz.proofs import run_proof

NAME = "q09_stochastic_depth"


def test_all_claims_hold_except_the_ensemble_interpretation(result):
    not_shown = [c.claim for c in result.claims if c.holds is None]
    assert not_shown == ["Effectively trains an ensemble of shallower networks"]
    assert all(c.holds is True for c in result.claims if c.holds is not None)
    assert len(result.claims) == 8


def test_convnext_tiny_schedule(result):
    rates = result.claim("ConvNeXts").data["convnext_t_rates"]
    # ConvNeXt-T: 3+3+9+3 blocks; torchvision's convnext_tiny default stochastic_depth_prob is 0.1
    assert rates == pytest.approx([0.1 * i / 17 for i in range(18)])


def test_per_sample_drop(result):
    d = result.claim("entire residual blocks").data
    assert abs(d["skipped_fraction"] - 0.2) < 0.03 and d["kept_scaled"] is True


def test_train_mean_matches_eval(result):
    assert result.claim("training-mode mean").data["relative_difference"] < 0.03
    assert result.claim("test time").data["eval_identity"] is True


def test_linear_decay_and_expected_depth(result):
    L = 54
    rule = result.claim("Linear decay").data
    assert rule["rule"] == pytest.approx([l / L * 0.5 for l in range(1, L + 1)])
    assert max(abs(a - b) for a, b in zip(rule["measured_rate"], rule["rule"])) < 0.02
    d = result.claim("Expected depth").data
    survive = sum(1 - l / L * 0.5 for l in range(1, L + 1))  # our own sum of survival probabilities
    assert d["formula"] == pytest.approx((3 * L - 1) / 4) == pytest.approx(survive) == pytest.approx(40.25)
    assert abs(d["mean_depth"] - 40.25) < 0.1


def test_all_sixteen_subnetworks_seen(result):
    assert result.claim("2^L").data["distinct_masks"] == 2**4


def test_ensemble_gap(result):
    d = next(c.data for c in result.claims if c.holds is None)
    assert d["gap_one_block"] < 1e-5  # one block: eval == exact mean of its 2 sub-networks
    assert d["gap_four_blocks"] > 1e-3  # a stack: not an identity


def test_deterministic(result):
    again = run_proof("q09_stochastic_depth")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
