"""object-detection/3: How does NMS work? — our own greedy NMS loop against torchvision.ops.nms on
clusters of noisy duplicate detections, and what it keeps."""

import torch
from torchvision.ops import box_iou, nms

from quiz.proofs._tools import seed

THRESHOLD = 0.5


def greedy_nms(boxes, scores, threshold=THRESHOLD):
    """Indices kept: take the highest score, drop every box with IoU > threshold with it, repeat."""
    order = scores.argsort(descending=True)
    keep = []
    while order.numel():
        best = order[0]
        keep.append(int(best))
        rest = order[1:]
        order = rest[box_iou(boxes[best][None], boxes[rest])[0] <= threshold]
    return keep


def detections(g, objects=5, per_object=8):
    """`per_object` jittered copies of each of `objects` well-separated true boxes, random scores."""
    truth = torch.tensor([[i * 60.0, 10.0, i * 60.0 + 40, 50.0] for i in range(objects)])  # (5, 4)
    boxes = truth.repeat_interleave(per_object, 0) + torch.randn(objects * per_object, 4, generator=g) * 2
    return truth, boxes, torch.rand(objects * per_object, generator=g)


def run(p):
    g = seed()
    truth, boxes, scores = detections(g)
    mine, theirs = greedy_nms(boxes, scores), nms(boxes, scores, THRESHOLD).tolist()
    p.claim("Iteratively keeps the best box, drops high-IoU ones",
            f"our greedy loop (IoU > {THRESHOLD}) vs torchvision.ops.nms on {len(boxes)} detections",
            f"same {len(mine)} boxes kept, same order" if mine == theirs else "different boxes kept",
            holds=mine == theirs, data={"mine": mine, "torchvision": theirs})
    matched = box_iou(boxes[theirs], truth).max(0).values  # (5,) best kept box per true object
    best_each = [int(max(range(k * 8, k * 8 + 8), key=lambda i: scores[i])) for k in range(len(truth))]
    p.claim("Eliminates duplicate detections of the same object",
            f"{len(truth)} objects × 8 jittered detections: kept boxes per object, and whether each kept box is "
            "its cluster's highest-scoring one",
            f"{len(boxes)} → {len(theirs)} boxes, one per object",
            holds=len(theirs) == len(truth) and sorted(theirs) == sorted(best_each) and bool((matched > 0.5).all()),
            data={"kept": len(theirs), "objects": len(truth), "best_each": best_each})
    kept_by_t = {t: len(nms(boxes, scores, t)) for t in (0.1, 0.3, 0.5, 0.7, 0.9)}
    p.bars("boxes kept by NMS vs its IoU threshold (5 objects × 8 duplicates)",
           {f"IoU > {t}": n for t, n in kept_by_t.items()})
    p.takeaway(f"NMS keeps the top-scoring box and drops overlaps above {THRESHOLD}: {len(boxes)} detections → "
               f"{len(theirs)}; at a 0.9 threshold {kept_by_t[0.9]} would survive")
