"""The installed `quiz` works from any directory and carries its banks."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = shutil.which("quiz", path=os.path.dirname(sys.executable))


@pytest.mark.skipif(SCRIPT is None, reason="quiz is not installed in this environment")
def test_installed_quiz_lists_the_builtin_bank_from_elsewhere(tmp_path):
    env = dict(os.environ, QUIZ_HOME=str(tmp_path / "home"))
    env.pop("PYTHONPATH", None)
    out = subprocess.run([SCRIPT, "list", "--json"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True).stdout
    assert [r["id"] for r in json.loads(out)] == list(range(1, 21))
    where = subprocess.run([sys.executable, "-c", "import quiz.bank as b; print(b.builtin_dir())"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert (Path(where) / "modern-backbones.yaml").is_file()


def test_python_dash_m_quiz(tmp_path):
    env = dict(os.environ, QUIZ_HOME=str(tmp_path / "home"))
    proc = subprocess.run([sys.executable, "-m", "quiz", "show", "1", "--json"], env=env, capture_output=True,
                          text=True, cwd=Path(__file__).parent.parent)
    assert proc.returncode == 0 and json.loads(proc.stdout)["id"] == 1
