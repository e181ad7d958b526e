"""The proof worker runs nothing it was not given to run (issue 18): not a module from the current
directory, not a proof file swapped after its hash was checked, not a sibling module of a proof;
a timed-out proof takes whatever it forked with it; the timeout counts the proof, not the import."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pexpect
from typer.testing import CliRunner

from quiz.cli import app
from quiz.proofs.worker import Worker

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

OURS = "def run(p):\n    p.takeaway('ours ran')\n"


def quiz(home, *args):
    return runner.invoke(app, [str(a) for a in args], env={"QUIZ_HOME": str(home), "COLUMNS": "80"})


def own_proof(home, text, name="q01_mine.py"):
    """A deck `mine` whose question 1 has the proof file `text`, trusted."""
    banks = home / "banks"
    (banks / "proofs").mkdir(parents=True, exist_ok=True)
    (banks / "mine.yaml").write_text("deck: mine\ntitle: Mine\nquestions:\n  - id: 1\n    question: 'Q?'\n"
                                     f"    proof: proofs/{name}\n    answer: ['A.']\n")
    path = banks / "proofs" / name
    path.write_text(text)
    assert quiz(home, "trust", path).exit_code == 0
    return path


def test_a_session_never_imports_modules_from_the_current_directory(home, tmp_path):
    """quiz start + p in a folder holding torch.py, typing_extensions.py and a quiz/ package: the
    worker imports torch from the installed packages; none of the planted files runs."""
    cwd = tmp_path / "where-the-user-is"
    (cwd / "quiz").mkdir(parents=True)
    marker = tmp_path / "planted-code-ran"
    plant = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    for name in ("torch.py", "typing_extensions.py", "quiz/__init__.py", "pickle.py"):
        (cwd / name).write_text(plant)
    # as an installed quiz runs: the interpreter does not put the cwd on sys.path (-P); quiz from PYTHONPATH
    env = {"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "xterm", "PYTHONPATH": str(ROOT)}
    child = pexpect.spawn(sys.executable, ["-P", "-m", "quiz", "start", "--tag", "pooling"], cwd=cwd, env=env,
                          encoding="utf-8", timeout=90, dimensions=(40, 80))
    child.expect("show answer")
    child.send(" ")
    child.expect("p prove")
    child.send("p")
    child.expect(r"holds|fails|overstated")  # the proof ran, with the installed torch
    child.expect("4 Easy")
    child.send("q")
    child.expect(pexpect.EOF)
    assert not marker.exists(), marker.read_text()


def test_a_proof_runs_the_bytes_that_were_trusted_not_the_file_swapped_since(home, tmp_path):
    marker = tmp_path / "swapped-in-code-ran"
    path = tmp_path / "q01_mine.py"
    path.write_text(f"open({str(marker)!r}, 'w').close()\n" + OURS)  # on disk by the time the worker looks
    worker = Worker()
    try:
        result = worker.run(str(path), source=OURS.encode())  # what the session hashed and found trusted
    finally:
        worker.close()
    assert result.takeaways == ["ours ran"] and not marker.exists()


def test_a_proof_cannot_import_a_sibling_module_or_one_from_the_cwd(home, tmp_path, monkeypatch):
    path = own_proof(home, "import helper\n\n\n" + OURS)
    marker = tmp_path / "helper-ran"
    for folder in (path.parent, tmp_path):
        (folder / "helper.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.chdir(tmp_path)
    result = quiz(home, "prove", "mine/1")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: proof {path} failed to load: ModuleNotFoundError: No module named 'helper'"
    assert not marker.exists()


def child_gone(pid) -> bool:
    for _ in range(50):  # killed with the worker's process group (reaped by init shortly after)
        try:
            os.kill(pid, 0)
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return True
        except (ProcessLookupError, FileNotFoundError):
            return True
        time.sleep(0.1)
    return False


def test_a_timed_out_proof_takes_what_it_forked_with_it(home, tmp_path):
    pidfile = tmp_path / "child.pid"
    path = own_proof(home, "import subprocess, time\n\n\ndef run(p):\n"
                           f"    child = subprocess.Popen(['sleep', '300'])\n"
                           f"    open({str(pidfile)!r}, 'w').write(str(child.pid))\n    time.sleep(300)\n")
    result = quiz(home, "prove", "mine/1", "--timeout", "3")
    assert result.exit_code == 1 and result.stderr == f"Error: proof {path} timed out after 3 s (--timeout)\n"
    assert child_gone(int(pidfile.read_text())), "the proof's child outlived the timeout"


def test_a_worker_that_dies_takes_what_its_proof_forked_with_it(home, tmp_path):
    pidfile = tmp_path / "child.pid"
    path = own_proof(home, "import os, signal, subprocess\n\n\ndef run(p):\n"
                           f"    child = subprocess.Popen(['sleep', '300'])\n"
                           f"    open({str(pidfile)!r}, 'w').write(str(child.pid))\n"
                           "    os.kill(os.getpid(), signal.SIGKILL)  # the worker itself, as the OOM killer would\n")
    result = quiz(home, "prove", "mine/1")
    assert result.exit_code == 1
    assert result.stderr == f"Error: proof {path} failed: its worker process ended unexpectedly\n"
    assert child_gone(int(pidfile.read_text())), "the proof's child outlived its worker"


def test_the_timeout_counts_the_proof_not_the_workers_torch_import(home):
    own_proof(home, OURS)  # 0.00 s of its own; a fresh worker needs seconds to import torch first
    result = quiz(home, "prove", "mine/1", "--timeout", "0.5")
    assert result.exit_code == 0, result.output
    assert "ours ran" in result.stdout


def test_five_trusts_at_once_all_recorded(home, tmp_path):
    files = []
    for i in range(5):
        files.append(tmp_path / f"q0{i}_p.py")
        files[-1].write_text(OURS + f"# {i}\n")
    env = {**os.environ, "QUIZ_HOME": str(home)}
    procs = [subprocess.Popen([sys.executable, "-m", "quiz", "trust", str(f)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for f in files]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    import json

    trusted = json.loads((home / "trust.json").read_text())
    assert sorted(trusted) == sorted(str(f.resolve()) for f in files)


def test_code_of_a_proof_that_is_not_a_regular_file_is_refused_at_once(home, tmp_path):
    path = own_proof(home, OURS)
    path.unlink()
    path.symlink_to("/dev/zero")
    start = time.monotonic()
    result = quiz(home, "prove", "mine/1", "--code")
    assert time.monotonic() - start < 5
    assert result.exit_code == 1
    assert result.stderr == f"Error: {path}: not a regular file, so not read as a proof file\n"


def test_a_quick_proof_on_a_warm_worker_is_not_timed_out():
    """The worker's "started" and a quick proof's result reach the pipe together: both are read, and
    the session does not wait out the timeout for a reply it already holds."""
    worker = Worker()
    try:
        worker.prepare("q15_fc_layers")  # (torch imported meanwhile)
        source = OURS.encode()
        for _ in range(10):
            start = time.monotonic()
            assert worker.run("/nowhere/q01_mine.py", source=source, timeout=30).takeaways == ["ours ran"]
            assert time.monotonic() - start < 25
    finally:
        worker.close()
