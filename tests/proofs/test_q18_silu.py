"""q18_silu: x·σ(x), its minimum (vs the Lambert-W closed form), smoothness, negative-side gradient, EfficientNet."""

import math

from quiz.proofs import run_proof

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
    assert [c.verdict for c in result.claims] == ["by definition", "holds", "holds", "holds", "holds",
                                                  "not shown", "published"]
    assert result.claim("f′ ≠ 0").added and "−4e-8" in result.claim("f′ ≠ 0").note
    assert len(result.takeaways) == 1


def test_negative_control_relu_is_monotonic_and_kinked():
    # swap the mechanism: ReLU in SiLU's place fails the same checks
    import torch

    grid = torch.linspace(-5, 3, 8001, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(torch.relu(grid).sum(), grid)
    sign = torch.sign(g)
    assert int((sign[1:] != sign[:-1]).sum()) == 1 and not (g < 0).any()  # never decreasing: monotonic


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


def test_smooth_at_zero_relu_kinked(result):
    d = result.claim("Smooth").data
    assert abs(d["silu_left"] - 0.5) < 1e-6 and abs(d["silu_right"] - 0.5) < 1e-6  # σ(0) = 1/2
    assert (d["relu_left"], d["relu_right"]) == (0.0, 1.0)
    assert abs(d["max_second_derivative"] - 0.5) < 1e-6  # f″(0) = 1/2 is SiLU's largest curvature


def test_negative_side_gradient(result):
    d = result.claim("f′ ≠ 0").data
    assert d["silu_nonzero_share"] == 1.0 and d["relu_nonzero_share"] == 0.0
    for got, x in zip(d["silu_grad_far"], (-5.0, -20.0)):
        assert abs(got - silu_grad(x)) < 1e-15 + 1e-12 * abs(got)


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
    again = run_proof("q18_silu")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]
