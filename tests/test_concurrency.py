"""Several sessions on one home: a card's state is always the fold of its review log, and undo
takes back exactly the review it recorded, or nothing."""

import threading
from datetime import timedelta

import pytest

from quiz import schedule, session
from quiz.bank import load_banks
from quiz.errors import QuizError
from quiz.store import Store, card_id

QS = list(load_banks()[0].questions)[:5]


def replay_holds(path):
    """Every card: each review starts from the state the previous one left, and the card row is
    the state after its last review (cards with no review have no row)."""
    store = Store(path)
    last = {}
    for r in store.reviews():
        if r.kind not in ("review", "mock"):
            continue
        key = (r.deck, r.qid)
        assert r.before_json == last.get(key), f"review {r.id} of {key} did not start from the committed state"
        last[key] = r.after_json
    cards = {k: row["card_json"] for k, row in store.cards().items()}
    assert cards == last
    return len(store.reviews())


def test_four_sessions_rating_the_same_cards_lose_nothing(tmp_path, now):
    path = tmp_path / "q.db"
    Store(path).close()
    start = threading.Barrier(4)
    errors = []

    def one_session(seed):
        try:
            store = Store(path)
            s = session.Session(store, schedule.scheduler(fuzz=False), session.select(QS, store, now))
            start.wait()  # all four read the cards as new, then all rate them
            for i in range(len(QS)):
                s.rate(1 + (seed + i) % 4, s.outcomes(now)[1 + (seed + i) % 4], now + timedelta(seconds=seed), 100)
            store.close()
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=one_session, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert replay_holds(path) == 4 * len(QS)
    # and each card really went through four reviews: its reps in FSRS terms moved on each time
    store = Store(path)
    for q in QS:
        reviews = [r for r in store.reviews() if r.qid == q.id]
        assert [r.before_json is None for r in reviews] == [True, False, False, False]


def two_sessions(path, now):
    """Two stores on one file, each with a session that read the first card while it was new."""
    out = []
    for _ in range(2):
        store = Store(path)
        out.append((store, session.Session(store, schedule.scheduler(fuzz=False), session.select(QS[:1], store, now))))
    return out


def test_stale_session_rates_from_the_committed_card(tmp_path, now):
    path = tmp_path / "q.db"
    (a, sa), (b, sb) = two_sessions(path, now)
    sa.rate(3, sa.outcomes(now)[3], now, 100)
    sb.rate(3, sb.outcomes(now)[3], now + timedelta(minutes=1), 100)  # sb still thinks the card is new
    replay_holds(path)
    assert sb.items[0].card.to_json() == b.cards()[(QS[0].deck, QS[0].id)]["card_json"]
    # negative control: without the compare-and-swap the second review would start from "new" again
    c = Store(tmp_path / "control.db")
    card = schedule.new_card(card_id("d", 1), now)
    after = schedule.review(schedule.scheduler(fuzz=False), card, 3, now)
    c.record("d", 1, 3, now, None, None, after)
    c.record("d", 1, 3, now, None, None, after)  # no reschedule given: the old, lossy behaviour
    with pytest.raises(AssertionError):
        replay_holds(tmp_path / "control.db")


def test_undo_refuses_when_another_session_rated_the_card_since(tmp_path, now):
    path = tmp_path / "q.db"
    (a, sa), (b, sb) = two_sessions(path, now)
    sa.rate(3, sa.outcomes(now)[3], now, 100)
    sb.rate(4, sb.outcomes(now)[4], now + timedelta(minutes=1), 100)
    with pytest.raises(QuizError, match="rated again since"):
        sa.undo()
    assert len(a.reviews()) == 2 and len(sa.done) == 1  # nothing changed
    assert sb.undo()  # the latest review can be undone: the card is back to sa's state
    replay_holds(path)
    assert len(a.reviews()) == 1


def test_undo_after_a_restore_does_not_delete_the_restored_review(tmp_path, now):
    path = tmp_path / "q.db"
    a = Store(path)
    sa = session.Session(a, schedule.scheduler(fuzz=False), session.select(QS[:5], a, now))
    sa.rate(3, sa.outcomes(now)[3], now, 100)  # review id 1, card QS[0]
    # another shell restores a backup whose review id 1 is a different card at another time
    other = Store(tmp_path / "other.db")
    card = schedule.review(schedule.scheduler(fuzz=False), schedule.new_card(card_id(QS[4].deck, QS[4].id), now),
                           3, now - timedelta(days=3))
    other.record(QS[4].deck, QS[4].id, 3, now - timedelta(days=3), None, None, card)
    other.close()
    assert Store(path).replace_progress(tmp_path / "other.db", "a-restore", None, None)  # what quiz restore does
    with pytest.raises(QuizError, match="this home was restored"):  # the session knows, and touches nothing
        sa.undo()
    with pytest.raises(QuizError, match="this home was restored"):
        sa.rate(3, sa.outcomes(now)[3], now, 100)
    assert [(r.id, r.qid) for r in a.reviews()] == [(1, QS[4].id)]
    replay_holds(path)


def test_undo_restores_the_fold_of_the_remaining_log(tmp_path, now):
    path = tmp_path / "q.db"
    a = Store(path)
    s = session.Session(a, schedule.scheduler(fuzz=False), session.select(QS[:1], a, now))
    s.rate(1, s.outcomes(now)[1], now, 100)
    s.items.append(session.Item(QS[0], s.items[0].card))
    later = now + timedelta(minutes=10)
    s.rate(3, s.outcomes(later)[3], later, 100)
    assert s.undo()
    replay_holds(path)
    assert s.items[1].card.to_json() == a.reviews()[0].after_json
    assert s.undo_message().startswith("Undone: Good on ")


def test_quiz_processes_opening_a_fresh_home_at_once_all_start(tmp_path):
    """Two sessions started together on a new home (CI caught it): switching the fresh file to
    WAL takes an exclusive lock without SQLite's busy handler, so one of them used to exit with
    "not a usable quiz database (database is locked)"."""
    errors = []
    for round_ in range(150):
        path = tmp_path / f"home{round_}" / "quiz.db"
        start = threading.Barrier(4)

        def open_it():
            start.wait()
            try:
                Store(path).close()
            except QuizError as e:
                errors.append(str(e))

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []


def snapshot_is_consistent(rows) -> bool:
    """Each card row is the state after its last review in the same snapshot (what a backup needs)."""
    last = {}
    for r in rows["reviews"]:
        if r["kind"] in ("review", "mock"):
            last[(r["deck"], r["qid"])] = r["after_json"]
    return {(c["deck"], c["qid"]): c["card_json"] for c in rows["cards"]} == last


def test_a_backup_taken_while_a_session_rates_is_one_snapshot(tmp_path, now):
    path = tmp_path / "q.db"
    Store(path).close()
    stop = threading.Event()

    def rate_on():  # another session rating the same five cards as fast as it can
        store = Store(path)
        s = schedule.scheduler(fuzz=False)
        when = now
        while not stop.is_set():
            for q in QS:
                when += timedelta(minutes=1)
                before = store.cards().get((q.deck, q.id))
                card = session.load_card(before) or schedule.new_card(card_id(q.deck, q.id), when)
                store.record(q.deck, q.id, 3, when, 100, session.load_card(before), schedule.review(s, card, 3, when))
        store.close()

    writer = threading.Thread(target=rate_on)
    writer.start()
    reader = Store(path)
    snapshots = []
    try:
        import time

        # read until five different states were seen (how fast the writer runs between two reads is
        # up to the scheduler: on a loaded machine one read may see 0 reviews and the next 45)
        deadline = time.monotonic() + 60
        while len({len(s["reviews"]) for s in snapshots}) < 5 and time.monotonic() < deadline:
            snapshots.append(reader.rows())
            time.sleep(0.001)  # let the writer have the interpreter
    finally:
        stop.set()
        writer.join()
    assert len({len(s["reviews"]) for s in snapshots}) >= 5  # the snapshots were read while the writer rated
    assert all(snapshot_is_consistent(s) for s in snapshots)


def test_a_rating_committed_between_the_backups_reads_is_not_in_it(tmp_path, now, monkeypatch):
    # deterministic: another session commits a rating right after rows() read the cards table and
    # before it reads the review log; the snapshot holds neither half of it
    path = tmp_path / "q.db"
    reader, other = Store(path), Store(path)
    s = schedule.scheduler(fuzz=False)
    card = schedule.new_card(card_id("d", 1), now)
    other.record("d", 1, 3, now, 100, None, schedule.review(s, card, 3, now))
    real = Store.iter_rows

    def iter_rows(self, table, deck=None):
        yield from real(self, table, deck)
        if self is reader and table == "cards":
            first = session.load_card(other.cards()[("d", 1)])
            later = now + timedelta(days=1)
            other.record("d", 1, 3, later, 100, first, schedule.review(s, first, 3, later))

    monkeypatch.setattr(Store, "iter_rows", iter_rows)
    rows = reader.rows()
    assert len(rows["reviews"]) == 1 and snapshot_is_consistent(rows)
    assert len(other.rows()["reviews"]) == 2  # the rating was committed meanwhile


def test_reads_outside_one_transaction_would_split_a_card_from_its_log(tmp_path, now):
    # negative control: the same three SELECTs run one by one, with a rating committed between
    # them (what could happen before rows() read in one transaction), give a split snapshot
    path = tmp_path / "q.db"
    store, other = Store(path), Store(path)
    s = schedule.scheduler(fuzz=False)
    card = schedule.new_card(card_id("d", 1), now)
    other.record("d", 1, 3, now, 100, None, schedule.review(s, card, 3, now))
    cards = [dict(r) for r in store.db.execute("SELECT * FROM cards")]
    first = session.load_card(other.cards()[("d", 1)])
    other.record("d", 1, 3, now + timedelta(days=1), 100, first, schedule.review(s, first, 3, now + timedelta(days=1)))
    reviews = [dict(r) for r in store.db.execute("SELECT * FROM reviews")]
    assert not snapshot_is_consistent({"cards": cards, "reviews": reviews})
    assert snapshot_is_consistent(store.rows())
