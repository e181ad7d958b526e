"""Text paths are linear in their input: hostile bank text at N and 2N characters.

For each pattern — backtick runs, unclosed `$`, nested braces in math, code and math mixed — times
the paths bank text takes: `$…$` to Unicode (list, show, the session), the card's Markdown
drawn by Rich (show), Anki's HTML (apkg export), and a Markdown file's import (quiz import). A linear
path takes about twice as long at 2N (ratio ≈ 2); the regexes these replaced took 8× (cubic). Usage: python benchmarks/text.py [--n N]
"""

import argparse
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PATTERNS = {
    "backtick runs": lambda n: "x " + "`" * n,
    "backtick pairs": lambda n: "a `` b ` " * (n // 9),
    "unclosed $": lambda n: "$a " * (n // 3),
    "braces in math": lambda n: "$" + "{" * min(n, 19_000) + "$",
    "code and math": lambda n: "`a` $x$ ``b` $ " * (n // 14),
}


def timed(f, text, runs=5):
    f(text)  # warm: imports and the math memo are not the path's cost
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        f(text)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="characters at N (the bank's limit is 20,000)")
    args = ap.parse_args()
    from rich.console import Console

    from quiz import render
    from quiz.export import anki_html
    from quiz.markdown import read
    from quiz.text import math_to_unicode

    def draw(text):
        Console(file=io.StringIO(), width=80).print(render.markdown(text))

    def imported(text):  # the text as an answer in a Markdown file, a link's "[" after it
        read("### 1. Why?\n\n" + text + " [\n")

    paths = {"math → Unicode": math_to_unicode, "Markdown drawn": draw, "Anki HTML": anki_html,
             "Markdown import": imported}
    print(f"{'pattern':<16} {'path':<16} {'N = ' + format(args.n, ','):>12} {'2N':>10} {'ratio':>6}")
    worst = 0.0
    for name, make in PATTERNS.items():
        for path, f in paths.items():
            small, big = timed(f, make(args.n)), timed(f, make(2 * args.n))
            ratio = big / small if small > 0 else 1.0
            worst = max(worst, ratio)
            print(f"{name:<16} {path:<16} {small * 1000:>10.1f}ms {big * 1000:>8.1f}ms {ratio:>5.1f}×")
    print(f"largest 2N/N ratio: {worst:.1f}× (linear ≈ 2, quadratic 4, cubic 8)")


if __name__ == "__main__":
    main()
