"""Fit FSRS parameters to this user's review log (`quiz optimize`).

py-fsrs's Optimizer does the fitting (it needs torch: imported only inside
`fit`, never on any other path). Which reviews count:

- scheduled answers only (kinds 'review' and 'mock'); crammed answers do not
  reschedule, so they are not part of the memory model;
- the Optimizer trains on a card's first 64 answers, and scores only an answer
  given at least a day after the card's previous one: those are the *usable*
  reviews, and it needs at least 512.

The log loss (binary cross-entropy of the predicted recall probability against
recall = not Again, over the usable reviews) is computed here in plain Python,
the same way the Optimizer scores a parameter set, for the parameters in use
before and for the fitted ones. Fitted parameters that do not lower it are not
saved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from fsrs import Card, Rating, ReviewLog, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS

from quiz.store import SCHEDULING_SQL, Store, parse_iso

MIN_REVIEWS = 512  # the Optimizer's mini-batch: below it, it returns the defaults
MAX_SEQ = 64       # answers per card the Optimizer trains on


def review_logs(store: Store) -> list[ReviewLog]:
    """The scheduled answers of the whole log, as fsrs ReviewLogs."""
    rows = store.db.execute(
        f"SELECT card_id, rating, reviewed_at, duration_ms FROM reviews WHERE {SCHEDULING_SQL} ORDER BY id"
    )
    return [ReviewLog(cid, Rating(r), parse_iso(at), ms) for cid, r, at, ms in rows]


def _histories(logs: list[ReviewLog]) -> dict[int, list[ReviewLog]]:
    cards: dict[int, list[ReviewLog]] = {}
    for log in logs:
        cards.setdefault(log.card_id, []).append(log)
    return {cid: sorted(h, key=lambda x: x.review_datetime)[:MAX_SEQ] for cid, h in sorted(cards.items())}


def usable(logs: list[ReviewLog]) -> int:
    """How many answers the Optimizer can learn from: a day or more after the card's previous answer."""
    n = 0
    for history in _histories(logs).values():
        n += sum((b.review_datetime - a.review_datetime).days > 0 for a, b in zip(history, history[1:]))
    return n


def _log(x: float) -> float:
    return max(math.log(x), -100.0) if x > 0 else -100.0  # clamped as torch's BCELoss does


def log_loss(logs: list[ReviewLog], parameters) -> float:
    """Mean binary cross-entropy of FSRS's recall prediction over the usable answers."""
    s = Scheduler(parameters=tuple(parameters), enable_fuzzing=False)
    total, n = 0.0, 0
    for cid, history in _histories(logs).items():
        card = Card(card_id=cid, due=history[0].review_datetime)
        for log in history:
            if card.last_review is not None and (log.review_datetime - card.last_review).days > 0:
                p = s.get_card_retrievability(card, log.review_datetime)
                total -= _log(p) if log.rating != Rating.Again else _log(1 - p)
                n += 1
            card, _ = s.review_card(card, log.rating, log.review_datetime)
    return total / n if n else float("nan")


@dataclass
class Fit:
    reviews: int                 # scheduled answers in the log
    usable: int                  # answers the optimizer learns from
    before: list[float]          # parameters in use
    after: list[float] | None    # fitted (None: not enough history)
    loss_before: float | None = None
    loss_after: float | None = None
    saved: bool = False
    optimal_retention: float | None = None
    retention_note: str | None = None

    @property
    def enough(self) -> bool:
        return self.usable >= MIN_REVIEWS

    def to_json(self) -> dict:
        return {
            "reviews": self.reviews, "usable_reviews": self.usable, "needed": MIN_REVIEWS,
            "optimized": self.saved, "loss_before": self.loss_before, "loss_after": self.loss_after,
            "parameters_before": self.before, "parameters_after": self.after,
            "optimal_retention": self.optimal_retention, "retention_note": self.retention_note,
        }

    def report(self, retention: float | None = None) -> list[str]:
        """`quiz optimize`'s lines; `retention`: the user's setting, when --retention asked for the optimum."""
        if not self.enough:
            return [f"not enough history: {self.usable} of {MIN_REVIEWS} reviews (an answer counts when it comes "
                    "a day or more after the card's previous one). Nothing changed."]
        lines = [f"Fitted FSRS parameters to {self.usable:,} usable reviews ({self.reviews:,} answers in the log).",
                 f"log loss  {self.loss_before:.4f} → {self.loss_after:.4f} (lower is better)"]
        if self.saved:
            lines += ["Saved: quiz start schedules with the new parameters from now on.",
                      "parameters  " + " ".join(f"{p:.4f}" for p in self.after)]
        else:
            lines.append("The fitted parameters do not predict your answers better: kept the current ones.")
        if retention is not None:
            if self.optimal_retention is None:
                lines.append(f"optimal retention: not computed ({self.retention_note})")
            else:
                lines.append(f"optimal desired retention  {self.optimal_retention:.2f} (yours: {retention:g});"
                             f" to use it: quiz config set retention {self.optimal_retention:g}")
        return lines


def fit(store: Store, now: datetime, retention: bool = False, status=None) -> Fit:
    """Fit parameters to the log; save them if there is enough history and they lower the log loss.

    `status(text)` is told what is happening (fitting takes a while).
    With `retention`, also find the desired retention that minimises study time per
    card remembered (py-fsrs's `compute_optimal_retention`, a simulation).
    """
    status = status or (lambda text: None)
    logs = review_logs(store)
    current = store.fsrs_parameters() or list(DEFAULT_PARAMETERS)
    result = Fit(len(logs), usable(logs), list(current), None)
    if not result.enough:
        return result
    status(f"fitting FSRS parameters to {result.usable:,} reviews …")
    from fsrs.optimizer import Optimizer  # torch: only here

    optimizer = Optimizer(logs)
    fitted = [float(p) for p in optimizer.compute_optimal_parameters()]
    result.after = fitted
    result.loss_before = log_loss(logs, current)
    result.loss_after = log_loss(logs, fitted)
    if result.loss_after < result.loss_before:
        store.save_parameters(fitted, now, result.usable, result.loss_before, result.loss_after)
        result.saved = True
    if retention:
        timed = [log for log in logs if log.review_duration is not None]
        if len(timed) < MIN_REVIEWS:
            result.retention_note = f"needs {MIN_REVIEWS} reviews with a recorded duration, found {len(timed)}"
        else:
            status("simulating study time per desired retention …")
            result.optimal_retention = float(
                Optimizer(timed).compute_optimal_retention(fitted if result.saved else current))
    return result
