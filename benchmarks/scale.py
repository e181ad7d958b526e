"""Scale: a 10,000-question bank and a 100,000-review history.

Times `quiz list --due`, `quiz stats` and a session's time to first card, each
against `python -c "import typer"` in the same run. Target: ≤ 1 s each.
Then the input paths at N/2 and N questions — `quiz validate` of a bank with one bad id,
`quiz import` of a Markdown file — to show they are linear (twice the input, about twice the time).
Then the Anki round trip (needs quiz[anki]): `quiz export --with-progress` of the whole home, and
`quiz import` of a package from Anki holding it plus one review per card (half of them between
reviews quiz has, so those cards' logs are rewritten). Target: ≤ 10 s each.
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
from datetime import datetime, timedelta, timezone
from pathlib import Path


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


def timed(cmd, env, runs, stdin=None, code=0):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != code:
            raise SystemExit(f"{cmd} failed: {proc.stderr}")
    return statistics.median(times)


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
            if "1/" in line:
                times.append(time.perf_counter() - start)
                break
        proc.communicate("q\n")
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    script = shutil.which("quiz", path=os.path.dirname(sys.executable))
    quiz = [script] if script else [sys.executable, "-m", "quiz"]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        (home / "banks").mkdir(parents=True)
        t = time.perf_counter()
        make_bank(home / "banks" / "scale.yaml", args.questions)
        make_history(home, args.questions, args.reviews)
        setup = time.perf_counter() - t
        env = dict(os.environ, QUIZ_HOME=str(home), COLUMNS="120")
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: with bytecode caches
        subprocess.run(quiz + ["list", "--json"], env=env, stdout=subprocess.DEVNULL, check=True)  # warm caches
        db = sqlite3.connect(home / "quiz.db")
        n_reviews = db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        n_due = db.execute("SELECT COUNT(*) FROM cards WHERE due <= strftime('%Y-%m-%dT%H:%M:%f+00:00','now')").fetchone()[0]
        db.close()
        print(f"{args.questions:,} questions, {n_reviews:,} reviews, {n_due:,} due (setup {setup:.1f} s)")
        base = timed([sys.executable, "-c", "import typer"], env, args.runs)
        rows = [("python -c 'import typer' (baseline)", base)]
        rows.append(("quiz list --due", timed(quiz + ["list", "--due", "--deck", "scale"], env, args.runs)))
        rows.append(("quiz list --due --json", timed(quiz + ["list", "--due", "--json"], env, args.runs)))
        help_stats = subprocess.run(quiz + ["--help"], capture_output=True, text=True).stdout
        if " stats " in help_stats:
            rows.append(("quiz stats", timed(quiz + ["stats"], env, args.runs)))
        else:
            rows.append(("quiz stats (not available)", float("nan")))
        rows.append(("quiz start: time to first card", first_card(quiz + ["start", "--deck", "scale"], env, args.runs)))
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
        anki_rows = []
        try:
            import anki  # noqa: F401
        except ImportError:
            anki = None
        if anki is not None:  # the Anki round trip: each run on a copy of the home as it was
            big, phone = Path(tmp) / "big.apkg", Path(tmp) / "phone.apkg"
            runs = min(args.runs, 3)
            anki_rows.append(("quiz export --with-progress",
                              timed(quiz + ["export", "-f", "apkg", "--with-progress", "-o", str(big)], env, runs)))
            added = make_phone_package(big, phone, Path(tmp))
            shutil.copy(home / "quiz.db", Path(tmp) / "pristine.db")
            times = []
            for _ in range(runs):
                for extra in ("-wal", "-shm"):
                    (home / f"quiz.db{extra}").unlink(missing_ok=True)
                shutil.copy(Path(tmp) / "pristine.db", home / "quiz.db")
                times.append(timed(quiz + ["import", str(phone)], env, 1))
            anki_rows.append((f"quiz import (+{added:,} Anki reviews)", statistics.median(times)))
            db = sqlite3.connect(home / "quiz.db")
            gained = db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] - n_reviews
            db.close()
            if gained != added:
                raise SystemExit(f"quiz import added {gained} reviews, not {added}")
            anki_rows.append(("quiz import (the same again: adds 0)", timed(quiz + ["import", str(phone)], env, runs)))
    print(f"{'command':<36} {'median':>9} {'ratio':>7}  target ≤ 1 s")
    for label, secs in rows:
        ok = "" if label.startswith("python") else ("✓" if secs <= 1.0 else "✗")
        print(f"{label:<36} {secs * 1000:>7.0f}ms {secs / base:>6.1f}×  {ok}")
    (n1, v1, i1), (n2, v2, i2) = linear
    print()
    print(f"input paths at {n1:,} and {n2:,} questions: linear when twice the input takes about twice the time")
    print(f"{'command':<44} {n1:>7,} {n2:>7,} {'ratio':>6}")
    for label, a, b in ((f"quiz validate (1 bad id)", v1, v2), ("quiz import (Markdown, 2 per question above)", i1, i2)):
        print(f"{label:<44} {a * 1000:>5.0f}ms {b * 1000:>5.0f}ms {b / a:>5.1f}×  {'✓' if b / a < 3 else '✗'}")
    print()
    if not anki_rows:
        print("Anki round trip: not measured (Anki's library is not installed: pip install 'quiz[anki]')")
        return
    print(f"Anki round trip, {n_reviews:,} reviews of {args.questions:,} cards")
    print(f"{'command':<36} {'median':>9} {'ratio':>7}  target ≤ 10 s")
    for label, secs in anki_rows:
        print(f"{label:<36} {secs * 1000:>7.0f}ms {secs / base:>6.1f}×  {'✓' if secs <= 10.0 else '✗'}")


if __name__ == "__main__":
    main()
