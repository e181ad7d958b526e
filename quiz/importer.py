"""Bringing banks in: interview-question Markdown → a YAML bank (`quiz import`), and `quiz validate`.

Reading the Markdown (which blocks are questions, which answers) is quiz/markdown.py's work; this
module turns what it found into a bank: ids (the file's own numbers when they are unique, else the
questions' order; on a re-import, the id of the question with the same text), warnings naming
`file:line` for everything skipped, the YAML, and the rules for replacing a bank already there.
A file with no question at all is an error naming `file:line`, and nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from quiz.bank import (DECK_SLUG, MAX_BANK_BYTES, MAX_ID, MAX_TEXT, Bank, BankError, bank_yaml,
                       existing_decks, parse_bank, write_bank)
from quiz.errors import QuizError, UsageError
from quiz.files import read_capped
from quiz.mdtext import NO_ANSWER
from quiz.text import slugify

FORMAT_HINT = "headings like '### 1. Question', bold questions, 'Q:'/'A:' pairs or <details> blocks"


class MarkdownError(QuizError):
    """A Markdown file that cannot be imported; the message starts with `file:line:`."""


@dataclass
class Parsed:
    """A Markdown deck before it becomes a bank."""

    path: str
    deck: str
    title: str
    meta: dict
    questions: list[dict]  # {"id", "question", "answer": [...] or "text", "tags", "proof", "keywords", "line", "number"}
    warnings: list[str] = field(default_factory=list)  # "file:line: message"
    notes: list = field(default_factory=list)  # (line, message): the warnings without the file name


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


def assign_ids(questions: list[dict], old=()) -> None:
    """Each question's `id`. On a re-import, a question whose text an old question had keeps that one's id
    (and so its progress). The others take the file's own number when the file numbers every question once
    (`### 7.` → 7), else their place in the file — unless a kept id has it; then the next free id."""
    numbers = [q["number"] for q in questions]
    own = all(n is not None and 1 <= n <= MAX_ID for n in numbers) and len(set(numbers)) == len(numbers)
    wanted = numbers if own else list(range(1, len(questions) + 1))
    by_text: dict[str, int] = {}
    for q in old:
        by_text.setdefault(_key(q.question), q.id)
    for q in questions:
        q["id"] = by_text.pop(_key(q["question"]), None)
    used = {q["id"] for q in questions if q["id"] is not None}
    claimed = {w for q, w in zip(questions, wanted) if q["id"] is None and w not in used}
    next_free = max([0, *used, *(q.id for q in old)]) + 1  # above every old id: a removed one keeps its history
    for q, want in zip(questions, wanted):
        if q["id"] is None:
            if want in used:
                while next_free in used or next_free in claimed:
                    next_free += 1
                want = next_free
            q["id"] = want
            used.add(want)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def parse_markdown(text: str, path: str = "<markdown>", deck: str | None = None, collect: list | None = None) -> Parsed:
    """Parse interview-question Markdown. Raises MarkdownError at the first problem, or
    with `collect`, appends every problem there ("file:line: message")."""
    from quiz import markdown

    if "\x00" in text:  # read_markdown refuses these files; text may come from elsewhere
        line = text[: text.index("\x00")].count("\n") + 1
        raise MarkdownError(f"{path}:{line}: binary data (a NUL byte), not a Markdown file")
    doc = markdown.read(text)
    errors: list[tuple[int, str]] = []
    notes = list(doc.notes)
    questions = []
    for f in doc.questions:
        parts = [f.question] + (f.answer if isinstance(f.answer, list) else [f.answer])
        if any(len(part) > MAX_TEXT for part in parts):
            longest = max(len(part) for part in parts)
            notes.append((f.line, f"skipped a question with a text too long ({longest:,} characters; at most "
                                  f"{MAX_TEXT:,}): {_excerpt(f.question)!r}"))
            continue
        keywords = f.keywords
        count = len(f.answer) if isinstance(f.answer, list) else 1
        if keywords and len(keywords) != count:
            notes.append((f.line, f"skipped keywords of the question at line {f.line}: "
                                  f"{len(keywords)} lists for {count} answer bullets"))
            keywords = []
        questions.append({"id": None, "question": f.question, "answer": f.answer, "tags": f.tags, "proof": f.proof,
                          "keywords": keywords, "line": f.line, "number": f.number})
    assign_ids(questions)
    numbered = [q for q in questions if q["number"] is not None]
    if numbered and len({q["number"] for q in numbered}) < len(numbered):
        first: dict[int, int] = {}
        again = next(q for q in numbered if first.setdefault(q["number"], q["line"]) != q["line"])
        notes.append((again["line"], f"question number {again['number']} is used twice (first at line "
                                     f"{first[again['number']]}): ids follow the questions' order"))
    title = doc.title or Path(path).stem.replace("_", " ").replace("-", " ").strip()
    unanswered = [s for s in doc.skipped if s.why == NO_ANSWER]
    if not questions:
        if unanswered:
            errors.append((unanswered[0].line, f"no question has an answer ({_count(unanswered)} without one, "
                                               f"at {_lines(unanswered)})"))
        else:
            errors.append((doc.title_line or 1, f"no questions found: expected {FORMAT_HINT}"))
    if not errors and not deck:
        deck = slugify(title)
        if not DECK_SLUG.match(deck):
            errors.append((doc.title_line or 1, f"cannot make a deck name from the title {title!r}; "
                                                "give one with --deck NAME"))
    problems = [f"{path}:{n}: {m}" for n, m in sorted(errors)]
    if problems:
        if collect is None:
            more = f" (and {len(problems) - 1} more: quiz validate {path})" if len(problems) > 1 else ""
            raise MarkdownError(problems[0] + more)
        collect.extend(problems)
    warnings = [(s.line, f"skipped {s.why}: {s.text!r}") for s in doc.skipped if s.why != NO_ANSWER]
    if unanswered and questions:
        warnings.append((unanswered[0].line, f"{_count(unanswered)} without an answer {'was' if len(unanswered) == 1 else 'were'} "
                                             f"skipped: {_lines(unanswered)}"))
    warnings += notes
    warnings.sort()
    return Parsed(path, deck or "", title, doc.meta, questions, [f"{path}:{n}: {m}" for n, m in warnings], warnings)


def _count(skipped: list) -> str:
    return f"{len(skipped)} question{'s' * (len(skipped) != 1)}"


def _lines(skipped: list, most: int = 8) -> str:
    shown = ", ".join(str(s.line) for s in skipped[:most])
    return ("line " if len(skipped) == 1 else "lines ") + shown + \
        (f" and {len(skipped) - most} more" if len(skipped) > most else "")


def _excerpt(text: str, width: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


# -- quiz import -----------------------------------------------------------------------

IMPORTED = "imports"  # in $QUIZ_HOME: a copy of each bank as `quiz import` wrote it, to tell your edits from the file's


@dataclass
class Change:
    id: int
    what: str  # "new", "removed", or what changed: "question, answer"
    text: str  # the question (as it will read)


@dataclass
class Plan:
    """What `quiz import` would do; nothing is written until import_markdown() carries it out."""

    source: Path
    parsed: Parsed
    target: Path
    replaced: bool  # an existing bank file is replaced
    text: str  # the bank's YAML
    changes: list[Change]  # against the bank there now
    lost: list[Change]  # your edits (since the last import) that the import would replace
    known: bool  # whether quiz has a copy of what the last import wrote (else every change may be an edit)
    refusal: str | None  # why the import (with these options) stops


@dataclass
class Imported:
    bank: Bank
    path: Path
    replaced: bool
    warnings: list[str]
    changes: list[str] = field(default_factory=list)  # one line per changed question


def plan_import(source: Path | str, deck: str | None = None, force: bool = False, overwrite_edits: bool = False,
                extra=()) -> Plan:
    """Read the file and decide what `quiz import` does with it (see import_markdown); writes nothing."""
    from quiz.bank import load_bank
    from quiz.files import home

    source = Path(source)
    if source.suffix.lower() in (".yaml", ".yml"):
        raise UsageError(f"{source} is a bank already, not Markdown: load it with --bank {source}, or copy it "
                         "into $QUIZ_HOME/banks/")
    if deck is not None:
        check_deck(deck)
    parsed = parse_markdown(read_markdown(source), str(source), deck)
    banks_dir = (home() / "banks").resolve()
    existing = existing_decks(extra).get(parsed.deck)
    target = banks_dir / f"{parsed.deck}.yaml"
    replaced, old, refusal = False, None, None
    force = force or overwrite_edits
    if existing is not None:
        if existing.resolve().parent != banks_dir:
            refusal = (f"deck {parsed.deck!r} is already defined in {existing}; "
                       "import under another name with --deck NAME")
        else:
            target, replaced, old = existing.resolve(), True, load_bank(existing)
            if not force:
                refusal = f"deck {parsed.deck!r} already exists ({existing}); use --force to replace it (progress is kept)"
    elif target.exists():
        other = next((d for d, f in existing_decks(extra).items() if f.resolve() == target), None)
        if other is not None:
            refusal = f"{target} already holds deck {other!r}; import under another name with --deck NAME"
        elif not force:
            refusal = f"{target} already exists; use --force to replace it"
    assign_ids(parsed.questions, old.questions if old else ())
    if old is not None:
        _keep_what_the_file_lacks(parsed.questions, old)
    text = bank_yaml(parsed.deck, parsed.title, parsed.meta, parsed.questions,
                     comment=f"Imported from {source.name} by `quiz import`.\n"
                             "Progress is keyed by deck + id: keep ids stable when you edit.")
    new = parse_bank(text, str(target))
    changes = diff(old, new) if old is not None else []
    base = _base(target) if old is not None else None
    lost = lost_edits(base, old, new) if old is not None else []
    if lost and refusal is None and not overwrite_edits:
        why = "holds edits of yours that re-importing would replace" if base is not None else \
            "may hold edits of yours (quiz has no copy of what its last import wrote), and re-importing would change"
        refusal = f"{target} {why}: {_summary(lost)}; see them with --dry-run, replace them with --overwrite-edits"
    return Plan(source, parsed, target, replaced, text, changes, lost, base is not None, refusal)


def import_markdown(source: Path | str, deck: str | None = None, force: bool = False, extra=(),
                    overwrite_edits: bool = False) -> Imported:
    """`quiz import`: parse a Markdown file into $QUIZ_HOME/banks/<deck>.yaml.

    Refuses to replace an existing deck without `force`; a deck defined outside
    $QUIZ_HOME/banks (the built-in ones, QUIZ_BANKS, --bank) is never replaced.
    Re-importing keeps progress (ids follow the questions' text, see assign_ids) and the
    tags, proofs and keywords the file has no word on. When the bank was edited since
    its last import (quiz keeps a copy of what each import wrote, in $QUIZ_HOME/imports)
    and the re-import would undo one of those edits, it stops and names them, unless
    `overwrite_edits`.
    """
    from quiz.files import home

    plan = plan_import(source, deck, force, overwrite_edits, extra)
    if plan.refusal:
        raise QuizError(plan.refusal)
    home().mkdir(parents=True, exist_ok=True, mode=0o700)  # private, as Store makes it
    bank = write_bank(plan.target, plan.text)
    _remember(plan.target, plan.text)
    return Imported(bank, plan.target, plan.replaced, plan.parsed.warnings, change_lines(plan.changes))


def _keep_what_the_file_lacks(questions: list[dict], old: Bank) -> None:
    """A re-import keeps the bank's own tags (beside the file's), its proof when the file names none, and its
    keywords while the answer is the same."""
    was_by_id = {q.id: q for q in old.questions}
    for q in questions:
        was = was_by_id.get(q["id"])
        if was is None:
            continue
        q["tags"] = list(q["tags"]) + [t for t in was.tags if t not in q["tags"]]
        q["proof"] = q["proof"] or was.proof
        same = (was.answer[0] == q["answer"]) if was.prose else list(was.answer) == q["answer"]
        if not q["keywords"] and same:
            q["keywords"] = [list(terms) for terms in was.keywords]


def diff(old: Bank, new: Bank) -> list[Change]:
    """What replacing `old` by `new` changes, question by question (by id)."""
    before = {q.id: q for q in old.questions}
    changes = []
    if (old.title, old.meta) != (new.title, new.meta):
        changes.append(Change(0, "title" if old.title != new.title else "metadata", new.title))
    for q in new.questions:
        was = before.pop(q.id, None)
        if was is None:
            changes.append(Change(q.id, "new", q.question))
            continue
        what = [name for name, a, b in (("question", was.question, q.question),
                                        ("answer", (was.answer, was.prose), (q.answer, q.prose)),
                                        ("tags", was.tags, q.tags), ("proof", was.proof, q.proof),
                                        ("keywords", was.keywords, q.keywords)) if a != b]
        if what:
            changes.append(Change(q.id, ", ".join(what), q.question))
    changes += [Change(q.id, "removed", q.question) for q in before.values()]
    return changes


def change_lines(changes: list[Change], most: int = 30, width: int = 78) -> list[str]:
    """One line per change: `~ 7 answer: 'Why…'`, `+ 21 new: …`, `- 5 removed: …`."""
    out = []
    for c in changes[:most]:
        sign = {"new": "+", "removed": "-"}.get(c.what, "~")
        head = f"  {sign} {c.id} {c.what}: " if c.id else f"  ~ {c.what}: "
        out.append(head + repr(_excerpt(c.text, max(20, width - len(head) - 2))))
    if len(changes) > most:
        out.append(f"  … and {len(changes) - most} more")
    return out


def _summary(changes: list[Change], most: int = 5) -> str:
    shown = "; ".join(f"{c.id}: {c.what}" if c.id else c.what for c in changes[:most])
    more = f"; {len(changes) - most} more" if len(changes) > most else ""
    count = sum(1 for c in changes if c.id)
    return f"{count} question{'s' * (count != 1)} ({shown}{more})"


FIELDS = ("question", "answer", "tags", "proof", "keywords")


def _fields(q) -> dict:
    return {"question": q.question, "answer": (q.answer, q.prose), "tags": q.tags, "proof": q.proof,
            "keywords": q.keywords}


def lost_edits(base: Bank | None, current: Bank, new: Bank) -> list[Change]:
    """Your edits that replacing `current` by `new` would undo: what you changed since the import that wrote
    `base` (a question's text, answer, tags…, a question you added or deleted) and the new bank does not keep.
    Without `base`, any change might undo an edit."""
    if base is None:
        return diff(current, new)
    was = {q.id: _fields(q) for q in base.questions}
    now = {q.id: _fields(q) for q in current.questions}
    will = {q.id: _fields(q) for q in new.questions}
    text = {q.id: q.question for q in (*base.questions, *current.questions)}
    lost = []
    if current.title != base.title and new.title != current.title:
        lost.append(Change(0, "title", current.title))
    if current.meta != base.meta and new.meta != current.meta:
        lost.append(Change(0, "metadata", current.title))
    for qid, mine in now.items():
        before = was.get(qid)
        if qid not in will:
            if before != mine:
                lost.append(Change(qid, "yours, removed", text[qid]))
            continue
        undone = [f for f in FIELDS if (before is None or mine[f] != before[f]) and will[qid][f] != mine[f]]
        if undone:
            lost.append(Change(qid, ", ".join(undone), text[qid]))
    lost += [Change(qid, "deleted, back", text[qid]) for qid in was if qid not in now and qid in will]
    return lost


def _copy(target: Path) -> Path:
    from quiz.files import home

    return home() / IMPORTED / target.name


def _base(target: Path) -> Bank | None:
    """The bank as the last `quiz import` wrote it, if quiz kept a copy."""
    try:
        raw = read_capped(_copy(target), MAX_BANK_BYTES)
        return None if raw is None else parse_bank(raw.decode("utf-8"), str(_copy(target)))
    except (OSError, UnicodeDecodeError, BankError):
        return None


def _remember(target: Path, text: str) -> None:
    from quiz.files import write_atomic

    write_atomic(_copy(target), text)


def dry_run(plan: Plan, shown: int = 5, width: int = 78) -> list[str]:
    """`quiz import --dry-run`: what the import would do, as lines of text (nothing is written)."""
    p = plan.parsed
    day = f", day {p.meta['day']}" if "day" in p.meta else ""
    verb = "replace" if plan.replaced else "import"
    out = ["Dry run: nothing is written.",
           f"Would {verb} deck {p.deck} ({p.title}{day}): {len(p.questions)} questions from {plan.source.name}",
           f"  → {plan.target}"]
    out.append("First questions:")
    for q in p.questions[:shown]:
        n = len(q["answer"]) if isinstance(q["answer"], list) else None
        kind = "text" if n is None else f"{n} bullet{'s' * (n != 1)}"
        head = f"  {q['id']:>4}  "
        tail = f"  [{kind}]"
        out.append(head + _excerpt(q["question"], max(20, width - len(head) - len(tail))) + tail)
    if len(p.questions) > shown:
        out.append(f"  … and {len(p.questions) - shown} more")
    if p.notes:
        out.append(f"Skipped or noted ({len(p.notes)}):")
        out += [f"  line {n}: {m}" for n, m in p.notes]
    if plan.replaced:
        out.append("Changes to the bank there now:" if plan.changes else "The bank there now would stay as it is.")
        out += change_lines(plan.changes)
        if plan.lost:
            out.append("Your edits since its import that this would replace:" if plan.known else
                       "Edits of yours it might replace (quiz has no copy of what its last import wrote):")
            out += change_lines(plan.lost)
    if plan.refusal:
        out.append(f"The import would stop: {plan.refusal}")
    return out


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
