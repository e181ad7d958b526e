from rich.console import Console

from quiz import render
from quiz.bank import load_banks, parse_bank


def text_of(renderable, width=100):
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_math_becomes_unicode():
    m = render.math_to_unicode
    assert m(r"Two $3 \times 3$ convs.") == "Two 3×3 convs."
    assert m(r"$1 \times 1$ (reduce) $\to 3 \times 3 \to 1 \times 1$ (expand).") == "1×1 (reduce) → 3×3 → 1×1 (expand)."
    assert m(r"$x \cdot \sigma(x)$.") == "x·σ(x)."
    assert m(r"coefficient $\phi$.") == "coefficient φ."
    assert m(r"is $16\times$ cheaper") == "is 16× cheaper"
    assert m(r"$\alpha \cdot \beta^2 \cdot \gamma^2 \approx 2$") == "α·β²·γ² ≈ 2"


def test_only_math_spans_are_converted():
    m = render.math_to_unicode
    # code spans, '%' and '--' outside math stay as written
    assert m(r"`resnet50(weights=...)` -- 50% of $x$") == r"`resnet50(weights=...)` -- 50% of x"
    assert m("`$x$` stays") == "`$x$` stays"
    assert m("costs 5$ and 6$") == "costs 5$ and 6$"


def test_every_builtin_answer_renders_without_leftover_latex():
    for q in load_banks()[0].questions:
        out = text_of(render.answer_panel(q)) + text_of(render.question_panel(q))
        assert "\\times" not in out and "$" not in out, q.id


def test_bank_text_is_never_rich_markup():
    bank = parse_bank(
        "deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: '[bold red]hi[/] [link=http://x]y[/link]'\n"
        "    answer: [\"\\e[31mred\\e[0m and \\x07bell\"]\n",
        "t.yaml",
    )
    q = bank.questions[0]
    out = text_of(render.question_panel(q)) + text_of(render.answer_panel(q))
    assert "[bold red]hi[/]" in out and "[link=http://x]y[/link]" in out
    assert "\x1b" not in out and "\x07" not in out
    assert "red and bell" in out
    assert render.clean("a\x1b]8;;http://x\x07b\x1b[0mc\x00d") == "abcd"


def test_the_console_drops_whole_escape_sequences_from_text_that_skipped_cleaning():
    import io

    from rich.text import Text

    out = io.StringIO()
    render.SafeConsole(file=out, width=40, highlight=False).print(Text("\x1b[31mred\x1b[0m \u202eok"))
    assert out.getvalue() == "red ok\n"  # not "[31mred[0m": the sequence goes, not only its ESC


def test_question_panel_shows_progress_deck_and_tags():
    q = load_banks()[0].get(7)
    out = text_of(render.question_panel(q, "3/12"))
    assert "3/12" in out and "modern-backbones #7" in out and "bottleneck · efficiency" in out
    assert "Why use 1×1 convolutions in bottlenecks?" in out


TRICKY = ["plain words (and parens), 'quotes' \"too\": 50% / 3.5", "a *star*", "an _under_score", "`code`",
          "[link](x)", "<b>html</b>", "a &amp; b", "# heading", "- item", "1. item", "> quote", "a | b",
          "two  spaces", "line\nbreak", "back\\slash", "~strike~", "bang!", "=== rule", "A. first"]


def test_plain_text_is_drawn_as_markdown_would_draw_it():
    """markdown() skips rich.markdown for text Markdown would not change (the first card's wait):
    on screen it must be the same, for every built-in bullet and question and the tricky cases."""
    from rich.markdown import Markdown
    from rich.panel import Panel

    def lines(renderable, width):
        return [line.rstrip() for line in text_of(Panel(renderable), width).splitlines()]

    texts = [t for b in load_banks() for q in b.questions for t in (q.question, *q.answer)] + TRICKY
    plain = 0
    for text in texts:
        drawn = render.markdown(text)
        plain += not isinstance(drawn, Markdown)
        for width in (40, 80, 160):
            assert lines(drawn, width) == lines(Markdown(render.math_to_unicode(text), hyperlinks=False), width), (text, width)
    assert plain >= 60  # most questions take the fast path


def test_emoji_codes_in_bank_text_stay_as_typed():
    from io import StringIO

    console = render.console()
    console.file = StringIO()
    console.print(":fire: :warning:", markup=False)
    assert console.file.getvalue().strip() == ":fire: :warning:"


def test_a_text_answer_is_drawn_as_written_and_bullets_as_bullets():
    bank = parse_bank("deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n    answer: |\n      Steps:\n\n"
                      "      3. third\n      4. fourth\n         - nested\n\n      ```\n      x = 1\n      ```\n"
                      "  - id: 2\n    question: R?\n    answer: [one, two]\n", "t.yaml")
    text, bullets = (text_of(render.answer_panel(q), width=60) for q in bank.questions)
    lines = [line.strip(" │") for line in text.splitlines()]
    assert "Steps:" in lines and "3 third" in lines and "4 fourth" in lines and "• nested" in lines
    assert "x = 1" in lines and not any("•" in line for line in lines[:lines.index("• nested")])  # no bullet round it
    assert [line.strip(" │") for line in bullets.splitlines() if "•" in line] == ["• one", "• two"]


class Counted:
    """A renderable that counts how often it is laid out."""

    def __init__(self, lines: int):
        self.lines, self.laid_out = lines, 0

    def __rich_console__(self, console, options):
        self.laid_out += 1
        yield render.Text("\n".join(f"line {i}" for i in range(self.lines)))


def test_page_lays_out_once_and_prints_what_it_measured(tmp_path, monkeypatch):
    import io

    for lines, height, paged in ((5, 20, False), (50, 20, True)):
        out, pager = io.StringIO(), []
        console = render.SafeConsole(file=out, force_terminal=True, width=40, height=height)
        monkeypatch.setattr(console, "pager", lambda **kw: pager.append(kw) or __import__("contextlib").nullcontext())
        view = Counted(lines)
        render.page(console, view, render.Text("foot"))
        assert view.laid_out == 1 and bool(pager) == paged
        assert out.getvalue().splitlines() == [f"line {i}" for i in range(lines)] + ["foot"]
