"""q03_inverted_residual: the depthwise conv is light (✗ heavy; a dense 3×3 in its place is heavy), expanded
tensors dominate memory as PyTorch runs the block but not streamed in slices (◐; in ResNet's order nothing helps);
widths, params, MACs and memory match our own arithmetic; the streamed forward computes torchvision's block."""

import pytest
import torch
from torchvision.models.mobilenetv2 import InvertedResidual

from quiz.proofs import run_proof
from quiz.proofs.q03_inverted_residual import forward

NAME = "q03_inverted_residual"
HW, T, C = 56, 6, 24  # MobileNetV2 paper: 24-channel stage at 56×56, expansion 6
FLOAT = 4  # bytes per float32


def control(controlled, knob, claim):
    (run,) = [r for r in controlled.controls if r.knob == knob]
    (c,) = [c for c in run.claims if c.claim == claim]
    return c


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition"] * 4 + ["fails", "by definition", "overstated"]
    assert [c.added for c in result.claims] == [False] * 5 + [True, False]  # the answer says nothing of the skip
    assert len(result.takeaways) == 1


def test_depthwise_share_of_macs_is_small(result):
    # own arithmetic: 9·hi / (C·hi + 9·hi + hi·C) = 9 / (2·24 + 9) ≈ 16%
    assert result.claim("heavy part").data["dw_share_of_macs"] == pytest.approx(9 / (2 * C + 9))


def test_a_dense_3x3_in_its_place_is_the_heavy_part(controlled):
    d = control(controlled, "depthwise", "…the depthwise conv is the heavy part").data
    hi = C * T
    assert d["depthwise"] is False
    assert d["conv_macs"][1] == 9 * hi * hi * HW * HW  # the dense 3×3's own count
    assert d["dw_share_of_macs"] == pytest.approx(9 * hi / (2 * C + 9 * hi))  # 9·hi² / (C·hi + 9·hi² + hi·C)


@pytest.mark.parametrize("expand_ratio, cin", [(T, C), (1 / T, C * T)])  # inverted, and ResNet's order
@pytest.mark.parametrize("chunks", [1, 5, T])
def test_the_streamed_forward_computes_the_block(expand_ratio, cin, chunks):
    torch.manual_seed(0)
    block = InvertedResidual(cin, cin, stride=1, expand_ratio=expand_ratio).eval()
    for bn in (m for m in block.modules() if isinstance(m, torch.nn.BatchNorm2d)):  # BN stats that matter
        bn.running_mean.uniform_(-1, 1), bn.running_var.uniform_(0.5, 2), bn.weight.data.uniform_(0.5, 2)
        bn.bias.data.uniform_(-1, 1)
    x = torch.randn(2, cin, 9, 9)
    with torch.no_grad():
        assert torch.allclose(forward(block, x, chunks), block(x), atol=1e-5)


def test_peak_memory_own_arithmetic(result):
    m = result.claim("Memory efficient").data
    unit = HW * HW * FLOAT  # bytes of one channel
    # as PyTorch runs it, the peak comes while the expand BN runs: block input (24) + conv output + BN output (144)
    assert m["peak_bytes"] == (C + 2 * C * T) * unit and m["peak_channels"] == [C, C * T, C * T]
    assert m["wide_share"] == pytest.approx(2 * T / (1 + 2 * T))
    # streamed in T slices of 24 channels: input + output so far + a slice's input and output, nothing wider
    assert m["streamed_peak_bytes"] == 4 * C * unit and m["streamed_wide_share"] == 0
    assert m["input_bytes"] == C * unit
    assert m["saved_wide_bytes"] % (C * T * unit) == 0  # whole expanded tensors
    assert m["saved_wide_bytes"] > m["saved_bytes"] / 2


def test_streaming_is_what_makes_it_hold(controlled):
    d = control(controlled, "chunks", "Memory efficient").data
    assert d["chunks"] == T
    assert d["peak_bytes"] == d["streamed_peak_bytes"] == 4 * C * HW * HW * FLOAT and d["wide_share"] == 0


def test_in_resnet_order_the_wide_tensors_are_the_block_input_and_output(controlled):
    d = control(controlled, "inverted", "Memory efficient").data
    hi, unit = C * T, HW * HW * FLOAT
    assert d["inverted"] is False and d["input_bytes"] == hi * unit
    # the last BN and the skip: input + output + its BN (or the sum), all 144 channels, sliced or not
    assert d["peak_bytes"] == 3 * hi * unit and d["wide_share"] == 1
    assert d["streamed_peak_bytes"] >= 3 * hi * unit and d["streamed_wide_share"] > 0.95


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


def test_skip_arithmetic(result):
    d = result.claim("skip carries").data
    assert d["skip_ir"] == C * HW * HW and d["skip_bottleneck"] == 256 * HW * HW
    assert d["expanded"] == C * T * HW * HW


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]


def test_a_dense_3x3_what_if_runs_and_leaves_the_block_depthwise():
    # --set depthwise=false: the MAC count uses a copy with a dense 3×3; the memory section still streams the
    # (depthwise) block, and the words follow the numbers
    r = run_proof(NAME, settings=["depthwise=false"])
    heavy = r.claim("heavy part")
    assert heavy.verdict == "holds" and heavy.data["depthwise"] is False
    assert "the dense 3×3 is the heavy part" in heavy.note
    assert r.claim("Memory efficient").data["streamed_wide_share"] == 0
    assert "dense 3×3" in r.takeaways[0] and "heavy part" in r.takeaways[0]
    assert "3×3 dense (144 ch)" in r.figures[0].data["bars"]


@pytest.mark.parametrize("setting, holds, fails", [
    ("chunks=6", "What holds: computed 6 slices", "What fails"),
    ("inverted=false", "What fails: op by op", "What holds"),
])
def test_memory_note_follows_the_numbers(setting, holds, fails):
    c = run_proof(NAME, settings=[setting]).claim("Memory efficient")
    assert holds in c.note and fails not in c.note


def test_memory_note_says_what_holds_and_what_fails(result):
    c = result.claim("Memory efficient")
    assert c.note.index("What holds: computed 6 slices") < c.note.index("What fails: op by op")
    assert "92% of it in tensors wider than 24 ch" in c.note
