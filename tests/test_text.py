"""quiz/text.py: code and math spans found the way Markdown reads them, in one linear pass; hostile
LaTeX stays as typed instead of raising; messages wrapped at words, with a hanging indent, commands
kept whole."""

import pytest

from quiz.text import clean, code_spans, math_spans, math_to_unicode, wrap


@pytest.mark.parametrize("text, code", [
    ("`a` b ``c`d`` e", ["`a`", "``c`d``"]),  # a run closes at the next run of the same length
    ("``a` b", []),  # no closing run: text
    ("`a\nb`", ["`a\nb`"]),  # code spans may cross a line
    ("x\n```py\n$a$ `b`\n```\ny", ["```py\n$a$ `b`\n```"]),  # a fenced block, its backticks inside it
    ("~~~\n`\n~~~~\n`x`", ["~~~\n`\n~~~~", "`x`"]),  # closed by a longer fence of the same char
    ("```\nnever closed `x`", ["```\nnever closed `x`"]),
    ("x " + "`" * 10_000, []),  # one run, nothing closes it
    ("`" * 10_000, ["`" * 10_000]),  # … but at a line's start it opens a fenced block, never closed
    ("`" * 3 + "x" + "`" * 3, ["```x```"]),
])
def test_code_spans(text, code):
    assert [text[a:b] for a, b in code_spans(text)] == code


@pytest.mark.parametrize("text, spans", [
    ("a $x$ b $$y$$ c", [("x", False), ("y", True)]),
    ("costs 5$ and 6$", []),  # space inside each end: not math
    ("`$x$` and $z$", [("z", False)]),
    ("$a\nb$", []),  # inline math does not cross a line
    ("$$ \\sum $$", [(" \\sum ", True)]),
    ("$x$$y$", [("x", False), ("y", False)]),
    ("$", []), ("$$", []), ("$$$$", []),
])
def test_math_spans(text, spans):
    assert [(latex, display) for _, _, latex, display in math_spans(text)] == spans


def test_hostile_latex_is_left_as_typed():
    braces = "$" + "{" * 9000 + "$"  # pylatexenc recursed on this until Python gave up
    assert math_to_unicode(braces) == braces
    long = "$" + "x" * 5000 + "$"
    assert math_to_unicode(long) == long
    assert math_to_unicode(r"$3 \times 3$ and `$4$` and $$\alpha$$") == "3×3 and `$4$` and α"


def test_hostile_text_through_show_list_and_apkg_is_quick_and_whole(home, tmp_path):
    from typer.testing import CliRunner

    from quiz.cli import app

    question = "x " + "`" * 10_000 + " $" + "a$" * 3_000
    answer = "$" + "{" * 9_000 + "$ " + "`$" * 2_000
    bank = tmp_path / "h.yaml"
    bank.write_text(f"deck: h\ntitle: H\nquestions:\n  - id: 1\n    question: '{question}'\n    answer: ['{answer}']\n")
    for args in (["show", "h/1"], ["list", "--deck", "h"], ["export", "-f", "apkg", "--deck", "h", "-o",
                                                             str(tmp_path / "h.apkg")]):
        result = CliRunner().invoke(app, [*args, "--bank", str(bank)], env={"QUIZ_HOME": str(home)})
        assert result.exit_code == 0, (args, result.output[-300:])
        assert "Traceback" not in result.output


def test_clean_strips_escapes_and_bidi():
    assert clean("a\x1b[31mb\u202ec\x07") == "abc"

LONG = ("Nothing due: the next card is due in 3h. New-card limit reached (modern-backbones: 10 of 10 started "
        "today): 10 new cards wait; quiz start --new N studies N more now. To study anyway: quiz start --cram "
        "or raise it: quiz config set reviews_per_day N, then copy modern-backbones.yaml to $QUIZ_HOME/banks/ "
        "(progress kept) from /usr/lib/python3/site-packages/quiz/questions/interview-questions.yaml")


@pytest.mark.parametrize("width", [40, 60, 80, 160])
def test_lines_break_at_spaces_only_with_a_hanging_indent(width):
    lines = wrap(LONG, width).split("\n")
    assert all(len(line) <= width for line in lines if " " in line.strip())  # a lone long path may overflow
    assert all(line.startswith("  ") and not line.startswith("   ") for line in lines[1:])
    assert " ".join(" ".join(lines).split()) == LONG  # nothing lost, no word split
    for word in LONG.split():
        assert any(word in line.split() for line in lines)


@pytest.mark.parametrize("width", [30, 40, 50, 60, 70, 80])
def test_a_command_is_never_split(width):
    text = wrap(LONG, width)
    for command in ("quiz start --new N", "quiz start --cram", "quiz config set reviews_per_day N,"):
        assert any(command in line for line in text.split("\n"))


@pytest.mark.parametrize("width", [30, 50, 70])
def test_a_deck_name_stays_with_its_command(width):
    text = ("Error: the bank has 1 problem: fix them with quiz edit modern-backbones (your edit is saved) "
            "or study another deck with quiz start --deck my-own-deck today")
    lines = wrap(text, width).split("\n")
    assert any("quiz edit modern-backbones" in line for line in lines)
    assert any("quiz start --deck my-own-deck" in line for line in lines)


def test_the_words_after_a_command_are_not_glued_to_it():
    assert wrap("run quiz start --cram to study everything you have ever seen in this deck", 30) == (
        "run quiz start --cram to study\n  everything you have ever\n  seen in this deck")
