"""Text from outside (banks, files, backups) made safe and readable for the terminal: control
characters removed, `$…$` math turned into Unicode. No Rich here: the plain and --json paths use
this without paying for Rich's import."""

from __future__ import annotations

import json
import re

ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# C0 (but newline and tab), DEL, C1, and the bidi controls that reorder what a terminal shows
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# a file name's bytes that are not UTF-8 reach Python as lone surrogates: they cannot be printed as they are
SURROGATE = re.compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """Strip ANSI escape sequences and control/bidi characters (keeps newlines and tabs); a byte of a
    file name that is not UTF-8 shows as �."""
    return SURROGATE.sub("\ufffd", CONTROL.sub("", ANSI.sub("", text)))


def visible(text: str) -> str:
    """Control, escape and bidi characters shown as escapes (\\x1b, \\u202e), a file name's byte that
    is not UTF-8 as \\xff: for messages naming files, so a name with an ESC in it is shown as a name
    you can type, never obeyed by the terminal nor silently shortened (newlines and tabs stay)."""
    def escape(m):
        c = m.group()
        if "\udc80" <= c <= "\udcff":  # os.fsdecode's stand-in for an undecodable byte
            return f"\\x{ord(c) - 0xdc00:02x}"
        return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"

    return SURROGATE.sub(escape, CONTROL.sub(escape, text))


def dumps(data) -> str:
    """JSON for --json: readable Unicode, but control and bidi characters escaped (\\u202e), so
    a terminal showing it cannot be steered by them; the data round-trips unchanged."""
    escape = lambda m: f"\\u{ord(m.group()):04x}"  # noqa: E731
    return SURROGATE.sub(escape, CONTROL.sub(escape, json.dumps(data, ensure_ascii=False, indent=2)))


# -- $…$ math as Unicode, and bank text as one plain line ----------------------------------

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.M)
SUPERSCRIPT = str.maketrans("0123456789+-()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿ")
SUBSCRIPT = str.maketrans("0123456789+-()", "₀₁₂₃₄₅₆₇₈₉₊₋₍₎")

_latex = None
MATH_VERSION = 1  # bump when _convert's output changes: the disk memo is keyed by it


def code_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of the code in Markdown `text`, in order: fenced blocks (``` or ~~~ lines) and
    inline code spans (CommonMark's rule: a backtick run ends at the next run of the same length).
    Linear: backtick runs are indexed by their length, so no run is searched for twice."""
    from bisect import bisect_right

    fenced, opened = [], None
    for m in FENCE.finditer(text):  # a fence line opens; a line of the same char, as long or longer, closes
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end == -1 else line_end
        if opened is None:
            opened = (m.start(), m[1])
        elif m[1][0] == opened[1][0] and len(m[1]) >= len(opened[1]) and not text[m.end():line_end].strip():
            fenced.append((opened[0], line_end))
            opened = None
    if opened is not None:  # an unclosed fence runs to the end, as in CommonMark
        fenced.append((opened[0], len(text)))
    runs, f = [], 0
    for m in re.finditer(r"`+", text):  # backtick runs outside the fenced blocks
        while f < len(fenced) and fenced[f][1] <= m.start():
            f += 1
        if not (f < len(fenced) and fenced[f][0] <= m.start()):
            runs.append((m.start(), m.end()))
    by_length: dict[int, list[int]] = {}
    for k, (a, b) in enumerate(runs):
        by_length.setdefault(b - a, []).append(k)
    spans, k = [], 0
    while k < len(runs):
        a, b = runs[k]
        same = by_length[b - a]
        i = bisect_right(same, k)
        if i < len(same):  # the next run of the same length closes this one
            spans.append((a, runs[same[i]][1]))
            k = same[i] + 1
        else:  # no closing run: these backticks are text
            k += 1
    return sorted(spans + fenced)


def math_spans(text: str) -> list[tuple[int, int, str, bool]]:
    """(start, end, LaTeX, display) for each `$…$` and `$$…$$` span of `text` outside its code, in
    order. Inline math does not cross a line and neither starts nor ends with a space ("costs 5$ and
    6$" is not math). Linear in len(text)."""
    from bisect import bisect_left

    code = code_spans(text)
    starts = [a for a, _ in code]
    dollars = [m.start() for m in re.finditer(r"\$", text)]
    doubles = [i for i in dollars if text.startswith("$$", i)]
    out, n, pos = [], 0, 0
    while n < len(dollars):
        i = dollars[n]
        if i < pos:
            n += 1
            continue
        c = bisect_left(starts, i + 1) - 1  # the code span starting at or before i, if i is inside it
        if c >= 0 and code[c][0] <= i < code[c][1]:
            pos = code[c][1]
            continue
        if text.startswith("$$", i):
            d = bisect_left(doubles, i + 2)
            if d < len(doubles) and doubles[d] > i + 2:
                j = doubles[d]
                out.append((i, j + 2, text[i + 2:j], True))
                pos = j + 2
                continue
            n += 1
            continue
        j = dollars[n + 1] if n + 1 < len(dollars) else -1
        body = text[i + 1:j] if j != -1 else ""
        if body and "\n" not in body and not body[0].isspace() and not body[-1].isspace():
            out.append((i, j + 1, body, False))
            pos = j + 1
        n += 1
    return out


MAX_LATEX = 500  # characters of one span we convert; longer ones (or deeply nested ones) stay as typed


def _convert(latex: str) -> str | None:
    """Unicode for one LaTeX span; None: leave the span as typed (too long, too deep, or broken)."""
    global _latex
    if len(latex) > MAX_LATEX or latex.count("{") > 50:
        return None
    if _latex is None:
        from pylatexenc.latex2text import LatexNodes2Text  # ~4 ms to import: only on a memo miss

        _latex = LatexNodes2Text(math_mode="text")
    try:
        text = _latex.latex_to_text(latex)
    except (RecursionError, ValueError, IndexError, KeyError):  # hostile or broken LaTeX: shown as typed
        return None
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


def _math(latex: str) -> str | None:
    """One `$…$` span as Unicode (None: keep it as typed). Spans recur across banks and runs, so
    conversions are kept in $QUIZ_HOME/cache/math.json: `quiz list` then never imports pylatexenc
    (a miss adds the span)."""
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
        text = _convert(latex)
        if text is None:
            return None
        _memo[latex] = text
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
    """Convert only the `$…$` and `$$…$$` spans (never code) from LaTeX to Unicode."""
    if "$" not in text:
        return text
    out, last = [], 0
    for start, end, latex, _display in math_spans(text):
        converted = _math(latex)
        out += [text[last:start], text[start:end] if converted is None else converted]
        last = end
    return "".join(out) + text[last:]


def plain(text: str) -> str:
    """Bank text as one plain line: cleaned, math converted (for tables)."""
    return " ".join(math_to_unicode(clean(text)).split())


# -- messages wrapped at words, commands kept whole ---------------------------------------

# a word that goes on a command line: an option, a placeholder (N, FILE), a path, a deck/N, a setting
_COMMAND_PART = re.compile(r"-.*|[A-Z0-9][A-Z0-9_.…]*|\S*[/_.$]\S*|list|get|set|\d+|[a-z0-9]+(?:-[a-z0-9]+)+")  # … a deck


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


def slugify(title: str) -> str:
    """A deck slug from a title: "Object Detection" → "object-detection"."""
    import unicodedata

    ascii_ = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:64].strip("-")


def plural(n: int, noun: str) -> str:
    """"1 card", "2 cards": a count with its noun (a regular plural)."""
    return f"{n:,} {noun}{'s' * (n != 1)}"


def mmss(seconds: float) -> str:
    """Elapsed time as m:ss."""
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"
