"""q10: large kernels — RFs by hand, params by formula, ConvNeXt-T's RF by its own gradient; the controls
(a 3×3 stack, a 7×7 map) flip the two measured verdicts for the reasons the notes give."""

import torch

from quiz.proofs import run_proof
from quiz.proofs.draw import draw

NAME = "q10_large_kernels"


def control(controlled, knob, text):
    (run,) = [r for r in controlled.controls if r.knob == knob]
    (claim,) = [c for c in run.claims if text in c.claim]
    return claim


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "holds", "by definition", "by definition",
                                                  "fails"]
    assert len(result.takeaways) == 1


def test_a_3x3_kernel_measures_the_3x3_stack_against_itself(result, controlled):
    main, d = result.claim("effective Receptive Field").data, control(controlled, "kernel", "effective").data
    assert d["kernel"] == 3 and main["kernel"] == 7
    assert d["std_k"] == d["std3"] == main["std3"] and d["r95_k"] == d["r95_3"]
    assert d["centre_share"] > main["centre_share"]  # the 3×3 stack keeps more of its gradient on the centre


def test_theoretical_rf_of_four_blocks(result):
    d = result.claim("3× faster per layer").data
    assert d["rf7"] == 1 + 4 * 6 and d["rf3"] == 1 + 4 * 2
    assert d["support7"] == 25 * 25 and d["support3"] == 9 * 9


def test_effective_rf_is_wider_but_inside_the_theoretical(result):
    d = result.claim("effective Receptive Field").data
    assert d["r95_3"] < d["r95_k"] <= 12 and d["std3"] < d["std_k"]
    assert d["grad_outside_rf"] == 0  # nothing outside the 25×25 window moves the centre output


def test_convnext_tiny_blocks_to_224(result):
    d = result.claim("whole object").data
    # by hand: stem 4 px (jump 4); stage 1 adds 3·6·4 → 76; downsample +4 → 80 (jump 8);
    # stage 2 adds 48 per block → 128, 176, 224 at block 6. With 3×3: 4+3·8 = 28, +4 = 32, +3·16 = 80,
    # +8 = 88 (jump 16), stage 3 +32 per block → 120, 152, 184, 216, 248 at block 3+3+5 = 11.
    assert d["blocks_to_224_k7"] == 6 and d["blocks_to_224_k3"] == 11


def test_convnext_tiny_rf_by_gradient():
    # independent of the layer walk: the stem + stages 1–2 of ConvNeXt-T (6 blocks; narrow channels,
    # the RF depends only on kernels and strides) must see exactly 224×224 input pixels from one output
    from torchvision.models.convnext import CNBlock, CNBlockConfig, ConvNeXt

    torch.manual_seed(0)
    head = ConvNeXt([CNBlockConfig(8, 16, 3), CNBlockConfig(16, None, 3)], layer_scale=1.0).features
    assert sum(isinstance(m, CNBlock) for m in head.modules()) == 6
    x = torch.randn(1, 3, 320, 320, requires_grad=True)
    head(x)[0, :, 20, 20].sum().backward()
    seen = x.grad[0].abs().sum(0) > 0
    assert int(seen.any(0).sum()) == 224 and int(seen.any(1).sum()) == 224


def test_params(result):
    d = result.claim("cheap").data
    c = 96
    assert d["params_dw7"] == 7 * 7 * c + c
    assert d["params_3x_dw3"] == 3 * (3 * 3 * c + c)
    assert d["params_dense7"] == 7 * 7 * c * c + c
    # CNBlock: dw 7×7 + bias, LayerNorm, Linear C→4C, Linear 4C→C, layer scale
    assert d["block_params"] == (49 * c + c) + 2 * c + (4 * c * c + 4 * c) + (4 * c * c + c) + c
    assert d["rf"] == [7, 7, 7]


def test_locality(result):
    d = result.claim("global attention").data
    assert d["one_layer_conv"] == 7 * 7 and d["one_layer_attention"] == d["side"] ** 2 == 32 * 32
    # a conv's weights are fixed: its gradient map is the same for any input; attention's are computed from it
    assert d["weights_change"]["conv"] == 0 and d["weights_change"]["attn"] > 0.01
    # ConvNeXt-T at 224 px: stem /4 → 56, then /2 per stage; 3, 3, 9, 3 blocks
    assert d["stages"] == [(56, 3), (28, 3), (14, 9), (7, 3)]


def test_on_a_7x7_map_the_7x7_conv_is_global(controlled):
    d = control(controlled, "map", "global attention").data
    assert d["side"] == 7 and d["kernel"] == 7
    assert d["one_layer_conv"] == d["one_layer_attention"] == 49  # the window covers the whole map
    assert d["weights_change"]["conv"] == 0  # but still fixed weights (the note's reason for ✗, not ◐)


def test_figures_draw_every_row(result):
    lines, heat = result.figures
    assert lines.kind == "lines" and heat.kind == "heatmap"
    for _, ys in lines.data["series"].values():  # the raw gradient: zeros outside the RF (not drawn on a log
        assert 0 in ys and min(y for y in ys if y > 0) > 1e-9  # axis), no floor value standing in for them
    grid = heat.data["grid"]
    assert max(map(max, grid)) == 4 and all(v == int(v) for row in grid for v in row)  # whole decades
    for tall in (False, True):
        drawn = draw(heat, 80, tall=tall)
        assert "·" not in drawn  # no row left blank (draw marks one with a lone dot)


def test_deterministic(result):
    again = run_proof("q10_large_kernels")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]


def test_attention_words_follow_the_count(result):
    c = result.claim("global attention")
    n = c.data["one_layer_conv"]
    assert f"a 7×7 window {n}," in c.note and "Not ◐" in c.note
    assert f"one layer sees {n} of 1024 inputs" in result.takeaways[0]


def test_on_a_map_the_window_covers_the_note_says_so():
    r = run_proof(NAME, settings=["map=5"])
    c = r.claim("global attention")
    assert c.verdict == "holds" and c.data["one_layer_conv"] == 25
    assert "already reaches every position (25 of 25)" in c.note and "not global attention" not in c.note
    assert "stays local" not in r.takeaways[0] and "sees all 25 inputs" in r.takeaways[0]


def test_coverage_uses_the_kernel():
    c = run_proof(NAME, settings=["kernel=15"]).claim("global attention")
    assert "100.0% of 14×14" in c.note and "only on the 14×14 and 7×7 maps" in c.note
