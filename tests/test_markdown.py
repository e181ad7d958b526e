"""Reading interview-question Markdown (quiz/markdown.py): each style a question can come in, what an
answer keeps, what is skipped, real-world files, and hostile input."""

from pathlib import Path

import pytest

from quiz.markdown import read

DATA = Path(__file__).parent / "data" / "markdown"


def qa(text):
    return [(q.question, q.answer) for q in read(text).questions]


# -- the styles ---------------------------------------------------------------------------------


def test_h1_questions_with_ans_prose_numbered_lists_and_display_math():
    doc = read("# Q1. What is gradient descent?\n\nAns: An optimiser. It repeats:\n\n"
               "1. compute the gradient\n   - on a mini-batch\n2. step against it:\n\n"
               "$$\n\\theta \\leftarrow \\theta - \\eta \\nabla L\n$$\n\n"
               "# Q2. Why normalise inputs?\nAns: Faster convergence.\n")
    (q1, q2) = doc.questions
    assert doc.title is None and (q1.number, q2.number) == (1, 2)
    assert q1.question == "What is gradient descent?"
    assert q1.answer == ("An optimiser. It repeats:\n\n1. compute the gradient\n   - on a mini-batch\n"
                         "2. step against it:\n\n$$\n\\theta \\leftarrow \\theta - \\eta \\nabla L\n$$")
    assert (q2.question, q2.answer) == ("Why normalise inputs?", "Faster convergence.")


def test_numbered_headings_with_prose_answers_and_no_marker():
    assert qa("# Notes\n\n### 1. Explain dropout.\nIt zeroes units at random.\n\n1. at training time\n"
              "2. scaled by 1/(1-p)\n\n### 2. Why does it regularise?\nAn ensemble of thinned networks.\n") == [
        ("Explain dropout.", "It zeroes units at random.\n\n1. at training time\n2. scaled by 1/(1-p)"),
        ("Why does it regularise?", "An ensemble of thinned networks.")]


def test_bold_questions_under_sections_become_tagged_by_section_and_difficulty():
    doc = read("# Theory\n\n* Legend: 👶 easy ⭐️ medium 🚀 expert\n\n## Linear regression\n\n"
               "**What is regression? 👶**\n\nPredicting a number.\n\n```python\nLinearRegression().fit(X, y)\n```\n\n"
               "<br/>\n\n**What are its assumptions? ‍⭐️**\n\n1. Linearity\n2. Independence\n\n"
               "## Validation\n\n**What is overfitting? 🚀**\n\nFitting noise.\n")
    assert [(q.question, q.tags) for q in doc.questions] == [
        ("What is regression?", ["linear-regression", "easy"]),
        ("What are its assumptions?", ["linear-regression", "medium"]),
        ("What is overfitting?", ["validation", "expert"])]  # the file's own legend names the levels
    assert doc.questions[0].answer == "Predicting a number.\n\n```python\nLinearRegression().fit(X, y)\n```"
    assert doc.questions[1].answer == "1. Linearity\n2. Independence"
    assert [s.why for s in doc.skipped] == ["text before the first question"]  # the legend


def test_q_headings_with_a_plain_answer_line():
    assert qa("# DL\n\n## Q1: What is an autoencoder? ##\n\nAnswer:\n\nA network that learns to copy its input.\n\n"
              "## Q2: What is a VAE?\nAnswer: An autoencoder with a latent distribution.\n") == [
        ("What is an autoencoder?", "A network that learns to copy its input."),
        ("What is a VAE?", "An autoencoder with a latent distribution.")]


@pytest.mark.parametrize("text", [
    "Q: What is IoU?\nA: Overlap over union.\n\nQ: What is NMS?\nA: It drops boxes that overlap a better one.\n",
    "**Q: What is IoU?**\n**A:** Overlap over union.\n\n**Q: What is NMS?**\n\n**A:** It drops boxes that overlap a better one.\n",
    "**Q1: What is IoU?**  \nA1: Overlap over union.\n\n**Q2: What is NMS?**  \nA2: It drops boxes that overlap a better one.\n",
    "- **Q:** What is IoU?\n  - *A:* Overlap over union.\n- **Q:** What is NMS?\n  - *A:* It drops boxes that overlap a "
    "better one.\n",
    "1. Q: What is IoU?\n   A: Overlap over union.\n2. Q: What is NMS? A: It drops boxes that overlap a better one.\n",
    "Q: What is IoU? A: Overlap over union.\n\n**Q:** What is NMS? **A:** It drops boxes that overlap a better one.\n",
], ids=["plain", "bold", "numbered", "bullet items", "numbered items", "one line"])
def test_q_and_a_pairs(text):
    assert qa("# Detection\n\n" + text) == [("What is IoU?", "Overlap over union."),
                                           ("What is NMS?", "It drops boxes that overlap a better one.")]


@pytest.mark.parametrize("text, answer", [
    ("- Q: Why one?\n  A: It costs 5 - 3 = 2.\n- Q: Why two?\n  A: Two.\n", "It costs 5 - 3 = 2."),
    ("- **Q:** Why one?\n  **A:** Because.\n- **Q:** Why two?\n  **A:** Two.\n", "Because."),
    ("1. Q: Why one?\n   A: Steps 1. and 2. then * 3.\n2. Q: Why two?\n   A: Two.\n", "Steps 1. and 2. then * 3."),
], ids=["minus in answer", "bold marker", "ordered"])
def test_only_the_list_marker_at_the_start_of_an_item_line_is_dropped(text, answer):
    assert qa("# T\n\n" + text)[0] == ("Why one?", answer)


def test_details_blocks_as_questions_or_as_answers():
    doc = read("# CNN\n\n<details>\n<summary>What does a 1×1 convolution do?</summary>\n\nIt mixes channels:\n\n"
               "- no spatial extent\n- cheap\n\n</details>\n\n<details><summary>Why pool?</summary>"
               "<p>To downsample &amp; widen the receptive field.</p></details>\n\n"
               "### Q: Name two padding modes.\n\n<details>\n<summary><b>💡 Show Answer</b></summary>\n\n"
               "1. VALID\n2. SAME\n\n</details>\n\n---\n")
    assert [(q.question, q.answer) for q in doc.questions] == [
        ("What does a 1×1 convolution do?", "It mixes channels:\n\n- no spatial extent\n- cheap"),
        ("Why pool?", "To downsample & widen the receptive field."),
        ("Name two padding modes.", "1. VALID\n2. SAME")]


def test_what_comes_before_the_marker_belongs_to_the_question():
    doc = read("# T\n\nQuestion: Which layer downsamples?\n\n- [ ] ReLU\n- [ ] Pooling\n\n<details>\n"
               "  <summary>Answer</summary>\n  <p>Pooling</p>\n</details>\n\n"
               "## Question 3\n\n**What is a stride?**\n\n**Answer:**\n\nThe step of the kernel.\n")
    assert [(q.question, q.answer, q.number) for q in doc.questions] == [
        ("Which layer downsamples?\n\n- [ ] ReLU\n- [ ] Pooling", "Pooling", None),
        ("What is a stride?", "The step of the kernel.", 3)]


def test_answer_headings_mark_the_answer_and_later_ones_stay_in_it():
    assert qa("## 1. Python\n\n### 1.1 Explain lists and tuples.\nBoth are sequences.\n\n#### Answer 1:\n"
              "Lists change.\n\n#### Answer 2:\nTuples do not.\n\n### 1.2 What is a set?\n#### Answer\nUnique items.\n") == [
        ("Explain lists and tuples.\nBoth are sequences.", "Lists change.\n\n**Answer 2:**\n\nTuples do not."),
        ("What is a set?", "Unique items.")]


@pytest.mark.parametrize("heading,number", [("1. What?", 1), ("Q1. What?", 1), ("Q1.1: What?", None),
                                            ("Question 12: What?", 12), ("12) What?", 12), ("What?", None)])
def test_numbering_styles(heading, number):
    (q,) = read(f"## {heading}\nSo.\n").questions
    assert (q.question, q.answer, q.number) == ("What?", "So.", number)


def test_front_matter_table_of_contents_badges_and_intro_are_skipped():
    doc = read("---\ntitle: ML questions\nlayout: page\n---\n# ML Questions\n\n"
               "[![CI](https://x/badge.svg)](https://x) ![stars](https://y/stars.svg)\n\nThese are my notes.\n\n"
               "## Table of Contents\n\n- [Basics](#basics)\n- [Deep learning](#deep-learning)\n\n"
               "## Basics\n\n### What is a feature?\nAn input variable.\n\n## License\n\nMIT\n")
    assert (doc.title, qa_of(doc)) == ("ML Questions", [("What is a feature?", "An input variable.")])
    assert doc.questions[0].tags == ["basics"]
    assert [(s.line, s.why) for s in doc.skipped] == [
        (1, "front matter"), (7, "text before the first question"), (11, "a section without questions"),
        (21, "a section without questions")]


def qa_of(doc):
    return [(q.question, q.answer) for q in doc.questions]


# -- what an answer keeps -------------------------------------------------------------------------


def test_the_answer_keeps_its_structure():
    text = ("### 1. Show me everything.\n\n"
            "Steps:\n\n3. third first\n4. then fourth\n   1. nested, numbered\n      - deeper\n\n"
            "```python\n# a comment, not a heading\nx = [1,  2]\n```\n\n"
            "    indented code\n\n"
            "| a | b |\n|---|---|\n| $x^2$ | 2 |\n\n"
            "$$E = mc^2$$ and $\\alpha$ inline.\n\n"
            "![the ResNet block](img/block.png) <img src=\"x.png\" alt=\"Figure 2\">\n\n"
            "See [the paper](https://arxiv.org/abs/1512.03385), [ref] and <https://example.com>.\n\n"
            "#### A sub-heading\n\nLast line.\n\n[ref]: https://pytorch.org \"PyTorch\"\n")
    ((question, answer),) = qa(text)
    assert question == "Show me everything."
    assert answer == ("Steps:\n\n3. third first\n4. then fourth\n   1. nested, numbered\n      - deeper\n\n"
                      "```python\n# a comment, not a heading\nx = [1,  2]\n```\n\n"
                      "    indented code\n\n"
                      "| a | b |\n|---|---|\n| $x^2$ | 2 |\n\n"
                      "$$E = mc^2$$ and $\\alpha$ inline.\n\n"
                      "[image: the ResNet block] [image: Figure 2]\n\n"
                      "See the paper (https://arxiv.org/abs/1512.03385), ref (https://pytorch.org) and "
                      "<https://example.com>.\n\n"
                      "**A sub-heading**\n\nLast line.")


def test_a_hard_break_is_kept_and_trailing_spaces_are_not():
    ((_, answer),) = qa("### 1. Q?\nline one  \nline two   \n\nend  \n")
    assert answer == "line one\\\nline two\n\nend"


def test_placeholders_and_empty_answers_are_no_answers():
    doc = read("### 1. A?\n**Answer:** _[To be filled]_\n\n### 2. B?\nTBD\n\n### 3. C?\n<br/>\n\n---\n\n"
               "### 4. D?\nReal.\n")
    assert qa_of(doc) == [("D?", "Real.")]
    assert [(s.line, s.why, s.text) for s in doc.skipped] == [
        (1, "a question without an answer", "A?"), (4, "a question without an answer", "B?"),
        (7, "a question without an answer", "C?")]


# -- real-world files (tests/data/markdown/README.md says where each comes from) --------------------

REAL = {
    # file: (questions, first question, first answer starts, skipped reasons)
    "bold-questions-sections.md": (11, "What is supervised machine learning?", "Supervised learning is a type",
                                   ["text before the first question", "a section without questions"]),
    "q-headings-details.md": (6, "This Equation is commonly used in image processing:\n\n$$(f * g)(t)",
                              "1. **Operation**: Continuous 1D Convolution",
                              ["text before the first question", "a section without questions",
                               "a section without questions"]),
    "q-number-headings-answer-line.md": (5, "What are autoencoders? Explain the different layers",
                                         "Autoencoders are one of the deep learning types",
                                         ["a section without questions", "a section without questions"]),
    "numbered-headings-prose.md": (5, "What is _Machine Learning_ and how does it differ",
                                   "**Machine Learning** (ML) and **traditional programming**",
                                   ["text before the first question", "a section without questions"]),
    "paren-numbered-headings.md": (13, "What's the trade-off between bias and variance? [src (http://",
                                   "If our model is too simple",
                                   ["text before the first question", "a section without questions",
                                    "a section without questions", "a question without an answer",
                                    "a question without an answer"]),
    "qa-pairs.md": (5, "Why is data scaling important?", "Because features with larger ranges", []),
    "bold-q-inline-answer.md": (4, "What is a confusion matrix?", "A confusion matrix summarizes", []),
    "question-n-bold-answer.md": (4, "What is computer vision and how does it relate to human vision?",
                                  "Computer vision is a field of AI", ["text before the first question"]),
    "question-prefix-details.md": (1, "What is the primary purpose of pooling layers in a Convolutional Neural "
                                      "Network?\n\n- [ ] To introduce", "To downsample feature maps", []),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_world_files(name):
    count, question, answer, skipped = REAL[name]
    doc = read((DATA / name).read_text(encoding="utf-8"))
    assert len(doc.questions) == count
    first = doc.questions[0]
    assert first.question.startswith(question)
    first_answer = first.answer if isinstance(first.answer, str) else first.answer[0]
    assert first_answer.startswith(answer)
    assert [s.why for s in doc.skipped] == skipped
    for q in doc.questions:  # nothing of the page's chrome or markers comes along
        text = q.question + "\n" + (q.answer if isinstance(q.answer, str) else "\n".join(q.answer))
        assert "<details" not in text and "<summary" not in text and "](" not in text
        assert not text.lstrip("*").startswith(("Answer:", "Ans:", "A:"))


def test_real_world_specifics():
    doc = read((DATA / "bold-questions-sections.md").read_text())
    assert [q.tags for q in doc.questions][:2] == [["supervised-machine-learning", "easy"], ["linear-regression", "easy"]]
    assert "[image: formula]" in doc.questions[4].answer
    doc = read((DATA / "numbered-headings-prose.md").read_text())
    assert [q.number for q in doc.questions] == [1, 3, 4, 5, 6]  # the file's own numbers (2 was cut out)
    assert "\n**Core Distinctions**\n" in doc.questions[0].answer  # a sub-heading, as bold
    assert "```python\ndef is_prime(num):\n    if num < 2:\n" in doc.questions[0].answer
    doc = read((DATA / "paren-numbered-headings.md").read_text())
    assert [s.line for s in doc.skipped if s.why == "a question without an answer"] == [88, 113]
    assert doc.questions[3].answer[:3] == ["Feature Selection(manual or via statistical methods)",
                                           "Principal Component Analysis (PCA)", "Multidimensional Scaling"]
    doc = read((DATA / "q-number-headings-answer-line.md").read_text())
    assert "\n1) Encoder - Compresses" in doc.questions[0].answer  # `1)` lists keep their numbers
    doc = read((DATA / "question-n-bold-answer.md").read_text())
    assert doc.title is None and [q.tags for q in doc.questions] == [["fundamentals"]] * 3 + [
        ["image-analysis-processing"]]
    assert "| Aspect | Human Vision | Computer Vision |" in doc.questions[0].answer
    doc = read((DATA / "qa-pairs.md").read_text())
    assert doc.questions[2].answer.startswith("- MinMaxScaler: Scales features to a fixed range (default 0–1).\\\n")


# -- hostile and degenerate input ---------------------------------------------------------------------


def test_a_file_of_only_headings():
    doc = read("# A\n## B\n### C\n#### D\n##### E\n###### F\n" * 50)
    assert doc.questions == [] and doc.title == "A"


def test_ten_thousand_questions():
    text = "# Big\n\n" + "".join(f"### {i}. Why does block {i} work?\n**Answer:**\n- Because {i}.\n\n"
                                  for i in range(1, 10_001))
    doc = read(text)
    assert len(doc.questions) == 10_000 and doc.questions[-1].number == 10_000
    assert doc.questions[9_999].answer == ["Because 10000."]


@pytest.mark.parametrize("nest", [
    "".join("  " * i + "- level\n" for i in range(300)),
    ">" * 3000 + " quoted\n",
    "".join(" " * i + "1. step\n" for i in range(400)),
    "[" * 5000 + "x" + "]" * 5000 + "\n",
    "**" * 5000 + "\n",
    "<div>" * 3000 + "text\n",
], ids=["bullets", "quotes", "numbered", "brackets", "emphasis", "html"])
def test_deep_nesting_is_kept_not_fatal(nest):
    doc = read("### 1. Deep?\n" + nest + "\n### 2. Next?\nStill read.\n")
    assert [q.question for q in doc.questions] == ["Deep?", "Next?"]
    assert doc.questions[1].answer == "Still read."


@pytest.mark.parametrize("n", [2_000, 20_000])
def test_an_unclosed_backtick_run_is_text_and_reads_in_linear_time(n):
    # CommonMark: a run of n backticks with no run of n to close it is text, so the link after it is
    # a link and the code span after that keeps its brackets (a backtracking regex took minutes at 20,000)
    doc = read("### 1. Why?\n\nx " + "`" * n + " [y](http://u) `[z](v)` [\n")
    assert doc.questions[0].answer == "x " + "`" * n + " y (http://u) `[z](v)` ["


def test_nested_brackets_with_a_reference_defined_read_in_linear_time(monkeypatch):
    # each "[" of 50,000 nested ones used to normalize its whole text as a reference label (32 s); a label
    # is under 1,000 characters and holds no "[", so the characters normalized stay linear in the line
    from markdown_it.common import utils

    normalized = []
    real = utils.normalizeReference
    monkeypatch.setattr(utils, "normalizeReference", lambda label: normalized.append(len(label)) or real(label))
    n = 50_000
    doc = read("[x]: http://u\n[a b]: http://ab\n\n### 1. Why?\n\n" + "[" * n + "]" * n
               + " [x] [t][x] [A  B][] ![i][x] [x][]\n")
    assert doc.questions[0].answer == ("[" * n + "]" * n
                                       + " x (http://u) t (http://u) A  B (http://ab) [image: i] x (http://u)")
    assert sum(normalized) < 10 * n


def test_an_html_block_of_many_links_reads_in_linear_time():
    # each </a> used to rescan every part of the block for its <a>: 40,000 links took 50 s
    n = 40_000
    doc = read("### 1. Why?\n\n<p>" + "".join(f'<a href="http://u{i}">l{i}</a> ' for i in range(n)) + "</p>\n")
    assert doc.questions[0].answer == " ".join(f"l{i} (http://u{i})" for i in range(n))


def test_an_unterminated_fence_runs_to_the_end_and_says_so():
    doc = read("### 1. Code?\n```python\nx = 1\n\n### 2. Swallowed?\nNo.\n")
    assert [q.question for q in doc.questions] == ["Code?"]
    assert doc.questions[0].answer == "```python\nx = 1\n\n### 2. Swallowed?\nNo."
    assert doc.notes == [(2, "this code block is never closed: the rest of the file is its code (close it with ```)")]


def test_crlf_tabs_and_odd_characters():
    doc = read("# T\r\n\r\n### 1. Q?\r\n**Answer:**\r\n*\tA\r\n\t*\tnested\r\n")
    assert qa_of(doc) == [("Q?", ["A\n  *\tnested"])]
