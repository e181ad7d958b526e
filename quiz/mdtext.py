"""Single lines of interview-question Markdown, read and written: a heading's `Q1.` prefix, answer
markers, bold question lines, whether a line reads as a question, links and images as text a terminal
shows, HTML as text, and the escapes `quiz export --format md` writes so a bank's text comes back.
The block structure of a whole file is quiz/markdown.py's; both use markdown-it-py, through _parser()."""

from __future__ import annotations

import re

from quiz.text import code_spans, slugify

HEADING_LINE = re.compile(r"#{1,6}(?:\s|\Z)")
LIST_ITEM = re.compile(r"( *)([*+-]|\d{1,9}[.)])([ \t]+|\Z)")

# `Q1.`, `Q:`, `Question 3:`, `Q1.1:`, `1.`, `1)`, `1.2` before a heading's text
PREFIX = re.compile(r"""\s*(?:
    (?P<q>Q(?:uestion|ues)?|Problem)
        (?:\s*\.?\s*\#?\s*(?P<qnum>\d{1,9}(?:\.\d{1,9})*)\s*(?:[.:)]|\s?[-–—])? | \s*[.:)] | \s+[-–—])
  | (?P<num>\d{1,9})(?:[.)]|\s*:|\s+[-–—])
  | (?P<dotted>\d{1,9}(?:\.\d{1,9})+)[.:)]?
)(?=\s|\Z)\s*""", re.X | re.I)
# the same at the start of a paragraph (`**Q1: Why…?**`, `Q: Why…?`, `**Q:** Why…?`): a separator is needed
QLINE = re.compile(r"(?P<open>\*\*|__|\*|_)?\s*(?:Q(?:uestion|ues)?|Problem)\s*\.?\s*\#?\s*(?P<num>\d{1,9}(?:\.\d{1,9})*)?"
                   r"\s*(?P=open)?\s*(?:[:.)]|[-–—](?=\s))\s*(?P=open)?\s*(?P<rest>.*)\Z", re.I)
# an answer marker: `**Answer:**`, `**Answer**:`, `Answer:`, `Ans:`, `A:`, `A1:`, `*A:*`, `**Solution**`
MARK = re.compile(r"(?P<open>\*\*|__|\*|_)?\s*(?:(?:best|sample|short|model|suggested|expected)\s+)?"
                  r"(?P<word>answer|ans|solution|sol|a)(?![a-z])\s*(?P<num>\d{1,3})?\s*"
                  r"(?P<sep>[:：]|\.(?=\s|\Z|\*|_))?\s*(?P<close>\*\*|__|\*|_)?\s*(?P<sep2>[:：.])?\s*(?P<rest>.*)\Z",
                  re.I)
# an answer after the question on its own line: `Q: Why? A: Because.`, `**Q:** Why? **A:** Because.`
INLINE_ANSWER = re.compile(r"\s+(?:\*\*|__|\*|_)?A(?:ns(?:wer)?)?\d{0,3}(?:\*\*|__|\*|_)?\s*:\s*(?:\*\*|__|\*|_)?\s*")
LABEL = re.compile(r"(?:(?:show|see|reveal|view|click(?: here)?(?: to)?(?: see| show| reveal| view| expand)?)\s*)?"
                   r"(?:the\s+)?(?:answers?|solutions?|explanation|ans|expand|details|more)?\s*(?:\d{1,3})?", re.I)
PLACEHOLDERS = {"", "to be filled", "to be added", "to be updated", "to be written", "to be done", "to be answered",
                "tbd", "tba", "todo", "coming soon", "answer", "solution", "n/a", "na"}
ASKING = {"what", "what's", "whats", "why", "how", "when", "where", "which", "who", "whom", "whose"}
AUXILIARY = {"is", "are", "was", "were", "can", "could", "do", "does", "did", "should", "would", "will", "shall",
             "may", "might", "must", "has", "have"}
VERBS = {"explain", "describe", "define", "compare", "contrast", "derive", "discuss", "differentiate", "distinguish",
         "elaborate", "outline", "summarize", "summarise", "prove"}  # section titles do not start so
LOOSE_VERBS = {"list", "name", "give", "design", "state", "show", "write", "tell", "walk", "mention", "identify",
               "implement", "calculate", "compute", "estimate", "imagine", "suppose", "illustrate", "create", "build",
               "talk"}  # these need a longer sentence ("Design a …", not "Design Patterns")
GENERIC = {"interview", "interviews", "question", "questions", "answer", "answers", "and", "qa", "q", "a", "faq",
           "faqs", "the", "of", "for", "with", "top", "common", "commonly", "frequently", "asked", "most", "must",
           "know", "table", "contents", "toc", "part", "section", "chapter", "all", "some", "more", "other", "misc",
           "miscellaneous", "general", "in", "to"}
DIFFICULTY = re.compile(r"[\s\u200d]*(?P<e>👶|⭐|🚀)[\ufe0f\u200d]*\s*\Z")
LEVELS = {"👶": "easy", "⭐": "medium", "🚀": "hard"}
NO_ANSWER = "a question without an answer"


_md = None


def _parser():
    global _md
    if _md is None:
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark", {"html": True, "maxNesting": 100}).enable("table")  # see markdown._expand
        # blocks only: inline parsing (most of the time) is done on demand, for the lines that need it
        md.disable(["inline", "linkify", "replacements", "smartquotes", "text_join"], ignoreInvalid=True)
        _md = md
    return _md


def _inline(text: str):
    md = _parser()
    out: list = []
    md.inline.parse(text, md, {}, out)
    return out


# -- reading single lines ---------------------------------------------------------------------


def split_prefix(text: str) -> tuple[str, bool, int | None, bool]:
    """(text without its `Q1.`/`1.` prefix, Q-prefixed, integer number, numbered)."""
    m = PREFIX.match(text)
    if not m:
        return text.strip(), False, None, False
    num = m.group("qnum") or m.group("num") or m.group("dotted")
    number = int(num) if num and num.isdigit() else None
    return text[m.end():].strip(), bool(m.group("q")), number, bool(num)


def _words(text: str) -> list[str]:
    text = re.sub(r"\]\([^()]*\)", "]", text)  # link targets (their ? are not questions)
    return re.findall(r"[a-z][a-z']*", text.casefold())


def asks(text: str) -> bool:
    """Whether a heading's or bold line's text reads as a question."""
    plain = re.sub(r"\]\([^()]*\)", "]", text)
    if "?" in plain:
        return True
    words = _words(plain)
    if not words:
        return False
    first, n = words[0], len(words)
    return (first in ASKING and n >= 2) or (first in AUXILIARY and n >= 3) or (first in VERBS and n >= 2) \
        or (first in LOOSE_VERBS and n >= 4)


def marker(line: str) -> str | None:
    """The rest of the line after an answer marker (`**Answer:** rest`), or None if it has none."""
    m = MARK.match(line.strip())
    if not m:
        return None
    word, opened, closed = m["word"].lower(), m["open"], m["close"]
    sep = m["sep"] or m["sep2"]
    if opened and closed != opened and not (closed is None and m["rest"].startswith(opened)):
        return None
    if opened:  # **Answer**, **Answer:**, *A:* — the emphasis closes right after the word
        if not (sep or closed) or (word in ("a", "sol") and not sep):
            return None
    elif not (sep and (sep != "." or word == "ans")):
        # plain: Answer: / Ans: / A: / Ans. — or a lone "Answer" on its line
        if not (word in ("answer", "solution") and not m["rest"] and not m["num"]):
            return None
    rest = m["rest"]
    if opened and closed is None and rest.startswith(opened):
        rest = rest[len(opened):].lstrip(" :")
    return rest.strip()


def label(text: str) -> bool:
    """A heading or <summary> that names the answer ("Answer", "💡 Show Answer", "Answer 2:", "Click to expand")."""
    s = re.sub(r"[^\w\s]", " ", _strip_html(text)).strip()
    return bool(re.search(r"[^\W\d_]", s)) and bool(LABEL.fullmatch(" ".join(s.split())))


def bold_line(line: str) -> str | None:
    """The text of a line that is all bold (`**What is X?** 👶` too), else None."""
    s = line.strip()
    if not (s.startswith("**") or s.startswith("__")):
        return None
    tokens = [t for t in _inline(s) if t.type != "text" or t.content]
    if not tokens or tokens[0].type != "strong_open":
        return None
    depth = 0
    for k, t in enumerate(tokens):
        depth += t.type == "strong_open"
        depth -= t.type == "strong_close"
        if depth == 0:
            after = "".join(x.content for x in tokens[k + 1:] if x.type == "text")
            if any(x.type not in ("text",) for x in tokens[k + 1:]) or (after.strip() and not DIFFICULTY.match(after)):
                return None
            inner = s[2:]
            close = inner.rfind(s[:2])
            return (inner[:close] + inner[close + 2:]).strip() if close >= 0 else None
    return None


def _strip_html(text: str) -> str:
    return re.sub(r"<[^>]*>", "", text)


def difficulty(text: str, levels: dict) -> tuple[str, str | None]:
    """(text without a trailing 👶/⭐️/🚀, the level it names)."""
    m = DIFFICULTY.search(text)
    if not m:
        return text, None
    return text[: m.start()].rstrip(), levels.get(m["e"])


def tag_of(text: str) -> str | None:
    """A section heading as a tag: 'Linear regression' → linear-regression; generic names give none."""
    from quiz.bank import TAG

    text = re.sub(r"\]\([^()]*\)|[`*_\[\]]", " ", split_prefix(text)[0])
    words = [w for part in text.split() for w in slugify(part).split("-") if w]  # slugify cuts at 64: word by word
    if not [w for w in words if w not in GENERIC and not w.isdigit()]:
        return None
    tag = "-".join(words)[:40].strip("-")
    return tag if TAG.match(tag) else None


# -- Markdown's inline forms as text a terminal shows -------------------------------------------

IMG_TAG = re.compile(r"<img\b[^<>]*>", re.I)
ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


def _link(text: str, url: str) -> str:
    text, url = text.strip(), url.strip()
    if not url or url.startswith("#"):
        return text  # an anchor in the same file: the text is enough
    return url if not text or text == url or text == f"<{url}>" else f"{text} ({url})"


def inline_text(line: str, refs: dict) -> str:
    """Images as `[image: alt]`, links as `text (target)`, outside code spans."""
    if "[" not in line and "<" not in line:
        return line
    out, last = [], 0
    # CommonMark's code spans, found in linear time; the indent keeps a leading ``` from reading as a fence,
    # which one line of a paragraph never is
    for a, b in code_spans("    " + line):
        a, b = a - 4, b - 4
        out += [_inline_text(line[last:a], refs), line[a:b]]
        last = b
    return "".join(out) + _inline_text(line[last:], refs)


def _alt(tag: str) -> str:
    m = ALT.search(tag)
    return next((g for g in m.groups() if g), "") if m else ""


def _image(alt: str) -> str:
    alt = " ".join(alt.split())
    return f"[image: {alt}]" if alt else "[image]"


def _inline_text(s: str, refs: dict) -> str:
    if "<" in s:
        s = IMG_TAG.sub(lambda m: _image(_alt(m[0])), s)
    if "[" not in s:
        return s
    return _links(_links(s, refs, images=True), refs, images=False)


def _pairs(s: str, opening: str, closing: str) -> dict[int, int]:
    """Each (unescaped) opening bracket's matching closing one, found in one pass."""
    match, stack, escaped = {}, [], False
    for k, ch in enumerate(s):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == opening:
            stack.append(k)
        elif ch == closing and stack:
            match[stack.pop()] = k
    return match


def _links(s: str, refs: dict, images: bool) -> str:
    """`![alt](src)` as `[image: alt]` (images=True), else `[text](url)`, `[text][ref]` and `[ref]` (a defined
    reference) as `text (url)`. Brackets are paired in one pass, so any line takes linear time."""
    from markdown_it.common.utils import normalizeReference

    brackets, parens = _pairs(s, "[", "]"), _pairs(s, "(", ")")
    out, done, k, n = [], 0, 0, len(s)
    while (k := s.find("[", k)) >= 0:
        close = brackets.get(k)
        image = k > 0 and s[k - 1] == "!"
        if close is None or image != images or (k > 0 and s[k - 1] == "\\"):
            k += 1
            continue
        end, replaced = close + 1, None
        if end < n and s[end] == "(" and end in parens:
            text, dest = s[k + 1:close], s[end + 1:parens[end]].strip()
            url = dest[1:dest.index(">")] if dest.startswith("<") and ">" in dest else (dest.split() or [""])[0]
            replaced, end = (_image(text) if image else _link(text, url)), parens[end] + 1
        elif refs and not (end < n and s[end] == ":"):
            (a, b), after = (k + 1, close), end
            if end < n and s[end] == "[" and end in brackets:
                after = brackets[end] + 1
                if brackets[end] > end + 1:  # `[text][label]`; `[text][]` keeps the text as its label
                    a, b = end + 1, brackets[end]
            # CommonMark's label: under 1,000 characters, not blank, no brackets; so the brackets nested in a
            # long text are not each sliced and normalized, and the line stays linear
            label = s[a:b] if b - a < 1000 else ""
            target = refs.get(normalizeReference(label)) if label.strip() and "[" not in label else None
            if target is not None:
                text = s[k + 1:close]
                replaced, end = (_image(text) if image else _link(text, target["href"])), after
        if replaced is None:
            k += 1
            continue
        out += [s[done:k - 1 if image else k], replaced]
        done = k = end
    return "".join(out) + s[done:]


def html_text(html: str, refs: dict | None = None) -> str:
    """An HTML block as Markdown-ish text: tags dropped, <br>/<p>/<li> as lines, <b> bold, <img> as [image: alt]."""
    from html.parser import HTMLParser

    parts: list[str] = []
    href: list[tuple[str | None, int]] = []

    class Reader(HTMLParser):
        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag in ("br", "p", "div", "tr", "table", "ul", "ol", "details", "summary", "pre", "blockquote",
                       "h1", "h2", "h3", "h4", "h5", "h6", "hr"):
                parts.append("\n")
            elif tag == "li":
                parts.append("\n- ")
            elif tag in ("b", "strong"):
                parts.append("**")
            elif tag in ("i", "em"):
                parts.append("*")
            elif tag == "code":
                parts.append("`")
            elif tag in ("td", "th"):
                parts.append(" ")
            elif tag == "img":
                parts.append(_image(a.get("alt") or ""))
            elif tag == "a":  # the link's target and where its text starts
                href.append((a.get("href"), len(parts)))
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6", "summary"):
                parts.append("**")

        def handle_endtag(self, tag):
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6", "summary", "b", "strong"):
                parts.append("**")
            elif tag in ("i", "em"):
                parts.append("*")
            elif tag == "code":
                parts.append("`")
            elif tag == "a" and href:
                target, k = href.pop()
                text = "".join(parts[k:])
                del parts[k:]
                parts.append(_link(text, target or ""))
            if tag in ("p", "div", "tr", "table", "ul", "ol", "li", "details", "summary", "pre", "blockquote",
                       "h1", "h2", "h3", "h4", "h5", "h6"):
                parts.append("\n")

        def handle_data(self, data):
            parts.append(data)

    reader = Reader(convert_charrefs=True)
    try:
        reader.feed(html)
        reader.close()
    except Exception:  # a broken tag: its text as it is
        return _strip_html(html).strip()
    text = "".join(parts).replace("****", "")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lines = [re.sub(r"^\*\*\s*\*\*$", "", line) for line in lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# -- escaping: what `quiz export --format md` writes so that a bank's text comes back -------------


def escape(line: str) -> str:
    """A question's later line, or a line of a text answer, that would read as a heading, an answer
    marker, a comment or HTML gets a backslash (Markdown shows `\\#` as `#`), so it comes back as text."""
    t = line.lstrip()
    if HEADING_LINE.match(t) or marker(t) is not None or t.startswith("\\") or re.match(r"<[A-Za-z/!]", t):
        return line[: len(line) - len(t)] + "\\" + t
    return line


def unescape(line: str) -> str:
    t = line.lstrip()
    if t.startswith("\\") and escape(t[1:]) != t[1:]:  # only what escape() escaped
        return line[: len(line) - len(t)] + t[1:]
    return line


def _code_and_tops(text: str):
    tokens = _parser().parse(text)
    code = set()
    for t in tokens:
        if t.type in ("fence", "code_block") and t.map:
            code.update(range(t.map[0], t.map[1]))
    return code, [t for t in tokens if t.level == 0 and t.nesting >= 0 and t.type not in ("bullet_list_close",)]


def code_lines(text: str) -> set[int]:
    """The (0-based) lines of a Markdown text that are code, fenced or indented."""
    return _code_and_tops(text)[0]


def reads_as_bullets(text: str) -> bool:
    """Whether a text answer, written under `**Answer:**`, would be read back as bullets (it is only a bullet list)."""
    tops = _code_and_tops(text)[1]
    return bool(tops) and all(t.type == "bullet_list_open" for t in tops)


def placeholder(text: str) -> bool:
    """An answer that only stands in for one: `_[To be filled]_`, `TBD`, `...`."""
    return len(text) < 80 and re.sub(r"[\s*_\[\]().:!…]+", " ", text).strip().casefold() in PLACEHOLDERS
