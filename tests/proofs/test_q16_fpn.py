"""q16_fpn: torchvision FeaturePyramidNetwork on ResNet-18 C2…C5; P2 written out level by level matches it;
each level's share of P2 over 5 seeds; the controls (no top-down, no C2 lateral) flip 'combining' for the
reasons the note gives (the flips themselves: test_controls.py)."""

import pytest
import torch
from torch.nn import functional as F

from quiz.proofs import run_proof
from quiz.proofs.q16_fpn import features, networks

NAME = "q16_fpn"

SIDE = 128
STRIDES = [4, 8, 16, 32]  # ResNet stages conv2_x … conv5_x (He et al. 2016)
RESNET18_WIDTHS = [64, 128, 256, 512]  # BasicBlock stage widths (He et al. 2016, Table 1)


def control(controlled, knob):
    (run,) = [r for r in controlled.controls if r.knob == knob]
    return [c for c in run.claims if c.claim.startswith("Combining")][0].data


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "holds", "by definition", "not shown"]
    assert result.claims[-1].note and len(result.takeaways) == 1


def test_pyramid_shapes(result):
    d = result.claim("Extracting features").data
    assert d["strides"] == STRIDES + [64]  # + torchvision's extra max-pool level (P6, stride 2 of P5)
    assert d["c_shapes"] == [[1, c, SIDE // s, SIDE // s] for c, s in zip(RESNET18_WIDTHS, STRIDES)]
    assert d["p_shapes"] == [[1, 256, SIDE // s, SIDE // s] for s in STRIDES + [64]]
    assert d["widths"] == [256]
    assert d["written_vs_torchvision"] < 1e-4  # P2 written out level by level is torchvision's P2


def test_shares_are_a_decomposition(result):
    d = result.claim("Combining high-level semantic").data
    assert len(d["shares"]) >= 5
    for s in d["shares"]:
        assert sum(s) == pytest.approx(1, abs=1e-5) and all(v > 0 for v in s)
    assert d["fine"] == [s[0] for s in d["shares"]] and d["coarse"] == [sum(s[1:]) for s in d["shares"]]
    assert d["grad_c5"] > 0


def test_shares_by_hand_for_seed_0(result):
    # ⟨part, M⟩ / ‖M‖² from torchvision's own FPN modules, upsampling step by step as its forward does
    _, fpn, _ = networks(0)
    feats = features(0)
    with torch.no_grad():
        lat = [fpn.inner_blocks[i](f) for i, f in enumerate(feats.values())]
        top = lat[3]
        for i in (2, 1):  # C4, C3: the FPN's ×2 chain
            top = lat[i] + F.interpolate(top, size=lat[i].shape[-2:], mode="nearest")
        top = F.interpolate(top, size=lat[0].shape[-2:], mode="nearest")
        m = lat[0] + top
        fine = ((lat[0] * m).sum() / (m * m).sum()).item()
    assert result.claim("Combining high-level semantic").data["fine"][0] == pytest.approx(fine, rel=1e-4)


def test_the_shares_do_not_move_with_the_image_scale_but_with_the_levels(result):
    d = result.claim("Combining high-level semantic").data
    assert d["input_scaled"] == pytest.approx(d["shares"][0], abs=1e-4)  # no biases at init: homogeneous
    assert abs(sum(d["coarse_scaled"][1:])) < 0.01  # C3…C5 × 1e-3: energy × 1e-6 against C2


def test_without_top_down_p2_is_c2_alone(controlled):
    d = control(controlled, "top_down")
    assert d["grad_c5"] == 0  # no path from C5 to P2 at all
    assert d["coarse"] == [0.0] * len(d["coarse"]) and d["fine"] == [1.0] * len(d["fine"])


def test_without_the_lateral_p2_is_the_coarse_levels_alone(controlled):
    d = control(controlled, "lateral")
    assert d["fine"] == [0.0] * len(d["fine"]) and d["coarse"] == pytest.approx([1.0] * len(d["coarse"]))
    assert d["grad_c5"] > 0


def test_the_note_reads_the_shares_of_its_own_run(result, controlled):
    def note(run):
        return next(c for c in run.claims if c.claim.startswith("Combining")).note

    assert "comes down from the coarse levels" in note(result) and "C5 2.57)" in note(result)
    (off,) = [r for r in controlled.controls if r.knob == "top_down"]
    assert "most of it is C2's own lateral" in note(off) and "coarse levels" not in note(off)
    assert "C2's own lateral supplies 100% of it, C3 0%" in note(off)


def test_without_top_down_no_c5_cell_is_placed_on_p2():
    r = run_proof(NAME, settings=["top_down=false"])
    assert not [c for c in r.claims if "own region of P2" in c.claim]
    assert [f.kind for f in r.figures] == ["bars"] and "here 0% of the stride-4 map" in r.takeaways[0]


def test_one_c5_cell_reaches_its_block_of_p2(result):
    d = result.claim("own region of P2").data
    up = STRIDES[-1] // STRIDES[0]  # 8: C5 → P2 upsampling factor
    r, c = d["cell"]
    # the cell's 8×8 footprint after nearest upsampling, grown by 1 px by P2's 3×3 output conv
    assert d["box"] == [r * up - 1, (r + 1) * up, c * up - 1, (c + 1) * up]
    assert d["patch"] == [up + 2, up + 2]


def test_anchor_sizes_per_level(result):
    d = result.claim("Essential for Object Detection").data
    # FPN paper (Lin et al. 2017, §4.1): anchor sizes 32², 64², 128², 256², 512² on P2…P6
    assert d["anchor_sizes"] == [32, 64, 128, 256, 512]
    assert d["anchor_strides"] == STRIDES + [64]


def test_figures(result):
    bars, heat = result.figures
    assert bars.kind == "bars" and sum(bars.data["bars"].values()) == pytest.approx(100, abs=1e-3)
    grid = heat.data["grid"]
    assert len(grid) == SIDE // 4
    inked = [i for i, row in enumerate(grid) if any(v > 0 for v in row)]
    d = result.claim("own region of P2").data
    assert inked == list(range(d["box"][0], d["box"][1] + 1))


def test_deterministic(result):
    networks.cache_clear()  # build and run again, not read the first run's cache
    features.cache_clear()
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]
