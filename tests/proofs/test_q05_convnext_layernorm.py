"""q05_convnext_layernorm: norm counts match the papers; the motive is the authors' (§); BN's coupling goes with
its batch statistics (eval mode: none), LN's independence goes with its per-sample statistics (pooled over the
batch: it moves with the batch and the outlier) — read from the proof's own control runs."""

import pytest
import torch
from torchvision.models.convnext import LayerNorm2d

from quiz.proofs import run_proof
from quiz.proofs.q05_convnext_layernorm import PooledLayerNorm2d

NAME = "q05_convnext_layernorm"


def control(controlled, knob, text):
    (run,) = [r for r in controlled.controls if r.knob == knob]
    (c,) = [c for c in run.claims if text in c.claim]
    return c.data


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "published", "holds", "holds", "holds"]
    assert result.claims[0].added and len(result.takeaways) == 1


def test_transformers_use_layernorm_only(result):
    d = result.claim("mimic Transformers").data
    # ViT-B/16: 12 encoder blocks × 2 LN + a final LN; Swin-T: 2+2+6+2 blocks × 2, + 3 patch merges, + patch embed,
    # + final
    assert d["transformers"]["vit_b_16"] == {"batchnorm": 0, "layernorm": 12 * 2 + 1}
    assert d["transformers"]["swin_t"] == {"batchnorm": 0, "layernorm": 12 * 2 + 3 + 1 + 1}


def test_the_pooled_control_changes_only_where_the_statistics_come_from():
    torch.manual_seed(0)
    ln, pooled = LayerNorm2d(8), PooledLayerNorm2d(8)
    for m in (ln, pooled):  # the same affine weights, not the trivial ones
        m.weight.data = torch.linspace(0.5, 2, 8)
        m.bias.data = torch.linspace(-1, 1, 8)
    x = torch.randn(4, 8, 3, 3)  # (N, C, H, W)
    with torch.no_grad():
        for i in range(4):  # a batch of one: pooling over the batch is each sample's own statistics
            assert torch.allclose(pooled(x[i:i + 1]), ln(x[i:i + 1]), atol=1e-5)
        assert not torch.allclose(pooled(x), ln(x), atol=1e-2)


def test_bn_in_eval_mode_couples_nothing(controlled):
    d = control(controlled, "batch_stats", "depend on each other")
    assert d["bn_training"] is False
    assert d["bn_other_samples_max_change"] == 0  # running statistics: no sample sees another


def test_ln_pooled_over_the_batch_moves_with_the_batch(controlled):
    d = control(controlled, "per_sample", "batch size")
    assert min(d["ln_diff_vs_full_batch"].values()) > 1e-2  # sample 0's output depends on who else is there
    d = control(controlled, "per_sample", "large variations")
    assert d["ln_others_max_change"] > 1  # the ×100 outlier now sets everyone's statistics


def test_norm_layer_counts_match_architectures(result):
    d = result.claim("no BatchNorm").data
    # ConvNeXt-T (paper): stage depths (3, 3, 9, 3) → 18 blocks with one LN each, + stem LN, 3 downsampling LNs,
    # + the LN before the classifier; no BatchNorm
    assert d["convnext_tiny"] == {"batchnorm": 0, "layernorm": sum((3, 3, 9, 3)) + 1 + 3 + 1}
    # ResNet-50: stem BN + 16 bottlenecks × 3 BNs + 4 projection shortcuts with a BN each
    assert d["resnet50"] == {"batchnorm": 1 + 16 * 3 + 4, "layernorm": 0}


def test_sample_coupling(result):
    d = result.claim("depend on each other").data
    assert d["ln_other_samples_max_change"] == 0 and d["bn_training"] is True
    assert d["bn_other_samples_max_change"] > 1e-3


def test_batch_size_dependence(result):
    d = result.claim("batch size").data
    assert set(d["ln_diff_vs_full_batch"].values()) == {0}
    diffs = d["bn_diff_vs_full_batch"]
    assert sorted(diffs) == ["2", "4", "8"]
    # smaller batches give noisier statistics: the further from the full batch, the larger the difference
    assert diffs["2"] > diffs["4"] > diffs["8"] > 1e-3


def test_outlier_sample(result):
    d = result.claim("large variations").data
    assert d["ln_others_max_change"] == 0
    assert d["ln_outlier_change"] < 1e-4  # LN(100·x + 5) = LN(x) up to float rounding and eps
    assert d["bn_others_std_before"] == pytest.approx(1.0, abs=0.05)  # BN output of the batch ≈ unit variance
    assert d["bn_others_std_after"] < 0.1


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]


def test_each_claim_is_judged_by_its_own_knob():
    # pooling LN's statistics does not touch BN's coupling; BN in eval mode does not touch LN's independence
    pooled = run_proof(NAME, settings=["per_sample=false"])
    assert [c.verdict for c in pooled.claims[2:]] == ["holds", "fails", "fails"]
    assert "couples them too" in pooled.takeaways[0] and "0 for all" not in pooled.figures[0].title
    eval_bn = run_proof(NAME, settings=["batch_stats=false"])
    assert [c.verdict for c in eval_bn.claims[2:]] == ["fails", "holds", "holds"]
    assert "couples samples" not in eval_bn.takeaways[0] and "squashes" not in eval_bn.takeaways[0]
    assert "BatchNorm (eval)" in eval_bn.figures[0].title and "squashes" not in eval_bn.claims[4].note


def test_words_follow_the_numbers(result):
    assert "(coupled)" in result.claim("depend on each other").note
    assert "bit-identical" in result.claim("batch size").note
    assert "couples samples (others move" in result.takeaways[0] and "squashes the batch" in result.takeaways[0]
    assert result.figures[0].title.startswith("BatchNorm (train): sample 0's output moves with")
