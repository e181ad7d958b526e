"""Q12 — What is Neural Architecture Search (NAS)?

Every one of 27 small CNNs (depth × width × kernel size) is trained for a few Adam steps on a seeded
synthetic 16×16 task (stripes at 4 orientations vs blobs, in noise), twice with different seeds, and
scored by mean test accuracy: the true optimum of this search space. Then 500 random searches and 500
small evolutionary searches, each allowed `budget` evaluations, look for it (how often each finds it is
the verdict, not one lucky run); and a MnasNet-style latency-aware reward acc·(MACs/T)^w is compared with
accuracy alone.
"""

import functools
import itertools
import math
import random

import torch
from torch import nn

from quiz.proofs import Knob
from quiz.proofs._tools import macs, seed

R, CLASSES = 16, 5  # image side; classes: stripes at 0°, 45°, 90°, 135°, and blobs
NOISE = 1.0  # std of the Gaussian noise added to every image
OPTIONS = ((1, 2, 3), (4, 8, 16), (1, 3, 5))  # depth, width, kernel size
SPACE = list(itertools.product(*OPTIONS))  # (depth, width, kernel): 27 architectures
STEPS, BATCH, LR, SEEDS = 10, 32, 0.05, 2  # per-candidate training; training seeds per architecture
SEARCHES = 500  # independent runs of each search (seeds 0…499): a rate, not one lucky run
W_LAT = -0.07  # MnasNet's latency exponent: reward = acc · (MACs / target)^w
KNOBS = {
    "budget": Knob(10, f"architectures a search may train and score (of {len(SPACE)})", control=len(SPACE),
                   says=f"all {len(SPACE)} evaluated", low=1, high=len(SPACE)),
    "selection": Knob(True, "evolution mutates the best architecture seen so far (off: a random one it has seen)",
                      control=False, says="without selection"),
}


def _data(n, g):
    """n noisy 16×16 images: oriented stripes (random frequency and phase) or three Gaussian blobs."""
    y = torch.randint(0, CLASSES, (n,), generator=g)
    yy, xx = torch.meshgrid(torch.arange(R).float(), torch.arange(R).float(), indexing="ij")  # (16, 16)
    angle = (y % 4).float()[:, None, None] * math.pi / 4  # (n, 1, 1)
    freq = (0.2 + 0.15 * torch.rand(n, 1, 1, generator=g)) * 2 * math.pi
    phase = torch.rand(n, 1, 1, generator=g) * 2 * math.pi
    stripes = torch.sin(freq * (xx * torch.cos(angle) + yy * torch.sin(angle)) + phase)  # (n, 16, 16)
    centres = torch.rand(n, 3, 2, 1, 1, generator=g) * R  # 3 blobs per image
    d2 = (xx - centres[:, :, 0]) ** 2 + (yy - centres[:, :, 1]) ** 2  # (n, 3, 16, 16)
    blobs = 2 * torch.exp(-d2 / 6.0).sum(1) - 1
    x = torch.where((y < 4)[:, None, None], stripes, blobs) + NOISE * torch.randn(n, R, R, generator=g)
    return x[:, None], y  # (n, 1, 16, 16), (n,)


def _build(depth, width, kernel):
    layers, c = [], 1
    for _ in range(depth):  # conv (same padding) → ReLU → 2×2 max pool, per stage
        layers += [nn.Conv2d(c, width, kernel, padding=kernel // 2), nn.ReLU(), nn.MaxPool2d(2)]
        c = width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, CLASSES))


def _score(arch, x_train, y_train, x_test, y_test, seed_):
    """Test accuracy of one architecture after STEPS Adam steps, from seed `seed_`."""
    torch.manual_seed(seed_)  # init and batches
    model = _build(*arch)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    for _ in range(STEPS):
        idx = torch.randint(0, len(x_train), (BATCH,))
        loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return (model(x_test).argmax(1) == y_test).float().mean().item()


@functools.cache  # deterministic: a control run reads the first run's scores instead of training again
def space():
    """Every architecture's test accuracy per training seed, and its multiply-adds."""
    g = seed()
    x_train, y_train = _data(640, g)  # (640, 1, 16, 16)
    x_test, y_test = _data(100, g)
    runs = tuple(tuple(_score(a, x_train, y_train, x_test, y_test, s) for s in range(SEEDS)) for a in SPACE)
    cost = []
    for a in SPACE:
        with torch.device("meta"):
            cost.append(macs(_build(*a), torch.empty(1, 1, R, R)))
    return runs, tuple(cost)


def _neighbours(i):
    """Architectures one step away in depth, width or kernel (the mutations of the evolutionary search)."""
    arch, out = SPACE[i], []
    for axis, value in enumerate(arch):
        pos = OPTIONS[axis].index(value)
        for step in (-1, 1):
            if 0 <= pos + step < len(OPTIONS[axis]):
                out.append(SPACE.index(arch[:axis] + (OPTIONS[axis][pos + step],) + arch[axis + 1:]))
    return out


NEIGHBOURS = [_neighbours(i) for i in range(len(SPACE))]


def evolve(acc, rng, selection=True, budget=len(SPACE)):
    """A tiny (1+1)-style evolution: 3 random architectures, then mutate a parent into an unseen neighbour —
    the best seen so far (selection) or any seen one (no selection). Returns the evaluated indices in order."""
    seen = rng.sample(range(len(SPACE)), 3)
    best = max(seen, key=acc.__getitem__)
    while len(seen) < budget:
        parent = best if selection else rng.choice(seen)
        fresh = [j for j in NEIGHBOURS[parent] if j not in seen] or [j for j in range(len(SPACE)) if j not in seen]
        child = rng.choice(fresh)  # (a local optimum with no unseen neighbour: jump anywhere new)
        seen.append(child)
        best = child if acc[child] > acc[best] else best
    return seen


@functools.cache
def found(acc, method):
    """Share of SEARCHES runs whose evaluations include the optimum, for every budget 1…27: a run's first b
    evaluations are the run with budget b, so one full run per seed gives the whole curve."""
    optimum = max(range(len(SPACE)), key=acc.__getitem__)
    hits = [0] * len(SPACE)
    for s in range(SEARCHES):
        rng = random.Random(s)
        order = (rng.sample(range(len(SPACE)), len(SPACE)) if method == "random"
                 else evolve(acc, rng, selection=method == "evolution"))
        for b in range(order.index(optimum), len(SPACE)):
            hits[b] += 1  # found with any budget b + 1 that reaches its position
    return tuple(h / SEARCHES for h in hits)


def run(p):
    budget, selection = p.options["budget"], p.options["selection"]
    runs, cost = space()
    acc = tuple(sum(r) / SEEDS for r in runs)
    optimum = max(range(len(SPACE)), key=acc.__getitem__)
    ranked = sorted(acc, reverse=True)
    noise = max(abs(r[0] - r[1]) for r in runs)  # the same architecture, two seeds
    name = lambda i: "d{}·w{}·k{}".format(*SPACE[i])  # noqa: E731
    search = "evolution" if selection else "no selection"
    evo, rnd = found(acc, search), found(acc, "random")  # share of runs finding it, per budget 1…27
    e, r = evo[budget - 1], rnd[budget - 1]  # at this budget
    how_often = ("surely" if e == 1 else "almost surely" if e >= 0.95 else "usually, not surely" if e > 0.5
                 else "rarely")  # the words of the verdict below: holds ≥ 95%, overstated > 50%
    spread = math.sqrt(e * (1 - e) / SEARCHES + r * (1 - r) / SEARCHES)  # standard error of e − r
    p.claim(
        "an algorithm discovers the optimal architecture",
        f"all {len(SPACE)} CNNs trained {STEPS} Adam steps × {SEEDS} seeds (mean test accuracy = the true "
        f"optimum, {name(optimum)} at {acc[optimum]:.3f}; next best {ranked[1]:.3f}); {SEARCHES} runs each of a "
        f"small evolution (3 random starts, then mutate {'the best' if selection else 'any'} architecture seen "
        f"into an unseen neighbour) and of random search, {budget} evaluations per run: the share of runs whose "
        "best is the optimum",
        f"{search} {e:.0%} · random {r:.0%} of runs",
        holds=e >= 0.95,  # 'discovers': reliably, not in a lucky run
        partly=e > 0.5,  # usually
        note=f"With {budget} of {len(SPACE)} evaluations a search finds the optimum only if it trains it: random "
        f"search in {r:.0%} of runs (≈ {budget}/{len(SPACE)}), {search} in {e:.0%} — {how_often}; "
        f"only evaluating all {len(SPACE)} is sure. And 'optimal' is judged by a cheap proxy: one short training "
        f"run moves an architecture's score by up to {noise:.2f} between seeds (the optimum here is a mean of two).",
        data={"space": [list(a) for a in SPACE], "runs": [list(x) for x in runs], "accuracy": list(acc),
              "macs": list(cost), "optimum": optimum, "seed_noise": noise, "budget": budget,
              "selection": selection, "found": list(evo), "random_found": list(rnd)},
        control={"budget": len(SPACE), "selection": False},
    )
    p.claim(
        "a guided search finds it more often than random search",
        f"the same {SEARCHES} × 2 runs at {budget} evaluations: the evolution's share minus random search's, "
        f"against the standard error of that difference over {SEARCHES} runs ({spread:.3f})",
        f"{e:.0%} vs {r:.0%} (±{spread:.0%})",
        holds=e - r > 3 * spread,  # beyond the spread of the runs, not by luck
        note="What makes it guided is selection: mutating the best architecture seen climbs toward the optimum "
        "because neighbours score alike here. Mutating any seen one is a random walk, no better than sampling.",
        data={"difference": e - r, "standard_error": spread},
        added=True,
        control="selection",
    )
    p.published(
        "(RL or Evolutionary)",
        "Zoph & Le 2017 and Zoph et al. 2018 (NASNet): an RNN controller trained by reinforcement learning; Real "
        "et al. 2019 (AmoebaNet): regularized evolution; Tan et al. 2019 (MnasNet, the search EfficientNet-B0 "
        "reuses): reinforcement learning. Each trains thousands of candidate networks.",
        "RL: NASNet, MnasNet · evolution: AmoebaNet",
        note="Not the only kinds: gradient-based search (DARTS, Liu et al. 2019) relaxes the choice to weights; "
        "random search is a strong baseline (Li & Talwalkar 2019). The toy evolution above shows what selection "
        "buys on a small space; it says nothing about which method a given paper used.",
    )
    target = sorted(cost)[len(cost) // 2]  # the MACs target T: the median architecture's
    reward = [a * (c / target) ** W_LAT for a, c in zip(acc, cost)]
    lat_best = max(range(len(SPACE)), key=lambda i: reward[i])
    p.published(
        "Optimizes for Accuracy vs FLOPs/Latency",
        f"Tan et al. 2019 (MnasNet) and Tan & Le 2019 (EfficientNet, §4): the search maximises "
        f"ACC·(LAT or FLOPs / T)^w with w = {W_LAT}. Here, over the whole space with T = the median MACs "
        f"({target:,}): accuracy alone picks {name(optimum)} ({cost[optimum]:,} MACs), the reward {name(lat_best)} "
        f"({cost[lat_best]:,} MACs)",
        f"reward acc·(FLOPs/T)^{W_LAT}",
        note=f"The most accurate net costs {cost[optimum] / target:.1f}× the median MACs; the soft penalty "
        f"(×{(cost[optimum] / target) ** W_LAT:.2f}) "
        + ("still leaves it first" if lat_best == optimum else f"hands the win to {name(lat_best)}")
        + f", the runner-up being {acc[optimum] - ranked[1]:.3f} behind: with w = {W_LAT} the trade-off bites only "
        "when accuracies are close.",
        data={"reward": reward, "latency_aware_best": lat_best, "target_macs": target},
    )
    p.published(
        "EfficientNet was found via NAS",
        "Tan & Le 2019 (EfficientNet), §4: the B0 baseline comes from a MnasNet-style search optimising "
        "accuracy and FLOPs",
        "B0 by NAS; B1–B7 by scaling",
        note="Only B0 was searched; B1–B7 come from compound scaling (question 4).",
    )
    budgets = list(range(1, len(SPACE) + 1))
    p.lines(f"share of {SEARCHES} runs that find the optimum, vs evaluations allowed (of {len(SPACE)})",
            {search: (budgets, evo), "random search": (budgets, rnd)}, x="evaluations", y="found")
    p.scatter(f"test accuracy vs MACs: all {len(SPACE)} architectures; the optimum",
              {"architectures": (cost, acc), "optimum": ([cost[optimum]], [acc[optimum]])}, x="MACs", y="accuracy")
    p.takeaway(f"NAS = a search + a cheap, noisy score (±{noise:.2f} between seeds here): with {budget} of "
               f"{len(SPACE)} evaluations {'evolution' if selection else 'a random walk'} finds the optimum in {e:.0%} "
               f"of runs, random search in {r:.0%}")
