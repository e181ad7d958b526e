"""How well the suggested rating of a typed answer agrees with a human grader's, on a labelled set
(tests/data/graded-answers.yaml): used by benchmarks/grading.py and tests/test_grading.py."""

from __future__ import annotations

from pathlib import Path


def evaluate(path: Path, banks, added_only: bool = False) -> dict:
    """Per answer: label, human rating, suggested rating; and the agreement figures (of the answers
    marked `added`, with `added_only`)."""
    import yaml

    from quiz.bank import find
    from quiz.coverage import match

    rows = []
    corpus = [x for b in banks for x in b.questions]  # the terms' weights: rarity across each deck
    for item in yaml.safe_load(Path(path).read_text(encoding="utf-8")):
        q = find(banks, f"{item.get('deck', 'modern-backbones')}/{item['q']}")
        rows.append({"q": q.key, "label": item["label"], "rating": item["rating"], "added": item.get("added", False),
                     "suggested": match(q, item["typed"], corpus).suggested})
    if added_only:
        rows = [r for r in rows if r["added"]]
    n = len(rows)
    return {
        "rows": rows,
        "exact": sum(r["suggested"] == r["rating"] for r in rows) / n,
        "within_one": sum(abs(r["suggested"] - r["rating"]) <= 1 for r in rows) / n,
        "again_for_good": sum(r["label"] == "good" and r["suggested"] == 1 for r in rows),
        "by_label": {lab: sum(abs(r["suggested"] - r["rating"]) <= 1 for r in rows if r["label"] == lab)
                     / max(1, sum(r["label"] == lab for r in rows)) for lab in ("good", "partial", "wrong")},
    }
