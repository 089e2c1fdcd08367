"""Frozen, pooled features, computed once per (model weights, layer count, pooling, length, precision, texts).

Feature extraction dominates a CPU run, so: one forward pass serves every depth of the same backbone
(``output_hidden_states``: the static embeddings, 3 layers and 6 layers of MPNet come from one pass),
texts are sorted by length so batches carry little padding, and each result is cached under a content
hash of all of its inputs. Under ``torchrun`` each rank embeds every world-th text of that order (on its own
device), the ranks exchange their parts, and rank 0 alone writes the cache entry.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import torch

from . import dist
from .cache import Cache, fingerprint
from .meter import Meter
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
def _run(cfgs: list[ModelConfig], texts: list[str], log=None) -> dict[int, dict]:
    """One pass of the deepest requested depth; returns {position in cfgs: {"x", "params"}}."""
    meter = Meter()
    tokens = 0
    base = cfgs[0]
    path = resolve(base)
    depths = [c.layers for c in cfgs]
    deepest = None if any(d is None for d in depths) else max(depths)
    dtype = torch_dtype(base.dtype)
    # float32 weights whatever the checkpoint's dtype (transformers would keep a bf16 checkpoint in bf16);
    # ``dtype`` is the autocast precision of the pass below
    body = load_backbone(base, path=path, layers=deepest, dtype=torch.float32).eval()
    tok = load_tokenizer(base, path=path)
    device = default_device()
    body.to(device)
    rank, world = dist.rank_world()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))[rank::world]  # this rank's share
    outs: dict[int, list[torch.Tensor]] = defaultdict(list)
    from tqdm.auto import tqdm
    bar = tqdm(range(0, len(order), base.batch_size), desc=_bar_label(base.name, depths), leave=False,
               dynamic_ncols=True, disable=rank != 0)
    for start in bar:
        chunk = [texts[i] for i in order[start : start + base.batch_size]]
        enc = tok(chunk, padding=True, truncation=True, max_length=base.max_length, return_tensors="pt").to(device)
        tokens += int(enc["attention_mask"].sum())
        with torch.autocast(device_type=device.type, dtype=dtype, enabled=dtype != torch.float32):
            hs = body(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                      output_hidden_states=True).hidden_states
        for j, d in enumerate(depths):
            h = hs[-1] if d is None else hs[d]
            outs[j].append(pool(h.float(), enc["attention_mask"], base.pooling).cpu())
    params = {j: _count_params(body, d) for j, d in enumerate(depths)}
    del body
    if log is not None:
        log(f"features {base.display()}: {len(order)} texts on this rank, {meter.line(tokens)}")
    mine = {j: torch.cat(outs[j]) if outs[j] else torch.empty(0) for j in range(len(depths))}
    parts = dist.all_gather_objects((order, mine))  # every rank needs every feature (heads train on each rank)
    index = torch.tensor([i for o, _ in parts for i in o], dtype=torch.long)
    result = {}
    for j in range(len(depths)):
        x = torch.cat([m[j] for o, m in parts if o])
        full = torch.empty((len(texts), *x.shape[1:]), dtype=x.dtype)
        full[index] = x
        result[j] = {"x": full.contiguous(), "params": params[j]}
    return result


def extract(cfgs: list[ModelConfig], texts: list[str], cache: Cache, log=None) -> list[dict]:
    """Features for every config (same order). Configs sharing a backbone share one forward pass; ``log``
    receives one line per pass (time, tokens/s, peak GPU memory)."""
    texts_fp = fingerprint(texts)
    keys = [feature_key(c, texts_fp) for c in cfgs]
    results: list[dict | None] = [None] * len(cfgs)
    present = dist.broadcast_object([cache.has("features", k) for k in keys])  # rank 0 decides for all
    for i, k in enumerate(keys):
        if present[i]:
            results[i] = cache.load("features", k)
            cache.hits.append(f"features/{k}")
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, c in enumerate(cfgs):
        if results[i] is None:
            groups[(c.name, c.revision, c.pooling, c.kind, c.max_length, c.dtype, c.batch_size)].append(i)
    for members in groups.values():
        computed = _run([cfgs[i] for i in members], texts, log)
        for j, i in enumerate(members):
            results[i] = computed[j]
            cache.misses.append(f"features/{keys[i]}")
            cache.store("features", keys[i], computed[j])
    return results  # type: ignore[return-value]
