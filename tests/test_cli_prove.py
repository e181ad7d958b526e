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
    assert {"deck", "id", "title", "claims", "counts", "takeaway", "figures", "seconds"} <= set(data)
    assert (data["deck"], data["id"]) == ("modern-backbones", 15)
    assert data["title"] == "Why do we remove the Fully Connected layers in modern backbones?"
    claims = data["claims"]
    assert claims and all({"claim", "measured", "value", "verdict", "holds", "note", "added"} <= set(c) for c in claims)
    assert all(c["verdict"] in proofs.VERDICTS for c in claims)
    assert all(c["holds"] is proofs.SUPPORTS[c["verdict"]] for c in claims)
    assert sum(data["counts"].values()) == len(claims) and list(data["counts"]) == list(proofs.VERDICTS)


def test_prove_compact_view_then_explain(home):
    result = run("prove", "modern-backbones/15")
    assert result.exit_code == 0, result.output
    assert "How each claim was judged" not in result.stdout
    assert result.stdout.rstrip().endswith("how: --explain")
    explained = run("prove", "15", "--explain")
    assert explained.exit_code == 0, explained.output
    assert "How each claim was judged" in explained.stdout and "measured:" in explained.stdout
    for c in proofs.run_proof("q15_fc_layers").claims:  # every note is there, word for word
        assert " ".join(c.note.split())[:60] in " ".join(explained.stdout.split())


def test_code_through_a_pipe_is_plain_source_and_runs_nothing(home, monkeypatch):
    monkeypatch.setattr(proofs, "run_proof", lambda *a, **k: (_ for _ in ()).throw(AssertionError("ran")))
    result = run("prove", "15", "--code")
    assert result.exit_code == 0, result.output
    assert result.stdout == proofs.source("q15_fc_layers")
    assert "\x1b" not in result.stdout


def test_show_prove_runs_it_inline(home):
    result = run("show", "15", "--prove")
    assert result.exit_code == 0, result.output
    assert "Answer" in result.stdout and "how: --explain" in result.stdout


def test_start_prove_and_p_key(home):
    result = run("start", "--limit", "1", "--tag", "pooling", "--prove", input="\n3\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("how: --explain") == 1
    assert result.stdout.count("Why do we remove the Fully Connected") == 3  # card, proof title, card again
    result = run("start", "--cram", "--limit", "1", "--tag", "pooling", input="\np\n3\n")
    assert result.stdout.count("how: --explain") == 1


def test_a_broken_proof_in_a_session_is_one_line_and_the_session_goes_on(home, monkeypatch):
    def broken(p):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(proofs, "load", lambda name: types.SimpleNamespace(run=broken))
    result = run("start", "--limit", "1", "--tag", "pooling", input="\np\n3\n")
    assert result.exit_code == 0, result.output
    assert "Error: proof q15_fc_layers failed: RuntimeError: shape mismatch" in result.stdout
    assert "Traceback" not in result.output
    assert "Good 1" in result.stdout  # the rating after the failed proof was recorded


def fake_proof(p):
    p.claim("a measured claim", "how", "1.5×", holds=True)
    p.by_definition("an arithmetic one", "k·k·C", "9")
    p.takeaway("say this")
    p.lines("two curves", {"a": ([0, 1, 2], [0, 1, 4]), "b": ([0, 1, 2], [0, 2, 3])}, x="x", y="y")
    p.heatmap("a bump", [[0, 1, 0], [1, 4, 1], [0, 1, 0]])
    p.bars("sizes", {"small": 1, "large": 10}, unit="M")


def test_plot_writes_png_and_svg(home, tmp_path, monkeypatch):
    monkeypatch.setattr(proofs, "load", lambda name: types.SimpleNamespace(run=fake_proof))
    png, svg = tmp_path / "f.png", tmp_path / "f.svg"
    result = run("prove", "7", "--plot", str(png))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Wrote 3 figures to {png}\n"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert run("prove", "7", "--plot", str(svg)).exit_code == 0
    text = svg.read_text()
    assert text.startswith("<?xml") and "<svg" in text and "</svg>" in text
    bad = run("prove", "7", "--plot", str(tmp_path / "f.jpg"))
    assert bad.exit_code == 2 and bad.stderr == "Error: --plot: f.jpg: give a .png or .svg file name\n"


def test_plot_of_a_proof_without_figures_says_so(home, tmp_path, monkeypatch):
    monkeypatch.setattr(proofs, "load", lambda name: types.SimpleNamespace(run=lambda p: p.claim("c", "m", "v", True)))
    result = run("prove", "7", "--plot", str(tmp_path / "f.png"))
    assert result.exit_code == 1 and result.stderr == "Error: proof q07_one_by_one has no figures to plot\n"
    assert not (tmp_path / "f.png").exists()


def test_prove_all_summary_counts_every_verdict_kind(home, monkeypatch):
    monkeypatch.setattr(proofs, "load", lambda name: types.SimpleNamespace(run=fake_proof))
    result = run("prove", "--all")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) <= 24  # one screen
    assert lines[-1].startswith("20 ✓ holds · 20 ≡ by definition · 20 proofs in")
    assert all(len(line) <= 80 for line in lines)


def test_prove_all_in_a_deck_without_proofs(home, tmp_path, monkeypatch):
    bank = tmp_path / "b.yaml"
    bank.write_text("deck: b\ntitle: T\nquestions:\n  - id: 1\n    question: Q?\n    answer: [A]\n")
    monkeypatch.setenv("QUIZ_BANKS", str(bank))
    result = run("prove", "--all", "--deck", "b")
    assert result.exit_code == 1 and result.stderr == "Error: no proofs in deck b\n"


def test_prove_usage_errors(home):
    result = run("prove")
    assert result.exit_code == 2
    assert result.stderr == "Error: give a question id (quiz prove 7), or --all for every proof of a deck\n"
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

    c = proofs.Claim("3×3 on 64 channels is cheaper — params", "m", "v", "holds")
    d = proofs.Claim("3×3 on 64 channels is cheaper — FLOPs", "m", "v", "holds")
    r = proofs.ProofResult("q99_x", [c, d], [], 0.0)
    assert r.claim("params") is c
    with pytest.raises(LookupError, match="2 claims of q99_x contain '3×3'"):
        r.claim("3×3")
    with pytest.raises(LookupError, match="0 claims"):
        r.claim("nothing")


def test_control_shows_each_measured_claim_with_its_control_under_it(home):
    result = run("prove", "1", "--control")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80  # CliRunner's terminal: 80 columns
    starts = [i for i, line in enumerate(lines) if line[:1] in "✓✗◐≡§–"] + [len(lines)]
    rows = {lines[a][2:20]: "\n".join(lines[a:b]) for a, b in zip(starts, starts[1:])}  # a claim and its controls
    for claim in ("Gradient flow", "easier to learn"):
        (row,) = [r for k, r in rows.items() if k.startswith(claim)]
        assert row.startswith("✓") and "↳ without skip" in row and "✗" in row.split("↳")[1]
    assert "↳ branch ×1/√32" in result.stdout and "controls flip 4 of 4" in result.stdout
    data = json.loads(run("prove", "1", "--control", "--json").stdout)
    landscape = [c for c in data["claims"] if c["claim"].startswith("Loss landscape")][0]
    assert [(k["knob"], k["verdict"]) for k in landscape["controls"]] == [("skip", "fails"), ("branch_scale", "holds")]
    assert landscape["controls"][0]["data"]["roughness_residual"] == landscape["controls"][0]["data"]["roughness_plain"]


def test_set_runs_a_what_if_and_a_wrong_knob_lists_the_knobs(home):
    result = run("prove", "1", "--set", "skip=false")
    assert result.exit_code == 0, result.output
    assert "what-if: skip=false (default true)" in result.stdout
    assert "✗ Gradient flow" in result.stdout  # the same code, the learner's value: the verdict follows it
    for bad, why in (("skip=maybe", "expected true or false"), ("depth=3", "has no knob 'depth'"),
                     ("branch_scale=7", "expected 0.01–1"), ("branch_scale=nan", "expected a finite number"),
                     ("skip", "expected knob=value")):
        result = run("prove", "1", "--set", bad)
        assert result.exit_code == 2, (bad, result.output)
        assert why in result.stderr and "knobs: skip (true|false, default true), branch_scale (0.01–1, default 1)" \
            in result.stderr, (bad, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
