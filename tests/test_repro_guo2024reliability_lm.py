"""guo2024reliability at LM scale: the `lm` preset (finetuned causal LMs, LoRA, the paper's input-side prompt
variations) end to end through the CLI, with a tiny local Qwen2 (hidden 32, 2 layers, saved with save_pretrained)
and a word-level tokenizer built offline, on small local JSONL data in SciQ's format; plus the input-side stage on
a synthetic task."""

from __future__ import annotations

import json
import random
import re

import pytest
import torch
from tiny_models import tiny_model, word_tokenizer

from repro.cache import Cache
from repro.pipeline import Context
from repro.recipes.guo2024reliability import VariationConfig
from repro.recipes.guo2024reliability import recipe as guo
from repro.recipes.guo2024reliability.variations import input_views
from repro.tasks import Task, TaskConfig

GOOD = ["water", "oxygen", "cells", "energy", "gravity", "photosynthesis"]
BAD = ["banana", "guitar", "velvet", "pencil", "tuesday", "carpet"]


def _sciq(path, n_train=90, n_test=40):
    rng = random.Random(0)
    path.mkdir()
    for split, n, off in (("train", n_train, 0), ("test", n_test, 10_000)):
        with open(path / f"{split}.jsonl", "w") as f:
            for i in range(n):
                f.write(
                    json.dumps(
                        {
                            "question": f"what matters in case {off + i} here",
                            "correct_answer": rng.choice(GOOD),
                            "distractor1": rng.choice(BAD),
                            "distractor2": rng.choice(BAD),
                            "distractor3": rng.choice(BAD),
                            "support": "",
                        }
                    )
                    + "\n"
                )


def _tiny_qwen(path, corpus: list[str]):
    tiny_model(path, "qwen2", word_tokenizer(corpus=corpus), heads=4, num_key_value_heads=2)


@pytest.mark.slow
def test_lm_preset_end_to_end_with_a_tiny_local_model(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from repro.__main__ import main
    from repro.config import load_config
    from repro.recipes import preset_path

    preset = load_config(guo.Config, preset_path("guo2024reliability", "lm"))
    data = tmp_path / "sciq"
    _sciq(data)
    rows = [json.loads(x) for f in ("train", "test") for x in (data / f"{f}.jsonl").read_text().splitlines()]
    corpus = [" ".join(str(v) for v in r.values()) for r in rows] + preset.variation.prompts + ["Q A"]
    model = tmp_path / "tiny-qwen2"
    _tiny_qwen(model, corpus)
    args = [
        "run",
        "guo2024reliability",
        "--preset",
        "lm",
        "--seeds",
        "1",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--threads",
        "1",
        "--set",
        f"task.path={data}",
        "--set",
        "task.n_examples=120",
        "--set",
        "task.n_test=40",
        "--set",
        f"weak.name={model}",
        "--set",
        f"strong.name={model}",
        "--set",
        "finetune_trainer.batch_size=8",
        "--set",
        "finetune_trainer.progress=false",
    ]
    assert main([*args, "--out", str(tmp_path / "r1")]) == 0
    doc = json.loads((tmp_path / "r1" / "results.json").read_text())
    assert doc["config"]["finetune"] is True and doc["config"]["variation"]["kind"] == "prompts"
    assert doc["config"]["variation"]["prompts"] == preset.variation.prompts  # the preset's prompts, not overridden
    assert doc["config"]["weak"]["lora"] == preset.weak.lora.model_dump()
    assert sorted(doc["methods"]) == sorted(preset.methods)
    for m in doc["methods"].values():
        assert 0.0 <= m["student"]["mean"] <= 1.0
    assert 0 < doc["extras"]["reliability.kept"]["mean"] <= 1
    md = (tmp_path / "r1" / "results.md").read_text()
    assert "finetuned backbones" in md and "Does the proposed answer correctly answer the question?" in md
    stages = {p.parent.name for p in (tmp_path / "cache" / "stages").rglob("*.pt")}
    assert {"weak", "ceiling", "student"} <= stages and "variants" not in stages  # one weak stage answers all views
    assert main([*args, "--out", str(tmp_path / "r2")]) == 0  # a rerun is served from the cache, same bytes
    assert (tmp_path / "r1" / "results.json").read_bytes() == (tmp_path / "r2" / "results.json").read_bytes()


@pytest.mark.slow
def test_lm_preset_with_bootstrap_weak_finetunes(tmp_path, monkeypatch):
    """Model-side variations at LM scale: k weak finetunes on bootstrap resamples of half A answer half B."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from repro.__main__ import main

    data = tmp_path / "sciq"
    _sciq(data)
    rows = [json.loads(x) for f in ("train", "test") for x in (data / f"{f}.jsonl").read_text().splitlines()]
    model = tmp_path / "tiny-qwen2"
    _tiny_qwen(model, [" ".join(str(v) for v in r.values()) for r in rows] + ["Q A"])
    args = [
        "run",
        "guo2024reliability",
        "--preset",
        "lm",
        "--seeds",
        "1",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--threads",
        "1",
        "--set",
        f"task.path={data}",
        "--set",
        "task.n_examples=120",
        "--set",
        "task.n_test=40",
        "--set",
        f"weak.name={model}",
        "--set",
        f"strong.name={model}",
        "--set",
        "finetune_trainer.batch_size=8",
        "--set",
        "finetune_trainer.progress=false",
        "--set",
        "variation={kind: bootstrap, k: 3}",
        "--out",
        str(tmp_path / "r"),
    ]
    assert main(args) == 0
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    assert doc["config"]["variation"]["kind"] == "bootstrap" and doc["config"]["finetune"] is True
    weak_stages = list((tmp_path / "cache" / "stages" / "weak").glob("*.pt"))
    assert len(weak_stages) == 1 + 3  # the weak supervisor and k bootstrap finetunes
    assert "weak finetunes trained on bootstrap resamples" in (tmp_path / "r" / "results.md").read_text()


# ---- the input-side stage on a synthetic task (heads on injected features: fast) ---------------------------------
PROMPTS = ["{text} plain", "{text} swapped", "{text} reworded"]


def _features(base: torch.Tensor):
    def feats(cfgs, texts=None):
        out = []
        for _ in cfgs:
            rows = []
            for t in texts:
                i = int(re.search(r"text (\d+)", t).group(1))
                shift = PROMPTS.index("{text}" + t.split(f"text {i}", 1)[1]) if " " in t.split(f"text {i}", 1)[1] else 0
                rows.append(base[i] + 0.7 * shift * torch.sin(torch.arange(base.shape[1]) + i))
            out.append({"x": torch.stack(rows), "params": 1})
        return out

    return feats


def _ctx(tmp_path, labels, x):
    n = len(labels)
    task = Task("synthetic", [f"text {i}" for i in range(n)], labels.clone(), [f"g{i // 2}" for i in range(n)])
    from tests.test_repro_guo2024reliability import FAST_HEAD

    cfg = guo.Config(
        seeds=1,
        head=FAST_HEAD,
        task=TaskConfig(n_examples=n),
        variation=VariationConfig(kind="prompts", k=3, prompts=PROMPTS),
    )
    ctx = Context(cfg, Cache(tmp_path), task=task, log=lambda m: None)
    ctx.features = _features(x)
    return cfg, ctx


def test_input_views():
    texts = ["a b c d", "e f g h"]
    views, which = input_views(texts, VariationConfig(kind="prompts", k=2, prompts=["Q {text}", "{text} ?"]))
    assert views == [["Q a b c d", "Q e f g h"], ["a b c d ?", "e f g h ?"]] and which == [0, 1]
    views, which = input_views(texts, VariationConfig(kind="token_dropout", k=2, p=0.5))
    assert views[0] == texts and len(views) == 3 and which == [1, 2]
    with pytest.raises(ValueError, match="input-side"):
        input_views(texts, VariationConfig(kind="bootstrap"))
    with pytest.raises(ValueError, match="k=3 templates"):
        VariationConfig(kind="prompts", k=3, prompts=["{text}", "{text} ?"])
    with pytest.raises(ValueError, match="finetune"):
        guo.Config(finetune=True)  # the default perturbs frozen features: heads only
    assert guo.Config(finetune=True, variation=VariationConfig(kind="bootstrap")).finetune
    assert guo.Config(finetune=True, variation=VariationConfig(kind="token_dropout")).finetune


def test_input_side_weak_answers_every_prompt_and_never_sees_half_b(tmp_path):
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (240,), generator=g)
    x = torch.randn(240, 8, generator=g)
    x[:, 0] += 1.2 * (2 * y.float() - 1)
    cfg, ctx = _ctx(tmp_path / "a", y, x)
    s = ctx.splits(0)
    calls = []
    orig = ctx.train

    def spy(stage, model, index, targets, loss, val_index, val_targets, **kw):
        calls.append((stage, index.clone(), targets.clone(), val_targets.clone(), kw.get("texts"), kw.get("weights")))
        return orig(stage, model, index, targets, loss, val_index, val_targets, **kw)

    ctx.train = spy
    out = guo.run_seed(ctx, cfg, 0)
    (weak,) = [c for c in calls if c[0] == "weak"]
    n = len(y)
    assert weak[4] == [p.format(text=f"text {i}") for p in PROMPTS for i in range(n)]  # every view of the pool
    assert torch.equal(weak[1], s.a_train)  # trained on half A, in the first view (rows 0..n-1)
    w, variants = guo.weak_under_input_variations(ctx, cfg, s, 0)
    query = torch.cat([s.b_train, s.b_val])
    assert variants.prob.shape == (len(query), 3) and torch.equal(variants.prob[:, 0], w.prob[query])
    assert not torch.equal(variants.prob[:, 1], variants.prob[:, 0])  # another prompt, another answer
    assert 0.0 <= out["reliability"]["kept"] <= 1.0
    # flip half B's ground truth: nothing a student trains or selects on changes
    flipped = y.clone()
    flipped[query] = 1 - flipped[query]
    cfg2, ctx2 = _ctx(tmp_path / "b", flipped, x)
    calls2 = []
    orig2 = ctx2.train

    def spy2(stage, model, index, targets, loss, val_index, val_targets, **kw):
        calls2.append((stage, index.clone(), targets.clone(), val_targets.clone(), kw.get("texts"), kw.get("weights")))
        return orig2(stage, model, index, targets, loss, val_index, val_targets, **kw)

    ctx2.train = spy2
    guo.run_seed(ctx2, cfg2, 0)
    st, st2 = [c for c in calls if c[0] == "student"], [c for c in calls2 if c[0] == "student"]
    assert len(st) == len(cfg.methods) == len(st2)
    for a, b in zip(st, st2, strict=True):
        for j in (1, 2, 3):
            assert torch.equal(a[j], b[j])
