"""lang2025debate's `paper` preset end to end through the CLI on CPU, the code path a GPU user takes (finetuned
causal LMs with LoRA, debates from a causal LM, every baseline), with tiny local Qwen2 models (hidden 32, 2 layers)
and small local JSONL data in SciQ's format. Only sizes are overridden (models, data, seeds, tokens per turn)."""
from __future__ import annotations

import json

import pytest

from tests.test_repro_guo2024reliability_lm import _sciq, _tiny_qwen


@pytest.mark.slow
def test_paper_preset_end_to_end_with_tiny_local_models(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from repro.__main__ import main
    from repro.config import load_config
    from repro.recipes import preset_path
    from repro.recipes.lang2025debate import Config
    preset = load_config(Config, preset_path("lang2025debate", "paper"))
    data = tmp_path / "sciq"
    _sciq(data, n_train=60, n_test=24)
    rows = [json.loads(x) for f in ("train", "test") for x in (data / f"{f}.jsonl").read_text().splitlines()]
    t = preset.debate.templates
    corpus = [" ".join(str(v) for v in r.values()) for r in rows] + [
        t.system, t.example, t.opening, t.attack, t.so_far, t.rebuttal, t.transcript, preset.debate.claim,
        "Q A correct wrong Answer"]
    model = tmp_path / "tiny-qwen2"
    _tiny_qwen(model, corpus)
    args = ["run", "lang2025debate", "--preset", "paper", "--seeds", "1", "--cache-dir", str(tmp_path / "cache"),
            "--threads", "1", "--set", f"task.path={data}", "--set", "task.n_examples=84", "--set", "task.n_test=24",
            "--set", f"weak.name={model}", "--set", f"strong.name={model}", "--set", f"debate.model={model}",
            "--set", "debate.generation.max_new_tokens=6", "--set", "debate.generation.backend=transformers",
            "--set", "finetune_trainer.batch_size=8", "--set", "finetune_trainer.progress=false"]
    assert main([*args, "--out", str(tmp_path / "r1")]) == 0
    doc = json.loads((tmp_path / "r1" / "results.json").read_text())
    assert doc["config"]["finetune"] is True and doc["config"]["weak"]["lora"] == preset.weak.lora.model_dump()
    assert sorted(doc["methods"]) == sorted(preset.methods) == sorted(
        ["debate_ensemble", "finetune_ensemble", "debate_single", "single", "confidence", "product"])
    for m in doc["methods"].values():
        assert 0.0 <= m["student"]["mean"] <= 1.0
    md = (tmp_path / "r1" / "results.md").read_text()
    assert "NOT confirmed against the paper's tables" in md and "sciq 47.1 (product loss)" in md
    assert "The debate so far:" not in md  # the judge reads the transcript, not the debaters' prompts
    assert main([*args, "--out", str(tmp_path / "r2")]) == 0  # a rerun is served from the cache, same bytes
    assert (tmp_path / "r1" / "results.json").read_bytes() == (tmp_path / "r2" / "results.json").read_bytes()
