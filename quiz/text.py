"""Text from outside (banks, files, backups) made safe and readable for the terminal: control
characters removed, `$…$` math turned into Unicode. No Rich here: the plain and --json paths use
this without paying for Rich's import."""

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


# -- $…$ math as Unicode, and bank text as one plain line ----------------------------------

CODE_OR_MATH = re.compile(r"(`+)(?:.+?)\1|\$(?!\s)([^$\n]+?)(?<!\s)\$")
SUPERSCRIPT = str.maketrans("0123456789+-()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿ")
SUBSCRIPT = str.maketrans("0123456789+-()", "₀₁₂₃₄₅₆₇₈₉₊₋₍₎")

_latex = None
MATH_VERSION = 1  # bump when _convert's output changes: the disk memo is keyed by it


def _convert(latex: str) -> str:
    global _latex
    if _latex is None:
        from pylatexenc.latex2text import LatexNodes2Text  # ~4 ms to import: only on a memo miss

        _latex = LatexNodes2Text(math_mode="text")
    text = _latex.latex_to_text(latex)
    text = re.sub(r"\s*([×·])\s*", r"\1", text)  # 3 ×3 → 3×3, x ·σ → x·σ
    text = re.sub(r"\s*([→≈≤≥≠⇒])\s*", r" \1 ", text).strip()  # →3 → " → 3"
    text = text.replace("ϕ", "φ")
    text = re.sub(r"\^\{?([0-9+\-()n]+)\}?", lambda m: m[1].translate(SUPERSCRIPT), text)
    text = re.sub(r"_\{?([0-9+\-()]+)\}?", lambda m: m[1].translate(SUBSCRIPT), text)
    return text


_memo: dict | None = None


def _memo_file():
    from quiz.files import home

    return home() / "cache" / "math.json"


def _math(latex: str) -> str:
    """One `$…$` span as Unicode. Spans recur across banks and runs, so conversions are kept in
    $QUIZ_HOME/cache/math.json: `quiz list` then never imports pylatexenc (a miss adds the span)."""
    global _memo
    import json

    if _memo is None:
        try:
            data = json.loads(_memo_file().read_text(encoding="utf-8"))
            _memo = data["spans"] if data.get("version") == [MATH_VERSION, _pylatexenc_version()] else {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            _memo = {}
    text = _memo.get(latex)
    if not isinstance(text, str):
        text = _memo[latex] = _convert(latex)
        _save_memo(json)
    return text


def _pylatexenc_version() -> str:
    import pylatexenc  # its version only (0.2 ms), not the converter

    return pylatexenc.__version__


def _save_memo(json) -> None:
    import os

    target = _memo_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": [MATH_VERSION, _pylatexenc_version()], "spans": _memo},
                                  ensure_ascii=False), encoding="utf-8")
        tmp.replace(target)
    except OSError:
        pass  # a memo we cannot write only costs speed


def math_to_unicode(text: str) -> str:
    """Convert only the `$…$` spans (never code spans) from LaTeX to Unicode."""
    return CODE_OR_MATH.sub(lambda m: m[0] if m[1] else _math(m[2]), text)


def plain(text: str) -> str:
    """Bank text as one plain line: cleaned, math converted (for tables)."""
    return " ".join(math_to_unicode(clean(text)).split())


# -- messages wrapped at words, commands kept whole ---------------------------------------

# a word that goes on a command line: an option, a placeholder (N, FILE), a path, a deck/N, a setting
_COMMAND_PART = re.compile(r"-.*|[A-Z0-9][A-Z0-9_.…]*|\S*[/_.$]\S*|list|get|set|\d+")


def _cells(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def _chunks(words: list[str]) -> list[str]:
    """Words, with each command (`quiz start --cram`, `quiz config set reviews_per_day N`) glued into
    one chunk, so no line break falls inside it."""
    out, i = [], 0
    while i < len(words):
        w = words[i]
        if w.strip("`(") in ("quiz", "$EDITOR") and i + 1 < len(words) and w[-1:].isalnum():
            j = i + 2  # quiz and its command
            while j < len(words) and not words[j - 1][-1:] in ",;:.)`" and _COMMAND_PART.fullmatch(words[j].rstrip(",;:.)`")):
                j += 1
            out.append(" ".join(words[i:j]))
            i = j
        else:
            out.append(w)
            i += 1
    return out


def wrap(text: str, width: int, indent: int = 2) -> str:
    """`text` broken into lines of at most `width` cells at spaces, never inside a word or a command;
    lines after the first of each paragraph indented by `indent` (a hanging indent). A chunk
    longer than a line (a long path) has a line of its own."""
    lines = []
    for para in text.split("\n"):
        line, room = "", width
        for chunk in _chunks(para.split(" ")):
            if not line:
                line = chunk
            elif _cells(line) + 1 + _cells(chunk) <= room:
                line += " " + chunk
            else:
                lines.append(line)
                line, room = " " * indent + chunk, width
        lines.append(line)
    return "\n".join(lines)
