"""q06: Squeeze-and-Excitation — checked against torchvision's docs and our own SE formula."""

from quiz.proofs import run_proof

NAME = "q06_squeeze_excitation"

RESNET50_PARAMS = 25_557_032  # torchvision docs, ResNet50_Weights.IMAGENET1K_V1 "num_params"


def test_all_claims_hold_except_the_dog_interpretation(result):
    not_shown = [c.claim for c in result.claims if c.holds is None]
    assert len(not_shown) == 1 and "Dog" in not_shown[0]
    assert all(c.holds is True for c in result.claims if c.holds is not None)
    assert len(result.claims) == 6


def test_squeeze_and_excite_shapes_and_range(result):
    assert result.claim("Squeeze").data["squeeze_shape"] == [8, 256, 1, 1]
    ex = result.claim("Excite").data
    assert ex["excite_shape"] == [8, 256, 1, 1]
    assert 0 < ex["w_min"] < ex["w_max"] < 1


def test_output_is_input_times_weights(result):
    d = result.claim("channel-wise").data
    assert d["max_abs_diff_xw"] < 1e-6 and d["max_abs_diff_mine"] < 1e-5


def test_se_params_match_our_formula(result):
    # SE(C, C/r) = fc1 (C·C/r + C/r) + fc2 (C/r·C + C); ResNet-50: widths 256..2048, blocks 3/4/6/3
    widths, blocks, r = [256, 512, 1024, 2048], [3, 4, 6, 3], 16
    per_stage = [n * (2 * c * (c // r) + c // r + c) for c, n in zip(widths, blocks)]
    d = result.claim("cost").data
    assert d["widths"] == widths and d["blocks"] == blocks
    assert d["se_params_per_stage"] == per_stage
    assert d["resnet50_params"] == RESNET50_PARAMS
    assert d["se_resnet50_params"] == RESNET50_PARAMS + sum(per_stage)
    assert round(d["se_resnet50_params"] / 1e6, 1) == 28.1  # paper (Hu et al.): SE-ResNet-50 28.1M


def test_deterministic(result):
    again = run_proof("q06_squeeze_excitation")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]
