"""Messages wrapped at words, with a hanging indent, commands kept whole (quiz/text.py)."""

import pytest

from quiz.text import wrap

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


def test_the_words_after_a_command_are_not_glued_to_it():
    assert wrap("run quiz start --cram to study everything you have ever seen in this deck", 30) == (
        "run quiz start --cram to study\n  everything you have ever\n  seen in this deck")
