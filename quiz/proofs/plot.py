"""Proof figures as real images (`quiz prove N --plot FILE.png|svg`), drawn by matplotlib.

The same figure data the terminal view draws (see quiz/proofs/draw.py); matplotlib is
imported only here, only when a plot is asked for.
"""

from __future__ import annotations

from pathlib import Path

from quiz.errors import QuizError, UsageError

FORMATS = (".png", ".svg")
PLOTTABLE = ("lines", "scatter", "heatmap", "bars")


def save(result, title: str, path: Path) -> int:
    """Write the proof's figures to `path` (one panel per figure); returns how many were drawn."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"--plot: {path.name}: give a .png or .svg file name")
    figures = [f for f in result.figures if f.kind in PLOTTABLE]
    if not figures:
        raise QuizError(f"proof {result.name} has no figures to plot")
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    n = len(figures)
    fig, axes = plt.subplots(1, n, figsize=(5.5 * n, 4.4), squeeze=False)
    for ax, f in zip(axes[0], figures):
        _draw(ax, f)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    try:
        fig.savefig(path, format=suffix[1:], dpi=120, metadata={"Software": None} if suffix == ".png" else
                    {"Date": None})  # no timestamps: the same proof gives the same file
    except OSError as e:
        raise QuizError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        plt.close(fig)
    return n


def _draw(ax, f) -> None:
    d = f.data
    ax.set_title(f.title, fontsize=9, wrap=True)
    if f.kind in ("lines", "scatter"):
        for label, (xs, ys) in d["series"].items():
            if f.kind == "lines":
                ax.plot(xs, ys, marker="o", markersize=3, label=label)
            else:
                ax.scatter(xs, ys, s=8, label=label, alpha=0.7)
        ax.set_xscale("log" if d.get("logx") else "linear")
        ax.set_yscale("log" if d.get("logy") else "linear")
        if d.get("equal"):
            ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel(d.get("x", ""))
        ax.set_ylabel(d.get("y", ""))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    elif f.kind == "heatmap":
        from quiz.proofs.draw import crop

        r0, r1, c0, c1 = crop(d["grid"])
        sub = [row[c0:c1 + 1] for row in d["grid"][r0:r1 + 1]]
        im = ax.imshow(sub, cmap="magma", extent=(c0 - 0.5, c1 + 0.5, r1 + 0.5, r0 - 0.5))
        ax.figure.colorbar(im, ax=ax, shrink=0.8, label=d.get("label", ""))
    elif f.kind == "bars":
        labels, values = list(d["bars"]), list(d["bars"].values())
        ax.barh(labels[::-1], values[::-1])
        ax.set_xscale("log" if d.get("log") else "linear")
        ax.set_xlabel(d.get("unit", ""))
