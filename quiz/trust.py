"""Which proof files from outside the package may run: `quiz trust PATH` records a file's
sha256 in $QUIZ_HOME/trust.json; a file whose bytes changed since is untrusted again.

Built-in proofs (quiz/proofs) are package code and need no trust. A bank's own proof file
(`proof: proofs/q03_iou.py`) is never imported, let alone run, until trusted.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from quiz.errors import QuizError


def _file() -> Path:
    from quiz.files import home

    return home() / "trust.json"


def sha256(path: Path) -> str:
    from quiz.bank import MAX_BANK_BYTES
    from quiz.files import read_capped

    try:
        raw = read_capped(Path(path), MAX_BANK_BYTES)
    except OSError as e:
        raise QuizError(f"{path}: cannot read: {e.strerror}") from None
    if raw is None:
        raise QuizError(f"{path}: too large for a proof")
    return hashlib.sha256(raw).hexdigest()


def _load() -> dict[str, str]:
    f = _file()
    if not f.exists():
        return {}
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise QuizError(f"{f}: cannot read the trusted proofs ({e}); move it away to start afresh") from None
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def trust(path: Path) -> str:
    """Record the file's current sha256 as trusted; returns it."""
    from quiz.files import write_atomic

    path = Path(path).resolve()
    digest = sha256(path)
    data = _load()
    data[str(path)] = digest
    write_atomic(_file(), json.dumps(data, indent=1, sort_keys=True) + "\n")
    return digest


def is_trusted(path: Path) -> bool:
    path = Path(path).resolve()
    return _load().get(str(path)) == sha256(path)


def check(path: Path) -> None:
    """QuizError (exit 1) unless `path` is trusted as it is now: names the file, its hash and
    the command that trusts it."""
    path = Path(path)
    if not path.is_file():
        raise QuizError(f"{path}: proof file not found")
    if not is_trusted(path):
        known = str(path.resolve()) in _load()
        why = "changed since you trusted it" if known else "not trusted"
        raise QuizError(f"{path}: {why} (sha256 {sha256(path)}); read it, then run: quiz trust {path}")


def files_of(paths: list[Path]) -> list[Path]:
    """`quiz trust PATH…`: proof files, and each proof file a bank (.yaml) names; each must exist."""
    from quiz.bank import load_bank
    from quiz.errors import QuizError

    files = []
    for path in paths:
        if path.suffix.lower() in (".yaml", ".yml"):
            found = [q.proof_path for q in load_bank(path, cache=False).questions if q.proof_path is not None]
            if not found:
                raise QuizError(f"{path}: names no proof files")
            files += found
        else:
            files.append(path)
    for f in files:
        if not f.is_file():
            raise QuizError(f"{f}: proof file not found")
    return files
