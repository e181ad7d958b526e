"""Q6: What is the Squeeze-and-Excitation block? — run torchvision's SqueezeExcitation on a
feature map, capture its squeeze and excitation with hooks, train a toy SE for a fraction of a
second on one informative channel among loud noise channels (the 'dog vs background' picture), and
count what SE adds to ResNet-50 (r = 16, SE after bn3 of every bottleneck, as in SE-ResNet)."""

import torch
from torch import nn
from torchvision.models import resnet50
from torchvision.models.resnet import Bottleneck
from torchvision.ops import SqueezeExcitation  # avgpool → fc1 (1×1 conv) → ReLU → fc2 → Sigmoid → scale

from quiz.proofs._tools import fmt, params, seed


def run(p):
    seed()
    N, C, H, W, r = 8, 256, 14, 14, 16
    # a feature map whose channels have different mean levels per sample (like real features)
    x = torch.randn(N, C, H, W) + torch.randn(N, C, 1, 1)  # (N, C, H, W) = (8, 256, 14, 14)
    se = SqueezeExcitation(C, C // r).eval()  # torchvision's SE, squeeze channels 256/16 = 16

    seen = {}
    se.avgpool.register_forward_hook(lambda m, i, o: seen.__setitem__("squeeze", o))
    se.scale_activation.register_forward_hook(lambda m, i, o: seen.__setitem__("excite", o))
    with torch.no_grad():
        y = se(x)  # (8, 256, 14, 14)
    s, w = seen["squeeze"], seen["excite"]  # (8, 256, 1, 1) each

    # --- squeeze = global average pooling
    squeeze_err = (s - x.mean(dim=(2, 3), keepdim=True)).abs().max().item()
    p.by_definition(
        "'Squeeze' global spatial info (AvgPool)",
        f"what the block does: torchvision's avgpool output is x.mean over H, W (max |diff| {squeeze_err:.1e}), "
        f"one number per channel per image, shape {tuple(s.shape)}",
        f"shape {tuple(s.shape)}",
        data={"squeeze_shape": list(s.shape), "max_abs_diff": squeeze_err},
    )

    # --- excite: trained on a toy where one channel carries the signal and the others loud noise
    gate, before, loss = train_toy(informative=True)
    noise = gate[1:].mean().item()
    p.claim(
        "'Excite' learns a weight vector (Sigmoid) to scale channels",
        f"toy: SqueezeExcitation({TOY_C}, 4) trained {TOY_STEPS} Adam steps so that the sum of its gated channel "
        "means predicts channel 0's signal; mean gate per channel before → after training, on fresh data",
        f"gate ch0 {before[0]:.2f} → {gate[0]:.2f}, noise {before[1:].mean():.2f} → {noise:.2f}",
        holds=abs(gate[0] - before[0]).item() > 0.3 and loss < 0.05,
        data={"gate": gate.tolist(), "gate_before": before.tolist(), "loss": loss},
    )
    p.claim(
        "Lets the net attend to the 'dog' channel, ignore 'background'",
        f"the same toy: channel 0 = the signal (the 'dog'), channels 1…{TOY_C - 1} = noise 3× louder (the "
        "'background'); learned gate of each",
        f"gate {gate[0]:.3f} on the signal vs {noise:.3f} on noise",
        holds=gate[0] > 0.9 and noise < 0.1,
        note="A toy with channels built to mean 'signal' and 'noise'; in a trained ImageNet SE-Net channels have "
        "no names, and the paper shows gates that vary by class in late layers (Hu et al. 2018, Fig. 6).",
        data={"gate_signal": gate[0].item(), "gate_noise_mean": noise},
    )

    # --- my own SE (mean → Linear → ReLU → Linear → sigmoid → scale) with the same weights
    fc1 = se.fc1.weight.flatten(1)  # (16, 256)
    fc2 = se.fc2.weight.flatten(1)  # (256, 16)
    with torch.no_grad():
        z = torch.relu(x.mean(dim=(2, 3)) @ fc1.T + se.fc1.bias)  # (8, 16)
        mine = torch.sigmoid(z @ fc2.T + se.fc2.bias)  # (8, 256)
        mine_y = x * mine[:, :, None, None]  # (8, 256, 14, 14)
    scale_err = (y - x * w).abs().max().item()
    mine_err = (y - mine_y).abs().max().item()
    spread = (w - w[0]).abs().amax().item()
    p.claim(
        "adaptively recalibrates channel-wise responses",
        "output = input × a per-channel weight (max |SE(x) − x·w| with w hooked; max |SE(x) − a hand-written "
        f"SE(x)| = {mine_err:.1e}); the weights differ between the {N} images of a batch (a fixed channel scale "
        "would give the same weights for every image)",
        f"x·w exact; weights vary by {spread:.2f} across images",
        torch.allclose(y, x * w) and torch.allclose(y, mine_y, atol=1e-6) and spread > 1e-3,
        data={"max_abs_diff_xw": scale_err, "max_abs_diff_mine": mine_err, "max_spread": spread},
    )

    # --- cost: SE-ResNet-50 = torchvision ResNet-50 with SE(C, C/16) after bn3 of every bottleneck
    with torch.device("meta"):  # shapes and parameter counts only, no memory
        net = resnet50(weights=None)
        base = params(net)
        for b in net.modules():
            if isinstance(b, Bottleneck):
                out = b.bn3.num_features  # 256 / 512 / 1024 / 2048
                b.bn3 = nn.Sequential(b.bn3, SqueezeExcitation(out, out // r))
    stages = [net.layer1, net.layer2, net.layer3, net.layer4]
    widths = [st[0].bn3[0].num_features for st in stages]
    blocks = [len(st) for st in stages]
    per_stage = [sum(params(m) for m in st.modules() if isinstance(m, SqueezeExcitation)) for st in stages]
    total = params(net)
    p.claim(
        "costs +10% parameters on ResNet-50 (25.6M → 28.1M)",
        "params of SE modules per stage (width×blocks) added to torchvision ResNet-50: "
        + "; ".join(f"{c}×{n}: {fmt(k)}" for c, n, k in zip(widths, blocks, per_stage))
        + ". The 25.6M / 28.1M are the paper's (Hu et al. 2018, Table 2), measured here.",
        f"{fmt(base)} → {fmt(total)} (+{(total - base) / base:.1%})",
        abs(base - 25.6e6) < 0.05e6 and abs(total - 28.1e6) < 0.05e6 and total - base == sum(per_stage),
        note=f"{per_stage[-1] / sum(per_stage):.0%} of the SE parameters sit in the last stage (2·C²/r grows with C²)",
        data={"widths": widths, "blocks": blocks, "se_params_per_stage": per_stage,
              "se_params": sum(per_stage), "resnet50_params": base, "se_resnet50_params": total},
        added=True,
    )

    p.bars("toy SE: learned gate per channel (ch 0 = signal, the rest = loud noise)",
           {f"ch {c}" + (" signal" if c == 0 else ""): v for c, v in enumerate(gate.tolist())})
    p.takeaway(f"SE = squeeze (channel means) → MLP → sigmoid gate; on a toy it learns gate {gate[0]:.2f} for "
               f"the signal channel and {noise:.3f} for noise, for +{(total - base) / base:.0%} params on ResNet-50")


TOY_C, TOY_STEPS = 8, 200


def train_toy(informative=True, steps=TOY_STEPS):
    """Train SqueezeExcitation(8, 4) so that sum_c gate_c · mean(x_c) predicts y. Channel 0 carries a signal
    s, channels 1…7 noise 3× louder; y = s (informative) or unrelated noise (control).
    Returns (mean gate per channel on fresh data, the same before training, final loss)."""
    g = seed(6)
    se = SqueezeExcitation(TOY_C, 4)
    opt = torch.optim.Adam(se.parameters(), lr=0.05)

    def batch(n):
        x = 3 * torch.randn(n, TOY_C, 4, 4, generator=g)  # (n, 8, 4, 4): loud noise everywhere …
        signal = torch.randn(n, generator=g)
        x[:, 0] = signal[:, None, None] + 0.1 * torch.randn(n, 4, 4, generator=g)  # … but channel 0 is the signal
        return x, signal if informative else torch.randn(n, generator=g)

    def gates(x):
        with torch.no_grad():
            return torch.sigmoid(se.fc2(torch.relu(se.fc1(x.mean((2, 3), keepdim=True))))).flatten(1).mean(0)

    test, _ = batch(256)
    before = gates(test)
    for _ in range(steps):
        x, y = batch(64)
        loss = nn.functional.mse_loss(se(x).mean(dim=(2, 3)).sum(1), y)  # gated channel means, summed
        opt.zero_grad()
        loss.backward()
        opt.step()
    return gates(test), before, loss.item()
