"""The ground floor for files: where quiz keeps its data, and reading and writing files safely.
Every module may import this one; it imports nothing of quiz but errors."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from quiz.errors import QuizError

RESTORE_JOURNAL = "restore-pending.json"  # in the home while a restore is under way (quiz/export.py)


def home() -> Path:
    """QUIZ_HOME, else the platform's user data folder for quiz."""
    if os.environ.get("QUIZ_HOME"):
        return Path(os.environ["QUIZ_HOME"]).expanduser()
    from platformdirs import user_data_path

    return user_data_path("quiz", appauthor=False)


def read_capped(path: Path, limit: int) -> bytes | None:
    """The file's bytes, or None if it holds more than `limit`: counted as read, so a device
    (st_size 0, e.g. /dev/zero) cannot make us read until memory runs out, and a FIFO with no
    writer reads as empty instead of waiting forever."""
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as f:
        raw = f.read(limit + 1)
    return None if raw is None or len(raw) > limit else raw


@contextmanager
def open_regular(path: Path, limit: int, what: str = "file"):
    """A regular file (a symlink's target counts) open for reading in binary, if it holds at most `limit`
    bytes: a FIFO, device or folder is refused before anything is read (/dev/zero cannot fill memory, a
    FIFO cannot hang us). Every refusal is a QuizError naming the path and `what` it was to be."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # NONBLOCK: opening a FIFO does not wait for a writer
    except OSError as e:
        raise QuizError(f"{path}: cannot read the {what}: {e.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise QuizError(f"{path}: not a regular file, so not read as a {what}")
        if st.st_size > limit:
            raise QuizError(f"{path}: too large for a {what} (at most {limit:,} bytes)")
        yield f


def read_regular(path: Path, limit: int, what: str = "file") -> bytes:
    """A regular file's bytes, at most `limit` of them (see open_regular)."""
    with open_regular(path, limit, what) as f:
        try:
            data = f.read(limit + 1)
        except OSError as e:
            raise QuizError(f"{path}: cannot read the {what}: {e.strerror}") from None
    if len(data) > limit:  # it grew since it was looked at
        raise QuizError(f"{path}: too large for a {what} (at most {limit:,} bytes)")
    return data


@contextmanager
def locked(path: Path):
    """An exclusive lock on `path` (created if need be) while the block runs: for read-modify-write
    of a small file that several quiz processes may change at once."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def write_atomic(path: Path, data) -> None:
    """Write a file whole or not at all: a temporary file beside it, then rename. `data`: text,
    bytes, or an iterable of bytes (a stream: never all in memory)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise QuizError(f"{path}: cannot write: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            for piece in [data.encode("utf-8")] if isinstance(data, str) else [data] if isinstance(data, bytes) else data:
                f.write(piece)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise QuizError(f"{path}: cannot write: {e.strerror}") from None
        raise
