"""Start-up time of the fast commands, against `python -c "import typer"` in the same run.

Target: `quiz --help` and `quiz list` within 1.5× of importing typer.
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


def median_seconds(cmd, runs, env):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    script = shutil.which("quiz", path=os.path.dirname(sys.executable))
    quiz = [script] if script else [sys.executable, "-m", "quiz"]
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, QUIZ_HOME=home)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: with bytecode caches
        for warm in (["--help"], ["list"]):  # write .pyc files, create the database and the bank cache
            subprocess.run(quiz + warm, env=env, stdout=subprocess.DEVNULL, check=True)
        base = median_seconds([sys.executable, "-c", "import typer"], args.runs, env)
        rows = [("python -c 'import typer' (baseline)", base)]
        for label, extra in [("quiz --help", ["--help"]), ("quiz list", ["list"]), ("quiz list --json", ["list", "--json"])]:
            rows.append((label, median_seconds(quiz + extra, args.runs, env)))
    print(f"{'command':<38} {'median':>9} {'ratio':>7}")
    for label, secs in rows:
        print(f"{label:<38} {secs * 1000:>7.0f}ms {secs / base:>6.2f}×")
    print(f"({args.runs} runs each; target: ratio ≤ 1.5)")


if __name__ == "__main__":
    main()
