import json
import tomllib

import pytest
from typer.testing import CliRunner

from quiz import config
from quiz.cli import app
from quiz.store import Store

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input)


def test_list_shows_every_setting_with_its_default(home):
    result = run("config", "list")
    assert result.exit_code == 0, result.output
    for key, setting in config.SETTINGS.items():
        line = next(line for line in result.stdout.splitlines() if line.startswith(key))
        default = "none" if setting.default == {} else str(setting.default)
        assert line.split()[:2] == [key, default] and "(default" not in line
        assert setting.help in " ".join(result.stdout.split())
    assert json.loads(run("config", "list", "--json").stdout) == {k: s.default for k, s in config.SETTINGS.items()}
    run("config", "set", "retention", "0.8")
    line = next(line for line in run("config", "list").stdout.splitlines() if line.startswith("retention"))
    assert line.split()[:4] == ["retention", "0.8", "(default", "0.9)"]  # a changed value shows the default
    assert f"file: {home / 'config.toml'}" in " ".join(result.stdout.split())


def test_set_then_get_and_the_file(home):
    assert run("config", "get", "retention").stdout == "0.9\n"
    result = run("config", "set", "retention", "0.85")
    assert result.exit_code == 0 and result.stdout == "retention = 0.85\n"
    assert run("config", "get", "retention").stdout == "0.85\n"
    (home / "banks").mkdir(parents=True)
    (home / "banks" / "day14.yaml").write_text("deck: day14\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n"
                                               "    answer: [A]\n")
    assert run("config", "set", "default_deck", "day14").exit_code == 0
    # only what differs from the defaults is written
    assert tomllib.loads((home / "config.toml").read_text()) == {"retention": 0.85, "default_deck": "day14"}
    assert json.loads(run("config", "list", "--json").stdout)["new_per_day"] == 10


@pytest.mark.parametrize("args,message", [
    (["get", "colour"], "Error: unknown setting 'colour' (known: new_per_day, reviews_per_day, retention, default_deck, new_per_day_by_deck, reviews_per_day_by_deck)\n"),
    (["set", "colour", "red"], "Error: unknown setting 'colour' (known: new_per_day, reviews_per_day, retention, default_deck, new_per_day_by_deck, reviews_per_day_by_deck)\n"),
    (["set", "retention", "1.5"], "Error: retention: expected a number between 0.7 and 0.99, e.g. 0.9\n"),
    (["set", "retention", "high"], "Error: retention: expected a number between 0.7 and 0.99, e.g. 0.9\n"),
    (["set", "new_per_day", "-3"], "Error: new_per_day: expected a whole number from 0 to 10000\n"),
    (["set", "reviews_per_day", "2.5"], "Error: reviews_per_day: expected a whole number from 0 to 100000\n"),
    (["set", "default_deck", "My Deck"], "Error: default_deck: expected a deck slug (lowercase letters, digits, '-')\n"),
])
def test_bad_key_or_value_is_one_line_exit_2_and_changes_nothing(home, args, message):
    run("config", "set", "new_per_day", "4")
    before = (home / "config.toml").read_text()
    result = run("config", *args)
    assert result.exit_code == 2
    assert result.stderr == message
    assert (home / "config.toml").read_text() == before


def test_missing_value_is_a_usage_error(home):
    result = run("config", "set", "retention")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_broken_file_is_one_line_exit_1(home):
    home.mkdir(parents=True)
    (home / "config.toml").write_text("retention = [\n")
    result = run("config", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {home / 'config.toml'}: cannot read settings") and result.stderr.count("\n") == 1
    (home / "config.toml").write_text("retention = 3\n")
    result = run("config", "get", "new_per_day")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {home / 'config.toml'}: retention: expected a number between 0.7 and 0.99, e.g. 0.9\n"


def test_limits_apply_to_start(home):
    run("config", "set", "new_per_day", "2")
    result = run("start", input="\n3\n\n3\n")
    assert result.exit_code == 0 and "2 new · 0 learning · 0 review" in result.stdout
    assert len(Store(home / "quiz.db").reviews()) == 2
    assert "Nothing due" in run("start").stdout  # today's 2 new cards are used up


def test_default_deck_applies_to_question_numbers(home):
    (home / "banks").mkdir(parents=True)
    (home / "banks" / "mine.yaml").write_text("deck: mine\ntitle: T\nquestions:\n  - id: 1\n    question: Mine?\n    answer: [A]\n")
    run("config", "set", "default_deck", "mine")
    assert json.loads(run("show", "1", "--json").stdout)["question"] == "Mine?"


@pytest.mark.parametrize("cmd", [["config"], ["config", "list"], ["config", "get"], ["config", "set"]])
def test_config_help(home, cmd):
    result = run(*cmd, "--help")
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_a_deck_can_have_its_own_review_limit(home):
    result = run("config", "set", "reviews_per_day", "3", "--deck", "modern-backbones")
    assert result.exit_code == 0 and result.stdout == "reviews_per_day = 3 for deck modern-backbones\n"
    assert config.load()["reviews_per_day_by_deck"] == {"modern-backbones": 3}
    result = run("config", "set", "retention", "0.8", "--deck", "modern-backbones")
    assert result.exit_code == 2 and "--deck goes with new_per_day or reviews_per_day only" in result.stderr
