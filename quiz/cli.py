"""The `quiz` command: parse options, call the library, render.

This is the only module that turns errors into exit codes: a QuizError is one
line on stderr and its exit code (1, or 2 for bad usage); tracebacks only with
--debug. Heavy modules (and torch above all) are imported inside commands.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
from pathlib import Path
from typing import Optional

import typer

from quiz.errors import QuizError

app = typer.Typer(
    help="Spaced-repetition flashcards for computer-vision interviews, with runnable PyTorch proofs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)
state = {"debug": False}

DeckOpt = typer.Option(None, "--deck", "-d", help="Only this deck (default: all decks; ids refer to modern-backbones).")
TagOpt = typer.Option(None, "--tag", "-t", help="Only questions with this tag.")
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of a table.")
BankOpt = typer.Option(None, "--bank", "-b", help="Also load this bank file or folder (repeatable).")


def command(*args, **kwargs):
    """app.command, plus: QuizError → one line on stderr and its exit code."""

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*a, **kw):
            try:
                return f(*a, **kw)
            except QuizError as e:
                if state["debug"]:
                    raise
                print(f"Error: {e}", file=sys.stderr)
                raise typer.Exit(e.exit_code) from None
            except sqlite3.DatabaseError as e:  # a damaged or unwritable database, found mid-command
                if state["debug"]:
                    raise
                from quiz.store import home

                print(f"Error: {home() / 'quiz.db'}: database error ({e}); move the file away or restore "
                      "a backup (quiz.db.v*.bak) and run again", file=sys.stderr)
                raise typer.Exit(1) from None

        return app.command(*args, **kwargs)(wrapper)

    return decorate


def version_callback(value: bool):
    if value:
        from quiz import __version__

        print(f"quiz {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True,
                                 help="Print the version and exit."),
):
    """Study interview questions as flashcards; `quiz prove N` runs the experiment behind answer N."""
    state["debug"] = debug


def _banks(extra=None):
    from quiz.bank import load_banks

    return load_banks(extra=extra or [])


def _open():
    from quiz.store import Store

    return Store.open_home()


def _now():
    from quiz.schedule import utcnow

    return utcnow()


def _check_retention(retention: Optional[float]) -> Optional[float]:
    if retention is not None and not 0 < retention < 1:
        raise typer.BadParameter("must be between 0 and 1 (exclusive), e.g. 0.9", param_hint="--retention")
    return retention


@command("start")
def start(
    deck: Optional[str] = DeckOpt,
    tag: Optional[str] = TagOpt,
    new: Optional[int] = typer.Option(None, "--new", min=0, max=100_000, help="At most this many new cards today (default: the new_per_day setting, 10)."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, max=100_000, help="At most this many cards in total."),
    shuffle: bool = typer.Option(False, "--shuffle", help="Shuffle the selected cards."),
    cram: bool = typer.Option(False, "--cram", help="Study all selected cards, due or not; answers are logged but do not reschedule."),
    retention: Optional[float] = typer.Option(None, "--retention", callback=_check_retention, help="Desired retention for scheduling, 0–1 (default: the retention setting, 0.9)."),
    prove: bool = typer.Option(False, "--prove", help="Run each card's proof after revealing the answer."),
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """Study: due cards first (most overdue first), then new ones.

    Keys: Space/Enter reveal · 1–4 rate (Again/Hard/Good/Easy) · u undo · p prove · q quit.
    From a pipe: one line reveals, the next holds 1–4, u or q.
    """
    from quiz import bank, config, render, schedule, session
    from quiz.ui import ConsoleUI

    settings = config.load()
    new = settings["new_per_day"] if new is None else new
    retention = settings["retention"] if retention is None else retention
    questions = bank.select(_banks(bank_paths), deck, tag)
    store = _open()
    now = _now()
    items = session.select(questions, store, now, new_per_day=new, reviews_per_day=settings["reviews_per_day"],
                           limit=limit, shuffle=shuffle, cram=cram)
    console = render.console()
    if not items:
        nxt = session.next_due(store, questions)
        when = "no cards are scheduled" if nxt is None else f"the next card is due {render.relative(nxt, now)}"
        console.print(f"Nothing due: {when}. To study anyway: quiz start --cram", markup=False)
        return
    s = session.Session(store, schedule.scheduler(retention), items, cram=cram)
    ui = ConsoleUI(console)
    try:
        session.study(s, ui, prove=lambda q: _prove_inline(console, q), prove_each=prove)
    except KeyboardInterrupt:  # Ctrl-C outside a prompt: like q; every rating is already committed
        pass
    console.print()
    console.print(render.summary_panel(s.summary(session.next_due(store, questions), _now())))


@command("list")
def list_(
    deck: Optional[str] = DeckOpt,
    tag: Optional[str] = TagOpt,
    due: bool = typer.Option(False, "--due", help="Only cards due for review now."),
    as_json: bool = JsonOpt,
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """List questions with their state, due date, stability and retrievability."""
    from quiz import bank, render, schedule, session

    questions = bank.select(_banks(bank_paths), deck, tag)
    now = _now()
    rows = session.card_rows(questions, _open(), schedule.scheduler(), now, due_only=due)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    console = render.console()
    if len({r["deck"] for r in rows}) > 1:
        for r in rows:
            r["_show_deck"] = True
    console.print(render.cards_table(rows, now))
    counts = {s: sum(r["state"] == s for r in rows) for s in ("new", "learning", "review", "relearning")}
    console.print(f"{len(rows)} cards · " + " · ".join(f"{n} {s}" for s, n in counts.items() if n), style="dim",
                  markup=False)


@command("show")
def show(
    question: str = typer.Argument(..., help="Question id: N (in modern-backbones) or deck/N."),
    deck: Optional[str] = DeckOpt,
    as_json: bool = JsonOpt,
    prove: bool = typer.Option(False, "--prove", help="Also run the answer's proof."),
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """Show one question and its answer."""
    from quiz import bank, render

    q = bank.find(_banks(bank_paths), question, deck)
    if as_json:
        print(json.dumps({"deck": q.deck, "id": q.id, "question": q.question, "answer": list(q.answer),
                          "tags": list(q.tags)}, ensure_ascii=False, indent=2))
        return
    console = render.console()
    console.print(render.question_panel(q))
    console.print(render.answer_panel(q))
    if prove:
        _prove_inline(console, q)


@command("prove")
def prove(
    question: Optional[str] = typer.Argument(None, help="Question id: N (in modern-backbones) or deck/N."),
    deck: Optional[str] = DeckOpt,
    all_: bool = typer.Option(False, "--all", help="Run every proof of the deck, then a summary table."),
    code: bool = typer.Option(False, "--code", help="Print the proof's source before running it."),
    as_json: bool = JsonOpt,
    weights: Optional[Path] = typer.Option(None, "--weights", help="A local state dict for proofs that use pretrained weights (e.g. VGG-16 for 11)."),
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """Run the experiment behind an answer: each claim, the measured value, a verdict."""
    from quiz import bank, proofs, render
    from quiz.errors import UsageError

    options = {"weights": str(weights) if weights else None}
    banks = _banks(bank_paths)
    if all_ == (question is not None):
        raise UsageError("give a question id (quiz prove 7) or --all, not both")
    console = render.console()
    if not all_:
        q = bank.find(banks, question, deck)
        if q.proof is None:
            raise QuizError(f"no proof for {q.key} yet")
        if code:
            from rich.syntax import Syntax

            console.print(Syntax(proofs.source(q.proof), "python", line_numbers=True, word_wrap=True))
        if as_json:
            result = proofs.run_proof(q.proof, options)
            print(json.dumps(result.to_json(q.deck, q.id, q.question), ensure_ascii=False, indent=2))
            return
        _prove_inline(console, q, options)
        return
    todo = [q for q in bank.select(banks, deck or bank.default_deck()) if q.proof]
    results = []
    from rich.progress import Progress

    with Progress(console=render.console(stderr=True), transient=True) as progress:
        task = progress.add_task("proofs", total=len(todo))
        for q in todo:
            progress.update(task, description=f"{q.key} {q.proof}")
            results.append((q, proofs.run_proof(q.proof, options)))
            progress.advance(task)
    if as_json:
        print(json.dumps([r.to_json(q.deck, q.id, q.question) for q, r in results], ensure_ascii=False, indent=2))
        return
    console.print(render.proofs_summary(results))


def _prove_inline(console, q, options=None):
    from quiz import proofs, render

    if q.proof is None:
        console.print(f"No proof for {q.key} yet.", style="yellow", markup=False)
        return
    with console.status(f"running proof {q.proof} …"):
        result = proofs.run_proof(q.proof, options)
    console.print(render.proof_view(q.question, result))


def main():
    app(prog_name="quiz")
