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
    # Theoretical RF > input: holds; effective RF > input: holds (just); the interior layer4
    # features see the whole 224 image (36 of 49 positions do; the first row/column does not).
    assert [c.holds for c in result.claims] == [True, True, True]


def test_theoretical_rf_is_427(result):
    d = data(result, 0)
    assert d["rf"] == 427 == resnet50_rf()[0]
    assert d["jump"] == 32 == resnet50_rf()[1]
    assert d["stages"] == {"conv1": 7, "maxpool": 11, "layer1": 35, "layer2": 91, "layer3": 267, "layer4": 427}
    # The gradient of one layer4 unit is nonzero exactly on a 427×427 box.
    assert d["support"] == [427, 427]


def test_coverage_of_a_224_image(result):
    d = data(result, 2)
    half = (427 - 1) // 2
    # Unit i is centred on pixel 32·i (torchvision's padding): count those reaching both borders.
    full = [i for i in range(7) if 32 * i - half <= 0 and 32 * i + half >= 223]
    assert d["full_axis"] == full == [1, 2, 3, 4, 5, 6]
    assert d["covering"] == len(full) ** 2 == 36
    assert d["positions"] == 49


def test_effective_rf_smaller_than_theoretical(result):
    d = data(result, 1)
    assert d["centre"] == 7 * 32  # centre unit of the 14×14 map of a 448 input
    assert 224 < d["erf"] < 427  # Luo et al.: the effective RF is a fraction of the theoretical one
    assert d["erf"] % 2 == 1
    assert 0.5 < d["in_input"] < d["mass"]  # consistent with a 95% window wider than 224
    assert d["erf90"] < d["erf"]  # a smaller share of the mass fits a smaller window


def test_figures(result):
    assert len(result.figures) == 2
    assert result.figures[1].text.count("\n") == 28  # 28×28 cells + scale line


def test_deterministic(result):
    again = run_proof("q14_receptive_field")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
