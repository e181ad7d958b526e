"""Q20 — resnet50(pretrained=True) vs resnet50(weights=...)?

Reads torchvision's ResNet50_Weights enum (metadata, preprocessing transforms, DEFAULT) without
downloading anything, then calls the builders the old and the new way with the weight loader
(torchvision.models._api.load_state_dict_from_url, i.e. torch.hub's) patched to raise before any
network access and record the URL it was asked for — mapped back to the enum. Models are built on
the meta device, so nothing is allocated either.

No claim here is an experiment: what the builder does with pretrained=True or weights=… is how torchvision's
code is written (≡, observed by calling it), and V1 vs V2 accuracy is torchvision's published evaluation (§).
There is no mechanism to switch off whose absence would test anything but the library's own source, so this
proof has no knobs and no controls.
"""

import inspect
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
    try:  # the builder under torchvision's legacy-interface wrapper (handle_legacy_interface)
        with torch.device("meta"):
            inspect.unwrap(torchvision.models.resnet50)(pretrained=True)
        unwrapped = "accepted"
    except TypeError as e:
        unwrapped = str(e)
    p.by_definition(
        "pretrained=True is deprecated",
        "how torchvision's code is written: resnet50 is wrapped in handle_legacy_interface, which maps "
        "pretrained=True to a weights enum and warns. Called here (meta device, download intercepted), it raised: "
        + " | ".join(old_warnings) + f" — and asked the loader for {old!r}. The builder without that wrapper "
        f"(inspect.unwrap) rejects the flag: {unwrapped}",
        f"{len(deprecated)} warnings → {old.name if old in ResNet50_Weights else old}",
        data={"warnings": old_warnings, "requested": str(old), "named_in_warning": [str(w) for w in named],
              "loader_called": loader, "without_wrapper": unwrapped},
    )

    # --- The new way: an explicit enum, its name as a string, or DEFAULT.
    new, _, new_warnings = _call(weights=v2)
    by_name, _, _ = _call(weights="IMAGENET1K_V2")
    default, _, _ = _call(weights="DEFAULT")
    none, none_loader, none_warnings = _call(weights=None)
    p.by_definition(
        "weights=ResNet50_Weights.IMAGENET1K_V2 is the new API",
        "how torchvision's code is written (builders take weights=; DEFAULT is an alias), observed: the weights "
        f"the builder asks the (intercepted) loader for: weights=IMAGENET1K_V2 → {new!r}, 'IMAGENET1K_V2' → "
        f"{by_name!r}, 'DEFAULT' → {default!r}, None → {none}; warnings: {len(new_warnings) + len(none_warnings)}. "
        f"ResNet50_Weights.DEFAULT is IMAGENET1K_V2: {ResNet50_Weights.DEFAULT is v2}; the legacy flag above "
        f"loads {getattr(old, 'name', old)}, not DEFAULT. The loader asked is torch.hub's function: "
        f"{torchvision.models._api.load_state_dict_from_url is torch.hub.load_state_dict_from_url}; intercepted "
        "there, nothing was downloaded",
        f"→ {getattr(new, 'name', new)}{' (= DEFAULT)' if default is new else ''}, "
        f"{len(new_warnings)} warnings",
        data={"new": str(new), "by_name": str(by_name), "default": str(default), "none": str(none),
              "none_loader": none_loader, "warnings": new_warnings + none_warnings,
              "default_is_v2": ResNet50_Weights.DEFAULT is v2},
    )

    available = [str(w) for w in torchvision.models.get_model_weights("resnet50")]
    with torch.device("meta"):
        n = params(torchvision.models.resnet50(weights=None))
    p.by_definition(
        "Allows selecting different versions of weights (V1 vs V2)",
        "how torchvision's weights API is built: get_model_weights('resnet50') lists "
        f"{len(available)} versions of one architecture ({n:,} params counted on meta; meta['num_params'] "
        f"{' = '.join(str(w.meta['num_params']) for w in (v1, v2))}), each with its own training recipe "
        f"(V1: {recipe[v1.name]}; V2: {recipe[v2.name]}) and its own preprocessing, weights.transforms() applied "
        "to a 300×400 uint8 image: " + "; ".join(
            f"{k}: resize {v['resize']} → crop {v['crop']} → {v['out_shape']} {v['out_dtype']}"
            for k, v in prep.items()),
        f"{len(available)} versions; resize " + " vs ".join(str(v["resize"][0]) for v in prep.values()),
        data={"available": available, "preprocessing": prep, "recipe": recipe, "params_counted": n,
              "num_params": {w.name: w.meta["num_params"] for w in (v1, v2)}},
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
               f"{'(= DEFAULT) ' if default is new else ''}picks a version explicitly, with its own transforms(): {acc[v1.name]['acc@1']} → "
               f"{acc[v2.name]['acc@1']} top-1")
