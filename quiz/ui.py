"""The study loop's input and output on a console.

On a terminal, single keys (no Enter): Space/Enter reveal, 1–4 rate, u undo,
p prove, q quit; Ctrl-C is q. From a pipe, one line per prompt: any line
reveals, then a line holding 1–4, u, p or q. End of input quits.

Typed answers (`t` on a terminal, `quiz start --type`, `quiz mock`) are edited
with prompt_toolkit on a terminal: arrow keys, Home/End, word motions, ↑/↓ for
earlier answers of the session, and pasted text (several lines included) goes in
as text. Enter starts a new line; Enter on an empty line, or Ctrl-D, ends the
answer. From a pipe: lines until an empty one (or end of input).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

from rich.console import Console
from rich.text import Text

from quiz import render


def show_proof(console: Console, q, run, explain: bool = False):
    """Run q's proof (`run(q)` gives its result) under a spinner and show it; returns the result."""
    if q.proof is None:
        console.print(f"No proof for {q.key} yet.", style="yellow", markup=False)
        return None
    with console.status(f"running proof {q.proof} …"):
        result = run(q)
    view = render.proof_view(f"{q.key} · {q.question}", result, explain=explain, width=console.width)
    if explain and console.is_terminal:
        render.page(console, view)
    else:
        console.print(view)
    return result


class Keys:
    """Single keypresses from a terminal, without echo or Enter."""

    def __init__(self, stream):
        self.fd = stream.fileno()

    @contextmanager
    def raw(self):
        import termios
        import tty

        saved = termios.tcgetattr(self.fd)
        try:
            tty.setcbreak(self.fd)  # ISIG stays on: Ctrl-C still raises KeyboardInterrupt
            yield
        finally:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)

    def read(self) -> str:
        with self.raw():
            ch = os.read(self.fd, 32).decode("utf-8", "replace")
        if ch in ("", "\x04"):
            return "q"
        return ch[0] if not ch.startswith("\x1b") else ""


class Lines:
    """One line per prompt, for pipes and scripts."""

    def __init__(self, stream):
        self.stream = stream

    def read(self) -> str:
        line = self.stream.readline()
        if line == "":
            return "q"  # end of input
        return line.strip() or "\n"

    def line(self) -> str | None:
        line = self.stream.readline()
        return None if line == "" else line.rstrip("\r\n")


class ConsoleUI:
    def __init__(self, console: Console, stdin=None):
        self.console = console
        stdin = stdin or sys.stdin
        self.tty = stdin.isatty()
        self.keys = Keys(stdin) if self.tty else Lines(stdin)
        # work for while the user reads the first card (it is drawn first: the wait to see it stays
        # short): the proof worker's start, and rich.markdown's import for the answer (a thread)
        self.idle: list = [self._warm_markdown] if self.tty else []
        self._answers = None  # this session's typed answers, for ↑ (prompt_toolkit history)

    @staticmethod
    def _warm_markdown() -> None:
        import threading

        threading.Thread(target=render.warm_markdown, name="warm-markdown").start()

    def _run_idle(self) -> None:
        while self.idle:
            self.idle.pop(0)()

    def _read(self) -> str:
        self._run_idle()
        try:
            return self.keys.read()
        except KeyboardInterrupt:
            return "q"

    def message(self, text: str) -> None:
        self.console.print(Text(text, style="yellow"))

    def feedback(self, text: str) -> None:
        """What a rating recorded, one dim line under the card."""
        self.console.print(Text(text, style="dim"))

    def question(self, q, progress: str) -> None:
        self.console.print()
        self.console.print(render.card(render.question_panel(q, progress)))

    def wait_reveal(self, can_undo: bool) -> str:
        hint = "Space/Enter: show answer · t: type your answer · q: quit" + (" · u: undo" if can_undo else "")
        if not self.tty:
            hint = "Enter: show answer · q: quit" + (" · u: undo" if can_undo else "")
        self.console.print(Text(hint, style="dim"))
        while True:
            key = self._read()
            if key in (" ", "\n", "\r"):
                return "reveal"
            if key == "q":
                return "quit"
            if key == "u" and can_undo:
                return "undo"
            if key == "t" and self.tty:
                return "type"
            if not self.tty:  # any other line reveals too
                return "reveal"

    def wait_finish(self, learning: int = 0) -> str:
        """After the last card: 'undo' (u), 'again' (r: go over the cards still in learning
        steps) or 'done' (any other key, Enter, end of input)."""
        again = f" · r: go over the {learning} card{'s' * (learning != 1)} still in learning now" if learning else ""
        hint = "any other key" if self.tty else "Enter"
        self.console.print(Text(f"That was the last card. u: undo its rating{again} · {hint}: finish", style="dim"))
        key = self._read()
        return {"u": "undo", "r": "again"}.get(key, "done")

    def read_answer(self) -> str | None:
        """A typed answer: on a terminal edited with prompt_toolkit (its prompt shows the time taken
        so far), from a pipe line by line. Ends at an empty line or Ctrl-D (end of input from a
        pipe); None: quit (Ctrl-C, or input ended before any line)."""
        import time

        self._run_idle()
        started = time.monotonic()
        self.console.print(Text("Type your answer; an empty line" + (" or Ctrl-D" if self.tty else "") + " ends it.",
                                style="dim"))
        if self.tty:
            return self._edit_answer(started)
        lines = []
        while True:
            try:
                line = self.keys.line()
            except KeyboardInterrupt:
                self.console.print()
                return None
            if line is None:  # end of input
                return "\n".join(lines) if lines else None
            if not line.strip():
                break
            lines.append(line)
        return "\n".join(lines)

    def _edit_answer(self, started: float) -> str | None:
        """The answer, edited with prompt_toolkit: see the module docstring. None: Ctrl-C."""
        import time

        from prompt_toolkit import PromptSession
        from prompt_toolkit.formatted_text import FormattedText
        from prompt_toolkit.history import InMemoryHistory
        from prompt_toolkit.key_binding import KeyBindings

        keys = KeyBindings()

        @keys.add("enter")
        def _(event):
            buffer = event.current_buffer
            if not buffer.document.current_line.strip():  # Enter on an empty line: the answer is done
                buffer.validate_and_handle()
            else:
                buffer.insert_text("\n")

        @keys.add("c-d")
        def _(event):
            event.current_buffer.validate_and_handle()

        if self._answers is None:
            self._answers = InMemoryHistory()  # ↑ recalls this session's earlier answers

        def clock():
            return FormattedText([("ansicyan", f"{render.clock(time.monotonic() - started)} › ")])

        session = PromptSession(history=self._answers, key_bindings=keys, multiline=True)
        try:
            text = session.prompt(clock, prompt_continuation=lambda width, n, soft: " " * (width - 2) + "› ",
                                  refresh_interval=1.0)
        except KeyboardInterrupt:
            return None
        except EOFError:
            return ""
        return text.strip("\n")

    def prove(self, q, prover) -> None:
        """`p` in a session: the card's proof, run by `prover` (quiz.proofs.runner.Prover). Ctrl-C
        cancels it and a broken proof is one line: either way the session goes on."""
        from quiz.errors import QuizError

        try:
            show_proof(self.console, q, prover.run)
        except KeyboardInterrupt:
            prover.cancel()
            self.console.print("Proof cancelled.", style="yellow", markup=False)
        except QuizError as e:
            self.console.print(f"Error: {e}", style="red", markup=False, highlight=False)

    def redraw(self, q, progress: str, coverage=None) -> None:
        """The card again, under a proof that pushed it off screen."""
        self.question(q, progress)
        self.answer(q, coverage)

    def answer(self, q, coverage=None) -> None:
        self.console.print(render.card(render.answer_panel(q) if coverage is None else render.coverage_panel(q, coverage)))

    def ask_rating(self, intervals: dict[int, str], can_prove: bool, suggested: int | None = None,
                   can_undo: bool = True):
        extra = ("u undo · " if can_undo else "") + "q quit" + (" · p prove" if can_prove else "")
        if suggested is not None:
            self.console.print(render.suggestion(suggested))
        self.console.print(render.rating_prompt(intervals, extra))
        while True:
            key = self._read()
            if key in ("1", "2", "3", "4"):
                return int(key)
            if key == "q":
                return "quit"
            if key == "u" and can_undo:
                return "undo"
            if key == "p" and can_prove:
                return "prove"
            if not self.tty:
                allowed = ("u, " if can_undo else "") + "q" + (", p" if can_prove else "")
                self.console.print(Text(f"expected 1–4, {allowed}; got {key.strip()!r}", style="red"))
