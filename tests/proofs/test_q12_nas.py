"""q12_nas: random search over small CNNs, accuracy-vs-MACs Pareto front."""

import pytest

from quiz.proofs import run_proof

NAME = "q12_nas"


def conv_net_macs(depth, width, kernel, side=16, classes=5):
    """Multiply-adds by formula: 'same' convs, a 2× pool after each, then Linear(width, classes)."""
    total, cin = 0, 1
    for _ in range(depth):
        total += kernel * kernel * cin * width * side * side
        cin, side = width, side // 2
    return total + width * classes


def conv_net_params(depth, width, kernel, classes=5):
    total, cin = 0, 1
    for _ in range(depth):
        total += kernel * kernel * cin * width + width
        cin = width
    return total + width * classes + classes


def pareto(cands):
    """Independent front: sort by MACs, keep each candidate more accurate than every cheaper one."""
    order = sorted(range(len(cands)), key=lambda i: (cands[i]["macs"], -cands[i]["acc"]))
    front, best = [], -1.0
    for i in order:
        if cands[i]["acc"] > best:
            front.append(i)
            best = cands[i]["acc"]
    return front


def test_verdicts(result):
    assert [c.holds for c in result.claims] == [True, True, None, None]
    assert result.claims[2].claim == "(RL or Evolutionary) search algorithms"
    assert result.claims[3].claim == "EfficientNet was found via NAS"


def test_candidates_sampled_from_the_space(result):
    cands = result.claims[0].data["candidates"]
    assert len(cands) == 10
    archs = [(c["depth"], c["width"], c["kernel"]) for c in cands]
    assert len(set(archs)) == 10  # sampled without repetition
    assert all(d in (1, 2, 3) and w in (4, 8, 16) and k in (1, 3, 5) for d, w, k in archs)
    assert all(0.0 <= c["acc"] <= 1.0 for c in cands)


def test_macs_and_params_match_formula(result):
    for c in result.claims[0].data["candidates"]:
        assert c["macs"] == conv_net_macs(c["depth"], c["width"], c["kernel"])
        assert c["params"] == conv_net_params(c["depth"], c["width"], c["kernel"])


def test_pareto_front_recomputed(result):
    cands = result.claims[0].data["candidates"]
    front = result.claims[1].data["front"]
    assert front == pareto(cands)
    assert len(front) > 1
    # Along the front, more MACs buy more accuracy.
    assert all(cands[a]["macs"] < cands[b]["macs"] and cands[a]["acc"] < cands[b]["acc"]
               for a, b in zip(front, front[1:]))


def test_search_beats_chance_and_median(result):
    d = result.claims[0].data
    accs = sorted(c["acc"] for c in d["candidates"])
    assert d["best"] == accs[-1] and d["median"] == accs[5]
    assert d["chance"] == pytest.approx(1 / 5)
    assert d["best"] > 2 * d["chance"]
    # The most accurate candidate is always on the front.
    best_i = max(range(10), key=lambda i: d["candidates"][i]["acc"])
    assert best_i in result.claims[1].data["front"]


def test_figures(result):
    assert len(result.figures) == 2
    assert result.figures[0].text.count("◆") == len(result.claims[1].data["front"])


def test_deterministic(result):
    again = run_proof("q12_nas")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
