"""Start-up time of the fast commands and of the first card, against `python -c "import typer"`
in the same run.

Targets (issue 13): `quiz list` ≤ 1.8× and the first card of `quiz start` ≤ 2.0× of importing
Typer; `quiz --help` and `quiz list --json` ≤ 1.5×. The home has progress (10 rated cards) and a
settings file, as a user's would. The first card is timed in a pseudo-terminal (pexpect) from
spawning `quiz start` until the question is on screen.
Usage: python benchmarks/startup.py [--runs N]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TARGETS = {"quiz --help": 1.5, "quiz list": 1.8, "quiz list --json": 1.5, "quiz start: first card": 2.0}


def median_seconds(cmd, runs, env):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def first_card_seconds(quiz, runs, env):
    import pexpect

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        child = pexpect.spawn(quiz[0], quiz[1:] + ["start"], env=env, dimensions=(40, 80))
        child.expect("show answer")  # the card and its key hint are drawn
        times.append(time.perf_counter() - start)
        child.send("q")
        child.expect(pexpect.EOF)
        child.close()
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    script = shutil.which("quiz", path=os.path.dirname(sys.executable))
    quiz = [script] if script else [sys.executable, "-m", "quiz"]
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, QUIZ_HOME=home, COLUMNS="80")
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: with bytecode caches
        # a home with progress and settings; .pyc files, the bank cache and the math memo written
        subprocess.run(quiz + ["start", "--new", "10"], env=env, input="\n3\n" * 10, text=True,
                       stdout=subprocess.DEVNULL, check=True)
        subprocess.run(quiz + ["config", "set", "new_per_day", "20"], env=env, stdout=subprocess.DEVNULL, check=True)
        for warm in (["--help"], ["list"]):
            subprocess.run(quiz + warm, env=env, stdout=subprocess.DEVNULL, check=True)
        base = median_seconds([sys.executable, "-c", "import typer"], args.runs, env)
        rows = [("python -c 'import typer' (baseline)", base)]
        for label, extra in [("quiz --help", ["--help"]), ("quiz list", ["list"]), ("quiz list --json", ["list", "--json"])]:
            rows.append((label, median_seconds(quiz + extra, args.runs, env)))
        rows.append(("quiz start: first card", first_card_seconds(quiz, args.runs, env)))
    print(f"{'command':<38} {'median':>9} {'ratio':>7} {'target':>7}")
    for label, secs in rows:
        target = f"≤{TARGETS[label]:.1f}×" if label in TARGETS else ""
        print(f"{label:<38} {secs * 1000:>7.0f}ms {secs / base:>6.2f}× {target:>7}")
    print(f"({args.runs} runs each)")


if __name__ == "__main__":
    main()
