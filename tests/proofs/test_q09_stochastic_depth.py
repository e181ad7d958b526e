"""q09: stochastic depth — checked against Huang et al.'s formula and torchvision's defaults."""

import pytest

from quiz.proofs import run_proof


@pytest.fixture(scope="module")
def result():
    return run_proof("q09_stochastic_depth")


def data(result, word):
    return next(c.data for c in result.claims if word in c.claim)


def test_all_claims_hold_except_the_ensemble_interpretation(result):
    not_shown = [c.claim for c in result.claims if c.holds is None]
    assert not_shown == ["Effectively trains an ensemble of shallower networks"]
    assert all(c.holds is True for c in result.claims if c.holds is not None)
    assert len(result.claims) == 8


def test_convnext_tiny_schedule(result):
    rates = data(result, "ConvNeXts")["convnext_t_rates"]
    # ConvNeXt-T: 3+3+9+3 blocks; torchvision's convnext_tiny default stochastic_depth_prob is 0.1
    assert rates == pytest.approx([0.1 * i / 17 for i in range(18)])


def test_per_sample_drop(result):
    d = data(result, "entire residual blocks")
    assert abs(d["skipped_fraction"] - 0.2) < 0.03 and d["kept_scaled"] is True


def test_train_mean_matches_eval(result):
    assert data(result, "training-mode mean")["relative_difference"] < 0.03
    assert data(result, "test time")["eval_identity"] is True


def test_linear_decay_and_expected_depth(result):
    L = 54
    rule = data(result, "Linear decay")
    assert rule["rule"] == pytest.approx([l / L * 0.5 for l in range(1, L + 1)])
    assert max(abs(a - b) for a, b in zip(rule["measured_rate"], rule["rule"])) < 0.02
    d = data(result, "Expected depth")
    survive = sum(1 - l / L * 0.5 for l in range(1, L + 1))  # our own sum of survival probabilities
    assert d["formula"] == pytest.approx((3 * L - 1) / 4) == pytest.approx(survive) == pytest.approx(40.25)
    assert abs(d["mean_depth"] - 40.25) < 0.1


def test_all_sixteen_subnetworks_seen(result):
    assert data(result, "2^L")["distinct_masks"] == 2**4


def test_ensemble_gap(result):
    d = next(c.data for c in result.claims if c.holds is None)
    assert d["gap_one_block"] < 1e-5  # one block: eval == exact mean of its 2 sub-networks
    assert d["gap_four_blocks"] > 1e-3  # a stack: not an identity


def test_deterministic(result):
    again = run_proof("q09_stochastic_depth")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
