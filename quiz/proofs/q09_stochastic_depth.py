"""Q9: How does Stochastic Depth (DropPath) work? — train a small residual MLP with and without it on a
noisy toy regression, run torchvision's StochasticDepth (mode="row") inside a real ConvNeXt block, count
which samples skip the branch, compare the training mean with eval mode, check torchvision's ConvNeXt
and EfficientNet drop rates against the linear rule, and average all 2^L sub-networks exactly."""

import math

import torch
from torchvision.models import convnext_tiny
from torchvision.models.convnext import CNBlock  # x + StochasticDepth(layer_scale · F(x))
from torchvision.ops import StochasticDepth  # per-sample Bernoulli mask, scaled by 1/keep_prob

from torchvision.models import efficientnet_b0

from quiz.proofs._tools import seed

TOY_SEEDS, TOY_BLOCKS, TOY_STEPS = 2, 8, 150


def train_toy(drop, seed_):
    """(train MSE, test MSE) of a residual MLP (8 blocks, width 32) fitted to 96 noisy samples of
    sin(w·x/2), with stochastic depth rising linearly to `drop` (0: none)."""
    from torch import nn

    g = seed(seed_)
    w = torch.randn(16, generator=g)
    xtr, xte = torch.randn(96, 16, generator=g), torch.randn(500, 16, generator=g)  # (96, 16), (500, 16)
    ytr = torch.sin(xtr @ w / 2) + 0.5 * torch.randn(96, generator=g)  # label noise to overfit
    yte = torch.sin(xte @ w / 2)
    inp, out = nn.Linear(16, 32), nn.Linear(32, 1)
    blocks = nn.ModuleList(nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 32)) for _ in range(TOY_BLOCKS))
    drops = [StochasticDepth(drop * (i + 1) / TOY_BLOCKS, "row") for i in range(TOY_BLOCKS)]
    opt = torch.optim.Adam([*inp.parameters(), *blocks.parameters(), *out.parameters()], lr=1e-3)

    def net(x, train):
        h = inp(x)
        for b, sd in zip(blocks, drops):
            h = h + sd.train(train)(b(h))  # x + DropPath(F(x))
        return out(h).squeeze(1)

    for _ in range(TOY_STEPS):
        loss = ((net(xtr, True) - ytr) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return ((net(xtr, False) - ytr) ** 2).mean().item(), ((net(xte, False) - yte) ** 2).mean().item()


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

    # --- a regulariser? train the same residual MLP with and without it
    plain = [train_toy(0.0, k) for k in range(TOY_SEEDS)]
    dropped = [train_toy(0.5, k) for k in range(TOY_SEEDS)]
    mean = lambda v, i: sum(r[i] for r in v) / len(v)  # noqa: E731
    tr0, te0, tr1, te1 = mean(plain, 0), mean(plain, 1), mean(dropped, 0), mean(dropped, 1)
    p.claim(
        "Regularization technique",
        f"residual MLP ({TOY_BLOCKS} blocks) fitted to 96 noisy samples, {TOY_STEPS} Adam steps, {TOY_SEEDS} "
        "seeds, drop rate rising to 0.5 vs none: train and test MSE (eval mode)",
        f"train {tr0:.0e} → {tr1:.0e}, test {te0:.2f} → {te1:.2f}",
        holds=tr1 > 10 * tr0 and te1 < 0.95 * te0,
        partly=tr1 > 10 * tr0,
        note="The weaker form holds: with it the net no longer memorises the noisy training set (train error "
        "rises). The stronger one, better test error, did not show in a toy this size; Huang et al. 2016 "
        "report it on CIFAR with 110-layer ResNets after hours of training.",
        data={"plain": plain, "stochastic_depth": dropped},
    )

    # --- where it is used, and torchvision's rates against the linear-decay rule computed here
    with torch.device("meta"):
        cnx = convnext_tiny(weights=None, stochastic_depth_prob=0.1)
        eff = efficientnet_b0(weights=None)  # its builder's default 0.2
    rates = [m.p for m in cnx.modules() if isinstance(m, StochasticDepth)]
    eff_rates = [m.p for m in eff.modules() if isinstance(m, StochasticDepth)]
    rule = [0.1 * i / (len(rates) - 1) for i in range(len(rates))]  # linear decay, 0 at the first block
    eff_rule = [0.2 * i / len(eff_rates) for i in range(len(eff_rates))]
    err = max(abs(a - b) for a, b in zip(rates + eff_rates, rule + eff_rule))
    p.claim(
        "used in deep ResNets/ConvNeXts, rate rising with depth",
        f"StochasticDepth modules in torchvision convnext_tiny(stochastic_depth_prob=0.1) ({len(rates)}) and "
        f"efficientnet_b0 ({len(eff_rates)}), their rates vs the linear rule p·i/(L−1) (ConvNeXt) and p·i/L "
        "(EfficientNet), computed here",
        f"{len(rates)} + {len(eff_rates)} blocks follow the rule",
        holds=len(rates) == 18 and len(eff_rates) == 16 and err < 1e-9,
        note="Huang et al. 2016 used it in 110- and 1202-layer ResNets with the same linear decay (their p_L = 0.5).",
        data={"convnext_t_rates": rates, "efficientnet_b0_rates": eff_rates, "max_rule_error": err},
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
        "Randomly drops entire residual blocks (skips F(x))",
        f"CNBlock with drop rate {drop} in train mode, {N} samples: samples with output == input exactly; "
        "the others get x + F(x)/keep_prob",
        f"{frac:.1%} skip F(x) at p = {drop} (±{tol:.1%})",
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
        "kept branches ×1/keep_prob: train mean = eval output",
        f"mean of {N} train-mode outputs of one input vs the eval-mode output, relative to ‖F(x)‖ (4σ sampling "
        f"bound {tol_mean:.4f}); kept samples scaled by 1/{1 - drop:.1f}: {'yes' if kept_ok else 'no'}",
        f"relative difference {rel:.4f}",
        rel < tol_mean, added=True,
        data={"relative_difference": rel, "tolerance": tol_mean},
    )
    L, pL = 54, 0.5  # 54 residual blocks = Huang et al.'s 110-layer ResNet, p_L = 0.5 at the last block
    probs = [l / L * pL for l in range(1, L + 1)]
    p.by_definition(
        "the net trains shallower on average: (3L − 1)/4 blocks",
        f"arithmetic: with drop rate l/L·p_L at block l, the expected number of kept blocks is L − p_L(L+1)/2 = "
        f"{L - sum(probs):.2f} of {L} = (3L − 1)/4 at p_L = 0.5",
        f"{(3 * L - 1) / 4:.1f} of {L} blocks",
        data={"L": L, "rule": probs, "mean_depth": L - sum(probs)},
    )

    # --- 'ensemble' is an interpretation: is the full (eval) net the average of its sub-networks?
    stack = [CNBlock(8, 1.0, q) for q in (0.125, 0.25, 0.375, 0.5)]  # random init, L = 4
    x1 = x0[:1]  # (1, 8, 4, 4)
    with torch.no_grad():
        gaps = []
        for depth_k in (1, 4):
            full = torch.nn.Sequential(*stack[:depth_k]).eval()(x1)
            gaps.append(((_mean_of_subnets(stack[:depth_k], x1) - full).norm() / (full - x1).norm()).item())
    p.claim(
        "Effectively trains an ensemble of shallower networks",
        "each training step samples one of 2^L weight-sharing sub-networks; at test time the full network runs. "
        "Is it the ensemble average? exact mean over all 2^L sub-networks vs the eval output, 1 and 4 "
        "random-init CNBlocks (drop 0.125…0.5)",
        f"= average for 1 block; gap {gaps[1]:.0%} for 4",
        holds=gaps[1] < 0.01,
        partly=gaps[0] < 1e-5,
        note="The sub-networks exist and share weights, and for one block the eval output is exactly their "
        f"average; for a stack of 4 it differs by {gaps[1]:.1%} of ‖F‖ (nonlinear blocks do not average "
        "through), so 'ensemble' is an approximation, not an identity.",
        data={"gap_one_block": gaps[0], "gap_four_blocks": gaps[1]},
    )
    p.lines("drop rate per block: torchvision ConvNeXt-T (p = 0.1) and EfficientNet-B0 (p = 0.2)",
            {"convnext_tiny": (list(range(1, len(rates) + 1)), rates),
             "efficientnet_b0": (list(range(1, len(eff_rates) + 1)), eff_rates)}, x="block", y="drop rate")
    p.takeaway(f"DropPath skips F(x) for {frac:.0%} of samples at p = {drop} and rescales the rest so eval needs "
               f"no change; in a toy it stops memorising (train {tr0:.0e} → {tr1:.0e}) but the test gain needs "
               "real training")
