"""Proof figures drawn as terminal text, sized to the width they get. No torch, no Rich.

A figure is data (see `quiz.proofs.Proof.lines` and friends); `draw(figure, width)` returns
plain lines, none longer than `width`. Where two series land on the same character cell the
cell shows OVERLAP, so no point is hidden by another series drawn later.
"""

from __future__ import annotations

import math

MARKERS = "●○✕+"
OVERLAP = "◆"
SHADES = " ░▒▓█"
YAXIS = 9  # columns left of the plot area: 8 for the tick label, 1 for the axis


def num(v: float) -> str:
    """A tick or value label, at most 8 characters: 0.5, 12.3, 16.4k, 1.18M, 4.1e-08."""
    if v == 0:
        return "0"
    a = abs(v)
    if 1e-3 <= a < 1e3:
        return f"{v:.3g}"
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if size <= a < 1000 * size:
            return f"{v / size:.3g}{unit}"
    return f"{v:.1e}"


def _scale(lo, hi, log):
    """A function mapping a value to 0…1 on [lo, hi] (log10 if log)."""
    if log:
        lo, hi = math.log10(lo), math.log10(hi)
    span = (hi - lo) or 1.0
    if log:
        return lambda v: (math.log10(v) - lo) / span
    return lambda v: (v - lo) / span


def _finite(series, logx, logy):
    """(xs, ys) pairs with the points that cannot be drawn left out (NaN, ∞, ≤ 0 on a log axis)."""
    out = {}
    for label, (xs, ys) in series.items():
        keep = [(x, y) for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)
                and (x > 0 or not logx) and (y > 0 or not logy)]
        out[label] = keep
    return out


def _wrap_items(items: list[str], width: int, indent: str) -> list[str]:
    lines, line = [], indent
    for item in items:
        if len(line) > len(indent) and len(line) + 3 + len(item) > width:
            lines.append(line.rstrip())
            line = indent
        line += ("   " if len(line) > len(indent) else "") + item
    lines.append(line.rstrip())
    return lines


def plot(data: dict, width: int, height: int = 8, connect: bool = True) -> list[str]:
    """Series of points on a character grid: a marker per series, OVERLAP where series meet;
    with `connect`, dots between a line's consecutive points (where no marker is)."""
    logx, logy = data.get("logx", False), data.get("logy", False)
    pts = _finite(data["series"], logx, logy)
    xs = [x for p in pts.values() for x, _ in p]
    ys = [y for p in pts.values() for _, y in p]
    if not xs:
        return ["(nothing to draw)"]
    cols = max(10, width - YAXIS - 1)
    rows = max(3, height)
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    if data.get("equal"):  # one unit is one row or two columns (a character is about twice as tall as wide)
        span = max(x1 - x0, y1 - y0) or 1.0
        rows = max(3, min(rows, cols // 2))
        cols = 2 * rows
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        x0, x1, y0, y1 = cx - span / 2, cx + span / 2, cy - span / 2, cy + span / 2
    fx, fy = _scale(x0, x1, logx), _scale(y0, y1, logy)

    def cell(x, y):
        return rows - 1 - round(fy(y) * (rows - 1)), round(fx(x) * (cols - 1))

    hits: dict[tuple[int, int], set[int]] = {}
    dots: set[tuple[int, int]] = set()
    for k, p in enumerate(pts.values()):
        cells = [cell(x, y) for x, y in sorted(p) if connect] or [cell(x, y) for x, y in p]
        for rc in cells:
            hits.setdefault(rc, set()).add(k)
        if connect:
            for (r0, c0), (r1, c1) in zip(cells, cells[1:]):
                steps = max(abs(r1 - r0), abs(c1 - c0))
                for i in range(1, steps):
                    dots.add((round(r0 + (r1 - r0) * i / steps), round(c0 + (c1 - c0) * i / steps)))
    grid = [[" "] * cols for _ in range(rows)]
    for r, c in dots:
        grid[r][c] = "·"
    for (r, c), ks in hits.items():
        grid[r][c] = MARKERS[next(iter(ks)) % len(MARKERS)] if len(ks) == 1 else OVERLAP
    ylabel = {0: num(y1), rows - 1: num(y0), (rows - 1) // 2: num(10 ** ((math.log10(y0) + math.log10(y1)) / 2)
                                                                   if logy else (y0 + y1) / 2)}
    out = []
    for r in range(rows):
        tick = r in ylabel
        out.append(f"{ylabel.get(r, ''):>8}" + ("┤" if tick else "│") + "".join(grid[r]).rstrip())
    out.append(" " * 8 + "└" + "─" * cols)
    left, right = num(x0), num(x1)
    xl = data.get("x", "")
    mid = (f"{xl} (log)" if logx and xl else xl)
    axis = " " * 9 + left
    room = 9 + cols - len(right) - len(axis)
    if mid and room >= len(mid) + 2:
        axis += mid.center(room)
    else:
        axis += " " * max(1, room)
    out.append((axis + right)[:width])
    legend = [f"{MARKERS[k % len(MARKERS)]} {label}" for k, label in enumerate(pts)]
    if any(len(ks) > 1 for ks in hits.values()):
        legend.append(f"{OVERLAP} several series")
    if data.get("y"):
        legend.insert(0, f"y: {data['y']}" + (" (log)" if logy else ""))
    out += _wrap_items(legend, width, " " * 9)
    return [line[:width] for line in out]


def crop(grid: list[list[float]], share: float = 0.01):
    """The bounding box (r0, r1, c0, c1), inclusive, of the cells ≥ share × the largest cell."""
    top = max((v for row in grid for v in row), default=0.0)
    cells = [(r, c) for r, row in enumerate(grid) for c, v in enumerate(row) if v >= share * top and v > 0]
    if not cells:
        return 0, len(grid) - 1, 0, len(grid[0]) - 1
    rs, cs = [r for r, _ in cells], [c for _, c in cells]
    return min(rs), max(rs), min(cs), max(cs)


def heatmap(data: dict, width: int, height: int = 12) -> list[str]:
    """Shaded blocks, two characters per cell (square), cropped to the cells that carry
    the mass (≥ 1% of the largest) and averaged into blocks so it fits width × height."""
    grid = data["grid"]
    r0, r1, c0, c1 = crop(grid)
    sub = [row[c0:c1 + 1] for row in grid[r0:r1 + 1]]
    nr, nc = len(sub), len(sub[0])
    block = max(1, math.ceil(nc / max(1, (width - 2) // 2)), math.ceil(nr / max(1, height)))
    pooled = []
    for r in range(0, nr, block):
        row = []
        for c in range(0, nc, block):
            vals = [sub[i][j] for i in range(r, min(r + block, nr)) for j in range(c, min(c + block, nc))]
            row.append(sum(vals) / len(vals))
        pooled.append(row)
    hi = max(v for row in pooled for v in row) or 1.0
    out = []
    for row in pooled:
        line = "".join(SHADES[min(len(SHADES) - 1, int(v / hi * (len(SHADES) - 1) + 0.5))] * 2 for v in row)
        out.append(line.rstrip() or "·")
    total_r, total_c = len(grid), len(grid[0])
    where = (f"rows {r0}–{r1}, cols {c0}–{c1} of {total_r}×{total_c}" if (nr, nc) != (total_r, total_c)
             else f"all {total_r}×{total_c}")
    caption = [f"{where} (cells < 1% of the largest left out)",
               f"{'each cell' if block == 1 else f'each cell = mean of {block}×{block}'}: "
               f"' ' 0 to '█' {num(hi)}" + (f" {data['label']}" if data.get("label") else "")]
    return out + _wrap_items(caption, width, "")


def bars(data: dict, width: int) -> list[str]:
    """Horizontal bars, one row per label, the value printed after each bar."""
    items = list(data["bars"].items())
    unit, log = data.get("unit", ""), data.get("log", False)
    name_w = min(max(len(k) for k, _ in items), max(8, width // 3))
    texts = [num(v) + (f" {unit}" if unit else "") for _, v in items]
    room = max(5, width - name_w - 2 - max(len(t) for t in texts) - 1)
    vals = [v for _, v in items]
    top = max(vals) if vals else 1.0
    if log:
        low = min(v for v in vals if v > 0) / 10 if any(v > 0 for v in vals) else 1.0
        frac = [(math.log10(v) - math.log10(low)) / ((math.log10(top) - math.log10(low)) or 1.0) if v > 0 else 0.0
                for v in vals]
    else:
        frac = [v / top if top > 0 else 0.0 for v in vals]
    out = []
    for (name, _), f, t in zip(items, frac, texts):
        name = name if len(name) <= name_w else name[:name_w - 1] + "…"
        bar = "█" * max(0, round(f * room)) or "▏"
        out.append(f"{name:<{name_w}} {bar} {t}"[:width])
    if log:
        out.append(" " * (name_w + 1) + "(log scale)")
    return out


def draw(figure, width: int, tall: bool = False) -> list[str]:
    """A figure as plain lines, each at most `width` characters; `tall` draws plots higher."""
    data, kind = figure.data, figure.kind
    if kind in ("lines", "scatter"):
        return plot(data, width, height=14 if tall else 8, connect=kind == "lines")
    if kind == "heatmap":
        return heatmap(data, width, height=20 if tall else 12)
    if kind == "bars":
        return bars(data, width)
    return [line.rstrip() for line in data["text"].splitlines()]
