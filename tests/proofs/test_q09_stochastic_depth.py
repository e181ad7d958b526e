"""q09: stochastic depth — torchvision's rates against the linear rule written out here, Huang et al.'s
expected depth, the toy's train/test errors, and a negative control (no dropping, no rise in train error)."""

import pytest

from quiz.proofs import run_proof
from quiz.proofs.q09_stochastic_depth import train_toy

NAME = "q09_stochastic_depth"


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["overstated", "holds", "holds", "holds", "by definition",
                                                  "overstated"]
    assert len(result.takeaways) == 1


def test_torchvision_rates_follow_the_linear_rule(result):
    d = result.claim("ConvNeXts").data
    # ConvNeXt-T: 3+3+9+3 blocks, rate p·i/(L−1); EfficientNet-B0: 16 MBConv blocks, rate 0.2·i/16
    assert d["convnext_t_rates"] == pytest.approx([0.1 * i / 17 for i in range(18)])
    assert d["efficientnet_b0_rates"] == pytest.approx([0.2 * i / 16 for i in range(16)])


def test_negative_control_a_constant_rate_breaks_the_rule():
    from torchvision.models import convnext_tiny
    from torchvision.ops import StochasticDepth

    import torch

    with torch.device("meta"):
        net = convnext_tiny(weights=None, stochastic_depth_prob=0.1)
    for m in net.modules():  # remove the mechanism: every block dropped at the same rate
        if isinstance(m, StochasticDepth):
            m.p = 0.1
    rates = [m.p for m in net.modules() if isinstance(m, StochasticDepth)]
    assert max(abs(a - 0.1 * i / 17) for i, a in enumerate(rates)) > 0.05  # the check would report ✗


def test_per_sample_drop(result):
    d = result.claim("entire residual blocks").data
    assert abs(d["skipped_fraction"] - 0.2) < 0.03 and d["kept_scaled"] is True


def test_train_mean_matches_eval(result):
    assert result.claim("train mean").data["relative_difference"] < 0.03


def test_expected_depth(result):
    L = 54
    d = result.claim("shallower on average").data
    survive = sum(1 - l / L * 0.5 for l in range(1, L + 1))  # our own sum of survival probabilities
    assert d["mean_depth"] == pytest.approx((3 * L - 1) / 4) == pytest.approx(survive) == pytest.approx(40.25)


def test_toy_regulariser(result):
    d = result.claim("Regularization").data
    for (tr0, _), (tr1, _) in zip(d["plain"], d["stochastic_depth"]):
        assert tr0 < 1e-4 < tr1  # without it the net memorises the noisy labels; with it, it cannot


def test_negative_control_drop_zero_is_plain():
    assert train_toy(0.0, 0) == train_toy(0.0, 0)  # deterministic, and drop 0 …
    tr, _ = train_toy(0.0, 1)
    assert tr < 1e-4  # … memorises: the proof's "train error rises" check would report ✗


def test_ensemble_gap(result):
    d = result.claim("ensemble").data
    assert d["gap_one_block"] < 1e-5  # one block: eval == exact mean of its 2 sub-networks
    assert d["gap_four_blocks"] > 1e-3  # a stack: not an identity


def test_deterministic(result):
    again = run_proof("q09_stochastic_depth")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
