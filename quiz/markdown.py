"""Interview-question Markdown → questions, read from markdown-it-py's block tokens.

The file's block structure (headings, paragraphs, lists, code, HTML blocks, with their line
ranges) comes from markdown-it; this module decides which blocks are questions and which are
answers, then takes each answer's text from the file's own lines, so it stays verbatim: ordered
lists keep their numbers, nested lists their nesting, code its bytes. A question is:

- a heading of any level, numbered or not (`### 7. Why…?`, `# Q1. …`, `## Q1.1: …`,
  `## Question 3`, `#### 1) …`) that reads as a question or holds an answer: a heading with
  questions under it is a section, and its text becomes a tag;
- a paragraph whose first line is all bold and reads as a question (`**What is X? 👶**`);
- a `Q:` / `Question:` / `**Q1.**` paragraph (its answer may start with `A:`), also as list items;
- a `<details>` block whose `<summary>` is the question.

An answer marker (`**Answer:**`, `Answer:`, `Ans:`, `A:`, `#### Answer`, `<summary>Answer</summary>`)
is optional: without one the answer is everything up to the next question; with one, what comes
before it belongs to the question. An answer that is only unordered bullets stays a list of
bullets (the seed format); any other answer is one Markdown text. Front matter, tables of contents,
badges and prose outside a question are skipped, and so are questions without an answer: each
skip is reported with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from quiz.bank import META_KEYS
from quiz.mdtext import (DIFFICULTY, INLINE_ANSWER, LEVELS, LIST_ITEM, NO_ANSWER, QLINE, _parser, asks, bold_line, difficulty,
                         html_text, inline_text, label, marker, placeholder, split_prefix, tag_of, unescape)

TITLE = re.compile(r"(?:Day\s+(\w+)\s*:\s*)?(.*?)(?:\s+[-–—]\s+Interview Questions)?\Z", re.I)
META = re.compile(r">\s?\*\*([^*]+?)(?::\*\*|\*\*\s*:)\s*(.*?)\s*\Z")
QUOTE = re.compile(r">\s?(.*?)\s*\Z")
COMMENT = re.compile(r"<!--\s*(.*?)\s*-->\Z", re.S)


@dataclass
class Found:
    """One question as read from the file."""

    line: int  # 1-based
    number: int | None  # the file's own number (`### 7.` → 7)
    question: str
    answer: list[str] | str  # bullets, or one Markdown text
    tags: list[str] = field(default_factory=list)
    proof: str | None = None
    keywords: list = field(default_factory=list)


@dataclass
class Skipped:
    line: int  # 1-based
    why: str  # e.g. "text before the first question", "a question without an answer"
    text: str  # a short excerpt


@dataclass
class Document:
    title: str | None
    title_line: int
    meta: dict
    questions: list[Found]
    skipped: list[Skipped]
    notes: list[tuple[int, str]]  # (line, message): tags, comments, code fences the reader should know about


@dataclass(slots=True)
class _Block:
    kind: str  # heading, paragraph, list, fence, code, html, hr, table, quote, other
    start: int  # 0-based first line
    end: int  # exclusive
    t0: int  # token index of the block's first token
    t1: int  # token index after its last
    level: int = 0  # a heading's level
    text: str = ""  # a heading's or paragraph's inline text, an HTML block's HTML
    qtext: str = ""  # a heading's text without its `Q1.`/`1.` prefix
    ordered: bool = False
    inner: bool = False  # inside a <details> block: plain content
    # heading classification
    prefixed: bool = False  # Q1., Question 3
    number: int | None = None
    numbered: bool = False
    strong: bool = False  # reads as a question
    has_q: bool = False
    para_q: bool = False
    marker: bool = False
    wait_text: bool = False
    role: str = ""  # heading: title, question, section, label, empty


# -- the blocks of a file --------------------------------------------------------------------

VERBATIM = {"paragraph", "paragraph-rest", "answer-line", "list", "fence", "code", "table", "quote"}
KINDS = {"heading_open": "heading", "paragraph_open": "paragraph", "bullet_list_open": "list",
         "ordered_list_open": "list", "fence": "fence", "code_block": "code", "html_block": "html", "hr": "hr",
         "table_open": "table", "blockquote_open": "quote"}
DETAILS_OPEN = re.compile(r"\s*<details\b", re.I)
DETAILS_CLOSE = re.compile(r"</details\s*>", re.I)
SUMMARY = re.compile(r"<summary\b[^>]*>(.*?)</summary\s*>", re.I | re.S)


def _blocks(tokens, lines: list[str]) -> list[_Block]:
    """The top-level blocks, in order, each with its line range and token range."""
    out: list[_Block] = []
    i, n = 0, len(tokens)
    while i < n:
        t = tokens[i]
        j = i + 1
        if t.nesting == 1:
            depth = 1
            while j < n and depth:
                depth += tokens[j].nesting
                j += 1
        if t.map is not None:
            b = _Block(KINDS.get(t.type, "other"), t.map[0], t.map[1], i, j)
            while b.end > b.start + 1 and not lines[b.end - 1].strip():
                b.end -= 1  # a list's map takes in the blank lines after it
            if b.kind == "heading":
                b.level = int(t.tag[1])
                b.text = tokens[i + 1].content.strip()
            elif b.kind == "paragraph":
                b.text = tokens[i + 1].content
            elif b.kind == "html":
                b.text = t.content
            elif b.kind == "list":
                b.ordered = t.type == "ordered_list_open"
            out.append(b)
        i = j
    _details(out)
    return out


def _details(blocks: list[_Block]) -> None:
    """Pair each <details> HTML block with the block that closes it; what lies between is content.
    One pass: an unclosed <details> pairs with nothing."""
    start, depth = None, 0
    for k, b in enumerate(blocks):
        if b.kind != "html":
            continue
        change = len(re.findall(r"<details\b", b.text, re.I)) - len(DETAILS_CLOSE.findall(b.text))
        if start is None:
            if DETAILS_OPEN.match(b.text):
                if change > 0:
                    start, depth = k, change
            continue
        depth += change
        if depth <= 0:
            for inner in blocks[start + 1: k + 1]:
                inner.inner = True
            start = None


def _summary(b: _Block) -> str | None:
    m = SUMMARY.search(b.text)
    return html_text(m[1]).strip("* ") if m else None


class _Reader:
    """Reads a file's blocks into questions (see the module docstring)."""

    def __init__(self, text: str):
        self.lines = text.split("\n")
        self.skipped: list[Skipped] = []
        self.notes: list[tuple[int, str]] = []
        self.meta: dict = {}
        self.title: str | None = None
        self.title_line = 0
        self.levels = dict(LEVELS)
        self._run: str | None = None
        self._code_of: dict[int, set[int]] = {}
        self._kind_of: dict[int, str | None] = {}
        front = self._front_matter()
        env: dict = {}
        self.tokens = _parser().parse("\n".join(self.lines), env)
        self.refs = env.get("references", {})
        self.blocks = _blocks(self.tokens, self.lines)
        if front:
            self.skip(0, "front matter", "---")
        self._fences()

    def _front_matter(self) -> bool:
        """A YAML (---) or TOML (+++) block at the top: blanked out, so Markdown does not read it."""
        lines = self.lines
        if not lines or lines[0].strip() not in ("---", "+++"):
            return False
        fence = lines[0].strip()
        for k in range(1, min(len(lines), 200)):
            if lines[k].strip() in (fence, "...") and k > 1:
                if not any(re.match(r"\s*[\w-]+\s*[:=]", line) for line in lines[1:k]):
                    return False
                for j in range(k + 1):
                    lines[j] = ""
                return True
        return False

    def _fences(self) -> None:
        for t in self.tokens:
            if t.type == "fence" and t.map:
                last = self.lines[t.map[1] - 1].strip() if t.map[1] - 1 > t.map[0] else ""
                if not (last.startswith(t.markup) and set(last) <= set(t.markup[0])):
                    self.notes.append((t.map[0] + 1, "this code block is never closed: the rest of the file "
                                                     "is its code (close it with " + t.markup + ")"))

    def skip(self, start: int, why: str, text: str | None = None) -> None:
        """Report a skipped part: once per run of blocks skipped for the same reason."""
        if self._run == why and why != NO_ANSWER:
            return
        excerpt = " ".join((text if text is not None else self.lines[start].strip()).split()) or "(blank)"
        self.skipped.append(Skipped(start + 1, why, excerpt if len(excerpt) <= 50 else excerpt[:47] + "..."))
        self._run = why

    # -- pass 1: which headings are questions, which are sections -----------------------------

    def classify(self) -> None:
        heads = [b for b in self.blocks if b.kind == "heading" and not b.inner]
        for h in heads:
            h.qtext, h.prefixed, h.number, h.numbered = split_prefix(h.text)
        numbered = sum(h.prefixed or h.numbered for h in heads)
        plain = sum(not (h.prefixed or h.numbered) and asks(h.qtext) for h in heads)
        only_numbered = numbered >= 2 and numbered >= plain  # then an unnumbered heading is never a question
        for h in heads:
            h.strong = (h.prefixed or asks(h.qtext) or bool(DIFFICULTY.search(h.qtext))) and \
                (h.prefixed or h.numbered or not only_numbered) and not label(h.qtext)
            h.wait_text = (h.prefixed or h.numbered) and not h.qtext
        stack: list[_Block] = []
        for b in self.blocks:
            if b.inner:
                continue
            if b.kind == "heading":
                while stack and stack[-1].level >= b.level:
                    self._close(stack.pop(), stack)
                stack.append(b)
                continue
            top = stack[-1] if stack else None
            if top is not None and top.wait_text:
                top.wait_text = False
                if b.kind == "paragraph":
                    continue  # `### Question 3` takes its text from the next paragraph
            if top is None:
                continue
            if not top.marker and self._candidate(b):
                top.para_q = True
            elif self._marks(b):
                top.marker = True
        while stack:
            self._close(stack.pop(), stack)

    @staticmethod
    def _close(h: _Block, stack: list[_Block]) -> None:
        if label(h.qtext):
            h.role = "label"  # `#### Answer`: part of an answer
        elif h.has_q or (h.para_q and not h.strong):
            h.role = "section"
        elif h.strong or h.marker or h.numbered:
            h.role = "question"
        else:
            h.role = "empty"
        if stack and (h.role == "question" or (h.role == "section")):
            stack[-1].has_q = True

    def _marks(self, b: _Block) -> bool:
        """Whether a block starts an answer: a marker line, a <summary>Answer</summary>, an 'Answer' heading."""
        if b.kind == "paragraph":
            return any(marker(line) is not None for line in self.lines[b.start:b.end])
        if b.kind == "html" and DETAILS_OPEN.match(b.text):
            s = _summary(b)
            return s is None or label(s)
        return b.kind == "heading" and b.role == "label"

    def _candidate(self, b: _Block) -> str | None:
        """What kind of question a block outside a question starts: bold, q (Q: …), details, list."""
        if b.t0 not in self._kind_of:  # asked in both passes; the answer needs inline parsing
            self._kind_of[b.t0] = self._kind(b)
        return self._kind_of[b.t0]

    def _kind(self, b: _Block) -> str | None:
        if b.inner:
            return None
        if b.kind == "paragraph":
            first = self.lines[b.start]
            if marker(first) is not None:
                return None
            bold = bold_line(first)
            if bold is not None:
                text, prefixed, _, numbered = split_prefix(bold)
                text = difficulty(text, self.levels)[0]
                if (prefixed or numbered or asks(text) or DIFFICULTY.search(bold)) and not label(text) and text:
                    return "bold"
            m = QLINE.match(first.strip())
            return "q" if m and m["rest"].strip(" *_") else None
        if b.kind == "html" and DETAILS_OPEN.match(b.text):
            s = _summary(b)
            return "details" if s and not label(s) and (asks(s) or split_prefix(s)[1]) else None
        if b.kind == "list" and self._qa_items(b):
            return "list"
        return None

    def _items(self, b: _Block) -> list[tuple[int, int]]:
        """The line ranges of a list's own items."""
        level = self.tokens[b.t0].level + 1
        return [tuple(t.map) for t in self.tokens[b.t0:b.t1] if t.type == "list_item_open" and t.level == level]

    def _qa_items(self, b: _Block) -> list[tuple[int, int]] | None:
        items = self._items(b)
        asked = [it for it in items if self._item_question(it)]
        return asked if len(asked) >= 2 and 2 * len(asked) >= len(items) else None

    def _item_question(self, item: tuple[int, int]) -> bool:
        first = _unbullet(self.lines[item[0]])
        if QLINE.match(first.strip()):
            return True
        bold = bold_line(first)
        return bold is not None and item[1] - item[0] > 1 and asks(split_prefix(bold)[0])

    # -- pass 2: the questions, in order ---------------------------------------------------

    def read(self) -> list[Found]:
        self.classify()
        for line in self.lines[: next((b.start for b in self.blocks if b.kind == "heading" and b.role == "question"),
                                      len(self.lines))]:
            if "legend" in line.casefold():  # `Legend: 👶 easy ⭐️ medium 🚀 expert`
                for emoji, word in re.findall(r"(👶|⭐|🚀)[\ufe0f\u200d]*\s*([A-Za-z][\w-]*)", line):
                    self.levels[emoji] = word.lower()
        found: list[Found] = []
        sections: list[tuple[int, str | None, bool]] = []  # (level, tag, no questions)
        cur: _Cur | None = None
        started = False

        def finish():
            nonlocal cur
            if cur is not None:
                q = self._question(cur)
                if q is not None:
                    found.append(q)
            cur = None

        for b in self.blocks:
            if b.kind == "heading" and not b.inner:
                if cur is not None and ((cur.kind == "heading" and b.level > cur.block.level)
                                        or (cur.kind != "heading" and b.role == "label")):
                    cur.blocks.append(b)
                    continue
                finish()
                if self.title is None and not started and b.level == 1 and b.role != "question":
                    self._set_title(b)
                    sections = []
                    self._run = None
                    continue
                while sections and sections[-1][0] >= b.level:
                    sections.pop()
                if b.role == "question":
                    cur, started, self._run = _Cur("heading", b, [t for _, t, _ in sections if t]), True, None
                elif b.role == "section":
                    sections.append((b.level, tag_of(b.qtext), False))
                    self._run = None
                else:
                    sections.append((b.level, None, True))
                    self._run = None
                    self.skip(b.start, "a section without questions", "#" * b.level + " " + b.text)
                continue
            kind = None if (cur is not None and cur.kind == "heading") or b.inner else self._candidate(b)
            if kind == "list":
                finish()
                started, self._run = True, None
                for item in self._qa_items(b):
                    q = self._question(_Cur("item", b, [t for _, t, _ in sections if t], item=item))
                    if q is not None:
                        found.append(q)
                continue
            if kind:
                finish()
                cur, started, self._run = _Cur(kind, b, [t for _, t, _ in sections if t]), True, None
                continue
            if cur is not None:
                cur.blocks.append(b)
            elif b.kind == "quote" and self.title is not None and not started and self._metadata(b):
                continue
            elif sections and sections[-1][2]:
                self.skip(b.start, "a section without questions")
            else:
                self.skip(b.start, "text outside a question" if started else "text before the first question")
        finish()
        return found

    def _set_title(self, b: _Block) -> None:
        m = TITLE.match(b.text.strip())
        day, title = m[1], m[2].strip()
        self.title, self.title_line = title, b.start + 1
        if day is not None:
            self.meta["day"] = int(day) if day.isascii() and day.isdigit() else day

    def _metadata(self, b: _Block) -> bool:
        """`> **Phase**: 2 - Computer Vision` lines under the title; False if the quote holds none."""
        if not any(META.match(self.lines[n].strip()) for n in range(b.start, b.end)):
            return False
        last = None
        for n in range(b.start, b.end):
            line = self.lines[n].strip()
            if m := META.match(line):
                name = m[1].strip().lower()
                if name in META_KEYS:
                    value = m[2]
                    self.meta[name] = int(value) if name == "day" and value.isascii() and value.isdigit() else value
                    last = name
                else:
                    self.notes.append((n + 1, f"skipped metadata {m[1].strip()!r} "
                                              f"(known: {', '.join(k.title() for k in META_KEYS)})"))
                    last = None
            elif last and (m := QUOTE.match(line)):
                self.meta[last] += "\n" + m[1]
            elif line:
                self.skip(n, "text before the first question", line)
        return True

    # -- one question ------------------------------------------------------------------------

    def _question(self, cur: _Cur) -> Found | None:
        b = cur.block
        tags, proof, keywords, flags = list(cur.tags), None, [], {}
        lines = self.lines
        start = b.start
        if cur.kind == "item":
            return self._item(cur)
        if cur.kind == "heading":
            number, head = b.number, [(b.start, b.end, self._line(b.qtext), True)] if b.qtext else []
            body = cur.blocks
            if not b.qtext and body and body[0].kind == "paragraph" and not self._marks(body[0]):
                para = body.pop(0)  # `### Question 3` then its text
                head = [(para.start, para.end, self._render(para, bold=True))]
            at = next((k for k, x in enumerate(body) if self._marks(x)), None)
        elif cur.kind == "details":
            number, head = None, [(b.start, b.start + 1, _summary(b) or "")]
            body = cur.blocks
            at = None
            inside = SUMMARY.split(b.text, maxsplit=1)[-1] if SUMMARY.search(b.text) else ""
            inside = DETAILS_CLOSE.split(inside)[0]
            if html_text(inside):
                body = [_Block("text", b.start + 1, b.end, b.t0, b.t1, text=html_text(inside))] + body
        else:  # a bold or Q: paragraph
            first = lines[b.start].strip()
            if cur.kind == "bold":
                text = bold_line(first) or ""
            else:
                m = QLINE.match(first)
                text = m["rest"].strip()
                if m["open"] and text.endswith(m["open"]):
                    text = text[: -len(m["open"])].rstrip()
            text, _, number, _ = split_prefix(text) if cur.kind == "bold" else (text, True, None, False)
            if cur.kind == "q":
                number = int(m["num"]) if m["num"] and m["num"].isdigit() else None
            inline = INLINE_ANSWER.split(text, maxsplit=1) if cur.kind == "q" else [text]
            text = inline[0].strip()
            head = [(b.start, b.start + 1, self._line(text), True)]
            rest = [n for n in range(b.start + 1, b.end)]
            mark = next((n for n in rest if marker(lines[n]) is not None), None)
            body = list(cur.blocks)
            if len(inline) > 1:  # `Q: Why? A: Because.`: the answer starts on the question's line
                said = _breaks([self._line(inline[1])] + [self._line(lines[n]) for n in rest], set())
                body, at = [_Block("text", b.start, b.end, b.t0, b.t1, text=said)] + body, None
            elif mark is not None:
                head += [(n, n + 1, self._line(lines[n].rstrip()), True) for n in range(b.start + 1, mark)]
                body = [_Block("answer-line", mark, b.end, b.t0, b.t1)] + body
                at = 0
            else:
                if rest:
                    body = [_Block("paragraph-rest", b.start + 1, b.end, b.t0, b.t1)] + body
                at = next((k for k, x in enumerate(body[:3]) if self._marks(x)), None) if not rest else None
        if at is not None:  # what comes before the answer marker belongs to the question
            for x in body[:at]:
                if x.kind == "html" and (c := COMMENT.match(x.text.strip())):
                    proof = self._annotation(x.start + 1, c[1], tags, proof, keywords, flags)
                elif x.kind in ("html", "hr") and not self._render(x):
                    continue
                else:
                    head.append((x.start, x.end, self._render(x), x.kind in VERBATIM))
            body = body[at:]
            x = body[0]
            if x.kind == "paragraph":  # the paragraph's lines before the marker line: the question's too
                k = next(n for n in range(x.start, x.end) if marker(lines[n]) is not None)
                head += [(n, n + 1, self._line(lines[n].rstrip()), True) for n in range(x.start, k)]
        text = _join(head)
        text, level = difficulty(text, self.levels)
        if level and level not in tags:
            tags.append(level)
        answer = self._answer(body, as_text=flags.get("text", False))
        if not text.strip():
            self.skip(start, "a question with no text", lines[start])
            return None
        if answer is None:
            self.skip(start, NO_ANSWER, text)
            return None
        return Found(start + 1, number, text, answer, tags, proof, keywords)

    def _answer(self, body: list[_Block], as_text: bool = False) -> list[str] | str | None:
        """The answer's blocks as bullets (only unordered lists) or one Markdown text; None if empty."""
        pieces: list[tuple] = []
        bullets: list[str] | None = []
        end = len(body)  # rules and empty HTML blocks (`<br/>`, `</details>`) closing the answer are dropped
        while end > 1 and (body[end - 1].kind == "hr" or (body[end - 1].kind == "html" and not self._render(
                body[end - 1]))):
            end -= 1
        body = body[:end]
        for k, x in enumerate(body):
            if k == 0 and x.kind in ("answer-line", "paragraph", "heading", "html") and self._marks(x) \
                    or x.kind == "answer-line":
                rest = self._after_marker(x)
                if rest:
                    pieces.append(rest)
                    bullets = None
                continue
            text = self._render(x)
            if not text.strip():
                continue
            pieces.append((x.start, x.end, text, x.kind in VERBATIM))
            if bullets is not None and x.kind == "list" and not x.ordered:
                bullets += self._entries(x)
            else:
                bullets = None
        if not pieces:
            return None
        if bullets and all(bullets) and not as_text:
            return bullets
        text = _join(pieces).strip("\n")
        return None if placeholder(text) else text

    def _after_marker(self, x: _Block) -> tuple[int, int, str] | None:
        """What follows the marker in its block: the rest of the marker line and the paragraph's later lines."""
        if x.kind == "heading":
            return None
        if x.kind == "html":  # <details><summary>Answer</summary> …: the HTML's own text after the summary
            inside = SUMMARY.split(x.text, maxsplit=1)[-1] if SUMMARY.search(x.text) else DETAILS_OPEN.sub("", x.text)
            text = html_text(DETAILS_CLOSE.split(inside)[0])
            return (x.start, x.end, text) if text else None
        lines = self.lines[x.start:x.end]
        k = next(k for k, line in enumerate(lines) if marker(line) is not None)
        line = lines[k]
        rest = [marker(line) + line[len(line.rstrip()):]] + lines[k + 1:]  # a hard break after it stays
        text = "\n".join(self._line(line) for line in rest).strip("\n")
        text = _breaks(text.split("\n"), set())
        return (x.start + k, x.end, text, True) if text.strip() else None

    def _item(self, cur: _Cur) -> Found | None:
        """A list item `- **Q:** … **A:** …` (or a bold question item with its answer below)."""
        s, e = cur.item
        code = self._code(cur.block)
        lines = self._item_lines(s, e, code)
        first = lines[0].strip()
        m = QLINE.match(first)
        text = m["rest"] if m else (bold_line(first) or first)
        number = int(m["num"]) if m and m["num"] and m["num"].isdigit() else split_prefix(text)[2]
        text = text if m else split_prefix(text)[0]
        inline = INLINE_ANSWER.split(text, maxsplit=1)
        text = inline[0].strip()
        if m and m["open"] and text.endswith(m["open"]):
            text = text[: -len(m["open"])].rstrip()
        rest = ([inline[1]] if len(inline) > 1 else []) + lines[1:]
        k = next((k for k, line in enumerate(rest) if marker(_unbullet(line)) is not None), None)
        if k is not None and len(inline) == 1:
            text = "\n".join([text] + [line.strip() for line in rest[:k]])
            rest = [marker(_unbullet(rest[k]))] + _dedent(rest[k + 1:])
        else:
            rest = rest[:1] + _dedent(rest[1:]) if len(inline) > 1 else _dedent(rest)
        text, level = difficulty(self._line(text), self.levels)
        tags = list(cur.tags) + ([level] if level else [])
        answer = _breaks([self._line(line) for line in rest], set()).strip("\n")
        if not answer.strip() or placeholder(answer):
            self.skip(s, NO_ANSWER, text)
            return None
        return Found(s + 1, number, text, answer, tags)

    def _annotation(self, n: int, body: str, tags: list, proof, keywords: list, flags: dict):
        """`<!-- tags: a, b; proof: q07_name; answer: text; keywords: [["a", "b|c"], []] -->`, as `quiz export
        --format md` writes it (keywords, a JSON list of key terms per answer bullet, come last; `answer: text`
        keeps an answer that is one text as one text, though it is only a bullet list)."""
        import json

        from quiz.bank import PROOF_FILE, PROOF_NAME, TAG

        if m := re.search(r"(?:^|;)\s*keywords:\s*(.*)\Z", body, re.S):
            body = body[: m.start()]
            try:
                value = json.loads(m[1])
                if not (isinstance(value, list) and all(isinstance(k, list) and all(isinstance(t, str) for t in k)
                                                        for k in value)):
                    raise ValueError
                keywords[:] = value
            except ValueError:
                self.notes.append((n, "skipped keywords: expected a JSON list of lists of terms, one per answer bullet"))
        for part in filter(None, (p.strip() for p in body.split(";"))):
            key, sep, value = part.partition(":")
            key, value = key.strip().lower(), value.strip()
            if sep and key == "tags":
                for tag in filter(None, (t.strip() for t in value.split(","))):
                    if not TAG.match(tag):
                        self.notes.append((n, f"skipped tag {tag!r}: tags are lowercase letters, digits, '-', '_' "
                                              "or '.'"))
                    elif tag not in tags:
                        tags.append(tag)
            elif sep and key == "proof" and (PROOF_NAME.match(value) or PROOF_FILE.match(value)):
                proof = value
            elif sep and key == "answer" and value == "text":
                flags["text"] = True
            else:
                self.notes.append((n, f"skipped comment {part!r} (known: tags: a, b; proof: q07_name; "
                                      "answer: text; keywords: [[...]])"))
        return proof

    # -- a block's text ------------------------------------------------------------------------

    def _line(self, line: str) -> str:
        return inline_text(unescape(line), self.refs)

    def _code(self, b: _Block) -> set[int]:
        """The lines of a block that are code (fenced or indented): kept byte for byte."""
        if b.t0 not in self._code_of:
            code: set[int] = set()
            for t in self.tokens[b.t0:b.t1]:
                if t.type in ("fence", "code_block") and t.map:
                    code.update(range(t.map[0], t.map[1]))
            self._code_of[b.t0] = code
        return self._code_of[b.t0]

    def _render(self, x: _Block, bold: bool = False) -> str:
        lines = self.lines
        if x.kind == "text":
            return x.text
        if x.kind in ("paragraph", "paragraph-rest", "answer-line"):
            if bold and x.end - x.start == 1 and (inner := bold_line(lines[x.start])) is not None:
                return self._line(inner)
            return _breaks([self._line(line) for line in lines[x.start:x.end]], set())
        if x.kind == "heading":
            return f"**{self._line(x.text)}**"
        if x.kind == "html":
            if COMMENT.match(x.text.strip()):
                return ""
            html = x.text
            if DETAILS_OPEN.match(html) or DETAILS_CLOSE.search(html):
                summary = _summary(x)
                html = SUMMARY.sub("" if summary is None or label(summary) else f"<b>{summary}</b><br>", html)
                html = re.sub(r"</?details\b[^>]*>", "", html, flags=re.I)
            return html_text(html)
        if x.kind == "hr":
            return "---"
        code = self._code(x)
        out = [lines[n] if n in code else self._line(lines[n]) for n in range(x.start, x.end)]
        while out and not out[-1].strip():
            out.pop()
        return _breaks(out, {k for k, n in enumerate(range(x.start, x.end)) if n in code})

    def _item_lines(self, s: int, e: int, code: set[int]) -> list[str]:
        """A list item's lines, its marker removed and later lines dedented to its text's column."""
        first = self.lines[s]
        m = LIST_ITEM.match(first)
        col = len(m[1]) + len(m[2]) + len(m[3]) if m else 0
        out = [first[m.end():].strip() if m else first.strip()]
        for n in range(s + 1, e):
            line = self.lines[n]
            indent = len(line) - len(line.lstrip(" "))
            out.append(line[min(indent, col):] if n in code else line[min(indent, col):].rstrip())
        while len(out) > 1 and not out[-1].strip():
            out.pop()
        return out

    def _entries(self, x: _Block) -> list[str]:
        """An unordered list's items as answer bullets (the seed format)."""
        code = self._code(x)
        entries = []
        for s, e in self._items(x):
            lines = self._item_lines(s, e, code)
            kept = {k for k, n in enumerate(range(s, s + len(lines))) if n in code}
            entries.append(_breaks([line if k in kept else self._line(line) for k, line in enumerate(lines)],
                                   kept).strip("\n"))
        return entries


@dataclass
class _Cur:
    kind: str  # heading, bold, q, details, item
    block: _Block
    tags: list
    blocks: list = field(default_factory=list)
    item: tuple | None = None


def _join(pieces: list[tuple]) -> str:
    """Texts of consecutive parts, as far apart as they were in the file when both are the file's own lines,
    else after one blank line. A piece is (first line, end line, text[, as in the file])."""
    out, end, same = [], None, False
    for start, stop, text, *verbatim in pieces:
        if not text:
            continue
        verbatim = bool(verbatim and verbatim[0])
        if end is not None:
            out.append("\n" * (max(1, start - end + 1) if same and verbatim else 2))
        out.append(text)
        end, same = stop, verbatim
    return "".join(out).strip()


def _breaks(lines: list[str], code: set[int]) -> str:
    """Lines joined; trailing spaces dropped, but a hard break (two spaces) within a paragraph kept as `\\`."""
    out = []
    for k, line in enumerate(lines):
        if k in code:
            out.append(line)
            continue
        stripped = line.rstrip()
        if line.endswith("  ") and stripped and k + 1 < len(lines) and lines[k + 1].strip() and k + 1 not in code:
            stripped += "\\"
        out.append(stripped)
    return "\n".join(out)


def _unbullet(line: str) -> str:
    """The line without its list marker (`- `, `* `, `1. `) at its start; a `- ` later in the line stays."""
    m = LIST_ITEM.match(line)
    return line[m.end():] if m else line


def _dedent(lines: list[str]) -> list[str]:
    indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return [line[cut:] for line in lines]


FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
DEEPEST = 64  # columns of indentation, and `>` marks, a line keeps (see _expand)


def _expand(line: str) -> str:
    """Tabs in indentation as spaces (to 4-column stops); text after it untouched. Indentation past
    DEEPEST columns, and quote marks past DEEPEST, are cut: markdown-it stops reading a file at its nesting
    limit (everything after a list nested 50 deep would be lost), and no real answer nests that deep."""
    body = line.lstrip(" \t")
    indent = line[: len(line) - len(body)].expandtabs(4)
    if len(indent) > DEEPEST:
        indent = indent[:DEEPEST]
    if body.startswith(">") and body.count(">", 0, 2 * DEEPEST + 2) > DEEPEST // 2:
        marks = re.match(r"(?:>\s*)+", body)[0]
        if marks.count(">") > DEEPEST // 2:
            body = "> " * (DEEPEST // 2) + body[len(marks):]
    return indent + body


def read(text: str) -> Document:
    """Read a Markdown file's text (without NUL bytes) into its title, metadata and questions."""
    lines, fence = [], None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m[1]
        elif fence is not None and m and m[1][0] == fence[0] and len(m[1]) >= len(fence):
            fence = None
        lines.append(line if fence is not None and not m else _expand(line))  # code keeps its indentation
    r = _Reader("\n".join(lines))
    questions = r.read()
    return Document(r.title, r.title_line, r.meta, questions, r.skipped, sorted(r.notes))
