import csv
import io
import json
import re
import sqlite3
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from fsrs import Card
from fsrs.scheduler import DEFAULT_PARAMETERS

from quiz import schedule
from quiz.bank import Bank, load_bank, parse_bank
from quiz.errors import QuizError
from quiz.export import (CSV_COLUMNS, anki_deck_name, anki_html, backup, deck_id, note_guid, read_backup, restore,
                         review_csv, to_markdown, write_apkg)
from quiz.importer import bank_yaml, parse_markdown, read_markdown
from quiz.store import Store, card_id

DATA = Path(__file__).parent / "data"
SEED = DATA / "day12-modern-backbones.md"
DAY14 = DATA / "day14-object-detection.md"
BUILTIN = Path(__file__).parent.parent / "questions" / "modern-backbones.yaml"


def as_bank(parsed) -> Bank:
    return parse_bank(bank_yaml(parsed.deck, parsed.title, parsed.meta, parsed.questions), parsed.path)


def same_deck(a: Bank, b: Bank) -> bool:
    strip = lambda bank: (bank.deck, bank.title, bank.meta,
                          [(q.id, q.question, q.answer, q.tags, q.proof, q.keywords) for q in bank.questions])
    return strip(a) == strip(b)


# -- md ------------------------------------------------------------------------------------


def test_markdown_of_the_builtin_bank_is_the_seed():
    text = to_markdown(load_bank(BUILTIN))
    lines = text.splitlines(keepends=True)
    assert lines[7] == "<!-- tags: resnet, residual, optimization; proof: q01_why_resnet -->\n"
    assert "".join(line for line in lines if not line.startswith("<!-- ")) == SEED.read_text()


@pytest.mark.parametrize("source", [SEED, DAY14], ids=["seed", "day14"])
def test_import_export_import_gives_the_same_deck(source, tmp_path):
    first = as_bank(parse_markdown(read_markdown(source), str(source)))
    exported = tmp_path / "again.md"
    exported.write_text(to_markdown(first))
    assert exported.read_text() == source.read_text()  # these files have no tags: byte for byte
    second = as_bank(parse_markdown(read_markdown(exported), str(exported)))
    assert same_deck(first, second)


def test_markdown_keeps_tags_proofs_keywords_and_metadata():
    builtin = load_bank(BUILTIN)
    again = as_bank(parse_markdown(to_markdown(builtin), "x.md"))
    assert same_deck(builtin, again)
    bank = parse_bank(bank_yaml("keywords", "Keywords", {"week": "3 - CNNs", "description": "two\nlines"}, [
        {"id": 4, "question": "Q?", "answer": ["a", "b"], "keywords": [["gradient", "skip|shortcut", "a, b"], []]}]))
    text = to_markdown(bank)
    assert '<!-- keywords: [["gradient", "skip|shortcut", "a, b"], []] -->' in text
    again = as_bank(parse_markdown(text, "k.md"))
    assert same_deck(bank, again) and again.questions[0].keywords == (("gradient", "skip|shortcut", "a, b"), ())


LINE = st.from_regex(r"[A-Za-z0-9(\[][A-Za-z0-9 *_`$().,:;!?/+=\[\]'\"-]{0,30}", fullmatch=True).map(str.rstrip)
LATER = st.one_of(LINE, LINE.map(lambda s: "- " + s), LINE.map(lambda s: "1. " + s),
                  LINE.map(lambda s: "    - " + s), st.just(""))
ENTRY = st.tuples(LINE, st.lists(LATER, max_size=3)).map(lambda t: "\n".join([t[0], *t[1]]).strip())
QUESTION = st.tuples(LINE, st.lists(LINE, max_size=1)).map(lambda t: "\n".join([t[0], *t[1]]))


@settings(max_examples=150, deadline=None)
@given(questions=st.lists(st.tuples(QUESTION, st.lists(ENTRY, min_size=1, max_size=4)), min_size=1, max_size=4),
       topic=LINE, day=st.one_of(st.none(), st.integers(1, 400)))
def test_any_bank_survives_export_md_then_import(questions, topic, day):
    meta = {"topic": topic} if day is None else {"topic": topic, "day": day}
    qs = [{"id": n, "question": q, "answer": a, "tags": ["t"] if n % 2 else []} for n, (q, a) in enumerate(questions, 1)]
    bank = parse_bank(bank_yaml("deck", "A Title", meta, qs), "b.yaml")
    again = as_bank(parse_markdown(to_markdown(bank), "b.md", deck="deck"))
    assert same_deck(bank, again)


# -- apkg ----------------------------------------------------------------------------------


def test_anki_html():
    assert anki_html(r"Why $1 \times 1$? `a$b$` costs $5 and $10") == \
        r"<p>Why \(1 \times 1\)? <code>a$b$</code> costs $5 and $10</p>"
    assert anki_html("$$x<y$$ <b>raw</b> **bold**") == r"<p>\[x&lt;y\] &lt;b&gt;raw&lt;/b&gt; <strong>bold</strong></p>"
    assert anki_html("- $a_1 * b_2$\n  1. nested") == "<ul>\n<li>\\(a_1 * b_2\\)\n<ol>\n<li>nested</li>\n</ol>\n</li>\n</ul>"
    assert anki_html("```\n$x$\n```") == "<pre><code>$x$\n</code></pre>"


def test_anki_ids_are_stable():
    # fixed values: a change here makes every user's re-import duplicate their notes
    assert deck_id("modern-backbones") == 1561435095
    assert note_guid("modern-backbones", 7) == "rW_BT!O)&<"
    assert anki_deck_name(load_bank(BUILTIN)) == "quiz::Modern Backbones"
    assert anki_deck_name(as_bank(parse_markdown(read_markdown(SEED), "s.md", deck="day12"))) == \
        "quiz::Modern Backbones (day12)"


def _anki_import(col, path):
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    request = ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions())
    return col.import_anki_package(request).log


def test_apkg_opens_in_anki(tmp_path):
    from anki.collection import Collection

    banks = [load_bank(BUILTIN), as_bank(parse_markdown(read_markdown(DAY14), str(DAY14)))]
    path = tmp_path / "quiz.apkg"
    assert write_apkg(banks, path, timestamp=1_700_000_000) == 40
    with zipfile.ZipFile(path) as z:
        assert {"collection.anki2", "media"} <= set(z.namelist())
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        log = _anki_import(col, path)
        assert len(log.new) == 40 and not log.updated and not log.duplicate
        notes = {col.get_note(n)["Key"]: col.get_note(n) for n in col.find_notes("")}
        assert len(notes) == 40
        q7 = notes["modern-backbones/7"]
        assert q7["Question"] == r"<p>Why use \(1 \times 1\) convolutions in bottlenecks?</p>"
        assert q7["Answer"] == (
            "<ul>\n<li>To reduce dimensionality before the expensive \\(3 \\times 3\\) convolution.</li>\n"
            "<li>Example: Reduce 256 channels to 64. \\(3 \\times 3\\) on 64 channels is \\(16\\times\\) "
            "cheaper than on 256.</li>\n</ul>")
        assert q7.guid == note_guid("modern-backbones", 7)
        assert sorted(q7.tags) == ["bottleneck", "convolution", "efficiency", "modern-backbones"]
        assert q7.note_type()["name"] == "quiz question"
        assert col.decks.name(q7.cards()[0].did) == "quiz::Modern Backbones"
        od5 = notes["object-detection/5"]
        assert r"\((1-p)^\gamma\)" in od5["Answer"] and od5.tags == ["object-detection"]
        assert col.decks.name(od5.cards()[0].did) == "quiz::Object Detection"
    finally:
        col.close()


def test_a_reexport_updates_notes_instead_of_duplicating(tmp_path):
    from anki.collection import Collection

    bank = load_bank(BUILTIN)
    write_apkg([bank], tmp_path / "1.apkg", timestamp=1_700_000_000)
    edited = parse_bank(BUILTIN.read_text().replace("Why use $1", "Why do we use $1"), "edited.yaml")
    write_apkg([edited], tmp_path / "2.apkg", timestamp=1_700_086_400)
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        assert len(_anki_import(col, tmp_path / "1.apkg").new) == 20
        log = _anki_import(col, tmp_path / "2.apkg")
        assert len(log.new) == 0 and len(log.updated) == 20  # matched by GUID, none added
        assert col.note_count() == 20
        (nid,) = col.find_notes('"Key:modern-backbones/7"')
        assert col.get_note(nid)["Question"].startswith("<p>Why do we use")
    finally:
        col.close()


def test_apkg_is_an_anki_sqlite_collection(tmp_path):
    path = tmp_path / "q.apkg"
    write_apkg([load_bank(BUILTIN)], path, timestamp=1_700_000_000)
    with zipfile.ZipFile(path) as z:
        (tmp_path / "c.anki2").write_bytes(z.read("collection.anki2"))
    db = sqlite3.connect(tmp_path / "c.anki2")
    guids = {g for (g,) in db.execute("SELECT guid FROM notes")}
    assert guids == {note_guid("modern-backbones", n) for n in range(1, 21)}
    decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
    assert str(deck_id("modern-backbones")) in decks
    db.close()


# -- csv -----------------------------------------------------------------------------------


def _studied(tmp_path, now):
    """A store with four answers: new → Good, learning → Hard, a cram answer, and one without a duration."""
    store = Store(tmp_path / "quiz.db")
    s = schedule.scheduler(fuzz=False)
    c1 = schedule.new_card(card_id("d", 1), now)
    a = schedule.review(s, c1, 3, now)
    store.record("d", 1, 3, now, 1500, None, a)
    later = now + timedelta(minutes=10, milliseconds=250)
    b = schedule.review(s, a, 2, later)
    store.record("d", 1, 2, later, 800, a, b)
    store.record("d", 1, 1, later + timedelta(minutes=1), 400, b, b, kind="cram")
    c2 = schedule.new_card(card_id("e", 2), now)
    store.record("e", 2, 4, now + timedelta(hours=1), None, None, schedule.review(s, c2, 4, now + timedelta(hours=1)))
    return store


def test_csv_is_the_review_log_for_fsrs_tools(tmp_path, now):
    store = _studied(tmp_path, now)
    rows = list(csv.reader(io.StringIO(review_csv(store.review_log()))))
    assert rows[0] == CSV_COLUMNS == ["card_id", "review_time", "review_rating", "review_state", "review_duration"]
    d1, e2 = str(card_id("d", 1)), str(card_id("e", 2))
    t = 1795694400000  # 2026-11-26 12:00 UTC in ms
    assert rows[1:] == [
        [d1, str(t), "3", "0", "1500"],  # new card: state 0
        [d1, str(t + 600_250), "2", "1", "800"],  # learning: state 1; cram answer left out
        [e2, str(t + 3_600_000), "4", "0", ""],
    ]


def test_csv_of_one_deck_holds_its_answers_only(tmp_path, now):
    from quiz.export import export

    store = _studied(tmp_path, now)
    text, summary = export("csv", [], store, "e", None)
    assert list(csv.reader(io.StringIO(text)))[1:] == [[str(card_id("e", 2)), str(1795694400000 + 3_600_000), "4", "0", ""]]
    text, _ = export("csv", [], store, None, None)
    assert len(text.splitlines()) == 4  # a header and three scheduled answers: the cram answer is not one


def test_csv_keeps_mock_answers_and_restore_accepts_them(home, tmp_path, now):
    store = _studied(tmp_path, now)
    last = Card.from_json(store.reviews()[1].after_json)
    after = schedule.review(schedule.scheduler(fuzz=False), last, 3, now + timedelta(days=2))
    store.record("d", 1, 3, now + timedelta(days=2), 9000, last, after, kind="mock")
    rows = list(csv.reader(io.StringIO(review_csv(store.review_log()))))
    assert rows[-1] == [str(card_id("d", 1)), str(1795694400000 + 2 * 86_400_000), "3", "1", "9000"]
    path = tmp_path / "b.json"
    path.write_text(json.dumps(backup([load_bank(BUILTIN)], store)))
    restore(path)
    assert [r.kind for r in Store(home / "quiz.db").reviews()].count("mock") == 1


# -- json: backup and restore ----------------------------------------------------------------


def test_backup_then_restore_reproduces_the_store(home, tmp_path, now, monkeypatch):
    store = _studied(home.parent / "old", now)
    day14 = as_bank(parse_markdown(read_markdown(DAY14), str(DAY14)))
    data = backup([load_bank(BUILTIN), day14], store)
    assert data["format"] == "quiz-backup" and data["version"] == 1
    assert [b["deck"] for b in data["banks"]] == ["modern-backbones", "object-detection"]
    path = tmp_path / "backup.json"
    path.write_text(json.dumps(data))
    done = restore(path)
    assert done == {"banks": ["object-detection"], "skipped": ["modern-backbones"], "cards": 2, "reviews": 4,
                    "deck": None, "saved": None}
    restored = Store(home / "quiz.db")
    assert restored.rows() == store.rows()
    assert same_deck(load_bank(home / "banks" / "object-detection.yaml"), day14)
    assert not (home / "config.toml").exists()  # default settings: nothing to write


def test_restore_refuses_a_home_that_is_not_empty(home, tmp_path, now):
    path = tmp_path / "b.json"
    path.write_text(json.dumps(backup([], _studied(tmp_path, now))))
    restore(path)
    with pytest.raises(QuizError, match=r"^.*home is not empty \(6 progress rows\); restore into an empty "
                                        r"QUIZ_HOME, or add --force to replace its progress \(the home is saved first, to its backups/ folder\)$"):
        restore(path)
    Store(home / "quiz.db").record("d", 9, 3, now, 1, None, schedule.new_card(card_id("d", 9), now))
    first = restore(path, force=True)["saved"]
    assert [(r.deck, r.qid) for r in Store(first / "quiz.db").reviews()][-1] == ("d", 9)  # the home as it was
    assert [(r.deck, r.qid) for r in Store(home / "quiz.db").reviews()] == [("d", 1), ("d", 1), ("d", 1), ("e", 2)]
    second = restore(path, force=True)["saved"]  # a second restore never overwrites the first snapshot
    assert second != first and first.exists()
    assert [(r.deck, r.qid) for r in Store(first / "quiz.db").reviews()][-1] == ("d", 9)
    assert oct(first.stat().st_mode & 0o777) == "0o700"
    assert oct((first / "quiz.db").stat().st_mode & 0o777) == "0o600"


def test_restore_saves_banks_and_settings_before_replacing(home, tmp_path, now):
    from quiz import config

    path = tmp_path / "b.json"
    path.write_text(json.dumps(backup([], _studied(tmp_path, now))))
    (home / "banks").mkdir(parents=True)
    (home / "banks" / "mine.yaml").write_text("deck: mine\nquestions: []\n# my edits\n")
    config.set_value("new_per_day", "7")
    saved = restore(path, force=True)["saved"]
    assert "# my edits" in (saved / "banks" / "mine.yaml").read_text()
    assert "new_per_day = 7" in (saved / "config.toml").read_text()


def test_one_deck_backup_restores_that_deck_only(home, tmp_path, now):
    store = Store(home / "quiz.db")
    for deck, qid in (("d", 1), ("e", 2)):
        store.record(deck, qid, 3, now, 1, None, schedule.new_card(card_id(deck, qid), now))
    one = backup([], store, deck="d")
    assert one["deck"] == "d" and {r["deck"] for r in one["reviews"]} == {"d"}
    store.record("d", 1, 1, now, 1, None, schedule.new_card(card_id("d", 1), now))  # progress made after
    store.record("e", 2, 4, now, 1, None, schedule.new_card(card_id("e", 2), now))
    path = tmp_path / "d.json"
    path.write_text(json.dumps(one))
    done = restore(path, force=True)
    assert done["deck"] == "d"
    after = Store(home / "quiz.db").reviews()
    assert [(r.deck, r.rating) for r in after if r.deck == "e"] == [("e", 3), ("e", 4)]  # untouched
    assert [(r.deck, r.rating) for r in after if r.deck == "d"] == [("d", 3)]  # as in the backup


def test_restore_settings(home, tmp_path):
    data = backup([], Store(tmp_path / "x.db"))
    data["settings"]["new_per_day"] = 3
    (tmp_path / "b.json").write_text(json.dumps(data))
    restore(tmp_path / "b.json")
    from quiz import config

    assert config.load()["new_per_day"] == 3


@pytest.mark.parametrize("content,message", [
    ("not json", "{p}:1: not a quiz backup (not JSON)"),
    ('{"a": 1}', "{p}: not a quiz backup (made by quiz export --format json)"),
    ('{"format": "quiz-backup", "version": 9}', "{p}: backup version 9 is not supported (this quiz reads version 1)"),
    ('{"format": "quiz-backup", "version": 1, "settings": {"retention": 5}, "banks": []}',
     "{p}: setting retention: expected a number between 0.7 and 0.99, e.g. 0.9"),
    ('{"format": "quiz-backup", "version": 1, "banks": [{"deck": "Bad Deck", "title": "T", "questions": []}]}',
     "{p}: banks[0]: deck 'Bad Deck' must be a slug: lowercase letters, digits and '-'"),
    ('{"format": "quiz-backup", "version": 1, "banks": [], "cards": {}}', "{p}: cards must be a list"),
    ('{"format": "quiz-backup", "version": 1, "banks": [], "cards": [], "reviews": [{"id": 1}]}',
     "{p}: reviews[0]: expected the keys id, card_id, deck, qid, rating, reviewed_at, duration_ms, kind, "
     "state_before, state_after, before_json, after_json"),
])
def test_bad_backups_are_one_line_and_write_nothing(home, tmp_path, content, message):
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(QuizError) as e:
        restore(path)
    assert str(e.value) == message.format(p=path)
    assert not home.exists()


def test_a_bad_review_value_is_named(tmp_path, now):
    data = backup([], _studied(tmp_path, now))
    data["reviews"][1]["rating"] = 7
    (tmp_path / "b.json").write_text(json.dumps(data))
    with pytest.raises(QuizError, match=r"b.json: reviews\[1\]: bad value for rating: 7$"):
        read_backup(tmp_path / "b.json")
    data["reviews"][1]["rating"] = 2
    data["cards"][0]["card_json"] = "{}"
    (tmp_path / "b.json").write_text(json.dumps(data))
    with pytest.raises(QuizError, match=r"b.json: cards\[0\]: card_json is not an FSRS card$"):
        read_backup(tmp_path / "b.json")


def test_restore_never_overwrites_a_file_of_another_deck(home, tmp_path):
    bank = parse_bank(bank_yaml("x", "X", {}, [{"id": 1, "question": "Q?", "answer": ["A"]}]))
    (tmp_path / "b.json").write_text(json.dumps(backup([bank], Store(tmp_path / "x.db"))))
    (home / "banks").mkdir(parents=True)
    other = home / "banks" / "x.yaml"
    other.write_text(bank_yaml("other", "Other", {}, [{"id": 1, "question": "Mine?", "answer": ["A"]}]))
    with pytest.raises(QuizError, match=r"x.yaml holds deck 'other', not 'x': move it away, then restore again$"):
        restore(tmp_path / "b.json", force=True)
    assert "Mine?" in other.read_text()


def _card_field(field, value):
    def change(row):
        card = json.loads(row["card_json"])
        card[field] = value
        row["card_json"] = json.dumps(card)
    return change


@pytest.mark.parametrize("table, change, message", [
    ("parameters", lambda r: r.update(parameters="[1, 2, 3]"), "bad value for parameters"),
    ("parameters", lambda r: r.update(parameters=json.dumps([float("nan")] * 21).replace("NaN", "1e999")),
     "bad value for parameters"),
    ("cards", lambda r: r.update(stability=-1.0), "bad value for stability"),
    ("cards", lambda r: r.update(stability=0), "bad value for stability"),
    ("cards", _card_field("stability", -3.0), "card_json: stability"),
    ("cards", lambda r: r.update(due="2026-11-26T12:00:00"), "bad value for due"),
    ("cards", lambda r: r.update(due="0001-01-01T00:00:00+00:00"), "bad value for due"),
    ("cards", lambda r: r.update(due="9999-12-31T00:00:00+00:00"), "bad value for due"),
    ("cards", _card_field("due", "9999-12-31T00:00:00+00:00"), "card_json: due"),
    ("cards", lambda r: r.update(qid=2**63), "bad value for qid"),
    ("cards", lambda r: r.update(qid=77), "is not the id of e/77"),
    ("reviews", lambda r: r.update(duration_ms=10**15), "bad value for duration_ms"),
    ("reviews", lambda r: r.update(id=2**63), "bad value for id"),
])
def test_restore_refuses_values_that_would_crash_later(home, tmp_path, now, table, change, message):
    store = _studied(tmp_path, now)
    store.save_parameters(list(DEFAULT_PARAMETERS), now, 4, 0.5, 0.4)
    data = json.loads(json.dumps(backup([], store)))
    change(data[table][0])
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data))
    with pytest.raises(QuizError, match=re.escape(message)):
        restore(path)
    assert not (home / "quiz.db").exists() or Store(home / "quiz.db").count_rows() == 0  # nothing written


# -- export -o: written as `> path` would, but safely ------------------------------------


def _export_md(home, out):
    from typer.testing import CliRunner

    from quiz.cli import app

    return CliRunner().invoke(app, ["export", "-f", "md", "--deck", "modern-backbones", "-o", str(out)],
                              env={"QUIZ_HOME": str(home)})


def test_export_through_a_symlink_updates_its_target(home, tmp_path):
    real = tmp_path / "backups" / "deck.md"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "latest.md"
    link.symlink_to(real)
    assert _export_md(home, link).exit_code == 0
    assert link.is_symlink() and real.read_text().startswith("# Day 12")


def test_export_keeps_hard_links(home, tmp_path):
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("zzqq " * 10_000)  # longer than the export: the rest must go
    import os

    os.link(a, b)
    assert _export_md(home, a).exit_code == 0
    assert b.read_text() == a.read_text() and a.read_text().startswith("# Day 12") and "zzqq" not in a.read_text()
    assert a.stat().st_ino == b.stat().st_ino


def test_export_streams_into_a_fifo_and_dev_null(home, tmp_path):
    import os
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()))
    reader.start()
    assert _export_md(home, fifo).exit_code == 0
    reader.join(10)
    assert got and got[0].startswith("# Day 12")
    assert fifo.exists() and not fifo.is_file()  # still a FIFO
    assert _export_md(home, Path("/dev/null")).exit_code == 0
    assert Path("/dev/null").is_char_device()


def test_export_dash_is_stdout(home):
    result = _export_md(home, "-")
    assert result.exit_code == 0 and result.stdout.startswith("# Day 12")
    assert not Path("-").exists()
