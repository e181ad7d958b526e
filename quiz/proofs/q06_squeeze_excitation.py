"""Q6: What is the Squeeze-and-Excitation block? — run torchvision's SqueezeExcitation on a
feature map, capture its squeeze and excitation with hooks, rebuild it by hand, and count
what SE adds to ResNet-50 (r = 16, SE after bn3 of every bottleneck, as in SE-ResNet)."""

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
    p.claim(
        "'Squeeze' global spatial info (AvgPool)",
        "hooked avgpool output vs x.mean over H, W; shape",
        f"shape {tuple(s.shape)}, max |diff| {squeeze_err:.1e}",
        tuple(s.shape) == (N, C, 1, 1) and squeeze_err < 1e-6,
        note="one number per channel per image: the spatial map is reduced to its mean",
        data={"squeeze_shape": list(s.shape), "max_abs_diff": squeeze_err},
    )

    # --- excite = FC → ReLU → FC → sigmoid: one weight in (0, 1) per channel
    wmin, wmax = w.min().item(), w.max().item()
    p.claim(
        "'Excite' learns a weight vector (Sigmoid) to scale channels",
        "hooked sigmoid output: shape and range",
        f"shape {tuple(w.shape)}, weights in [{wmin:.3f}, {wmax:.3f}] ⊂ (0, 1)",
        tuple(w.shape) == (N, C, 1, 1) and 0 < wmin and wmax < 1,
        note="random init, so the weights sit near 0.5; what is shown is the gate: one value in (0, 1) "
        "per channel and image",
        data={"excite_shape": list(w.shape), "w_min": wmin, "w_max": wmax},
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
    p.claim(
        "The block recalibrates channel-wise: output = input × per-channel weight",
        "max |SE(x) − x·w| (w hooked); max |SE(x) − my hand-written SE(x)|",
        f"{scale_err:.1e}; {mine_err:.1e}",
        torch.allclose(y, x * w) and torch.allclose(y, mine_y, atol=1e-6),
        note="hand-written SE = mean over H,W → Linear(256→16) → ReLU → Linear(16→256) → sigmoid → x·w",
        data={"max_abs_diff_xw": scale_err, "max_abs_diff_mine": mine_err},
    )

    # --- 'adaptively': the weights are a function of the input, not fixed per channel
    spread = (w - w[0]).abs().amax().item()
    per_channel_std = w.squeeze().std(dim=0).mean().item()
    p.claim(
        "'Adaptively' recalibrates: the channel weights depend on the input",
        "excitation weights across the 8 images of the batch",
        f"max |w(image i) − w(image 0)| = {spread:.3f}, mean per-channel std {per_channel_std:.4f}",
        spread > 1e-3,
        note="a fixed learned channel scale would give identical weights for every image",
        data={"max_spread": spread, "mean_channel_std": per_channel_std},
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
    rows = "; ".join(f"{c}×{n}: {fmt(k)}" for c, n, k in zip(widths, blocks, per_stage))
    paper_base, paper_se = 25.6e6, 28.1e6  # paper (Hu et al., SENet): ResNet-50 25.6M, SE-ResNet-50 28.1M
    p.claim(
        "(cost, paper: SE-ResNet-50 has ~2.5M more parameters than ResNet-50, 28.1M vs 25.6M)",
        "params of SE modules per stage (width×blocks), built in torchvision ResNet-50",
        f"{rows}; ResNet-50 {base:,} → SE-ResNet-50 {total:,} (+{(total - base) / base:.1%})",
        abs(base - paper_base) < 0.05e6 and abs(total - paper_se) < 0.05e6 and total - base == sum(per_stage),
        note=f"paper figures 25.6M / 28.1M are constants (Hu et al.); measured counts include the FC biases; "
        f"{per_stage[-1] / sum(per_stage):.0%} of the SE parameters sit in the last stage (2·C²/r grows with C²)",
        data={"widths": widths, "blocks": blocks, "se_params_per_stage": per_stage,
              "se_params": sum(per_stage), "resnet50_params": base, "se_resnet50_params": total},
    )

    p.not_shown(
        "Lets the network say 'pay attention to the Dog channel, ignore the Background channel'",
        "an interpretation: channels are not labelled 'dog' or 'background', and what the excitation "
        "learns needs a trained SE network and labelled images. With random weights the excitation "
        "means nothing; shown here is only the mechanism (a per-image, per-channel gate in (0, 1)).",
    )

    top = max(per_stage)
    lines = [f"{c:>4} ch × {n}  {fmt(k):>6}  " + "█" * max(1, round(40 * k / top))
             for c, n, k in zip(widths, blocks, per_stage)]
    p.figure("Parameters added by SE (r = 16) per ResNet-50 stage", "\n".join(lines))
