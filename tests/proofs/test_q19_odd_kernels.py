"""q19_odd_kernels: centre tap, 'same' padding split, half-pixel drift of even kernels, aliasing against the
box filter's frequency response."""

import math

from quiz.proofs import run_proof
from quiz.proofs.q19_odd_kernels import aliased_amplitude

NAME = "q19_odd_kernels"

KS = range(1, 8)
LAYERS = 6


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "holds", "holds", "fails"]
    assert len(result.takeaways) == 1


def test_aliasing_matches_the_box_filters_frequency_response(result):
    # independent: a k-tap box filter passes frequency f with gain |sin(πfk) / (k·sin(πf))|
    d = result.claim("aliasing").data["aliased"]
    for k in (2, 3, 4, 5):
        gain = abs(math.sin(math.pi * 0.45 * k) / (k * math.sin(math.pi * 0.45)))
        assert abs(d[str(k)] - gain) < 0.02, k


def test_negative_control_no_stride_no_aliasing():
    # remove the mechanism (a 1-tap filter is the identity): the full cosine folds to the false frequency,
    # so aliasing is the subsampling's, present with an odd kernel too
    assert aliased_amplitude(1) > 0.95


def test_centre_tap(result):
    d = result.claim("Odd kernels have a central pixel").data
    assert d["has_centre"] == [1, 3, 5, 7]
    assert d["sides"] == [[k // 2, k - 1 - k // 2] for k in KS]


def test_same_padding_split(result):
    d = result.claim("Symmetric padding").data
    for k in KS:
        total = k - 1  # 'same' at stride 1, dilation 1: out = in + total − (k − 1)
        left = total // 2  # extra padding goes right/bottom (PyTorch's convention)
        assert d["split"][str(k)] == [left, total - left]
        assert d["out_sides"][str(k)] == [9, 9]
        assert d["matches_explicit_pad"][str(k)] is True
        # mirrored split is a different computation exactly when the split is uneven
        assert d["matches_mirrored_pad"][str(k)] is (k % 2 == 1)


def test_centroid_drift(result):
    d = result.claim("Even kernels cause phase shifts").data
    for k in (2, 3, 4, 5):
        left = (k - 1) // 2
        # output i reads inputs i − left + j, j = 0…k−1, so an impulse at p lands on i = p + left − j:
        # its mean position moves by left − (k − 1)/2 per layer
        shift = left - (k - 1) / 2
        assert shift == (-0.5 if k % 2 == 0 else 0.0)
        for i, (dr, dc) in enumerate(d["drift"][str(k)], start=1):
            assert abs(dr - i * shift) < 1e-9 and abs(dc - i * shift) < 1e-9
    assert len(d["drift"]["2"]) == LAYERS


def test_figures(result):
    assert [f.kind for f in result.figures] == ["lines", "bars"]
    assert set(result.figures[0].data["series"]) == {"k=2", "k=3", "k=4", "k=5"}


def test_deterministic(result):
    again = run_proof("q19_odd_kernels")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]
