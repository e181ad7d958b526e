"""Q17 — How does DenseNet differ from ResNet?

Runs torchvision's residual BasicBlock (sum) and DenseNet _DenseBlock (concatenation) on one small
input and reads the channel counts; counts the bytes autograd saves for backward (saved_tensors_hooks)
for blocks of depth 1…8 (running totals of one 8-layer forward): DenseNet's block, a residual stack, and
DenseNet's layers joined by a sum instead (the `join` control); then the activation bytes one 224×224
forward keeps for backward in DenseNet-121, ResNet-34 and ResNet-50 (torchvision builders, meta device),
naive or checkpointed (the `memory_efficient` control), next to the accuracy and parameters torchvision
publishes for each.
"""

import functools
from unittest import mock

import torch
import torchvision
from torch import nn
from torchvision.models.densenet import _DenseBlock, _DenseLayer
from torchvision.models.resnet import BasicBlock

from quiz.proofs import Knob
from quiz.proofs._tools import fmt, params, seed

KNOBS = {
    "join": Knob("concat", "how a dense block joins its layers: DenseNet's concatenation, or a sum x + F(x) of the "
                 "same BN-ReLU-1×1-BN-ReLU-3×3 layers", control="sum", says="layers summed, not concatenated",
                 choices=("concat", "sum")),
    "memory_efficient": Knob(False, "torchvision's checkpointed DenseNet: BN-ReLU-1×1 recomputed in backward",
                             control=True, says="checkpointed (memory_efficient)"),
    "rival": Knob("both", "the ResNets DenseNet-121's activation memory is compared with", control="resnet34",
                  says="against ResNet-34 alone", choices=("both", "resnet34", "resnet50")),
}
C0, K, BN_SIZE = 64, 32, 4  # dense block input channels, growth rate k, bottleneck factor (DenseNet-121's)
DEPTHS = list(range(1, 9))  # layers per block in the memory sweep
N, HW = 1, 8  # batch and spatial side of the sweep input (small: many tiny ops, each cheap)
NETS = ("densenet121", "resnet34", "resnet50")
PUBLISHED = {"densenet121": torchvision.models.DenseNet121_Weights.IMAGENET1K_V1,
             "resnet34": torchvision.models.ResNet34_Weights.IMAGENET1K_V1,
             "resnet50": torchvision.models.ResNet50_Weights.IMAGENET1K_V1}


class Summed(nn.ModuleDict):
    """The `join` control: DenseNet's own layers (_DenseLayer) joined by a sum, x ← x + F(x), as a ResNet
    does. Each layer is c0 wide in and out (growth rate c0), so the sum is defined."""

    def __init__(self, depth, memory_efficient=False):
        super().__init__({f"denselayer{i + 1}": _DenseLayer(C0, C0, BN_SIZE, 0, memory_efficient)
                          for i in range(depth)})

    def forward(self, x):
        for layer in self.values():
            x = x + layer(x)  # (N, c0, H, W) throughout
        return x


def _saved_bytes(model, x, layers=(), skip=(), keep_outputs=False):
    """Forward once; bytes of the distinct storages autograd saved for backward (parameters excluded).

    Returns the running total after each of `layers` (the memory of the first 1, 2, … layers: nothing
    later changes what earlier layers saved) followed by the grand total.
    keep_outputs: also count each layer's output (what torch.utils.checkpoint keeps outside the hooks).
    Storages are keyed by their StorageImpl address (works on the meta device too), so a tensor saved
    twice, or a view / in-place result of a saved tensor, is counted once. Every saved storage stays
    alive until the output is dropped, so no address is reused while counting.
    """
    skip = {q.untyped_storage()._cdata for q in skip}
    seen, totals = {}, []

    def pack(t):
        s = t.untyped_storage()
        if s._cdata not in skip:
            seen[s._cdata] = s.nbytes()
        return t

    def after(m, inputs, out):
        if keep_outputs:
            pack(out)
        totals.append(sum(seen.values()))

    handles = [m.register_forward_hook(after) for m in layers]
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = model(x)  # (y holds the graph, hence every saved storage, until we return)
    for h in handles:
        h.remove()
    del y
    return totals + [sum(seen.values())]


def _second_diff(v):
    return [v[i + 1] - 2 * v[i] + v[i - 1] for i in range(1, len(v) - 1)]


@functools.cache  # deterministic (byte counts): a control run reads the curves the first run measured
def sweep(kind, memory_efficient=False):
    """Bytes saved for backward by blocks of depth 1…8 (running totals of one 8-layer forward; a block's final
    concatenation saves nothing): kind "concat" (torchvision's _DenseBlock), "sum" (Summed) or "resnet"
    (BasicBlocks). Checkpointing recomputes BN+ReLU+1×1 in backward and keeps each layer's output instead."""
    seed()
    x = torch.randn(N, C0, HW, HW, requires_grad=True)  # (N, C, H, W) = (1, 64, 8, 8), mid-network
    depth = DEPTHS[-1]
    if kind == "resnet":
        block = nn.Sequential(*[BasicBlock(C0, C0) for _ in range(depth)]).train()
        layers = list(block)
    else:
        block = (_DenseBlock(depth, C0, bn_size=BN_SIZE, growth_rate=K, drop_rate=0, memory_efficient=memory_efficient)
                 if kind == "concat" else Summed(depth, memory_efficient)).train()
        layers = list(block.values())
    return tuple(_saved_bytes(block, x, layers, skip=block.parameters(), keep_outputs=memory_efficient)[:-1])


@functools.cache
def _net(name):
    # meta device: shapes only, no memory. Its weights hold no values, so initialising them only costs time
    # (kaiming_normal_ runs a Python decomposition per conv on meta): skipped.
    with torch.device("meta"), mock.patch.object(nn.init, "kaiming_normal_", lambda w, *args, **kwargs: w):
        return getattr(torchvision.models, name)(weights=None).eval()


@functools.cache  # deterministic: a control run reads the nets the first run measured
def activation_bytes(name, memory_efficient=False):
    """Bytes one 1×3×224×224 forward with autograd keeps for backward (meta device, params excluded; BN in
    eval mode: it saves tensors of the same sizes as in train mode, and meta runs it 3× faster)."""
    net = _net(name)
    dense = [m for m in net.modules() if isinstance(m, _DenseLayer)]
    for m in dense:
        m.memory_efficient = memory_efficient  # what densenet121(memory_efficient=True) sets
    img = torch.empty(1, 3, 224, 224, device="meta")  # (N, C, H, W)
    return _saved_bytes(net, img, dense, skip=net.parameters(), keep_outputs=memory_efficient)[-1]


def run(p):
    seed()
    x = torch.randn(N, C0, HW, HW)  # (N, C, H, W) = (1, 64, 8, 8), mid-network

    # --- ResNet: x + F(x). torchvision's BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + x).
    res = nn.Sequential(*[BasicBlock(C0, C0) for _ in range(4)]).eval()
    b = res[0]
    with torch.no_grad():
        fx = b.bn2(b.conv2(b.relu(b.bn1(b.conv1(x)))))  # F(x), from the block's own layers
        sum_ok = torch.allclose(b(x), torch.relu(x + fx), atol=1e-6)
        h, res_channels = x, [C0]
        for blk in res:
            h = blk(h)
            res_channels.append(h.shape[1])
    p.by_definition(
        "ResNet: summation (x + F(x))",
        f"how the block is built: torchvision BasicBlock({C0}, {C0}) outputs relu(x + F(x)) ({sum_ok}); the width "
        f"stays {C0} through {len(res)} blocks: {res_channels}",
        f"width stays {C0}",
        data={"res_channels": res_channels, "sum_ok": sum_ok},
    )

    # --- DenseNet: [x, F(x)]. torchvision's _DenseBlock, layer i sees the concatenation of all before it.
    dense = _DenseBlock(4, C0, bn_size=BN_SIZE, growth_rate=K, drop_rate=0).eval()
    seen_in = []
    hooks = [m.register_forward_pre_hook(lambda m, a: seen_in.append(sum(t.shape[1] for t in a[0])))
             for m in dense.values()]
    with torch.no_grad():
        out = dense(x)  # (1, 64 + 4·32, 8, 8)
    for h in hooks:
        h.remove()
    kept = torch.equal(out[:, :C0], x)
    dense_channels = seen_in + [out.shape[1]]
    p.by_definition(
        "DenseNet: concatenation ([x, F(x)])",
        f"how the block is built: torchvision _DenseBlock(4 layers, c0={C0}, k={K}) passes x on untouched "
        f"(first {C0} output channels == x: {kept}); its layers see {dense_channels} channels",
        "width " + "→".join(map(str, dense_channels)),
        data={"dense_channels": dense_channels, "x_kept_exactly": kept},
    )

    # --- Memory for backward vs depth: the dense block as the knobs set it, against a residual stack.
    join, efficient = p.options["join"], p.options["memory_efficient"]
    if p.measures("join", "memory_efficient"):
        block, resid = list(sweep(join, efficient)), list(sweep("resnet"))
        naive, checkpointed = list(sweep("concat")), list(sweep("concat", True))  # torchvision's two, for the note
        d2, d2_resid, d2_cp = _second_diff(block), _second_diff(resid), _second_diff(checkpointed)
        name = f"{join} block{' (checkpointed)' if efficient else ''}"
        quadratic = len(set(d2)) == 1 and d2[0] > 0  # a constant 2nd difference > 0
        p.claim(
            "memory grows with the channel count: quadratic in depth",
            measured=f"bytes saved for backward (saved_tensors_hooks, distinct storages, no params; checkpointed: "
            f"plus each layer's output), depth {DEPTHS[0]}…{DEPTHS[-1]}, input {N}×{C0}×{HW}×{HW}: {name} of "
            f"DenseNet layers (k={K}) vs BasicBlock stack; 2nd difference {sorted(set(d2))} B vs residual "
            f"{sorted(set(d2_resid))}; value: bytes at depth 8 ÷ at depth 4",
            value=f"dense ×{block[7] / block[3]:.2f}, res ×{resid[7] / resid[3]:.2f} (8÷4)",
            holds=quadratic and set(d2_resid) == {0},
            note="Constant positive 2nd difference = quadratic in depth: layer i stores its (c0 + i·k)-channel "
            "concatenated input (BN input and BN/ReLU output). Zero 2nd difference = linear: every residual block "
            "stores the same. That is torchvision's default (memory_efficient=False); its checkpointed block "
            f"recomputes the concatenation, BN, ReLU and 1×1 conv in backward and is linear (2nd difference "
            f"{sorted(set(d2_cp))} B; depth 8: {checkpointed[7] / 2**20:.2f} vs {naive[7] / 2**20:.2f} MiB), as in "
            "Pleiss et al. 2017, 'Memory-Efficient Implementation of DenseNets'.",
            data={"depths": DEPTHS, "block": block, "residual": resid, "naive": naive, "checkpointed": checkpointed,
                  "second_diff": d2, "second_diff_residual": d2_resid, "second_diff_checkpointed": d2_cp},
            control=("join", "memory_efficient"),
        )
        p.lines("bytes saved for backward vs block depth (MiB)",
                {"dense": (DEPTHS, [v / 2**20 for v in naive]), "residual": (DEPTHS, [v / 2**20 for v in resid]),
                 "dense, checkpointed": (DEPTHS, [v / 2**20 for v in checkpointed])}, x="layers in the block",
                y="MiB")

    # --- Whole networks: torchvision's published accuracy and size; activation bytes measured on meta.
    meta = {k: w.meta for k, w in PUBLISHED.items()}
    top1 = {k: m["_metrics"]["ImageNet-1K"]["acc@1"] for k, m in meta.items()}
    size = {k: m["num_params"] for k, m in meta.items()}
    per_param = {k: top1[k] / (size[k] / 1e6) for k in NETS}  # top-1 points per million params
    dn = "densenet121"
    if p.measures():  # (no control judges a published figure)
        counted = {k: params(_net(k)) for k in NETS}
        p.published(
            "DenseNet reuses features more efficiently",
            "torchvision's weights metadata (IMAGENET1K_V1 of each): ImageNet-1K top-1, num_params, GFLOPS: "
            + "; ".join(f"{k} {top1[k]}%, {fmt(size[k])} params, {meta[k]['_ops']} GFLOPS" for k in NETS),
            f"{top1[dn]:.1f}% / {fmt(size[dn])} vs R34 {top1['resnet34']:.1f}% / {fmt(size['resnet34'])}",
            holds=per_param[dn] > max(per_param["resnet34"], per_param["resnet50"]),
            note="Top-1 points per million parameters: " + ", ".join(f"{k} {v:.2f}" for k, v in per_param.items())
            + f". DenseNet-121 beats ResNet-34 on accuracy with {size['resnet34'] / size[dn]:.1f}× fewer params and "
            f"is {top1['resnet50'] - top1[dn]:.1f} points behind ResNet-50 with {size['resnet50'] / size[dn]:.1f}× "
            "fewer. Trained accuracy cannot be measured here, and 'feature reuse' itself (how much later layers "
            "weigh early features: Huang et al. 2017, Fig. 5) needs trained weights. Params counted on the meta "
            f"device {'match' if counted == size else 'differ from'} the metadata: "
            + ", ".join(f"{counted[k]:,}" for k in NETS) + ".",
            data={"published_top1": top1, "num_params": size, "ops": {k: meta[k]["_ops"] for k in NETS},
                  "params_counted": counted, "top1_per_mparam": per_param},
        )

    if p.measures("memory_efficient", "rival"):
        rivals = NETS[1:] if p.options["rival"] == "both" else (p.options["rival"],)
        acts = {k: activation_bytes(k, efficient and k == dn) for k in NETS}
        ratio = {k: acts[dn] / acts[k] for k in rivals}
        mib = {k: f"{v / 2**20:.0f} MiB" for k, v in acts.items()}
        p.claim(
            "…but consumes huge memory",
            "bytes saved for backward in one forward with autograd at 1×3×224×224 (meta device, params excluded, BN "
            f"in eval mode{'; checkpointed: plus each dense layer output' if efficient else ''}): DenseNet-121"
            f"{' (memory_efficient)' if efficient else ''} {mib[dn]}, ResNet-34 {mib['resnet34']}, ResNet-50 "
            f"{mib['resnet50']}",
            ", ".join(f"{v:.2f}× {k.replace('resnet', 'R')}" for k, v in ratio.items()),
            holds=min(ratio.values()) > 2,  # 'huge': over twice the rival's
            partly=min(ratio.values()) > 1,
            note=f"Huge depends on the rival: DenseNet-121 ({top1[dn]}% top-1) keeps {acts[dn] / acts['resnet34']:.1f}× "
            f"the activation memory of ResNet-34 ({top1['resnet34']}%) but {acts[dn] / acts['resnet50']:.2f}× "
            f"ResNet-50's ({top1['resnet50']}%, {size['resnet50'] / size[dn]:.1f}× the params)"
            + (" — with checkpointing (memory_efficient=True), which recomputes each layer's concatenation, BN, "
               "ReLU and 1×1 conv in backward." if efficient else
               ". That is the naive implementation torchvision builds by default; memory_efficient=True "
               "recomputes the concatenations in backward instead (--control)."),
            data={"activation_bytes": acts, "ratio": ratio, "memory_efficient": efficient},
            control=("rival", "memory_efficient"),
        )
        if p.measures():
            p.takeaway(f"concat vs sum: DenseNet-121 beats ResNet-34 with {fmt(size[dn])} vs "
                       f"{fmt(size['resnet34'])} params, but its block memory grows "
                       f"{'quadratically' if quadratic else 'linearly'} with depth ({name}) and it keeps "
                       f"{acts[dn] / acts['resnet34']:.1f}× ResNet-34's activations "
                       f"({acts[dn] / acts['resnet50']:.1f}× ResNet-50's)")
