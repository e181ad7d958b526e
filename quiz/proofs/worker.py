"""A background process that imports torch while the user reads, then runs proofs on request.

`quiz start` on a terminal starts one (`Worker()`), so pressing `p` costs the proof's own
compute time, not the ~4 s of `import torch, torchvision`. Requests and results are pickles
over the worker's stdin/stdout; it runs in its own session and process group (the terminal's
Ctrl-C does not reach it: the session cancels a proof by killing the whole group — the worker
and anything a proof started — and starting a fresh one), and it exits when its stdin closes,
i.e. when the session ends, or dies (also SIGTERM on Linux).

Nothing outside the installed packages may be imported by it: it starts with `python -P` (the
current directory is not put on sys.path, so a torch.py where the user typed `quiz start` is never
imported), and only the folder of the running quiz package is added, when it is not already on the
path. A bank's own proof runs from the bytes the session hashed and found trusted, sent with the
request: the file is never read again here (it could have been swapped since).
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

from quiz.errors import QuizError

START_LIMIT = 300.0  # seconds the worker may take to import torch before a proof's clock starts
BOOT = ("import sys; root = sys.argv[1]\n"
        "if root not in sys.path: sys.path.insert(0, root)\n"  # the quiz that started us, not one in the cwd
        "from quiz.proofs.worker import serve; serve()")


class Worker:
    def __init__(self):
        self.proc = None
        self.start()

    def start(self) -> None:
        root = str(Path(__file__).resolve().parent.parent.parent)  # the folder holding the quiz package
        self.proc = subprocess.Popen([sys.executable, "-P", "-c", BOOT, root], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        self._received = bytearray()  # replies read from the pipe, not yet taken

    def _send(self, message) -> None:
        if self.proc.poll() is not None:  # died (killed from outside): whatever it forked too, and a fresh one
            self.cancel()
        try:
            pickle.dump(message, self.proc.stdin)
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.cancel()
            pickle.dump(message, self.proc.stdin)
            self.proc.stdin.flush()

    def prepare(self, name: str) -> None:
        """Import proof `name` ahead of time (no reply)."""
        self._send(("prepare", name, None, {}))

    def _reply(self, name: str, timeout: float | None):
        """The worker's next reply, or None after `timeout` seconds. Replies are length-prefixed and read
        from the pipe's descriptor into our own buffer: a buffered reader could hold the next reply
        already read while select() waits on an empty pipe (a quick proof's "started" and result arrive
        together), and time out on a proof that had finished."""
        import select
        import time

        fd = self.proc.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if len(self._received) >= 8:
                size = int.from_bytes(self._received[:8], "big")
                if len(self._received) >= 8 + size:
                    message = bytes(self._received[8:8 + size])
                    del self._received[:8 + size]
                    return pickle.loads(message)
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:  # the worker died mid-proof (out of memory, killed): its group too, and a fresh one
                self.cancel()
                raise QuizError(f"proof {name} failed: its worker process ended unexpectedly")
            self._received += chunk

    def run(self, name: str, options: dict | None = None, timeout: float | None = None, controls: bool = False,
            settings: list[str] = (), source: bytes | None = None):
        """Run proof `name` (a built-in module name, or a trusted proof file's path with its `source`
        bytes) in the worker: its ProofResult, or its QuizError raised here. `timeout` counts from
        when the worker starts the proof (its own torch import is not the proof's time); past it
        the worker is killed (and a fresh one started) and the proof is a QuizError naming it.
        Ctrl-C while waiting raises KeyboardInterrupt: call cancel() then."""
        self._send(("run", name, options, {"controls": controls, "settings": list(settings), "source": source}))
        if self._reply(name, START_LIMIT) is None:  # ("started", None): the worker has torch and begins
            self.cancel()
            raise QuizError(f"proof {name}: its worker did not start within {START_LIMIT:g} s")
        reply = self._reply(name, timeout)
        if reply is None:
            self.cancel()
            raise QuizError(f"proof {name} timed out after {timeout:g} s (--timeout)")
        kind, payload = reply
        if kind == "error":
            message, code = payload
            raise QuizError(message, code)
        return payload

    def cancel(self) -> None:
        """Stop the proof that is running: kill the worker and start a fresh one."""
        self.close()
        self.start()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the worker and whatever a proof forked
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
            self.proc.wait()
        elif self.proc is not None:
            try:  # the worker is gone, but a child a proof forked may still hold the group
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: the session is gone, so are we
    except (OSError, AttributeError):  # not Linux: stdin's end of file still ends us
        pass


def serve() -> None:
    results = os.fdopen(os.dup(1), "wb")  # replies on a private descriptor ...
    os.dup2(2, 1)  # ... so anything a proof prints cannot corrupt them
    requests = sys.stdin.buffer
    _die_with_parent()
    import torch  # noqa: F401  the wait, while the user reads the card
    import torchvision.models  # noqa: F401

    from quiz.proofs import _tools, load, run_proof  # noqa: F401

    def reply(message):  # length-prefixed: see Worker._reply
        data = pickle.dumps(message)
        results.write(len(data).to_bytes(8, "big") + data)
        results.flush()

    while True:
        try:
            kind, name, options, extra = pickle.load(requests)
        except EOFError:
            return
        if kind == "prepare":
            try:
                load(name)
            except Exception:  # reported when the proof runs
                pass
            continue
        reply(("started", None))
        try:
            answer = ("ok", run_proof(name, options, **extra))
        except QuizError as e:
            answer = ("error", (str(e), e.exit_code))
        except Exception as e:  # noqa: BLE001  anything else is still one line for the user
            answer = ("error", (f"proof {name} failed: {type(e).__name__}: {e}", 1))
        reply(answer)
