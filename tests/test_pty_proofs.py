"""Proofs in a real pseudo-terminal: the background worker makes `p` quick, Ctrl-C cancels a
proof and returns to the card, and `--code` goes through the pager with its colours."""

import re
import sqlite3
import sys
import time

import pexpect
import pytest

# Loaded by every Python started with it on PYTHONPATH (the session and its proof worker):
# makes one proof hang, and marks when it started, so a test can press Ctrl-C mid-proof.
SLOW = '''
import os
if os.environ.get("QUIZ_TEST_SLOW_PROOF"):
    import time
    import quiz.proofs as proofs
    _run = proofs.run_proof

    def run_proof(name, options=None, **how):
        if name == os.environ["QUIZ_TEST_SLOW_PROOF"]:
            open(os.environ["QUIZ_TEST_SLOW_MARK"], "w").close()
            time.sleep(120)
        return _run(name, options, **how)

    proofs.run_proof = run_proof
'''


def spawn(home, args, cols=80, rows=40, **env):
    env = {"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "xterm", "COLUMNS": str(cols),
           "LINES": str(rows), **env}
    return pexpect.spawn(sys.executable, ["-m", "quiz", *args], env=env, encoding="utf-8", timeout=60,
                         dimensions=(rows, cols))


def ratings(home):
    return sqlite3.connect(home / "quiz.db").execute("SELECT qid, rating FROM reviews ORDER BY id").fetchall()


def test_prove_after_reading_costs_only_the_proofs_own_time(home):
    # q15 (the only card tagged `pooling`): the worker imports torch while the card is read
    child = spawn(home, ["start", "--prove", "--tag", "pooling"])
    child.expect("1 new · 0 learning · 0 review")
    child.expect("show answer")
    time.sleep(5)  # the learner reads the question
    start = time.perf_counter()
    child.send(" ")
    child.expect(r"· (?:\x1b\[[0-9;]*m)*(\d+\.\d+)s")  # the proof view's footer: its own compute time
    latency = time.perf_counter() - start
    own = float(child.match.group(1))
    assert latency - own < 1.0, f"{latency:.2f}s to show a proof that computed for {own:.2f}s"
    child.expect("4 Easy")  # the rating prompt under the proof, then rated
    assert workers_of(home)  # the worker is there while the session runs …
    child.send("4")
    child.expect("last card")
    child.send("q")
    child.expect("Session summary")
    child.expect(pexpect.EOF)
    assert ratings(home) == [(15, 4)]
    assert not workers_of(home), "the proof worker outlived its session"  # … and gone with it


def workers_of(home):
    """Proof worker processes started for this home (their environment names it)."""
    import os

    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read()
            env = open(f"/proc/{pid}/environ", "rb").read()
        except OSError:
            continue
        if b"quiz.proofs.worker" in cmd and f"QUIZ_HOME={home}".encode() in env:
            found.append(int(pid))
    return found


def test_ctrl_c_during_a_proof_cancels_it_and_the_session_goes_on(home, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SLOW)
    mark = tmp_path / "started"
    child = spawn(home, ["start", "--tag", "pooling"], PYTHONPATH=str(site),
                  QUIZ_TEST_SLOW_PROOF="q15_fc_layers", QUIZ_TEST_SLOW_MARK=str(mark))
    child.expect("show answer")
    child.send(" ")
    child.expect("p prove")
    child.send("p")
    deadline = time.monotonic() + 30
    while not mark.exists():  # the proof is running in the worker
        assert time.monotonic() < deadline, "the proof never started"
        time.sleep(0.1)
    child.sendintr()
    child.expect("Proof cancelled")
    child.expect("4 Easy")  # back at the card's rating prompt
    child.send("4")
    child.expect("last card")
    child.send("q")
    child.expect("Session summary")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert ratings(home) == [(15, 4)]


def test_code_goes_through_the_pager_with_colours(home, tmp_path):
    out = tmp_path / "paged.txt"
    child = spawn(home, ["prove", "7", "--code"], PAGER=f"cat > {out}")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    text = out.read_text()
    assert "\x1b[" in text  # syntax highlighting reached the pager
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert "def run(p)" in plain


@pytest.mark.parametrize("args", [["prove", "7", "--code"]])
def test_code_through_a_pipe_is_plain_source(args, home):
    import subprocess

    out = subprocess.run([sys.executable, "-m", "quiz", *args], capture_output=True, text=True,
                         env={"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0 and "\x1b" not in out.stdout and "def run(p)" in out.stdout


@pytest.mark.parametrize("select, qid", [(["--tag", "pooling"], 15), (["--limit", "1"], 1)])  # 1: a tall figure
def test_p_on_an_80x24_screen_leaves_the_proof_readable(home, select, qid):
    child = spawn(home, ["start", *select], cols=80, rows=24)
    child.expect("show answer")
    child.send(" ")
    child.expect("p prove")
    child.send("p")
    child.expect("c card")  # the rating prompt, offering the card again
    seen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before)
    lines = [line.strip("\r") for line in seen.split("\r\n")]
    start = next(i for i, line in enumerate(lines) if line.startswith(f"modern-backbones/{qid} · "))
    proof = lines[start:]
    assert "╭" not in "".join(proof)  # no card or answer panel redrawn under the proof
    assert len(proof) <= 24, "\n".join(proof)  # proof and prompt fit one 24-row screen: nothing scrolled away
    child.send("c")  # the card again, on request
    child.expect("Answer")
    child.expect("4 Easy")
    child.send("4")
    child.expect("last card")
    child.send("q")
    child.expect(pexpect.EOF)
    assert ratings(home) == [(qid, 4)]
