"""Do the proof tests check the logic behind each verdict? Constant-verdict mutants (issue 17).

For every measured claim of every built-in proof (a `p.claim(...)` call), the condition that decides
its verdict is replaced by the constant it has today: `holds=<expr>` by `holds=True` for a claim
that holds and `holds=False` for one that fails or is overstated, and for an overstated claim also
`partly=<expr>` by `partly=True`. Each mutant is one file changed in a scratch copy of the project;
the proof's own tests and the control tests (tests/proofs/test_controls.py) then run against it.
A mutant is killed when a test fails. Target: ≥ 95% killed, per proof and overall.

Usage: python benchmarks/mutants.py [--jobs N] [names...]     (from the project's root)
"""

from __future__ import annotations

import argparse
import ast
import queue
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSTANT = {"holds": "True", "fails": "False", "overstated": "False"}


def mutants(name: str) -> list[tuple[str, int, str, str]]:
    """(description, line, keyword, constant) for each constant-verdict mutant of proof `name`."""
    sys.path.insert(0, str(ROOT))
    from quiz.proofs import load, run_proof

    result = run_proof(name)
    source = Path(load(name).__file__).read_text(encoding="utf-8")
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "claim"
             and any(k.arg == "holds" for k in node.keywords)]
    out = []
    for call in sorted(calls, key=lambda c: c.lineno):
        verdicts = {c.verdict for c, line in zip(result.claims, result.sites)
                    if call.lineno <= line <= call.end_lineno}
        keywords = {k.arg for k in call.keywords}
        for v in sorted(verdicts & set(CONSTANT)):
            out.append((f"line {call.lineno} {v}: holds={CONSTANT[v]}", call.lineno, "holds", CONSTANT[v]))
            if v == "overstated" and "partly" in keywords:
                out.append((f"line {call.lineno} {v}: partly=True", call.lineno, "partly", "True"))
    return out


def mutate(source: str, line: int, keyword: str, constant: str) -> str:
    """`source` with the keyword argument of the claim call at `line` replaced by `constant`."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.lineno == line and getattr(node.func, "attr", "") == "claim":
            for k in node.keywords:
                if k.arg == keyword:
                    k.value = ast.Constant(value=constant == "True")
            return ast.unparse(tree)
    raise LookupError(f"no claim call at line {line}")


def killed(workdir: Path, name: str, path: Path, text: str) -> bool:
    """Write the mutant into `workdir`, run the proof's tests there; True if any failed."""
    target = workdir / path.relative_to(ROOT)
    original = target.read_text(encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    try:
        tests = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "proofs").glob(f"test_{name}*.py"))
        proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests,
                               "tests/proofs/test_controls.py", "-k", name],
                              cwd=workdir, capture_output=True, text=True, timeout=900)
        return proc.returncode != 0
    finally:
        target.write_text(original, encoding="utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=1, help="scratch copies run at once")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from quiz.proofs import available, load

    names = args.names or available()
    copies = []
    for _ in range(args.jobs):
        scratch = Path(tempfile.mkdtemp(prefix="quiz-mutants-"))
        for part in ("quiz", "tests", "pyproject.toml"):
            src = ROOT / part
            (shutil.copytree if src.is_dir() else shutil.copy)(src, scratch / part)
        copies.append(scratch)
    rows, total, dead = [], 0, 0
    survivors = []
    for name in names:
        path = Path(load(name).__file__)
        source = path.read_text(encoding="utf-8")
        todo = mutants(name)
        jobs = [(d, mutate(source, line, kw, const)) for d, line, kw, const in todo]
        free = queue.Queue()  # a scratch copy serves one mutant at a time
        for scratch in copies:
            free.put(scratch)

        def run_one(text):
            scratch = free.get()
            try:
                return killed(scratch, name, path, text)
            finally:
                free.put(scratch)

        with ThreadPoolExecutor(len(copies)) as pool:
            outcome = list(pool.map(run_one, [text for _, text in jobs]))
        n, k = len(jobs), sum(outcome)
        survivors += [f"{name} {d}" for (d, _), ok in zip(jobs, outcome) if not ok]
        claims = len({line for _, line, _, _ in todo})
        rows.append((name, claims, n, k))
        total, dead = total + n, dead + k
        print(f"{name:<28} {claims:>6} {n:>7} {k:>6}  {k / n:>5.0%}" if n else f"{name:<28} {claims:>6}       0",
              flush=True, file=sys.stderr)
    for scratch in copies:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{'proof':<28} {'claims':>6} {'mutants':>7} {'killed':>6}  {'share':>5}")
    for name, claims, n, k in rows:
        print(f"{name:<28} {claims:>6} {n:>7} {k:>6}  " + (f"{k / n:>5.0%}" if n else "    –"))
    print(f"{'all':<28} {sum(r[1] for r in rows):>6} {total:>7} {dead:>6}  " + (f"{dead / total:>5.0%}" if total else "    –"))
    for s in survivors:
        print(f"survived: {s}")
    return 0 if total and dead / total >= 0.95 else 1


if __name__ == "__main__":
    raise SystemExit(main())
