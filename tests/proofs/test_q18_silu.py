"""q18_silu: x·σ(x), its minimum (vs the Lambert-W closed form), smoothness, a layer stuck below 0 that
learns with SiLU and not with ReLU (the control swaps the activation in the same code), EfficientNet."""

import math

import pytest

from quiz.proofs import run_proof
from quiz.proofs.q18_silu import SEEDS

NAME = "q18_silu"


def lambert_w_of_inv_e():
    """W(1/e): mpmath if installed, else Newton on w·eʷ = 1/e (independent of torch)."""
    try:
        import mpmath

        return float(mpmath.lambertw(1 / mpmath.e))
    except ImportError:
        w = 0.3
        for _ in range(50):
            w -= (w * math.exp(w) - math.exp(-1)) / (math.exp(w) * (1 + w))
        return w


def silu_grad(x):
    s = 1 / (1 + math.exp(-x))
    return s * (1 + x * (1 - s))


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "by definition", "by definition", "holds",
                                                  "by definition", "not shown", "published"]
    assert result.claim("stuck below 0").added
    assert len(result.takeaways) == 1


def test_identity(result):
    d = result.claim("SiLU(x) = x·σ(x)").data
    assert d["max_err_functional"] < 1e-12 and d["max_err_module"] < 1e-12


def test_minimum_matches_lambert_w(result):
    d = result.claim("Non-monotonic").data
    w = lambert_w_of_inv_e()
    assert abs(w - 0.278464542761074) < 1e-12  # sanity of the reference itself
    assert abs(d["x_min"] - (-1 - w)) < 1e-9
    assert abs(d["f_min"] - (-w)) < 1e-9
    assert abs(d["grid_x_min"] - (-1 - w)) <= 1e-4  # grid step
    assert d["sign_flips"] == 1
    assert abs(d["slope_at_min"]) < 1e-12  # f′ = 0 at the minimum: why "f′ ≠ 0 for x < 0" is not claimed


def test_smooth_at_zero_relu_kinked(result):
    d = result.claim("Smooth").data
    assert abs(d["silu_left"] - 0.5) < 1e-6 and abs(d["silu_right"] - 0.5) < 1e-6  # σ(0) = 1/2
    assert (d["relu_left"], d["relu_right"]) == (0.0, 1.0)
    assert abs(d["max_second_derivative"] - 0.5) < 1e-6  # f″(0) = 1/2 is SiLU's largest curvature


def test_a_layer_stuck_below_zero_learns_with_silu(result):
    d = result.claim("stuck below 0").data
    silu, relu = d["tried"], d["relu"]
    assert silu["dead_at_start"] and relu["dead_at_start"]  # every unit negative for every input at the start
    assert len(silu["loss_ratio"]) == SEEDS >= 5
    assert max(silu["loss_ratio"]) < 0.05  # far better than predicting the mean, on every seed
    assert silu["first_layer_change"] > 0.1  # the first layer moved: the gradient came through the negative side
    assert abs(d["slope_at_bias"] - silu_grad(-4.0)) < 1e-12
    assert abs(d["silu_grad_at_minus_20"] - silu_grad(-20.0)) < 1e-15


def test_with_relu_the_stuck_layer_gets_no_gradient(controlled):
    (run,) = [r for r in controlled.controls if r.knob == "activation"]
    assert run.value == "relu"
    (c,) = [c for c in run.claims if c.claim.startswith("negative inputs")]
    relu = c.data["tried"]
    assert relu == c.data["relu"]  # the same net as the reference: ReLU in SiLU's place
    assert relu["first_layer_change"] == 0.0  # relu′ = 0 below 0: the first layer never moves
    assert relu["revived"] == 0.0
    # only the output bias can learn, and it starts at the target's mean (0): the MSE stays the mean's
    assert all(abs(r - 1) < 1e-6 for r in relu["loss_ratio"])
    assert c.data["slope_at_bias"] == 0.0


def test_efficientnet_b0_activations(result):
    d = result.claim("Used in EfficientNet").data
    # EfficientNet-B0 (Tan & Le 2019, Table 1): MBConv stages (expand ratio, repeats)
    stages = [(1, 1), (6, 2), (6, 2), (6, 3), (6, 3), (6, 4), (6, 1)]
    blocks = sum(r for _, r in stages)
    expanding = sum(r for e, r in stages if e != 1)
    # stem + head + (expand conv if any) + depthwise + SE reduce, all SiLU; one Sigmoid gate per SE
    assert d["activations"] == {"SiLU": 2 + expanding + blocks + blocks, "Sigmoid": blocks}
    assert d["activations"] == {"SiLU": 49, "Sigmoid": 16}


def test_figure(result):
    (fig,) = result.figures
    assert fig.kind == "lines" and set(fig.data["series"]) == {"SiLU", "ReLU"}
    xs, ys = fig.data["series"]["SiLU"]
    assert xs[0] == -5 and min(ys) < 0


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]


def test_the_cached_experiment_is_deterministic(result):
    from quiz.proofs.q18_silu import dead_layer

    assert dead_layer.__wrapped__("silu", -4.0) == result.claim("stuck below 0").data["tried"]


@pytest.mark.parametrize("bias", [0.0, -1.0])
def test_a_layer_not_stuck_is_not_called_stuck(bias):
    """Biases the knob allows where not every unit starts negative: ReLU's first layer moves, and neither
    the note nor the measured text says it never moves or that every unit starts below 0."""
    r = run_proof(NAME, {"bias": bias})
    c = r.claim("stuck below 0")
    assert not c.data["tried"]["dead_at_start"] and c.data["relu"]["first_layer_change"] > 0
    assert "never moves" not in c.note and "pre-activations all start below 0" not in c.measured
    assert "not every ReLU unit is dead" in c.note and "stuck below 0" not in r.takeaways[0]

