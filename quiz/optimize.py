"""Fit FSRS parameters to this user's review log (`quiz optimize`).

Which reviews count:

- scheduled answers only (kinds 'review' and 'mock'); crammed answers do not
  reschedule, so they are not part of the memory model;
- as in py-fsrs's Optimizer, a card's first 64 answers are replayed, and an
  answer is scored only when it comes at least a day after the card's previous
  one: those are the *usable* reviews, and fitting needs at least 512.

How it stays fast and small on a 100,000-review log:

- the log is read once, streamed card by card (ORDER BY card_id), and kept as
  two small integer arrays (ratings, whole days since the previous answer) plus
  running sums for the retention simulation; no ReviewLog object per answer;
- py-fsrs's Optimizer steps through every answer with scalar torch operations
  and autograd (7 min of CPU and 950 MB at 100k reviews). The same model, loss
  and training recipe — FSRS-6's stability/difficulty recurrence, binary
  cross-entropy of the predicted recall against recall = not Again, Adam at
  4e-2 with cosine annealing, 5 epochs, mini-batches of ≥ 512 scored answers,
  parameters clamped to py-fsrs's bounds, the best epoch kept — runs here in
  numpy on many cards at once, one array operation per step for the whole
  mini-batch, with the gradient carried forward alongside each value (Dual:
  21 parameters, so forward mode is cheap and needs no graph, and no torch).
  Mini-batches are whole cards (py-fsrs cuts a card's history at the 512th
  answer). tests/test_optimize.py holds the losses to py-fsrs's Scheduler
  answer by answer and the gradient to py-fsrs's own torch model;
- the log loss of the parameters in use and of the fitted ones is computed the
  same way, over all usable answers. Fitted parameters that do not lower it are
  not saved.

The save is one transaction at the very end: interrupting (Ctrl-C) at any point
before it leaves the saved parameters exactly as they were. `progress(what,
done, total)` is told how far each step is (reading, fitting, simulating).
numpy is imported only once there is enough history to fit; torch (with pandas)
only for --retention, whose simulation is py-fsrs's.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from datetime import datetime
from random import Random

from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, STABILITY_MIN, UPPER_BOUNDS_PARAMETERS

from quiz.store import SCHEDULING_SQL, Store, parse_iso

MIN_REVIEWS = 512    # a mini-batch: below it, py-fsrs's Optimizer returns the defaults
MAX_SEQ = 64         # answers per card replayed
EPOCHS = 5           # py-fsrs's training recipe
LEARNING_RATE = 4e-2
EVAL_CARDS = 4096    # cards per chunk when scoring the whole log (bounds memory)
READ_TICK = 4096     # rows read between two progress reports
RETENTIONS = (0.7, 0.75, 0.8, 0.85, 0.9, 0.95)  # py-fsrs's compute_optimal_retention candidates
SIMULATED_CARDS = 1000


def _noop(what: str, done: int, total: int) -> None:
    pass


@dataclass
class History:
    """The scheduled answers of the log, compact: what fitting and the retention simulation need.

    Cards (in card id order) with at least one usable answer keep their first 64 answers as
    `ratings` (1–4) and `days` (whole days since the card's previous answer; 0 for its first)
    in two flat arrays, card i at `starts[i]:starts[i + 1]`.
    """
    reviews: int = 0                  # scheduled answers in the log
    usable: int = 0                   # answers a day or more after the card's previous one (first 64)
    ratings: array = field(default_factory=lambda: array("b"))
    days: array = field(default_factory=lambda: array("q"))
    starts: array = field(default_factory=lambda: array("q", [0]))
    scored: array = field(default_factory=lambda: array("q"))  # usable answers per kept card
    # for the retention simulation, over answers with a recorded duration (all of a card's answers)
    timed: int = 0
    first: list = field(default_factory=lambda: [[0, 0] for _ in range(4)])  # per rating: count, ms
    later: list = field(default_factory=lambda: [[0, 0] for _ in range(4)])

    @property
    def cards(self) -> int:
        return len(self.starts) - 1

    def add(self, answers: list[tuple[datetime, int, int | None]]) -> None:
        """One card's answers (time, rating, duration in ms), in log order."""
        answers.sort(key=lambda a: a[0])  # stable: answers at the same time stay in log order
        self.reviews += len(answers)
        seen_timed = False
        for _, rating, ms in answers:
            if ms is not None:
                slot = (self.later if seen_timed else self.first)[rating - 1]
                slot[0] += 1
                slot[1] += ms
                seen_timed = True
                self.timed += 1
        seq = answers[:MAX_SEQ]
        days = [0] + [(b[0] - a[0]).days for a, b in zip(seq, seq[1:])]
        scored = sum(d > 0 for d in days)
        self.usable += scored
        if scored:
            self.ratings.extend(a[1] for a in seq)
            self.days.extend(days)
            self.starts.append(len(self.ratings))
            self.scored.append(scored)

    def probs_and_costs(self) -> dict[str, float] | None:
        """py-fsrs's inputs to its study-time simulation (Optimizer._compute_probs_and_costs), or None
        when a rating class it divides by is empty."""
        names = ("again", "hard", "good", "easy")
        n_first = sum(c for c, _ in self.first)
        n_recall = sum(c for c, _ in self.later[1:])
        if not n_first or not n_recall:
            return None
        out = {f"prob_first_{k}": c / n_first for k, (c, _) in zip(names, self.first)}
        out.update({f"avg_first_{k}_review_duration": ms / c if c else 0 for k, (c, ms) in zip(names, self.first)})
        out.update({f"prob_{k}": c / n_recall for k, (c, _) in zip(names[1:], self.later[1:])})
        out.update({f"avg_{k}_review_duration": ms / c if c else 0 for k, (c, ms) in zip(names, self.later)})
        return out


def read_history(store: Store, progress=_noop) -> History:
    """Stream the scheduled answers, card by card: memory holds one card's answers at a time."""
    total = store.db.execute(f"SELECT COUNT(*) FROM reviews WHERE {SCHEDULING_SQL}").fetchone()[0]
    history = History()
    rows = store.db.execute(
        f"SELECT card_id, reviewed_at, rating, duration_ms FROM reviews WHERE {SCHEDULING_SQL} ORDER BY card_id, id")
    current, answers, n = None, [], 0
    progress("reading the review log", 0, total)
    for cid, at, rating, ms in rows:
        if cid != current:
            if answers:
                history.add(answers)
            current, answers = cid, []
        answers.append((parse_iso(at), rating, ms))
        n += 1
        if n % READ_TICK == 0:
            progress("reading the review log", n, total)
    if answers:
        history.add(answers)
    progress("reading the review log", total, total)
    return history


# -- the model: FSRS-6 as py-fsrs's Scheduler computes it, on many cards at once --------------


def _flat(history: History) -> tuple:
    """The history's arrays as numpy arrays (shared memory, no copy) and each kept card's start and length."""
    import numpy as np

    starts = np.frombuffer(history.starts, dtype=np.int64)
    return (np.frombuffer(history.ratings, dtype=np.int8), np.frombuffer(history.days, dtype=np.int64),
            starts[:-1], np.diff(starts))


def _padded(flat, cards) -> tuple:
    """Ratings, days and which answers are scored, for these cards, as [cards, longest] arrays
    (padded with a same-day Good: finite, and never scored)."""
    import numpy as np

    ratings, days, starts, lengths = flat
    cards = np.asarray(cards, dtype=np.int64)
    n = lengths[cards]
    steps = np.arange(n.max())
    inside = steps[None, :] < n[:, None]
    at = np.where(inside, starts[cards][:, None] + steps[None, :], 0)
    r = np.where(inside, ratings[at], 3).astype(np.float64)
    d = np.where(inside, days[at], 0).astype(np.float64)
    return r, d, inside & (d > 0)


class Dual:
    """A value `v` (a number or an array over cards) with, when fitting, its gradient `g` with respect
    to the 21 parameters (`v`'s shape + (21,)): forward-mode differentiation, enough arithmetic for
    FSRS's formulas. Without gradients (`g` None) it is plain numpy. A clamp passes the gradient only
    strictly inside its bounds, as torch.clamp does."""

    __slots__ = ("v", "g")
    __array_ufunc__ = None  # an array on the left of an operator defers to Dual's

    def __init__(self, v, g=None):
        self.v, self.g = v, g

    @staticmethod
    def of(x) -> Dual:
        return x if isinstance(x, Dual) else Dual(x)

    @staticmethod
    def _chain(*terms):
        """Σ coefficient × gradient over the terms whose gradient exists (None if none does)."""
        import numpy as np

        out = None
        for c, g in terms:
            if g is not None:
                t = g * np.asarray(c)[..., None]
                out = t if out is None else out + t
        return out

    def __add__(self, other):
        o = Dual.of(other)
        g = self.g if o.g is None else o.g if self.g is None else self.g + o.g
        return Dual(self.v + o.v, g)

    __radd__ = __add__

    def __neg__(self):
        return Dual(-self.v, None if self.g is None else -self.g)

    def __sub__(self, other):
        return self + -Dual.of(other)

    def __rsub__(self, other):
        return -self + other

    def __mul__(self, other):
        o = Dual.of(other)
        return Dual(self.v * o.v, Dual._chain((o.v, self.g), (self.v, o.g)))

    __rmul__ = __mul__

    def __truediv__(self, other):
        o = Dual.of(other)
        v = self.v / o.v
        return Dual(v, Dual._chain((1 / o.v, self.g), (-v / o.v, o.g)))

    def __rtruediv__(self, other):
        return Dual.of(other) / self

    def __pow__(self, other):
        import numpy as np

        o = Dual.of(other)
        v = self.v ** o.v
        return Dual(v, Dual._chain((o.v * self.v ** (o.v - 1), self.g), (v * np.log(self.v), o.g)))

    def __rpow__(self, other):
        return Dual.of(other) ** self

    def exp(self):
        import numpy as np

        v = np.exp(self.v)
        return Dual(v, Dual._chain((v, self.g)))

    def clamp(self, low=None, high=None):
        import numpy as np

        v = np.clip(self.v, low, high)
        inside = np.ones(np.shape(self.v), dtype=bool)
        if low is not None:
            inside &= self.v > low  # torch: no gradient at a bound itself
        if high is not None:
            inside &= self.v < high
        return Dual(v, Dual._chain((inside, self.g)))

    def __getitem__(self, index):
        return Dual(self.v[index], None if self.g is None else self.g[index])

    @staticmethod
    def where(mask, a, b):
        import numpy as np

        a, b = Dual.of(a), Dual.of(b)
        v = np.where(mask, a.v, b.v)
        if a.g is None and b.g is None:
            return Dual(v)
        shape = np.shape(v) + (21,)
        ga = np.broadcast_to(np.zeros(21) if a.g is None else a.g, shape)
        gb = np.broadcast_to(np.zeros(21) if b.g is None else b.g, shape)
        return Dual(v, np.where(np.asarray(mask)[..., None], ga, gb))


def parameters_of(values, gradients: bool = False) -> list[Dual]:
    """The 21 parameters as Duals: each its own gradient (a one-hot row) when fitting."""
    import numpy as np

    eye = np.eye(21)
    return [Dual(np.float64(p), eye[i] if gradients else None) for i, p in enumerate(values)]


def step_losses(w: list[Dual], ratings, days, scored) -> Dual:
    """Binary cross-entropy of FSRS's predicted recall for each answer marked in `scored` (and, with
    gradients, each loss's gradient): `w` from parameters_of; `ratings`, `days`: [cards, answers] as in
    History. Each step is py-fsrs's Scheduler.review_card: a first answer sets the initial stability and
    difficulty; a later one on the same day applies the short-term stability, one a day or more later
    the recall (Hard/Good/Easy) or forget (Again) stability at the retrievability then; difficulty
    moves with every answer. Returns [cards, answers - 1] (0 where not scored). What depends only on
    the ratings is computed for all steps at once, before the recurrence.
    """
    import numpy as np

    cards = ratings.shape[0]
    if ratings.shape[1] < 2:
        return Dual(np.zeros((cards, 0)), None if w[0].g is None else np.zeros((cards, 0, 21)))
    where = Dual.where
    decay = -w[20]
    factor = 0.9 ** (1 / decay) - 1
    r0 = ratings[:, 0]
    s = where(r0 == 1, w[0], where(r0 == 2, w[1], where(r0 == 3, w[2], w[3]))).clamp(STABILITY_MIN)
    d = (w[4] - (w[5] * (r0 - 1)).exp() + 1).clamp(1.0, 10.0)
    r, elapsed = ratings[:, 1:], days[:, 1:]
    spaced, again, recalled = elapsed >= 1, r == 1, r > 1
    scaled_days = factor * elapsed
    same_day = (w[17] * (r - 3 + w[18])).exp()
    bonus = where(r == 2, w[15], 1.0) * where(r == 4, w[16], 1.0) * w[8].exp()
    nudge = -w[6] * (r - 3) / 9
    target = w[7] * (w[4] - (w[5] * 3).exp() + 1)  # mean reversion towards an Easy first answer's
    keep = 1 - w[7]
    forget_short = (w[17] * w[18]).exp()
    w9, w12, w19 = -w[9], -w[12], -w[19]
    values, grads = [], []
    for t in range(r.shape[1]):
        recall = (1 + scaled_days[:, t] / s) ** decay
        values.append(recall.v)
        grads.append(recall.g)
        increase = same_day[:, t] * s ** w19
        short = s * where(recalled[:, t], increase.clamp(1.0), increase)
        surprise = 1 - recall
        long_term = w[11] * d ** w12 * ((s + 1) ** w[13] - 1) * (surprise * w[14]).exp()
        short_term = s / forget_short
        forget = where(long_term.v <= short_term.v, long_term, short_term)  # the smaller
        remembered = s * (1 + bonus[:, t] * (11 - d) * s ** w9 * ((surprise * w[10]).exp() - 1))
        s = where(spaced[:, t], where(again[:, t], forget, remembered), short).clamp(STABILITY_MIN)
        d = (target + keep * (d + (10 - d) * nudge[:, t])).clamp(1.0, 10.0)
    p, y = np.stack(values, axis=1), recalled.astype(np.float64)
    mask = scored[:, 1:]
    # torch's BCELoss: each log clamped at -100; its gradient (p - y) / max(p (1 - p), 1e-12)
    with np.errstate(divide="ignore"):
        loss = -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100)) * mask
    if w[0].g is None:
        return Dual(loss)
    slope = (p - y) / np.maximum(p * (1 - p), 1e-12) * mask
    return Dual(loss, np.stack(grads, axis=1) * slope[..., None])


def log_loss(history: History, parameters, progress=None) -> float:
    """Mean binary cross-entropy of FSRS's recall prediction over the usable answers
    (py-fsrs's Optimizer._compute_batch_loss), scored in chunks of cards."""
    if not history.usable:
        return float("nan")
    w = parameters_of([float(p) for p in parameters])
    flat, total = _flat(history), 0.0
    for a in range(0, history.cards, EVAL_CARDS):
        ratings, days, scored = _padded(flat, range(a, min(a + EVAL_CARDS, history.cards)))
        total += float(step_losses(w, ratings, days, scored).v.sum())
        if progress:
            progress()
    return total / history.usable


def _batches(history: History, order: list[int]) -> list[list[int]]:
    """Consecutive cards of `order`, grouped until each group holds ≥ MIN_REVIEWS usable answers."""
    out, group, n = [], [], 0
    for i in order:
        group.append(i)
        n += history.scored[i]
        if n >= MIN_REVIEWS:
            out.append(group)
            group, n = [], 0
    if group:
        out.append(group)
    return out


def adam_step(w, grad, moments, step: int, steps: int, lr: float = LEARNING_RATE) -> None:
    """One step of torch.optim.Adam (betas 0.9, 0.999; eps 1e-8) on the array `w` in place, at step
    `step` (from 0) of `steps` under torch.optim.lr_scheduler.CosineAnnealingLR (eta_min 0)."""
    import numpy as np

    beta1, beta2 = 0.9, 0.999
    mean, square = moments
    lr *= (1 + math.cos(math.pi * step / steps)) / 2
    step += 1
    mean *= beta1
    mean += (1 - beta1) * grad
    square *= beta2
    square += (1 - beta2) * grad * grad
    w -= lr / (1 - beta1 ** step) * mean / (np.sqrt(square / (1 - beta2 ** step)) + 1e-8)


def train(history: History, progress=_noop) -> list[float]:
    """FSRS-6 parameters fitted to `history`, from py-fsrs's defaults, with its Optimizer's recipe:
    Adam with a cosine-annealed learning rate, parameters clamped to py-fsrs's bounds after each
    step, the epoch with the lowest log loss kept."""
    import numpy as np

    rng = Random(42)
    order = list(range(history.cards))
    epochs = []
    for _ in range(EPOCHS):  # the shuffles first: the learning-rate schedule needs the step count
        rng.shuffle(order)
        epochs.append(_batches(history, order))
    chunks = math.ceil(history.cards / EVAL_CARDS)
    steps = sum(map(len, epochs))
    total, done = steps + EPOCHS * chunks, 0
    w = np.array(DEFAULT_PARAMETERS, dtype=np.float64)
    moments = np.zeros(21), np.zeros(21)
    best, best_loss = list(DEFAULT_PARAMETERS), math.inf

    def tick():
        nonlocal done
        done += 1
        progress("fitting FSRS parameters", done, total)

    flat, step = _flat(history), 0
    progress("fitting FSRS parameters", 0, total)
    for batches in epochs:
        for cards in batches:
            ratings, days, scored = _padded(flat, cards)
            grad = step_losses(parameters_of(w, gradients=True), ratings, days, scored).g.sum(axis=(0, 1))
            adam_step(w, grad, moments, step, steps)
            np.clip(w, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, out=w)
            step += 1
            tick()
        params = [float(p) for p in w]
        loss = log_loss(history, params, tick)
        if loss < best_loss:
            best, best_loss = params, loss
    return best


def optimal_retention(history: History, parameters, progress=_noop) -> float | None:
    """The desired retention with the least simulated study time per card remembered: py-fsrs's
    compute_optimal_retention, from the history's rating shares and mean durations."""
    from fsrs.optimizer import Optimizer

    probs = history.probs_and_costs()
    if probs is None:
        return None
    simulator = Optimizer([])  # empty: its simulation needs only `probs`, not the log itself
    costs = []
    for i, retention in enumerate(RETENTIONS):
        progress("simulating study time per desired retention", i, len(RETENTIONS))
        costs.append(simulator._simulate_cost(desired_retention=retention, parameters=list(parameters),
                                              num_cards_simulate=SIMULATED_CARDS, probs_and_costs_dict=probs))
    progress("simulating study time per desired retention", len(RETENTIONS), len(RETENTIONS))
    return RETENTIONS[costs.index(min(costs))]


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
        if history.timed < MIN_REVIEWS:
            result.retention_note = f"needs {MIN_REVIEWS} reviews with a recorded duration, found {history.timed}"
        else:
            result.optimal_retention = optimal_retention(history, fitted if result.saved else current, progress)
            if result.optimal_retention is None:
                result.retention_note = "needs answers of every kind: a first answer and a recalled one"
    return result
