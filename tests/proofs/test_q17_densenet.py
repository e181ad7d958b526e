"""q17_densenet: sum vs concatenation, saved-for-backward memory vs depth, DenseNet-121 vs ResNet-34/50; the
controls (layers summed instead of concatenated, torchvision's checkpointed DenseNet, ResNet-34 as the only
rival) flip the verdicts for the reasons the notes give."""

import torch
import torchvision

from quiz.proofs import run_proof

NAME = "q17_densenet"

C0, K, BN_SIZE, N, HW = 64, 32, 4, 1, 8  # the proof's inputs: block input channels, growth rate, batch, side
F32 = 4  # bytes


def d2(v):
    return [v[i + 1] - 2 * v[i] + v[i - 1] for i in range(1, len(v) - 1)]


def control(controlled, knob):
    (run,) = [r for r in controlled.controls if r.knob == knob]
    return {c.claim: c for c in run.claims}


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "by definition", "holds", "published",
                                                  "overstated"]
    assert len(result.takeaways) == 1


def test_channels_sum_vs_concat(result):
    assert result.claim("ResNet: summation").data["res_channels"] == [C0] * 5
    d = result.claim("DenseNet: concatenation").data
    assert d["dense_channels"] == [C0 + i * K for i in range(5)] == [64, 96, 128, 160, 192]
    assert d["x_kept_exactly"] is True


def test_memory_quadratic_vs_linear(result):
    d = result.claim("quadratic in depth").data
    assert d["depths"] == list(range(1, 9))
    naive, resid = d["naive"], d["residual"]
    assert d["block"] == naive  # the proof as shipped measures torchvision's default block
    # independent of the proof's own 2nd differences: recompute them here
    assert d2(resid) == [0] * 6  # linear
    assert len(set(d2(naive))) == 1  # quadratic: constant 2nd difference …
    # … at least the k new channels of the concatenated input every layer must keep (N·k·H·W floats)
    assert d2(naive)[0] >= N * K * HW * HW * F32
    # each residual block keeps at least its (N, C0, H, W) input for conv1's backward
    assert resid[1] - resid[0] >= N * C0 * HW * HW * F32
    assert naive[-1] / naive[3] > resid[-1] / resid[3]


def test_checkpointed_block_is_linear(result):
    d = result.claim("quadratic in depth").data
    cp = d["checkpointed"]
    assert d2(cp) == [0] * 6
    assert cp[-1] < d["naive"][-1]


def test_summed_dense_layers_grow_linearly(controlled):
    c = control(controlled, "join")["memory grows with the channel count: quadratic in depth"]
    block = c.data["block"]
    assert d2(block) == [0] * 6  # the same layers, summed: every layer stores the same
    # each layer keeps at least its c0-channel BN input and its 4·c0-channel bottleneck (growth rate c0)
    assert block[1] - block[0] >= N * (C0 + BN_SIZE * C0) * HW * HW * F32


def test_checkpointing_removes_the_growth_and_the_huge_memory(controlled, result):
    claims = control(controlled, "memory_efficient")
    sweep = claims["memory grows with the channel count: quadratic in depth"].data
    assert sweep["block"] == sweep["checkpointed"] and d2(sweep["block"]) == [0] * 6
    mem = claims["…but consumes huge memory"].data
    naive = result.claim("huge memory").data["activation_bytes"]
    assert mem["memory_efficient"] is True
    assert mem["activation_bytes"]["densenet121"] < naive["densenet121"] / 1.5  # recomputed, not stored
    assert {k: v for k, v in mem["activation_bytes"].items() if k != "densenet121"} == \
           {k: v for k, v in naive.items() if k != "densenet121"}  # the ResNets are the same nets
    assert mem["ratio"]["resnet50"] < 1  # below ResNet-50's: not huge at all


def test_against_resnet34_alone_it_is_huge(controlled, result):
    mem = control(controlled, "rival")["…but consumes huge memory"].data
    assert set(mem["ratio"]) == {"resnet34"}
    assert mem["ratio"]["resnet34"] == result.claim("huge memory").data["ratio"]["resnet34"] > 2


def test_published_params_ops_and_accuracy(result):
    d = result.claim("DenseNet reuses features").data
    # torchvision docs: DenseNet121_Weights / ResNet34_Weights / ResNet50_Weights IMAGENET1K_V1
    assert d["num_params"] == {"densenet121": 7_978_856, "resnet34": 21_797_672, "resnet50": 25_557_032}
    assert d["params_counted"] == d["num_params"]  # counted on the meta device, independently
    assert d["ops"] == {"densenet121": 2.834, "resnet34": 3.664, "resnet50": 4.089}
    assert d["published_top1"] == {"densenet121": 74.434, "resnet34": 73.314, "resnet50": 76.13}
    per = d["top1_per_mparam"]
    assert abs(per["densenet121"] - 74.434 / 7.978856) < 1e-9 and per["densenet121"] > 2 * max(per["resnet34"], per["resnet50"])


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


def test_activation_bytes_same_with_train_mode_batchnorm_and_real_init(result):
    # the proof runs BN in eval mode on meta and skips kaiming init (faster); a train-mode forward of the
    # builder's own net saves the same bytes
    from quiz.proofs.q17_densenet import _saved_bytes

    with torch.device("meta"):
        m = torchvision.models.resnet50(weights=None).train()
        x = torch.empty(1, 3, 224, 224)
    d = result.claim("huge memory").data["activation_bytes"]
    assert _saved_bytes(m, x, skip=m.parameters())[-1] == d["resnet50"]


def test_the_cached_sweeps_are_deterministic(result):
    from quiz.proofs.q17_densenet import sweep

    d = result.claim("quadratic in depth").data
    assert list(sweep.__wrapped__("concat")) == d["naive"]
    assert list(sweep.__wrapped__("concat", True)) == d["checkpointed"]


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]
