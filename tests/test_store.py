import sqlite3
from datetime import timedelta

import pytest
from fsrs import Card, Rating, Scheduler

from quiz.errors import QuizError
from quiz.files import home
from quiz.store import SCHEMA_VERSION, Store, card_id, iso


def test_migrations_on_a_blank_database(tmp_path):
    store = Store(tmp_path / "quiz.db")
    db = store.db
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 10000
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"cards", "reviews"} <= tables
    store.close()
    # reopening an up-to-date database migrates nothing and backs nothing up
    Store(tmp_path / "quiz.db").close()
    assert not list(tmp_path.glob("*.bak"))


def test_home_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path / "h"))
    assert home() == tmp_path / "h"
    monkeypatch.delenv("QUIZ_HOME")
    assert home().name == "quiz"


def test_record_then_undo_restores_state(tmp_path, now):
    store = Store(tmp_path / "quiz.db")
    s = Scheduler(enable_fuzzing=False)
    cid = card_id("d", 1)
    first, _ = s.review_card(Card(card_id=cid, due=now), Rating.Good, now)
    r1 = store.record("d", 1, 3, now, 1200, None, first)
    later = now + timedelta(days=3)
    second, _ = s.review_card(first, Rating.Again, later)
    r2 = store.record("d", 1, 1, later, 900, first, second)
    assert [r.rating for r in store.reviews()] == [3, 1]
    assert Card.from_json(store.cards()[("d", 1)]["card_json"]).to_dict() == second.to_dict()
    store.undo(r2)
    assert [r.id for r in store.reviews()] == [r1]
    assert Card.from_json(store.cards()[("d", 1)]["card_json"]).to_dict() == first.to_dict()
    store.undo(r1)
    assert store.reviews() == [] and store.cards() == {}


def test_cram_is_logged_but_does_not_reschedule(tmp_path, now):
    store = Store(tmp_path / "quiz.db")
    card = Card(card_id=card_id("d", 1), due=now)
    store.record("d", 1, 3, now, None, card, card, kind="cram")
    assert [r.kind for r in store.reviews()] == ["cram"]
    assert store.cards() == {}


def test_counts_reps_and_lapses(tmp_path, now):
    store = Store(tmp_path / "quiz.db")
    s = Scheduler(enable_fuzzing=False)
    card, t = None, now
    for rating in (3, 3, 1, 3):
        before = card
        card, _ = s.review_card(card or Card(card_id=card_id("d", 1), due=t), Rating(rating), t)
        store.record("d", 1, rating, t, None, before, card)
        t = card.due
    # the Again came while the card was in review: one lapse
    assert store.counts()[("d", 1)] == (4, 1)


def test_crammed_answers_are_neither_reps_nor_lapses(tmp_path, now):
    store = Store(tmp_path / "quiz.db")
    s = Scheduler(enable_fuzzing=False)
    card, _ = s.review_card(Card(card_id=card_id("d", 1), due=now), Rating(3), now)
    store.record("d", 1, 3, now, None, None, card)
    store.record("d", 1, 1, now, None, card, card, kind="cram")
    store.record("e", 2, 1, now, None, None, card, kind="cram")  # studied by cramming only
    counts = store.counts()
    assert counts[("d", 1)] == (1, 0) and counts.get(("e", 2), (0, 0)) == (0, 0)


def test_not_a_database_is_one_clear_error_and_untouched(tmp_path):
    path = tmp_path / "quiz.db"
    path.write_bytes(b"this is not sqlite" * 100)
    before = path.read_bytes()
    with pytest.raises(QuizError, match=r"quiz.db: not a usable quiz database .* move it away"):
        Store(path)
    assert path.read_bytes() == before


def test_future_schema_version_is_refused(tmp_path):
    path = tmp_path / "quiz.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.close()
    with pytest.raises(QuizError, match="newer than this quiz understands"):
        Store(path)


def test_a_committed_rating_is_visible_to_another_connection(tmp_path, now):
    store = Store(tmp_path / "quiz.db")
    card = Card(card_id=card_id("d", 1), due=now)
    store.record("d", 1, 3, now, None, None, card)
    other = sqlite3.connect(tmp_path / "quiz.db")
    assert other.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 1


# -- merging reviews made elsewhere (quiz import FILE.apkg) -----------------------------------


def _ms(t) -> int:
    return int(t.timestamp() * 1000)


def _replay(store, s, key):
    from fsrs import ReviewLog

    from quiz.store import SCHEDULING, parse_iso

    logs = [ReviewLog(card_id=r.card_id, rating=Rating(r.rating), review_datetime=parse_iso(r.reviewed_at),
                      review_duration=r.duration_ms)
            for r in store.reviews() if (r.deck, r.qid) == key and r.kind in SCHEDULING]
    return s.reschedule_card(Card(card_id=card_id(*key)), logs)


def test_merged_reviews_go_in_time_order_and_the_state_is_the_replay(tmp_path, now):
    store = Store(tmp_path / "quiz.db")
    s = Scheduler(enable_fuzzing=False)
    t = [now + timedelta(days=d) for d in (0, 1, 4, 9)]
    first, _ = s.review_card(Card(card_id=card_id("d", 1), due=t[0]), Rating.Good, t[0])
    store.record("d", 1, 3, t[0], 1000, None, first)
    third, _ = s.review_card(first, Rating.Good, t[2])  # as quiz saw it, without the review at t[1]
    store.record("d", 1, 3, t[2], 1000, first, third)
    merged = [("d", 1, 2, _ms(t[1]), 5000, "review"), ("d", 1, 4, _ms(t[3]), 6000, "review"),
              ("d", 1, 3, _ms(t[0]), 1000, "review")]  # the last is quiz's own, come back
    assert store.merge_reviews(merged, s) == (2, 1, 1)
    log = store.reviews()
    assert [(r.rating, r.reviewed_at) for r in log] == [(3, iso(t[0])), (2, iso(t[1])), (3, iso(t[2])), (4, iso(t[3]))]
    assert [r.before_json for r in log[1:]] == [r.after_json for r in log[:-1]]  # a chain, in id order
    assert store.cards()[("d", 1)]["card_json"] == log[-1].after_json == _replay(store, s, ("d", 1)).to_json()
    assert store.merge_reviews(merged, s) == (0, 3, 0)  # twice: nothing more
    assert store.undo(log[-1].id).to_json() == log[-2].after_json  # undo still finds the card's last review


def test_a_returning_review_matches_one_review_of_the_same_rating_nearby(tmp_path, now):
    store = Store(tmp_path / "quiz.db")
    s = Scheduler(enable_fuzzing=False)
    card, _ = s.review_card(Card(card_id=card_id("d", 1), due=now), Rating.Good, now)
    store.record("d", 1, 3, now, None, None, card)
    moved = _ms(now) + 3  # an export moved it 3 ms: another review had its millisecond
    assert store.merge_reviews([("d", 1, 3, moved, None, "review")], s) == (0, 1, 0)
    assert store.merge_reviews([("d", 1, 2, moved, None, "review")], s) == (1, 0, 1)  # another rating: another review
    assert store.merge_reviews([("d", 1, 3, moved + 1, None, "review"), ("d", 1, 3, moved + 2, None, "review")],
                               s) == (1, 1, 1)  # each review of the log matches once


def test_a_merged_review_older_than_a_reset_stays_set_aside(tmp_path, now):
    store = Store(tmp_path / "quiz.db")
    s = Scheduler(enable_fuzzing=False)
    card, _ = s.review_card(Card(card_id=card_id("d", 1), due=now), Rating.Good, now)
    store.record("d", 1, 3, now, None, None, card)
    store.reset([("d", 1)])
    earlier, later = _ms(now) - 86_400_000, _ms(now) + 86_400_000
    assert store.merge_reviews([("d", 1, 1, earlier, None, "review")], s) == (1, 0, 1)
    assert [r.kind for r in store.reviews()] == ["reset-review", "reset-review"] and store.cards() == {}
    assert store.merge_reviews([("d", 1, 4, later, None, "review"), ("d", 1, 2, later + 1, None, "cram")], s) == (2, 0, 1)
    assert [r.kind for r in store.reviews()][-2:] == ["review", "cram"]
    assert store.cards()[("d", 1)]["card_json"] == _replay(store, s, ("d", 1)).to_json()
