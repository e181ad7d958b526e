"""Q18 — What is the SiLU (Swish) activation?

Evaluates torch.nn.functional.silu in float64 against x·sigmoid(x) and nn.SiLU, finds its minimum
(dense grid, then Newton steps on autograd's f′ and f″), reads the sign of its derivative and its
left/right derivatives at 0 next to ReLU's — properties of the formula, shown as such. The experiment:
a hidden layer whose pre-activations all start below 0 (a layer ReLU would leave dead) is trained on a
regression target, 5 seeds at once; the control swaps SiLU for ReLU in the same code. Last, it counts
the SiLU modules in torchvision's EfficientNet-B0 (meta device).
"""

import functools

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from quiz.proofs import Knob
from quiz.proofs._tools import seed

ACTIVATIONS = {"silu": F.silu, "relu": torch.relu, "gelu": F.gelu}
NAMES = {"silu": "SiLU", "relu": "ReLU", "gelu": "GELU"}
KNOBS = {
    "activation": Knob("silu", "the hidden layer's activation in the dead-layer experiment", control="relu",
                       says="with ReLU", choices=tuple(ACTIVATIONS)),
    "bias": Knob(-4.0, "the hidden layer's starting bias (below 0: every pre-activation starts negative)",
                 low=-8.0, high=0.0),
}
LO, HI = -5.0, 3.0  # plotted / searched range
H = 1e-6  # offset for one-sided derivatives at 0
SEEDS, N, D, WIDTH, STEPS, LR = 5, 128, 8, 32, 100, 0.02  # dead-layer experiment: seeds trained side by side


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
    g = _grad(F.silu, grid)  # f′ along the grid
    sign = torch.sign(g)
    flips = int((sign[1:] != sign[:-1]).sum())
    first_pos = grid[(g > 0).nonzero()[0, 0]].item()
    p.by_definition(
        "Non-monotonic",
        "a property of the formula: f′ = σ(x)(1 + x(1 − σ(x))) is 0 only where x + 1 = −eˣ, at x* = −1 − W(1/e) "
        f"(Lambert W), negative left of it, positive right. Autograd agrees: on [{LO:g}, {HI:g}] (step 1e-4) f′ "
        f"changes sign {flips}× (first positive at x ≈ {first_pos:.4f}); grid argmin + Newton on f′ finds "
        f"x* = {x_min:.6f}, f(x*) = {f_min:.6f}, f′(x*) = {slope_at_min:.1e}",
        f"dips to {f_min:.4f} at x = {x_min:.4f}",
        data={"x_min": x_min, "f_min": f_min, "grid_x_min": x0, "sign_flips": flips, "slope_at_min": slope_at_min},
    )

    # Smooth: one-sided derivatives at 0, SiLU vs ReLU; f″ along the grid (ReLU's is a Dirac at 0).
    at = torch.tensor([-H, H], dtype=torch.float64)
    s_left, s_right = _grad(F.silu, at).tolist()
    r_left, r_right = _grad(torch.relu, at).tolist()
    xg = grid.clone().requires_grad_(True)
    (d1,) = torch.autograd.grad(F.silu(xg).sum(), xg, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), xg)
    max_curv = d2.abs().max().item()
    p.by_definition(
        "Smooth",
        "a property of the formula: x·σ(x) is a product of smooth functions, so every derivative is continuous; "
        f"autograd agrees: f′(−{H:g}) | f′(+{H:g}) = SiLU {s_left:.6f} | {s_right:.6f} vs ReLU {r_left:g} | "
        f"{r_right:g}; max |f″| of SiLU on the grid {max_curv:.3f}",
        f"f′ at 0: {s_left:.3f}|{s_right:.3f} (ReLU {r_left:g}|{r_right:g})",
        data={"silu_left": s_left, "silu_right": s_right, "relu_left": r_left, "relu_right": r_right,
              "max_second_derivative": max_curv},
    )

    act, bias = p.options["activation"], p.options["bias"]
    tried, relu = dead_layer(act, bias), dead_layer("relu", bias)  # (S,) loss ratios and more, each
    name = NAMES[act]
    learns = max(tried["loss_ratio"]) < 0.5  # under half the MSE of predicting the mean, on every seed
    slope = _grad(ACTIVATIONS[act], torch.tensor([bias], dtype=torch.float64)).item()
    far = _grad(F.silu, torch.tensor([-20.0], dtype=torch.float64)).item()
    p.claim(
        "negative inputs keep a gradient: a layer stuck below 0 still learns",
        f"a {D}→{WIDTH}→1 MLP whose hidden pre-activations "
        f"{'all start below 0' if tried['dead_at_start'] else 'do not all start below 0'} (bias {bias:g}, weights "
        f"N(0, 0.25/{D}): every unit negative for every input: {'yes' if tried['dead_at_start'] else 'no'}), "
        f"{STEPS} full-batch Adam "
        f"steps (lr {LR}) on a linear target, {SEEDS} seeds; MSE ÷ the MSE of predicting the mean, worst seed",
        f"MSE ÷ mean's: {name} {max(tried['loss_ratio']):.3f}, ReLU {max(relu['loss_ratio']):.2f}",
        holds=learns and min(relu["loss_ratio"]) > 0.5,
        note=f"{name} over {SEEDS} seeds: {min(tried['loss_ratio']):.4f}–{max(tried['loss_ratio']):.4f} of the mean's "
        + ("MSE. ReLU gives those units output 0 and gradient 0: its first layer never moves (changed by "
           f"{relu['first_layer_change']:.0%}) and only the output bias learns. "
           if relu["first_layer_change"] == 0 else
           f"MSE. At bias {bias:g} not every ReLU unit is dead: its first layer moves too (by "
           f"{relu['first_layer_change']:.0%}; worst seed {max(relu['loss_ratio']):.2f} of the mean's MSE). ")
        + (f"{name}'s negative side is small but not flat (f′({bias:g}) = {slope:.3f}): the layer learns through "
           f"it (first layer moved by {tried['first_layer_change']:.0%}; {tried['revived']:.0%} of units now "
           "positive for some input; Adam's steps do not shrink with the gradient's scale). " if learns else
           f"With {name} (f′({bias:g}) = {slope:.1e}) the layer does not learn: worst seed "
           f"{max(tried['loss_ratio']):.2f}. ")
        + f"Not 'f′ ≠ 0 for all x < 0': SiLU's f′ is exactly 0 at its minimum x* = {x_min:.4f} (autograd: "
        f"{slope_at_min:.0e}) and → 0 far left ({far:.0e} at −20). A toy on a linear target: whether SiLU nets "
        "train better is the published claim below.",
        data={"tried": tried, "relu": relu, "slope_at_bias": slope, "silu_grad_at_minus_20": far},
        added=True,
        control="activation",
    )

    xs = torch.linspace(LO, HI, 81, dtype=torch.float64)
    p.lines(f"SiLU vs ReLU on [{LO:g}, {HI:g}] (minimum {f_min:.4f} at x = {x_min:.4f})",
            {"SiLU": (xs.tolist(), F.silu(xs).tolist()), "ReLU": (xs.tolist(), torch.relu(xs).tolist())},
            x="x", y="f(x)")

    # Where it is used: torchvision's EfficientNet-B0, built on the meta device (no weights).
    if not p.measures():  # a control run (it judges the experiment alone) skips the 0.2 s build
        return
    with torch.device("meta"):
        eff = torchvision.models.efficientnet_b0(weights=None)
    kinds = {}
    for m in eff.modules():
        if isinstance(m, (nn.SiLU, nn.ReLU, nn.ReLU6, nn.Hardswish, nn.GELU, nn.Sigmoid)):
            kinds[type(m).__name__] = kinds.get(type(m).__name__, 0) + 1
    p.by_definition(
        "Used in EfficientNet",
        "how torchvision builds it: activation modules in efficientnet_b0 (meta device): "
        + ", ".join(f"{k} × {v}" for k, v in sorted(kinds.items()))
        + ". Every hidden activation is SiLU (stem, MBConv blocks, SE reduce, head); the Sigmoids are the "
        "squeeze-excitation gates",
        f"SiLU × {kinds.get('SiLU', 0)}, ReLU × {kinds.get('ReLU', 0)}",
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
               f"x = {x_min:.2f}; a layer "
               f"{'stuck below 0' if tried['dead_at_start'] else f'at bias {bias:g} (not all below 0)'} "
               f"{('still learns' if tried['dead_at_start'] else 'learns') if learns else 'does not learn'} with "
               f"{name} ({max(tried['loss_ratio']):.3f} of the mean's MSE; ReLU {max(relu['loss_ratio']):.2f}); "
               "EfficientNet uses it everywhere")


@functools.cache  # deterministic: the control run reads the ReLU reference the first run trained
def dead_layer(activation, bias):
    """Train SEEDS independent D→WIDTH→1 MLPs side by side (batched; Adam is elementwise) whose hidden
    pre-activations all start below 0; their MSE ÷ the MSE of predicting the mean, per seed."""
    f = ACTIVATIONS[activation]
    g = seed(1)
    x = torch.randn(SEEDS, N, D, generator=g)  # (S, N, D): one data set per seed
    y = x @ torch.randn(SEEDS, D, 1, generator=g)  # (S, N, 1) a linear target…
    y = (y - y.mean(1, keepdim=True)) / y.std(1, unbiased=False, keepdim=True)  # …with mean 0, variance 1
    w1 = torch.randn(SEEDS, D, WIDTH, generator=g) * 0.5 / D**0.5  # (S, D, W) small: |x·w1| < |bias|
    b1 = torch.full((SEEDS, 1, WIDTH), float(bias))  # (S, 1, W)
    w2 = torch.randn(SEEDS, WIDTH, 1, generator=g) / WIDTH**0.5  # (S, W, 1)
    b2 = torch.zeros(SEEDS, 1, 1)
    params = [t.requires_grad_() for t in (w1, b1, w2, b2)]
    start = w1.detach().clone()
    dead = bool((x @ w1 + b1 < 0).all())
    opt = torch.optim.Adam(params, lr=LR)  # per element: the seeds' updates stay independent
    for _ in range(STEPS):
        opt.zero_grad()
        loss = ((f(x @ w1 + b1) @ w2 + b2 - y) ** 2).mean((1, 2))  # (S,) MSE per seed
        loss.sum().backward()  # seeds share no weights: independent runs
        opt.step()
    with torch.no_grad():
        loss = ((f(x @ w1 + b1) @ w2 + b2 - y) ** 2).mean((1, 2))  # predicting the mean (0) scores 1
        revived = (x @ w1 + b1 > 0).any(1).float().mean().item()  # units positive for some input
    return {"loss_ratio": loss.tolist(), "dead_at_start": dead, "revived": revived,
            "first_layer_change": ((w1 - start).norm() / start.norm()).item()}
