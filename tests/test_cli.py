import json
import re

import pytest
from typer.testing import CliRunner

from quiz.cli import app
from quiz.store import Store

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input)


@pytest.mark.parametrize("cmd", [[], ["start"], ["list"], ["show"], ["prove"]])
def test_every_command_has_help(cmd, home):
    result = run(*cmd, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout and len(result.stdout.splitlines()) > 5


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and re.fullmatch(r"quiz \d+\.\d+\.\d+\n", result.stdout)


def test_list_json_shape(home):
    result = run("list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == list(range(1, 21))
    keys = {"deck", "id", "question", "tags", "state", "due", "reps", "lapses", "stability", "difficulty",
            "retrievability"}
    assert all(keys <= set(r) for r in rows)
    assert rows[0]["state"] == "new" and rows[0]["due"] is None and rows[0]["reps"] == 0
    assert isinstance(rows[0]["id"], int) and isinstance(rows[0]["tags"], list)


def test_list_table_and_filters(home):
    result = run("list", "--tag", "normalization")
    assert result.exit_code == 0
    assert "ConvNeXt" in result.stdout and "Group Normalization" in result.stdout
    assert "Squeeze" not in result.stdout
    assert run("list", "--due", "--json").stdout.strip() == "[]"


def test_show_json_shape(home):
    result = run("show", "7", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data == {
        "deck": "modern-backbones", "id": 7, "question": "Why use $1 \\times 1$ convolutions in bottlenecks?",
        "answer": ["To reduce dimensionality before the expensive $3 \\times 3$ convolution.",
                   "Example: Reduce 256 channels to 64. $3 \\times 3$ on 64 channels is $16\\times$ cheaper than on 256."],
        "tags": ["bottleneck", "efficiency", "convolution"],
    }


def test_show_renders_math(home):
    result = run("show", "modern-backbones/2")
    assert result.exit_code == 0
    assert "1×1 (reduce) → 3×3 → 1×1 (expand)" in result.stdout


@pytest.mark.parametrize("args,message", [
    (["show", "99"], "Error: no question 99 in modern-backbones (ids 1–20)\n"),
    (["show", "abc"], "Error: question must be a number or deck/number, got 'abc'\n"),
    (["show", "nope/3"], "Error: no deck 'nope' (decks: modern-backbones)\n"),
    (["list", "--tag", "nope"], "Error: no question tagged 'nope'\n"),
    (["start", "--deck", "nope"], "Error: no deck 'nope' (decks: modern-backbones)\n"),
])
def test_user_errors_are_one_line_exit_2(home, args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr == message
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["start", "--limit", "0"], ["start", "--new", "-1"],
                                  ["start", "--retention", "1.5"], ["start", "--limit", "10000000000"]])
def test_bad_option_values_exit_2(home, args):
    result = run(*args)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_debug_shows_the_traceback(home):
    result = run("--debug", "show", "99")
    assert result.exit_code != 0 and type(result.exception).__name__ == "UsageError"


def test_start_from_a_pipe_records_each_rating(home):
    result = run("start", "--limit", "2", input="\n3\n\n1\n")
    assert result.exit_code == 0, result.output
    # the header: cards left per queue (Anki's new · learning · review), the one on screen included
    assert "2 new · 0 learning · 0 review  modern-backbones #1" in result.stdout
    assert "1 new · 1 learning · 0 review  modern-backbones #2" in result.stdout
    assert re.search(r"1 Again \S+ · 2 Hard \S+ · 3 Good \S+ · 4 Easy \S+", result.stdout)
    assert "Session summary" in result.stdout and "Again 1  Hard 0  Good 1  Easy 0" in result.stdout
    reviews = Store(home / "quiz.db").reviews()
    assert [(r.qid, r.rating, r.kind) for r in reviews] == [(1, 3, "review"), (2, 1, "review")]
    assert all(r.duration_ms is not None and r.after_json for r in reviews)


def test_start_quit_and_end_of_input_keep_earlier_ratings(home):
    assert run("start", input="\n4\n\nq\n").exit_code == 0
    assert run("start", input="\n2\n").exit_code == 0  # input ends at the next card
    assert [r.rating for r in Store(home / "quiz.db").reviews()] == [4, 2]


def test_start_undo_from_a_pipe(home):
    result = run("start", "--limit", "3", input="\n3\n\n2\nu\n\n4\nq\n")
    assert result.exit_code == 0, result.output
    assert "Undone" in result.stdout
    assert [(r.qid, r.rating) for r in Store(home / "quiz.db").reviews()] == [(1, 3), (2, 4)]


def test_undo_after_the_last_card_from_a_pipe(home):
    result = run("start", "--limit", "1", input="\n3\nu\n\n4\n")
    assert result.exit_code == 0, result.output
    assert "That was the last card" in result.stdout and "Undone" in result.stdout
    assert [(r.qid, r.rating) for r in Store(home / "quiz.db").reviews()] == [(1, 4)]


def test_learning_cards_come_round_again_before_the_session_ends(home):
    # Again (1 minute): with nothing else left it comes at once (Anki's learn-ahead); Good: its
    # 10-minute step, again at once; Good: it graduates, and the session ends
    result = run("start", "--limit", "1", input="\n1\n\n3\n\n3\n\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("0 new · 1 learning · 0 review  modern-backbones #1") == 2
    assert "That was the last card." in result.stdout
    assert [(r.qid, r.rating) for r in Store(home / "quiz.db").reviews()] == [(1, 1), (1, 3), (1, 3)]


def test_bad_rating_line_asks_again(home):
    result = run("start", "--limit", "1", input="\n7\n3\n")
    assert "expected 1–4, q" in result.stdout  # no u: nothing to undo on the first card
    assert [r.rating for r in Store(home / "quiz.db").reviews()] == [3]


def test_nothing_due_suggests_cram(home):
    run("config", "set", "new_per_day", "1")
    run("start", input="\n4\n")
    result = run("start")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Nothing due: the next card is due in" in text and "quiz start --cram" in text
    assert ("New-card limit reached (modern-backbones: 1 of 1 started today): 19 new cards wait; "
            "quiz start --new N studies N more now") in text
    # --new N studies N new cards now, whatever today's limit has used
    assert "1 new · 0 learning · 0 review  modern-backbones #2" in run("start", "--new", "1", input="\n4\n").stdout


def test_each_deck_has_its_own_new_card_limit(home, tmp_path):
    bank = tmp_path / "b.yaml"
    bank.write_text("deck: mine\ntitle: Mine\nquestions:\n" + "".join(
        f"  - id: {i}\n    question: Q{i}?\n    answer: [a]\n" for i in range(1, 6)))
    run("config", "set", "new_per_day", "2")
    assert run("config", "set", "new_per_day", "3", "--deck", "mine", "--bank", str(bank)).exit_code == 2  # not loaded
    (home / "banks").mkdir(parents=True)
    (home / "banks" / "mine.yaml").write_text(bank.read_text())
    assert run("config", "set", "new_per_day", "3", "--deck", "mine").exit_code == 0
    run("start", "--deck", "modern-backbones", input="\n4\n\n4\n")  # this morning's two new cards …
    result = run("start", "--deck", "mine", input="q\n")  # … do not starve the other deck
    assert "3 new · 0 learning · 0 review  mine #1" in result.stdout


def test_cram_logs_without_rescheduling(home):
    run("start", "--limit", "1", input="\n4\n")
    store = Store(home / "quiz.db")
    before = store.cards()[("modern-backbones", 1)]["card_json"]
    result = run("start", "--cram", "--limit", "1", "--tag", "residual", input="\n1\n")
    assert result.exit_code == 0
    assert "1 Again · 2 Hard · 3 Good · 4 Easy  (cram: not rescheduled)" in result.stdout  # said once
    assert [r.kind for r in store.reviews()] == ["review", "cram"]
    assert store.cards()[("modern-backbones", 1)]["card_json"] == before


def test_invalid_bank_is_one_line(home, tmp_path, monkeypatch):
    bad = tmp_path / "bad.yaml"
    bad.write_text("deck: x\ntitle: T\nquestions:\n  - id: 1\n    question: Q\n")
    monkeypatch.setenv("QUIZ_BANKS", str(bad))
    result = run("list")  # the broken bank is skipped with one line; every other deck works
    assert result.exit_code == 0
    assert result.stderr == (f"warning: {bad}:4: a question is missing required key 'answer' "
                             "(this bank is skipped; the others work; fix it: quiz edit x)\n")
    assert "Why does ResNet work?" in result.stdout


def test_a_broken_copy_of_the_built_in_deck_falls_back_to_the_built_in(home):
    from quiz.bank import builtin_dir

    (home / "banks").mkdir(parents=True)
    copy = home / "banks" / "modern-backbones.yaml"
    text = (builtin_dir() / "modern-backbones.yaml").read_text()
    copy.write_text(text.replace("- id: 2\n", "- id: two\n", 1))
    line = text[:text.index("- id: 2\n")].count("\n") + 1
    result = run("list", "--json")
    assert result.exit_code == 0
    assert result.stderr == (f"warning: {copy}:{line}: id must be an integer (this bank is skipped; the built-in "
                             "deck is read until then; fix it: quiz edit modern-backbones)\n")
    assert len(json.loads(result.stdout)) == 20


def test_user_banks_add_decks(home, tmp_path, monkeypatch):
    (home / "banks").mkdir(parents=True)
    (home / "banks" / "mine.yaml").write_text("deck: mine\ntitle: T\nquestions:\n  - id: 3\n    question: Q?\n    answer: [A]\n")
    result = run("show", "mine/3", "--json")
    assert json.loads(result.stdout)["question"] == "Q?"
    rows = json.loads(run("list", "--json").stdout)
    assert len(rows) == 21 and rows[0]["deck"] == "mine"


def test_corrupt_database_is_one_line(home):
    home.mkdir(parents=True)
    (home / "quiz.db").write_bytes(b"garbage" * 1000)
    result = run("list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {home / 'quiz.db'}: not a usable quiz database")
    assert result.stderr.count("\n") == 1


def test_daily_review_limit_is_explained(home):
    from datetime import timedelta

    from fsrs import Card

    from quiz.schedule import utcnow
    from quiz.store import card_id

    store = Store(home / "quiz.db")
    past = utcnow() - timedelta(days=3)
    store.record("modern-backbones", 1, 3, past, None, None, Card(card_id=card_id("modern-backbones", 1), due=past))
    (home / "config.toml").write_text("reviews_per_day = 0\nnew_per_day = 0\n")
    result = run("start")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Nothing to study now. Daily review limit reached (modern-backbones: 0 of 0 reviews today): " \
           "1 due card waits." in text and "quiz start --cram" in text
    (home / "config.toml").write_text("reviews_per_day = 5\nnew_per_day = 0\n")
    assert "modern-backbones #1" in run("start", input="q\n").stdout


def test_quiz_now_studies_as_of_another_time(home, monkeypatch):
    # Again at 09:00; away for 15 hours: the card is due first, and its recall is no longer 100%
    monkeypatch.setenv("QUIZ_NOW", "2031-03-01T09:00:00+00:00")
    assert run("start", "--limit", "1", input="\n1\nq\n").exit_code == 0
    monkeypatch.setenv("QUIZ_NOW", "2031-03-02T00:00:00+00:00")
    row = next(r for r in json.loads(run("list", "--json").stdout) if r["id"] == 1)
    assert row["state"] == "learning" and 0 < row["retrievability"] < 0.9
    result = run("start", input="q\n")
    assert "10 new · 1 learning · 0 review  modern-backbones #1" in result.stdout  # due: first, before new cards
    monkeypatch.setenv("QUIZ_NOW", "noon")
    result = run("list")
    assert result.exit_code == 1 and result.stderr.startswith("Error: QUIZ_NOW='noon': expected an ISO 8601 time")


def test_backup_writes_a_private_timestamped_file_and_lists_them(home, monkeypatch):
    run("start", "--limit", "1", input="\n4\n")
    monkeypatch.setenv("QUIZ_NOW", "2031-03-01T09:00:00+00:00")
    first = run("backup")
    assert first.exit_code == 0 and "Saved 1 card and 1 review of every deck" in first.stdout
    second = run("backup")  # the same second: a file of its own, never one overwritten
    files = sorted((home / "backups").glob("quiz-*.json"))
    assert len(files) == 2 and all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    assert json.loads(files[0].read_text())["format"] == "quiz-backup" and second.exit_code == 0
    listed = run("backup", "--list").stdout.splitlines()
    assert len(listed) == 2 and all("1 card, 1 review" in line for line in listed)
    assert run("restore", str(files[0])).exit_code == 1  # the home is not empty: restore says so


def test_list_says_what_it_leaves_out_at_80_columns(home):
    narrow = runner.invoke(app, ["list"], env={"COLUMNS": "80"}).stdout
    wide = runner.invoke(app, ["list"], env={"COLUMNS": "120"}).stdout
    assert "stab." not in narrow and "stability shown from 95 columns (or --json)" in " ".join(narrow.split())
    assert "stab." in wide and "stability shown" not in wide
