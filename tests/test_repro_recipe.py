"""burns2023 end to end on the real packaged MiniLM with a few hundred snippets: outputs, cache reuse,
kill-and-resume, and no ground truth of half B reaching a student."""
import dataclasses
import json
import os
import shutil

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest
import torch

from repro.__main__ import main
from repro.cache import Cache
from repro.config import load_config
from repro.pipeline import Context
from repro.recipes.burns2023 import recipe as burns2023

pytestmark = pytest.mark.slow

SMALL = """\
task: {name: rotten_tomatoes, n_examples: 900}
seeds: 2
weak: {name: minilm-l6, layers: 1, label: "MiniLM[:1]"}
strong: {name: minilm-l6, label: MiniLM-L6}
ladder: [{name: minilm-l6, layers: 3, label: "MiniLM[:3]"}]
methods: [naive_hard, naive_soft, confidence, bootstrap, oracle_stop]
head:
  l2_grid: [0.1, 1.0]
  trainer: {lr: 0.01, epochs: 12, batch_size: 64, warmup_frac: 0.05, patience: 4, max_grad_norm: null}
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    preset = root / "small.yaml"
    preset.write_text(SMALL)
    cache = root / "cache"
    out = root / "run"
    assert main(["run", "burns2023", "--preset", str(preset), "--out", str(out), "--cache-dir", str(cache)]) == 0
    return root, preset, cache, out


def test_run_writes_results_table_and_plot(small, capsys):
    root, preset, cache, out = small
    doc = json.loads((out / "results.json").read_text())
    assert set(doc["methods"]) == {"naive_hard", "naive_soft", "confidence", "bootstrap", "oracle_stop"}
    assert doc["methods"]["oracle_stop"]["oracle"] is True
    for m in doc["methods"].values():
        assert len(m["student"]["per_seed"]) == 2 and len(m["pgr"]["per_seed"]) == 2
        assert 0.4 < m["student"]["mean"] < 1.0
        w, c, s = (sum(m[k]["per_seed"]) / 2 for k in ("weak", "ceiling", "student"))
        if c - w >= doc["config"]["min_gap"]:  # PGR of the mean accuracies, not the mean of per-seed PGRs
            assert m["pgr"]["pgr_of_means"] == pytest.approx((s - w) / (c - w), abs=2e-3)
        else:
            assert m["pgr"]["gap_too_small"] and m["pgr"]["pgr_of_means"] is None
        assert m["auroc_pgr"] is not None and len(m["auroc"]["per_seed"]) == 2
    assert len(doc["weak_auroc"]["per_seed"]) == 2 and len(doc["ceiling_auroc"]["per_seed"]) == 2
    assert doc["ceiling"]["mean"] > 0.6 and doc["config"]["seeds"] == 2
    assert {"torch", "transformers", "tokenizers", "numpy", "scipy", "peft"} <= set(doc["versions"])
    assert [r["model"] for r in doc["ladder"]] == ["MiniLM[:3]", "MiniLM-L6"]
    md = (out / "results.md").read_text()
    assert md.startswith("| model / method") and "naive_soft" in md and not md.startswith("#")
    assert "mean test accuracies over the 2 seeds" in md and "bootstrap" in md
    curves = [json.loads(line) for line in (out / "curves.jsonl").read_text().splitlines()]
    assert {"weak", "ceiling", "student"} <= {r["stage"] for r in curves}
    assert all(r["train_loss"] is not None and r["step"] >= 1 for r in curves)
    assert any("naive_soft" in r.get("methods", []) for r in curves)
    labels = [json.loads(line) for line in (out / "weak_labels.jsonl").read_text().splitlines()]
    assert {r["split"] for r in labels} == {"b_train", "b_val"} and {r["seed"] for r in labels} == {0, 1}
    assert all(0 <= r["soft"] <= 1 and r["text"] and len(r["text_id"]) == 16 for r in labels)
    assert (out / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["show", str(out)]) == 0
    assert "confidence" in capsys.readouterr().out


def test_rerun_hits_the_cache_and_gives_identical_files(small, tmp_path):
    root, preset, cache, out = small
    before = {p: (out / p).read_bytes() for p in ("results.json", "results.md", "plot.png")}
    out2 = tmp_path / "again"
    assert main(["run", "burns2023", "--preset", str(preset), "--out", str(out2), "--cache-dir", str(cache)]) == 0
    for p, data in before.items():
        assert (out2 / p).read_bytes() == data, p
    c = Cache(cache)  # every stage entry exists: a rerun computes nothing
    cfg = load_config(burns2023.Config, preset)
    ctx = Context(cfg, c)
    burns2023.run(cfg, ctx)
    assert c.misses == [] and len(c.hits) > 10


def test_killed_run_resumes_to_identical_numbers(small, tmp_path, monkeypatch):
    root, preset, cache, out = small
    fresh = tmp_path / "cache"
    shutil.copytree(cache / "stages" / "features", fresh / "stages" / "features")  # keep extraction out of the test
    cfg = load_config(burns2023.Config, preset)
    real = Context.train
    calls = {"n": 0}

    def dying(self, *a, **kw):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt("killed")
        return real(self, *a, **kw)
    monkeypatch.setattr(Context, "train", dying)
    with pytest.raises(KeyboardInterrupt):
        burns2023.run(cfg, Context(cfg, Cache(fresh)))
    monkeypatch.setattr(Context, "train", real)
    done = {f"{p.parent.name}/{p.stem}" for p in (fresh / "stages").glob("*/*.pt") if p.parent.name != "features"}
    assert len(done) == 5 and not list(fresh.rglob("*.tmp"))
    c = Cache(fresh)
    res = burns2023.run(cfg, Context(cfg, c))
    assert done <= set(c.hits) and not done & set(c.misses)  # finished stages reused, never recomputed
    ref = json.loads((out / "results.json").read_text())
    from repro.report import summarise
    doc = json.loads(json.dumps(summarise(res, recipe="burns2023", preset=preset.stem)))
    assert doc["methods"] == ref["methods"] and doc["ladder"] == ref["ladder"]


def test_students_never_see_ground_truth_of_half_b(small, tmp_path):
    """Scramble the ground truth of half B: the ceiling changes, the weak-to-strong students cannot."""
    root, preset, cache, out = small
    cfg = load_config(burns2023.Config, preset).model_copy(update={"seeds": 1})
    base = Context(cfg, Cache(cache))
    ref = burns2023.run_seed(base, cfg, 0)
    s = base.splits(0)
    shutil.copytree(cache / "stages" / "features", tmp_path / "c2" / "stages" / "features")
    task = dataclasses.replace(base.task(), labels=base.task().labels.clone())
    b = torch.cat([s.b_train, s.b_val])
    task.labels[b] = 1 - task.labels[b]
    scrambled = Context(cfg, Cache(tmp_path / "c2"), task=task)
    assert scrambled.task_fingerprint() != base.task_fingerprint()  # nothing is reused from the cache
    got = burns2023.run_seed(scrambled, cfg, 0)
    assert got["weak"] == ref["weak"]
    assert got["ceiling"]["acc"] < ref["ceiling"]["acc"] - 0.2  # trained on flipped labels
    for m in ("naive_hard", "naive_soft", "confidence", "bootstrap"):
        assert got["methods"][m] == ref["methods"][m], m
