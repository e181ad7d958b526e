"""q03_inverted_residual: the depthwise conv is light (✗ heavy), expanded tensors dominate memory (◐); widths,
params, MACs and memory match our own arithmetic; dense-3×3 and no-expansion negative controls."""

import pytest
import torch
from torch import nn
from torchvision.models.mobilenetv2 import InvertedResidual

from quiz.proofs import run_proof
from quiz.proofs.q03_inverted_residual import expanded_share, spatial_share

NAME = "q03_inverted_residual"
HW, T, C = 56, 6, 24  # MobileNetV2 paper: 24-channel stage at 56×56, expansion 6
FLOAT = 4  # bytes per float32


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["holds", "by definition", "by definition", "holds", "fails",
                                                  "by definition", "overstated"]
    assert [c.added for c in result.claims] == [False] * 5 + [True, False]  # the answer says nothing of the skip
    assert len(result.takeaways) == 1


def test_depthwise_share_of_macs_is_small(result):
    # own arithmetic: 9·hi / (C·hi + 9·hi + hi·C) = 9 / (2·24 + 9) ≈ 16%
    assert result.claim("heavy part").data["dw_share_of_macs"] == pytest.approx(9 / (2 * C + 9))


def block_and_input(expand_ratio=T):
    torch.manual_seed(0)
    x = torch.randn(1, C, HW, HW)  # (N, C, H, W) = (1, 24, 56, 56)
    return InvertedResidual(C, C, stride=1, expand_ratio=expand_ratio), x


def test_negative_control_a_dense_3x3_is_the_heavy_part():
    # swap the mechanism: the depthwise 3×3 (groups=144) for a dense 3×3 — the same count now flips the verdict
    block, x = block_and_input()
    hi = C * T
    assert spatial_share(block, x) < 0.5  # depthwise: the proof's "heavy part" check reports ✗
    block.conv[1][0] = nn.Conv2d(hi, hi, 3, padding=1, bias=False)  # dense, groups=1
    dense_share = spatial_share(block, x)
    assert dense_share > 0.5  # the check would report ✓
    assert dense_share == pytest.approx(9 * hi / (2 * C + 9 * hi))  # closed form: 9·hi² / (C·hi + 9·hi² + hi·C)


def test_negative_control_no_expansion_no_wide_peak():
    # remove the mechanism: expand_ratio=1 (no 1×1 expansion) — no tensor wider than the input, share 0
    block, x = block_and_input(expand_ratio=1)
    assert expanded_share(block, x) == 0  # the "Memory efficient" check (share < 0.5) would report ✓
    wide, x = block_and_input()
    assert expanded_share(wide, x) > 0.5


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
