"""Cleaning text from outside (banks, files, backups) for the terminal. No Rich here: the plain
and --json paths use this without paying for Rich's import."""

from __future__ import annotations

import json
import re

ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# C0 (but newline and tab), DEL, C1, and the bidi controls that reorder what a terminal shows
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Strip ANSI escape sequences and control/bidi characters (keeps newlines and tabs)."""
    return CONTROL.sub("", ANSI.sub("", text))


def dumps(data) -> str:
    """JSON for --json: readable Unicode, but control and bidi characters escaped (\\u202e), so
    a terminal showing it cannot be steered by them; the data round-trips unchanged."""
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, ensure_ascii=False, indent=2))
