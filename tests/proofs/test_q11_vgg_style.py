"""q11_vgg_style: Gram matrices ignore patch arrangement, feature maps do not; weights handling."""

import os

import pytest
import torch

from quiz.errors import QuizError
from quiz.proofs import run_proof

NAME = "q11_vgg_style"

CACHED = os.path.join(torch.hub.get_dir(), "checkpoints", "vgg16-397923af.pth")
# VGG-16 ("D") convolutions up to relu3_3: index in vgg16().features -> (in, out) channels.
CONVS = {0: (3, 64), 2: (64, 64), 5: (64, 128), 7: (128, 128), 10: (128, 256), 12: (256, 256), 14: (256, 256)}


def fake_state_dict(path, extra_layers=True):
    """A torchvision-style VGG-16 state dict (features.* keys), Kaiming-normal weights of its own."""
    g = torch.Generator().manual_seed(123)
    sd = {}
    for i, (cin, cout) in CONVS.items():
        sd[f"features.{i}.weight"] = torch.randn(cout, cin, 3, 3, generator=g) * (2 / (cout * 9)) ** 0.5
        sd[f"features.{i}.bias"] = torch.zeros(cout)
    if extra_layers:  # a real checkpoint has deeper convs and the classifier too: they must be ignored
        sd["features.17.weight"] = torch.zeros(512, 256, 3, 3)
        sd["classifier.6.bias"] = torch.zeros(1000)
    torch.save(sd, path)
    return sd


@pytest.mark.skipif(os.path.isfile(CACHED), reason="torchvision's cached VGG-16 weights are used instead")
def test_verdicts_and_not_shown(result):
    assert [c.verdict for c in result.claims] == ["holds", "not shown", "not shown", "not shown"]
    assert result.claims[0].added and len(result.takeaways) == 1
    assert result.claims[2].claim == "VGG features are very robust"


def test_the_controls_sit_beside_vgg(result):
    sep = result.claims[0].data["separation"]
    assert set(sep) == {"VGG", "ResNet-18", "pixels"}
    assert sep["pixels"] > 1e3  # a shuffle keeps every pixel: the pixel Gram matrix does not move
    assert sep["ResNet-18"] > 2 and sep["VGG"] > 2


def test_negative_control_unshuffled_is_not_separated():
    # remove the mechanism (the Gram statistic): compare raw feature maps instead — a shuffle moves them as
    # much as another texture, so "other ÷ shuffled" drops to about 1
    from quiz.proofs import q11_vgg_style as q

    rows = run_proof(NAME).claims[0].data["layers"]
    assert all(r["content_other"] / r["content_shuffle"] < 2 for r in rows)
    assert q._separation(rows) > 2


def test_layers_are_vgg16_relu1_2_to_relu3_3(result):
    rows = result.claims[0].data["layers"]
    assert [r["layer"] for r in rows] == ["relu1_2", "relu2_2", "relu3_3"]
    assert [r["channels"] for r in rows] == [64, 128, 256]  # VGG paper, configuration D


def test_gram_invariant_to_shuffle_features_not(result):
    d = result.claims[0].data
    for r in d["layers"]:
        assert r["gram_shuffle"] < 0.15  # texture statistics kept
        assert r["content_shuffle"] > 0.5  # arrangement changed
        assert r["gram_other"] > 0.4  # a different texture is told apart
        assert all(0 <= r[k] < 2 for k in r if k not in ("layer", "channels"))
    assert d["min_content_over_gram"] == pytest.approx(
        min(r["content_shuffle"] / r["gram_shuffle"] for r in d["layers"]))


@pytest.mark.skipif(os.path.isfile(CACHED), reason="torchvision's cached VGG-16 weights are used instead")
def test_random_init_said_plainly(result):
    c = result.claim("disentangled")
    assert c.data["weights"] == "random init (seed 0)"
    assert "no trained weights are here" in c.note and c.verdict == "not shown"


def test_given_state_dict_is_used(tmp_path, result):
    path = tmp_path / "vgg16.pth"
    fake_state_dict(path)
    r = run_proof("q11_vgg_style", {"weights": str(path)})
    assert r.claims[0].data["weights"] == f"state dict {path}"
    c = r.claim("disentangled")
    assert c.verdict in ("holds", "fails") and str(path) in c.measured  # measured against the controls
    # Other weights, other features: the measured changes differ from the default run's.
    assert r.claims[0].data["layers"] != result.claims[0].data["layers"]


def test_missing_weights_file_is_a_clear_error(tmp_path):
    path = tmp_path / "nope.pth"
    with pytest.raises(QuizError, match="not found") as e:
        run_proof("q11_vgg_style", {"weights": str(path)})
    assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_wrong_weights_file_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.pth"
    junk.write_text("not a checkpoint")
    with pytest.raises(QuizError, match="cannot read") as e:
        run_proof("q11_vgg_style", {"weights": str(junk)})
    assert str(junk) in str(e.value) and "\n" not in str(e.value)

    partial = tmp_path / "partial.pth"
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, partial)
    with pytest.raises(QuizError, match="not a torchvision VGG-16 state dict") as e:
        run_proof("q11_vgg_style", {"weights": str(partial)})
    assert str(partial) in str(e.value)


def test_deterministic(result):
    again = run_proof("q11_vgg_style")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
