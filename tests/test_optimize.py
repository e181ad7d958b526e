"""`quiz optimize` on the log of a simulated learner whose memory is not FSRS's default."""

import json
import math
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from datetime import datetime, timedelta, timezone

import pexpect
import pytest
from fsrs import Card, Rating, ReviewLog, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS
from hypothesis import example, given, settings
from hypothesis import strategies as st
from simulate import NOW, simulate, write_bank
from test_imports import PROBE
from typer.testing import CliRunner

from quiz import optimize, render
from quiz.cli import app
from quiz.schedule import utcnow
from quiz.store import SCHEDULING, Store, parse_iso

runner = CliRunner()
# parameters a user might have saved before: poor ones (every first answer remembered for weeks),
# so that a fit that runs to its end replaces them
SEEDED = [30.0, 40.0, 50.0, 60.0, *DEFAULT_PARAMETERS[4:]]


def fsrs_logs(store):
    """The scheduled answers as py-fsrs ReviewLogs: what its own Optimizer is given."""
    return [ReviewLog(r.card_id, Rating(r.rating), parse_iso(r.reviewed_at), r.duration_ms)
            for r in store.reviews() if r.kind in SCHEDULING]


def independent_usable(store):
    """Scheduled answers a day or more after the same card's previous one, within its first 64."""
    times = {}
    for r in store.reviews():
        if r.kind in ("review", "mock"):
            times.setdefault(r.card_id, []).append(parse_iso(r.reviewed_at))
    n = 0
    for ts in times.values():
        ts = sorted(ts)[:64]
        n += sum((b - a) >= timedelta(days=1) for a, b in zip(ts, ts[1:]))
    return n


@pytest.fixture(scope="module")
def learner(tmp_path_factory):
    """≥ 1,000 simulated reviews in a QUIZ_HOME, not optimized yet."""
    home = tmp_path_factory.mktemp("learner") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QUIZ_HOME", str(home))
        keys = write_bank(home / "banks", "gen", 300)
        store = Store(home / "quiz.db")
        # the learner stopped three days ago: cards have come due since
        logged = simulate(store, keys, end=utcnow() - timedelta(days=3), days=45, new_per_day=5, seed=11)
        usable = independent_usable(store)
        store.close()
    return home, logged, usable


@pytest.fixture(scope="module")
def optimized(learner, tmp_path_factory):
    """The learner's home after `quiz optimize --retention`, once."""
    home = tmp_path_factory.mktemp("optimize") / "home"
    shutil.copytree(learner[0], home)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QUIZ_HOME", str(home))
        mp.setattr(optimize, "SIMULATED_CARDS", 200)  # speed only: the simulation is py-fsrs's (tested below)
        result = runner.invoke(app, ["optimize", "--retention"])
    return home, learner[1], learner[2], result


def seed(source, home):
    """A copy of the home `source` whose saved parameters are SEEDED; its open Store."""
    shutil.copytree(source, home)
    store = Store(home / "quiz.db")
    store.save_parameters(SEEDED, utcnow(), 1, 1.0, 1.0)
    return store


@pytest.fixture
def seeded(learner, tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path / "home"))
    return tmp_path / "home", seed(learner[0], tmp_path / "home")


def parameter_rows(home):
    return sqlite3.connect(home / "quiz.db").execute("SELECT * FROM parameters ORDER BY id").fetchall()


def test_the_history_is_big_enough(optimized):
    _, logged, usable, _ = optimized
    assert logged >= 1000 and usable >= 512


def test_parameters_change_and_the_log_loss_does_not_get_worse(optimized):
    home, logged, usable, result = optimized
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"Fitted FSRS parameters to {usable:,} usable reviews" in out
    store = Store(home / "quiz.db")
    (row,) = store.db.execute("SELECT * FROM parameters").fetchall()
    saved = store.fsrs_parameters()
    assert len(saved) == 21 and saved != list(DEFAULT_PARAMETERS)
    assert row["reviews"] == usable and row["loss_after"] <= row["loss_before"]
    m = re.search(r"log loss  (\d\.\d{4}) → (\d\.\d{4})", out)
    assert (float(m[1]), float(m[2])) == (round(row["loss_before"], 4), round(row["loss_after"], 4))
    # the losses are what py-fsrs's own Optimizer scores for these parameters on this log
    from fsrs.optimizer import Optimizer

    fsrs = Optimizer(fsrs_logs(store))
    assert row["loss_before"] == pytest.approx(fsrs._compute_batch_loss(parameters=list(DEFAULT_PARAMETERS)))
    assert row["loss_after"] == pytest.approx(fsrs._compute_batch_loss(parameters=saved))
    assert result.stderr == ""  # not a terminal: no progress bar
    assert "Saved: quiz start schedules with the new parameters from now on." in out
    assert "parameters  " + " ".join(f"{p:.4f}" for p in saved) in out


def test_retention_reports_the_optimal_desired_retention(optimized):
    out = optimized[3].stdout
    m = re.search(r"optimal desired retention  (0\.\d\d) \(yours: 0\.9\); to use it: quiz config set retention (\S+)", out)
    assert m and float(m[1]) in (0.7, 0.75, 0.8, 0.85, 0.9, 0.95) and float(m[2]) == float(m[1])


def test_the_session_then_schedules_with_them(optimized, monkeypatch):
    home = optimized[0]
    monkeypatch.setenv("QUIZ_HOME", str(home))
    store = Store(home / "quiz.db")
    saved = store.fsrs_parameters()
    due = sorted((r["due"], k) for k, r in store.cards().items() if parse_iso(r["due"]) <= utcnow())
    assert due, "the simulated learner leaves cards due"
    before = Card.from_json(store.cards()[due[0][1]]["card_json"])
    result = runner.invoke(app, ["start", "--limit", "1"], input="\n3\n")
    assert result.exit_code == 0, result.output
    review = store.reviews()[-1]
    assert (review.deck, review.qid, review.rating) == (*due[0][1], 3)
    after = Card.from_json(review.after_json)
    at = parse_iso(review.reviewed_at)
    fitted, _ = Scheduler(parameters=saved).review_card(before, Rating.Good, at)
    default, _ = Scheduler().review_card(before, Rating.Good, at)
    assert after.stability == pytest.approx(fitted.stability) and after.difficulty == pytest.approx(fitted.difficulty)
    assert after.stability != pytest.approx(default.stability)


def test_usable_reviews_and_log_loss_agree_with_fsrs(tmp_path):
    store = Store(tmp_path / "q.db")
    simulate(store, [("d", i) for i in range(1, 101)], end=NOW, days=30, new_per_day=5, seed=5)
    history = optimize.read_history(store)
    logs = fsrs_logs(store)
    assert history.reviews == len(logs) == sum(r.kind != "cram" for r in store.reviews())  # no crammed answers
    assert history.usable == independent_usable(store)
    from fsrs.optimizer import Optimizer

    fsrs = Optimizer(logs)
    other = [random.Random(3).uniform(lo, hi) for lo, hi in zip(LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS)]
    for parameters in (list(DEFAULT_PARAMETERS), other):
        assert optimize.log_loss(history, parameters) == pytest.approx(
            fsrs._compute_batch_loss(parameters=parameters), rel=1e-9)


bounded = st.tuples(*(st.floats(lo, hi) for lo, hi in zip(LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS)))
answers = st.lists(st.tuples(st.sampled_from([1, 2, 3, 4]),
                             st.sampled_from([timedelta(minutes=1), timedelta(hours=23), timedelta(days=1),
                                              timedelta(days=3, hours=5), timedelta(days=40), timedelta(days=400)])),
                   min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(parameters=bounded, cards=st.lists(answers, min_size=1, max_size=4))
@example(parameters=(0.001, *DEFAULT_PARAMETERS[1:20], 0.5), cards=[[(1, timedelta(days=1)), (1, timedelta(minutes=1))]])
@example(parameters=DEFAULT_PARAMETERS, cards=[[(4, timedelta(days=2))] * 3 + [(1, timedelta(days=30))] * 3])
def test_the_model_is_fsrs_answer_by_answer(parameters, cards):
    """Every answer's loss is py-fsrs's Scheduler's retrievability just before it, for any valid parameters,
    on several cards of different lengths at once (padding changes nothing)."""
    import torch

    scheduler = Scheduler(parameters=parameters, enable_fuzzing=False)
    history, expected = optimize.History(), []
    for i, card_answers in enumerate(cards):
        at = datetime(2025, 1, 1, tzinfo=timezone.utc)
        card, logged, losses = Card(card_id=i + 1, due=at), [], []
        for rating, gap in card_answers:
            if card.last_review is not None:
                scored = (at - card.last_review).days > 0
                p = scheduler.get_card_retrievability(card, at)
                losses.append(-max(math.log(p if rating > 1 else 1 - p), -100) if scored and (p < 1 or rating > 1)
                              else (100.0 if scored else 0.0))
            card, _ = scheduler.review_card(card, Rating(rating), at)
            logged.append((at, rating, None))
            at += gap
        history.add(logged)
        if any((b[0] - a[0]).days > 0 for a, b in zip(logged, logged[1:])):
            expected.append(losses)
    if not expected:
        return
    flat = optimize._flat(history)
    ratings, days, scored = optimize._padded(flat, range(history.cards))
    got = optimize.step_losses(optimize.parameters_of(parameters), ratings, days, scored).v
    for row, losses in zip(got.tolist(), expected):
        assert row[: len(losses)] == pytest.approx(losses, rel=1e-9, abs=1e-12)
        assert not any(row[len(losses):])
    # and with gradients: the same losses, and the gradient py-fsrs's own torch model gives (what its
    # Optimizer descends), through every clamp and branch
    fitted = optimize.step_losses(optimize.parameters_of(parameters, gradients=True), ratings, days, scored)
    assert fitted.v.tolist() == got.tolist()
    w = torch.tensor(parameters, dtype=torch.float64, requires_grad=True)
    fsrs = Scheduler(parameters=w)
    total = torch.zeros((), dtype=torch.float64)
    for i, card_answers in enumerate(cards):
        at, card = datetime(2025, 1, 1, tzinfo=timezone.utc), None
        for rating, gap in card_answers:
            card = card or Card(card_id=i + 1, due=at)
            if card.last_review is not None and (at - card.last_review).days > 0:
                p = fsrs.get_card_retrievability(card, at)
                total = total + torch.nn.BCELoss()(p, torch.tensor(float(rating > 1), dtype=torch.float64))
            card, _ = fsrs.review_card(card, Rating(rating), at)
            at += gap
    total.backward()
    assert fitted.g.sum(axis=(0, 1)).tolist() == pytest.approx(w.grad.tolist(), rel=1e-7, abs=1e-9)


def test_adam_steps_as_torch_optim():
    import numpy as np
    import torch

    steps = 30
    grads = torch.randn((steps, 21), dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    theirs = torch.tensor(DEFAULT_PARAMETERS, dtype=torch.float64, requires_grad=True)
    adam = torch.optim.Adam([theirs], lr=optimize.LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(adam, T_max=steps)
    ours = np.array(DEFAULT_PARAMETERS)
    moments = np.zeros(21), np.zeros(21)
    for step, grad in enumerate(grads):
        theirs.grad = grad.clone()
        adam.step()
        schedule.step()
        optimize.adam_step(ours, grad.numpy(), moments, step, steps)
        assert ours.tolist() == pytest.approx(theirs.detach().tolist(), rel=1e-12, abs=1e-14), step
    assert ours.tolist() != pytest.approx(list(DEFAULT_PARAMETERS))


def fake_log(path, cards, per_card, seed=0):
    """A log of `cards` × `per_card` scheduled answers, written straight into the reviews table
    (only what quiz optimize reads is realistic: card, rating, time, duration, kind)."""
    rng = random.Random(seed)
    Store(path).close()
    rows = []
    for cid in range(1, cards + 1):
        at = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=rng.randint(0, 10_000))
        for _ in range(per_card):
            rating = rng.choices([1, 2, 3, 4], weights=[2, 2, 6, 1])[0]
            rows.append((cid, "fake", cid, rating, at.isoformat(timespec="microseconds"), rng.randint(2000, 9000),
                         "review", "{}"))
            at += rng.choice([timedelta(minutes=10), timedelta(days=rng.randint(1, 60))])
    db = sqlite3.connect(path)
    with db:
        db.executemany("INSERT INTO reviews (card_id, deck, qid, rating, reviewed_at, duration_ms, kind, after_json)"
                       " VALUES (?,?,?,?,?,?,?,?)", rows)
    db.close()


def test_reading_streams_the_log_and_keeps_it_compact(tmp_path):
    """One card's answers in memory at a time, and a few bytes per answer kept: not an object per answer."""
    fake_log(tmp_path / "q.db", cards=2000, per_card=10)
    fake_log(tmp_path / "long.db", cards=3, per_card=100, seed=1)
    store = Store(tmp_path / "q.db")
    seen = []
    tracemalloc.start()
    history = optimize.read_history(store, lambda what, done, total: seen.append((done, total)))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert history.reviews == 20_000 and peak < 40 * 20_000  # a ReviewLog per answer alone is ~300 bytes
    assert seen[0] == (0, 20_000) and seen[-1] == (20_000, 20_000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) >= 20_000 // optimize.READ_TICK
    long = optimize.read_history(Store(tmp_path / "long.db"))
    assert long.reviews == 300 and len(long.ratings) <= 3 * optimize.MAX_SEQ  # the first 64 answers of each


def test_the_retention_simulation_is_fsrs_own(tmp_path, monkeypatch):
    """The same rating shares and durations as py-fsrs's compute_optimal_retention, the same
    simulation runs, the same pick (the simulation itself is replaced by a cheap stand-in)."""
    store = Store(tmp_path / "q.db")
    simulate(store, [("d", i) for i in range(1, 101)], end=NOW, days=30, new_per_day=5, seed=5)
    from fsrs.optimizer import Optimizer

    history, fsrs = optimize.read_history(store), Optimizer(fsrs_logs(store))
    assert history.probs_and_costs() == fsrs._compute_probs_and_costs()
    runs = []

    def simulate_cost(self, *, desired_retention, parameters, num_cards_simulate, probs_and_costs_dict):
        runs.append((desired_retention, list(parameters), num_cards_simulate, probs_and_costs_dict))
        return abs(desired_retention - 0.83) * sum(probs_and_costs_dict.values())

    monkeypatch.setattr(Optimizer, "_simulate_cost", simulate_cost)
    theirs = fsrs.compute_optimal_retention(list(SEEDED))
    ours = optimize.optimal_retention(history, SEEDED)
    assert ours == theirs == 0.85
    assert runs[:6] == runs[6:] and len(runs) == 12


def test_not_enough_history_changes_nothing(home):
    store = Store(home / "quiz.db")
    simulate(store, [("modern-backbones", i) for i in range(1, 21)], end=utcnow(), days=40, new_per_day=2, seed=2)
    n = independent_usable(store)
    assert 0 < n < 512
    result = runner.invoke(app, ["optimize", "--retention"])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"not enough history: {n} of 512 reviews")
    assert "Nothing changed." in result.stdout
    assert store.fsrs_parameters() is None
    data = json.loads(runner.invoke(app, ["optimize", "--json"]).stdout)
    assert (data["optimized"], data["usable_reviews"], data["needed"], data["parameters_after"]) == (False, n, 512, None)
    # and without reaching for torch
    proc = subprocess.run([sys.executable, "-c", PROBE.format(args=["optimize"], stdin="")],
                          capture_output=True, text=True, timeout=60)
    assert "not enough history" in proc.stdout and "HEAVY: []" in proc.stderr, proc.stderr[-2000:]


def test_fitting_needs_no_torch(seeded):
    """A fit is numpy only (torch's import alone is ~650 MB here); only --retention's simulation is py-fsrs's torch module."""
    proc = subprocess.run([sys.executable, "-c", PROBE.format(args=["optimize"], stdin="")],
                          capture_output=True, text=True, timeout=120)
    assert "Saved" in proc.stdout, proc.stderr[-2000:]
    heavy = re.search(r"HEAVY: (\[.*\])", proc.stderr)[1]
    assert "'numpy'" in heavy and "torch" not in heavy


def test_parameters_that_do_not_help_are_not_saved(tmp_path, monkeypatch):
    store = Store(tmp_path / "q.db")
    simulate(store, [("d", i) for i in range(1, 301)], end=NOW, days=45, new_per_day=5, seed=11)
    monkeypatch.setattr(optimize, "train", lambda history, progress: list(DEFAULT_PARAMETERS))
    fit = optimize.fit(store, NOW)
    assert fit.enough and fit.loss_after == fit.loss_before and not fit.saved
    assert store.fsrs_parameters() is None


def test_optimize_help(home):
    result = runner.invoke(app, ["optimize", "--help"])
    assert result.exit_code == 0 and "--retention" in result.stdout and "512" in result.stdout


class Stop(KeyboardInterrupt):
    pass


def test_ctrl_c_at_any_step_leaves_the_parameters_as_they_were(learner, tmp_path):
    home = tmp_path / "home"
    store = seed(learner[0], home)
    calls = []
    before = parameter_rows(home)
    fit = optimize.fit(store, NOW, retention=True, progress=lambda *a: calls.append(a))
    assert fit.saved and parameter_rows(home) != before  # run to its end, the fit replaces them
    steps = {what for what, _, _ in calls}
    assert steps == {"reading the review log", "fitting FSRS parameters", "simulating study time per desired retention"}
    # interrupt at the first and the last report of each step, and half-way through fitting
    fitting = [i for i, c in enumerate(calls) if c[0] == "fitting FSRS parameters"]
    stops = {min(i for i, c in enumerate(calls) if c[0] == w) for w in steps}
    stops |= {max(i for i, c in enumerate(calls) if c[0] == w) for w in steps if not w.startswith("simulating")}
    stops.add(fitting[len(fitting) // 2])
    for stop in sorted(stops):
        home = tmp_path / f"home{stop}"
        store = seed(learner[0], home)
        before = parameter_rows(home)
        n = iter(range(len(calls)))

        def progress(*report):
            if next(n) == stop:
                raise Stop

        with pytest.raises(Stop):
            optimize.fit(store, NOW, retention=True, progress=progress)
        if calls[stop][0].startswith("simulating"):  # after the save: the fit is already kept
            assert parameter_rows(home) != before
        else:
            assert parameter_rows(home) == before, calls[stop]
        store.close()


def test_ctrl_c_inside_the_save_rolls_it_back(seeded, monkeypatch):
    home, store = seeded
    before = parameter_rows(home)

    def interrupted(now):
        raise Stop

    monkeypatch.setattr("quiz.store.iso", interrupted)  # evaluated inside the save transaction
    with pytest.raises(Stop):
        optimize.fit(store, NOW)
    monkeypatch.undo()
    assert parameter_rows(home) == before and not store.db.in_transaction
    store.save_parameters(DEFAULT_PARAMETERS, NOW, 1, 1.0, 0.5)  # the database is not left locked
    assert store.fsrs_parameters() == list(DEFAULT_PARAMETERS)


def test_cli_ctrl_c_says_nothing_changed(seeded, monkeypatch):
    home, _ = seeded
    before = parameter_rows(home)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(optimize, "train", interrupted)
    result = runner.invoke(app, ["optimize"])
    assert result.exit_code == 130
    assert result.stderr == "Interrupted: nothing changed, the saved parameters are as they were.\n"
    assert parameter_rows(home) == before


def test_the_progress_bar_draws_only_on_a_terminal():
    import io

    with render.progress_bar(render.Console(file=io.StringIO(), force_terminal=False)) as progress:
        assert progress is None
    out = io.StringIO()
    with render.progress_bar(render.Console(file=out, force_terminal=True, width=80)) as progress:
        progress("fitting FSRS parameters", 3, 12)
    assert "fitting FSRS parameters" in out.getvalue() and "25%" in out.getvalue()


def spawn_optimize(home, **kwargs):
    env = {"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "xterm", "COLUMNS": "100", "LINES": "40"}
    return pexpect.spawn(sys.executable, ["-m", "quiz", "optimize"], env=env, encoding="utf-8", timeout=120,
                         dimensions=(40, 100), **kwargs)


@pytest.fixture(scope="module")
def big_log(tmp_path_factory):
    """96,000 answers: fitting takes seconds, time to interrupt it."""
    home = tmp_path_factory.mktemp("big") / "home"
    home.mkdir()
    fake_log(home / "quiz.db", cards=8000, per_card=12)
    store = Store(home / "quiz.db")
    store.save_parameters(SEEDED, utcnow(), 1, 1.0, 1.0)
    store.close()
    return home


def test_ctrl_c_in_a_terminal_while_fitting(big_log, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(big_log, home)
    before = parameter_rows(home)
    child = spawn_optimize(home)
    child.expect("reading the review log")  # the progress bar, on a terminal
    child.expect("fitting FSRS parameters")
    child.expect(r"\d+%")
    child.sendintr()
    child.expect("Interrupted: nothing changed, the saved parameters are as they were.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 and "Traceback" not in child.before
    assert parameter_rows(home) == before


def test_sigint_at_any_time_keeps_the_parameters_whole(big_log, tmp_path):
    """Interrupted with SIGINT at several moments of a run (start-up, reading, fitting): the parameters are
    the seeded ones, or — only when the fit finished first — the fitted ones, saved whole."""

    def run(home, stop_after=None):
        shutil.copytree(big_log, home)
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "quiz", "optimize"], env={"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin"},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if stop_after is not None:
            time.sleep(stop_after)
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=300)
        return proc.returncode, out, err, time.perf_counter() - start

    before = parameter_rows(big_log)
    code, out, err, whole = run(tmp_path / "whole")
    assert code == 0 and "Saved" in out and err == ""  # not a terminal: no progress bar either
    assert len(parameter_rows(tmp_path / "whole")) == len(before) + 1
    ours = 0
    for share in (0.1, 0.5, 0.8):
        home = tmp_path / f"stopped{share}"
        code, out, err, _ = run(home, share * whole)
        if code == 0:  # it had finished
            assert "Saved" in out and len(parameter_rows(home)) == len(before) + 1
        else:
            assert parameter_rows(home) == before, (share, err)
        if "Interrupted" in err:  # stopped by quiz optimize itself (not while Python was still starting)
            assert (code, err) == (130, "Interrupted: nothing changed, the saved parameters are as they were.\n")
            ours += 1
    assert ours, "no SIGINT reached quiz optimize while it ran"
