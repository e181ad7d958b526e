"""Every proof as a learner sees it: the compact view fits one screen at 80 columns and stays
whole at 120; --explain keeps every note; --plot writes real images of its figures."""

import io
import struct
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

from quiz import render
from quiz.proofs import available, plot

NAMES = available()


def view(proof_result, name, width, explain=False):
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    title = f"modern-backbones/{int(name[1:3])} · a question title of ordinary length, here"
    console.print(render.proof_view(title, proof_result(name), explain=explain, width=width))
    return console.file.getvalue().splitlines()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("width", [80, 120])
def test_compact_view_fits(name, width, run_once):
    proof_result = run_once
    lines = view(proof_result, name, width)
    assert len(lines) <= 30, f"{name}: {len(lines)} lines at {width} columns"
    assert max(len(line) for line in lines) <= width
    r = proof_result(name)
    text = "\n".join(lines)
    for f in r.figures[:1]:  # the first figure is shown, its title whole on its own line(s)
        assert " ".join(f.title.split()) in " ".join(text.split())
    own = "".join(c.claim + c.value for c in r.claims) + "".join(r.takeaways) + "".join(
        f.title + f.data.get("text", "") for f in r.figures)
    assert text.count("…") <= own.count("…"), f"{name}: something was cut with …"
    assert len(r.takeaways) == 1, f"{name}: one takeaway"


@pytest.mark.parametrize("name", NAMES)
def test_explain_keeps_every_note_and_figure(name, run_once):
    proof_result = run_once
    text = " ".join(" ".join(view(proof_result, name, 100, explain=True)).split())
    r = proof_result(name)
    for c in r.claims:
        if c.note:
            assert " ".join(c.note.split())[:60] in text
    for f in r.figures:
        assert " ".join(f.title.split()) in text


@pytest.mark.parametrize("name", NAMES)
def test_plot_writes_png_and_svg(name, tmp_path, run_once):
    r = run_once(name)
    drawable = [f for f in r.figures if f.kind in plot.PLOTTABLE]
    if not drawable:
        pytest.skip(f"{name} has no figures to plot (text only)")
    png, svg = tmp_path / "f.png", tmp_path / "f.svg"
    assert plot.save(r, name, png) == len(drawable)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    assert w >= 400 and h >= 300
    plot.save(r, name, svg)
    assert ET.parse(svg).getroot().tag.endswith("svg")
