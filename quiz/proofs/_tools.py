"""Small measuring tools shared by proofs. Imports torch: only proofs import this."""

from __future__ import annotations

import random

import torch
from torch.utils.flop_counter import FlopCounterMode


def seed(s: int = 0) -> torch.Generator:
    """Seed every RNG a proof may touch; returns a generator seeded the same way."""
    random.seed(s)
    torch.manual_seed(s)
    try:
        import numpy as np

        np.random.seed(s)
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    return torch.Generator().manual_seed(s)


def params(module: torch.nn.Module) -> int:
    """Number of parameters (all, trainable or not)."""
    return sum(p.numel() for p in module.parameters())


def flops(module: torch.nn.Module, *inputs) -> int:
    """FLOPs of one forward pass, counted by torch.utils.flop_counter.

    Convention: one multiply-add = 2 FLOPs (papers often quote multiply-adds,
    i.e. half this number, and call them FLOPs). Works on the meta device.
    """
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(*inputs)
    return counter.get_total_flops()


def macs(module: torch.nn.Module, *inputs) -> int:
    """Multiply-adds of one forward pass (= flops / 2): what papers call 'FLOPs'."""
    return flops(module, *inputs) // 2


def without_bn(net: torch.nn.Module) -> torch.nn.Module:
    """Swap BatchNorm2d for Identity, in place. FlopCounterMode counts no multiply-adds in
    BatchNorm, but tracing it on the meta device is slow: counts stay the same, 4–7× faster."""
    for m in list(net.modules()):
        for name, child in m.named_children():
            if isinstance(child, torch.nn.BatchNorm2d):
                setattr(m, name, torch.nn.Identity())
    return net


def fmt(n: float) -> str:
    """Human-readable count: 25.6M, 4.09G, 1,728."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:,}" if isinstance(n, int) else f"{n:.3g}"
