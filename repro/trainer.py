"""The one training loop every recipe uses. It names no paper and is not subclassed.

``Trainer(cfg).fit(model, data, loss_fn, evaluate=..., ckpt_dir=...)``:
- device autodetect (CUDA if present, else CPU) and bf16 autocast on CUDA;
- AdamW, gradient accumulation, linear warm-up then cosine/linear/constant schedule, gradient clipping;
- an ``evaluate(model) -> {"score": float, ...}`` hook every ``eval_every`` steps (default: each epoch) with
  early stopping after ``patience`` evaluations without improvement; the best weights are restored;
- checkpoint and resume (``ckpt_dir``): model, optimiser, scheduler, step and early-stopping state, written
  atomically; the data order is a pure function of (seed, epoch), so a resumed fit continues bit for bit;
- distributed data parallel when started by ``torchrun`` (``torch.distributed``: NCCL on GPU, gloo on CPU).
  Each optimiser step consumes the same global batch as one process would, split evenly over the ranks, so
  losses whose value is a per-example mean give the same result with 1 or N processes.

``data`` is either a dict of equal-length tensors (fast path: batches are index slices) or a sequence of
examples plus a ``collate`` function. A loss is ``loss_fn(logits, batch, state) -> scalar`` where ``state``
has ``step``, ``total_steps`` and ``progress`` (fraction of training done).
"""
from __future__ import annotations

import math
import os
import random
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch
from .cache import atomic_torch_save, rank_world
from .config import TrainerConfig
from .models import default_device

__all__ = ["TrainerConfig", "Trainer", "TrainState", "FitResult", "seed_everything", "init_distributed", "rank_world"]


@dataclass
class TrainState:
    step: int = 0
    total_steps: int = 1
    epoch: int = 0

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


def init_distributed() -> tuple[int, int]:
    """Join the process group that ``torchrun`` describes in the environment (no-op for one process)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        torch.distributed.init_process_group(backend=backend)
    return rank_world()


def _lr_lambda(cfg: TrainerConfig, total: int) -> Callable[[int], float]:
    warm = int(round(cfg.warmup_frac * total))

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
    def __init__(self, cfg: TrainerConfig | None = None, device: torch.device | str | None = None):
        self.cfg = cfg or TrainerConfig()
        self.rank, self.world = init_distributed()
        self.device = torch.device(device) if device is not None else default_device()
        if self.cfg.batch_size % (self.world * self.cfg.grad_accum):
            raise ValueError(
                f"batch_size {self.cfg.batch_size} must be divisible by world_size*grad_accum = {self.world * self.cfg.grad_accum}")

    # ---- data -------------------------------------------------------------------------------------------
    @staticmethod
    def _length(data) -> int:
        return len(next(iter(data.values()))) if isinstance(data, Mapping) else len(data)

    @staticmethod
    def _gather(data, idx: torch.Tensor, collate) -> Any:
        if isinstance(data, Mapping):
            return {k: v[idx] for k, v in data.items()}
        items = [data[int(i)] for i in idx]
        return collate(items) if collate else items

    def _global_batches(self, n: int, seed: int, epoch: int) -> list[torch.Tensor]:
        g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
        perm = torch.randperm(n, generator=g)
        bs = self.cfg.batch_size
        if n >= bs:  # drop the ragged tail so every step splits evenly over ranks
            return [perm[i : i + bs] for i in range(0, n - bs + 1, bs)]
        return [perm]

    def _autocast(self):
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
        wrapped = model
        if self.world > 1:
            wrapped = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        state = TrainState(step=0, total_steps=total)
        best_score, best_step, best_weights, bad = None, None, None, 0
        history: list[dict] = []
        ckpt = Path(ckpt_dir) / "trainer.pt" if ckpt_dir else None
        if ckpt is not None and ckpt.exists():
            saved = torch.load(ckpt, map_location=self.device, weights_only=False)
            model.load_state_dict(saved["model"])
            opt.load_state_dict(saved["opt"])
            sched.load_state_dict(saved["sched"])
            state.step = saved["step"]
            best_score, best_step, best_weights, bad = saved["best_score"], saved["best_step"], saved["best_weights"], saved["bad"]
            history = saved["history"]

        def save_ckpt():
            if ckpt is not None and self.rank == 0:
                atomic_torch_save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                                   "step": state.step, "best_score": best_score, "best_step": best_step,
                                   "best_weights": best_weights, "bad": bad, "history": history}, ckpt)

        eval_every = max(1, total // cfg.evals) if cfg.evals else (cfg.eval_every or per_epoch)
        run_loss, run_steps = 0.0, 0  # training loss since the last record of the history
        micro = cfg.grad_accum
        bar = None
        if cfg.progress and self.rank == 0:
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
                epoch_data = {k: v[order] for k, v in data.items()}
            for bi, gidx in enumerate(batches[offset:], start=offset):
                if state.step >= total:
                    break
                _step_seed(seed * 7919 + state.step, self.device)  # dropout depends only on (seed, step): resumable
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
                opt.zero_grad(set_to_none=True)
                total_loss = 0.0
                for j, idx in enumerate(chunks):
                    batch = _to(idx if isinstance(idx, dict) else self._gather(data, idx, collate), self.device)
                    sync = j == len(chunks) - 1
                    ctx = wrapped.no_sync() if (self.world > 1 and not sync) else nullcontext()
                    with ctx, self._autocast():
                        logits = wrapped(batch)
                        loss = loss_fn(logits, batch, state) / len(chunks)
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
                if at_eval:
                    model.eval()
                    with torch.no_grad(), self._autocast():
                        metrics.update(evaluate(model))
                    model.train()
                    score = float(metrics["score"])
                    if best_score is None or score > best_score:
                        best_score, best_step, bad = score, state.step, 0
                        best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
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
            model.load_state_dict(best_weights)
        model.eval()
        save_ckpt()
        return FitResult(model=model, steps=state.step, best_step=best_step, best_score=best_score,
                         history=history, stopped_early=stopped)

    @torch.no_grad()
    def predict(self, model: torch.nn.Module, data, *, batch_size: int = 256, collate: Callable | None = None) -> torch.Tensor:
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
