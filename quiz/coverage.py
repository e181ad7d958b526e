"""Typed answers: which answer bullets a typed answer covered, and a suggested rating.

Transparent key-term matching, nothing learned:

- Each bullet has key terms: the bank's `keywords:` for that bullet, else its
  bold terms (`**Gradient Flow**`) plus up to four salient words (words of four
  or more letters that are not common English, numbers like `256` or `3x3`,
  acronyms like `SE`): the first four in the bullet, in order, leaving out
  filler such as "technique" or "effectively" when the deck's words are weighed.
- A term weighs by how rare its words are across the deck's questions (plain
  IDF: ln((1 + N) / (1 + df)) + 1 over the N questions of the deck, df of them
  holding the word): "features" or "layers", said of many cards, count for less
  than "ensemble" or "shallower".
- A term may list alternatives, `skip|shortcut`; it matches when every word of
  one alternative occurs in the typed answer, in any order. Words are compared
  by their Snowball (Porter 2) stem, ignoring case: `scales` = `scaling`,
  `gradients` = `gradient`, `efficient` = `efficiency`; and a stem of four
  letters or more matches a longer one it starts: `conv` = `convolution`.
  `3 × 3`, `3x3` and `3*3` are the same word.
- A bold phrase matches when its main words do: the part outside parentheses,
  or the part inside them: `**Two-Stage (Faster R-CNN)**` is matched by
  "two-stage" or by "faster r-cnn".
- A bullet is covered when at least half of its terms' weight matched, partly
  covered when some did, missed when none did. A bullet without key terms (a
  bare formula) is left out of the score.
- The suggested rating follows the mean weighted share of terms matched per bullet:
  ≥ 90% → Easy, ≥ 60% → Good, ≥ 40% → Hard, else Again. The user still
  chooses the rating.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_DERIVED = 4  # salient words taken from a bullet (besides its bold terms)

STOPWORDS = frozenset("""
a about above across after again against all allow allows almost along also although always am among an and
another any anything are around as at be because become becomes been before being below between both but by
can cannot could did do does doing done down during each either else enough especially etc even every example
few first for from further get gets given gives go had has have having he her here hers how however i if in
instead into is it its itself just keep keeps kind last least less let like likely lot made make makes making
many may might more most much must need needs no nor not nothing now of off often on once one only onto or
other others otherwise our out over own per put rather really same see seen several shall she should show shows
simply since so some something such than that the their them then there these they thing things this those
though through thus to too toward towards two under until up upon us use used uses using usually very via was
way ways we well were what when where whether which while who whom whose why will with within without would yet
you your e.g i.e vs eg ie called mean means work works still whole able new
""".split())

# words of general English that say little about an answer, though a bank's text may use them ("Regularization
# technique", "Effectively trains"): never key terms. Compared as typed ("effective" stays: "effective receptive field").
FILLER = frozenset("""
technique techniques method methods approach approaches effectively essentially basically actually typically
generally mainly mostly quite various certain specific particular particularly important importantly concept
idea process result results resulting overall widely commonly helps help enables provides based known entire
immediately significantly mechanism
increase increases increased increasing reduce reduces reduced reducing require requires required requiring
prevent prevents prevented replace replaces replaced replacing combine combines combined combining extract
extracts extracting extracted need needs needed cause causes caused mimic mimics introduce introduces
""".split())

TOKEN = re.compile(r"[^\W_]+\+?")
GREEK = dict(zip("αβγδεζηθκλμνξπρστφϕχψω",
                 "alpha beta gamma delta epsilon zeta eta theta kappa lambda mu nu xi pi rho sigma tau phi phi chi psi "
                 "omega".split()))
TIMES = re.compile(r"(\d)\s*[x×*]\s*(\d)", re.I)
BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__", re.S)


def _normal(text: str) -> str:
    """Bank Markdown or typed text as plain words: math to Unicode, `3 × 3` → `3x3`."""
    from quiz.text import plain

    text = plain(text).replace("`", " ")
    text = "".join(f" {GREEK[c]} " if c in GREEK else c for c in text)
    return TIMES.sub(r"\1x\2", text)


_stemmer = None


def word_key(word: str) -> str:
    """What a word is compared by: its Snowball English stem, lowercase (`scaling` → `scale`)."""
    global _stemmer
    if _stemmer is None:
        import snowballstemmer

        _stemmer = snowballstemmer.stemmer("english")
    w = word.lower().rstrip("+")
    return _stemmer.stemWord(w) if w.isalpha() else w


def words(text: str) -> set[str]:
    return {word_key(w) for w in TOKEN.findall(_normal(text))}


def has_word(key: str, have: set[str]) -> bool:
    """Whether a word (its key) occurs among `have` (keys): same key, or one a prefix of the other."""
    if key in have:
        return True
    return any(min(len(key), len(k)) >= 4 and (k.startswith(key) or key.startswith(k)) for k in have)


@dataclass(frozen=True)
class Term:
    text: str                                # as shown: "skip|shortcut connection"
    alternatives: tuple[tuple[str, ...], ...]  # word keys of each alternative
    matched: bool = False
    weight: float = 1.0                      # how rare its words are across the deck (IDF)


@dataclass(frozen=True)
class Point:
    """One answer bullet and how the typed answer covered it."""

    bullet: str
    terms: tuple[Term, ...]
    derived: bool  # terms derived from the bullet (no `keywords:` in the bank)

    @property
    def matched(self) -> int:
        return sum(t.matched for t in self.terms)

    @property
    def score(self) -> float:
        """The weighted share of its key terms matched."""
        total = sum(t.weight for t in self.terms)
        return sum(t.weight for t in self.terms if t.matched) / total if total else 0.0

    @property
    def status(self) -> str:
        if not self.terms:
            return "unscored"  # no key terms (a formula, say): left out of the score
        if self.score >= 0.5:
            return "covered"
        return "partial" if self.matched else "missed"


@dataclass(frozen=True)
class Coverage:
    typed: str
    points: tuple[Point, ...]

    @property
    def scored(self) -> list[Point]:
        return [p for p in self.points if p.terms]

    @property
    def score(self) -> float:
        """Mean share of key terms matched per bullet (bullets with key terms), 0–1."""
        scored = self.scored
        return sum(p.score for p in scored) / len(scored) if scored else 0.0

    @property
    def covered(self) -> int:
        return sum(p.status == "covered" for p in self.points)

    @property
    def suggested(self) -> int:
        return suggest(self.score)

    def to_json(self) -> dict:
        return {
            "score": round(self.score, 4), "covered": self.covered, "points": len(self.scored),
            "suggested": self.suggested,
            "bullets": [{"status": p.status, "matched": [t.text for t in p.terms if t.matched],
                         "missed": [t.text for t in p.terms if not t.matched]} for p in self.points],
        }


# the suggested rating from the score: Easy, Good, Hard from these shares up (else Again); set against the
# human grader of tests/data/graded-answers.yaml (benchmarks/grading.py): an answer in one's own words
# rarely uses every key term of the bank's wording
THRESHOLDS = (0.9, 0.6, 0.4)


def suggest(score: float) -> int:
    easy, good, hard = THRESHOLDS
    if score >= easy:
        return 4
    if score >= good:
        return 3
    if score >= hard:
        return 2
    return 1


PARENS = re.compile(r"\(([^()]*)\)")


def _term(text: str) -> Term | None:
    """A key term: its alternatives (`a|b`), and for a phrase with a parenthesis, its main part and the
    part in parentheses as alternatives of their own."""
    options = []
    for alt in text.split("|"):
        options.append(alt)
        inner = PARENS.findall(alt)
        if inner:
            options.append(PARENS.sub(" ", alt))
            options.extend(inner)
    keys = (tuple(word_key(w) for w in TOKEN.findall(_normal(o)) if w.lower() not in STOPWORDS) for o in options)
    alternatives = tuple(dict.fromkeys(a for a in keys if a))
    return Term(" ".join(text.split()), alternatives) if alternatives else None


def weights(corpus) -> dict[str, float] | None:
    """IDF of every word key over these questions (each one's question and answer a document):
    ln((1 + N) / (1 + df)) + 1. None for no corpus."""
    import math

    if not corpus:
        return None
    df: dict[str, int] = {}
    for q in corpus:
        for key in words(" ".join((q.question, *q.answer))):
            df[key] = df.get(key, 0) + 1
    n = len(corpus)
    return {k: math.log((1 + n) / (1 + d)) + 1 for k, d in df.items()}


# the last corpus asked about, held (so no other object can take its id), its length, the deck, its weights
_weights_cache: list[tuple] = []


def weights_for(question, corpus) -> dict[str, float] | None:
    """weights() over the questions of `question`'s deck in `corpus` (the question alone without one),
    kept for the corpus given (a session asks for it at every typed answer)."""
    last = _weights_cache[0] if _weights_cache else None
    if last is None or last[0] is not corpus or last[1] != len(corpus or ()) or last[2] != question.deck:
        deck = [q for q in corpus or () if q.deck == question.deck] or [question]
        _weights_cache[:] = [(corpus, len(corpus or ()), question.deck, weights(deck))]  # one corpus at a time
    return _weights_cache[0][3]


def _idf(text: str, idf: dict | None, default: float = 1.0) -> float:
    """The mean weight of a term's words; `default` (the deck's largest) for a word the deck never uses."""
    keys = [word_key(w) for w in TOKEN.findall(_normal(text)) if w.lower() not in STOPWORDS]
    if not idf or not keys:
        return 1.0
    return sum(idf.get(k, default) for k in keys) / len(keys)


def derive_terms(bullet: str, idf: dict | None = None) -> list[str]:
    """Key terms of a bullet without `keywords:`: its bold terms, then its first four salient words, in
    order; with `idf` (the deck's words weighed), filler words are left out."""
    terms, seen = [], set()
    for m in BOLD.finditer(bullet):
        text = " ".join(_normal(m[1] or m[2]).split()).strip(" :.,;")
        keys = {word_key(w) for w in TOKEN.findall(text)}
        if keys and text.lower() not in (t.lower() for t in terms):
            terms.append(text)
            seen |= keys
    rest = BOLD.sub(" ", bullet)
    salient = []
    for w in TOKEN.findall(_normal(rest)):
        key = word_key(w)
        if key in seen or w.lower() in STOPWORDS or (idf is not None and w.lower() in FILLER):
            continue
        acronym = len(w) >= 2 and w.isupper() and w.isalpha()
        if len(w) >= 4 or acronym or any(c.isdigit() for c in w):
            salient.append(w if acronym or any(c.isdigit() for c in w) else w.lower())
            seen.add(key)
        if len(salient) == MAX_DERIVED:
            break
    return terms + salient


def match(question, typed: str, corpus=None) -> Coverage:
    """How `typed` covers each bullet of `question.answer` (see the module docstring); `corpus`: the
    questions whose words set the terms' weights (those of the question's deck count)."""
    have = words(typed)
    keywords = getattr(question, "keywords", ()) or ()
    idf = weights_for(question, corpus)
    rarest = max(idf.values()) if idf else 1.0  # a word the deck never uses: as rare as can be
    points = []
    for i, bullet in enumerate(question.answer):
        given = keywords[i] if i < len(keywords) else ()
        texts = list(given) or derive_terms(bullet, idf)
        terms = []
        for text in texts:
            t = _term(text)
            if t is not None:
                hit = any(all(has_word(k, have) for k in alt) for alt in t.alternatives)
                terms.append(Term(t.text, t.alternatives, hit, _idf(text.split("|")[0], idf, rarest)))
        points.append(Point(bullet, tuple(terms), derived=not given))
    return Coverage(typed, tuple(points))
