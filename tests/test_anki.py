"""Anki with progress, both ways (quiz/anki.py), checked with Anki's own library: a package with
quiz's schedule and history opens in a fresh Anki collection with the same schedule; reviews made
there, through Anki's scheduler, come back into quiz's log once, in time order, and every card's
state is the replay of its log."""

import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fsrs import Card, Rating, ReviewLog, State
from typer.testing import CliRunner

from quiz import anki, schedule
from quiz.bank import load_bank
from quiz.cli import app
from quiz.errors import QuizError
from quiz.export import epoch_ms, note_guid, write_apkg
from quiz.store import SCHEDULING, Store, card_id, parse_iso

pytest.importorskip("anki")
from anki.collection import (Collection, ExportAnkiPackageOptions, ImportAnkiPackageOptions,  # noqa: E402
                             ImportAnkiPackageRequest)
from anki.scheduler.v3 import CardAnswer  # noqa: E402

BUILTIN = Path(__file__).parent.parent / "questions" / "modern-backbones.yaml"
DECK = "modern-backbones"
BANKS = [load_bank(BUILTIN)]
# a history ending before now: (days before now, rating) per question; 8 → relearning, 9 → learning
PLAN = {1: [(40, 3), (37, 3), (30, 3)], 2: [(20, 4)], 3: [(12, 3), (11, 1), (10, 3), (2, 3)],
        5: [(9, 2), (8, 3)], 8: [(30, 3), (25, 3), (1, 1)], 9: [(0.01, 1)]}
runner = CliRunner()


def fsrs():
    return schedule.scheduler(fuzz=False)


def study(store, plan, now, s=None):
    """Record the plan's reviews, as a session does (state before → after)."""
    s = s or fsrs()
    n = 0
    for qid, answers in plan.items():
        card = None
        for days, rating in answers:
            at = now - timedelta(days=days, milliseconds=n)
            after = schedule.review(s, card or schedule.new_card(card_id(DECK, qid), at), rating, at, 1000 + n)
            store.record(DECK, qid, rating, at, 1000 + n, card, after)
            card, n = after, n + 1
    return n


def open_anki(path: Path, package: Path | None = None) -> Collection:
    """A fresh Anki collection with FSRS on, the package imported with its scheduling."""
    col = Collection(str(path))
    col.set_config("fsrs", True)
    if package is not None:
        options = ImportAnkiPackageOptions(with_scheduling=True, with_deck_configs=True)
        col.import_anki_package(ImportAnkiPackageRequest(package_path=str(package), options=options))
    return col


def anki_cards(col) -> dict:
    """(deck, qid) → Anki card, by the note's GUID."""
    keys = {note_guid(DECK, q.id): (DECK, q.id) for q in BANKS[0].questions}
    return {keys[g]: col.get_card(cid) for g, cid in
            col.db.all("SELECT n.guid, c.id FROM cards c JOIN notes n ON c.nid = n.id")}


def answer(col, card, rating: int, at_ms: int, took_ms: int = 4000) -> None:
    """Answer through Anki's scheduler, as AnkiDroid does, at a given time."""
    card.start_timer()
    states = col._backend.get_scheduling_states(card.id)
    ans = col.sched.build_answer(card=card, states=states, rating=[CardAnswer.AGAIN, CardAnswer.HARD,
                                                                   CardAnswer.GOOD, CardAnswer.EASY][rating - 1])
    ans.answered_at_millis, ans.milliseconds_taken = at_ms, took_ms
    col.sched.answer_card(ans)


def export_anki(col, path: Path) -> Path:
    if path.suffix == ".colpkg":
        col.export_collection_package(str(path), include_media=False, legacy=False)
    else:
        col.export_anki_package(out_path=str(path), limit=None, options=ExportAnkiPackageOptions(
            with_scheduling=True, with_deck_configs=True, with_media=False, legacy=False))
    return path


def ms(dt) -> int:
    """Milliseconds since 1970 (of an ISO text: its whole milliseconds, as Anki's revlog ids)."""
    return epoch_ms(dt) if isinstance(dt, str) else epoch_ms(dt.isoformat())


def replayed(store, s) -> dict:
    """Every card's state as py-fsrs's reschedule_card makes it from the card's log alone."""
    logs = {}
    for r in store.reviews():
        if r.kind in SCHEDULING:
            logs.setdefault((r.deck, r.qid), []).append(ReviewLog(
                card_id=r.card_id, rating=Rating(r.rating), review_datetime=parse_iso(r.reviewed_at),
                review_duration=r.duration_ms))
    return {key: s.reschedule_card(Card(card_id=card_id(*key)), log) for key, log in logs.items()}


def assert_state_is_replay(store, s):
    cards = store.cards()
    expected = replayed(store, s)
    assert set(cards) == set(expected)
    for key, row in cards.items():
        assert Card.from_json(row["card_json"]).to_dict() == expected[key].to_dict(), key
    # and the log is a chain: in id order, each scheduling review starts from the state the previous one left
    last = {}
    for r in store.reviews():
        if r.kind in SCHEDULING:
            assert r.before_json == last.get((r.deck, r.qid)), (r.deck, r.qid, r.id)
            last[(r.deck, r.qid)] = r.after_json
    for key, after in last.items():
        assert cards[key]["card_json"] == after


@pytest.fixture
def studied(home, tmp_path):
    now = schedule.utcnow()
    store = Store(home / "quiz.db")
    n = study(store, PLAN, now)
    return store, now, n


def test_export_with_progress_opens_in_anki_with_quiz_schedule(studied, tmp_path):
    store, _, n = studied
    path = tmp_path / "progress.apkg"
    summary = anki.export_with_progress(BANKS, store, fsrs(), path)
    assert summary.startswith(f"Wrote {path}: 20 notes in 1 deck, 6 with progress, {n} reviews")
    col = open_anki(tmp_path / "phone.anki2", path)
    try:
        cards = anki_cards(col)
        assert len(cards) == 20
        today = col.sched.today
        for key, row in store.cards().items():
            ours, theirs = Card.from_json(row["card_json"]), cards[key]
            assert theirs.type != 0 and theirs.queue != 0, key  # not new
            assert theirs.memory_state.stability == pytest.approx(ours.stability, rel=1e-4)
            assert theirs.memory_state.difficulty == pytest.approx(ours.difficulty, abs=1e-3)
            assert theirs.last_review_time == int(ours.last_review.timestamp())
            due = ours.due.timestamp()
            if ours.state == State.Review:
                assert (theirs.type, theirs.queue) == (2, 2)
                # the same local day, Anki's days starting at its rollover hour
                day = lambda t: (t.astimezone() - timedelta(hours=col.get_config("rollover", 4))).date()  # noqa: E731
                assert theirs.due - today == (day(ours.due) - day(datetime.now(timezone.utc))).days
            else:
                assert theirs.type == (1 if ours.state == State.Learning else 3)
                assert (theirs.queue, theirs.due) == (1, int(due))  # learning: due to the second
        assert {k for k, c in cards.items() if c.type == 0} == {(DECK, q) for q in range(1, 21)} - {(DECK, q) for q in PLAN}
        assert cards[(DECK, 9)].type == 1 and cards[(DECK, 8)].type == 3
        revlog = [tuple(row) for row in col.db.all("SELECT id, cid, ease, time, type FROM revlog")]
        assert len(revlog) == n  # one row per quiz review
        for r in store.reviews():  # its time (the revlog id), card, rating, duration and kind
            assert (ms(r.reviewed_at), cards[(r.deck, r.qid)].id, r.rating, r.duration_ms,
                    {None: 0, 1: 0, 2: 1, 3: 2}[r.state_before]) in revlog
        conf = col.decks.config_dict_for_deck_id(cards[(DECK, 1)].did)
        assert conf["name"] == anki.PRESET and conf["desiredRetention"] == pytest.approx(0.9)
    finally:
        col.close()


def test_suspended_buried_and_flagged_cards_stay_so_in_anki(studied, tmp_path):
    store, now, _ = studied
    store.mark([(DECK, 1), (DECK, 4)], suspended=1)  # 4 is new
    store.mark([(DECK, 2)], flagged=1)
    store.mark([(DECK, 3)], buried_until=(now + timedelta(hours=12)).isoformat())
    store.mark([(DECK, 5)], buried_until=(now - timedelta(hours=1)).isoformat())  # no longer buried
    path = tmp_path / "progress.apkg"
    anki.export_with_progress(BANKS, store, fsrs(), path)
    col = open_anki(tmp_path / "phone.anki2", path)
    try:
        cards = anki_cards(col)
        assert [(cards[(DECK, q)].queue, cards[(DECK, q)].flags) for q in (1, 4, 2, 3)] == \
            [(-1, 0), (-1, 0), (2, 1), (-3, 0)]
        assert cards[(DECK, 5)].queue in (1, 2)  # in its learning or review queue
        assert cards[(DECK, 1)].memory_state is not None and cards[(DECK, 4)].type == 0  # suspended, schedule kept
    finally:
        col.close()


@pytest.mark.parametrize("suffix", [".apkg", ".colpkg"])
def test_reviews_made_in_anki_come_back_once(studied, tmp_path, suffix):
    store, now, n = studied
    s = fsrs()
    path = tmp_path / "progress.apkg"
    anki.export_with_progress(BANKS, store, s, path)
    col = open_anki(tmp_path / "phone.anki2", path)
    t = ms(now) + 3_600_000  # an hour later, on the phone
    try:
        cards = anki_cards(col)
        answer(col, cards[(DECK, 1)], 3, t)  # a card in review, due or not
        answer(col, cards[(DECK, 9)], 3, t + 60_000)  # the learning card, a minute later
        answer(col, cards[(DECK, 9)], 4, t + 700_000)
        answer(col, cards[(DECK, 14)], 1, t + 800_000)  # a card quiz never saw
        back = export_anki(col, tmp_path / f"back{suffix}")
    finally:
        col.close()
    before = {r.id for r in store.reviews()}
    done = anki.merge_package(back, BANKS, store, s)
    assert (done.added, done.known, done.cards, done.matched, done.unknown) == (4, n, 3, 20, [])
    new = [r for r in store.reviews() if r.id not in before]
    assert [(r.qid, r.rating, r.duration_ms, r.kind) for r in new] == \
        [(1, 3, 4000, "review"), (9, 3, 4000, "review"), (9, 4, 4000, "review"), (14, 1, 4000, "review")]
    assert [ms(r.reviewed_at) for r in new] == [t, t + 60_000, t + 700_000, t + 800_000]
    assert_state_is_replay(store, s)
    rows = Store(store.path).rows()
    again = anki.merge_package(back, BANKS, store, s)
    assert (again.added, again.known, again.cards) == (0, n + 4, 0)
    assert Store(store.path).rows() == rows  # nothing written the second time


def test_a_card_reviewed_on_both_sides_keeps_both_in_time_order(studied, tmp_path):
    store, now, _ = studied
    s = fsrs()
    path = tmp_path / "progress.apkg"
    anki.export_with_progress(BANKS, store, s, path)
    col = open_anki(tmp_path / "phone.anki2", path)
    t = ms(now) + 3_600_000
    try:
        cards = anki_cards(col)
        answer(col, cards[(DECK, 3)], 2, t)  # on the phone first…
        answer(col, cards[(DECK, 5)], 3, t + 2 * 3_600_000)  # …and after quiz's review of 5
        back = export_anki(col, tmp_path / "back.apkg")
    finally:
        col.close()
    # …meanwhile in quiz, after the export: 3 an hour after the phone, 5 an hour before it
    for qid, at in ((3, t + 3_600_000), (5, t + 3_600_000)):
        card = Card.from_json(store.cards()[(DECK, qid)]["card_json"])
        at = datetime.fromtimestamp(at / 1000, tz=timezone.utc)
        store.record(DECK, qid, 3, at, 500, card, schedule.review(s, card, 3, at))
    done = anki.merge_package(back, BANKS, store, s)
    assert (done.added, done.cards) == (2, 2)
    for qid, expected in ((3, [2, 3]), (5, [3, 3])):
        log = [r for r in store.reviews() if r.qid == qid][-2:]
        assert [r.rating for r in log] == expected  # in time order, whichever side came first
        assert log[0].reviewed_at < log[1].reviewed_at and log[0].id < log[1].id
    assert_state_is_replay(store, s)
    assert anki.merge_package(back, BANKS, store, s).added == 0


def test_cram_and_reset_travel_and_come_back_as_known(home, tmp_path):
    now = schedule.utcnow()
    store = Store(home / "quiz.db")
    s = fsrs()
    study(store, {4: [(10, 3), (5, 3)], 6: [(3, 3)]}, now)
    card = Card.from_json(store.cards()[(DECK, 6)]["card_json"])
    store.record(DECK, 6, 1, now - timedelta(days=1), 700, card, card, kind="cram")
    store.reset([(DECK, 4)])
    path = tmp_path / "progress.apkg"
    assert ", 1 with progress, 4 reviews" in anki.export_with_progress(BANKS, store, s, path)
    col = open_anki(tmp_path / "phone.anki2", path)
    try:
        cards = anki_cards(col)
        assert cards[(DECK, 4)].type == 0  # reset: new again
        types = col.db.list("SELECT type FROM revlog ORDER BY id")
        assert sorted(types) == [0, 0, 0, 3, 4]  # 4: learning ×2, then Forget; 6: learning, cram
        old = cards[(DECK, 4)]
        answer(col, old, 3, ms(now) - 7 * 86_400_000)  # reviewed on the phone before quiz's reset
        back = export_anki(col, tmp_path / "back.apkg")
    finally:
        col.close()
    done = anki.merge_package(back, BANKS, store, s)
    assert (done.added, done.known, done.skipped) == (1, 4, 1)  # the Forget row is no rating
    assert [r.kind for r in store.reviews() if r.qid == 4] == ["reset-review"] * 3
    assert (DECK, 4) not in store.cards()  # still new, as quiz's reset left it
    assert_state_is_replay(store, s)


def test_reviews_in_one_millisecond_get_their_own_revlog_ids_and_still_come_back_as_known(home, tmp_path):
    now = schedule.utcnow().replace(microsecond=0)
    store = Store(home / "quiz.db")
    s = fsrs()
    for qid in (1, 2, 3):  # a restored or generated log: three cards answered at the same instant
        store.record(DECK, qid, 3, now, None, None, schedule.review(s, schedule.new_card(card_id(DECK, qid), now), 3, now))
    path = tmp_path / "progress.apkg"
    anki.export_with_progress(BANKS, store, s, path)
    col = open_anki(tmp_path / "phone.anki2", path)
    try:
        assert col.db.list("SELECT id FROM revlog ORDER BY id") == [ms(now), ms(now) + 1, ms(now) + 2]
    finally:
        col.close()
    done = anki.merge_package(path, BANKS, store, s)
    assert (done.added, done.known) == (0, 3)


def test_notes_quiz_does_not_know_are_reported_not_invented(studied, tmp_path):
    store, now, _ = studied
    col = open_anki(tmp_path / "phone.anki2")
    try:
        write_apkg(BANKS, tmp_path / "plain.apkg")
        col.import_anki_package(ImportAnkiPackageRequest(package_path=str(tmp_path / "plain.apkg"),
                                                         options=ImportAnkiPackageOptions()))
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"], note["Back"] = "<b>Capital</b> of France?", "Paris"
        col.add_note(note, col.decks.id("Geography"))
        answer(col, note.cards()[0], 3, ms(now))
        back = export_anki(col, tmp_path / "mixed.apkg")
    finally:
        col.close()
    done = anki.merge_package(back, BANKS, store, fsrs())
    assert done.unknown == ["Capital of France?"] and done.added == 0 and done.matched == 20
    assert not any(r.deck != DECK for r in store.reviews())


def test_what_a_package_says_is_printed_clean(studied, tmp_path):
    col = open_anki(tmp_path / "phone.anki2")
    try:
        write_apkg(BANKS, tmp_path / "plain.apkg")
        col.import_anki_package(ImportAnkiPackageRequest(package_path=str(tmp_path / "plain.apkg"),
                                                         options=ImportAnkiPackageOptions()))
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"], note["Back"] = "\x1b]0;pwned\x07Capital\u202e of \x1b[2JFrance?", "Paris"
        col.add_note(note, col.decks.id("Geo\u202egraphy\x1b[31m"))
        back = export_anki(col, tmp_path / "mixed.apkg")
        col.remove_notes(col.find_notes('"deck:quiz::*"'))
        foreign = export_anki(col, tmp_path / "foreign.apkg")  # the hostile note alone
    finally:
        col.close()
    result = runner.invoke(app, ["import", str(back)])
    assert result.exit_code == 0, result.output
    assert "Capital\\u202e of" in result.stderr and "France?" in result.stderr  # the override shown, not obeyed
    result2 = runner.invoke(app, ["import", str(foreign)])
    assert result2.exit_code == 1 and "(1 note; decks: Geo" in result2.stderr and result2.stderr.count("\n") == 1
    for out in (result.stderr, result.stdout, result2.stderr):
        assert not any(c in out for c in "\x1b\x07\u202e")


def _foreign(tmp_path, now) -> Path:
    col = open_anki(tmp_path / "other.anki2")
    try:
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"], note["Back"] = "Q", "A"
        col.add_note(note, col.decks.id("Japanese::Kanji"))
        answer(col, note.cards()[0], 3, ms(now))
        return export_anki(col, tmp_path / "foreign.apkg")
    finally:
        col.close()


def _newer(tmp_path) -> Path:
    col = open_anki(tmp_path / "c.anki2")
    col.close()
    col = Collection(str(tmp_path / "c.anki2"))
    src = export_anki(col, tmp_path / "c.colpkg")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp_path / "newer.colpkg", "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, b"\x08\x09" if name == "meta" else zin.read(name))  # package version 9
    return tmp_path / "newer.colpkg"


@pytest.mark.parametrize("make,message", [
    (lambda tmp, now: (tmp / "junk.apkg").write_bytes(b"PK\x03\x04 not really") and tmp / "junk.apkg",
     "{p}: not an Anki package Anki can read ("),
    (lambda tmp, now: zipfile.ZipFile(tmp / "zip.colpkg", "w").close() or tmp / "zip.colpkg",
     "{p}: not an Anki package Anki can read ("),
    (_foreign, "{p}: holds no question of a deck quiz has (1 note; decks: Japanese::Kanji); "
               "import or restore those decks first"),
    (lambda tmp, now: _newer(tmp), "{p}: made by a newer Anki than the library quiz uses (anki "),
    (lambda tmp, now: tmp / "missing.apkg", "{p}: no such file"),
])
def test_bad_packages_are_one_line_and_write_nothing(studied, tmp_path, make, message):
    store, now, _ = studied
    path = make(tmp_path, now)
    rows = store.rows()
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: " + message.format(p=path)) and result.stderr.count("\n") == 1
    assert Store(store.path).rows() == rows


def test_a_merge_that_fails_midway_writes_nothing(studied, tmp_path):
    store, now, _ = studied
    s = fsrs()
    path = tmp_path / "progress.apkg"
    anki.export_with_progress(BANKS, store, s, path)
    col = open_anki(tmp_path / "phone.anki2", path)
    try:
        cards = anki_cards(col)
        for i, qid in enumerate((1, 2, 3)):
            answer(col, cards[(DECK, qid)], 3, ms(now) + 3_600_000 + i)
        back = export_anki(col, tmp_path / "back.apkg")
    finally:
        col.close()

    class Failing:  # the third card's replay fails
        def __init__(self):
            self.calls, self.real = 0, fsrs()

        def __getattr__(self, name):
            return getattr(self.real, name)

        def review_card(self, *a, **kw):
            self.calls += 1
            if self.calls > 2:
                raise RuntimeError("disk on fire")
            return self.real.review_card(*a, **kw)

    rows = store.rows()
    with pytest.raises(RuntimeError):
        anki.merge_package(back, BANKS, store, Failing())
    assert Store(store.path).rows() == rows


def test_without_anki_the_message_says_how_to_get_it(studied, tmp_path, monkeypatch):
    store, _, _ = studied
    monkeypatch.setitem(sys.modules, "anki", None)  # as if not installed
    with pytest.raises(QuizError) as e:
        anki.export_with_progress(BANKS, store, fsrs(), tmp_path / "p.apkg")
    assert str(e.value) == "export --with-progress needs Anki's library: pip install 'quiz[anki]'"
    with pytest.raises(QuizError, match=r"^quiz import \.apkg needs Anki's library: pip install 'quiz\[anki\]'$"):
        anki.read_package(tmp_path / "p.apkg")
    assert not (tmp_path / "p.apkg").exists()


def test_cli_round_trip(studied, tmp_path):
    _, _, n = studied
    path = tmp_path / "phone.apkg"
    result = runner.invoke(app, ["export", "--format", "apkg", "--with-progress", "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Wrote {path}: 20 notes in 1 deck, 6 with progress, {n} reviews")
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Merged {path}: 0 new reviews on 0 cards, {n} already in the log (20 notes matched)\n"
    for args, message in ((["export", "-f", "csv", "--with-progress"], "--with-progress goes with --format apkg"),
                          (["import", str(path), "--deck", "x"], "--deck, --force, --overwrite-edits and --dry-run are for Markdown files")):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and message in result.stderr
