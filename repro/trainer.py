"""The one training loop every recipe uses. It names no paper and is not subclassed.

``Trainer(cfg).fit(model, data, loss_fn, evaluate=..., ckpt_dir=...)``:
- device autodetect (CUDA if present, else CPU) and bf16 autocast on CUDA;
- AdamW, gradient accumulation, linear warm-up then cosine/linear/constant schedule, gradient clipping;
- an ``evaluate(model) -> {"score": float, ...}`` hook every ``eval_every`` steps (default: each epoch) with
  early stopping after ``patience`` evaluations without improvement; the best weights are restored;
- checkpoint and resume (``ckpt_dir``): one file, ``trainer.pt``, with the *trained* weights only (the model's
  ``trainable_state_dict()`` when it has one, e.g. LoRA adapters + head, else its parameters that require
  grad), optimiser, scheduler, step and early-stopping state, written atomically (``atomicio``) and replaced
  at every evaluation; the best weights so far are kept on the CPU. The data order is a pure function of
  (seed, epoch), so a resumed fit continues bit for bit. ``FitResult.ckpt_bytes`` counts what was written;
- distributed data parallel when started by ``torchrun`` (``torch.distributed``: NCCL on GPU, gloo on CPU).
  Each optimiser step consumes the same global batch as one process would, split evenly over the ranks, so
  losses whose value is a per-example mean give the same result with 1 or N processes. A model on a device
  the process group cannot reduce on (a CPU head under NCCL) is not wrapped: every rank trains it on the
  whole batch, with identical results;
- losses that need a statistic of the whole logical batch (the confidence loss's hardening threshold) give
  a ``batch_statistic(logits, batch)``: before the step's gradients are computed the trainer collects it over
  every micro-batch of the step and every rank (a no-grad forward pass first when the step has several
  micro-batches, replaying the same dropout) and passes it as ``state.batch_stats``, so the loss sees the
  same batch with 1 or 4 micro-batches and 1 or N processes.

``data`` is either a dict of equal-length tensors (fast path: batches are index slices) or a sequence of
examples plus a ``collate`` function. A loss is ``loss_fn(logits, batch, state) -> scalar`` where ``state``
has ``step``, ``total_steps``, ``progress`` (fraction of training done) and ``batch_stats``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from atomicio import atomic_open

from . import dist
from .config import TrainerConfig
from .dist import rank_world
from .models import default_device

__all__ = [
    "FitResult",
    "TrainState",
    "Trainer",
    "TrainerConfig",
    "init_distributed",
    "load_trainable_state",
    "rank_world",
    "seed_everything",
    "trainable_state",
]


@dataclass
class TrainState:
    step: int = 0
    total_steps: int = 1
    epoch: int = 0
    batch_stats: torch.Tensor | None = None  # the loss's batch_statistic over the whole logical batch

    @property
    def progress(self) -> float:
        return self.step / max(self.total_steps, 1)


@dataclass
class FitResult:
    model: torch.nn.Module
    steps: int
    best_step: int | None
    best_score: float | None
    history: list[dict] = field(default_factory=list)
    stopped_early: bool = False
    ckpt_bytes: int = 0  # bytes of checkpoints written by this fit
    trained_steps: int = 0  # optimiser steps taken by this fit (fewer than ``steps`` after a resume)
    tokens: int = 0  # non-padding tokens this rank trained on (batches with an ``attention_mask``)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def _step_seed(value: int, device: torch.device) -> None:
    # torch.manual_seed also seeds every CUDA device through a slow lazy-call path; seed only what is used.
    torch.default_generator.manual_seed(value)
    if device.type == "cuda":
        torch.cuda.manual_seed(value)


init_distributed = dist.init  # joins the torchrun process group (kept here for callers of the trainer)


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The weights training changes: ``model.trainable_state_dict()`` if defined, else the parameters that
    require grad (buffers and frozen weights are rebuilt by constructing the model again)."""
    if (own := getattr(model, "trainable_state_dict", None)) is not None:
        state: dict[str, torch.Tensor] = own()
        return state
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    return {k: v for k, v in model.state_dict().items() if k in names}


def load_trainable_state(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    if (own := getattr(model, "load_trainable_state_dict", None)) is not None:
        own(state)
        return
    unexpected = model.load_state_dict(state, strict=False).unexpected_keys
    if unexpected:
        raise KeyError(f"checkpoint holds weights the model does not have: {unexpected[:3]}")


def _cpu_copy(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in state.items()}


def _lr_lambda(cfg: TrainerConfig, total: int) -> Callable[[int], float]:
    warm = round(cfg.warmup_frac * total)

    def f(step: int) -> float:
        if warm and step < warm:
            return (step + 1) / warm
        if cfg.schedule == "constant":
            return 1.0
        frac = (step - warm) / max(total - warm, 1)
        return max(0.0, 1.0 - frac) if cfg.schedule == "linear" else 0.5 * (1 + math.cos(math.pi * min(frac, 1.0)))

    return f


def _to(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, Mapping):
        return {k: _to(v, device) for k, v in batch.items()}
    return batch


class Trainer:
    def __init__(self, cfg: TrainerConfig | None = None, device: torch.device | str | None = None) -> None:
        self.cfg = cfg or TrainerConfig()
        rank, world = dist.init()
        self.device = torch.device(device) if device is not None else default_device()
        # Data parallel only where the process group can reduce this device's gradients.
        self.parallel = world > 1 and dist.can_run_on(self.device)
        self.rank, self.world = (rank, world) if self.parallel else (0, 1)
        self.is_main = rank == 0
        if self.cfg.batch_size % (self.world * self.cfg.grad_accum):
            raise ValueError(
                f"batch_size {self.cfg.batch_size} must be divisible by world_size*grad_accum = {self.world * self.cfg.grad_accum}"
            )

    # ---- data -------------------------------------------------------------------------------------------
    @staticmethod
    def _length(data: Mapping[str, torch.Tensor] | Sequence[Any]) -> int:
        return len(next(iter(data.values()))) if isinstance(data, Mapping) else len(data)

    @staticmethod
    def _gather(data: Mapping[str, torch.Tensor] | Sequence[Any], idx: torch.Tensor, collate: Callable | None) -> Any:
        if isinstance(data, Mapping):  # index_select: several times faster than advanced indexing on CPU
            return {k: v.index_select(0, idx) for k, v in data.items()}
        items = [data[int(i)] for i in idx]
        return collate(items) if collate else items

    def _global_batches(self, n: int, seed: int, epoch: int) -> list[torch.Tensor]:
        g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
        perm = torch.randperm(n, generator=g)
        bs = self.cfg.batch_size
        if n >= bs:  # drop the ragged tail so every step splits evenly over ranks
            return [perm[i : i + bs] for i in range(0, n - bs + 1, bs)]
        return [perm]

    def _autocast(self) -> AbstractContextManager[Any]:
        use = self.cfg.bf16 == "on" or (self.cfg.bf16 == "auto" and self.device.type == "cuda")
        if use:
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    # ---- training ---------------------------------------------------------------------------------------
    def fit(
        self,
        model: torch.nn.Module,
        data: Mapping[str, torch.Tensor] | Sequence,
        loss_fn: Callable[[torch.Tensor, Any, TrainState], torch.Tensor],
        *,
        seed: int = 0,
        evaluate: Callable[[torch.nn.Module], dict] | None = None,
        collate: Callable | None = None,
        ckpt_dir: Path | str | None = None,
    ) -> FitResult:
        cfg = self.cfg
        n = self._length(data)
        per_epoch = len(self._global_batches(n, seed, 0))
        total = per_epoch * cfg.epochs
        if cfg.max_steps is not None:
            total = min(total, cfg.max_steps)
        model.to(self.device)
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(cfg, total))
        wrapped: torch.nn.Module = model
        ddp: torch.nn.parallel.DistributedDataParallel | None = None
        if self.parallel:
            wrapped = ddp = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=[self.device.index] if self.device.type == "cuda" else None
            )
        statistic = getattr(loss_fn, "batch_statistic", None)
        state = TrainState(step=0, total_steps=total)
        best_score, best_step, best_weights, bad = None, None, None, 0
        history: list[dict] = []
        ckpt = Path(ckpt_dir) / "trainer.pt" if ckpt_dir else None
        written = 0
        if ckpt is not None and ckpt.exists():
            saved = torch.load(ckpt, map_location="cpu", weights_only=False)
            load_trainable_state(model, saved["model"])
            opt.load_state_dict(saved["opt"])
            sched.load_state_dict(saved["sched"])
            state.step = saved["step"]
            best_score, best_step, best_weights, bad = (
                saved["best_score"],
                saved["best_step"],
                saved["best_weights"],
                saved["bad"],
            )
            history = saved["history"]
        start_step = state.step
        tokens = 0

        def save_ckpt() -> None:
            nonlocal written
            if ckpt is not None and self.is_main:
                with atomic_open(ckpt, "wb") as f:
                    torch.save(
                        {
                            "model": _cpu_copy(trainable_state(model)),
                            "opt": opt.state_dict(),
                            "sched": sched.state_dict(),
                            "step": state.step,
                            "best_score": best_score,
                            "best_step": best_step,
                            "best_weights": best_weights,
                            "bad": bad,
                            "history": history,
                        },
                        f,
                    )
                written += ckpt.stat().st_size

        eval_every = max(1, total // cfg.evals) if cfg.evals else (cfg.eval_every or per_epoch)
        run_loss, run_steps = 0.0, 0  # training loss since the last record of the history
        micro = cfg.grad_accum
        bar = None
        if cfg.progress and self.is_main:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, initial=state.step, leave=False, dynamic_ncols=True)
        stopped = False
        model.train()
        while state.step < total and not stopped:
            epoch, offset = divmod(state.step, per_epoch)
            state.epoch = epoch
            batches = self._global_batches(n, seed, epoch)
            # Tensor data: gather the epoch's order once, then every batch is a cheap slice.
            epoch_data = None
            if isinstance(data, Mapping) and len(batches) > 1:
                order = torch.cat(batches)
                epoch_data = {k: v.index_select(0, order) for k, v in data.items()}
            for bi, gidx in enumerate(batches[offset:], start=offset):
                if state.step >= total:
                    break
                step_seed = seed * 7919 + state.step  # dropout depends only on (seed, step): resumable
                chunks: Sequence[dict[str, torch.Tensor] | torch.Tensor]
                if epoch_data is not None:
                    bs = len(gidx)
                    rows = {k: v[bi * bs : (bi + 1) * bs][self.rank :: self.world] for k, v in epoch_data.items()}
                    m = len(next(iter(rows.values())))
                    sizes = [len(c) for c in torch.arange(m).chunk(micro)] if m >= micro else [m]
                    parts = {k: v.split(sizes) for k, v in rows.items()}
                    chunks = [{k: parts[k][j] for k in parts} for j in range(len(sizes))]
                else:
                    mine = gidx[self.rank :: self.world]
                    chunks = mine.chunk(micro) if len(mine) >= micro else [mine]
                micro_batches = [
                    _to(c if isinstance(c, dict) else self._gather(data, c, collate), self.device) for c in chunks
                ]
                tokens += sum(int(b["attention_mask"].sum()) for b in micro_batches if "attention_mask" in b)
                state.batch_stats = None
                if statistic is not None and len(micro_batches) > 1:
                    # The whole logical batch's statistic before any gradient: a no-grad pass over every
                    # micro-batch (same dropout as the pass below), gathered over the ranks.
                    _step_seed(step_seed, self.device)
                    with torch.no_grad(), self._autocast():
                        local = torch.cat([statistic(model(b), b) for b in micro_batches])
                    state.batch_stats = dist.all_gather_cat(local) if self.parallel else local
                _step_seed(step_seed, self.device)
                opt.zero_grad(set_to_none=True)
                total_loss = 0.0
                for j, batch in enumerate(micro_batches):
                    sync = j == len(micro_batches) - 1
                    ctx = ddp.no_sync() if (ddp is not None and not sync) else nullcontext()
                    with ctx, self._autocast():
                        logits = wrapped(batch)
                        if statistic is not None and state.batch_stats is None:  # one micro-batch per rank
                            local = statistic(logits.detach(), batch)
                            state.batch_stats = dist.all_gather_cat(local) if self.parallel else local
                        loss = loss_fn(logits, batch, state) / len(micro_batches)
                    loss.backward()
                    total_loss += float(loss.detach())
                if cfg.max_grad_norm is not None:
                    torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
                opt.step()
                sched.step()
                state.step += 1
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{total_loss:.4f}")
                run_loss, run_steps = run_loss + total_loss, run_steps + 1
                at_mark = state.step % eval_every == 0 or state.step == total
                at_eval = evaluate is not None and at_mark
                if at_mark:  # the curve: mean training loss since the last mark, plus the evaluation if any
                    metrics = {"step": state.step, "train_loss": run_loss / run_steps}
                    run_loss, run_steps = 0.0, 0
                    history.append(metrics)
                if evaluate is not None and at_mark:  # at_eval, spelled out so the type checker sees evaluate
                    model.eval()
                    with torch.no_grad(), self._autocast():
                        metrics.update(evaluate(model))
                    model.train()
                    score = float(metrics["score"])
                    if best_score is None or score > best_score:
                        best_score, best_step, bad = score, state.step, 0
                        best_weights = _cpu_copy(trainable_state(model))
                    else:
                        bad += 1
                    if cfg.patience is not None and bad >= cfg.patience:
                        stopped = True
                if at_eval or (cfg.ckpt_every and state.step % cfg.ckpt_every == 0):
                    save_ckpt()
                if stopped:
                    break
        if bar is not None:
            bar.close()
        if best_weights is not None:
            load_trainable_state(model, best_weights)
        model.eval()
        return FitResult(
            model=model,
            steps=state.step,
            best_step=best_step,
            best_score=best_score,
            history=history,
            stopped_early=stopped,
            ckpt_bytes=written,
            trained_steps=state.step - start_step,
            tokens=tokens,
        )

    @torch.no_grad()
    def predict(
        self,
        model: torch.nn.Module,
        data: Mapping[str, torch.Tensor] | Sequence[Any],
        *,
        batch_size: int = 256,
        collate: Callable | None = None,
    ) -> torch.Tensor:
        """Logits for every example, in order (each rank computes all of them)."""
        model.to(self.device).eval()
        n = self._length(data)
        out = []
        for i in range(0, n, batch_size):
            idx = torch.arange(i, min(i + batch_size, n))
            batch = _to(self._gather(data, idx, collate), self.device)
            with self._autocast():
                out.append(model(batch).float().cpu())
        return torch.cat(out) if out else torch.empty(0, 2)
