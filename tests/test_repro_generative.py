"""Generative finetuning (repro/generative.py; burns2023's ``gft`` method) with tiny local causal LMs: the
language-modelling objective lowers held-out loss, full finetunes save the model and LoRA finetunes only their
adapters, the result is cached and reused, ``--no-cache`` retrains, and the recipe gives it only training
texts of the split, never a test text."""

from __future__ import annotations

from pathlib import Path

import pytest
import smoke
import torch

from repro.cache import Cache
from repro.config import GENERATIVE_TRAINING, LoraSpec, ModelConfig
from repro.generative import CausalLMObjective, generative_finetune
from repro.models import BASE_FILE, load_backbone, load_causal_lm, load_tokenizer

TRAINER = GENERATIVE_TRAINING.model_copy(update={"batch_size": 8, "epochs": 3, "lr": 3e-3, "progress": False})


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return smoke.make_fixtures(tmp_path_factory.mktemp("gft"))


def _texts() -> list[str]:
    """Patterned sentences in the tiny tokenizer's vocabulary: a language model can learn them quickly."""
    subj, verbs = smoke.SUBJECTS, smoke.VERBS
    return [f"{smoke.ASKS[i % 5]} {subj[i % 16]} {verbs[i % 8]} the {subj[(i + 3) % 16]} {i % 7}" for i in range(160)]


def _held_out_loss(model: ModelConfig, texts: list[str]) -> float:
    tok = load_tokenizer(model)
    objective = CausalLMObjective(load_causal_lm(model), lora=False).eval()
    enc = tok(texts, padding=True, truncation=True, max_length=model.max_length, return_tensors="pt")
    with torch.no_grad():
        return float(objective({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}).mean())


def test_full_generative_finetune_lowers_lm_loss_and_loads_as_a_backbone(tiny, tmp_path):
    base = ModelConfig(name=str(tiny["gpt2"]), kind="causal", pooling="last", max_length=32, label="G")
    texts = _texts()
    cache = Cache(tmp_path / "cache")
    gft = generative_finetune(base, texts, TRAINER, cache, log=lambda *_: None)
    folder = Path(gft.name)
    assert (folder / ".complete").exists() and (folder / "model.safetensors").exists()
    assert gft.display() == "G +GFT" and gft.kind == "causal" and gft.max_length == 32
    assert _held_out_loss(gft, texts[:40]) < _held_out_loss(base, texts[:40]) - 0.1
    body = load_backbone(gft)  # usable wherever the original model is (features, TextClassifier)
    ref = load_backbone(base)
    assert not torch.allclose(body.wte.weight, ref.wte.weight)
    again = generative_finetune(base, texts, TRAINER, cache, log=lambda *_: None)
    assert again == gft and cache.hits[-1].startswith("gft/")  # cached: not retrained
    assert not any((tmp_path / "cache" / "checkpoints").glob("*"))  # the resumable state is gone once saved


def test_lora_generative_finetune_keeps_only_adapters_and_merges_them_on_load(tiny, tmp_path):
    base = ModelConfig(
        name=str(tiny["qwen2"]),
        kind="causal",
        pooling="last",
        max_length=32,
        dtype="float32",
        lora=LoraSpec(r=4, alpha=8, dropout=0.0),
    )
    gft = generative_finetune(base, _texts(), TRAINER, Cache(tmp_path / "cache"), log=lambda *_: None)
    folder = Path(gft.name)
    assert (folder / BASE_FILE).exists() and (folder / "adapter_model.safetensors").exists()
    assert not (folder / "model.safetensors").exists()  # never the frozen base
    weights = sum(f.stat().st_size for f in Path(tiny["qwen2"]).glob("*.safetensors"))
    assert (folder / "adapter_model.safetensors").stat().st_size < weights
    merged = load_backbone(gft)
    plain = load_backbone(base)
    q = "layers.0.self_attn.q_proj.weight"
    assert not torch.allclose(dict(merged.named_parameters())[q], dict(plain.named_parameters())[q])


def test_no_cache_retrains(tiny, tmp_path, monkeypatch):
    import repro.generative as g

    base = ModelConfig(name=str(tiny["gpt2"]), kind="causal", pooling="last", max_length=32)
    calls = []
    real = g._train
    monkeypatch.setattr(g, "_train", lambda *a, **k: calls.append(1) or real(*a, **k))
    one = TRAINER.model_copy(update={"epochs": 1})
    generative_finetune(base, _texts()[:40], one, Cache(tmp_path / "c"), log=lambda *_: None)
    generative_finetune(base, _texts()[:40], one, Cache(tmp_path / "c"), log=lambda *_: None)
    generative_finetune(base, _texts()[:40], one, Cache(tmp_path / "c", enabled=False), log=lambda *_: None)
    assert len(calls) == 2


def test_gft_learns_only_training_texts_of_the_split_and_uses_its_own_ceiling(tiny, tmp_path, monkeypatch):
    from repro import recipes
    from repro.config import load_config
    from repro.pipeline import Context

    preset = tmp_path / "p.yaml"
    model = f"{{name: {tiny['gpt2']}, kind: causal, pooling: last, max_length: 32}}"
    preset.write_text(
        f"task: {{name: sciq, path: {tiny['sciq']}, n_examples: 64, n_test: 16}}\nseeds: 1\n"
        f"finetune: true\nweak: {model}\nstrong: {model}\nladder: []\n"
        "methods: [naive_soft, gft]\n"
        "finetune_trainer: {batch_size: 8, epochs: 1, evals: 2, progress: false}\n"
        "generative_trainer: {batch_size: 8, epochs: 1, progress: false}\n"
    )
    cfg = load_config(recipes.load("burns2023").Config, preset)
    ctx = Context(cfg, Cache(tmp_path / "cache"), log=lambda *_: None)
    seen = []
    real = Context.generative_finetune

    def spy(self, m, index, trainer):
        seen.append(index.clone())
        return real(self, m, index, trainer)

    monkeypatch.setattr(Context, "generative_finetune", spy)
    res = recipes.method("burns2023").run(cfg, ctx)
    s = ctx.splits(0)
    assert len(seen) == 1 and not set(seen[0].tolist()) & set(s.test.tolist())
    assert set(seen[0].tolist()) == set(torch.cat([s.a_train, s.a_val, s.b_train, s.b_val]).tolist())
    g = res.methods["gft"]
    assert g.ceiling is not None and g.ceiling_name.endswith("+GFT") and len(g.ceiling) == 1
    assert res.methods["naive_soft"].ceiling is None


def test_gft_with_an_encoder_strong_model_is_a_one_line_config_error(tmp_path):
    from repro import recipes
    from repro.config import ConfigError, load_config

    preset = tmp_path / "p.yaml"
    preset.write_text("methods: [naive_soft, gft]\n")
    with pytest.raises(ConfigError) as e:
        load_config(recipes.load("burns2023").Config, preset)
    assert len(e.value.problems) == 1 and "strong.kind: causal" in e.value.problems[0]
