"""q03_inverted_residual: claims hold; widths, params, MACs and memory match our own arithmetic."""

import pytest

from quiz.proofs import run_proof

NAME = "q03_inverted_residual"
HW, T, C = 56, 6, 24  # MobileNetV2 paper: 24-channel stage at 56×56, expansion 6
FLOAT = 4  # bytes per float32


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["holds", "by definition", "by definition", "holds", "fails",
                                                  "by definition", "overstated"]
    assert len(result.takeaways) == 1


def test_depthwise_share_of_macs_is_small(result):
    # own arithmetic: 9·hi / (C·hi + 9·hi + hi·C) = 9 / (2·24 + 9) ≈ 16%
    assert result.claim("heavy part").data["dw_share_of_macs"] == pytest.approx(9 / (2 * C + 9))


def test_negative_control_a_dense_3x3_would_be_the_heavy_part():
    # put the mechanism's opposite in: torchvision's block with its depthwise 3×3 made dense, MACs counted
    # by FlopCounterMode — then the 3×3 dominates and the proof's check (share > 0.5) would report ✓
    import torch
    from torch import nn
    from torchvision.models.mobilenetv2 import InvertedResidual

    from quiz.proofs._tools import macs

    hi = C * T
    block = InvertedResidual(C, C, stride=1, expand_ratio=T).eval()
    block.conv[1][0] = nn.Conv2d(hi, hi, 3, padding=1, bias=False)  # dense in place of depthwise
    x = torch.zeros(1, C, HW, HW)
    share = macs(block.conv[1][0], torch.zeros(1, hi, HW, HW)) / macs(block, x)
    assert share > 0.5


def test_used_in_mobilenet_and_efficientnet(result):
    d = result.claim("Used in").data
    # MobileNetV2 paper, Table 2: 1+2+3+4+3+3+1 = 17 bottleneck blocks; EfficientNet-B0, Table 1: 1+2+2+3+3+4+1 = 16
    assert d["mobilenet_v2"] == {"blocks": 17, "expanding": 16, "ratios": [1, 6], "first_ratio": 1}
    assert d["efficientnet_b0"] == {"blocks": 16, "expanding": 15, "ratios": [1, 6], "first_ratio": 1}


def test_widths(result):
    assert result.claim("Expands").data["ir_widths"] == [C, C * T, C * T, C]
    assert result.claim("Expands").data["dw_groups"] == C * T
    assert result.claim("Opposite").data["bottleneck_widths"] == [256, 64, 64, 256]


def test_depthwise_vs_dense_own_formula(result):
    d = result.claim("few params").data
    hi = C * T
    assert d["dw_params"] == 3 * 3 * hi  # one 3×3 filter per channel
    assert d["dense_params"] == 3 * 3 * hi * hi
    assert d["dw_macs"] == 3 * 3 * hi * HW * HW
    assert d["dense_macs"] == 3 * 3 * hi * hi * HW * HW
    # block MACs: 1×1 expand + depthwise 3×3 + 1×1 project (BN/ReLU6/add not counted)
    assert d["ir_block_macs"] == (C * hi + 9 * hi + hi * C) * HW * HW
    assert d["ir_block_params"] == C * hi + 9 * hi + hi * C + 2 * (hi + hi + C)  # + BN weight/bias


def test_skip_and_peak_memory_own_arithmetic(result):
    d = result.claim("skip carries").data
    assert d["skip_ir"] == C * HW * HW and d["skip_bottleneck"] == 256 * HW * HW
    assert d["expanded"] == C * T * HW * HW
    m = result.claim("Memory efficient").data
    # peak while the expand BN runs: block input (24) + conv output (144) + BN output (144)
    assert m["ir_peak_bytes"] == (C + 2 * C * T) * HW * HW * FLOAT
    assert m["ir_peak_channels"] == [C, C * T, C * T]
    # ResNet bottleneck peak at bn3: input (256) + conv3 output (256) + bn3 output (256)
    assert m["bottleneck_peak_bytes"] == 3 * 256 * HW * HW * FLOAT
    assert m["expanded_share_of_peak"] == pytest.approx(2 * T / (1 + 2 * T))
    assert m["ir_saved_wide_bytes"] % (C * T * HW * HW * FLOAT) == 0  # whole expanded tensors
    assert m["ir_saved_wide_bytes"] > m["ir_saved_bytes"] / 2


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
