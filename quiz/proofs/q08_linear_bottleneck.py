"""Q8: What is the "Linear Bottleneck" in MobileNetV2? — redo the paper's Fig. 1: a 2-D spiral
embedded by a random matrix T into n dims, ReLU, mapped back with the pseudo-inverse; measure
what survives per n, with and without ReLU; then inspect torchvision's InvertedResidual blocks."""

import math

import torch
from torch import nn
from torchvision.models import mobilenet_v2
from torchvision.models.mobilenetv2 import InvertedResidual

from quiz.proofs import draw
from quiz.proofs._tools import seed

DIMS = (2, 3, 5, 15, 30)  # embedding dimensions n, as in the paper's Fig. 1
DRAWS = 10  # random matrices T per n (results are averaged)


def _side_by_side(panels, gap=4):
    """Join several multi-line strings horizontally."""
    cols = [pn.split("\n") for pn in panels]
    width = [max(map(len, c)) for c in cols]
    rows = max(map(len, cols))
    return "\n".join((" " * gap).join((c[i] if i < len(c) else "").ljust(w) for c, w in zip(cols, width)).rstrip()
                     for i in range(rows))


def run(p):
    g = seed()
    t = torch.linspace(0.5, 4 * math.pi, 300, dtype=torch.float64)
    X = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1) / (4 * math.pi)  # (300, 2) spiral

    paper_err, exact_err, lost, linear_err, pics, scale = {}, {}, {}, 0.0, {}, {}
    for n in DIMS:
        pe, ee, lo, sc = [], [], [], []
        for k in range(DRAWS):
            T = torch.randn(n, 2, generator=g, dtype=torch.float64)  # (n, 2) random embedding
            Y = torch.relu(X @ T.T)  # (300, n) the manifold after ReLU in n dims
            # (a) the paper's inverse: T⁺ applied to ReLU(Tx); compare shapes up to one scale factor
            Xp = Y @ torch.linalg.pinv(T).T  # (300, 2)
            s = (Xp * X).sum() / (Xp * Xp).sum()
            pe.append(((s * Xp - X).norm() / X.norm()).item())
            sc.append(s.item())
            # (b) best possible inverse from Y alone: pseudo-inverse of the rows ReLU let through
            #     x̂ = (T_Sᵀ T_S)⁺ T_Sᵀ y_S, S = {i : y_i > 0}; exact iff those rows span 2-D
            active = (Y > 0).to(X.dtype)  # (300, n)
            A = torch.einsum("pi,ij,ik->pjk", active, T, T)  # (300, 2, 2) = T_Sᵀ T_S per point
            Xe = (torch.linalg.pinv(A) @ (Y @ T)[:, :, None]).squeeze(-1)  # (300, 2); Y @ T = T_Sᵀ y_S
            ee.append(((Xe - X).norm() / X.norm()).item())
            lo.append(((Xe - X).norm(dim=1) > 1e-9 * X.norm(dim=1)).to(X.dtype).mean().item())
            # (c) no ReLU: T⁺ T x
            Xl = (X @ T.T) @ torch.linalg.pinv(T).T
            linear_err = max(linear_err, ((Xl - X).norm(dim=1) / X.norm(dim=1)).max().item())
            if k == 0:
                pics[n] = (s * Xp, Xe)
        paper_err[n], exact_err[n], lost[n] = sum(pe) / DRAWS, sum(ee) / DRAWS, sum(lo) / DRAWS
        scale[n] = sum(sc) / DRAWS

    per_n = lambda d, f: ", ".join(f"n={n}: {f(d[n])}" for n in DIMS)  # noqa: E731
    pe_list = [paper_err[n] for n in DIMS]
    p.claim(
        "ReLU in low dimensions destroys the manifold (paper Fig. 1: embed by T, ReLU, back with T⁻¹)",
        f"relative error of T⁺·ReLU(T·x) vs x after fitting one scale, mean of {DRAWS} random T",
        per_n(paper_err, lambda v: f"{v:.2f}"),
        all(a > b for a, b in zip(pe_list, pe_list[1:])),
        note=f"error falls as n grows, but a linear T⁺ cannot undo ReLU even at n=30: T⁺·ReLU(T·x) ≈ "
        f"x/{scale[30]:.2f} plus a distortion (fitted scale at n=30; ReLU keeps roughly half of T·x) — "
        "the next claim inverts ReLU exactly where it can",
        data={"dims": list(DIMS), "paper_error": pe_list, "fitted_scale": [scale[n] for n in DIMS]},
    )
    lo_list = [lost[n] for n in DIMS]
    p.claim(
        "ReLU destroys information in low-dimensional manifolds (and keeps it when n is large)",
        "fraction of spiral points NOT recoverable from ReLU(T·x) by the pseudo-inverse of the active rows "
        f"(and its relative error), mean of {DRAWS} random T",
        per_n(lost, lambda v: f"{v:.0%}") + " | error " + per_n(exact_err, lambda v: f"{v:.1e}"),
        lo_list[0] > 0.5 and all(a >= b for a, b in zip(lo_list, lo_list[1:])) and lost[30] == 0
        and exact_err[30] < 1e-12,
        note="a point is lost when fewer than 2 of its n coordinates stay positive: ReLU zeroed the rest, "
        "and no decoder can tell those points apart; with enough dimensions every point keeps ≥ 2",
        data={"dims": list(DIMS), "lost_fraction": lo_list, "exact_error": [exact_err[n] for n in DIMS]},
    )
    p.claim(
        "Keeping it linear preserves information",
        "max relative error of T⁺·(T·x) vs x, all n and all T (float64)",
        f"{linear_err:.1e}",
        linear_err < 1e-12,
        note="T has full column rank, so T⁺T = I: without ReLU the embedding is exactly invertible",
        data={"linear_max_error": linear_err},
    )

    # --- torchvision's MobileNetV2: what follows the final 1×1 projection in each block?
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
    p.claim(
        "MobileNetV2 removes the ReLU after the final 1×1 projection of the block",
        "torchvision mobilenet_v2: modules after the last 1×1 conv of each InvertedResidual; "
        "min of each block's output vs of its depthwise (ReLU6) stage, one forward pass",
        f"{tail_ok}/{len(blocks)} blocks end in 1×1 conv → BN with no activation; outputs negative in "
        f"{neg_out}/{len(blocks)} blocks, depthwise stage min {min(mins['hidden']):.2f}",
        tail_ok == len(blocks) and neg_out == len(blocks) and min(mins["hidden"]) >= 0,
        note="negative outputs prove nothing clamps them (neither after the projection nor after the "
        "residual add); the expand and depthwise stages do end in ReLU6 (min ≥ 0)",
        data={"blocks": len(blocks), "linear_tail_blocks": tail_ok, "negative_output_blocks": neg_out,
              "hidden_min": min(mins["hidden"])},
    )

    shown = (2, 5, 30)
    p.figure(
        "Spiral after ReLU in n dims, mapped back with T⁺ (scale-fitted), one T per n",
        _side_by_side([f"n = {n}\n" + draw.scatter(pics[n][0].tolist(), width=26, height=13) for n in shown]),
    )
    p.figure(
        "Same T, inverted exactly where ReLU left ≥ 2 active rows (lost points collapse)",
        _side_by_side([f"n = {n}\n" + draw.scatter(pics[n][1].tolist(), width=26, height=13) for n in shown]),
    )
