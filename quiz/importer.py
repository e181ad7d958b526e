"""Bringing banks in: the interview-question Markdown format → a YAML bank, and `quiz validate`.

The format (one deck per file, as in tests/data/day12-modern-backbones.md)::

    # Day 14: Object Detection - Interview Questions

    > **Phase**: 2 - Computer Vision
    > **Topic**: YOLO, R-CNN, and Metrics

    ### 1. Explain the difference between One-Stage and Two-Stage detectors.
    **Answer:**
    *   **Two-Stage (Faster R-CNN)**: First generates Region Proposals ...
    *   A bullet with nested items:
        1. a nested item
        2. another

Text is kept verbatim (inline code, `$…$` LaTeX, emphasis). Each top-level
bullet is one answer entry; a bullet's nested items and continuation lines
follow its first line as Markdown, dedented to the bullet's text column. An
optional `<!-- tags: a, b; proof: q07_name -->` line under a question heading
carries what `quiz export --format md` writes for tags and proofs. Anything
else is skipped with a warning naming its line; a file that is not of this
format is an error naming `file:line`, and nothing is written.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from quiz.bank import (DECK_SLUG, MAX_BANK_BYTES, MAX_TEXT, PROOF_FILE, PROOF_NAME, TAG, Bank, BankError, parse_bank,
                       write_bank)
from quiz.errors import QuizError, UsageError
from quiz.files import read_capped

META_KEYS = ("day", "phase", "week", "topic", "description")
FORMAT_HINT = "'# Day N: Title - Interview Questions'"

H1 = re.compile(r"#\s+(.*?)\s*\Z")
TITLE = re.compile(r"(?:Day\s+(\w+)\s*:\s*)?(.*?)(?:\s+[-–—]\s+Interview Questions)?\Z", re.I)
QUESTION = re.compile(r"#{2,4}\s+(\d{1,9})[.)]\s+(\S.*?)\s*\Z")
HEADING = re.compile(r"#{1,6}(\s|\Z)")
META = re.compile(r">\s?\*\*([^*]+?)(?::\*\*|\*\*\s*:)\s*(.*?)\s*\Z")
QUOTE = re.compile(r">\s?(.*?)\s*\Z")
ANSWER = re.compile(r"\*\*Answer(?::\*\*|\*\*\s*:)\s*(.*?)\s*\Z", re.I)
BULLET = re.compile(r"( *)([*+-]|\d{1,9}[.)])( +)(\S.*?)\s*\Z")
RULE = re.compile(r" {0,3}([-*_])( *\1){2,} *\Z")
COMMENT = re.compile(r"<!--\s*(.*?)\s*-->\Z")
FENCE = re.compile(r" *(`{3,}(?=[^`]*\Z)|~{3,})")


def _escape(line: str) -> str:
    """A question's later line that would read as a heading, the answer marker or a comment
    gets a backslash (Markdown shows `\\#` as `#`), so `quiz import` reads it back as text."""
    t = line.lstrip()
    if HEADING.match(t) or ANSWER.match(t) or COMMENT.match(t) or t.startswith("\\"):
        return line[: len(line) - len(t)] + "\\" + t
    return line


def _unescape(line: str) -> str:
    t = line.lstrip()
    if t.startswith("\\") and _escape(t[1:]) != t[1:]:  # only what _escape escaped
        return line[: len(line) - len(t)] + t[1:]
    return line


class MarkdownError(QuizError):
    """A Markdown file that cannot be imported; the message starts with `file:line:`."""


@dataclass
class Parsed:
    """A Markdown deck before it becomes a bank."""

    path: str
    deck: str
    title: str
    meta: dict
    questions: list[dict]  # {"id", "question", "answer": [...], "tags": [...], "proof", "line"}
    warnings: list[str] = field(default_factory=list)  # "file:line: message"


def slugify(title: str) -> str:
    """A deck slug from a title: "Object Detection" → "object-detection"."""
    ascii_ = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:64].strip("-")


def check_deck(deck: str) -> str:
    if not DECK_SLUG.match(deck):
        raise UsageError(f"--deck {deck!r} must be a slug: lowercase letters, digits and '-' (e.g. day14)")
    return deck


def read_markdown(path: Path | str) -> str:
    """The file's text; an empty, binary, non-UTF-8 or unreadable file is a MarkdownError."""
    path = Path(path)
    try:
        if path.is_dir():
            raise MarkdownError(f"{path}: is a folder, not a Markdown file")
        if path.stat().st_size > MAX_BANK_BYTES:
            raise MarkdownError(f"{path}: file too large (at most {MAX_BANK_BYTES // 1_000_000} MB)")
        raw = read_capped(path, MAX_BANK_BYTES)
        if raw is None:
            raise MarkdownError(f"{path}: file too large (at most {MAX_BANK_BYTES // 1_000_000} MB)")
    except OSError as e:
        raise MarkdownError(f"{path}: cannot read: {e.strerror}") from None
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise MarkdownError(f"{path}:{line}: binary data (a NUL byte), not a Markdown file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise MarkdownError(f"{path}:{line}: not UTF-8 text") from None
    if not text.strip():
        raise MarkdownError(f"{path}:1: empty file (expected {FORMAT_HINT})")
    return text


class _Parser:
    """One pass over the lines; problems are collected as (line, message)."""

    def __init__(self, text: str, path: str):
        self.path = path
        # tabs in indentation count as 4 spaces; text after it is untouched
        self.lines = [self._expand(line) for line in text.splitlines()]
        self.errors: list[tuple[int, str]] = []
        self.warnings: list[tuple[int, str]] = []
        self.title: str | None = None
        self.title_line = 0
        self.meta: dict = {}
        self.questions: list[dict] = []
        self.first_line: dict[int, int] = {}  # question number → the line it was first used at
        self.i = 0  # index of the next line
        self.skipped = -1  # the last line skipped

    @staticmethod
    def _expand(line: str) -> str:
        body = line.lstrip(" \t")
        return line[: len(line) - len(body)].expandtabs(4) + body

    def error(self, n: int, message: str):
        self.errors.append((n, message))

    def warn(self, n: int, message: str):
        self.warnings.append((n, message))

    def skip(self, n: int, what: str = "text outside a question"):
        """Warn once per paragraph skipped."""
        if self.skipped == n - 1:
            self.skipped = n
            return
        self.skipped = n
        line = self.lines[n - 1].strip()
        shown = line if len(line) <= 50 else line[:47] + "..."
        self.warn(n, f"skipped {what}: {shown!r}")

    def peek(self) -> str | None:
        return self.lines[self.i] if self.i < len(self.lines) else None

    # -- the parts of a file ----------------------------------------------------------

    def parse(self):
        last_meta = None
        while (line := self.peek()) is not None:
            n = self.i + 1
            if QUESTION.match(line):
                if self.title is None:
                    self.error(n, f"question before the title heading (expected {FORMAT_HINT} first)")
                    self.title = ""
                self.question()
                last_meta = None
                continue
            self.i += 1
            if not line.strip():
                continue
            if self.title is None and (m := H1.match(line)):
                self.heading(n, m[1])
            elif self.questions:  # after a question's answer: a section this format does not know
                self.skip(n, "a heading that is not '### N. Question'" if HEADING.match(line) else "text")
            elif self.title is not None and (m := META.match(line)):
                last_meta = self.metadata(n, m[1], m[2])
            elif self.title is not None and last_meta and (m := QUOTE.match(line)):
                self.meta[last_meta] += "\n" + m[1]
            else:
                self.skip(n)
                last_meta = None
        if self.title is None:
            self.error(1, f"no title heading: expected {FORMAT_HINT}")
        elif not self.questions and not self.errors:
            self.error(self.title_line, "no questions: expected '### N. Question' headings, "
                                        "each followed by '**Answer:**' and bullets")

    def heading(self, n: int, text: str):
        m = TITLE.match(text)
        day, title = m[1], m[2].strip()
        if not title:
            self.error(n, f"the title heading has no title (expected {FORMAT_HINT})")
        self.title, self.title_line = title, n
        if day is not None:
            self.meta["day"] = int(day) if day.isascii() and day.isdigit() else day

    def metadata(self, n: int, key: str, value: str) -> str | None:
        name = key.strip().lower()
        if name not in META_KEYS:
            self.warn(n, f"skipped metadata {key.strip()!r} (known: {', '.join(k.title() for k in META_KEYS)})")
            return None
        self.meta[name] = int(value) if name == "day" and value.isascii() and value.isdigit() else value
        return name

    def question(self):
        start = self.i + 1
        m = QUESTION.match(self.lines[self.i])
        qid, lines = int(m[1]), [m[2]]
        tags, proof, keywords = [], None, []
        self.i += 1
        # the question's further lines, up to **Answer:**
        answer_line = None
        while (line := self.peek()) is not None:
            if HEADING.match(line):
                break
            self.i += 1
            if a := ANSWER.match(line.strip()):
                answer_line = self.i
                break
            if c := COMMENT.match(line.strip()):
                tags, proof = self.annotation(self.i, c[1], tags, proof, keywords)
                continue
            lines.append(_unescape(line.rstrip()))
        text = "\n".join(lines).strip()
        if answer_line is None:
            self.error(start, f"question {qid} has no '**Answer:**' line "
                              "(expected '**Answer:**' and bullets under each question)")
            return
        entries = self.answer(a[1], answer_line)
        if not entries:
            self.error(answer_line, f"question {qid} has no answer bullets after '**Answer:**'")
            return
        first = self.first_line.get(qid)
        if first is not None:
            self.error(start, f"duplicate question number {qid} (first used at line {first})")
            return
        if qid < 1:
            self.error(start, f"question number must be 1 or more, got {qid}")
            return
        for where, value in [(start, text)] + entries:
            if len(value) > MAX_TEXT:
                self.error(where, f"text too long ({len(value):,} characters; at most {MAX_TEXT:,})")
                return
        if keywords and len(keywords) != len(entries):
            self.warn(start, f"skipped keywords of question {qid}: "
                             f"{len(keywords)} lists for {len(entries)} answer bullets")
            keywords = []
        self.first_line[qid] = start
        self.questions.append({"id": qid, "question": text, "answer": [e for _, e in entries],
                               "tags": tags, "proof": proof, "keywords": keywords, "line": start})

    def annotation(self, n: int, body: str, tags: list, proof, keywords: list):
        """`<!-- tags: a, b; proof: q07_name; keywords: [["a", "b|c"], []] -->`, as `quiz export --format md`
        writes it (keywords, a JSON list of key terms per answer bullet, come last)."""
        if m := re.search(r"(?:^|;)\s*keywords:\s*(.*)\Z", body):
            body = body[: m.start()]
            try:
                value = json.loads(m[1])
                if not (isinstance(value, list) and all(isinstance(k, list) and all(isinstance(t, str) for t in k)
                                                        for k in value)):
                    raise ValueError
                keywords[:] = value
            except ValueError:
                self.warn(n, "skipped keywords: expected a JSON list of lists of terms, one per answer bullet")
        for part in filter(None, (p.strip() for p in body.split(";"))):
            key, sep, value = part.partition(":")
            key, value = key.strip().lower(), value.strip()
            if sep and key == "tags":
                for tag in filter(None, (t.strip() for t in value.split(","))):
                    if TAG.match(tag):
                        tags.append(tag)
                    else:
                        self.warn(n, f"skipped tag {tag!r}: tags are lowercase letters, digits, '-', '_' or '.'")
            elif sep and key == "proof" and (PROOF_NAME.match(value) or PROOF_FILE.match(value)):
                proof = value
            else:
                self.warn(n, f"skipped comment {part!r} (known: tags: a, b; proof: q07_name; keywords: [[...]])")
        return tags, proof

    def answer(self, inline: str, marker_line: int) -> list[tuple[int, str]]:
        """The entries under **Answer:**, up to the next heading: [(line, text)]."""
        entries: list[list] = []  # [line, [lines], content column, marker indent]
        if inline:
            entries.append([marker_line, [inline], 0, 0])
        cur = entries[-1] if entries else None
        blank = False
        fence = None  # the open fence string inside the current entry
        while (line := self.peek()) is not None:
            n = self.i + 1
            indent = len(line) - len(line.lstrip(" "))
            if fence is not None:  # inside a code block: everything belongs to the entry
                self.i += 1
                cur[1].append(line[min(indent, cur[2]):])
                if line.strip().startswith(fence):
                    fence = None
                continue
            if HEADING.match(line):
                break
            self.i += 1
            if not line.strip():
                blank = True
                if cur is not None:
                    cur[1].append("")
                continue
            inner = cur is not None and indent > cur[3]
            bullet = BULLET.match(line)
            if inner and (not blank or indent >= 2):
                # nested items and continuation lines, dedented to the bullet's text column
                cur[1].append(line[min(indent, cur[2]):].rstrip())
            elif bullet:
                cur = [n, [bullet[4]], len(bullet[1]) + len(bullet[2]) + len(bullet[3]), len(bullet[1])]
                entries.append(cur)
            elif RULE.match(line) or COMMENT.match(line.strip()):
                self.skip(n, "a line in an answer")
                cur = None
            elif cur is not None and not blank:  # a lazy continuation of the last line
                cur[1].append(line.rstrip())
            else:  # a paragraph under **Answer:**: an entry of its own
                cur = [n, [line.strip()], indent, indent]
                entries.append(cur)
            blank = False
            if cur is not None and (f := FENCE.match(cur[1][-1])):
                fence = f[1]
        return [(e[0], "\n".join(e[1]).strip("\n")) for e in entries if "\n".join(e[1]).strip()]


def parse_markdown(text: str, path: str = "<markdown>", deck: str | None = None, collect: list | None = None) -> Parsed:
    """Parse the Markdown format. Raises MarkdownError at the first problem, or
    with `collect`, appends every problem there ("file:line: message")."""
    if "\x00" in text:  # read_markdown refuses these files; text may come from elsewhere
        line = text[: text.index("\x00")].count("\n") + 1
        raise MarkdownError(f"{path}:{line}: binary data (a NUL byte), not a Markdown file")
    p = _Parser(text, path)
    p.parse()
    if not p.errors and not deck:
        deck = slugify(p.title)
        if not DECK_SLUG.match(deck):
            p.error(p.title_line, f"cannot make a deck name from the title {p.title!r}; give one with --deck NAME")
    problems = [f"{path}:{n}: {m}" for n, m in sorted(p.errors)]
    if problems:
        if collect is None:
            more = f" (and {len(problems) - 1} more: quiz validate {path})" if len(problems) > 1 else ""
            raise MarkdownError(problems[0] + more)
        collect.extend(problems)
    warnings = [f"{path}:{n}: {m}" for n, m in sorted(p.warnings)]
    return Parsed(path, deck or "", p.title or "", p.meta, p.questions, warnings)


# -- YAML ------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):  # lists indented under their key
        return super().increase_indent(flow, False)


class _Flow(list):
    pass


# characters YAML treats as line breaks or cannot print raw: only double quotes (with escapes) keep them
_ESCAPE = re.compile(r"[\r\x85\u2028\u2029\ufeff]|[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _str(dumper, value: str):
    style = '"' if _ESCAPE.search(value) else "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def bank_yaml(deck: str, title: str, meta: dict, questions: list[dict], comment: str = "") -> str:
    """A bank's YAML text: the keys in the built-in bank's order, every string loading back verbatim."""
    data = {"deck": deck, "title": title}
    data.update({k: meta[k] for k in META_KEYS if meta.get(k) is not None})
    data["questions"] = []
    for q in questions:
        item = {"id": q["id"], "question": q["question"]}
        if q.get("tags"):
            item["tags"] = _Flow(q["tags"])
        if q.get("proof"):
            item["proof"] = q["proof"]
        item["answer"] = list(q["answer"])
        if q.get("keywords"):
            item["keywords"] = _Flow(_Flow(terms) for terms in q["keywords"])
        data["questions"].append(item)
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000, indent=2)
    from quiz.text import visible  # a file name with an ESC (or a NEL, a YAML line break) stays one comment line

    header = "".join(f"# {line}\n" if line else "#\n" for line in visible(comment).splitlines())
    return header + body


def bank_dicts(bank: Bank) -> list[dict]:
    return [{"id": q.id, "question": q.question, "answer": list(q.answer), "tags": list(q.tags), "proof": q.proof,
             "keywords": [list(terms) for terms in q.keywords]}
            for q in bank.questions]


# -- quiz import -----------------------------------------------------------------------


@dataclass
class Imported:
    bank: Bank
    path: Path
    replaced: bool
    warnings: list[str]


def existing_decks(extra=()) -> dict[str, Path]:
    """deck → the file defining it, over every bank file quiz loads; broken files are passed over."""
    from quiz.bank import bank_paths, load_bank

    found: dict[str, Path] = {}
    for entry, _required in bank_paths() + [(Path(p), True) for p in extra]:
        files = sorted(entry.glob("*.y*ml")) if entry.is_dir() else [entry] if entry.exists() else []
        for f in files:
            try:
                found.setdefault(load_bank(f).deck, f)
            except BankError:
                continue
    return found


def import_markdown(source: Path | str, deck: str | None = None, force: bool = False, extra=()) -> Imported:
    """`quiz import`: parse a Markdown file into $QUIZ_HOME/banks/<deck>.yaml.

    Refuses to replace an existing deck without `force`; a deck defined outside
    $QUIZ_HOME/banks (the built-in ones, QUIZ_BANKS, --bank) is never replaced.
    Re-importing keeps progress (it is keyed by deck + question number) and the
    tags and proofs of questions whose markdown has none.
    """
    from quiz.bank import load_bank
    from quiz.files import home

    source = Path(source)
    if source.suffix.lower() in (".yaml", ".yml"):
        raise UsageError(f"{source} is a bank already, not Markdown: load it with --bank {source}, or copy it "
                         "into $QUIZ_HOME/banks/")
    if deck is not None:
        check_deck(deck)
    parsed = parse_markdown(read_markdown(source), str(source), deck)
    home().mkdir(parents=True, exist_ok=True, mode=0o700)  # private, as Store makes it
    banks_dir = (home() / "banks").resolve()
    existing = existing_decks(extra).get(parsed.deck)
    target = banks_dir / f"{parsed.deck}.yaml"
    replaced = False
    if existing is not None:
        if existing.resolve().parent != banks_dir:
            raise QuizError(f"deck {parsed.deck!r} is already defined in {existing}; "
                            "import under another name with --deck NAME")
        if not force:
            raise QuizError(f"deck {parsed.deck!r} already exists ({existing}); "
                            "use --force to replace it (progress is kept)")
        target, replaced = existing.resolve(), True
        old = {q.id: q for q in load_bank(existing).questions}
        for q in parsed.questions:
            was = old.get(q["id"])
            if was is not None and not q["tags"] and not q["proof"]:
                q["tags"], q["proof"] = list(was.tags), was.proof
            if was is not None and not q["keywords"] and list(was.answer) == q["answer"]:
                q["keywords"] = [list(terms) for terms in was.keywords]
    elif target.exists():
        other = next((d for d, f in existing_decks(extra).items() if f.resolve() == target), None)
        if other is not None:
            raise QuizError(f"{target} already holds deck {other!r}; import under another name with --deck NAME")
        if not force:
            raise QuizError(f"{target} already exists; use --force to replace it")
    text = bank_yaml(parsed.deck, parsed.title, parsed.meta, parsed.questions,
                     comment=f"Imported from {source.name} by `quiz import`.\n"
                             "Progress is keyed by deck + id: keep ids stable when you edit.")
    bank = write_bank(target, text)
    return Imported(bank, target, replaced, parsed.warnings)


# -- quiz edit, and `e` in a session ------------------------------------------------------


def run_editor(path: Path, line: int) -> None:
    """$VISUAL or $EDITOR (else vi) on `path`, at `line`."""
    import os
    import shlex
    import subprocess

    editor = shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")
    try:
        subprocess.run([*editor, f"+{line}", str(path)], check=False)
    except OSError as e:
        raise QuizError(f"cannot start the editor {editor[0]!r}: {e.strerror} (set $EDITOR)") from None


def edit_target(ref: str, banks: list[Bank], skipped: list, default_deck: str) -> tuple[Path, int, str | None]:
    """Where `quiz edit REF` opens (file, line) and a note: a bank that was skipped for a problem,
    named by its deck (REF = deck, deck/N or N), at its problem's line; else the question's line,
    a built-in question in a copy made now in $QUIZ_HOME/banks/ (the note says so)."""
    from quiz.bank import find, user_copy

    deck = ref.rpartition("/")[0] if "/" in ref else None if ref.strip().isdigit() else ref.strip()
    for s in skipped:
        if s.deck is not None and s.deck == (deck or default_deck):
            return s.path, s.line, None
    if deck and "/" not in ref:  # a deck's name alone: its bank at the top
        from quiz.bank import deck_of

        b = deck_of(banks, deck)
        return user_copy(b.questions[0])[0], 1, None
    q = find(banks, ref)
    path, line, copied = user_copy(q)
    note = (f"{q.deck} is a built-in deck: copied it to {path} to edit (it is read instead of the built-in "
            "from now on; progress is kept)") if copied else None
    return path, line, note


def check_edit(path: Path) -> tuple[list[str], list[str]]:
    """(problems, warnings) of a bank just edited: every problem as file:line: message."""
    _, problems, warnings = lint_file(Path(path))
    return problems, warnings


def edit_question(q) -> tuple:
    """`e` in a session: edit q's bank (a built-in one in a user copy) at q's line, then check it.
    (the deck's questions as edited, or None; lines to show)."""
    from quiz.bank import load_bank, user_copy

    path, line, copied = user_copy(q)
    lines = [f"{q.deck} is a built-in deck: editing your copy {path} (read instead of the built-in from "
             "now on; progress is kept)"] if copied else []
    run_editor(path, line)
    problems, warnings = check_edit(path)
    lines += [f"warning: {w}" for w in warnings] + problems
    if problems:
        return None, lines + [f"The card is unchanged here; fix the bank with: quiz edit {q.key}"]
    bank = load_bank(path)
    if bank.get(q.id) is None or bank.deck != q.deck:
        return None, lines + [f"{q.key} is no longer in {path}: the card is unchanged here"]
    return list(bank.questions), lines + [f"Saved {q.key}; progress is kept."]


# -- quiz validate ---------------------------------------------------------------------


def _line(problem: str) -> tuple[str, int]:
    m = re.match(r"(.*?):(\d+):", problem)
    return (m[1], int(m[2])) if m else (problem, 0)


def lint_file(path: Path) -> tuple[Bank | None, list[str], list[str]]:
    """(the bank if it loads, problems, warnings) for one YAML bank or Markdown file."""
    from quiz import proofs
    from quiz.bank import load_bank

    path = Path(path)
    if path.suffix.lower() in (".md", ".markdown"):
        problems: list[str] = []
        try:
            parsed = parse_markdown(read_markdown(path), str(path), deck="x", collect=problems)
        except MarkdownError as e:
            return None, [str(e)], []
        return None, problems, parsed.warnings
    try:
        bank = load_bank(path)
    except BankError as e:
        return None, _bank_problems(path, str(e)), []
    from quiz.proofs.authoring import check_proof_file

    known = set(proofs.available())
    problems = [f"{q.source}: no proof module named {q.proof!r} in quiz/proofs (question {q.id})"
                for q in bank.questions if q.proof and q.proof_path is None and q.proof not in known]
    for q in bank.questions:
        problems += check_proof_file(q)  # a bank's own proof files: read, never run
    return (None if problems else bank), problems, []


def _bank_problems(path: Path, first: str) -> list[str]:
    """Every broken question of a bank, not just the first: each question is
    checked alone, in a copy of the file where the other questions' lines are
    blank (so line numbers stay true). Falls back to the first problem."""
    try:
        raw = read_capped(path, MAX_BANK_BYTES)
        if raw is None:
            return [first]
        text = raw.decode("utf-8")
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, ValueError, yaml.YAMLError, RecursionError):
        return [first]
    if not isinstance(root, yaml.MappingNode):
        return [first]
    items = next((v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "questions"), None)
    if not isinstance(items, yaml.SequenceNode) or items.flow_style or len(items.value) < 2:
        return [first]
    lines = text.split("\n")
    spans = []  # the lines of each question: [first, last + 1)
    for node in items.value:
        end = node.end_mark
        tail = lines[end.line][: end.column] if end.line < len(lines) else ""
        spans.append((node.start_mark.line, end.line + bool(tail.strip(" -"))))
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:])):
        return [first]
    problems: list[str] = []
    ids: dict[int, int] = {}
    head, tail = lines[: spans[0][0]], lines[spans[-1][1]:]
    where = re.compile(re.escape(str(path)) + r":(\d+):")
    for k, (lo, hi) in enumerate(spans):
        # the file's other keys with this one question: linear in the file, line numbers mapped back
        body = lines[lo:hi]

        def true_line(m, lo=lo, n=len(body)):
            line = int(m[1])
            if line > len(head) + n:
                line += spans[-1][1] - len(head) - n
            elif line > len(head):
                line += lo - len(head)
            return f"{path}:{line}:"

        try:
            (q,) = parse_bank("\n".join(head + body + tail), str(path)).questions
        except BankError as e:
            message = where.sub(true_line, str(e), count=1)
            if message not in problems:
                problems.append(message)
            continue
        node = items.value[k]
        line = next(v.start_mark.line + 1 for key, v in node.value if key.value == "id")
        if q.id in ids:
            problems.append(f"{path}:{line}: duplicate id {q.id} (first used at line {ids[q.id]})")
        else:
            ids[q.id] = line
    if first not in problems:
        problems.append(first)
    return sorted(problems, key=lambda p: _line(p)[1])


def lint(paths=None, extra=()) -> tuple[list[str], list[str], int]:
    """`quiz validate`: (problems, warnings, files checked) over the given files
    and folders, or every bank quiz loads. Two files declaring one deck are a problem."""
    from quiz.bank import bank_paths

    entries = bank_paths() if not paths else [(Path(p), True) for p in paths]
    entries += [(Path(p), True) for p in extra]
    problems, warnings, decks, count = [], [], {}, 0
    for entry, required in entries:
        if entry.is_dir():
            files = sorted(entry.glob("*.y*ml"))
        elif entry.exists():
            files = [entry]
        else:
            if required:
                problems.append(f"{entry}: no such bank file or folder")
            files = []
        for f in files:
            count += 1
            bank, found, warned = lint_file(f)
            problems += found
            warnings += warned
            if bank is not None:
                if bank.deck in decks:
                    problems.append(f"{f}:{_deck_line(f)}: deck {bank.deck!r} is already defined in {decks[bank.deck]}")
                else:
                    decks[bank.deck] = f
    return problems, warnings, count


def _deck_line(path: Path) -> int:
    for n, line in enumerate((read_capped(path, MAX_BANK_BYTES) or b"").decode("utf-8", "replace").splitlines(), 1):
        if line.startswith("deck:"):
            return n
    return 1
