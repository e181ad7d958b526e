"""Q8: What is the "Linear Bottleneck" in MobileNetV2? — redo the paper's Fig. 1: a 2-D spiral
embedded by a random matrix T into n dims, ReLU, mapped back with the pseudo-inverse; measure
what survives per n, with and without ReLU; train a small autoencoder through a 2-d bottleneck with and
without ReLU; then read torchvision's InvertedResidual blocks. Controls: no ReLU in the embedding, and a
bottleneck as wide as the data."""

import functools
import math
import statistics

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap
from torchvision.models import mobilenet_v2
from torchvision.models.mobilenetv2 import InvertedResidual

from quiz.proofs import Knob
from quiz.proofs._tools import seed

KNOBS = {
    "relu": Knob(True, "the ReLU after the embedding T·x (off: the embedding stays linear)", control=False,
                 says="without ReLU"),
    "bottleneck": Knob(2, "units in the trained autoencoder's bottleneck (the spiral is 2-d, the data 16-d)",
                       control=16, says="16-d bottleneck", low=1, high=32),
}
DIMS = (2, 3, 5, 15, 30)  # embedding dimensions n, as in the paper's Fig. 1
DRAWS = 10  # random matrices T per n (results are averaged)
SEEDS, STEPS = 6, 100  # trained bottleneck: independent runs, Adam steps each


@functools.cache  # deterministic: a control run that trains the same nets again reads the first run's errors
def train_bottlenecks(relu, k=2, steps=STEPS, hidden=32, n=256):
    """Relative reconstruction error, one per seed, of an autoencoder 16 → 32 → k → 32 → 16 trained on a 2-D
    spiral embedded in 16 dims, with or without a ReLU on the k-dim bottleneck. The SEEDS nets (each with its
    own data and init) train at once: torch.func.vmap over their stacked weights, the same maths as one by one."""
    xs, encs, decs = [], [], []
    for s in range(SEEDS):
        g = seed(s)
        t = torch.rand(n, generator=g) * 4 * math.pi + 0.5
        spiral = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) / (4 * math.pi)  # (n, 2)
        xs.append(spiral @ torch.randn(2, 16, generator=g))  # (n, 16)
        encs.append(nn.Sequential(nn.Linear(16, hidden), nn.ReLU(), nn.Linear(hidden, k)))  # expand, project to k
        decs.append(nn.Sequential(nn.Linear(k, hidden), nn.ReLU(), nn.Linear(hidden, 16)))
    x = torch.stack(xs)  # (S, n, 16)
    (w_enc, _), (w_dec, _) = stack_module_state(encs), stack_module_state(decs)  # each weight: (S, ...)

    def loss(w_enc, w_dec, x):  # one net: x (n, 16)
        z = functional_call(encs[0], w_enc, (x,))  # (n, k): the low-dimensional bottleneck
        return ((functional_call(decs[0], w_dec, (torch.relu(z) if relu else z,)) - x) ** 2).mean() / (x ** 2).mean()

    opt = torch.optim.Adam([*w_enc.values(), *w_dec.values()], lr=3e-3)
    for _ in range(steps):
        losses = vmap(loss)(w_enc, w_dec, x)  # (S,)
        opt.zero_grad()
        losses.sum().backward()  # each net's gradient is its own loss's
        opt.step()
    return tuple(losses.tolist())


def run(p):
    relu, k = p.options["relu"], p.options["bottleneck"]
    if p.measures("relu"):  # (the bottleneck control judges the trained autoencoder only)
        lost, fig_ok = fig1(p, relu)
    if p.measures("bottleneck"):
        ratio, train_ok = trained(p, relu, k)
    if p.measures():  # an architecture read: the proof as it is only
        mobilenet(p)
        fig = (f"{'ReLU after' if relu else 'with no ReLU,'} a 2-d projection loses {lost[2]:.0%} of a spiral's "
               f"points ({lost[30]:.0%} at 30 dims)")
        net = (f"a trained {k}-d bottleneck {'with ReLU' if relu else 'without it'} ends "
               + (f"{ratio:.1f}× worse than linear" if ratio > 1 else f"at {ratio:.1f}× the linear error")
               + f" (median of {SEEDS} seeds)")
        if fig_ok and train_ok:
            so = "so no ReLU after the projection"
        elif not relu:
            so = "with no ReLU nothing is clipped, so nothing is lost"
        elif fig_ok or train_ok:
            so = f"so ReLU loses information here only in the {'fixed embedding' if fig_ok else 'trained net'}"
        else:
            so = "so in this run ReLU after the projection loses nothing measurable"
        p.takeaway(f"{fig}; {net}: {so}")


def fig1(p, relu):
    """The paper's Fig. 1: what of a 2-D spiral survives ReLU(T·x) in n dims, per n."""
    g = seed()
    t = torch.linspace(0.5, 4 * math.pi, 300, dtype=torch.float64)
    X = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1) / (4 * math.pi)  # (300, 2) spiral

    paper_err, exact_err, lost, linear_err, pics, scale = {}, {}, {}, 0.0, {}, {}
    for n in DIMS:
        pe, ee, lo, sc = [], [], [], []
        for k in range(DRAWS):
            T = torch.randn(n, 2, generator=g, dtype=torch.float64)  # (n, 2) random embedding
            Z = X @ T.T  # (300, n) the manifold embedded in n dims
            Y = torch.relu(Z) if relu else Z  # (300, n) after ReLU (the control: none)
            # (a) the paper's inverse: T⁺ applied to ReLU(Tx); compare shapes up to one scale factor
            Xp = Y @ torch.linalg.pinv(T).T  # (300, 2)
            s = (Xp * X).sum() / (Xp * Xp).sum()
            pe.append(((s * Xp - X).norm() / X.norm()).item())
            sc.append(s.item())
            # (b) best possible inverse from Y alone: pseudo-inverse of the rows ReLU let through
            #     x̂ = (T_Sᵀ T_S)⁺ T_Sᵀ y_S, S = {i : y_i = z_i}; exact iff those rows span 2-D
            active = (Y == Z).to(X.dtype)  # (300, n) coordinates the nonlinearity left unchanged
            A = torch.einsum("pi,ij,ik->pjk", active, T, T)  # (300, 2, 2) = T_Sᵀ T_S per point
            Xe = (torch.linalg.pinv(A) @ ((Y * active) @ T)[:, :, None]).squeeze(-1)  # (300, 2); T_Sᵀ y_S
            ee.append(((Xe - X).norm() / X.norm()).item())
            lo.append(((Xe - X).norm(dim=1) > 1e-9 * X.norm(dim=1)).to(X.dtype).mean().item())
            # (c) no ReLU: T⁺ T x
            Xl = Z @ torch.linalg.pinv(T).T
            linear_err = max(linear_err, ((Xl - X).norm(dim=1) / X.norm(dim=1)).max().item())
            if k == 0:
                pics[n] = (s * Xp, Xe)
        paper_err[n], exact_err[n], lost[n] = sum(pe) / DRAWS, sum(ee) / DRAWS, sum(lo) / DRAWS
        scale[n] = sum(sc) / DRAWS

    per_n = lambda d, f: ", ".join(f"n={n}: {f(d[n])}" for n in DIMS)  # noqa: E731
    pe_list = [paper_err[n] for n in DIMS]
    lo_list = [lost[n] for n in DIMS]
    destroys = (lo_list[0] > 0.5 and all(a >= b for a, b in zip(lo_list, lo_list[1:])) and lost[30] == 0
                and exact_err[30] < 1e-12)
    p.claim(
        "ReLU destroys information in low-dimensional manifolds",
        "paper Fig. 1 redone: a 2-D spiral embedded by a random T into n dims, ReLU; fraction of points NOT "
        f"recoverable from ReLU(T·x) (pseudo-inverse of the rows ReLU let through), mean of {DRAWS} T: "
        + per_n(lost, lambda v: f"{v:.0%}") + "; the paper's T⁺·ReLU(T·x) error: "
        + per_n(paper_err, lambda v: f"{v:.2f}"),
        f"lost {lost[2]:.0%} at n=2, {lost[5]:.0%} at 5, {lost[30]:.0%} at 30",
        holds=destroys,
        note="A point is lost when fewer than 2 of its n coordinates stay positive: ReLU zeroed the rest, and "
        "no decoder can tell those points apart; with enough dimensions every point keeps ≥ 2. Without the ReLU "
        "(the control) every point comes back at every n.",
        data={"dims": list(DIMS), "lost_fraction": lo_list, "exact_error": [exact_err[n] for n in DIMS],
              "paper_error": pe_list, "fitted_scale": [scale[n] for n in DIMS]},
        control="relu",
    )
    p.by_definition(
        "Keeping it linear preserves information",
        "linear algebra: T has full column rank, so T⁺T = I and x = T⁺(T·x) exactly "
        f"(measured max relative error {linear_err:.1e} in float64)",
        f"T⁺T = I (error {linear_err:.0e})",
        data={"linear_max_error": linear_err},
    )
    p.lines(f"Points lost after ReLU in n dims, and the paper's T⁺ error (mean of {DRAWS} T)",
            {"share of points lost": (list(DIMS), lo_list), "T⁺·ReLU(T·x) relative error": (list(DIMS), pe_list)},
            x="n (dimensions)", logx=True)
    p.scatter("Spiral after ReLU in n dims, mapped back exactly where possible (one T per n)",
              {"n = 2": tuple(pics[2][1].T.tolist()), "n = 30": tuple(pics[30][1].T.tolist())}, equal=True)
    p.scatter("The paper's view: T⁺·ReLU(T·x), scale-fitted (one T per n)",
              {"n = 2": tuple(pics[2][0].T.tolist()), "n = 5": tuple(pics[5][0].T.tolist()),
               "n = 30": tuple(pics[30][0].T.tolist())}, equal=True)
    return lost, destroys


def trained(p, relu, k):
    """A trained autoencoder through a k-unit bottleneck, with vs without ReLU on it: the median error ratio."""
    lin, rel = list(train_bottlenecks(False, k)), list(train_bottlenecks(relu, k))
    med = statistics.median  # of 6 values: the mean of the middle two
    dead = sum(r > 0.1 for r in rel)
    loses = med(rel) > 2 * med(lin) and max(lin) < 0.05
    p.claim(
        "trained narrow bottleneck: ReLU loses what linear keeps",
        f"relative reconstruction error of an autoencoder 16 → 32 → {k} → 32 → 16 on a spiral in 16 dims, "
        f"{STEPS} Adam steps, {SEEDS} seeds, with vs without ReLU on the {k}-d bottleneck: linear "
        + ", ".join(f"{v:.4f}" for v in lin) + "; ReLU " + ", ".join(f"{v:.4f}" for v in rel),
        f"median {med(lin):.4f} vs {med(rel):.4f} ({med(rel) / med(lin):.1f}×); {dead}/{SEEDS} collapse",
        holds=loses,
        note="Training can place the bottleneck where ReLU clips little, so the loss is not total: most runs "
        f"lose a little, and {dead} of {SEEDS} lose a whole dimension (a dead unit: error > 0.1). Without ReLU "
        "every run reaches the same small error. With a 16-d bottleneck (the control: as wide as the data) "
        "ReLU costs nothing: the spiral's 2 dimensions survive in the units ReLU leaves open.",
        data={"linear": lin, "relu": rel, "collapsed": dead, "bottleneck": k}, added=True,
        control="bottleneck",
    )
    return med(rel) / med(lin), loses


def mobilenet(p):
    """torchvision's MobileNetV2: what follows the final 1×1 projection in each block?"""
    g = seed()
    net = mobilenet_v2(weights=None).eval()  # random init; BN at init stats (mean 0, var 1)
    blocks = [m for m in net.modules() if isinstance(m, InvertedResidual)]
    acts = (nn.ReLU, nn.ReLU6, nn.Hardswish, nn.SiLU, nn.GELU)
    tail_ok = 0
    for b in blocks:
        conv = b.conv  # Sequential: [expand 1×1 +BN+ReLU6], depthwise 3×3 +BN+ReLU6, 1×1 conv, BN
        proj = conv[-2]
        if (isinstance(proj, nn.Conv2d) and proj.kernel_size == (1, 1) and isinstance(conv[-1], nn.BatchNorm2d)
                and not any(isinstance(m, acts) for m in conv[-1].modules())):
            tail_ok += 1
    mins = {"hidden": [], "out": []}
    for b in blocks:  # hook the depthwise stage (ends in ReLU6) and the block output
        b.conv[-3].register_forward_hook(lambda m, i, o: mins["hidden"].append(o.min().item()))
        b.register_forward_hook(lambda m, i, o: mins["out"].append(o.min().item()))
    with torch.no_grad():
        net(torch.randn(1, 3, 64, 64, generator=g))  # (N, C, H, W) = (1, 3, 64, 64)
    neg_out = sum(v < 0 for v in mins["out"])
    p.by_definition(
        "Removes the ReLU after the final 1×1 projection",
        f"architecture read: in torchvision's mobilenet_v2 the last 1×1 conv of each InvertedResidual is followed "
        f"by BN and no activation ({tail_ok}/{len(blocks)} blocks). A forward pass agrees: every block's output "
        f"has negative values ({neg_out}/{len(blocks)}; nothing clamps them, neither after the projection nor "
        f"after the residual add), while the depthwise stage before it ends in ReLU6 (min "
        f"{min(mins['hidden']):.2f})",
        f"{tail_ok}/{len(blocks)} end 1×1 → BN; {neg_out}/{len(blocks)} output < 0",
        data={"blocks": len(blocks), "linear_tail_blocks": tail_ok, "negative_output_blocks": neg_out,
              "hidden_min": min(mins["hidden"])},
    )
