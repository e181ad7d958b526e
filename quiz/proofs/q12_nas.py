"""Q12 — What is Neural Architecture Search (NAS)?

Every one of 27 small CNNs (depth × width × kernel size) is trained for a few Adam steps on a seeded
synthetic 16×16 task (stripes at 4 orientations vs blobs, in noise), twice with different seeds, and
scored by mean test accuracy: the true optimum of this search space. Then a random search and a small
evolutionary search, each allowed 10 evaluations, look for it; and a MnasNet-style latency-aware reward
acc·(MACs/T)^w is compared with accuracy alone.
"""

import itertools
import math

import torch
from torch import nn

from quiz.proofs._tools import macs, seed

R, CLASSES = 16, 5  # image side; classes: stripes at 0°, 45°, 90°, 135°, and blobs
NOISE = 1.0  # std of the Gaussian noise added to every image
SPACE = list(itertools.product((1, 2, 3), (4, 8, 16), (1, 3, 5)))  # (depth, width, kernel): 27 architectures
BUDGET, STEPS, BATCH, LR, SEEDS = 10, 12, 32, 0.05, 2  # search budget; per-candidate training; seeds
W_LAT = -0.07  # MnasNet's latency exponent: reward = acc · (MACs / target)^w


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


def _pareto(cands):
    """Indices of candidates no other candidate beats on both accuracy (higher) and MACs (lower)."""
    def beats(b, a):
        return b["acc"] >= a["acc"] and b["macs"] <= a["macs"] and (b["acc"], b["macs"]) != (a["acc"], a["macs"])

    return [i for i, a in enumerate(cands) if not any(beats(b, a) for b in cands)]


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


def _neighbours(i):
    """Architectures one step away in depth, width or kernel (the mutations of the evolutionary search)."""
    d, w, k = SPACE[i]
    options = ((1, 2, 3), (4, 8, 16), (1, 3, 5))
    out = []
    for axis, value in enumerate((d, w, k)):
        pos = options[axis].index(value)
        for step in (-1, 1):
            if 0 <= pos + step < 3:
                arch = [d, w, k]
                arch[axis] = options[axis][pos + step]
                out.append(SPACE.index(tuple(arch)))
    return out


def evolve(score, g, budget=BUDGET):
    """A tiny (1+1)-style evolution: start from 3 random architectures, then repeatedly mutate the best seen
    into an unseen neighbour. `score(i)` → accuracy; returns the evaluated indices in order."""
    seen = torch.randperm(len(SPACE), generator=g)[:3].tolist()
    while len(seen) < budget:
        best = max(seen, key=score)
        fresh = [j for j in _neighbours(best) if j not in seen]
        if not fresh:  # a local optimum: jump somewhere new
            fresh = [j for j in range(len(SPACE)) if j not in seen]
        seen.append(fresh[int(torch.randint(len(fresh), (1,), generator=g))])
    return seen


def run(p):
    g = seed()
    x_train, y_train = _data(640, g)  # (640, 1, 16, 16)
    x_test, y_test = _data(200, g)
    # the whole search space, scored over SEEDS seeds: the true optimum, and how noisy one score is
    runs = [[_score(a, x_train, y_train, x_test, y_test, s) for s in range(SEEDS)] for a in SPACE]
    acc = [sum(r) / SEEDS for r in runs]
    cost = []
    for a in SPACE:
        with torch.device("meta"):
            cost.append(macs(_build(*a), torch.empty(1, 1, R, R)))
    optimum = max(range(len(SPACE)), key=lambda i: acc[i])
    noise = max(abs(r[0] - r[1]) for r in runs)  # the same architecture, two seeds
    name = lambda i: "d{}·w{}·k{}".format(*SPACE[i])  # noqa: E731

    sampled = torch.randperm(len(SPACE), generator=g)[:BUDGET].tolist()  # random search
    found = max(sampled, key=lambda i: acc[i])
    rank = sorted(range(len(SPACE)), key=lambda i: -acc[i]).index(found) + 1
    p.claim(
        "an algorithm discovers the optimal architecture",
        f"all {len(SPACE)} CNNs trained {STEPS} Adam steps × {SEEDS} seeds (mean test accuracy on "
        f"{len(y_test)} images = the true optimum, {name(optimum)} at {acc[optimum]:.3f}); random search "
        f"over {BUDGET} of them: picks {name(found)} at {acc[found]:.3f}. One architecture's score moves by up "
        f"to {noise:.2f} between seeds.",
        f"random search: rank {rank} of {len(SPACE)}",
        holds=found == optimum,
        partly=acc[found] >= acc[optimum] - 0.05,
        note=(f"Its {BUDGET} samples of {len(SPACE)} happened to include the optimum. " if found == optimum else
              f"With a budget of {BUDGET}/{len(SPACE)} it lands {acc[optimum] - acc[found]:.3f} below the best. ")
        + "A search only finds the best of what it evaluates, and one short training run scores an architecture "
        "roughly (seed noise above): the optimum here is the mean of two runs.",
        data={"space": [list(a) for a in SPACE], "runs": runs, "accuracy": acc, "macs": cost,
              "optimum": optimum, "random_pick": found, "random_sampled": sampled, "seed_noise": noise},
    )
    evals = evolve(lambda i: acc[i], g)
    best_evo = max(evals, key=lambda i: acc[i])
    evo_rank = sorted(range(len(SPACE)), key=lambda i: -acc[i]).index(best_evo) + 1
    p.claim(
        "(RL or Evolutionary)",
        f"a toy evolution (3 random starts, then mutate the best into a neighbour: one step in depth, width or "
        f"kernel), {BUDGET} evaluations, on the same scores: finds {name(best_evo)} at {acc[best_evo]:.3f}",
        f"evolution: rank {evo_rank} of {len(SPACE)}",
        holds=best_evo == optimum,
        partly=acc[best_evo] >= acc[optimum] - 0.05,
        note="Evolution exploits the smooth structure of the space (neighbours score alike). RL controllers "
        "(NASNet, MnasNet) need thousands of trained candidates: not a CPU-seconds experiment.",
        data={"evolution": evals, "evolution_best": best_evo},
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
        note="In this toy the most accurate net is also one of the cheapest, so the soft reward "
        + ("changes the winner" if lat_best != optimum else "keeps the same winner")
        + ": the trade-off only bites when accuracy costs compute.",
        data={"reward": reward, "latency_aware_best": lat_best, "target_macs": target},
    )
    p.published(
        "EfficientNet was found via NAS",
        "Tan & Le 2019 (EfficientNet), §4: the B0 baseline comes from a MnasNet-style search optimising "
        "accuracy and FLOPs",
        "B0 by NAS; B1–B7 by scaling",
        note="Only B0 was searched; B1–B7 come from compound scaling (question 4).",
    )
    p.scatter("test accuracy vs MACs: all 27 architectures, and where each search ended",
              {"architectures": (cost, acc), "optimum": ([cost[optimum]], [acc[optimum]]),
               "random search": ([cost[found]], [acc[found]]),
               "evolution": ([cost[best_evo]], [acc[best_evo]])}, x="MACs", y="accuracy")
    p.takeaway(f"NAS = a search + a cheap, noisy proxy score (±{noise:.2f} between seeds here): random search "
               f"lands at rank {rank} and evolution at rank {evo_rank} of {len(SPACE)} with {BUDGET} evaluations")
