import csv
import io
import json
import sqlite3
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st


from quiz import schedule
from quiz.bank import Bank, load_bank, parse_bank
from quiz.export import CSV_COLUMNS, anki_deck_name, anki_html, deck_id, note_guid, review_csv, to_markdown, write_apkg
from quiz.bank import bank_yaml
from quiz.importer import parse_markdown, read_markdown
from quiz.store import Store, card_id

DATA = Path(__file__).parent / "data"
SEED = DATA / "day12-modern-backbones.md"
DAY14 = DATA / "day14-object-detection.md"
BUILTIN = Path(__file__).parent.parent / "questions" / "modern-backbones.yaml"


def as_bank(parsed) -> Bank:
    return parse_bank(bank_yaml(parsed.deck, parsed.title, parsed.meta, parsed.questions), parsed.path)


def same_deck(a: Bank, b: Bank) -> bool:
    strip = lambda bank: (bank.deck, bank.title, bank.meta,
                          [(q.id, q.question, q.answer, q.tags, q.proof, q.keywords, q.prose) for q in bank.questions])
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


TEXTS = [
    "Steps:\n\n3. compute IoU\n4. drop the rest\n   - nested\n\n```python\n# not a heading\nx = 1\n```",
    "- only\n- bullets\n\n* and more",  # would read back as bullets: the comment says `answer: text`
    "# a heading in a text\n**Answer:** not a marker\n<b>html</b>\n\\back\n\n    indented code",
    "2. starts at two\n\n\n\nafter blank lines\n| a | b |\n|---|---|\n| 1 | 2 |",
]


@pytest.mark.parametrize("text", TEXTS, ids=["ordered", "bullets", "escapes", "gaps"])
def test_a_text_answer_survives_export_md_then_import(text):
    bank = parse_bank(bank_yaml("d", "D", {}, [{"id": 3, "question": "Q?", "answer": text, "keywords": [["iou"]]},
                                             {"id": 4, "question": "R?", "answer": ["a", "b"]}]), "d.yaml")
    md = to_markdown(bank)
    assert md.splitlines().count("**Answer:**") == 2
    again = as_bank(parse_markdown(md, "d.md"))
    assert same_deck(bank, again) and again.questions[0].prose and not again.questions[1].prose


def test_text_answers_in_anki():
    bank = parse_bank(bank_yaml("d", "D", {}, [{"id": 1, "question": "Q?", "answer": TEXTS[0]}]), "d.yaml")
    html = anki_html(bank.questions[0].answer_markdown)
    assert '<ol start="3">' in html and "<li>compute IoU</li>" in html and "<ul>\n<li>nested</li>" in html
    assert "<pre><code class=\"language-python\"># not a heading\nx = 1\n</code></pre>" in html
    assert "<ul>" not in html.split("<ol")[0]  # no bullet wrapped round the text


# -- apkg ----------------------------------------------------------------------------------


def test_anki_html():
    assert anki_html(r"Why $1 \times 1$? `a$b$` costs $5 and $10") == \
        r"<p>Why \(1 \times 1\)? <code>a$b$</code> costs $5 and $10</p>"
    assert anki_html("$$x<y$$ <b>raw</b> **bold**") == r"<p>\[x&lt;y\] &lt;b&gt;raw&lt;/b&gt; <strong>bold</strong></p>"
    assert anki_html("- $a_1 * b_2$\n  1. nested") == "<ul>\n<li>\\(a_1 * b_2\\)\n<ol>\n<li>nested</li>\n</ol>\n</li>\n</ul>"
    assert anki_html("```\n$x$\n```") == "<pre><code>$x$\n</code></pre>"


@pytest.mark.parametrize("text, html", [
    ("see QZMATH7QZ", "<p>see QZMATH7QZ</p>"),
    ("Literal QZMATH0QZ and $x$", r"<p>Literal QZMATH0QZ and \(x\)</p>"),
    ("&#81;ZMATH0QZ and QQ$x$ZMATH0QZ", r"<p>QZMATH0QZ and QQ\(x\)ZMATH0QZ</p>"),
], ids=["no math", "with math", "through an entity"])
def test_text_like_the_math_placeholder_stays_text(text, html):
    # the math placeholder used to be a fixed QZMATH<n>QZ: bank text holding one raised IndexError or took math
    assert anki_html(text) == html


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
