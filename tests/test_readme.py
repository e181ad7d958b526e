"""The README's commands are the ones CI runs."""

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def sh_blocks(text):
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    install_run, install_test = sh_blocks(readme)[:2]
    assert "pip install ." in install_run and "quiz start" in install_run
    assert install_test.strip() in (ROOT / ".ci" / "run").read_text()


def test_the_readme_session_is_what_quiz_prints(tmp_path):
    """The transcript at the top of the README, run again: the same screens, word for word, but for
    the Easy interval (FSRS fuzzes it, as Anki does) and the seconds the session took."""
    import os
    import subprocess
    import sys

    block = re.search(r"```console\n\$ printf '(.*?)' \| quiz (.*?)\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    keys, args, shown = block.group(1).encode().decode("unicode_escape"), block.group(2).split(), block.group(3)
    env = {**os.environ, "QUIZ_HOME": str(tmp_path / "home"), "QUIZ_NOW": "2026-12-04T02:00+00:00", "TZ": "UTC",
           "COLUMNS": "80", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "quiz", *args], input=keys, capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr

    def same(text):
        text = "\n".join(line.rstrip() for line in text.splitlines())
        return re.sub(r"time      \dm \d\ds", "time", re.sub(r"Easy \d+d", "Easy Nd", text)).strip()

    assert same(out.stdout) == same(shown)
