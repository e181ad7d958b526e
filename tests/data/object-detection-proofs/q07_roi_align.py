"""object-detection/7: RoI Pooling vs RoI Align — our own quantised RoI max-pool against
torchvision.ops.roi_pool, then both ops on a feature map whose true value is known everywhere (a ramp,
value = x position in px), for boxes whose edges fall between cells: how far off are the bins?"""

import math

import torch
import torchvision
from torchvision.ops import roi_align, roi_pool

from quiz.proofs._tools import seed

SIDE, OUT = 32, 7
OFFSETS = [0.0, 0.25, 0.5, 0.75]  # fractional box offsets (px)


def ramp():
    """A (1, 1, 32, 32) map; pixel j covers [j, j + 1) and holds j + 0.5: its value at x is x (px)."""
    return (torch.arange(SIDE, dtype=torch.float32) + 0.5).repeat(SIDE, 1)[None, None]


def my_roi_pool(fmap, box, out=OUT):
    """RoI Pooling (Girshick 2015) written out: round the box to whole cells, split it into out×out bins
    with floor/ceil, max over each bin. fmap (H, W); box (x1, y1, x2, y2) in cells."""
    x1, y1, x2, y2 = (int(math.floor(v + 0.5)) for v in box)  # quantise the box (round half up)
    w, h = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)
    res = torch.zeros(out, out)
    for i in range(out):
        for j in range(out):
            ys = (y1 + math.floor(i * h / out), y1 + math.ceil((i + 1) * h / out))  # quantise each bin
            xs = (x1 + math.floor(j * w / out), x1 + math.ceil((j + 1) * w / out))
            res[i, j] = fmap[max(ys[0], 0):min(ys[1], fmap.shape[0]), max(xs[0], 0):min(xs[1], fmap.shape[1])].max()
    return res  # (out, out)


def errors(offset, aligned=True, sampling_ratio=2):
    """Mean |output − truth| (px) over the 7×7 bins of a 14.3×14-px box starting at x = 5 + offset.
    On the ramp the truth is exact: a bin [a, b) averages (a + b) / 2 (RoI Align's target) and its max
    is b (RoI Pool's target: pooling is judged against the max of the TRUE bin, so only the
    quantisation — where its bins sit — counts as error)."""
    x1, x2 = 5 + offset, 19.3 + offset
    box = torch.tensor([[0, x1, 4.0, x2, 18.0]])  # (batch index, x1, y1, x2, y2)
    edges = torch.linspace(x1, x2, OUT + 1)  # (8,) true bin edges along x
    mean_truth = ((edges[:-1] + edges[1:]) / 2)[None, :].expand(OUT, OUT)  # (7, 7)
    max_truth = edges[1:][None, :].expand(OUT, OUT)
    al = roi_align(ramp(), box, OUT, spatial_scale=1.0, sampling_ratio=sampling_ratio, aligned=aligned)[0, 0]
    po = roi_pool(ramp(), box, OUT, spatial_scale=1.0)[0, 0]  # (7, 7)
    return (al - mean_truth).abs().mean().item(), (po - max_truth).abs().mean().item()


def compare(aligned=True):
    """Both ops over the four offsets; the claim's check: RoI Align within 0.05 px, RoI Pool beyond it."""
    rows = {o: errors(o, aligned=aligned) for o in OFFSETS}
    align, pool = max(r[0] for r in rows.values()), min(r[1] for r in rows.values())
    return rows, align, pool, align < 0.05 < pool


def run(p):
    g = seed()
    with torch.device("meta"):
        det = torchvision.models.detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None)
    pooler = type(det.roi_heads.box_roi_pool).__name__
    p.claim("Used in two-stage detectors",
            "the RoI pooler in torchvision's Faster R-CNN (fasterrcnn_resnet50_fpn, built on the meta device)",
            f"Faster R-CNN uses {pooler}", holds="RoI" in pooler, data={"pooler": pooler})
    shapes = {s: tuple(roi_align(ramp(), torch.tensor([[0, 2.0, 2.0, 2.0 + s, 2.0 + s]]), OUT)[0, 0].shape)
              for s in (3, 10, 25)}
    p.by_definition("Extracts a fixed-size map (7×7) from any region",
                    f"output_size is a parameter: boxes of 3, 10 and 25 px all give {set(shapes.values())}",
                    f"{OUT}×{OUT} for boxes of 3…25 px", data={"shapes": {str(k): v for k, v in shapes.items()}})
    fmap = torch.randn(SIDE, SIDE, generator=g)  # (32, 32) random features
    boxes = torch.rand(20, 2, generator=g) * 18  # (20, 2) top-left corners
    boxes = torch.cat([boxes, boxes + 2 + torch.rand(20, 2, generator=g) * 11], 1)  # (20, 4) fractional boxes
    mine = torch.stack([my_roi_pool(fmap, b.tolist()) for b in boxes])
    theirs = roi_pool(fmap[None, None], [boxes], OUT)[:, 0]  # (20, 7, 7)
    same = bool(torch.equal(mine, theirs))
    rows, align, pool, holds = compare()
    worst = max(r[1] for r in rows.values())
    p.claim("RoI Pool quantizes the box and its bins",
            "our RoI max-pool (round the box to cells, floor/ceil bins, max) vs torchvision.ops.roi_pool on 20 "
            "random fractional boxes over a random 32×32 map",
            "identical to torchvision, 20 boxes" if same else "differs from torchvision",
            holds=same, data={"identical": same}, added=True)
    p.claim("RoI Align's bilinear sampling is more precise than quantizing",
            "mean |bin output − truth| on a ramp map (value = x in px), a 14.3×14-px box slid by "
            f"{OFFSETS} px: roi_align(aligned=True, sampling_ratio=2) vs the true bin mean; roi_pool vs the "
            "true bin max; per offset " + "; ".join(f"{o}: {a:.3f} vs {b:.2f}" for o, (a, b) in rows.items()),
            f"bins off {align:.0e} px vs {pool:.2f}–{worst:.2f} px",
            holds=holds,
            note="RoI Pool rounds the box and each bin to whole cells, so its bins sit up to a cell off; RoI "
            "Align samples the map where the bins really are. On a ramp bilinear sampling is exact, so this "
            "measures WHERE each op looks. 'Crucial for masks' is Mask R-CNN's reading (He et al. 2017): a "
            "mask needs pixel-accurate bins; not measured here.",
            data={"errors": {str(o): list(r) for o, r in rows.items()}})
    p.lines("bin position error (px) vs the box's fractional offset",
            {"roi_align": (OFFSETS, [rows[o][0] for o in OFFSETS]), "roi_pool": (OFFSETS, [rows[o][1] for o in OFFSETS])},
            x="offset (px)", y="mean |error|")
    p.takeaway(f"RoI Align samples where the bins are ({align:.0e} px off on a ramp); RoI Pool's rounding "
               f"puts its bins {pool:.2f}–{worst:.2f} px off (why Mask R-CNN uses Align)")
