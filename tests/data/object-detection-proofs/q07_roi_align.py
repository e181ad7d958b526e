"""object-detection/7: RoI Pooling vs RoI Align — torchvision's roi_pool and roi_align on a feature map
whose true value is known everywhere (a linear ramp), for boxes whose edges fall between cells."""

import torch
import torchvision
from torchvision.ops import roi_align, roi_pool

from quiz.proofs._tools import seed

SIDE, OUT = 32, 7
OFFSETS = [0.0, 0.25, 0.5, 0.75]  # fractional box offsets (px)


def ramp():
    """A (1, 1, 32, 32) map whose value at pixel (i, j) is j: bilinear interpolation of it is exact."""
    return torch.arange(SIDE, dtype=torch.float32).repeat(SIDE, 1)[None, None]


def errors(offset, aligned=True):
    """Mean |output − true bin average| for a 14.3-px box starting at 5 + offset, both ops, 7×7 bins.
    Pixel j covers [j, j + 1), so the map's continuous value at x is x − 0.5 and a bin [a, b)
    averages (a + b) / 2 − 0.5."""
    x1, x2 = 5 + offset, 19.3 + offset
    box = torch.tensor([[0, x1, 4.0, x2, 18.0]])  # (batch index, x1, y1, x2, y2)
    edges = torch.linspace(x1, x2, OUT + 1)
    truth = ((edges[:-1] + edges[1:]) / 2 - 0.5)[None, :].expand(OUT, OUT)  # (7, 7)
    al = roi_align(ramp(), box, OUT, spatial_scale=1.0, sampling_ratio=2, aligned=aligned)[0, 0]
    po = roi_pool(ramp(), box, OUT, spatial_scale=1.0)[0, 0]
    return (al - truth).abs().mean().item(), (po - truth).abs().mean().item()


def run(p):
    seed()
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
    rows = {o: errors(o) for o in OFFSETS}
    align, pool = max(r[0] for r in rows.values()), min(r[1] for r in rows.values())
    p.claim("RoI Align's bilinear sampling is more precise than quantizing",
            "mean |bin output − true bin average| on a ramp map (value = column), a 14.3×14-px box slid by "
            f"{OFFSETS} px: roi_align(aligned=True, sampling_ratio=2) vs roi_pool; per offset "
            + "; ".join(f"{o}: {a:.3f} vs {b:.2f}" for o, (a, b) in rows.items()),
            f"error ≤ {align:.3f} px vs ≥ {pool:.2f} px",
            holds=align < 0.05 < pool,
            note="RoI Pool rounds the box to whole cells and takes each bin's max, so its bins sit up to a cell "
            "off; RoI Align samples the map where the bins really are. 'Crucial for masks' is Mask R-CNN's "
            "reading (He et al. 2017): a mask needs pixel-accurate bins.",
            data={"errors": {str(o): list(r) for o, r in rows.items()}})
    p.lines("bin error (px) vs the box's fractional offset: RoI Align vs RoI Pool",
            {"roi_align": (OFFSETS, [rows[o][0] for o in OFFSETS]), "roi_pool": (OFFSETS, [rows[o][1] for o in OFFSETS])},
            x="offset (px)", y="mean |error|")
    p.takeaway(f"RoI Align samples where the bins are (error ≤ {align:.3f} px on a ramp); RoI Pool's rounding "
               f"and max put them ≥ {pool:.2f} px off — which masks cannot afford")
