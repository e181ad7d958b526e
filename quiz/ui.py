"""The study loop's input and output on a console.

On a terminal, single keys (no Enter): Space/Enter reveal, 1–4 rate, u undo,
p prove, c the card again, - bury, @ suspend, * flag, e edit, ? keys, q quit;
Ctrl-C is q. The terminal stays in cbreak mode for the whole session, so keys
typed ahead (even while quiz starts) are kept and handled in order. From a pipe,
one line per prompt: any line reveals, then a line holding 1–4, u, p or q. End
of input quits.

Typed answers (`t` on a terminal, `quiz start --type`, `quiz mock`) are edited
with prompt_toolkit on a terminal: arrow keys, Home/End, word motions, ↑/↓ for
earlier answers of the session, and pasted text (several lines included) goes in
as text. Enter starts a new line; Enter on an empty line, or Ctrl-D, ends the
answer; lines wrap at words. Ctrl-C goes back to the card. From a pipe: lines
until an empty one (or end of input).
"""

from __future__ import annotations

import os
import re
import sys
from contextlib import contextmanager, nullcontext

from rich.console import Console
from rich.text import Text

from quiz import render
from quiz.text import mmss


def show_proof(console: Console, q, run, explain: bool = False, rows: int | None = None):
    """Run q's proof (`run(q)` gives its result) under a spinner and show it; returns the result.
    `rows`: the view must fit this many rows (a study session's screen): the figure is left out if
    it would push the claims off the top (the foot then says +1 figure: --explain)."""
    if q.proof is None:
        render.say(console, f"No proof for {q.key} yet.", style="yellow")
        return None
    with console.status(f"running proof {q.proof} …"):
        result = run(q)
    title = f"{q.key} · {q.question}"
    view = render.proof_view(title, result, explain=explain, width=console.width)
    if rows is not None and len(console.render_lines(view, pad=False)) > rows:
        view = render.proof_view(title, result, explain=explain, width=console.width, figures=0)
    if explain and console.is_terminal:
        render.page(console, view)
    else:
        console.print(view)
    return result


class Keys:
    """Single keypresses from a terminal, without echo or Enter, none lost: the terminal stays in
    cbreak mode for the whole session (`session()`; entered with TCSANOW, which keeps what was
    typed before, where tty.setcbreak's default TCSAFLUSH throws it away), and a burst of keys
    read at once is kept in order (`pending`), so keys typed ahead are each handled in turn."""

    def __init__(self, stream):
        import codecs

        self.fd = stream.fileno()
        self.pending: list[str] = []
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")  # a character split over reads
        self.saved = None

    @contextmanager
    def session(self):
        """cbreak (no echo, no line editing; ISIG stays on: Ctrl-C is KeyboardInterrupt) until the end."""
        import termios

        try:
            saved = termios.tcgetattr(self.fd)
        except termios.error:
            yield
            return
        mode = termios.tcgetattr(self.fd)
        mode[3] &= ~(termios.ICANON | termios.ECHO)
        mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
        termios.tcsetattr(self.fd, termios.TCSANOW, mode)  # TCSANOW: keys already typed are kept
        self.saved = saved
        try:
            yield
        finally:
            self.saved = None
            termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)

    @contextmanager
    def cooked(self):
        """The terminal as it was before the session (for an editor), then cbreak again."""
        import termios

        if self.saved is None:
            yield
            return
        mode = termios.tcgetattr(self.fd)
        termios.tcsetattr(self.fd, termios.TCSANOW, self.saved)
        try:
            yield
        finally:
            termios.tcsetattr(self.fd, termios.TCSANOW, mode)

    def take(self) -> str:
        """Printable keys typed ahead (e.g. the start of a typed answer after `t`), removed."""
        text = "".join(k for k in self.pending if k.isprintable() or k == "\n")
        self.pending.clear()
        return text

    def read(self) -> str:
        while not self.pending:
            if self.saved is None:  # outside a session: cbreak for this read only, nothing thrown away
                with self.session():
                    data = os.read(self.fd, 1024)
            else:
                data = os.read(self.fd, 1024)
            if not data:
                return "q"  # end of input
            self.pending += split_keys(self.decoder.decode(data))
        key = self.pending.pop(0)
        return "q" if key == "\x04" else key


ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|O.|.)?", re.S)


def split_keys(text: str) -> list[str]:
    """Characters of a burst of input, one key each; escape sequences (arrows, function keys) dropped."""
    return list(ESCAPE.sub("", text))


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

    def session(self):
        """The terminal in cbreak mode for the whole session: keys typed ahead (even while quiz
        starts) are kept and handled in order. A no-op from a pipe."""
        return self.keys.session() if self.tty else nullcontext()

    def _read(self) -> str:
        self._run_idle()
        try:
            return self.keys.read()
        except KeyboardInterrupt:
            return "q"

    def message(self, text: str, style: str = "yellow") -> None:
        """A message, wrapped at words with a hanging indent (a command is never split)."""
        render.say(self.console, text, style)

    def feedback(self, text: str) -> None:
        """What a rating recorded, one dim line under the card."""
        self.message(text, style="dim")

    def edit(self, q):
        """`e`: an editor on q's bank at its line (a built-in deck in a user copy; the terminal as the
        editor expects it), then what the check found; the deck's questions as edited, or None."""
        from quiz.importer import edit_question

        if not self.tty:
            return None
        with self.keys.cooked():
            edited, lines = edit_question(q)
        for line in lines:
            self.message(line)
        return edited

    def question(self, q, progress: str) -> None:
        self.console.print()
        self.console.print(render.card(render.question_panel(q, progress)))

    def wait_reveal(self, can_undo: bool) -> str:
        hint = "Space/Enter: show answer · t: type it" + (" · u: undo" if can_undo else "") + " · q: quit · ?: keys"
        if not self.tty:
            hint = "Enter: show answer · q: quit" + (" · u: undo" if can_undo else "")
        self.console.print(Text(hint, style="dim"))
        while True:
            key = self._read()
            if key in (" ", "\n", "\r"):
                return "reveal"
            if key == "u" and not can_undo:
                continue
            action = CARD_KEYS.get(key)
            if action == "edit" and not self.tty:
                action = None
            if action is not None:
                return action
            if key == "t" and self.tty:
                return "type"
            if not self.tty:  # any other line reveals too
                return "reveal"

    def wait_finish(self, later=(), now=None) -> str:
        """After the last card: 'undo' (u) or 'done' (any other key, Enter, end of input). `later`:
        when the cards still in a learning step are due (beyond the learn-ahead limit)."""
        from quiz.schedule import relative

        more = ""
        if later:
            n = len(later)
            more = (f" {n} card{'s' * (n != 1)} in learning come{'s' * (n == 1)} back {relative(min(later), now)}:"
                    " quiz start then.")
        hint = "any other key" if self.tty else "Enter"
        self.message(f"That was the last card.{more} u: undo its rating · {hint}: finish", style="dim")
        key = self._read()
        return "undo" if key == "u" else "done"

    def read_answer(self) -> str | None:
        """A typed answer: on a terminal edited with prompt_toolkit (its prompt shows the time taken
        so far), from a pipe line by line. Ends at an empty line or Ctrl-D (end of input from a
        pipe); None: quit (input ended before any line). Ctrl-C raises KeyboardInterrupt: the caller
        decides (a session goes back to the card, a mock interview ends)."""
        import time

        self._run_idle()
        started = time.monotonic()
        self.console.print(Text("Type your answer; an empty line" + (" or Ctrl-D" if self.tty else "") + " ends it.",
                                style="dim"))
        if self.tty:
            return self._edit_answer(started)
        lines = []
        while True:
            line = self.keys.line()
            if line is None:  # end of input
                return "\n".join(lines) if lines else None
            if not line.strip():
                break
            lines.append(line)
        return "\n".join(lines)

    def _edit_answer(self, started: float) -> str | None:
        """The answer, edited with prompt_toolkit: see the module docstring; keys typed ahead of the
        editor (after `t`) are its first text. Ctrl-C: KeyboardInterrupt."""
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
            return FormattedText([("ansicyan", f"{mmss(time.monotonic() - started)} › ")])

        session = PromptSession(history=self._answers, key_bindings=keys, multiline=True,
                                input_processors=[word_wrap(len("0:00 › "))])
        try:
            text = session.prompt(clock, prompt_continuation=lambda width, n, soft: " " * (width - 2) + "› ",
                                  refresh_interval=1.0, default=self.keys.take())
        except EOFError:
            return ""
        return text.strip("\n")

    def prove(self, q, prover) -> None:
        """`p` in a session: the card's proof, run by `prover` (quiz.proofs.runner.Prover). Ctrl-C
        cancels it and a broken proof is one line: either way the session goes on."""
        from quiz.errors import QuizError

        try:  # on a terminal the view fits the screen with the one-line prompt under it
            show_proof(self.console, q, prover.run, rows=self.console.height - 1 if self.tty else None)
        except KeyboardInterrupt:
            prover.cancel()
            self.message("Proof cancelled.")
        except QuizError as e:
            self.message(f"Error: {e}", style="red")

    def redraw(self, q, progress: str, coverage=None) -> None:
        """The card again (`c` after a proof, or after an edit)."""
        self.question(q, progress)
        self.answer(q, coverage)

    def answer(self, q, coverage=None) -> None:
        self.console.print(render.card(render.answer_panel(q) if coverage is None else render.coverage_panel(q, coverage)))

    def ask_rating(self, intervals: dict[int, str], can_prove: bool, suggested: int | None = None,
                   can_undo: bool = True, can_show: bool = False, card_keys: bool = True):
        """1–4, or an action: see CARD_KEYS (only 'quit' without `card_keys`: a mock interview has no
        bury, suspend, flag, edit or key list); 'prove' (p) when the card has a proof, 'card' (c) when a
        proof pushed the card up."""
        extra = ("c card · " if can_show else "") + ("u undo · " if can_undo else "") + "q quit" + \
            ("" if can_show else (" · p prove" if can_prove else "") + (" · ? keys" if self.tty and card_keys else ""))
        # under a proof (can_show): the shortest prompt, one line at 80 columns, so the proof keeps the screen
        if suggested is not None:
            self.console.print(render.suggestion(suggested))
        self.console.print(render.rating_prompt(intervals, extra, self.console.width))
        while True:
            key = self._read()
            if key in ("1", "2", "3", "4"):
                return int(key)
            if key == "p" and can_prove:
                return "prove"
            if key == "c" and can_show:
                return "card"
            action = CARD_KEYS.get(key)
            if (action == "undo" and not can_undo) or (action == "edit" and not self.tty) or \
                    (not card_keys and action not in ("quit", "undo")):
                action = None
            if action is not None:
                return action
            if not self.tty:
                allowed = ("u, " if can_undo else "") + "q" + (", p" if can_prove else "")
                self.message(f"expected 1–4, {allowed}; got {key.strip()!r}", style="red")


def word_wrap(prefix: int):
    """A prompt_toolkit processor that wraps a typed line at word boundaries: prompt_toolkit wraps
    at the last column, mid-word; this pads the row before a word that would not fit, so the word
    starts the next row (a word longer than a row still breaks). `prefix`: the prompt's width,
    drawn before every row."""
    from bisect import bisect_right

    from prompt_toolkit.layout.utils import explode_text_fragments
    from prompt_toolkit.layout.processors import Processor, Transformation

    class WordWrap(Processor):
        def apply_transformation(self, ti):
            room = ti.width - prefix
            chars = explode_text_fragments(ti.fragments)
            text = "".join(c[1] for c in chars)
            pads = wrap_pads(text, room)
            if not pads:
                return Transformation(ti.fragments)
            out, starts, shifts, shift = [], [], [], 0
            for i, c in enumerate(chars):
                if i in pads:
                    out.append(("", " " * pads[i]))
                    shift += pads[i]
                    starts.append(i)
                    shifts.append(shift)
                out.append(c)

            def to_display(i):
                k = bisect_right(starts, i)
                return i + (shifts[k - 1] if k else 0)

            def to_source(d):
                for start, total in zip(reversed(starts), reversed(shifts)):
                    if d >= start + total:
                        return d - total
                    if d >= start + total - pads[start]:  # in the padding: the word after it
                        return start
                return d

            return Transformation(out, to_display, to_source)

    return WordWrap()


def wrap_pads(text: str, room: int) -> dict[int, int]:
    """{index of a word's first character: spaces to pad before it} so that, wrapped every `room`
    columns, no word that fits a row is split."""
    pads: dict[int, int] = {}
    if room < 8 or len(text) <= room:
        return pads
    col = 0
    for m in re.finditer(r"\S+|\s+", text):
        n = len(m.group())
        if not m.group().isspace() and col and col + n > room and n <= room:
            pads[m.start()] = room - col
            col = 0
        col = (col + n) % room
    return pads


# keys that act on the card on screen, at both prompts
CARD_KEYS = {"q": "quit", "u": "undo", "-": "bury", "@": "suspend", "*": "flag", "e": "edit", "?": "help"}
