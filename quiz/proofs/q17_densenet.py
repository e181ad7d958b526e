"""Q17 — How does DenseNet differ from ResNet?

Runs torchvision's residual BasicBlock (sum) and DenseNet _DenseBlock (concatenation) on one small
input and reads the channel counts; counts the bytes autograd saves for backward (saved_tensors_hooks)
for blocks of depth 1…8 (running totals of one 8-layer forward): residual stack, naive dense block and
torchvision's memory_efficient (checkpointed) one; then compares DenseNet-121 with ResNet-34 and ResNet-50
(torchvision builders, meta device, 224×224): params, FLOPs, the activation bytes kept for backward, and
the ImageNet accuracy torchvision publishes for each.
"""

import contextlib

import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torchvision.models.densenet import _DenseBlock
from torchvision.models.resnet import BasicBlock

from quiz.proofs._tools import fmt, params, seed

C0, K, BN_SIZE = 64, 32, 4  # dense block input channels, growth rate k, bottleneck factor (DenseNet-121's)
DEPTHS = list(range(1, 9))  # layers per block in the memory sweep
N, HW = 1, 8  # batch and spatial side of the sweep input (small: many tiny ops, each cheap)


def _saved_bytes(model, x, layers=(), skip=(), keep_outputs=False, counter=None):
    """Forward once; bytes of the distinct storages autograd saved for backward (parameters excluded).

    Returns the running total after each of `layers` (the memory of the first 1, 2, … layers: nothing
    later changes what earlier layers saved) followed by the grand total.
    keep_outputs: also count each layer's output (what torch.utils.checkpoint keeps outside the hooks).
    counter: a FlopCounterMode to count the same forward's FLOPs with (saves a second pass).
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
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), (counter or contextlib.nullcontext()):
        y = model(x)  # (y holds the graph, hence every saved storage, until we return)
    for h in handles:
        h.remove()
    del y
    return totals + [sum(seen.values())]


def _second_diff(v):
    return [v[i + 1] - 2 * v[i] + v[i - 1] for i in range(1, len(v) - 1)]


def run(p):
    seed()
    x = torch.randn(N, C0, HW, HW, requires_grad=True)  # (N, C, H, W) = (1, 64, 8, 8), mid-network

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

    # --- Memory for backward vs depth: naive dense block, residual stack, memory-efficient dense block.
    # One forward of an 8-layer block gives all depths: the running total after layer L is what a
    # depth-L block saves (the block's final concatenation saves nothing for backward).
    depth = DEPTHS[-1]
    d = _DenseBlock(depth, C0, bn_size=BN_SIZE, growth_rate=K, drop_rate=0).train()
    r = nn.Sequential(*[BasicBlock(C0, C0) for _ in range(depth)]).train()
    e = _DenseBlock(depth, C0, bn_size=BN_SIZE, growth_rate=K, drop_rate=0, memory_efficient=True).train()
    naive = _saved_bytes(d, x, layers=d.values(), skip=d.parameters())[:-1]
    resid = _saved_bytes(r, x, layers=r, skip=r.parameters())[:-1]
    # checkpointing recomputes BN+ReLU+1×1 in backward; it keeps each layer's k-channel output instead
    effic = _saved_bytes(e, x, layers=e.values(), skip=e.parameters(), keep_outputs=True)[:-1]
    d2_naive, d2_resid, d2_effic = _second_diff(naive), _second_diff(resid), _second_diff(effic)
    quadratic = len(set(d2_naive)) == 1 and d2_naive[0] > 0
    linear = set(d2_resid) == {0}
    p.claim(
        "memory grows with the channel count: quadratic in depth",
        measured=f"bytes saved for backward (saved_tensors_hooks, distinct storages, no params), depth "
        f"{DEPTHS[0]}…{DEPTHS[-1]}, input {N}×{C0}×{HW}×{HW}: naive _DenseBlock vs BasicBlock stack; "
        f"2nd difference dense {d2_naive[0]:,} B (constant) vs residual {sorted(set(d2_resid))}",
        value=f"8 vs 4 layers: ×{naive[7] / naive[3]:.2f} dense, ×{resid[7] / resid[3]:.2f} res",
        holds=quadratic and linear,
        note=(
            "Constant positive 2nd difference = quadratic in depth: layer i stores its (c0 + i·k)-channel "
            "concatenated input (BN input and BN/ReLU output). Zero 2nd difference = linear: every residual "
            "block stores the same. This is the naive implementation (torchvision's default, "
            "memory_efficient=False)."
        ),
        data={"depths": DEPTHS, "naive": naive, "residual": resid, "second_diff_naive": d2_naive,
              "second_diff_residual": d2_resid},
    )
    p.claim(
        "checkpointing makes it linear",
        measured="same sweep, torchvision _DenseBlock(memory_efficient=True): saved bytes + the layer outputs "
        f"torch.utils.checkpoint keeps; 2nd difference {sorted(set(d2_effic))} B",
        value=f"depth {DEPTHS[7]}: {effic[7] / 2**20:.2f} vs {naive[7] / 2**20:.2f} MiB naive",
        holds=set(d2_effic) == {0} and effic[-1] < naive[-1], added=True,
        note=(
            "memory_efficient=True recomputes the concatenation, BN, ReLU and 1×1 conv in backward "
            "(more compute, less memory), as in Pleiss et al. 'Memory-Efficient Implementation of DenseNets'."
        ),
        data={"efficient": effic, "second_diff_efficient": d2_effic},
    )
    p.lines("bytes saved for backward vs block depth (MiB)",
            {"dense (naive)": (DEPTHS, [v / 2**20 for v in naive]), "residual": (DEPTHS, [v / 2**20 for v in resid]),
             "dense (memory_efficient)": (DEPTHS, [v / 2**20 for v in effic])}, x="layers in the block", y="MiB")

    # --- Whole networks, meta device: params, FLOPs (multiply-adds), activation bytes kept for backward.
    with torch.device("meta"):
        nets = {"densenet121": torchvision.models.densenet121(weights=None),
                "resnet34": torchvision.models.resnet34(weights=None),
                "resnet50": torchvision.models.resnet50(weights=None)}
        img = torch.empty(1, 3, 224, 224)  # (N, C, H, W) = (1, 3, 224, 224)
    n_params, n_macs, acts = {}, {}, {}
    for k, m in nets.items():
        n_params[k] = params(m)
        counter = FlopCounterMode(display=False)  # one forward with autograd on: saved bytes and FLOPs together
        # BN in eval mode: it saves tensors of the same sizes as in train mode, and meta runs it 3× faster
        acts[k] = _saved_bytes(m.eval(), img, skip=m.parameters(), counter=counter)[-1]
        n_macs[k] = counter.get_total_flops() // 2  # 1 multiply-add = 2 FLOPs; papers quote multiply-adds
    published = {"densenet121": torchvision.models.DenseNet121_Weights.IMAGENET1K_V1,
                 "resnet34": torchvision.models.ResNet34_Weights.IMAGENET1K_V1,
                 "resnet50": torchvision.models.ResNet50_Weights.IMAGENET1K_V1}
    top1 = {k: w.meta["_metrics"]["ImageNet-1K"]["acc@1"] for k, w in published.items()}
    dn = "densenet121"
    per_param = {k: top1[k] / (n_params[k] / 1e6) for k in nets}  # top-1 points per million params
    wins34 = all(x for x in (top1[dn] > top1["resnet34"], n_params[dn] < n_params["resnet34"],
                             n_macs[dn] < n_macs["resnet34"]))
    p.claim(
        "DenseNet reuses features more efficiently",
        "torchvision densenet121 vs resnet34 and resnet50 (weights=None, meta device): params and "
        "multiply-adds at 224×224, measured; ImageNet top-1 published in torchvision's V1 weights metadata: "
        + "; ".join(f"{k} {fmt(n_params[k])} params, {n_macs[k] / 1e9:.2f} GMACs, {top1[k]}%" for k in nets),
        f"{top1[dn]:.1f}% / {fmt(n_params[dn])} vs R34 {top1['resnet34']:.1f}% / {fmt(n_params['resnet34'])}",
        holds=wins34 and per_param[dn] > per_param["resnet50"],
        note=f"Against ResNet-34 DenseNet-121 wins on accuracy, params and FLOPs; against ResNet-50 it is "
        f"{top1['resnet50'] - top1[dn]:.1f} points less accurate with {n_params['resnet50'] / n_params[dn]:.1f}× "
        "fewer params: more accuracy per parameter against both.",
        data={"params": n_params, "macs": n_macs, "published_top1": top1, "top1_per_mparam": per_param},
    )
    ratio = acts["densenet121"] / acts["resnet50"]
    ratio34 = acts["densenet121"] / acts["resnet34"]
    p.claim(
        "…but consumes huge memory",
        "bytes saved for backward in one forward with autograd at 1×3×224×224 (meta device, params excluded, "
        f"BN in eval mode): DenseNet-121 {acts[dn] / 2**20:.0f} MiB, ResNet-50 {acts['resnet50'] / 2**20:.0f} MiB, "
        f"ResNet-34 {acts['resnet34'] / 2**20:.0f} MiB",
        f"{ratio:.2f}× ResNet-50's, {ratio34:.2f}× ResNet-34's",
        holds=min(ratio, ratio34) > 2,
        partly=min(ratio, ratio34) > 1,
        note=f"Huge depends on the rival: {ratio34:.1f}× the activation memory of ResNet-34 (about as accurate) "
        f"but {ratio:.2f}× ResNet-50's (more accurate, {n_params['resnet50'] / n_params[dn]:.1f}× the params). "
        "In the naive implementation torchvision builds by default; memory_efficient=True makes a block linear.",
        data={"activation_bytes": acts, "ratio": ratio, "ratio_resnet34": ratio34},
    )
    p.takeaway(f"concat vs sum: DenseNet-121 beats ResNet-34 with {fmt(n_params[dn])} vs "
               f"{fmt(n_params['resnet34'])} params, but its block memory grows quadratically with depth and "
               f"it keeps {ratio34:.1f}× ResNet-34's activations ({ratio:.1f}× ResNet-50's)")
