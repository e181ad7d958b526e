"""q06: Squeeze-and-Excitation — checked against torchvision's docs and our own SE formula; the toy's gate
singles out the signal channel only when the label depends on it and only when the gate can learn (negative
controls); the gate flips with an input cue, which a static per-channel scale cannot (closed-form optimum)."""

import pytest

from quiz.proofs import run_proof
from quiz.proofs.q06_squeeze_excitation import train_switch, train_toy

NAME = "q06_squeeze_excitation"

RESNET50_PARAMS = 25_557_032  # torchvision docs, ResNet50_Weights.IMAGENET1K_V1 "num_params"


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "holds", "holds", "holds", "holds"]
    assert result.claims[-1].added and len(result.takeaways) == 1


def test_squeeze_shape(result):
    assert result.claim("Squeeze").data["squeeze_shape"] == [8, 256, 1, 1]
    assert result.claim("Squeeze").data["max_abs_diff"] < 1e-6


def test_trained_gate_singles_out_the_signal(result):
    d = result.claim("dog").data
    assert d["gate_signal"] > 0.9 and d["gate_noise_mean"] < 0.1
    ex = result.claim("Excite").data
    assert all(0 < g < 1 for g in ex["gate"])  # a sigmoid's range
    assert 0.3 < ex["gate_before"][0] < 0.7  # untrained: no preference


def test_negative_control_without_an_informative_channel_no_gate_stands_out():
    gate, _, loss = train_toy(informative=False)
    assert not gate[0] > 0.9  # the proof's check reports ✗
    assert gate[0] < 2 * gate[1:].max()  # channel 0 is not singled out
    assert loss > 0.5  # nothing to learn: the label is noise


def test_negative_control_a_fixed_gate_cannot_ignore_the_background(result):
    # remove the excitation: gate fixed at 1 — every channel passes, the noise stays in the prediction
    gate, _, loss = train_toy(informative=True, gate=False)
    assert gate.tolist() == [1.0] * 8  # nothing singled out
    # loss ≈ the noise channels' variance: 7 channels × Var(mean of 16 pixels of 3·N(0,1)) = 7 · 9/16 ≈ 3.9
    assert abs(loss - 7 * 9 / 16) < 1.5
    d = result.claim("dog").data
    assert d["loss_gate_fixed"] == loss and d["loss"] < loss / 10


def test_adaptive_gate_flips_with_the_cue(result):
    d = result.claim("adaptively").data["se"]
    (on0, on1), (off0, off1) = d["gate_cue_ch0"], d["gate_cue_ch1"]
    assert on0 > 0.9 and off0 < 0.1 and off1 > 0.9 and on1 < 0.1
    assert d["loss"] < 0.01


def test_negative_control_a_static_scale_cannot_adapt(result):
    # remove the mechanism: one learned gate vector for every input. Closed form of its best choice: gate a on
    # ch 0 and ch 1 (0 elsewhere), each case half the time: loss = (a−1)² + a²·9/16 (the other channel's noise,
    # Var of a 4×4 mean of 3·N(0,1)) → a* = 16/25 = 0.64, loss* = 0.36
    d = result.claim("adaptively").data["static"]
    assert d["gate_cue_ch0"] == pytest.approx(d["gate_cue_ch1"], abs=1e-6)  # the same gate whatever the cue
    assert d["gate_cue_ch0"] == pytest.approx([0.64, 0.64], abs=0.05)
    assert d["loss"] == pytest.approx(0.36, abs=0.05)
    # the proof's check, on the static gate, reports ✗
    (on0, _), (off0, _) = d["gate_cue_ch0"], d["gate_cue_ch1"]
    assert not (on0 > 0.9 > 0.1 > off0)
    assert train_switch(adaptive=False) == d  # the importable function is what the proof ran


def test_output_is_input_times_weights(result):
    d = result.claim("adaptively").data
    assert d["max_abs_diff_xw"] < 1e-6 and d["max_abs_diff_mine"] < 1e-5


def test_se_params_match_our_formula(result):
    # SE(C, C/r) = fc1 (C·C/r + C/r) + fc2 (C/r·C + C); ResNet-50: widths 256..2048, blocks 3/4/6/3
    widths, blocks, r = [256, 512, 1024, 2048], [3, 4, 6, 3], 16
    per_stage = [n * (2 * c * (c // r) + c // r + c) for c, n in zip(widths, blocks)]
    d = result.claim("costs").data
    assert d["widths"] == widths and d["blocks"] == blocks
    assert d["se_params_per_stage"] == per_stage
    assert d["resnet50_params"] == RESNET50_PARAMS
    assert d["se_resnet50_params"] == RESNET50_PARAMS + sum(per_stage)
    assert round(d["se_resnet50_params"] / 1e6, 1) == 28.1  # paper (Hu et al.): SE-ResNet-50 28.1M


def test_deterministic(result):
    again = run_proof("q06_squeeze_excitation")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]
