"""Scale: a 10,000-question bank and a 100,000-review history (issue 18's scale section).

One table: each command of the section, its median time and peak memory (the largest resident set
of its runs) beside its target, and its ratio to `python -c "import typer"` measured in the same run.
Targets: list, stats and the first card ≤ 1 s; the review log as CSV ≤ 3 s; an Anki package
≤ 10 s; a JSON backup and a restore ≤ 3 s and ≤ 150 MB; `quiz optimize` on the whole log
≤ 30 s and ≤ 150 MB. ROWS lists the rows: a change that measures another command appends a
Row (or fills a placeholder's `measure`), and the table shows it.
Then the input paths at N/2 and N questions — `quiz validate` of a bank with one bad id,
`quiz import` of a Markdown file — to show they are linear (twice the input, about twice the time).
Then the Anki round trip (needs quiz[anki]): `quiz export --with-progress` of the whole home, and
`quiz import` of a package from Anki holding it plus one review per card (half of them between
reviews quiz has, so those cards' logs are rewritten). Target: ≤ 10 s each.
The checkout's quiz is measured (this folder's parent on PYTHONPATH), not an installed one.
Usage: python benchmarks/scale.py [--questions N] [--reviews N] [--runs N]
"""

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parent.parent


def make_bank(path: Path, n: int) -> None:
    lines = ["deck: scale", "title: Scale test", "questions:"]
    for i in range(1, n + 1):
        lines += [f"  - id: {i}", f"    question: 'Question {i}: why does $3 \\times 3$ matter in block {i}?'",
                  f"    tags: [t{i % 7}, scale]", "    answer:",
                  f"      - '**Point {i}.a**: a bullet with `code` and $x_{i % 10}$.'",
                  f"      - 'Point {i}.b: another bullet of ordinary length for a realistic answer.'"]
    path.write_text("\n".join(lines) + "\n")


def make_history(home: Path, n_questions: int, n_reviews: int) -> None:
    """Simulate reviews with fsrs and bulk-insert them (setup only, not the product's write path)."""
    from fsrs import Card, Rating, Scheduler

    from quiz.store import Store, card_id, iso

    rng = random.Random(0)
    random.seed(0)
    s = Scheduler()
    now = datetime.now(timezone.utc)
    store = Store(home / "quiz.db")
    per_card = max(1, n_reviews // n_questions)
    reviews, cards = [], []
    for qid in range(1, n_questions + 1):
        t = now - timedelta(days=365)
        card, before = Card(card_id=card_id("scale", qid), due=t), None
        for _ in range(per_card):
            rating = rng.choices([1, 2, 3, 4], weights=[1, 2, 6, 1])[0]
            after, _ = s.review_card(card, Rating(rating), t)
            reviews.append((after.card_id, "scale", qid, rating, iso(t), rng.randint(2000, 20000), "review",
                            None if before is None else int(before.state), int(after.state),
                            None if before is None else before.to_json(), after.to_json()))
            before = card = after
            t = max(t + timedelta(minutes=10), after.due + timedelta(hours=rng.randint(0, 72)))
            if t > now - timedelta(days=1):  # keep the history before today: today's limits stay fresh
                t = now - timedelta(days=1, minutes=rng.randint(1, 6000))
        cards.append((card.card_id, "scale", qid, card.to_json(), int(card.state), iso(card.due), card.stability,
                      card.difficulty))
    with store.db:
        store.db.execute("BEGIN")
        store.db.executemany("INSERT INTO reviews (card_id, deck, qid, rating, reviewed_at, duration_ms, kind,"
                             " state_before, state_after, before_json, after_json) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                             reviews)
        store.db.executemany("INSERT INTO cards (card_id, deck, qid, card_json, state, due, stability, difficulty)"
                             " VALUES (?,?,?,?,?,?,?,?)", cards)
        store.db.execute("COMMIT")
    store.close()


# Runs a command's Python and, at exit, writes its peak resident memory (VmHWM: this program's own,
# not the benchmark's pages that a fork copies and the kernel's ru_maxrss counts) and the CPU seconds
# it used to $SCALE_PEAK_FILE. CPU time hardly moves when the machine is busy; wall time does.
PEAK = """
import atexit, os, runpy, sys
def _peak(path=os.environ.pop("SCALE_PEAK_FILE")):
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    with open(path, "w") as out:
        out.write(f"{kb} {sum(os.times()[:2])}")
atexit.register(_peak)
if sys.argv[1] == "-c":
    sys.argv = ["-c", *sys.argv[3:]]
    exec(compile(CODE, "<string>", "exec"), {"__name__": "__main__"})
else:
    sys.argv = sys.argv[1:]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


def run_once(cmd, env, stdin=None, code=0) -> tuple[float, float | None, float | None]:
    """Seconds, peak resident memory (MB) and CPU seconds of one run of `cmd` ([python, -m, module,
    ...] or [python, -c, code]); memory and CPU are None where /proc is missing."""
    peak_file = Path(tempfile.mkstemp(prefix="scale-peak-")[1])
    wrapped = cmd
    if Path("/proc/self/status").exists() and cmd[0] == sys.executable and cmd[1] in ("-m", "-c"):
        body = PEAK.replace("CODE", repr(cmd[2] if cmd[1] == "-c" else ""))
        wrapped = [sys.executable, "-c", body, *(["-c", "_"] if cmd[1] == "-c" else [cmd[2]]), *cmd[3:]]
        env = dict(env, SCALE_PEAK_FILE=str(peak_file))
    start = time.perf_counter()
    proc = subprocess.run(wrapped, env=env, input=stdin, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != code:
        raise SystemExit(f"{cmd} failed: {proc.stderr[-2000:]}")
    text = peak_file.read_text().split()
    peak_file.unlink()
    return seconds, int(text[0]) / 1024 if text else None, float(text[1]) if text else None


def measure(cmd, env, runs, stdin=None, code=0, before_each=None) -> tuple[float, float | None, float | None]:
    """Median seconds, the largest peak memory (MB) and the median CPU seconds over `runs` runs;
    `before_each()` resets state."""
    times, peaks, cpus = [], [], []
    for _ in range(runs):
        if before_each:
            before_each()
        seconds, peak, cpu = run_once(cmd, env, stdin, code)
        times.append(seconds)
        peaks.append(peak)
        cpus.append(cpu)
    return (statistics.median(times), None if None in peaks else max(peaks),
            None if None in cpus else statistics.median(cpus))


def timed(cmd, env, runs, stdin=None, code=0):
    return measure(cmd, env, runs, stdin, code)[0]


def make_markdown(path: Path, n: int) -> None:
    lines = ["# Day 99: Scale Import - Interview Questions", ""]
    for i in range(1, n + 1):
        lines += [f"### {i}. Why does block {i} use a $3 \\times 3$ conv?", "", "**Answer:**",
                  f"- **Point {i}.a**: a bullet of ordinary length.", f"- Point {i}.b: another one.", ""]
    path.write_text("\n".join(lines))


def first_card(cmd, env, runs):
    """Seconds from launch until the first question panel is printed (then quit)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for line in proc.stdout:
            if line.startswith("╭─"):  # the question panel's top border
                times.append(time.perf_counter() - start)
                break
        proc.communicate("q\n")
        if len(times) < _ + 1:
            raise SystemExit(f"no card from {' '.join(cmd)} (exit {proc.returncode})")
    return statistics.median(times)


@dataclass
class Context:
    quiz: list[str]          # the command that runs quiz
    env: dict                # QUIZ_HOME is the scale home
    home: Path
    tmp: Path
    runs: int


@dataclass
class Row:
    label: str
    seconds: float                                   # target: at most this many seconds
    megabytes: Optional[float] = None                # target: at most this peak memory, if any
    measure: Optional[Callable[[Context], tuple]] = None  # → (median s, peak MB, CPU s): None if not known
    owner: str = ""                                  # who fills a row not measured yet


def make_phone_package(exported: Path, out: Path, folder: Path) -> int:
    """What comes back from a phone: the exported package in a fresh Anki collection, plus one review
    per card (setup only: written straight into Anki's revlog) — half of them a minute before the
    card's last review, half after it. Returns the number of reviews added."""
    from anki.collection import (Collection, ExportAnkiPackageOptions, ImportAnkiPackageOptions,
                                 ImportAnkiPackageRequest)

    col = Collection(str(folder / "phone.anki2"))
    options = ImportAnkiPackageOptions(with_scheduling=True)
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(exported), options=options))
    rng = random.Random(1)
    rows, used = [], set(col.db.list("SELECT id FROM revlog"))
    for n, (cid, last) in enumerate(col.db.all("SELECT cid, MAX(id) FROM revlog GROUP BY cid")):
        at = last - 60_000 if n % 2 else last + 3_600_000
        while at in used:  # revlog ids are unique
            at += 1
        used.add(at)
        rows.append((at, cid, -1, rng.choice([1, 3, 3, 4]), 0, 0, 0, rng.randint(2000, 20000), 1))
    col.db.executemany("INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)"
                       " VALUES (?,?,?,?,?,?,?,?,?)", rows)
    col.export_anki_package(out_path=str(out), limit=None, options=ExportAnkiPackageOptions(
        with_scheduling=True, with_deck_configs=False, with_media=False, legacy=False))
    col.close()
    return len(rows)


def pristine(ctx: Context):
    """A function that puts the scale home's database back as it was before the first run."""
    saved = ctx.tmp / "pristine.db"
    if not saved.exists():
        shutil.copy(ctx.home / "quiz.db", saved)

    def reset():
        for extra in ("-wal", "-shm"):
            (ctx.home / f"quiz.db{extra}").unlink(missing_ok=True)
        shutil.copy(saved, ctx.home / "quiz.db")

    return reset


def restore_row(ctx: Context, force: bool):
    """quiz restore of the backup the row above wrote: into a fresh home, or over a full one (--force)."""
    backup = ctx.tmp / "backup.json"
    if not backup.exists():
        subprocess.run(ctx.quiz + ["export", "-f", "json", "-o", str(backup)], env=ctx.env, check=True)
    target = ctx.tmp / "restored"

    def fresh():
        shutil.rmtree(target, ignore_errors=True)
        if force:  # a home with the same progress in it, to be replaced
            subprocess.run(ctx.quiz + ["restore", str(backup)], env=dict(ctx.env, QUIZ_HOME=str(target)),
                           check=True, capture_output=True)

    env = dict(ctx.env, QUIZ_HOME=str(target))
    return measure(ctx.quiz + ["restore", str(backup)] + (["--force"] if force else []), env, few(ctx),
                   before_each=fresh)


def anki_rows(ctx: Context) -> list[Row]:
    """The Anki round trip, if Anki's library is installed: export with progress, then the import of
    what a phone sends back (run on a copy of the home as it was), then the same import again."""
    try:
        import anki  # noqa: F401
    except ImportError:
        return []
    big, phone = ctx.tmp / "big.apkg", ctx.tmp / "phone.apkg"
    export = measure(ctx.quiz + ["export", "-f", "apkg", "--with-progress", "-o", str(big)], ctx.env, few(ctx))
    added = make_phone_package(big, phone, ctx.tmp)
    first = measure(ctx.quiz + ["import", str(phone)], ctx.env, few(ctx), before_each=pristine(ctx))
    again = measure(ctx.quiz + ["import", str(phone)], ctx.env, few(ctx))
    return [Row("quiz export --with-progress", 10.0, measure=lambda c: export),
            Row(f"quiz import (+{added:,} Anki reviews)", 10.0, measure=lambda c: first),
            Row("quiz import (the same again: adds 0)", 10.0, measure=lambda c: again)]


def few(ctx: Context) -> int:
    return min(ctx.runs, 3)  # the slow rows


# The rows of issue 18's scale section, in the order printed. To add a command, append a Row; to
# measure a placeholder, set its `measure` (a function of the Context returning the median seconds,
# the peak MB and the median CPU seconds, either of the last two None if not known: `measure()` above
# gives all three).
ROWS: list[Row] = [
    Row("quiz list", 1.0, measure=lambda c: measure(c.quiz + ["list"], c.env, c.runs)),
    Row("quiz list --due", 1.0, measure=lambda c: measure(c.quiz + ["list", "--due", "--deck", "scale"], c.env, c.runs)),
    Row("quiz list --due --json", 1.0, measure=lambda c: measure(c.quiz + ["list", "--due", "--json"], c.env, c.runs)),
    Row("quiz stats", 1.0, measure=lambda c: measure(c.quiz + ["stats"], c.env, c.runs)),
    Row("quiz start: time to first card", 1.0,
        measure=lambda c: (first_card(c.quiz + ["start", "--deck", "scale"], c.env, c.runs), None, None)),
    Row("quiz export -f csv", 3.0, measure=lambda c: measure(c.quiz + ["export", "-f", "csv"], c.env, c.runs)),
    Row("quiz export -f apkg", 10.0, measure=lambda c: measure(
        c.quiz + ["export", "-f", "apkg", "-o", str(c.tmp / "scale.apkg")], c.env, few(c))),
    Row("quiz export -f json (backup)", 3.0, 150, measure=lambda c: measure(
        c.quiz + ["export", "-f", "json", "-o", str(c.tmp / "backup.json")], c.env, few(c))),
    Row("quiz restore (into an empty home)", 3.0, 150, measure=lambda c: restore_row(c, force=False)),
    Row("quiz restore --force", 3.0, 150, measure=lambda c: restore_row(c, force=True)),
    Row("quiz optimize", 30.0, 150, measure=lambda c: measure(c.quiz + ["optimize"], c.env, few(c),
                                                              before_each=pristine(c))),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    quiz = [sys.executable, "-m", "quiz"]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        (home / "banks").mkdir(parents=True)
        t = time.perf_counter()
        make_bank(home / "banks" / "scale.yaml", args.questions)
        make_history(home, args.questions, args.reviews)
        setup = time.perf_counter() - t
        env = dict(os.environ, QUIZ_HOME=str(home), COLUMNS="120",
                   PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: with bytecode caches
        subprocess.run(quiz + ["list", "--json"], env=env, stdout=subprocess.DEVNULL, check=True)  # warm caches
        db = sqlite3.connect(home / "quiz.db")
        n_reviews = db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        n_due = db.execute("SELECT COUNT(*) FROM cards WHERE due <= strftime('%Y-%m-%dT%H:%M:%f+00:00','now')").fetchone()[0]
        db.close()
        print(f"{args.questions:,} questions, {n_reviews:,} reviews, {n_due:,} due (setup {setup:.1f} s)")
        ctx = Context(quiz, env, home, Path(tmp), args.runs)
        base, base_mb, base_cpu = measure([sys.executable, "-c", "import typer"], env, args.runs)
        measured = [(row, row.measure(ctx) if row.measure else None) for row in ROWS]
        measured += [(row, row.measure(ctx)) for row in anki_rows(ctx)]
        # every input path is linear: a bank with one bad id (each question checked alone), a big import
        linear = []
        for n in (args.questions // 2, args.questions):
            bad = Path(tmp) / f"bad{n}.yaml"
            make_bank(bad, n)
            bad.write_text(bad.read_text().replace("  - id: 5\n", "  - id: five\n", 1))
            md = Path(tmp) / f"big{n}.md"
            make_markdown(md, 2 * n)
            imp = dict(env, QUIZ_HOME=str(Path(tmp) / f"import-home{n}"))
            linear.append((n, timed(quiz + ["validate", str(bad)], env, args.runs, code=1),
                           timed(quiz + ["import", str(md), "--force"], imp, args.runs)))
    def show(value, unit, scale=1):
        return "—" if value is None else f"{value * scale:.0f}{unit}"

    print(f"{'command':<34} {'median':>8} {'ratio':>6} {'cpu':>7} {'peak':>6}  target")
    print(f"{'python -c import typer (baseline)':<34} {show(base, 'ms', 1000):>8} {'1.0×':>6} "
          f"{show(base_cpu, 'ms', 1000):>7} {show(base_mb, 'MB'):>6}")
    for row, result in measured:
        target = f"≤ {row.seconds:g} s" + (f", ≤ {row.megabytes:g} MB" if row.megabytes else "")
        if result is None:
            print(f"{row.label:<34} {'—':>8} {'—':>6} {'—':>7} {'—':>6}  {target:<16} ({row.owner or 'not measured'})")
            continue
        secs, mb, cpu = result
        ok = secs <= row.seconds and (row.megabytes is None or mb is None or mb <= row.megabytes)
        print(f"{row.label:<34} {show(secs, 'ms', 1000):>8} {secs / base:>5.1f}× {show(cpu, 'ms', 1000):>7} "
              f"{show(mb, 'MB'):>6}  {target:<16} {'✓' if ok else '✗'}")
    (n1, v1, i1), (n2, v2, i2) = linear
    print()
    print(f"input paths at {n1:,} and {n2:,} questions: linear when twice the input takes about twice the time")
    print(f"{'command':<44} {n1:>7,} {n2:>7,} {'ratio':>6}")
    for label, a, b in (("quiz validate (1 bad id)", v1, v2), ("quiz import (Markdown, 2 per question above)", i1, i2)):
        print(f"{label:<44} {a * 1000:>5.0f}ms {b * 1000:>5.0f}ms {b / a:>5.1f}×  {'✓' if b / a < 3 else '✗'}")


if __name__ == "__main__":
    main()
