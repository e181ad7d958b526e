"""JSON backups and quiz restore (quiz/backup.py): every field checked, one-line errors that write
nothing, the scope a backup says, all or nothing, and never a rating lost to a restore."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from fsrs import Card
from fsrs.scheduler import DEFAULT_PARAMETERS

from quiz import schedule
from quiz.backup import document as backup, read as read_backup, restore
from quiz.bank import load_bank, parse_bank
from quiz.errors import QuizError
from quiz.export import review_csv
from quiz.bank import bank_yaml
from quiz.importer import parse_markdown, read_markdown
from quiz.store import Store, card_id
from test_export import BUILTIN, DAY14, _studied, as_bank, same_deck


def test_mock_answers_survive_a_backup(home, tmp_path, now):
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


def test_backup_then_restore_reproduces_the_store(home, tmp_path, now, monkeypatch):
    store = _studied(home.parent / "old", now)
    day14 = as_bank(parse_markdown(read_markdown(DAY14), str(DAY14)))
    data = backup([load_bank(BUILTIN), day14], store)
    assert data["format"] == "quiz-backup" and data["version"] == 2 and data["scope"] == "all"
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
    ("not json", "{p}: not a quiz backup (not JSON: invalid string in json text.)"),
    ('{"format": "quiz-backup", "version": 2, "banks": [], "cards": [', "{p}: not a quiz backup (not JSON: premature EOF)"),
    ("[" * 5000 + "]" * 5000, "{p}: not a quiz backup (made by quiz export --format json)"),
    ('{"format": "quiz-backup", "version": 2, "banks": [], "settings": ' + "[" * 5000 + "]" * 5000 + "}",
     "{p}: settings must be a mapping"),  # nested deeper than Python's recursion limit: still one line
    ('{"a": 1}', "{p}: not a quiz backup (made by quiz export --format json)"),
    ('{"format": "quiz-backup", "version": 9}', "{p}: backup version 9 is not supported (this quiz reads versions 1, 2)"),
    ('{"version": 1, "format": "quiz-backup"}', "{p}: not a quiz backup (made by quiz export --format json)"),
    ('{"format": "quiz-backup", "version": 2, "scope": "deck", "deck": null, "banks": [], "cards": [], "reviews": []}',
     "{p}: scope 'deck' does not match deck None"),
    ('{"format": "quiz-backup", "version": 2, "banks": [], "cards": [], "reviews": [], "cards": []}',
     "{p}: not a quiz backup ('cards' given twice)"),
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


def _later_state(row):  # a card JSON its log never reached: due 2030, all else as it was
    card = json.loads(row["card_json"])
    card["due"] = "2030-01-01T00:00:00+00:00"
    row.update(card_json=json.dumps(card), due=card["due"])


def _card_field(field, value, **more):
    def change(row):
        card = json.loads(row["card_json"])
        card.update({field: value, **more})
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
    ("cards", lambda r: r.update(qid=2**63), "not a quiz backup (not JSON: integer overflow)"),
    ("cards", lambda r: r.update(qid=2**62), "bad value for qid"),
    ("cards", lambda r: r.update(qid=77), "is not the id of e/77"),
    ("reviews", lambda r: r.update(duration_ms=10**15), "bad value for duration_ms"),
    ("reviews", lambda r: r.update(id=2**63), "not a quiz backup (not JSON: integer overflow)"),
    ("reviews", lambda r: r.update(id=0), "bad value for id"),
    ("cards", _card_field("step", -5), "card_json: step -5: a card in review has no learning step"),
    ("cards", _card_field("state", 1, step=-5), "card_json: step -5 is not a learning step (0–1)"),
    ("cards", _card_field("state", 1, step=7), "card_json: step 7 is not a learning step (0–1)"),
    ("cards", _card_field("state", 3, step=1), "card_json: step 1 is not a learning step (0–0)"),
    ("cards", _card_field("state", 1, step="0"), "card_json: step '0' is not a learning step (0–1)"),
    # every field in range, but the card disagrees with its own JSON, or with its log
    ("cards", lambda r: r.update(due="2100-01-01T00:00:00+00:00"), "is not the state its review log leaves"),
    ("cards", lambda r: r.update(state=1 if r["state"] != 1 else 2), "is not the state its review log leaves"),
    ("cards", lambda r: r.update(stability=r["stability"] * 2), "is not the state its review log leaves"),
    ("cards", _later_state, "is not the state its review log leaves"),
    ("reviews", lambda r: r.update(before_json=r["after_json"]), "does not start from the state"),
])
def test_restore_refuses_values_out_of_range_or_out_of_step_with_the_log(home, tmp_path, now, table, change, message):
    store = _studied(tmp_path, now)
    store.save_parameters(list(DEFAULT_PARAMETERS), now, 4, 0.5, 0.4)
    data = json.loads(json.dumps(backup([], store)))
    change(data[table][0])
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data))
    with pytest.raises(QuizError, match=re.escape(message)):
        restore(path)
    assert not (home / "quiz.db").exists() or Store(home / "quiz.db").count_rows() == 0  # nothing written




def test_restore_refuses_a_review_without_its_card(home, tmp_path, now):
    store = _studied(tmp_path, now)
    data = json.loads(json.dumps(backup([], store)))
    gone = data["cards"].pop(0)
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data))
    with pytest.raises(QuizError, match=re.escape(f"{gone['deck']}/{gone['qid']} has no card row")):
        restore(path)


def test_the_fast_line_reader_and_the_json_reader_agree(home, tmp_path, now, monkeypatch):
    """A backup as quiz writes it is read line by line; the same backup reformatted (by jq, by hand)
    goes through the event parser: both give the same rows, and a mistake is named the same way."""
    from quiz import backup as b

    store = _studied(tmp_path, now)
    ours = tmp_path / "ours.json"
    ours.write_text("".join(b.chunks([load_bank(BUILTIN)], store)))
    assert ours.read_text().count("\n") > 10  # one row per line
    other = tmp_path / "other.json"
    other.write_text(json.dumps(json.loads(ours.read_text()), indent=3))
    readers = []
    for name in ("_lines", "_items"):  # which reader read which file
        real = getattr(b, name)
        monkeypatch.setattr(b, name, lambda f, real=real, name=name: readers.append(name) or real(f))
    staged = []
    for path in (ours, other):
        readers.clear()
        header = read_backup(path, tmp_path / f"{path.stem}.db")
        assert readers == (["_lines"] if path is ours else ["_lines", "_items"])  # ours never needs the parser
        rows = Store(tmp_path / f"{path.stem}.db").rows()
        staged.append((dict(header), header.counts, header.texts, rows))
    assert staged[0] == staged[1] and staged[0][1]["reviews"] == 4
    for path in (ours, other):  # the same bad value, named the same way by both readers
        path.write_text(path.read_text().replace('"rating": 2', '"rating": 7'))
        with pytest.raises(QuizError, match=r"reviews\[1\]: bad value for rating: 7$"):
            read_backup(path)
    ours.write_text("".join(b.chunks([load_bank(BUILTIN)], store))[:-40])  # cut short: the line reader hands over to the JSON parser
    with pytest.raises(QuizError, match=r"not a quiz backup \(not JSON: "):
        read_backup(ours)


def test_a_bank_file_travels_byte_for_byte(home, tmp_path, now):
    banks = home / "banks"
    banks.mkdir(parents=True)
    text = "# my notes on this deck\ndeck: mine\ntitle: Mine\nquestions:\n  - id: 1\n    question: 'Q?'  # keep\n" \
           "    answer: [a]\n"
    (banks / "mine.yaml").write_text(text)
    data = backup([load_bank(banks / "mine.yaml")], Store(tmp_path / "x.db"))
    assert data["banks"][0]["yaml"] == text
    (tmp_path / "b.json").write_text(json.dumps(data))
    (banks / "mine.yaml").unlink()
    restore(tmp_path / "b.json", force=True)
    assert (banks / "mine.yaml").read_text() == text
    data["banks"][0]["yaml"] = text.replace("deck: mine", "deck: yours")
    (tmp_path / "b.json").write_text(json.dumps(data))
    with pytest.raises(QuizError, match=r"banks\[0\]: its text holds deck 'yours', not 'mine'$"):
        read_backup(tmp_path / "b.json")
