"""Q18 — What is the SiLU (Swish) activation?

Evaluates torch.nn.functional.silu in float64 against x·sigmoid(x) and nn.SiLU, finds its minimum
(dense grid, then Newton steps on autograd's f′ and f″), reads the sign of its derivative, its
left/right derivatives at 0 next to ReLU's, its gradient on negative inputs, and counts the SiLU
modules in torchvision's EfficientNet-B0 (meta device).
"""

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from quiz.proofs._tools import seed

LO, HI = -5.0, 3.0  # plotted / searched range
H = 1e-6  # offset for one-sided derivatives at 0


def _grad(f, x):
    """f′(x) elementwise, by autograd."""
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x).sum(), x)
    return g


def run(p):
    seed()
    x = torch.linspace(-8, 8, 1601, dtype=torch.float64)  # step 0.01
    by_hand = x * torch.sigmoid(x)
    err_f = (F.silu(x) - by_hand).abs().max().item()
    err_m = (nn.SiLU()(x) - by_hand).abs().max().item()
    p.by_definition(
        "SiLU(x) = x·σ(x)",
        "the definition; torch implements it: max |F.silu(x) − x·sigmoid(x)| = "
        f"{err_f:.1e} and |nn.SiLU()(x) − x·sigmoid(x)| = {err_m:.1e} on [−8, 8], float64",
        "x·sigmoid(x)",
        data={"max_err_functional": err_f, "max_err_module": err_m},
    )

    # Minimum: grid argmin, then Newton on f′ = 0 with f″ from autograd (double backward).
    grid = torch.linspace(LO, HI, 80001, dtype=torch.float64)  # step 1e-4
    x0 = grid[F.silu(grid).argmin()].item()
    xm = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    for _ in range(20):
        (d1,) = torch.autograd.grad(F.silu(xm), xm, create_graph=True)
        (d2,) = torch.autograd.grad(d1, xm)
        step = (d1 / d2).item()
        xm = (xm - step).detach().requires_grad_(True)
        if abs(step) < 1e-15:
            break
    x_min = xm.item()
    f_min = F.silu(xm).item()
    slope_at_min = _grad(F.silu, xm).item()

    # Non-monotonic: sign of f′ along the grid.
    g = _grad(F.silu, grid)
    sign = torch.sign(g)
    flips = int((sign[1:] != sign[:-1]).sum())
    first_pos = grid[(g > 0).nonzero()[0, 0]].item()
    p.claim(
        "Non-monotonic",
        measured=f"f′ by autograd on [{LO:g}, {HI:g}] (step 1e-4): it changes sign {flips}× (− then +, at x ≈ "
        f"{first_pos:.4f}); minimum: grid argmin + Newton on f′ (f″ by autograd)",
        value=f"dips to {f_min:.4f} at x = {x_min:.4f}",
        holds=flips == 1 and g[0] < 0 < g[-1] and f_min < 0 and abs(slope_at_min) < 1e-12,
        note=(
            "Closed form (not used here, tests check it): f′ = 0 ⇔ x + 1 = −eˣ, so x* = −1 − W(1/e) and "
            "f(x*) = −W(1/e), with W the Lambert W function."
        ),
        data={"x_min": x_min, "f_min": f_min, "grid_x_min": x0, "sign_flips": flips, "slope_at_min": slope_at_min},
    )

    # Smooth: one-sided derivatives at 0, SiLU vs ReLU.
    at = torch.tensor([-H, H], dtype=torch.float64)
    s_left, s_right = _grad(F.silu, at).tolist()
    r_left, r_right = _grad(torch.relu, at).tolist()
    # f″ along the grid stays bounded: no kink anywhere (ReLU's f″ is a Dirac at 0).
    xg = grid.clone().requires_grad_(True)
    (d1,) = torch.autograd.grad(F.silu(xg).sum(), xg, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), xg)
    max_curv = d2.abs().max().item()
    p.claim(
        "Smooth",
        measured=f"f′(−{H:g}) and f′(+{H:g}) by autograd, SiLU {s_left:.6f} | {s_right:.6f} vs ReLU {r_left:g} | "
        f"{r_right:g}; max |f″| of SiLU on the grid {max_curv:.3f}",
        value=f"f′ at 0: {s_left:.3f}|{s_right:.3f} (ReLU {r_left:g}|{r_right:g})",
        holds=abs(s_right - s_left) < 1e-5 and r_right - r_left == 1 and max_curv < 1,
        note="SiLU's derivative is continuous at 0 (equal one-sided values); ReLU's jumps.",
        data={"silu_left": s_left, "silu_right": s_right, "relu_left": r_left, "relu_right": r_right,
              "max_second_derivative": max_curv},
    )

    neg = torch.linspace(-5, -0.01, 500, dtype=torch.float64)
    silu_nz = (_grad(F.silu, neg) != 0).float().mean().item()
    relu_nz = (_grad(torch.relu, neg) != 0).float().mean().item()
    g_far = _grad(F.silu, torch.tensor([-5.0, -20.0], dtype=torch.float64)).tolist()
    p.claim(
        "f′ ≠ 0 for x in [−5, 0), unlike ReLU",
        measured="share of x ∈ [−5, −0.01] (500 points) with f′(x) ≠ 0, by autograd; "
        f"SiLU f′(−5) = {g_far[0]:.3g}, f′(−20) = {g_far[1]:.1e}",
        value=f"SiLU {silu_nz:.0%} of points, ReLU {relu_nz:.0%}",
        holds=silu_nz == 1 and relu_nz == 0, added=True,
        note="Not 'no dead units': f′ vanishes far left (→ 0 as x → −∞; −4e-8 at −20), and is negative below "
        "the minimum.",
        data={"silu_nonzero_share": silu_nz, "relu_nonzero_share": relu_nz, "silu_grad_far": g_far},
    )

    xs = torch.linspace(LO, HI, 81, dtype=torch.float64)
    p.lines(f"SiLU vs ReLU on [{LO:g}, {HI:g}] (minimum {f_min:.4f} at x = {x_min:.4f})",
            {"SiLU": (xs.tolist(), F.silu(xs).tolist()), "ReLU": (xs.tolist(), torch.relu(xs).tolist())},
            x="x", y="f(x)")

    # Where it is used: torchvision's EfficientNet-B0, built on the meta device (no weights).
    with torch.device("meta"):
        eff = torchvision.models.efficientnet_b0(weights=None)
    kinds = {}
    for m in eff.modules():
        if isinstance(m, (nn.SiLU, nn.ReLU, nn.ReLU6, nn.Hardswish, nn.GELU, nn.Sigmoid)):
            kinds[type(m).__name__] = kinds.get(type(m).__name__, 0) + 1
    p.claim(
        "Used in EfficientNet",
        measured="activation modules in torchvision efficientnet_b0 (meta device): "
        + ", ".join(f"{k} × {v}" for k, v in sorted(kinds.items())),
        value=f"SiLU × {kinds.get('SiLU', 0)}, no ReLU",
        holds=kinds.get("SiLU", 0) > 0 and not set(kinds) & {"ReLU", "ReLU6", "Hardswish", "GELU"},
        note="Every hidden activation in EfficientNet-B0 is SiLU (stem, MBConv blocks, SE reduce, head); "
        "the Sigmoids are the squeeze-excitation gates.",
        data={"activations": kinds},
    )
    p.not_shown(
        "Used in YOLO",
        "YOLO is not part of torchvision (it ships in third-party packages such as ultralytics, which are not "
        "installed here), so its layers cannot be inspected in this environment.",
    )
    p.published(
        "Works better than ReLU in deep networks",
        "Ramachandran, Zoph & Le 2017 (Searching for Activation Functions), abstract: replacing ReLU with "
        "Swish improves ImageNet top-1 by 0.9% for Mobile NASNet-A and 0.6% for Inception-ResNet-v2",
        "+0.9 / +0.6 points top-1 (ImageNet)",
        note="A trained-accuracy claim: a seconds-scale CPU toy cannot settle it fairly (the winner depends on "
        "init, optimiser, depth and task, and needs many seeds). The gains are small and architecture-dependent.",
    )
    p.takeaway(f"SiLU = x·σ(x): smooth (f′(0) = {s_right:.2f} from both sides), dips to {f_min:.3f} at "
               f"x = {x_min:.2f}, keeps a gradient for negative inputs; EfficientNet uses it everywhere")
