"""q17_densenet: sum vs concatenation, saved-for-backward memory vs depth, DenseNet-121 vs ResNet-50."""

import torch
import torchvision

from quiz.proofs import run_proof

NAME = "q17_densenet"

C0, K, N, HW = 64, 32, 1, 8  # the proof's inputs: block input channels, growth rate, batch, side
F32 = 4  # bytes


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "by definition", "holds", "holds", "holds",
                                                  "overstated"]
    assert len(result.takeaways) == 1


def test_negative_control_a_residual_stack_does_not_grow():
    # remove the mechanism (concatenation): the same sweep over a BasicBlock stack has zero 2nd difference
    from torch import nn
    from torchvision.models.resnet import BasicBlock

    from quiz.proofs.q17_densenet import _saved_bytes, _second_diff

    r = nn.Sequential(*[BasicBlock(C0, C0) for _ in range(5)]).train()
    x = torch.randn(N, C0, HW, HW, requires_grad=True)
    totals = _saved_bytes(r, x, layers=r, skip=r.parameters())[:-1]
    assert set(_second_diff(totals)) == {0}  # the "quadratic" check would report ✗


def test_channels_sum_vs_concat(result):
    assert result.claim("ResNet: summation").data["res_channels"] == [C0] * 5
    d = result.claim("DenseNet: concatenation").data
    assert d["dense_channels"] == [C0 + i * K for i in range(5)] == [64, 96, 128, 160, 192]
    assert d["x_kept_exactly"] is True


def test_memory_quadratic_vs_linear(result):
    d = result.claim("quadratic in depth").data
    assert d["depths"] == list(range(1, 9))
    naive, resid = d["naive"], d["residual"]
    # independent of the proof's own 2nd differences: recompute them here
    d2 = [naive[i + 1] - 2 * naive[i] + naive[i - 1] for i in range(1, 7)]
    r2 = [resid[i + 1] - 2 * resid[i] + resid[i - 1] for i in range(1, 7)]
    assert r2 == [0] * 6  # linear
    assert len(set(d2)) == 1  # quadratic: constant 2nd difference …
    # … at least the k new channels of the concatenated input every layer must keep (N·k·H·W floats)
    assert d2[0] >= N * K * HW * HW * F32
    # each residual block keeps at least its (N, C0, H, W) input for conv1's backward
    assert resid[1] - resid[0] >= N * C0 * HW * HW * F32
    assert naive[-1] / naive[3] > resid[-1] / resid[3]


def test_memory_efficient_is_linear(result):
    d = result.claim("checkpointing").data
    e = d["efficient"]
    assert [e[i + 1] - 2 * e[i] + e[i - 1] for i in range(1, 7)] == [0] * 6
    assert e[-1] < result.claim("quadratic in depth").data["naive"][-1]


def test_published_params_and_flops(result):
    d = result.claim("DenseNet reuses features").data
    # torchvision docs: DenseNet121_Weights / ResNet50_Weights num_params and GFLOPS
    assert d["params"] == {"densenet121": 7_978_856, "resnet34": 21_797_672, "resnet50": 25_557_032}
    ops = {"densenet121": torchvision.models.DenseNet121_Weights.IMAGENET1K_V1.meta["_ops"],
           "resnet34": torchvision.models.ResNet34_Weights.IMAGENET1K_V1.meta["_ops"],
           "resnet50": torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["_ops"]}
    assert ops == {"densenet121": 2.834, "resnet34": 3.664, "resnet50": 4.089}
    assert {k: round(v / 1e9, 3) for k, v in d["macs"].items()} == ops
    assert d["published_top1"] == {"densenet121": 74.434, "resnet34": 73.314, "resnet50": 76.13}


def _bn_input_bytes(builder):
    """Bytes of every BatchNorm input in one 224² forward (meta): each is saved for backward in training."""
    with torch.device("meta"):
        m = builder(weights=None).eval()
        x = torch.empty(1, 3, 224, 224)
    total = []
    for bn in (m for m in m.modules() if isinstance(m, torch.nn.BatchNorm2d)):
        bn.register_forward_pre_hook(lambda mod, a: total.append(a[0].numel() * a[0].element_size()))
    with torch.no_grad():
        m(x)
    return sum(total)


def test_full_network_activations_independent_lower_bound(result):
    d = result.claim("huge memory").data["activation_bytes"]
    bn = {"densenet121": _bn_input_bytes(torchvision.models.densenet121),
          "resnet50": _bn_input_bytes(torchvision.models.resnet50)}
    assert bn["densenet121"] > bn["resnet50"]  # the ordering holds by a second, cruder count too
    # concatenations are fresh tensors, so every BN input is a distinct saved storage
    assert d["densenet121"] >= bn["densenet121"]
    assert d["resnet50"] >= bn["resnet50"]


def test_activation_bytes_same_with_train_mode_batchnorm(result):
    # the proof runs BN in eval mode on meta (faster); a train-mode forward saves the same bytes
    from quiz.proofs.q17_densenet import _saved_bytes

    with torch.device("meta"):
        m = torchvision.models.resnet50(weights=None).train()
        x = torch.empty(1, 3, 224, 224)
    d = result.claim("huge memory").data["activation_bytes"]
    assert _saved_bytes(m, x, skip=m.parameters())[-1] == d["resnet50"]


def test_deterministic(result):
    again = run_proof("q17_densenet")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]
