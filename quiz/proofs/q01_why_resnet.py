"""Why does ResNet work? — deep stacks wired plain vs with identity skips: the gradient reaching the first
block, the block Jacobian I + dF/dx, identity at zero-init, and the loss along a filter-normalised direction.

Gradients: 32 layers h ← relu(W·h) (plain) vs h ← h + relu(W·h)/√32 (residual with a scaled branch: the naive
h + relu(W·h) explodes, shown too), same nn.Linear weights, 8 seeds. Landscape: 32 pre-norm blocks
F(x) = W2·relu(W1·LayerNorm(x)) wired x ← F(x) vs x ← x + F(x), same weights.
"""

import functools
import math

import torch
from torch import nn

from quiz.proofs import Knob
from quiz.proofs._tools import seed

DEPTH, WIDTH, N, CLASSES = 32, 64, 128, 10
KNOBS = {
    "skip": Knob(True, "the identity path x + F(x) of every residual stack (off: F(x) alone)", control=False,
                 says="without skip"),
    "branch_scale": Knob(1.0, "the landscape stack's residual branch scale s in x + s·F(x)",
                         control=round(1 / math.sqrt(DEPTH), 4), says=f"branch ×1/√{DEPTH}", low=0.01, high=1.0),
}
SEEDS = 8  # independent inits for the gradient experiment
STEPS, DIRECTIONS = 25, 2  # points on each loss curve (t in [-1, 1]); random directions
LEARN_DEPTH, LEARN_STEPS = 16, 100  # learning the identity: a 16-layer MLP, 100 Adam steps


def block():
    # pre-norm branch F(x) = W2·relu(W1·LN(x)); default nn.Linear init
    return nn.Sequential(nn.LayerNorm(WIDTH), nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH))


def forward(blocks, head, x, skip, scale=1.0):
    for f in blocks:
        x = x + scale * f(x) if skip else f(x)  # residual: identity + branch; plain: branch only
    return head(x)  # (N, CLASSES)


def backward_signal(layers, step, x, y):
    """‖∂L/∂h_l‖ at every layer output h_l (l = 1…DEPTH) for L = MSE(h_DEPTH, y); and the output's std."""
    hs, h = [], x
    for layer in layers:
        h = step(layer, h)
        h.retain_grad()
        hs.append(h)
    nn.functional.mse_loss(h, y).backward()
    return [t.grad.norm().item() for t in hs], h.std().item()


def run(p):  # (run_proof runs every proof on one thread: ~200 passes over tiny tensors)
    skip = p.options["skip"]  # the mechanism: False in its control run
    if p.measures("skip"):  # (the branch_scale control judges the landscape only)
        flow = gradient_flow(p, skip)
        jacobian(p)
        plain_loss, res_loss = learn_identity(skip=False), learn_identity(skip=skip)
        p.claim(
            "easier to learn F(x) → 0 than an identity from scratch",
            f"MSE(net(x), x) after {LEARN_STEPS} Adam steps (lr 1e-3), {LEARN_DEPTH} layers h ← W·relu(h) "
            f"(plain) vs h ← h + W·relu(h) (residual), width {WIDTH // 2}, same init and data",
            f"loss plain {plain_loss[-1]:.2f} vs residual {res_loss[-1]:.2f}",
            holds=res_loss[-1] < plain_loss[-1] / 2,  # 'easier': under half the loss for the same budget
            note="Both nets can represent the identity (the plain one by learning it layer by layer); the residual "
            "one only has to push its branches toward zero. A toy: the paper's evidence is ImageNet training curves."
            + ("" if skip else " (Here without the skip: both nets are the plain one.)"),
            data={"plain_loss": plain_loss, "residual_loss": res_loss},
            control="skip",
        )
        grad = (f"skips keep the gradient within {flow['hi']:.2g}× end to end" if flow["unimpeded"] else
                f"without the identity path the gradient at block 1 is {flow['span']}× the one at block {DEPTH}")
        learn = (f"learn the identity {plain_loss[-1] / res_loss[-1]:.0f}× better" if res_loss[-1] < plain_loss[-1] / 2
                 else f"the identity is learnt to loss {res_loss[-1]:.2f} vs {plain_loss[-1]:.2f} plain")
        init = ("vanishing plain gradients need a bad init" if flow["bad_init_only"] else
                "plain gradients vanish at default init " + ("and He init" if flow["vanish_he"] else "only"))
        p.takeaway(f"{grad} and {learn}; {init}" if flow["unimpeded"] else f"{grad}; {learn}; {init}")
    landscape(p, skip, p.options["branch_scale"])


def gradient_flow(p, skip):
    """1. backward signal at block 1 vs block DEPTH, plain vs residual, same weights, SEEDS inits; the
    largest block-1 ÷ block-DEPTH ratio of the residual stack."""
    keep = 1.0 if skip else 0.0  # the identity path's weight in the residual stacks
    plain = lambda layer, h: torch.relu(layer(h))
    residual = lambda layer, h: keep * h + torch.relu(layer(h)) / math.sqrt(DEPTH)  # scaled branch
    naive = lambda layer, h: keep * h + torch.relu(layer(h))  # unscaled branch
    ratios = {"plain": [], "plain_he": [], "residual": [], "naive": []}
    naive_std, curves = [], {}
    for s in range(SEEDS):
        g = seed(s)
        layers = [nn.Linear(WIDTH, WIDTH) for _ in range(DEPTH)]  # PyTorch default init
        he = [nn.Linear(WIDTH, WIDTH) for _ in range(DEPTH)]
        for layer in he:  # He (Kaiming) init: the init designed to keep plain ReLU stacks' signal
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=g)
            nn.init.zeros_(layer.bias)
        x = torch.randn(N, WIDTH, generator=g)  # (N, D) = (128, 64)
        y = torch.randn(N, WIDTH, generator=g)  # regression target
        runs = {"plain": backward_signal(layers, plain, x, y), "plain_he": backward_signal(he, plain, x, y),
                "residual": backward_signal(layers, residual, x, y), "naive": backward_signal(layers, naive, x, y)}
        for k, (gn, _) in runs.items():
            ratios[k].append(gn[0] / gn[-1])  # first block ÷ last block
        naive_std.append(runs["naive"][1])
        if s == 0:
            # (the He-init curve lies on the residual one at a terminal's resolution: its range is in the value)
            curves = {"plain, default init": runs["plain"][0],
                      "residual" if skip else "residual, no skip": runs["residual"][0]}
    lo = {k: min(v) for k, v in ratios.items()}
    hi = {k: max(v) for k, v in ratios.items()}
    spread = {k: hi[k] / lo[k] if lo[k] > 0 else math.inf for k in ratios}  # 0: the signal underflowed
    span = lambda k: f"{lo[k]:.2g}…{hi[k]:.2g}"
    unimpeded = 0.1 < lo["residual"] <= hi["residual"] < 10  # within 10× end to end, every seed
    vanish_default, vanish_he = hi["plain"] < 1e-3, hi["plain_he"] < 1e-3
    p.claim(
        "Gradient flow: the skip lets gradients flow back unimpeded",
        f"‖∂L/∂h‖ at block 1 ÷ at block {DEPTH}, {DEPTH} layers of width {WIDTH}, range over {SEEDS} seeds; "
        f"residual h + relu(Wh)/√{DEPTH} vs plain relu(Wh), same weights; plain also with He init",
        f"res {span('residual')} · plain {span('plain')} · He {span('plain_he')}",
        holds=unimpeded and vanish_default and not vanish_he and spread["residual"] < spread["plain_he"],
        partly=unimpeded,
        note=("'Unimpeded' is approximate: each block multiplies the gradient by (I + ∂F/∂x)ᵀ, so with skips it "
              f"grows mildly toward the input, by the same factor (within {spread['residual']:.2g}×) for every seed. "
              if unimpeded else f"Not unimpeded: the residual stack's block-1 ÷ block-{DEPTH} ratio is "
              f"{span('residual')} ({'with' if skip else 'without'} the identity path). ")
        + (f"Plain stacks vanish only at PyTorch's default init ({span('plain')}); with He init nothing vanishes "
           f"({span('plain_he')}, but {spread['plain_he']:.2g}× between seeds) — He et al. 2016 also blamed "
           "optimisation, not vanishing, for deep plain nets. So the contrast with plain nets holds only for a bad "
           "init." if vanish_default and not vanish_he else
           f"Plain stacks: {span('plain')} at PyTorch's default init, {span('plain_he')} with He init.")
        + f" Without the 1/√{DEPTH} scale the residual stack "
        + ("explodes" if min(naive_std) > 10 else "does not explode")
        + f": output std {min(naive_std):.3g}…{max(naive_std):.3g}, ratio {span('naive')}.",
        data={"depth": DEPTH, "seeds": SEEDS, "ratios": ratios, "spread": spread, "naive_output_std": naive_std},
        control="skip",
    )
    p.lines(f"log10 ‖∂L/∂h‖ per block, seed 0 (block 1 = input end, {DEPTH} = output)",
            {k: (list(range(1, DEPTH + 1)), torch.tensor(v).log10().tolist()) for k, v in curves.items()},
            x="block", y="log10 ‖∂L/∂h‖")
    return {"unimpeded": unimpeded, "hi": hi["residual"], "span": span("residual"), "vanish_he": vanish_he,
            "bad_init_only": vanish_default and not vanish_he}


def jacobian(p):
    """2. autograd: d(x + F(x))/dx = I + dF/dx"""
    g = seed()
    f = block()
    v = torch.randn(WIDTH, generator=g)  # (64,)
    j_block = torch.autograd.functional.jacobian(lambda z: z + f(z), v)  # (64, 64)
    j_f = torch.autograd.functional.jacobian(f, v)  # (64, 64)
    err = (j_block - (torch.eye(WIDTH) + j_f)).abs().max().item()
    p.by_definition(
        "derivative of the skip path x is 1: d(x + F)/dx = I + dF/dx",
        "the sum rule of derivatives; autograd agrees: max |jacobian(x + F(x)) − (I + jacobian(F))| "
        f"= {err:.3g} on a 64-d block",
        f"autograd error {err:.1g}",
        data={"jacobian_max_err": err, "jf_norm": j_f.norm().item()},
    )


def landscape(p, skip, scale):
    """4. loss along a random filter-normalised direction (Li et al. 2018), same weights, both wirings
    of a pre-norm stack"""
    rough, minima, rough_raw, curves = {}, {}, {}, {}
    for k in range(DIRECTIONS):
        for wiring in (False, True):  # plain, residual
            residual = wiring and skip  # without the skip the "residual" wiring is the plain one
            ls = torch.tensor(loss_curve(residual, scale if residual else 1.0, k))  # (STEPS,)
            d1, d2 = ls.diff(), ls.diff(n=2)
            span = (ls.max() - ls.min()).item()
            key = (wiring, k)
            rough_raw[key] = d2.abs().mean().item()
            rough[key] = rough_raw[key] / span  # mean |second difference| relative to the curve's range
            minima[key] = int(((d1[:-1] < 0) & (d1[1:] > 0)).sum())  # local minima along the line
            if k == 0:
                curves["residual" if wiring else "plain"] = (torch.linspace(-1, 1, STEPS).tolist(),
                                                             ((ls - ls.min()) / span).tolist())
    mean = lambda r, wiring: sum(r[(wiring, k)] for k in range(DIRECTIONS)) / DIRECTIONS
    rp, rr = mean(rough, False), mean(rough, True)
    mp, mr = [minima[(False, k)] for k in range(DIRECTIONS)], [minima[(True, k)] for k in range(DIRECTIONS)]
    raw_p, raw_r = mean(rough_raw, False), mean(rough_raw, True)
    smoother_rel = rp > 2 * rr and min(mp) > max(mr)  # relative to each curve's own range
    note = "(plain vs residual" + ("" if skip else "; without the skip both are the plain stack") + ".) "
    if smoother_rel:
        note += (f"Relative to its own range the residual curve is {'one smooth bowl' if max(mr) <= 1 else 'smoother'}"
                 f" and the plain one jagged ({mp} vs {mr} local minima)")
    else:
        note += (f"Relative to its own range the residual curve is not clearly smoother (rel. {rp:.2g} vs {rr:.2g}; "
                 f"{mp} vs {mr} local minima)")
    if raw_r > raw_p:
        note += (f", but in raw |Δ²L| the residual loss curves more ({raw_r:.2g} vs {raw_p:.2g})"
                 + (": 'smoother' holds only after normalising by the range." if smoother_rel else "."))
    else:
        note += f"; in raw |Δ²L| it curves {'less' if raw_r < raw_p else 'as much'} ({raw_r:.2g} vs {raw_p:.2g})."
    note += (" A 1-D slice at initialisation on random labels; Li et al. 2018 slice around trained minima in 2-D.")
    if raw_r > raw_p and skip:
        note += (f" With the branch scaled by 1/√{DEPTH} (--set branch_scale={KNOBS['branch_scale'].control}) the "
                 "residual curve is smoother in raw terms too.")
    p.claim(
        "Loss landscape: much smoother than plain networks",
        f"loss on a {STEPS}-point line θ + t·d, t ∈ [−1, 1], d random filter-normalised "
        f"({DIRECTIONS} directions): relative roughness = mean |Δ²L| ÷ (max L − min L); raw = mean |Δ²L|; "
        "local minima on the line",
        f"rel. {rp:.2g} vs {rr:.2g} · raw {raw_p:.2g} vs {raw_r:.2g}",
        holds=smoother_rel and raw_p > raw_r,
        partly=smoother_rel,
        note=note,
        data={"roughness_plain": rp, "roughness_residual": rr, "minima_plain": mp, "minima_residual": mr,
              "raw_d2_plain": raw_p, "raw_d2_residual": raw_r, "branch_scale": scale},
        control=("skip", "branch_scale"),
    )
    p.lines("loss along a filter-normalised direction (each curve scaled to 0…1)", curves, x="t", y="loss")


@functools.cache  # deterministic: a control run asks again for the curves it does not change (the plain one)
def loss_curve(residual: bool, scale: float, k: int) -> tuple[float, ...]:
    """The loss at STEPS points θ + t·d, t ∈ [−1, 1], along random direction k (filter-normalised: each row
    of d gets the norm of the same row of W; biases and LayerNorms stay), of one pre-norm stack wired plain
    (x ← F(x)) or residual (x ← x + scale·F(x)); the same weights and data every time."""
    g = seed()
    blocks = nn.ModuleList(block() for _ in range(DEPTH))
    head = nn.Linear(WIDTH, CLASSES)
    x = torch.randn(N, WIDTH, generator=g)  # (N, D) = (128, 64)
    y = torch.randint(0, CLASSES, (N,), generator=g)  # random labels
    dg = torch.Generator().manual_seed(100 + k)
    weights = list(blocks.parameters()) + list(head.parameters())
    dirs = []
    for w in weights:
        d = torch.randn(w.shape, generator=dg)
        dirs.append(d * w.norm(dim=1, keepdim=True) / d.norm(dim=1, keepdim=True) if w.dim() > 1 else 0 * d)
    base = [w.detach().clone() for w in weights]
    out = []
    with torch.no_grad():
        for t in torch.linspace(-1, 1, STEPS):
            for w, w0, d in zip(weights, base, dirs):
                w.copy_(w0 + t * d)
            out.append(nn.functional.cross_entropy(forward(blocks, head, x, residual, scale), y).item())
    return tuple(out)


@functools.cache  # deterministic: a control run that trains the same net again reads the first run's losses
def learn_identity(skip, depth=LEARN_DEPTH, width=WIDTH // 2, steps=LEARN_STEPS):
    """Loss every 10 steps of an MLP trained to output its input (the identity map)."""
    g = seed(1)
    layers = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
    opt = torch.optim.Adam(layers.parameters(), lr=1e-3)
    x = torch.randn(128, width, generator=g)  # (N, D) = (128, 32)
    out = []
    for step in range(steps):
        h = x if skip else layers[0](x)  # plain: a first linear layer (no ReLU before it)
        for layer in layers if skip else layers[1:]:
            h = h + layer(torch.relu(h)) if skip else layer(torch.relu(h))  # (128, 32)
        loss = nn.functional.mse_loss(h, x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 10 == 9:
            out.append(loss.item())
    return tuple(out)
