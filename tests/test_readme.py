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
