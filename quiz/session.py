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


def tomorrow(now: datetime) -> datetime:
    """The start of the next local day: when a card buried now comes back (as in Anki)."""
    return start_of_day(now) + timedelta(days=1)


def hidden(mark, now_iso: str) -> tuple[bool, bool]:
    """(suspended, buried now) for a card_marks row (or None)."""
    if mark is None:
        return False, False
    return bool(mark["suspended"]), (mark["buried_until"] or "") > now_iso


def allowance(questions: list[Question], store: Store, now: datetime, per_day: int, by_deck: dict | None = None,
              new: bool = False) -> dict[str, tuple[int, int]]:
    """Per deck: (its daily limit, answers it counts today) — of new cards started if `new`, else of
    reviews. Each deck has its own allowance, so a deck imported today is not starved by another one
    studied this morning."""
    today = start_of_day(now)
    decks = dict.fromkeys(q.deck for q in questions)
    return {d: ((by_deck or {}).get(d, per_day), store.answers_since(today, d, new)) for d in decks}


def limits(settings: dict) -> dict:
    """select()'s daily limits from the settings."""
    return {"new_per_day": settings["new_per_day"], "new_by_deck": settings["new_per_day_by_deck"],
            "reviews_per_day": settings["reviews_per_day"], "reviews_by_deck": settings["reviews_per_day_by_deck"]}


def scheduler_for(store: Store, settings: dict, retention: float | None = None) -> schedule.Scheduler:
    """FSRS with the user's fitted parameters and desired retention (`retention` or the setting)."""
    return schedule.scheduler(settings["retention"] if retention is None else retention,
                              parameters=store.fsrs_parameters())


def select(questions: list[Question], store: Store, now: datetime, *, new_per_day: int = 10,
           reviews_per_day: int | None = None, limit: int | None = None, shuffle: bool = False, cram: bool = False,
           rng: random.Random | None = None, new_by_deck: dict | None = None,
           new_now: int | None = None, reviews_by_deck: dict | None = None) -> list[Item]:
    """Due cards (most overdue first), then new cards, each up to today's allowance.

    Due cards: up to each deck's daily review limit (`reviews_by_deck`, else `reviews_per_day`; None:
    no limit) minus its reviews today. New cards: up to each deck's daily limit (`new_by_deck`, else
    `new_per_day`) minus the new cards of that deck started today; `new_now` instead asks for that
    many new cards in this session. With `cram`, every given card in bank order, due or not.
    `limit` caps the total. Suspended and buried cards are never selected.
    """
    rows, marks = store.cards(), store.marks()
    now_iso = iso(now)

    items = [Item(q, load_card(rows.get((q.deck, q.id)))) for q in questions
             if not any(hidden(marks.get((q.deck, q.id)), now_iso))]  # suspended, or buried until later
    if cram:
        chosen = items
    else:
        due = sorted((i for i in items if i.card is not None and i.card.due <= now), key=lambda i: i.card.due)
        if reviews_per_day is not None:
            left = {d: max(0, lim - done) for d, (lim, done)
                    in allowance(questions, store, now, reviews_per_day, reviews_by_deck).items()}
            due = _take(due, left)
        fresh = [i for i in items if i.card is None]
        if new_now is not None:
            new = fresh[:new_now]
        else:
            new = _take(fresh, {d: max(0, lim - started) for d, (lim, started)
                                in allowance(questions, store, now, new_per_day, new_by_deck, new=True).items()})
        chosen = due + new
    chosen = chosen[:limit] if limit is not None else chosen
    if shuffle:
        (rng or random.Random()).shuffle(chosen)
    return chosen


def _take(items: list[Item], left: dict[str, int]) -> list[Item]:
    """Items in order, each deck's up to its allowance `left`."""
    out = []
    for i in items:
        if left[i.question.deck] > 0:
            left[i.question.deck] -= 1
            out.append(i)
    return out


def held_back(questions: list[Question], store: Store, now: datetime, settings: dict, picked: dict) -> str:
    """After a session ran out of cards: which limits keep cards that are waiting out of it, and how
    to go on (one line; "" when none does)."""
    rows, marks = store.cards(), store.marks()
    now_iso = iso(now)
    visible = [q for q in questions if not any(hidden(marks.get((q.deck, q.id)), now_iso))]
    due = Counter(q.deck for q in visible if (q.deck, q.id) in rows and rows[(q.deck, q.id)]["due"] <= now_iso)
    fresh = Counter(q.deck for q in visible if (q.deck, q.id) not in rows)
    parts = []
    spent = [(d, lim, done) for d, (lim, done) in allowance(
        questions, store, now, settings["reviews_per_day"], settings["reviews_per_day_by_deck"]).items()
        if due[d] and done >= lim]
    if spent:
        n = sum(due[d] for d, _, _ in spent)
        parts.append("Daily review limit reached (" + "; ".join(f"{d}: {done} of {lim} reviews today"
                                                             for d, lim, done in spent)
                     + f"): {n} due card{'s' * (n != 1)} wait{'s' * (n == 1)}. More tomorrow; or raise it: "
                       "quiz config set reviews_per_day N (--deck D for one deck), or study anyway: quiz start --cram")
    if picked.get("new_now") is None:
        full = [(d, lim, started) for d, (lim, started) in allowance(
            questions, store, now, settings["new_per_day"], settings["new_per_day_by_deck"], new=True).items()
            if fresh[d] and started >= lim]
        if full:
            n = sum(fresh[d] for d, _, _ in full)
            parts.append("New-card limit reached (" + "; ".join(f"{d}: {started} of {lim} started today"
                                                                for d, lim, started in full)
                         + f"): {n} new card{'s' * (n != 1)} wait{'s' * (n == 1)}; quiz start --new N studies "
                           "N more now")
    if picked.get("limit") is not None and not parts:
        more = len(select(questions, store, now, **limits(settings), new_now=picked.get("new_now")))
        if more:
            parts.append(f"--limit {picked['limit']} was reached; {more} more card{'s' * (more != 1)} "
                         "can be studied now: quiz start")
    return ". ".join(parts) + "." if parts else ""


LEARN_AHEAD = timedelta(minutes=20)  # Anki's learn-ahead limit: with nothing else left, learning cards due this soon


def kind(card: schedule.Card | None) -> str:
    """'new', 'learning' (learning or relearning steps) or 'review': Anki's three queues."""
    if card is None or card.last_review is None:
        return "new"
    return "learning" if card.state in (schedule.State.Learning, schedule.State.Relearning) else "review"


@dataclass
class Step:
    """One thing done in a session that `u` can take back: a rating, or a bury or suspend."""
    item: Item
    source: str  # where the card came from: "queue" or "learning"
    rating: int | None = None  # a rating: its review id and what the store must still hold to undo it
    review_id: int | None = None
    expect: tuple | None = None
    mark: str | None = None  # "bury" or "suspend": the card's marks before it
    before: dict | None = None
    after: schedule.Card | None = None  # the state a rating committed


@dataclass
class Session:
    """The cards of a session: `items` in order (due, then new), and, as in Anki, the cards that a
    rating put in a (re)learning step, which come back within the session once due (time away
    counts); with nothing else left, those due within LEARN_AHEAD come at once."""
    store: Store
    scheduler: schedule.Scheduler
    items: list[Item]
    cram: bool = False
    done: list[Step] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    corpus: list[Question] = field(default_factory=list)  # the decks' questions, for typed answers' term weights

    def __post_init__(self):
        self.queue: list[Item] = list(self.items)
        self.learning: dict[tuple[str, int], Item] = {}
        self.shown: tuple[Item, str] | None = None  # the card on screen and where it came from
        self.previewed_at: datetime | None = None

    def next(self, now: datetime) -> Item | None:
        """The card to show: a learning card due now, else the next of the queue, else a learning card
        due within LEARN_AHEAD; None when the session is over."""
        if self.shown is not None:
            return self.shown[0]
        due = sorted((i for i in self.learning.values() if i.card.due <= now), key=lambda i: i.card.due)
        if not due and not self.queue:
            due = sorted((i for i in self.learning.values() if i.card.due <= now + LEARN_AHEAD),
                         key=lambda i: i.card.due)
        if due:
            item = self.learning.pop(_key(due[0]))
            self.shown = (item, "learning")
        elif self.queue:
            self.shown = (self.queue.pop(0), "queue")
        return None if self.shown is None else self.shown[0]

    def current(self) -> Item | None:
        return None if self.shown is None else self.shown[0]

    def counts(self) -> dict[str, int]:
        """Cards left (the one on screen included) per queue: new · learning · review, as Anki's header."""
        left = [i.card for i in self.queue] + [i.card for i in self.learning.values()]
        if self.shown is not None:
            left.append(self.shown[0].card)
        c = Counter(kind(card) for card in left)
        return {k: c.get(k, 0) for k in ("new", "learning", "review")}

    @property
    def progress(self) -> str:
        return " · ".join(f"{n} {k}" for k, n in self.counts().items())

    def later(self) -> list[Item]:
        """Cards of this session still in a learning step, soonest first (once next() has none: those due
        after the learn-ahead limit)."""
        return sorted(self.learning.values(), key=lambda i: i.card.due)

    def outcomes(self, now: datetime) -> dict[int, schedule.Card]:
        """What each rating would do to the card on screen, at `now`: the labels show these, and
        rating one commits it as is (so a label is what is scheduled)."""
        item = self.current() or self.next(now)
        card = item.card or schedule.new_card(card_id(item.question.deck, item.question.id), now)
        self.previewed_at = now
        return schedule.preview(self.scheduler, card, now)

    def interval(self, card: schedule.Card) -> str:
        """A card's interval as a rating label shows it: from the time the outcomes were computed."""
        return schedule.human_delta(card.due - self.previewed_at)

    def rate(self, rating: int, outcome: schedule.Card, now: datetime, duration_ms: int | None) -> None:
        """Commit one rating (the outcome comes from `outcomes`) and move on."""
        item, source = self.shown
        q = item.question
        after = item.card if self.cram and item.card else outcome

        recorded = [after]  # the state the store commits: `after`, or the rescheduled one

        def reschedule(card):  # another session rated this card meanwhile: rate the card as committed
            recorded[0] = schedule.review(self.scheduler, card or schedule.new_card(card_id(q.deck, q.id), now),
                                          rating, now)
            return recorded[0]

        review_id = self.store.record(q.deck, q.id, rating, now, duration_ms, item.card, after,
                                      kind="cram" if self.cram else "review", reschedule=reschedule)
        self.done.append(Step(Item(q, item.card), source, rating, review_id, (q.deck, q.id, iso(now)),
                              after=recorded[0]))
        if not self.cram:
            item.card = recorded[0]
            if kind(item.card) == "learning":
                self.learning[_key(item)] = item
        self.shown = None

    def hide(self, what: str, now: datetime) -> str:
        """`-` bury (until tomorrow) or `@` suspend the card on screen: it leaves the session; `u` brings it back."""
        item, source = self.shown
        q = item.question
        before = self.store.marks().get((q.deck, q.id))
        before = {"suspended": 0, "buried_until": None} if before is None else {
            "suspended": before["suspended"], "buried_until": before["buried_until"]}
        if what == "bury":
            until = tomorrow(now)
            self.store.mark([(q.deck, q.id)], buried_until=iso(until))
            said = f"Buried {q.key} until tomorrow"
        else:
            self.store.mark([(q.deck, q.id)], suspended=1)
            said = f"Suspended {q.key} (quiz unsuspend {q.key} puts it back)"
        self.done.append(Step(item, source, mark=what, before=before))
        self.shown = None
        return said + " · u: undo"

    def flag(self) -> str:
        """`*`: flag the card on screen, or unflag it."""
        q = self.current().question
        mark = self.store.marks().get((q.deck, q.id))
        flagged = not (mark and mark["flagged"])
        self.store.mark([(q.deck, q.id)], flagged=int(flagged))
        return f"Flagged {q.key} (quiz list --flagged)" if flagged else f"Unflagged {q.key}"

    def undo(self) -> bool:
        """Take back the last rating, bury or suspend of this session; its card comes up again."""
        if not self.done:
            return False
        step = self.done[-1]
        if step.mark is None:
            state = self.store.undo(step.review_id, step.expect)  # QuizError: not undone, nothing changed
        else:
            q = step.item.question
            self.store.mark([(q.deck, q.id)], **step.before)
        self.done.pop()
        if self.shown is not None:  # the card on screen goes back where it came from
            item, source = self.shown
            if source == "queue":
                self.queue.insert(0, item)
            else:
                self.learning[_key(item)] = item
        item = step.item
        self.learning.pop(_key(item), None)
        if step.mark is None:
            item = Item(item.question, state)
        self.shown = (item, step.source)
        self.last_undone = step
        return True

    def replace(self, questions: list[Question]) -> None:
        """Its deck edited: every card of the session takes its new text (same deck and id, so the same
        progress); one no longer in the deck keeps the text it had."""
        new = {(q.deck, q.id): q for q in questions}
        for item in [*self.queue, *self.learning.values()]:
            item.question = new.get(_key(item), item.question)
        item, source = self.shown
        self.shown = (Item(new.get(_key(item), item.question), item.card), source)

    def feedback(self, rating: int) -> str:
        """One line on what the last rating recorded: 'Good → back in 3d' (the label's own words)."""
        step = self.done[-1]
        q = step.item.question
        if self.cram:
            return f"{NAMES[rating]} on {q.key} → logged (cram: not rescheduled)"
        return f"{NAMES[rating]} on {q.key} → back in {self.interval(step.after)}"

    def undo_message(self) -> str:
        step = self.last_undone
        if step.mark is not None:
            return f"Undone: {step.item.question.key} is no longer {'buried' if step.mark == 'bury' else 'suspended'}; it comes up again."
        return (f"Undone: {NAMES[step.rating]} on {step.item.question.key} is removed from the log; "
                "that card comes up again.")

    def summary(self, next_due: datetime | None, now: datetime) -> dict:
        counts = Counter(s.rating for s in self.done if s.rating is not None)
        secs = int(time.monotonic() - self.started)
        from quiz.schedule import relative

        return {
            "reviewed": sum(counts.values()),
            "ratings": {NAMES[r]: counts.get(r, 0) for r in NAMES},
            "time": f"{secs // 60}m {secs % 60:02d}s",
            "next_due": "no cards studied yet" if next_due is None else f"{relative(next_due, now)} ({next_due.astimezone():%a %d %b %H:%M})",
        }


def _key(item: Item) -> tuple[str, int]:
    return item.question.deck, item.question.id


def nothing_to_study(questions: list[Question], store: Store, now: datetime, settings: dict,
                     new_now: int | None = None) -> str:
    """Why `select` found no card, and how to go on: one message."""
    from quiz.schedule import relative

    why = held_back(questions, store, now, settings, {"new_now": new_now})
    marks, now_iso = store.marks(), iso(now)
    rows = store.cards()
    upcoming = [parse_iso(rows[(q.deck, q.id)]["due"]) for q in questions if (q.deck, q.id) in rows
                and not any(hidden(marks.get((q.deck, q.id)), now_iso))]
    nxt = min(upcoming, default=None)
    if nxt is not None and nxt <= now:
        head = "Nothing to study now."
    else:
        head = "Nothing due: " + ("no cards are scheduled." if nxt is None else f"the next card is due {relative(nxt, now)}.")
    out = sum(any(hidden(marks.get((q.deck, q.id)), now_iso)) for q in questions)
    hid = (f" {out} card{'s' * (out != 1)} {'are' if out != 1 else 'is'} suspended or buried "
           "(quiz list --state suspended, --state buried).") if out else ""
    cram = "" if "--cram" in why else " To study anyway: quiz start --cram"
    return f"{head}{' ' + why if why else ''}{hid}{cram}"


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


KEYS_HELP = ("Space/Enter show the answer · t type your answer first · 1–4 rate: Again, Hard, Good, Easy "
             "(each labelled with when the card returns) · u undo the last rating, bury or suspend · "
             "p run the card's proof · c the card again (after a proof) · - bury until tomorrow · "
             "@ suspend · * flag or unflag · e edit the question · ? these keys · q quit (Ctrl-C too)")


def study(session: Session, ui, clock=schedule.utcnow, prove=None, prove_each: bool = False,
          type_each: bool = False, edit=None) -> None:
    """The study loop.

    `ui` shows questions and answers and returns the user's choices (see quiz/ui.py).
    `prove(question)` runs a card's proof inline: after every reveal with
    `prove_each`, else when the user presses `p`; only the rating prompt follows it (the proof stays
    on screen), and `c` shows the card again.
    Typed answers (`type_each`, or when the reveal prompt returns "type"): the
    answer is shown with what the typing covered and a suggested rating; Ctrl-C while typing
    goes back to the card.
    `edit(question)` → the questions of its deck as edited (or None): `e`.
    Cards in a learning step come back once due (Session.next).
    """
    ask = False  # after a cancelled typing: the reveal prompt, even with type_each
    while True:
        now = clock()
        item = session.next(now)
        if item is None:  # past the last card: undo its rating, or finish
            if not session.done:
                return
            if ui.wait_finish(later=[i.card.due for i in session.later()], now=now) == "undo":
                _undo(session, ui)
                continue
            return
        shown = time.monotonic()
        ui.question(item.question, session.progress)
        while True:
            action = "type" if type_each and not ask else ui.wait_reveal(can_undo=bool(session.done))
            ask = False
            if action in ("flag", "help", "edit"):
                if _act(session, ui, action, clock, edit):
                    ui.question(session.current().question, session.progress)
                continue
            break
        q = session.current().question
        if action == "quit":
            return
        if action == "undo":
            _undo(session, ui)
            continue
        if action in ("bury", "suspend"):
            _act(session, ui, action, clock, edit)
            continue
        covered = {}
        if action == "type":
            try:
                typed = ui.read_answer()
            except KeyboardInterrupt:
                ui.message("Typing cancelled: back to the card.")
                ask = True
                continue
            if typed is None:
                return
            from quiz.coverage import match

            covered = {"coverage": match(q, typed, session.corpus)}
        outcomes = session.outcomes(clock())
        ui.answer(q, **covered)
        can_prove = prove is not None and q.proof is not None
        proved = False
        if can_prove and prove_each:
            prove(q)
            proved = True
        intervals = {r: "cram" if session.cram else session.interval(c) for r, c in outcomes.items()}
        suggested = {"suggested": covered["coverage"].suggested} if covered else {}
        while True:
            key = ui.ask_rating(intervals, can_prove=can_prove, can_undo=bool(session.done),
                                can_show=proved, **suggested)
            if key == "prove":
                prove(q)
                proved = True
            elif key == "card":
                ui.redraw(q, session.progress, **covered)
                proved = False
            elif key in ("flag", "help", "edit"):
                if _act(session, ui, key, clock, edit):
                    q = session.current().question
                    covered = {}  # the typed answer was matched against the old text
                    ui.redraw(q, session.progress)
            else:
                break
        if key == "quit":
            return
        if key == "undo":
            _undo(session, ui)
            continue
        if key in ("bury", "suspend"):
            _act(session, ui, key, clock, edit)
            continue
        session.rate(key, outcomes[key], clock(), int((time.monotonic() - shown) * 1000))
        ui.feedback(session.feedback(key))


def _act(session: Session, ui, action: str, clock, edit) -> bool:
    """`-` bury, `@` suspend, `*` flag, `?` keys, `e` edit on the card on screen. True when the
    card's text changed (edited)."""
    from quiz.errors import QuizError

    if action == "help":
        ui.message(KEYS_HELP)
    elif action == "flag":
        ui.message(session.flag())
    elif action in ("bury", "suspend"):
        ui.message(session.hide(action, clock()))
    elif action == "edit":
        if edit is None:
            ui.message("e: edit works on a terminal; quiz edit " + session.current().question.key)
            return False
        try:
            edited = edit(session.current().question)
        except QuizError as e:
            ui.message(str(e))
            return False
        if edited is not None:
            session.replace(edited)
            return True
    return False


def _undo(session: Session, ui) -> None:
    """u: take back the last rating, saying which; or say why it could not be."""
    from quiz.errors import QuizError

    try:
        if session.undo():
            ui.message(session.undo_message())
    except QuizError as e:
        ui.message(str(e))


def mark_cards(store: Store, questions: list[Question], what: str, now: datetime) -> str:
    """`quiz suspend`, `bury` (until tomorrow), `flag`, `unflag`, `unsuspend`, `unbury`: mark the cards;
    what was done, in one line."""
    keys = [(q.deck, q.id) for q in questions]
    done = {"suspend": ("Suspended", {"suspended": 1}), "flag": ("Flagged", {"flagged": 1}),
            "unflag": ("Unflagged", {"flagged": 0}),
            "bury": ("Buried until tomorrow", {"buried_until": iso(tomorrow(now))})}
    if what in done:
        store.mark(keys, **done[what][1])
        return f"{done[what][0]}: " + ", ".join(q.key for q in questions)
    return unhide(store, questions, what.removeprefix("un"), now)


def unhide(store: Store, questions: list[Question], what: str, now: datetime) -> str:
    """`quiz unsuspend` (what="suspend") or `quiz unbury` ("bury"): put the cards back; the message
    says which were, and for any that stays hidden for the other reason, how to bring it back."""
    marks, now_iso = store.marks(), iso(now)
    store.mark([(q.deck, q.id) for q in questions], **({"suspended": 0} if what == "suspend" else {"buried_until": None}))
    word = {"suspend": "suspended", "bury": "buried"}[what]
    lines, was = [], []
    for q in questions:
        suspended, buried = hidden(marks.get((q.deck, q.id)), now_iso)
        if (suspended, buried)[what == "bury"]:
            was.append(q.key)
            continue
        line = f"{q.key} was not {word}"
        if what == "suspend" and buried:
            line += f"; it is buried until tomorrow: quiz unbury {q.key}"
        if what == "bury" and suspended:
            line += f"; it is suspended: quiz unsuspend {q.key}"
        lines.append(line)
    if was:
        lines.insert(0, f"Un{word}: " + ", ".join(was))
    return "; ".join(lines)


STATES = ("new", "learning", "review", "relearning", "suspended", "buried")


def card_rows(questions: list[Question], store: Store, scheduler, now: datetime, due_only: bool = False,
              state: str | None = None, flagged: bool = False) -> list[dict]:
    """One dict per question with its progress: what `quiz list` shows; only those due, in `state`
    (one of STATES), flagged, if asked."""
    if state is not None and state not in STATES:
        from quiz.errors import UsageError

        raise UsageError(f"--state must be one of {', '.join(STATES)}, got {state!r}")
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
    if state is not None:
        out = [r for r in out if (r[state] if state in ("suspended", "buried") else r["state"] == state)]
    return [r for r in out if r["flagged"]] if flagged else out
