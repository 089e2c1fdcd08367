"""Tasks (packaged data, grouped splits, Hugging Face loaders on local files) and the hub-loading path of
models on tiny models created here (no network: HF_HUB_OFFLINE=1)."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest
import torch
from tiny_models import tiny_model, word_tokenizer

from repro.cache import Cache
from repro.config import LossSpec
from repro.features import extract
from repro.learners import FinetuneLearner
from repro.losses import make_loss
from repro.models import LoraSpec, ModelConfig, model_identity
from repro.tasks import TaskConfig, WeakLabelled, load_task, make_splits
from repro.trainer import TrainerConfig

# A vocabulary reads best as a line of words (as a list literal it would take one line per word).
WORDS = "the a movie film is was great good bad awful plot acting fun dull Q A yes no".split()  # noqa: SIM905


def test_rotten_tomatoes_pool_and_grouped_splits():
    task = load_task(TaskConfig(n_examples=600))
    assert len(task.texts) == 600 and len(set(task.texts)) == 600  # de-duplicated
    assert set(task.labels.tolist()) == {0, 1}
    s = make_splits(task, seed=0)
    parts = [s.a_train, s.a_val, s.b_train, s.b_val, s.test]
    groups = [{task.groups[i] for i in p.tolist()} for p in parts]
    for i in range(5):
        for j in range(i + 1, 5):
            assert not groups[i] & groups[j], "a movie crosses a split"
    assert sum(len(p) for p in parts) == 600
    assert 150 < len(s.test) < 250
    assert not torch.equal(make_splits(task, seed=1).test, s.test)


def test_weak_labelled_has_no_ground_truth_field():
    from dataclasses import fields

    assert {f.name for f in fields(WeakLabelled)} == {"index", "soft"}
    w = WeakLabelled(torch.tensor([3, 4]), torch.tensor([0.2, 0.7]))
    assert w.hard().soft.tolist() == [0.0, 1.0]


HF_ROWS = {
    "sciq": [
        {
            "question": f"q{i}",
            "correct_answer": "right",
            "distractor1": "w1",
            "distractor2": "w2",
            "distractor3": "w3",
            "support": "",
        }
        for i in range(12)
    ],
    "boolq": [{"passage": f"p{i}", "question": "is it?", "answer": bool(i % 2)} for i in range(12)],
    "cosmos_qa": [
        {
            "context": f"c{i}",
            "question": "why?",
            "answer0": "a0",
            "answer1": "a1",
            "answer2": "a2",
            "answer3": "a3",
            "label": i % 4,
        }
        for i in range(12)
    ],
    "amazon_polarity": [{"title": f"t{i}", "content": "text", "label": i % 2} for i in range(12)],
    "anli_r2": [
        {"premise": f"p{i}", "hypothesis": "h", "label": i % 3, "uid": str(i), "reason": ""} for i in range(12)
    ],
    "openbookqa": [
        {
            "question_stem": f"q{i}",
            "choices": {"text": ["right", "w1", "w2", "w3"], "label": list("ABCD")},
            "answerKey": "A",
        }
        for i in range(12)
    ],
    "quartz": [
        {"para": "p", "question": f"q{i}", "choices": {"text": ["w1", "right"], "label": ["A", "B"]}, "answerKey": "B"}
        for i in range(12)
    ],
    "hellaswag": [{"ctx": f"c{i}", "endings": ["w1", "w2", "right", "w3"], "label": "2"} for i in range(12)],
    "sst2": [{"sentence": f"s{i}", "label": i % 2} for i in range(12)],
    "cola": [{"sentence": f"s{i}", "label": i % 2} for i in range(12)],
    "paws": [{"sentence1": f"s{i}", "sentence2": "t", "label": i % 2} for i in range(12)],
}


@pytest.mark.parametrize("name", sorted(HF_ROWS))
def test_hf_task_loaders_on_local_files(tmp_path, name):
    import datasets

    rows = HF_ROWS[name]
    ds = datasets.Dataset.from_list(rows)
    # the test file holds other items than the train file (ids 100+): the loader refuses overlapping splits
    key = next(
        k
        for k in ("question_stem", "question", "passage", "context", "title", "premise", "ctx", "sentence", "sentence1")
        if k in rows[0]
    )
    test_ds = datasets.Dataset.from_list([{**r, key: r[key][0] + str(100 + i)} for i, r in enumerate(rows)])
    if name == "boolq":  # one as JSONL, the rest as parquet
        ds.to_json(str(tmp_path / "train.jsonl"))
        test_ds.to_json(str(tmp_path / "test.jsonl"))
    else:
        ds.to_parquet(str(tmp_path / "train.parquet"))
        test_ds.to_parquet(str(tmp_path / "test.parquet"))
    task = load_task(TaskConfig(name=name, path=str(tmp_path), n_examples=12, n_test=4))
    assert len(task.texts) == 12 and int(task.test_mask.sum()) == 4
    assert set(task.labels.tolist()) <= {0, 1}
    if name in ("sciq", "openbookqa", "quartz", "hellaswag"):  # the correct answer (1) or a distractor (0)
        for t, y in zip(task.texts, task.labels.tolist(), strict=True):
            assert t.rstrip().endswith("right") == bool(y)
    if name in ("sst2", "cola", "paws"):
        for t, y in zip(task.texts, task.labels.tolist(), strict=True):
            assert y == int(t.split("\n")[0][1:]) % 2
    if name == "anli_r2":
        for t, y in zip(task.texts, task.labels.tolist(), strict=True):
            i = int(t.split("\n")[0][1:])
            assert y == int(rows[i % 100]["label"] == 0)
    if name == "cosmos_qa":
        for t, y in zip(task.texts, task.labels.tolist(), strict=True):
            i = int(t.split("\n")[0][len("Context: c") :])
            assert (t.endswith(f"a{i % 4}")) == bool(y)
    s = make_splits(task, seed=0)
    assert set(s.test.tolist()) == set(torch.nonzero(task.test_mask).flatten().tolist())


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    tok = word_tokenizer(
        WORDS,
        specials=["[PAD]", "[UNK]", "[CLS]", "[SEP]"],
        roles={"unk_token": "[UNK]", "pad_token": "[PAD]", "eos_token": "[SEP]"},
    )
    return {
        "bert": tiny_model(root / "tiny-bert", "bert", tok, hidden=16, positions=64),
        "gpt2": tiny_model(root / "tiny-gpt2", "gpt2", tok, hidden=16, positions=64),
    }


def test_local_encoder_and_causal_lm_features(tiny_models, tmp_path):
    texts = ["the movie was great", "a dull plot", "bad acting", "fun film is good"]
    cache = Cache(tmp_path)
    bert = ModelConfig(name=str(tiny_models["bert"]), dtype="float32")
    bert1 = bert.model_copy(update={"layers": 1})
    bert0 = bert.model_copy(update={"layers": 0})
    gpt = ModelConfig(name=str(tiny_models["gpt2"]), pooling="last", dtype="float32")
    feats = extract([bert, bert1, bert0, gpt], texts, cache)
    assert [f["x"].shape for f in feats] == [(4, 16)] * 4
    assert not torch.allclose(feats[0]["x"], feats[1]["x"])
    assert feats[2]["params"] < feats[1]["params"] <= feats[0]["params"]
    assert len(cache.misses) == 4
    again = Cache(tmp_path)
    feats2 = extract([bert, gpt], texts, again)
    assert len(again.hits) == 2 and not again.misses
    assert torch.equal(feats2[1]["x"], feats[3]["x"])
    # Content identity: the same folder gives the same identity, a changed weight file a new one
    ident = model_identity(bert)
    assert ident.startswith("local:") and ident == model_identity(bert)


def test_many_tasks_load_each_backbone_once_and_get_the_features_of_a_single_task_run(
    tiny_models, tmp_path, monkeypatch
):
    """A suite extracts every task's features with each backbone loaded once (not once per task), and each
    task's features are bit for bit those of extracting it alone (batches never mix tasks), cached under the
    same keys, so a single-task run reuses them."""
    import repro.features as features
    from repro.features import extract_many

    corpora = [["the movie was great", "a dull plot", "bad acting"], ["fun film is good", "the plot", "great acting"]]
    bert = ModelConfig(name=str(tiny_models["bert"]), dtype="float32", batch_size=2)
    cfgs = [
        bert,
        bert.model_copy(update={"layers": 1}),
        ModelConfig(name=str(tiny_models["gpt2"]), pooling="last", dtype="float32", batch_size=2),
    ]
    loads = []
    real = features.load_backbone
    monkeypatch.setattr(features, "load_backbone", lambda *a, **k: loads.append(1) or real(*a, **k))
    many = extract_many(cfgs, corpora, Cache(tmp_path / "many"))
    assert len(loads) == 2  # bert (both depths in one pass) and gpt2, once each for both tasks
    for texts, got in zip(corpora, many, strict=True):
        alone = extract(cfgs, texts, Cache(tmp_path / "alone"))
        assert all(torch.equal(a["x"], g["x"]) and a["params"] == g["params"] for a, g in zip(alone, got, strict=True))
    reuse = Cache(tmp_path / "many")
    extract(cfgs, corpora[1], reuse)
    assert len(reuse.hits) == 3 and not reuse.misses


def test_finetune_with_lora_on_tiny_causal_lm(tiny_models):
    texts = ["the movie was great", "a dull plot", "bad acting", "fun film is good"] * 4
    targets = torch.tensor([1.0, 0.0, 0.0, 1.0] * 4)
    cfg = ModelConfig(
        name=str(tiny_models["gpt2"]),
        pooling="last",
        lora=LoraSpec(r=2, alpha=4, dropout=0.0, target_modules=["c_attn"]),
    )
    learner = FinetuneLearner(cfg, texts, TrainerConfig(lr=0.05, epochs=8, batch_size=4, progress=False))
    fitted = learner.fit(
        torch.arange(12), targets[:12], make_loss(LossSpec()), torch.arange(12, 16), targets[12:], seed=0
    )
    p = fitted.predict(torch.arange(16))
    assert p.shape == (16,)
    assert ((p > 0.5).float() == targets).float().mean() == 1.0


def test_recipe_finetune_mode_on_tiny_local_encoder(tiny_models, tmp_path):
    """--finetune: backbones trained end to end through the same recipe, trainer and stage cache."""
    from repro.config import load_config
    from repro.pipeline import Context
    from repro.recipes.burns2023 import recipe as burns2023

    preset = tmp_path / "ft.yaml"
    bert = str(tiny_models["bert"])
    preset.write_text(
        f"task: {{n_examples: 300}}\nseeds: 1\nfinetune: true\nladder: []\nmethods: [naive_soft, confidence]\n"
        f"weak: {{name: '{bert}', layers: 1, dtype: float32}}\nstrong: {{name: '{bert}', dtype: float32}}\n"
        f"finetune_trainer: {{lr: 0.001, epochs: 1, batch_size: 16, eval_every: 5, patience: 2}}\n"
    )
    cfg = load_config(burns2023.Config, preset)
    cache = Cache(tmp_path / "cache")
    res = burns2023.run(cfg, Context(cfg, cache))
    assert set(res.methods) == {"naive_soft", "confidence"} and len(res.weak) == 1
    assert not any((tmp_path / "cache" / "checkpoints").glob("*/*"))  # a cached stage keeps no checkpoint
    again = Cache(tmp_path / "cache")
    res2 = burns2023.run(cfg, Context(cfg, again))
    assert not again.misses and res2.methods["confidence"].student == res.methods["confidence"].student
