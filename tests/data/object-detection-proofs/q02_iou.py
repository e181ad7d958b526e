"""object-detection/2: What is IoU? — our own IoU against torchvision.ops.box_iou on random boxes, and
what one number means: how fast IoU falls as a box slides off its ground truth."""

import torch
from torchvision.ops import box_iou

from quiz.proofs._tools import seed


def iou(a, b, union=True):
    """IoU of boxes a (N, 4) and b (M, 4), (x1, y1, x2, y2), written out: overlap area / union area.
    union=False divides by b's area only (the negative control: an oversized box a is not penalised)."""
    lt = torch.max(a[:, None, :2], b[None, :, :2])  # (N, M, 2) top-left of the overlap
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])  # (N, M, 2) bottom-right
    inter = (rb - lt).clamp(min=0).prod(-1)  # (N, M)
    area = lambda r: (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])  # noqa: E731
    if not union:
        return inter / area(b)[None, :]
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


def random_boxes(g, n):
    xy = torch.rand(n, 2, generator=g) * 100
    wh = torch.rand(n, 2, generator=g) * 50 + 1
    return torch.cat([xy, xy + wh], 1)  # (n, 4)


def run(p):
    g = seed()
    a, b = random_boxes(g, 64), random_boxes(g, 64)
    err = (iou(a, b) - box_iou(a, b)).abs().max().item()
    p.by_definition("Area of Overlap / Area of Union", "the definition; our iou() is exactly that, and "
                    f"torchvision.ops.box_iou agrees on 64×64 random box pairs (max |diff| {err:.1e})",
                    f"matches torchvision (Δ {err:.1g})", data={"max_diff_vs_torchvision": err})
    # a 10×10 box slid right by s px: how quickly does IoU fall?
    gt = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    shifts = [0, 1, 2, 3, 4, 5, 6, 8, 10]
    curve = [iou(gt, gt + torch.tensor([s, 0.0, s, 0.0]))[0, 0].item() for s in shifts]
    half = curve[shifts.index(5)]
    p.published("Standard metric for how well a box matches the truth",
                "PASCAL VOC (Everingham et al. 2010) counts a detection as correct at IoU ≥ 0.5; COCO averages "
                "AP over IoU thresholds 0.5:0.95", "VOC: IoU ≥ 0.5; COCO: 0.5…0.95")
    big = iou(gt * 2, gt)[0, 0].item()  # a 20×20 prediction containing the 10×10 truth
    p.by_definition("Half a box width off scores below 0.5", "arithmetic of the definition: a 10×10 box slid "
                    "right by s px overlaps 10(10 − s) of a union 10(10 + s); s = 0…10: " + ", ".join(
                        f"{s}: {v:.2f}" for s, v in zip(shifts, curve)) + f"; a 2× too large box scores {big:.2f}",
                    f"IoU {half:.2f} at a 5-px shift", added=True,
                    data={"shifts": shifts, "curve": curve, "oversized": big})
    p.lines("IoU of a 10×10 box slid right by s px", {"IoU": (shifts, curve)}, x="shift (px)", y="IoU")
    p.takeaway(f"IoU = overlap / union, 1 to 0; half a width off gives {half:.2f} and a box twice too large "
               f"{big:.2f} — both misses at the 0.5 match threshold")
