"""The proof API (quiz/proofs/__init__.py): which verdict each call gives, and what --json carries."""

import pytest

from quiz.proofs import SUPPORTS, VERDICTS, Proof, ProofResult


def verdicts(run):
    p = Proof()
    run(p)
    return [c.verdict for c in p.claims]


def test_a_measured_claim_holds_fails_or_is_overstated_by_what_was_found():
    assert verdicts(lambda p: p.claim("c", "m", "v", holds=3 > 2)) == ["holds"]
    assert verdicts(lambda p: p.claim("c", "m", "v", holds=2 > 3)) == ["fails"]
    assert verdicts(lambda p: p.claim("c", "m", "v", holds=False, partly=True, note="the 'heavy' part")) == ["overstated"]
    assert verdicts(lambda p: p.claim("c", "m", "v", holds=True, partly=True)) == ["holds"]  # the full claim wins
    assert verdicts(lambda p: p.claim("c", "m", "v", holds=False, partly=False)) == ["fails"]


def test_overstated_must_say_which_part_fails():
    with pytest.raises(ValueError, match="needs a note saying which part fails"):
        verdicts(lambda p: p.claim("c", "m", "v", holds=False, partly=True))


def test_the_other_kinds():
    assert verdicts(lambda p: p.by_definition("c", "k·k·C")) == ["by definition"]
    assert verdicts(lambda p: p.published("c", "He et al. 2016, Table 3", "76.1%")) == ["published"]
    assert verdicts(lambda p: p.published("c", "paper", "70%", holds=False)) == ["fails"]  # the paper says otherwise
    assert verdicts(lambda p: p.not_shown("c", "needs ImageNet training")) == ["not shown"]


def test_holds_in_json_is_whether_the_finding_supports_the_claim():
    p = Proof()
    for v in VERDICTS:
        {"holds": lambda: p.claim("holds", "m", "v", True),
         "fails": lambda: p.claim("fails", "m", "v", False),
         "overstated": lambda: p.claim("overstated", "m", "v", False, partly=True, note="n"),
         "by definition": lambda: p.by_definition("by definition", "why"),
         "published": lambda: p.published("published", "src", "v"),
         "not shown": lambda: p.not_shown("not shown", "why")}[v]()
    p.takeaway("say this")
    p.lines("t", {"a": ([1, 2], [3, 4])})
    data = ProofResult("q99_x", p.claims, p.figures, 1.0, p.takeaways).to_json("d", 1, "Q?")
    assert [c["holds"] for c in data["claims"]] == [True, False, False, True, True, None]
    assert data["counts"] == dict.fromkeys(VERDICTS, 1)
    assert data["takeaway"] == "say this"
    assert data["figures"] == [{"title": "t", "kind": "lines", "data": {
        "series": {"a": [[1.0, 2.0], [3.0, 4.0]]}, "x": "", "y": "", "logx": False, "logy": False}}]
    assert set(SUPPORTS) == set(VERDICTS)


def test_figures_are_plain_data_and_limited_to_four_series():
    p = Proof()
    with pytest.raises(ValueError, match="1–4 series"):
        p.lines("t", {str(i): ([0], [0]) for i in range(5)})
    import pickle

    p.heatmap("h", [[0, 1], [2, 3]])
    assert pickle.loads(pickle.dumps(p.figures)) == p.figures  # crosses to the session's worker process
