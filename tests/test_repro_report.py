"""Reporting: PGR of means with intervals and 'gap too small', AUROC PGR, words on aggregation, coinciding
methods, the plot's labels, versions and their drift, and the CLI's checks before any work."""

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest

from repro import report
from repro.__main__ import main
from repro.report import MethodRuns, RunResult, render_markdown, summarise, table_rows

WEAK, CEIL = [0.70, 0.72, 0.68], [0.80, 0.71, 0.79]  # seed 1's gap is negative: per-seed PGR explodes there


def result(**kw) -> RunResult:
    base = dict(
        config={"min_gap": 0.01},
        seeds=[0, 1, 2],
        weak=WEAK,
        ceiling=CEIL,
        methods={
            "a": MethodRuns([0.75, 0.74, 0.74], [0.80, 0.81, 0.80]),
            "b": MethodRuns([0.79, 0.70, 0.78], [0.85, 0.84, 0.86]),
            "o": MethodRuns([0.78, 0.75, 0.77], [0.84, 0.84, 0.85], oracle=True),
        },
        weak_auroc=[0.76, 0.78, 0.75],
        ceiling_auroc=[0.88, 0.87, 0.89],
    )
    base.update(kw)
    return RunResult(**base)


def test_pgr_is_of_mean_accuracies_with_interval_and_per_seed_spread():
    doc = summarise(result(), recipe="r", preset="p")
    p = doc["methods"]["a"]["pgr"]
    w, c, s = sum(WEAK) / 3, sum(CEIL) / 3, (0.75 + 0.74 + 0.74) / 3
    assert p["pgr_of_means"] == pytest.approx((s - w) / (c - w), abs=1e-4)
    assert p["per_seed"][1] is None  # seed 1's ceiling is below weak: no number, never a flipped sign
    assert p["ci"][0] <= p["pgr_of_means"] <= p["ci"][1]
    assert "mean" not in p  # no mean of per-seed PGRs to be mistaken for the estimate
    assert doc["aggregation"]["pgr"] == "pgr_of_means"


def test_auroc_pgr_uses_weak_and_ceiling_auroc():
    doc = summarise(result(), recipe="r", preset="p")
    q = doc["methods"]["a"]["auroc_pgr"]
    w, c, s = 0.76333, 0.88, 0.80333
    assert q["pgr_of_means"] == pytest.approx((s - w) / (c - w), abs=1e-3)
    assert doc["weak_auroc"]["mean"] == pytest.approx(w, abs=1e-4)


def test_gap_below_min_gap_from_the_config_reads_gap_too_small():
    doc = summarise(result(config={"min_gap": 0.1}), recipe="r", preset="p")  # gap is 6.7 points < 10
    rows = {r[0]: r for r in table_rows(doc)}
    assert rows["a"][2] == "gap too small" and doc["methods"]["a"]["pgr"]["gap_too_small"]
    assert "min_gap: 0.1" in render_markdown(doc)
    ok = summarise(result(), recipe="r", preset="p")  # the same numbers with the default 1 point
    assert {r[0]: r for r in table_rows(ok)}["a"][2].startswith("0.")


def test_markdown_says_how_pgr_is_aggregated_and_which_differences_are_resolved():
    ceiling = [0.81, 0.83, 0.80]  # the student matches weak (PGR 0) or the ceiling (PGR 1) on every seed
    apart = result(
        methods={"low": MethodRuns(list(WEAK), [0.8] * 3), "high": MethodRuns(ceiling, [0.8] * 3)}, ceiling=ceiling
    )
    md = render_markdown(summarise(apart, recipe="r", preset="p"))
    assert "mean test accuracies over the 3 seeds" in md and "paired percentile bootstrap" in md
    assert "Resolved (intervals do not overlap): low vs high" in md
    same = result(methods={"x": MethodRuns([0.75, 0.74, 0.74]), "y": MethodRuns([0.75, 0.74, 0.75])})
    assert "lies inside their 95% intervals" in render_markdown(summarise(same, recipe="r", preset="p"))


def test_a_coinciding_method_is_reported_once_and_named():
    doc = summarise(result(coincide={"confidence_balanced": "confidence"}), recipe="r", preset="p")
    md = render_markdown(doc)
    assert "Reported once: confidence_balanced is the same training stage as confidence" in md


def test_old_results_json_is_upgraded_from_its_per_seed_lists():
    committed = json.loads((Path(__file__).parents[1] / "results" / "burns2023" / "results.json").read_text())
    doc = report.upgrade(committed)
    assert doc["versions"] == committed["versions"]
    for name, m in doc["methods"].items():
        assert m["student"]["per_seed"] == committed["methods"][name]["student"]["per_seed"]
        assert m["pgr"]["pgr_of_means"] is not None or m["pgr"]["gap_too_small"]


def test_plot_labels_the_ladder_series_counts_and_oracle_legend():
    ladder = [
        {"model": "S", "params": 22_700_000, "ceiling": [0.7] * 3, "naive_soft (weak labels)": [0.69] * 3},
        {"model": "L", "params": 110_000_000, "ceiling": [0.8] * 3, "naive_soft (weak labels)": [0.75] * 3},
    ]
    r = result(ladder=ladder)
    r.ladder = [{k: v for k, v in rung.items()} for rung in ladder]
    fig = report.figure(summarise(r, recipe="r", preset="p"))
    ladder_ax, pgr_ax = fig.axes
    assert [t.get_text() for t in ladder_ax.get_xticklabels()] == ["S\n23M", "L\n110M"]
    assert "naive_soft (weak labels)" in [t.get_text() for t in ladder_ax.get_legend().get_texts()]
    assert "oracle ablation (ground-truth selection)" in [t.get_text() for t in pgr_ax.get_legend().get_texts()]
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_a_method_with_its_own_ceiling_is_measured_against_it_and_named():
    """gft's student starts from generatively finetuned weights; its PGR uses the ceiling trained from those
    same weights, which the table shows and an upgraded document keeps."""
    g = MethodRuns(
        [0.80, 0.80, 0.80],
        [0.85, 0.85, 0.85],
        "gft",
        ceiling=[0.90, 0.90, 0.90],
        ceiling_auroc=[0.95, 0.95, 0.95],
        ceiling_name="S +GFT",
    )
    res = result(methods={"a": result().methods["a"], "gft": g})
    doc = summarise(res, recipe="r", preset="p")
    w = sum(WEAK) / 3
    assert doc["methods"]["gft"]["pgr"]["pgr_of_means"] == pytest.approx((0.80 - w) / (0.90 - w), abs=1e-4)
    assert doc["methods"]["gft"]["auroc_pgr"]["pgr_of_means"] == pytest.approx(
        (0.85 - 0.76333) / (0.95 - 0.76333), abs=1e-3
    )
    assert doc["methods"]["a"]["ceiling"]["mean"] == pytest.approx(sum(CEIL) / 3, abs=1e-4)  # the others: the run's
    labels = [r[0] for r in table_rows(doc)]
    assert labels.index("ceiling (S +GFT, ground truth; for gft)") == labels.index("gft") - 1
    again = summarise(report.result_from_doc(doc), recipe="r", preset="p")
    assert again["methods"]["gft"]["pgr"] == doc["methods"]["gft"]["pgr"]


def test_feature_progress_bar_names_the_backbone_not_one_depth_label():
    from repro.features import _bar_label

    assert _bar_label("mpnet-base", [0, 3, 6]) == "features mpnet-base (layers 0, 3, 6)"
    assert "static" not in _bar_label("/models/mpnet-base", [0, 3, None])
    assert _bar_label("/tiny/gpt2", [None, None]) == "features gpt2"  # one pass serving two models: no repeated depth


def test_feature_log_line_names_every_model_a_shared_pass_serves():
    """The log line of a pass shared by several configs names them all (by display name), not only the first."""
    from repro.config import ModelConfig
    from repro.features import _log_label

    cfgs = [
        ModelConfig(name="mpnet-base", layers=0, label="MPNet static"),
        ModelConfig(name="mpnet-base", layers=6, label="MPNet[:6]"),
    ]
    assert _log_label(cfgs, [0, 6]) == "features MPNet static, MPNet[:6] [mpnet-base (layers 0, 6)]"


def test_results_record_every_locked_version_and_drift_is_named():
    v = report.versions()
    assert set(report.locked_packages()) <= set(v) and "gguf" in report.locked_packages()
    assert report.version_drift({**v, "torch": "0.0.1"}) == [f"torch 0.0.1 -> {v['torch']}"]
    assert report.version_drift(v) == []


def test_show_and_run_warn_in_one_line_when_versions_differ(tmp_path, monkeypatch, capsys):
    doc = summarise(result(), recipe="burns2023", preset="default")
    doc["versions"]["transformers"] = "0.0.1"
    (tmp_path / "results.json").write_text(json.dumps(doc))
    assert main(["show", str(tmp_path)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "transformers 0.0.1 ->" in err[0]
    monkeypatch.setattr(report, "committed_results", lambda recipe: tmp_path / "results.json")
    from repro import __main__ as cli

    cli.warn_version_drift("burns2023", "default")
    assert "transformers 0.0.1 ->" in capsys.readouterr().err
    cli.warn_version_drift("burns2023", "gpt2")  # other preset: those committed numbers are not its numbers
    assert capsys.readouterr().err == ""


def test_setting_a_model_name_drops_the_presets_display_label(tmp_path):
    from repro.config import load_config
    from repro.recipes.burns2023 import Config, recipe  # noqa: F401

    preset = Path(__file__).parents[1] / "repro" / "recipes" / "burns2023" / "presets" / "default.yaml"
    cfg = load_config(Config, preset, {"weak.name": "gpt2"})
    assert cfg.weak.display() == "gpt2"
    kept = load_config(Config, preset, {"weak.name": "gpt2", "weak.label": "GPT-2"})
    assert kept.weak.display() == "GPT-2"


# ---- the CLI refuses what would fail late, before any work ---------------------------------------------------
@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a recipe starts running."""
    from repro import recipes

    def boom(recipe_id):
        raise AssertionError("the recipe ran before the arguments were checked")

    monkeypatch.setattr(recipes, "method", boom)


def _readonly_folder(tmp_path: Path) -> Path:
    """A folder this process cannot write in: chmod works for normal users; root ignores it, so use /sys."""
    if os.geteuid() != 0:
        d = tmp_path / "ro"
        d.mkdir()
        d.chmod(0o555)
        return d
    for cand in (Path("/sys"), Path("/proc")):
        try:
            (cand / ".w2s-probe").touch()
        except OSError:
            return cand
    pytest.fail("running as root with no read-only folder to test with")


def _one_line_error(capsys) -> str:
    text = capsys.readouterr().err
    err = [line for line in text.strip().splitlines() if not line.startswith("warning: ")]  # version drift
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in text, text
    return err[0]


@pytest.mark.parametrize("case", ["file", "below_file", "readonly"])
def test_unusable_out_fails_in_one_line_before_any_work(case, tmp_path, capsys, no_work):
    f = tmp_path / "a_file"
    f.write_text("x")
    out = {"file": f, "below_file": f / "run", "readonly": _readonly_folder(tmp_path) / "run"}[case]
    assert main(["run", "burns2023", "--out", str(out), "--cache-dir", str(tmp_path / "c")]) == 2
    line = _one_line_error(capsys)
    assert "--out" in line and str(out) in line


def test_readonly_cache_dir_fails_in_one_line_before_any_work(tmp_path, capsys, no_work):
    cache = _readonly_folder(tmp_path) / "cache"
    assert main(["run", "burns2023", "--out", str(tmp_path / "o"), "--cache-dir", str(cache)]) == 2
    assert "--cache-dir" in _one_line_error(capsys)


def test_unknown_model_is_one_line_not_a_hub_traceback(tmp_path, capsys, no_work, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # no network in tests, whatever the environment says
    assert (
        main(
            [
                "run",
                "burns2023",
                "--set",
                "weak={name: nosuchmodel}",
                "--out",
                str(tmp_path / "o"),
                "--cache-dir",
                str(tmp_path / "c"),
            ]
        )
        == 2
    )
    line = _one_line_error(capsys)
    assert "'nosuchmodel' is neither packaged" in line and "a local folder, nor reachable on the hub" in line


# ---- burns2023 method fixes -----------------------------------------------------------------------------------
class MemorisingContext:
    """A stand-in Context whose learners memorise: P(1) = the training target on examples trained on, 0.5
    elsewhere. So any label that reaches a later rung from a model's own training examples is visible."""

    def __init__(self, n: int):
        import torch

        self.n = n
        self.calls = []
        self._task = type(
            "T",
            (),
            {"groups": [f"g{i // 2}" for i in range(n)], "texts": [""] * n, "labels": torch.zeros(n, dtype=torch.long)},
        )()

    def task(self):
        return self._task

    def train(self, stage, cfg, index, targets, loss, val_index, val_targets, *, seed, upstream=(), **kw):
        import torch

        from repro.cache import fingerprint
        from repro.pipeline import Stage

        prob = torch.full((self.n,), 0.5)
        prob[index] = targets.float()
        self.calls.append((cfg.display(), index.clone(), targets.clone()))
        return Stage(fingerprint(cfg.display(), index, targets, list(upstream)), prob)


def test_bootstrap_passes_on_only_out_of_sample_labels():
    import torch

    from repro.config import ModelConfig
    from repro.recipes.burns2023 import recipe
    from repro.tasks import WeakLabelled

    ctx = MemorisingContext(40)
    train = WeakLabelled(torch.arange(0, 32), (torch.arange(32) % 3 == 0).float())  # weak labels: 0 or 1
    val = WeakLabelled(torch.arange(32, 40), torch.full((8,), 0.7))
    chain = [
        ModelConfig(name="m", label="small"),
        ModelConfig(name="m", label="mid"),
        ModelConfig(name="m", label="big"),
    ]
    recipe.bootstrap(ctx, chain, train, val, 0, "weak")
    last_name, last_index, last_targets = ctx.calls[-1]
    assert last_name == "big" and torch.equal(last_index, train.index)
    # a rung that relabelled its own training examples would pass the 0/1 weak labels straight through
    assert torch.all(last_targets == 0.5)
    small = [c for c in ctx.calls if c[0] == "small"]
    assert len(small) == 2 and not set(small[0][1].tolist()) & set(small[1][1].tolist())
    groups = ctx.task().groups
    assert not {groups[i] for i in small[0][1].tolist()} & {groups[i] for i in small[1][1].tolist()}


def test_every_preset_evaluates_at_least_ten_times_per_finetuned_stage():
    from repro import recipes
    from repro.config import load_config

    for rid in recipes.available():
        mod = recipes.load(rid)
        for name in recipes.presets(rid):
            cfg = load_config(mod.Config, recipes.preset_path(rid, name))
            t = cfg.finetune_trainer
            assert t.evals is not None and t.evals >= 10, f"{rid} --preset {name}: finetune_trainer.evals"
            if cfg.head.early_stopping:
                assert (cfg.head.trainer.evals or 0) >= 10, f"{rid} --preset {name}: head.trainer.evals"


def test_evals_spreads_evaluations_over_any_stage_length():
    import torch

    from repro.config import TrainerConfig
    from repro.models import LinearHead
    from repro.trainer import Trainer

    for n in (64, 400):  # 4 and 25 steps per epoch
        data = {"x": torch.randn(n, 3), "target": torch.rand(n)}
        fit = Trainer(TrainerConfig(lr=0.01, epochs=2, batch_size=16, evals=10), device="cpu").fit(
            LinearHead(3), data, lambda logits, b, s: logits.sum() * 0, evaluate=lambda m: {"score": 0.0}
        )
        assert sum("score" in h for h in fit.history) >= min(10, fit.steps)


def test_every_preset_header_states_command_time_memory_and_versions():
    from repro import recipes

    for rid in recipes.available():
        for name in recipes.presets(rid):
            lines = recipes.preset_path(rid, name).read_text().splitlines()
            header = "\n".join(line for line in lines[: next(i for i, x in enumerate(lines) if not x.startswith("#"))])
            for field in ("command:", "time:", "GPU memory:", "versions:"):
                assert field in header, f"{rid}/{name}.yaml header lacks {field!r}"
            assert "constraints.txt" in header
