"""Q20 — resnet50(pretrained=True) vs resnet50(weights=...)?

Reads torchvision's ResNet50_Weights enum (metadata, preprocessing transforms, DEFAULT) without
downloading anything, then calls the builders the old and the new way with the weight loader
(torchvision.models._api.load_state_dict_from_url, i.e. torch.hub's) patched to raise before any
network access and record the URL it was asked for — mapped back to the enum. Models are built on
the meta device, so nothing is allocated either.
"""

import warnings
from unittest import mock

import torch
import torchvision
from torchvision.models import ResNet50_Weights

from quiz.proofs._tools import params, seed


class _WouldDownload(Exception):
    """Raised by a patched loader instead of touching the network."""

    def __init__(self, url, where):
        super().__init__(url)
        self.url, self.where = url, where


def _refuser(where):
    def refuse(url, *args, **kwargs):
        raise _WouldDownload(url, where)

    return refuse


# Every way to a download: the name WeightsEnum.get_state_dict calls (torchvision.models._api imported
# torch.hub's function under this name at import time, so patching torch.hub alone would not catch it),
# and torch.hub's own functions, belt and braces.
_LOADERS = [(torchvision.models._api, "load_state_dict_from_url"), (torch.hub, "load_state_dict_from_url"),
            (torch.hub, "download_url_to_file")]


def _call(**kwargs):
    """resnet50(**kwargs) on meta with downloads intercepted: (requested enum or None, loader hit, warnings)."""
    patches = [mock.patch.object(mod, name, _refuser(f"{mod.__name__}.{name}")) for mod, name in _LOADERS]
    with warnings.catch_warnings(record=True) as caught, torch.device("meta"):
        warnings.simplefilter("always")
        for patch in patches:
            patch.start()
        try:
            torchvision.models.resnet50(**kwargs)
            requested, where = None, None  # built without asking for weights
        except _WouldDownload as e:
            by_url = [w for w in ResNet50_Weights if w.url == e.url]  # enum members (DEFAULT is an alias)
            requested, where = (by_url[0] if by_url else e.url), e.where
        finally:
            for patch in patches:
                patch.stop()
    return requested, where, [str(w.message) for w in caught]


def _prep(w):
    t = w.transforms()  # torchvision.transforms._presets.ImageClassification
    img = torch.randint(0, 256, (3, 300, 400), dtype=torch.uint8)  # a 300×400 RGB image
    out = t(img)
    return {"resize": t.resize_size, "crop": t.crop_size, "interpolation": t.interpolation.value,
            "out_shape": list(out.shape), "out_dtype": str(out.dtype).replace("torch.", "")}


def run(p):
    seed()
    v1, v2 = ResNet50_Weights.IMAGENET1K_V1, ResNet50_Weights.IMAGENET1K_V2
    acc = {w.name: w.meta["_metrics"]["ImageNet-1K"] for w in (v1, v2)}
    prep = {w.name: _prep(w) for w in (v1, v2)}
    recipe = {w.name: w.meta["recipe"] for w in (v1, v2)}

    # --- The old way: pretrained=True.
    old, loader, old_warnings = _call(pretrained=True)
    deprecated = [m for m in old_warnings if "deprecated" in m]
    named = [w for w in ResNet50_Weights if f"weights={w}" in " ".join(old_warnings)]  # what the warning names
    p.claim(
        "pretrained=True is deprecated",
        measured="warnings raised by resnet50(pretrained=True) (meta device, weight download intercepted): "
        + " | ".join(old_warnings),
        value=f"{len(deprecated)} deprecation warnings → {old.name if old in ResNet50_Weights else old}",
        holds=len(deprecated) == len(old_warnings) >= 1 and old in ResNet50_Weights and named == [old],
        note=f"The legacy flag maps to {old!r} (the URL it asked the loader for; the warning names {named}) — "
        f"the V1 weights, not DEFAULT ({ResNet50_Weights.DEFAULT!r}).",
        data={"warnings": old_warnings, "requested": str(old), "named_in_warning": [str(w) for w in named],
              "loader_called": loader},
    )

    # --- The new way: an explicit enum, its name as a string, or DEFAULT.
    new, _, new_warnings = _call(weights=v2)
    by_name, _, _ = _call(weights="IMAGENET1K_V2")
    default, _, _ = _call(weights="DEFAULT")
    none, _, none_warnings = _call(weights=None)
    p.claim(
        "weights=ResNet50_Weights.IMAGENET1K_V2 is the new API",
        measured="weights the builder asks the (intercepted) loader for, and warnings raised: "
        f"weights=IMAGENET1K_V2 → {new!r}, 'IMAGENET1K_V2' → {by_name!r}, 'DEFAULT' → {default!r}, None → {none}; "
        f"warnings: {len(new_warnings) + len(none_warnings)}",
        value=f"loads {getattr(new, 'name', new)}, no warning; DEFAULT = {getattr(default, 'name', default)}",
        holds=new is v2 and by_name is v2 and default is v2 and none is None and not new_warnings + none_warnings,
        note=f"ResNet50_Weights.DEFAULT is IMAGENET1K_V2: {ResNet50_Weights.DEFAULT is v2}. The builder asked "
        f"{loader} for the file (torch.hub's function: "
        f"{torchvision.models._api.load_state_dict_from_url is torch.hub.load_state_dict_from_url}); "
        "intercepted there, nothing was downloaded.",
        data={"new": str(new), "by_name": str(by_name), "default": str(default), "none": str(none),
              "default_is_v2": ResNet50_Weights.DEFAULT is v2},
    )

    available = [str(w) for w in torchvision.models.get_model_weights("resnet50")]
    with torch.device("meta"):
        n = params(torchvision.models.resnet50(weights=None))
    p.claim(
        "Allows selecting different versions of weights (V1 vs V2)",
        measured="get_model_weights('resnet50'); each version's metadata and weights.transforms() applied to a "
        "300×400 uint8 image: " + "; ".join(
            f"{k}: resize {v['resize']} → crop {v['crop']} → {v['out_shape']} {v['out_dtype']}" for k, v in prep.items()),
        value=f"{len(available)} versions; resize " + " vs ".join(str(v["resize"][0]) for v in prep.values()),
        holds=len(available) >= 2 and prep[v1.name]["resize"] != prep[v2.name]["resize"]
        and all(w.meta["num_params"] == n for w in (v1, v2)),
        note=f"Available: {available}. Same architecture ({n:,} params, counted on meta = meta['num_params']), "
        f"different training recipes (V1: {recipe[v1.name]}; V2: {recipe[v2.name]}) and preprocessing.",
        data={"available": available, "preprocessing": prep, "recipe": recipe, "params_counted": n},
    )
    p.published(
        "V2 is more accurate than V1",
        "torchvision ResNet50_Weights.IMAGENET1K_V1/V2.meta['_metrics'] (torchvision's own ImageNet-1K "
        "evaluation; not re-measured: the weights cannot be downloaded here)",
        f"acc@1 {acc[v1.name]['acc@1']} → {acc[v2.name]['acc@1']}",
        holds=acc[v2.name]["acc@1"] > acc[v1.name]["acc@1"] and acc[v2.name]["acc@5"] > acc[v1.name]["acc@5"],
        note=f"acc@5 {acc[v1.name]['acc@5']} → {acc[v2.name]['acc@5']}; V2 comes from a newer training recipe "
        "on the same architecture.",
        data={"acc": acc},
    )
    p.bars("ResNet-50 ImageNet top-1 by weights version (torchvision metadata, published)",
           {w.name: acc[w.name]["acc@1"] for w in (v1, v2)}, unit="%")
    p.takeaway(f"pretrained=True warns and loads {getattr(old, 'name', old)}; weights=ResNet50_Weights.IMAGENET1K_V2 "
               f"(= DEFAULT) picks a version explicitly, with its own transforms(): {acc[v1.name]['acc@1']} → "
               f"{acc[v2.name]['acc@1']} top-1")
