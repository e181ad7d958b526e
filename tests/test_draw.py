"""Terminal figures (quiz/proofs/draw.py): sized to the width, nothing hidden, heatmaps cropped."""

import math

import pytest

from quiz.proofs import Figure
from quiz.proofs.draw import OVERLAP, crop, draw


def lines_fig(series, **kw):
    return Figure("t", "lines", {"series": {k: [list(map(float, xs)), list(map(float, ys))]
                                            for k, (xs, ys) in series.items()}, "x": "x", "y": "y", **kw})


@pytest.mark.parametrize("width", [80, 120, 160])
def test_every_kind_fits_the_width(width):
    xs = list(range(200))
    figs = [
        lines_fig({"a": (xs, [x * x for x in xs]), "b": (xs, xs)}),
        lines_fig({"a": (xs[1:], [10.0 ** -x for x in range(1, 200)])}, logy=True),
        Figure("t", "scatter", {"series": {"a": [[math.cos(t) for t in xs], [math.sin(t) for t in xs]]},
                                "equal": True}),
        Figure("t", "heatmap", {"grid": [[float(i * j) for j in range(300)] for i in range(300)]}),
        Figure("t", "bars", {"bars": {"a very long label that goes on and on": 1e9, "b": 1.0}, "unit": "MACs",
                             "log": True}),
    ]
    for f in figs:
        out = draw(f, width)
        assert out and all(len(line) <= width for line in out), (f.kind, max(map(len, out)))


def test_a_point_under_another_series_is_shown_as_overlap_not_hidden():
    # 54 points of two series on the same cells: before, the later series overwrote the earlier one
    xs = list(range(54))
    out = "\n".join(draw(lines_fig({"rule": (xs, xs), "measured": (xs, xs)}), 80))
    assert "●" not in out.split("└")[0] and "○" not in out.split("└")[0]  # no cell shows one series alone
    assert OVERLAP in out and "several series" in out
    apart = "\n".join(draw(lines_fig({"rule": (xs, xs), "measured": (xs, [-x for x in xs])}), 80))
    assert "●" in apart and "○" in apart


def test_heatmap_is_cropped_to_where_the_mass_is():
    grid = [[0.0] * 100 for _ in range(100)]
    for i in range(45, 56):
        for j in range(40, 61):
            grid[i][j] = 1.0
    assert crop(grid) == (45, 55, 40, 60)
    out = draw(Figure("t", "heatmap", {"grid": grid}), 80)
    body = out[:-2]
    assert len(body) == 11 and all(len(line) == 42 for line in body)  # 11 rows × 21 cells, two characters each
    assert out[-2].startswith("rows 45–55, cols 40–60 of 100×100")
