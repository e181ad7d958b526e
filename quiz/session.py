"""A study session: which cards, in what order, and the loop that rates them.

The loop talks to a `ui` object (see quiz/ui.py) so it can be driven by a
terminal, a pipe or a test. Every rating is committed to the store before the
next card is shown.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from quiz import schedule
from quiz.bank import Question
from quiz.store import Store, card_id, iso, parse_iso

NAMES = schedule.RATINGS


@dataclass
class Item:
    question: Question
    card: schedule.Card | None  # None: never studied


def load_card(row) -> schedule.Card | None:
    return None if row is None else schedule.Card.from_json(row["card_json"])


def start_of_day(now: datetime) -> datetime:
    """Local midnight (as UTC): the daily new-card limit resets then, as in Anki."""
    local = now.astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)


def hidden(mark, now_iso: str) -> tuple[bool, bool]:
    """(suspended, buried now) for a card_marks row (or None)."""
    if mark is None:
        return False, False
    return bool(mark["suspended"]), (mark["buried_until"] or "") > now_iso


def new_allowance(questions: list[Question], store: Store, now: datetime, new_per_day: int,
                  by_deck: dict | None = None) -> dict[str, tuple[int, int]]:
    """Per deck: (its daily new-card limit, new cards started today). Each deck has its own allowance,
    so a deck imported today is not starved by another one studied this morning."""
    today = start_of_day(now)
    decks = dict.fromkeys(q.deck for q in questions)
    return {d: ((by_deck or {}).get(d, new_per_day), store.new_cards_since(today, d)) for d in decks}


def select(questions: list[Question], store: Store, now: datetime, *, new_per_day: int = 10,
           reviews_per_day: int | None = None, limit: int | None = None, shuffle: bool = False, cram: bool = False,
           rng: random.Random | None = None, new_by_deck: dict | None = None,
           new_now: int | None = None) -> list[Item]:
    """Due cards (most overdue first), then new cards, each up to today's allowance.

    New cards: up to each deck's daily limit (`new_by_deck`, else `new_per_day`) minus the new cards
    of that deck started today; `new_now` instead asks for that many new cards in this session.
    With `cram`, every given card in bank order, due or not. `limit` caps the total.
    """
    rows, marks = store.cards(), store.marks()
    now_iso = iso(now)

    items = [Item(q, load_card(rows.get((q.deck, q.id)))) for q in questions
             if not any(hidden(marks.get((q.deck, q.id)), now_iso))]  # suspended, or buried until later
    if cram:
        chosen = items
    else:
        due = sorted((i for i in items if i.card is not None and i.card.due <= now), key=lambda i: i.card.due)
        today = start_of_day(now)
        if reviews_per_day is not None:
            due = due[: max(0, reviews_per_day - store.reviews_since(today))]
        fresh = [i for i in items if i.card is None]
        if new_now is not None:
            new = fresh[:new_now]
        else:
            left = {d: max(0, lim - started)
                    for d, (lim, started) in new_allowance(questions, store, now, new_per_day, new_by_deck).items()}
            new = []
            for i in fresh:
                if left[i.question.deck] > 0:
                    left[i.question.deck] -= 1
                    new.append(i)
        chosen = due + new
    chosen = chosen[:limit] if limit is not None else chosen
    if shuffle:
        (rng or random.Random()).shuffle(chosen)
    return chosen


@dataclass
class Session:
    store: Store
    scheduler: schedule.Scheduler
    items: list[Item]
    cram: bool = False
    pos: int = 0
    done: list[tuple[int, int, schedule.Card | None]] = field(default_factory=list)  # (review id, rating, card before)
    started: float = field(default_factory=time.monotonic)

    def current(self) -> Item | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    @property
    def progress(self) -> str:
        return f"{self.pos + 1}/{len(self.items)}"

    def outcomes(self, now: datetime) -> dict[int, schedule.Card]:
        item = self.current()
        card = item.card or schedule.new_card(card_id(item.question.deck, item.question.id), now)
        return schedule.preview(self.scheduler, card, now)

    def rate(self, rating: int, outcome: schedule.Card, now: datetime, duration_ms: int | None) -> None:
        """Commit one rating (the outcome comes from `outcomes`) and move on."""
        item = self.current()
        q = item.question
        after = item.card if self.cram and item.card else outcome

        recorded = [after]  # the state the store commits: `after`, or the rescheduled one

        def reschedule(card):  # another session rated this card meanwhile: rate the card as committed
            recorded[0] = schedule.review(self.scheduler, card or schedule.new_card(card_id(q.deck, q.id), now),
                                          rating, now)
            return recorded[0]

        review_id = self.store.record(q.deck, q.id, rating, now, duration_ms, item.card, after,
                                      kind="cram" if self.cram else "review", reschedule=reschedule)
        self.done.append((review_id, rating, (q.deck, q.id, iso(now))))
        if not self.cram:
            item.card = recorded[0]
        self.pos += 1

    def learning(self, now: datetime, ahead: timedelta = timedelta(minutes=20)) -> list[Item]:
        """Cards of this session now in a (re)learning step due within `ahead`, as Anki's
        learn-ahead limit: they can be gone over again before the session ends."""
        if self.cram:
            return []
        latest = {}
        for item in self.items[: self.pos]:  # the newest state of each card rated here
            latest[(item.question.deck, item.question.id)] = item
        return [Item(i.question, i.card) for i in latest.values()
                if i.card is not None and i.card.state in (schedule.State.Learning, schedule.State.Relearning)
                and i.card.due <= now + ahead]

    def undo(self) -> bool:
        """Take back the last rating of this session; its card comes up again."""
        if not self.done:
            return False
        review_id, rating, expect = self.done[-1]
        state = self.store.undo(review_id, expect)  # QuizError: not undone, nothing changed
        self.done.pop()
        self.pos -= 1
        self.items[self.pos].card = state
        self.last_undone = (self.items[self.pos].question, rating)
        return True

    def feedback(self, rating: int, now: datetime) -> str:
        """One line on what the last rating recorded: 'Good → back in 3d'."""
        item = self.items[self.pos - 1]
        if self.cram:
            return f"{NAMES[rating]} on {item.question.key} → logged (cram: not rescheduled)"
        return f"{NAMES[rating]} on {item.question.key} → back in {schedule.human_delta(item.card.due - now)}"

    def undo_message(self) -> str:
        q, rating = self.last_undone
        return f"Undone: {NAMES[rating]} on {q.key} is removed from the log; that card comes up again."

    def summary(self, next_due: datetime | None, now: datetime) -> dict:
        counts = Counter(r for _, r, _ in self.done)
        secs = int(time.monotonic() - self.started)
        from quiz.schedule import relative

        return {
            "reviewed": len(self.done),
            "ratings": {NAMES[r]: counts.get(r, 0) for r in NAMES},
            "time": f"{secs // 60}m {secs % 60:02d}s",
            "next_due": "no cards studied yet" if next_due is None else f"{relative(next_due, now)} ({next_due.astimezone():%a %d %b %H:%M})",
        }


def nothing_to_study(questions: list[Question], store: Store, now: datetime, settings: dict,
                     new_now: int | None = None) -> str:
    """Why `select` found no card, and how to go on: one line."""
    from quiz.schedule import relative

    nxt = next_due(store, questions)
    if nxt is not None and nxt <= now:  # cards are due, but today's review allowance is spent
        return (f"Daily review limit reached ({settings['reviews_per_day']} reviews today). More tomorrow; "
                "or raise it: quiz config set reviews_per_day N, or study anyway: quiz start --cram")
    when = "no cards are scheduled" if nxt is None else f"the next card is due {relative(nxt, now)}"
    # why no new card: every deck with unstudied cards has used today's new-card limit
    studied = store.cards()
    waiting = {q.deck for q in questions if (q.deck, q.id) not in studied}
    spent = [f"{d}: {started} of {lim} started today"
             for d, (lim, started) in new_allowance(questions, store, now, settings["new_per_day"],
                                                     settings["new_per_day_by_deck"]).items()
             if d in waiting]
    why = (f" New-card limit reached ({'; '.join(spent)}); quiz start --new N studies N more now."
           if spent and new_now is None else "")
    return f"Nothing due: {when}.{why} To study anyway: quiz start --cram"


class Prover:
    """A study session's proofs: a background worker, started once the first card is on screen, imports
    torch and the session's built-in proofs while the user reads, so `p` costs the proof's own time.
    (Here, not in quiz.proofs: the first card is drawn without importing the proofs package.)"""

    def __init__(self, questions, timeout: float = 60.0):
        self.names = list(dict.fromkeys(q.proof for q in questions if q.proof))
        self.timeout = timeout
        self.worker = None

    def warm(self) -> None:
        from quiz.proofs.worker import Worker

        self.worker = Worker()
        for name in [n for n in self.names if not n.endswith(".py")][:50]:  # a bank's own files load only when asked
            self.worker.prepare(name)

    def run(self, q, options: dict | None = None):
        from quiz.proofs.runner import run_for

        return run_for(q, options, self.worker, self.timeout)

    def cancel(self) -> None:
        """Stop a proof under way (Ctrl-C): its worker is replaced by a fresh one."""
        if self.worker is not None:
            self.worker.cancel()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()


def next_due(store: Store, questions: list[Question]) -> datetime | None:
    keys = {(q.deck, q.id) for q in questions}
    dues = [parse_iso(r["due"]) for k, r in store.cards().items() if k in keys]
    return min(dues, default=None)


def study(session: Session, ui, clock=schedule.utcnow, prove=None, prove_each: bool = False,
          type_each: bool = False) -> None:
    """The study loop.

    `ui` shows questions and answers and returns the user's choices (see quiz/ui.py).
    `prove(question)` runs a card's proof inline: after every reveal with
    `prove_each`, else when the user presses `p`.
    Typed answers (`type_each`, or when the reveal prompt returns "type"): the
    answer is shown with what the typing covered and a suggested rating.
    """
    while True:
        item = session.current()
        if item is None:  # past the last card: undo its rating, or go over the cards still in learning
            if not session.done:
                return
            learning = session.learning(clock())
            choice = ui.wait_finish(learning=len(learning))
            if choice == "undo":
                _undo(session, ui)
            elif choice == "again" and learning:
                session.items.extend(learning)
            else:
                return
            continue
        shown = time.monotonic()
        q = item.question
        ui.question(q, session.progress)
        action = "type" if type_each else ui.wait_reveal(can_undo=bool(session.done))
        if action == "quit":
            return
        if action == "undo":
            _undo(session, ui)
            continue
        covered = {}
        if action == "type":
            typed = ui.read_answer()
            if typed is None:
                return
            from quiz.coverage import match

            covered = {"coverage": match(q, typed)}
        now = clock()
        outcomes = session.outcomes(now)
        ui.answer(q, **covered)
        can_prove = prove is not None and q.proof is not None
        if can_prove and prove_each:
            prove(q)
            ui.redraw(q, session.progress, **covered)  # the proof pushed the card up: show it again
        intervals = {r: "cram" if session.cram else schedule.human_delta(c.due - now) for r, c in outcomes.items()}
        suggested = {"suggested": covered["coverage"].suggested} if covered else {}
        can_undo = bool(session.done)
        key = ui.ask_rating(intervals, can_prove=can_prove, can_undo=can_undo, **suggested)
        while key == "prove":
            prove(q)
            ui.redraw(q, session.progress, **covered)
            key = ui.ask_rating(intervals, can_prove=can_prove, can_undo=can_undo, **suggested)
        if key == "quit":
            return
        if key == "undo":
            _undo(session, ui)
            continue
        rated_at = clock()
        session.rate(key, outcomes[key], rated_at, int((time.monotonic() - shown) * 1000))
        ui.feedback(session.feedback(key, rated_at))


def _undo(session: Session, ui) -> None:
    """u: take back the last rating, saying which; or say why it could not be."""
    from quiz.errors import QuizError

    try:
        if session.undo():
            ui.message(session.undo_message())
    except QuizError as e:
        ui.message(str(e))


def card_rows(questions: list[Question], store: Store, scheduler, now: datetime, due_only: bool = False) -> list[dict]:
    """One dict per question with its progress: what `quiz list` shows."""
    rows, counts, marks = store.cards(), store.counts(), store.marks()
    out = []
    now_iso = iso(now)
    for q in questions:
        row = rows.get((q.deck, q.id))
        if due_only and (row is None or row["due"] > now_iso):  # ISO-8601 UTC strings sort as times
            continue
        card = load_card(row)
        reps, lapses = counts.get((q.deck, q.id), (0, 0))
        r = schedule.retrievability(scheduler, card, now)
        mark = marks.get((q.deck, q.id))
        suspended, buried = hidden(mark, now_iso)
        out.append({
            "deck": q.deck, "id": q.id, "question": q.question, "tags": list(q.tags),
            "state": schedule.state_name(card),
            "suspended": suspended, "buried": buried,
            "flagged": bool(mark and mark["flagged"]),
            "due": None if card is None else row["due"],
            "reps": reps, "lapses": lapses,
            "stability": None if card is None else card.stability,
            "difficulty": None if card is None else card.difficulty,
            "retrievability": None if r is None else round(r, 4),
        })
    return out
