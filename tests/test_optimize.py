"""`quiz optimize` on the log of a simulated learner whose memory is not FSRS's default."""

import json
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from fsrs import Card, Rating, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS
from simulate import NOW, simulate, write_bank
from test_imports import PROBE
from typer.testing import CliRunner

from quiz import optimize
from quiz.cli import app
from quiz.schedule import utcnow
from quiz.store import Store, parse_iso

runner = CliRunner()


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
def optimized(tmp_path_factory):
    """≥ 1,000 simulated reviews in a QUIZ_HOME, then `quiz optimize --retention` once (it takes ~15 s)."""
    home = tmp_path_factory.mktemp("optimize") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QUIZ_HOME", str(home))
        keys = write_bank(home / "banks", "gen", 300)
        store = Store(home / "quiz.db")
        # the learner stopped three days ago: cards have come due since
        logged = simulate(store, keys, end=utcnow() - timedelta(days=3), days=45, new_per_day=5, seed=11)
        usable = independent_usable(store)
        store.close()
        result = runner.invoke(app, ["optimize", "--retention"])
    return home, logged, usable, result


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
    # the losses are what the parameters predict on this log
    logs = optimize.review_logs(store)
    assert row["loss_before"] == pytest.approx(optimize.log_loss(logs, DEFAULT_PARAMETERS))
    assert row["loss_after"] == pytest.approx(optimize.log_loss(logs, saved))
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
    logs = optimize.review_logs(store)
    assert len(logs) == sum(r.kind != "cram" for r in store.reviews())  # crammed answers are left out
    assert optimize.usable(logs) == independent_usable(store)
    from fsrs.optimizer import Optimizer

    fsrs_loss = Optimizer(logs)._compute_batch_loss(parameters=list(DEFAULT_PARAMETERS))
    assert optimize.log_loss(logs, DEFAULT_PARAMETERS) == pytest.approx(fsrs_loss, rel=1e-9)


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


def test_parameters_that_do_not_help_are_not_saved(tmp_path, monkeypatch):
    store = Store(tmp_path / "q.db")
    simulate(store, [("d", i) for i in range(1, 301)], end=NOW, days=45, new_per_day=5, seed=11)
    from fsrs.optimizer import Optimizer

    monkeypatch.setattr(Optimizer, "compute_optimal_parameters", lambda self, verbose=False: list(DEFAULT_PARAMETERS))
    fit = optimize.fit(store, NOW)
    assert fit.enough and fit.loss_after == fit.loss_before and not fit.saved
    assert store.fsrs_parameters() is None


def test_optimize_help(home):
    result = runner.invoke(app, ["optimize", "--help"])
    assert result.exit_code == 0 and "--retention" in result.stdout and "512" in result.stdout
