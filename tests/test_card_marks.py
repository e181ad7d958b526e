"""Managing cards from the app: suspend, unsuspend, bury, flag, search, list --state."""

import json
from datetime import datetime, timezone

from typer.testing import CliRunner

from quiz.cli import app
from quiz.store import Store

runner = CliRunner()


def quiz(home, *args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input, env={"QUIZ_HOME": str(home), "COLUMNS": "100"})


def listed(home, *args):
    return {(r["deck"], r["id"]): r for r in json.loads(quiz(home, "list", "--json", *args).stdout)}


def test_suspend_takes_a_card_out_of_every_queue_and_keeps_its_history(home):
    quiz(home, "start", "--limit", "1", input="\n3\n")  # card 1 has a review
    assert quiz(home, "suspend", "1", "2").stdout == "Suspended: modern-backbones/1, modern-backbones/2\n"
    out = quiz(home, "start", "--cram", "--limit", "1", input="q\n").stdout
    assert "modern-backbones #3" in out  # 1 and 2 are skipped, even by cram
    assert len(Store(home / "quiz.db").reviews()) == 1  # the history stays
    assert [k[1] for k in listed(home, "--state", "suspended")] == [1, 2]
    quiz(home, "unsuspend", "1")
    assert [k[1] for k in listed(home, "--state", "suspended")] == [2]
    assert listed(home)[("modern-backbones", 1)]["state"] == "learning"  # the schedule it had


def test_bury_hides_a_card_until_tomorrow(home):
    quiz(home, "bury", "1")
    assert "modern-backbones #2" in quiz(home, "start", "--limit", "1", input="q\n").stdout
    assert listed(home)[("modern-backbones", 1)]["buried"] is True
    assert [k[1] for k in listed(home, "--state", "buried")] == [1]


def test_flag_and_flagged_filter(home):
    quiz(home, "flag", "7", "modern-backbones/9")
    assert sorted(k[1] for k in listed(home, "--flagged")) == [7, 9]
    quiz(home, "unflag", "7")
    assert [k[1] for k in listed(home, "--flagged")] == [9]
    assert "⚑" in quiz(home, "list").stdout


def test_marks_survive_a_backup_and_restore(home, tmp_path):
    quiz(home, "suspend", "4")
    quiz(home, "export", "-f", "json", "-o", tmp_path / "b.json")
    assert quiz(home, "restore", tmp_path / "b.json", "--force").exit_code == 0
    assert [k[1] for k in listed(home, "--state", "suspended")] == [4]


def test_unknown_question_or_state_is_a_usage_error(home):
    assert quiz(home, "suspend", "99").exit_code == 2
    result = quiz(home, "list", "--state", "sleeping")
    assert result.exit_code == 2 and "--state must be one of" in result.stderr


def test_search_questions_answers_and_tags(home):
    result = quiz(home, "search", "depthwise", "--json")
    ids = [q["id"] for q in json.loads(result.stdout)]
    assert 3 in ids and all(isinstance(i, int) for i in ids)
    assert [q["id"] for q in json.loads(quiz(home, "search", "SE-NET", "--json").stdout)] == [6]  # a tag, any case
    assert "No question contains" in quiz(home, "search", "quaternion").stdout
    assert "question" in quiz(home, "search", "linear bottleneck").stdout


def test_reset_makes_a_card_new_and_keeps_its_reviews_marked(home):
    quiz(home, "start", "--limit", "1", input="\n3\n")
    result = quiz(home, "reset", "1")
    assert result.stdout == "Reset to new: modern-backbones/1 (1 review kept, marked as reset)\n"
    assert listed(home)[("modern-backbones", 1)]["state"] == "new"
    store = Store(home / "quiz.db")
    assert [r.kind for r in store.reviews()] == ["reset-review"]
    assert store.answers_since(datetime(2000, 1, 1, tzinfo=timezone.utc), new=True) == 0  # no longer counts
    quiz(home, "start", "--limit", "1", input="\n4\n")  # studied again as a new card
    assert [r.kind for r in store.reviews()] == ["reset-review", "review"]
    assert [r.before_json is None for r in store.reviews()] == [True, True]


def test_edit_opens_the_editor_at_the_line_and_checks_the_bank(home, tmp_path):
    (home / "banks").mkdir(parents=True)
    bank = home / "banks" / "mine.yaml"
    bank.write_text("deck: mine\ntitle: T\nquestions:\n  - id: 1\n    question: Old?\n    answer: [a]\n"
                    "  - id: 2\n    question: Two?\n    answer: [b]\n")
    log = tmp_path / "editor.log"
    editor = tmp_path / "ed.sh"
    editor.write_text(f'#!/bin/sh\necho "$@" > {log}\nsed -i "s/Two?/Two, edited?/" "$2"\n')
    editor.chmod(0o755)
    result = runner.invoke(app, ["edit", "mine/2"], env={"QUIZ_HOME": str(home), "EDITOR": str(editor)})
    assert result.exit_code == 0, result.output
    assert log.read_text().split() == ["+7", str(bank)]  # at the question's line
    assert "Two, edited?" in quiz(home, "show", "mine/2").stdout
    editor.write_text('#!/bin/sh\nsed -i "s/id: 2/id: two/" "$2"\n')  # a broken edit: reported with its line
    result = runner.invoke(app, ["edit", "mine/2"], env={"QUIZ_HOME": str(home), "EDITOR": str(editor)})
    assert result.exit_code == 1 and f"{bank}:7: id must be an integer" in result.stderr
    # the broken bank is skipped with one warning line; every other deck works, and edit opens it at the error
    result = quiz(home, "start", "--deck", "modern-backbones", "--limit", "1", input="\n4\n")
    assert result.exit_code == 0 and "modern-backbones #1" in result.stdout
    assert result.stderr == (f"warning: {bank}:7: id must be an integer (this bank is skipped; the others work; "
                             "fix it: quiz edit mine)\n")
    editor.write_text(f'#!/bin/sh\necho "$@" > {log}\n')  # opened, not fixed: still broken, at its line
    result = runner.invoke(app, ["edit", "mine"], env={"QUIZ_HOME": str(home), "EDITOR": str(editor)})
    assert result.exit_code == 1 and log.read_text().split() == ["+7", str(bank)]
    editor.write_text(f'#!/bin/sh\necho "$@" > {log}\nsed -i "s/id: two/id: 2/" "$2"\n')
    result = runner.invoke(app, ["edit", "mine/2"], env={"QUIZ_HOME": str(home), "EDITOR": str(editor)})
    assert result.exit_code == 0, result.output
    assert log.read_text().split() == ["+7", str(bank)]
    assert quiz(home, "show", "mine/2").exit_code == 0


def test_editing_a_built_in_card_makes_a_copy_that_overrides_it(home, tmp_path):
    quiz(home, "start", "--limit", "1", input="\n4\n")  # progress on the built-in deck
    log = tmp_path / "editor.log"
    editor = tmp_path / "ed.sh"
    editor.write_text(f'#!/bin/sh\necho "$@" > {log}\nsed -i "s/Why does ResNet work?/Why do skips help?/" "$2"\n')
    editor.chmod(0o755)
    result = runner.invoke(app, ["edit", "1"], env={"QUIZ_HOME": str(home), "EDITOR": str(editor)})
    assert result.exit_code == 0, result.output
    copy = home / "banks" / "modern-backbones.yaml"
    assert log.read_text().split()[1] == str(copy) and "copied it to" in result.stdout
    for cmd in (["list"], ["stats"], ["show", "1"]):  # every command reads the copy, no clash with the built-in
        assert quiz(home, *cmd).exit_code == 0
    rows = listed(home)
    assert rows[("modern-backbones", 1)]["question"] == "Why do skips help?"
    assert rows[("modern-backbones", 1)]["state"] == "review"  # progress kept
    assert f"modern-backbones: your copy {copy}" in " ".join(quiz(home, "list").stdout.split())
