"""q06: Squeeze-and-Excitation — checked against torchvision's docs and our own SE formula; the toy's gate (5
inits) opens the dog's channel and shuts it when the dog moves, and without the squeeze (the proof's own control
run: a static learned gate) it settles on the closed-form compromise 16/25 for both channels."""

import pytest
import torch
from torchvision.ops import SqueezeExcitation

from quiz.proofs import run_proof
from quiz.proofs.q06_squeeze_excitation import SEEDS, TOY_C, toy_se

NAME = "q06_squeeze_excitation"

RESNET50_PARAMS = 25_557_032  # torchvision docs, ResNet50_Weights.IMAGENET1K_V1 "num_params"
NOISE = 9 / 16  # variance of a 4×4 mean of 3·N(0, 1): a background channel's mean


def control(controlled, text):
    (run,) = [r for r in controlled.controls if r.knob == "squeeze"]
    (c,) = [c for c in run.claims if text in c.claim]
    return c.data


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "by definition", "holds", "holds",
                                                  "by definition"]
    assert result.claims[-1].added and len(result.takeaways) == 1


def test_squeeze_shape(result):
    assert result.claim("Squeeze").data["squeeze_shape"] == [8, 256, 1, 1]
    assert result.claim("Squeeze").data["max_abs_diff"] < 1e-6


def test_output_is_input_times_weights(result):
    d = result.claim("Excite").data
    assert d["max_abs_diff_xw"] < 1e-6 and d["max_abs_diff_mine"] < 1e-5
    assert d["excite_shape"] == [8, 256, 1, 1] and d["max_spread"] > 0.01  # one weight per channel per image


def test_the_toys_seeds_are_independent_se_blocks():
    torch.manual_seed(0)
    se = toy_se()
    x = torch.randn(3, SEEDS * TOY_C, 4, 4)
    with torch.no_grad():
        for k in range(SEEDS):  # group k is an SE(8, 4) of its own: the same gate from its 8 channels alone
            one = SqueezeExcitation(TOY_C, 4)
            one.fc1.weight.copy_(se.fc1.weight[4 * k:4 * k + 4]), one.fc1.bias.copy_(se.fc1.bias[4 * k:4 * k + 4])
            one.fc2.weight.copy_(se.fc2.weight[TOY_C * k:TOY_C * (k + 1)])
            one.fc2.bias.copy_(se.fc2.bias[TOY_C * k:TOY_C * (k + 1)])
            part = x[:, TOY_C * k:TOY_C * (k + 1)]
            assert torch.allclose(se._scale(x)[:, TOY_C * k:TOY_C * (k + 1)], one._scale(part), atol=1e-6)
    assert len({round(w.norm().item(), 6) for w in se.fc1.weight.split(4)}) == SEEDS  # a different init each


def test_se_opens_the_dogs_channel_for_every_init(result):
    d = result.claim("dog").data
    assert d["squeeze"] is True and len(d["gate_dog"]) == SEEDS
    assert min(d["gate_dog"]) > 0.9 and max(d["gate_background"]) < 0.1
    assert max(d["loss"]) < 0.05  # vs the signal's variance 1
    # every gate at 1: 5 noise channels + the other candidate + the cue (±1) all leak into the prediction
    assert all(abs(v - (6 * NOISE + 1)) < 1 for v in d["loss_gate_one"])
    a = result.claim("adaptively").data
    assert min(a["gate_ch0_dog_in_ch0"]) > 0.9 and max(a["gate_ch0_dog_in_ch1"]) < 0.1


def test_with_a_fixed_dog_a_static_gate_does_it_too(result):
    # the note's contrast: the dog always in channel 0 — no squeeze needed to single it out
    gates = result.claim("dog").data["fixed_dog_static"]["gate_dog_ch0"]
    assert all(g[0] > 0.9 and max(g[1:]) < 0.1 for g in gates)


def test_without_the_squeeze_the_gate_settles_on_one_compromise(controlled):
    # one learned gate vector for every image. Closed form of its best choice: gate a on ch 0 and ch 1, 0 elsewhere;
    # each case half the time: loss = (a−1)² + a²·9/16 → a* = 1/(1 + 9/16) = 16/25 = 0.64, loss* = 0.36
    d = control(controlled, "adaptively")
    assert d["squeeze"] is False
    assert d["gate_ch0_dog_in_ch0"] == pytest.approx(d["gate_ch0_dog_in_ch1"], abs=1e-6)  # blind to the image
    assert d["gate_ch0_dog_in_ch0"] == pytest.approx([16 / 25] * SEEDS, abs=0.08)  # Adam on noisy batches
    assert d["gate_ch1_dog_in_ch1"] == pytest.approx([16 / 25] * SEEDS, abs=0.08)
    assert d["loss"] == pytest.approx([0.36] * SEEDS, abs=0.05)
    dog = control(controlled, "dog")
    assert max(dog["gate_dog"]) < 0.7  # why 'attend to the dog' fails: the compromise, not the dog


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
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]


def test_words_follow_the_squeeze_knob_and_the_verdict(result):
    assert "it opens the dog's channel" in result.takeaways[0] and "a static gate can't" in result.takeaways[0]
    assert "SE, dog in ch 0" in result.figures[0].data["bars"]
    r = run_proof(NAME, settings=["squeeze=false"])
    assert r.claim("adaptively").verdict == "fails"
    assert "it opens the dog's channel" not in r.takeaways[0] and "does not follow the dog" in r.takeaways[0]
    assert not any(label.startswith("SE") for label in r.figures[0].data["bars"])
