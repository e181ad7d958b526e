"""object-detection/5: What is focal loss? — our own (1−p)^γ·CE against torchvision.ops.sigmoid_focal_loss,
and where the loss goes on an imbalanced batch: 1000 easy background anchors, 10 hard objects."""

import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss

from quiz.proofs._tools import seed

GAMMA = 2.0


def focal(logits, targets, gamma=GAMMA):
    """Our focal loss (no α): (1 − p_t)^γ · CE, p_t = the probability of the true class."""
    p = torch.sigmoid(logits)
    p_t = torch.where(targets == 1, p, 1 - p)
    return (1 - p_t) ** gamma * F.binary_cross_entropy_with_logits(logits, targets, reduction="none")


def batch(g):
    """1000 easy negatives (logit −4: p = 0.018) and 10 hard positives (logit −1: p = 0.27)."""
    logits = torch.cat([torch.full((1000,), -4.0), torch.full((10,), -1.0)]) + 0.1 * torch.randn(1010, generator=g)
    targets = torch.cat([torch.zeros(1000), torch.ones(10)])
    return logits, targets


def hard_share(gamma, g):
    """Share of the total loss that comes from the 10 hard positives."""
    logits, targets = batch(g)
    loss = focal(logits, targets, gamma)
    return (loss[1000:].sum() / loss.sum()).item()


def run(p):
    g = seed()
    logits, targets = batch(g)
    err = (focal(logits, targets) - sigmoid_focal_loss(logits, targets, alpha=-1, gamma=GAMMA,
                                                       reduction="none")).abs().max().item()
    p.by_definition("Adds a modulating factor (1−p)^γ to cross-entropy",
                    f"the definition; our (1 − p_t)^γ·CE matches torchvision.ops.sigmoid_focal_loss (α off, γ = "
                    f"{GAMMA}) to {err:.1e}", f"= torchvision (Δ {err:.1g})", data={"max_diff_vs_torchvision": err})
    ce, fl = hard_share(0.0, seed()), hard_share(GAMMA, seed())
    p.claim("Down-weights easy examples so hard ones dominate",
            "1000 easy background anchors (p ≈ 0.02) and 10 hard objects (p ≈ 0.27): share of the summed loss "
            f"from the hard ones, CE (γ = 0) vs focal (γ = {GAMMA})",
            f"hard share {ce:.0%} (CE) → {fl:.0%} (focal)",
            holds=fl > 0.5 > ce, partly=fl > ce,
            data={"hard_share_ce": ce, "hard_share_focal": fl})
    p.claim("Designed for extreme foreground/background imbalance",
            "the same batch, 100:1 imbalance: the easy background's share of the loss under CE vs focal",
            f"background {1 - ce:.0%} → {1 - fl:.1%} of the loss",
            holds=(1 - ce) > 0.5 > (1 - fl),
            data={"background_share_ce": 1 - ce, "background_share_focal": 1 - fl})
    ps = torch.linspace(0.01, 0.99, 50)
    p.lines("loss of a positive vs its predicted probability p: CE and focal (γ = 2)",
            {"CE": (ps.tolist(), (-torch.log(ps)).tolist()),
             "focal": (ps.tolist(), ((1 - ps) ** GAMMA * -torch.log(ps)).tolist())}, x="p", y="loss")
    p.takeaway(f"focal loss multiplies CE by (1−p)^γ: on 1000 easy vs 10 hard anchors the hard share of the loss "
               f"goes from {ce:.0%} to {fl:.0%}")
