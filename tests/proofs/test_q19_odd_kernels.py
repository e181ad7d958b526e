"""q19_odd_kernels: centre tap, 'same' padding split, half-pixel drift of even kernels, aliasing against the
box filter's frequency response. Padding and drift are arithmetic (≡); the control (one probe frequency
instead of the folding band) flips the aliasing verdict for the reason the note gives."""

import math

from quiz.proofs import run_proof

NAME = "q19_odd_kernels"

KS = range(1, 8)
LAYERS = 6


def box_power(k, f):
    """|H(f)|² of a k-tap box filter (mean of k taps): (sin(πfk) / (k·sin(πf)))², independent of torch."""
    return (math.sin(math.pi * f * k) / (k * math.sin(math.pi * f))) ** 2


def control(controlled, knob):
    (run,) = [r for r in controlled.controls if r.knob == knob]
    return {c.claim: c for c in run.claims}


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "by definition", "by definition", "fails"]
    assert len(result.takeaways) == 1


def test_aliasing_is_the_band_average_of_the_box_filters_response(result):
    d = result.claim("aliasing").data
    freqs = d["frequencies"]
    assert len(freqs) > 100 and 0.25 < min(freqs) < 0.252 and 0.498 < max(freqs) < 0.5  # the band that folds
    for k in (2, 3, 4, 5):
        expected = sum(box_power(k, f) for f in freqs) / len(freqs)
        assert abs(d["aliased_power"][str(k)] - expected) < 1e-6, k
    # issue 17: the band means, continuous: k2 0.182, k3 0.050, k4 0.038, k5 0.030
    assert [round(d["aliased_power"][str(k)], 2) for k in (2, 3, 4, 5)] == [0.18, 0.05, 0.04, 0.03]
    assert d["aliased_power"]["1"] > 0.999  # no filter: the whole cosine folds (the stride aliases, not k)
    assert d["falls_with_length"] is True
    # the 4-tap lets through less than the 3-tap: parity does not order aliasing
    assert d["aliased_power"]["4"] < d["aliased_power"]["3"]


def test_one_frequency_ranks_the_kernels_either_way(result):
    one = result.claim("aliasing").data["one_frequency"]
    for f, power in one.items():
        for k, v in power.items():
            assert abs(v - box_power(k, float(f))) < 1e-6
    assert max(one["0.45"], key=one["0.45"].get) == 3  # the old note's probe: the 3-tap looks worst
    assert min(one["0.35"][2], one["0.35"][4]) > max(one["0.35"][3], one["0.35"][5])  # the even ones do


def test_a_single_probe_makes_even_kernels_look_worse(controlled):
    c = control(controlled, "probe")["…and aliasing"]
    assert c.data["frequencies"] == [0.35]
    p = c.data["aliased_power"]
    for k in (2, 3, 4, 5):
        assert abs(p[str(k)] - box_power(k, 0.35)) < 1e-6
    assert min(p["2"], p["4"]) > max(p["3"], p["5"])


def test_only_the_aliasing_claim_is_measured_and_only_the_probe_controls_it(controlled):
    assert [r.knob for r in controlled.controls] == ["probe"]
    assert [c.claim for c in controlled.claims if c.verdict != "by definition"] == ["…and aliasing"]


def test_centre_tap(result):
    d = result.claim("Odd kernels have a central pixel").data
    assert d["has_centre"] == [1, 3, 5, 7]
    assert d["sides"] == [[k // 2, k - 1 - k // 2] for k in KS]


def test_same_padding_split(result):
    d = result.claim("Symmetric padding").data
    assert d["uneven"] == [2, 4, 6]
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
    assert len(d["drift"]["2"]) == LAYERS and d["steady"] is True


def test_figures(result):
    assert [f.kind for f in result.figures] == ["lines", "bars"]
    assert set(result.figures[0].data["series"]) == {"k=2", "k=3"}


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]
