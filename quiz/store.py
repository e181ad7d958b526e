"""Progress on disk: SQLite with an append-only review log and the current card state.

One transaction per rating; WAL journal; synchronous=FULL so a committed
rating survives a crash. The schema is versioned by `PRAGMA user_version` and
evolves through MIGRATIONS, applied in order (an existing database is backed
up first).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from quiz.errors import QuizError
from quiz.files import home

MIGRATIONS = [
    # 1: cards and the review log
    """
    CREATE TABLE cards (
        card_id     INTEGER PRIMARY KEY,
        deck        TEXT NOT NULL,
        qid         INTEGER NOT NULL,
        card_json   TEXT NOT NULL,          -- fsrs.Card.to_json()
        state       INTEGER NOT NULL,       -- fsrs.State
        due         TEXT NOT NULL,          -- ISO-8601 UTC, sortable
        stability   REAL,
        difficulty  REAL,
        UNIQUE (deck, qid)
    );
    CREATE INDEX cards_due ON cards (due);
    CREATE TABLE reviews (
        id            INTEGER PRIMARY KEY,
        card_id       INTEGER NOT NULL,
        deck          TEXT NOT NULL,
        qid           INTEGER NOT NULL,
        rating        INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
        reviewed_at   TEXT NOT NULL,        -- ISO-8601 UTC
        duration_ms   INTEGER,
        kind          TEXT NOT NULL DEFAULT 'review',   -- review | cram
        state_before  INTEGER,              -- NULL: the card was new
        state_after   INTEGER,
        before_json   TEXT,                 -- NULL: the card was new
        after_json    TEXT NOT NULL
    );
    CREATE INDEX reviews_card ON reviews (deck, qid);
    CREATE INDEX reviews_time ON reviews (reviewed_at);
    """,
    # 2: FSRS parameters fitted to this user's log by `quiz optimize` (the newest row is in use)
    """
    CREATE TABLE parameters (
        id            INTEGER PRIMARY KEY,
        created_at    TEXT NOT NULL,        -- ISO-8601 UTC
        parameters    TEXT NOT NULL,        -- JSON list of the 21 FSRS-6 weights
        reviews       INTEGER NOT NULL,     -- usable reviews they were fitted to
        loss_before   REAL,
        loss_after    REAL
    );
    """,
    # 3: what the user set on a card besides its schedule: suspended, buried until a time, flagged
    """
    CREATE TABLE card_marks (
        deck          TEXT NOT NULL,
        qid           INTEGER NOT NULL,
        suspended     INTEGER NOT NULL DEFAULT 0,   -- out of every queue until unsuspended
        buried_until  TEXT,                         -- ISO-8601 UTC: out of today's queue until then
        flagged       INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (deck, qid)
    );
    """,
    # 4: restores that finished, recorded in the transaction that replaced the progress (quiz/backup.py):
    # a journal found later is not applied again, and a session open meanwhile stops before it rates
    """
    CREATE TABLE restores (
        id            INTEGER PRIMARY KEY,
        journal       TEXT NOT NULL UNIQUE,   -- the restore journal's id
        finished_at   TEXT NOT NULL           -- ISO-8601 UTC
    );
    """,
]
BACKUP_TABLES = ("cards", "reviews", "parameters", "card_marks")  # the progress a backup carries
SCHEMA_VERSION = len(MIGRATIONS)

# Review kinds that reschedule the card (cram answers are logged but do not), and the SQL test for them.
SCHEDULING = ("review", "mock")
SCHEDULING_SQL = "kind IN ({})".format(", ".join(f"'{k}'" for k in SCHEDULING))


# A home's progress is the replay of its log. Each scheduled review starts from the state the card's
# previous one left …
BROKEN_CHAIN = f"""SELECT n, deck, qid FROM (SELECT rowid - 1 AS n, deck, qid, before_json,
    LAG(after_json) OVER (PARTITION BY deck, qid ORDER BY id) AS previous FROM reviews WHERE {SCHEDULING_SQL})
    WHERE before_json IS NOT previous ORDER BY n LIMIT 1"""
# … each card row holds the state after its last one, in its columns as in its JSON …
WRONG_CARD = f"""SELECT rowid - 1, deck, qid FROM cards c WHERE card_json IS NOT (SELECT after_json FROM reviews r
    WHERE r.deck = c.deck AND r.qid = c.qid AND {SCHEDULING_SQL} ORDER BY r.id DESC LIMIT 1)
    OR state IS NOT json_extract(card_json, '$.state')
    OR julianday(due) IS NOT julianday(json_extract(card_json, '$.due'))
    OR abs(coalesce(stability, 0) - coalesce(json_extract(card_json, '$.stability'), 0)) > 1e-9 * abs(coalesce(stability, 1))
    OR abs(coalesce(difficulty, 0) - coalesce(json_extract(card_json, '$.difficulty'), 0)) > 1e-9
    ORDER BY rowid LIMIT 1"""
# … and a card that was reviewed has a row
NO_CARD = f"""SELECT rowid - 1, deck, qid FROM reviews r WHERE {SCHEDULING_SQL}
    AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.deck = r.deck AND c.qid = r.qid) ORDER BY rowid LIMIT 1"""
REPLAY_CHECKS = ((BROKEN_CHAIN, "reviews", "does not start from the state the card's previous review left"),
                 (WRONG_CARD, "cards", "is not the state its review log leaves"),
                 (NO_CARD, "reviews", "has no card row"))


def _statements(script: str):
    """Split a migration script into complete SQL statements."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            yield statement
            statement = ""
    if statement.strip():
        yield statement


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _epoch_ms(text: str) -> int:
    delta = datetime.fromisoformat(text) - _EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def _from_epoch_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def card_id(deck: str, qid: int) -> int:
    """A stable id for a card (deck + question id): the same on every machine and export."""
    import hashlib  # 2 ms to import: only where a card id is made

    return int(hashlib.sha1(f"{deck}/{qid}".encode()).hexdigest()[:13], 16)


@dataclass(frozen=True)
class Review:
    id: int
    card_id: int
    deck: str
    qid: int
    rating: int
    reviewed_at: str
    duration_ms: int | None
    kind: str
    state_before: int | None
    state_after: int | None
    before_json: str | None
    after_json: str


def private(path: Path) -> None:
    """Make `path` a file only its owner can read: created empty with mode 600 before SQLite opens it
    (an empty file is an empty database), or put back to 600 if a crash left it wider — a kill
    between creating and narrowing it once left quiz.db 644 for good."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        try:
            st = os.stat(path)
            if st.st_mode & 0o077 and st.st_uid == os.getuid():
                os.chmod(path, st.st_mode & 0o700)
        except OSError:
            pass
    except OSError:  # a folder we cannot write: SQLite says why when it opens the file
        pass


def explain(path: Path, e: sqlite3.Error, doing: str = "use") -> QuizError:
    """A database error as one line naming the file, with advice that is true for its cause: a full
    disk or a file-size limit is not a damaged database (nothing needs moving), a lock is not either."""
    text = str(e)
    if "locked" in text or "busy" in text:
        return QuizError(f"{path}: another quiz kept it locked for 10 s; try again when it is done")
    if "disk is full" in text or "disk I/O error" in text:
        return QuizError(f"{path}: cannot {doing} it: {_why_no_write(path)}; what was saved before is intact")
    if "readonly" in text or "read-only" in text:
        return QuizError(f"{path}: cannot {doing} it: it is read-only ({text}); reading commands still work")
    if "unable to open" in text:
        return QuizError(f"{path}: cannot open it ({text}): is its folder there, and yours to write?")
    return QuizError(f"{path}: not a usable quiz database ({text}); move it away (or restore a backup) and run again")


def _why_no_write(path: Path) -> str:
    import resource

    try:
        st = os.statvfs(Path(path).parent)
        if st.f_bavail * st.f_frsize < 1_000_000:
            return "the disk is full (free some space and run again)"
    except OSError:
        pass
    if resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY:
        return "a file-size limit stopped the write (raise ulimit -f and run again)"
    return "the disk could not be written (free some space or quota and run again)"


def _set_wal(db: sqlite3.Connection, wait: float = 10.0) -> None:
    """Switch to WAL. The switch takes an exclusive lock without SQLite's busy handler, so two
    quiz processes opening a fresh home at once would see "database is locked": retry."""
    import time

    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        if self.path.parent.exists() and not self.path.parent.is_dir():
            raise QuizError(f"{self.path.parent} is a file, not a folder: point QUIZ_HOME at a folder")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as e:
            raise QuizError(f"cannot create the data folder {self.path.parent}: {e.strerror}") from None
        try:  # a home that existed before quiz (or was made by hand) is made private too
            st = self.path.parent.stat()
            if st.st_mode & 0o077 and st.st_uid == os.getuid() and self.path.parent.resolve() != Path.home():
                os.chmod(self.path.parent, 0o700)
        except OSError:
            pass
        if not self.path.exists() or os.access(self.path.parent, os.W_OK):
            private(self.path)  # your study history is yours alone (-wal and -shm take its mode)
        self.db = self._connect()

    @classmethod
    def open_home(cls) -> "Store":
        return cls(home() / "quiz.db")

    def _fail(self, what: str) -> QuizError:
        return QuizError(f"{self.path}: {what}")

    def explain(self, e: sqlite3.Error, doing: str = "use") -> QuizError:
        """A database error as one line whose advice is true: a full disk is not a damaged file."""
        return explain(self.path, e, doing)

    def _connect(self) -> sqlite3.Connection:
        if self.path.exists() and not os.access(self.path.parent, os.W_OK):
            return self._connect_read_only()
        try:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA busy_timeout = 10000")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise self._fail(
                    f"database schema version {version} is newer than this quiz understands "
                    f"({SCHEMA_VERSION}); upgrade quiz, or move the file away to start afresh"
                )
            _set_wal(db)
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA foreign_keys = ON")
            if version < SCHEMA_VERSION:
                self._migrate(db, version)
            self.restores = db.execute("SELECT COUNT(*) FROM restores").fetchone()[0]
        except sqlite3.DatabaseError as e:
            raise self.explain(e, "open") from None
        return db

    def _connect_read_only(self) -> sqlite3.Connection:
        """A home on a read-only file system (a mounted backup, a locked-down machine): reading
        commands work; a rating says it cannot be saved. Nobody can write it meanwhile, so the
        file is opened immutable (WAL needs a writable folder otherwise)."""
        from urllib.parse import quote

        try:
            try:  # read-only, with its WAL if one is there (a crash left committed ratings in it)
                db = sqlite3.connect(f"file:{quote(str(self.path))}?mode=ro", uri=True, isolation_level=None)
                db.execute("PRAGMA user_version").fetchone()
            except sqlite3.OperationalError:  # no -shm to share: nobody can write it, so immutable is safe
                db = sqlite3.connect(f"file:{quote(str(self.path))}?immutable=1", uri=True, isolation_level=None)
            db.row_factory = sqlite3.Row
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as e:
            raise self.explain(e, "open") from None
        if version != SCHEMA_VERSION:
            raise self._fail(f"database schema version {version} needs a migration, but its folder is read-only")
        self.read_only = True
        return db

    read_only = False
    restores = None  # restores finished when this store was opened (None: read-only)

    @contextmanager
    def _write(self, doing: str = "save to"):
        """One write transaction (BEGIN IMMEDIATE … COMMIT): all of it or none of it. Refused before it
        writes if the home was restored since this store was opened (its cards are gone). A database
        error becomes one line whose advice is true (quiz.store.explain)."""
        if self.read_only:
            raise QuizError(f"{self.path}: its folder is read-only: nothing can be saved")
        try:
            self.db.execute("BEGIN IMMEDIATE")
            if self.db.execute("SELECT COUNT(*) FROM restores").fetchone()[0] != self.restores:
                raise QuizError("this home was restored (quiz restore) while this ran: nothing more is saved "
                                "here, and nothing was lost; start again to study the restored progress")
            yield
            self.db.execute("COMMIT")
        except BaseException as e:
            if self.db.in_transaction:  # SQLite may have rolled back itself (a full disk): nothing to undo then
                self.db.execute("ROLLBACK")
            if isinstance(e, sqlite3.Error):
                raise self.explain(e, doing) from None
            raise

    def _migrate(self, db: sqlite3.Connection, version: int) -> None:
        if version > 0:  # existing data: back it up before touching the schema
            backup = self.path.with_name(f"{self.path.name}.v{version}.bak")
            private(backup)
            dst = sqlite3.connect(backup)
            try:
                db.backup(dst)
            finally:
                dst.close()
        for target in range(version, SCHEMA_VERSION):
            # one transaction per migration: it applies whole or not at all; under the
            # write lock, re-check the version (another process may have just migrated)
            db.execute("BEGIN IMMEDIATE")
            try:
                if db.execute("PRAGMA user_version").fetchone()[0] <= target:
                    for statement in _statements(MIGRATIONS[target]):
                        db.execute(statement)
                    db.execute(f"PRAGMA user_version = {target + 1}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self.db.close()

    # -- reading ------------------------------------------------------------------

    def cards(self, deck: str | None = None) -> dict[tuple[str, int], sqlite3.Row]:
        """Current state of every studied card, keyed by (deck, qid)."""
        sql, args = "SELECT * FROM cards", ()
        if deck is not None:
            sql, args = sql + " WHERE deck = ?", (deck,)
        return {(r["deck"], r["qid"]): r for r in self.db.execute(sql, args)}

    def counts(self) -> dict[tuple[str, int], tuple[int, int]]:
        """(reps, lapses) per card, from the log: lapses are Again on a card in review.

        Mock-interview answers (kind 'mock') reschedule like reviews, so they count here too."""
        rows = self.db.execute(  # a card with no scheduled answer is left out: (0, 0)
            f"SELECT deck, qid, COUNT(*), SUM(rating = 1 AND state_before = 2)"
            f" FROM reviews WHERE {SCHEDULING_SQL} GROUP BY deck, qid"
        )
        return {(d, q): (reps or 0, lapses or 0) for d, q, reps, lapses in rows}

    def reviews(self) -> list[Review]:
        return [Review(*r) for r in self.db.execute("SELECT * FROM reviews ORDER BY id")]

    def review_log(self, deck: str | None = None, by_card: bool = False):
        """The scheduled answers (of `deck`, or all), oldest first (card by card if `by_card`), as
        (card_id, reviewed_at, rating, state_before, duration_ms) tuples from one cursor: streamed, only
        the columns FSRS tools read."""
        sql, args = f"SELECT card_id, reviewed_at, rating, state_before, duration_ms FROM reviews WHERE {SCHEDULING_SQL}", ()
        if deck is not None:
            sql, args = sql + " AND deck = ?", (deck,)
        return self.db.execute(sql + (" ORDER BY card_id, id" if by_card else " ORDER BY id"), args)

    def answers_since(self, since: datetime, deck: str | None = None, new: bool = False) -> int:
        """Scheduled answers (of `deck`, or all) since `since`: to new cards — cards studied for the
        first time, what the daily new limit counts — or to cards studied before (the review limit)."""
        sql = (f"SELECT COUNT(*) FROM reviews WHERE {SCHEDULING_SQL} AND before_json IS {'' if new else 'NOT '}NULL"
               " AND reviewed_at >= ?")
        args = (iso(since),)
        if deck is not None:
            sql, args = sql + " AND deck = ?", args + (deck,)
        return self.db.execute(sql, args).fetchone()[0]

    # -- writing: one transaction per rating ----------------------------------------

    def record(self, deck, qid, rating, now, duration_ms, before, after, kind="review", reschedule=None) -> int:
        """Append a review and (unless cramming) set the card's new state, atomically.

        `kind` is 'review', 'mock' (a mock-interview answer: reschedules like a review) or 'cram'.

        `before` is None for a new card; `before`/`after` are fsrs Cards.
        `reschedule(card)` → the card after this rating, from `card` (None: new). If the card as
        committed is not `before` (another session rated it meanwhile), the rating applies to the
        committed card instead (compare-and-swap inside the transaction), so a card's state is
        always the fold of its log (the caller learns the state through its `reschedule`).
        Returns the review's id.
        """
        from fsrs import Card

        with self._write():
            if kind in SCHEDULING and reschedule is not None:
                row = self.db.execute("SELECT card_json FROM cards WHERE deck = ? AND qid = ?", (deck, qid)).fetchone()
                committed = None if row is None else row[0]
                if committed != (None if before is None else before.to_json()):
                    before = None if committed is None else Card.from_json(committed)
                    after = reschedule(before)
            cur = self.db.execute(
                "INSERT INTO reviews (card_id, deck, qid, rating, reviewed_at, duration_ms, kind,"
                " state_before, state_after, before_json, after_json) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    after.card_id, deck, qid, rating, iso(now), duration_ms, kind,
                    None if before is None else int(before.state), int(after.state),
                    None if before is None else before.to_json(), after.to_json(),
                ),
            )
            if kind in SCHEDULING:
                self._put_card(deck, qid, after)
        return cur.lastrowid

    def undo(self, review_id: int, expect: tuple | None = None):
        """Remove one review from the log; the card's state becomes the fold of what remains
        (the state after its last remaining review, or no row: new). Returns that state.

        `expect` = (deck, qid, reviewed_at ISO) of the review as recorded: a review with this
        id that is another one (the log was restored meanwhile) is not touched. A review that
        is not the card's latest (another session rated it since) is not undone either."""
        from fsrs import Card

        with self._write():
            row = self.db.execute("SELECT * FROM reviews WHERE id = ?", (review_id,)).fetchone()
            if row is None or (expect is not None and (row["deck"], row["qid"], row["reviewed_at"]) != tuple(expect)):
                raise QuizError("nothing undone: that rating is no longer in the log "
                                "(a restore or another session replaced it)")
            deck, qid = row["deck"], row["qid"]
            scheduling = row["kind"] in SCHEDULING
            if scheduling and self.db.execute(
                    f"SELECT 1 FROM reviews WHERE deck = ? AND qid = ? AND id > ? AND {SCHEDULING_SQL} LIMIT 1",
                    (deck, qid, review_id)).fetchone():
                raise QuizError(f"nothing undone: {deck}/{qid} was rated again since, in another session")
            self.db.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
            if scheduling:
                last = self.db.execute(
                    f"SELECT after_json FROM reviews WHERE deck = ? AND qid = ? AND {SCHEDULING_SQL}"
                    " ORDER BY id DESC LIMIT 1", (deck, qid)).fetchone()
                if last is None:
                    self.db.execute("DELETE FROM cards WHERE deck = ? AND qid = ?", (deck, qid))
                else:
                    self._put_card(deck, qid, Card.from_json(last[0]))
            row = self.db.execute("SELECT card_json FROM cards WHERE deck = ? AND qid = ?", (deck, qid)).fetchone()
            state = None if row is None else Card.from_json(row[0])
        return state

    # -- merging reviews made elsewhere (quiz import FILE.apkg) ---------------------------

    # A review that comes back is one the log holds when that card has a review with the same
    # rating at most this far in time from it (the nearest, each matched once): an Anki revlog id
    # is the review's time in ms, and an export moves one by a few ms when two share a millisecond.
    SAME_REVIEW_MS = 60_000

    def merge_reviews(self, incoming, scheduler) -> tuple[int, int, int]:
        """Append the reviews of `incoming` this log does not hold, in one transaction.

        `incoming`: (deck, qid, rating, time in ms since 1970 UTC, duration_ms, kind 'review' or
        'cram') rows. A card that gains reviews has its log from the first of them on replayed
        in time order through `scheduler` (fsrs), from the state its earlier reviews left, so its
        state stays the fold of its log; those of its reviews rewritten are given new ids, so ids
        follow time within a card. A review older than a `quiz reset` of its card is logged as
        set aside by it ('reset-review'). Returns (added, already held, cards changed)."""
        import bisect

        by_card: dict[tuple[str, int], dict[int, tuple]] = {}
        for deck, qid, rating, ms, duration_ms, kind in incoming:
            by_card.setdefault((deck, qid), {}).setdefault(ms, (ms, rating, duration_ms, kind))
        added = known = changed = 0
        with self._write():
            held: dict[tuple[str, int], list[sqlite3.Row]] = {}
            for deck in {d for d, _ in by_card}:
                for row in self.db.execute("SELECT * FROM reviews WHERE deck = ?", (deck,)):
                    if (row["deck"], row["qid"]) in by_card:
                        held.setdefault((row["deck"], row["qid"]), []).append(row)
            for key, entries in by_card.items():
                rows = sorted(held.get(key, []), key=lambda r: (r["reviewed_at"], r["id"]))
                times = [_epoch_ms(r["reviewed_at"]) for r in rows]
                matched = [False] * len(rows)
                new = []
                for ms, rating, duration_ms, kind in sorted(entries.values()):
                    lo = bisect.bisect_left(times, ms - self.SAME_REVIEW_MS)
                    hi = bisect.bisect_right(times, ms + self.SAME_REVIEW_MS)
                    near = [i for i in range(lo, hi) if not matched[i] and rows[i]["rating"] == rating]
                    if near:
                        matched[min(near, key=lambda i: abs(times[i] - ms))] = True
                        known += 1
                    else:
                        new.append((ms, rating, duration_ms, kind))
                if new:
                    self._replay(key, rows, times, new, scheduler)
                    added += len(new)
                    changed += 1
        return added, known, changed

    def _replay(self, key, rows, times, new, scheduler) -> None:
        """Insert `new` reviews among a card's `rows` (time order) and replay the log from the
        first of them: the rows after it are written anew, in time order."""
        from fsrs import Card, Rating

        deck, qid = key
        cid = card_id(deck, qid)
        resets = [t for t, r in zip(times, rows) if r["kind"].startswith("reset-")]
        last_reset = max(resets) if resets else None
        first = new[0][0]
        split = next((i for i, t in enumerate(times) if t > first), len(rows))
        live = old = None  # the card's state, and that of the reviews a reset set aside
        for r in rows[:split]:
            if r["kind"] in SCHEDULING:
                live = Card.from_json(r["after_json"])
            elif r["kind"].startswith("reset-"):
                old = Card.from_json(r["after_json"])
        tail = [(times[i], 0, i, rows[i]["rating"], rows[i]["duration_ms"], rows[i]["kind"], rows[i]["reviewed_at"])
                for i in range(split, len(rows))]
        for n, (ms, rating, duration_ms, kind) in enumerate(new):
            if kind == "review" and last_reset is not None and ms < last_reset:
                kind = "reset-review"
            tail.append((ms, 1, n, rating, duration_ms, kind, iso(_from_epoch_ms(ms))))
        tail.sort()
        self.db.executemany("DELETE FROM reviews WHERE id = ?", [(rows[i]["id"],) for i in range(split, len(rows))])

        def step(card, rating, at, duration_ms):
            after, _ = scheduler.review_card(card or Card(card_id=cid, due=at), Rating(rating),
                                             review_datetime=at, review_duration=duration_ms)
            return after

        out = []
        for _ms, _, _, rating, duration_ms, kind, at_text in tail:
            at = parse_iso(at_text).astimezone(timezone.utc)
            if kind in SCHEDULING:
                before, after = live, step(live, rating, at, duration_ms)
                live = after
            elif kind.startswith("reset-"):
                before, after = old, step(old, rating, at, duration_ms)
                old = after
            else:  # cram: logged, the card unchanged (a new card's row shows what the rating would give)
                before, after = live, live or step(None, rating, at, duration_ms)
            out.append((cid, deck, qid, rating, at_text, duration_ms, kind,
                        None if before is None else int(before.state), int(after.state),
                        None if before is None else before.to_json(), after.to_json()))
        self.db.executemany(
            "INSERT INTO reviews (card_id, deck, qid, rating, reviewed_at, duration_ms, kind,"
            " state_before, state_after, before_json, after_json) VALUES (?,?,?,?,?,?,?,?,?,?,?)", out)
        if live is None:
            self.db.execute("DELETE FROM cards WHERE deck = ? AND qid = ?", (deck, qid))
        else:
            self._put_card(deck, qid, live)

    # -- FSRS parameters (quiz optimize) -------------------------------------------

    def fsrs_parameters(self) -> list[float] | None:
        """The parameters `quiz optimize` fitted last, or None (FSRS's defaults)."""
        import json

        row = self.db.execute("SELECT parameters FROM parameters ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None else json.loads(row[0])

    def save_parameters(self, parameters, now, reviews: int, loss_before: float, loss_after: float) -> None:
        import json

        with self._write():
            self.db.execute(
                "INSERT INTO parameters (created_at, parameters, reviews, loss_before, loss_after) VALUES (?,?,?,?,?)",
                (iso(now), json.dumps([float(p) for p in parameters]), reviews, loss_before, loss_after),
            )

    # -- reset: a card back to new; its reviews stay in the log, marked 'reset-…' ---------

    def reset(self, keys) -> int:
        """Make these (deck, qid) cards new again, in one transaction. Their scheduling reviews stay in
        the log with kind 'reset-review' / 'reset-mock' (they no longer count for the schedule, the
        daily limits or the optimizer), so the card state is still the fold of its log: none → new.
        Returns how many reviews were marked."""
        with self._write():
            marked = 0
            for deck, qid in keys:
                marked += self.db.execute(
                    f"UPDATE reviews SET kind = 'reset-' || kind WHERE deck = ? AND qid = ? AND {SCHEDULING_SQL}",
                    (deck, qid)).rowcount
                self.db.execute("DELETE FROM cards WHERE deck = ? AND qid = ?", (deck, qid))
        return marked

    # -- card marks: suspend, bury, flag (quiz suspend / bury / flag) ----------------------

    def marks(self) -> dict[tuple[str, int], sqlite3.Row]:
        return {(r["deck"], r["qid"]): r for r in self.db.execute("SELECT * FROM card_marks")}

    def mark(self, keys, **values) -> None:
        """Set suspended / buried_until / flagged on these (deck, qid) cards, in one transaction."""
        cols = ", ".join(values)
        sets = ", ".join(f"{c} = excluded.{c}" for c in values)
        with self._write():
            self.db.executemany(
                f"INSERT INTO card_marks (deck, qid, {cols}) VALUES (?, ?, {', '.join('?' * len(values))})"
                f" ON CONFLICT (deck, qid) DO UPDATE SET {sets}",
                [(d, q, *values.values()) for d, q in keys])

    # -- backup and restore (quiz/backup.py) ------------------------------------------------

    @contextmanager
    def snapshot(self):
        """One read transaction: what is read inside it is one state of the database (a session
        rating meanwhile cannot split a card from its log)."""
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    def iter_rows(self, table: str, deck: str | None = None):
        """The rows of one progress table as plain dicts, in order (of `deck` only, if given: then no
        FSRS parameters, which belong to the whole home)."""
        if deck is not None and table == "parameters":
            return
        sql, args = f"SELECT * FROM {table}", ()
        if deck is not None:
            sql, args = sql + " WHERE deck = ?", (deck,)
        for r in self.db.execute(sql + " ORDER BY rowid", args):
            yield dict(r)

    def rows(self, deck: str | None = None) -> dict[str, list[dict]]:
        """Every row of the progress tables as plain dicts (of `deck` only, if given), one snapshot."""
        with self.snapshot():
            return {table: list(self.iter_rows(table, deck)) for table in BACKUP_TABLES}

    def count_rows(self) -> int:
        return sum(self.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in BACKUP_TABLES)

    def replay_problem(self) -> str | None:
        """The first row of this database's progress that is not the replay of its log, said as
        "table[n]: deck/qid …" (n counts rows as they were written), or None."""
        for sql, table, problem in REPLAY_CHECKS:
            found = self.db.execute(sql).fetchone()
            if found:
                n, deck, qid = found
                return f"{table}[{n}]: {deck}/{qid} {problem}"
        return None

    def stage(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        """Append checked rows to a table of this (staging) database, one transaction."""
        with self._write(f"stage the backup's {table} in"):
            self.db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                                rows)

    def restore_finished(self, journal: str) -> bool:
        return self.db.execute("SELECT 1 FROM restores WHERE journal = ?", (journal,)).fetchone() is not None

    def replace_progress(self, staging: Path, journal: str, deck: str | None, snapshot: Path | None) -> bool:
        """One transaction: copy the progress it replaces to the `snapshot` database (if given), replace
        it with the staging database's rows (of `deck` only, if given: review ids given anew, the FSRS
        parameters kept), and record restore `journal` as finished. False if it already was."""
        if not staging.is_file():
            if self.restore_finished(journal):
                return False
            raise self._fail(f"the restore's staged rows ({staging}) are missing; run the restore again")
        attached = ["stage"]
        self.db.execute("ATTACH DATABASE ? AS stage", (str(staging),))
        try:
            if snapshot is not None:
                Store(snapshot).close()  # the schema, private (0600)
                self.db.execute("ATTACH DATABASE ? AS snap", (str(snapshot),))
                attached.append("snap")
            with self._write("restore the backup's rows into"):
                if self.restore_finished(journal):
                    return False
                for table in BACKUP_TABLES:
                    if snapshot is not None:  # exactly what is replaced, taken under the same write lock
                        self.db.execute(f"DELETE FROM snap.{table}")
                        self.db.execute(f"INSERT INTO snap.{table} SELECT * FROM main.{table}")
                    if deck is None:
                        self.db.execute(f"DELETE FROM main.{table}")
                        self.db.execute(f"INSERT INTO main.{table} SELECT * FROM stage.{table}")
                    elif table != "parameters":
                        cols = [c[1] for c in self.db.execute(f"PRAGMA main.table_info({table})") if c[1] != "id"]
                        self.db.execute(f"DELETE FROM main.{table} WHERE deck = ?", (deck,))
                        self.db.execute(f"INSERT INTO main.{table} ({', '.join(cols)}) SELECT {', '.join(cols)}"
                                        f" FROM stage.{table} WHERE deck = ? ORDER BY rowid", (deck,))
                self.db.execute("INSERT INTO restores (journal, finished_at) VALUES (?, ?)",
                                (journal, iso(datetime.now(timezone.utc))))
            self.restores += 1  # this store did it: it may go on writing
        finally:
            for name in attached:
                self.db.execute(f"DETACH DATABASE {name}")
        return True

    def _put_card(self, deck, qid, card) -> None:
        self.db.execute(
            "INSERT INTO cards (card_id, deck, qid, card_json, state, due, stability, difficulty)"
            " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (deck, qid) DO UPDATE SET card_json = excluded.card_json,"
            " state = excluded.state, due = excluded.due, stability = excluded.stability,"
            " difficulty = excluded.difficulty",
            (card.card_id, deck, qid, card.to_json(), int(card.state), iso(card.due), card.stability, card.difficulty),
        )
