import re
from pathlib import Path

import pytest

from quiz.bank import BankError, find, load_bank, load_banks, parse_bank, select
from quiz.errors import UsageError

SEED = Path(__file__).parent / "data" / "day12-modern-backbones.md"
BUILTIN = Path(__file__).parent.parent / "questions" / "modern-backbones.yaml"


def seed_questions():
    """Parse the seed independently of quiz: (id, question, [bullets])."""
    out = []
    for line in SEED.read_text().splitlines():
        if m := re.match(r"### (\d+)\. (.+)", line):
            out.append((int(m[1]), m[2], []))
        elif line.startswith("*   ") and out:
            out[-1][2].append(line[4:])
    return out


def test_builtin_bank_mirrors_the_seed_verbatim():
    bank = load_bank(BUILTIN)
    assert bank.deck == "modern-backbones"
    assert bank.meta["day"] == 12
    assert bank.meta["phase"] == "2 - Computer Vision"
    assert bank.meta["week"] == "3 - CNNs & Architectures"
    assert bank.meta["topic"] == "ResNet, EfficientNet, and Architecture Design"
    seed = seed_questions()
    assert len(seed) == 20
    assert [(q.id, q.question, list(q.answer)) for q in bank.questions] == seed
    assert all(q.tags for q in bank.questions)
    assert all(q.proof and q.proof.startswith(f"q{q.id:02d}_") for q in bank.questions)


def test_minimal_bank():
    bank = parse_bank("deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n    answer: [A]\n", "m.yaml")
    (q,) = bank.questions
    assert (q.deck, q.id, q.question, q.answer, q.tags, q.proof) == ("d", 1, "Q?", ("A",), (), None)


GOOD_Q = "  - id: 1\n    question: Q?\n    answer: [A]\n"
BROKEN = [
    ("deck: d\ntitle: T\n", "b.yaml:1: the bank is missing required key 'questions'"),
    ("deck: d\ntitle: T\nauthor: me\nquestions:\n" + GOOD_Q,
     "b.yaml:3: unknown key 'author' in the bank (expected one of: day, deck, description, phase, questions, title, topic, week)"),
    ("deck: d\ntitle: T\nquestions:\n  - id: one\n    question: Q?\n    answer: [A]\n", "b.yaml:4: id must be an integer"),
    ("deck: d\ntitle: T\nquestions:\n" + GOOD_Q + GOOD_Q, "b.yaml:7: duplicate id 1 (first used at line 4)"),
    ("deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n    answer: []\n",
     "b.yaml:6: answer of question 1 must have at least one bullet"),
    ("deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n    answer: ['  ']\n",
     "b.yaml:6: answer of question 1 must not be empty"),
    ("deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n    answer: 42\n",
     "b.yaml:6: answer of question 1 must be a list of strings or one text"),
    ("deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n    answer: {a: b}\n",
     "b.yaml:6: answer of question 1 must be a list of strings or one text"),
    ("deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n    answer: '  '\n",
     "b.yaml:6: answer of question 1 must not be empty"),
    ("deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n    answer: A\n    keywords: [[a], [b]]\n",
     "b.yaml:7: keywords of question 1 must have one list per answer bullet (1), got 2"),
    ("deck: d\ntitle: T\nquestions:\n  - id: 1\n    answer: [A]\n", "b.yaml:4: a question is missing required key 'question'"),
    ("deck: D D\ntitle: T\nquestions:\n" + GOOD_Q, "b.yaml:1: deck 'D D' must be a slug: lowercase letters, digits and '-'"),
    ("deck: d\ntitle: T\nquestions: []\n", "b.yaml:3: questions must not be empty"),
    ("", "b.yaml:1: empty bank (expected keys deck, title, questions)"),
    ("deck: d\ntitle: !!python/object/apply:os.system ['echo hi']\nquestions: []\n", "b.yaml:2: title must be a string"),
    ("deck: d\ntitle: &t T\nx: *t\nquestions: []\n", "b.yaml:3: unknown key 'x' in the bank (expected one of: day, deck, description, phase, questions, title, topic, week)"),
    ("deck: d\ntitle: T\nquestions:\n  - &q {id: 1, question: Q, answer: [A]}\n  - *q\n",
     "b.yaml:4: YAML aliases (*name) are not allowed in banks"),
]


@pytest.mark.parametrize("text,message", BROKEN)
def test_broken_banks_name_file_and_line(text, message):
    with pytest.raises(BankError) as e:
        parse_bank(text, "b.yaml")
    assert str(e.value) == message
    assert "\n" not in str(e.value)


def test_yaml_syntax_error_names_line_and_column():
    # the wording comes from libyaml or PyYAML, whichever is installed; the place is ours
    with pytest.raises(BankError, match=r"^b.yaml:3:1: YAML syntax error: .*','.*"):
        parse_bank("deck: d\ntitle: [unclosed\n", "b.yaml")


def test_python_tags_are_never_constructed(tmp_path):
    marker = tmp_path / "pwned"
    text = f"deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: !!python/object/apply:os.system ['touch {marker}']\n    answer: [A]\n"
    with pytest.raises(BankError, match=r"b.yaml:5: question 1 must be a string"):
        parse_bank(text, "b.yaml")
    assert not marker.exists()


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"deck: d\ntitle: \xff\n")
    with pytest.raises(BankError, match=r"bad.yaml:2: not UTF-8 text"):
        load_bank(path)


def test_two_banks_with_one_deck_name_both_files(tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("deck: d\ntitle: T\nquestions:\n" + GOOD_Q)
    with pytest.raises(BankError, match=r"b.yaml: deck 'd' is already defined in .*a.yaml"):
        load_banks([tmp_path])


def test_find_and_select():
    banks = load_banks()
    assert find(banks, "7").question == "Why use $1 \\times 1$ convolutions in bottlenecks?"
    assert find(banks, "modern-backbones/20").id == 20
    with pytest.raises(UsageError, match=r"^no question 99 in modern-backbones \(ids 1–20\)$"):
        find(banks, "99")
    with pytest.raises(UsageError, match="no deck 'nope'"):
        find(banks, "nope/1")
    with pytest.raises(UsageError, match="must be a number"):
        find(banks, "-1")
    assert [q.id for q in select(banks, tag="normalization")] == [5, 13]


def test_bank_cache_is_used_and_invalidated(home, tmp_path):
    import os

    from quiz.bank import _cache_file

    path = tmp_path / "c.yaml"
    path.write_text("deck: c\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n    answer: [A]\n")
    first = load_bank(path)
    assert _cache_file(path).exists()
    assert load_bank(path) == first == load_bank(path, cache=False)
    # an edit (new size and mtime) is seen at once
    path.write_text(path.read_text().replace("Q?", "A longer question?"))
    os.utime(path, ns=(1, 1))
    assert load_bank(path).questions[0].question == "A longer question?"
    # a damaged cache is ignored
    _cache_file(path).write_text("{not json")
    assert load_bank(path).questions[0].question == "A longer question?"
    # a broken bank is never served from an older cache
    path.write_text("deck: c\ntitle: T\nquestions: []\n")
    with pytest.raises(BankError, match="questions must not be empty"):
        load_bank(path)


def test_a_bank_from_the_cache_is_the_bank_parsed(home, tmp_path):
    """Every field comes back from the cache as parsing gives it: tuples (nested for keywords), None, text."""
    from quiz.bank import _cache_file

    path = tmp_path / "full.yaml"
    path.write_text("deck: full\ntitle: T\nquestions:\n"
                    "  - id: 1\n    question: Q?\n    answer: [One, Two]\n    tags: [a, b]\n"
                    "    keywords: [[gradient, skip|shortcut], []]\n    proof: q01_why_resnet\n"
                    "  - id: 2\n    question: R?\n    answer: [Only]\n")
    parsed = load_bank(path, cache=False)
    load_bank(path)
    assert _cache_file(path).exists()
    cached = load_bank(path)
    assert cached == parsed and cached.questions[0].keywords == (("gradient", "skip|shortcut"), ())
    assert [q.proof for q in cached.questions] == ["q01_why_resnet", None]


# -- keywords: key terms per answer bullet, for typed answers (docs/banks.md) --------

KW_Q = "  - id: 1\n    question: Q?\n    answer: [A, B]\n"


def test_keywords_one_list_per_bullet():
    bank = parse_bank("deck: d\ntitle: T\nquestions:\n" + KW_Q + "    keywords: [[skip|shortcut, gradient flow], []]\n",
                      "k.yaml")
    assert bank.questions[0].keywords == (("skip|shortcut", "gradient flow"), ())
    assert parse_bank("deck: d\ntitle: T\nquestions:\n" + KW_Q, "k.yaml").questions[0].keywords == ()


@pytest.mark.parametrize("keywords,message", [
    ("[[a]]", "k.yaml:7: keywords of question 1 must have one list per answer bullet (2), got 1"),
    ("skip", "k.yaml:7: keywords of question 1 must be a list holding one list of key terms per answer bullet"),
    ("[a, b]", "k.yaml:7: keywords of question 1, entry 1, must be a list of strings"),
    ("[[a], [7]]", "k.yaml:7: a keyword of question 1 must be a string"),
    ("[[a], ['  ']]", "k.yaml:7: a keyword of question 1 must not be empty"),
    ("[[a], ['x|']]", "k.yaml:7: keyword 'x|' of question 1 needs letters or digits in each '|' alternative"),
    ("\n      - [a]\n      - [b, '--']",
     "k.yaml:9: keyword '--' of question 1 needs letters or digits in each '|' alternative"),
])
def test_broken_keywords_name_file_and_line(keywords, message):
    with pytest.raises(BankError) as e:
        parse_bank("deck: d\ntitle: T\nquestions:\n" + KW_Q + f"    keywords: {keywords}\n", "k.yaml")
    assert str(e.value) == message


def test_an_answer_may_be_one_markdown_text():
    bank = parse_bank("deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n    answer: |\n      Steps:\n\n"
                      "      1. one\n      2. two\n    keywords: [[steps]]\n  - id: 2\n    question: R?\n"
                      "    answer: [a, \"b\\nc\"]\n", "b.yaml")
    text, bullets = bank.questions
    assert (text.prose, text.answer, text.keywords) == (True, ("Steps:\n\n1. one\n2. two\n",), (("steps",),))
    assert text.answer_markdown == "Steps:\n\n1. one\n2. two\n"  # as written
    assert (bullets.prose, bullets.answer_markdown) == (False, "- a\n- b\n  c")  # bullets, later lines under them
