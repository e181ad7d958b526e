"""Taking cards and history out: `quiz export` (apkg, csv, json, md).

- apkg: an Anki package (genanki). Deck and note-type ids are stable and each
  note's GUID is derived from deck + question id, so importing a re-export
  into Anki updates the notes instead of duplicating them. Bank Markdown
  becomes HTML; `$…$` becomes MathJax `\\(…\\)` and `$$…$$` `\\[…\\]`.
- csv: the review log in the columns FSRS optimizers read: card_id,
  review_time (ms since the epoch), review_rating (1–4), review_state (the
  card's state before the review: 0 new, 1 learning, 2 review, 3 relearning),
  review_duration (ms). Cram answers, which did not reschedule, are left out.
- json: banks, settings and progress (cards and the review log), for backup;
  written and restored by quiz/backup.py.
- md: the interview-question Markdown format that `quiz import` reads.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
from datetime import datetime, timezone
from pathlib import Path

from quiz.bank import META_KEYS, Bank
from quiz.errors import QuizError, UsageError
from quiz.files import write_atomic
from quiz.mdtext import escape as _escape

FORMATS = ("apkg", "csv", "json", "md")
CSV_COLUMNS = ["card_id", "review_time", "review_rating", "review_state", "review_duration"]

# Anki ids: stable, so a re-export updates what an earlier one imported
MODEL_ID = 1_591_432_897
MODEL_NAME = "quiz question"


# -- md --------------------------------------------------------------------------------


def to_markdown(bank: Bank) -> str:
    """A deck in the interview-question Markdown format (the seed's layout).

    Tags, proofs and keywords, which the format has no place for, go in an HTML
    comment under the question, which `quiz import` reads back. A text answer
    (`answer: |`) is written as it is, under `**Answer:**`.
    """
    from quiz.mdtext import code_lines, reads_as_bullets

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
        if q.prose and reads_as_bullets(q.answer[0]):
            notes.append("answer: text")  # else `quiz import` would read it back as bullets
        if q.keywords:
            notes.append(f"keywords: {json.dumps([list(k) for k in q.keywords], ensure_ascii=False)}")
        if notes:
            out.append(f"<!-- {'; '.join(notes)} -->")
        out.append("**Answer:**")
        if q.prose:  # one Markdown text, as written; a line that would read as a heading or marker escaped
            code = code_lines(q.answer[0])
            out += [""] + [line if n in code else _escape(line) for n, line in enumerate(q.answer[0].split("\n"))]
        for entry in () if q.prose else q.answer:
            first, *rest = entry.split("\n")
            out.append(f"*   {first}")
            out += [f"    {line}" if line.strip() else "" for line in rest]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# -- apkg ------------------------------------------------------------------------------


def _markdown():
    """One Markdown parser for every field (building one costs more than rendering a field)."""
    global _MARKDOWN
    if _MARKDOWN is None:
        from markdown_it import MarkdownIt

        _MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
    return _MARKDOWN


_MARKDOWN = None


def anki_html(text: str, block: bool = True) -> str:
    """Bank Markdown as Anki field HTML; math as MathJax, raw HTML escaped."""
    from quiz.text import math_spans  # linear: code spans and fences are found once, math outside them

    # each math span becomes a placeholder the text cannot hold, not even through an entity (`&#81;`): its
    # run of Qs is longer than any in the text, so finding it in the rendered HTML finds only the placeholders
    tag = "Q" * (1 + max((len(m[0]) for t in (text, html.unescape(text)) for m in re.finditer("Q+", t)), default=0))
    tag += "ZMATH"
    maths: list[str] = []
    pieces, last = [], 0
    for start, end, latex, display in math_spans(text):
        maths.append((r"\[" if display else r"\(") + html.escape(latex, quote=False) + (r"\]" if display else r"\)"))
        pieces += [text[last:start], f"{tag}{len(maths) - 1}QZ"]
        last = end
    md = _markdown()
    body = "".join(pieces) + text[last:]
    rendered = md.render(body) if block else md.renderInline(body)
    return re.sub(re.escape(tag) + r"(\d+)QZ", lambda m: maths[int(m[1])], rendered).strip()


def _anki_id(*parts) -> int:
    """A stable id in the range genanki recommends (2^30 … 2^31)."""
    digest = hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()
    return (1 << 30) + int(digest, 16) % (1 << 30)


def deck_id(deck: str) -> int:
    return _anki_id("quiz deck", deck)


def anki_deck_name(bank: Bank) -> str:
    """`quiz::Title`, with the deck's name added when the title does not make it (two banks may share a title)."""
    from quiz.text import slugify

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
            deck.add_note(genanki.Note(
                model=model,
                fields=[anki_html(q.question), anki_html(q.answer_markdown), q.key],
                guid=note_guid(q.deck, q.id),
                tags=[q.deck, *q.tags],
            ))
            count += 1
        decks.append(deck)
    buf = io.BytesIO()
    genanki.Package(decks).write_to_file(buf, timestamp=timestamp)
    write_output(path, buf.getvalue())
    return count


def write_output(path: Path, data) -> None:
    """Write an export where the user asked, as they would expect of `> path`, but safely:
    `-` is stdout; a symlink is followed and its target written; a regular file is replaced
    atomically (written whole or not at all) unless it has other hard links, which are kept by
    writing it in place; a FIFO, a terminal or /dev/null is written as a stream, never replaced.
    `data`: text, bytes, or an iterable of bytes (written as it comes)."""
    import os
    import stat
    import sys

    pieces = [data.encode("utf-8")] if isinstance(data, str) else [data] if isinstance(data, bytes) else data
    if str(path) == "-":
        sys.stdout.flush()
        for piece in pieces:
            sys.stdout.buffer.write(piece)
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
                for piece in pieces:
                    f.write(piece)
                if stat.S_ISREG(st.st_mode):
                    f.truncate()
        except OSError as e:
            raise QuizError(f"{path}: cannot write: {e.strerror}") from None
        return
    write_atomic(target, pieces)


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
    elif fmt == "json":  # streamed, row by row, from one snapshot of the database
        from quiz.backup import chunks

        write_output("-" if out is None else out, (c.encode("utf-8") for c in chunks(banks, store, deck)))
        if out is None or str(out) == "-":
            return None, ""
        return None, f"Wrote {out}: {len(banks)} banks and " + (f"the progress of {deck}" if deck else "all progress")
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


# -- quiz backup: the json backup of everything, kept in $QUIZ_HOME/backups ------------------


