"""Q9: How does Stochastic Depth (DropPath) work? — run torchvision's StochasticDepth (mode="row")
inside a real ConvNeXt block, count which samples skip the branch, compare the training mean with
eval mode, and sample the linear-decay rule of Huang et al. over a 54-block network."""

import math

import torch
from torchvision.models import convnext_tiny
from torchvision.models.convnext import CNBlock  # x + StochasticDepth(layer_scale · F(x))
from torchvision.ops import StochasticDepth  # per-sample Bernoulli mask, scaled by 1/keep_prob

from quiz.proofs import draw
from quiz.proofs._tools import seed


def _survival_masks(probs, samples):
    """(samples, L) bool: which blocks each sample keeps, drawn by StochasticDepth(p_l, "row") itself."""
    ones = torch.ones(samples, 1)
    return torch.stack([StochasticDepth(pl, "row").train()(ones)[:, 0] != 0 for pl in probs], dim=1)


def _mean_of_subnets(blocks, x):
    """Exact expectation over all 2^L keep/skip patterns (no sampling): Σ P(mask) · output(mask)."""
    total = torch.zeros_like(x)
    for bits in range(2 ** len(blocks)):
        y, prob = x, 1.0
        for l, b in enumerate(blocks):
            kept, q = bits >> l & 1, b.stochastic_depth.p
            prob *= (1 - q) if kept else q
            if kept:  # a kept branch is scaled by 1/keep_prob, as StochasticDepth does
                y = y + b.layer_scale * b.block(y) / (1 - q)
        total += prob * y
    return total


def run(p):
    seed()

    # --- where it is used: torchvision's ConvNeXt-T puts one StochasticDepth in every block
    with torch.device("meta"):
        cnx = convnext_tiny(weights=None)  # default stochastic_depth_prob of the builder
    rates = [m.p for m in cnx.modules() if isinstance(m, StochasticDepth)]
    steps = [b - a for a, b in zip(rates, rates[1:])]
    p.claim(
        "Used in deep ResNets/ConvNeXts",
        "StochasticDepth modules in torchvision convnext_tiny, and their drop rates",
        f"{len(rates)} blocks, drop rate {rates[0]:.3f} → {rates[-1]:.3f}, rising by {steps[0]:.4f} per block",
        len(rates) == 18 and max(steps) - min(steps) < 1e-12 and rates[-1] > rates[0],
        note="ConvNeXt-T has 3+3+9+3 = 18 blocks; torchvision's rule is p·i/(L−1), i = 0…L−1. Not shown: "
        "deep ResNets (Huang et al. 2016 used it in 110- and 1202-layer ResNets) and the regularizing effect "
        "itself (lower test error), which needs training",
        data={"convnext_t_rates": rates},
    )

    # --- one ConvNeXt block in training mode: whole samples skip F(x)
    drop, N = 0.2, 4096
    block = CNBlock(8, layer_scale=1.0, stochastic_depth_prob=drop)  # layer_scale 1 so F(x) is visible
    x = torch.randn(N, 8, 4, 4)  # (N, C, H, W) = (4096, 8, 4, 4)
    with torch.no_grad():
        y = block.train()(x)
        branch = block.layer_scale * block.block(x)  # F(x), no dropping (deterministic given x)
    skipped = (y == x).flatten(1).all(dim=1)  # (N,) the sample came out exactly equal to its input
    kept_ok = torch.allclose(y[~skipped] - x[~skipped], branch[~skipped] / (1 - drop), atol=1e-5)
    frac = skipped.float().mean().item()
    tol = 4 * math.sqrt(drop * (1 - drop) / N)
    p.claim(
        "Randomly drops entire residual blocks during training (the sample skips F(x))",
        f"CNBlock with drop rate {drop} in train mode, {N} samples: samples with output == input exactly; "
        "the others get x + F(x)/keep_prob",
        f"{frac:.1%} of samples skipped F(x) (p = {drop}, ±{tol:.1%} at 4σ); kept samples scaled by "
        f"1/{1 - drop:.1f}: {'yes' if kept_ok else 'no'}",
        abs(frac - drop) < tol and kept_ok,
        note='mode="row": one Bernoulli draw per sample, so a sample keeps or skips the whole branch',
        data={"drop_rate": drop, "skipped_fraction": frac, "tolerance": tol, "kept_scaled": bool(kept_ok)},
    )

    # --- scaled by 1/keep_prob: the training mean equals eval mode; eval is deterministic
    x0 = torch.randn(1, 8, 4, 4).expand(N, -1, -1, -1).contiguous()  # the same input N times
    with torch.no_grad():
        mean_train = block.train()(x0).mean(dim=0)  # (8, 4, 4)
        e1, e2 = block.eval()(x0[:1])[0], block.eval()(x0[:1])[0]
    rel = ((mean_train - e1).norm() / (e1 - x0[0]).norm()).item()  # error relative to the branch size
    tol_mean = 4 * math.sqrt(drop / ((1 - drop) * N))  # 4σ of the mean of Bernoulli/keep_prob
    p.claim(
        "(how) Kept branches are scaled by 1/keep_prob, so the training-mode mean equals eval mode",
        f"mean of {N} train-mode outputs of one input vs the eval-mode output, relative to ‖F(x)‖",
        f"relative difference {rel:.4f} (4σ sampling bound {tol_mean:.4f})",
        rel < tol_mean,
        data={"relative_difference": rel, "tolerance": tol_mean},
    )
    sd = StochasticDepth(drop, "row").eval()
    f = torch.randn(N, 16)  # (N, D) a branch output
    ident = torch.equal(sd(f), f) and torch.equal(e1, e2)
    p.claim(
        "(how) At test time nothing is dropped: eval mode is the identity, deterministic",
        "StochasticDepth(0.2).eval()(f) == f, and two eval passes of the CNBlock",
        "identical" if ident else "different",
        ident,
        data={"eval_identity": bool(ident)},
    )

    # --- Huang et al.: linear decay p_l = l/L · p_L; expected depth (3L − 1)/4 at p_L = 0.5
    L, pL, S = 54, 0.5, 20000  # 54 residual blocks = the paper's 110-layer ResNet
    probs = [l / L * pL for l in range(1, L + 1)]
    keep = _survival_masks(probs, S)  # (S, L)
    measured_rate = (~keep).float().mean(dim=0)  # (L,) drop rate per block
    rate_err = (measured_rate - torch.tensor(probs)).abs().max().item()
    rate_tol = 5 * math.sqrt(0.25 / S)  # 5σ (max over 54 blocks) of a Bernoulli mean, worst case p = 0.5
    depth = keep.sum(dim=1).float().mean().item()
    formula = (3 * L - 1) / 4
    direct = L - sum(probs)  # Σ (1 − p_l) = L − p_L (L + 1) / 2
    depth_tol = 4 * math.sqrt(sum(q * (1 - q) for q in probs) / S)
    p.claim(
        "(Huang et al.) Linear decay p_l = l/L · p_L: deeper blocks are dropped more",
        f"drop rate of each of L = {L} blocks over {S:,} sampled masks vs the rule (p_L = {pL})",
        f"max |measured − rule| = {rate_err:.4f} (5σ: {rate_tol:.4f}); block 1 {measured_rate[0]:.3f}, "
        f"block {L} {measured_rate[-1]:.3f}",
        rate_err < rate_tol,
        note="Huang et al. write it with survival probabilities, 1 − l/L·(1 − p_L) with p_L = 0.5 for the last "
        "block; in drop probabilities that is l/L · 0.5, the rule sampled here",
        data={"L": L, "rule": probs, "measured_rate": measured_rate.tolist()},
    )
    p.claim(
        "(Huang et al.) Expected depth (3L − 1)/4 at p_L = 0.5: the net trains shallower on average",
        f"mean number of kept blocks over {S:,} masks vs (3L−1)/4 and L − p_L(L+1)/2",
        f"{depth:.2f} of {L} blocks; (3L−1)/4 = {formula:.2f}, L − p_L(L+1)/2 = {direct:.2f}",
        abs(direct - formula) < 1e-9 and abs(depth - formula) < depth_tol,
        note=f"tolerance 4σ = {depth_tol:.3f} blocks",
        data={"mean_depth": depth, "formula": formula, "sum_rule": direct, "tolerance": depth_tol},
    )

    # --- 2^L sub-networks: every keep/skip pattern shows up
    L4 = 4
    masks = _survival_masks([l / L4 * pL for l in range(1, L4 + 1)], 4000)  # (4000, 4)
    distinct = len({tuple(r) for r in masks.int().tolist()})
    p.claim(
        "Each sample trains one of 2^L shallower sub-networks",
        f"distinct keep/skip patterns among 4,000 sampled masks, L = {L4}",
        f"{distinct} of 2^{L4} = {2 ** L4}",
        distinct == 2 ** L4,
        data={"L": L4, "distinct_masks": distinct},
    )

    # --- 'ensemble' is an interpretation: is the full (eval) net the average of its sub-networks?
    stack = [CNBlock(8, 1.0, q) for q in (0.125, 0.25, 0.375, 0.5)]  # random init, L = 4
    x1 = x0[:1]  # (1, 8, 4, 4)
    with torch.no_grad():
        gaps = []
        for depth_k in (1, 4):
            full = torch.nn.Sequential(*stack[:depth_k]).eval()(x1)
            gaps.append(((_mean_of_subnets(stack[:depth_k], x1) - full).norm() / (full - x1).norm()).item())
    p.not_shown(
        "Effectively trains an ensemble of shallower networks",
        "an interpretation. Shown: the sub-networks exist (2^L patterns, mean depth (3L−1)/4) and share "
        "weights. Not shown: that the trained network behaves like an ensemble — that needs training and "
        "test-time ablations. At test time the full network runs: it equals the exact average of its "
        f"sub-networks for one block (gap {gaps[0]:.1e}) but not for a stack — for 4 stacked random-init "
        f"ConvNeXt blocks the gap is {gaps[1]:.1%} of ‖F‖: an approximation, not an identity",
        measured="exact mean over all 2^L sub-networks vs the eval output, 1 and 4 CNBlocks",
        value=f"relative gap {gaps[0]:.1e} (L=1), {gaps[1]:.3f} (L=4)",
        data={"gap_one_block": gaps[0], "gap_four_blocks": gaps[1]},
    )

    p.figure(
        f"Drop rate per block, L = {L}: rule l/L·p_L vs measured over {S:,} masks",
        draw.lineplot({"rule": (list(range(1, L + 1)), probs),
                       "measured": (list(range(1, L + 1)), measured_rate.tolist())}),
    )
