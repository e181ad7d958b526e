"""Q9: How does Stochastic Depth (DropPath) work? — train small residual MLPs with and without it on a
noisy toy regression they can learn (test error, and how well their shallower sub-networks predict on
their own), run torchvision's StochasticDepth (mode="row") inside a real ConvNeXt block, count which
samples skip the branch, compare the training mean with eval mode, and read torchvision's ConvNeXt and
EfficientNet drop rates."""

import functools
import math

import torch
from torch import nn
from torchvision.models import convnext_tiny, efficientnet_b0
from torchvision.models.convnext import CNBlock  # x + StochasticDepth(layer_scale · F(x))
from torchvision.ops import StochasticDepth  # per-sample Bernoulli mask, scaled by 1/keep_prob

from quiz.proofs import Knob
from quiz.proofs._tools import seed

KNOBS = {
    "drop": Knob(0.5, "the toy nets' drop rate at the last block (rising linearly from block 1)", control=0.0,
                 says="without DropPath", low=0.0, high=0.9),
    "unit": Knob("block", "what the ConvNeXt block drops: a sample's whole branch F(x) (DropPath) or single "
                 "activations (nn.Dropout)", control="element", says="element-wise dropout",
                 choices=("block", "element")),
    "rescale": Knob(True, "kept branches scaled by 1/keep_prob in training", control=False,
                    says="without ×1/keep_prob"),
}
SEEDS, BLOCKS, WIDTH, STEPS = 5, 6, 32, 150  # toy nets: independent seeds, residual blocks, width, Adam steps
N_TRAIN, N_TEST, NOISE = 128, 256, 0.5  # toy data: y = sin(w·x) + NOISE·ε, x in 2-d
P_L = 0.5  # Huang et al.'s drop rate at the last block: the sub-networks judged as ensemble members


def toy_data():
    """SEEDS noisy regressions, one per seed: train (S, 128, 2) → (S, 128) noisy, test (S, 256, 2) → clean."""
    xs, ys, xt, yt = [], [], [], []
    for s in range(SEEDS):
        g = seed(s)
        w = torch.randn(2, generator=g) * math.sqrt(2)  # a direction and frequency of the sine
        x, x_test = torch.randn(N_TRAIN, 2, generator=g), torch.randn(N_TEST, 2, generator=g)
        xs.append(x)
        ys.append(torch.sin(x @ w) + NOISE * torch.randn(N_TRAIN, generator=g))
        xt.append(x_test)
        yt.append(torch.sin(x_test @ w))
    return torch.stack(xs), torch.stack(ys), torch.stack(xt), torch.stack(yt)


def linear(n_in, n_out, g):
    """SEEDS stacked nn.Linear(n_in, n_out) with nn.Linear's default init: weight (S, in, out), bias (S, 1, out)."""
    k = 1 / math.sqrt(n_in)
    return [((torch.rand(SEEDS, *shape, generator=g) * 2 - 1) * k).requires_grad_()
            for shape in ((n_in, n_out), (1, n_out))]


def apply(layer, x):
    return torch.baddbmm(layer[1], x, layer[0])  # (S, n, in) @ (S, in, out) + (S, 1, out)


def branch(layers, l, h):
    return apply(layers[2 + 2 * l], torch.relu(apply(layers[1 + 2 * l], h)))  # F_l(h) = W2·relu(W1·h)


@functools.cache  # deterministic: a control run that trains at the same rate reads the first run's nets
def train_toys(drop):
    """SEEDS residual MLPs 2 → 32 → 6 blocks h + DropPath(F(h)) → 1, trained at once (one per seed, each on
    its own data) with drop rate drop·l/6 at block l. Per seed: train and test MSE in eval mode, and the
    test MSE of its shallower sub-networks (blocks removed at test time), weighted as DropPath at p_L = 0.5
    samples them (block l skipped with prob. P_L·l/6)."""
    x, y, x_test, y_test = toy_data()
    g = seed(0)  # the same init for every drop rate: runs differ only by DropPath
    layers = [linear(2, WIDTH, g)] + [linear(WIDTH, WIDTH, g) for _ in range(2 * BLOCKS)] + [linear(WIDTH, 1, g)]
    drops = [StochasticDepth(drop * (l + 1) / BLOCKS, "row") for l in range(BLOCKS)]

    def net(x, train):
        h = apply(layers[0], x)  # (S, n, 32)
        for l, sd in enumerate(drops):
            f = branch(layers, l, h)  # (S, n, 32)
            h = h + sd.train(train)(f.reshape(-1, WIDTH)).view_as(f)  # x + DropPath(F(x)), one draw per sample
        return apply(layers[-1], h).squeeze(-1)  # (S, n)

    opt = torch.optim.Adam([t for layer in layers for t in layer], lr=3e-3)
    for _ in range(STEPS):
        loss = ((net(x, True) - y) ** 2).mean(1).sum()  # each seed's MSE; their sum trains all at once
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        mse = lambda out, target: ((out - target) ** 2).mean(-1)  # noqa: E731
        # every shallower sub-network at once: the batch doubles at each block (block skipped | kept)
        h, prob = apply(layers[0], x_test), torch.ones(1)
        for l in range(BLOCKS):
            q = P_L * (l + 1) / BLOCKS  # how often DropPath at p_L = 0.5 skips block l
            h = torch.cat([h, h + branch(layers, l, h)], dim=1)  # (S, 2^(l+1)·256, 32)
            prob = torch.cat([prob * q, prob * (1 - q)])  # (2^(l+1),) bit l of a sub-network: block l kept
        subnets = mse(apply(layers[-1], h).view(SEEDS, 2 ** BLOCKS, N_TEST), y_test[:, None])  # (S, 64) test MSE
        kept = torch.tensor([bin(i).count("1") for i in range(2 ** BLOCKS)])  # (64,) blocks each one keeps
        by_depth = torch.stack([subnets[:, kept == k] @ prob[kept == k] / prob[kept == k].sum()
                                for k in range(BLOCKS + 1)], 1)  # (S, 7) mean test MSE with k blocks kept
        return {"train": mse(net(x, False), y).tolist(), "test": mse(net(x_test, False), y_test).tolist(),
                "subnets": (subnets @ prob).tolist(),  # expected test MSE of a sub-network DropPath samples
                "by_depth": by_depth.mean(0).tolist(), "zero": (y_test ** 2).mean(1).tolist()}


def run(p):
    drop = p.options["drop"]
    if p.measures("drop"):  # (the unit and rescale controls judge the ConvNeXt block only)
        plain, dropped = train_toys(0.0), train_toys(drop)
        lower = regulariser(p, plain, dropped, drop)
    if p.measures():  # an architecture read: the proof as it is only
        used_in(p)
    whole = convnext_block(p)
    if p.measures():
        shallower(p)
    if p.measures("drop"):
        ensemble(p, plain, dropped, drop, lower, whole)


def convnext_block(p):
    """One torchvision ConvNeXt block in training mode: which samples skip F(x), and the training mean.
    Returns whether the skipped share matched the drop rate (whole branches dropped per sample)."""
    seed()  # the same block and inputs whether or not the toy nets were trained (or cached) before
    drop, N = 0.2, 4096
    block = CNBlock(8, layer_scale=1.0, stochastic_depth_prob=drop)  # layer_scale 1 so F(x) is visible
    if p.options["unit"] == "element":  # the control: single activations dropped, not the branch
        block.stochastic_depth = nn.Dropout(drop)
    if not p.options["rescale"]:  # the control: undo the ×1/keep_prob of kept samples
        block.stochastic_depth.register_forward_hook(lambda m, i, out: out * (1 - drop) if m.training else out)
    x = torch.randn(N, 8, 4, 4)  # (N, C, H, W) = (4096, 8, 4, 4)
    with torch.no_grad():
        y = block.train()(x)
        branch_out = block.layer_scale * block.block(x)  # F(x), no dropping (deterministic given x)
    skipped = (y == x).flatten(1).all(dim=1)  # (N,) the sample came out exactly equal to its input
    kept_ok = torch.allclose(y[~skipped] - x[~skipped], branch_out[~skipped] / (1 - drop), atol=1e-5)
    frac = skipped.float().mean().item()
    tol = 4 * math.sqrt(drop * (1 - drop) / N)
    whole = abs(frac - drop) < tol  # a share `drop` of the samples skip their whole branch
    p.claim(
        "Randomly drops entire residual blocks (skips F(x))",
        f"CNBlock with drop rate {drop} in train mode, {N} samples: samples with output == input exactly; "
        f"the others get x + F(x)/keep_prob: {'yes' if kept_ok else 'no'}",
        f"{frac:.1%} skip F(x) at p = {drop} (±{tol:.1%})",
        holds=whole,  # the skipping only: the ×1/keep_prob of the kept ones is the next claim's
        note=('mode="row": one Bernoulli draw per sample, so a sample keeps or skips the whole branch'
              if p.options["unit"] == "block" else "nn.Dropout drops single activations, not a sample's branch")
        + f": {frac:.1%} of samples skip F(x) entirely, "
        + (f"the drop rate {drop} within ±{tol:.1%}." if whole else f"not the drop rate {drop} (±{tol:.1%}).")
        + ("" if p.options["unit"] == "element" else " --control swaps in nn.Dropout (single activations)."),
        data={"drop_rate": drop, "skipped_fraction": frac, "tolerance": tol, "kept_scaled": bool(kept_ok)},
        control="unit",
    )

    # --- scaled by 1/keep_prob: the training mean equals eval mode
    x0 = torch.randn(1, 8, 4, 4).expand(N, -1, -1, -1).contiguous()  # the same input N times
    with torch.no_grad():
        mean_train = block.train()(x0).mean(dim=0)  # (8, 4, 4)
        e1 = block.eval()(x0[:1])[0]
    rel = ((mean_train - e1).norm() / (e1 - x0[0]).norm()).item()  # error relative to the branch size
    tol_mean = 4 * math.sqrt(drop / ((1 - drop) * N))  # 4σ of the mean of Bernoulli/keep_prob
    p.claim(
        "kept branches ×1/keep_prob: train mean = eval output",
        f"mean of {N} train-mode outputs of one input vs the eval-mode output, relative to ‖F(x)‖ (4σ sampling "
        f"bound {tol_mean:.4f}); kept samples scaled by 1/{1 - drop:.1f}: {'yes' if kept_ok else 'no'}",
        f"relative difference {rel:.4f}",
        holds=rel < tol_mean, added=True,
        note=f"Eval mode runs every branch unscaled, so it equals the training mean only if training scales the "
        f"kept branches up by 1/keep_prob; without that the mean is short by p = {drop} of F(x). (Huang et al. "
        "scaled at test time instead; torchvision scales in training.)",
        data={"relative_difference": rel, "tolerance": tol_mean},
        control="rescale",
    )
    return whole


def span(v):
    return f"{min(v):.2f}…{max(v):.2f}"


def regulariser(p, plain, dropped, drop):
    """A regulariser? The toy nets trained without DropPath and at rate `drop`: test error per seed."""
    mean = lambda v: sum(v) / len(v)  # noqa: E731
    lower = sum(a < b for a, b in zip(dropped["test"], plain["test"]))
    p.claim(
        "Regularization technique",
        f"{SEEDS} seeds of a residual MLP ({BLOCKS} blocks, width {WIDTH}) fitted to {N_TRAIN} samples of "
        f"sin(w·x) + {NOISE}·noise, {STEPS} Adam steps, drop rate rising to {drop} vs none, same init: train MSE "
        f"(eval mode) and test MSE on {N_TEST} clean points",
        f"test {mean(plain['test']):.3f} → {mean(dropped['test']):.3f}, lower {lower}/{SEEDS}",
        holds=lower == SEEDS,
        partly=lower > SEEDS // 2,  # lower on most seeds, not all: it depends on the seed
        note=f"Both nets learn the sine (test MSE without DropPath {span(plain['test'])}, with it "
        f"{span(dropped['test'])}; predicting 0 scores {span(plain['zero'])}). Without DropPath the net fits "
        f"part of the noise (train MSE {mean(plain['train']):.3f} < noise variance {NOISE ** 2}); with it "
        f"{mean(dropped['train']):.3f}, and test error is lower on {lower} of {SEEDS} seeds. A 2-d toy: "
        "Huang et al. 2016 show it on CIFAR with 110-layer ResNets.",
        data={"plain": plain, "stochastic_depth": dropped, "lower_on": lower},
        control="drop",
    )
    return lower


def ensemble(p, plain, dropped, drop, lower, whole):
    """An ensemble of shallower networks? How well each sub-network predicts on its own."""
    ratio = [m / t for m, t in zip(dropped["subnets"], dropped["test"])]
    ratio_plain = [m / t for m, t in zip(plain["subnets"], plain["test"])]
    works = max(ratio) < 1.5  # the sub-networks predict about as well as the full net
    trained = ("Trained with no block ever skipped (drop rate 0)" if drop == 0
               else f"Trained with DropPath (rate rising to {drop})")
    p.claim(
        "Effectively trains an ensemble of shallower networks",
        f"test MSE of the 2^{BLOCKS} sub-networks (the trained net with blocks removed at test time, "
        f"weighted by how often DropPath at p_L = {P_L} samples each: block l skipped with prob. {P_L}·l/"
        f"{BLOCKS}) ÷ the full net's, per seed, for the nets trained with and without DropPath",
        f"sub-networks' MSE ≤ {max(ratio):.2f}× the full net's",
        holds=works,
        note=f"{trained}, the shallower sub-networks (on average {BLOCKS - P_L * (BLOCKS + 1) / 2:.2f} of {BLOCKS} "
        + (f"blocks) predict about as well as the full net ({span(ratio)}× its test MSE): each was trained, and eval "
           "mode combines them." if works else f"blocks) do {span(ratio)}× the full net's test MSE: they do not "
           "work alone.")
        + ("" if drop == 0 else f" Trained without it, the same sub-networks do {span(ratio_plain)}× the full "
           "net's test MSE" + (": one deep net, not an ensemble." if min(ratio_plain) >= 1.5 else "."))
        + " 'An ensemble' is approximate: eval mode equals the average of the sub-networks training samples "
        "(kept branches ×1/keep_prob) exactly for one block, by linearity, but not for a stack of nonlinear blocks.",
        data={"ratio": ratio, "ratio_plain": ratio_plain},
        control="drop",
    )
    depths = list(range(BLOCKS + 1))
    p.lines(f"test MSE of the sub-networks by blocks kept (mean of {SEEDS} seeds; {BLOCKS} = the full net)",
            {f"trained with DropPath (to {drop})": (depths, dropped["by_depth"]), "without": (depths, plain["by_depth"])},
            x="blocks kept", y="test MSE", logy=True)
    subnets = (f"trains shallow sub-networks that work alone (≤ {max(ratio):.1f}× the full net's error vs "
               f"{min(ratio_plain):.1f}×+ without)" if works else f"at drop rate {drop} leaves sub-networks that do "
               f"not work alone (up to {max(ratio):.1f}× the full net's error)")
    verdict = ("a regulariser that acts like an ensemble" if works and lower == SEEDS
               else f"test error lower on {lower}/{SEEDS} seeds")
    skips = ("DropPath skips whole branches per sample and" if whole else
             f"{p.options['unit']}-wise dropping in the ConvNeXt block skips no whole branch at its rate; on the toy, "
             "DropPath")
    p.takeaway(f"{skips} {subnets}: {verdict}")


def used_in(p):
    """Where it is used: torchvision's rates (an architecture read, not an experiment)."""
    with torch.device("meta"):
        cnx = convnext_tiny(weights=None, stochastic_depth_prob=0.1)
        eff = efficientnet_b0(weights=None)  # its builder's default 0.2
    rates = [m.p for m in cnx.modules() if isinstance(m, StochasticDepth)]
    eff_rates = [m.p for m in eff.modules() if isinstance(m, StochasticDepth)]
    rule = [0.1 * i / (len(rates) - 1) for i in range(len(rates))]  # linear decay, 0 at the first block
    eff_rule = [0.2 * i / len(eff_rates) for i in range(len(eff_rates))]
    err = max(abs(a - b) for a, b in zip(rates + eff_rates, rule + eff_rule))
    p.by_definition(
        "used in deep ResNets/ConvNeXts, rate rising with depth",
        f"architecture read: the StochasticDepth modules of torchvision convnext_tiny(stochastic_depth_prob=0.1) "
        f"({len(rates)}) and efficientnet_b0 ({len(eff_rates)}) follow the linear rule p·i/(L−1) (ConvNeXt) "
        f"and p·i/L (EfficientNet) to {err:.0e}; Huang et al. 2016 used it in 110- and 1202-layer ResNets "
        "with the same linear decay (their p_L = 0.5)",
        f"{len(rates)} + {len(eff_rates)} blocks follow the rule",
        data={"convnext_t_rates": rates, "efficientnet_b0_rates": eff_rates, "max_rule_error": err},
    )


def shallower(p):
    L = 54  # 54 residual blocks = Huang et al.'s 110-layer ResNet, p_L = 0.5 at the last block
    probs = [l / L * P_L for l in range(1, L + 1)]
    p.by_definition(
        "the net trains shallower on average: (3L − 1)/4 blocks",
        f"arithmetic: with drop rate l/L·p_L at block l, the expected number of kept blocks is L − p_L(L+1)/2 = "
        f"{L - sum(probs):.2f} of {L} = (3L − 1)/4 at p_L = 0.5",
        f"{(3 * L - 1) / 4:.1f} of {L} blocks",
        data={"L": L, "rule": probs, "mean_depth": L - sum(probs)},
    )
