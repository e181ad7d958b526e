"""Progress that travels: Anki packages with quiz's schedule and history, and Anki's reviews merged back.

- `quiz export --format apkg --with-progress`: the notes of the plain export (genanki: same
  GUIDs, note type and deck names), and each studied card's FSRS memory state (stability,
  difficulty), due date, queue and review log (one revlog row per quiz review), written with
  Anki's own library, so Anki with FSRS on continues the schedule where quiz left it.
- `quiz import FILE.apkg|FILE.colpkg`: the review log of the notes quiz knows (matched by
  GUID) is merged into quiz's: reviews it has not seen are appended, each card's log is
  replayed in time order (card state = replay of its log), notes it does not know are
  reported. Anki reviews are taken as ratings at their times, whatever scheduler made them.

Anki's library (`anki`, the extra `quiz[anki]`) is imported here only, inside functions.
"""

from __future__ import annotations

import html
import json
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from quiz.errors import QuizError

DAY_SECS = 86_400
PRESET = "quiz (FSRS)"  # the deck options preset the package gives quiz's decks

# revlog kinds (Anki's RevlogReviewKind) and the card types and queues used here
LEARN, REVIEW, RELEARN, FILTERED, MANUAL, RESCHEDULED = range(6)
TYPE_LEARN, TYPE_REVIEW, TYPE_RELEARN = 1, 2, 3
QUEUE_LEARN, QUEUE_REVIEW, QUEUE_DAY_LEARN, QUEUE_SUSPENDED, QUEUE_BURIED = 1, 2, 3, -1, -3


def _require(what: str) -> None:
    """Anki's library is there, or a one-line error says how to get it."""
    try:
        import anki.collection  # noqa: F401
    except ImportError:
        raise QuizError(f"{what} needs Anki's library: pip install 'quiz[anki]'") from None


def _fail(path: Path, error: Exception) -> QuizError:
    """An error of Anki's library, reading `path`, as one line naming the file."""
    text = " ".join(str(error).split()) or type(error).__name__
    if "newer version" in text:
        from anki.buildinfo import version

        return QuizError(f"{path}: made by a newer Anki than the library quiz uses (anki {version}); "
                         "update it: pip install -U 'quiz[anki]'")
    return QuizError(f"{path}: not an Anki package Anki can read ({text})")


# -- export with progress ------------------------------------------------------------------


def _open_collection(folder: Path):
    from anki.collection import Collection

    return Collection(str(folder / "collection.anki2"))


def _import(col, path: Path) -> None:
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    options = ImportAnkiPackageOptions(with_scheduling=True, with_deck_configs=False)
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(path), options=options))


def _difficulty_factor(card) -> int:
    """The revlog `factor` Anki writes for an FSRS review: difficulty mapped to 100–1100."""
    return round(((card.difficulty - 1) / 9 + 0.1) * 1000) if card.difficulty is not None else 0


def _interval(card, at: datetime) -> int:
    """Revlog `ivl`: days for a card in review, minus seconds for one in (re)learning."""
    from fsrs import State

    secs = (card.due - at).total_seconds()
    return max(1, round(secs / DAY_SECS)) if card.state == State.Review else -max(0, round(secs))


def _schedule_card(c, card, scheduler, today: int, cutoff: int, reps_lapses) -> None:
    """Set an Anki card's type, queue, due, interval and FSRS memory state from quiz's fsrs Card."""
    from anki.cards import FSRSMemoryState
    from fsrs import State

    due = card.due.timestamp()
    day = today + (int(due) - (cutoff - DAY_SECS)) // DAY_SECS  # Anki days start at its rollover hour
    if card.state == State.Review:
        c.type, c.queue, c.due = TYPE_REVIEW, QUEUE_REVIEW, day
        c.ivl = max(1, round((card.due - card.last_review).total_seconds() / DAY_SECS))
        c.left = 0
    else:
        learning = card.state == State.Learning
        steps = scheduler.learning_steps if learning else scheduler.relearning_steps
        c.type = TYPE_LEARN if learning else TYPE_RELEARN
        c.left = max(1, len(steps) - (card.step or 0))
        c.queue, c.due = (QUEUE_LEARN, int(due)) if due < cutoff else (QUEUE_DAY_LEARN, day)
        c.ivl = 0 if learning else max(1, round(card.stability or 1))
    c.factor = 0 if card.state == State.Learning else 2500
    if card.stability is not None and card.difficulty is not None:
        c.memory_state = FSRSMemoryState(stability=card.stability, difficulty=card.difficulty)
    c.desired_retention = scheduler.desired_retention
    c.decay = float(scheduler.parameters[20])
    if card.last_review is not None:
        c.last_review_time = int(card.last_review.timestamp())
    c.reps, c.lapses = reps_lapses


def _revlog(reviews, card_ids: dict) -> tuple[list[tuple], int]:
    """One revlog row per quiz review of a card in the package (time order), plus a 'reset' row
    after the reviews a `quiz reset` set aside. Returns (rows, reviews written)."""
    from fsrs import Card

    from quiz.export import epoch_ms
    from quiz.store import SCHEDULING

    rows, last_ivl, reset_at, written, rid = [], {}, {}, 0, 0
    kinds = {None: LEARN, 0: LEARN, 1: LEARN, 2: REVIEW, 3: RELEARN}
    for r in sorted(reviews, key=lambda r: (r["reviewed_at"], r["id"])):
        key = (r["deck"], r["qid"])
        cid = card_ids.get(key)
        if cid is None:
            continue
        # revlog ids are unique: a review sharing the millisecond of the one before (generated
        # logs, restored backups) is moved to the next free one; times go in order, so that is linear
        rid = max(epoch_ms(r["reviewed_at"]), rid + 1)
        kind = r["kind"].removeprefix("reset-")
        if kind in SCHEDULING:
            after = Card.from_json(r["after_json"])
            ivl = _interval(after, datetime.fromisoformat(r["reviewed_at"]))
            rows.append((rid, cid, -1, r["rating"], ivl, last_ivl.get(key, 0), _difficulty_factor(after),
                         r["duration_ms"] or 0, kinds[r["state_before"]]))
            last_ivl[key] = ivl
        else:  # cram: a filtered-deck review with factor 0, which Anki does not reschedule by either
            rows.append((rid, cid, -1, r["rating"], 0, last_ivl.get(key, 0), 0, r["duration_ms"] or 0, FILTERED))
        written += 1
        if r["kind"].startswith("reset-"):
            reset_at[key] = rid
    used = {row[0] for row in rows} if reset_at else set()
    for key, rid in reset_at.items():  # Anki's "Forget": FSRS ignores what came before it
        rid += 1
        while rid in used:
            rid += 1
        used.add(rid)
        rows.append((rid, card_ids[key], -1, 0, 0, 0, 0, 0, MANUAL))
    return rows, written


def export_with_progress(banks, store, scheduler, out: Path, deck: str | None = None,
                         now: datetime | None = None) -> str:
    """`quiz export --format apkg --with-progress`: write the package; returns a one-line summary."""
    from quiz.export import note_guid, write_apkg, write_output
    from quiz.schedule import utcnow
    from quiz.store import SCHEDULING

    _require("export --with-progress")
    from anki.collection import ExportAnkiPackageOptions
    from fsrs import Card

    now = now or utcnow()
    rows = store.rows(deck)  # one snapshot of cards, reviews and marks
    keys = {note_guid(q.deck, q.id): (q.deck, q.id) for b in banks for q in b.questions}
    counts = {}
    for r in rows["reviews"]:
        if r["kind"] in SCHEDULING:  # reps and lapses as `quiz list` counts them
            reps, lapses = counts.get((r["deck"], r["qid"]), (0, 0))
            counts[(r["deck"], r["qid"])] = (reps + 1, lapses + (r["rating"] == 1 and r["state_before"] == 2))
    marks = {(m["deck"], m["qid"]): m for m in rows["card_marks"]}
    with tempfile.TemporaryDirectory(prefix="quiz-anki-") as tmp:
        folder = Path(tmp)
        notes = write_apkg(banks, folder / "notes.apkg")  # the plain export: notes, note type, decks
        col = _open_collection(folder)
        try:
            _import(col, folder / "notes.apkg")
            card_ids = {keys[g]: cid for g, cid in col.db.all(
                "SELECT n.guid, c.id FROM cards c JOIN notes n ON c.nid = n.id") if g in keys}
            today, cutoff = col.sched.today, col.sched.day_cutoff
            edited = {}  # Anki card id → the card, changed
            for row in rows["cards"]:
                key = (row["deck"], row["qid"])
                if key in card_ids:
                    c = edited[card_ids[key]] = col.get_card(card_ids[key])
                    _schedule_card(c, Card.from_json(row["card_json"]), scheduler, today, cutoff,
                                   counts.get(key, (0, 0)))
            studied = len(edited)
            for key, m in marks.items():
                cid = card_ids.get(key)
                if cid is None or not (m["suspended"] or m["flagged"] or m["buried_until"]):
                    continue
                if cid not in edited:
                    edited[cid] = col.get_card(cid)
                c = edited[cid]
                if m["suspended"]:
                    c.queue = QUEUE_SUSPENDED
                elif m["buried_until"] and datetime.fromisoformat(m["buried_until"]) > now:
                    c.queue = QUEUE_BURIED
                c.flags = 1 if m["flagged"] else 0
            col.update_cards(list(edited.values()), skip_undo_entry=True)
            revlog, reviews = _revlog(rows["reviews"], card_ids)
            # one statement for the whole log (executemany through Anki's database proxy takes
            # ~170 µs a row: 17 s for 100k reviews)
            col.db.execute("INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) SELECT "
                           + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(9))
                           + " FROM json_each(?)", json.dumps(revlog))
            _preset(col, scheduler)
            col.export_anki_package(out_path=str(folder / "out.apkg"), limit=None, options=ExportAnkiPackageOptions(
                with_scheduling=True, with_deck_configs=True, with_media=False, legacy=False))
        finally:
            col.close()
        data = (folder / "out.apkg").read_bytes()
    write_output(out, data)
    if str(out) == "-":
        return ""
    n = len(banks)
    return (f"Wrote {out}: {notes} notes in {n} deck{'s' * (n != 1)}, {studied} with progress, "
            f"{reviews} reviews (in Anki: Import, with scheduling; turn FSRS on in the deck options)")


def _preset(col, scheduler) -> None:
    """A deck options preset for quiz's decks: FSRS's parameters, desired retention and steps."""
    conf = col.decks.add_config(PRESET)
    conf["desiredRetention"] = float(scheduler.desired_retention)
    conf["fsrsParams6"] = [float(p) for p in scheduler.parameters]
    conf["new"]["delays"] = [s.total_seconds() / 60 for s in scheduler.learning_steps]
    conf["lapse"]["delays"] = [s.total_seconds() / 60 for s in scheduler.relearning_steps]
    conf["rev"]["maxIvl"] = int(scheduler.maximum_interval)
    col.decks.update_config(conf)
    for d in col.decks.all_names_and_ids():
        if d.name == "quiz" or d.name.startswith("quiz::"):
            col.decks.set_config_id_for_deck_dict(col.decks.get(d.id), conf["id"])


# -- merging Anki's reviews back -------------------------------------------------------------


@dataclass
class Package:
    """What quiz reads of an Anki package: its notes (GUID → a label) and decks, its review log."""
    notes: dict[str, str] = field(default_factory=dict)
    decks: list[str] = field(default_factory=list)
    revlog: list[tuple] = field(default_factory=list)  # (guid, id ms, ease, time ms, type, factor)


def _label(fields: str) -> str:
    """A note's first field as short plain text (for the list of notes quiz does not know)."""
    text = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", fields.split("\x1f", 1)[0])).split())
    return text if len(text) <= 60 else text[:59] + "…"


def read_package(path: Path) -> Package:
    """The notes, decks and review log of an .apkg or .colpkg, read by Anki's own importer (which
    knows every package version, and refuses one from a newer Anki) into a scratch collection."""
    path = Path(path)
    _require(f"quiz import {path.suffix}")
    from anki.errors import AnkiException

    if not path.is_file():
        raise QuizError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    with tempfile.TemporaryDirectory(prefix="quiz-anki-") as tmp:
        col = _open_collection(Path(tmp))
        try:
            try:
                _import(col, path)
            except AnkiException as e:
                raise _fail(path, e) from None
            pkg = Package()
            pkg.notes = {guid: _label(flds) for guid, flds in col.db.all("SELECT guid, flds FROM notes")}
            pkg.decks = sorted({col.decks.name(did) for did in col.db.list("SELECT DISTINCT did FROM cards")})
            pkg.revlog = col.db.all(
                "SELECT n.guid, r.id, r.ease, r.time, r.type, r.factor FROM revlog r"
                " JOIN cards c ON r.cid = c.id JOIN notes n ON c.nid = n.id ORDER BY r.id")
        finally:
            col.close()
    return pkg


@dataclass
class Merged:
    added: int = 0  # reviews new to quiz, now in its log
    known: int = 0  # reviews quiz had already (its own, or merged before)
    cards: int = 0  # cards whose log gained reviews
    matched: int = 0  # notes of the package that are quiz cards
    skipped: int = 0  # revlog rows that are no rating (set due date, forget, reschedule) or have no usable time
    unknown: list[str] = field(default_factory=list)  # labels of notes quiz does not know

    def report(self, path: Path) -> tuple[list[str], str]:
        """`quiz import`'s warnings (notes it left out) and its one-line summary."""
        warnings = []
        if self.unknown:
            more = f"; and {len(self.unknown) - 5} more" if len(self.unknown) > 5 else ""
            warnings.append(f"{len(self.unknown)} notes of {path} are not quiz questions, left out: "
                            + "; ".join(self.unknown[:5]) + more)
        skipped = (f"; {self.skipped} entries that are no rating (rescheduled, forgotten) left out"
                   if self.skipped else "")
        return warnings, (f"Merged {path}: {self.added} new reviews on {self.cards} cards, {self.known} already in "
                          f"the log ({self.matched} notes matched){skipped}")


def merge_package(path: Path, banks, store, scheduler) -> Merged:
    """`quiz import FILE.apkg|FILE.colpkg`: merge the package's reviews of quiz's cards into the
    log, in one transaction (see Store.merge_reviews). A package without a quiz card is an error."""
    from quiz.export import note_guid

    pkg = read_package(path)
    keys = {note_guid(q.deck, q.id): (q.deck, q.id) for b in banks for q in b.questions}
    done = Merged(matched=sum(g in keys for g in pkg.notes),
                  unknown=[label for g, label in pkg.notes.items() if g not in keys])
    if not pkg.notes:
        raise QuizError(f"{path}: holds no notes")
    if not done.matched:
        n = len(pkg.notes)
        decks = ", ".join(pkg.decks[:5]) + (f" and {len(pkg.decks) - 5} more" if len(pkg.decks) > 5 else "")
        raise QuizError(f"{path}: holds no question of a deck quiz has ({n} note{'s' * (n != 1)}; "
                        f"decks: {decks or 'none'}); import or restore those decks first")
    from quiz.export import epoch_ms

    low, high = epoch_ms("2000-01-01T00:00:00+00:00"), epoch_ms("2200-01-01T00:00:00+00:00")
    incoming = []
    for guid, rid, ease, took, kind, factor in pkg.revlog:
        key = keys.get(guid)
        if key is None:
            continue
        if not 1 <= ease <= 4 or kind in (MANUAL, RESCHEDULED) or not low <= rid < high:
            done.skipped += 1
            continue
        cram = kind == FILTERED and factor == 0  # a filtered-deck review that did not reschedule
        incoming.append((*key, ease, rid, min(max(took, 0), 7 * 86_400_000), "cram" if cram else "review"))
    done.added, done.known, done.cards = store.merge_reviews(incoming, scheduler)
    return done
