"""q04_compound_scaling: FLOPs match our own formula; EfficientNet crops are torchvision metadata (published),
depth/width/params/MACs measured on meta match torchvision's docs; a no-scaling negative control."""

import pytest

from quiz.proofs import run_proof

NAME = "q04_compound_scaling"
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15

# torchvision docs (weights meta num_params), published constants
PUBLISHED_PARAMS = {"b0": 5_288_548, "b1": 7_794_184, "b2": 9_109_994, "b3": 12_233_232}


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["holds", "holds", "published", "holds", "not shown"]
    assert "torchvision" in result.claim("inputs grow").measured  # the source is named
    assert result.claims[0].added  # the answer does not say how each dimension costs
    (unshown,) = [c for c in result.claims if c.holds is None]
    assert unshown.claim.startswith("Prevents bottlenecks")
    assert "accuracy" in unshown.note
    assert len(result.takeaways) == 1


def test_negative_control_scaling_one_dimension_is_not_compound(result):
    # remove the mechanism: scale resolution alone by the same FLOPs budget — depth and width stay put
    rows = result.claim("∝ depth").data["rows"]
    res_only = [r for r in rows if r["scale"] == "resolution"]
    assert all(r["depth"] == 20 and r["width"] == 64 for r in res_only)
    assert all(abs(r["ratio"] - (ALPHA * BETA**2 * GAMMA**2) ** r["phi"]) > 0.05 * r["ratio"] for r in res_only)


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


def test_negative_control_unscaled_models_fail_the_growth_check(result, monkeypatch):
    # break the mechanism: pretend B3 were built with B0's depth/width (no compound scaling) — the check flips
    from quiz.proofs import Proof
    from quiz.proofs import q04_compound_scaling as q04

    real = result.claim("deepen and widen").data["efficientnet"]  # what the proof measured
    monkeypatch.setattr(q04, "efficientnet_stats", lambda b: {**real["b0"], "res": real[b]["res"]})
    p = Proof()
    q04.run(p)
    verdicts = {c.claim: c.verdict for c in p.claims}
    assert verdicts["…and B0…B3 deepen and widen with them"] == "fails"
    assert verdicts["EfficientNet-B0…B3 inputs grow with φ"] == "published"  # the resolution part is untouched


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
