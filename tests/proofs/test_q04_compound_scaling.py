"""q04_compound_scaling: every claim is arithmetic, a read of torchvision or published (no control can flip
one): FLOPs match our own formula, also for a learner's own α (--set); EfficientNet crops are torchvision
metadata, depth/width/params/MACs counted on meta match torchvision's docs."""

import pytest

from quiz.proofs import run_proof

NAME = "q04_compound_scaling"
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15

# torchvision docs (weights meta num_params), published constants
PUBLISHED_PARAMS = {"b0": 5_288_548, "b1": 7_794_184, "b2": 9_109_994, "b3": 12_233_232}


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "by definition", "published", "by definition",
                                                  "not shown"]
    assert "torchvision" in result.claim("inputs grow").measured  # the source is named
    assert result.claims[0].added  # the answer does not say how each dimension costs
    (unshown,) = [c for c in result.claims if c.holds is None]
    assert unshown.claim.startswith("Prevents bottlenecks")
    assert "accuracy" in unshown.note
    assert len(result.takeaways) == 1


def own_macs(depth, width, res):
    """Multiply-adds of the small CNN, by hand: 3×3/2 stem, depth 3×3 convs, a 10-way linear head."""
    s = (res + 2 - 3) // 2 + 1  # output side of the stride-2 stem
    return 9 * 3 * width * s * s + depth * 9 * width * width * s * s + width * 10


def test_small_cnn_flops_match_own_formula(result):
    d = result.claim("∝ depth").data
    rows = d["rows"]
    assert len(rows) == 12
    for r in rows:
        assert r["macs"] == own_macs(r["depth"], r["width"], r["res"])
    assert d["base_macs"] == own_macs(20, 64, 224)


def test_compound_matches_prediction(result):
    d = result.claim("one φ").data
    for r, g in zip(d["compound"], d["growth_per_phi"]):
        phi = r["phi"]
        assert r["predicted"] == pytest.approx((ALPHA * BETA**2 * GAMMA**2) ** phi)
        assert r["ratio"] == pytest.approx(r["predicted"], rel=0.05)
        assert g == pytest.approx(2, abs=0.11)  # ≈ 2× FLOPs per unit of φ
        assert (r["depth"], r["width"], r["res"]) == (
            round(20 * ALPHA**phi), round(64 * BETA**phi), round(224 * GAMMA**phi))


@pytest.mark.parametrize("b", sorted(PUBLISHED_PARAMS))
def test_efficientnets_match_torchvision_published(result, b):
    from torchvision import models

    e = result.claim("deepen and widen").data["efficientnet"][b]
    assert e["params"] == PUBLISHED_PARAMS[b]
    weights = getattr(models, f"EfficientNet_{b.upper()}_Weights").IMAGENET1K_V1  # metadata only
    assert e["params"] == weights.meta["num_params"]
    # torchvision's GFLOPS (multiply-adds) are counted at its eval crop, the resolution the proof reads
    assert round(e["macs"] / 1e9, 3) == pytest.approx(weights.meta["_ops"], abs=1e-9)
    # torchvision's eval crops; the reference TF implementation lists 224/240/260/300 — torchvision's B2 differs
    assert e["res"] == {"b0": 224, "b1": 240, "b2": 288, "b3": 300}[b]
    assert result.claim("inputs grow").data["res"][b] == e["res"]


# published (width, depth) multipliers of the reference EfficientNet implementation
MULTIPLIERS = {"b0": (1.0, 1.0), "b1": (1.0, 1.1), "b2": (1.1, 1.2), "b3": (1.2, 1.4)}


@pytest.mark.parametrize("b", sorted(MULTIPLIERS))
def test_efficientnet_depth_and_width_from_multipliers(result, b):
    import math

    e = result.claim("deepen and widen").data["efficientnet"][b]
    wm, dm = MULTIPLIERS[b]
    repeats = (1, 2, 2, 3, 3, 4, 1)  # B0's MBConv repeats per stage (paper, Table 1)
    assert e["blocks"] == sum(math.ceil(n * dm) for n in repeats)
    assert e["width"] == 4 * (int(320 * wm + 4) // 8 * 8)  # 4 × last stage (320 ch) rounded to a multiple of 8


def test_the_figure_shows_the_compound_step_as_the_product_of_the_three(result):
    (fig,) = result.figures
    assert fig.kind == "bars"  # one bar per setting: nothing to overlap at 80 columns
    bars = list(fig.data["bars"].values())
    depth, width, res, compound = bars
    rows = [r for r in result.claim("∝ depth").data["rows"] if r["phi"] == 3]
    assert bars == [r["ratio"] for r in rows]
    assert compound == pytest.approx(depth * width * res, rel=0.03)  # d·w²·r²: the three multiply


def test_a_learners_own_alpha_is_counted():
    r = run_proof(NAME, settings=["alpha=1.4"])
    assert r.options["alpha"] == 1.4
    rows = r.claim("∝ depth").data["rows"]
    for row in (x for x in rows if x["scale"] == "depth"):
        assert row["depth"] == round(20 * 1.4 ** row["phi"])
        assert row["macs"] == own_macs(row["depth"], 64, 224)
    assert r.claim("one φ").data["compound"][0]["predicted"] == pytest.approx(1.4 * BETA**2 * GAMMA**2)


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]


def test_not_4x_only_when_it_is_not_4x(result):
    assert "×, not 4×, at φ=2" in result.claim("one φ").measured
    r = run_proof(NAME, settings=["alpha=2", "beta=1", "gamma=1"])
    assert "(4× at φ=2)" in r.claim("one φ").measured and "not 4×" not in r.claim("one φ").measured
