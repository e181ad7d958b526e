"""q16_fpn: torchvision FeaturePyramidNetwork on ResNet-18 C2…C5; P2 depends on C5 only via top-down."""

from quiz.proofs import run_proof

NAME = "q16_fpn"

SIDE = 128
STRIDES = [4, 8, 16, 32]  # ResNet stages conv2_x … conv5_x (He et al. 2016)
RESNET18_WIDTHS = [64, 128, 256, 512]  # BasicBlock stage widths (He et al. 2016, Table 1)


def test_verdicts(result):
    assert [c.verdict for c in result.claims] == ["by definition", "holds", "by definition", "not shown"]
    assert result.claims[-1].note and len(result.takeaways) == 1


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
    assert 0.1 < d["top_down_share"] <= 1.5


def test_negative_control_with_nothing_coming_down_the_share_is_zero():
    # remove the mechanism: the coarse level carries nothing (zero features, zero biases), so P2 is C2's
    # lateral path alone and the proof's check (share > 10%) reports ✗
    import torch
    from torchvision.ops import FeaturePyramidNetwork

    torch.manual_seed(0)
    fpn = FeaturePyramidNetwork([8, 16], 8).eval()
    for m in fpn.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.zeros_(m.bias)
    c2, c3 = torch.randn(1, 8, 8, 8), torch.zeros(1, 16, 4, 4)
    with torch.no_grad():
        p2 = fpn({"C2": c2, "C3": c3})["C2"]
        alone = fpn.layer_blocks[0](fpn.inner_blocks[0](c2))
    assert not ((p2 - alone).norm() / p2.norm()).item() > 0.1


def test_one_c5_cell_reaches_its_block_of_p2(result):
    d = result.claim("own region of P2").data
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
    grid = fig.data["grid"]
    assert len(grid) == SIDE // 4
    inked = [i for i, row in enumerate(grid) if any(v > 0 for v in row)]
    d = result.claim("own region of P2").data
    assert inked == list(range(d["box"][0], d["box"][1] + 1))


def test_deterministic(result):
    again = run_proof("q16_fpn")
    assert [c.data for c in again.claims] == [c.data for c in result.claims]
    assert [c.value for c in again.claims] == [c.value for c in result.claims]
