"""Scheduling: a thin, pure wrapper over py-fsrs. We never compute intervals ourselves."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fsrs import Card, Rating, Scheduler, State

RATINGS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
STATE_NAMES = {None: "new", State.Learning: "learning", State.Review: "review", State.Relearning: "relearning"}

__all__ = ["Card", "Rating", "Scheduler", "State", "RATINGS", "new_card", "review", "preview", "state_name", "scheduler", "retrievability", "utcnow", "human_delta"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


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
    if card is None or card.last_review is None:
        return None
    return s.get_card_retrievability(card, now)


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
