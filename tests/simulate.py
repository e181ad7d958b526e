"""A deterministic simulated learner, for tests that need a realistic review history.

The learner's "true" memory follows an FSRS forgetting curve with its own
parameters (TRUE_PARAMETERS: it forgets faster than FSRS's defaults assume), so
fitting parameters to its log has something to find. The app schedules with
`scheduler` (default FSRS parameters, no fuzz); the learner answers each card
at the time it is due, except on days off (seeded), when the card waits for
the next study day. Recall is drawn from the true retrievability; every answer
is written through `Store.record`, exactly as a study session writes it.

Everything is drawn from one `random.Random(seed)`: the same call gives the
same log, byte for byte.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fsrs import Card, Rating, Scheduler

from quiz.store import Store, card_id

# FSRS-6 defaults with shorter initial stabilities, slower growth and a steeper decay
TRUE_PARAMETERS = (
    0.1, 0.5, 1.0, 4.0,                  # initial stability per first rating (days)
    6.4133, 0.8334, 3.0194, 0.001,
    1.3, 0.25, 0.9,                      # recall stability growth
    1.4835, 0.0614, 0.2629, 1.6483,
    0.6014, 1.8729, 0.5425, 0.0912, 0.0658,
    0.35,                                # decay
)


@dataclass
class Learner:
    seed: int = 0
    true_parameters: tuple = TRUE_PARAMETERS
    first: tuple = (0.25, 0.2, 0.45, 0.1)  # P(Again, Hard, Good, Easy) on a card's first answer
    recalled: tuple = (0.2, 0.7, 0.1)      # P(Hard, Good, Easy) when the card is recalled
    day_off: float = 0.12                  # chance that the learner skips a day
    cram_per_day: float = 0.05             # chance of cramming one card (logged, not rescheduled)
    rng: random.Random = field(init=False)

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        self.memory = Scheduler(parameters=self.true_parameters, enable_fuzzing=False)

    def rate(self, true_card: Card | None, when: datetime) -> int:
        if true_card is None:
            return self.rng.choices((1, 2, 3, 4), weights=self.first)[0]
        p = self.memory.get_card_retrievability(true_card, when)
        if self.rng.random() >= p:
            return 1
        return self.rng.choices((2, 3, 4), weights=self.recalled)[0]

    def duration_ms(self) -> int:
        return self.rng.randint(3_000, 40_000)


def simulate(store: Store, keys: list[tuple[str, int]], *, end: datetime, days: int, new_per_day: int = 5,
             seed: int = 0, scheduler: Scheduler | None = None, learner: Learner | None = None) -> int:
    """Study `keys` (deck, qid) for `days` days ending at `end`; returns the number of answers logged.

    New cards come in bank order, `new_per_day` on each study day at 09:00 UTC;
    every card is then answered at its due time (or at 09:00 on the next study day).
    """
    learner = learner or Learner(seed)
    rng = learner.rng
    app = scheduler or Scheduler(enable_fuzzing=False)
    store.db.execute("PRAGMA synchronous = OFF")  # speed only: the test database is thrown away
    start = (end - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    off = {d for d in range(days + 1) if d > 0 and rng.random() < learner.day_off}

    def study_time(when: datetime) -> datetime:
        d = (when.date() - start.date()).days
        if d not in off:
            return when
        while d in off:
            d += 1
        return start + timedelta(days=d, hours=9)

    queue: list[tuple[datetime, int, tuple[str, int] | None]] = []  # (when, order, card); None: a cram
    new = iter(keys)
    order = 0
    for day in range(days + 1):
        if day in off:
            continue
        at = start + timedelta(days=day, hours=9)
        for _ in range(new_per_day):
            key = next(new, None)
            if key is None:
                break
            heapq.heappush(queue, (at, order, key))
            order += 1
        if rng.random() < learner.cram_per_day:
            heapq.heappush(queue, (at + timedelta(hours=11), order, None))
            order += 1
    cards: dict[tuple[str, int], tuple[Card, Card]] = {}  # (as scheduled, as truly remembered)
    logged = 0
    while queue:
        due, n, key = heapq.heappop(queue)
        when = study_time(due) + timedelta(seconds=rng.randint(0, 59))
        if when > end:
            continue
        if key is None:  # cram a card studied so far: logged, not rescheduled
            if cards:
                key = rng.choice(sorted(cards))
                card = cards[key][0]
                store.record(key[0], key[1], learner.rate(cards[key][1], when), when, learner.duration_ms(),
                             card, card, kind="cram")
                logged += 1
            continue
        before, truth = cards.get(key, (None, None))
        rating = learner.rate(truth, when)
        new_card = Card(card_id=card_id(*key), due=when)
        after, _ = app.review_card(before or new_card, Rating(rating), when)
        truth_after, _ = learner.memory.review_card(truth or new_card, Rating(rating), when)
        store.record(key[0], key[1], rating, when, learner.duration_ms(), before, after)
        logged += 1
        cards[key] = (after, truth_after)
        heapq.heappush(queue, (after.due, n, key))
    return logged


def write_bank(folder: Path, deck: str, n: int, tags=lambda i: ["odd" if i % 2 else "even"]) -> list[tuple[str, int]]:
    """A bank of `n` generated questions in `folder`/`deck`.yaml; returns its (deck, qid) keys."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"deck: {deck}", f"title: Generated {deck}", "questions:"]
    for i in range(1, n + 1):
        lines += [f"  - id: {i}", f"    question: Generated question {i}?",
                  f"    answer: ['Answer {i} mentions **term{i}** and residual connections.']",
                  f"    tags: [{', '.join(tags(i))}]"]
    (folder / f"{deck}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [(deck, i) for i in range(1, n + 1)]


NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
