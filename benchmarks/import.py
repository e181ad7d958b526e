"""Reading interview-question Markdown is linear in the file, in every style it reads.

For each style (and two hostile files), builds a file of N/2 and of N questions (default N = 10,000),
times parse_markdown() on each (the best of --runs), and prints the ratio: twice the questions should
take about twice the time (target < 3×). The baseline in the same run is markdown-it-py's own block
parse of the same text, the floor the reader stands on: the last column is the reader's time over it.
Usage: python benchmarks/import.py [--questions N] [--runs N]
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quiz.importer import parse_markdown  # noqa: E402
from quiz.mdtext import _parser  # noqa: E402


def seed(n):  # the seed format: numbered headings, **Answer:**, bullets
    return "# Day 99: Scale - Interview Questions\n\n" + "".join(
        f"### {i}. Why does block {i} use a $3 \\times 3$ conv?\n**Answer:**\n*   **Point {i}.a**: a bullet.\n"
        f"*   Point {i}.b: another one.\n\n" for i in range(1, n + 1))


def bold(n):  # bold questions under sections, prose, numbered lists, code
    return "# Theory\n\n" + "".join(
        (f"## Section {i // 20}\n\n" if i % 20 == 0 else "") + f"**What is thing {i}? 👶**\n\nThing {i} is this:\n\n"
        f"1. first\n2. second\n   - nested\n\n```python\nx = {i}\n```\n\n<br/>\n\n" for i in range(n))


def qa(n):  # Q:/A: pairs
    return "# Pairs\n\n" + "".join(f"**Q{i}: Why {i}?**  \nA{i}: Because [reason {i}](https://example.com/{i}).\n\n"
                                   for i in range(1, n + 1))


def details(n):  # <details><summary> blocks under ### Q: headings
    return "# CNN\n\n" + "".join(f"### Q: Name mode {i}.\n\n<details>\n<summary>Show Answer</summary>\n\n"
                                 f"- **VALID** {i}\n- **SAME**\n\n</details>\n\n---\n\n" for i in range(n))


def items(n):  # Q/A pairs as list items
    return "# Items\n\n" + "".join(f"- **Q:** What is {i}?\n  - *A:* It is {i}.\n" for i in range(n))


def unanswered(n):  # hostile: only headings, every one a question without an answer, and one answered
    return "# Only headings\n\n" + "".join(f"## What is {i}?\n" for i in range(n)) + "## Last?\nYes.\n"


def nested(n):  # hostile: brackets, unclosed links, deep lists in every answer
    return "# Hostile\n\n" + "".join(f"### {i}. What?\n" + "[[" * 20 + "](" * 20 + "\n" + "".join(
        "  " * d + "- x\n" for d in range(12)) + "\n" for i in range(1, n + 1))


STYLES = [("### N. headings, bullets (seed)", seed), ("bold questions, sections, code", bold),
          ("Q:/A: pairs", qa), ("<details> answers", details), ("Q/A list items", items),
          ("hostile: only headings", unanswered), ("hostile: brackets, deep lists", nested)]


def best(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    half, full = args.questions // 2, args.questions
    print(f"parse_markdown() at {half:,} and {full:,} questions (best of {args.runs}); "
          "baseline: markdown-it's block parse of the same text")
    print(f"{'style':<34} {'MB':>5} {half:>8,} {full:>8,} {'ratio':>6} {'baseline':>9} {'× base':>7}")
    ok = True
    for name, make in STYLES:
        texts = [make(half), make(full)]
        found = len(parse_markdown(texts[1], "bench.md", deck="bench").questions)
        assert found in (full, 1), (name, found)  # every question read (the hostile one: the one answered)
        a, b = (best(lambda t=t: parse_markdown(t, "bench.md", deck="bench"), args.runs) for t in texts)
        base = best(lambda: _parser().parse(texts[1]), args.runs)
        ok &= b / a < 3
        print(f"{name:<34} {len(texts[1]) / 1e6:>5.1f} {a * 1000:>6.0f}ms {b * 1000:>6.0f}ms {b / a:>5.1f}× "
              f"{base * 1000:>7.0f}ms {b / base:>6.1f}×  {'✓' if b / a < 3 else '✗'}")
    print(f"linear (twice the questions, under 3× the time) in every style: {'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
