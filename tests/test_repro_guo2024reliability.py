"""guo2024reliability: variations, the no-leakage rule, sharing with burns2023, and a real end-to-end CLI run."""

import json

import pytest
import torch

from repro.cache import Cache
from repro.config import ConfigError, LossSpec, load_config
from repro.learners import HeadConfig
from repro.losses import make_loss
from repro.pipeline import Context
from repro.recipes import preset_path
from repro.recipes.guo2024reliability import ReliabilityConfig, VariationConfig
from repro.recipes.guo2024reliability import recipe as guo
from repro.recipes.guo2024reliability.variations import bootstrap_index, feature_dropout, variant_probs, word_dropout
from repro.tasks import Task, TaskConfig
from repro.trainer import TrainerConfig

FAST_HEAD = HeadConfig(
    l2_grid=[0.1],
    trainer=TrainerConfig(lr=0.05, epochs=8, batch_size=32, warmup_frac=0.0, patience=3, max_grad_norm=None),
)


# ---- variations ---------------------------------------------------------------------------------------------
def test_feature_dropout_rate_scale_and_determinism():
    x = torch.ones(400, 50)
    d = feature_dropout(x, 0.2, seed=3)
    assert torch.equal(d, feature_dropout(x, 0.2, seed=3))
    assert not torch.equal(d, feature_dropout(x, 0.2, seed=4))
    zero = (d == 0).float().mean().item()
    assert 0.17 < zero < 0.23
    assert torch.allclose(d[d != 0], torch.full_like(d[d != 0], 1 / 0.8))
    assert torch.equal(feature_dropout(x, 0.0, seed=1), x)


def test_word_dropout_and_bootstrap_index():
    texts = ["a b c d e f g h i j", "single"]
    out = word_dropout(texts, 0.5, seed=0)
    assert out == word_dropout(texts, 0.5, seed=0) and out != word_dropout(texts, 0.5, seed=1)
    assert set(out[0].split()) < set(texts[0].split()) and out[1] == "single"  # never empty
    assert word_dropout(texts, 0.0, seed=0) == texts
    pos = bootstrap_index(100, seed=0)
    assert len(pos) == 100 and pos.min() >= 0 and pos.max() < 100 and len(set(pos.tolist())) < 100


def _synthetic(n=240, d=12, seed=0, signal=1.0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, d, generator=g)
    x[:, 0] += signal * (2 * y.float() - 1)
    return x, y


def test_variant_probs_kinds():
    x, y = _synthetic()
    a_tr, a_va, q = torch.arange(0, 100), torch.arange(100, 130), torch.arange(130, 240)
    args = (x, a_tr, y[a_tr].float(), a_va, y[a_va].float(), q)
    xent = make_loss(LossSpec())
    boot = variant_probs(*args, VariationConfig(kind="bootstrap", k=3), FAST_HEAD, xent, seed=0)
    assert boot.shape == (110, 3) and ((boot > 0) & (boot < 1)).all()
    assert not torch.allclose(boot[:, 0], boot[:, 1])  # different resamples, different heads
    # one head, no dropout: every variation answers identically
    same = variant_probs(*args, VariationConfig(kind="feature_dropout", k=3, p=0.0), FAST_HEAD, xent, seed=0)
    assert torch.allclose(same[:, 0], same[:, 2])
    drop = variant_probs(*args, VariationConfig(kind="feature_dropout", k=3, p=0.3), FAST_HEAD, xent, seed=0)
    assert not torch.allclose(drop[:, 0], drop[:, 2])
    assert torch.equal(
        drop, variant_probs(*args, VariationConfig(kind="feature_dropout", k=3, p=0.3), FAST_HEAD, xent, seed=0)
    )  # a pure function of the seed
    # variations answer like the weak model: well above chance on the query
    acc = ((boot > 0.5).long() == y[q].view(-1, 1)).float().mean().item()
    assert acc > 0.65
    with pytest.raises(ValueError):
        variant_probs(*args, VariationConfig(kind="token_dropout", k=2), FAST_HEAD, xent, seed=0)


# ---- the recipe on a synthetic task (features injected: fast, no model) ---------------------------------------
def _ctx(tmp_path, labels: torch.Tensor, xw: torch.Tensor, xs: torch.Tensor) -> Context:
    n = len(labels)
    task = Task("synthetic", [f"text {i}" for i in range(n)], labels.clone(), [f"g{i // 2}" for i in range(n)])
    ctx = Context(_cfg(task=TaskConfig(n_examples=n)), Cache(tmp_path / "cache"), task=task, log=lambda m: None)
    ctx.features = lambda cfgs, texts=None: [{"x": xw if c.name == "minilm-l6" else xs, "params": 1} for c in cfgs]
    return ctx


def _cfg(**kw):
    return guo.Config(seeds=1, head=FAST_HEAD, variation=VariationConfig(k=3, p=0.2), **kw)


def _record(ctx):
    calls = []
    orig = ctx.train

    def spy(stage, model, index, targets, loss, val_index, val_targets, **kw):
        calls.append(
            {
                "stage": stage,
                "index": index.clone(),
                "targets": targets.clone(),
                "val_index": val_index.clone(),
                "val_targets": val_targets.clone(),
                "weights": kw.get("weights"),
            }
        )
        return orig(stage, model, index, targets, loss, val_index, val_targets, **kw)

    ctx.train = spy
    return calls


def test_student_never_sees_ground_truth_of_half_b(tmp_path):
    xw, y = _synthetic(n=300, d=12, seed=1, signal=0.8)
    xs, _ = _synthetic(n=300, d=12, seed=1, signal=0.8)
    xs[:, 1] += 1.5 * (2 * y.float() - 1)  # the strong features carry more signal
    cfg = _cfg()
    ctx = _ctx(tmp_path / "a", y, xw, xs)
    s = ctx.splits(0)
    half_b = torch.cat([s.b_train, s.b_val])
    calls = _record(ctx)
    out = guo.run_seed(ctx, cfg, 0)

    flipped = y.clone()
    flipped[half_b] = 1 - flipped[half_b]  # every ground-truth label of half B inverted
    ctx2 = _ctx(tmp_path / "b", flipped, xw, xs)
    calls2 = _record(ctx2)
    out2 = guo.run_seed(ctx2, cfg, 0)

    students = [c for c in calls if c["stage"] == "student"]
    students2 = [c for c in calls2 if c["stage"] == "student"]
    assert len(students) == len(cfg.methods) == len(students2)
    for c, c2 in zip(students, students2, strict=True):  # bit-identical student inputs whatever half B's labels are
        for k in ("index", "targets", "val_index", "val_targets"):
            assert torch.equal(c[k], c2[k]), k
        assert (c["weights"] is None) == (c2["weights"] is None)
        if c["weights"] is not None:
            assert torch.equal(c["weights"], c2["weights"])
    # ... while the ceiling does see them (so the flip was real) and the evaluation-only AUROC changes
    ceil = next(c for c in calls if c["stage"] == "ceiling")
    ceil2 = next(c for c in calls2 if c["stage"] == "ceiling")
    assert torch.equal(ceil["targets"], 1 - ceil2["targets"])
    assert out["reliability"]["neg_entropy"] == pytest.approx(1 - out2["reliability"]["neg_entropy"])


def test_filter_and_reweight_data(tmp_path):
    xw, y = _synthetic(n=300, d=12, seed=2, signal=0.8)
    cfg = _cfg()
    ctx = _ctx(tmp_path, y, xw, xw)
    s = ctx.splits(0)
    weak = guo.burns.train_weak_supervisor(ctx, cfg, s, 0)
    train, _ = guo.burns.weak_labels(weak, s)
    variants = guo.query_weak_variations(ctx, cfg, s, weak, 0)
    r = guo.reliability(cfg, variants)
    data = guo.student_data(cfg, r, train)
    n = len(s.b_train)
    ent = r["entropy"][:n]
    kept, _ = data["filter"]
    threshold = torch.quantile(r["entropy"].double(), 0.5).item()  # over half B (train + val share)
    assert torch.equal(kept.index, s.b_train[ent <= threshold + 1e-9])
    zero = ent[r["keep"][:n]] == 0
    assert set(kept.soft[zero].tolist()) <= {0.0, 1.0}  # unanimous examples: hard votes (the paper's answers)
    strict = guo.student_data(
        _cfg(reliability=ReliabilityConfig(quantile=0.0)),
        guo.reliability(_cfg(reliability=ReliabilityConfig(quantile=0.0)), variants),
        train,
    )["filter"][0]
    assert 0 < len(strict.index) < n and torch.equal(strict.index, s.b_train[ent == r["entropy"].min()])
    rw, w = data["reweight"]
    unanimous = ent == 0
    assert torch.allclose(w[unanimous], torch.ones(int(unanimous.sum())))  # 5 rows of weight 1, normalised
    assert (w[~unanimous] < 1).all()
    votes, _ = data["naive_votes"]
    # reweighting pulls split examples toward their majority answer
    split = ~unanimous
    assert ((rw.soft[split] - 0.5).abs() >= (votes.soft[split] - 0.5).abs() - 1e-6).all()


def test_shares_burns2023_stages(tmp_path):
    """Same weak model, ceiling and naive/confidence students as burns2023: same cache keys, same numbers."""
    from repro.recipes.burns2023 import recipe as burns2023

    xw, y = _synthetic(n=300, d=12, seed=3, signal=0.8)
    ctx = _ctx(tmp_path, y, xw, xw)
    g = guo.run_seed(ctx, _cfg(methods=["naive_soft", "confidence"]), 0)
    hits_before = len(ctx.cache.hits)
    b = burns2023.run_seed(
        ctx, burns2023.Config(seeds=1, head=FAST_HEAD, ladder=[], methods=["naive_soft", "confidence"]), 0
    )
    assert len(ctx.cache.hits) - hits_before == 4  # weak, ceiling and both students reused
    assert g["weak"] == b["weak"] and g["ceiling"] == b["ceiling"]
    assert g["methods"] == b["methods"]


def test_preset_loads_and_rejects_typos_and_finetune(tmp_path):
    cfg = load_config(guo.Config, preset_path("guo2024reliability", "default"))
    assert cfg.variation.kind == "bootstrap_dropout" and cfg.reliability.temperature == 1.0
    assert cfg.methods == ["naive_soft", "confidence", "naive_votes", "filter", "reweight"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("seeds: 1\nreliability:\n  quantil: 0.5\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:3: reliability.quantil"):
        load_config(guo.Config, bad)
    with pytest.raises(ConfigError, match="finetun"):
        load_config(guo.Config, preset_path("guo2024reliability", "default"), {"finetune": True})


def test_default_preset_matches_burns2023_default():
    """Comparability: same task, seeds, models, heads and confidence loss as burns2023's default preset."""
    from repro.recipes.burns2023 import recipe as burns2023

    g = load_config(guo.Config, preset_path("guo2024reliability", "default"))
    b = load_config(burns2023.Config, preset_path("burns2023", "default"))
    for field in ("task", "seeds", "weak", "strong", "head", "finetune", "confidence"):
        assert getattr(g, field) == getattr(b, field), field


# ---- end to end through the CLI on the packaged MiniLM (small) ------------------------------------------------
@pytest.mark.slow
def test_cli_end_to_end_and_resume(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from repro.__main__ import main

    args = [
        "run",
        "guo2024reliability",
        "--seeds",
        "1",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--threads",
        "2",
        "--set",
        "task.n_examples=600",
        "--set",
        "strong={name: minilm-l6, layers: 3, label: small}",
        "--set",
        "variation.k=3",
        "--set",
        "head.l2_grid=[0.1]",
    ]
    assert main([*args, "--out", str(tmp_path / "r1")]) == 0
    doc = json.loads((tmp_path / "r1" / "results.json").read_text())
    assert sorted(doc["methods"]) == sorted(["naive_soft", "confidence", "naive_votes", "filter", "reweight"])
    for m in doc["methods"].values():
        assert 0.3 < m["student"]["mean"] <= 1.0
    assert "Reliability vs weak-label correctness" in (tmp_path / "r1" / "results.md").read_text()
    extras = doc["extras"]
    assert 0.0 <= extras["reliability.neg_entropy"]["mean"] <= 1.0 and 0 < extras["reliability.kept"]["mean"] <= 1
    assert main([*args, "--out", str(tmp_path / "r2")]) == 0  # all stages from the cache, same bytes
    assert (tmp_path / "r1" / "results.json").read_bytes() == (tmp_path / "r2" / "results.json").read_bytes()
