"""Fair grading of typed answers: stems, bold phrases by their main words, and the agreement with a human
grader on a labelled set (targets: ≥ 80% within one rating step, never Again for a good answer)."""

from pathlib import Path

from quiz.bank import load_banks, parse_bank
from quiz.coverage import match
from quiz.grading import evaluate

DATA = Path(__file__).parent / "data" / "graded-answers.yaml"


def test_agreement_with_a_human_grader():
    r = evaluate(DATA, load_banks())
    assert len({row["q"] for row in r["rows"]}) >= 10
    assert {row["label"] for row in r["rows"]} == {"good", "partial", "wrong"}
    assert r["within_one"] >= 0.8
    assert r["again_for_good"] == 0


def bank_question(answer):
    return parse_bank(f"deck: d\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n    answer: {answer}\n",
                      "<t>").questions[0]


def test_scales_matches_scaling():
    q = bank_question("['Scaling depth, width and resolution']")
    assert match(q, "it scales depth and width and resolution").points[0].status == "covered"


def test_a_bold_phrase_matches_by_its_main_words():
    q = bank_question("['**Two-Stage (Faster R-CNN)**: proposals first, then classification.']")
    two_stage = match(q, "a two-stage detector").points[0].terms[0]
    faster = match(q, "like faster r-cnn").points[0].terms[0]
    assert two_stage.text == "Two-Stage (Faster R-CNN)" and two_stage.matched and faster.matched
    assert not match(q, "a detector").points[0].terms[0].matched  # negative control: neither part typed


def test_answers_in_ones_own_words_and_filler_words(home):
    # issue 19: a correct answer with filler words ("technique", "effectively") was suggested Again
    r = evaluate(DATA, load_banks(), added_only=True)
    assert len(r["rows"]) >= 12
    assert r["within_one"] >= 0.85
    assert r["again_for_good"] == 0
