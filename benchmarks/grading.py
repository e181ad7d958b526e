"""Agreement of the suggested rating for typed answers with a human grader's.

The labelled set tests/data/graded-answers.yaml holds, for 12 questions, a good, a partial and a
wrong typed answer each, with the rating a fair grader gives. Prints, for quiz's matcher (Snowball
stems, bold phrases matched by their main words) and for the previous one (six-letter prefixes,
whole bold phrases) as the baseline in the same run: exact agreement, agreement within one rating
step (target ≥ 80%), and how many good answers were suggested "Again" (target 0).
Usage: python benchmarks/grading.py
"""

from pathlib import Path

from quiz import coverage
from quiz.bank import load_banks
from quiz.grading import evaluate

DATA = Path(__file__).parent.parent / "tests" / "data" / "graded-answers.yaml"


def prefix_key(word):
    """The previous matcher's word key: lowercase, no plural s, first six letters."""
    w = word.lower().rstrip("+")
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    return w[:6]


def whole_phrase_term(text):
    """The previous matcher's key term: its `a|b` alternatives only (a bold phrase matched whole)."""
    keys = (tuple(prefix_key(w) for w in coverage.TOKEN.findall(coverage._normal(alt))) for alt in text.split("|"))
    alternatives = tuple(a for a in keys if a)
    return coverage.Term(" ".join(text.split()), alternatives) if alternatives else None


def main():
    banks = load_banks()
    now = evaluate(DATA, banks)
    stem_key, term = coverage.word_key, coverage._term
    coverage.word_key, coverage._term = prefix_key, whole_phrase_term
    try:
        before = evaluate(DATA, banks)
    finally:
        coverage.word_key, coverage._term = stem_key, term
    print(f"{len(now['rows'])} typed answers ({DATA.name}): suggested rating vs a human grader's")
    print(f"{'matcher':<34} {'exact':>6} {'±1 step':>8} {'good':>6} {'partial':>8} {'wrong':>6} {'Again for good':>15}")
    for name, r in (("prefixes, whole phrases (before)", before), ("stems, main words (now)", now)):
        b = r["by_label"]
        print(f"{name:<34} {r['exact']:>6.0%} {r['within_one']:>8.0%} {b['good']:>6.0%} {b['partial']:>8.0%} "
              f"{b['wrong']:>6.0%} {r['again_for_good']:>15}")
    print(f"targets: ±1 step ≥ 80%, Again for good = 0 → {'met' if now['within_one'] >= 0.8 and not now['again_for_good'] else 'missed'}")


if __name__ == "__main__":
    main()
