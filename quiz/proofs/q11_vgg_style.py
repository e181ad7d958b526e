"""Q11 — Why is VGG still used in style transfer?

Generates a stationary colour texture (seeded, 128×128), shuffles its 32-px patches, and
compares VGG-16 conv features (content) and their Gram matrices (style, Gatys et al.) at
relu1_2, relu2_2 and relu3_3: how much each changes under the shuffle, and under a
different texture. VGG weights: a local state dict if given or cached, else seeded random init.
"""

import os

import torch
import torchvision
from torch import nn

from quiz.errors import QuizError
from quiz.proofs._tools import seed

S, P = 128, 32  # image side, patch side (4×4 patches)
LAYERS = {3: "relu1_2", 8: "relu2_2", 15: "relu3_3"}  # indices in torchvision's vgg16().features
CACHED = "vgg16-397923af.pth"  # the file name torchvision's VGG16_Weights.IMAGENET1K_V1 caches as
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)  # ImageNet normalisation VGG was trained with


def _texture(g, angle, freq, colours):
    """Random-phase band-pass noise around one orientation and frequency: stationary, not periodic at P."""
    fy, fx = torch.fft.fftfreq(S)[:, None], torch.fft.fftfreq(S)[None, :]
    r, th = (fx**2 + fy**2).sqrt(), torch.atan2(fy, fx)
    band = torch.exp(-((r - freq) / 0.03) ** 2) * torch.exp(-torch.sin(th - angle) ** 2 / 0.05)
    img = torch.zeros(3, S, S)
    for c in colours:
        t = torch.fft.ifft2(torch.fft.fft2(torch.randn(S, S, generator=g)) * band).real
        img += torch.tensor(c)[:, None, None] * (t - t.mean()) / t.std()
    return (0.5 + 0.15 * img).clamp(0, 1)  # (3, 128, 128) in [0, 1]


def _shuffle(x, g):
    """Move every P×P patch to another place (one random cycle: no patch stays put)."""
    k = S // P
    patches = x.reshape(3, k, P, k, P).permute(1, 3, 0, 2, 4).reshape(k * k, 3, P, P)
    s = torch.randperm(k * k, generator=g)
    order = torch.empty_like(s)
    order[s] = s.roll(-1)
    return patches[order].reshape(k, k, 3, P, P).permute(2, 0, 3, 1, 4).reshape(3, S, S)


def _vgg(p):
    """torchvision's vgg16().features up to relu3_3, with the weights the run can have."""
    with torch.device("meta"):  # no 138M-parameter allocation: keep only the first 16 layers
        net = torchvision.models.vgg16(weights=None).features[: max(LAYERS) + 1]
    path = p.options.get("weights")
    cached = os.path.join(torch.hub.get_dir(), "checkpoints", CACHED)
    if path is None and os.path.isfile(cached):  # existence check only: never downloads
        path = cached
    if path is None:
        net = net.to_empty(device="cpu")
        for m in net.modules():  # torchvision's VGG init (VGG.__init__), seeded
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.constant_(m.bias, 0)
        return net, "random init (seed 0)"
    if not os.path.isfile(path):
        raise QuizError(f"VGG-16 weights file not found: {path}")
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # unreadable, or not a plain tensor pickle
        raise QuizError(f"cannot read VGG-16 weights {path}: not a PyTorch state dict ({type(e).__name__}); "
                        "expected torchvision's vgg16 .pth file") from e
    keep = [f"{i}.{w}" for i, m in enumerate(net) if isinstance(m, nn.Conv2d) for w in ("weight", "bias")]
    missing = [k for k in keep if not isinstance(sd, dict) or f"features.{k}" not in sd]
    if missing:
        raise QuizError(f"{path} is not a torchvision VGG-16 state dict: no features.{missing[0]}")
    try:
        net.load_state_dict({k: sd[f"features.{k}"] for k in keep}, strict=True, assign=True)
    except RuntimeError as e:  # wrong shapes: another VGG variant
        raise QuizError(f"{path} does not fit VGG-16: {' '.join(str(e).split())[:160]}") from e
    return net, f"state dict {path}"


def run(p):
    g = seed()
    net, weights = _vgg(p)
    net.eval()
    x = _texture(g, 0.5, 0.10, [(1.0, 0.6, 0.2), (0.2, 0.4, 1.0)])  # texture A
    xs = _shuffle(x, g)  # texture A, patches shuffled
    x2 = _texture(g, 2.0, 0.15, [(0.3, 1.0, 0.3), (1.0, 0.2, 0.6)])  # texture B: other angle, scale, colours
    mean, std = torch.tensor(MEAN)[:, None, None], torch.tensor(STD)[:, None, None]
    h = (torch.stack([x, xs, x2]) - mean) / std  # (3, 3, 128, 128)

    rel = lambda a, b: ((a - b).norm() / b.norm()).item()  # noqa: E731 — relative change of a vs b
    rows = []
    with torch.no_grad():
        for i, layer in enumerate(net):
            h = layer(h)
            if i in LAYERS:
                f = h.flatten(2)  # (3, C, H·W) content: the feature maps
                gram = f @ f.transpose(1, 2) / f.shape[-1]  # (3, C, C) style: Gatys et al.'s Gram matrix
                rows.append({"layer": LAYERS[i], "channels": f.shape[1],
                             "content_shuffle": rel(f[1], f[0]), "gram_shuffle": rel(gram[1], gram[0]),
                             "content_other": rel(f[2], f[0]), "gram_other": rel(gram[2], gram[0])})

    ratio = min(r["content_shuffle"] / r["gram_shuffle"] for r in rows)
    contrast = min(r["gram_other"] / r["gram_shuffle"] for r in rows)
    fmt = lambda key: " / ".join(f"{r[key]:.3f}" for r in rows)  # noqa: E731
    caveat = (
        "With random weights this shows the Gram statistic's property (an average over positions "
        "discards arrangement), not what trained VGG features learned; give a VGG-16 state dict as the "
        "'weights' option to use ImageNet weights."
        if weights.startswith("random")
        else "With these weights the experiment shows what those features do."
    )
    p.claim(
        "VGG features are disentangled (texture vs content)",
        measured="relative change ‖Δ‖/‖·‖ at relu1_2 / relu2_2 / relu3_3 when the 32-px patches of a "
        "texture are shuffled: feature maps (content) vs Gram matrices (style); Gram change to another texture",
        value=f"features {fmt('content_shuffle')}; Gram {fmt('gram_shuffle')}; Gram, other texture "
        f"{fmt('gram_other')}",
        holds=ratio > 4 and contrast > 4,
        note=(
            f"Weights: {weights}. Shuffling changes the feature maps ≥ {ratio:.1f}× more than the Gram "
            f"matrices, while another texture changes the Gram matrices ≥ {contrast:.1f}× more than the shuffle: "
            f"Gram = texture, feature maps = arrangement. {caveat} The Gram matrix ignores arrangement (up to "
            "patch borders) for any conv features, so this does not single VGG out."
        ),
        data={"weights": weights, "layers": rows, "min_content_over_gram": ratio, "min_other_over_shuffle": contrast},
    )

    p.not_shown(
        "VGG features are very robust",
        "'Robust' to what is not stated; robustness of trained features needs ImageNet weights and a "
        "perturbation benchmark, out of reach here.",
        data={"weights": weights},
    )
    p.not_shown(
        "ResNet features are less interpretable for style due to residual connections mixing features",
        "Needs trained VGG and ResNet weights and style-transfer results judged side by side; not "
        "demonstrable on a CPU in seconds. The Gram statistic's invariance above comes from averaging over "
        "positions, so it cannot tell VGG and ResNet features apart.",
    )

    bar = lambda v: "█" * round(v * 20)  # noqa: E731 — 20 blocks = a relative change of 1.0
    lines = [f"{'layer':<8} {'what':<22} rel. change"]
    for r in rows:
        for key, label in (("content_shuffle", "features, shuffled"), ("gram_shuffle", "Gram, shuffled"),
                           ("gram_other", "Gram, other texture")):
            lines.append(f"{r['layer']:<8} {label:<22} {r[key]:.3f} {bar(r[key])}")
    p.figure(f"Texture vs arrangement in VGG-16 ({weights})", "\n".join(lines))
