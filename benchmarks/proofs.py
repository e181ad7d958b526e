"""Time and memory of every proof, each in a fresh interpreter.

Budget per proof: ≤ 2 s of wall time beyond `python -c "import torch, torchvision"`
(measured in this same run, as the baseline) and ≤ 2 GB peak RSS, on this machine's CPUs — both
for the proof alone (`quiz prove N`) and with its control runs (`quiz prove N --control`).
Then the first `p` of a session, cold (no worker: the session process imports torch, torchvision
and the proof when `p` is pressed) against warm (the background worker `quiz start` starts on a
terminal, after the learner has read the card for --read seconds): wall time from the request to
the result, and that time beyond the proof's own compute time (target: warm < 0.3 s beyond).
Usage: python benchmarks/proofs.py [--runs N] [--read S] [--latency-only] [names...]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's quiz, not an older one installed in the venv
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))  # and the children's

BASE = "import torch, torchvision"
RUN = BASE + "; from quiz.proofs import run_proof; run_proof({name!r}, controls={controls})"


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


COLD = ("import time, json; t = time.perf_counter(); from quiz.proofs import run_proof; "
        "r = run_proof({name!r}); print(json.dumps([time.perf_counter() - t, r.seconds]))")


def first_p(name, read):
    """(cold wall, cold own, warm wall, warm own) seconds of the first `p` on proof `name`."""
    import json

    from quiz.proofs.worker import Worker

    out = subprocess.run([sys.executable, "-c", COLD.format(name=name)], capture_output=True, text=True, check=True)
    cold, cold_own = json.loads(out.stdout)
    worker = Worker()
    try:
        worker.prepare(name)
        time.sleep(read)  # the learner reads the card; the worker imports meanwhile
        start = time.perf_counter()
        result = worker.run(name)
        warm = time.perf_counter() - start
    finally:
        worker.close()
    return cold, cold_own, warm, result.seconds


def latency(names, read):
    print()
    print(f"first `p` of a session: cold (imports on the keypress) vs warm (worker, after {read:g} s of reading)")
    print(f"{'proof':<28} {'cold':>7} {'warm':>7} {'ratio':>6} {'warm beyond proof':>18}")
    worst = 0.0
    for name in names:
        cold, _, warm, own = first_p(name, read)
        worst = max(worst, warm - own)
        print(f"{name:<28} {cold:>6.2f}s {warm:>6.2f}s {cold / warm:>5.1f}× {warm - own:>17.2f}s")
    print(f"warm: at most {worst:.2f} s beyond the proof's own time (target 0.3 s)")


def main():
    from quiz.proofs import available

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--read", type=float, default=5.0, help="seconds the learner reads before p (warm)")
    parser.add_argument("--latency-only", action="store_true")
    parser.add_argument("names", nargs="*", default=available())
    args = parser.parse_args()
    if args.latency_only:
        return latency(args.names, args.read)
    times = [run_once(BASE) for _ in range(args.runs)]
    base, base_rss = statistics.median(t for t, _ in times), max(r for _, r in times)
    print(f"baseline `python -c \"{BASE}\"`: {base:.2f} s, {base_rss:.0f} MB  "
          f"({args.runs} runs each, each proof run paired with a baseline run; medians)")
    print(f"{'':<28} {'the proof':>25}  {'with its controls':>25}")
    print(f"{'proof':<28} {'total':>7} {'beyond':>7} {'peak RSS':>9}  {'total':>7} {'beyond':>7} {'peak RSS':>9}"
          "  budget (2 s, 2 GB)")
    worst = worst_controls = 0.0
    for name in args.names:
        total, beyond, rss = measure(RUN.format(name=name, controls=False), args.runs)
        c_total, c_beyond, c_rss = measure(RUN.format(name=name, controls=True), args.runs)
        worst, worst_controls = max(worst, beyond), max(worst_controls, c_beyond)
        ok = "✓" if max(beyond, c_beyond) <= 2.0 and max(rss, c_rss) <= 2048 else "✗"
        print(f"{name:<28} {total:>6.2f}s {beyond:>6.2f}s {rss:>7.0f}MB  {c_total:>6.2f}s {c_beyond:>6.2f}s "
              f"{c_rss:>7.0f}MB  {ok}", flush=True)
    print(f"slowest beyond the torch import: {worst:.2f} s alone, {worst_controls:.2f} s with its controls; "
          f"cores: {os.cpu_count()}")
    latency(args.names, args.read)


if __name__ == "__main__":
    main()
