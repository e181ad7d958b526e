"""Starting `quiz` quickly and safely, before any command runs: the process's environment checked,
and Typer made to build only the command asked for. Used by quiz/cli.py's main()."""

from __future__ import annotations

import os
import sys


def unusable_environment() -> str | None:
    """What makes this process unable to run a command, as one line, or None. A closed stdin reads as an
    empty pipe; a closed stdout or a TZ no clock can use is an error."""
    if sys.stdin is None:  # started with stdin closed (<&-): as an empty pipe
        sys.stdin = open(os.devnull)
    if sys.stdout is None:  # started with stdout closed (>&-): nowhere to show anything
        return "cannot write the output: standard output is closed"
    from datetime import datetime

    try:
        datetime.now().astimezone()
    except ValueError:
        return (f"TZ={os.environ.get('TZ', '')!r} is not a usable time zone (offsets are within ±24 h); "
                "unset TZ or give a name such as TZ=Europe/Paris")
    return None


def help_with_settings(option) -> None:
    """`quiz start --help` shows the new-card limit in force now (read only when help is asked for):
    `option` is start's --new option."""
    from quiz import config
    from quiz.errors import QuizError

    try:
        settings = config.load()
    except QuizError:
        return
    by_deck = ", ".join(f"{d}: {n}" for d, n in settings["new_per_day_by_deck"].items())
    option.help = (f"Study this many new cards now, whatever today's limit has used (default: new_per_day, "
                   f"now {settings['new_per_day']} a day" + (f"; {by_deck}" if by_deck else "") + ").")


def only_the_command_asked_for(app, args: list[str]) -> None:
    """Typer turns every registered command into a Click command on each run (~8 ms for the 24
    here, a tenth of `quiz list`); when the first word names a command, build that one only
    (Click's "lazily loading subcommands" idea). `quiz --help`, unknown words and shell
    completion keep the full set."""
    words = [a for a in args if not a.startswith("-")]
    if not words or any(k.startswith("_QUIZ_COMPLETE") or k == "_TYPER_COMPLETE_ARGS" for k in os.environ):
        return
    first = words[0]
    commands = [c for c in app.registered_commands if c.name == first]
    groups = [g for g in app.registered_groups if g.name == first]
    if commands or groups:
        app.registered_commands[:] = commands
        app.registered_groups[:] = groups
