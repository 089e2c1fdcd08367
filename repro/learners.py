"""Learners: train a classifier on (possibly weak) targets and predict probabilities. Shared by all recipes.

Both learners have the same interface::

    fitted = learner.fit(train_index, train_targets, loss, val_index, val_targets, seed=..., weights=None)
    p = fitted.predict(index)          # probability of class 1 for those pool examples

``targets`` are probabilities of class 1 (weak soft labels, hardened weak labels or ground truth, chosen by
the caller). ``val_targets`` drive model selection: regularisation strength and early-stopping step are
chosen by agreement with them (cross-entropy breaks ties) (the caller decides whether those are weak labels or, for a
labelled oracle ablation, ground truth). Test data never enters a learner.

- :class:`HeadLearner`: a logistic head on frozen features (standardised), L2 strength picked from a grid;
- :class:`FinetuneLearner`: the backbone itself is trained (all weights, or LoRA), early stopping only.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import torch

from .config import HeadConfig, TrainerConfig
from .losses import BatchStatisticLoss, LossFn, soft_cross_entropy
from .models import LinearHead, ModelConfig, StackedHeads, TextClassifier, load_tokenizer
from .trainer import Trainer, TrainState, seed_everything

__all__ = ["LEARNER_VERSION", "FinetuneLearner", "Fitted", "GridLoss", "HeadConfig", "HeadLearner"]

# Part of every training stage's cache key: bump when fitting or selection logic changes results.
LEARNER_VERSION = "learners/v4"


@dataclass
class Fitted:
    predict_fn: Callable[[torch.Tensor], torch.Tensor]
    info: dict = field(default_factory=dict)

    def predict(self, index: torch.Tensor) -> torch.Tensor:
        return self.predict_fn(index)


def _val_score(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Agreement with the (hardened) validation labels; cross-entropy only breaks ties.

    Accuracy, not cross-entropy, ranks candidates: cross-entropy against soft weak labels penalises a
    student for being confident even where it agrees, which would bias selection against the confidence loss.
    """
    p = torch.softmax(logits.float(), -1)[:, 1]
    agree = float(((p > 0.5) == (targets > 0.5)).float().mean())
    return agree - 1e-3 * float(soft_cross_entropy(logits, targets))


@contextmanager
def single_thread() -> Iterator[None]:
    """Tiny heads run fastest on one thread: with more, intra-op thread sync costs ~20x (measured on 2 cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class GridLoss:
    """The loss of an L2 grid trained as one :class:`StackedHeads`: head ``j``'s own loss on its own logits plus
    ``0.5 * l2[j] * |W_j|^2``, summed over heads, so each head's gradient is exactly the one it would get alone.

    Every head has its own loss instance (``losses``), so a stateful loss (the confidence loss's threshold,
    a rolling prior) keeps one state per head; a stateless loss marked ``stacks`` (cross-entropy) is called
    once on all heads' logits and returns one value per head. A loss with a ``batch_statistic`` gets its own head's column of
    the statistic the trainer gathers over the logical batch. Each head's loss per step is recorded for its
    training curve (:meth:`curve`)."""

    def __init__(self, losses: list[LossFn], l2: list[float], heads: StackedHeads) -> None:
        self.losses = losses
        self.l2 = torch.tensor(l2, dtype=torch.float32)
        self.heads = heads
        self.sums: dict[int, torch.Tensor] = {}  # step -> summed per-head loss over its micro-batches
        self.counts: dict[int, int] = {}
        self.last_step = -1
        self._stats_for: torch.Tensor | None = None
        self._columns: list[torch.Tensor] = []
        if getattr(losses[0], "batch_statistic", None) is not None:
            self.batch_statistic = self._statistic

    def _statistic(self, logits: torch.Tensor, batch: dict) -> torch.Tensor:
        losses = cast(list[BatchStatisticLoss], self.losses)  # copies of one loss that has one (see __init__)
        return torch.stack([loss.batch_statistic(logits[j], batch) for j, loss in enumerate(losses)], dim=1)

    def __call__(self, logits: torch.Tensor, batch: dict, state: TrainState) -> torch.Tensor:
        stats = state.batch_stats
        if stats is not None and stats is not self._stats_for:  # one column object per head and step
            self._stats_for, self._columns = stats, [stats[:, j] for j in range(len(self.losses))]
        if getattr(self.losses[0], "stacks", False):  # a stateless loss takes every head's logits at once
            per = self.losses[0](logits, batch, state)
        else:
            per = torch.stack(
                [
                    loss(logits[j], batch, replace(state, batch_stats=self._columns[j] if stats is not None else None))
                    for j, loss in enumerate(self.losses)
                ]
            )
        per = per + 0.5 * self.l2 * self.heads.weight.pow(2).sum((1, 2))
        d = per.detach()
        self.sums[state.step] = self.sums[state.step] + d if state.step in self.sums else d
        self.counts[state.step] = self.counts.get(state.step, 0) + 1
        self.last_step = state.step
        return per.sum()

    def curve(self, j: int, history: list[dict], scores: dict[int, list[float]], until: int) -> list[dict]:
        """Head ``j``'s training curve at the trainer's marks up to step ``until``: its mean loss since the
        previous mark and, where evaluated, its own validation score."""
        out, prev = [], 0
        for h in history:
            if h["step"] > until:
                break
            steps = [t for t in range(prev, h["step"]) if t in self.sums]
            row = {
                "step": h["step"],
                "train_loss": sum(float(self.sums[t][j]) / self.counts[t] for t in steps) / max(len(steps), 1),
            }
            if h["step"] in scores:
                row["score"] = scores[h["step"]][j]
            out.append(row)
            prev = h["step"]
        return out


class HeadLearner:
    """A logistic head on frozen features (standardised with the training side's statistics); the L2 strength
    is picked from ``cfg.l2_grid`` by agreement with the validation targets. The whole grid trains as one
    :class:`StackedHeads` (one loop, each head on its own path): the same heads as training each candidate
    alone, a fraction of the per-step overhead."""

    def __init__(self, features: torch.Tensor, cfg: HeadConfig | None = None, trainer: Trainer | None = None) -> None:
        self.x = features.float()
        self.cfg = cfg or HeadConfig()
        self.trainer = trainer or Trainer(self.cfg.trainer, device="cpu")

    def fit(
        self,
        train_index: torch.Tensor,
        train_targets: torch.Tensor,
        loss: LossFn,
        val_index: torch.Tensor,
        val_targets: torch.Tensor,
        *,
        seed: int = 0,
        weights: torch.Tensor | None = None,
    ) -> Fitted:
        with single_thread():
            return self._fit(train_index, train_targets, loss, val_index, val_targets, seed, weights)

    def _fit(
        self,
        train_index: torch.Tensor,
        train_targets: torch.Tensor,
        loss: LossFn,
        val_index: torch.Tensor,
        val_targets: torch.Tensor,
        seed: int,
        weights: torch.Tensor | None,
    ) -> Fitted:
        grid = list(self.cfg.l2_grid)
        xtr = self.x[train_index]
        mean, std = xtr.mean(0), xtr.std(0).clamp_min(1e-6)
        xs = (self.x - mean) / std  # standardised once, not at every step
        data = {"x": xs[train_index], "target": train_targets.float()}
        if weights is not None:
            data["weight"] = weights.float()
        xval = {"x": xs[val_index]}
        seed_everything(seed)
        heads = StackedHeads(self.x.shape[1], len(grid))
        grid_loss = GridLoss([copy.deepcopy(loss) for _ in grid], grid, heads)
        patience = self.trainer.cfg.patience
        track: list[dict[str, Any]] = [
            {"best": None, "step": None, "weights": None, "bad": 0, "stop": None} for _ in grid
        ]
        scores: dict[int, list[float]] = {}
        improved = 0

        def head_scores(model: torch.nn.Module) -> list[float]:
            logits = model(xval)
            return [_val_score(logits[j], val_targets) for j in range(len(grid))]

        def evaluate(model: torch.nn.Module) -> dict:
            """Each head keeps its own best step and stops on its own patience, exactly as if trained alone;
            the score the trainer sees rises whenever some running head improves, so the loop ends once
            none has for ``patience`` evaluations."""
            nonlocal improved
            stacked = cast(StackedHeads, model)  # the trainer evaluates the module it trains: ``heads``
            step = grid_loss.last_step + 1
            scores[step] = head_scores(model)
            for j, t in enumerate(track):
                if t["stop"] is not None:
                    continue
                if t["best"] is None or scores[step][j] > t["best"]:
                    t.update(
                        best=scores[step][j],
                        step=step,
                        bad=0,
                        weights=(stacked.weight[j].detach().clone(), stacked.bias[j].detach().clone()),
                    )
                    improved += 1
                else:
                    t["bad"] += 1
                    if patience is not None and t["bad"] >= patience:
                        t["stop"] = step
            return {"score": float(improved)}

        res = self.trainer.fit(
            heads, data, grid_loss, seed=seed, evaluate=evaluate if self.cfg.early_stopping else None
        )
        if not self.cfg.early_stopping:  # every candidate trained to (near) convergence: score the final heads
            with torch.no_grad():
                final = head_scores(res.model)
            trained = cast(StackedHeads, res.model)
            for j, t in enumerate(track):
                t.update(best=final[j], weights=(trained.weight[j].detach().clone(), trained.bias[j].detach().clone()))
        j = max(range(len(grid)), key=lambda i: (track[i]["best"], -i))  # the first of equal scores wins
        t = track[j]
        head = LinearHead(self.x.shape[1], mean, std)
        with torch.no_grad():
            head.linear.weight.copy_(t["weights"][0])
            head.linear.bias.copy_(t["weights"][1])
        steps = t["stop"] if t["stop"] is not None else res.steps

        def predict(index: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                return torch.softmax(head({"x": self.x[index]}), -1)[:, 1]

        return Fitted(
            predict,
            {
                "l2": grid[j],
                "val_score": t["best"],
                "best_step": t["step"],
                "steps": steps,
                "history": grid_loss.curve(j, res.history, scores, steps),
            },
        )


class FinetuneLearner:
    """Finetune the backbone on texts (``--finetune``); selection by early stopping on the validation targets."""

    def __init__(
        self, model_cfg: ModelConfig, texts: list[str], trainer_cfg: TrainerConfig, ckpt_dir: Path | None = None
    ) -> None:
        self.model_cfg = model_cfg
        self.texts = texts
        self.trainer = Trainer(trainer_cfg)
        self.tok = load_tokenizer(model_cfg)
        self.ckpt_dir = ckpt_dir

    def _collate(self, items: list[tuple[str, float, float | None]]) -> dict:
        texts = [t for t, _, _ in items]
        enc = self.tok(texts, padding=True, truncation=True, max_length=self.model_cfg.max_length, return_tensors="pt")
        batch = {
            "input_ids": enc["input_ids"],
            "attention_mask": enc["attention_mask"],
            "target": torch.tensor([y for _, y, _ in items], dtype=torch.float),
        }
        if items[0][2] is not None:
            batch["weight"] = torch.tensor([w for _, _, w in items], dtype=torch.float)
        return batch

    def _rows(
        self, index: torch.Tensor, targets: torch.Tensor | None = None, weights: torch.Tensor | None = None
    ) -> list[tuple[str, float, float | None]]:
        return [
            (
                self.texts[int(i)],
                float(targets[j]) if targets is not None else 0.0,
                float(weights[j]) if weights is not None else None,
            )
            for j, i in enumerate(index)
        ]

    def fit(
        self,
        train_index: torch.Tensor,
        train_targets: torch.Tensor,
        loss: LossFn,
        val_index: torch.Tensor,
        val_targets: torch.Tensor,
        *,
        seed: int = 0,
        weights: torch.Tensor | None = None,
    ) -> Fitted:
        seed_everything(seed)
        model = TextClassifier(self.model_cfg, gradient_checkpointing=self.trainer.cfg.gradient_checkpointing)
        rows = self._rows(train_index, train_targets, weights)
        val_rows = self._rows(val_index)

        def evaluate(m: torch.nn.Module) -> dict:
            logits = self.trainer.predict(m, val_rows, collate=self._collate, batch_size=64)
            return {"score": _val_score(logits, val_targets)}

        res = self.trainer.fit(
            model, rows, loss, seed=seed, evaluate=evaluate, collate=self._collate, ckpt_dir=self.ckpt_dir
        )

        def predict(index: torch.Tensor) -> torch.Tensor:
            logits = self.trainer.predict(res.model, self._rows(index), collate=self._collate, batch_size=64)
            return torch.softmax(logits, -1)[:, 1]

        return Fitted(
            predict,
            {
                "best_step": res.best_step,
                "steps": res.steps,
                "val_score": res.best_score,
                "trained_steps": res.trained_steps,
                "ckpt_bytes": res.ckpt_bytes,
                "tokens": res.tokens,
                "history": res.history,
            },
        )
