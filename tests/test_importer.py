from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from quiz.bank import load_bank, load_banks, parse_bank
from quiz.errors import QuizError, UsageError
from quiz.bank import bank_yaml
from quiz.importer import (MarkdownError, import_markdown, lint, lint_file, parse_markdown,
                           read_markdown, slugify)
from quiz.store import Store

DATA = Path(__file__).parent / "data"
SEED = DATA / "day12-modern-backbones.md"
DAY14 = DATA / "day14-object-detection.md"
BUILTIN = Path(__file__).parent.parent / "questions" / "modern-backbones.yaml"


def parse(path):
    return parse_markdown(read_markdown(path), str(path))


def md(tmp_path, text, name="deck.md"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_seed_imports_to_the_builtin_bank():
    parsed = parse(SEED)
    builtin = load_bank(BUILTIN)
    assert (parsed.deck, parsed.title, parsed.meta) == (builtin.deck, builtin.title, builtin.meta)
    assert [(q["id"], q["question"], q["answer"]) for q in parsed.questions] == \
        [(q.id, q.question, list(q.answer)) for q in builtin.questions]
    assert parsed.warnings == []


def test_the_day14_fixture():
    parsed = parse(DAY14)
    assert parsed.deck == "object-detection" and parsed.title == "Object Detection"
    assert parsed.meta == {"day": 14, "phase": "2 - Computer Vision", "week": "3 - CNNs & Architectures",
                           "topic": "YOLO, R-CNN, and Metrics"}
    assert [q["id"] for q in parsed.questions] == list(range(1, 21))
    q4, q5, q6 = parsed.questions[3:6]
    assert q4["question"] == 'What are "Anchor Boxes"? Why do we need them?'
    assert q4["answer"][1] == "The network predicts *offsets* from these anchors rather than absolute coordinates."
    assert q5["answer"][1] == r"Adds a modulating factor $(1-p)^\gamma$ to Cross Entropy."
    assert q6["answer"] == [r"$S \times S$ grid.", "Each cell predicts $B$ bounding boxes and $C$ class probabilities.",
                            r"Tensor: $S \times S \times (B \times 5 + C)$."]
    assert parsed.warnings == []


NESTED = """\
# Day 3: Tricky Cases - Interview Questions

> **Phase**: 1 - Basics
> **Description**: first line
> second line

### 1. A bullet with nested items?
**Answer:**
*   **Steps**:
    1. Compute IoU with `torch.ops.nms`.
    2. Suppress boxes where $IoU > 0.5$.
        - deeper
*   Second bullet
    continued line.
- dash bullet
  - nested under a dash
*   Code:
    ```python
    x = 1

    # not a heading
    ```
1. a numbered top-level item
2) another

### 2. A question
over two lines?
<!-- tags: detection, nms; proof: q07_one_by_one -->
**Answer:** Inline answer.
Lazy continuation.

A paragraph of its own.
"""


def test_bullets_stay_bullets_and_any_other_answer_is_one_text(tmp_path):
    parsed = parse(md(tmp_path, NESTED))
    q1, q2 = parsed.questions
    # bullets, then a numbered list: one text, the lists as written (numbers, nesting, code and all)
    written = NESTED.split("**Answer:**\n", 1)[1].split("\n\n### 2.")[0]
    assert q1["answer"] == written and written.endswith("1. a numbered top-level item\n2) another")
    assert q2["question"] == "A question\nover two lines?"
    assert q2["answer"] == "Inline answer.\nLazy continuation.\n\nA paragraph of its own."
    assert (q2["tags"], q2["proof"]) == (["detection", "nms"], "q07_one_by_one")
    assert parsed.meta == {"day": 3, "phase": "1 - Basics", "description": "first line\nsecond line"}
    assert parsed.warnings == []
    # only bullets: one entry per bullet, its nested items and code dedented under it (the seed format)
    q1 = parse(md(tmp_path, NESTED.split("1. a numbered")[0], "b.md")).questions[0]
    assert q1["answer"] == [
        "**Steps**:\n1. Compute IoU with `torch.ops.nms`.\n2. Suppress boxes where $IoU > 0.5$.\n    - deeper",
        "Second bullet\ncontinued line.",
        "dash bullet\n- nested under a dash",
        "Code:\n```python\nx = 1\n\n# not a heading\n```",
    ]


def test_skipped_parts_are_warned_with_their_lines(tmp_path):
    path = md(tmp_path, """\
Front matter line
# Day 5: Skips - Interview Questions
> **Mood**: calm
An intro paragraph
that goes on.

### 1. Q?
<!-- tags: Bad Tag -->
**Answer:**
*   A.
---

## Summary
More text
still the same paragraph.

Another paragraph.
""")
    parsed = parse(path)
    assert [q["answer"] for q in parsed.questions] == [["A."]]  # the rule after the answer is no part of it
    assert parsed.warnings == [
        f"{path}:1: skipped text before the first question: 'Front matter line'",
        f"{path}:3: skipped metadata 'Mood' (known: Day, Phase, Week, Topic, Description)",
        f"{path}:4: skipped text before the first question: 'An intro paragraph'",
        f"{path}:8: skipped tag 'Bad Tag': tags are lowercase letters, digits, '-', '_' or '.'",
        f"{path}:13: skipped a section without questions: '## Summary'",  # once, not once per paragraph
    ]


HINT = "headings like '### 1. Question', bold questions, 'Q:'/'A:' pairs or <details> blocks"


@pytest.mark.parametrize("content,message", [
    (b"", "{p}:1: empty file (expected " + HINT + ")"),
    (b"\n  \n", "{p}:1: empty file (expected " + HINT + ")"),
    (b"# T\n\x89PNG\x00\x01", "{p}:2: binary data (a NUL byte), not a Markdown file"),
    (b"# T\n\n### 1. Q\xff\n", "{p}:3: not UTF-8 text"),
    (b"# README\n\nSome project.\n\n## Install\n", "{p}:1: no questions found: expected " + HINT),
    (b"Just text\n", "{p}:1: no questions found: expected " + HINT),
    (b"# Only headings\n## What is A?\n## Why B?\n### How C?\n",
     "{p}:2: no question has an answer (2 questions without one, at lines 2, 4)"),  # `## Why B?` is a section
    (b"# Day 1: !!!\n### 1. Q?\n**Answer:**\n* A\n",
     "{p}:1: cannot make a deck name from the title '!!!'; give one with --deck NAME"),
])
def test_bad_files_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    with pytest.raises(MarkdownError) as e:
        parse(path)
    assert str(e.value) == message.format(p=path)


def test_questions_without_an_answer_are_skipped_and_counted(tmp_path):
    path = md(tmp_path, "# Day 1: T\n\n### 1. Q?\n**Answer:**\n* A\n\n### 2. No answer?\n\n### 3. Q?\n**Answer:**\n"
                        "* A\n\n### 4. Empty?\n**Answer:**\n\n### 5. Later?\n**Answer:** _[To be filled]_\n")
    parsed = parse(path)
    assert [q["id"] for q in parsed.questions] == [1, 3]
    assert parsed.warnings == [f"{path}:7: 3 questions without an answer were skipped: lines 7, 13, 16"]


def test_a_file_numbered_twice_or_not_at_all_is_numbered_by_order(tmp_path):
    path = md(tmp_path, "# Day 1: T\n### 1. Q?\n**Answer:**\n* A\n### 1. Again?\n**Answer:**\n* B\n")
    parsed = parse(path)
    assert [(q["id"], q["question"]) for q in parsed.questions] == [(1, "Q?"), (2, "Again?")]
    assert parsed.warnings == [f"{path}:5: question number 1 is used twice (first at line 2): ids follow the "
                               "questions' order"]
    parsed = parse(md(tmp_path, "### 1. Q?\n**Answer:**\n* A\n", "no-title.md"))  # no title: the file's name
    assert (parsed.deck, parsed.title, [q["id"] for q in parsed.questions]) == ("no-title", "no title", [1])
    parsed = parse(md(tmp_path, "## What is A?\nAn a.\n\n## Q2.7: And B?\nA b.\n", "t.md"))
    assert [(q["id"], q["question"]) for q in parsed.questions] == [(1, "What is A?"), (2, "And B?")]


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(MarkdownError, match=r"nope.md: cannot read: No such file or directory$"):
        read_markdown(tmp_path / "nope.md")
    with pytest.raises(MarkdownError, match="is a folder"):
        read_markdown(tmp_path)


def test_slugs():
    assert slugify("Object Detection") == "object-detection"
    assert slugify("  Vision Transformers (ViT) & CLIP ") == "vision-transformers-vit-clip"
    assert slugify("Détection d'objets") == "detection-d-objets"
    assert slugify("!!!") == ""


TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1,
               max_size=40).filter(str.strip)


@settings(max_examples=300, deadline=None)
@given(question=TEXT, answer=st.lists(TEXT, min_size=1, max_size=3), topic=TEXT)
def test_yaml_loads_back_verbatim(question, answer, topic):
    text = bank_yaml("d", topic, {"topic": topic, "day": 3}, [{"id": 1, "question": question, "answer": answer,
                                                               "tags": ["a"]}])
    bank = parse_bank(text)
    (q,) = bank.questions
    assert (q.question, list(q.answer), q.tags, bank.title) == (question, answer, ("a",), topic)
    assert bank.meta == {"topic": topic, "day": 3}


def test_bank_dicts_and_yaml_keep_a_text_answer_a_text():
    from quiz.bank import bank_dicts

    text = "Steps:\n\n1. one\n2. two\n\n```\ncode  \n```"
    bank = parse_bank(bank_yaml("d", "D", {}, [{"id": 1, "question": "Q?", "answer": text, "keywords": [["one"]]},
                                             {"id": 2, "question": "R?", "answer": ["a"]}]))
    assert [q.answer for q in bank.questions] == [(text,), ("a",)] and bank.questions[0].prose
    again = parse_bank(bank_yaml("d", "D", {}, bank_dicts(bank)))  # what a backup holds, and restore writes
    assert [(q.answer, q.prose, q.keywords) for q in again.questions] == [
        (q.answer, q.prose, q.keywords) for q in bank.questions]


# -- quiz import (library) ------------------------------------------------------------


def test_import_writes_a_valid_bank(home):
    result = import_markdown(DAY14)
    assert result.path == (home / "banks" / "object-detection.yaml").resolve() and not result.replaced
    assert load_bank(result.path).questions == result.bank.questions
    assert result.path.read_text().startswith("# Imported from day14-object-detection.md by `quiz import`.\n")
    assert [b.deck for b in load_banks()] == ["modern-backbones", "object-detection"]
    assert not list((home / "banks").glob(".*"))  # no temporary file left


def test_import_refuses_to_overwrite(home):
    import_markdown(DAY14)
    with pytest.raises(QuizError, match=r"^deck 'object-detection' already exists \(.*object-detection.yaml\); "
                                        r"use --force to replace it \(progress is kept\)$"):
        import_markdown(DAY14)
    with pytest.raises(QuizError, match=r"^deck 'modern-backbones' is already defined in .*questions/"
                                        r"modern-backbones.yaml; import under another name with --deck NAME$"):
        import_markdown(SEED)
    with pytest.raises(QuizError, match="already defined"):
        import_markdown(SEED, force=True)  # a built-in deck is never replaced
    with pytest.raises(UsageError, match=r"^--deck 'Day 12' must be a slug"):
        import_markdown(SEED, deck="Day 12")
    assert [p.name for p in (home / "banks").iterdir()] == ["object-detection.yaml"]


def test_a_file_of_another_deck_is_never_replaced(home):
    import_markdown(DAY14, deck="day12")
    (home / "banks" / "day12.yaml").rename(home / "banks" / "day14.yaml")  # holds deck day12 now
    with pytest.raises(QuizError, match=r"day14.yaml already holds deck 'day12'"):
        import_markdown(DAY14, deck="day14", force=True)


def test_reimport_keeps_progress_tags_and_proofs(home, tmp_path, now):
    from quiz import schedule

    import_markdown(SEED, deck="day12")
    bank_file = home / "banks" / "day12.yaml"
    bank_file.write_text(bank_file.read_text().replace(
        "  - id: 7\n", "  - id: 7\n    tags: [mine]\n    keywords: [[dimensionality], []]\n"))
    store = Store(home / "quiz.db")
    card = schedule.review(schedule.scheduler(fuzz=False), schedule.new_card(1, now), 3, now)
    store.record("day12", 7, 3, now, 1000, None, card)
    edited = md(tmp_path, SEED.read_text().replace("### 7. Why use", "### 7. Why do we use"), "day12.md")
    result = import_markdown(edited, deck="day12", force=True)
    assert result.replaced
    q7 = result.bank.get(7)
    assert q7.question.startswith("Why do we use") and q7.tags == ("mine",)
    assert q7.keywords == (("dimensionality",), ())  # same answer bullets: their keywords still fit
    assert store.cards()[("day12", 7)]["card_json"] == card.to_json()


def test_nothing_is_written_for_a_bad_file(home, tmp_path):
    bad = md(tmp_path, "# Day 1: T\n### 1. Q?\n")
    with pytest.raises(MarkdownError):
        import_markdown(bad)
    assert not (home / "banks").exists()


# -- quiz validate --------------------------------------------------------------------

BROKEN = """\
deck: broken
title: Broken
questions:
  - id: 1
    question: Fine?
    answer: [Yes.]
  - id: 2
    question: No answer?
  - id: 1
    question: Duplicate id?
    answer: [A]
  - id: 4
    question: Bad tag?
    tags: [Not OK]
    answer: [A]
  - id: 5
    question: Unknown proof?
    proof: q99_nothing
    answer: [A]
"""


def test_validate_reports_every_broken_question(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    bank, problems, warnings = lint_file(path)
    assert bank is None and warnings == []
    assert problems == [
        f"{path}:7: a question is missing required key 'answer'",
        f"{path}:9: duplicate id 1 (first used at line 4)",
        f"{path}:14: tag 'Not OK' must be lowercase letters, digits, '-', '_' or '.'",
    ]
    path.write_text("deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: Fine?\n    answer: [A]\n"
                    "  - id: 5\n    question: Unknown proof?\n    proof: q99_nothing\n    answer: [A]\n")
    assert lint_file(path)[1] == [f"{path}:7: no proof module named 'q99_nothing' in quiz/proofs (question 5)"]


def test_validate_syntax_errors_and_duplicate_decks(tmp_path):
    (tmp_path / "a.yaml").write_text("deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: Q\n    answer: [A]\n")
    (tmp_path / "b.yaml").write_text("title: T\ndeck: d\nquestions:\n  - id: 1\n    question: Q\n    answer: [A]\n")
    (tmp_path / "c.yaml").write_text("deck: [unclosed\n")
    problems, warnings, count = lint([tmp_path])
    assert count == 3 and warnings == []
    assert problems[0] == f"{tmp_path / 'b.yaml'}:2: deck 'd' is already defined in {tmp_path / 'a.yaml'}"
    assert problems[1].startswith(f"{tmp_path / 'c.yaml'}:2:1: YAML syntax error: ")  # the YAML library's words
    assert len(problems) == 2


def test_validate_markdown_and_missing_paths(tmp_path):
    bad = md(tmp_path, "# Day 1: T\n### 1. Q?\n### 2. Q?\n**Answer:**\n* A\n### 3. Q\n")
    problems, warnings, count = lint([bad, tmp_path / "nope.yaml"])
    assert problems == [f"{tmp_path / 'nope.yaml'}: no such bank file or folder"] and count == 1
    assert warnings == [f"{bad}:2: 2 questions without an answer were skipped: lines 2, 6"]
    empty = md(tmp_path, "# Notes\n\nNothing.\n", "empty.md")
    assert lint([empty])[0] == [f"{empty}:1: no questions found: expected {HINT}"]
    assert lint([DAY14]) == ([], [], 1)


def test_validate_default_is_every_loaded_bank_and_clean(home):
    assert lint() == ([], [], 1)
    import_markdown(DAY14)
    assert lint() == ([], [], 2)


def test_a_question_heading_with_only_spaces_is_not_a_question():
    from quiz.importer import MarkdownError, parse_markdown

    text = "# Day 3: Things - Interview Questions\n### 1.  \n**Answer:**\n*   a\n"
    with pytest.raises(MarkdownError, match=r"^f.md:\d+: "):
        parse_markdown(text, "f.md", deck="d")


# -- re-importing: ids follow the text, edits are never dropped silently --------------------------------


def test_reimport_ids_follow_the_question_text(home, tmp_path, now):
    from quiz import schedule

    first = md(tmp_path, "# Deck\n\n## What is A?\nAn a.\n\n## What is B?\nA b.\n", "deck.md")
    assert [q.id for q in import_markdown(first).bank.questions] == [1, 2]
    store = Store(home / "quiz.db")
    card = schedule.review(schedule.scheduler(fuzz=False), schedule.new_card(1, now), 3, now)
    store.record("deck", 2, 3, now, 1000, None, card)
    # a question inserted above, B's answer reworded: ids (and B's progress) stay with their questions
    first.write_text("# Deck\n\n## What is Z?\nA z.\n\n## What is A?\nAn a.\n\n## What is B?\nA better b.\n")
    result = import_markdown(first, force=True)
    assert [(q.id, q.question) for q in result.bank.questions] == [(3, "What is Z?"), (1, "What is A?"),
                                                                   (2, "What is B?")]
    assert result.changes == ["  + 3 new: 'What is Z?'", "  ~ 2 answer: 'What is B?'"]
    assert store.cards()[("deck", 2)]["card_json"] == card.to_json()


def test_reimport_never_drops_an_edit_silently(home, tmp_path):
    import_markdown(DAY14)
    bank = home / "banks" / "object-detection.yaml"
    imported = bank.read_text()
    # an edit (as quiz edit makes it): the same file again would undo it, so --force stops and names it
    bank.write_text(imported.replace("Area of Overlap / Area of Union.", "Intersection area / union area."))
    with pytest.raises(QuizError) as e:
        import_markdown(DAY14, force=True)
    assert str(e.value) == (f"{bank} holds edits of yours that re-importing would replace: 1 question (2: answer); "
                            "see them with --dry-run, replace them with --overwrite-edits")
    assert "Intersection area" in bank.read_text()  # nothing written
    # edits a re-import keeps (tags) do not stop it; the file's own changes go in
    bank.write_text(imported.replace("  - id: 5\n", "  - id: 5\n    tags: [mine]\n"))
    changed = md(tmp_path, DAY14.read_text().replace("Pre-defined box shapes", "Predefined box shapes"), "od.md")
    result = import_markdown(changed, deck="object-detection", force=True)
    assert result.changes == ["  ~ 4 answer: 'What are \"Anchor Boxes\"? Why do we need them?'"]
    assert result.bank.get(5).tags == ("mine",) and "Predefined" in result.bank.get(4).answer[0]
    # --overwrite-edits replaces them, and says what changed
    bank.write_text(bank.read_text().replace("  - id: 20\n", "  - id: 20\n    proof: q07_one_by_one\n").replace(
        "What is \"Focal Loss\"?", "What is focal loss?"))
    result = import_markdown(DAY14, overwrite_edits=True)
    assert result.changes == ["  ~ 4 answer: 'What are \"Anchor Boxes\"? Why do we need them?'",
                              "  ~ 5 question: 'What is \"Focal Loss\"?'"]  # the proof and tag are kept
    assert result.bank.get(20).proof == "q07_one_by_one"


def test_a_bank_quiz_has_no_copy_of_counts_as_edited(home, tmp_path):
    import_markdown(DAY14)
    for copy in (home / "imports").iterdir():
        copy.unlink()  # as if imported by an older quiz
    import_markdown(DAY14, force=True)  # nothing would change: no edit can be lost
    for copy in (home / "imports").iterdir():
        copy.unlink()
    changed = md(tmp_path, DAY14.read_text().replace("Area of Overlap", "Overlap area"), "od.md")
    with pytest.raises(QuizError, match=r"may hold edits of yours \(quiz has no copy of what its last import wrote\), "
                                        r"and re-importing would change: 1 question \(2: answer\)"):
        import_markdown(changed, deck="object-detection", force=True)


def test_dry_run_shows_the_plan_and_writes_nothing(home, tmp_path):
    from quiz.importer import dry_run, plan_import

    lines = dry_run(plan_import(DATA / "markdown" / "paren-numbered-headings.md"))
    assert lines[:3] == ["Dry run: nothing is written.",
                         "Would import deck 65-machine-learning-interview-questions-2025 (65 Machine Learning Interview "
                         "Questions 2025): 13 questions from paren-numbered-headings.md",
                         f"  → {(home / 'banks').resolve()}/65-machine-learning-interview-questions-2025.yaml"]
    assert lines[3] == "First questions:" and lines[4].startswith("     1  What's the trade-off between bias and ")
    assert lines[9] == "  … and 8 more"
    assert lines[10:] == [
        "Skipped or noted (4):",
        "  line 2: skipped text before the first question: 'A collection of technical interview questions f...'",
        "  line 4: skipped a section without questions: '### Recently added: [Natural Language Processin...'",
        "  line 6: skipped a section without questions: '## Preparation Resources'",
        "  line 88: 2 questions without an answer were skipped: lines 88, 113"]
    assert all(len(line) <= 80 for line in lines[4:10])
    assert not (home / "banks").exists() and not (home / "imports").exists()
    kinds = [line.rsplit("[", 1)[1] for line in dry_run(plan_import(DATA / "markdown" / "q-headings-details.md"))
             if line.endswith("]")]
    assert kinds == ["text]", "3 bullets]", "1 bullet]", "text]", "2 bullets]"]
    import_markdown(DAY14)
    (home / "banks" / "object-detection.yaml").write_text(
        (home / "banks" / "object-detection.yaml").read_text().replace("Area of Overlap", "Overlap"))
    def files():  # the home but its caches (of banks quiz loaded, which any command refreshes)
        return sorted((p, p.read_bytes()) for p in home.rglob("*") if p.is_file() and "cache" not in p.parts)

    before = files()
    lines = dry_run(plan_import(DAY14, force=True))
    assert lines[-5:-1] == ["Changes to the bank there now:",
                            "  ~ 2 answer: 'What is \"Intersection over Union\" (IoU)?'",
                            "Your edits since its import that this would replace:",
                            "  ~ 2 answer: 'What is \"Intersection over Union\" (IoU)?'"]
    assert lines[-1].startswith("The import would stop: ") and "--overwrite-edits" in lines[-1]
    assert files() == before
