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


MAX_PROOF_BYTES = 1_000_000


def source(path: Path) -> bytes:
    """A proof file's bytes: a regular file of at most MAX_PROOF_BYTES, read once."""
    from quiz.files import read_regular

    return read_regular(Path(path), MAX_PROOF_BYTES, "proof file")


def sha256(path: Path) -> str:
    return hashlib.sha256(source(path)).hexdigest()


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
    """Record the file's current sha256 as trusted; returns it. Several `quiz trust` at once each
    keep their entry: the read-modify-write of trust.json holds a lock."""
    from quiz.files import locked, write_atomic

    path = Path(path).resolve()
    digest = sha256(path)
    with locked(_file().with_name("trust.json.lock")):
        data = _load()
        data[str(path)] = digest
        write_atomic(_file(), json.dumps(data, indent=1, sort_keys=True) + "\n")
    return digest


def trusted_source(path: Path) -> bytes:
    """The proof file's bytes, read once, if they are the bytes that were trusted: what runs is what
    was hashed (the file may be swapped a moment later; it is not read again). Otherwise a QuizError
    (exit 1) naming the file, its hash and the command that trusts it."""
    path = Path(path)
    if not path.exists():
        raise QuizError(f"{path}: proof file not found")
    raw = source(path)
    digest = hashlib.sha256(raw).hexdigest()
    known = _load().get(str(path.resolve()))
    if known != digest:
        why = "changed since you trusted it" if known else "not trusted"
        raise QuizError(f"{path}: {why} (sha256 {digest}); read it, then run: quiz trust {path}")
    return raw


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
