"""Q11 — Why is VGG still used in style transfer?

Generates a stationary colour texture (seeded, 128×128), shuffles its 32-px patches, and
compares VGG-16 conv features (content) and their Gram matrices (style, Gatys et al.) at
relu1_2, relu2_2 and relu3_3: how much each changes under the shuffle, and under a
different texture. The same statistics for two baselines: raw pixels and a random-init ResNet-18
(layer1, layer2, layer3). VGG weights: a local state dict if given (--weights) or cached, else seeded
random init. Controls: the feature maps themselves instead of their Gram matrices, and (with weights)
a random-init VGG.
"""

import functools
import itertools
import os

import torch
import torchvision
from torch import nn

from quiz.errors import QuizError
from quiz.proofs import Knob
from quiz.proofs._tools import seed

KNOBS = {
    "gram": Knob(True, "the style statistic is the Gram matrix of the features (off: the feature maps "
                 "themselves)", control=False, says="feature maps, no Gram"),
    "pretrained": Knob(True, "VGG-16 with the weights given by --weights or torchvision's cache, when there are "
                       "any (off: seeded random init)", control=False, says="random-init VGG"),
}

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


def _weights_path(p):
    """The VGG-16 state dict this run can use: --weights, else torchvision's cached file; None: neither."""
    path = p.options.get("weights")
    cached = os.path.join(torch.hub.get_dir(), "checkpoints", CACHED)
    if path is None and os.path.isfile(cached):  # existence check only: never downloads
        path = cached
    return path


def _vgg(path):
    """torchvision's vgg16().features up to relu3_3, with the weights at `path` (None: seeded random init)."""
    with torch.device("meta"):  # no 138M-parameter allocation: keep only the first 16 layers
        net = torchvision.models.vgg16(weights=None).features[: max(LAYERS) + 1]
    if path is None:
        seed()
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


def _images():
    """Texture A, A with its patches shuffled, texture B: ImageNet-normalised, (3, 3, 128, 128)."""
    g = seed()
    x = _texture(g, 0.5, 0.10, [(1.0, 0.6, 0.2), (0.2, 0.4, 1.0)])  # texture A
    xs = _shuffle(x, g)  # texture A, patches shuffled
    x2 = _texture(g, 2.0, 0.15, [(0.3, 1.0, 0.3), (1.0, 0.2, 0.6)])  # texture B: other angle, scale, colours
    mean, std = torch.tensor(MEAN)[:, None, None], torch.tensor(STD)[:, None, None]
    return (torch.stack([x, xs, x2]) - mean) / std  # (3, 3, 128, 128)


def _stamp(path):
    """What tells an edited weights file from the one read before: (mtime, size); None if there is none."""
    try:
        st = os.stat(path)
    except (OSError, TypeError):
        return None
    return st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=2)  # deterministic: the gram control reads the same features (at most 2 sets kept)
def _vgg_features(path, stamp=None):
    """(weights label, [(layer name, (3, C, H, W) features)]) of VGG-16 at relu1_2, relu2_2, relu3_3, with
    the weights at `path` (None: random init); `stamp` (see _stamp) keys the cache to the file's contents."""
    net, label = _vgg(path)
    feats, z = [], _images()
    with torch.no_grad():
        for i, layer in enumerate(net.eval()):
            z = layer(z)
            if i in LAYERS:
                feats.append((LAYERS[i], z))
    return label, feats


@functools.lru_cache(maxsize=1)
def _resnet_features():
    """[(layer name, features)] of a random-init ResNet-18 (seeded) at layer1, layer2, layer3."""
    seed()
    resnet = torchvision.models.resnet18(weights=None).eval()
    feats = []
    with torch.no_grad():
        z = resnet.maxpool(resnet.relu(resnet.bn1(resnet.conv1(_images()))))
        for name in ("layer1", "layer2", "layer3"):
            z = getattr(resnet, name)(z)
            feats.append((name, z))
    return feats


def _stats(feats, gram=True):
    """Per layer: relative change of the feature maps (content) and of the style statistic — their Gram
    matrices, or with gram=False the feature maps themselves — A → A shuffled and A → texture B.
    feats: list of (name, (3, C, H, W) tensor) for the images [A, A shuffled, B]."""
    rel = lambda a, b: ((a - b).norm() / b.norm()).item()  # noqa: E731 — relative change of a vs b
    rows = []
    for name, h in feats:
        f = h.flatten(2)  # (3, C, H·W) content: the feature maps
        style = f @ f.transpose(1, 2) / f.shape[-1] if gram else f  # (3, C, C): Gatys et al.'s Gram matrix
        rows.append({"layer": name, "channels": f.shape[1],
                     "content_shuffle": rel(f[1], f[0]), "style_shuffle": rel(style[1], style[0]),
                     "content_other": rel(f[2], f[0]), "style_other": rel(style[2], style[0])})
    return rows


def _separation(rows):
    """How much more another texture moves the Gram matrices than shuffling does (worst layer)."""
    return min(r["style_other"] / r["style_shuffle"] for r in rows)


def run(p):
    gram = p.options["gram"]  # False in its control run: compare the feature maps themselves
    path = _weights_path(p)  # None: no trained weights here
    used = path if p.options["pretrained"] else None  # the control: random init even where weights exist
    weights, vgg_feats = _vgg_features(used, _stamp(used))
    rows = _stats(vgg_feats, gram)
    baselines = {"ResNet-18": _stats(_resnet_features(), gram), "pixels": _stats([("rgb", _images())], gram)}
    sep = {"VGG": _separation(rows), **{k: _separation(v) for k, v in baselines.items()}}
    ratio = min(r["content_shuffle"] / r["style_shuffle"] for r in rows)
    fmt = lambda key: " / ".join(f"{r[key]:.3f}" for r in rows)  # noqa: E731
    show = lambda v: f"{v:.1f}×" if v < 1000 else f"{v:.1e}×"  # noqa: E731 — pixel Gram: only rounding moves
    value = " · ".join(f"{k} {show(v)}" for k, v in sep.items())
    stat = "Gram matrices" if gram else "feature maps again (the control: no Gram)"
    # with trained weights here: the same VGG at random init, what the architecture gives without training
    random_vgg = _separation(_stats(_vgg_features(None)[1], gram)) if path else None
    best = max(sep, key=sep.get)
    everyone = all(v > 2 for v in sep.values())
    pixels_why = (" (a shuffle keeps every pixel: their Gram matrix moves by float rounding only)"
                  if gram and best == "pixels" else "")
    nothing = not any(v > 2 for v in sep.values())
    features_sep = min(r["content_other"] / r["content_shuffle"] for r in rows)  # VGG's feature maps, no Gram
    per_layer = [[r["style_other"] / r["style_shuffle"] for r in rs] for rs in (rows, baselines["ResNet-18"])]
    deeper_less = all(a > b for seps in per_layer for a, b in itertools.pairwise(seps))
    coarse = {k: S // feats[-1][1].shape[-1] for k, feats in (("VGG", vgg_feats), ("ResNet", _resnet_features()))}
    depth = (f"Deeper, coarser layers separate less (patch borders weigh more): ResNet-18's layer3 is at "
             f"1/{coarse['ResNet']} resolution, VGG's relu3_3 at 1/{coarse['VGG']}." if deeper_less else
             f"Here deeper layers (ResNet-18's layer3 at 1/{coarse['ResNet']} resolution, VGG's relu3_3 at "
             f"1/{coarse['VGG']}) do not all separate less.")
    if gram:
        lead = (f"{'Every' if everyone else 'Not every'} extractor separates them by more than 2×, {best} "
                f"best{pixels_why}: the Gram matrix averages over positions and discards arrangement whatever the "
                f"features are. This is the property style transfer uses. Without it (the control: the feature "
                f"maps themselves) another texture moves VGG's features {features_sep:.1f}× as much as a "
                f"shuffle does. ")
    else:
        lead = (f"Without the Gram matrix (this run: the feature maps themselves) "
                f"{'no extractor' if nothing else 'not every extractor'} separates "
                f"them by more than 2× (at most {show(sep[best])}, {best})"
                + (": the separation is the Gram matrix's, not the features'. " if nothing else ". "))
    if p.measures("gram"):
        p.claim(
            "Gram statistics separate texture from arrangement",
            "relative change ‖Δ‖/‖·‖ when the 32-px patches of a texture are shuffled vs when it is replaced by "
            f"another texture, for feature maps (content) and, as style, their {stat}; worst layer of each "
            f"extractor. VGG-16 relu1_2 / relu2_2 / relu3_3: features {fmt('content_shuffle')}; style "
            f"{fmt('style_shuffle')}; style, other texture {fmt('style_other')}",
            f"other ÷ shuffled: {value}",
            holds=all(v > 2 for v in sep.values()) and ratio > 4,
            note=lead + depth,
            data={"weights": weights, "gram": gram, "layers": rows, "baselines": baselines, "separation": sep,
                  "min_content_over_style": ratio}, added=True,
            control="gram",
        )
    if path is None:
        p.not_shown(
            "VGG features are disentangled (texture vs content)",
            f"About VGG's trained features, and no trained weights are here (weights: {weights}; give a "
            "torchvision VGG-16 state dict with --weights). With random weights VGG separates texture from "
            f"arrangement {show(sep['VGG'])}, a random ResNet-18 {show(sep['ResNet-18'])} and raw pixels "
            f"{show(sep['pixels'])}, "
            + ("with Gram matrices: the separation comes from the Gram statistic, not from anything VGG learned."
               if gram else "with the feature maps themselves (no Gram): without the Gram statistic no separation "
               "is there to credit to VGG."),
            value=f"random VGG {show(sep['VGG'])}; pixels {show(sep['pixels'])}",
            data={"weights": weights, "separation": sep},
        )
    elif p.measures("pretrained"):
        p.claim(
            "VGG features are disentangled (texture vs content)",
            f"the separation above with VGG-16 weights ({weights}) vs the same VGG at random init, and vs the "
            "random ResNet-18 and raw pixels",
            f"VGG {sep['VGG']:.1f}× vs random VGG {random_vgg:.1f}×",
            holds=sep["VGG"] > 1.5 * random_vgg,
            note=f"Judged against the same VGG at random init ({random_vgg:.1f}×: what the architecture and the "
            f"{'Gram statistic' if gram else 'feature maps'} give without training; a random ResNet-18 gives "
            f"{sep['ResNet-18']:.1f}×, raw pixels {show(sep['pixels'])}), so 'disentangled' is credited to training "
            "only if the trained weights clearly beat it. The control runs the random-init VGG in their place.",
            data={"weights": weights, "separation": sep, "random_vgg": random_vgg},
            control="pretrained",
        )
    if not p.measures():  # the control runs judge the claims above only
        return
    p.not_shown(
        "VGG features are very robust",
        "'Robust' to what is not stated; robustness of trained features needs ImageNet weights and a "
        "perturbation benchmark, out of reach here.",
        data={"weights": weights},
    )
    resnet_sep, vgg_random = sep["ResNet-18"], random_vgg if path else sep["VGG"]
    p.not_shown(
        "ResNet features mix style via residual connections",
        "About trained ResNet features in style-transfer results; not demonstrable on a CPU in seconds "
        f"without weights. At random init ResNet-18's {'Gram statistics' if gram else 'feature maps'} separate "
        f"{'less' if resnet_sep < vgg_random else 'more' if resnet_sep > vgg_random else 'as much'} "
        f"({resnet_sep:.1f}× vs VGG's {vgg_random:.1f}×), but its compared layers are also "
        f"{coarse['ResNet'] // coarse['VGG']}× coarser, so this does not isolate the residual connections.",
    )
    p.bars(f"{'Gram' if gram else 'Feature'} change, other texture ÷ shuffled patches, per layer (higher: better)",
           {f"{k} {r['layer']}": r["style_other"] / r["style_shuffle"]
            for k, rs in (("VGG", rows), ("ResNet", baselines["ResNet-18"])) for r in rs}, unit="×")
    edge = ("VGG's edge needs trained weights" if path is None else
            f"trained VGG {sep['VGG']:.1f}× vs {random_vgg:.1f}× at random init")
    figures = (f"pixels {show(sep['pixels'])}, {'random ' if path is None else ''}VGG {sep['VGG']:.1f}×, "
               f"random ResNet {sep['ResNet-18']:.1f}×")
    p.takeaway(f"the Gram matrix separates texture from arrangement for any features ({figures}): "
               f"style transfer's trick is the statistic; {edge}" if gram and everyone else
               f"the Gram matrix does not separate texture from arrangement by 2× for every extractor ({figures})"
               if gram else
               f"without the Gram matrix nothing separates texture from arrangement by 2× (VGG {sep['VGG']:.1f}×, "
               f"ResNet {sep['ResNet-18']:.1f}×): the statistic is the trick" if nothing
               else f"without the Gram matrix not every extractor separates texture from arrangement by 2× "
               f"({figures})")
