"""JSON backups (`quiz export --format json`, `quiz backup`) and `quiz restore`.

A backup is one JSON document: a header (format, version, scope, settings, banks), then the rows
of the progress tables, one row per line. It is written as a stream from one read snapshot of the
database, and read as a stream (ijson): neither side holds the whole document, so a home of 100k
reviews backs up and restores in a few seconds and bounded memory.

Restore is all or nothing, and never undoes a rating made after it:

1. the backup is read and every field checked while its rows go into a staging database beside
   the home (restore-pending.db); a bad field stops it there, nothing else written;
2. a journal (restore-pending.json: an id, the bank texts, the settings, the scope) is written whole;
3. the bank files, then the settings file are written (each step can run twice);
4. one transaction replaces the progress: it copies the rows it replaces into the snapshot folder,
   puts in the staged rows, and records the journal's id as finished — in the database itself;
5. the journal and the staging database go.

A crash anywhere leaves the journal; the next quiz command finishes the restore from it, unless the
database says that restore already finished (then only the leftovers go): a journal found after
step 4 never replays over ratings made since. A session open during the restore stops at its next
rating (store.Store checks the restore count in every write transaction).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import uuid
from datetime import datetime
from pathlib import Path

from quiz.bank import DECK_SLUG, Bank, BankError, parse_bank
from quiz.errors import QuizError
from quiz.files import RESTORE_JOURNAL as JOURNAL
from quiz.store import BACKUP_TABLES, card_id
from quiz.text import plural

FORMAT = "quiz-backup"
VERSION = 2  # 2: says its scope ("all" or "deck"); 1: a null deck meant all
READS = (1, 2)
STAGING = "restore-pending.db"
LOCK = "restore.lock"
MAX_BACKUP_BYTES = 2_000_000_000
HEADER = ("format", "version", "quiz", "created", "scope", "deck", "settings", "banks")


# -- writing ---------------------------------------------------------------------------------


def _dumps(value) -> str:
    """JSON with every character kept, control and bidi characters escaped: the file is safe to cat."""
    from quiz.text import CONTROL

    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def bank_entry(b: Bank) -> dict:
    """A bank as the backup keeps it: its file's text, byte for byte (comments and layout included,
    and restored without re-dumping 10k questions as YAML), else its questions as data."""
    from quiz.bank import MAX_BANK_BYTES
    from quiz.files import read_regular

    entry = {"deck": b.deck, "title": b.title, "meta": {k: v for k, v in b.meta.items() if v is not None}}
    if Path(b.path).suffix.lower() in (".yaml", ".yml"):  # (restore checks the text as any bank file)
        try:
            return {**entry, "yaml": read_regular(Path(b.path), MAX_BANK_BYTES, "bank").decode("utf-8")}
        except (QuizError, UnicodeDecodeError):
            pass
    from quiz.bank import bank_dicts

    return {**entry, "questions": bank_dicts(b)}


def chunks(banks: list[Bank], store, deck: str | None = None, counts: dict | None = None):
    """The backup as text pieces, one row at a time: banks, settings and the progress of `deck`
    (its cards, reviews and marks; scope "deck") or of the whole home (scope "all", with the FSRS
    parameters). Read from one snapshot of the database: a rating made meanwhile is in it whole or
    not at all. `counts`, if given, gets the rows written per table."""
    from quiz import __version__, config
    from quiz.schedule import utcnow
    from quiz.store import iso

    header = {"format": FORMAT, "version": VERSION, "quiz": __version__, "created": iso(utcnow()),
              "scope": "all" if deck is None else "deck", "deck": deck, "settings": config.load(),
              "banks": [bank_entry(b) for b in banks]}
    yield "{\n" + "".join(f"{_dumps(k)}: {_dumps(v)},\n" for k, v in header.items())
    with store.snapshot():
        for n, table in enumerate(BACKUP_TABLES):
            yield f"{_dumps(table)}: ["
            i = 0
            for i, row in enumerate(store.iter_rows(table, deck), 1):
                yield ("," if i > 1 else "") + "\n" + _dumps(row)
            if counts is not None:
                counts[table] = i
            yield "\n]" + ("," if n < len(BACKUP_TABLES) - 1 else "") + "\n"
    yield "}\n"


def document(banks: list[Bank], store, deck: str | None = None) -> dict:
    """The backup as one dict (small homes, tests): the same document `chunks` streams."""
    return json.loads("".join(chunks(banks, store, deck)))


# -- quiz backup: a timestamped backup of everything, in the home ------------------------

BACKUPS = "backups"  # in $QUIZ_HOME: quiz-YYYYmmdd-HHMMSS.json, mode 600


def save_backup(banks: list[Bank], store, now: datetime) -> tuple[Path, int, int]:
    """`quiz backup`: the JSON backup of every deck (what `export --format json` writes) in
    $QUIZ_HOME/backups/quiz-<local time>.json, private (600). (path, cards, reviews)."""
    from quiz.files import home, write_atomic

    counts = {}
    folder = home() / BACKUPS
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = now.astimezone().strftime("%Y%m%d-%H%M%S")
    import os

    for n in itertools.count(1):  # the name reserved (O_EXCL): two backups in one second, even at once, both kept
        path = folder / (f"quiz-{stamp}.json" if n == 1 else f"quiz-{stamp}-{n}.json")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            break
        except FileExistsError:
            continue
    try:
        write_atomic(path, (c.encode("utf-8") for c in chunks(banks, store, counts=counts)))  # mkstemp: mode 600
    except BaseException:
        path.unlink(missing_ok=True)  # no empty reservation left behind
        raise
    return path, counts["cards"], counts["reviews"]


def list_backups(count_below: int = 5_000_000) -> list[str]:
    """`quiz backup --list`: the backups in $QUIZ_HOME/backups, newest first, one line each: path, size,
    and cards and reviews (read for files under `count_below` bytes, where reading costs little)."""
    from quiz.files import home

    rows = []
    for p in sorted((home() / BACKUPS).glob("quiz-*.json"), key=lambda p: (p.stat().st_mtime, p.name), reverse=True):
        size = p.stat().st_size
        cards = reviews = None
        if size < count_below:
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
                cards, reviews = len(data["cards"]), len(data["reviews"])
            except (OSError, ValueError, KeyError, TypeError):
                pass
        counts = "" if cards is None else f"  {plural(cards, 'card')}, {plural(reviews, 'review')}"
        rows.append(f"{p}  {size / 1e3:,.0f} kB{counts}")
    return rows


# -- checking every field ------------------------------------------------------------------


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return _is_int(v) or (isinstance(v, float) and math.isfinite(v))


def _is_time(v) -> bool:
    """An aware ISO time in a sane range: years 2000–2199 (year 1 or 9999 overflow date math)."""
    try:
        t = datetime.fromisoformat(v) if isinstance(v, str) else None
    except ValueError:
        return False
    return t is not None and t.tzinfo is not None and 2000 <= t.year < 2200


def _is_id(v) -> bool:
    return _is_int(v) and 0 < v < 2**62


def _is_positive(v) -> bool:
    return _is_num(v) and v > 0


def _is_deck(v) -> bool:
    return isinstance(v, str) and DECK_SLUG.match(v) is not None


CARD_FIELDS = {
    "card_id": _is_id, "deck": _is_deck, "qid": _is_id, "card_json": lambda v: isinstance(v, str),
    "state": lambda v: v in (1, 2, 3), "due": _is_time,
    "stability": lambda v: v is None or _is_positive(v),
    "difficulty": lambda v: v is None or (_is_num(v) and 1 <= v <= 10),
}
REVIEW_FIELDS = {
    "id": _is_id, "card_id": _is_id, "deck": _is_deck, "qid": _is_id, "rating": lambda v: v in (1, 2, 3, 4),
    "reviewed_at": _is_time,
    "duration_ms": lambda v: v is None or (_is_int(v) and 0 <= v <= 7 * 86_400_000),  # at most a week
    "kind": lambda v: v in ("review", "cram", "mock", "reset-review", "reset-mock"),
    "state_before": lambda v: v in (None, 1, 2, 3), "state_after": lambda v: v in (None, 1, 2, 3),
    "before_json": lambda v: v is None or isinstance(v, str), "after_json": lambda v: isinstance(v, str),
}
MARK_FIELDS = {
    "deck": _is_deck, "qid": _is_id, "suspended": lambda v: v in (0, 1),
    "buried_until": lambda v: v is None or _is_time(v), "flagged": lambda v: v in (0, 1),
}
PARAMETER_FIELDS = {
    "id": _is_id, "created_at": _is_time, "parameters": lambda v: _is_weights(v),
    "reviews": lambda v: _is_int(v) and v >= 0,
    "loss_before": lambda v: v is None or _is_num(v), "loss_after": lambda v: v is None or _is_num(v),
}
FIELDS = {"cards": CARD_FIELDS, "reviews": REVIEW_FIELDS, "parameters": PARAMETER_FIELDS, "card_marks": MARK_FIELDS}


def _is_weights(v) -> bool:
    """FSRS parameters FSRS itself accepts (21 numbers, each within its bounds)."""
    from fsrs import Scheduler

    try:
        weights = json.loads(v)
        Scheduler(parameters=weights)
    except (TypeError, ValueError):
        return False
    return isinstance(weights, list) and all(_is_num(w) for w in weights)


_steps = None
CARD_KEYS = ("card_id", "state", "step", "stability", "difficulty", "due", "last_review")  # fsrs.Card.to_dict


def _card_problem(text: str, expected_id: int) -> str | None:
    """What is wrong with an FSRS card as JSON (fsrs.Card.to_json), or None: every field, in range, read
    as fsrs.Card.from_json reads it (a falsy stability, difficulty or last_review means none) — checked
    on the decoded dict, without building the Card (100k of them in a big backup)."""
    global _steps
    try:
        d = json.loads(text)
    except (ValueError, RecursionError):
        return "is not an FSRS card"
    if not (isinstance(d, dict) and all(k in d for k in CARD_KEYS) and _is_int(d["card_id"])
            and d["state"] in (1, 2, 3) and not isinstance(d["state"], float)):
        return "is not an FSRS card"
    if d["card_id"] != expected_id:
        return f"card_id {d['card_id']} is not the row's {expected_id}"
    if d["stability"] and not _is_positive(d["stability"]):
        return f"stability {_short(d['stability'])} is not a positive number"
    if d["difficulty"] and not (_is_num(d["difficulty"]) and 1 <= d["difficulty"] <= 10):
        return f"difficulty {_short(d['difficulty'])} is not within 1–10"
    for name in ("due", "last_review"):
        if name == "last_review" and not d[name]:
            continue
        if not _is_time(d[name]):
            return f"{name} {_short(d[name])} is not an aware time in 2000–2199"
    if _steps is None:
        from fsrs import Scheduler

        s = Scheduler()
        _steps = {1: len(s.learning_steps), 3: len(s.relearning_steps), 2: 0}  # learning, relearning, review
    limit = _steps[int(d["state"])]
    step = d["step"]
    if limit == 0 and step is not None:
        return f"step {_short(step)}: a card in review has no learning step"
    if limit and not (_is_int(step) and 0 <= step < limit):
        return f"step {_short(step)} is not a learning step (0–{limit - 1})"
    return None


class _Checker:
    """Every field of every row; a card JSON not checked again when it is the one last checked for its
    card (a review's before_json is the previous one's after_json), a card id once per card."""

    def __init__(self, where: str):
        self.where = where
        self.seen: dict[int, str] = {}  # card id → the card JSON last checked (memory per card, not per review)
        self.ids: dict[tuple, int] = {}
        self.keys = {t: set(f) for t, f in FIELDS.items()}

    def row(self, table: str, n: int, row) -> tuple:
        fields = FIELDS[table]
        if not (isinstance(row, dict) and row.keys() == self.keys[table]):
            raise QuizError(f"{self.where}: {table}[{n}]: expected the keys {', '.join(fields)}")
        for key, ok in fields.items():
            if not ok(row[key]):
                raise QuizError(f"{self.where}: {table}[{n}]: bad value for {key}: {_short(row[key])}")
        if "card_id" in fields:
            key = (row["deck"], row["qid"])
            if key not in self.ids:
                self.ids[key] = card_id(*key)
            if row["card_id"] != self.ids[key]:
                raise QuizError(f"{self.where}: {table}[{n}]: card_id {row['card_id']} is not the id of "
                                f"{row['deck']}/{row['qid']}")
        for key in ("card_json", "before_json", "after_json"):
            text = row.get(key)
            if text is not None and self.seen.get(row["card_id"]) != text:
                problem = _card_problem(text, row["card_id"])
                if problem:
                    raise QuizError(f"{self.where}: {table}[{n}]: {key}{'' if problem.startswith('is not') else ':'} "
                                    f"{problem}")
                self.seen[row["card_id"]] = text
        return tuple(row[k] for k in fields)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


# -- reading, as a stream --------------------------------------------------------------------


ROW, END, VALUE = "row", "end", "value"


class _NotAnObject(ValueError):
    pass


class _NotOurLayout(ValueError):
    """The file is not laid out as `chunks` writes it (a hand-edited or reformatted backup)."""


def _lines(f):
    """What `_items` yields, read line by line from the layout `chunks` writes — one header key or one
    row per line — with the C json module: several times faster than an event parser. Anything else
    raises _NotOurLayout (the caller starts over with `_items`, which reads any JSON and says where
    it is not)."""
    try:
        yield from _layout(f)
    except (ValueError, UnicodeDecodeError) as e:  # not JSON here, or not our layout: _items will tell
        if isinstance(e, _NotOurLayout):
            raise
        raise _NotOurLayout from None


def _layout(f):
    if f.readline().strip() != b"{":
        raise _NotOurLayout
    table = None
    for raw in f:
        line = raw.strip()
        if table is not None:
            if line in (b"]", b"],"):
                yield table, END, None
                table = None
                continue
            yield table, ROW, json.loads(line[:-1] if line.endswith(b",") else line)
        elif line == b"}":
            if f.read().strip():
                raise _NotOurLayout
            return
        elif line.endswith(b"["):
            key = json.loads(line[:-1].rstrip().removesuffix(b":"))
            if key not in BACKUP_TABLES:
                raise _NotOurLayout
            table = key
        else:
            item = json.loads(b"{" + (line[:-1] if line.endswith(b",") else line) + b"}")
            if len(item) != 1:
                raise _NotOurLayout
            (key, value), = item.items()
            yield key, VALUE, value
    raise _NotOurLayout  # no closing brace: cut short


def _items(f):
    """(key, VALUE, value) for each top-level key of the JSON object in `f`; for a row table's array,
    (table, ROW, row) once per row as it is read, then (table, END, None). ijson's builder is not
    recursive: a deeply nested value is only data (no RecursionError)."""
    import ijson

    events = ijson.parse(f, use_float=True)
    prefix, event, value = next(events)
    if event != "start_map":
        raise _NotAnObject()
    key = None
    for prefix, event, value in events:
        if prefix == "" and event == "map_key":
            key = value
            continue
        if prefix == "" and event == "end_map":
            return
        if key in BACKUP_TABLES and prefix == key and event == "start_array":
            for row in _array(events, key):
                yield key, ROW, row
            yield key, END, None
            continue
        builder = ijson.ObjectBuilder()
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth = 1
            for _, event, value in events:
                builder.event(event, value)
                depth += event in ("start_map", "start_array")
                depth -= event in ("end_map", "end_array")
                if not depth:
                    break
        yield key, VALUE, builder.value


def _array(events, key):
    import ijson

    builder, depth = None, 0
    for prefix, event, value in events:
        if depth == 0:
            if event == "end_array" and prefix == key:
                return
            builder = ijson.ObjectBuilder()
        builder.event(event, value)
        depth += event in ("start_map", "start_array")
        depth -= event in ("end_map", "end_array")
        if depth == 0:
            yield builder.value


class Header(dict):
    """The backup's header fields, checked; `texts`: [(deck, bank YAML)]; `counts`: rows per table."""

    texts: list
    counts: dict


def read(path: Path, staging: Path | None = None) -> Header:
    """Read and check a backup as a stream; its rows go into the staging database `staging` (a quiz
    database, made here) if given. Errors are one line naming the file (and the row)."""
    from quiz.files import open_regular

    with open_regular(path, MAX_BACKUP_BYTES, "backup") as f:
        return _read(f, str(path), staging)


def _read(f, where: str, staging: Path | None) -> Header:
    try:
        return _read_with(_lines, f, where, staging)
    except _NotOurLayout:  # reformatted by hand or by a tool: read it as any JSON, from the start
        f.seek(0)
        return _read_with(_items, f, where, staging)


def _read_with(parse, f, where: str, staging: Path | None) -> Header:
    header, checker, counts = Header(), _Checker(where), dict.fromkeys(BACKUP_TABLES, 0)
    header.texts, header.counts = None, counts
    batch, ended = {t: [] for t in BACKUP_TABLES}, set()
    store = None if staging is None else _staging_store(staging)
    try:
        _rows(parse(f), where, header, checker, counts, batch, ended, store)
        if "format" not in header:
            raise QuizError(f"{where}: not a quiz backup (made by quiz export --format json)")
        if header.texts is None:
            raise QuizError(f"{where}: banks must be a list")
        for table in ("cards", "reviews"):
            if table not in ended:
                raise QuizError(f"{where}: {table} must be a list")
        for table in BACKUP_TABLES:
            _stage(store, table, batch)
        if store is not None:
            problem = store.replay_problem()  # fields each in range can still disagree with one another
            if problem:
                raise QuizError(f"{where}: {problem}")
            store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every staged row in the file, then on disk
            import os

            with open(staging, "rb") as f:
                os.fsync(f.fileno())
    finally:
        if store is not None:
            store.close()
    header.setdefault("settings", {})
    header.setdefault("deck", None)
    header.setdefault("scope", "all" if header["deck"] is None else "deck")  # version 1: a null deck meant all
    if (header["scope"] == "deck") != (header["deck"] is not None):
        raise QuizError(f"{where}: scope {header['scope']!r} does not match deck {_short(header['deck'])}")
    return header


def _rows(items, where, header, checker, counts, batch, ended, store) -> None:
    """Read the document: header fields checked as they come, each row checked and staged."""
    import ijson

    try:
        for key, kind, value in items:
            if not header and key != "format":
                raise QuizError(f"{where}: not a quiz backup (made by quiz export --format json)")
            if key in BACKUP_TABLES:
                if kind == VALUE:
                    raise QuizError(f"{where}: {key} must be a list")
                if key in ended:
                    raise QuizError(f"{where}: not a quiz backup ({key!r} given twice)")
                if kind == END:
                    ended.add(key)
                    continue
                if "version" not in header or header.texts is None:
                    raise QuizError(f"{where}: not a quiz backup (rows before its header)")
                batch[key].append(checker.row(key, counts[key], value))
                counts[key] += 1
                if len(batch[key]) >= 2000:
                    _stage(store, key, batch)
                continue
            if key in header:
                raise QuizError(f"{where}: not a quiz backup ({key!r} given twice)")
            header[key] = value
            _check_header(header, key, where)
    except ijson.JSONError as e:  # yajl's message: "parse error: premature EOF\n<the text>\n<a caret>"
        reason = str(e).splitlines()[0].split(": ", 1)[-1] if str(e).strip() else "cut short"
        raise QuizError(f"{where}: not a quiz backup (not JSON: {reason})") from None
    except _NotAnObject:
        raise QuizError(f"{where}: not a quiz backup (made by quiz export --format json)") from None
    except _NotOurLayout:
        raise
    except ValueError:  # UnicodeDecodeError included
        raise QuizError(f"{where}: not a quiz backup (not JSON)") from None


def _stage(store, table: str, batch: dict) -> None:
    if store is not None and batch[table]:
        store.stage(table, list(FIELDS[table]), batch[table])
    batch[table] = []


def _remove_db(path: Path) -> None:
    """A database file and its WAL companions, gone."""
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)


def _staging_store(path: Path):
    """A fresh staging database: written without syncing each batch (nothing depends on it until it
    is whole); _read_with syncs it to disk once before the restore's journal can name it."""
    from quiz.store import Store

    _remove_db(path)
    store = Store(path)
    store.db.execute("PRAGMA synchronous = OFF")
    return store


def _check_header(header: dict, key: str, where: str) -> None:
    from quiz import config

    value = header[key]
    if key == "format" and value != FORMAT:
        raise QuizError(f"{where}: not a quiz backup (made by quiz export --format json)")
    if key == "version" and value not in READS:
        raise QuizError(f"{where}: backup version {value!r} is not supported (this quiz reads versions "
                        f"{', '.join(map(str, READS))})")
    if key in ("version",) or key == "format":
        return
    if "version" not in header:
        raise QuizError(f"{where}: not a quiz backup (no version before {key!r})")
    if key == "deck" and not (value is None or _is_deck(value)):
        raise QuizError(f"{where}: bad deck {_short(value)}")
    if key == "scope" and value not in ("all", "deck"):
        raise QuizError(f"{where}: bad scope {_short(value)} (all or deck)")
    if key == "banks":
        header.texts = _bank_texts(value, where)
    if key == "settings":
        if not isinstance(value, dict):
            raise QuizError(f"{where}: settings must be a mapping")
        for k, v in value.items():
            if k not in config.SETTINGS:
                raise QuizError(f"{where}: unknown setting {_short(k)}")
            try:
                value[k] = config.SETTINGS[k].parse(v)
            except ValueError as e:
                raise QuizError(f"{where}: setting {k}: {e}") from None


def _bank_texts(banks, where: str) -> list[tuple[str, str]]:
    from quiz.bank import bank_yaml

    if not isinstance(banks, list):
        raise QuizError(f"{where}: banks must be a list")
    texts = []
    for n, b in enumerate(banks):
        if isinstance(b, dict) and isinstance(b.get("yaml"), str):  # the bank file's own text (version 2)
            try:
                bank = parse_bank(b["yaml"], "<bank>")
            except BankError as e:
                raise QuizError(f"{where}: banks[{n}]: {re.sub(r'^<bank>:', 'line ', str(e))}") from None
            if bank.deck != b.get("deck"):
                raise QuizError(f"{where}: banks[{n}]: its text holds deck {bank.deck!r}, not {b.get('deck')!r}")
            texts.append((bank.deck, b["yaml"]))
            continue
        if not (isinstance(b, dict) and isinstance(b.get("questions"), list) and isinstance(b.get("meta", {}), dict)):
            raise QuizError(f"{where}: banks[{n}] is not a bank")
        try:
            text = bank_yaml(b.get("deck"), b.get("title"), b.get("meta", {}), b["questions"],
                             comment="Restored from a quiz backup by `quiz restore`.")
            bank = parse_bank(text, "<bank>")
        except (TypeError, KeyError, AttributeError, ValueError):
            raise QuizError(f"{where}: banks[{n}] is not a bank") from None
        except BankError as e:  # its line is in YAML made here: name the bank instead
            raise QuizError(f"{where}: banks[{n}]: {re.sub(r'^<bank>:[0-9:]*: ', '', str(e))}") from None
        texts.append((bank.deck, text))
    return texts


# -- restore -----------------------------------------------------------------------------------


def snapshot_folder(root: Path) -> Path:
    """A new folder `backups/before-restore-<UTC time>` that nothing ever overwrites, holding the
    home's bank files and settings as they were (the progress goes in with the restore's transaction)."""
    import os
    import shutil

    from quiz import config
    from quiz.schedule import utcnow

    base = root / "backups"
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    for n in range(1000):
        target = base / (f"before-restore-{stamp}" + (f"-{n}" if n else ""))
        try:
            target.mkdir(mode=0o700)  # exclusive: an existing snapshot is never reused
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - a thousand restores in one second
        raise QuizError(f"{base}: too many snapshots this second; try again")
    def not_files(folder, names):  # a FIFO, socket or device in banks/ is no bank: not copied (nor waited on)
        import stat

        return [n for n in names if not os.path.islink(os.path.join(folder, n)) and not (
            stat.S_ISREG(os.lstat(os.path.join(folder, n)).st_mode) or os.path.isdir(os.path.join(folder, n)))]

    try:
        if (root / "banks").is_dir():
            shutil.copytree(root / "banks", target / "banks", symlinks=True, ignore=not_files)
        if config.path().is_file():
            shutil.copy2(config.path(), target / "config.toml")
    except (OSError, shutil.Error) as e:
        shutil.rmtree(target, ignore_errors=True)  # no half snapshot left behind
        why = e.strerror if isinstance(e, OSError) and e.strerror else "a file could not be copied"
        raise QuizError(f"cannot save the home to {target} before restoring ({why}); nothing was restored") from None
    for p in target.rglob("*"):
        if not p.is_symlink():
            os.chmod(p, 0o700 if p.is_dir() else 0o600)
    return target


def restore(path: Path, force: bool = False, extra=()) -> dict:
    """`quiz restore`: a backup into an empty home, or with `force` over a home that is not empty
    (its banks and settings are saved to a new snapshot folder first, and its progress in the same
    transaction that replaces it). A backup of scope "deck" replaces that deck's progress only: the
    other decks, the FSRS parameters and the settings stay. Banks whose deck a loaded bank outside
    $QUIZ_HOME/banks already defines (the built-in ones) are not written. Returns what was restored.
    One restore at a time: a second one, or a command that would finish an interrupted one, waits."""
    from quiz.files import home, locked

    root = home()
    if root.exists() and not root.is_dir():
        raise QuizError(f"{root} is a file, not a folder: point QUIZ_HOME at a folder")
    made = not root.exists()
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as e:
        raise QuizError(f"cannot restore into {root}: {e.strerror or e}") from None
    try:
        with locked(root / LOCK):
            return _restore(root, path, force, extra)
    except BaseException:
        if made and not (root / JOURNAL).exists():  # a refused backup leaves nothing, not even the folder
            (root / LOCK).unlink(missing_ok=True)
            try:
                root.rmdir()
            except OSError:
                pass
        raise


def _restore(root: Path, path: Path, force: bool, extra) -> dict:
    from quiz import config
    from quiz.bank import existing_decks
    from quiz.files import write_atomic
    from quiz.store import Store

    staging = root / STAGING
    try:
        header = read(path, staging)
    except BaseException:
        _remove_db(staging)
        raise
    scope = header["deck"] if header["scope"] == "deck" else None
    banks_dir = root / "banks"
    db_path = root / "quiz.db"
    bank_files = sorted(banks_dir.glob("*.y*ml")) if banks_dir.is_dir() else []
    held = 0
    if db_path.exists():
        store = Store(db_path)
        held = store.count_rows()
        store.close()
    if not force and (held or bank_files or config.path().exists()):
        staging.unlink(missing_ok=True)
        n = len(bank_files)
        parts = [f"{held} progress rows" if held else "", f"{n} bank file{'s' * (n != 1)}" if n else "",
                 "config.toml" if config.path().exists() else ""]
        raise QuizError(f"{root} is not empty ({', '.join(p for p in parts if p)}); "
                        "restore into an empty QUIZ_HOME, or add --force to replace its progress "
                        "(the home is saved first, to its backups/ folder)")
    decks = existing_decks(extra)
    skipped, targets = [], []
    for deck, text in header.texts:
        where = decks.get(deck)
        if where is not None and where.resolve().parent != banks_dir.resolve():
            skipped.append(deck)
            continue
        target = where or banks_dir / f"{deck}.yaml"
        holder = next((d for d, f in decks.items() if f.resolve() == target.resolve() and d != deck), None)
        if holder is not None:
            staging.unlink(missing_ok=True)
            raise QuizError(f"{target} holds deck {holder!r}, not {deck!r}: move it away, then restore again")
        targets.append((target, deck, text))
    saved = snapshot_folder(root) if (held or bank_files or config.path().exists()) else None
    settings = None  # a one-deck backup: the settings file is left as it is
    if scope is None:
        changed = {k: v for k, v in header["settings"].items() if v != config.SETTINGS[k].default}
        if changed or config.path().exists():
            settings = changed
    journal = {"id": uuid.uuid4().hex, "banks": [[str(t), text] for t, _, text in targets], "deck": scope,
               "settings": settings, "snapshot": None if saved is None else str(saved),
               "cards": header.counts["cards"]}
    write_atomic(root / JOURNAL, json.dumps(journal, ensure_ascii=False))
    apply(root, journal)
    return {"banks": [d for _, d, _ in targets], "skipped": skipped, "cards": header.counts["cards"],
            "reviews": header.counts["reviews"], "deck": scope, "saved": saved}


def apply(root: Path, journal: dict) -> bool:
    """The steps of a restore, each safe to run twice: bank files, settings, then the progress in one
    transaction that also records the journal as finished. False if the database says this restore
    had already finished (nothing was written again)."""
    from quiz import config
    from quiz.files import write_atomic
    from quiz.store import Store

    store = Store(root / "quiz.db")
    try:
        if store.restore_finished(journal["id"]):
            done = False
        else:
            for target, text in journal["banks"]:
                write_atomic(Path(target), text)
            if journal["settings"] is not None:
                import tomli_w

                write_atomic(config.path(), tomli_w.dumps(journal["settings"]))
            snapshot = None if journal["snapshot"] is None else Path(journal["snapshot"]) / "quiz.db"
            done = store.replace_progress(root / STAGING, journal["id"], journal["deck"], snapshot)
    finally:
        store.close()
    (root / JOURNAL).unlink(missing_ok=True)
    (root / STAGING).unlink(missing_ok=True)
    return done


def finish_interrupted_restore() -> str | None:
    """If a restore was cut off (crash, kill, power loss), finish it now — unless the database says it
    finished (then only its leftovers go). A line saying what was done, or None."""
    from quiz.files import home

    root = home()
    path = root / JOURNAL
    if not path.exists():
        return None
    from quiz.files import locked

    with locked(root / LOCK):  # a restore still running holds it: wait for it, then look again
        if not path.exists():
            return None
        return _finish(root, path)


def _finish(root: Path, path: Path) -> str | None:
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
        journal["id"], journal["banks"], journal["deck"], journal["settings"], journal["snapshot"]  # noqa: B018
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise QuizError(f"{path}: an interrupted restore's journal cannot be read ({e}); "
                        "run the restore again with --force, or move the file away") from None
    try:
        finished_now = apply(root, journal)
    except QuizError as e:
        raise QuizError(f"finishing an interrupted restore ({path}): {e}; run the restore again with "
                        "--force, or move that file away") from None
    if not finished_now:
        return None  # it had finished: only its journal was left behind
    return f"Finished a restore that was interrupted ({journal.get('cards', 0)} cards)"
