"""q09: stochastic depth — torchvision's rates against the linear rule written out here, Huang et al.'s
expected depth, a toy both nets learn, and the controls (no DropPath, element-wise dropout, no rescale)
flipping each verdict for the reason the notes give."""

import pytest

from quiz.proofs import run_proof
from quiz.proofs.q09_stochastic_depth import BLOCKS, KNOBS, NOISE, SEEDS, train_toys

NAME = "q09_stochastic_depth"


def control(controlled, knob, text):
    (run,) = [r for r in controlled.controls if r.knob == knob]
    (claim,) = [c for c in run.claims if text in c.claim]
    return claim


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["holds", "by definition", "holds", "holds", "by definition",
                                                  "holds"]
    assert len(result.takeaways) == 1


def test_torchvision_rates_follow_the_linear_rule(result):
    d = result.claim("ConvNeXts").data
    # ConvNeXt-T: 3+3+9+3 blocks, rate p·i/(L−1); EfficientNet-B0: 16 MBConv blocks, rate 0.2·i/16
    assert d["convnext_t_rates"] == pytest.approx([0.1 * i / 17 for i in range(18)])
    assert d["efficientnet_b0_rates"] == pytest.approx([0.2 * i / 16 for i in range(16)])


def test_the_toy_is_learnt_and_drop_path_lowers_test_error(result):
    d = result.claim("Regularization").data
    plain, dropped = d["plain"], d["stochastic_depth"]
    assert len(plain["test"]) == SEEDS >= 5
    for net in (plain, dropped):  # both nets learn the sine: well below predicting 0 on average
        assert sum(net["test"]) < 0.6 * sum(net["zero"])
    assert sum(plain["train"]) / SEEDS < NOISE ** 2  # without DropPath the net fits part of the noise …
    assert all(b > a for a, b in zip(plain["train"], dropped["train"]))  # … with it, less on every seed
    assert all(b < a for a, b in zip(plain["test"], dropped["test"])) and d["lower_on"] == SEEDS


def test_without_drop_path_both_nets_are_the_same_net(controlled):
    c = control(controlled, "drop", "Regularization")
    assert c.data["plain"] == c.data["stochastic_depth"]  # same init, same data, no dropping: same numbers
    assert c.data["lower_on"] == 0


def test_sub_networks_work_alone_only_after_drop_path(result, controlled):
    d = result.claim("ensemble").data
    assert max(d["ratio"]) < 1.5 < min(d["ratio_plain"])
    assert control(controlled, "drop", "ensemble").data["ratio"] == d["ratio_plain"]
    toy = result.claim("Regularization").data
    for net in (toy["plain"], toy["stochastic_depth"]):
        # the sub-network keeping every block is the eval-mode net, computed the other way
        assert net["by_depth"][-1] == pytest.approx(sum(net["test"]) / SEEDS, rel=1e-5)
        assert len(net["by_depth"]) == BLOCKS + 1
    # removing blocks hurts the net trained without DropPath: every shallower depth is worse than the full net
    assert min(toy["plain"]["by_depth"][:-1]) > 1.5 * toy["plain"]["by_depth"][-1]


def test_per_sample_drop(result):
    d = result.claim("entire residual blocks").data
    assert abs(d["skipped_fraction"] - 0.2) < 0.03 and d["kept_scaled"] is True


def test_element_wise_dropout_skips_no_branch(controlled):
    d = control(controlled, "unit", "entire residual blocks").data
    assert KNOBS["unit"].control == "element"
    # each of a sample's 8·4·4 = 128 activations is dropped alone: all of them with probability 0.2^128
    assert d["skipped_fraction"] == 0 and d["kept_scaled"] is False


def test_train_mean_matches_eval(result):
    assert result.claim("train mean").data["relative_difference"] < 0.03


def test_without_rescale_the_train_mean_is_short_by_p(controlled):
    d = control(controlled, "rescale", "train mean").data
    # the mean of x + mask·F is x + (1 − p)·F: off by p·‖F‖ relative to eval's x + F (p = 0.2)
    assert d["relative_difference"] == pytest.approx(0.2, abs=d["tolerance"])


def test_expected_depth(result):
    L = 54
    d = result.claim("shallower on average").data
    survive = sum(1 - l / L * 0.5 for l in range(1, L + 1))  # our own sum of survival probabilities
    assert d["mean_depth"] == pytest.approx((3 * L - 1) / 4) == pytest.approx(survive) == pytest.approx(40.25)


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    # the toy nets are cached between runs: trained again from scratch, they give the same numbers
    assert train_toys.__wrapped__(0.0) == result.claim("Regularization").data["plain"]


def test_dropping_whole_blocks_is_judged_without_the_rescale(controlled):
    # the ×1/keep_prob is the next claim's mechanism: without it, samples still skip whole branches
    assert control(controlled, "rescale", "entire residual blocks").verdict == "holds"
    assert control(controlled, "rescale", "train mean").verdict == "fails"
    assert control(controlled, "rescale", "entire residual blocks").data["kept_scaled"] is False


def test_ensemble_words_follow_the_ratio():
    r = run_proof(NAME, settings=["drop=0"])
    c = r.claim("ensemble")
    assert c.verdict == "fails" and "do not work alone" in c.note and "about as well" not in c.note
    assert "work alone (≤" not in r.takeaways[0] and "acts like an ensemble" not in r.takeaways[0]
    assert "test error lower on 0/5 seeds" in r.takeaways[0]


def test_ensemble_words_at_default(result):
    assert "predict about as well as the full net" in result.claim("ensemble").note
    assert "one deep net, not an ensemble" in result.claim("ensemble").note
    assert result.takeaways[0].endswith("a regulariser that acts like an ensemble")
