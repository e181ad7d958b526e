"""The study loop's input and output on a console.

On a terminal, single keys (no Enter): Space/Enter reveal, 1–4 rate, u undo,
p prove, q quit; Ctrl-C is q. From a pipe, one line per prompt: any line
reveals, then a line holding 1–4, u, p or q. End of input quits.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

from rich.console import Console
from rich.text import Text

from quiz import render


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


class ConsoleUI:
    def __init__(self, console: Console, stdin=None):
        self.console = console
        stdin = stdin or sys.stdin
        self.tty = stdin.isatty()
        self.keys = Keys(stdin) if self.tty else Lines(stdin)

    def _read(self) -> str:
        try:
            return self.keys.read()
        except KeyboardInterrupt:
            return "q"

    def message(self, text: str) -> None:
        self.console.print(Text(text, style="yellow"))

    def question(self, q, progress: str) -> None:
        self.console.print()
        self.console.print(render.question_panel(q, progress))

    def wait_reveal(self, can_undo: bool) -> str:
        hint = "Space/Enter: show answer · q: quit" + (" · u: undo" if can_undo else "")
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
            if not self.tty:  # any other line reveals too
                return "reveal"

    def answer(self, q) -> None:
        self.console.print(render.answer_panel(q))

    def ask_rating(self, intervals: dict[int, str], can_prove: bool):
        extra = "u undo · q quit" + (" · p prove" if can_prove else "")
        self.console.print(render.rating_prompt(intervals, extra))
        while True:
            key = self._read()
            if key in ("1", "2", "3", "4"):
                return int(key)
            if key == "q":
                return "quit"
            if key == "u":
                return "undo"
            if key == "p" and can_prove:
                return "prove"
            if not self.tty:
                self.console.print(Text(f"expected 1–4, u, q{', p' if can_prove else ''}; got {key.strip()!r}",
                                        style="red"))
