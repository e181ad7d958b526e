"""Counterfactuals: every measured verdict of every proof is shown to flip when its mechanism is
removed, by the proof's own code run again with one knob at its control value (issue 17).

✓ must turn ✗ or ◐ under each of its controls; ✗ must turn ✓; an overstated claim names two
controls, one under which it holds and one under which it fails. So a condition replaced by the
constant it has today (benchmarks/mutants.py) makes one of these tests fail."""

import io

import pytest
from rich.console import Console

from quiz import render
from quiz.proofs import available

NAMES = available()
MEASURED = ("holds", "fails", "overstated")


def flips(claim, found: dict) -> str | None:
    """Why the control verdicts `found` (knob → verdict) do not flip `claim`; None if they do."""
    if not found:
        return "names no control (a claim no control can flip is ≡ or §)"
    if None in found.values():
        return f"was not made in the control run of {[k for k, v in found.items() if v is None]}"
    if claim.verdict == "holds" and "holds" in found.values():
        return f"still holds under {[k for k, v in found.items() if v == 'holds']}"
    if claim.verdict == "fails" and set(found.values()) != {"holds"}:
        return f"a failing claim's controls must make it hold; got {found}"
    if claim.verdict == "overstated" and not {"holds", "fails"} <= set(found.values()):
        return f"an overstated claim needs a control that makes it hold and one that makes it fail; got {found}"
    return None


@pytest.mark.parametrize("name", NAMES)
def test_every_measured_claim_flips_under_its_controls(name, run_controls):
    r = run_controls(name)
    problems = []
    for c in r.claims:
        if c.verdict in MEASURED:
            why = flips(c, {run.label: None if f is None else f.verdict for run, f in r.against(c)})
            if why:
                problems.append(f"{c.verdict} {c.claim!r}: {why}")
    assert not problems, f"{name}: " + "; ".join(problems)


@pytest.mark.parametrize("name", NAMES)
def test_each_control_run_judges_its_claims(name, run_controls):
    # (a control value equal to the knob's default is refused by the framework when the claim is made)
    r = run_controls(name)
    for run in r.controls:
        assert any(c.controls and (run.knob, run.value) in c.controls for c in run.claims), \
            f"{name}: the control run of {run.label} judged nothing"


def test_the_flip_rule_rejects_what_cannot_have_flipped():
    from quiz.proofs import Claim

    holds, fails = Claim("c", "m", "v", "holds"), Claim("c", "m", "v", "fails")
    over = Claim("c", "m", "v", "overstated", note="n")
    assert flips(holds, {"skip": "fails"}) is None and flips(holds, {"skip": "overstated"}) is None
    assert flips(holds, {"skip": "holds"}) and flips(holds, {}) and flips(holds, {"skip": None})
    assert flips(fails, {"k": "holds"}) is None and flips(fails, {"k": "overstated"})
    assert flips(over, {"a": "holds", "b": "fails"}) is None
    assert flips(over, {"a": "fails"}) and flips(over, {"a": "holds", "b": "overstated"})


@pytest.mark.parametrize("name", NAMES)
def test_the_control_view_fits_80_columns_and_shows_every_control(name, run_controls):
    r = run_controls(name)
    console = Console(file=io.StringIO(), width=80, color_system=None, legacy_windows=False)
    console.print(render.proof_view(f"modern-backbones/{int(name[1:3])} · a question title", r, width=80))
    lines = console.file.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    text = " ".join(" ".join(lines).split())
    for run in r.controls:
        assert f"↳ {run.label}" in text


def test_a_control_must_move_its_knob_off_the_default():
    from quiz.proofs import Knob, Proof

    p = Proof(knobs={"skip": Knob(True, "the skip", control=True), "depth": Knob(8, "layers", control=16)})
    with pytest.raises(ValueError, match="knob 'skip' needs a control value other than its default"):
        p.claim("c", "m", "v", holds=True, control="skip")
    with pytest.raises(ValueError, match="knob 'depth' needs a control value other than its default"):
        p.claim("c", "m", "v", holds=True, control={"depth": 8})
    p.claim("c", "m", "v", holds=True, control="depth")
    assert p.claims[0].controls == (("depth", 16),)
