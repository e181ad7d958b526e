"""How well the suggested rating of a typed answer agrees with a human grader's, on a labelled set
(tests/data/graded-answers.yaml): used by benchmarks/grading.py and tests/test_grading.py."""

from __future__ import annotations

from pathlib import Path


def evaluate(path: Path, banks) -> dict:
    """Per answer: label, human rating, suggested rating; and the agreement figures."""
    import yaml

    from quiz.bank import find
    from quiz.coverage import match

    rows = []
    for item in yaml.safe_load(Path(path).read_text(encoding="utf-8")):
        q = find(banks, f"{item.get('deck', 'modern-backbones')}/{item['q']}")
        rows.append({"q": q.key, "label": item["label"], "rating": item["rating"],
                     "suggested": match(q, item["typed"]).suggested})
    n = len(rows)
    return {
        "rows": rows,
        "exact": sum(r["suggested"] == r["rating"] for r in rows) / n,
        "within_one": sum(abs(r["suggested"] - r["rating"]) <= 1 for r in rows) / n,
        "again_for_good": sum(r["label"] == "good" and r["suggested"] == 1 for r in rows),
        "by_label": {lab: sum(abs(r["suggested"] - r["rating"]) <= 1 for r in rows if r["label"] == lab)
                     / max(1, sum(r["label"] == lab for r in rows)) for lab in ("good", "partial", "wrong")},
    }
