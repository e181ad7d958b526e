"""Q19 — Why are odd kernel sizes (3, 5, 7) preferred over even ones (2, 4)?

For k = 1…7: the centre index, the 'same' padding nn.Conv2d(padding="same") chooses (total k − 1,
split left/right) and the output size, checked against an explicit F.pad + unpadded conv. Then an
impulse goes through L = 1…6 stacked k×k averaging convs with 'same' padding: the centroid of the
response is measured after each layer for k = 2, 3, 4, 5. Last, aliasing: a cosine just below the
Nyquist frequency goes through a stride-2 k-tap box filter; the amplitude that folds back to a false
low frequency is read from the output's spectrum, for k = 2…5.
"""

import warnings

import torch
import torch.nn.functional as F
from torch import nn

from quiz.proofs._tools import seed

KS = list(range(1, 8))  # kernel sizes tried
SIDE = 9  # input side for the padding check
IMPULSE_SIDE, LAYERS = 33, 6  # impulse-response grid and stack depth
NYQ_F, SAMPLES = 0.45, 400  # aliasing probe: cycles per sample (Nyquist = 0.5), signal length


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
    p.by_definition(
        "Odd kernels have a central pixel",
        "arithmetic: k taps around tap k//2 leave (k−1)/2 on each side only when k is odd; "
        + "; ".join(f"k={k}: {sides[k][0]}|{sides[k][1]}" for k in KS),
        f"a true centre for k = {', '.join(map(str, has_centre))}",
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
        "Symmetric padding is easier",
        measured=f"nn.Conv2d(k, padding='same') on {SIDE}×{SIDE}: its (left, right) padding, output size, "
        "and equality with F.pad(left, right) + conv without padding: "
        + "; ".join(f"k={k}: {split[k][0]}+{split[k][1]}" for k in KS),
        value="odd k: (k−1)/2 each side; even: +1 right",
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
        "Even kernels cause phase shifts",
        measured=f"centroid of an impulse after 1…{LAYERS} stacked k×k box filters, 'same' padding, "
        "offset (row, col) px: " + "; ".join(
            f"k={k}: {_off(drift[k][0][0])}/layer → {_off(drift[k][-1][0])} after {LAYERS}" for k in drift),
        value=f"k=2: {_off(drift[2][-1][0])} px after {LAYERS} layers; k=3: 0",
        holds=even_ok and odd_ok and all(per_layer[k] != 0 for k in (2, 4)),
        note=(
            "Same shift on rows and columns (toward the top-left, because the extra padding is at the "
            "right/bottom); odd kernels keep the centroid exactly on the input pixel."
        ),
        data={"drift": {str(k): drift[k] for k in drift}, "per_layer": {str(k): per_layer[k] for k in per_layer}},
    )
    p.lines("centroid offset (px) of an impulse after L stacked k×k box filters, 'same' padding",
            {f"k={k}": (list(range(1, LAYERS + 1)), [v[0] for v in drift[k]]) for k in drift}, x="layers",
            y="offset (px)")

    alias = {k: aliased_amplitude(k) for k in (2, 3, 4, 5)}
    even_worse = min(alias[2], alias[4]) > max(alias[3], alias[5])
    p.claim(
        "…and aliasing",
        f"a cosine at {NYQ_F} cycles/sample (Nyquist 0.5) through a stride-2 k-tap box filter: amplitude of the "
        "false low frequency it folds to, from the output's FFT: "
        + ", ".join(f"k={k} {v:.3f}" for k, v in alias.items()),
        "aliased " + ", ".join(f"k={k} {v:.2f}" for k, v in alias.items()),
        holds=even_worse,
        note="Aliasing follows the filter's length and shape (its frequency response near Nyquist), not its "
        f"parity: the 3-tap box lets through the most ({alias[3]:.2f}), the 4-tap about as little as the 5-tap. "
        "Subsampling aliases; an even kernel only shifts.",
        data={"aliased": {str(k): v for k, v in alias.items()}, "frequency": NYQ_F},
    )
    p.bars(f"aliased amplitude: cosine at {NYQ_F} cycles/sample, stride-2 k-tap box filter",
           {f"k = {k}": v for k, v in alias.items()})
    p.takeaway(f"odd kernels: a centre tap and (k−1)/2 padding each side; even ones drift "
               f"{_off(per_layer[2])} px per layer; aliasing comes from stride, not parity (k=3 "
               f"{alias[3]:.2f} vs k=2 {alias[2]:.2f})")


def aliased_amplitude(k, f=NYQ_F, n=SAMPLES):
    """Amplitude of the folded (false) frequency after filtering cos(2πf·i) with a k-tap box filter and
    keeping every second sample. Measured from the output's spectrum, not from the filter's formula."""
    i = torch.arange(n, dtype=torch.float64)
    x = torch.cos(2 * torch.pi * f * i)[None, None]  # (1, 1, n)
    y = F.conv1d(x, torch.full((1, 1, k), 1.0 / k, dtype=torch.float64), stride=2)[0, 0]  # (~n/2,)
    m = (y.numel() // 20) * 20  # a whole number of periods of the folded frequency (0.1 cycles/sample)
    spectrum = torch.fft.rfft(y[:m]).abs() * 2 / m
    folded = round(abs(1 - 2 * f) * m)  # 2f cycles per output sample, folded below 0.5 → 1 − 2f
    return spectrum[folded].item()
