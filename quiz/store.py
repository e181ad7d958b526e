"""Progress on disk: SQLite with an append-only review log and the current card state.

One transaction per rating; WAL journal; synchronous=FULL so a committed
rating survives a crash. The schema is versioned by `PRAGMA user_version` and
evolves through MIGRATIONS, applied in order (an existing database is backed
up first).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
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
]
SCHEMA_VERSION = len(MIGRATIONS)

# Review kinds that reschedule the card (cram answers are logged but do not), and the SQL test for them.
SCHEDULING = ("review", "mock")
SCHEDULING_SQL = "kind IN ({})".format(", ".join(f"'{k}'" for k in SCHEDULING))


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
        created = not self.path.exists()
        self.db = self._connect()
        if created:
            os.chmod(self.path, 0o600)  # your study history is yours alone

    @classmethod
    def open_home(cls) -> "Store":
        return cls(home() / "quiz.db")

    def _fail(self, what: str) -> QuizError:
        return QuizError(f"{self.path}: {what}")

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
        except sqlite3.DatabaseError as e:
            if isinstance(e, sqlite3.OperationalError) and ("locked" in str(e) or "busy" in str(e)):
                raise self._fail("another quiz kept it locked for 10 s; try again when it is done") from None
            raise self._fail(
                f"not a usable quiz database ({e}); move it away (or restore a backup) and run again"
            ) from None
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
            raise self._fail(f"not a usable quiz database ({e}); move it away (or restore a backup) and run again") from None
        if version != SCHEMA_VERSION:
            raise self._fail(f"database schema version {version} needs a migration, but its folder is read-only")
        self.read_only = True
        return db

    read_only = False

    def _begin_write(self) -> None:
        if self.read_only:
            raise QuizError(f"{self.path}: its folder is read-only: nothing can be saved")
        self.db.execute("BEGIN IMMEDIATE")

    def _migrate(self, db: sqlite3.Connection, version: int) -> None:
        if version > 0:  # existing data: back it up before touching the schema
            backup = self.path.with_name(f"{self.path.name}.v{version}.bak")
            with sqlite3.connect(backup) as dst:
                db.backup(dst)
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

    def review_log(self, deck: str | None = None):
        """The scheduled answers (of `deck`, or all), oldest first, as (card_id, reviewed_at, rating,
        state_before, duration_ms) tuples from one cursor: streamed, only the columns FSRS tools read."""
        sql, args = f"SELECT card_id, reviewed_at, rating, state_before, duration_ms FROM reviews WHERE {SCHEDULING_SQL}", ()
        if deck is not None:
            sql, args = sql + " AND deck = ?", (deck,)
        return self.db.execute(sql + " ORDER BY id", args)

    def new_cards_since(self, since: datetime, deck: str | None = None) -> int:
        """Cards (of `deck`, or all) studied for the first time since `since`: the daily new limit."""
        sql = (f"SELECT COUNT(*) FROM reviews WHERE {SCHEDULING_SQL} AND before_json IS NULL"
               " AND reviewed_at >= ?")
        args = (iso(since),)
        if deck is not None:
            sql, args = sql + " AND deck = ?", args + (deck,)
        return self.db.execute(sql, args).fetchone()[0]



    def reviews_since(self, since: datetime) -> int:
        """Reviews of cards that were not new, since `since` (counts against the daily review limit)."""
        return self.db.execute(
            f"SELECT COUNT(*) FROM reviews WHERE {SCHEDULING_SQL} AND before_json IS NOT NULL"
            " AND reviewed_at >= ?",
            (iso(since),),
        ).fetchone()[0]

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

        self._begin_write()
        try:
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
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return cur.lastrowid

    def undo(self, review_id: int, expect: tuple | None = None):
        """Remove one review from the log; the card's state becomes the fold of what remains
        (the state after its last remaining review, or no row: new). Returns that state.

        `expect` = (deck, qid, reviewed_at ISO) of the review as recorded: a review with this
        id that is another one (the log was restored meanwhile) is not touched. A review that
        is not the card's latest (another session rated it since) is not undone either."""
        from fsrs import Card

        self._begin_write()
        try:
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
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return state

    # -- FSRS parameters (quiz optimize) -------------------------------------------

    def fsrs_parameters(self) -> list[float] | None:
        """The parameters `quiz optimize` fitted last, or None (FSRS's defaults)."""
        import json

        row = self.db.execute("SELECT parameters FROM parameters ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None else json.loads(row[0])

    def save_parameters(self, parameters, now, reviews: int, loss_before: float, loss_after: float) -> None:
        import json

        self._begin_write()
        try:
            self.db.execute(
                "INSERT INTO parameters (created_at, parameters, reviews, loss_before, loss_after) VALUES (?,?,?,?,?)",
                (iso(now), json.dumps([float(p) for p in parameters]), reviews, loss_before, loss_after),
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    # -- reset: a card back to new; its reviews stay in the log, marked 'reset-…' ---------

    def reset(self, keys) -> int:
        """Make these (deck, qid) cards new again, in one transaction. Their scheduling reviews stay in
        the log with kind 'reset-review' / 'reset-mock' (they no longer count for the schedule, the
        daily limits or the optimizer), so the card state is still the fold of its log: none → new.
        Returns how many reviews were marked."""
        self._begin_write()
        try:
            marked = 0
            for deck, qid in keys:
                marked += self.db.execute(
                    f"UPDATE reviews SET kind = 'reset-' || kind WHERE deck = ? AND qid = ? AND {SCHEDULING_SQL}",
                    (deck, qid)).rowcount
                self.db.execute("DELETE FROM cards WHERE deck = ? AND qid = ?", (deck, qid))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return marked

    # -- card marks: suspend, bury, flag (quiz suspend / bury / flag) ----------------------

    def marks(self) -> dict[tuple[str, int], sqlite3.Row]:
        return {(r["deck"], r["qid"]): r for r in self.db.execute("SELECT * FROM card_marks")}

    def mark(self, keys, **values) -> None:
        """Set suspended / buried_until / flagged on these (deck, qid) cards, in one transaction."""
        cols = ", ".join(values)
        sets = ", ".join(f"{c} = excluded.{c}" for c in values)
        self._begin_write()
        try:
            self.db.executemany(
                f"INSERT INTO card_marks (deck, qid, {cols}) VALUES (?, ?, {', '.join('?' * len(values))})"
                f" ON CONFLICT (deck, qid) DO UPDATE SET {sets}",
                [(d, q, *values.values()) for d, q in keys])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    # -- backup and restore (quiz export --format json, quiz restore) ----------------------

    BACKUP_TABLES = ("cards", "reviews", "parameters", "card_marks")

    def rows(self, deck: str | None = None) -> dict[str, list[dict]]:
        """Every row of the progress tables as plain dicts (cards and reviews of `deck` only, if given)."""
        out = {}
        self.db.execute("BEGIN")  # one snapshot: a session rating meanwhile cannot split a card from its log
        try:
            for table in self.BACKUP_TABLES:
                sql, args = f"SELECT * FROM {table}", ()
                if deck is not None and table != "parameters":
                    sql, args = sql + " WHERE deck = ?", (deck,)
                out[table] = [dict(r) for r in self.db.execute(sql + " ORDER BY rowid", args)]
        finally:
            self.db.execute("COMMIT")
        return out

    def count_rows(self) -> int:
        return sum(self.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in self.BACKUP_TABLES)

    def load_rows(self, tables: dict[str, list[dict]], deck: str | None = None) -> None:
        """Replace the progress tables with these rows (from `rows`), in one transaction; with
        `deck`, only that deck's cards and reviews (review ids are given anew: other decks'
        reviews keep theirs), and the parameters stay."""
        self._begin_write()
        try:
            for table in self.BACKUP_TABLES:
                rows = tables.get(table, [])
                if deck is not None:
                    if table == "parameters":
                        continue
                    self.db.execute(f"DELETE FROM {table} WHERE deck = ?", (deck,))
                    rows = [r for r in rows if r["deck"] == deck]
                    if table == "reviews":
                        rows = [{**r, "id": None} for r in sorted(rows, key=lambda r: r["id"])]
                else:
                    self.db.execute(f"DELETE FROM {table}")
                cols = [c[1] for c in self.db.execute(f"PRAGMA table_info({table})")]
                sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                self.db.executemany(sql, ([row.get(c) for c in cols] for row in rows))
            self.db.execute("COMMIT")
        except sqlite3.Error as e:
            self.db.execute("ROLLBACK")
            raise self._fail(f"cannot restore the backup's rows: {e}") from None
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def backup_to(self, path: Path) -> None:
        with sqlite3.connect(path) as dst:
            self.db.backup(dst)
        dst.close()

    def _put_card(self, deck, qid, card) -> None:
        self.db.execute(
            "INSERT INTO cards (card_id, deck, qid, card_json, state, due, stability, difficulty)"
            " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (deck, qid) DO UPDATE SET card_json = excluded.card_json,"
            " state = excluded.state, due = excluded.due, stability = excluded.stability,"
            " difficulty = excluded.difficulty",
            (card.card_id, deck, qid, card.to_json(), int(card.state), iso(card.due), card.stability, card.difficulty),
        )
