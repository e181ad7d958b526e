"""q13_group_norm: GN definition, batch independence, LN/IN limits, per-group scaling — all true by
definition (≡), checked against the formulas; the groups knob's what-ifs reach LayerNorm and InstanceNorm."""

import math

import pytest

from quiz.proofs import run_proof
from quiz.proofs.q13_group_norm import KNOBS

NAME = "q13_group_norm"


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition"] * 4 + ["published", "published"]
    assert len(result.takeaways) == 1
    assert all(k.control is None for k in KNOBS.values())  # what-if knobs only: nothing here is an experiment


def test_group_norm_matches_its_definition(result):
    d = result.claim("Splits channels into groups").data
    assert d["err_def"] < 1e-5
    assert d["worst_mean"] < 1e-5
    assert d["worst_std"] < 1e-3
    # Wu & He (2018) use G = 32 by default; torchvision's FCOS head is built with GroupNorm(32, ·).
    assert d["torchvision_groups"] == [32]


def test_gn_batch_independent_bn_not(result):
    d = result.claim("Independent of batch size").data
    assert d["sizes"] == [1, 2, 4, 8, 16, 32]
    assert all(v == 0.0 or v < 1e-6 for v in d["gn_drift"])
    assert d["bn_drift"][-1] < 1e-6  # the same batch of 32 gives the same output
    assert d["bn_drift"][0] > 0.1
    # Fewer samples, noisier batch statistics: batch 1 drifts more than batch 16.
    assert d["bn_drift"][0] > d["bn_drift"][4]


def test_extremes_are_layernorm_and_instancenorm(result):
    d = result.claim("1 group = LayerNorm").data
    assert d["ln_err"] < 1e-5 and d["in_err"] < 1e-5


def test_per_group_scaling_matches_analytic_values(result):
    d = result.claim("channel independence").data
    # Half the channels std 1, half std 10: LayerNorm divides all by sqrt((1 + 100) / 2),
    # so the small channels end at 1/sqrt(50.5) ≈ 0.141; GroupNorm (2 channels per group, same scale) at 1.
    assert d["ln_small"] == pytest.approx(1 / math.sqrt(50.5), rel=0.03)
    assert d["gn_small"] == pytest.approx(1.0, abs=0.01)
    # interleaved, every group holds one of each: the group's variance is (1 + 100)/2 as for LN
    assert d["gn_odd"] == pytest.approx(1 / math.sqrt(50.5), rel=0.25)
    # scattered at random: a small channel keeps its scale iff its group's other channel is small too,
    # which happens with probability 31/63 (31 small channels left among the 63 others)
    assert len(d["kept"]) >= 5
    assert sum(d["kept"]) / len(d["kept"]) == pytest.approx(31 / 63, abs=0.1)
    assert 0 < min(d["kept"]) < max(d["kept"]) < 1  # the layout matters


@pytest.mark.parametrize("groups, own, mixed", [(1, 1 / math.sqrt(50.5), 1 / math.sqrt(50.5)), (64, 1.0, 1.0)])
def test_groups_reach_layernorm_and_instancenorm(groups, own, mixed):
    d = run_proof(NAME, options={"groups": groups}).claim("channel independence").data
    assert d["groups"] == groups
    assert d["gn_small"] == pytest.approx(own, rel=0.05) and d["gn_odd"] == pytest.approx(mixed, rel=0.05)
    if groups == 1:
        assert d["gn_small"] == pytest.approx(d["ln_small"])  # GroupNorm(1, C) is LayerNorm
    else:
        assert min(d["kept"]) == 1.0  # one channel per group: every small channel keeps its scale


def test_figure_drawn(result):
    assert result.figures[0].kind == "lines" and "batch size" in result.figures[0].title


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]


@pytest.mark.parametrize("groups, aligned, interleaved", [
    (1, "the one group holds 32 of each", "the one group holds 32 of each"),
    (16, "groups of their own", "every group holds 2 of each"),
    (32, "groups of their own", "every group holds one of each"),
    (64, "groups of their own", "groups of their own")])
def test_the_layouts_are_worded_from_the_groups(groups, aligned, interleaved):
    c = run_proof(NAME, options={"groups": groups}).claim("channel independence")
    assert f"second half ({aligned})" in c.measured and f"every other one ({interleaved})" in c.measured
    assert "◐" not in c.measured


def test_the_published_batch_2_figures_are_one_constant(result):
    from quiz.proofs.q13_group_norm import PAPER_BATCHES, PAPER_ERROR
    bn, gn = PAPER_ERROR["BN"][-1], PAPER_ERROR["GN"][-1]
    assert PAPER_BATCHES[-1] == 2 and (bn, gn) == (34.7, 24.1)  # Wu & He 2018, Table 2
    assert f"BN {bn}% vs GN {gn}%" in result.claim("batch 2").value
    assert f"{gn}% vs BN's {bn}%" in result.takeaways[0]
