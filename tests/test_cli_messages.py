"""Small things that tell the user what happened or what to do (issue 13 §4)."""

import os

import pytest
from typer.testing import CliRunner

from quiz.cli import app

runner = CliRunner()


def quiz(home, *args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input, env={"QUIZ_HOME": str(home)})


def test_default_deck_must_exist(home):
    result = quiz(home, "config", "set", "default_deck", "nosuch")
    assert result.exit_code == 2 and "no deck 'nosuch' (decks: modern-backbones)" in result.stderr
    assert not (home / "config.toml").exists()
    assert quiz(home, "config", "set", "default_deck", "modern-backbones").exit_code == 0


def test_list_due_with_nothing_due_says_so(home):
    result = quiz(home, "list", "--due")
    assert result.exit_code == 0 and result.stdout.startswith("Nothing due now.")
    quiz(home, "start", "--limit", "1", input="\n4\n")
    result = quiz(home, "list", "--due")
    assert "the next review is due in" in result.stdout


def test_export_warns_when_the_name_says_another_format(home, tmp_path):
    result = quiz(home, "export", "--format", "apkg", "-o", tmp_path / "out.csv")
    assert result.exit_code == 0 and "warning: writing apkg to" in result.stderr
    assert "warning" not in quiz(home, "export", "-o", tmp_path / "out.apkg").stderr


def test_import_of_a_yaml_bank_points_to_bank(home):
    result = quiz(home, "import", "questions/modern-backbones.yaml")
    assert result.exit_code == 2 and "--bank" in result.stderr and "$QUIZ_HOME/banks" in result.stderr


def test_deck_help_is_about_decks(home):
    for command in ("list", "stats", "mock", "start"):
        assert "bare question number" not in quiz(home, command, "--help").stdout


def test_help_summaries_are_whole(home):
    out = quiz(home, "--help").stdout + quiz(home, "config", "--help").stdout
    summaries = [line for line in out.splitlines() if line.startswith("  ") and not line.lstrip().startswith("-")]
    assert summaries and not any(line.rstrip().endswith("...") or "(e.g." in line for line in summaries)


def test_start_help_shows_the_limit_in_force(home):
    import subprocess
    import sys

    quiz(home, "config", "set", "new_per_day", "3")
    out = subprocess.run([sys.executable, "-m", "quiz", "start", "--help"], capture_output=True, text=True,
                         env={"QUIZ_HOME": str(home), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}).stdout
    assert "now 3 a day" in out


@pytest.mark.parametrize("args", [["list", "--help"], ["export", "-h"], ["config", "--help"], ["config", "set", "--help"],
                                  ["--debug", "show", "--help"], ["--help"]])
def test_building_only_the_command_asked_for_changes_no_output(args, home):
    """main() builds just the named command (startup); what a user sees is what the full app gives."""
    import subprocess
    import sys

    def run(*command):
        return subprocess.run([sys.executable, *command, *args], capture_output=True, text=True,
                              env={**os.environ, "COLUMNS": "80"}, timeout=60)

    real = run("-m", "quiz")
    full = run("-c", "import sys; from quiz.cli import app; app(sys.argv[1:], prog_name='quiz')")  # every command built
    assert real.returncode == full.returncode == 0
    assert real.stdout == full.stdout and "Usage: quiz" in real.stdout


def test_an_unknown_command_still_gets_clicks_error(home):
    import subprocess
    import sys

    real = subprocess.run([sys.executable, "-m", "quiz", "lst"], capture_output=True, text=True, timeout=60)
    assert real.returncode == 2 and "No such command 'lst'" in real.stderr
