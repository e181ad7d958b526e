"""Text from outside — bank fields, keywords, titles, file names, backups — never steers the
terminal: no ESC, C0/C1 control or bidi override reaches stdout or stderr, through any command."""

import json
import re

import pytest
from typer.testing import CliRunner

from quiz.cli import app

runner = CliRunner()

# an OSC 52 clipboard write, a screen clear, a C1 CSI, a bell, a right-to-left override
EVIL = "\x1b]52;c;aGVsbG8=\x07\x1b[2J\x9b31m\u202eevil\u2066"
EVIL_YAML = "\\e]52;c;aGVsbG8=\\a\\e[2J\\x9b31m\\u202eevil\\u2066"
BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def bank_text(deck="evil"):
    return (f'deck: {deck}\ntitle: "T {EVIL_YAML}"\nquestions:\n'
            f'  - id: 1\n    question: "Why {EVIL_YAML}?"\n    tags: [a]\n'
            f'    answer: ["**Skip {EVIL_YAML}** carries the gradient", "plain {EVIL_YAML}"]\n'
            f'    keywords: [["skip", "gra{EVIL_YAML}dient"], []]\n')


@pytest.fixture
def evil(tmp_path, home):
    path = tmp_path / "evil.yaml"
    path.write_text(bank_text())
    return path


def run(home, args, input=None):
    result = runner.invoke(app, args, input=input, env={"QUIZ_HOME": str(home), "COLUMNS": "80"})
    out = result.stdout + (result.stderr if result.stderr_bytes is not None else "")
    found = BAD.findall(out)
    assert not found, f"{args}: {found!r} reached the terminal"
    return result


COMMANDS = [
    ["show", "evil/1"],
    ["show", "evil/1", "--json"],
    ["list", "--deck", "evil"],
    ["list", "--deck", "evil", "--json"],
    ["start", "--deck", "evil"],
    ["start", "--deck", "evil", "--type"],
    ["mock", "--deck", "evil", "-n", "1"],
    ["stats"],
    ["stats", "--json"],
    ["validate"],
    ["export", "--deck", "evil", "-f", "md"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_every_command_prints_bank_text_inert(home, evil, args):
    run(home, ["start", "--deck", "evil", "--bank", str(evil)], input="\n3\n")  # some history first
    args = args + [str(evil)] if args[0] == "validate" else args + ["--bank", str(evil)]
    result = run(home, args, input="skip gradient\n\n3\n")
    assert result.exit_code == 0, result.output
    if "--json" in args and args[0] != "stats":
        text = json.dumps(json.loads(result.stdout))  # the data itself survives, escaped
        assert "\\u202e" in text


def test_file_names_in_errors_and_import_titles(home, tmp_path):
    bad = tmp_path / f"bad{EVIL}.yaml"
    bad.write_text("deck: x\nquestions: 3\n")
    assert run(home, ["validate", str(bad)]).exit_code == 1
    result = run(home, ["list", "--bank", str(bad)])  # skipped with a warning naming it, cleaned
    assert result.exit_code == 0 and "warning: " in result.stderr
    md = tmp_path / "notes.md"
    md.write_text(f"# Day 14: Object {EVIL} Detection - Interview Questions\n\n"
                  f"### 1. What is IoU {EVIL}?\n\n**Answer:**\n- overlap {EVIL} over union\n")
    result = run(home, ["import", str(md), "--deck", "od"])
    assert result.exit_code == 0 and "Object" in result.stdout


def test_deck_names_and_fields_from_a_backup(home, tmp_path, evil):
    run(home, ["start", "--deck", "evil", "--bank", str(evil)], input="\n3\n")
    out = tmp_path / "backup.json"
    assert run(home, ["export", "-f", "json", "-o", str(out), "--bank", str(evil)]).exit_code == 0
    data = json.loads(out.read_text())
    for table in ("cards", "reviews"):
        for row in data.get("progress", data).get(table, []) if isinstance(data.get("progress", data), dict) else []:
            row["deck"] = "evil" + EVIL
    out.write_text(json.dumps(data))
    result = run(home, ["restore", str(out), "--force"])
    # accepted or refused, either way nothing hostile is echoed
    run(home, ["stats"])
    run(home, ["list"])
    assert result.exit_code in (0, 1)
