"""The fast paths never import torch (it costs ~1.7 s): checked in a fresh interpreter."""

import subprocess
import sys

import pytest

PROBE = """
import sys, runpy, io
sys.argv = ["quiz"] + {args!r}
sys.stdin = io.StringIO({stdin!r})
try:
    runpy.run_module("quiz", run_name="__main__")
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "torchvision", "numpy"))
print("HEAVY:", heavy, file=sys.stderr)
"""


@pytest.mark.parametrize("args,stdin", [
    (["--help"], ""),
    (["list"], ""),
    (["list", "--json"], ""),
    (["show", "7"], ""),
    (["start", "--limit", "1"], "\n3\n"),
])
def test_no_torch_on_fast_paths(args, stdin, home):
    proc = subprocess.run([sys.executable, "-c", PROBE.format(args=args, stdin=stdin)],
                          capture_output=True, text=True, timeout=60)
    assert "HEAVY: []" in proc.stderr, proc.stderr[-2000:]


def test_the_probe_can_see_torch(home):
    # the same probe does report torch when a proof runs: the check above can fail
    proc = subprocess.run([sys.executable, "-c", PROBE.format(args=["prove", "19", "--json"], stdin="")],
                          capture_output=True, text=True, timeout=120)
    assert "'torch'" in proc.stderr, proc.stderr[-2000:]


SLOW = ("pylatexenc.latex2text", "rich.markdown", "rich._emoji_codes", "_hashlib", "quiz.proofs")
PROBE_SLOW = PROBE.replace('("torch", "torchvision", "numpy")', "()") + f"""
print("SLOW:", sorted(m for m in {SLOW!r} if m in sys.modules), file=sys.stderr)
"""


def probe_slow(args, stdin=""):
    proc = subprocess.run([sys.executable, "-c", PROBE_SLOW.format(args=args, stdin=stdin)],
                          capture_output=True, text=True, timeout=60)
    return proc.stderr.split("SLOW:")[-1].strip()


def test_list_skips_what_it_does_not_need(home):
    """What `quiz list` leaves out to start fast (benchmarks/startup.py): LaTeX spans come from the
    math memo, Markdown is not drawn, ids are not hashed, no proof code, no emoji table."""
    probe_slow(["list"])  # the first run converts the math and writes the memo and the bank cache
    assert probe_slow(["list"]) == "[]"


def test_the_first_card_is_drawn_without_markdown_or_proof_modules(home):
    # a piped session: the first card's question is plain text; the answer (a Markdown list) needs rich.markdown
    probe_slow(["list"])
    assert probe_slow(["start", "--limit", "1"], "q\n") == "[]"
    assert "rich.markdown" in probe_slow(["start", "--limit", "1"], "\n3\n")  # the probe does see it


def test_a_corrupt_math_memo_is_converted_again(home):
    probe_slow(["list"])
    memo = home / "cache" / "math.json"
    assert "1×1" in memo.read_text(encoding="utf-8")
    memo.write_text('{"version": [1, "x"], "spans": {"1 \\\\times 1": "WRONG"}}', encoding="utf-8")
    assert "pylatexenc.latex2text" in probe_slow(["list"])  # another version's memo is not trusted
    memo.write_text("{not json", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "quiz", "list"], capture_output=True, text=True, timeout=60).stdout
    assert "1×1" in out and "WRONG" not in out
