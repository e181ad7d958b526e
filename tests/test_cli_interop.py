"""The interop commands end to end: import, export, restore, validate, and banks from several places."""

import csv
import io
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app
from quiz.store import Store, card_id

DATA = Path(__file__).parent / "data"
SEED = DATA / "day12-modern-backbones.md"
DAY14 = DATA / "day14-object-detection.md"

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def ok(*args, input=None):
    result = run(*args, input=input)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("cmd", ["import", "export", "restore", "validate"])
def test_every_interop_command_has_help(cmd, home):
    result = run(cmd, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout and "--bank" in result.stdout


# -- import ----------------------------------------------------------------------------


def test_import_prints_what_it_parsed(home):
    result = ok("import", DAY14)
    path = home / "banks" / "object-detection.yaml"
    assert result.stdout == (f"Imported deck object-detection (Object Detection, day 14): 20 questions → {path}\n"
                             "Study it: quiz start --deck object-detection\n")
    assert result.stderr == ""
    shown = json.loads(ok("show", "object-detection/3", "--json").stdout)
    assert shown["question"] == "How does Non-Maximum Suppression (NMS) work?"


def test_import_under_another_deck_name(home):
    ok("import", SEED, "--deck", "day12")
    shown = json.loads(ok("show", "day12/7", "--json").stdout)
    builtin = json.loads(ok("show", "7", "--json").stdout)
    assert shown == {**builtin, "deck": "day12", "tags": []}
    rows = json.loads(ok("list", "--json", "--deck", "day12").stdout)
    assert [r["id"] for r in rows] == list(range(1, 21))


def test_import_warns_about_skipped_lines_on_stderr(home, tmp_path):
    path = tmp_path / "d.md"
    path.write_text("# Day 2: Small - Interview Questions\n\nIntro.\n\n### 1. Q?\n**Answer:**\n*   A.\n\n## Notes\n\n"
                    "### 2. Why not?\n")
    result = ok("import", path)
    assert result.stdout.startswith("Imported deck small (Small, day 2): 1 questions → ")
    assert result.stderr == (f"warning: {path}:3: skipped text before the first question: 'Intro.'\n"
                             f"warning: {path}:11: 1 question without an answer was skipped: line 11\n"
                             f"2 part(s) of {path} skipped: see the warnings above\n")


HINT = "headings like '### 1. Question', bold questions, 'Q:'/'A:' pairs or <details> blocks"


@pytest.mark.parametrize("content,message", [
    (b"", "{p}:1: empty file (expected " + HINT + ")"),
    (b"\x7fELF\x02\x01\x01\x00\x00", "{p}:1: binary data (a NUL byte), not a Markdown file"),
    (b"# Notes\n\nNothing here.\n", "{p}:1: no questions found: expected " + HINT),
    (b"# Day 1: T\n\n### 1. Why?\n\n### 2. How?\n**Answer:**\n", "{p}:3: no question has an answer (2 questions "
                                                                 "without one, at lines 3, 5)"),
])
def test_bad_files_are_one_line_and_write_nothing(home, tmp_path, content, message):
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    result = run("import", path)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message.format(p=path)}\n"
    assert not (home / "banks").exists()


def test_import_dry_run_writes_nothing(home):
    result = ok("import", DATA / "markdown" / "qa-pairs.md", "--dry-run")
    assert result.stdout.splitlines()[:4] == [
        "Dry run: nothing is written.",
        "Would import deck interview-q-a-lab-19-scaling (Interview Q&A - Lab 19 Scaling): 5 questions from qa-pairs.md",
        f"  → {(home / 'banks').resolve()}/interview-q-a-lab-19-scaling.yaml",
        "First questions:"]
    assert "     1  Why is data scaling important?  [text]" in result.stdout
    assert not (home / "banks").exists() and not (home / "imports").exists()
    ok("import", DAY14)
    result = ok("import", DAY14, "--dry-run")  # what --force would do; the bank is as imported
    assert result.stdout.splitlines()[-2:] == [
        "The bank there now would stay as it is.",
        f"The import would stop: deck 'object-detection' already exists ({home / 'banks' / 'object-detection.yaml'}); "
        "use --force to replace it (progress is kept)"]


def test_import_refuses_an_existing_deck_without_force(home):
    ok("import", DAY14)
    result = run("import", DAY14)
    assert result.exit_code == 1 and "use --force to replace it" in result.stderr
    assert ok("import", DAY14, "--force").stdout.startswith("Replaced deck object-detection")


# -- banks from several places (issue item 1) ------------------------------------------


BANK = "deck: {deck}\ntitle: T\nquestions:\n  - id: 1\n    question: {deck} question?\n    answer: [A]\n"


def test_bank_option_is_repeatable_and_takes_files_and_folders(home, tmp_path):
    (tmp_path / "one.yaml").write_text(BANK.format(deck="one"))
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "two.yaml").write_text(BANK.format(deck="two"))
    args = ["--bank", tmp_path / "one.yaml", "--bank", tmp_path / "dir"]
    assert json.loads(ok("show", "two/1", "--json", *args).stdout)["question"] == "two question?"
    rows = json.loads(ok("list", "--json", *args).stdout)
    assert sorted({r["deck"] for r in rows}) == ["modern-backbones", "one", "two"]
    assert [r["deck"] for r in json.loads(ok("list", "--json", "--deck", "one", *args).stdout)] == ["one"]
    result = run("show", "two/1", "--bank", tmp_path / "nope.yaml")
    assert result.exit_code == 1 and result.stderr == f"Error: {tmp_path / 'nope.yaml'}: no such bank file or folder\n"


def test_quiz_banks_is_a_path_list(home, tmp_path, monkeypatch):
    (tmp_path / "one.yaml").write_text(BANK.format(deck="one"))
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "two.yaml").write_text(BANK.format(deck="two"))
    monkeypatch.setenv("QUIZ_BANKS", os.pathsep.join([str(tmp_path / "one.yaml"), str(tmp_path / "dir")]))
    rows = json.loads(ok("list", "--json").stdout)
    assert sorted({r["deck"] for r in rows}) == ["modern-backbones", "one", "two"]


def test_one_deck_in_two_banks_names_both_files(home, tmp_path):
    (tmp_path / "a.yaml").write_text(BANK.format(deck="dup"))
    (tmp_path / "b.yaml").write_text(BANK.format(deck="dup"))
    result = run("list", "--bank", tmp_path / "a.yaml", "--bank", tmp_path / "b.yaml")
    assert result.exit_code == 0  # the second is skipped with a warning naming both files; the rest work
    assert result.stderr == (f"warning: {tmp_path / 'b.yaml'}: deck 'dup' is already defined in {tmp_path / 'a.yaml'} "
                             "(this bank is skipped; the others work; fix it: quiz edit dup)\n")


def test_bare_numbers_use_the_configured_default_deck(home):
    ok("import", DAY14)
    (home / "config.toml").write_text('default_deck = "object-detection"\n')
    assert json.loads(ok("show", "3", "--json").stdout)["deck"] == "object-detection"
    assert json.loads(ok("show", "modern-backbones/3", "--json").stdout)["deck"] == "modern-backbones"


# -- export ------------------------------------------------------------------------------


def test_export_md_to_stdout_and_to_a_folder(home, tmp_path):
    ok("import", DAY14)
    assert ok("export", "--format", "md", "--deck", "object-detection").stdout == DAY14.read_text()
    result = run("export", "--format", "md")
    assert result.exit_code == 2
    assert result.stderr == "Error: the Markdown format holds one deck: give --deck D, or -o FOLDER for one file per deck\n"
    (tmp_path / "out").mkdir()
    assert ok("export", "--format", "md", "-o", tmp_path / "out").stdout == f"Wrote 2 Markdown files to {tmp_path / 'out'}\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["modern-backbones.md", "object-detection.md"]
    # the exported file imports back to the same deck
    ok("import", tmp_path / "out" / "object-detection.md", "--deck", "od-again")
    a = json.loads(ok("show", "object-detection/12", "--json").stdout)
    b = json.loads(ok("show", "od-again/12", "--json").stdout)
    assert {**a, "deck": "od-again"} == b


def test_export_apkg_default_name_and_format_from_suffix(home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = ok("export", "--format", "apkg", "--deck", "modern-backbones")
    assert result.stdout == "Wrote modern-backbones.apkg: 20 notes in 1 deck (import it in Anki: File → Import)\n"
    assert (tmp_path / "modern-backbones.apkg").stat().st_size > 1000
    assert ok("export", "-o", "all.apkg").stdout.startswith("Wrote all.apkg: 20 notes in 1 deck")


@pytest.mark.parametrize("args,message", [
    (["export"], "Error: give --format apkg, csv, json or md (or an -o PATH ending in one of them)\n"),
    (["export", "--format", "pdf"], "Error: --format must be one of apkg, csv, json, md, got 'pdf'\n"),
    (["export", "--format", "md", "--deck", "nope"], "Error: no deck 'nope' (decks: modern-backbones)\n"),
])
def test_export_usage_errors(home, args, message):
    result = run(*args)
    assert result.exit_code == 2 and result.stderr == message


def test_export_csv_matches_the_review_log(home):
    ok("start", "--limit", "3", input="\n3\n\n1\n\n4\n")
    ok("start", "--cram", "--limit", "1", input="\n2\n")
    rows = list(csv.DictReader(io.StringIO(ok("export", "--format", "csv").stdout)))
    log = [r for r in Store(home / "quiz.db").reviews() if r.kind == "review"]
    assert len(rows) == len(log) == 3
    from datetime import datetime, timedelta, timezone

    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    for row, r in zip(rows, log):
        assert row == {
            "card_id": str(card_id("modern-backbones", r.qid)),
            "review_time": str((datetime.fromisoformat(r.reviewed_at) - epoch) // timedelta(milliseconds=1)),
            "review_rating": str(r.rating),
            "review_state": "0",
            "review_duration": str(r.duration_ms),
        }
    assert [row["review_rating"] for row in rows] == ["3", "1", "4"]


# -- json backup and restore ---------------------------------------------------------------


def test_restore_reproduces_quiz_list(home, tmp_path, monkeypatch):
    from datetime import datetime, timezone

    ok("import", DAY14)
    ok("start", "--limit", "3", input="\n3\n\n1\n\n4\n")
    ok("start", "--deck", "object-detection", "--limit", "2", input="\n2\n\n3\n")
    (home / "config.toml").write_text("new_per_day = 5\n")
    frozen = datetime(2030, 1, 1, tzinfo=timezone.utc)
    monkeypatch.setattr("quiz.schedule.utcnow", lambda: frozen)
    before = ok("list", "--json").stdout
    assert ok("export", "--format", "json", "-o", tmp_path / "backup.json").stdout == \
        f"Wrote {tmp_path / 'backup.json'}: 2 banks and all progress\n"

    monkeypatch.setenv("QUIZ_HOME", str(tmp_path / "new-home"))
    result = ok("restore", tmp_path / "backup.json")
    assert result.stdout == ("Restored 5 cards and 5 reviews; banks: object-detection; "
                             "already loaded, not written: modern-backbones\n")
    assert ok("list", "--json").stdout == before
    assert (tmp_path / "new-home" / "config.toml").read_text() == "new_per_day = 5\n"

    again = run("restore", tmp_path / "backup.json")
    assert again.exit_code == 1
    assert again.stderr == (f"Error: {tmp_path / 'new-home'} is not empty (10 progress rows, 1 bank file, config.toml); "
                            "restore into an empty QUIZ_HOME, or add --force to replace its progress "
                            "(the home is saved first, to its backups/ folder)\n")
    ok("restore", tmp_path / "backup.json", "--force")
    assert ok("list", "--json").stdout == before


def test_a_full_backup_of_a_one_deck_home_restores_everything(home, tmp_path, monkeypatch):
    """Only the built-in deck: the backup still says it is the whole home, and restoring it brings back
    the settings and the fitted FSRS parameters too (it once restored as a one-deck backup)."""
    from datetime import datetime, timezone

    from fsrs.scheduler import DEFAULT_PARAMETERS

    ok("start", "--limit", "2", input="\n3\n\n4\n")
    for key, value in (("retention", "0.85"), ("new_per_day", "7"), ("reviews_per_day", "50")):
        ok("config", "set", key, value)
    fitted = [round(p * 1.01, 4) for p in DEFAULT_PARAMETERS]
    Store(home / "quiz.db").save_parameters(fitted, datetime.now(timezone.utc), 600, 0.5, 0.4)
    ok("export", "-f", "json", "-o", tmp_path / "b.json")
    data = json.loads((tmp_path / "b.json").read_text())
    assert (data["scope"], data["deck"]) == ("all", None)
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path / "new-home"))
    result = ok("restore", tmp_path / "b.json")
    assert result.stdout == "Restored 2 cards and 2 reviews; already loaded, not written: modern-backbones\n"
    assert [ok("config", "get", k).stdout.strip() for k in ("retention", "new_per_day", "reviews_per_day")] == \
        ["0.85", "7", "50"]
    assert Store(tmp_path / "new-home" / "quiz.db").fsrs_parameters() == fitted


def test_a_deck_backup_says_so_and_restores_that_deck_only(home, tmp_path):
    ok("start", "--limit", "1", input="\n3\n")
    ok("config", "set", "retention", "0.85")
    ok("export", "-f", "json", "--deck", "modern-backbones", "-o", tmp_path / "d.json")
    data = json.loads((tmp_path / "d.json").read_text())
    assert (data["scope"], data["deck"], data["parameters"]) == ("deck", "modern-backbones", [])
    ok("config", "set", "retention", "0.9")
    result = ok("restore", tmp_path / "d.json", "--force")
    assert "of deck modern-backbones (other decks untouched)" in result.stdout
    assert ok("config", "get", "retention").stdout.strip() == "0.9"  # a deck's backup leaves the settings


def test_restore_of_a_file_that_is_not_a_backup(home, tmp_path):
    (tmp_path / "x.json").write_text("[1, 2]")
    result = run("restore", tmp_path / "x.json")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'x.json'}: not a quiz backup (made by quiz export --format json)\n"
    assert not home.exists()


# -- validate ------------------------------------------------------------------------------


def test_validate_clean_and_broken(home, tmp_path):
    assert ok("validate").stdout == "OK: 1 file checked, no problems\n"
    good = tmp_path / "good.yaml"
    good.write_text(BANK.format(deck="good"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("deck: bad\ntitle: T\nquestions:\n  - id: 1\n    question: Q\n  - id: 2\n    question: ''\n"
                   "    answer: [A]\n  - id: 3\n    question: Q\n    answer: []\n")
    result = run("validate", good, bad)
    assert result.exit_code == 1
    assert result.stdout == (f"{bad}:4: a question is missing required key 'answer'\n"
                             f"{bad}:7: question 2 must not be empty\n"
                             f"{bad}:11: answer of question 3 must have at least one bullet\n")
    assert result.stderr == "Error: 3 problems in 2 files\n"
    assert ok("validate", good, "--bank", DAY14).stdout == "OK: 2 files checked, no problems\n"


def test_validate_a_markdown_file_before_importing(home, tmp_path):
    path = tmp_path / "d.md"
    path.write_text("# Day 2: Small\n\nIntro.\n\n### 1. Q?\n**Answer:**\n\n### 2. Q?\n\n### 3. Q?\nA.\n")
    result = ok("validate", path)
    assert result.stdout == (f"warning: {path}:3: skipped text before the first question: 'Intro.'\n"
                             f"warning: {path}:5: 2 questions without an answer were skipped: lines 5, 8\n"
                             "OK: 1 file checked, no problems\n")
    path.write_text("# Day 2: Small\n\n### 1. Q?\n**Answer:**\n")
    result = run("validate", path)
    assert result.exit_code == 1 and result.stdout == (f"{path}:3: no question has an answer (1 question without "
                                                       "one, at line 3)\n")
    assert result.stderr == "Error: 1 problem in 1 file\n"


# -- history survives edits (issue item 5) ---------------------------------------------------


def test_history_survives_editing_and_removing_questions(home):
    ok("import", DAY14, "--deck", "od")
    ok("start", "--deck", "od", "--limit", "2", input="\n3\n\n4\n")
    bank = home / "banks" / "od.yaml"

    def row(qid):
        return next((r for r in json.loads(ok("list", "--json", "--deck", "od").stdout) if r["id"] == qid), None)

    studied = row(1)
    assert studied["state"] != "new" and studied["reps"] == 1
    # edit question 1's text: same deck + id, same history
    bank.write_text(bank.read_text().replace("Explain the difference between One-Stage", "Contrast One-Stage"))
    edited = row(1)
    assert edited["question"].startswith("Contrast One-Stage")
    assert {k: v for k, v in edited.items() if k != "question"} == {k: v for k, v in studied.items() if k != "question"}
    # remove question 2: not listed, its history kept in the log
    text = bank.read_text()
    start, end = text.index("  - id: 2\n"), text.index("  - id: 3\n")
    bank.write_text(text[:start] + text[end:])
    assert row(2) is None and len(json.loads(ok("list", "--json", "--deck", "od").stdout)) == 19
    assert [(r.deck, r.qid) for r in Store(home / "quiz.db").reviews()] == [("od", 1), ("od", 2)]
    # a re-import would undo both edits: it says so, and does it only when told to
    result = run("import", DAY14, "--deck", "od", "--force")
    assert result.exit_code == 1 and result.stderr == (
        f"Error: {bank} holds edits of yours that re-importing would replace: 2 questions (1: question; "
        "2: deleted, back); see them with --dry-run, replace them with --overwrite-edits\n")
    assert row(2) is None
    ok("import", DAY14, "--deck", "od", "--overwrite-edits")  # put it back: its progress is there again
    assert row(2)["state"] != "new" and row(2)["reps"] == 1 and row(1)["question"].startswith("Explain")


def test_interop_commands_never_import_torch(home, tmp_path):
    import subprocess
    import sys

    probe = f"""
import sys, runpy
for args in (["import", {str(DAY14)!r}], ["validate"], ["export", "--format", "md", "--deck", "object-detection"],
             ["export", "-o", {str(tmp_path / "q.json")!r}], ["export", "-o", {str(tmp_path / "q.apkg")!r}]):
    sys.argv = ["quiz", *args]
    try:
        runpy.run_module("quiz", run_name="__main__")
    except SystemExit as e:
        assert not e.code, (args, e.code)
print("HEAVY:", sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "torchvision")), file=sys.stderr)
"""
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert "HEAVY: []" in proc.stderr, proc.stderr[-2000:]
    assert (tmp_path / "q.apkg").exists() and json.loads((tmp_path / "q.json").read_text())["banks"]
