"""The shared experiment context a recipe works through: data, splits, learners and cached training stages.

A recipe calls::

    ctx.task()                       -> Task (cached in memory)
    ctx.splits(seed)                 -> Splits (A/B/test, grouped)
    ctx.train(stage, model_cfg, index, targets, loss_spec, val_index, val_targets, seed=..., weights=None,
              texts=None)            -> Stage(key, prob)   prob: P(class 1) for every pool example
    ctx.evaluate(prob, index)        -> {"acc", "auroc"} against ground truth (test side only)
    ctx.generative_finetune(model_cfg, index, trainer_cfg)
                                     -> ModelConfig of the model finetuned as an LM on those texts (no labels)

``train`` is one cached stage: its key (:func:`stage_key`) hashes the learner's identity (model weights, depth,
features or finetuning settings), the task data, the training index and targets, the validation index and
targets, the loss, the seed and optional example weights. ``targets``/``val_targets`` are what the learner may
see; a student's come from a :class:`repro.tasks.WeakLabelled`, never from ``task.labels``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .cache import Cache, fingerprint
from .config import LossSpec, RecipeConfig, TrainerConfig
from .features import extract, extract_many, feature_key
from .generative import generative_finetune
from .learners import LEARNER_VERSION, FinetuneLearner, HeadLearner
from .losses import make_loss
from .meter import Meter
from .metrics import accuracy, auroc
from .models import ModelConfig, model_identity
from .tasks import Splits, Task, load_task, make_splits

__all__ = ["Context", "LossSpec", "Stage", "stage_key"]


@dataclass
class Stage:
    key: str
    prob: torch.Tensor
    info: dict = field(default_factory=dict)


def stage_key(
    stage: str,
    learner: str,
    task: str,
    *,
    index: torch.Tensor,
    targets: torch.Tensor,
    loss: LossSpec,
    val_index: torch.Tensor,
    val_targets: torch.Tensor,
    seed: int,
    weights: torch.Tensor | None = None,
    upstream: tuple[str, ...] = (),
) -> str:
    """The cache key of one training stage, the only place it is computed.

    It hashes everything that determines the stage's result: the learner's code version and identity
    (``Context.learner_id``), the task data (``Context.task_fingerprint``), the training index and targets,
    the validation index and targets, the loss, the seed, optional example weights and the keys of upstream stages.
    """
    return fingerprint(
        "stage/v1",
        LEARNER_VERSION,
        stage,
        learner,
        task,
        index=index,
        targets=targets,
        loss=loss,
        val_index=val_index,
        val_targets=val_targets,
        seed=seed,
        weights=weights,
        upstream=list(upstream),
    )


class Context:
    """What a recipe works through. ``cfg`` is the one source of the run's settings (task, head, finetuning);
    ``task`` injects an already loaded task (tests) instead of loading ``cfg.task``."""

    def __init__(
        self, cfg: RecipeConfig, cache: Cache, *, task: Task | None = None, log: Callable[[str], None] = print
    ) -> None:
        self.cfg = cfg
        self.cache = cache
        self.log = log
        self._task = task
        self._task_fp: str | None = None
        self._texts_fp: str | None = None
        self._features: dict[str, dict] = {}
        self.trained: dict[str, dict] = {}  # stage key -> {"stage", "model", "seed", "history"}: the run's curves

    @property
    def finetune(self) -> TrainerConfig | None:
        """How backbones are finetuned, or None for frozen features and heads (``cfg.finetune``)."""
        return self.cfg.finetune_trainer if self.cfg.finetune else None

    # ---- data -------------------------------------------------------------------------------------------
    def task(self) -> Task:
        if self._task is None:
            self._task = load_task(self.cfg.task)
        return self._task

    def task_fingerprint(self) -> str:
        """Content hash of the task data (texts, labels, groups, test mask), computed once."""
        if self._task_fp is None:
            self._task_fp = fingerprint(self.task().fingerprint_data())
        return self._task_fp

    def texts_fingerprint(self, texts: list[str] | None = None) -> str:
        """Content hash of ``texts`` (default: the task's texts, hashed once: every stage key needs it)."""
        if texts is not None:
            return fingerprint(texts)
        if self._texts_fp is None:
            self._texts_fp = fingerprint(self.task().texts)
        return self._texts_fp

    def splits(self, seed: int) -> Splits:
        return make_splits(self.task(), seed, self.cfg.task.val_frac)

    def evaluate(self, prob: torch.Tensor, index: torch.Tensor) -> dict:
        y = self.task().labels[index]
        return {"acc": accuracy(prob[index], y), "auroc": auroc(prob[index], y)}

    # ---- features / learners ------------------------------------------------------------------------------
    def features(self, cfgs: list[ModelConfig], texts: list[str] | None = None) -> list[dict]:
        """Pooled frozen features (cached); computes all missing configs of one backbone in one pass."""
        tfp = self.texts_fingerprint(texts)
        texts = texts if texts is not None else self.task().texts
        missing = [c for c in cfgs if feature_key(c, tfp) not in self._features]
        if missing:
            for c, f in zip(missing, extract(missing, texts, self.cache, log=self.log), strict=True):
                self._features[feature_key(c, tfp)] = f
        return [self._features[feature_key(c, tfp)] for c in cfgs]

    @staticmethod
    def prefetch_features(contexts: list[Context], cfgs: list[ModelConfig]) -> None:
        """The features of ``cfgs`` for every context's task, with each backbone loaded once for all of them
        (a suite's tasks; :func:`repro.features.extract_many`); each context then has them in memory."""
        todo = [c for c in contexts if any(feature_key(m, c.texts_fingerprint()) not in c._features for m in cfgs)]
        if not todo:
            return
        per_task = extract_many(cfgs, [c.task().texts for c in todo], todo[0].cache, log=todo[0].log)
        for c, feats in zip(todo, per_task, strict=True):
            for m, f in zip(cfgs, feats, strict=True):
                c._features[feature_key(m, c.texts_fingerprint())] = f

    def learner_id(self, cfg: ModelConfig, texts: list[str] | None = None) -> str:
        """Identity of the learner for a backbone (part of every stage key); cheap: computes no features."""
        tfp = self.texts_fingerprint(texts)
        if self.finetune is None:
            return fingerprint("head", feature_key(cfg, tfp), self.cfg.head)
        return fingerprint("finetune", model_identity(cfg), cfg, self.finetune, tfp)

    def learner(
        self, cfg: ModelConfig, texts: list[str] | None = None, ckpt_dir: Path | None = None
    ) -> HeadLearner | FinetuneLearner:
        """The learner for a backbone: a head on frozen features, or the finetuned backbone (resumable from
        ``ckpt_dir``)."""
        texts = texts if texts is not None else self.task().texts
        if self.finetune is None:
            return HeadLearner(self.features([cfg], texts)[0]["x"], self.cfg.head)
        return FinetuneLearner(cfg, texts, self.finetune, ckpt_dir=ckpt_dir)

    def generative_finetune(self, cfg: ModelConfig, index: torch.Tensor, trainer: TrainerConfig) -> ModelConfig:
        """``cfg`` finetuned as a causal language model on the texts of these pool examples (no labels), cached:
        a config naming the finetuned weights, used like any other model (:mod:`repro.generative`)."""
        texts = self.task().texts
        return generative_finetune(
            cfg, [texts[i] for i in sorted(set(index.tolist()))], trainer, self.cache, log=self.log
        )

    # ---- one cached training stage ------------------------------------------------------------------------
    def train(
        self,
        stage: str,
        cfg: ModelConfig,
        index: torch.Tensor,
        targets: torch.Tensor,
        loss: LossSpec,
        val_index: torch.Tensor,
        val_targets: torch.Tensor,
        *,
        seed: int,
        weights: torch.Tensor | None = None,
        texts: list[str] | None = None,
        upstream: tuple[str, ...] = (),
    ) -> Stage:
        key = stage_key(
            stage,
            self.learner_id(cfg, texts),
            self.task_fingerprint(),
            index=index,
            targets=targets,
            loss=loss,
            val_index=val_index,
            val_targets=val_targets,
            seed=seed,
            weights=weights,
            upstream=upstream,
        )
        pool_n = len(texts if texts is not None else self.task().texts)

        def compute() -> dict:
            meter = Meter()
            learner = self.learner(cfg, texts, ckpt_dir=self.cache.checkpoint_dir(key))
            fitted = learner.fit(index, targets, make_loss(loss), val_index, val_targets, seed=seed, weights=weights)
            prob = fitted.predict(torch.arange(pool_n)).float()
            if "ckpt_bytes" in fitted.info:  # finetuning: what a GPU user watches
                i = fitted.info
                self.log(
                    f"{stage} {cfg.display()}: {i['trained_steps']} steps trained, {meter.line(i['tokens'])}, "
                    f"{i['ckpt_bytes'] / 2**20:.1f} MiB of checkpoints written"
                )
            return {"prob": prob, "info": fitted.info}

        out = self.cache.stage(stage.split("/")[0], key, compute)
        self.trained.setdefault(
            key, {"stage": stage, "model": cfg.display(), "seed": seed, "history": out["info"].get("history", [])}
        )
        self.cache.drop_checkpoint(key)  # the result is stored (or not wanted): the resumable state is not needed
        return Stage(key, out["prob"], out["info"])
