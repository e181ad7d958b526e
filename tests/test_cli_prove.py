"""`quiz prove`, `show --prove` and `start --prove` through the CLI (one fast proof: 15)."""

import json
import types

from typer.testing import CliRunner

from quiz import proofs
from quiz.cli import app

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input)


def test_prove_json_shape(home):
    result = run("prove", "15", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"deck", "id", "title", "claims", "seconds"} <= set(data)
    assert (data["deck"], data["id"]) == ("modern-backbones", 15)
    assert data["title"] == "Why do we remove the Fully Connected layers in modern backbones?"
    assert data["claims"] and all({"claim", "measured", "value", "holds", "note"} <= set(c) for c in data["claims"])
    assert all(c["holds"] in (True, False, None) for c in data["claims"])


def test_prove_table_and_code(home):
    result = run("prove", "modern-backbones/15", "--code")
    assert result.exit_code == 0, result.output
    assert "def run(p" in result.stdout  # the source comes first
    assert result.stdout.index("def run(p") < result.stdout.index("claims hold")
    assert "✓ holds" in result.stdout


def test_show_prove_runs_it_inline(home):
    result = run("show", "15", "--prove")
    assert result.exit_code == 0, result.output
    assert "Answer" in result.stdout and "claims hold" in result.stdout


def test_start_prove_and_p_key(home):
    result = run("start", "--limit", "1", "--tag", "pooling", "--prove", input="\n3\n")
    assert result.exit_code == 0, result.output
    assert "claims hold" in result.stdout
    result = run("start", "--cram", "--limit", "1", "--tag", "pooling", input="\np\n3\n")
    assert result.stdout.count("claims hold") == 1


def test_prove_usage_errors(home):
    assert run("prove").exit_code == 2
    assert run("prove", "7", "--all").exit_code == 2
    result = run("prove", "99")
    assert result.exit_code == 2 and result.stderr == "Error: no question 99 in modern-backbones (ids 1–20)\n"


def test_question_without_proof_says_so(home, tmp_path, monkeypatch):
    bank = tmp_path / "b.yaml"
    bank.write_text("deck: b\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n    answer: [A]\n")
    monkeypatch.setenv("QUIZ_BANKS", str(bank))
    result = run("prove", "b/1")
    assert result.exit_code == 1 and result.stderr == "Error: no proof for b/1 yet\n"
    assert "No proof for b/1 yet." in run("show", "b/1", "--prove").stdout


def test_a_failing_proof_is_an_error_naming_it(home, monkeypatch):
    def broken(p):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(proofs, "load", lambda name: types.SimpleNamespace(run=broken))
    result = run("prove", "7")
    assert result.exit_code == 1
    assert result.stderr == "Error: proof q07_one_by_one failed: RuntimeError: shape mismatch\n"
    assert "Traceback" not in result.output
    result = run("--debug", "prove", "7")
    assert isinstance(result.exception, proofs.ProofFailed)
    assert isinstance(result.exception.__cause__, RuntimeError)


def test_unknown_proof_module_is_refused():
    import pytest

    from quiz.errors import QuizError

    for name in ("os", "q99_nope", "_tools", "../q07_one_by_one"):
        with pytest.raises(QuizError, match="no proof module named"):
            proofs.load(name)


def test_a_claim_is_found_by_its_wording_and_must_be_unique():
    import pytest

    c = proofs.Claim("3×3 on 64 channels is cheaper — params", "m", "v", True)
    d = proofs.Claim("3×3 on 64 channels is cheaper — FLOPs", "m", "v", True)
    r = proofs.ProofResult("q99_x", [c, d], [], 0.0)
    assert r.claim("params") is c
    with pytest.raises(LookupError, match="2 claims of q99_x contain '3×3'"):
        r.claim("3×3")
    with pytest.raises(LookupError, match="0 claims"):
        r.claim("nothing")
