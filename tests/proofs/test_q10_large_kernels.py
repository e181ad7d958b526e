"""q10: large kernels — RFs by hand, params by formula, ConvNeXt-T's RF by its own gradient."""

import torch

from quiz.proofs import run_proof

NAME = "q10_large_kernels"


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "holds", "holds", "holds", "fails"]
    assert len(result.takeaways) == 1


def test_negative_control_a_3x3_stack_does_not_widen_the_erf():
    # remove the mechanism: "7×7" replaced by 3×3 in both stacks → the same ERF, the check reports ✗
    from quiz.proofs.q10_large_kernels import _erf, _width

    (_, s_a, _), (_, s_b, _) = _width(_erf(3)[0]), _width(_erf(3)[0])
    assert not s_a > s_b


def test_theoretical_rf_of_four_blocks(result):
    d = result.claim("3× faster per layer").data
    assert d["rf7"] == 1 + 4 * 6 and d["rf3"] == 1 + 4 * 2
    assert d["support7"] == 25 * 25 and d["support3"] == 9 * 9


def test_effective_rf_is_wider_but_inside_the_theoretical(result):
    d = result.claim("effective Receptive Field").data
    assert d["r95_3"] < d["r95_7"] <= 12 and d["std3"] < d["std7"]


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
    assert d["one_layer_conv"] == 49 and d["one_layer_attention"] == 32 * 32
    assert d["grad_outside_rf"] == 0


def test_deterministic(result):
    again = run_proof("q10_large_kernels")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
