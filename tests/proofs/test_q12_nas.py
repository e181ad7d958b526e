"""q12_nas: the whole 27-architecture space scored over two seeds; 500 runs of random search and of the
evolution against that optimum; random search against the hypergeometric formula; MACs against our own
formula; the controls flip for the reasons the notes give (the flips themselves: test_controls.py)."""

import math

from quiz.proofs import run_proof
from quiz.proofs.q12_nas import SEARCHES, SPACE, _neighbours, found, space

NAME = "q12_nas"


def conv_net_macs(depth, width, kernel, side=16, classes=5):
    """Multiply-adds by formula: 'same' convs, a 2× pool after each, then Linear(width, classes)."""
    total, cin = 0, 1
    for _ in range(depth):
        total += kernel * kernel * cin * width * side * side
        cin, side = width, side // 2
    return total + width * classes


def control(controlled, knob, claim):
    (run,) = [r for r in controlled.controls if r.knob == knob]
    return [c for c in run.claims if c.claim.startswith(claim)][0].data


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["overstated", "holds", "published", "published", "published"]
    assert len(result.takeaways) == 1


def test_the_whole_space_is_scored(result):
    d = result.claims[0].data
    assert len(d["accuracy"]) == 27 and all(len(r) == 2 for r in d["runs"])
    assert d["optimum"] == max(range(27), key=lambda i: d["accuracy"][i])
    assert d["seed_noise"] > 0.05  # why one seed is not enough


def test_random_search_finds_it_as_often_as_sampling_says(result):
    # b distinct architectures drawn from 27 include the optimum with probability b/27
    found = result.claims[0].data["random_found"]
    for b, share in enumerate(found, start=1):
        p = b / 27
        assert abs(share - p) <= 4 * math.sqrt(p * (1 - p) / SEARCHES) + 1e-9


def test_the_evolution_finds_it_more_often_but_not_always(result):
    d = result.claims[0].data
    evo, rnd, b = d["found"], d["random_found"], d["budget"]
    assert all(y >= x for x, y in zip(evo, evo[1:])) and evo[-1] == 1.0  # a share of runs, cumulative
    assert 0.5 < evo[b - 1] < 0.95  # why "overstated": usually, not surely
    assert evo[b - 1] > rnd[b - 1] + 0.2
    assert result.claims[1].data["difference"] == evo[b - 1] - rnd[b - 1]


def test_evaluating_all_27_always_finds_it(controlled):
    d = control(controlled, "budget", "an algorithm")
    assert d["budget"] == 27 and d["found"][26] == d["random_found"][26] == 1.0


def test_without_selection_the_evolution_is_a_random_walk(result, controlled):
    d = control(controlled, "selection", "an algorithm")
    assert d["selection"] is False and d["budget"] == result.claims[0].data["budget"]
    b = d["budget"]
    # mutating any seen architecture finds the optimum no more often than sampling b of 27 does
    assert d["found"][b - 1] <= b / 27 + 0.05 < result.claims[0].data["found"][b - 1]
    guided = control(controlled, "selection", "a guided search")
    assert guided["difference"] < 3 * guided["standard_error"]


def test_macs_match_formula(result):
    d = result.claims[0].data
    for arch, m in zip(d["space"], d["macs"]):
        assert m == conv_net_macs(*arch)


def test_neighbours_are_one_step_away():
    for i in range(len(SPACE)):
        assert 2 <= len(_neighbours(i)) <= 6
        for j in _neighbours(i):
            assert sum(a != b for a, b in zip(SPACE[i], SPACE[j])) == 1


def test_deterministic(result):
    found.cache_clear()  # train and search again, not read the first run's cache
    space.cache_clear()
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]


def test_the_note_words_the_share_it_measured():
    """'usually' only when the verdict is overstated; the evaluated search is named, not 'the evolution'."""
    for options, word in (({}, "usually, not surely"), ({"budget": len(SPACE)}, "— surely"),
                          ({"selection": False}, "rarely")):
        c = run_proof(NAME, options).claims[0]
        assert word in c.note and "the evolution in" not in c.note
        assert ("usually" in c.note) == (c.verdict == "overstated")
