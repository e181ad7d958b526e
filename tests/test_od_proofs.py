"""The worked example deck: proofs for five questions of the day-14 object-detection notes, written as a
user would (files beside the bank), checked against torchvision.ops and closed forms, each with a
negative control; and the whole path a user takes: import, add the proofs, trust, prove."""

import importlib.util
import json
import math
import re
import shutil
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from quiz.cli import app
from quiz.proofs import Proof

DATA = Path(__file__).parent / "data"
PROOFS = DATA / "object-detection-proofs"
runner = CliRunner()


def load(name):
    spec = importlib.util.spec_from_file_location(f"od_{name}", PROOFS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name):
    torch.set_num_threads(1)
    p = Proof()
    load(name).run(p)
    return p


def verdicts(p):
    return [c.verdict for c in p.claims]


def test_iou():
    p = run("q02_iou")
    assert verdicts(p) == ["by definition", "published", "by definition"] and len(p.takeaways) == 1
    m = load("q02_iou")
    a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    assert m.iou(a, torch.tensor([[5.0, 0.0, 15.0, 10.0]])).item() == pytest.approx(50 / 150)  # closed form
    assert m.iou(a, torch.tensor([[20.0, 20.0, 30.0, 30.0]])).item() == 0  # disjoint
    from torchvision.ops import box_iou

    g = torch.Generator().manual_seed(5)
    b1, b2 = m.random_boxes(g, 30), m.random_boxes(g, 20)
    assert torch.allclose(m.iou(b1, b2), box_iou(b1, b2))
    d = p.claims[2].data
    assert d["curve"] == pytest.approx([(10 - s) / (10 + s) for s in d["shifts"]], abs=1e-6)
    assert d["oversized"] == pytest.approx(0.25)
    # negative control: overlap / ground-truth area (no union) gives the 2× oversized box a perfect 1.0 —
    # it no longer tells a good match from a sloppy one
    assert m.iou(a * 2, a, union=False).item() == 1.0


def test_nms():
    p = run("q03_nms")
    assert verdicts(p) == ["holds", "holds"]
    m = load("q03_nms")
    g = torch.Generator().manual_seed(3)
    boxes = torch.rand(50, 4, generator=g) * 50
    boxes[:, 2:] += boxes[:, :2] + 1
    scores = torch.rand(50, generator=g)
    from torchvision.ops import nms

    assert m.greedy_nms(boxes, scores, 0.3) == nms(boxes, scores, 0.3).tolist()  # independent boxes too
    # negative control: at threshold 1.0 nothing overlaps "too much": every duplicate survives
    truth, dets, s = m.detections(torch.Generator().manual_seed(0))
    assert len(m.greedy_nms(dets, s, 1.0)) == len(dets)


def test_anchors():
    p = run("q04_anchors")
    assert verdicts(p) == ["by definition", "holds", "holds"] and len(p.takeaways) == 1
    d = p.claims[0].data
    # closed form: H·W·3 per level for a 256² image at strides 4…64, counted from the generator's output
    assert d["per_level"] == [(256 // s) ** 2 * 3 for s in (4, 8, 16, 32, 64)] and d["total"] == sum(d["per_level"])
    m = load("q04_anchors")
    # our encoding by hand: anchor 0,0,10,20; box 5,0,25,40 → centre moves (10, 10), size ×2 → (1, 0.5, ln2, ln2)
    t = m.encode(torch.tensor([[5.0, 0, 25, 40]]), torch.tensor([[0.0, 0, 10, 20]]))[0]
    assert t.tolist() == pytest.approx([1.0, 0.5, math.log(2), math.log(2)])
    e = p.claims[2].data
    assert e["iou_offsets"] - e["iou_absolute"] >= 0.1
    # negative control: one fixed anchor for every box — nothing left to normalise, the check reports no gain
    off, ab, holds = m.compare(torch.Generator().manual_seed(0), vary=False)
    assert not holds and abs(off - ab) < 0.1


def test_focal_loss():
    p = run("q05_focal_loss")
    assert verdicts(p) == ["by definition", "holds", "holds"] and len(p.takeaways) == 1
    m = load("q05_focal_loss")
    # closed form for one easy negative at p = 0.018: CE = −log(1 − p), focal = p² · CE
    logit = torch.tensor([-4.0])
    pr = 1 / (1 + math.exp(4))
    assert m.focal(logit, torch.zeros(1)).item() == pytest.approx(pr**2 * -math.log(1 - pr), rel=1e-5)
    # against torchvision with α on too (ours has no α: weight it by hand)
    from torchvision.ops import sigmoid_focal_loss

    x, t = m.batch(torch.Generator().manual_seed(0), 50)
    alpha = torch.where(t == 1, 0.25, 0.75)
    assert torch.allclose(alpha * m.focal(x, t), sigmoid_focal_loss(x, t, 0.25, 2.0, "none"), atol=1e-7)
    d = p.claims[2].data
    assert d["background_ce"] == sorted(d["background_ce"]) and d["background_ce"][-1] > 0.5 > d["background_focal"][-1]
    # negative control: γ = 0 is plain cross-entropy, and the easy background keeps most of the loss —
    # the claim's check (hard share > 50%) then reports the opposite
    assert torch.allclose(m.focal(x, t, 0.0), torch.nn.functional.binary_cross_entropy_with_logits(x, t, reduction="none"))
    assert m.hard_share(0.0, torch.Generator().manual_seed(0)) < 0.5 < m.hard_share(2.0, torch.Generator().manual_seed(0))


def test_roi_align():
    p = run("q07_roi_align")
    assert verdicts(p) == ["holds", "by definition", "holds", "holds"]
    m = load("q07_roi_align")
    from torchvision.ops import roi_align, roi_pool

    # our quantised max-pool == torchvision.ops.roi_pool on a box whose edges are fractional
    fmap = torch.randn(16, 16, generator=torch.Generator().manual_seed(1))
    box = [1.4, 2.6, 11.5, 9.49]
    assert torch.equal(m.my_roi_pool(fmap, box), roi_pool(fmap[None, None], [torch.tensor([box])], 7)[0, 0])
    # closed form on the ramp (value = x): RoI Align's bin means are exact; at offset 0.5 the box
    # [5.5, 19.8) rounds to cells 6…20 (15 cells), so roi_pool's first bin is cells 6..8 → max 8.5, true max 7.54
    assert m.errors(0.25)[0] < 1e-4
    po = roi_pool(m.ramp(), torch.tensor([[0, 5.5, 4.0, 19.8, 18.0]]), 7)[0, 0, 0, 0].item()
    assert po == pytest.approx(8.5) and m.errors(0.5)[1] > 0.3
    al = roi_align(m.ramp(), torch.tensor([[0, 5.5, 4.0, 19.8, 18.0]]), 7, 1.0, 2, True)[0, 0, 0, 0].item()
    assert al == pytest.approx(5.5 + 14.3 / 14, abs=1e-4)  # the first bin's centre
    rows, align, pool, holds = m.compare()
    assert holds and p.claims[3].data["errors"] == {str(o): list(r) for o, r in rows.items()}
    # negative control: the legacy aligned=False samples half a pixel off — the same check then fails
    rows, align, pool, holds = m.compare(aligned=False)
    assert not holds and align == pytest.approx(0.5, abs=1e-3)


@pytest.mark.parametrize("name", ["q02_iou", "q03_nms", "q04_anchors", "q05_focal_loss", "q07_roi_align"])
def test_deterministic(name):
    assert [c.data for c in run(name).claims] == [c.data for c in run(name).claims]


def test_import_add_proofs_trust_and_prove(home):
    env = {"QUIZ_HOME": str(home), "COLUMNS": "100"}
    assert runner.invoke(app, ["import", str(DATA / "day14-object-detection.md")], env=env).exit_code == 0
    bank = home / "banks" / "object-detection.yaml"
    shutil.copytree(PROOFS, home / "banks" / "proofs")
    text = bank.read_text()
    for f in sorted(PROOFS.glob("q*.py")):  # name each proof under its question's `- id: N` line
        qid = int(f.name[1:3])
        text = re.sub(rf"(\n(\s*)- id: {qid}\n)", rf"\1\2  proof: proofs/{f.name}\n", text)
    bank.write_text(text)
    assert runner.invoke(app, ["validate"], env=env).exit_code == 0
    refused = runner.invoke(app, ["prove", "object-detection/5"], env=env)
    assert refused.exit_code == 1 and "quiz trust" in refused.stderr
    assert runner.invoke(app, ["trust", str(bank)], env=env).exit_code == 0  # a bank: all its proofs
    result = runner.invoke(app, ["prove", "--all", "--deck", "object-detection", "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["id"] for r in data] == [2, 3, 4, 5, 7]
    assert all(r["takeaway"] for r in data)
