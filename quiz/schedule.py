"""Scheduling: a thin, pure wrapper over py-fsrs. We never compute intervals ourselves."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fsrs import Card, Rating, Scheduler, State

RATINGS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
STATE_NAMES = {None: "new", State.Learning: "learning", State.Review: "review", State.Relearning: "relearning"}

__all__ = ["Card", "Rating", "Scheduler", "State", "RATINGS", "new_card", "review", "preview", "state_name", "scheduler", "retrievability", "utcnow", "human_delta"]


_anchor: tuple | None = None  # (QUIZ_NOW's text, the time it names, time.monotonic() when first read)


def utcnow() -> datetime:
    """Now, in UTC; or, with QUIZ_NOW set (ISO 8601 with an offset, e.g. 2026-03-01T09:00+01:00),
    that time when first asked, moving on with the clock: study, list or stats "as of" then."""
    import os

    fixed = os.environ.get("QUIZ_NOW")
    if not fixed:
        return datetime.now(timezone.utc)
    global _anchor
    if _anchor is None or _anchor[0] != fixed:
        import time

        _anchor = (fixed, parse_now(fixed), time.monotonic())
    import time

    return _anchor[1] + timedelta(seconds=time.monotonic() - _anchor[2])


def parse_now(text: str) -> datetime:
    from quiz.errors import QuizError

    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise QuizError(f"QUIZ_NOW={text!r}: expected an ISO 8601 time with its offset, "
                        "e.g. 2026-03-01T09:00+01:00 or 2026-03-01T08:00Z")
    return when.astimezone(timezone.utc)


def scheduler(retention: float = 0.9, parameters=None, fuzz: bool = True) -> Scheduler:
    kwargs = {"desired_retention": retention, "enable_fuzzing": fuzz}
    if parameters is not None:
        kwargs["parameters"] = parameters
    return Scheduler(**kwargs)


def new_card(card_id: int, now: datetime) -> Card:
    return Card(card_id=card_id, due=now)


def review(s: Scheduler, card: Card, rating: int, now: datetime, duration_ms: int | None = None) -> Card:
    """The card after `rating` at `now` (UTC). Pure: `card` is not modified."""
    new, _log = s.review_card(card, Rating(rating), review_datetime=now, review_duration=duration_ms)
    return new


def preview(s: Scheduler, card: Card, now: datetime) -> dict[int, Card]:
    """What each rating would do. The session rates with these exact outcomes,
    so the intervals shown are the intervals given (fuzz included)."""
    return {r: review(s, card, r, now) for r in RATINGS}


def state_name(card: Card | None) -> str:
    return "new" if card is None or card.last_review is None else STATE_NAMES[card.state]


def retrievability(s: Scheduler, card: Card | None, now: datetime) -> float | None:
    """The probability of recall now, by FSRS's forgetting curve over the time since the last review
    counted in fractions of a day. (py-fsrs's get_card_retrievability counts whole days: a learning
    card 15 h overdue, with a stability of 6 h, came out at 100%.)"""
    if card is None or card.last_review is None or card.stability is None:
        return None
    decay = -s.parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    elapsed = max(0.0, (now - card.last_review).total_seconds() / 86400)
    return (1 + factor * elapsed / card.stability) ** decay


def human_delta(delta: timedelta) -> str:
    """Anki-style short interval: <1m, 10m, 3h, 4d, 2.1mo, 1.3y."""
    secs = delta.total_seconds()
    if secs < 60:
        return "<1m"
    if secs < 3600:
        return f"{round(secs / 60)}m"
    if secs < 86400:
        return f"{round(secs / 3600)}h"
    days = secs / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"


def relative(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "now"
    delta = when - now
    if delta.total_seconds() <= 0:
        return "now" if -delta < timedelta(minutes=1) else f"{human_delta(-delta)} ago"
    return f"in {human_delta(delta)}"
