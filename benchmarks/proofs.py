"""Time and memory of every proof, each in a fresh interpreter.

Budget per proof: ≤ 2 s of wall time beyond `python -c "import torch, torchvision"`
(measured in this same run, as the baseline) and ≤ 2 GB peak RSS, on this machine's CPUs.
Usage: python benchmarks/proofs.py [--runs N] [names...]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

BASE = "import torch, torchvision"
RUN = BASE + "; from quiz.proofs import run_proof; run_proof({name!r})"


def run_once(code):
    """Wall seconds and peak RSS (MB) of one fresh interpreter running `code`."""
    start = time.perf_counter()
    pid = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL).pid
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        raise SystemExit(f"failed: {code}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024  # kB → MB on Linux


def measure(code, runs):
    """Runs `code` and the baseline alternately (so drift hits both alike): the median
    proof time, the median of (proof − baseline) pairs, and the largest peak RSS."""
    totals, extra, peaks = [], [], []
    for _ in range(runs):
        base, _ = run_once(BASE)
        total, rss = run_once(code)
        totals.append(total)
        extra.append(total - base)
        peaks.append(rss)
    return statistics.median(totals), statistics.median(extra), max(peaks)


def main():
    from quiz.proofs import available

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("names", nargs="*", default=available())
    args = parser.parse_args()
    times = [run_once(BASE) for _ in range(args.runs)]
    base, base_rss = statistics.median(t for t, _ in times), max(r for _, r in times)
    print(f"baseline `python -c \"{BASE}\"`: {base:.2f} s, {base_rss:.0f} MB  "
          f"({args.runs} runs each, each proof run paired with a baseline run; medians)")
    print(f"{'proof':<28} {'total':>7} {'beyond':>7} {'peak RSS':>9}  budget (2 s, 2 GB)")
    worst = 0.0
    for name in args.names:
        total, beyond, rss = measure(RUN.format(name=name), args.runs)
        worst = max(worst, beyond)
        ok = "✓" if beyond <= 2.0 and rss <= 2048 else "✗"
        print(f"{name:<28} {total:>6.2f}s {beyond:>6.2f}s {rss:>7.0f}MB  {ok}")
    print(f"slowest proof: {worst:.2f} s beyond the torch import; cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
