"""Q12 — What is Neural Architecture Search (NAS)?

A tiny random search over small CNNs (depth × width × kernel size = 27 architectures):
10 sampled candidates, each trained for a few Adam steps on a seeded synthetic 16×16 task
(stripes at 4 orientations vs blobs, in noise), scored by test accuracy and multiply-adds;
reports the accuracy-vs-compute Pareto front.
"""

import itertools
import math

import torch
from torch import nn

from quiz.proofs._tools import macs, params, seed
from quiz.proofs.draw import lineplot

R, CLASSES = 16, 5  # image side; classes: stripes at 0°, 45°, 90°, 135°, and blobs
NOISE = 1.0  # std of the Gaussian noise added to every image
SPACE = list(itertools.product((1, 2, 3), (4, 8, 16), (1, 3, 5)))  # (depth, width, kernel): 27 architectures
SAMPLES, STEPS, BATCH, LR = 10, 20, 32, 0.02  # search budget and per-candidate training


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


def run(p):
    g = seed()
    x_train, y_train = _data(640, g)  # (640, 1, 16, 16)
    x_test, y_test = _data(500, g)
    picks = torch.randperm(len(SPACE), generator=g)[:SAMPLES].tolist()  # the random search
    cands = []
    for n, i in enumerate(picks):
        depth, width, kernel = SPACE[i]
        torch.manual_seed(n)  # each candidate's init and batches from its own seed
        model = _build(depth, width, kernel)
        opt = torch.optim.Adam(model.parameters(), lr=LR)
        for _ in range(STEPS):
            idx = torch.randint(0, len(x_train), (BATCH,))
            loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            acc = (model(x_test).argmax(1) == y_test).float().mean().item()
        cands.append({"depth": depth, "width": width, "kernel": kernel, "acc": acc,
                      "macs": macs(model, x_test[:1]), "params": params(model)})

    front = sorted(_pareto(cands), key=lambda i: cands[i]["macs"])
    accs = sorted(c["acc"] for c in cands)
    best, median = accs[-1], accs[len(accs) // 2]
    chance = 1 / CLASSES
    top = max(range(len(cands)), key=lambda i: cands[i]["acc"])
    cheap, rich = cands[front[0]], cands[front[-1]]

    p.claim(
        "Using an algorithm to discover the optimal architecture",
        measured=f"random search: {SAMPLES} of {len(SPACE)} CNNs (depth × width × kernel), each trained "
        f"{STEPS} Adam steps; test accuracy on {len(y_test)} images ({CLASSES} classes)",
        value=f"best {best:.3f} (depth {cands[top]['depth']}, width {cands[top]['width']}, "
        f"k {cands[top]['kernel']}); median {median:.3f}; chance {chance:.2f}",
        holds=best > median + 0.1 and best > 2 * chance,
        note=(
            "Architecture matters and the search picks out a good one — among the candidates it sampled: "
            "random search guarantees no optimum, and accuracy after a few steps is only a proxy (as in "
            "real NAS, which ranks candidates on short training)."
        ),
        data={"candidates": cands, "best": best, "median": median, "chance": chance},
    )
    p.claim(
        "Optimizes for Accuracy vs FLOPs/Latency",
        measured="Pareto front of the candidates: none is both more accurate and cheaper (multiply-adds, "
        "FlopCounterMode / 2 = the 'FLOPs' papers quote)",
        value=f"{len(front)} architectures on the front, from {cheap['macs']:,} MACs at {cheap['acc']:.3f} "
        f"to {rich['macs']:,} MACs at {rich['acc']:.3f}",
        holds=len(front) > 1 and rich["acc"] > cheap["acc"] and rich["macs"] > cheap["macs"],
        note="A trade-off, not one optimum: more accuracy costs more compute along the front. Latency is "
        "not measured (wall-clock on a shared CPU is too noisy); FLOPs stand in for it.",
        data={"front": front},
    )
    p.not_shown(
        "(RL or Evolutionary) search algorithms",
        "This search is random sampling. RL controllers (NASNet, MnasNet) and evolution (AmoebaNet) train "
        "thousands of candidate networks; not feasible in seconds on a CPU.",
    )
    p.not_shown(
        "EfficientNet was found via NAS",
        "Historical. Precisely: only the EfficientNet-B0 baseline came from a MnasNet-style search "
        "(accuracy and FLOPs); B1–B7 were obtained from it by compound scaling (Q4).",
    )

    table = [f"{'depth':>5} {'width':>5} {'k':>2} {'MACs':>8} {'params':>7} {'acc':>6}  front"]
    for i, c in sorted(enumerate(cands), key=lambda t: t[1]["macs"]):
        table.append(f"{c['depth']:>5} {c['width']:>5} {c['kernel']:>2} {c['macs']:>8,} {c['params']:>7,} "
                     f"{c['acc']:>6.3f}  {'◆' if i in front else ''}")
    p.figure("Random search: the sampled candidates (◆ = on the accuracy-vs-MACs Pareto front)", "\n".join(table))
    p.figure(
        "Test accuracy vs log10(MACs)",
        lineplot({"candidates": ([math.log10(c["macs"]) for c in cands], [c["acc"] for c in cands]),
                  "Pareto front": ([math.log10(cands[i]["macs"]) for i in front], [cands[i]["acc"] for i in front])},
                 height=12),
    )
