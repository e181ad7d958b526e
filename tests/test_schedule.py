import random

import pytest
from datetime import timedelta

from fsrs import Card, Rating, Scheduler

from quiz import schedule


def test_good_on_a_new_card_matches_fsrs(now):
    ours = schedule.review(schedule.scheduler(fuzz=False), schedule.new_card(7, now), 3, now)
    theirs, _ = Scheduler(enable_fuzzing=False).review_card(Card(card_id=7, due=now), Rating.Good, now)
    assert ours.due == theirs.due == now + timedelta(minutes=10)
    assert ours.to_dict() == theirs.to_dict()


def test_fuzz_is_deterministic_when_seeded(now):
    # a card in review long enough to be fuzzed
    card = Card(card_id=1, due=now)
    s = schedule.scheduler()
    for _ in range(3):
        card = schedule.review(s, card, 3, card.due)
    random.seed(42)
    a = schedule.preview(s, card, card.due)
    random.seed(42)
    b = schedule.preview(s, card, card.due)
    assert {r: c.due for r, c in a.items()} == {r: c.due for r, c in b.items()}


def test_review_is_pure(now):
    card = schedule.new_card(1, now)
    before = card.to_dict()
    schedule.review(schedule.scheduler(), card, 4, now)
    assert card.to_dict() == before


def test_retention_changes_intervals(now):
    card = Card(card_id=1, due=now)
    for _ in range(3):
        card = schedule.review(schedule.scheduler(fuzz=False), card, 3, card.due)
    lo = schedule.review(schedule.scheduler(0.8, fuzz=False), card, 3, card.due).due
    hi = schedule.review(schedule.scheduler(0.95, fuzz=False), card, 3, card.due).due
    assert lo > hi


def test_human_delta():
    assert schedule.human_delta(timedelta(seconds=30)) == "<1m"
    assert schedule.human_delta(timedelta(minutes=10)) == "10m"
    assert schedule.human_delta(timedelta(hours=5)) == "5h"
    assert schedule.human_delta(timedelta(days=3)) == "3d"
    assert schedule.human_delta(timedelta(days=90)) == "3.0mo"
    assert schedule.human_delta(timedelta(days=730)) == "2.0y"
    assert schedule.state_name(None) == "new"


def test_retrievability_counts_fractions_of_a_day(now):
    # a learning card (stability under a day) 15 h after its review: fsrs's whole-day count said 100%
    s = schedule.scheduler(fuzz=False)
    card = schedule.review(s, schedule.new_card(1, now), 1, now)
    assert card.stability < 1
    later = now + timedelta(hours=15)
    assert s.get_card_retrievability(card, later) == 1.0  # what fsrs says
    r = schedule.retrievability(s, card, later)
    assert 0.5 < r < 0.9
    assert schedule.retrievability(s, card, now) == 1.0
    # on whole days the two agree
    assert schedule.retrievability(s, card, now + timedelta(days=3)) == pytest.approx(
        s.get_card_retrievability(card, now + timedelta(days=3)))


def test_quiz_now_sets_the_clock(monkeypatch):
    from datetime import datetime, timezone

    from quiz.errors import QuizError

    monkeypatch.setattr(schedule, "_anchor", None)
    monkeypatch.setenv("QUIZ_NOW", "2030-01-02T09:30+01:00")
    first = schedule.utcnow()
    assert datetime(2030, 1, 2, 8, 30, tzinfo=timezone.utc) <= first < datetime(2030, 1, 2, 8, 31, tzinfo=timezone.utc)
    assert schedule.utcnow() >= first  # it moves on with the clock
    for bad in ("2030-01-02T09:30", "tomorrow"):  # no offset, not a time: one line saying what is expected
        monkeypatch.setenv("QUIZ_NOW", bad)
        with pytest.raises(QuizError, match="expected an ISO 8601 time with its offset"):
            schedule.utcnow()
