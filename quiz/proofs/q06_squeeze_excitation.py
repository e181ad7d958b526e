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
    _, _, loss_fixed = train_toy(informative=True, gate=False)  # control: the same toy, gate fixed at 1
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
        f"'background'); learned gate of each; final loss {loss:.3f} vs {loss_fixed:.2f} with the gate fixed at 1",
        f"gate {gate[0]:.3f} on the signal vs {noise:.3f} on noise",
        holds=gate[0] > 0.9 and noise < 0.1 and loss < loss_fixed / 10,
        note="A toy with channels built to mean 'signal' and 'noise'; in a trained ImageNet SE-Net channels have "
        "no names, and the paper shows gates that vary by class in late layers (Hu et al. 2018, Fig. 6).",
        data={"gate_signal": gate[0].item(), "gate_noise_mean": noise, "loss": loss, "loss_gate_fixed": loss_fixed},
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
    # adaptive = the gate depends on the input: a toy where a cue channel says which channel carries the signal
    sw = train_switch(adaptive=True)
    static = train_switch(adaptive=False)  # control: one learned per-channel scale for every input
    (on0, on1), (off0, off1) = sw["gate_cue_ch0"], sw["gate_cue_ch1"]
    p.claim(
        "adaptively recalibrates channel-wise responses",
        f"toy: the signal sits in channel 0 or 1, a cue channel says which; SqueezeExcitation({TOY_C}, 4) vs a "
        f"static learned per-channel scale, {TOY_STEPS} Adam steps each; mean gate of ch 0 / ch 1 on fresh "
        f"data when the cue says ch 0: {on0:.3f} / {on1:.3f}, says ch 1: {off0:.3f} / {off1:.3f} (static: "
        f"{static['gate_cue_ch0'][0]:.2f} / {static['gate_cue_ch0'][1]:.2f} either way); loss SE "
        f"{sw['loss']:.4f} vs static {static['loss']:.3f}. Also: torchvision SE(x) = x·w (w hooked, max |diff| "
        f"{scale_err:.1e}) = a hand-written SE ({mine_err:.1e})",
        f"ch0 gate {on0:.2f} or {off0:.3f} by cue; static loss ×{static['loss'] / sw['loss']:.0f}",
        holds=on0 > 0.9 > 0.1 > off0 and off1 > 0.9 > 0.1 > on1 and sw["loss"] < static["loss"] / 10
        and torch.allclose(y, x * w) and torch.allclose(y, mine_y, atol=1e-6),
        note="A fixed per-channel scale (what a learned BN γ or a 1×1 depthwise conv gives) can only settle on "
        "one compromise for both cases; SE's gate is computed from the input's channel means, so it flips.",
        data={"max_abs_diff_xw": scale_err, "max_abs_diff_mine": mine_err, "max_spread": spread,
              "se": sw, "static": static},
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
    p.bars("SE's gate on ch 0 when the cue points to ch 0 / ch 1 (static: one value)",
           {"SE, cue → ch 0": on0, "SE, cue → ch 1": off0, "static, either": static["gate_cue_ch0"][0]})
    p.takeaway(f"SE = channel means → MLP → sigmoid gate: a toy learns {gate[0]:.2f} on the signal vs {noise:.3f} "
               f"on noise, flips with the input ({on0:.2f}/{off0:.3f}); +{(total - base) / base:.0%} params on ResNet-50")


TOY_C, TOY_STEPS = 8, 200


class Ones(nn.Module):
    """A gate fixed at 1: SE without its excitation (control)."""

    def forward(self, z):
        return torch.ones_like(z)


def train_toy(informative=True, steps=TOY_STEPS, gate=True):
    """Train SqueezeExcitation(8, 4) so that sum_c gate_c · mean(x_c) predicts y. Channel 0 carries a signal
    s, channels 1…7 noise 3× louder; y = s (informative) or unrelated noise (control). gate=False fixes the
    gate at 1 (control). Returns (mean gate per channel on fresh data, the same before training, loss on that fresh data)."""
    g = seed(6)
    se = SqueezeExcitation(TOY_C, 4)
    if not gate:
        se.scale_activation = Ones()
    opt = torch.optim.Adam(se.parameters(), lr=0.05)

    def batch(n):
        x = 3 * torch.randn(n, TOY_C, 4, 4, generator=g)  # (n, 8, 4, 4): loud noise everywhere …
        signal = torch.randn(n, generator=g)
        x[:, 0] = signal[:, None, None] + 0.1 * torch.randn(n, 4, 4, generator=g)  # … but channel 0 is the signal
        return x, signal if informative else torch.randn(n, generator=g)

    def gates(x):
        with torch.no_grad():
            return se.scale_activation(se.fc2(torch.relu(se.fc1(x.mean((2, 3), keepdim=True))))).flatten(1).mean(0)

    def loss_on(x, y):
        return nn.functional.mse_loss(se(x).mean(dim=(2, 3)).sum(1), y)  # gated channel means, summed

    test, test_y = batch(256)
    before = gates(test)
    for _ in range(steps if gate else 0):  # a fixed gate has nothing to learn
        loss = loss_on(*batch(64))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return gates(test), before, loss_on(test, test_y).item()  # loss on fresh data


def train_switch(adaptive=True, steps=TOY_STEPS):
    """Train y ≈ sum_c gate_c · mean(x_c) where the signal sits in channel 0 or 1 (the other one is loud noise)
    and channel 2 carries a cue ±1 saying which. adaptive: SE's gate (from the channel means); else a static
    learned gate sigmoid(v), the same for every input. Returns gates of ch 0, 1 by cue and the loss, fresh data."""
    g = seed(6)
    se = SqueezeExcitation(TOY_C, 4)
    v = nn.Parameter(torch.zeros(TOY_C))  # the static gate's logits

    def gates(x):  # (n, 8)
        if adaptive:
            return torch.sigmoid(se.fc2(torch.relu(se.fc1(x.mean((2, 3), keepdim=True))))).flatten(1)
        return torch.sigmoid(v).expand(len(x), TOY_C)

    def batch(n):
        x = 3 * torch.randn(n, TOY_C, 4, 4, generator=g)  # (n, 8, 4, 4): loud noise
        s = torch.randn(n, generator=g)
        cue = torch.randint(0, 2, (n,), generator=g) * 2 - 1  # +1: signal in ch 0, -1: in ch 1
        signal = s[:, None, None] + 0.1 * torch.randn(n, 4, 4, generator=g)  # (n, 4, 4)
        x[cue > 0, 0], x[cue < 0, 1] = signal[cue > 0], signal[cue < 0]
        x[:, 2] = cue[:, None, None] + 0.1 * torch.randn(n, 4, 4, generator=g)  # the cue channel
        return x, s, cue

    def loss_on(x, y):
        return nn.functional.mse_loss((gates(x) * x.mean((2, 3))).sum(1), y)

    opt = torch.optim.Adam(list(se.parameters()) if adaptive else [v], lr=0.05)
    test, test_y, test_cue = batch(512)
    for _ in range(steps):
        loss = loss_on(*batch(64)[:2])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        gt = gates(test)
        return {"gate_cue_ch0": gt[test_cue > 0, :2].mean(0).tolist(),
                "gate_cue_ch1": gt[test_cue < 0, :2].mean(0).tolist(), "loss": loss_on(test, test_y).item()}
