"""q19_odd_kernels: centre tap, 'same' padding split, half-pixel drift of even kernels."""

from quiz.proofs import run_proof

NAME = "q19_odd_kernels"

KS = range(1, 8)
LAYERS = 6


def test_claims_hold_except_aliasing(result):
    assert [c.holds for c in result.claims] == [True, True, True, None]
    (not_shown,) = [c for c in result.claims if c.holds is None]
    assert "aliasing" in not_shown.claim and not_shown.note


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
    assert len(result.figures) == 2
    assert "2×2" in result.figures[0].title and "3×3" in result.figures[1].title


def test_deterministic(result):
    again = run_proof("q19_odd_kernels")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]
