"""The one exception users see: a message and an exit code, never a traceback."""


class QuizError(Exception):
    """A user-facing error. `cli.py` prints it as one line on stderr."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(QuizError):
    """Bad usage (unknown id, bad option value): exit 2."""

    exit_code = 2
