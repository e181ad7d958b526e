"""`quiz stats` against independent counts from the review log of a simulated learner."""

import json
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from fsrs import Card, Scheduler
from simulate import NOW, simulate, write_bank
from test_imports import PROBE
from typer.testing import CliRunner

from quiz import stats
from quiz.bank import load_banks
from quiz.cli import app
from quiz.schedule import state_name
from quiz.store import Store, card_id, iso

runner = CliRunner()


@pytest.fixture
def history(tmp_path):
    """20 built-in questions and 60 generated ones (tags odd/even), 200 days of study."""
    keys = write_bank(tmp_path / "banks", "gen", 60)
    banks = load_banks([tmp_path / "banks"]) + load_banks()
    store = Store(tmp_path / "q.db")
    builtin = [("modern-backbones", i) for i in range(1, 21)]
    logged = simulate(store, builtin + keys[:50], end=NOW, days=200, new_per_day=3, seed=7)
    questions = [q for b in banks for q in b.questions]
    return store, questions, logged


def local_day(text):
    return datetime.fromisoformat(text).astimezone().date()


def expected(store, questions, now, keys=None):
    """The same statistics, counted the slow and obvious way from every review and card."""
    today = now.astimezone().date()
    reviews = [r for r in store.reviews() if keys is None or (r.deck, r.qid) in keys]
    per_day = Counter(local_day(r.reviewed_at) for r in reviews)
    # streaks: walk the calendar
    longest = run = 0
    d = min(per_day, default=today)
    while d <= today:
        run = run + 1 if per_day[d] else 0
        longest = max(longest, run)
        d += timedelta(days=1)
    current, d = 0, today if per_day[today] else today - timedelta(days=1)
    while per_day[d]:
        current, d = current + 1, d - timedelta(days=1)
    retention = {}
    for name, days in (("7d", 7), ("30d", 30), ("all", 10_000)):
        chosen = [r for r in reviews if r.kind in ("review", "mock") and r.state_before == 2
                  and (today - local_day(r.reviewed_at)).days < days]
        ok = sum(r.rating != 1 for r in chosen)
        retention[name] = {"answers": len(chosen), "recalled": ok, "rate": round(ok / len(chosen), 4) if chosen else None}
    ms = {name: sum(r.duration_ms or 0 for r in reviews if (today - local_day(r.reviewed_at)).days < days)
          for name, days in (("7d", 7), ("30d", 30), ("all", 10_000))}
    lapses = Counter((r.deck, r.qid) for r in reviews
                     if r.kind in ("review", "mock") and r.rating == 1 and r.state_before == 2)
    scope = {(q.deck, q.id) for q in questions} if keys is None else keys
    cards = {k: Card.from_json(row["card_json"]) for k, row in store.cards().items() if k in scope}
    states = Counter(state_name(c) for c in cards.values())
    states["new"] = len(scope - set(cards))
    forecast = Counter(max(c.due.astimezone().date(), today) for c in cards.values())
    return {
        "reviews_total": len(reviews),
        "reviews_by_kind": {k: sum(r.kind == k for r in reviews) for k in ("review", "mock", "cram")},
        "per_day": per_day,
        "streak": {"current": current, "longest": longest},
        "retention": retention,
        "time_studied": {k: round(v / 1000) for k, v in ms.items()},
        "states": {s: states[s] for s in ("new", "learning", "review", "relearning")},
        "forecast": [{"date": (today + timedelta(days=i)).isoformat(), "due": forecast[today + timedelta(days=i)]}
                     for i in range(14)],
        "leeches": sorted(k for k, n in lapses.items() if n >= 4),
        "cards": cards,
        "lapses": lapses,
    }


def check(s, want, now):
    assert s["reviews_total"] == want["reviews_total"]
    assert s["reviews_by_kind"] == want["reviews_by_kind"]
    assert s["streak"] == want["streak"]
    assert s["retention"] == want["retention"]
    assert s["time_studied"] == want["time_studied"]
    assert s["states"] == want["states"]
    assert s["forecast"] == want["forecast"]
    assert sorted((c["deck"], c["id"]) for c in s["leeches"]) == want["leeches"]
    # the heatmap: 26 weeks from a Monday to today, every day's count
    days = sorted(s["heatmap"])
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    assert first.weekday() == 0 and last == now.astimezone().date() and (last - first).days // 7 == 25
    assert len(days) == (last - first).days + 1
    assert all(s["heatmap"][d.isoformat()] == want["per_day"][d] for d in map(date.fromisoformat, days))
    # weakest: cards with lapses or recall below 90%, most lapses first, then the least stable
    sched = Scheduler()
    weak = {k for k, c in want["cards"].items()
            if want["lapses"][k] or sched.get_card_retrievability(c, now) < 0.9}
    order = sorted(weak, key=lambda k: (-want["lapses"][k], want["cards"][k].stability, k))
    assert [(c["deck"], c["id"]) for c in s["weakest"]] == order[:10]
    for c in s["weakest"]:
        assert c["lapses"] == want["lapses"][(c["deck"], c["id"])] and c["leech"] == (c["lapses"] >= 4)


def test_the_simulated_history_is_deterministic_and_varied(history, tmp_path):
    store, _, logged = history
    again = Store(tmp_path / "again.db")
    keys = [("modern-backbones", i) for i in range(1, 21)] + [("gen", i) for i in range(1, 51)]
    assert simulate(again, keys, end=NOW, days=200, new_per_day=3, seed=7) == logged
    strip = lambda rs: [(r.deck, r.qid, r.rating, r.reviewed_at, r.kind, r.after_json) for r in rs]
    assert strip(again.reviews()) == strip(store.reviews())
    kinds = Counter(r.kind for r in store.reviews())
    assert logged > 1000 and kinds["cram"] > 0
    assert {r.rating for r in store.reviews()} == {1, 2, 3, 4}


def test_stats_match_an_independent_count(history):
    store, questions, _ = history
    s = stats.compute(store, questions, NOW)
    want = expected(store, questions, NOW)
    check(s, want, NOW)
    # the history is rich enough for every statistic to mean something
    assert s["streak"]["longest"] >= 3 and s["retention"]["all"]["answers"] > 500
    assert s["leeches"] and s["states"]["new"] == 10 and sum(f["due"] for f in s["forecast"]) > 0


@pytest.mark.parametrize("deck,tag", [("gen", None), (None, "odd"), ("modern-backbones", "resnet")])
def test_deck_and_tag_narrow_every_statistic(history, deck, tag):
    store, questions, _ = history
    chosen = [q for q in questions if (deck is None or q.deck == deck) and (tag is None or tag in q.tags)]
    keys = {(q.deck, q.id) for q in chosen}
    s = stats.compute(store, chosen, NOW, keys=keys)
    check(s, expected(store, chosen, NOW, keys), NOW)
    assert 0 < s["reviews_total"] < len(store.reviews())


def test_days_are_local_days(history, monkeypatch):
    store, questions, _ = history
    monkeypatch.setenv("TZ", "America/Los_Angeles")  # 09:00 UTC is 01:00 or 02:00 there: edge of the day
    time.tzset()
    try:
        s = stats.compute(store, questions, NOW)
        check(s, expected(store, questions, NOW), NOW)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_mock_answers_count_as_reviews_and_cram_as_activity_only(tmp_path):
    store = Store(tmp_path / "q.db")
    s = Scheduler(enable_fuzzing=False)
    card, _ = s.review_card(Card(card_id=card_id("d", 1), due=NOW - timedelta(days=10)), 3, NOW - timedelta(days=10))
    card, _ = s.review_card(card, 3, NOW - timedelta(days=9, hours=23))  # now in review
    store.record("d", 1, 3, NOW - timedelta(days=9, hours=23), 1000, None, card)
    lapsed, _ = s.review_card(card, 1, NOW - timedelta(days=1))
    store.record("d", 1, 1, NOW - timedelta(days=1), 2000, card, lapsed, kind="mock")
    store.record("d", 1, 3, NOW, 3000, lapsed, lapsed, kind="cram")
    st = stats.compute(store, [], NOW)
    assert st["reviews_by_kind"] == {"review": 1, "mock": 1, "cram": 1}
    assert st["retention"]["7d"] == {"answers": 1, "recalled": 0, "rate": 0.0}  # the mock lapse; not the cram
    assert st["streak"] == {"current": 2, "longest": 2} and st["time_studied"]["7d"] == 5
    assert st["states"]["relearning"] == 1 and st["weakest"][0]["lapses"] == 1


def test_few_queries_and_fast_at_100k_reviews(tmp_path):
    store = Store(tmp_path / "q.db")
    s = Scheduler(enable_fuzzing=False)
    rows, t0 = [], NOW - timedelta(days=400)
    for qid in range(1, 1001):
        card, _ = s.review_card(Card(card_id=card_id("big", qid), due=t0), 3, t0)
        store._put_card("big", qid, card)
        after = card.to_json()
        for i in range(100):
            at = iso(t0 + timedelta(days=i * 4, minutes=qid))
            rows.append((card_id("big", qid), "big", qid, 1 + (i * qid) % 4, at, 5000, "review", 2, 2, after, after))
    store.db.execute("BEGIN")
    store.db.executemany("INSERT INTO reviews (card_id, deck, qid, rating, reviewed_at, duration_ms, kind,"
                         " state_before, state_after, before_json, after_json) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    store.db.execute("COMMIT")
    queries = []
    store.db.set_trace_callback(queries.append)
    started = time.perf_counter()
    st = stats.compute(store, [], NOW)
    elapsed = time.perf_counter() - started
    store.db.set_trace_callback(None)
    assert st["reviews_total"] == 100_000 and st["states"]["learning"] == 1000
    assert len(queries) <= 3, queries
    print(f"stats over 100k reviews: {elapsed:.2f}s")
    assert elapsed < 2.0, f"{elapsed:.2f}s"
    # and narrowed to some cards, still one pass over the log
    queries.clear()
    store.db.set_trace_callback(queries.append)
    st = stats.compute(store, [], NOW, keys={("big", q) for q in range(1, 11)})
    assert st["reviews_total"] == 1000 and len(queries) <= 3


# -- the command --------------------------------------------------------------------

@pytest.fixture
def studied_home(home):
    store = Store(home / "quiz.db")
    simulate(store, [("modern-backbones", i) for i in range(1, 21)], end=datetime.now().astimezone(),
             days=120, new_per_day=4, seed=3)
    store.close()
    return home


def test_stats_json(studied_home):
    result = runner.invoke(app, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"reviews_total", "streak", "retention", "forecast", "heatmap", "states", "leeches"} <= set(data)
    reviews = Store(studied_home / "quiz.db").reviews()
    assert data["reviews_total"] == len(reviews)
    assert set(data["retention"]) == {"7d", "30d", "all"} and len(data["forecast"]) == 14
    assert sum(data["states"].values()) == 20


def test_stats_screen(studied_home):
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("answers in the last 26 weeks", "Mon", "Wed", "Fri", "streak", "true retention", "time studied",
                 "Due in the next 14 days", "today", "Weakest cards", "lapses"):
        assert text in out, text
    data = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert data["leeches"], "this learner has leeches"
    assert "Leeches (≥ 4 lapses): " + ", ".join(f"modern-backbones/{c['id']} ({c['lapses']})" for c in data["leeches"]) \
        in " ".join(out.split())
    flagged = [line.split()[0] for line in out.splitlines() if line.rstrip().endswith("leech")]
    assert flagged == [str(c["id"]) for c in data["weakest"] if c["leech"]]
    narrowed = runner.invoke(app, ["stats", "--tag", "resnet", "--json"])
    assert json.loads(narrowed.stdout)["reviews_total"] < data["reviews_total"]


def test_stats_of_an_empty_home_and_bad_filters(home):
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 0 and "No answers yet: study with quiz start." in result.stdout
    assert json.loads(runner.invoke(app, ["stats", "--json"]).stdout)["states"]["new"] == 20
    bad = runner.invoke(app, ["stats", "--deck", "nope"])
    assert bad.exit_code == 2 and bad.stderr == "Error: no deck 'nope' (decks: modern-backbones)\n"


def test_stats_help(home):
    result = runner.invoke(app, ["stats", "--help"])
    assert result.exit_code == 0 and "--json" in result.stdout and "--tag" in result.stdout


def test_stats_does_not_import_torch(home):
    proc = subprocess.run([sys.executable, "-c", PROBE.format(args=["stats"], stdin="")],
                          capture_output=True, text=True, timeout=60)
    assert "HEAVY: []" in proc.stderr, proc.stderr[-2000:]
