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

Controls: a proof declares its mechanisms as knobs, a module-level table the same code reads::

    KNOBS = {"skip": Knob(True, "identity skip around each block", control=False, says="without skip")}

    def run(p):
        skip = p.options["skip"]       # True in the normal run, False in the control run
        ...
        p.claim(..., holds=..., control="skip")

Every measured claim names the knob(s) whose control value must flip its verdict: ✓ turns ✗ or ◐,
✗ turns ✓, and an overstated claim names two, one that makes it hold and one that makes it fail
(`control="skip"`, `control=("skip", "scale")`, or `control={"kernel": 63}` for a value other than
the knob's own control).
`run_proof(name, controls=True)` runs the proof once as it is and once per control, the same code
with one knob changed; `quiz prove N --control` shows both, `--set knob=value` runs a what-if.
`p.measures(*knobs)` is False in a control run of another knob: a section can skip work whose
claims that control does not judge.
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

from quiz.errors import QuizError, UsageError

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
class Knob:
    """A setting of a proof's experiment: its default, what it switches, and the value that removes
    the mechanism (`control`; None: a what-if knob only, or claims give their own control value).
    Numbers take `low`/`high`, text `choices`."""

    default: bool | int | float | str
    help: str
    control: bool | int | float | str | None = None
    says: str = ""  # the control run's label, e.g. "without skip" (default: "name=value")
    low: float | None = None
    high: float | None = None
    choices: tuple = ()

    def label(self, name: str, value) -> str:
        return self.says if self.says and value == self.control else f"{name}={_show(value)}"

    def allowed(self) -> str:
        """What --set takes, for messages: 'true|false', '4–64', 'a|b|c'."""
        if isinstance(self.default, bool):
            return "true|false"
        if self.choices:
            return "|".join(map(str, self.choices))
        kind = "integer" if isinstance(self.default, int) else "number"
        if self.low is not None and self.high is not None:
            return f"{_show(self.low)}–{_show(self.high)}"
        return kind

    def parse(self, text: str):
        """The value `text` gives this knob; ValueError says why not."""
        if isinstance(self.default, bool):
            words = {"true": True, "1": True, "yes": True, "on": True,
                     "false": False, "0": False, "no": False, "off": False}
            if text.strip().lower() not in words:
                raise ValueError("expected true or false")
            return words[text.strip().lower()]
        if isinstance(self.default, str):
            if self.choices and text not in self.choices:
                raise ValueError(f"expected one of {', '.join(map(str, self.choices))}")
            return text
        try:
            value = int(text) if isinstance(self.default, int) else float(text)
        except ValueError:
            raise ValueError(f"expected {'an integer' if isinstance(self.default, int) else 'a number'}") from None
        import math

        if not math.isfinite(value):
            raise ValueError("expected a finite number")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise ValueError(f"expected {self.allowed()}")
        if self.choices and value not in self.choices:
            raise ValueError(f"expected one of {', '.join(map(str, self.choices))}")
        return value


def _show(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)


def knobs_help(knobs: dict[str, Knob]) -> str:
    """'skip (true|false, default true), depth (4–64, default 32)': for --set's messages."""
    if not knobs:
        return "it has no knobs"
    return "knobs: " + ", ".join(f"{n} ({k.allowed()}, default {_show(k.default)})" for n, k in knobs.items())


def parse_settings(pairs: list[str], knobs: dict[str, Knob], name: str) -> dict:
    """--set key=value pairs → {knob: value}; a UsageError (one line, listing the knobs) otherwise."""
    out = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep:
            raise UsageError(f"--set {pair!r}: expected knob=value; {name}: {knobs_help(knobs)}")
        if key not in knobs:
            raise UsageError(f"--set: {name} has no knob {key!r}; {knobs_help(knobs)}")
        try:
            out[key] = knobs[key].parse(text)
        except ValueError as e:
            raise UsageError(f"--set {key}={text!r}: {e}; {knobs_help(knobs)}") from None
    return out


@dataclass(frozen=True)
class Claim:
    claim: str  # the claim, in the answer's words (short: the compact view wraps, never cuts)
    measured: str  # how it was measured, or the source of a published figure (--explain)
    value: str  # the measured value(s) with units, short: shown whole in the compact view
    verdict: str  # a key of VERDICTS
    note: str = ""  # caveats; which part fails (overstated); why not shown (--explain)
    data: dict = field(default_factory=dict)  # raw numbers, for --json and tests
    added: bool = False  # True: the answer does not say this; the proof adds it
    controls: tuple = ()  # (knob, value) pairs: the control runs that must flip this verdict (measured claims)

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

    def __init__(self, options: dict | None = None, knobs: dict[str, Knob] | None = None,
                 control: str | None = None):
        self.knobs = dict(knobs or {})
        self.options = {**{n: k.default for n, k in self.knobs.items()}, **(options or {})}
        self.control = control  # the knob whose control run this is (None: the proof as it is)
        self.claims: list[Claim] = []
        self.figures: list[Figure] = []
        self.takeaways: list[str] = []
        self.sites: list[int] = []  # the source line of each claim's call (benchmarks/mutants.py)

    def _controls(self, claim, control) -> tuple:
        """control="skip", ("skip", "depth") or {"kernel": 63}: as (knob, value) pairs, each checked."""
        if isinstance(control, str):
            control = (control,)
        pairs = control.items() if isinstance(control, dict) else [(k, None) for k in control]
        out = []
        for knob, value in pairs:
            if knob not in self.knobs:
                raise ValueError(f"claim {claim!r}: control {knob!r} is not one of its KNOBS")
            value = self.knobs[knob].control if value is None else value
            if value is None or value == self.knobs[knob].default:
                raise ValueError(f"claim {claim!r}: knob {knob!r} needs a control value other than its default")
            out.append((knob, value))
        return tuple(out)

    def measures(self, *knobs: str) -> bool:
        """Does this run judge claims controlled by `knobs`? Always in the proof as it is; in a control
        run, only for its own knob: wrap a costly section in `if p.measures("skip"):`, and a section of
        ≡ and § claims (no control judges them) in `if p.measures():`."""
        return self.control is None or self.control in knobs

    # -- verdicts ---------------------------------------------------------------------
    def claim(self, claim, measured, value, holds, note="", data=None, partly=None, added=False, control=()):
        """A measured comparison. holds → "holds"; else partly → "overstated" (give a note
        saying which part fails); else "fails". `control`: the knob (or knobs) whose control
        value flips this verdict (module docstring)."""
        controls = self._controls(claim, control)
        if holds:
            verdict = "holds"
        elif partly:
            if not note:
                raise ValueError(f"an overstated claim needs a note saying which part fails: {claim!r}")
            verdict = "overstated"
        else:
            verdict = "fails"
        self._add(claim, measured, value, verdict, note, data, added, controls)

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

    def _add(self, claim, measured, value, verdict, note, data, added, controls=()):
        import sys

        self.sites.append(sys._getframe(2).f_lineno)
        self.claims.append(Claim(str(claim), str(measured), str(value), verdict, str(note), dict(data or {}),
                                 bool(added), controls))

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
class ControlRun:
    """The proof run again with one knob at its control value: the claims that knob judges."""

    knob: str
    label: str  # "without skip"
    value: object
    claims: list[Claim]
    seconds: float


@dataclass(frozen=True)
class ProofResult:
    name: str
    claims: list[Claim]
    figures: list[Figure]
    seconds: float
    takeaways: list[str] = field(default_factory=list)
    options: dict = field(default_factory=dict)  # the knobs' values of this run (what --set changed)
    knobs: dict = field(default_factory=dict)  # name → Knob
    controls: list[ControlRun] = field(default_factory=list)  # with run_proof(..., controls=True)
    sites: list[int] = field(default_factory=list)
    controlled: bool = False  # run_proof(..., controls=True) ran (even if no claim names a control)

    def against(self, claim: Claim) -> list[tuple[ControlRun, Claim | None]]:
        """Each control that judges `claim`, with the claim as that run found it (None: not made)."""
        out = []
        for run in self.controls:
            if (run.knob, run.value) in claim.controls:
                found = [c for c in run.claims if c.claim == claim.claim]
                out.append((run, found[0] if len(found) == 1 else None))
        return out

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
            "claims": [{**asdict(c), "controls": [self._control_json(run, found) for run, found in self.against(c)],
                        "holds": c.holds} for c in self.claims],
            "options": {k: v for k, v in self.options.items() if k in self.knobs},
            "counts": self.counts(),
            "takeaway": " ".join(self.takeaways),
            "figures": [asdict(f) for f in self.figures],
            "seconds": round(self.seconds, 3),
        }

    @staticmethod
    def _control_json(run: ControlRun, found: Claim | None) -> dict:
        return {"knob": run.knob, "set": run.value, "label": run.label,
                "verdict": None if found is None else found.verdict, "value": None if found is None else found.value,
                "data": {} if found is None else found.data}


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


def load_file(path: str, source: bytes):
    """A bank's own proof as a module, made from `source`: the bytes the session read from `path`
    and found trusted (quiz/trust.py). Only the worker calls this; the file is not read again. The
    proof can import installed packages only (no sibling files: trust covers this one file)."""
    import sys
    import types

    name = "quiz_bank_proof_" + re.sub(r"\W", "_", str(path))
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)  # noqa: S102  trusted bytes (see above)
    except Exception as e:  # noqa: BLE001  a broken file: one line naming it
        sys.modules.pop(name, None)
        raise ProofFailed(f"proof {path} failed to load: {type(e).__name__}: {e}") from e
    if not callable(getattr(module, "run", None)):
        raise ProofFailed(f"proof {path} defines no run(p) function")
    return module


def knobs_of(module) -> dict[str, Knob]:
    knobs = getattr(module, "KNOBS", {})
    if not isinstance(knobs, dict) or not all(isinstance(k, Knob) for k in knobs.values()):
        raise ProofFailed(f"proof {module.__name__}: KNOBS must map names to quiz.proofs.Knob")
    return dict(knobs)


def run_proof(name: str, options: dict | None = None, controls: bool = False, settings: list[str] = (),
              source: bytes | None = None) -> ProofResult:
    """Run one proof: a built-in one by module name, or a bank's proof file by its path (ending
    in .py) and `source`, its trusted bytes (see load_file). Exceptions inside it become ProofFailed
    (with __cause__). `settings`: --set knob=value pairs (a UsageError if one is not a knob or not a
    value it takes); `controls`: also run it once per control its claims name (ProofResult.controls)."""
    if name.endswith(".py") and source is None:
        raise ProofFailed(f"proof {name}: a proof file runs from the trusted bytes the session read")
    module = load_file(name, source) if name.endswith(".py") else load(name)  # imports torch (the proof does)
    knobs = knobs_of(module)
    options = {**(options or {}), **parse_settings(list(settings), knobs, name)}
    p, seconds = _run(module, name, options, knobs, None)
    runs = []
    if controls:
        for knob, value in dict.fromkeys(pair for c in p.claims for pair in c.controls):
            c, s = _run(module, name, {**options, knob: value}, knobs, knob)
            runs.append(ControlRun(knob, knobs[knob].label(knob, value), value, list(c.claims), s))
    return ProofResult(name, list(p.claims), list(p.figures), seconds, list(p.takeaways), dict(p.options), knobs,
                       runs, list(p.sites), controls)


def _run(module, name, options, knobs, control) -> tuple[Proof, float]:
    import torch

    from quiz.proofs._tools import seed

    seed()  # the same seeded start for every run (built-in proofs seed again themselves)
    p = Proof(options, knobs, control)
    threads = torch.get_num_threads()
    # One thread: the same float reductions in the same order on every machine (identical
    # results run to run), and no stalls when other processes share the cores. Subnormal floats
    # (below 1e-38) flushed to zero: a deep plain stack whose signal dies computes on them at a
    # fraction of the speed (q01's plain net: 1.4 s → 0.35 s, the same losses).
    torch.set_num_threads(1)
    flushed = torch.set_flush_denormal(True)
    start = time.perf_counter()
    try:
        module.run(p)
    except QuizError:
        raise
    except Exception as e:  # a bug in a proof is our error, named, not a user's
        raise ProofFailed(f"proof {name} failed: {type(e).__name__}: {e}") from e
    finally:
        torch.set_num_threads(threads)
        if flushed:
            torch.set_flush_denormal(False)
    return p, time.perf_counter() - start
