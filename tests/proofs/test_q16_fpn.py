"""q16_fpn: torchvision FeaturePyramidNetwork on ResNet-18 C2…C5; P2 depends on C5 only via top-down."""

from quiz.proofs import run_proof

NAME = "q16_fpn"

SIDE = 128
STRIDES = [4, 8, 16, 32]  # ResNet stages conv2_x … conv5_x (He et al. 2016)
RESNET18_WIDTHS = [64, 128, 256, 512]  # BasicBlock stage widths (He et al. 2016, Table 1)


def test_claims_hold_except_detection_not_shown(result):
    assert [c.holds for c in result.claims] == [True, True, True, None]
    (not_shown,) = [c for c in result.claims if c.holds is None]
    assert not_shown.claim.startswith("Essential for Object Detection")
    assert not_shown.note  # says why


def test_pyramid_shapes(result):
    d = result.claim("Extracting features").data
    assert d["strides"] == STRIDES + [64]  # + torchvision's extra max-pool level (P6, stride 2 of P5)
    assert d["c_shapes"] == [[1, c, SIDE // s, SIDE // s] for c, s in zip(RESNET18_WIDTHS, STRIDES)]
    assert d["p_shapes"] == [[1, 256, SIDE // s, SIDE // s] for s in STRIDES + [64]]
    assert d["widths"] == [256]


def test_top_down_carries_c5_into_p2(result):
    d = result.claim("Combining high-level semantic").data
    assert d["grad_norm_top_down"] > 0
    assert d["grad_norm_lateral_only"] == 0


def test_one_c5_cell_reaches_its_block_of_p2(result):
    d = result.claim("Combining high-level with low-level").data
    up = STRIDES[-1] // STRIDES[0]  # 8: C5 → P2 upsampling factor
    r, c = d["cell"]
    # the cell's 8×8 footprint after nearest upsampling, grown by 1 px by P2's 3×3 output conv
    assert d["box"] == [r * up - 1, (r + 1) * up, c * up - 1, (c + 1) * up]
    assert d["patch"] == [up + 2, up + 2]


def test_anchor_sizes_per_level(result):
    d = result.claim("Essential for Object Detection").data
    # FPN paper (Lin et al. 2017, §4.1): anchor sizes 32², 64², 128², 256², 512² on P2…P6
    assert d["anchor_sizes"] == [32, 64, 128, 256, 512]
    assert d["anchor_strides"] == STRIDES + [64]


def test_figure_shows_the_block(result):
    (fig,) = result.figures
    rows = fig.text.splitlines()[:-1]  # last line is the scale
    assert len(rows) == SIDE // 4
    inked = [i for i, row in enumerate(rows) if row.strip()]
    d = result.claim("Combining high-level with low-level").data
    assert inked == list(range(d["box"][0], d["box"][1] + 1))


def test_deterministic(result):
    again = run_proof("q16_fpn")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]
