"""Q19 — Why are odd kernel sizes (3, 5, 7) preferred over even ones (2, 4)?

For k = 1…7: the centre index, the 'same' padding nn.Conv2d(padding="same") chooses (total k − 1,
split left/right) and the output size, checked against an explicit F.pad + unpadded conv. Then an
impulse goes through L = 1…6 stacked k×k averaging convs with 'same' padding: the centroid of the
response is measured after each layer for k = 2, 3, 4, 5.
"""

import warnings

import torch
import torch.nn.functional as F
from torch import nn

from quiz.proofs import draw
from quiz.proofs._tools import seed

KS = list(range(1, 8))  # kernel sizes tried
SIDE = 9  # input side for the padding check
IMPULSE_SIDE, LAYERS = 33, 6  # impulse-response grid and stack depth


def _centroid(y):
    """(row, col) centre of mass of a (H, W) map."""
    rows = torch.arange(y.shape[0], dtype=y.dtype)
    cols = torch.arange(y.shape[1], dtype=y.dtype)
    m = y.sum()
    return [((y.sum(1) * rows).sum() / m).item(), ((y.sum(0) * cols).sum() / m).item()]


def _off(v):
    """Offset for display: float noise around 0 shown as 0 (no '-0.00')."""
    return f"{v if abs(v) > 1e-12 else 0.0:+.2f}"


def run(p):
    seed()
    x = torch.randn(1, 1, SIDE, SIDE)  # (N, C, H, W) = (1, 1, 9, 9)

    centre = {k: k // 2 for k in KS}
    sides = {k: (centre[k], k - 1 - centre[k]) for k in KS}  # taps left / right of the centre tap
    has_centre = [k for k in KS if sides[k][0] == sides[k][1]]
    p.claim(
        "Odd kernels have a central pixel",
        measured="centre index k//2 and the number of taps on each side of it, k = 1…7",
        value="; ".join(f"k={k}: {sides[k][0]}|{sides[k][1]}" for k in KS),
        holds=has_centre == [k for k in KS if k % 2 == 1],
        note=f"Equal taps on both sides (a true centre) for k ∈ {has_centre}; even kernels are one tap lopsided.",
        data={"centre": [centre[k] for k in KS], "sides": [list(sides[k]) for k in KS], "has_centre": has_centre},
    )

    # 'same' padding as nn.Conv2d computes it; its order is (left, right, top, bottom) as in F.pad.
    split, out_sides, matches, mirrored = {}, {}, {}, {}
    for k in KS:
        conv = nn.Conv2d(1, 1, k, padding="same", bias=False)
        with warnings.catch_warnings():  # torch warns (once) that even k needs a padded copy of the input
            warnings.simplefilter("ignore")
            y = conv(x)
        left, right, top, bottom = conv._reversed_padding_repeated_twice
        split[k] = [left, right]
        out_sides[k] = list(y.shape[-2:])
        with torch.no_grad():
            manual = F.conv2d(F.pad(x, (left, right, top, bottom)), conv.weight)  # explicit pad, no padding
            swapped = F.conv2d(F.pad(x, (right, left, bottom, top)), conv.weight)  # extra pad on the other side
            matches[k] = torch.equal(y, manual)
            mirrored[k] = torch.equal(y, swapped)
    symmetric = [k for k in KS if split[k][0] == split[k][1]]
    p.claim(
        "Symmetric padding is easier: odd k pads (k−1)/2 on both sides, even k must pad unevenly",
        measured=f"nn.Conv2d(k, padding='same') on {SIDE}×{SIDE}: its (left, right) padding, output size, "
        "and equality with F.pad(left, right) + conv without padding",
        value="; ".join(f"k={k}: {split[k][0]}+{split[k][1]}" for k in KS)
        + f"; output {sorted({tuple(s) for s in out_sides.values()})}",
        holds=(
            symmetric == [k for k in KS if k % 2 == 1]
            and all(sum(split[k]) == k - 1 for k in KS)
            and all(s == [SIDE, SIDE] for s in out_sides.values())
            and all(matches.values())
            and not any(mirrored[k] for k in KS if k % 2 == 0)
        ),
        note=(
            "Total 'same' padding is k − 1 (stride 1). For even k torch puts the extra row/column at the "
            "right/bottom: the output equals the explicit F.pad with that split, not with the mirrored one."
        ),
        data={"split": {str(k): split[k] for k in KS}, "out_sides": {str(k): out_sides[k] for k in KS},
              "matches_explicit_pad": {str(k): matches[k] for k in KS},
              "matches_mirrored_pad": {str(k): mirrored[k] for k in KS}},
    )

    # Phase shift: an impulse through L stacked k×k box filters (mean of k×k), 'same' padding, zero bias.
    c = IMPULSE_SIDE // 2
    imp = torch.zeros(1, 1, IMPULSE_SIDE, IMPULSE_SIDE, dtype=torch.float64)
    imp[0, 0, c, c] = 1.0  # (1, 1, 33, 33), one pixel at (16, 16)
    drift, responses = {}, {}
    for k in (2, 3, 4, 5):
        box = torch.full((1, 1, k, k), 1.0 / (k * k), dtype=torch.float64)
        y, path = imp, []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(LAYERS):
                y = F.conv2d(y, box, padding="same")
                r, col = _centroid(y[0, 0])
                path.append([r - c, col - c])  # centroid offset from the impulse, px
        drift[k] = path
        responses[k] = y[0, 0]
    per_layer = {k: drift[k][0][0] for k in drift}
    even_ok = all(abs(drift[k][i][j] - (i + 1) * per_layer[k]) < 1e-9 for k in (2, 4) for i in range(LAYERS)
                  for j in (0, 1))
    odd_ok = all(abs(v) < 1e-9 for k in (3, 5) for row in drift[k] for v in row)
    p.claim(
        "Even kernels cause phase shifts (the output moves half a pixel per layer, and it accumulates)",
        measured=f"centroid of an impulse after 1…{LAYERS} stacked k×k box filters, 'same' padding, "
        "offset (row, col) px",
        value="; ".join(f"k={k}: {_off(drift[k][0][0])}/layer → {_off(drift[k][-1][0])} after {LAYERS}"
                        for k in drift),
        holds=even_ok and odd_ok and all(per_layer[k] != 0 for k in (2, 4)),
        note=(
            "Same shift on rows and columns (toward the top-left, because the extra padding is at the "
            "right/bottom); odd kernels keep the centroid exactly on the input pixel."
        ),
        data={"drift": {str(k): drift[k] for k in drift}, "per_layer": {str(k): per_layer[k] for k in per_layer}},
    )
    win = slice(c - 7, c + 8)  # 15×15 around the impulse, which sits at the window's centre (7, 7)
    for k in (2, 3):
        p.figure(
            f"impulse (at the centre of this 15×15 window) after {LAYERS} layers of {k}×{k} box filters, "
            f"'same' padding: centroid offset {_off(drift[k][-1][0])}, {_off(drift[k][-1][1])} px",
            draw.heatmap(responses[k][win, win].tolist()),
        )

    p.not_shown(
        "Even kernels cause … aliasing",
        "Aliasing comes from subsampling (stride or pooling below the Nyquist rate), whichever the kernel parity; "
        "parity alone gives the half-pixel misalignment measured above. Separating the two needs a strided, "
        "anti-aliasing experiment (e.g. shift-equivariance of a trained network), which this proof does not run.",
    )
