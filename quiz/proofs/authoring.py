"""Writing proofs for one's own deck: `quiz new-proof deck/N` and the checks `quiz validate` makes
of a bank's proof files, without executing anything. It lives with the proofs because its skeleton is
proof code; the module itself imports nothing heavy."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from quiz.bank import PROOF_FILE, Question
from quiz.errors import QuizError

SKELETON = '''"""{key}: {question}

A proof for quiz (docs/proofs.md). Each answer bullet below is a claim to measure: replace
its p.not_shown(...) with p.claim(...) once an experiment decides it, p.by_definition(...)
if it is true by arithmetic, or p.published(...) for a paper's figure. Then: quiz trust {path}
"""

import torch

from quiz.proofs._tools import seed


def run(p):
    seed()
{claims}
    p.takeaway("todo: what to say in the interview, from this run's numbers")
'''


def slug(text: str, words: int = 3) -> str:
    found = re.findall(r"[a-z0-9]+", text.lower())
    stop = {"what", "is", "the", "a", "an", "of", "how", "does", "do", "why", "are", "we", "in", "and", "or", "to"}
    return "_".join([w for w in found if w not in stop][:words]) or "proof"


def skeleton(q: Question, relpath: str) -> str:
    from quiz.text import plain

    lines = []
    for bullet in q.answer:
        claim = plain(bullet).replace("**", "")
        lines.append(f"    p.not_shown({claim!r}, \"todo: measure it\")")
    return SKELETON.format(key=q.key, question=plain(q.question).replace('"""', "'''"), path=relpath,
                           claims="\n".join(lines))


def new_proof(q: Question) -> tuple[Path, str]:
    """Write a skeleton proof beside q's bank and name it in the bank (`proof: proofs/qNN_x.py`).
    Returns (the file, its path relative to the bank)."""
    from quiz.bank import builtin_dir
    from quiz.bank import write_bank
    from quiz.files import write_atomic

    bank_file = Path(q.source.rsplit(":", 1)[0])
    if bank_file.resolve().parent == builtin_dir().resolve():
        raise QuizError(f"{q.key} is in a built-in bank; copy {bank_file.name} to $QUIZ_HOME/banks/ first")
    if q.proof:
        raise QuizError(f"{q.key} already has a proof: {q.proof}")
    rel = f"proofs/q{q.id:02d}_{slug(q.question)}.py"
    target = bank_file.parent / rel
    if target.exists():
        raise QuizError(f"{target} exists already: name it in the bank as proof: {rel}")
    text = bank_file.read_text(encoding="utf-8")
    lines = text.split("\n")
    line = int(q.source.rsplit(":", 1)[1]) - 1  # the question's `- id: N` line
    m = re.match(r"(\s*)-(\s+)", lines[line])
    if not m:
        raise QuizError(f"{q.source}: cannot find where to add `proof:` (edit the bank by hand: proof: {rel})")
    indent = m[1] + " " + m[2]
    lines.insert(line + 1, f"{indent}proof: {rel}")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, skeleton(q, str(target)))
    try:
        write_bank(bank_file, "\n".join(lines))  # validated before it replaces the bank
    except QuizError:
        target.unlink(missing_ok=True)
        raise
    return target, rel


def check_proof_file(q: Question) -> list[str]:
    """Problems of q's proof file, found without running it: it exists, parses, defines
    run(p); its name carries the question's number."""
    path = q.proof_path
    if path is None:
        return []
    where = q.source
    if not path.is_file():
        return [f"{where}: proof file {path} not found (question {q.id})"]
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError) as e:
        line = getattr(e, "lineno", None) or 1
        return [f"{path}:{line}: not valid Python ({getattr(e, 'msg', e)}) (the proof of question {q.id})"]
    runs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "run"]
    if not runs or len(runs[0].args.args) != 1:
        return [f"{path}:1: defines no run(p) function (the proof of question {q.id})"]
    number = re.match(r"q(\d+)_", path.name)
    if not PROOF_FILE.match(q.proof) or not number or int(number[1]) != q.id:
        return [f"{where}: proof file {path.name} does not carry question {q.id}'s number (q{q.id:02d}_…)"]
    return []
