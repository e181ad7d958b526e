"""q14_receptive_field: theoretical RF of ResNet-50 (427 px) against the paper's layer table, its coverage, the
effective RF on a probe and on the image; the controls (a 64-px image, features of layer1) flip the verdicts for
the reasons the notes give (the flips themselves: test_controls.py)."""

from quiz.proofs import run_proof
from quiz.proofs.q14_receptive_field import CLOSE, gradients, resnet

NAME = "q14_receptive_field"


def resnet50_rf(stages=4):
    """Independent RF arithmetic from the ResNet-50 paper's table (stride on the 3×3 conv, as torchvision)."""
    rf, jump = 1, 1
    for k, s in [(7, 2), (3, 2)]:  # conv1, maxpool
        rf += (k - 1) * jump
        jump *= s
    for blocks, stride in [(3, 1), (4, 2), (6, 2), (3, 2)][:stages]:
        for b in range(blocks):
            rf += 2 * jump  # only the 3×3 conv of a bottleneck grows the RF
            jump *= stride if b == 0 else 1
    return rf, jump


def control(controlled, knob, claim):
    (run,) = [r for r in controlled.controls if r.knob == knob]
    return [c for c in run.claims if c.claim.startswith(claim)][0].data


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "overstated", "overstated"]
    assert len(result.takeaways) == 1


def test_theoretical_rf_is_427(result):
    d = result.claims[0].data
    assert d["rf"] == 427 == resnet50_rf()[0]
    assert d["jump"] == 32 == resnet50_rf()[1]
    assert d["stages"] == {"conv1": 7, "maxpool": 11, "layer1": 35, "layer2": 91, "layer3": 267, "layer4": 427}
    # The gradient of one layer4 unit is nonzero on the whole 320-px probe: its 427-px RF overfills it.
    assert d["support"] == [320, 320]


def test_coverage_of_a_224_image(result):
    d = result.claim("global context").data
    half = (427 - 1) // 2
    # Unit i is centred on pixel 32·i (torchvision's padding): count those reaching both borders.
    full = [i for i in range(7) if 32 * i - half <= 0 and 32 * i + half >= 223]
    assert d["full_axis"] == full == [1, 2, 3, 4, 5, 6]
    assert d["covering"] == len(full) ** 2 == 36 and d["positions"] == 49


def test_effective_rf_smaller_than_theoretical(result):
    d = result.claim("effective RF").data
    assert d["probe"] == 320 and d["centre"] == 5 * 32  # centre unit of the 10×10 map of a 320 probe
    assert d["rim"] < 1e-2  # the probe holds the gradient mass: under 1% of it in its outer 16 px
    assert d["erf50"] < d["erf90"] < d["erf95"] < 427  # Luo et al.: a fraction of the theoretical RF
    curve = d["curve"]
    assert all(b >= a - 1e-6 for a, b in zip(curve, curve[1:])) and curve[-1] > 0.99  # a cumulative share
    assert d["in_image"] > 0.5
    assert d["in_image"] == curve[d["sides"].index(225)]  # the image-sized window is a point of the curve


def test_on_a_64_px_image_the_same_mass_spills_over_it(result, controlled):
    d, small = result.claim("effective RF").data, control(controlled, "image", "It is massive (larger than the input) — eff")
    assert small["curve"] == d["curve"]  # the same probe: only the window it is compared with shrank
    assert small["in_image"] == d["curve"][d["sides"].index(65)] < 0.5


def test_layer1_features_see_a_35_px_patch(controlled):
    d = control(controlled, "stage", "It is massive (larger than the input) — eff")
    assert d["probe"] == 40 and d["in_image"] == 1.0  # its whole RF fits a 40-px probe
    theory = control(controlled, "stage", "Theoretical RF")
    assert theory["support"] == [35, 35] == [resnet50_rf(stages=1)[0]] * 2  # the gradient's box is the RF
    g = control(controlled, "stage", "This allows")
    rf = resnet50_rf(stages=1)[0]
    assert rf == 35
    # unit 28 of the 56×56 map sits at px 4·28 = 112: exactly its RF's 35×35 pixels reach it
    assert g["unit"] == 112 and g["reach"] == (rf / 224) ** 2


def test_global_context_is_local_weighted(result, controlled):
    d = result.claim("global context").data
    assert d["unit"] == 96  # units sit at 32·i: unit 3 of 7 is at px 96, not at the image's centre
    assert d["reach"] == 1.0  # every pixel reaches it (the ◐'s weaker form)
    assert d["far_unit"] < d["far_pool"] < 0.5  # the far half gives less than to the pool, the pool less than uniform
    assert d["gap"] > CLOSE
    small = control(controlled, "image", "This allows")
    assert small["gap"] <= CLOSE and small["reach"] == 1.0


def test_figures(result):
    assert [f.kind for f in result.figures] == ["lines", "lines", "lines"]
    unit, pool, uniform = result.figures[0].data["series"].values()
    for xs, ys in (unit, pool):  # cumulative shares over the whole image: 0 … 100% of the pixels, ending at 1
        assert xs[-1] == 100 and abs(ys[-1] - 1) < 1e-3 and ys == sorted(ys)
    assert uniform == [[0, 100], [0, 1]]


def test_deterministic(result):
    gradients.cache_clear()  # measure again, not read the first run's cache
    resnet.cache_clear()
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]


def test_notes_follow_the_numbers_of_their_own_run(result, controlled):
    (small,) = [r for r in controlled.controls if r.knob == "image"]
    (layer1,) = [r for r in controlled.controls if r.knob == "stage"]
    ours = {c.claim: c.note for c in result.claims}
    mass = {r.knob: {c.claim: c.note for c in r.claims} for r in (small, layer1)}
    erf = "It is massive (larger than the input) — effective RF"
    ctx = "This allows the final features to capture global context"
    assert "not massive" in ours[erf] and "not massive" not in mass["image"][erf]  # 75% of the mass outside 64 px
    assert "lies outside the image" in mass["image"][erf]
    assert ours[ctx].startswith("Every pixel reaches") and mass["stage"][ctx].startswith("Only 2% of the image")
    assert "comes from the global average pool" in ours[ctx]
    assert "as global as the pool." in mass["image"][ctx] and "comes from" not in mass["image"][ctx]
