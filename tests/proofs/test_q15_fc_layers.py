"""q15_fc_layers: VGG-16 parameter split against the formula and torchvision's published count, the flatten
head's fixed size, torchvision's adaptive pool and VGG's dense evaluation as the controls that flip it, GAP head."""

from quiz.proofs import run_proof

NAME = "q15_fc_layers"

# VGG-16 (configuration "D"): conv widths, "M" = 2×2 max pool.
CFG_D = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def conv_params():
    total, cin = 0, 3
    for v in CFG_D:
        if v != "M":
            total += 3 * 3 * cin * v + v  # weights + bias
            cin = v
    return total


def linear(i, o):
    return i * o + o


FC = [linear(512 * 7 * 7, 4096), linear(4096, 4096), linear(4096, 1000)]


def control(controlled, knob):
    (run,) = [r for r in controlled.controls if r.knob == knob]
    return [c for c in run.claims if c.claim.startswith("FC layers require")][0].data


def test_verdicts(result):
    # the fixed size holds for a flatten→FC head only: torchvision's VGG takes every size
    assert [c.verdict for c in result.claims] == ["by definition", "overstated", "by definition"]
    assert len(result.takeaways) == 1


def test_vgg16_param_split_matches_published_and_formula(result):
    d = result.claim("FC layers have massive").data
    assert d["total"] == 138_357_544  # torchvision docs: VGG16_Weights num_params
    assert d["conv"] == conv_params() == 14_714_688
    assert d["fc_each"] == FC
    assert d["fc"] == sum(FC)
    assert d["conv"] + d["fc"] == d["total"]
    assert d["fc_4096x4096"] == 4096 * 4096 + 4096


def test_fc_head_needs_224_gap_head_takes_any(result):
    d = result.claim("FC layers require").data
    # Five 2× pools: only an input whose side/32 is 7 gives the 512·7·7 vector the first FC expects.
    assert d["fc_ok"] == [s for s in (160, 224, 256, 320) if s // 32 == 7] == [224]
    assert "32768" in d["error_256"] and "25088" in d["error_256"]  # 512·8·8 vs 512·7·7
    assert d["gap_ok"] == [160, 224, 256, 320]
    assert d["torchvision_ok"] == [160, 224, 256, 320]  # torchvision's AdaptiveAvgPool2d((7, 7))


def test_without_the_adaptive_pool_torchvision_takes_only_224(controlled):
    d = control(controlled, "adaptive_pool")
    assert d["torchvision_ok"] == [224] == d["fc_ok"]  # the pool was what lifted the fixed size


def test_fc_layers_as_convolutions_take_every_size_from_224(controlled):
    d = control(controlled, "flatten")
    # a 7×7 conv over the s/32 map: any map of at least 7×7, i.e. s ≥ 224
    assert d["fc_ok"] == [s for s in (160, 224, 256, 320) if s // 32 >= 7] == [224, 256, 320]
    assert d["error_256"] is None
    assert d["fc_head_params"] == conv_params() + sum(FC)  # the same weights, reshaped: not a smaller head


def test_gap_has_no_params_and_small_head(result):
    d = result.claim("Replaced by Global Average Pooling").data
    assert d["gap_params"] == 0
    assert d["head_gap"] == linear(512, 1000)
    assert d["head_fc"] == sum(FC)
    assert all(shape == [1, 1000] for shape in d["gap_out"].values())


def test_figure_drawn(result):
    (f,) = result.figures
    assert f.kind == "bars" and len(f.data["bars"]) == 4  # 13 convs together + 3 FC layers
    assert f.data["bars"]["13 convs"] == conv_params() / 1e6


def test_deterministic(result):
    again = run_proof(NAME)
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]


def test_notes_and_takeaway_follow_the_knobs(result):
    """No adaptive pool: the note does not credit one with every size; FC layers as convolutions: the
    sizes they take are this run's; the takeaway's pinned size is the flatten head's measured one."""
    flat = result.claim("fixed input size").data["fc_ok"]
    assert f"pin a flatten head to {', '.join(map(str, flat))} px" in result.takeaways[0]
    r = run_proof(NAME, {"adaptive_pool": False})
    c = r.claim("fixed input size")
    assert "resamples any map" not in c.note and "lifts" not in r.takeaways[0]
    assert f"accepts the same S = {', '.join(map(str, c.data['torchvision_ok']))}" in c.note
    r = run_proof(NAME, {"flatten": False})
    c = r.claim("fixed input size")
    assert f"take S = {', '.join(map(str, c.data['fc_ok']))} (this run)" in c.note
    assert "--control: without it" not in c.note and c.verdict == "fails"
