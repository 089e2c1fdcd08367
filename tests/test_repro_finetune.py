"""Finetuning at real scale, on tiny local models (no hub): precision of the trained weights, what a
checkpoint holds and when it is deleted, ``--no-cache``, and placement under a process group."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest
import torch
from tiny_models import tiny_model, word_tokenizer

from repro.cache import Cache
from repro.config import LoraSpec, LossSpec, ModelConfig, RecipeConfig, TrainerConfig
from repro.learners import FinetuneLearner
from repro.losses import make_loss
from repro.models import LinearHead, TextClassifier
from repro.tasks import Task
from repro.trainer import Trainer, trainable_state

WORDS = ["the", "a", "movie", "film", "is", "was", "great", "good", "bad", "awful", "plot", "acting", "fun", "dull"]
TEXTS = [" ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(3 + i % 4)) for i in range(48)]
LABELS = torch.tensor([float(any(w in t.split() for w in ("great", "good", "fun"))) for t in TEXTS])


@pytest.fixture(scope="module")
def tiny_gpt2(tmp_path_factory):
    """A 2-layer GPT-2 (hidden 32) saved in bfloat16, as large checkpoints on the hub are."""
    path = tmp_path_factory.mktemp("tiny-gpt2-bf16")
    return str(tiny_model(path, "gpt2", word_tokenizer(WORDS), positions=32, dtype="bfloat16"))


def _mlp_weights(model: TextClassifier) -> torch.Tensor:
    return torch.cat([p.detach().float().flatten() for n, p in model.body.named_parameters() if ".mlp." in n])


def test_bf16_saved_model_is_finetuned_with_float32_master_weights(tiny_gpt2):
    """AdamW on bf16 weights drops updates below bf16 resolution (at the gpt2 preset's lr 1e-5, most of them)."""
    cfg = ModelConfig(name=tiny_gpt2, kind="causal", pooling="last", dtype="bfloat16", max_length=16)
    model = TextClassifier(cfg)
    assert all(p.dtype == torch.float32 for p in model.parameters() if p.requires_grad)
    before = _mlp_weights(model)
    learner = FinetuneLearner(
        cfg, TEXTS, TrainerConfig(lr=1e-5, epochs=1, batch_size=8, max_steps=6, warmup_frac=0.0, progress=False)
    )
    enc = learner._collate(learner._rows(torch.arange(48), LABELS))
    data = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "target": enc["target"]}
    res = Trainer(learner.trainer.cfg, device="cpu").fit(model, data, make_loss(LossSpec()), seed=0)
    assert res.trained_steps == 6
    moved = (_mlp_weights(model) != before).float().mean().item()
    assert moved > 0.9, f"only {moved:.1%} of the MLP weights changed"


def test_lora_checkpoint_holds_adapters_and_optimiser_only(tiny_gpt2, tmp_path):
    lora = LoraSpec(r=2, alpha=4, dropout=0.0, target_modules=["c_attn"])
    cfg = ModelConfig(name=tiny_gpt2, kind="causal", pooling="last", dtype="bfloat16", max_length=16, lora=lora)
    learner = FinetuneLearner(
        cfg,
        TEXTS,
        TrainerConfig(lr=1e-3, epochs=2, batch_size=8, eval_every=2, progress=False),
        ckpt_dir=tmp_path / "ckpt",
    )
    fitted = learner.fit(
        torch.arange(40), LABELS[:40], make_loss(LossSpec()), torch.arange(40, 48), LABELS[40:], seed=0
    )
    model = TextClassifier(cfg)
    trained = sum(v.numel() * 4 for v in trainable_state(model).values())  # adapters + head, float32
    base = sum(p.numel() * p.element_size() for p in model.body.parameters())
    size = (tmp_path / "ckpt" / "trainer.pt").stat().st_size
    # current + best trained weights + AdamW's two moments, plus pickling overhead
    assert size <= 4 * trained + 64 * 1024, (size, trained)
    assert size < base, "the frozen base model was saved"
    saved = torch.load(tmp_path / "ckpt" / "trainer.pt", weights_only=False)
    assert not any("base_layer" in k or ".mlp." in k for k in saved["model"]), "frozen weights in the checkpoint"
    assert all(v.device.type == "cpu" for v in saved["best_weights"].values())
    assert fitted.info["ckpt_bytes"] >= size  # rewritten at every evaluation, all of it counted


def _context(tiny_gpt2: str, cache: Cache):
    from repro.pipeline import Context

    cfg = RecipeConfig(
        finetune=True, finetune_trainer=TrainerConfig(lr=1e-3, epochs=1, batch_size=8, eval_every=2, progress=False)
    )
    task = Task("tiny", TEXTS, LABELS.long(), [str(i) for i in range(48)])
    logs: list[str] = []
    return Context(cfg, cache, task=task, log=logs.append), logs


def _train(ctx, tiny_gpt2):
    model = ModelConfig(name=tiny_gpt2, kind="causal", pooling="last", dtype="float32", max_length=16)
    return ctx.train(
        "weak", model, torch.arange(32), LABELS[:32], LossSpec(), torch.arange(32, 40), LABELS[32:40], seed=0
    )


def test_no_cache_retrains_every_stage(tiny_gpt2, tmp_path, monkeypatch):
    """--no-cache must not resume a finished stage from a checkpoint and report 0 steps as computed."""
    import repro.losses as losses

    calls = {"n": 0}
    original = losses.soft_cross_entropy

    def counting(*a, **kw):
        calls["n"] += 1
        return original(*a, **kw)

    monkeypatch.setattr(losses, "soft_cross_entropy", counting)
    for attempt in range(2):
        calls["n"] = 0
        ctx, _ = _context(tiny_gpt2, Cache(tmp_path, enabled=False))
        _train(ctx, tiny_gpt2)
        assert calls["n"] > 0, f"run {attempt + 1} with --no-cache trained no step"


def test_stage_checkpoint_deleted_once_cached_and_bytes_logged(tiny_gpt2, tmp_path):
    ctx, logs = _context(tiny_gpt2, Cache(tmp_path))
    st = _train(ctx, tiny_gpt2)
    assert (tmp_path / "stages" / "weak" / f"{st.key}.pt").exists()
    assert not (tmp_path / "checkpoints" / st.key).exists(), "the finished stage's checkpoint was kept"
    assert any("MiB of checkpoints written" in line and "steps trained" in line for line in logs), logs


def test_cpu_head_under_nccl_group_is_not_wrapped_in_ddp(monkeypatch):
    """NCCL cannot reduce CPU tensors ("no backend for device cpu"): a frozen-feature head trains whole on each
    rank instead (same result everywhere)."""
    from repro import dist

    monkeypatch.setattr(dist, "rank_world", lambda: (1, 2))
    monkeypatch.setattr(dist, "init", lambda: (1, 2))
    monkeypatch.setattr(dist, "backend", lambda: "nccl")
    wrapped = []
    monkeypatch.setattr(torch.nn.parallel, "DistributedDataParallel", lambda *a, **k: wrapped.append(1))
    x = torch.randn(64, 4)
    data = {"x": x, "target": (x[:, 0] > 0).float()}
    trainer = Trainer(TrainerConfig(lr=0.1, epochs=3, batch_size=16), device="cpu")
    res = trainer.fit(LinearHead(4), data, make_loss(LossSpec()), seed=0)
    assert not wrapped and res.steps == 12  # every rank sees all 64 examples per epoch


def test_gradient_checkpointing_flag_recomputes_and_gives_the_same_gradients(tiny_gpt2):
    cfg = ModelConfig(name=tiny_gpt2, kind="causal", pooling="last", max_length=16)
    learner = FinetuneLearner(cfg, TEXTS, TrainerConfig(progress=False))
    batch = learner._collate(learner._rows(torch.arange(8), LABELS[:8]))
    grads = []
    for flag in (False, True):
        torch.manual_seed(0)
        model = TextClassifier(cfg, gradient_checkpointing=flag).train()
        torch.nn.init.normal_(model.head.weight)
        assert model.body.is_gradient_checkpointing == flag
        torch.manual_seed(1)
        make_loss(LossSpec())(model(batch), batch, None).backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.body.parameters() if p.grad is not None]))
    assert grads[0].abs().sum() > 0 and torch.allclose(grads[0], grads[1], rtol=1e-4, atol=1e-5)


def _extract_on_rank(rank: int, world: int, init_file: str, model: str, root: str) -> None:
    import repro.cache as cache_mod
    import repro.features as features

    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    embedded, writes = [], []
    tokenizer = features.load_tokenizer

    def counting_tokenizer(*a, **kw):
        tok = tokenizer(*a, **kw)
        return lambda texts, **k: (embedded.extend(texts), tok(texts, **k))[1]

    features.load_tokenizer = counting_tokenizer
    opener = cache_mod.atomic_open
    cache_mod.atomic_open = lambda *a, **k: (writes.append(str(a[0])), opener(*a, **k))[1]
    try:
        cfg = ModelConfig(name=model, kind="causal", pooling="last", dtype="float32", max_length=16, batch_size=4)
        x = features.extract([cfg], TEXTS, Cache(f"{root}/cache"))[0]["x"]
        torch.save({"x": x, "embedded": embedded, "writes": writes}, f"{root}/rank{rank}.pt")
    finally:
        torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_feature_extraction_is_split_over_ranks_and_written_once(tiny_gpt2, tmp_path):
    import torch.multiprocessing as mp

    from repro.features import extract

    cfg = ModelConfig(name=tiny_gpt2, kind="causal", pooling="last", dtype="float32", max_length=16, batch_size=4)
    one = extract([cfg], TEXTS, Cache(tmp_path / "single"))[0]["x"]
    mp.spawn(_extract_on_rank, args=(2, str(tmp_path / "init"), tiny_gpt2, str(tmp_path)), nprocs=2)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in (0, 1))
    assert torch.allclose(r0["x"], one, atol=1e-5) and torch.equal(r0["x"], r1["x"])  # every rank has all
    assert sorted(r0["embedded"] + r1["embedded"]) == sorted(TEXTS) and len(r1["embedded"]) == len(TEXTS) // 2
    assert len(r0["writes"]) == 1 and not r1["writes"]  # one cache entry, from rank 0
