"""q11_vgg_style: Gram matrices ignore patch arrangement, feature maps do not (the gram control); weights
handling (--weights still works beside the knobs, and its claim is judged against the same VGG at random init)."""

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


def test_the_baselines_sit_beside_vgg(result):
    sep = result.claims[0].data["separation"]
    assert set(sep) == {"VGG", "ResNet-18", "pixels"}
    assert sep["pixels"] > 1e3  # a shuffle keeps every pixel: the pixel Gram matrix does not move
    assert sep["ResNet-18"] > 2 and sep["VGG"] > 2


def test_without_the_gram_matrix_a_shuffle_moves_the_style_as_much_as_another_texture(result, controlled):
    (run,) = [r for r in controlled.controls if r.knob == "gram"]
    d = [c for c in run.claims if c.claim.startswith("Gram statistics")][0].data
    assert d["gram"] is False and d["weights"] == result.claims[0].data["weights"]
    for r in d["layers"]:  # the style statistic is now the feature map itself
        assert (r["style_shuffle"], r["style_other"]) == (r["content_shuffle"], r["content_other"])
    assert all(v < 2 for v in d["separation"].values()) and d["min_content_over_style"] == 1
    # the same features as the run with the Gram matrix: only the statistic changed
    shuffled = lambda rows: [r["content_shuffle"] for r in rows]  # noqa: E731
    assert shuffled(d["layers"]) == shuffled(result.claims[0].data["layers"])


def test_layers_are_vgg16_relu1_2_to_relu3_3(result):
    rows = result.claims[0].data["layers"]
    assert [r["layer"] for r in rows] == ["relu1_2", "relu2_2", "relu3_3"]
    assert [r["channels"] for r in rows] == [64, 128, 256]  # VGG paper, configuration D


def test_gram_invariant_to_shuffle_features_not(result):
    d = result.claims[0].data
    for r in d["layers"]:
        assert r["style_shuffle"] < 0.15  # texture statistics kept
        assert r["content_shuffle"] > 0.5  # arrangement changed
        assert r["style_other"] > 0.4  # a different texture is told apart
        assert all(0 <= r[k] < 2 for k in r if k not in ("layer", "channels"))
    assert d["min_content_over_style"] == pytest.approx(
        min(r["content_shuffle"] / r["style_shuffle"] for r in d["layers"]))


@pytest.mark.skipif(os.path.isfile(CACHED), reason="torchvision's cached VGG-16 weights are used instead")
def test_random_init_said_plainly(result):
    c = result.claim("disentangled")
    assert c.data["weights"] == "random init (seed 0)"
    assert "no trained weights are here" in c.note and c.verdict == "not shown"


def test_given_state_dict_is_used(tmp_path, result):
    path = tmp_path / "vgg16.pth"
    fake_state_dict(path)
    r = run_proof("q11_vgg_style", {"weights": str(path)}, controls=True)
    assert r.options["weights"] == str(path) and r.options["gram"] is True  # an option beside the knobs
    assert r.claims[0].data["weights"] == f"state dict {path}"
    c = r.claim("disentangled")
    assert str(path) in c.measured and c.controls == (("pretrained", False),)
    # judged against the same VGG at random init: the default run's separation
    assert c.data["random_vgg"] == result.claims[0].data["separation"]["VGG"]
    assert c.verdict == ("holds" if c.data["separation"]["VGG"] > 1.5 * c.data["random_vgg"] else "fails")
    # Other weights, other features: the measured changes differ from the default run's.
    assert r.claims[0].data["layers"] != result.claims[0].data["layers"]
    # the control keeps --weights but runs VGG at random init: the baseline against itself, so it cannot hold
    (run,) = [x for x in r.controls if x.knob == "pretrained"]
    (ctl,) = [x for x in run.claims if "disentangled" in x.claim]
    assert ctl.data["weights"] == "random init (seed 0)" and ctl.data["separation"]["VGG"] == ctl.data["random_vgg"]
    assert ctl.verdict == "fails"


def test_an_edited_weights_file_is_read_again(tmp_path):
    path = tmp_path / "vgg16.pth"
    sd = fake_state_dict(path)
    first = run_proof(NAME, {"weights": str(path)}).claims[0].data["layers"]
    sd["features.0.weight"] = -sd["features.0.weight"]  # same path, other weights (not a rescale: ReLU nets are
    # positively homogeneous, so relative changes would not move)
    torch.save(sd, path)
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
    assert run_proof(NAME, {"weights": str(path)}).claims[0].data["layers"] != first


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


def test_notes_follow_the_gram_knob():
    """With the feature maps in place of the Gram matrix (the control), no sentence says that something
    separates, and the pixel figure is the measured one."""
    for gram in (True, False):
        r = run_proof(NAME, {"gram": gram})
        c, sep = r.claims[0], r.claims[0].data["separation"]
        assert ("Every extractor" in c.note) == (gram and c.verdict == "holds")
        assert "exact" not in " ".join(x.note + (x.value or "") for x in r.claims) + r.takeaways[0]
        assert f"{sep['pixels']:.1f}×" in r.claim("disentangled").value or sep["pixels"] >= 1000
        residual = r.claim("residual")
        word = "less" if sep["ResNet-18"] < sep["VGG"] else "more"
        assert f"separate {word} ({sep['ResNet-18']:.1f}× vs VGG's {sep['VGG']:.1f}×)" in residual.note
        assert ("Gram statistic, not from anything VGG learned" in r.claim("disentangled").note) == gram
