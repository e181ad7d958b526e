"""Fit FSRS parameters to this user's review log (`quiz optimize`), with fsrs-rs.

fsrs-rs is FSRS's reference implementation (Rust; the optimizer Anki runs), used here through its
Python binding, fsrs-rs-python: it fits the 21 FSRS-6 parameters py-fsrs schedules with, scores any
parameters by log loss (`FSRS.evaluate`), and simulates study time for the optimal retention. At
100k reviews a fit takes a fraction of a second and tens of MB; py-fsrs's own Optimizer, which
steps through every answer with scalar torch operations, took 7 minutes and 950 MB.

Which reviews count:

- scheduled answers only (kinds 'review' and 'mock'); crammed answers do not reschedule, so they
  are not part of the memory model;
- a card's first 64 answers (as py-fsrs's Optimizer); an answer is *usable* — scored — when it comes
  a day or more after the card's previous one, and fitting needs at least 512 of them.

The log is streamed card by card (ORDER BY card_id): one fsrs-rs item per usable answer, holding the
card's answers up to it with the whole days between them. Fitted parameters are kept within
py-fsrs's bounds and saved only when they lower the log loss of the ones in use. The save is one
transaction at the very end: interrupting (Ctrl-C) at any point before it leaves the saved
parameters exactly as they were. `progress(what, done, total)` is told how far each step is.
Neither torch nor numpy is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

from quiz.store import SCHEDULING_SQL, Store, parse_iso

MIN_REVIEWS = 512    # below it a fit has too little to learn from (py-fsrs's Optimizer returns the defaults)
MAX_SEQ = 64         # answers per card replayed
READ_TICK = 4096     # rows read between two progress reports
SIMULATED_CARDS = 1000  # the retention simulation's deck
STATES = {None: 0, 0: 0, 1: 0, 2: 1, 3: 2}  # state before an answer → fsrs-rs's cost rows: learning, review, relearning


def _noop(what: str, done: int, total: int) -> None:
    pass


@dataclass
class History:
    """The scheduled answers of the log as fsrs-rs items, plus what the retention simulation needs."""

    items: list = field(default_factory=list)  # an FSRSItem per usable answer
    reviews: int = 0                           # scheduled answers in the log
    firsts: list = field(default_factory=lambda: [0] * 4)   # first answers of cards, per rating
    recalls: list = field(default_factory=lambda: [0] * 3)  # later answers in review: Hard, Good, Easy
    costs: list = field(default_factory=lambda: [[[0, 0] for _ in range(4)] for _ in range(3)])  # [state][rating]: n, ms

    @property
    def usable(self) -> int:
        return len(self.items)

    def add(self, answers: list[tuple[datetime, int, int | None, int | None]]) -> None:
        """One card's answers (time, rating, duration in ms, state before), in log order."""
        from fsrs_rs_python import FSRSItem, FSRSReview

        answers.sort(key=lambda a: a[0])  # stable: answers at the same time stay in log order
        self.reviews += len(answers)
        self.firsts[answers[0][1] - 1] += 1
        for _, rating, ms, state in answers:
            if state == 2 and rating > 1:
                self.recalls[rating - 2] += 1
            if ms is not None:
                cell = self.costs[STATES.get(state, 0)][rating - 1]
                cell[0] += 1
                cell[1] += ms
        seq, reviews, last = answers[:MAX_SEQ], [], None
        for at, rating, _, _ in seq:
            days = 0 if last is None else (at - last).days  # whole days, as py-fsrs counts them
            reviews.append(FSRSReview(rating, days))
            if days > 0:
                self.items.append(FSRSItem(list(reviews)))
            last = at

    def simulator(self):
        """fsrs-rs's simulator settings with this user's rating shares and answer times where the log has
        enough of them (else fsrs-rs's defaults); None when no card was ever recalled in review."""
        from fsrs_rs_python import default_simulator_config

        if not sum(self.recalls) or not sum(self.firsts):
            return None
        config = default_simulator_config()
        config.deck_size = SIMULATED_CARDS
        config.first_rating_prob = [n / sum(self.firsts) for n in self.firsts]
        config.review_rating_prob = [n / sum(self.recalls) for n in self.recalls]
        config.state_rating_costs = [[ms / n / 1000 if n >= 10 else default for (n, ms), default in zip(row, defaults)]
                                     for row, defaults in zip(self.costs, config.state_rating_costs)]
        return config


def read_history(store: Store, progress=_noop) -> History:
    """Stream the scheduled answers, card by card: memory holds one card's answers at a time."""
    total = store.db.execute(f"SELECT COUNT(*) FROM reviews WHERE {SCHEDULING_SQL}").fetchone()[0]
    history = History()
    current, answers, n = None, [], 0
    progress("reading the review log", 0, total)
    for cid, at, rating, state, ms in store.review_log(by_card=True):
        if cid != current:
            if answers:
                history.add(answers)
            current, answers = cid, []
        answers.append((parse_iso(at), rating, ms, state))
        n += 1
        if n % READ_TICK == 0:
            progress("reading the review log", n, total)
    if answers:
        history.add(answers)
    progress("reading the review log", total, total)
    return history


def log_loss(history: History, parameters) -> float:
    """Binary cross-entropy of the recall the parameters predict against the answers (fsrs-rs)."""
    from fsrs_rs_python import FSRS

    return FSRS(list(parameters)).evaluate(history.items).log_loss


def train(history: History, progress=_noop) -> list[float]:
    """fsrs-rs's fit of the 21 parameters, kept within the bounds py-fsrs's Scheduler accepts."""
    from fsrs_rs_python import FSRS

    progress("fitting FSRS parameters", 0, 1)
    fitted = FSRS(list(DEFAULT_PARAMETERS)).compute_parameters(history.items)
    progress("fitting FSRS parameters", 1, 1)
    return [min(max(float(p), lo), hi) for p, lo, hi in zip(fitted, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS)]


def optimal_retention(history: History, parameters, progress=_noop) -> float | None:
    """The desired retention with the least simulated study time per card remembered (fsrs-rs's
    simulation, with this user's rating shares and answer times), rounded to 0.01."""
    from fsrs_rs_python import optimal_retention as simulate

    config = history.simulator()
    if config is None:
        return None
    progress("simulating study time per desired retention", 0, 1)
    best = simulate(config, list(parameters))
    progress("simulating study time per desired retention", 1, 1)
    return round(best, 2)


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


def fit(store: Store, now: datetime, retention: bool = False, progress=None) -> Fit:
    """Fit parameters to the log; save them if there is enough history and they lower the log loss.

    `progress(what, done, total)` is told how far each step is. With `retention`, also find the
    desired retention that minimises study time per card remembered (a simulation).
    Nothing is written before the single save transaction at the end.
    """
    progress = progress or _noop
    current = store.fsrs_parameters() or list(DEFAULT_PARAMETERS)
    history = read_history(store, progress)
    result = Fit(history.reviews, history.usable, list(current), None)
    if not result.enough:
        return result
    fitted = train(history, progress)
    result.after = fitted
    result.loss_before = log_loss(history, current)
    result.loss_after = log_loss(history, fitted)
    if result.loss_after < result.loss_before:
        store.save_parameters(fitted, now, result.usable, result.loss_before, result.loss_after)
        result.saved = True
    if retention:
        result.optimal_retention = optimal_retention(history, fitted if result.saved else current, progress)
        if result.optimal_retention is None:
            result.retention_note = "needs answers of every kind: a first answer and a recalled one"
    return result
