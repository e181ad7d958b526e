"""Every view at 80 and 160 columns: no line over the width, no question cut."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app

DAY14 = Path(__file__).parent / "data" / "day14-object-detection.md"
runner = CliRunner()


@pytest.fixture
def two_decks(home):
    env = {"QUIZ_HOME": str(home)}
    assert runner.invoke(app, ["import", str(DAY14)], env=env).exit_code == 0
    assert runner.invoke(app, ["start", "--new", "5"], input="\n3\n\n1\n\n4\n\n2\n" * 3, env=env).exit_code == 0
    return home


@pytest.mark.parametrize("width", [80, 160])
@pytest.mark.parametrize("args", [["list"], ["show", "2"], ["show", "object-detection/13"], ["stats"],
                                  ["start", "--deck", "object-detection", "--new", "1"]], ids=" ".join)
def test_views_fit_the_width(two_decks, width, args):
    result = runner.invoke(app, args, input="\n3\n", env={"QUIZ_HOME": str(two_decks), "COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "…" not in result.stdout, "something was cut"


def test_list_keeps_the_question_readable_at_80(two_decks):
    result = runner.invoke(app, ["list"], env={"QUIZ_HOME": str(two_decks), "COLUMNS": "80"})
    header = next(line for line in result.stdout.splitlines() if line.lstrip().startswith("id"))
    question, state = header.index("question"), header.index("state")
    assert state - question >= 40
    assert "Why does ResNet work?" in result.stdout  # whole, on one line


def test_list_at_160_keeps_each_cards_tags_on_one_line(two_decks):
    result = runner.invoke(app, ["list", "--deck", "modern-backbones"], env={"QUIZ_HOME": str(two_decks), "COLUMNS": "160"})
    assert "mobilenet, efficientnet, depthwise" in result.stdout  # 34 characters: wrapped at 30 before
    assert max(len(line) for line in result.stdout.splitlines()) <= 160


REAL = Path(__file__).parent / "data" / "markdown"


@pytest.mark.parametrize("width", [80, 160])
@pytest.mark.parametrize("name,ref", [("numbered-headings-prose.md", "ds/3"), ("q-headings-details.md", "cnn/1"),
                                      ("bold-questions-sections.md", "theory/4")], ids=["code", "math", "lists"])
def test_imported_text_answers_fit_the_width(home, width, name, ref):
    env = {"QUIZ_HOME": str(home), "COLUMNS": str(width)}
    assert runner.invoke(app, ["import", str(REAL / name), "--deck", ref.split("/")[0]], env=env).exit_code == 0
    result = runner.invoke(app, ["show", ref], env=env)
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= width
    assert "Answer" in result.stdout and "**" not in result.stdout
