"""Terminal pictures for proofs: plain strings, no Rich markup, no torch."""

from __future__ import annotations

SHADES = " ░▒▓█"


def heatmap(grid, lo: float | None = None, hi: float | None = None) -> str:
    """A 2-D list of numbers as shaded blocks (two characters per cell, so square)."""
    rows = [list(map(float, r)) for r in grid]
    flat = [v for r in rows for v in r]
    lo = min(flat) if lo is None else lo
    hi = max(flat) if hi is None else hi
    span = (hi - lo) or 1.0
    out = []
    for r in rows:
        line = ""
        for v in r:
            i = int((min(max(v, lo), hi) - lo) / span * (len(SHADES) - 1) + 0.5)
            line += SHADES[i] * 2
        out.append(line.rstrip())
    return "\n".join(out) + f"\nscale: ' '={lo:.3g} … '█'={hi:.3g}"


def lineplot(series: dict, width: int = 60, height: int = 16) -> str:
    """Several (xs, ys) series on one character grid; each series gets a marker.

    series: {"label": (xs, ys)}. Returns the plot with y range, x range and legend.
    """
    markers = "●○✕+*#"
    xs_all = [float(x) for xs, _ in series.values() for x in xs]
    ys_all = [float(y) for _, ys in series.values() for y in ys]
    x0, x1 = min(xs_all), max(xs_all)
    y0, y1 = min(ys_all), max(ys_all)
    dx, dy = (x1 - x0) or 1.0, (y1 - y0) or 1.0
    grid = [[" "] * width for _ in range(height)]
    for k, (xs, ys) in enumerate(series.values()):
        for x, y in zip(xs, ys):
            col = round((float(x) - x0) / dx * (width - 1))
            row = height - 1 - round((float(y) - y0) / dy * (height - 1))
            grid[row][col] = markers[k % len(markers)]
    lines = [f"{y1:>8.3g} ┤" + "".join(grid[0])]
    lines += ["         │" + "".join(r) for r in grid[1:-1]]
    lines += [f"{y0:>8.3g} ┤" + "".join(grid[-1])]
    lines.append("         └" + "─" * width)
    lines.append(f"          {x0:<.3g}".ljust(width + 4) + f"{x1:.3g}")
    legend = "   ".join(f"{markers[k % len(markers)]} {label}" for k, label in enumerate(series))
    lines.append("          " + legend)
    return "\n".join(lines)


def scatter(points, width: int = 40, height: int = 16) -> str:
    """2-D points (x, y) on a character grid, equal scaling of both axes."""
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    lo, hi = min(xs + ys), max(xs + ys)
    span = (hi - lo) or 1.0
    grid = [[" "] * width for _ in range(height)]
    for x, y in zip(xs, ys):
        col = round((x - lo) / span * (width - 1))
        row = height - 1 - round((y - lo) / span * (height - 1))
        grid[row][col] = "•"
    return "\n".join("".join(r).rstrip() for r in grid)
