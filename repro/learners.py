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

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from .config import HeadConfig, TrainerConfig
from .losses import LossFn, soft_cross_entropy
from .models import LinearHead, ModelConfig, TextClassifier, load_tokenizer
from .trainer import Trainer, seed_everything

__all__ = ["HeadConfig", "HeadLearner", "FinetuneLearner", "Fitted", "LEARNER_VERSION"]

# Part of every training stage's cache key: bump when fitting or selection logic changes results.
LEARNER_VERSION = "learners/v3"


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
def single_thread():
    """Tiny heads run fastest on one thread: with more, intra-op thread sync costs ~20x (measured on 2 cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class HeadLearner:
    def __init__(self, features: torch.Tensor, cfg: HeadConfig | None = None, trainer: Trainer | None = None):
        self.x = features.float()
        self.cfg = cfg or HeadConfig()
        self.trainer = trainer or Trainer(self.cfg.trainer, device="cpu")

    def fit(self, train_index, train_targets, loss: LossFn, val_index, val_targets, *, seed: int = 0,
            weights: torch.Tensor | None = None) -> Fitted:
        with single_thread():
            return self._fit(train_index, train_targets, loss, val_index, val_targets, seed, weights)

    def _fit(self, train_index, train_targets, loss, val_index, val_targets, seed, weights) -> Fitted:
        xtr = self.x[train_index]
        mean, std = xtr.mean(0), xtr.std(0).clamp_min(1e-6)
        data = {"x": xtr, "target": train_targets.float()}
        if weights is not None:
            data["weight"] = weights.float()
        xval = {"x": self.x[val_index]}
        best = None
        for l2 in self.cfg.l2_grid:
            seed_everything(seed)
            head = LinearHead(self.x.shape[1], mean, std)

            def penalised(logits, batch, state, _l2=l2, _head=head):
                return loss(logits, batch, state) + 0.5 * _l2 * _head.linear.weight.pow(2).sum()
            if hasattr(loss, "batch_statistic"):  # e.g. the confidence loss's threshold over the logical batch
                penalised.batch_statistic = loss.batch_statistic

            def evaluate(model):
                return {"score": _val_score(model(xval), val_targets)}

            res = self.trainer.fit(head, data, penalised, seed=seed,
                                   evaluate=evaluate if self.cfg.early_stopping else None)
            if not self.cfg.early_stopping:
                with torch.no_grad():
                    res.best_score = evaluate(res.model)["score"]
            if best is None or res.best_score > best[0]:
                best = (res.best_score, l2, res)
        score, l2, res = best
        head = res.model

        def predict(index):
            with torch.no_grad():
                return torch.softmax(head({"x": self.x[index]}), -1)[:, 1]
        return Fitted(predict, {"l2": l2, "val_score": score, "best_step": res.best_step, "steps": res.steps,
                                "history": res.history})


class FinetuneLearner:
    """Finetune the backbone on texts (``--finetune``); selection by early stopping on the validation targets."""

    def __init__(self, model_cfg: ModelConfig, texts: list[str], trainer_cfg: TrainerConfig,
                 ckpt_dir: Path | None = None):
        self.model_cfg = model_cfg
        self.texts = texts
        self.trainer = Trainer(trainer_cfg)
        self.tok = load_tokenizer(model_cfg)
        self.ckpt_dir = ckpt_dir

    def _collate(self, items):
        texts = [t for t, _, _ in items]
        enc = self.tok(texts, padding=True, truncation=True, max_length=self.model_cfg.max_length, return_tensors="pt")
        batch = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
                 "target": torch.tensor([y for _, y, _ in items], dtype=torch.float)}
        if items[0][2] is not None:
            batch["weight"] = torch.tensor([w for _, _, w in items], dtype=torch.float)
        return batch

    def _rows(self, index, targets=None, weights=None):
        return [(self.texts[int(i)], float(targets[j]) if targets is not None else 0.0,
                 float(weights[j]) if weights is not None else None) for j, i in enumerate(index)]

    def fit(self, train_index, train_targets, loss: LossFn, val_index, val_targets, *, seed: int = 0,
            weights: torch.Tensor | None = None) -> Fitted:
        seed_everything(seed)
        model = TextClassifier(self.model_cfg, gradient_checkpointing=self.trainer.cfg.gradient_checkpointing)
        rows = self._rows(train_index, train_targets, weights)
        val_rows = self._rows(val_index)

        def evaluate(m):
            logits = self.trainer.predict(m, val_rows, collate=self._collate, batch_size=64)
            return {"score": _val_score(logits, val_targets)}

        res = self.trainer.fit(model, rows, loss, seed=seed, evaluate=evaluate, collate=self._collate,
                               ckpt_dir=self.ckpt_dir)

        def predict(index):
            logits = self.trainer.predict(res.model, self._rows(index), collate=self._collate, batch_size=64)
            return torch.softmax(logits, -1)[:, 1]
        return Fitted(predict, {"best_step": res.best_step, "steps": res.steps, "val_score": res.best_score,
                                "trained_steps": res.trained_steps, "ckpt_bytes": res.ckpt_bytes,
                                "tokens": res.tokens, "history": res.history})
