"""Q6: What is the Squeeze-and-Excitation block? — run torchvision's SqueezeExcitation on a feature map, capture
its squeeze and excitation with hooks, train toy SEs (5 inits) for a fraction of a second where the informative
channel (the 'dog') moves between images among loud noise channels (the 'background'), against a static learned
per-channel gate (the control: no squeeze), and count what SE adds to ResNet-50 (r = 16, after bn3 of every
bottleneck, as in SE-ResNet)."""

import functools

import torch
from torch import nn
from torchvision.models import resnet50
from torchvision.models.resnet import Bottleneck
from torchvision.ops import SqueezeExcitation  # avgpool → fc1 → ReLU → fc2 → sigmoid

from quiz.proofs import Knob
from quiz.proofs._tools import fmt, params, seed

SEEDS, TOY_C, TOY_STEPS = 5, 8, 200  # toy SEs trained at once (each its own init and data); channels; Adam steps
KNOBS = {
    "squeeze": Knob(True, "the toy's gate is computed from each input's channel means (off: one learned gate per "
                    "channel, the same for every input)", control=False, says="without squeeze"),
}


def run(p):
    seed()
    squeeze = p.options["squeeze"]  # False in its control run: a static learned gate sigmoid(v)
    if p.measures():  # what the block is: construction, the proof as it is only
        anatomy(p)

    # --- the toy: where the 'dog' is (channel 0 or 1) changes with the image; a cue channel says which
    toy = train(squeeze)
    on, off = toy["gate_dog_ch0"], toy["gate_dog_ch1"]  # (SEEDS, 8) mean gates: dog in ch 0 / in ch 1
    dog = [(a[0] + b[1]) / 2 for a, b in zip(on, off)]  # gate on the dog's channel, per seed
    bg = [(sum(a) - a[0] + sum(b) - b[1]) / (2 * (TOY_C - 1)) for a, b in zip(on, off)]  # on every other channel
    loss, loss_one = toy["loss"], toy["loss_gate_one"]
    fixed = train(False, moving=False) if p.measures() else None  # the note's contrast: a static gate, a fixed dog
    gate = "SE's gate" if squeeze else "a static gate"
    span = lambda v: f"{min(v):.3g}…{max(v):.3g}"
    p.claim(
        "Lets the net attend to the 'dog' channel, ignore 'background'",
        f"toy, {SEEDS} inits: each image has a signal (the 'dog') in channel 0 or 1 — channel 2 carries a cue ±1 "
        f"saying which — and noise 3× louder in every other channel ('background'); {gate} ({TOY_C} ch) trained "
        f"{TOY_STEPS} Adam steps so that Σ gate·channel mean predicts the signal; on fresh data, mean gate on the "
        f"dog's channel {span(dog)}, on the others {span(bg)}; loss {span(loss)} (every gate at 1: {span(loss_one)})",
        f"gate {min(dog):.2f}+ on the dog vs ≤ {max(bg):.3f} on the rest",
        holds=min(dog) > 0.9 and max(bg) < 0.1,
        note="A toy with channels built to mean 'dog' and 'background'. If the dog were always in channel 0, a "
        "static learned gate per channel would do it too" + (
            f" (measured, {SEEDS} inits: {span([g[0] for g in fixed['gate_dog_ch0']])} on it, ≤ "
            f"{max(max(g[1:]) for g in fixed['gate_dog_ch0']):.3f} on the rest)" if fixed else "")
        + ": any channel weighting tells a fixed dog channel from background. SE's squeeze is needed when where the "
        "dog is changes with the image, as here; without it (--control) the gate settles on one compromise for "
        "both channels. In a trained ImageNet SE-Net channels have no names; the paper shows gates that vary by "
        "class in late layers (Hu et al. 2018, Fig. 6).",
        data={"gate_dog": dog, "gate_background": bg, "loss": loss, "loss_gate_one": loss_one, "squeeze": squeeze,
              "fixed_dog_static": fixed},
        control="squeeze",
    )
    on0, off0 = [g[0] for g in on], [g[0] for g in off]  # channel 0's gate when the dog is in ch 0 / in ch 1
    on1, off1 = [g[1] for g in on], [g[1] for g in off]
    adapts = min(on0) > 0.9 and max(off0) < 0.1 and min(off1) > 0.9 and max(on1) < 0.1  # opens and shuts by image
    p.claim(
        "adaptively recalibrates channel-wise responses",
        f"the same toy: channel 0's gate when the dog is in channel 0 ({span(on0)}) vs in channel 1 ({span(off0)}); "
        f"channel 1's: {span(off1)} vs {span(on1)}; {gate}, {SEEDS} inits",
        f"ch 0 gate {min(on0):.2f}+ or ≤ {max(off0):.3f} by image",
        holds=adapts,
        note="SE's gate is computed from the input's own channel means, so the same channel is opened for one image "
        "and shut for the next. A fixed per-channel scale (what a learned BN γ or a 1×1 depthwise conv gives; "
        "--control) settles on one value for both cases.",
        data={"gate_ch0_dog_in_ch0": on0, "gate_ch0_dog_in_ch1": off0, "gate_ch1_dog_in_ch1": off1,
              "gate_ch1_dog_in_ch0": on1, "loss": loss, "squeeze": squeeze},
        control="squeeze",
    )
    if p.measures():
        static = train(False)  # the control's gate (cached: its control run reads this)
        s_on, s_off = static["gate_dog_ch0"][0], static["gate_dog_ch1"][0]
        bars = {"SE, dog in ch 0": on[0][0], "SE, dog in ch 1": off[0][0]} if squeeze else {}
        p.bars("gate on ch 0 when the dog is in ch 0 / in ch 1 (init 0): "
               + ("SE's vs a static gate" if squeeze else "a static gate (no squeeze)"),
               {**bars, "static, dog in ch 0": s_on[0], "static, dog in ch 1": s_off[0]})
        stuck = abs(s_on[0] - s_off[0]) < 0.1  # the static gate: one value whichever channel the dog is in
        static_part = (f"a static gate can't (stuck at {s_on[0]:.2f})" if stuck else
                       f"a static gate moves too ({s_on[0]:.2f} vs {s_off[0]:.2f})")
        if squeeze and adapts:
            p.takeaway(f"SE = channel means → MLP → sigmoid gate: it opens the dog's channel ({min(dog):.2f}+) and "
                       f"shuts it when the dog is elsewhere (≤ {max(off0):.3f}); {static_part}")
        else:
            who = "SE's gate" if squeeze else "without the squeeze, the learned gate"
            p.takeaway(f"{who} does not follow the dog: channel 0's gate is {span(on0)} with the dog there and "
                       f"{span(off0)} when it is elsewhere" + ("; SE computes the gate from each image's channel means "
                       "(channel means → MLP → sigmoid) instead" if not squeeze else f"; {static_part}"))
        cost(p)


def anatomy(p):
    """torchvision's SqueezeExcitation on a feature map: squeeze and excite hooked, checked by hand."""
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

    squeeze_err = (s - x.mean(dim=(2, 3), keepdim=True)).abs().max().item()
    p.by_definition(
        "'Squeeze' global spatial info (AvgPool)",
        f"what the block does: torchvision's avgpool output is x.mean over H, W (max |diff| {squeeze_err:.1e}), "
        f"one number per channel per image, shape {tuple(s.shape)}",
        f"shape {tuple(s.shape)}",
        data={"squeeze_shape": list(s.shape), "max_abs_diff": squeeze_err},
    )

    # my own SE (mean → Linear → ReLU → Linear → sigmoid → scale) with the same weights
    fc1 = se.fc1.weight.flatten(1)  # (16, 256)
    fc2 = se.fc2.weight.flatten(1)  # (256, 16)
    with torch.no_grad():
        z = torch.relu(x.mean(dim=(2, 3)) @ fc1.T + se.fc1.bias)  # (8, 16)
        mine = torch.sigmoid(z @ fc2.T + se.fc2.bias)  # (8, 256)
        mine_y = x * mine[:, :, None, None]  # (8, 256, 14, 14)
    scale_err = (y - x * w).abs().max().item()
    mine_err = (y - mine_y).abs().max().item()
    spread = (w - w[0]).abs().amax().item()
    p.by_definition(
        "'Excite' learns a weight vector (Sigmoid) to scale channels",
        f"what the block does: w = sigmoid(fc2(relu(fc1(squeeze)))), one weight per channel per image, in (0, 1) "
        f"by the sigmoid's range, fc1 and fc2 learned; then SE(x) = x·w: torchvision's output vs x·w hooked, max "
        f"|diff| {scale_err:.1e}; vs a hand-written SE {mine_err:.1e}. Learned, untrained here: what training "
        "makes of it is the toy's",
        f"w {tuple(mine.shape)} in {w.min():.2f}…{w.max():.2f}",
        data={"max_abs_diff_xw": scale_err, "max_abs_diff_mine": mine_err, "max_spread": spread,
              "excite_shape": list(w.shape)},
    )



def cost(p, r=16):
    """SE-ResNet-50 = torchvision ResNet-50 with SE(C, C/16) after bn3 of every bottleneck: what it adds."""
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
    p.by_definition(
        "costs +10% parameters on ResNet-50 (25.6M → 28.1M)",
        "arithmetic: SE(C, C/16) adds 2·C²/16 + C + C/16 params to a block; counted on torchvision ResNet-50 with "
        "one after bn3 of every bottleneck, per stage (width×blocks): "
        + "; ".join(f"{c}×{n}: {fmt(k)}" for c, n, k in zip(widths, blocks, per_stage))
        + f" ({per_stage[-1] / sum(per_stage):.0%} in the last stage: 2·C²/r grows with C²). The 25.6M / 28.1M are "
        "the paper's (Hu et al. 2018, Table 2)",
        f"{fmt(base)} → {fmt(total)} (+{(total - base) / base:.1%})",
        data={"widths": widths, "blocks": blocks, "se_params_per_stage": per_stage,
              "se_params": sum(per_stage), "resnet50_params": base, "se_resnet50_params": total},
        added=True,
    )


def toy_se():
    """SEEDS independent SqueezeExcitation(8, 4)s as one of SEEDS·8 channels whose 1×1 convs have SEEDS groups:
    group k (channels 8k…8k+7) is seed k's SE, with its own init (a group's fan-in is that of an SE(8, 4))."""
    se = SqueezeExcitation(SEEDS * TOY_C, SEEDS * 4)
    se.fc1 = nn.Conv2d(SEEDS * TOY_C, SEEDS * 4, 1, groups=SEEDS)  # group k: seed k's fc1 (8 → 4)
    se.fc2 = nn.Conv2d(SEEDS * 4, SEEDS * TOY_C, 1, groups=SEEDS)  # group k: seed k's fc2 (4 → 8)
    return se


@functools.cache  # deterministic: the control run reads the static gate the proof as it is already trained
def train(squeeze=True, moving=True, steps=TOY_STEPS):
    """SEEDS toy gates trained at once, as one torchvision SqueezeExcitation of SEEDS groups (each group its own
    8 channels, init and data: SEEDS independent SE(8, 4)s). Each image: noise 3× louder in every channel,
    the signal s (+ a little noise) in channel 0 — or in channel 1 where the cue is −1 (moving) — and the cue ±1
    in channel 2; Σ_c gate_c · mean(x_c) is trained to predict s. squeeze: SE's gate, from the image's channel
    means; else a static learned gate sigmoid(v), one per channel for every image. Returns, per seed, the mean
    gates when the dog is in ch 0 / in ch 1, the loss, and the loss with every gate at 1, all on fresh data."""
    g = seed(6)
    se = toy_se()
    v = nn.Parameter(torch.zeros(SEEDS * TOY_C))  # the static gate's logits

    def gates(x):  # (n, SEEDS·8, 4, 4) → (n, SEEDS, 8)
        w = se._scale(x) if squeeze else torch.sigmoid(v)[None, :, None, None].expand(len(x), -1, 1, 1)
        return w.view(len(x), SEEDS, TOY_C)

    def batch(n):
        x = 3 * torch.randn(n, SEEDS, TOY_C, 4, 4, generator=g)  # loud noise everywhere
        s = torch.randn(n, SEEDS, generator=g)  # the signal, one per image per seed
        cue = torch.randint(0, 2, (n, SEEDS), generator=g) * 2 - 1  # +1: the dog in ch 0; −1: in ch 1
        where = (cue < 0).long() if moving else torch.zeros_like(cue)  # (n, SEEDS): the dog's channel
        signal = s[..., None, None] + 0.1 * torch.randn(n, SEEDS, 4, 4, generator=g)
        x.scatter_(2, where[:, :, None, None, None].expand(-1, -1, 1, 4, 4), signal[:, :, None])
        x[:, :, 2] = cue[..., None, None] + 0.1 * torch.randn(n, SEEDS, 4, 4, generator=g)  # the cue channel
        return x.view(n, SEEDS * TOY_C, 4, 4), s, cue

    def losses(x, s, w=None):  # per seed: MSE of Σ_c gate_c · mean(x_c) against s
        w = gates(x) if w is None else w
        pred = (w * x.mean((2, 3)).view(len(x), SEEDS, TOY_C)).sum(-1)  # (n, SEEDS)
        return ((pred - s) ** 2).mean(0)  # (SEEDS,)

    opt = torch.optim.Adam(list(se.parameters()) if squeeze else [v], lr=0.05)
    test, test_s, test_cue = batch(512)
    for _ in range(steps):
        loss = losses(*batch(64)[:2]).sum()  # the seeds' losses are independent: the sum trains each on its own
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        w = gates(test)  # (512, SEEDS, 8)
        mean_where = lambda m: [(w[:, k][m[:, k]].mean(0)).tolist() for k in range(SEEDS)]
        return {"gate_dog_ch0": mean_where(test_cue > 0), "gate_dog_ch1": mean_where(test_cue < 0),
                "loss": losses(test, test_s).tolist(),
                "loss_gate_one": losses(test, test_s, torch.ones_like(w)).tolist()}  # every gate at 1
