"""Frozen, pooled features, computed once per (model weights, layer count, pooling, length, precision, texts).

Feature extraction dominates a CPU run, so: one forward pass serves every depth of the same backbone
(``output_hidden_states``: the static embeddings, 3 layers and 6 layers of MPNet come from one pass),
texts are sorted by length so batches carry little padding, and each result is cached under a content
hash of all of its inputs.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import torch

from .cache import Cache, fingerprint
from .models import ModelConfig, default_device, load_backbone, load_tokenizer, model_identity, pool, resolve, torch_dtype

__all__ = ["extract", "feature_key"]


def feature_key(cfg: ModelConfig, texts_fp: str) -> str:
    return fingerprint("features/v2", model_identity(cfg), layers=cfg.layers, pooling=cfg.pooling, kind=cfg.kind,
                       max_length=cfg.max_length, dtype=str(torch_dtype(cfg.dtype)), texts=texts_fp)


def _count_params(body, layers: int | None) -> int:
    """Parameters of the model truncated to ``layers`` blocks (all of the body when None)."""
    total = sum(p.numel() for p in body.parameters())
    if layers is None:
        return total
    n = body.config.num_hidden_layers
    blocks = next((m for m in body.modules() if isinstance(m, torch.nn.ModuleList) and len(m) == n), None)
    if blocks is None:
        return total
    return total - sum(p.numel() for blk in list(blocks)[layers:] for p in blk.parameters())


def _bar_label(name: str, depths: list[int | None]) -> str:
    """The progress bar of one shared pass: the backbone and every depth it serves, never one config's label."""
    shown = ", ".join("all" if d is None else str(d) for d in depths)
    return f"features {Path(name).name or name} (layers {shown})" if len(depths) > 1 else \
        f"features {Path(name).name or name}" + ("" if depths[0] is None else f" (layers {depths[0]})")


@torch.inference_mode()
def _run(cfgs: list[ModelConfig], texts: list[str]) -> dict[int, dict]:
    """One pass of the deepest requested depth; returns {position in cfgs: {"x", "params"}}."""
    base = cfgs[0]
    path = resolve(base)
    depths = [c.layers for c in cfgs]
    deepest = None if any(d is None for d in depths) else max(depths)
    dtype = torch_dtype(base.dtype)
    body = load_backbone(base, path=path, layers=deepest).eval()
    tok = load_tokenizer(base, path=path)
    device = default_device()
    body.to(device)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    outs: dict[int, list[torch.Tensor]] = defaultdict(list)
    from tqdm.auto import tqdm
    bar = tqdm(range(0, len(texts), base.batch_size), desc=_bar_label(base.name, depths), leave=False,
               dynamic_ncols=True)
    for start in bar:
        chunk = [texts[i] for i in order[start : start + base.batch_size]]
        enc = tok(chunk, padding=True, truncation=True, max_length=base.max_length, return_tensors="pt").to(device)
        with torch.autocast(device_type=device.type, dtype=dtype, enabled=dtype != torch.float32):
            hs = body(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                      output_hidden_states=True).hidden_states
        for j, d in enumerate(depths):
            h = hs[-1] if d is None else hs[d]
            outs[j].append(pool(h.float(), enc["attention_mask"], base.pooling).cpu())
    inv = torch.empty(len(texts), dtype=torch.long)
    inv[torch.tensor(order)] = torch.arange(len(texts))
    return {j: {"x": torch.cat(v)[inv].contiguous(), "params": _count_params(body, depths[j])} for j, v in outs.items()}


def extract(cfgs: list[ModelConfig], texts: list[str], cache: Cache) -> list[dict]:
    """Features for every config (same order). Configs sharing a backbone share one forward pass."""
    texts_fp = fingerprint(texts)
    keys = [feature_key(c, texts_fp) for c in cfgs]
    results: list[dict | None] = [None] * len(cfgs)
    for i, k in enumerate(keys):
        if cache.has("features", k):
            results[i] = cache.load("features", k)
            cache.hits.append(f"features/{k}")
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, c in enumerate(cfgs):
        if results[i] is None:
            groups[(c.name, c.revision, c.pooling, c.kind, c.max_length, c.dtype, c.batch_size)].append(i)
    for members in groups.values():
        computed = _run([cfgs[i] for i in members], texts)
        for j, i in enumerate(members):
            results[i] = computed[j]
            cache.misses.append(f"features/{keys[i]}")
            cache.store("features", keys[i], computed[j])
    return results  # type: ignore[return-value]
