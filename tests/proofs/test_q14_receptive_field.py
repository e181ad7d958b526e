"""q14_receptive_field: theoretical RF of ResNet-50 (427 px), its coverage, the effective RF."""

from quiz.proofs import run_proof

NAME = "q14_receptive_field"


def resnet50_rf():
    """Independent RF arithmetic from the ResNet-50 paper's table (stride on the 3×3 conv, as torchvision)."""
    rf, jump = 1, 1
    for k, s in [(7, 2), (3, 2)]:  # conv1, maxpool
        rf += (k - 1) * jump
        jump *= s
    for blocks, stride in [(3, 1), (4, 2), (6, 2), (3, 2)]:
        for b in range(blocks):
            rf += 2 * jump  # only the 3×3 conv of a bottleneck grows the RF
            jump *= stride if b == 0 else 1
    return rf, jump


def data(result, i):
    return result.claims[i].data


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "overstated", "overstated"]
    assert len(result.takeaways) == 1


def test_theoretical_rf_is_427(result):
    d = data(result, 0)
    assert d["rf"] == 427 == resnet50_rf()[0]
    assert d["jump"] == 32 == resnet50_rf()[1]
    assert d["stages"] == {"conv1": 7, "maxpool": 11, "layer1": 35, "layer2": 91, "layer3": 267, "layer4": 427}
    # The gradient of one layer4 unit is nonzero exactly on a 427×427 box.
    assert d["support"] == [427, 427]


def test_coverage_of_a_224_image(result):
    d = data(result, 2)
    assert "lo" not in d
    half = (427 - 1) // 2
    # Unit i is centred on pixel 32·i (torchvision's padding): count those reaching both borders.
    full = [i for i in range(7) if 32 * i - half <= 0 and 32 * i + half >= 223]
    assert d["full_axis"] == full == [1, 2, 3, 4, 5, 6]
    assert d["covering"] == len(full) ** 2 == 36


def test_effective_rf_smaller_than_theoretical(result):
    d = data(result, 1)
    assert d["centre"] == 7 * 32  # centre unit of the 14×14 map of a 448 input
    assert d["erf50"] < d["erf90"] < d["erf95"] < 427  # Luo et al.: a fraction of the theoretical RF
    curve = d["curve"]
    assert all(b >= a - 1e-6 for a, b in zip(curve, curve[1:])) and curve[-1] > 0.99  # a cumulative share
    assert d["in_input"] > 0.5


def test_negative_control_a_gradient_spread_evenly_would_be_massive(result):
    # remove the mechanism that concentrates the mass (depth, init): a uniform gradient over the 427-px RF
    # puts only (224/427)² ≈ 28% of the mass in an input-sized window, and the check reports ✓
    share = (224 / 427) ** 2
    assert share < 0.5
    assert not data(result, 1)["in_input"] < 0.5


def test_global_context(result):
    d = data(result, 2)
    assert 0 < d["outer_share"] < 0.75  # uniform influence would give 75%
    assert d["covering"] == 36 and d["positions"] == 49


def test_figures(result):
    assert [f.kind for f in result.figures] == ["lines", "lines"]


def test_deterministic(result):
    again = run_proof("q14_receptive_field")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
