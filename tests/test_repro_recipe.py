"""burns2023 end to end on the real packaged MiniLM with a few hundred snippets: outputs, cache reuse,
kill-and-resume, and no ground truth of half B reaching a student."""

import dataclasses
import json
import os
import shutil
from pathlib import Path

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

FIXTURES = Path(__file__).parent / "fixtures" / "repro"
SMALL = (FIXTURES / "burns2023-small.yaml").read_text()
REFERENCE = FIXTURES / "burns2023-small.json"  # its committed numbers (python tools/update_repro_reference.py)
TOLERANCE = 0.01  # accuracy, absolute: 1 point, a few of ~300 test examples; same install -> identical


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
    _root, _preset, _cache, out = small
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
    _root, preset, cache, out = small
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
    _root, preset, cache, out = small
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
    _root, preset, cache, _out = small
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


def test_small_run_matches_its_committed_reference_numbers(small):
    """The numbers of a fixed small preset stay those committed in tests/fixtures/repro/burns2023-small.json
    (within TOLERANCE): a change that moves results must say so by regenerating that file."""
    _root, _preset, _cache, out = small
    doc = json.loads((out / "results.json").read_text())
    ref = json.loads(REFERENCE.read_text())
    got = {
        "weak": doc["weak"]["per_seed"],
        "ceiling": doc["ceiling"]["per_seed"],
        **{m: v["student"]["per_seed"] for m, v in doc["methods"].items()},
    }
    want = {"weak": ref["weak"], "ceiling": ref["ceiling"], **ref["students"]}
    assert set(got) == set(want)
    far = {k: (g, want[k]) for k, g in got.items() if g != pytest.approx(want[k], abs=TOLERANCE)}
    assert not far, (
        f"numbers moved beyond {TOLERANCE} from {REFERENCE.name} (got, reference): {far}; if "
        f"intended, run python tools/update_repro_reference.py and commit it"
    )


def test_coinciding_methods_are_reported_once(small, tmp_path, capsys):
    """With a balanced prior, confidence and confidence_balanced are one stage; without intermediate rungs,
    bootstrap is naive_soft. Each is printed once, and the results say which coincide."""
    _root, _preset, cache, _out = small
    p = tmp_path / "balanced.yaml"
    p.write_text(
        SMALL.replace(
            "methods: [naive_hard, naive_soft, confidence, bootstrap, oracle_stop]",
            "methods: [naive_soft, confidence, confidence_balanced, bootstrap]\n"
            "confidence: {prior: balanced}\nladder: []",
        ).replace('ladder: [{name: minilm-l6, layers: 3, label: "MiniLM[:3]"}]\n', "")
    )
    assert main(["run", "burns2023", "--preset", str(p), "--out", str(tmp_path / "o"), "--cache-dir", str(cache)]) == 0
    doc = json.loads((tmp_path / "o" / "results.json").read_text())
    assert set(doc["methods"]) == {"naive_soft", "confidence"}
    assert doc["coincide"] == {"confidence_balanced": "confidence", "bootstrap": "naive_soft"}
    table = capsys.readouterr().out
    assert "confidence_balanced" not in table
    assert "confidence_balanced is the same training stage as confidence" in (tmp_path / "o" / "results.md").read_text()
