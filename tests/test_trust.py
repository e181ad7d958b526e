"""Proofs for any deck: a bank's own proof files, run only once trusted, in a worker process
with a time limit; `quiz new-proof` starts one; `quiz validate` checks them without running."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app

DAY14 = Path(__file__).parent / "data" / "day14-object-detection.md"
runner = CliRunner()

PROOF = '''
import torch


def run(p):
    x = torch.tensor([1.0, 2.0, 3.0])
    p.claim("the mean of 1, 2, 3 is 2", "torch.mean", f"{x.mean().item():g}", x.mean().item() == 2)
    p.takeaway(f"mean {x.mean().item():g}")
'''


def quiz(home, *args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input, env={"QUIZ_HOME": str(home), "COLUMNS": "80"})


@pytest.fixture
def deck(home):
    """Day 14 imported, question 2 given a proof file (the skeleton replaced by PROOF)."""
    assert quiz(home, "import", DAY14).exit_code == 0
    result = quiz(home, "new-proof", "object-detection/2")
    assert result.exit_code == 0, result.output
    (path,) = (home / "banks" / "proofs").glob("q02_*.py")
    path.write_text(PROOF)
    return path


def test_an_untrusted_proof_is_refused_with_its_hash_and_the_command(home, deck):
    result = quiz(home, "prove", "object-detection/2")
    assert result.exit_code == 1
    import hashlib

    digest = hashlib.sha256(deck.read_bytes()).hexdigest()
    assert result.stderr == (f"Error: {deck}: changed since you trusted it (sha256 {digest}); "
                             f"read it, then run: quiz trust {deck}\n")
    assert quiz(home, "trust", deck).exit_code == 0
    result = quiz(home, "prove", "object-detection/2")
    assert result.exit_code == 0, result.output
    assert "the mean of 1, 2, 3 is 2" in result.stdout and "1 ✓ holds" in result.stdout
    deck.write_text(PROOF.replace("== 2", "== 2.0"))  # edited: untrusted again
    result = quiz(home, "prove", "object-detection/2")
    assert result.exit_code == 1 and "changed since you trusted it" in result.stderr


def test_an_untrusted_proof_is_never_imported(home, deck, tmp_path):
    marker = tmp_path / "ran"
    deck.write_text(f"open({str(marker)!r}, 'w').close()\n" + PROOF)
    for args in (["prove", "object-detection/2"], ["prove", "--all", "--deck", "object-detection"],
                 ["prove", "object-detection/2", "--json"], ["validate"]):
        quiz(home, *args)
    result = quiz(home, "start", "--deck", "object-detection", "--prove", "--new", "20", input="\n3\n" * 20)
    assert result.exit_code == 0
    assert "changed since you trusted it" in " ".join(result.stdout.split())  # and the session went on
    assert "Session summary" in result.stdout
    assert not marker.exists()


def test_timeout_and_crash_are_one_line_naming_the_file(home, deck):
    deck.write_text("import time\n\n\ndef run(p):\n    time.sleep(30)\n")
    quiz(home, "trust", deck)
    result = quiz(home, "prove", "object-detection/2", "--timeout", "1")
    assert result.exit_code == 1
    assert result.stderr == f"Error: proof {deck} timed out after 1 s (--timeout)\n"
    deck.write_text("def run(p):\n    raise ValueError('boom')\n")
    quiz(home, "trust", deck)
    result = quiz(home, "prove", "object-detection/2")
    assert result.exit_code == 1
    assert result.stderr == f"Error: proof {deck} failed: ValueError: boom\n"
    # under a session: the same line, and the session keeps going
    result = quiz(home, "start", "--deck", "object-detection", "--prove", "--new", "20", input="\n3\n" * 20)
    assert result.exit_code == 0 and "failed: ValueError: boom" in " ".join(result.stdout.split())
    assert deck.name in result.stdout.replace("\n", "")  # (a long path is folded at 80 columns)
    assert "Session summary" in result.stdout


def test_new_proof_writes_the_claims_and_validates(home):
    assert quiz(home, "import", DAY14).exit_code == 0
    result = quiz(home, "new-proof", "object-detection/5")
    assert result.exit_code == 0
    (path,) = (home / "banks" / "proofs").glob("q05_*.py")
    text = path.read_text()
    assert "p.not_shown('Designed to handle extreme class imbalance (Foreground vs Background).'" in text
    assert "proof: proofs/q05_" in (home / "banks" / "object-detection.yaml").read_text()
    assert quiz(home, "validate").exit_code == 0
    result = quiz(home, "prove", "object-detection/5")  # trusted as written: runs, every claim a to-do
    assert result.exit_code == 0 and "3 – not shown" in result.stdout
    assert quiz(home, "new-proof", "object-detection/5").exit_code == 1  # already has one
    result = quiz(home, "new-proof", "modern-backbones/7")
    assert result.exit_code == 1 and "built-in bank" in result.stderr


@pytest.mark.parametrize("content, problem", [
    (None, r"proof file .*q02_\w+\.py not found \(question 2\)"),
    ("def run(:\n", r"q02_\w+\.py:2: not valid Python"),
    ("def main(p):\n    pass\n", r"q02_\w+\.py:1: defines no run\(p\) function"),
])
def test_validate_checks_proof_files_without_running_them(home, deck, tmp_path, content, problem):
    marker = tmp_path / "ran"
    if content is None:
        deck.unlink()
    else:
        deck.write_text(f"open({str(marker)!r}, 'w').close()\n" + content)
    result = quiz(home, "validate")
    assert result.exit_code == 1
    assert re.search(problem, result.stdout), result.stdout
    assert not marker.exists()


def test_a_proof_path_must_stay_beside_the_bank(home, tmp_path):
    bank = tmp_path / "b.yaml"
    for proof in ("../q01_x.py", "/etc/q01_x.py", "proofs/x.py"):
        bank.write_text(f"deck: b\ntitle: B\nquestions:\n  - id: 1\n    question: Q?\n    proof: {proof}\n"
                        "    answer: [a]\n")
        result = quiz(home, "validate", bank)
        assert result.exit_code == 1 and f"{bank}:6: proof " in result.stdout


def test_the_docs_example_runs_as_written(home, tmp_path):
    docs = (Path(__file__).parent.parent / "docs" / "proofs.md").read_text()
    bank_yaml, proof_py = re.findall(r"```(?:yaml|python)\n(.*?)```", docs, re.S)[:2]
    folder = home / "banks"
    (folder / "proofs").mkdir(parents=True)
    (folder / "my-deck.yaml").write_text(bank_yaml)
    proof_path = re.search(r"proof: (\S+)", bank_yaml)[1]
    (folder / proof_path).write_text(proof_py)
    assert quiz(home, "validate").exit_code == 0
    assert quiz(home, "trust", folder / proof_path).exit_code == 0
    result = quiz(home, "prove", "my-deck/1", "--json")
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    verdicts = [c["verdict"] for c in data["claims"]]
    assert verdicts == ["by definition", "holds", "fails"]
    # its controls run in the worker too, the same file with one knob changed: each measured verdict flips
    result = quiz(home, "prove", "my-deck/1", "--control", "--json")
    assert result.exit_code == 0, result.output
    flipped = [(c["verdict"], [k["verdict"] for k in c["controls"]]) for c in json.loads(result.stdout)["claims"]]
    assert flipped == [("by definition", []), ("holds", ["fails"]), ("fails", ["holds"])]
    bad = quiz(home, "prove", "my-deck/1", "--set", "divide_by=volume")
    assert bad.exit_code == 2 and "divide_by (union|area|one, default union)" in bad.stderr


def test_all_goes_on_past_an_untrusted_proof(home, deck):
    result = quiz(home, "prove", "--all", "--deck", "object-detection", "--json")
    assert result.exit_code == 1  # something could not run …
    assert "Error: object-detection/2: " in result.stderr and "quiz trust" in result.stderr
    assert quiz(home, "trust", deck).exit_code == 0
    result = quiz(home, "prove", "--all", "--deck", "object-detection", "--json")
    assert result.exit_code == 0 and [r["id"] for r in __import__("json").loads(result.stdout)] == [2]
