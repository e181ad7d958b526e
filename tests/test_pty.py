"""`quiz start` in a real pseudo-terminal: single keys, undo, Ctrl-C."""

import re
import sqlite3
import sys

import pexpect
import pytest

ANSWER = "Answer"
RATE = "4 Easy"


def spawn(home, *args, **more):
    env = {"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "xterm", "COLUMNS": "100", "LINES": "40", **more}
    return pexpect.spawn(sys.executable, ["-m", "quiz", "start", *args], env=env, encoding="utf-8", timeout=30,
                         dimensions=(40, 100))


def ratings(home):
    db = sqlite3.connect(home / "quiz.db")
    return db.execute("SELECT qid, rating FROM reviews ORDER BY id").fetchall()


def test_space_reveals_digit_rates_u_undoes_ctrl_c_quits(home):
    child = spawn(home, "--limit", "5")
    child.expect("5 new · 0 learning · 0 review")
    child.expect("modern-backbones #1")
    child.expect("Space/Enter: show answer")
    child.send(" ")  # Space reveals, no Enter needed
    child.expect(ANSWER)
    child.expect(RATE)
    child.send("3")  # a digit rates at once
    child.expect(r"Good on modern-backbones/1 → back in 10m")  # what was recorded: the label's own words
    child.expect("modern-backbones #2")
    child.expect("show answer")
    child.send("\r")  # Enter reveals too
    child.expect(RATE)
    child.send("4")
    child.expect("modern-backbones #3")
    child.expect("u: undo")
    child.send("u")  # back to card 2, its rating removed
    child.expect("Undone")
    child.expect("modern-backbones #2")
    child.expect("show answer")
    assert ratings(home) == [(1, 3)]
    child.send(" ")
    child.expect(RATE)
    child.send("4")
    child.expect("modern-backbones #3")
    child.expect("show answer")
    child.sendintr()  # Ctrl-C behaves like q
    child.expect("Session summary")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert ratings(home) == [(1, 3), (2, 4)]
    assert sqlite3.connect(home / "quiz.db").execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_ctrl_c_at_the_rating_prompt_and_q(home):
    child = spawn(home)
    child.expect("show answer")
    child.send(" ")
    child.expect(RATE)
    child.send("2")
    child.expect("modern-backbones #2")
    child.expect("show answer")
    child.send(" ")
    child.expect(RATE)
    child.sendintr()
    child.expect("Session summary")
    child.expect(pexpect.EOF)
    assert ratings(home) == [(1, 2)]
    child = spawn(home)
    child.expect("show answer")
    child.send("q")
    child.expect("Session summary")
    child.expect(pexpect.EOF)
    assert ratings(home) == [(1, 2)]


def test_keys_typed_ahead_are_each_handled_in_order(home):
    # Space, a rating, Space, a rating and q, all typed before the first card is drawn: none is lost
    child = spawn(home, "--limit", "3")
    child.send(" 4 4q")
    child.expect("Session summary")
    child.expect(pexpect.EOF)
    assert ratings(home) == [(1, 4), (2, 4)]
    # a burst read at once (a paste, a fast typist) is each key in turn too
    child = spawn(home, "--limit", "3")
    child.expect("show answer")
    child.send(" 3")
    child.expect("Good on modern-backbones/3")
    child.send("q")
    child.expect(pexpect.EOF)
    assert ratings(home)[-1] == (3, 3)


@pytest.mark.parametrize("key", ["x", "9"])
def test_other_keys_are_ignored(home, key):
    child = spawn(home, "--limit", "1")
    child.expect("show answer")
    child.send(key)
    child.send(" ")
    child.expect(RATE)
    child.send(key)
    child.send("4")
    child.expect("That was the last card")
    child.send("\r")
    child.expect("Session summary")
    child.expect(pexpect.EOF)
    assert ratings(home) == [(1, 4)]


def test_the_last_rating_can_be_undone_too(home):
    child = spawn(home, "--limit", "1")
    child.expect("show answer")
    child.send(" ")
    child.expect(RATE)
    child.send("4")
    child.expect("u: undo its rating")
    child.send("u")
    child.expect("Undone")
    child.expect("modern-backbones #1")
    child.expect("show answer")
    assert ratings(home) == []
    child.send(" ")
    child.expect(RATE)
    child.send("4")
    child.expect("That was the last card")
    child.send("x")  # any other key finishes
    child.expect("Session summary")
    child.expect(pexpect.EOF)
    assert ratings(home) == [(1, 4)]


def test_a_failed_card_comes_back_in_the_session(home):
    child = spawn(home, "--limit", "2")
    child.expect("2 new · 0 learning · 0 review")
    child.expect("modern-backbones #1")
    child.send(" ")
    child.expect(RATE)
    child.send("1")  # Again: back in 1 minute
    child.expect("Again on modern-backbones/1 → back in 1m")
    child.expect("1 new · 1 learning · 0 review")
    child.expect("modern-backbones #2")
    child.send(" ")
    child.expect(RATE)
    child.send("4")
    child.expect("0 new · 1 learning · 0 review")  # nothing else left: it comes now
    child.expect("modern-backbones #1")
    child.send(" ")
    child.expect(RATE)
    child.send("4")
    child.expect("That was the last card")
    child.send("q")
    child.expect(pexpect.EOF)
    assert ratings(home) == [(1, 1), (2, 4), (1, 4)]


def test_bury_suspend_flag_help_and_undo_in_a_session(home):
    child = spawn(home, "--limit", "3")
    child.expect("modern-backbones #1")
    child.expect("show answer")
    child.send("?")
    child.expect("@ suspend")
    child.send("*")
    child.expect("Flagged modern-backbones/1")
    child.send("-")
    child.expect("Buried modern-backbones/1 until tomorrow")
    child.expect("modern-backbones #2")
    child.send(" ")
    child.expect(RATE)
    child.send("@")  # at the rating prompt too
    child.expect("Suspended modern-backbones/2")
    child.expect("modern-backbones #3")
    child.expect("show answer")
    child.send("u")
    child.expect("Undone: modern-backbones/2 is no longer suspended")
    child.expect("modern-backbones #2")
    child.send("q")
    child.expect(pexpect.EOF)
    db = sqlite3.connect(home / "quiz.db")
    marks = db.execute("SELECT qid, suspended, buried_until IS NOT NULL, flagged FROM card_marks ORDER BY qid").fetchall()
    assert marks == [(1, 0, 1, 1), (2, 0, 0, 0)]
    child = run_in_pty(home, "unsuspend", "1")  # buried, not suspended: it says so, and how
    assert " ".join(child.read().split()) == ("modern-backbones/1 was not suspended; it is buried until tomorrow: "
                                              "quiz unbury modern-backbones/1")
    child = run_in_pty(home, "unbury", "1")
    child.expect("Unburied: modern-backbones/1")
    child.expect(pexpect.EOF)
    assert db.execute("SELECT buried_until FROM card_marks WHERE qid = 1").fetchone() == (None,)


def test_e_edits_the_card_in_a_session(home, tmp_path):
    editor = tmp_path / "ed.sh"
    editor.write_text('#!/bin/sh\nsed -i "s/Why does ResNet work?/Why do skips help?/" "$2"\n')
    editor.chmod(0o755)
    child = spawn(home, "--limit", "1", EDITOR=str(editor))
    child.expect("show answer")
    child.send("e")
    child.expect("editing your copy")
    child.expect("Why do skips help?")  # the card drawn again, as edited
    child.expect("show answer")
    child.send(" ")
    child.expect(RATE)
    child.send("4")
    child.expect("last card")
    child.send("q")
    child.expect(pexpect.EOF)
    assert "Why do skips help?" in (home / "banks" / "modern-backbones.yaml").read_text()
    assert ratings(home) == [(1, 4)]


def test_ctrl_c_while_typing_goes_back_to_the_card(home):
    child = spawn(home, "--limit", "1")
    child.expect("show answer")
    child.send("t")
    child.expect("› ")
    child.send("half an ans")
    child.sendintr()
    child.expect("Typing cancelled: back to the card")
    child.expect("show answer")
    child.send(" ")
    child.expect(RATE)
    child.send("4")
    child.expect("last card")
    child.send("q")
    child.expect(pexpect.EOF)
    assert ratings(home) == [(1, 4)]


def test_typed_answer_edits_with_arrows_and_takes_a_pasted_block(home):
    child = spawn(home, "--type", "--limit", "1")
    child.expect("ends it")
    child.expect("› ")
    child.send("gradent" + "\x1b[D" * 3 + "i" + "\x1b[F" + " flow\r")  # ← ← ← i End: "gradient flow"
    child.send("\x1b[200~skip connection\r\nidentity mapping\r\nsmoother loss\x1b[201~")  # a pasted block
    child.send("\r")  # a new line …
    child.send("\r")  # … left empty: the answer is done
    child.expect("Answer")
    child.expect(RATE)
    seen = re.sub(r"\x1b\[[0-9;]*m", "", child.before)
    assert "key terms ✓ Gradient Flow, identity, skip, connection" in seen  # the edited word counts
    assert "Answer" not in seen  # one answer panel, drawn once
    child.send("4")
    child.expect("last card")
    child.send("q")
    child.expect(pexpect.EOF)
    assert ratings(home) == [(1, 4)]


def run_in_pty(home, *args, **env):
    child = pexpect.spawn(sys.executable, ["-m", "quiz", *args], encoding="utf-8", timeout=30, dimensions=(40, 100),
                          env={"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "xterm", "COLUMNS": "100",
                               "LINES": "40", **env})
    return child


def test_card_management_round_trips_in_a_terminal(home, tmp_path):
    child = run_in_pty(home, "suspend", "1")
    child.expect("Suspended: modern-backbones/1")
    child.expect(pexpect.EOF)
    child = run_in_pty(home, "bury", "2")
    child.expect("Buried until tomorrow: modern-backbones/2")
    child.expect(pexpect.EOF)
    child = spawn(home, "--limit", "1")  # 1 suspended, 2 buried: the session starts at 3
    child.expect("modern-backbones #3")
    child.send(" ")
    child.expect(RATE)
    child.send("4")
    child.expect("last card")
    child.send("q")
    child.expect(pexpect.EOF)
    child = run_in_pty(home, "reset", "3")
    child.expect(r"Reset to new: modern-backbones/3 \(1 review kept")
    child.expect(pexpect.EOF)
    child = run_in_pty(home, "search", "stochastic depth")
    child.expect("modern-backbones/9")
    child.expect("1 question")
    child.expect(pexpect.EOF)
    (home / "banks").mkdir(parents=True, exist_ok=True)
    bank = home / "banks" / "mine.yaml"
    bank.write_text("deck: mine\ntitle: T\nquestions:\n  - id: 1\n    question: Old?\n    answer: [a]\n")
    editor = tmp_path / "ed.sh"
    editor.write_text('#!/bin/sh\nsed -i "s/Old?/New?/" "$2"\n')
    editor.chmod(0o755)
    child = run_in_pty(home, "edit", "mine/1", EDITOR=str(editor))
    child.expect("OK")
    child.expect(pexpect.EOF)
    assert "New?" in bank.read_text()
    assert ratings(home) == [(3, 4)]  # the reset review stays in the log


def output_in_pty(home, args, rows, pager_file):
    env = {"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "xterm", "COLUMNS": "80", "LINES": str(rows),
           "PAGER": f"cat > {pager_file}"}
    child = pexpect.spawn(sys.executable, ["-m", "quiz", *args], env=env, encoding="utf-8", timeout=30,
                          dimensions=(rows, 80))
    out = child.read()
    child.close()
    assert child.exitstatus == 0, out
    return out


@pytest.mark.parametrize("args", [["list"], ["search", "the"], ["stats"]])
def test_long_output_goes_through_the_pager_short_output_does_not(home, tmp_path, args):
    paged = tmp_path / "paged.txt"
    output_in_pty(home, args, 12, paged)  # taller than a 12-row terminal: the pager gets it, with colours
    text = paged.read_text()
    assert "\x1b[" in text and len(text.splitlines()) > 12
    paged.unlink()
    out = output_in_pty(home, args, 200, paged)  # fits a 200-row terminal: printed as is, no pager
    assert not paged.exists() and len(out.splitlines()) > 12


def test_typed_lines_wrap_at_words():
    from quiz.ui import wrap_pads

    text = "the identity skip connection keeps the gradient flowing backwards unimpeded through every block"
    for room in (20, 30, 45, 73):
        pads = wrap_pads(text, room)
        shown = "".join(" " * pads.get(i, 0) + c for i, c in enumerate(text))
        rows = [shown[k:k + room] for k in range(0, len(shown), room)]
        assert all(not (a[-1:].isalnum() and b[:1].isalnum()) for a, b in zip(rows, rows[1:])), rows  # no word cut
        assert " ".join("".join(rows).split()) == text
    assert wrap_pads("short", 30) == {}
