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
