"""Hostile input, damaged state, crashes and concurrency: nothing is lost, nothing runs, no tracebacks."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pexpect
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from quiz import store as store_mod
from quiz.bank import BankError, parse_bank
from quiz.cli import app
from quiz.errors import QuizError
from quiz.store import Store

runner = CliRunner()
QUESTION = "  - id: 1\n    question: Q?\n    answer: [A]\n"


def env_for(home):
    return dict(os.environ, QUIZ_HOME=str(home), COLUMNS="100")


def reviews(home):
    db = sqlite3.connect(home / "quiz.db")
    try:
        return db.execute("SELECT qid, rating FROM reviews ORDER BY id").fetchall()
    finally:
        db.close()


def integrity(home):
    db = sqlite3.connect(home / "quiz.db")
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


# -- crashes ---------------------------------------------------------------------------

def test_sigkill_mid_session_keeps_every_committed_rating(home):
    child = pexpect.spawn(sys.executable, ["-m", "quiz", "start"], env=env_for(home), encoding="utf-8",
                          timeout=30, dimensions=(40, 100))
    for n, rating in enumerate([3, 1, 4], start=1):
        child.expect(f"modern-backbones #{n}")
        child.expect("show answer")
        child.send(" ")
        child.expect("4 Easy")
        child.send(str(rating))
    child.expect("modern-backbones #4")  # the next card is on screen: the third rating is committed
    child.send(" ")  # ...and the fourth card is revealed, mid-answer, when we kill it
    child.expect("4 Easy")
    os.kill(child.pid, signal.SIGKILL)
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus == signal.SIGKILL
    assert reviews(home) == [(1, 3), (2, 1), (3, 4)]
    assert integrity(home) == "ok"
    # and the next session carries on from there
    result = runner.invoke(app, ["list", "--json"], env={"QUIZ_HOME": str(home)})
    assert result.exit_code == 0


# -- concurrency ---------------------------------------------------------------------

def test_two_sessions_at_once_record_every_rating(home):
    cmd = [sys.executable, "-m", "quiz", "start", "--cram", "--limit", "15"]
    a = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=env_for(home), text=True)
    b = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=env_for(home), text=True)
    for i in range(15):  # interleave the two sessions' answers
        for proc, rating in ((a, 3), (b, 2)):
            try:
                proc.stdin.write(f"\n{rating}\n")
                proc.stdin.flush()
            except BrokenPipeError:  # that session ended early: say why
                pytest.fail(f"session ended after {i} ratings, exit {proc.wait()}: {proc.stderr.read()}")
        time.sleep(0.01)
    _, err_a = a.communicate(timeout=60)
    _, err_b = b.communicate(timeout=60)
    assert a.returncode == b.returncode == 0, err_a + err_b
    assert "locked" not in err_a + err_b
    rows = reviews(home)
    assert len(rows) == 30
    assert sorted(r for _, r in rows) == [2] * 15 + [3] * 15
    assert integrity(home) == "ok"


def test_concurrent_writers_wait_instead_of_failing(tmp_path, now):
    from fsrs import Card

    second = Store(tmp_path / "q.db")
    first = sqlite3.connect(tmp_path / "q.db", isolation_level=None, check_same_thread=False)
    first.execute("BEGIN IMMEDIATE")  # another process holds the write lock for a moment
    card = Card(card_id=1, due=now)

    def release():
        time.sleep(0.5)
        first.execute("COMMIT")

    import threading

    t = threading.Thread(target=release)
    t.start()
    second.record("d", 1, 3, now, None, None, card)
    t.join()
    assert len(second.reviews()) == 1


# -- bad state -------------------------------------------------------------------------

def make_history(home):
    result = runner.invoke(app, ["start", "--limit", "3"], input="\n3\n\n3\n\n3\n", env={"QUIZ_HOME": str(home)})
    assert result.exit_code == 0
    db = sqlite3.connect(home / "quiz.db")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


CRASH_IN_RESTORE = """
import os, sys
from quiz import backup, store
point = sys.argv[2]
if point == "progress":  # killed after the bank files and settings, before the progress commits
    store.Store.replace_progress = lambda *a, **k: os._exit(9)
elif point == "settings":  # killed after the bank files, before the settings file
    import tomli_w
    tomli_w.dumps = lambda *a, **k: os._exit(9)
else:  # "journal": killed after the progress committed, before the journal and staging went
    replace = store.Store.replace_progress
    store.Store.replace_progress = lambda *a, **k: (replace(*a, **k), os._exit(9))
backup.restore(sys.argv[1])
"""


@pytest.mark.parametrize("point", ["progress", "settings"])
def test_a_restore_killed_midway_is_finished_by_the_next_command(home, tmp_path, point):
    # a home with its own bank, progress and a setting, backed up
    (home / "banks").mkdir(parents=True)
    (home / "banks" / "mine.yaml").write_text("deck: mine\ntitle: Mine\nquestions:\n  - id: 1\n"
                                              "    question: Q?\n    answer: [a]\n")
    make_history(home)
    assert _quiz(home, "config", "set", "retention", "0.85").returncode == 0
    backup = tmp_path / "b.json"
    assert _quiz(home, "export", "-f", "json", "-o", str(backup)).returncode == 0
    fresh = tmp_path / "fresh"
    killed = subprocess.run([sys.executable, "-c", CRASH_IN_RESTORE, str(backup), point], env=env_for(fresh),
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == 9
    assert (fresh / "restore-pending.json").exists()  # the journal is left: the restore is unfinished
    listed = _quiz(fresh, "list", "--json")  # the next command, whatever it is, finishes it
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr.startswith("Finished a restore that was interrupted (3 cards)")
    assert not (fresh / "restore-pending.json").exists()
    assert json.loads(listed.stdout) == json.loads(_quiz(home, "list", "--json").stdout)  # the same cards and states
    assert (fresh / "banks" / "mine.yaml").exists()
    assert _quiz(fresh, "config", "get", "retention").stdout.strip() == "0.85"
    assert reviews(fresh) == reviews(home)
    again = _quiz(fresh, "list", "--json")
    assert again.returncode == 0 and again.stderr == ""  # finished once


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty-pages"])
def test_damaged_database_is_one_line_and_untouched(home, damage):
    make_history(home)
    path = home / "quiz.db"
    data = path.read_bytes()
    for extra in home.glob("quiz.db-*"):
        extra.unlink()
    if damage == "garbage":
        path.write_bytes(b"not a database at all " * 500)
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 3])
    else:
        path.write_bytes(data[:100] + b"\0" * (len(data) - 100))
    before = path.read_bytes()
    for args in (["list"], ["start"], ["show", "1"]):
        result = runner.invoke(app, args, env={"QUIZ_HOME": str(home)}, input="\n3\n")
        if args[0] == "show":
            assert result.exit_code == 0  # show needs no database
            continue
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith(f"Error: {path}: ")
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
        assert "move" in result.stderr  # says what to do
    assert path.read_bytes() == before


def test_future_schema_version_is_refused_untouched(home):
    make_history(home)
    path = home / "quiz.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # into the main file, so the bytes below are all of it
    db.close()
    before = path.read_bytes()
    result = runner.invoke(app, ["list"], env={"QUIZ_HOME": str(home)})
    assert result.exit_code == 1
    assert "schema version 99 is newer than this quiz understands" in result.stderr
    assert "upgrade quiz" in result.stderr
    assert path.read_bytes() == before


def test_read_only_database_is_one_line(home, monkeypatch):
    make_history(home)
    real_connect = sqlite3.connect

    def read_only(path, *args, **kwargs):  # as if the file were not writable (tests run as root)
        return real_connect(f"file:{path}?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(store_mod.sqlite3, "connect", read_only)
    result = runner.invoke(app, ["start", "--limit", "1"], input="\n3\n", env={"QUIZ_HOME": str(home)})
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {home / 'quiz.db'}: ")
    assert "readonly" in result.stderr and result.stderr.count("\n") == 1


def test_migrations_back_up_existing_data_first(tmp_path, monkeypatch, now):
    from fsrs import Card

    path = tmp_path / "quiz.db"
    s = Store(path)
    s.record("d", 1, 3, now, None, None, Card(card_id=1, due=now))
    s.close()
    extra = "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS + [extra])
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", len(store_mod.MIGRATIONS))
    s = Store(path)
    version = store_mod.SCHEMA_VERSION
    assert s.db.execute("PRAGMA user_version").fetchone()[0] == version
    backup = tmp_path / f"quiz.db.v{version - 1}.bak"
    assert backup.exists()
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == version - 1
    assert old.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 1


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "quiz.db"
    Store(path).close()
    broken = "CREATE TABLE half (x); CREATE TABLE half (x)"  # the second statement fails
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS + [broken])
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", len(store_mod.MIGRATIONS))
    with pytest.raises(QuizError):
        Store(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(store_mod.MIGRATIONS) - 1
    assert not db.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchall()


def test_database_file_is_private(home):
    make_history(home)
    assert (home / "quiz.db").stat().st_mode & 0o777 == 0o600
    assert home.stat().st_mode & 0o777 == 0o700


def test_a_home_made_beforehand_is_made_private(home):
    home.mkdir(parents=True, mode=0o755)
    home.chmod(0o755)
    make_history(home)
    assert home.stat().st_mode & 0o777 == 0o700


def test_validate_names_the_bad_question_in_a_big_bank_quickly(tmp_path):
    lines = ["deck: big", "title: Big", "questions:"]
    for i in range(1, 3001):
        lines += [f"  - id: {'x' if i == 2000 else i}", f"    question: 'Q{i}?'", "    answer: ['a']"]
    lines += ["  - id: 7", "    question: 'again?'", "    answer: ['b']"]
    bank = tmp_path / "big.yaml"
    bank.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["validate", str(bank)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"{bank}:{3 + 3 * 1999 + 1}: id must be an integer",
                                          f"{bank}:{3 + 3 * 3000 + 1}: duplicate id 7 (first used at line {3 + 3 * 6 + 1})"]


# -- hostile banks ---------------------------------------------------------------------

BOMB = "deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: Q\n    answer: &a [lol, lol, lol, lol, lol]\n" + "".join(
    f"  - id: {i}\n    question: Q\n    answer: *a\n" for i in range(2, 50))


@pytest.mark.parametrize("text,message", [
    (BOMB, "b.yaml:6: YAML aliases (*name) are not allowed in banks"),  # the anchored value's line
    ("deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: " + "x" * 10_000_000 + "\n    answer: [a]\n",
     "b.yaml:5: question 1 is too long (10,000,000 characters; at most 20,000)"),
    ("deck: d\ntitle: !!python/name:os.system\nquestions: []\n", "b.yaml:2: title must be a string"),
    ("deck: d\ntitle: T\nquestions: !!python/object/new:os.system [echo]\n", "b.yaml:3: questions must be a list of strings"),
    ("deck: d\ntitle: \"a\x00b\"\nquestions: []\n", "b.yaml:2: not valid YAML: control character U+0000 is not allowed"),
    ("deck: d\ntitle: \"a\\0b\"\nquestions: []\n", "b.yaml:2: title contains a NUL character"),
    ("deck: d\ntitle: T\nquestions:\n  - id: 99999999999999999999\n    question: Q\n    answer: [a]\n",
     "b.yaml:4: id must be an integer from 1 to 1,000,000,000, got 99999999999999999999"),
    ("deck: d\ntitle: T\nquestions:\n  - <<: {id: 1}\n    question: Q\n    answer: [a]\n",
     "b.yaml:4: keys of a question must be plain names"),
])
def test_hostile_banks_are_rejected_with_a_place(text, message):
    start = time.monotonic()
    with pytest.raises(BankError) as e:
        parse_bank(text, "b.yaml")
    assert str(e.value) == message
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("nested", ["[" * 100_000 + "]" * 100_000, "{a: " * 50_000 + "1" + "}" * 50_000])
def test_deep_nesting_is_a_located_error(nested):
    with pytest.raises(BankError, match=r"^b.yaml:3:\d+: "):
        parse_bank("deck: d\ntitle: T\nquestions: " + nested + "\n", "b.yaml")


def test_markup_and_escapes_are_shown_inert(home, monkeypatch, tmp_path):
    bank = tmp_path / "evil.yaml"
    bank.write_text(
        "deck: evil\ntitle: T\nquestions:\n  - id: 1\n"
        "    question: \"[bold red]boom[/] [link=file:///etc/passwd]x[/link] \\e[2J\\e]0;title\\a\"\n"
        "    answer: [\"\\e[31mred\\e[0m\", '[blink]b[/blink]']\n")
    result = runner.invoke(app, ["show", "evil/1", "--bank", str(bank)], env={"QUIZ_HOME": str(home)})
    assert result.exit_code == 0
    assert "[bold red]boom[/]" in result.stdout and "[link=file:///etc/passwd]x[/link]" in result.stdout
    assert "[blink]b[/blink]" in result.stdout
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


yaml_scalars = st.one_of(st.text(max_size=20), st.integers(-5, 10**12), st.booleans(), st.none(), st.floats())
yaml_values = st.recursive(yaml_scalars, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
    st.sampled_from(["deck", "title", "questions", "id", "question", "answer", "tags", "proof", "x"]) | st.text(max_size=5),
    kids, max_size=5), max_leaves=25)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_values)
def test_fuzz_structured_banks(value):
    text = yaml.safe_dump(value, allow_unicode=True)
    try:
        bank = parse_bank(text, "f.yaml")
    except BankError as e:
        assert str(e).startswith("f.yaml:") and "\n" not in str(e)
    else:
        assert bank.questions


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_raw_text(text):
    try:
        parse_bank(text, "f.yaml")
    except BankError as e:
        assert str(e).startswith("f.yaml") and "\n" not in str(e)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_bytes_from_disk(tmp_path_factory, data):
    from quiz.bank import load_bank

    path = tmp_path_factory.mktemp("fz") / "b.yaml"
    path.write_bytes(data)
    try:
        load_bank(path)
    except BankError as e:
        assert str(e).startswith(str(path)) and "\n" not in str(e)


# -- CLI input ---------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["show", "0"], ["show", "-3"], ["show", "１"], ["show", "1e3"], ["show", "99999999999999999999"],
    ["show", "modern-backbones/"], ["show", "/7"], ["show", "a/b/7"], ["show", "７"], ["show", "\u202e7"],
    ["start", "--limit", "-1"], ["start", "--new", "99999999999"], ["start", "--deck", "ü"],
    ["list", "--tag", "\x1b[31m"], ["prove", "0"], ["show", ""],
])
def test_odd_cli_input_is_a_clear_usage_error(home, args):
    result = runner.invoke(app, args, env={"QUIZ_HOME": str(home)})
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.strip() and result.stderr.count("\n") <= 4


# -- the markdown importer, fuzzed ---------------------------------------------------------

MD_LINES = st.sampled_from([
    "# Day 3: Things - Interview Questions", "# Day x: - Interview Questions", "> **Phase**: 2 - Vision",
    "> **Week**:", "> nonsense", "### 1. What?", "### 2. Why?", "### 1. Again?", "### x. Bad", "**Answer:**",
    "**Answer:** inline", "*   **Term**: text $x^2$", "*   plain", "    *   nested", "    1. numbered", "-   dash",
    "```", "```python", "---", "", "   ", "text", "$$", "| a | b |", "<!-- tags: a, b; proof: q07_x -->",
    "<!-- tags: [bold] -->", "\t*   tab", "#", "###", "*", "\x1b[31mred", "[link=x]y[/link]",
])
NOISE = st.lists(st.one_of(MD_LINES, st.text(max_size=30)), max_size=3)


@st.composite
def markdown_docs(draw):
    """Mostly well-formed documents with noise in every gap, or pure noise."""
    if draw(st.booleans()):
        return "\n".join(draw(st.lists(st.one_of(MD_LINES, st.text(max_size=30)), max_size=40)))
    lines = ["# Day 3: Things - Interview Questions", *draw(NOISE), "> **Phase**: 2 - Vision", *draw(NOISE)]
    for n in range(1, draw(st.integers(1, 4)) + 1):
        lines += [f"### {n}. {draw(st.text(min_size=1, max_size=20))}", *draw(NOISE), "**Answer:**"]
        lines += [f"*   {draw(st.text(max_size=25))}" for _ in range(draw(st.integers(0, 3)))]
        lines += draw(NOISE)
    return "\n".join(lines)


MD_TEXT = markdown_docs()


@settings(max_examples=300, deadline=None)
@given(MD_TEXT)
def test_fuzz_markdown_importer(text):
    from quiz.bank import bank_yaml
    from quiz.importer import MarkdownError, parse_markdown

    try:
        p = parse_markdown(text, "f.md", deck="fz")
    except MarkdownError as e:
        assert str(e).startswith("f.md:") and "\n" not in str(e)
        return
    bank = parse_bank(bank_yaml(p.deck, p.title, p.meta, p.questions), "fz.yaml")  # what import writes: valid
    assert bank.questions and all(q.answer for q in bank.questions)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_markdown_files_from_disk(tmp_path_factory, data):
    from quiz.importer import MarkdownError, parse_markdown, read_markdown

    path = tmp_path_factory.mktemp("md") / "f.md"
    path.write_bytes(data)
    try:
        parse_markdown(read_markdown(path), str(path), deck="fz")
    except MarkdownError as e:
        assert str(e).startswith(str(path) + ":") and "\n" not in str(e)


# -- one clear line, exit 1/2, nothing written (issue 12) ---------------------------------

def _quiz(home, *args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, **env):
    return subprocess.run([sys.executable, "-m", "quiz", *args], stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=60, env={"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin", **env})


@pytest.mark.parametrize("args", [["import", "/dev/zero"], ["validate", "/dev/zero"], ["restore", "/dev/zero"],
                                  ["list", "--bank", "/dev/zero"]])
def test_endless_input_is_refused_by_bytes_read(home, args):
    result = _quiz(home, *args)
    said = result.stderr + result.stdout
    # a bank that cannot be read is skipped with one warning line; the other decks are listed
    assert result.returncode == (0 if args[0] == "list" else 1)
    assert "too large" in said or "not a regular file" in said
    assert "Traceback" not in result.stderr


def test_parallel_config_set_keeps_every_setting(home):
    procs = [subprocess.Popen([sys.executable, "-m", "quiz", "config", "set", key, value], env={
        "QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin"}, stderr=subprocess.PIPE, text=True)
        for key, value in [("new_per_day", "7"), ("reviews_per_day", "77"), ("retention", "0.85"),
                           ("default_deck", "modern-backbones")] * 3]
    assert all(p.wait(60) == 0 for p in procs), [p.stderr.read() for p in procs]
    from quiz import config

    values = config.load()
    assert (values["new_per_day"], values["reviews_per_day"], values["retention"]) == (7, 77, 0.85)
    assert not list(home.glob("*.tmp"))


def test_parallel_per_deck_limits_keep_every_deck(home):
    (home / "banks").mkdir(parents=True)
    decks = [f"deck-{n}" for n in range(6)]
    for d in decks:
        (home / "banks" / f"{d}.yaml").write_text(f"deck: {d}\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n"
                                                  "    answer: [A]\n")
    procs = [subprocess.Popen([sys.executable, "-m", "quiz", "config", "set", "new_per_day", str(n + 1), "--deck", d],
                              env={"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin"}, stderr=subprocess.PIPE, text=True)
             for n, d in enumerate(decks)]
    assert all(p.wait(60) == 0 for p in procs), [p.stderr.read() for p in procs]
    from quiz import config

    assert config.load()["new_per_day_by_deck"] == {d: n + 1 for n, d in enumerate(decks)}


def test_backups_taken_at_once_in_one_second_are_all_kept(home):
    env = {"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin", "QUIZ_NOW": "2031-03-01T09:00:00+00:00"}
    procs = [subprocess.Popen([sys.executable, "-m", "quiz", "backup"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    assert all(p.wait(60) == 0 for p in procs), [p.stderr.read() for p in procs]
    said = sorted(p.stdout.read().split(" to ")[1].split(" (")[0] for p in procs)
    assert len(set(said)) == 6 and sorted(str(f) for f in (home / "backups").glob("quiz-*.json")) == said


def test_quiz_home_that_is_a_file(tmp_path):
    f = tmp_path / "home"
    f.write_text("x")
    for args in (["list"], ["stats"], ["config", "set", "new_per_day", "5"]):
        result = _quiz(f, *args)
        assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["list", "--json"], ["list"], ["export", "-f", "csv"]])
def test_a_full_stdout_is_one_line(home, args):
    with open("/dev/full", "w") as full:
        result = _quiz(home, *args, stdout=full)
    assert result.returncode == 1
    assert result.stderr == "Error: cannot write the output: No space left on device\n"


def test_a_closed_pipe_is_quiet(home):
    proc = subprocess.Popen(f"{sys.executable} -m quiz list --json | head -c 10 > /dev/null", shell=True,
                            stderr=subprocess.PIPE, text=True, env={"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert "Traceback" not in proc.communicate(timeout=60)[1]


def test_closed_stdin_bad_retention_bad_tz(home):
    result = subprocess.run(f"{sys.executable} -m quiz start <&-", shell=True, capture_output=True, text=True,
                            env={"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0 and "Traceback" not in result.stderr
    result = _quiz(home, "start", "--retention", "1e-50")
    assert result.returncode == 2 and "between 0.7 and 0.99" in result.stderr
    result = _quiz(home, "stats", TZ="UTC+25")
    assert result.returncode == 1 and result.stderr.startswith("Error: TZ='UTC+25' is not a usable time zone")


def test_export_never_makes_folders(home, tmp_path):
    for fmt in ("csv", "json", "md", "apkg"):
        result = _quiz(home, "export", "-f", fmt, "--deck", "modern-backbones", "-o", str(tmp_path / "no" / f"x.{fmt}"))
        assert result.returncode == 1 and "create it first" in result.stderr
    assert not (tmp_path / "no").exists()


def test_markdown_export_escapes_lines_that_would_start_a_question(home, tmp_path):
    bank = tmp_path / "b.yaml"
    bank.write_text('deck: rt\ntitle: RT\nquestions:\n  - id: 1\n    question: "multi\\n### 4. line\\n**Answer:** no"\n'
                    '    answer: ["a\\n\\n### 2. not a question"]\n  - id: 2\n    question: Two?\n    answer: [b]\n')
    md = tmp_path / "rt.md"
    assert _quiz(home, "export", "-f", "md", "--bank", str(bank), "--deck", "rt", "-o", str(md)).returncode == 0
    assert _quiz(home, "import", str(md), "--deck", "rt2").returncode == 0
    from quiz.bank import load_bank

    a, b = load_bank(bank), load_bank(home / "banks" / "rt2.yaml")
    assert [(q.id, q.question, q.answer) for q in a.questions] == [(q.id, q.question, q.answer) for q in b.questions]


def _valid_backup(tmp_path_factory):
    from quiz import schedule as sch
    from quiz.backup import document as backup
    from quiz.store import Store, card_id

    d = tmp_path_factory.mktemp("src")
    store = Store(d / "q.db")
    now = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
    c = sch.review(sch.scheduler(fuzz=False), sch.new_card(card_id("modern-backbones", 1), now), 3, now)
    store.record("modern-backbones", 1, 3, now, 1000, None, c)
    bank_file = d / "mine.yaml"
    bank_file.write_text("deck: mine\ntitle: Mine\nquestions:\n  - id: 1\n    question: Q?\n    answer: [a]\n")
    from quiz.bank import load_bank

    return json.loads(json.dumps(backup([load_bank(bank_file)], store)))


json_values = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=30),
                           lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
                           max_leaves=8)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_restore_is_all_or_nothing(tmp_path_factory, data):
    from quiz.backup import restore
    from quiz.errors import QuizError

    backup = _valid_backup(tmp_path_factory)
    # break one field somewhere in the backup, as a damaged or hand-edited file would — down to the
    # fields of the FSRS card each row carries as JSON (its step, stability, due …)
    table = data.draw(st.sampled_from(["cards", "reviews", "parameters", "banks", "settings", "top", "card"]))
    if table == "top":
        key = data.draw(st.sampled_from(["format", "version", "scope", "deck", "settings", "banks", "cards", "reviews"]))
        backup[key] = data.draw(json_values)
    elif table == "card":
        row = data.draw(st.sampled_from(backup["cards"] + backup["reviews"]))
        key = data.draw(st.sampled_from(sorted(k for k in row if k.endswith("_json") and row[k])))
        card = json.loads(row[key])
        card[data.draw(st.sampled_from(sorted(card)))] = data.draw(json_values | st.integers(-10, 10))
        row[key] = json.dumps(card)
    elif table == "settings":
        backup["settings"][data.draw(st.sampled_from(["new_per_day", "retention", "default_deck", "x"]))] = \
            data.draw(json_values)
    elif backup[table]:
        row = backup[table][0]
        row[data.draw(st.sampled_from(sorted(row)))] = data.draw(json_values)
    home = tmp_path_factory.mktemp("home")
    path = home.parent / f"{home.name}.json"
    path.write_text(json.dumps(backup))
    before = os.environ["QUIZ_HOME"]
    os.environ["QUIZ_HOME"] = str(home)
    try:
        restore(path)
    except QuizError as e:
        assert "\n" not in str(e)
        assert not (home / "banks").exists() and not (home / "config.toml").exists()
        assert not list(home.glob("restore-pending*"))
        if (home / "quiz.db").exists():
            from quiz.store import Store

            assert Store(home / "quiz.db").count_rows() == 0
    else:  # what was accepted must be usable: every card loads and its log replays
        from quiz.backup import read

        read(path)  # accepted once, accepted again
        for args, typed in ((["list", "--json"], ""), (["start", "--limit", "1"], "\n3\n")):  # read, then rate
            result = runner.invoke(app, args, input=typed, env={"QUIZ_HOME": str(home)})
            assert result.exit_code == 0, (args, result.output)
    finally:
        os.environ["QUIZ_HOME"] = before  # never unset: the next example must not fall back to the user's home


def test_a_read_only_home_reads_and_refuses_to_rate(home):
    make_history(home)
    script = (f"mount --bind -o ro {home} {home} && mount -o remount,bind,ro {home} && "
              f"{sys.executable} -m quiz list --json > /dev/null && echo LIST-OK && "
              f"{sys.executable} -m quiz stats > /dev/null && echo STATS-OK && "
              f"{sys.executable} -m quiz export -f csv | wc -l && "
              f"{sys.executable} -m quiz start < /dev/null")
    try:
        result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=60,
                                env={"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin"})
    except FileNotFoundError:
        pytest.skip("no unshare here")
    if "mount" in result.stderr and "LIST-OK" not in result.stdout:
        pytest.skip(f"cannot mount read-only here: {result.stderr.strip()}")
    assert "LIST-OK" in result.stdout and "STATS-OK" in result.stdout, result.stderr
    assert result.stdout.split()[2] == "4"  # the csv: a header and the three ratings
    assert result.returncode == 1
    assert result.stderr.endswith("ratings cannot be saved; reading commands (list, stats, export) still work\n")


def test_a_journal_left_after_the_progress_committed_never_replays_over_later_ratings(home, tmp_path):
    """The restore is killed after its transaction committed, before its journal went; a session then
    rates two cards; the next command must not apply the restore again (the ratings would be gone)."""
    make_history(home)
    backup = tmp_path / "b.json"
    assert _quiz(home, "export", "-f", "json", "-o", str(backup)).returncode == 0
    fresh = tmp_path / "fresh"
    killed = subprocess.run([sys.executable, "-c", CRASH_IN_RESTORE, str(backup), "journal"], env=env_for(fresh),
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == 9, killed.stderr
    assert (fresh / "restore-pending.json").exists()
    restored = reviews(fresh)
    assert restored == reviews(home)
    # a session rates two more cards ("back in 10d" on screen): committed, each in its own transaction
    env = {"QUIZ_HOME": str(fresh)}
    rated = runner.invoke(app, ["start", "--limit", "2", "--new", "2"], input="\n4\n\n4\n", env=env)
    assert rated.exit_code == 0, rated.output
    assert len(reviews(fresh)) == len(restored) + 2
    listed = _quiz(fresh, "list", "--json")
    assert listed.returncode == 0 and "Finished a restore" not in listed.stderr
    assert len(reviews(fresh)) == len(restored) + 2  # both ratings kept
    assert not (fresh / "restore-pending.json").exists() and not (fresh / "restore-pending.db").exists()


def test_a_session_open_during_a_restore_stops_before_it_rates(home, tmp_path):
    """A session is on its second card when another shell restores a backup with --force: the session's
    next rating is refused with a message (it would rate a card the restore replaced); the rating it
    made before the restore is kept in the snapshot the restore took."""
    make_history(home)
    backup = tmp_path / "b.json"
    assert _quiz(home, "export", "-f", "json", "-o", str(backup)).returncode == 0
    child = pexpect.spawn(sys.executable, ["-m", "quiz", "start", "--new", "5"], env=env_for(home), encoding="utf-8",
                          timeout=60, dimensions=(40, 100))
    child.expect("show answer")
    child.send(" ")
    child.expect("4 Easy")
    child.send("4")
    child.expect("back in")  # the first rating is committed
    before = reviews(home)
    done = _quiz(home, "restore", str(backup), "--force")
    assert done.returncode == 0, done.stderr
    assert reviews(home) == before[:-1]  # the backup's progress, without the session's rating …
    (saved,) = (home / "backups").glob("before-restore-*")
    snap = sqlite3.connect(saved / "quiz.db")
    assert snap.execute("SELECT qid, rating FROM reviews ORDER BY id").fetchall() == before  # … which is kept here
    child.expect("show answer")
    child.send(" ")
    child.expect("4 Easy")
    child.send("3")
    child.expect(r"this home was restored \(quiz restore\) while this ran: nothing more is saved here")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert reviews(home) == before[:-1]  # nothing written over the restored progress


# -- issue 18: one line for every bad input, with advice that is true -------------------------

@pytest.mark.parametrize("args", [["mock", "--minutes", "nan"], ["prove", "15", "--timeout", "nan"],
                                  ["prove", "15", "--timeout", "inf"], ["start", "--timeout", "nan"]])
def test_not_a_number_is_refused_as_usage(home, args):
    result = _quiz(home, *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is not a finite number" in result.stderr or "not in the range" in result.stderr


def test_closed_stdout_is_one_line(home):
    result = subprocess.run(f"{sys.executable} -m quiz list >&-", shell=True, capture_output=True, text=True,
                            env={"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert result.returncode == 1
    assert result.stderr == "Error: cannot write the output: standard output is closed\n"


def test_file_names_that_are_not_utf8_or_hold_escapes(home, tmp_path):
    banks = home / "banks"
    banks.mkdir(parents=True)
    odd = os.fsencode(banks) + b"/odd\xff.yaml"
    with open(odd, "wb") as f:
        f.write(b"deck: odd\ntitle: Odd\nquestions:\n  - id: 1\n    question: Q?\n    answer: [a]\n")
    for args in (["list"], ["validate"], ["stats"], ["export", "-f", "csv"], ["list", "--json"]):
        result = _quiz(home, *args)
        assert result.returncode == 0 and "Traceback" not in result.stderr, (args, result.stderr)
    with open(odd, "ab") as f:
        f.write(b"  - id: 1\n    question: Again?\n    answer: [b]\n")  # a problem: the message names the file
    assert "odd\\xff.yaml:7: duplicate id 1" in _quiz(home, "validate", os.fsdecode(odd)).stdout  # the byte, typeable
    md = tmp_path / "a\x1b[31mb\x85c.md"
    md.write_text((Path(__file__).parent / "data" / "day14-object-detection.md").read_text())
    imported = _quiz(home, "import", str(md))
    assert imported.returncode == 0 and "\x1b" not in imported.stdout + imported.stderr
    written = imported.stdout.split("→ ")[1].split("\n")[0]
    assert Path(written).is_file()  # the file it names is the file it wrote
    md.write_text("no questions here\n")
    checked = _quiz(home, "validate", str(md))
    assert checked.returncode == 1 and f"{tmp_path}/a\\x1b[31mb\\x85c.md:" in checked.stdout  # the name as it is


def test_a_markdown_link_shows_its_real_target(home, tmp_path):
    bank = tmp_path / "l.yaml"
    bank.write_text("deck: l\ntitle: L\nquestions:\n  - id: 1\n    question: Q?\n"
                    "    answer: ['read [https://pytorch.org/docs](http://evil.example/phish) first']\n")
    result = _quiz(home, "show", "l/1", "--bank", str(bank), FORCE_COLOR="1", TERM="xterm", COLUMNS="100")
    assert "\x1b]8;" not in result.stdout  # no hidden hyperlink
    assert "https://pytorch.org/docs (http://evil.example/phish)" in result.stdout.replace("\x1b[0m", "").replace(
        "\x1b[94m", "").replace("\x1b[4;34m", "")


def _limited(kilobytes):
    import resource

    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (kilobytes * 1024, kilobytes * 1024))


def test_a_full_disk_is_not_called_a_damaged_database(home):
    cmd = [sys.executable, "-m", "quiz", "start", "--new", "20", "--limit", "20"]
    env = {"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin"}
    fresh = subprocess.run(cmd, input="\n3\n", capture_output=True, text=True, env=env, preexec_fn=_limited(4), timeout=60)
    assert fresh.returncode == 1
    assert fresh.stderr.strip().endswith("a file-size limit stopped the write (raise ulimit -f and run again); "
                                         "what was saved before is intact")
    assert "move" not in fresh.stderr and fresh.stderr.count("\n") == 1
    for extra in home.glob("quiz.db*"):
        extra.unlink()
    subprocess.run(cmd[:4] + ["--limit", "1"], input="\n3\n", capture_output=True, text=True, env=env, timeout=60)
    kept = reviews(home)
    mid = subprocess.run(cmd, input="\n3\n" * 20, capture_output=True, text=True, env=env, preexec_fn=_limited(60),
                         timeout=60)
    assert mid.returncode == 1 and "cannot save to it: a file-size limit" in mid.stderr and "move" not in mid.stderr
    assert reviews(home)[:len(kept)] == kept and integrity(home) == "ok"  # all committed ratings, a sound file


def test_restore_force_with_a_fifo_and_a_dangling_link_in_banks(home, tmp_path):
    make_history(home)
    backup = tmp_path / "b.json"
    assert _quiz(home, "export", "-f", "json", "-o", str(backup)).returncode == 0
    (home / "banks").mkdir(exist_ok=True)
    os.mkfifo(home / "banks" / "fifo.yaml")
    (home / "banks" / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    result = _quiz(home, "restore", str(backup), "--force")  # (would hang on the FIFO before)
    assert result.returncode == 0, result.stderr
    (saved,) = (home / "backups").glob("before-restore-*")
    assert (saved / "banks" / "gone.yaml").is_symlink() and not (saved / "banks" / "fifo.yaml").exists()


def test_quiz_home_that_is_a_file_is_named_as_such(tmp_path):
    home = tmp_path / "home"
    home.write_text("not a folder")
    for args in (["import", str(Path(__file__).parent / "data" / "day14-object-detection.md")], ["start"]):
        result = _quiz(home, *args)
        assert result.returncode == 1
        assert result.stderr == f"Error: {home} is a file, not a folder: point QUIZ_HOME at a folder\n"


def test_a_database_left_readable_by_others_is_made_private_again(home):
    make_history(home)
    (home / "quiz.db").chmod(0o644)  # as a kill right after creating it once left it
    assert _quiz(home, "list").returncode == 0
    assert (home / "quiz.db").stat().st_mode & 0o777 == 0o600
