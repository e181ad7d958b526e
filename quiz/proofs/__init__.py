"""Proofs: the experiment behind each answer.

A proof is a module `quiz/proofs/qNN_<slug>.py` with one function::

    def run(p: Proof) -> None:
        import torch            # torch lives only in proof modules
        ...
        p.claim("3×3 on 64 channels is 16× cheaper than on 256",
                measured="params ratio, conv3x3(256→256) / conv3x3(64→64)",
                value=f"{ratio:.2f}×", holds=ratio == 16, data={"ratio": ratio})

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


@dataclass(frozen=True)
class Claim:
    claim: str  # the claim, in the answer's words
    measured: str  # what the experiment measured
    value: str  # the measured value(s), formatted for people
    holds: bool | None  # True ✓, False ✗, None – not shown
    note: str = ""  # why not shown, caveats, conventions
    data: dict = field(default_factory=dict)  # raw numbers, for --json and tests


@dataclass(frozen=True)
class Figure:
    title: str
    text: str  # plain text (no Rich markup), drawn monospaced


class Proof:
    """What a proof writes to: claims with verdicts, and terminal figures."""

    def __init__(self, options: dict | None = None):
        self.options = dict(options or {})
        self.claims: list[Claim] = []
        self.figures: list[Figure] = []

    def claim(self, claim, measured, value, holds, note="", data=None):
        holds = None if holds is None else bool(holds)
        self.claims.append(Claim(claim, measured, str(value), holds, note, dict(data or {})))

    def not_shown(self, claim, reason, measured="—", value="—", data=None):
        self.claims.append(Claim(claim, measured, value, None, reason, dict(data or {})))

    def figure(self, title, text):
        self.figures.append(Figure(title, text))


@dataclass(frozen=True)
class ProofResult:
    name: str
    claims: list[Claim]
    figures: list[Figure]
    seconds: float

    @property
    def held(self) -> int:
        return sum(c.holds is True for c in self.claims)

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
            "claims": [asdict(c) for c in self.claims],
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


def run_proof(name: str, options: dict | None = None) -> ProofResult:
    """Run one proof. Exceptions inside it become ProofFailed (with __cause__)."""
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
    return ProofResult(name, list(p.claims), list(p.figures), time.perf_counter() - start)
