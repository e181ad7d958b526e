"""Progress statistics from the review log: what `quiz stats` shows.

Three queries, whatever the size of the log: the log grouped by local day
(heatmap, streaks, retention, time studied), the current card states, and
reps/lapses per card. Everything else is arithmetic on those rows, so it
stays fast at 100k reviews.

Definitions:
- a day is a local calendar day; "last 7 days" is today and the 6 days before;
- true retention is the share of answers given to cards in the review state
  (scheduled answers: kinds 'review' and 'mock') that were not Again;
- a streak is a run of consecutive days with at least one answer (any kind);
  the current streak still counts while today has no answers yet;
- a lapse is an Again on a card in the review state; a leech has ≥ 4 lapses.
"""

from __future__ import annotations

import heapq
import json
from datetime import date, datetime, timedelta

from quiz import schedule
from quiz.session import load_card
from quiz.store import SCHEDULING_SQL, Store

HEATMAP_WEEKS = 26
FORECAST_DAYS = 14
LEECH_LAPSES = 4
WEAK_RECALL = 0.9  # below this recall probability a card counts as weak
WEAKEST = 10
WINDOWS = {"7d": 7, "30d": 30, "all": None}
STATES = ("new", "learning", "review", "relearning")


def _local_day(dt: datetime) -> date:
    return dt.astimezone().date()


def daily(store: Store, keys: set[tuple[str, int]] | None = None) -> dict[date, dict]:
    """Per local day: answers by kind, milliseconds studied, retention counts. One query."""
    where, args = "", ()
    if keys is not None:
        where = " WHERE deck || '/' || qid IN (SELECT value FROM json_each(?))"
        args = (json.dumps([f"{d}/{q}" for d, q in keys]),)
    rows = store.db.execute(
        "SELECT date(reviewed_at, 'localtime') AS day, COUNT(*), COALESCE(SUM(duration_ms), 0),"
        " SUM(kind = 'review'), SUM(kind = 'mock'), SUM(kind = 'cram'),"
        f" IFNULL(SUM(state_before = 2 AND {SCHEDULING_SQL}), 0),"
        f" IFNULL(SUM(state_before = 2 AND {SCHEDULING_SQL} AND rating > 1), 0)"
        f" FROM reviews{where} GROUP BY day",
        args,
    )
    return {
        date.fromisoformat(day): {"answers": n, "ms": ms, "review": rv, "mock": mk, "cram": cr,
                                  "recall_answers": ra, "recalled": ok}
        for day, n, ms, rv, mk, cr, ra, ok in rows
    }


def streaks(days: set[date], today: date) -> dict:
    """Current and longest run of consecutive days in `days`."""
    longest = run = 0
    prev = None
    for d in sorted(days):
        run = run + 1 if prev is not None and (d - prev).days == 1 else 1
        longest = max(longest, run)
        prev = d
    current = 0
    d = today if today in days else today - timedelta(days=1)
    while d in days:
        current += 1
        d -= timedelta(days=1)
    return {"current": current, "longest": longest}


def heatmap_start(today: date) -> date:
    """The Monday that starts the 26-week calendar ending with this week."""
    return today - timedelta(days=today.weekday(), weeks=HEATMAP_WEEKS - 1)


def compute(store: Store, questions, now: datetime, scheduler=None, keys: set[tuple[str, int]] | None = None,
            weakest: int = WEAKEST) -> dict:
    """All of `quiz stats`, as JSON-ready data.

    `questions` are the bank questions in scope (for new cards and question text);
    `keys` limits the log to those (deck, qid) (None: the whole log).
    """
    scheduler = scheduler or schedule.scheduler()
    today = _local_day(now)
    days = daily(store, keys)

    # retention and time, by window
    retention, time_studied = {}, {}
    for name, n in WINDOWS.items():
        chosen = [v for d, v in days.items() if n is None or (today - d).days < n]
        answers = sum(v["recall_answers"] for v in chosen)
        recalled = sum(v["recalled"] for v in chosen)
        retention[name] = {"answers": answers, "recalled": recalled,
                           "rate": round(recalled / answers, 4) if answers else None}
        time_studied[name] = round(sum(v["ms"] for v in chosen) / 1000)

    start = heatmap_start(today)
    heatmap = {(start + timedelta(days=i)).isoformat(): 0 for i in range((today - start).days + 1)}
    for d, v in days.items():
        if start <= d <= today:
            heatmap[d.isoformat()] = v["answers"]

    # cards: states, forecast, weakest, leeches
    rows = store.cards()
    counts = store.counts()
    text = {(q.deck, q.id): q.question for q in questions}
    scope = set(text) if keys is None else keys
    if keys is None:
        scope |= set(rows)
    states = dict.fromkeys(STATES, 0)
    states["new"] = sum(1 for k in scope if k not in rows)
    forecast = {(today + timedelta(days=i)): 0 for i in range(FORECAST_DAYS)}
    cards = []
    for key, row in rows.items():
        if key not in scope:
            continue
        card = load_card(row)
        state = schedule.state_name(card)
        states[state] += 1
        due = _local_day(card.due)
        forecast_day = max(due, today)
        if forecast_day in forecast:
            forecast[forecast_day] += 1
        reps, lapses = counts.get(key, (0, 0))
        r = schedule.retrievability(scheduler, card, now)
        r = None if r is None else round(r, 4)
        if not lapses and (r is None or r >= WEAK_RECALL):
            continue  # neither weak nor a leech: no row needed (most cards, in a long history)
        cards.append({
            "deck": key[0], "id": key[1], "question": text.get(key), "state": state,
            "retrievability": r, "reps": reps, "lapses": lapses,
            "stability": None if card.stability is None else round(card.stability, 2),
            "due": row["due"], "leech": lapses >= LEECH_LAPSES,
        })
    # weakest: cards forgotten before (lapses), or likely to be forgotten now (recall below the
    # desired retention), most lapses first, then the least stable memory
    weak = heapq.nsmallest(weakest, cards, key=lambda c: (-c["lapses"], c["stability"] if c["stability"] is not None
                                                          else 0, c["deck"], c["id"]))
    leeches = sorted((c for c in cards if c["leech"]), key=lambda c: (-c["lapses"], c["deck"], c["id"]))
    by_kind = {k: sum(v[k] for v in days.values()) for k in ("review", "mock", "cram")}
    return {
        "now": now.isoformat(),
        "reviews_total": sum(v["answers"] for v in days.values()),
        "reviews_by_kind": by_kind,
        "days_studied": len(days),
        "streak": streaks({d for d, v in days.items() if v["answers"]}, today),
        "retention": retention,
        "time_studied": time_studied,
        "forecast": [{"date": d.isoformat(), "due": n} for d, n in forecast.items()],
        "heatmap": heatmap,
        "states": states,
        "weakest": weak,
        "leeches": leeches,
    }
