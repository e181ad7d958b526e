"""q20_weights_api: ResNet50_Weights metadata, pretrained=True → V1 (deprecated), DEFAULT → V2; no network."""

import socket

import pytest

from quiz.proofs import run_proof


@pytest.fixture(scope="module")
def result():
    """Run the proof with every socket connection refused and counted: it must not try any."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in test")

    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", refuse)
    mp.setattr(socket.socket, "connect_ex", refuse)
    mp.setattr(socket, "create_connection", refuse)
    mp.setattr(socket, "getaddrinfo", refuse)
    try:
        r = run_proof("q20_weights_api")
    finally:
        mp.undo()
    assert attempts == []
    return r


def test_verdicts(result):
    # reads of torchvision's own code (≡) and its published evaluation (§): no experiment, so no control
    assert [c.verdict for c in result.claims] == ["by definition", "by definition", "by definition", "published"]
    assert result.knobs == {} and result.controls == []
    assert result.claims[-1].measured.startswith("published: torchvision ResNet50_Weights")
    assert "IMAGENET1K_V2" in result.claims[1].value and "…" not in result.claims[1].value
    assert len(result.takeaways) == 1


def test_pretrained_true_is_deprecated_and_means_v1(result):
    d = result.claim("pretrained=True is deprecated").data
    assert len(d["warnings"]) == 2
    assert all("deprecated since 0.13" in w for w in d["warnings"])
    # torchvision docs: the legacy pretrained=True of resnet50 is IMAGENET1K_V1
    assert d["requested"] == "ResNet50_Weights.IMAGENET1K_V1"
    assert d["named_in_warning"] == ["ResNet50_Weights.IMAGENET1K_V1"]
    # WeightsEnum.get_state_dict calls the name bound in torchvision.models._api (torchvision 0.29 source)
    assert d["loader_called"] == "torchvision.models._api.load_state_dict_from_url"
    # the deprecation is the wrapper's: the builder inside it does not know the flag at all
    assert d["without_wrapper"] == "ResNet.__init__() got an unexpected keyword argument 'pretrained'"


def test_new_api_and_default(result):
    d = result.claim("weights=ResNet50_Weights.IMAGENET1K_V2").data
    assert d["new"] == d["by_name"] == d["default"] == "ResNet50_Weights.IMAGENET1K_V2"
    # weights=None: the interceptor saw no request at all (it can tell "nothing asked" from a request)
    assert d["none"] == "None" and d["none_loader"] is None
    assert d["warnings"] == []
    assert d["default_is_v2"] is True


def test_versions_and_preprocessing(result):
    d = result.claim("Allows selecting").data
    assert d["available"] == ["ResNet50_Weights.IMAGENET1K_V1", "ResNet50_Weights.IMAGENET1K_V2"]
    assert d["params_counted"] == 25_557_032  # torchvision docs
    assert d["num_params"] == {"IMAGENET1K_V1": 25_557_032, "IMAGENET1K_V2": 25_557_032}  # one architecture
    # torchvision docs: V1 resize 256 → crop 224, V2 resize 232 → crop 224, bilinear
    pre = d["preprocessing"]
    assert (pre["IMAGENET1K_V1"]["resize"], pre["IMAGENET1K_V1"]["crop"]) == ([256], [224])
    assert (pre["IMAGENET1K_V2"]["resize"], pre["IMAGENET1K_V2"]["crop"]) == ([232], [224])
    for v in pre.values():
        assert v["out_shape"] == [3, 224, 224] and v["out_dtype"] == "float32"
        assert v["interpolation"] == "bilinear"


def test_published_accuracy(result):
    acc = result.claim("V2 is more accurate").data["acc"]
    # torchvision docs, ResNet50_Weights
    assert acc["IMAGENET1K_V1"] == {"acc@1": 76.130, "acc@5": 92.862}
    assert acc["IMAGENET1K_V2"] == {"acc@1": 80.858, "acc@5": 95.434}


def test_deterministic(result):
    again = run_proof("q20_weights_api")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]


def test_the_takeaway_says_default_only_when_it_was_observed(result):
    d = result.claim("is the new API").data
    assert ("(= DEFAULT)" in result.takeaways[0]) == (d["default"] == d["new"])
    assert ("(= DEFAULT)" in result.claim("is the new API").value) == ("(= DEFAULT)" in result.takeaways[0])
