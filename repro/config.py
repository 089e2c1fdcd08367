"""Recipe configuration: pydantic models that forbid unknown keys, loaded from YAML presets.

A preset is ``repro/recipes/<recipe>/presets/<name>.yaml`` (see :mod:`repro.recipes`). A mistake in one is reported as one line naming the
file, the line and the key (``ConfigError``), never as a traceback.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .learners import HeadConfig
from .tasks import TaskConfig
from .trainer import TrainerConfig

__all__ = ["RecipeConfig", "ConfigError", "load_config", "apply_overrides"]


class ConfigError(Exception):
    """An expected configuration error; ``str()`` is one line with file, line and key."""


class RecipeConfig(BaseModel):
    """Fields every recipe has. A recipe's ``Config`` subclasses this."""
    model_config = ConfigDict(extra="forbid")

    task: TaskConfig = Field(default_factory=TaskConfig)
    seeds: int = Field(5, ge=1, description="training seeds (each: a new grouped split and initialisation)")
    finetune: bool = Field(False, description="finetune backbones instead of training heads on frozen features")
    head: HeadConfig = Field(default_factory=HeadConfig, description="frozen-feature mode: heads and their L2 grid")
    finetune_trainer: TrainerConfig = Field(
        default_factory=lambda: TrainerConfig(lr=2e-5, epochs=2, batch_size=32, warmup_frac=0.1, weight_decay=0.01,
                                              eval_every=50, patience=4, progress=True),
        description="--finetune mode: how backbones are finetuned")


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """Line (1-based) of the key at ``loc`` in a composed YAML tree, or of the nearest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(part):
                    line = k.start_mark.line + 1
                    node = v
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def load_config(cls: type[BaseModel], path: Path, overrides: dict[str, Any] | None = None) -> BaseModel:
    """Validate YAML ``path`` (plus dotted ``overrides``) against ``cls``; errors raise ``ConfigError``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read preset ({e.strerror})") from None
    try:
        node = yaml.compose(text, Loader=yaml.CSafeLoader)
        data = yaml.load(text, Loader=yaml.CSafeLoader) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: invalid YAML: {getattr(e, 'problem', e)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: a preset must be a mapping of keys")
    data = apply_overrides(data, overrides or {})
    try:
        return cls.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = tuple(err["loc"])
        line = _line_of(node, loc)
        key = ".".join(str(p) for p in loc) or "(top level)"
        more = f" (+{len(e.errors()) - 1} more)" if len(e.errors()) > 1 else ""
        raise ConfigError(f"{path}:{line or '?'}: {key}: {err['msg']}{more}") from None


def apply_overrides(data: dict, overrides: dict[str, Any]) -> dict:
    """Set dotted keys (``task.n_examples=600``) in a nested dict (returns a new dict)."""
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
    return out
