"""Taking cards and history out: `quiz export` (apkg, csv, json, md) and `quiz restore`.

- apkg: an Anki package (genanki). Deck and note-type ids are stable and each
  note's GUID is derived from deck + question id, so importing a re-export
  into Anki updates the notes instead of duplicating them. Bank Markdown
  becomes HTML; `$…$` becomes MathJax `\\(…\\)` and `$$…$$` `\\[…\\]`.
- csv: the review log in the columns FSRS optimizers read: card_id,
  review_time (ms since the epoch), review_rating (1–4), review_state (the
  card's state before the review: 0 new, 1 learning, 2 review, 3 relearning),
  review_duration (ms). Cram answers, which did not reschedule, are left out.
- json: banks, settings and progress (cards and the review log), for backup;
  `restore` brings it back into an empty home.
- md: the interview-question Markdown format that `quiz import` reads.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path

from quiz.bank import DECK_SLUG, Bank, BankError, parse_bank
from quiz.errors import QuizError, UsageError
from quiz.files import RESTORE_JOURNAL as JOURNAL, read_capped, write_atomic
from quiz.importer import META_KEYS, _escape, bank_dicts, bank_yaml
from quiz.store import SCHEDULING, card_id

FORMATS = ("apkg", "csv", "json", "md")
BACKUP_FORMAT = "quiz-backup"
BACKUP_VERSION = 1
CSV_COLUMNS = ["card_id", "review_time", "review_rating", "review_state", "review_duration"]

# Anki ids: stable, so a re-export updates what an earlier one imported
MODEL_ID = 1_591_432_897
MODEL_NAME = "quiz question"


# -- md --------------------------------------------------------------------------------


def to_markdown(bank: Bank) -> str:
    """A deck in the interview-question Markdown format (the seed's layout).

    Tags, proofs and keywords, which the format has no place for, go in an HTML
    comment under the question, which `quiz import` reads back.
    """
    meta = bank.meta
    head = f"Day {meta['day']}: {bank.title}" if meta.get("day") is not None else bank.title
    out = [f"# {head} - Interview Questions", ""]
    quoted = []
    for key in META_KEYS[1:]:
        if meta.get(key) is not None:
            first, *rest = str(meta[key]).split("\n")
            quoted += [f"> **{key.title()}**: {first}"] + [f"> {line}".rstrip() for line in rest]
    if quoted:
        out += quoted + [""]
    for q in bank.questions:
        first, *rest = q.question.split("\n")
        out.append(f"### {q.id}. {first}")
        out += [_escape(line) for line in rest]
        notes = ([f"tags: {', '.join(q.tags)}"] if q.tags else []) + ([f"proof: {q.proof}"] if q.proof else [])
        if q.keywords:
            notes.append(f"keywords: {json.dumps([list(k) for k in q.keywords], ensure_ascii=False)}")
        if notes:
            out.append(f"<!-- {'; '.join(notes)} -->")
        out.append("**Answer:**")
        for entry in q.answer:
            first, *rest = entry.split("\n")
            out.append(f"*   {first}")
            out += [f"    {line}" if line.strip() else "" for line in rest]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# -- apkg ------------------------------------------------------------------------------

MATH = re.compile(
    r"^(?P<fence>`{3,}|~{3,})[^\n]*\n.*?^(?P=fence)[ \t]*$"  # a fenced code block: left alone
    r"|(?P<code>`+).+?(?P=code)"  # a code span: left alone
    r"|\$\$(?P<display>.+?)\$\$"
    r"|\$(?!\s)(?P<inline>[^$\n]+?)(?<!\s)\$",
    re.S | re.M,
)


def anki_html(text: str, block: bool = True) -> str:
    """Bank Markdown as Anki field HTML; math as MathJax, raw HTML escaped."""
    from markdown_it import MarkdownIt

    maths: list[str] = []

    def protect(m):
        if m["display"] is not None:
            maths.append(r"\[" + html.escape(m["display"], quote=False) + r"\]")
        elif m["inline"] is not None:
            maths.append(r"\(" + html.escape(m["inline"], quote=False) + r"\)")
        else:
            return m[0]
        return f"QZMATH{len(maths) - 1}QZ"

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    body = MATH.sub(protect, text)
    rendered = md.render(body) if block else md.renderInline(body)
    return re.sub(r"QZMATH(\d+)QZ", lambda m: maths[int(m[1])], rendered).strip()


def _anki_id(*parts) -> int:
    """A stable id in the range genanki recommends (2^30 … 2^31)."""
    digest = hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()
    return (1 << 30) + int(digest, 16) % (1 << 30)


def deck_id(deck: str) -> int:
    return _anki_id("quiz deck", deck)


def anki_deck_name(bank: Bank) -> str:
    """`quiz::Title`, with the deck's name added when the title does not make it (two banks may share a title)."""
    from quiz.importer import slugify

    return f"quiz::{bank.title}" if slugify(bank.title) == bank.deck else f"quiz::{bank.title} ({bank.deck})"


def note_guid(deck: str, qid: int) -> str:
    import genanki

    return genanki.guid_for(deck, qid)


def anki_model():
    import genanki

    return genanki.Model(
        MODEL_ID, MODEL_NAME,
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Key"}],
        templates=[{
            "name": "Card 1",
            "qfmt": '<div class="question">{{Question}}</div>',
            "afmt": '{{FrontSide}}<hr id="answer"><div class="answer">{{Answer}}</div>',
        }],
        css=".card { font-family: sans-serif; font-size: 20px; text-align: left; }\n"
            ".question { font-weight: bold; }\ncode { font-size: 90%; }\n",
    )


def write_apkg(banks: list[Bank], path: Path, timestamp: float | None = None) -> int:
    """An Anki package of these decks; returns the number of notes."""
    import genanki

    model = anki_model()
    decks, count = [], 0
    for bank in banks:
        deck = genanki.Deck(deck_id(bank.deck), anki_deck_name(bank), description=str(bank.meta.get("topic", "")))
        for q in bank.questions:
            answer = "\n".join("- " + entry.replace("\n", "\n  ") for entry in q.answer)
            deck.add_note(genanki.Note(
                model=model,
                fields=[anki_html(q.question), anki_html(answer), q.key],
                guid=note_guid(q.deck, q.id),
                tags=[q.deck, *q.tags],
            ))
            count += 1
        decks.append(deck)
    buf = io.BytesIO()
    genanki.Package(decks).write_to_file(buf, timestamp=timestamp)
    write_output(path, buf.getvalue())
    return count


def write_output(path: Path, data: str | bytes) -> None:
    """Write an export where the user asked, as they would expect of `> path`, but safely:
    `-` is stdout; a symlink is followed and its target written; a regular file is replaced
    atomically (written whole or not at all) unless it has other hard links, which are kept by
    writing it in place; a FIFO, a terminal or /dev/null is written as a stream, never replaced."""
    import os
    import stat
    import sys

    raw = data.encode("utf-8") if isinstance(data, str) else data
    if str(path) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()
        return
    path = Path(path)
    if not path.parent.is_dir():  # one rule for every format: exports do not make folders
        raise QuizError(f"{path}: no folder {path.parent}; create it first")
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        st = target.stat()
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise QuizError(f"{path}: cannot write: {e.strerror}") from None
    if st is not None and stat.S_ISBLK(st.st_mode):
        raise QuizError(f"{path}: a block device; refusing to write an export to it")
    if st is not None and (not stat.S_ISREG(st.st_mode) or st.st_nlink > 1):
        if stat.S_ISDIR(st.st_mode):
            raise QuizError(f"{path}: is a folder; give a file name")
        try:
            with open(target, "r+b" if stat.S_ISREG(st.st_mode) else "wb") as f:
                f.write(raw)
                if stat.S_ISREG(st.st_mode):
                    f.truncate()
        except OSError as e:
            raise QuizError(f"{path}: cannot write: {e.strerror}") from None
        return
    write_atomic(target, raw)


# -- csv -------------------------------------------------------------------------------


def epoch_ms(iso_text: str) -> int:
    dt = datetime.fromisoformat(iso_text)
    delta = dt - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def review_csv(rows) -> str:
    """The review log as FSRS-optimizer CSV, from (card_id, reviewed_at, rating, state_before,
    duration_ms) rows (Store.review_log: scheduled answers only, so mock answers are kept and
    crammed ones, which do not reschedule, are not)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    w.writerows((cid, epoch_ms(at), rating, state or 0, ms) for cid, at, rating, state, ms in rows)  # None → ""
    return out.getvalue()


# -- json: backup and restore ------------------------------------------------------------


MAX_BACKUP_BYTES = 500_000_000  # a 100k-review home is ~100 MB of JSON


def backup(banks: list[Bank], store, deck: str | None = None) -> dict:
    """Banks, settings and progress as one JSON-ready dict (progress of `deck`, or all)."""
    from quiz import __version__, config
    from quiz.schedule import utcnow
    from quiz.store import iso

    rows = store.rows(deck)
    return {
        "format": BACKUP_FORMAT,
        "version": BACKUP_VERSION,
        "quiz": __version__,
        "created": iso(utcnow()),
        "deck": deck,  # None: the whole home; a deck: its progress only (restore replaces that deck only)
        "settings": config.load(),
        "banks": [
            {"deck": b.deck, "title": b.title, "meta": {k: v for k, v in b.meta.items() if v is not None},
             "questions": bank_dicts(b)}
            for b in banks
        ],
        "cards": rows["cards"],
        "reviews": rows["reviews"],
        "parameters": rows["parameters"],
        "card_marks": rows["card_marks"],
    }


def _check(cond, where: str, message: str):
    if not cond:
        raise QuizError(f"{where}: {message}")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return _is_int(v) or isinstance(v, float)


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
    return _is_num(v) and math.isfinite(v) and v > 0


CARD_FIELDS = {
    "card_id": _is_id, "deck": lambda v: isinstance(v, str) and DECK_SLUG.match(v) is not None, "qid": _is_id, "card_json": lambda v: isinstance(v, str),
    "state": lambda v: v in (1, 2, 3), "due": _is_time,
    "stability": lambda v: v is None or _is_positive(v),
    "difficulty": lambda v: v is None or (_is_num(v) and 1 <= v <= 10),
}
REVIEW_FIELDS = {
    "id": _is_id, "card_id": _is_id, "deck": lambda v: isinstance(v, str) and DECK_SLUG.match(v) is not None,
    "qid": _is_id, "rating": lambda v: v in (1, 2, 3, 4), "reviewed_at": _is_time,
    "duration_ms": lambda v: v is None or (_is_int(v) and 0 <= v <= 7 * 86_400_000),  # at most a week
    "kind": lambda v: v in ("review", "cram", "mock", "reset-review", "reset-mock"),
    "state_before": lambda v: v in (None, 1, 2, 3), "state_after": lambda v: v in (None, 1, 2, 3),
    "before_json": lambda v: v is None or isinstance(v, str), "after_json": lambda v: isinstance(v, str),
}
MARK_FIELDS = {
    "deck": lambda v: isinstance(v, str) and DECK_SLUG.match(v) is not None, "qid": _is_id,
    "suspended": lambda v: v in (0, 1), "buried_until": lambda v: v is None or _is_time(v),
    "flagged": lambda v: v in (0, 1),
}
PARAMETER_FIELDS = {
    "id": _is_id, "created_at": _is_time, "parameters": lambda v: _is_weights(v), "reviews": _is_int,
    "loss_before": lambda v: v is None or _is_num(v), "loss_after": lambda v: v is None or _is_num(v),
}


def _is_weights(v) -> bool:
    """FSRS parameters FSRS itself accepts (21 numbers, each within its bounds)."""
    from fsrs import Scheduler

    try:
        weights = json.loads(v)
        Scheduler(parameters=weights)
    except (TypeError, ValueError):
        return False
    return isinstance(weights, list) and all(_is_num(w) for w in weights)


def _card_ok(card) -> str | None:
    """What is wrong with a decoded FSRS card, or None."""
    if card.stability is not None and not _is_positive(card.stability):
        return f"stability {card.stability!r} is not a positive number"
    if card.difficulty is not None and not (math.isfinite(card.difficulty) and 1 <= card.difficulty <= 10):
        return f"difficulty {card.difficulty!r} is not within 1–10"
    for name in ("due", "last_review"):
        t = getattr(card, name)
        if t is not None and (t.tzinfo is None or not 2000 <= t.year < 2200):
            return f"{name} {t.isoformat()} is not an aware time in 2000–2199"
    return None


def _check_rows(rows, fields: dict, what: str, where: str) -> list[dict]:
    from fsrs import Card

    _check(isinstance(rows, list), where, f"{what} must be a list")
    for n, row in enumerate(rows):
        at = f"{where}: {what}[{n}]"
        _check(isinstance(row, dict) and set(row) == set(fields), at,
               f"expected the keys {', '.join(fields)}")
        for key, ok in fields.items():
            _check(ok(row[key]), at, f"bad value for {key}: {row[key]!r}")
        for key in ("card_json", "before_json", "after_json"):
            if row.get(key) is not None:
                try:
                    card = Card.from_json(row[key])
                except (ValueError, KeyError, TypeError, OverflowError):
                    raise QuizError(f"{at}: {key} is not an FSRS card") from None
                problem = _card_ok(card)
                _check(problem is None, at, f"{key}: {problem}")
                _check(card.card_id == row["card_id"], at, f"{key}: card_id {card.card_id} is not the row's {row['card_id']}")
        if "deck" in fields and "card_id" in fields:
            _check(row["card_id"] == card_id(row["deck"], row["qid"]), at,
                   f"card_id {row['card_id']} is not the id of {row['deck']}/{row['qid']}")
    return rows


def read_backup(path: Path) -> tuple[dict, list[tuple[str, str]]]:
    """Load and check a backup file: (data, [(deck, bank YAML)]). Errors are one line naming the file."""
    from quiz import config

    where = str(path)
    try:
        raw = read_capped(Path(path), MAX_BACKUP_BYTES)
        if raw is None:
            raise QuizError(f"{where}: too large for a backup (at most {MAX_BACKUP_BYTES // 1_000_000} MB)")
        data = json.loads(raw)
    except OSError as e:
        raise QuizError(f"{where}: cannot read: {e.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        line = f":{e.lineno}" if isinstance(e, json.JSONDecodeError) else ""
        raise QuizError(f"{where}{line}: not a quiz backup (not JSON)") from None
    _check(isinstance(data, dict) and data.get("format") == BACKUP_FORMAT, where,
           "not a quiz backup (made by quiz export --format json)")
    _check(data.get("version") == BACKUP_VERSION, where,
           f"backup version {data.get('version')!r} is not supported (this quiz reads version {BACKUP_VERSION})")
    scope = data.setdefault("deck", None)
    _check(scope is None or (isinstance(scope, str) and DECK_SLUG.match(scope)), where, f"bad deck {scope!r}")
    settings = data.setdefault("settings", {})
    _check(isinstance(settings, dict), where, "settings must be a mapping")
    for key, value in settings.items():
        _check(key in config.SETTINGS, where, f"unknown setting {key!r}")
        try:
            settings[key] = config.SETTINGS[key].parse(value)
        except ValueError as e:
            raise QuizError(f"{where}: setting {key}: {e}") from None
    banks = data.get("banks")
    _check(isinstance(banks, list), where, "banks must be a list")
    texts = []
    for n, b in enumerate(banks):
        _check(isinstance(b, dict) and isinstance(b.get("questions"), list) and isinstance(b.get("meta", {}), dict),
               where, f"banks[{n}] is not a bank")
        try:
            text = bank_yaml(b.get("deck"), b.get("title"), b.get("meta", {}), b["questions"],
                             comment="Restored from a quiz backup by `quiz restore`.")
            bank = parse_bank(text, "<bank>")
        except (TypeError, KeyError, AttributeError):
            raise QuizError(f"{where}: banks[{n}] is not a bank") from None
        except BankError as e:  # its line is in YAML made here: name the bank instead
            raise QuizError(f"{where}: banks[{n}]: {re.sub(r'^<bank>:[0-9:]*: ', '', str(e))}") from None
        texts.append((bank.deck, text))
    _check_rows(data.get("cards"), CARD_FIELDS, "cards", where)
    _check_rows(data.get("reviews"), REVIEW_FIELDS, "reviews", where)
    _check_rows(data.setdefault("parameters", []), PARAMETER_FIELDS, "parameters", where)
    _check_rows(data.setdefault("card_marks", []), MARK_FIELDS, "card_marks", where)  # older backups: none
    return data, texts


def snapshot_home(root: Path) -> Path:
    """Copy the whole home as it is — quiz.db (a consistent SQLite copy), banks/, config.toml —
    to a new folder `backups/before-restore-<UTC time>` that nothing ever overwrites."""
    import os
    import shutil

    from quiz.schedule import utcnow
    from quiz.store import Store

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
    db = root / "quiz.db"
    if db.exists():
        store = Store(db)
        try:
            store.backup_to(target / "quiz.db")
        finally:
            store.close()
        os.chmod(target / "quiz.db", 0o600)
    if (root / "banks").is_dir():
        shutil.copytree(root / "banks", target / "banks")
    from quiz import config

    if config.path().exists():
        shutil.copy2(config.path(), target / "config.toml")
    for p in target.rglob("*"):
        os.chmod(p, 0o700 if p.is_dir() else 0o600)
    return target


def restore(path: Path, force: bool = False, extra=()) -> dict:
    """`quiz restore`: a JSON backup into an empty home, or with `force` over a home that is
    not empty, which is first copied whole to a new snapshot folder (see snapshot_home).

    A one-deck backup (`export -f json --deck D`) replaces that deck's progress only: the other
    decks' progress, the FSRS parameters and the settings stay. Banks whose deck a loaded bank
    outside $QUIZ_HOME/banks already defines (the built-in ones) are not written. All or
    nothing: the steps are journaled first, and a restore cut off by a crash is finished by the
    next quiz command (finish_interrupted_restore). Returns what was restored.
    """
    from quiz import config
    from quiz.importer import existing_decks
    from quiz.files import home
    from quiz.store import Store

    data, texts = read_backup(path)
    scope = data.get("deck")
    if scope is None and len(texts) == 1 and all(
            r["deck"] == texts[0][0] for t in ("cards", "reviews") for r in data[t]):
        scope = texts[0][0]  # older one-deck backups did not say so: one bank, its rows only
    root = home()
    banks_dir = root / "banks"
    db_path = root / "quiz.db"
    bank_files = sorted(banks_dir.glob("*.y*ml")) if banks_dir.is_dir() else []
    held = 0
    if db_path.exists():
        store = Store(db_path)
        held = store.count_rows()
        store.close()
    if not force and (held or bank_files or config.path().exists()):
        n = len(bank_files)
        parts = [f"{held} progress rows" if held else "", f"{n} bank file{'s' * (n != 1)}" if n else "",
                 "config.toml" if config.path().exists() else ""]
        raise QuizError(f"{root} is not empty ({', '.join(p for p in parts if p)}); "
                        "restore into an empty QUIZ_HOME, or add --force to replace its progress "
                        "(the home is saved first, to its backups/ folder)")
    decks = existing_decks(extra)
    written, skipped = [], []
    targets = []
    for deck, text in texts:
        where = decks.get(deck)
        if where is not None and where.resolve().parent != banks_dir.resolve():
            skipped.append(deck)
            continue
        target = where or banks_dir / f"{deck}.yaml"
        holder = next((d for d, f in decks.items() if f.resolve() == target.resolve() and d != deck), None)
        if holder is not None:
            raise QuizError(f"{target} holds deck {holder!r}, not {deck!r}: move it away, then restore again")
        targets.append((target, deck, text))
    saved = snapshot_home(root) if (held or bank_files or config.path().exists()) else None
    settings = None  # a one-deck backup, or nothing to write: the settings file is left as it is
    if scope is None:
        changed = {k: v for k, v in data["settings"].items() if v != config.SETTINGS[k].default}
        if changed or config.path().exists():
            settings = changed
    # all or nothing: first a journal of every step (written whole, then renamed), then the steps,
    # then the journal goes. A crash in between leaves the journal, and the next quiz command
    # finishes the restore from it (finish_interrupted_restore): each step can run twice.
    journal = {"banks": [[str(t), text] for t, _, text in targets], "deck": scope, "settings": settings,
               "rows": {t: data[t] for t in ("cards", "reviews", "parameters", "card_marks")}}
    write_atomic(root / JOURNAL, json.dumps(journal, ensure_ascii=False))
    _apply_restore(root, journal)
    return {"banks": [d for _, d, _ in targets], "skipped": skipped, "cards": len(data["cards"]),
            "reviews": len(data["reviews"]), "deck": scope, "saved": saved}


def _apply_restore(root: Path, journal: dict) -> None:
    """The steps of a restore, each idempotent: banks, then progress (one transaction), then
    settings; the journal is removed last."""
    from quiz import config
    from quiz.store import Store

    for target, text in journal["banks"]:
        write_atomic(Path(target), text)
    store = Store(root / "quiz.db")
    try:
        store.load_rows(journal["rows"], deck=journal["deck"])
    finally:
        store.close()
    if journal["settings"] is not None:
        import tomli_w

        write_atomic(config.path(), tomli_w.dumps(journal["settings"]))
    (root / JOURNAL).unlink(missing_ok=True)


def finish_interrupted_restore() -> str | None:
    """If a restore was cut off (crash, kill, power loss), finish it now; a line saying so, or None."""
    from quiz.files import home

    root = home()
    path = root / JOURNAL
    if not path.exists():
        return None
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise QuizError(f"{path}: an interrupted restore's journal cannot be read ({e}); "
                        "run the restore again with --force, or move the file away") from None
    try:
        _apply_restore(root, journal)
    except QuizError as e:
        raise QuizError(f"finishing an interrupted restore ({path}): {e}; run the restore again with "
                        "--force, or move that file away") from None
    return f"Finished a restore that was interrupted ({len(journal['rows']['cards'])} cards)"


# -- quiz export -------------------------------------------------------------------------


def guess_format(fmt: str | None, out: Path | None) -> str:
    if fmt is None and out is not None and out.suffix.lstrip(".").lower() in FORMATS:
        fmt = out.suffix.lstrip(".").lower()
    if fmt is None:
        raise UsageError("give --format apkg, csv, json or md (or an -o PATH ending in one of them)")
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt


def export(fmt: str, banks: list[Bank], store, deck: str | None, out: Path | None) -> tuple[str | None, str]:
    """Write an export. Returns (text for stdout or None, a one-line summary)."""
    if fmt == "apkg":
        out = out or Path(f"{deck or 'quiz'}.apkg")
        n = write_apkg(banks, out)
        if str(out) == "-":
            return None, ""
        decks = f"{len(banks)} deck{'s' * (len(banks) != 1)}"
        return None, f"Wrote {out}: {n} notes in {decks} (import it in Anki: File → Import)"
    if fmt == "csv":
        text = review_csv(store.review_log(deck))
        summary = f"{text.count(chr(10)) - 1} reviews"
    elif fmt == "json":
        from quiz.text import CONTROL  # C1 and bidi controls escaped too: the file is safe to cat

        text = CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}",
                           json.dumps(backup(banks, store, deck), ensure_ascii=False, indent=1)) + "\n"
        summary = f"{len(banks)} banks and their progress"
    else:
        if out is not None and out.is_dir():
            for b in banks:
                write_atomic(out / f"{b.deck}.md", to_markdown(b))
            return None, f"Wrote {len(banks)} Markdown files to {out}"
        if len(banks) != 1:
            raise UsageError("the Markdown format holds one deck: give --deck D, or -o FOLDER for one file per deck")
        text = to_markdown(banks[0])
        summary = f"{len(banks[0].questions)} questions of {banks[0].deck}"
    if out is None or str(out) == "-":
        return text, ""
    write_output(out, text)
    return None, f"Wrote {out}: {summary}"
