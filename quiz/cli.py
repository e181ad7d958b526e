"""The `quiz` command: parse options, call the library, render.

This is the only module that turns errors into exit codes: a QuizError is one
line on stderr and its exit code (1, or 2 for bad usage); tracebacks only with
--debug. Heavy modules (and torch above all) are imported inside commands.
"""

from __future__ import annotations

import functools
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

DeckOpt = typer.Option(None, "--deck", "-d", help="Only this deck (default: all decks).")
TagOpt = typer.Option(None, "--tag", "-t", help="Only questions with this tag.")
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of a table.")
BankOpt = typer.Option(None, "--bank", "-b", help="Also load this bank file or folder (repeatable).")


def command(name: str, short: str, group=None, **kwargs):
    """app.command (or `group`.command, for a sub-app), plus: QuizError → one line on stderr and its exit
    code. `short`: its line in `quiz --help` (Click would cut the docstring's first sentence at 45 characters)."""
    kwargs.setdefault("short_help", short)

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*a, **kw):
            try:
                return f(*a, **kw)
            except (QuizError, sqlite3.DatabaseError, OSError) as e:
                # an OSError without a file name is stdout's (a closed pipe): main() says that one
                if state["debug"] or (isinstance(e, OSError) and e.filename is None):
                    raise
                _say(f"Error: {_error(e)}", file=sys.stderr)
                raise typer.Exit(e.exit_code if isinstance(e, QuizError) else 1) from None

        return (group or app).command(name, **kwargs)(wrapper)

    return decorate


def _error(e: Exception) -> str:
    """The one line a failed command says: a QuizError as it is, a database error with advice true to its
    cause (quiz.store.explain), a file error naming the file."""
    from quiz.files import home

    if isinstance(e, QuizError):
        return str(e)
    if isinstance(e, sqlite3.DatabaseError):  # a damaged or unwritable database, found mid-command
        from quiz.store import explain

        return str(explain(home() / "quiz.db", e))
    if home().exists() and not home().is_dir():
        return f"{home()} is a file, not a folder: point QUIZ_HOME at a folder"
    return f"{e.filename}: {e.strerror or e}"


def version_callback(value: bool):
    if value:
        from quiz import __version__

        _say(f"quiz {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True,
                                 help="Print the version and exit."),
):
    """Study interview questions as flashcards; `quiz prove N` runs the experiment behind answer N."""
    state["debug"] = debug


def _finish_restore() -> None:
    """Before the home is read: a restore cut off by a crash is finished first (quiz/export.py)."""
    from quiz.files import RESTORE_JOURNAL, home

    if (home() / RESTORE_JOURNAL).exists():
        from quiz.backup import finish_interrupted_restore

        said = finish_interrupted_restore()
        if said:
            _say(said, file=sys.stderr)


def _banks(extra=None, skipped=None):
    """Every bank; one that cannot be loaded is left out with a one-line warning (the rest work)."""
    from quiz.bank import load_banks

    _finish_restore()
    skipped = [] if skipped is None else skipped
    banks = load_banks(extra=extra or [], skipped=skipped)
    for s in skipped:
        _say(f"warning: {s}", file=sys.stderr)
    return banks


def _open(write: bool = False):
    from quiz.store import Store

    _finish_restore()
    store = Store.open_home()
    if write and store.read_only:  # say so before the session, not at the first rating
        raise QuizError(f"{store.path}: its folder is read-only, so ratings cannot be saved; "
                        "reading commands (list, stats, export) still work")
    return store


def _now():
    from quiz.schedule import utcnow

    return utcnow()


def _finite(value: Optional[float]) -> Optional[float]:
    """Click's min/max let nan through (every comparison with it is false) and inf past no max."""
    import math

    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


def _check_retention(retention: Optional[float]) -> Optional[float]:
    from quiz.config import SETTINGS

    if retention is not None:
        try:
            SETTINGS["retention"].parse(retention)  # the range the setting allows (FSRS overflows far below it)
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint="--retention") from None
    return retention


@command("start", "Study: due cards, then new ones.")
def start(
    deck: Optional[str] = DeckOpt,
    tag: Optional[str] = TagOpt,
    new: Optional[int] = typer.Option(None, "--new", min=0, max=100_000, help="Study this many new cards now, whatever today's limit has used (default: each deck's new_per_day setting)."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, max=100_000, help="At most this many cards in total."),
    shuffle: bool = typer.Option(False, "--shuffle", help="Shuffle the selected cards."),
    cram: bool = typer.Option(False, "--cram", help="Study all selected cards, due or not; answers are logged but do not reschedule."),
    retention: Optional[float] = typer.Option(None, "--retention", callback=_check_retention, help="Desired retention for scheduling, 0.7–0.99 (default: the retention setting, 0.9)."),
    prove: bool = typer.Option(False, "--prove", help="Run each card's proof after revealing the answer."),
    timeout: float = typer.Option(60.0, "--timeout", min=0.1, max=86_400, callback=_finite, help="Stop a bank's own proof file after this many seconds of its own run."),
    type_: bool = typer.Option(False, "--type", help="Type every answer before seeing the model answer: each bullet shows whether you covered it, with a suggested rating."),
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """Study: due cards first (most overdue first), then new ones.

    Keys: Space/Enter reveal · t type your answer · 1–4 rate (Again/Hard/Good/Easy) · u undo · p prove ·
    - bury · @ suspend · * flag · e edit · ? keys · q quit. Failed cards come back once due.
    From a pipe: one line reveals, the next holds 1–4, u or q. With --type: the answer's
    lines, an empty line, then the rating.
    """
    from quiz import bank, config, render, session
    from quiz.ui import ConsoleUI

    console = render.console()
    ui = ConsoleUI(console)
    with ui.session():  # from here on no key is lost: one typed while quiz starts is the first one read
        settings = config.load()
        banks = _banks(bank_paths)
        questions = bank.select(banks, deck, tag)
        store = _open(write=True)
        now = _now()
        picked = dict(new_now=new, limit=limit, shuffle=shuffle, cram=cram)
        items = session.select(questions, store, now, **session.limits(settings), **picked)
        if not items:
            render.say(console, session.nothing_to_study(questions, store, now, settings, new_now=new))
            return
        s = session.Session(store, session.scheduler_for(store, settings, retention), items, cram=cram,
                            corpus=[q for b in banks for q in b.questions])
        prover = session.Prover([i.question for i in items], timeout)
        if prover.names and ui.tty:  # `p` is possible: import torch in the background while the user reads
            ui.idle.insert(0, prover.warm)  # once the first card is on screen
        try:
            session.study(s, ui, prove=lambda q: ui.prove(q, prover), prove_each=prove, type_each=type_, edit=ui.edit)
        except KeyboardInterrupt:  # Ctrl-C outside a prompt: like q; every rating is already committed
            pass
        finally:
            prover.close()
    console.print()
    console.print(render.card(render.summary_panel(s.summary(session.next_due(store, questions), _now()))))
    if s.current() is None and not cram:  # the session ran out of cards: say what held others back
        why = session.held_back(questions, store, _now(), settings, picked)
        if why:
            render.say(console, why, style="yellow")


@command("list", "Questions with their state and schedule.")
def list_(
    deck: Optional[str] = DeckOpt,
    tag: Optional[str] = TagOpt,
    due: bool = typer.Option(False, "--due", help="Only cards due for review now."),
    state: Optional[str] = typer.Option(None, "--state", help="Only cards in this state: new, learning, review, relearning, suspended or buried."),
    flagged: bool = typer.Option(False, "--flagged", help="Only flagged cards."),
    limit: int = typer.Option(200, "--limit", "-n", min=1, max=10_000_000,
                              help="Show at most this many rows in the table (--json shows all)."),
    as_json: bool = JsonOpt,
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """List questions with their state, due date, stability and retrievability."""
    from quiz import bank, schedule, session

    banks = _banks(bank_paths)
    questions = bank.select(banks, deck, tag)
    now = _now()
    store = _open()
    rows = session.card_rows(questions, store, schedule.scheduler(parameters=store.fsrs_parameters()), now,
                             due_only=due, state=state, flagged=flagged)
    if as_json:
        _say_json(rows)
        return
    from quiz import render  # Rich: only for the table

    console = render.console()
    if not rows:
        what = "Nothing due now" if due else "No questions"
        hint = ": the next review is due " + render.relative(nxt, now) if due and (
            nxt := session.next_due(store, questions)) else ""
        render.say(console, f"{what}{hint}." + (" To study anyway: quiz start --cram" if due else ""))
        return
    render.page(console, render.cards_table(rows[:limit], now, console.width),
                render.list_foot(rows, limit, console.width, [b for b in banks if b.overrides]))


@command("show", "One question and its answer.")
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
        _say_json({"deck": q.deck, "id": q.id, "question": q.question, "answer": list(q.answer),
                   "tags": list(q.tags)})
        return
    console = render.console()
    console.print(render.card(render.question_panel(q)))
    console.print(render.card(render.answer_panel(q)))
    if prove:
        from quiz.proofs.runner import run_for
        from quiz.ui import show_proof

        show_proof(console, q, run_for)


def _refs(refs: list[str], bank_paths):
    """The questions named by N or deck/N (each must exist)."""
    from quiz import bank

    banks = _banks(bank_paths)
    return [bank.find(banks, r) for r in refs]


RefsArg = typer.Argument(..., help="Questions: N (in the default deck) or deck/N, one or more.")


def _mark_command(name: str, short: str, doc: str) -> None:
    """suspend, unsuspend, bury, unbury, flag, unflag: session.mark_cards does it and says what it did."""

    def mark(refs: list[str] = RefsArg, bank_paths: Optional[list[Path]] = BankOpt):
        from quiz.session import mark_cards

        _say(mark_cards(_open(write=True), _refs(refs, bank_paths), name, _now()))

    mark.__doc__, mark.__name__ = doc, name
    command(name, short)(mark)


for _name, _short, _doc in [
    ("suspend", "Take cards out of every queue.", "Take cards out of every queue (their history is kept) until unsuspended."),
    ("unsuspend", "Put suspended cards back.", "Put suspended cards back in the queues, with the schedule they had."),
    ("bury", "Hide cards until tomorrow.", "Hide cards until tomorrow (local midnight); their schedule is unchanged."),
    ("unbury", "Put buried cards back.", "Put buried cards back in today's queue."),
    ("flag", "Flag cards to come back to.", "Flag cards to come back to (quiz list --flagged)."),
    ("unflag", "Remove flags.", "Remove the flag from cards."),
]:
    _mark_command(_name, _short, _doc)


@command("reset", "Make cards new again.")
def reset(refs: list[str] = RefsArg, bank_paths: Optional[list[Path]] = BankOpt):
    """Make cards new again: their reviews stay in the log, marked as reset, and no longer count."""
    qs = _refs(refs, bank_paths)
    marked = _open(write=True).reset([(q.deck, q.id) for q in qs])
    _say(f"Reset to new: {', '.join(q.key for q in qs)} ({marked} review{'s' * (marked != 1)} kept, marked as reset)")


@command("edit", "Edit a question in $EDITOR.")
def edit(
    ref: str = typer.Argument(..., help="The question to edit: N (in the default deck) or deck/N; or a deck."),
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """Open the question in $EDITOR at its line; check the bank when you save (progress is kept).

    A built-in question is first copied, with its whole deck, to $QUIZ_HOME/banks/, which is read
    instead of the built-in from then on. A bank skipped for a problem opens at that problem's line.
    """
    from quiz import bank, importer

    skipped = []
    path, line, note = importer.edit_target(ref, _banks(bank_paths, skipped), skipped, bank.default_deck())
    if note:
        _say(note)
    importer.run_editor(path, line)
    problems, warnings = importer.check_edit(path)
    for problem in [f"warning: {w}" for w in warnings] + problems:
        _say(problem, file=sys.stderr)
    if problems:
        raise QuizError(f"{path} has {len(problems)} problem{'s' * (len(problems) != 1)}: fix them with quiz edit "
                        f"{ref} (your edit is saved; until then this bank is skipped, the others work)")
    _say(f"{path}: OK (progress is keyed by deck and question number, so it is kept)")


@command("search", "Find questions by words.")
def search(
    text: str = typer.Argument(..., help="Words to find (all of them, any case) in questions, answers and tags."),
    deck: Optional[str] = DeckOpt,
    as_json: bool = JsonOpt,
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """Find questions whose question, answer or tags contain every word of TEXT."""
    from quiz import bank, render

    found = bank.search(bank.select(_banks(bank_paths), deck), text)
    if as_json:
        _say_json([{"deck": q.deck, "id": q.id, "question": q.question, "tags": list(q.tags)} for q in found])
        return
    console = render.console()
    if not found:
        render.say(console, f"No question contains {text!r}.")
        return
    render.page(console, render.search_results(found))


@command("prove", "Run the experiment behind an answer.")
def prove(
    question: Optional[str] = typer.Argument(None, help="Question id: N (in modern-backbones) or deck/N."),
    deck: Optional[str] = DeckOpt,
    all_: bool = typer.Option(False, "--all", help="Run every proof of the deck, then a one-screen summary."),
    explain: bool = typer.Option(False, "--explain", "-v", help="Also show how each claim was measured, its notes, and every figure."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also draw the proof's figures as an image: FILE.png or FILE.svg.", dir_okay=False),
    code: bool = typer.Option(False, "--code", help="Show the proof's source (through a pager on a terminal) instead of running it."),
    as_json: bool = JsonOpt,
    control: bool = typer.Option(False, "--control", help="Also run each measured claim's control (the same experiment with its mechanism removed) and show both verdicts."),
    settings: Optional[list[str]] = typer.Option(None, "--set", metavar="KNOB=VALUE", help="A what-if: run with one of the proof's knobs changed (repeatable); a wrong knob lists them."),
    weights: Optional[Path] = typer.Option(None, "--weights", help="A local state dict for proofs that use pretrained weights (e.g. VGG-16 for 11)."),
    timeout: float = typer.Option(60.0, "--timeout", min=0.1, max=86_400, callback=_finite, help="Stop a bank's own proof file after this many seconds of its own run."),
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """Run the experiment behind an answer: each claim, the measured value, a verdict.

    Verdicts: ✓ holds · ✗ fails · ◐ overstated (a weaker form holds) · ≡ by definition ·
    § published (a paper's or torchvision's figure) · – not shown (says why).
    """
    from quiz import bank, render
    from quiz.errors import UsageError
    from quiz.proofs.runner import run_deck, run_for
    from quiz.ui import show_proof

    options = {"weights": str(weights) if weights else None}
    banks = _banks(bank_paths)
    if question is None and not all_:
        raise UsageError("give a question id (quiz prove 7), or --all for every proof of a deck")
    if all_ and question is not None:
        raise UsageError("give a question id (quiz prove 7) or --all, not both")
    if all_ and (plot or code or settings):
        raise UsageError(f"{'--plot' if plot else '--code' if code else '--set'} takes one question, not --all")
    how = {"controls": control, "settings": settings or []}
    console = render.console()
    if not all_:
        q = bank.find(banks, question, deck)
        if q.proof is None:
            raise QuizError(f"no proof for {q.key} yet")
        if code:
            from rich.syntax import Syntax

            from quiz.proofs.runner import source_of

            source = source_of(q)
            if console.is_terminal:
                render.page(console, Syntax(source, "python", line_numbers=True, word_wrap=True))
            else:
                _say(source, end="")
            return
        if as_json:
            result = run_for(q, options, timeout=timeout, **how)
            _say_json(result.to_json(q.deck, q.id, q.question))
        else:
            result = show_proof(console, q, lambda q: run_for(q, options, timeout=timeout, **how), explain=explain)
        if plot:
            from quiz.proofs import plot as plotting

            n = plotting.save(result, f"{q.key}: {render.plain(q.question)}", plot)
            _say(f"Wrote {n} figure{'s' * (n != 1)} to {render.clean(str(plot))}", file=sys.stderr)
        return
    deck_name = deck or bank.default_deck()
    todo = [q for q in bank.select(banks, deck_name) if q.proof]
    if not todo:
        raise QuizError(f"no proofs in deck {deck_name}")
    with render.progress_bar(render.console(stderr=True)) as progress:
        results, failed = run_deck(todo, options, timeout, progress=progress, controls=control)
    for q, message in failed:
        _say(f"Error: {q.key}: {message}", file=sys.stderr)
    if as_json:
        _say_json([r.to_json(q.deck, q.id, q.question) for q, r in results])
    elif results:
        render.page(console, render.proofs_summary(results), render.proofs_foot(results, console.width))
    if failed:
        raise typer.Exit(1)


@command("trust", "Let a bank's own proof files run.")
def trust_(
    paths: list[Path] = typer.Argument(..., help="Proof files, or bank files (each of their proof files)."),
):
    """Let a bank's own proof files run: records each file's sha256 in $QUIZ_HOME/trust.json.

    A file whose bytes change is untrusted again. Read a proof before you trust it: it is
    Python, and runs with your rights (in a separate process, with a time limit).
    """
    from quiz import trust

    for f in trust.files_of(paths):
        _say(f"Trusted {f} (sha256 {trust.trust(f)[:16]}…)")


@command("new-proof", "Start a proof for your own deck.")
def new_proof_(
    question: str = typer.Argument(..., help="deck/N: the question to write a proof for."),
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """Start a proof for a question of your own deck: a skeleton file beside its bank, with
    its answer's claims as to-dos, named in the bank (proof: proofs/qNN_name.py)."""
    from quiz import bank, trust
    from quiz.proofs import authoring

    q = bank.find(_banks(bank_paths), question)
    path, rel = authoring.new_proof(q)
    trust.trust(path)  # written here, by us: trusted until edited
    _say(f"Wrote {path} and named it in the bank (proof: {rel}).")
    _say(f"Edit it, then: quiz trust {path} && quiz prove {q.key}")


# -- banks in and out: import, export, restore, validate (quiz/importer.py, quiz/export.py) --


def _merge_anki(file: Path, markdown_options: bool, bank_paths) -> None:
    from quiz import anki, config, session
    from quiz.errors import UsageError

    if markdown_options:
        raise UsageError("--deck, --force, --overwrite-edits and --dry-run are for Markdown files; a package's notes "
                         "are matched to quiz's cards")
    store = _open(write=True)
    warnings, summary = anki.merge_package(file, _banks(bank_paths), store,
                                           session.scheduler_for(store, config.load())).report(file)
    for warning in warnings:
        _say(f"warning: {warning}", file=sys.stderr)
    _say(summary)


@command("import", "Markdown questions into a bank; Anki reviews back.")
def import_(
    file: Path = typer.Argument(..., help="A Markdown file of interview questions: headings ('### 1. Question', '## Q1: …'), bold questions, 'Q:'/'A:' pairs or <details> blocks, with or without an 'Answer:' line; or an Anki package (.apkg, .colpkg) whose reviews of quiz's cards are merged into the log."),
    deck: Optional[str] = typer.Option(None, "--deck", "-d", help="Deck name to import as, a slug such as day14 (default: from the title, e.g. object-detection)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing deck of that name; progress is kept (ids follow the questions' text)."),
    overwrite_edits: bool = typer.Option(False, "--overwrite-edits", help="Replace it even if the bank was edited since its import (quiz edit): --dry-run shows what would change."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be imported and skipped, and what would change; write nothing."),
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """Import a Markdown file of questions as a bank in $QUIZ_HOME/banks/."""
    if file.suffix.lower() in (".apkg", ".colpkg"):  # Anki's reviews back into the log (quiz/anki.py)
        return _merge_anki(file, bool(deck or force or overwrite_edits or dry_run), bank_paths)
    from quiz import importer

    if dry_run:
        for line in importer.dry_run(importer.plan_import(file, deck, force, overwrite_edits, bank_paths or [])):
            _say(line)
        return
    result = importer.import_markdown(file, deck, force, extra=bank_paths or [], overwrite_edits=overwrite_edits)
    for warning in result.warnings:
        _say(f"warning: {warning}", file=sys.stderr)
    b = result.bank
    day = f", day {b.meta['day']}" if "day" in b.meta else ""
    verb = "Replaced" if result.replaced else "Imported"
    _say(f"{verb} deck {b.deck} ({b.title}{day}): {len(b.questions)} questions → {result.path}")
    for line in result.changes:
        _say(line)
    if result.warnings:
        _say(f"{len(result.warnings)} part(s) of {file} skipped: see the warnings above", file=sys.stderr)
    _say(f"Study it: quiz start --deck {b.deck}")


@command("export", "To Anki, FSRS tools, JSON or Markdown.")
def export_(
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="apkg (Anki package), csv (review log for FSRS tools), json (backup of banks and progress) or md (Markdown); default: from -o's suffix."),
    deck: Optional[str] = typer.Option(None, "--deck", "-d", help="Only this deck (default: all decks)."),
    out: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here; - is stdout (the default, but for apkg: DECK.apkg or quiz.apkg). A symlink's target is written; a FIFO or device is written, never replaced. For md and several decks, a folder."),
    with_progress: bool = typer.Option(False, "--with-progress", help="apkg only: each card's FSRS memory state, due date and review log too, so Anki (with FSRS on) continues the schedule; needs quiz[anki]."),
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """Export cards and history: to Anki, to FSRS tools, as a backup, or as Markdown."""
    from quiz import bank, export

    fmt = export.guess_format(fmt, out)
    if out is not None and str(out) != "-" and out.suffix and out.suffix.lstrip(".").lower() != fmt \
            and not (fmt == "md" and out.is_dir()):
        _say(f"warning: writing {fmt} to {out}, whose name says {out.suffix}", file=sys.stderr)
    banks = [] if fmt == "csv" and not deck else _banks(bank_paths)  # the review log needs no bank (~0.1 s at 10k)
    if deck:
        banks = [bank.deck_of(banks, deck)]
    if with_progress and fmt != "apkg":
        from quiz.errors import UsageError

        raise UsageError("--with-progress goes with --format apkg")
    store = _open() if fmt in ("csv", "json") or with_progress else None
    if with_progress:  # Anki's own library writes what genanki cannot (quiz/anki.py)
        from quiz import anki, config, session

        text, summary = None, anki.export_with_progress(banks, store, session.scheduler_for(store, config.load()),
                                                        out or Path(f"{deck or 'quiz'}.apkg"), deck)
    else:
        text, summary = export.export(fmt, banks, store, deck, out)
    if text is not None:  # to stdout: JSON keeps every character, escaped; md and csv lose controls
        from quiz.text import CONTROL

        sys.stdout.write(text if fmt == "json" else CONTROL.sub("", text))
    if summary:
        _say(summary)


@command("restore", "Bring back a JSON backup.")
def restore_(
    file: Path = typer.Argument(..., help="A backup made by `quiz export --format json`."),
    force: bool = typer.Option(False, "--force", help="Restore into a home that is not empty: the whole home (progress, banks, settings) is first saved to a new folder in $QUIZ_HOME/backups/, never overwritten."),
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """Restore banks, settings and progress from a JSON backup into an empty $QUIZ_HOME.

    A one-deck backup (export --format json --deck D) replaces that deck's progress only.
    """
    from quiz import backup
    from quiz.text import plural

    _finish_restore()  # one cut off earlier is finished first: the home is whole before it is judged empty
    done = backup.restore(file, force, extra=bank_paths or [])
    if done["saved"]:
        _say(f"Saved the home as it was to {done['saved']}", file=sys.stderr)
    scope = f" of deck {done['deck']} (other decks untouched)" if done["deck"] else ""
    _say(f"Restored {plural(done['cards'], 'card')} and {plural(done['reviews'], 'review')}{scope}"
         + (f"; banks: {', '.join(done['banks'])}" if done["banks"] else "")
         + (f"; already loaded, not written: {', '.join(done['skipped'])}" if done["skipped"] else ""))


@command("backup", "A timestamped JSON backup.")
def backup_(list_: bool = typer.Option(False, "--list", help="List the backups, newest first, instead.")):
    """Save every deck's banks, settings and progress (a JSON backup, as export --format json) to
    $QUIZ_HOME/backups/quiz-YYYYmmdd-HHMMSS.json, private to you; quiz restore FILE brings one back."""
    from quiz import backup
    from quiz.text import plural

    if list_:
        return _say("\n".join(backup.list_backups()) or "No backups yet: quiz backup makes one.")
    path, cards, reviews = backup.save_backup(_banks(), _open(), _now())
    _say(f"Saved {plural(cards, 'card')} and {plural(reviews, 'review')} of every deck to {path} "
         f"(restore: quiz restore {path})")


@command("validate", "Check banks and their proof files.")
def validate(
    paths: Optional[list[Path]] = typer.Argument(None, help="Bank files or folders, or Markdown files to import (default: every bank quiz loads)."),
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """Check banks: print each problem as file:line: message; exit 1 if there are any."""
    from quiz.importer import lint

    problems, warnings, count = lint(paths, extra=bank_paths or [])
    for line in [f"warning: {w}" for w in warnings] + problems:
        _say(line)
    files = f"{count} file{'s' * (count != 1)}"
    if problems:
        raise QuizError(f"{len(problems)} problem{'s' * (len(problems) != 1)} in {files}")
    _say(f"OK: {files} checked, no problems")


# -- self-study: stats, mock interviews, settings, FSRS optimizer (issue 5) ----------------


@command("stats", "Heatmap, streaks, retention, forecast.")
def stats_(
    deck: Optional[str] = DeckOpt,
    tag: Optional[str] = TagOpt,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of charts."),
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """Your progress: a 26-week review heatmap, streaks, true retention, the due forecast,
    card states, time studied, and the weakest cards with leeches (≥ 4 lapses) flagged."""
    from quiz import bank, render, schedule, stats

    questions = bank.select(_banks(bank_paths), deck, tag)
    keys = None if deck is None and tag is None else {(q.deck, q.id) for q in questions}
    store = _open()
    now = _now()
    data = stats.compute(store, questions, now, schedule.scheduler(parameters=store.fsrs_parameters()), keys)
    if as_json:
        _say_json(data)
        return
    console = render.console()
    render.page(console, render.stats_view(data, now))
    if not data["reviews_total"]:
        render.say(console, "No answers yet" + (" for this selection" if keys is not None else "") + ": study with quiz start.")


@command("mock", "A timed mock interview.")
def mock_(
    deck: Optional[str] = DeckOpt,
    tag: Optional[str] = TagOpt,
    count: int = typer.Option(5, "--questions", "-n", min=1, max=1000, help="How many questions to ask."),
    minutes: Optional[float] = typer.Option(None, "--minutes", "-m", min=0.1, max=600, callback=_finite, help="Time budget: no new question once it is spent."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Pick the same questions every time (a random pick otherwise)."),
    bank_paths: Optional[list[Path]] = BankOpt,
):
    """A mock interview: questions at random, one after another, against the clock.

    Type each answer (several lines; an empty line or Ctrl-D ends it), see the model
    answer with what you covered, and rate yourself 1–4 (q quits). Answers are logged
    as reviews of kind 'mock' and reschedule the card. From a pipe: the answer's lines,
    an empty line, then the rating.
    """
    import random

    from quiz import bank, config, mock, render, session
    from quiz.ui import ConsoleUI

    banks = _banks(bank_paths)
    picked = mock.pick(bank.select(banks, deck, tag), count, random.Random(seed))
    store = _open(write=True)
    console = render.console()
    budget = f" · {minutes:g} min" if minutes else ""
    render.say(console, f"Mock interview: {len(picked)} question{'s' * (len(picked) != 1)}{budget}. An empty line "
                        "ends each answer.", style="bold")
    answers = mock.run(store, session.scheduler_for(store, config.load()), picked, ConsoleUI(console), minutes,
                       corpus=[q for b in banks for q in b.questions])
    console.print()
    console.print(render.mock_report(*mock.report(answers, len(picked), minutes)) if answers else "No answers given.",
                  markup=False)


config_app = typer.Typer(help="Show or change settings (a TOML file in $QUIZ_HOME).", no_args_is_help=True,
                         context_settings={"help_option_names": ["-h", "--help"]}, rich_markup_mode=None)
app.add_typer(config_app, name="config")


@command("list", "Every setting: value, default, meaning.", group=config_app)
def config_list(as_json: bool = JsonOpt):
    """Every setting with its value, default and meaning."""
    from quiz import config, render

    values = config.load()
    if as_json:
        _say_json(values)
        return
    console = render.console()
    console.print(render.settings_table(values, config.SETTINGS))
    render.say(console, f"file: {config.path()}", style="dim")


@command("get", "Print one setting's value.", group=config_app)
def config_get(key: str = typer.Argument(..., help="A setting: new_per_day, reviews_per_day, retention or default_deck.")):
    """Print one setting's value."""
    from quiz import config

    _say(config.get(key))


@command("set", "Change one setting.", group=config_app, context_settings={"ignore_unknown_options": True})  # `set new_per_day -3`: our message
def config_set(
    key: str = typer.Argument(..., help="A setting: new_per_day, reviews_per_day, retention or default_deck."),
    value: str = typer.Argument(..., help="Its new value (checked before it is saved)."),
    deck: Optional[str] = typer.Option(None, "--deck", "-d", help="For new_per_day or reviews_per_day: this deck's own daily limit."),
):
    """Change one setting (e.g. quiz config set retention 0.85; quiz config set new_per_day 5 --deck day14)."""
    from quiz import config

    decks = lambda: sorted({b.deck for b in _banks([])})  # noqa: E731 (read only when a deck is named)
    if deck is not None:
        _say(f"{key} = {config.set_for_deck(key, value, deck, decks())} for deck {deck}")
    else:
        _say(f"{key} = {config.set_checked(key, value, decks)}")


@command("optimize", "Fit FSRS to your review log.")
def optimize_(
    retention: bool = typer.Option(False, "--retention", help="Also find the desired retention that costs the least study time per card remembered (a simulation, about a second)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
):
    """Fit FSRS's parameters to your review log; quiz start schedules with them from then on.

    Needs 512 usable reviews (answers a day or more after the card's previous one).
    Fitted parameters are saved only if they predict your answers better (lower log loss).
    """
    from quiz import config, optimize, render

    store = _open()
    before = store.fsrs_parameters()
    try:
        with render.progress_bar(render.console(stderr=True)) as progress:
            fit = optimize.fit(store, _now(), retention, progress=progress)
    except KeyboardInterrupt:  # nothing is written before the one save transaction at the end
        saved = store.fsrs_parameters() != before
        _say("Interrupted: " + ("the new parameters had already been saved." if saved else
                                "nothing changed, the saved parameters are as they were."), file=sys.stderr)
        raise typer.Exit(130) from None
    if as_json:
        _say_json(fit.to_json())
        return
    for line in fit.report(config.load()["retention"] if retention else None):
        _say(line)


def _say(*parts, file=None, end="\n"):
    """print(), with control, escape and bidi characters shown as escapes (file names, titles,
    messages): nothing reaches the terminal as a control, and a file name stays one you can type. On a
    terminal wrapped at words with a hanging indent, never inside a command."""
    from quiz.text import visible, wrap

    file = file or sys.stdout
    text = " ".join(visible(str(p)) for p in parts)
    if end == "\n" and file.isatty():
        import shutil

        text = wrap(text, shutil.get_terminal_size().columns)
    print(text, file=file, end=end)


def _say_json(data):
    from quiz.text import dumps

    print(dumps(data))


def main():
    import errno
    import inspect
    import os

    from quiz import launch

    problem = launch.unusable_environment()
    if problem:
        if sys.stderr is not None:
            print(f"Error: {problem}", file=sys.stderr)
        sys.exit(1)
    if {"--help", "-h"} & set(sys.argv) and "start" in sys.argv:
        launch.help_with_settings(inspect.signature(start).parameters["new"].default)
    everything = list(app.registered_commands), list(app.registered_groups)
    launch.only_the_command_asked_for(app, sys.argv[1:])
    try:
        try:
            app(prog_name="quiz")
        finally:
            sys.stdout.flush()
            app.registered_commands[:], app.registered_groups[:] = everything
    except OSError as e:  # stdout is gone (a closed pipe) or full (/dev/full): one line, exit 1
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        if e.errno != errno.EPIPE:
            print(f"Error: cannot write the output: {e.strerror or e}", file=sys.stderr)
        sys.exit(1)
