"""q05_convnext_layernorm: claims hold (the design-history one is not shown); norm counts match the papers."""

import pytest

from quiz.proofs import run_proof

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


def test_negative_control_batchnorm_is_not_a_token_layernorm():
    # swap the mechanism: BatchNorm2d in place of LayerNorm2d differs from the token LayerNorm
    import torch
    from torch import nn

    x = torch.randn(4, 8, 3, 3, generator=torch.Generator().manual_seed(0))
    tokens = nn.LayerNorm(8)(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
    assert (nn.BatchNorm2d(8).train()(x) - tokens).abs().max().item() > 1e-2


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
