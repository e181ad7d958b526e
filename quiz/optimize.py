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
  (~1 ms each: > 5 minutes and ~900 MB at 100k reviews). The same model, loss
  and training recipe — FSRS-6's stability/difficulty recurrence, binary
  cross-entropy of the predicted recall against recall = not Again, Adam at
  4e-2 with cosine annealing, 5 epochs, mini-batches of ≥ 512 scored answers,
  parameters clamped to py-fsrs's bounds, the best epoch kept — runs here on
  many cards at once, one tensor operation per step for the whole mini-batch.
  Mini-batches are whole cards (py-fsrs cuts a card's history at the 512th
  answer). tests/test_optimize.py holds the recurrence to py-fsrs's Scheduler
  answer by answer and the loss to the Optimizer's own;
- the log loss of the parameters in use and of the fitted ones is computed the
  same way, over all usable answers. Fitted parameters that do not lower it are
  not saved.

The save is one transaction at the very end: interrupting (Ctrl-C) at any point
before it leaves the saved parameters exactly as they were. `progress(what,
done, total)` is told how far each step is (reading, fitting, simulating).
torch is imported only once there is enough history to fit.
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
    """The history's arrays as tensors (shared memory, no copy) and each kept card's start and length."""
    import torch

    starts = torch.frombuffer(history.starts, dtype=torch.int64)
    return (torch.frombuffer(history.ratings, dtype=torch.int8), torch.frombuffer(history.days, dtype=torch.int64),
            starts[:-1], starts[1:] - starts[:-1])


def _padded(flat, cards) -> tuple:
    """Ratings, days and which answers are scored, for these cards, as [cards, longest] tensors
    (padded with a same-day Good: finite, and never scored)."""
    import torch

    ratings, days, starts, lengths = flat
    cards = torch.as_tensor(cards, dtype=torch.int64)
    n = lengths[cards]
    steps = torch.arange(int(n.max()))
    inside = steps[None, :] < n[:, None]
    at = torch.where(inside, starts[cards][:, None] + steps[None, :], 0)
    r = torch.where(inside, ratings[at].to(torch.float64), 3.0)
    d = torch.where(inside, days[at].to(torch.float64), 0.0)
    return r, d, inside & (d > 0)


def step_losses(w, ratings, days, scored):
    """Binary cross-entropy of FSRS's predicted recall for each answer marked in `scored`.

    `w`: the 21 parameters (a float64 tensor); `ratings`, `days`: [cards, answers] as in History.
    Each step is py-fsrs's Scheduler.review_card: a first answer sets the initial stability and
    difficulty; a later one on the same day applies the short-term stability, one a day or more
    later the recall (Hard/Good/Easy) or forget (Again) stability at the retrievability then;
    difficulty moves with every answer. Returns the losses, [cards, answers - 1].
    What depends only on the ratings is computed for all steps at once, before the recurrence.
    """
    import torch
    from torch.nn.functional import binary_cross_entropy

    if ratings.shape[1] < 2:
        return torch.zeros((ratings.shape[0], 0), dtype=torch.float64)
    w = w.unbind()  # 21 scalars, each taken once (indexing inside the loop costs an op per use)
    decay = -w[20]
    factor = 0.9 ** (1 / decay) - 1
    r0 = ratings[:, 0]
    s = torch.where(r0 == 1, w[0], torch.where(r0 == 2, w[1], torch.where(r0 == 3, w[2], w[3])))
    s = s.clamp(min=STABILITY_MIN)
    d = (w[4] - torch.exp(w[5] * (r0 - 1)) + 1).clamp(1.0, 10.0)
    r, elapsed = ratings[:, 1:], days[:, 1:]
    spaced, again, recalled = elapsed >= 1, r == 1, r > 1
    scaled_days = factor * elapsed
    same_day = torch.exp(w[17] * (r - 3 + w[18]))
    bonus = torch.where(r == 2, w[15], 1.0) * torch.where(r == 4, w[16], 1.0) * torch.exp(w[8])
    nudge = -w[6] * (r - 3) / 9
    target = w[7] * (w[4] - torch.exp(w[5] * 3) + 1)  # mean reversion towards an Easy first answer's
    keep = 1 - w[7]
    forget_short = torch.exp(w[17] * w[18])
    w9, w10, w11, w12, w13, w14, w19 = -w[9], w[10], w[11], -w[12], w[13], w[14], -w[19]
    predicted = []
    for t in range(r.shape[1]):
        recall = (1 + scaled_days[:, t] / s) ** decay
        predicted.append(recall)
        increase = same_day[:, t] * s ** w19
        short = s * torch.where(recalled[:, t], increase.clamp(min=1.0), increase)
        surprise = 1 - recall
        forget = torch.minimum(w11 * d ** w12 * ((s + 1) ** w13 - 1) * torch.exp(surprise * w14), s / forget_short)
        remembered = s * (1 + bonus[:, t] * (11 - d) * s ** w9 * (torch.exp(surprise * w10) - 1))
        s = torch.where(spaced[:, t], torch.where(again[:, t], forget, remembered), short).clamp(min=STABILITY_MIN)
        d = (target + keep * (d + (10 - d) * nudge[:, t])).clamp(1.0, 10.0)
    predicted = torch.stack(predicted, dim=1)
    return binary_cross_entropy(predicted, recalled.to(torch.float64), reduction="none") * scored[:, 1:]


def log_loss(history: History, parameters, progress=None) -> float:
    """Mean binary cross-entropy of FSRS's recall prediction over the usable answers
    (py-fsrs's Optimizer._compute_batch_loss), scored in chunks of cards."""
    import torch

    if not history.usable:
        return float("nan")
    w = torch.tensor([float(p) for p in parameters], dtype=torch.float64)
    flat, total = _flat(history), 0.0
    with torch.no_grad():
        for a in range(0, history.cards, EVAL_CARDS):
            ratings, days, scored = _padded(flat, range(a, min(a + EVAL_CARDS, history.cards)))
            total += float(step_losses(w, ratings, days, scored).sum())
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
    """One step of torch.optim.Adam (betas 0.9, 0.999; eps 1e-8) on `w` in place, at step `step`
    (from 0) of `steps` under torch.optim.lr_scheduler.CosineAnnealingLR (eta_min 0)."""
    beta1, beta2 = 0.9, 0.999
    mean, square = moments
    lr *= (1 + math.cos(math.pi * step / steps)) / 2
    step += 1
    mean.mul_(beta1).add_(grad, alpha=1 - beta1)
    square.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    w.addcdiv_(mean, (square / (1 - beta2 ** step)).sqrt_().add_(1e-8), value=-lr / (1 - beta1 ** step))


def train(history: History, progress=_noop) -> list[float]:
    """FSRS-6 parameters fitted to `history`, from py-fsrs's defaults, with its Optimizer's recipe:
    Adam (torch.optim's defaults) with a cosine-annealed learning rate, parameters clamped after
    each step, the epoch with the lowest log loss kept. Adam is written out here: torch.optim
    imports torch._dynamo on first use (2–3 s and ~100 MB for a 21-number optimiser)."""
    import torch

    rng = Random(42)
    order = list(range(history.cards))
    epochs = []
    for _ in range(EPOCHS):  # the shuffles first: the learning-rate schedule needs the step count
        rng.shuffle(order)
        epochs.append(_batches(history, order))
    chunks = math.ceil(history.cards / EVAL_CARDS)
    steps = sum(map(len, epochs))
    total, done = steps + EPOCHS * chunks, 0
    w = torch.tensor(DEFAULT_PARAMETERS, dtype=torch.float64, requires_grad=True)
    lower = torch.tensor(LOWER_BOUNDS_PARAMETERS, dtype=torch.float64)
    upper = torch.tensor(UPPER_BOUNDS_PARAMETERS, dtype=torch.float64)
    moments = torch.zeros_like(w), torch.zeros_like(w)
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
            (grad,) = torch.autograd.grad(step_losses(w, ratings, days, scored).sum(), w)
            with torch.no_grad():
                adam_step(w, grad, moments, step, steps)
                w.clamp_(min=lower, max=upper)
            step += 1
            tick()
        params = [float(p) for p in w.detach()]
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
