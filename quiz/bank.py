"""Question banks: YAML files validated into frozen dataclasses.

Only the safe YAML loaders are used (the C one when present), and only through
`compose`: we build Python values from the node tree ourselves, so every
problem can name its `file:line`, and tags, aliases or anything but plain
mappings, lists, strings, numbers and booleans are rejected.

Schema (see docs/banks.md):

    deck: modern-backbones          # slug, required
    title: Modern Backbones         # required
    day: 12                         # optional metadata: day, phase, week, topic
    questions:                      # required, non-empty
      - id: 1                       # int ≥ 1, unique in the deck
        question: Why does ResNet work?
        answer: ["bullet in Markdown", ...]   # non-empty strings, or one Markdown text (answer: |)
        tags: [resnet]              # optional
        proof: q01_why_resnet       # optional, a module in quiz/proofs
        keywords: [[gradient, skip|shortcut], []]   # optional: key terms per answer bullet
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from quiz.errors import QuizError
from quiz.files import read_capped

# yaml is imported only when a bank is parsed: a cached bank (see load_bank) needs none of it.

DECK_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}\Z")
PROOF_NAME = re.compile(r"q\d{2}_[a-z0-9_]+\Z")  # a proof shipped in quiz/proofs
# a proof file beside the bank (its path relative to the bank file): runs only once trusted
PROOF_FILE = re.compile(r"(?:[A-Za-z0-9_-][A-Za-z0-9_.-]*/)*q\d+_[A-Za-z0-9_]+\.py\Z")
TAG = re.compile(r"[a-z0-9][a-z0-9_.+-]{0,39}\Z")
MAX_BANK_BYTES = 20_000_000
MAX_TEXT = 20_000  # characters in one question or answer bullet
MAX_ID = 1_000_000_000

DECK_KEYS = {"deck", "title", "day", "phase", "week", "topic", "description", "questions"}
QUESTION_KEYS = {"id", "question", "answer", "tags", "proof", "keywords"}
STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"


class BankError(QuizError):
    """A bank that cannot be loaded; the message starts with `file:line:`."""


@dataclass(frozen=True)
class Question:
    deck: str
    id: int
    question: str
    answer: tuple[str, ...]
    tags: tuple[str, ...] = ()
    proof: str | None = None
    source: str = ""  # file:line where the question is defined
    keywords: tuple[tuple[str, ...], ...] = ()  # key terms per answer bullet, for typed answers; () = derive
    prose: bool = False  # the answer is one Markdown text (`answer: |`), shown as written; answer == (text,)

    @property
    def key(self) -> str:
        return f"{self.deck}/{self.id}"

    @property
    def answer_markdown(self) -> str:
        """The answer as one Markdown text: the text itself, or the bullets as a list (a bullet's later
        lines indented under it)."""
        if self.prose:
            return self.answer[0]
        return "\n".join("- " + b.replace("\n", "\n  ") for b in self.answer)

    @property
    def proof_path(self) -> Path | None:
        """The proof file beside the bank (`proof: proofs/q03_iou.py`), or None for none or a
        built-in proof (`proof: q07_one_by_one`)."""
        if not self.proof or not self.proof.endswith(".py"):
            return None
        return Path(self.source.rsplit(":", 1)[0]).parent / self.proof


@dataclass(frozen=True)
class Bank:
    deck: str
    title: str
    path: str
    questions: tuple[Question, ...]
    meta: dict = field(default_factory=dict)  # day, phase, week, topic, description
    overrides: str | None = None  # the built-in bank this user copy (in $QUIZ_HOME/banks) is read instead of

    def get(self, qid: int) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    @property
    def id_range(self) -> str:
        ids = [q.id for q in self.questions]
        return f"{min(ids)}–{max(ids)}"


def _is(node, kind: str) -> bool:
    """Whether a composed YAML node is a 'scalar', 'sequence' or 'mapping' node."""
    return getattr(node, "id", None) == kind


def _where(path: str, node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


class _Builder:
    """Walks a composed YAML node tree, checking types and the schema."""

    def __init__(self, path: str):
        self.path = path
        self.seen: set[int] = set()

    def fail(self, node, message: str):
        raise BankError(f"{_where(self.path, node)}: {message}")

    def visit(self, node):
        if id(node) in self.seen:  # the same node twice: a YAML alias
            self.fail(node, "YAML aliases (*name) are not allowed in banks")
        self.seen.add(id(node))

    def mapping(self, node, what: str, allowed: set[str], required: list[str]) -> dict:
        self.visit(node)
        if not _is(node, "mapping") or node.tag != "tag:yaml.org,2002:map":
            self.fail(node, f"expected {what} as a mapping of keys to values")
        out: dict = {}
        for key_node, value_node in node.value:
            self.visit(key_node)
            if not _is(key_node, "scalar") or key_node.tag != STR:
                self.fail(key_node, f"keys of {what} must be plain names")
            key = key_node.value
            if key not in allowed:
                self.fail(key_node, f"unknown key {key!r} in {what} (expected one of: {', '.join(sorted(allowed))})")
            if key in out:
                self.fail(key_node, f"duplicate key {key!r} in {what}")
            out[key] = value_node
        missing = [k for k in required if k not in out]
        if missing:
            self.fail(node, f"{what} is missing required key {missing[0]!r}")
        return out

    def text(self, node, what: str, allow_empty: bool = False) -> str:
        self.visit(node)
        if not _is(node, "scalar") or node.tag != STR:
            self.fail(node, f"{what} must be a string")
        value = node.value
        if not allow_empty and not value.strip():
            self.fail(node, f"{what} must not be empty")
        if len(value) > MAX_TEXT:
            self.fail(node, f"{what} is too long ({len(value):,} characters; at most {MAX_TEXT:,})")
        if "\x00" in value:
            self.fail(node, f"{what} contains a NUL character")
        return value

    def scalar(self, node, what: str) -> str:
        """Metadata such as `day: 12` or `week: 3 - CNNs`: any plain scalar, kept as text."""
        self.visit(node)
        if not _is(node, "scalar") or node.tag not in (STR, INT):
            self.fail(node, f"{what} must be a string or a number")
        return int(node.value) if node.tag == INT and node.value.isdigit() else node.value

    def integer(self, node, what: str) -> int:
        self.visit(node)
        if not _is(node, "scalar") or node.tag != INT:
            self.fail(node, f"{what} must be an integer")
        try:
            value = int(node.value.replace("_", ""), 0)
        except ValueError:
            self.fail(node, f"{what} must be an integer")
        return value

    def strings(self, node, what: str) -> list:
        self.visit(node)
        if not _is(node, "sequence") or node.tag != "tag:yaml.org,2002:seq":
            self.fail(node, f"{what} must be a list of strings")
        return node.value


def _parse(text: str, path: str):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # safe loaders only; libyaml's when present
    try:
        return yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        raise BankError(f"{where}: YAML syntax error: {e.problem or e.context}") from None
    except yaml.reader.ReaderError as e:  # a character YAML does not allow (NUL, other controls)
        line = text[: e.position].count("\n") + 1
        code = e.character if isinstance(e.character, int) else ord(e.character)
        raise BankError(f"{path}:{line}: not valid YAML: control character U+{code:04X} is not allowed") from None
    except yaml.YAMLError as e:
        raise BankError(f"{path}: not valid YAML: {' '.join(str(e).split())}") from None
    except RecursionError:
        raise BankError(f"{path}: nesting too deep") from None


def parse_bank(text: str, path: str = "<bank>") -> Bank:
    """Validate a bank's YAML text. Raises BankError naming `path:line`."""
    root = _parse(text, path)
    if root is None:
        raise BankError(f"{path}:1: empty bank (expected keys deck, title, questions)")
    b = _Builder(path)
    top = b.mapping(root, "the bank", DECK_KEYS, ["deck", "title", "questions"])
    deck = b.text(top["deck"], "deck")
    if not DECK_SLUG.match(deck):
        b.fail(top["deck"], f"deck {deck!r} must be a slug: lowercase letters, digits and '-'")
    title = b.text(top["title"], "title")
    meta = {k: b.scalar(top[k], k) for k in ("day", "phase", "week", "topic", "description") if k in top}
    items = b.strings(top["questions"], "questions")
    if not items:
        b.fail(top["questions"], "questions must not be empty")
    questions: list[Question] = []
    first_line: dict[int, int] = {}
    for item in items:
        q = b.mapping(item, "a question", QUESTION_KEYS, ["id", "question", "answer"])
        qid = b.integer(q["id"], "id")
        if not 1 <= qid <= MAX_ID:
            b.fail(q["id"], f"id must be an integer from 1 to {MAX_ID:,}, got {qid}")
        if qid in first_line:
            b.fail(q["id"], f"duplicate id {qid} (first used at line {first_line[qid]})")
        first_line[qid] = q["id"].start_mark.line + 1
        what = f"answer of question {qid}"
        prose = _is(q["answer"], "scalar") and q["answer"].tag == STR
        if prose:  # one Markdown text
            answer = (b.text(q["answer"], what),)
        elif _is(q["answer"], "sequence"):
            answer = tuple(b.text(n, what) for n in b.strings(q["answer"], what))
        else:
            b.fail(q["answer"], f"{what} must be a list of strings or one text")
        if not answer:
            b.fail(q["answer"], f"answer of question {qid} must have at least one bullet")
        tags = ()
        if "tags" in q:
            tags = tuple(b.text(n, "a tag") for n in b.strings(q["tags"], f"tags of question {qid}"))
            for node, tag in zip(q["tags"].value, tags):
                if not TAG.match(tag):
                    b.fail(node, f"tag {tag!r} must be lowercase letters, digits, '-', '_' or '.'")
        proof = None
        if "proof" in q:
            proof = b.text(q["proof"], "proof")
            if not (PROOF_NAME.match(proof) or (PROOF_FILE.match(proof) and ".." not in proof.split("/"))):
                b.fail(q["proof"], f"proof {proof!r} must name a built-in proof like q07_one_by_one, "
                                   "or a file beside the bank like proofs/q03_iou.py")
        keywords = _keywords(b, q["keywords"], qid, len(answer)) if "keywords" in q else ()
        questions.append(
            Question(deck, qid, b.text(q["question"], f"question {qid}"), answer, tags, proof, _where(path, item),
                     keywords, prose)
        )
    return Bank(deck, title, path, tuple(questions), meta)


def _keywords(b: _Builder, node, qid: int, bullets: int) -> tuple[tuple[str, ...], ...]:
    """`keywords:` — one list of key terms per answer bullet (`[]` derives them from the bullet); a text
    answer counts as one bullet."""
    what = f"keywords of question {qid}"
    if not _is(node, "sequence"):
        b.fail(node, f"{what} must be a list holding one list of key terms per answer bullet")
    entries = b.strings(node, what)
    if len(entries) != bullets:
        b.fail(node, f"{what} must have one list per answer bullet ({bullets}), got {len(entries)}")
    out = []
    for n, entry in enumerate(entries, 1):
        terms = tuple(b.text(t, f"a keyword of question {qid}") for t in b.strings(entry, f"{what}, entry {n},"))
        for t_node, term in zip(entry.value, terms):
            if any(not re.search(r"[^\W_]", alt) for alt in term.split("|")):
                b.fail(t_node, f"keyword {term!r} of question {qid} needs letters or digits in each '|' alternative")
        out.append(terms)
    return tuple(out)


def write_bank(path: Path, text: str) -> Bank:
    """Validate a bank's YAML with parse_bank, then write it atomically."""
    from quiz.files import write_atomic

    bank = parse_bank(text, str(path))
    write_atomic(path, text)
    return bank


def load_bank(path: Path | str, cache: bool = True) -> Bank:
    """Load and validate one bank file.

    A validated bank is cached as JSON in $QUIZ_HOME/cache, keyed by the file's
    path, size and modification time: parsing a 10,000-question YAML file takes
    seconds even with the C loader, reading the cache takes milliseconds.
    """
    path = Path(path)
    try:
        st = path.stat()
        if st.st_size > MAX_BANK_BYTES:
            raise BankError(f"{path}: bank too large (at most {MAX_BANK_BYTES // 1_000_000} MB)")
        if cache and (hit := _cache_get(path, st)) is not None:
            return hit
        raw = read_capped(path, MAX_BANK_BYTES)
        if raw is None:
            raise BankError(f"{path}: bank too large (at most {MAX_BANK_BYTES // 1_000_000} MB)")
    except OSError as e:
        raise BankError(f"{path}: cannot read bank: {e.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise BankError(f"{path}:{line}: not UTF-8 text") from None
    bank = parse_bank(text, str(path))
    if cache:
        _cache_put(path, st, bank)
    return bank


def _cache_file(path: Path) -> Path:
    import zlib  # a name, not a security hash: crc32 (hashlib loads OpenSSL, 2 ms); the file names its bank

    from quiz.files import home

    return home() / "cache" / f"bank-{zlib.crc32(os.fsencode(path.resolve())):08x}.json"  # any file name's bytes


def _cache_key(st) -> list:
    from dataclasses import fields

    from quiz import __version__

    return [__version__, [f.name for f in fields(Question)], st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _tuples(value: list) -> tuple:
    return tuple([_tuples(v) if type(v) is list else v for v in value])


def _cache_get(path: Path, st) -> Bank | None:
    import json

    try:
        data = json.loads(_cache_file(path).read_text(encoding="utf-8"))
        if data["key"] != _cache_key(st) or data["bank"]["path"] != str(path):
            return None
        b = data["bank"]
        # positional: the cache's key holds Question's field names, in order (10k questions: 45 → 15 ms)
        questions = tuple(Question(*[_tuples(v) if type(v) is list else v for v in q.values()])
                          for q in b["questions"])
        return Bank(b["deck"], b["title"], b["path"], questions, b["meta"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no cache, or one we cannot use: parse the YAML


def _cache_put(path: Path, st, bank: Bank) -> None:
    import json
    import os
    from dataclasses import asdict

    target = _cache_file(path)
    try:
        target.parent.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # QUIZ_HOME: private
        target.parent.mkdir(exist_ok=True, mode=0o700)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": _cache_key(st), "bank": asdict(bank)}), encoding="utf-8")
        tmp.replace(target)
    except OSError:
        pass  # a cache we cannot write only costs speed


def builtin_dir() -> Path:
    """The banks shipped with quiz: inside the wheel, or questions/ in a checkout."""
    packaged = Path(__file__).parent / "questions"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "questions"


def bank_paths() -> list[tuple[Path, bool]]:
    """Where banks come from, in order, each with whether it must exist: the
    built-in ones, $QUIZ_HOME/banks, then each entry of QUIZ_BANKS (a path list
    of files or folders)."""
    import os

    from quiz.files import home

    paths = [(builtin_dir(), False), (home() / "banks", False)]
    paths += [(Path(p).expanduser(), True) for p in os.environ.get("QUIZ_BANKS", "").split(os.pathsep) if p]
    return paths


@dataclass(frozen=True)
class Skipped:
    """A bank file left out: its problem, where it is, and the deck it names (if it can be read)."""
    path: Path
    line: int
    problem: str  # "file:line: message"
    deck: str | None
    instead: Path | None = None  # the bank of that deck read instead (a user copy's built-in)

    def __str__(self) -> str:
        fix = f"quiz edit {self.deck}" if self.deck else f"$EDITOR {self.path}"
        skipped = "the built-in deck is read until then" if self.instead else "the others work"
        return f"{self.problem} (this bank is skipped; {skipped}; fix it: {fix})"


def _skipped(path: Path, problem: str) -> Skipped:
    m = re.match(r".*?:(\d+):", problem)
    deck = None
    try:
        head = (read_capped(path, MAX_BANK_BYTES) or b"").decode("utf-8", "replace")
        found = re.search(r"^deck:[ \t]*['\"]?([a-z0-9][a-z0-9-]*)", head, re.M)
        deck = found[1] if found else None
    except OSError:
        pass
    return Skipped(path, int(m[1]) if m else 1, problem, deck)


def load_banks(paths: list[Path] | None = None, extra: list[Path] = (), skipped: list | None = None) -> list[Bank]:
    """All banks in the given files and folders (default: bank_paths()), plus
    `extra` ones (--bank), sorted by deck.

    A bank in $QUIZ_HOME/banks for a built-in deck (a user's copy, e.g. made by `quiz edit`) is read
    instead of the built-in one (its `overrides` names that file); progress is keyed by deck and id,
    so it is kept. Any other second bank for a deck is a problem naming both files.
    With `skipped` (a list), a bank with a problem is left out and its Skipped appended: one bad
    bank breaks nothing else. Without it, the first problem is a BankError.
    """
    from quiz.files import home

    entries = bank_paths() if paths is None else [(Path(p), True) for p in paths]
    entries += [(Path(p), True) for p in extra]
    builtin, user = builtin_dir().resolve(), (home() / "banks").resolve()
    banks: dict[str, Bank] = {}
    for entry, required in entries:
        if entry.is_dir():
            files = sorted(entry.glob("*.y*ml"))
        elif entry.exists():
            files = [entry]
        elif required:
            raise BankError(f"{entry}: no such bank file or folder")
        else:
            files = []
        for path in files:
            try:
                bank = load_bank(path)
                first = banks.get(bank.deck)
                if first is not None:
                    if Path(first.path).resolve().parent == builtin and path.resolve().parent == user:
                        bank = replace(bank, overrides=first.path)
                    else:
                        raise BankError(f"{path}: deck {bank.deck!r} is already defined in {first.path}")
            except BankError as e:
                if skipped is None:
                    raise
                skipped.append(_skipped(path, str(e)))
                continue
            banks[bank.deck] = bank
    if skipped:
        skipped[:] = [replace(s, instead=banks[s.deck].path) if s.deck in banks and "already defined" not in s.problem
                      else s for s in skipped]
    return sorted(banks.values(), key=lambda b: b.deck)


def user_copy(q: Question) -> tuple[Path, int, bool]:
    """Where to edit `q`: its bank file and line. A built-in question is first copied, whole bank,
    to $QUIZ_HOME/banks/ (True: copied now), which is read instead of the built-in from then on."""
    from quiz.files import home, write_atomic

    path, line = q.source.rsplit(":", 1)
    path = Path(path)
    if path.resolve().parent != builtin_dir().resolve():
        return path, int(line), False
    target = home() / "banks" / path.name
    if target.exists():
        raise BankError(f"{target} exists but is not deck {q.deck}'s bank; rename it, then edit again")
    raw = read_capped(path, MAX_BANK_BYTES)
    home().mkdir(parents=True, exist_ok=True, mode=0o700)
    (home() / "banks").mkdir(exist_ok=True, mode=0o700)
    write_atomic(target, raw)
    return target, int(line), True


def deck_of(banks: list[Bank], deck: str) -> Bank:
    from quiz.errors import UsageError

    for b in banks:
        if b.deck == deck:
            return b
    raise UsageError(f"no deck {deck!r} (decks: {', '.join(b.deck for b in banks) or 'none'})")


def default_deck() -> str:
    from quiz import config

    return config.load()["default_deck"]


def find(banks: list[Bank], ref: str, deck: str | None = None) -> Question:
    """A question by `N` (in `deck`, default: the configured default deck) or `deck/N`."""
    from quiz.errors import UsageError

    ref = str(ref).strip()
    if "/" in ref:
        deck, _, ref = ref.rpartition("/")
        if not deck:
            raise UsageError(f"expected deck/number, got {'/' + ref!r}")
    if not ref.isascii() or not ref.isdigit() or len(ref) > 9:
        raise UsageError(f"question must be a number or deck/number, got {ref!r}")
    bank = deck_of(banks, deck or default_deck())
    q = bank.get(int(ref))
    if q is None:
        raise UsageError(f"no question {int(ref)} in {bank.deck} (ids {bank.id_range})")
    return q


def select(banks: list[Bank], deck: str | None = None, tag: str | None = None) -> list[Question]:
    """Questions of one deck (or all decks), optionally with a tag; bank order."""
    from quiz.errors import UsageError

    chosen = [deck_of(banks, deck)] if deck else banks
    qs = [q for b in chosen for q in b.questions if tag is None or tag in q.tags]
    if tag is not None and not qs:
        raise UsageError(f"no question tagged {tag!r}" + (f" in {deck}" if deck else ""))
    return qs


def search(questions: list[Question], text: str) -> list[Question]:
    """Questions whose question, answer or tags contain every word of `text` (any case)."""
    from quiz.errors import UsageError

    words = text.casefold().split()
    if not words:
        raise UsageError("give a word to search for")
    return [q for q in questions if all(w in " ".join((q.question, *q.answer, *q.tags)).casefold() for w in words)]


# -- writing a bank ------------------------------------------------------------------------------

META_KEYS = ("day", "phase", "week", "topic", "description")  # a bank's optional keys, in the file's order

# characters YAML treats as line breaks or cannot print raw: only double quotes (with escapes) keep them
_ESCAPE = re.compile(r"[\r\x85\u2028\u2029\ufeff]|[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _Flow(list):
    """A list written on one line ([a, b]): tags and keywords."""


@functools.cache
def _dumper():
    """PyYAML's safe dumper writing banks as the built-in one is written (made on first use: yaml is
    imported only when a bank is parsed or written)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def increase_indent(self, flow=False, indentless=False):  # lists indented under their key
            return super().increase_indent(flow, False)

    def string(dumper, value: str):
        style = '"' if _ESCAPE.search(value) else "|" if "\n" in value else None
        return dumper.represent_scalar(STR, value, style=style)

    Dumper.add_representer(str, string)
    Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
    return Dumper


def bank_yaml(deck: str, title: str, meta: dict, questions: list[dict], comment: str = "") -> str:
    """A bank's YAML text: the keys in the built-in bank's order, every string loading back verbatim."""
    import yaml

    from quiz.text import visible  # a file name with an ESC (or a NEL, a YAML line break) stays one comment line

    data = {"deck": deck, "title": title}
    data.update({k: meta[k] for k in META_KEYS if meta.get(k) is not None})
    data["questions"] = []
    for q in questions:
        item = {"id": q["id"], "question": q["question"]}
        if q.get("tags"):
            item["tags"] = _Flow(q["tags"])
        if q.get("proof"):
            item["proof"] = q["proof"]
        item["answer"] = q["answer"] if isinstance(q["answer"], str) else list(q["answer"])
        if q.get("keywords"):
            item["keywords"] = _Flow(_Flow(terms) for terms in q["keywords"])
        data["questions"].append(item)
    body = yaml.dump(data, Dumper=_dumper(), sort_keys=False, allow_unicode=True, width=1_000_000, indent=2)
    header = "".join(f"# {line}\n" if line else "#\n" for line in visible(comment).splitlines())
    return header + body


def bank_dicts(bank: Bank) -> list[dict]:
    """A bank's questions as bank_yaml() takes them (a text answer as its text, bullets as a list)."""
    return [{"id": q.id, "question": q.question, "answer": q.answer[0] if q.prose else list(q.answer),
             "tags": list(q.tags), "proof": q.proof, "keywords": [list(terms) for terms in q.keywords]}
            for q in bank.questions]


def existing_decks(extra=()) -> dict[str, Path]:
    """deck → the file defining it, over every bank file quiz loads; broken files are passed over."""
    found: dict[str, Path] = {}
    for entry, _required in bank_paths() + [(Path(p), True) for p in extra]:
        files = sorted(entry.glob("*.y*ml")) if entry.is_dir() else [entry] if entry.exists() else []
        for f in files:
            try:
                found.setdefault(load_bank(f).deck, f)
            except BankError:
                continue
    return found
