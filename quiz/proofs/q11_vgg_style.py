"""Q11 — Why is VGG still used in style transfer?

Generates a stationary colour texture (seeded, 128×128), shuffles its 32-px patches, and
compares VGG-16 conv features (content) and their Gram matrices (style, Gatys et al.) at
relu1_2, relu2_2 and relu3_3: how much each changes under the shuffle, and under a
different texture. The same statistics for two controls: raw pixels and a random-init ResNet-18
(layer1, layer2, layer3). VGG weights: a local state dict if given or cached, else seeded random init.
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


def _stats(feats):
    """Per layer: relative change of the feature maps and of their Gram matrices, A → A shuffled and
    A → texture B. feats: list of (name, (3, C, H, W) tensor) for the images [A, A shuffled, B]."""
    rel = lambda a, b: ((a - b).norm() / b.norm()).item()  # noqa: E731 — relative change of a vs b
    rows = []
    for name, h in feats:
        f = h.flatten(2)  # (3, C, H·W) content: the feature maps
        gram = f @ f.transpose(1, 2) / f.shape[-1]  # (3, C, C) style: Gatys et al.'s Gram matrix
        rows.append({"layer": name, "channels": f.shape[1],
                     "content_shuffle": rel(f[1], f[0]), "gram_shuffle": rel(gram[1], gram[0]),
                     "content_other": rel(f[2], f[0]), "gram_other": rel(gram[2], gram[0])})
    return rows


def _separation(rows):
    """How much more another texture moves the Gram matrices than shuffling does (worst layer)."""
    return min(r["gram_other"] / r["gram_shuffle"] for r in rows)


def run(p):
    g = seed()
    net, weights = _vgg(p)
    net.eval()
    x = _texture(g, 0.5, 0.10, [(1.0, 0.6, 0.2), (0.2, 0.4, 1.0)])  # texture A
    xs = _shuffle(x, g)  # texture A, patches shuffled
    x2 = _texture(g, 2.0, 0.15, [(0.3, 1.0, 0.3), (1.0, 0.2, 0.6)])  # texture B: other angle, scale, colours
    mean, std = torch.tensor(MEAN)[:, None, None], torch.tensor(STD)[:, None, None]
    h = (torch.stack([x, xs, x2]) - mean) / std  # (3, 3, 128, 128)

    vgg_feats = []
    with torch.no_grad():
        z = h
        for i, layer in enumerate(net):
            z = layer(z)
            if i in LAYERS:
                vgg_feats.append((LAYERS[i], z))
        resnet = torchvision.models.resnet18(weights=None).eval()  # the control: random init, seeded
        z = resnet.maxpool(resnet.relu(resnet.bn1(resnet.conv1(h))))
        res_feats = []
        for name in ("layer1", "layer2", "layer3"):
            z = getattr(resnet, name)(z)
            res_feats.append((name, z))
    rows = _stats(vgg_feats)
    controls = {"ResNet-18": _stats(res_feats), "pixels": _stats([("rgb", h)])}
    sep = {"VGG": _separation(rows), **{k: _separation(v) for k, v in controls.items()}}
    ratio = min(r["content_shuffle"] / r["gram_shuffle"] for r in rows)
    fmt = lambda key: " / ".join(f"{r[key]:.3f}" for r in rows)  # noqa: E731
    show = lambda v: f"{v:.1f}×" if v < 1000 else "exact"  # noqa: E731 — pixels: a shuffle keeps every pixel
    value = " · ".join(f"{k} {show(v)}" for k, v in sep.items())
    p.claim(
        "Gram statistics separate texture from arrangement",
        "relative change ‖Δ‖/‖·‖ when the 32-px patches of a texture are shuffled vs when it is replaced by "
        "another texture, for feature maps (content) and their Gram matrices (style); worst layer of each "
        f"extractor. VGG-16 relu1_2 / relu2_2 / relu3_3: features {fmt('content_shuffle')}; Gram "
        f"{fmt('gram_shuffle')}; Gram, other texture {fmt('gram_other')}",
        f"other ÷ shuffled: {value}",
        holds=all(v > 2 for v in sep.values()) and ratio > 4,
        note="Every extractor separates them, raw pixels best (a shuffle keeps every pixel, so their Gram "
        "matrix does not move): the Gram matrix averages over positions and discards arrangement whatever "
        "the features are. This is the property style transfer uses. Deeper, coarser layers separate less "
        "(patch borders weigh more): ResNet-18's layer3 is at 1/16 resolution, VGG's relu3_3 at 1/4.",
        data={"weights": weights, "layers": rows, "controls": controls, "separation": sep,
              "min_content_over_gram": ratio}, added=True,
    )
    if weights.startswith("random"):
        p.not_shown(
            "VGG features are disentangled (texture vs content)",
            f"About VGG's trained features, and no trained weights are here (weights: {weights}; give a "
            "torchvision VGG-16 state dict with --weights). With random weights VGG separates texture from "
            f"arrangement {sep['VGG']:.1f}×, a random ResNet-18 {sep['ResNet-18']:.1f}× and raw pixels exactly: "
            "the separation comes from the Gram statistic, not from anything VGG learned.",
            value=f"random VGG {sep['VGG']:.1f}×; pixels exact", data={"weights": weights, "separation": sep},
        )
    else:
        p.claim(
            "VGG features are disentangled (texture vs content)",
            f"the separation above with VGG-16 weights ({weights}) vs the random ResNet-18 and raw pixels",
            f"VGG {sep['VGG']:.1f}× vs ResNet {sep['ResNet-18']:.1f}×",
            holds=sep["VGG"] > 1.5 * sep["ResNet-18"],
            note="Judged against a random ResNet-18 (features that learned nothing); raw pixels separate "
            "exactly, so 'disentangled' is the Gram statistic's doing unless trained VGG clearly beats the control.",
            data={"weights": weights, "separation": sep},
        )
    p.not_shown(
        "VGG features are very robust",
        "'Robust' to what is not stated; robustness of trained features needs ImageNet weights and a "
        "perturbation benchmark, out of reach here.",
        data={"weights": weights},
    )
    p.not_shown(
        "ResNet features mix style via residual connections",
        "About trained ResNet features in style-transfer results; not demonstrable on a CPU in seconds "
        f"without weights. At random init ResNet-18's Gram statistics separate less ({sep['ResNet-18']:.1f}× vs "
        f"VGG's {sep['VGG']:.1f}×), but its compared layers are also 4× coarser, so this does not isolate the "
        "residual connections.",
    )
    p.bars("Gram change, other texture ÷ shuffled patches, per layer (higher = better separation)",
           {f"{k} {r['layer']}": r["gram_other"] / r["gram_shuffle"]
            for k, rs in (("VGG", rows), ("ResNet", controls["ResNet-18"])) for r in rs}, unit="×")
    p.takeaway(f"the Gram matrix separates texture from arrangement for any features (pixels exactly, random "
               f"VGG {sep['VGG']:.1f}×, random ResNet {sep['ResNet-18']:.1f}×): style transfer's trick is the "
               "statistic; VGG's edge needs trained weights")
