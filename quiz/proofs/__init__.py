"""Proofs: the experiment behind each answer.

A proof is a module `quiz/proofs/qNN_<slug>.py` with one function::

    def run(p: Proof) -> None:
        import torch            # torch lives only in proof modules
        ...
        p.claim("3×3 on 64 channels is 16× cheaper than on 256",
                measured="params ratio, conv3x3(256→256) / conv3x3(64→64)",
                value=f"{ratio:.2f}× fewer params", holds=ratio == 16, data={"ratio": ratio})
        p.takeaway(f"a 3×3 at 64 channels costs 1/{ratio:.0f} of one at 256: reduce first")

Every claim gets one verdict, and the verdict must follow from what was found:

- **holds** / **fails** (`p.claim`): a measured comparison that could have gone either way;
- **overstated** (`p.claim(..., partly=True)`): the claim as worded fails, a weaker form the
  measurement supports holds; the note says which part fails;
- **by definition** (`p.by_definition`): true by arithmetic or by construction, shown as such,
  never as an experiment;
- **published** (`p.published`): a figure from a paper or from torchvision's metadata, with its
  source;
- **not shown** (`p.not_shown`): no CPU experiment of a few seconds can decide it; says why.

Claims the answer does not make (the proof adds them) pass `added=True` and are shown as such.
Figures are data (`p.lines`, `p.scatter`, `p.heatmap`, `p.bars`), drawn to the terminal's width by
`quiz.proofs.draw` and as real images by `quiz.proofs.plot` (`quiz prove N --plot FILE`).

A question names its proof in the bank (`proof: q07_one_by_one`). This package
imports nothing heavy: a proof module (and torch with it) is imported only when
that proof runs.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
from dataclasses import asdict, dataclass, field

from quiz.errors import QuizError

NAME = re.compile(r"q\d{2}_[a-z0-9_]+\Z")

# verdict → (mark, what it means); the order is the order of the summary counts
VERDICTS = {
    "holds": ("✓", "measured: the claim holds"),
    "fails": ("✗", "measured: the claim fails"),
    "overstated": ("◐", "measured: a weaker form holds, the claim as worded does not"),
    "by definition": ("≡", "true by arithmetic or construction: not an experiment"),
    "published": ("§", "a figure from a paper or torchvision's metadata"),
    "not shown": ("–", "no CPU experiment of a few seconds decides it"),
}
# `holds` in --json, for readers of the old boolean: does what was found support the claim?
SUPPORTS = {"holds": True, "fails": False, "overstated": False, "by definition": True, "published": True,
            "not shown": None}
FIGURE_KINDS = ("lines", "scatter", "heatmap", "bars", "text")


@dataclass(frozen=True)
class Claim:
    claim: str  # the claim, in the answer's words (short: the compact view wraps, never cuts)
    measured: str  # how it was measured, or the source of a published figure (--explain)
    value: str  # the measured value(s) with units, short: shown whole in the compact view
    verdict: str  # a key of VERDICTS
    note: str = ""  # caveats; which part fails (overstated); why not shown (--explain)
    data: dict = field(default_factory=dict)  # raw numbers, for --json and tests
    added: bool = False  # True: the answer does not say this; the proof adds it

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}; one of {', '.join(VERDICTS)}")

    @property
    def holds(self) -> bool | None:
        return SUPPORTS[self.verdict]

    @property
    def mark(self) -> str:
        return VERDICTS[self.verdict][0]


@dataclass(frozen=True)
class Figure:
    title: str  # one line, drawn above the figure (never cut)
    kind: str  # one of FIGURE_KINDS
    data: dict  # plain numbers and strings: see the Proof methods that make each kind


def _floats(values) -> list[float]:
    return [float(v) for v in values]


class Proof:
    """What a proof writes to: claims with verdicts, one takeaway, and figures."""

    def __init__(self, options: dict | None = None):
        self.options = dict(options or {})
        self.claims: list[Claim] = []
        self.figures: list[Figure] = []
        self.takeaways: list[str] = []

    # -- verdicts ---------------------------------------------------------------------
    def claim(self, claim, measured, value, holds, note="", data=None, partly=None, added=False):
        """A measured comparison. holds → "holds"; else partly → "overstated" (give a note
        saying which part fails); else "fails"."""
        if holds:
            verdict = "holds"
        elif partly:
            if not note:
                raise ValueError(f"an overstated claim needs a note saying which part fails: {claim!r}")
            verdict = "overstated"
        else:
            verdict = "fails"
        self._add(claim, measured, value, verdict, note, data, added)

    def by_definition(self, claim, why, value="", data=None, added=False):
        """True by arithmetic or by construction (`why` says which): not an experiment."""
        self._add(claim, why, value, "by definition", "", data, added)

    def published(self, claim, source, value, holds=True, note="", data=None, added=False):
        """A figure from a paper ("He et al. 2016, Table 1") or torchvision's weights metadata.
        If the published figure contradicts the claim (holds=False), the verdict is "fails"."""
        self._add(claim, f"published: {source}", value, "published" if holds else "fails", note, data, added)

    def not_shown(self, claim, reason, measured="—", value="—", data=None, added=False):
        """No CPU experiment of a few seconds decides it; `reason` says why."""
        self._add(claim, measured, value, "not shown", reason, data, added)

    def _add(self, claim, measured, value, verdict, note, data, added):
        self.claims.append(Claim(str(claim), str(measured), str(value), verdict, str(note), dict(data or {}),
                                 bool(added)))

    def takeaway(self, text):
        """One line: what to say in the interview, from the measurements of this run."""
        self.takeaways.append(str(text))

    # -- figures (data; drawn by quiz.proofs.draw for the terminal, quiz.proofs.plot as images) --
    def lines(self, title, series, x="", y="", logx=False, logy=False):
        """Curves: series = {label: (xs, ys)}; up to 4 series."""
        self._figure(title, "lines", series=self._series(series), x=x, y=y, logx=logx, logy=logy)

    def scatter(self, title, series, x="", y="", equal=False):
        """Points: series = {label: (xs, ys)}; up to 4 series. equal: same scale on both axes."""
        self._figure(title, "scatter", series=self._series(series), x=x, y=y, equal=equal)

    def heatmap(self, title, grid, label=""):
        """A 2-D grid of non-negative numbers (e.g. gradient magnitude per input pixel)."""
        self._figure(title, "heatmap", grid=[_floats(r) for r in grid], label=label)

    def bars(self, title, bars, unit="", log=False):
        """Horizontal bars: bars = {label: value}."""
        self._figure(title, "bars", bars={str(k): float(v) for k, v in bars.items()}, unit=unit, log=log)

    def figure(self, title, text):
        """Preformatted text (no Rich markup), at most 76 columns wide."""
        self._figure(title, "text", text=str(text))

    def _series(self, series):
        if not 1 <= len(series) <= 4:
            raise ValueError("a figure takes 1–4 series")
        return {str(k): [_floats(xs), _floats(ys)] for k, (xs, ys) in series.items()}

    def _figure(self, title, kind, **data):
        self.figures.append(Figure(str(title), kind, data))


@dataclass(frozen=True)
class ProofResult:
    name: str
    claims: list[Claim]
    figures: list[Figure]
    seconds: float
    takeaways: list[str] = field(default_factory=list)

    @property
    def held(self) -> int:
        return sum(c.verdict == "holds" for c in self.claims)

    def counts(self) -> dict[str, int]:
        """Claims per verdict, every verdict kind present (0 where none)."""
        return {v: sum(c.verdict == v for c in self.claims) for v in VERDICTS}

    def claim(self, text: str) -> Claim:
        """The one claim whose wording contains `text`."""
        found = [c for c in self.claims if text in c.claim]
        if len(found) != 1:
            raise LookupError(f"{len(found)} claims of {self.name} contain {text!r}")
        return found[0]

    def to_json(self, deck: str, qid: int, title: str) -> dict:
        return {
            "deck": deck,
            "id": qid,
            "title": title,
            "proof": self.name,
            "claims": [{**asdict(c), "holds": c.holds} for c in self.claims],
            "counts": self.counts(),
            "takeaway": " ".join(self.takeaways),
            "figures": [asdict(f) for f in self.figures],
            "seconds": round(self.seconds, 3),
        }


class ProofFailed(QuizError):
    """A proof raised: reported as an error naming it (exit 1)."""


def available() -> list[str]:
    """Names of the proof modules shipped in this package."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if NAME.match(m.name))


def load(name: str):
    if not NAME.match(name or "") or name not in available():
        raise QuizError(f"no proof module named {name!r} in quiz/proofs")
    return importlib.import_module(f"{__name__}.{name}")


def source(name: str) -> str:
    import inspect

    return inspect.getsource(load(name))


def load_file(path: str):
    """Import a proof file from outside the package (a bank's own proof) by its path. Only the
    worker calls this, and only for a file the session checked is trusted (quiz/trust.py)."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(path)
    name = "quiz_bank_proof_" + re.sub(r"\W", "_", str(path.resolve()))
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ProofFailed(f"proof {path}: cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001  a broken file: one line naming it
        sys.modules.pop(name, None)
        raise ProofFailed(f"proof {path} failed to load: {type(e).__name__}: {e}") from e
    if not callable(getattr(module, "run", None)):
        raise ProofFailed(f"proof {path} defines no run(p) function")
    return module


def run_proof(name: str, options: dict | None = None) -> ProofResult:
    """Run one proof: a built-in one by module name, or a bank's proof file by its path (ending
    in .py; see load_file). Exceptions inside it become ProofFailed (with __cause__)."""
    if name.endswith(".py"):
        module = load_file(name)
        from quiz.proofs._tools import seed

        seed()  # the same seeded start as every built-in proof makes for itself
    else:
        module = load(name)  # imports torch (the proof module does)
    import torch

    p = Proof(options)
    threads = torch.get_num_threads()
    # One thread: the same float reductions in the same order on every machine (identical
    # results run to run), and no stalls when other processes share the cores.
    torch.set_num_threads(1)
    start = time.perf_counter()
    try:
        module.run(p)
    except QuizError:
        raise
    except Exception as e:  # a bug in a proof is our error, named, not a user's
        raise ProofFailed(f"proof {name} failed: {type(e).__name__}: {e}") from e
    finally:
        torch.set_num_threads(threads)
    return ProofResult(name, list(p.claims), list(p.figures), time.perf_counter() - start, list(p.takeaways))
