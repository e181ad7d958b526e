"""A mock interview: questions asked one after another against the clock.

For each question the user types an answer (several lines; an empty line or
Ctrl-D ends it), then sees the model answer with what the typing covered
(quiz/coverage.py) and rates it. The loop talks to a `ui` object like
`session.study` does (see quiz/ui.py), so a terminal, a pipe or a test can
drive it.

A mock answer is logged as a review of kind 'mock' and reschedules the card
like any review: a mock interview is a real recall test, so what it shows about
your memory counts (and it counts against the day's limits, as a review does).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass

from quiz import schedule
from quiz.bank import Question
from quiz.coverage import Coverage, match
from quiz.store import Store, card_id
from quiz.text import mmss



@dataclass
class MockAnswer:
    question: Question
    coverage: Coverage
    seconds: float            # from the question appearing to the answer's end
    rating: int | None = None  # None: the user quit before rating
    review_id: int | None = None


def pick(questions: list[Question], n: int, rng: random.Random | None = None) -> list[Question]:
    """`n` questions at random (an interviewer does not follow the bank's order)."""
    rng = rng or random.Random()
    return rng.sample(list(questions), min(n, len(questions)))


def run(store: Store, scheduler, questions: list[Question], ui, minutes: float | None = None,
        clock=schedule.utcnow, timer=time.monotonic, corpus=None) -> list[MockAnswer]:
    """Ask `questions` in order; stop early when the time budget (`minutes`) is spent or the user quits.

    The budget is checked before each question: an answer under way is never cut off.
    """
    budget = None if minutes is None else minutes * 60
    answers: list[MockAnswer] = []
    started = timer()
    try:
        for i, q in enumerate(questions, 1):
            elapsed = timer() - started
            if budget is not None and elapsed >= budget:
                ui.message(f"Time is up ({minutes:g} min): {i - 1} of {len(questions)} questions asked.")
                break
            progress = f"mock {i}/{len(questions)} · {mmss(elapsed)}" + (f" of {mmss(budget)}" if budget else "")
            ui.question(q, progress)
            shown = timer()
            typed = ui.read_answer()
            if typed is None:
                break
            answer = MockAnswer(q, match(q, typed, corpus), timer() - shown)
            answers.append(answer)
            now = clock()
            row = store.cards(q.deck).get((q.deck, q.id))
            card = None if row is None else schedule.Card.from_json(row["card_json"])
            outcomes = schedule.preview(scheduler, card or schedule.new_card(card_id(q.deck, q.id), now), now)
            ui.answer(q, coverage=answer.coverage)
            intervals = {r: schedule.human_delta(c.due - now) for r, c in outcomes.items()}
            key = ui.ask_rating(intervals, can_prove=False, suggested=answer.coverage.suggested, can_undo=False,
                                card_keys=False)
            if key not in (1, 2, 3, 4):  # quit
                break
            answer.rating = key
            answer.review_id = store.record(
                q.deck, q.id, key, clock(), int((timer() - shown) * 1000), card, outcomes[key], kind="mock",
                reschedule=lambda c, q=q, key=key, now=now: schedule.review(
                    scheduler, c or schedule.new_card(card_id(q.deck, q.id), now), key, now))
    except KeyboardInterrupt:  # Ctrl-C outside a prompt: like q; every rating is already committed
        pass
    return answers


def report(answers: list[MockAnswer], asked: int, minutes: float | None = None) -> tuple[list[dict], dict]:
    """The closing report: one row per answer, and the totals."""
    rows = [{
        "deck": a.question.deck, "id": a.question.id, "question": a.question.question,
        "seconds": round(a.seconds, 1), "coverage": round(a.coverage.score, 4),
        "covered": a.coverage.covered, "points": len(a.coverage.scored),
        "suggested": a.coverage.suggested, "rating": a.rating,
    } for a in answers]
    rated = Counter(a.rating for a in answers if a.rating is not None)
    seconds = sum(a.seconds for a in answers)
    totals = {
        "asked": asked, "answered": len(answers), "rated": sum(rated.values()),
        "seconds": round(seconds, 1), "mean_seconds": round(seconds / len(answers), 1) if answers else 0.0,
        "budget_seconds": None if minutes is None else minutes * 60,
        "coverage": round(sum(a.coverage.score for a in answers) / len(answers), 4) if answers else 0.0,
        "ratings": {r: rated.get(r, 0) for r in (1, 2, 3, 4)},
    }
    return rows, totals


