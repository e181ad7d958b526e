"""q05_convnext_layernorm: all claims hold; norm counts match the papers; BatchNorm2d / GroupNorm(1) are not a
token LayerNorm (negative control through the proof's own measuring function)."""

import pytest

from torchvision.models.convnext import LayerNorm2d

from quiz.proofs import run_proof
from quiz.proofs.q05_convnext_layernorm import vs_token_layernorm

NAME = "q05_convnext_layernorm"


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["holds"] * 5
    assert result.claims[0].added and len(result.takeaways) == 1


def test_layernorm2d_is_a_transformers_token_layernorm(result):
    d = result.claim("mimic Transformers").data
    assert d["max_diff_vs_token_layernorm"] < 1e-5
    # ViT-B/16: 12 encoder blocks × 2 LN + a final LN; Swin-T: 2+2+6+2 blocks × 2, + 3 patch merges, + patch embed, + final
    assert d["transformers"]["vit_b_16"] == {"batchnorm": 0, "layernorm": 12 * 2 + 1}
    assert d["transformers"]["swin_t"]["batchnorm"] == 0


def test_negative_control_other_norms_are_not_a_token_layernorm(result):
    # swap the mechanism, same measuring function: BatchNorm2d (batch statistics) and GroupNorm(1, C) (one
    # sample's statistics, but over C·H·W, not per pixel) both differ from a Transformer's token LayerNorm
    import torch
    from torch import nn

    x = torch.randn(4, 8, 3, 3, generator=torch.Generator().manual_seed(0))  # (N, C, H, W)
    assert vs_token_layernorm(LayerNorm2d(8), x) < 1e-5  # the mechanism: ✓
    assert vs_token_layernorm(nn.BatchNorm2d(8).train(), x) > 1e-2  # the proof's check would report ✗
    assert vs_token_layernorm(nn.GroupNorm(1, 8), x) > 1e-2
    assert result.claim("mimic Transformers").data["bn_max_diff_vs_token_layernorm"] > 1e-2


def test_norm_layer_counts_match_architectures(result):
    d = result.claim("no BatchNorm").data
    # ConvNeXt-T (paper): stage depths (3, 3, 9, 3) → 18 blocks with one LN each, + stem LN, 3 downsampling LNs,
    # + the LN before the classifier; no BatchNorm
    assert d["convnext_tiny"] == {"batchnorm": 0, "layernorm": sum((3, 3, 9, 3)) + 1 + 3 + 1}
    # ResNet-50: stem BN + 16 bottlenecks × 3 BNs + 4 projection shortcuts with a BN each
    assert d["resnet50"] == {"batchnorm": 1 + 16 * 3 + 4, "layernorm": 0}


def test_sample_coupling(result):
    d = result.claim("depend on each other").data
    assert d["ln_other_samples_identical"] is True
    assert d["bn_eval_other_samples_identical"] is True  # running stats: no coupling at test time
    assert d["bn_other_samples_max_change"] > 1e-3


def test_batch_size_dependence(result):
    d = result.claim("batch size").data
    assert d["ln_identical"] is True
    diffs = d["bn_diff_vs_full_batch"]
    assert sorted(diffs) == ["2", "4", "8"]
    # smaller batches give noisier statistics: the further from the full batch, the larger the difference
    assert diffs["2"] > diffs["4"] > diffs["8"] > 1e-3


def test_outlier_sample(result):
    d = result.claim("large variations").data
    assert d["ln_others_identical"] is True
    assert d["ln_outlier_change"] < 1e-4  # LN(100·x + 5) = LN(x) up to float rounding and eps
    assert d["bn_others_std_before"] == pytest.approx(1.0, abs=0.05)  # BN output of the batch ≈ unit variance
    assert d["bn_others_std_after"] < 0.1


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
