"""Time and memory of every proof, each in a fresh interpreter.

Budget per proof: ≤ 2 s of wall time beyond `python -c "import torch, torchvision"`
(measured in this same run, as the baseline) and ≤ 2 GB peak RSS, on this machine's CPUs.
Usage: python benchmarks/proofs.py [--runs N] [names...]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

BASE = "import torch, torchvision"
RUN = BASE + "; from quiz.proofs import run_proof; run_proof({name!r})"


def measure(code, runs):
    """Median wall seconds and the largest peak RSS (MB) over `runs` fresh interpreters."""
    times, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        pid = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL).pid
        _, status, usage = os.wait4(pid, 0)
        times.append(time.perf_counter() - start)
        if status != 0:
            raise SystemExit(f"failed: {code}")
        peaks.append(usage.ru_maxrss / 1024)  # kB → MB on Linux
    return statistics.median(times), max(peaks)


def main():
    from quiz.proofs import available

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("names", nargs="*", default=available())
    args = parser.parse_args()
    base, base_rss = measure(BASE, args.runs)
    print(f"baseline `python -c \"{BASE}\"`: {base:.2f} s, {base_rss:.0f} MB  ({args.runs} runs each, median)")
    print(f"{'proof':<28} {'total':>7} {'beyond':>7} {'peak RSS':>9}  budget (2 s, 2 GB)")
    worst = 0.0
    for name in args.names:
        total, rss = measure(RUN.format(name=name), args.runs)
        beyond = total - base
        worst = max(worst, beyond)
        ok = "✓" if beyond <= 2.0 and rss <= 2048 else "✗"
        print(f"{name:<28} {total:>6.2f}s {beyond:>6.2f}s {rss:>7.0f}MB  {ok}")
    print(f"slowest proof: {worst:.2f} s beyond the torch import; cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
