"""`quiz optimize` on the log of a simulated learner whose memory is not FSRS's default."""

import itertools
import json
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pexpect
import pytest
from fsrs import Card, Rating, ReviewLog, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS
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
    # the losses are the log losses fsrs-rs scores for these parameters on this log
    history = optimize.read_history(store)
    assert row["loss_before"] == pytest.approx(optimize.log_loss(history, DEFAULT_PARAMETERS))
    assert row["loss_after"] == pytest.approx(optimize.log_loss(history, saved))
    assert all(lo <= w <= hi for w, lo, hi in zip(saved, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS))
    assert result.stderr == ""  # not a terminal: no progress bar
    assert "Saved: quiz start schedules with the new parameters from now on." in out
    assert "parameters  " + " ".join(f"{p:.4f}" for p in saved) in out


def test_retention_reports_the_optimal_desired_retention(optimized):
    out = optimized[3].stdout
    m = re.search(r"optimal desired retention  (0\.\d\d) \(yours: 0\.9\); to use it: quiz config set retention (\S+)", out)
    assert m and 0.7 <= float(m[1]) <= 0.95 and float(m[2]) == float(m[1])


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


def test_usable_reviews_are_counted_as_the_optimizer_sees_them(tmp_path):
    store = Store(tmp_path / "q.db")
    simulate(store, [("d", i) for i in range(1, 101)], end=NOW, days=30, new_per_day=5, seed=5)
    history = optimize.read_history(store)
    assert history.reviews == len(fsrs_logs(store)) == sum(r.kind != "cram" for r in store.reviews())  # no cram
    assert history.usable == independent_usable(store) > 0
    # each item is a card's answers up to a usable one, whose days since the previous answer are ≥ 1
    assert all(item.long_term_review_cnt() >= 1 for item in history.items)


def test_the_simulation_uses_the_learners_own_shares_and_times(tmp_path):
    store = Store(tmp_path / "q.db")
    simulate(store, [("d", i) for i in range(1, 101)], end=NOW, days=30, new_per_day=5, seed=5)
    history = optimize.read_history(store)
    config = history.simulator()
    firsts = [sum(1 for r in store.reviews() if r.kind == "review" and r.before_json is None and r.rating == k)
              for k in (1, 2, 3, 4)]
    assert config.first_rating_prob == pytest.approx([n / sum(firsts) for n in firsts], abs=1e-6)
    assert sum(config.review_rating_prob) == pytest.approx(1) and config.deck_size == optimize.SIMULATED_CARDS
    learning_good = [r.duration_ms for r in store.reviews() if r.kind == "review" and r.state_before in (None, 0, 1)
                     and r.rating == 3 and r.duration_ms is not None]
    assert config.state_rating_costs[0][2] == pytest.approx(sum(learning_good) / len(learning_good) / 1000, rel=1e-5)
    assert optimize.History().simulator() is None  # nothing recalled yet: nothing to simulate


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


def test_reading_streams_the_log_card_by_card(tmp_path):
    fake_log(tmp_path / "q.db", cards=2000, per_card=10)
    fake_log(tmp_path / "long.db", cards=3, per_card=100, seed=1)
    seen = []
    history = optimize.read_history(Store(tmp_path / "q.db"), lambda what, done, total: seen.append((done, total)))
    assert history.reviews == 20_000
    assert seen[0] == (0, 20_000) and seen[-1] == (20_000, 20_000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) >= 20_000 // optimize.READ_TICK
    long = optimize.read_history(Store(tmp_path / "long.db"))
    assert long.reviews == 300 and max(len(item.reviews) for item in long.items) <= optimize.MAX_SEQ  # first 64


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
    """fsrs-rs fits and simulates: torch (its import alone is ~650 MB here) is never loaded, even with --retention."""
    proc = subprocess.run([sys.executable, "-c", PROBE.format(args=["optimize", "--retention"], stdin="")],
                          capture_output=True, text=True, timeout=120)
    assert "Saved" in proc.stdout, proc.stderr[-2000:]
    heavy = re.search(r"HEAVY: (\[.*\])", proc.stderr)[1]
    assert "torch" not in heavy and "numpy" not in heavy


def test_parameters_that_do_not_help_are_not_saved(tmp_path, monkeypatch):
    store = Store(tmp_path / "q.db")
    simulate(store, [("d", i) for i in range(1, 301)], end=NOW, days=45, new_per_day=5, seed=11)
    monkeypatch.setattr(optimize, "train", lambda history, progress: list(DEFAULT_PARAMETERS))  # no better
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
    # moments through the run; on a loaded machine one sweep can land only in Python's start-up and
    # after the end, so sweep again (at most 3 times) until a SIGINT reached quiz optimize
    for sweep, share in itertools.product(range(3), (0.1, 0.3, 0.5, 0.65, 0.8, 0.9)):
        if ours and share == 0.1:
            break
        home = tmp_path / f"stopped{sweep}-{share}"
        code, out, err, _ = run(home, share * whole)
        rows = parameter_rows(home)  # as they were, or the fitted ones added whole (a SIGINT just after
        assert rows == before or (len(rows) == len(before) + 1 and rows[:-1] == before), (share, code, err)
        if code == 0:  # the save lands before the process ends: its "Saved" line may be what it cut)
            assert "Saved" in out and len(rows) == len(before) + 1
        if "Interrupted" in err:  # stopped by quiz optimize itself (not while Python was still starting)
            assert (code, err) == (130, "Interrupted: nothing changed, the saved parameters are as they were.\n")
            ours += 1
    assert ours, "no SIGINT reached quiz optimize while it ran"
