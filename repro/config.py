"""The run configuration: every settings model of the harness (pydantic, unknown keys forbidden) with its
defaults, and loading a recipe's YAML preset into its ``Config``.

Each default lives here once; the modules that act on a setting import its model from here. This module
does not import torch, so a configuration error is reported before the heavy imports.

A preset is ``repro/recipes/<recipe>/presets/<name>.yaml`` (see :mod:`repro.recipes`). Each mistake in one is
reported as one line naming the file, the line and the key, or the command-line option that set the key
(``ConfigError``), never as a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from yamllines import YamlError, line_for, load_with_lines

from .metrics import MIN_GAP

__all__ = [
    "FINETUNE_TRAINING",
    "GENERATIVE_TRAINING",
    "HEAD_TRAINING",
    "ConfidenceSettings",
    "ConfigError",
    "Dtype",
    "HeadConfig",
    "LoraSpec",
    "LossSpec",
    "ModelConfig",
    "Prior",
    "ProductSettings",
    "RecipeConfig",
    "SplitName",
    "TaskConfig",
    "TrainerConfig",
    "apply_overrides",
    "load_config",
    "over_defaults",
]


SplitName = Literal["train", "validation", "test"]


class TaskConfig(BaseModel):
    """One task's data. A registered task is just ``name`` (see ``python -m repro data list``); your own table
    is ``name`` + ``path`` + ``text`` + ``label`` (+ ``label_map``), no code (repro/README.md, "Your own task")."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("rotten_tomatoes", description="a registered task, or any name for your own table (with text=)")
    path: str | None = Field(None, description="local CSV/JSONL/parquet file or folder instead of the task's source")
    splits: dict[SplitName, str] | None = Field(
        None,
        description="local data: the file (or glob, relative to path) of each split, Hugging Face names; "
        "default: files named <split>.* or <split>-*.* found under path (data/*.parquet layouts included)",
    )
    text: str | list[str] | None = Field(None, description="your own task: text column(s), joined by a newline")
    label: str | None = Field(None, description="your own task: the label column")
    label_map: dict[str, Literal[0, 1] | None] | None = Field(
        None,
        description="your own task: label value (as text) -> 0 or 1; null drops those rows; "
        "default: the column already holds 0/1 (or true/false)",
    )
    group: str | None = Field(None, description="your own task: column of group ids (a group never crosses a split)")
    n_examples: int = Field(4000, ge=12, description="size of the pool drawn for weak-train, transfer and test")
    n_test: int | None = Field(
        None,
        ge=1,
        description="tasks with a test split: examples drawn from it "
        "(default n_examples/3; capped, with a message, by the split's size)",
    )
    data_seed: int = Field(0, description="seed of the pool draw (fixed across training seeds)")
    max_per_group: int | None = Field(
        None,
        ge=1,
        description="rotten_tomatoes: at most this many snippets per "
        "movie (small pools then still span many movies); None = no cap",
    )
    val_frac: float = Field(0.2, gt=0, lt=1, description="share of each training half held out for selection")

    @model_validator(mode="after")
    def _own_task_complete(self) -> TaskConfig:
        own = {"text": self.text, "label": self.label, "label_map": self.label_map, "group": self.group}
        if any(v is not None for v in own.values()) and (self.text is None or self.label is None or self.path is None):
            raise ValueError("your own task needs path, text and label (label_map and group are optional)")
        return self

    @property
    def own(self) -> bool:
        """A table declared in the preset (text/label columns) rather than a registered task."""
        return self.text is not None


Dtype = Literal["auto", "float32", "bfloat16"]  # auto: bf16 on CUDA or on a CPU with native bf16, else float32


class LoraSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: str | list[str] = Field("all-linear", description="peft target_modules")


class ModelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="packaged id (minilm-l6, mpnet-base), Hugging Face hub name, or local folder")
    layers: int | None = Field(None, ge=0, description="keep the first k blocks; 0 = static embeddings; None = all")
    pooling: Literal["mean", "last"] = Field("mean", description="mean over tokens (encoders) or last token (causal)")
    kind: Literal["auto", "encoder", "causal"] = Field("auto", description="AutoModel or AutoModelForCausalLM body")
    max_length: int = Field(64, ge=4, description="tokens kept per text (snippets are ~27 tokens)")
    dtype: Dtype = Field(
        "auto", description="inference precision: auto = bf16 on CUDA or on CPUs with native bf16, else fp32"
    )
    batch_size: int = Field(64, ge=1, description="texts per forward pass when extracting features")
    revision: str | None = Field(None, description="hub revision (part of the cache key for hub models)")
    lora: LoraSpec | None = Field(None, description="finetune with LoRA adapters instead of all weights")
    label: str | None = Field(None, description="display name in tables and plots")

    def display(self) -> str:
        if self.label:
            return self.label
        base = Path(self.name).name if os.sep in self.name else self.name
        return base if self.layers is None else f"{base}[:{self.layers}]"


class TrainerConfig(BaseModel):
    """Optimisation settings of one fit. The field defaults are generic; each learner's own defaults are
    :data:`HEAD_TRAINING` and :data:`FINETUNE_TRAINING` below, and presets override those."""

    model_config = ConfigDict(extra="forbid")

    lr: float = Field(1e-3, gt=0, description="peak learning rate (AdamW)")
    epochs: int = Field(10, ge=1, description="passes over the training data (upper bound with early stopping)")
    max_steps: int | None = Field(None, ge=1, description="cap on optimiser steps; overrides epochs when smaller")
    batch_size: int = Field(32, ge=1, description="examples per optimiser step, over all ranks and accumulation")
    grad_accum: int = Field(1, ge=1, description="micro-batches per optimiser step")
    warmup_frac: float = Field(0.1, ge=0, le=1, description="share of steps with linear LR warm-up")
    schedule: Literal["cosine", "linear", "constant"] = "cosine"
    weight_decay: float = Field(0.0, ge=0, description="decoupled AdamW weight decay")
    max_grad_norm: float | None = Field(1.0, description="gradient clipping; None disables")
    eval_every: int | None = Field(None, ge=1, description="steps between evaluations; None = once per epoch")
    evals: int | None = Field(
        None,
        ge=1,
        description="evaluations per fit, evenly spaced (overrides eval_every), "
        "so early stopping can act however long the stage is",
    )
    patience: int | None = Field(None, ge=1, description="evaluations without improvement before stopping")
    bf16: Literal["auto", "on", "off"] = Field(
        "auto",
        description="bf16 autocast of the forward pass (auto = on CUDA only); trained weights and the "
        "optimiser stay float32 (master weights), frozen weights keep the model's dtype",
    )
    gradient_checkpointing: bool = Field(
        False,
        description="finetuning: recompute each block's activations in the backward pass (less memory, "
        "about a third more compute); heads ignore it",
    )
    ckpt_every: int | None = Field(None, ge=1, description="steps between checkpoints (also at each eval)")
    progress: bool = Field(False, description="show a tqdm bar for this fit")


# The two ways a learner trains, the only place their settings default: a logistic head on frozen features
# (full batch-ish, to near convergence) and a finetuned backbone (early stopping on the validation targets).
HEAD_TRAINING = TrainerConfig(lr=0.03, epochs=50, batch_size=512, warmup_frac=0.05, max_grad_norm=None)
FINETUNE_TRAINING = TrainerConfig(
    lr=2e-5, epochs=2, batch_size=32, warmup_frac=0.1, weight_decay=0.01, evals=10, patience=4, progress=True
)
# Generative finetuning (repro.generative): one epoch of language modelling over the unlabelled texts; the
# weights with the lowest held-out LM loss of 5 evaluations are kept (no labels involved).
GENERATIVE_TRAINING = TrainerConfig(
    lr=1e-5, epochs=1, batch_size=32, warmup_frac=0.05, weight_decay=0.01, evals=5, progress=True
)


def over_defaults(defaults: TrainerConfig, value: Any) -> Any:
    """A partial trainer mapping (a preset's or ``--set finetune_trainer.batch_size=8``) changes only the keys it
    names: the others keep the learner's defaults, not TrainerConfig's generic field defaults."""
    return {**defaults.model_dump(), **value} if isinstance(value, dict) else value


class HeadConfig(BaseModel):
    """How logistic heads are trained and regularised."""

    model_config = ConfigDict(extra="forbid")
    l2_grid: list[float] = Field(
        [0.01, 0.03, 0.1, 0.3, 1.0],
        min_length=1,
        description="L2 strengths tried; the best on the validation targets wins",
    )
    early_stopping: bool = Field(
        False,
        description="also pick the stopping epoch on the validation targets; "
        "off: train each L2 candidate to (near) convergence, select L2 only",
    )
    trainer: TrainerConfig = Field(default_factory=lambda: HEAD_TRAINING.model_copy())

    @field_validator("trainer", mode="before")
    @classmethod
    def _over_head_defaults(cls, value: Any) -> Any:
        return over_defaults(HEAD_TRAINING, value)

    @field_validator("trainer")
    @classmethod
    def _no_clipping(cls, value: TrainerConfig) -> TrainerConfig:
        if value.max_grad_norm is not None:  # the grid trains as one stacked module (repro.learners.HeadLearner)
            raise ValueError(
                "heads train without gradient clipping (max_grad_norm: null): clipping the L2 grid, "
                "trained together, would couple its candidates"
            )
        return value


Prior = Literal["balanced", "weak_mean", "rolling_median"]


class ConfidenceSettings(BaseModel):
    """The auxiliary confidence loss (Burns et al.): the only place its defaults live."""

    model_config = ConfigDict(extra="forbid")
    alpha_max: float = Field(0.5, ge=0, le=1, description="0.75 for the largest student in the paper, else 0.5")
    warmup_frac: float = Field(0.2, ge=0, le=1, description="alpha ramps linearly over this share of steps")
    prior: Prior = Field(
        "weak_mean",
        description="share of hardened positives: half (balanced, the paper's), the "
        "weak labels' batch mean, or the rolling median of the student's predictions",
    )


class ProductSettings(BaseModel):
    """The product loss (a product of experts of the weak label and the student's own prediction)."""

    model_config = ConfigDict(extra="forbid")
    alpha_max: float = Field(1.0, ge=0, le=1, description="exponent of the student's prediction at full weight")
    warmup_frac: float = Field(0.2, ge=0, le=1, description="the exponent ramps linearly over this share of steps")


_SETTINGS = {"confidence": ConfidenceSettings, "product": ProductSettings}


class LossSpec(BaseModel):
    """A training loss: ``xent`` (soft or hard targets), ``confidence`` or ``product``, with its settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Literal["xent", "confidence", "product"] = "xent"
    confidence: ConfidenceSettings | None = Field(
        None, description="confidence loss only (default settings if omitted)"
    )
    product: ProductSettings | None = Field(None, description="product loss only (default settings if omitted)")

    @model_validator(mode="before")
    @classmethod
    def _default_settings(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("name") in _SETTINGS and data.get(data["name"]) is None:
            return {**data, data["name"]: {}}
        return data

    @model_validator(mode="after")
    def _settings_match_name(self) -> LossSpec:
        for other in _SETTINGS:
            if other != self.name and getattr(self, other) is not None:
                raise ValueError(f"{self.name} takes no {other} settings")
        return self


class RecipeConfig(BaseModel):
    """Fields every recipe has. A recipe's ``Config`` subclasses this."""

    model_config = ConfigDict(extra="forbid")

    task: TaskConfig = Field(default_factory=TaskConfig)
    suite: list[TaskConfig] = Field(
        default_factory=list,
        description="run the recipe on each of these tasks and write a suite report "
        "(repro/suite.py); an entry's unset n_examples, n_test, data_seed and val_frac come from task",
    )

    @field_validator("suite")
    @classmethod
    def _suite_names_unique(cls, v: list[TaskConfig]) -> list[TaskConfig]:
        names = [t.name for t in v]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup is not None:
            raise ValueError(f"task {dup!r} appears twice; list each task once")
        return v

    seeds: int = Field(5, ge=1, description="training seeds (each: a new grouped split and initialisation)")
    finetune: bool = Field(False, description="finetune backbones instead of training heads on frozen features")
    head: HeadConfig = Field(default_factory=HeadConfig, description="frozen-feature mode: heads and their L2 grid")
    finetune_trainer: TrainerConfig = Field(
        default_factory=lambda: FINETUNE_TRAINING.model_copy(),
        description="--finetune mode: how backbones are finetuned",
    )
    min_gap: float = Field(
        MIN_GAP,
        ge=0,
        le=1,
        description="PGR is reported only when the mean ceiling beats the "
        "mean weak model by this much (accuracy, and AUROC for AUROC-based PGR); else 'gap too small'",
    )

    @field_validator("finetune_trainer", mode="before")
    @classmethod
    def _over_finetune_defaults(cls, value: Any) -> Any:
        return over_defaults(FINETUNE_TRAINING, value)


class ConfigError(Exception):
    """Expected configuration errors: ``problems`` holds one line per error (file:line: key: message, or the
    command-line option that set the key); ``str()`` joins them with newlines."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


_Config = TypeVar("_Config", bound=BaseModel)


def load_config(
    cls: type[_Config], path: Path, overrides: dict[str, Any] | None = None, origins: dict[str, str] | None = None
) -> _Config:
    """Validate YAML ``path`` plus dotted ``overrides`` against ``cls``; errors raise one ``ConfigError`` listing
    every problem. A problem in a key an override set names the override (``origins[key]``, for example
    ``--seeds 0``; default ``--set KEY=VALUE``), not the preset line it replaced."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read preset ({e.strerror})") from None
    try:
        data, lines, dups = load_with_lines(text)
    except YamlError as e:
        raise ConfigError(f"{path}:{e.line or '?'}: invalid YAML: {e.message}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: a preset must be a mapping of keys")
    if dups:  # YAML keeps the last value of a repeated key without a word: a silently ignored setting
        raise ConfigError(
            [f"{path}:{line}: {key}: appears twice (the first value would be ignored)" for key, line in dups]
        )
    overrides = overrides or {}
    data = apply_overrides(data, overrides)
    try:
        return cls.model_validate(data)
    except ValidationError as e:
        raise ConfigError([_problem(path, lines, err, overrides, origins or {}) for err in e.errors()]) from None


def _problem(
    path: Path, lines: dict[str, int], err: ErrorDetails, overrides: dict[str, Any], origins: dict[str, str]
) -> str:
    """One line for one validation error: where the offending value came from, the key and the message."""
    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc) or "(top level)"
    names = tuple(str(p) for p in loc)
    for dotted in overrides:
        parts = tuple(dotted.split("."))
        if names[: len(parts)] == parts or (names and parts[: len(names)] == names):
            where = f"command line ({origins.get(dotted) or f'--set {dotted}={overrides[dotted]}'})"
            break
    else:
        # the key's line, else its nearest parent's; a problem of the whole preset: its first key
        line = line_for(lines, key) if loc else min(lines.values(), default=None)
        where = f"{path}:{line or '?'}"
    return f"{where}: {key}: {err['msg']}"


def apply_overrides(data: dict, overrides: dict[str, Any]) -> dict:
    """Set dotted keys (``task.n_examples=600``) in a nested dict (returns a new dict).

    A display ``label`` belongs to the ``name`` it labels: overriding a model's name (``weak.name=gpt2``) drops
    the preset's label beside it, unless the overrides set that label too."""
    import copy

    out = copy.deepcopy(data)
    for dotted, value in overrides.items():
        cur = out
        parts = dotted.split(".")
        for p in parts[:-1]:
            cur = cur.setdefault(p, {})
            if not isinstance(cur, dict):
                raise ConfigError(f"override {dotted}: {p} is not a mapping")
        cur[parts[-1]] = value
        sibling = ".".join([*parts[:-1], "label"])
        if parts[-1] == "name" and "label" in cur and sibling not in overrides:
            del cur["label"]
    return out
