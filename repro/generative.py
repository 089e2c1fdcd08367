"""Generative finetuning: a backbone finetuned as a causal language model on unlabelled texts, on the shared
trainer. No paper is named here; a recipe decides which model and which texts (Burns et al.'s GFT: the strong
model on the task's training texts, before it learns from weak labels).

``generative_finetune(model, texts, trainer_cfg, cache)`` returns a :class:`ModelConfig` for the finetuned
weights, usable wherever the original was (frozen features or finetuning): a folder in the cache named by a
content hash of everything that determines it (the model's identity and settings, the trainer settings, the
texts), built once and atomically (:func:`repro.cache.build_once`), resumable after a kill (the trainer's
checkpoint). The folder holds the full model in float32 for full finetuning, or only the LoRA adapters when
the model config has ``lora`` (the base is loaded and the adapters merged on use, see
:func:`repro.models.load_backbone`), plus the tokenizer.

Selection uses no labels: the weights with the lowest language-modelling loss on a held-out 5% of the texts
are kept. Under torchrun every rank trains (DDP) and rank 0 writes the folder.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

import torch
import torch.nn.functional as F

from . import dist
from .cache import Cache, build_once, fingerprint
from .config import ModelConfig, TrainerConfig
from .meter import Meter
from .models import BASE_FILE, HFModel, load_causal_lm, load_tokenizer, model_identity, resolve
from .trainer import FitResult, Trainer, TrainState, seed_everything

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

__all__ = ["HELD_OUT", "CausalLMObjective", "generative_finetune"]

HELD_OUT = 0.05  # share of the texts whose language-modelling loss selects the weights kept
SEED = 0  # one generative finetune per (model, texts, settings): its own seed is fixed


class CausalLMObjective(torch.nn.Module):
    """A causal LM whose forward pass returns each text's mean next-token loss (padding excluded)."""

    def __init__(self, lm: HFModel, lora: bool) -> None:
        super().__init__()
        self.lm = lm
        self.lora = lora

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        ids, mask = batch["input_ids"], batch["attention_mask"]
        logits = self.lm(input_ids=ids, attention_mask=mask).logits[:, :-1]
        nll = F.cross_entropy(logits.float().transpose(1, 2), ids[:, 1:], reduction="none")
        m = mask[:, 1:].float()
        return (nll * m).sum(1) / m.sum(1).clamp_min(1)

    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        if not self.lora:
            return self.state_dict()
        from peft import get_peft_model_state_dict

        state: dict[str, torch.Tensor] = get_peft_model_state_dict(self.lm)
        return state

    def load_trainable_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        if not self.lora:
            self.load_state_dict(state)
            return
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(self.lm, state)


def _mean_loss(out: torch.Tensor, batch: dict, state: TrainState) -> torch.Tensor:
    return out.mean()


def gft_key(model: ModelConfig, texts: list[str], trainer_cfg: TrainerConfig) -> str:
    return fingerprint("gft/v1", model_identity(model), model, trainer_cfg, fingerprint(texts), HELD_OUT, SEED)


def _train(
    model: ModelConfig, texts: list[str], trainer_cfg: TrainerConfig, ckpt_dir: Path | None
) -> tuple[FitResult, PreTrainedTokenizerBase]:
    """The language-modelling finetune itself; returns the trained objective and the tokenizer."""
    seed_everything(SEED)
    tok = load_tokenizer(model)
    lm = load_causal_lm(model, gradient_checkpointing=trainer_cfg.gradient_checkpointing)
    objective = CausalLMObjective(lm, lora=model.lora is not None)
    order = torch.randperm(len(texts), generator=torch.Generator().manual_seed(SEED)).tolist()
    n_val = max(1, round(HELD_OUT * len(texts)))
    val = [texts[i] for i in order[:n_val]]
    train = [texts[i] for i in order[n_val:]]

    def collate(items: list[str]) -> dict:
        enc = tok(items, padding=True, truncation=True, max_length=model.max_length, return_tensors="pt")
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}

    trainer = Trainer(trainer_cfg)

    def evaluate(m: torch.nn.Module) -> dict:
        return {"score": -float(trainer.predict(m, val, collate=collate, batch_size=trainer_cfg.batch_size).mean())}

    res = trainer.fit(objective, train, _mean_loss, seed=SEED, evaluate=evaluate, collate=collate, ckpt_dir=ckpt_dir)
    return res, tok


def _save(res: FitResult, tok: PreTrainedTokenizerBase, model: ModelConfig, folder: Path) -> None:
    lm = cast(CausalLMObjective, res.model).lm
    if model.lora is not None:  # adapters only; the base they belong to is recorded beside them
        lm.save_pretrained(folder)
        lm.get_base_model().config.save_pretrained(folder)
        (folder / BASE_FILE).write_text(json.dumps({"name": resolve(model), "revision": model.revision}) + "\n")
    else:
        lm.to(torch.float32).save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
    losses = [h for h in res.history if "score" in h]
    (folder / "w2s-gft.json").write_text(
        json.dumps(
            {
                "steps": res.steps,
                "best_step": res.best_step,
                "held_out_loss": -res.best_score if losses and res.best_score is not None else None,
                "curve": [
                    {"step": h["step"], "train_loss": h["train_loss"], "held_out_loss": -h["score"]} for h in losses
                ],
            },
            indent=1,
        )
        + "\n"
    )


def generative_finetune(
    model: ModelConfig, texts: list[str], trainer_cfg: TrainerConfig, cache: Cache, log: Callable[[str], None] = print
) -> ModelConfig:
    """``model`` finetuned as a causal LM on ``texts`` (cached): a config naming the finetuned weights' folder,
    with everything else (depth, pooling, LoRA, precision) as in ``model``."""
    key = gft_key(model, texts, trainer_cfg)
    folder = cache.root / "models" / "gft" / key
    derived = model.model_copy(update={"name": str(folder), "revision": None, "label": f"{model.display()} +GFT"})
    ready = dist.broadcast_object((folder / ".complete").exists() and cache.enabled)
    if ready:
        cache.hits.append(f"gft/{key}")
        return derived
    cache.misses.append(f"gft/{key}")
    log(f"generative finetuning {model.display()} on {len(texts)} unlabelled texts")
    meter = Meter()
    res, tok = _train(model, texts, trainer_cfg, cache.checkpoint_dir(f"gft-{key}"))
    if dist.rank_world()[0] == 0:
        if not cache.enabled:  # --no-cache retrains: replace an earlier run's folder
            shutil.rmtree(folder, ignore_errors=True)
        build_once(folder, lambda tmp: _save(res, tok, model, tmp))
        cache.drop_checkpoint(f"gft-{key}")
    dist.barrier()
    best = f"{-res.best_score:.4f}" if res.best_score is not None else "n/a"
    log(
        f"gft {model.display()}: {res.trained_steps} steps trained, {meter.line(res.tokens)}, held-out LM loss {best}, "
        f"{res.ckpt_bytes / 2**20:.1f} MiB of checkpoints written"
    )
    return derived
