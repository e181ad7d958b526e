"""A background process that imports torch while the user reads, then runs proofs on request.

`quiz start` on a terminal starts one (`Worker()`), so pressing `p` costs the proof's own
compute time, not the ~4 s of `import torch, torchvision`. Requests and results are pickles
over the worker's stdin/stdout; it runs in its own session (the terminal's Ctrl-C does not
reach it: the session cancels a proof by killing the worker and starting a fresh one), and it
exits when its stdin closes, i.e. when the session ends, or dies (also SIGTERM on Linux).

    python -m quiz.proofs.worker      # what Worker() starts
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

from quiz.errors import QuizError


class Worker:
    def __init__(self):
        self.proc = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "quiz.proofs.worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)

    def _send(self, message) -> None:
        if self.proc.poll() is not None:  # died (killed from outside): a fresh one
            self.start()
        try:
            pickle.dump(message, self.proc.stdin)
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.start()
            pickle.dump(message, self.proc.stdin)
            self.proc.stdin.flush()

    def prepare(self, name: str) -> None:
        """Import proof `name` ahead of time (no reply)."""
        self._send(("prepare", name, None, {}))

    def run(self, name: str, options: dict | None = None, timeout: float | None = None, controls: bool = False,
            settings: list[str] = ()):
        """Run proof `name` (a built-in module name, or a trusted proof file's path) in the worker:
        its ProofResult, or its QuizError raised here. Past `timeout` seconds the worker is
        killed (and a fresh one started) and the proof is a QuizError naming it.
        Ctrl-C while waiting raises KeyboardInterrupt: call cancel() then."""
        self._send(("run", name, options, {"controls": controls, "settings": list(settings)}))
        if timeout is not None:
            import select

            ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
            if not ready:
                self.cancel()
                raise QuizError(f"proof {name} timed out after {timeout:g} s (--timeout)")
        try:
            kind, payload = pickle.load(self.proc.stdout)
        except EOFError:  # the worker died mid-proof (out of memory, killed)
            self.start()
            raise QuizError(f"proof {name} failed: its worker process ended unexpectedly") from None
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
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


def _die_with_parent() -> None:
    try:
        import ctypes
        import signal

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
        try:
            reply = ("ok", run_proof(name, options, **extra))
        except QuizError as e:
            reply = ("error", (str(e), e.exit_code))
        except Exception as e:  # noqa: BLE001  anything else is still one line for the user
            reply = ("error", (f"proof {name} failed: {type(e).__name__}: {e}", 1))
        pickle.dump(reply, results)
        results.flush()


if __name__ == "__main__":
    serve()
