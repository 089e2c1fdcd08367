"""Cache keys, atomic stage cache, config validation, preset and recipe registries."""

import subprocess
import sys

import pytest
import torch

from repro import recipes
from repro.cache import Cache, fingerprint
from repro.config import ConfigError, LossSpec, RecipeConfig, load_config
from repro.pipeline import stage_key
from repro.recipes import preset_path

BASE = dict(
    stage="student",
    learner="head:abc",
    task="task:abc",
    index=torch.arange(10),
    targets=torch.linspace(0, 1, 10),
    loss=LossSpec(),
    val_index=torch.arange(10, 14),
    val_targets=torch.full((4,), 0.5),
    seed=0,
    weights=None,
    upstream=("weak:abc",),
)


@pytest.mark.parametrize(
    "field,other",
    [
        ("stage", "ceiling"),
        ("learner", "head:abd"),
        ("task", "task:abd"),
        ("index", torch.arange(1, 11)),
        ("targets", torch.linspace(0, 1, 10) + 1e-6),
        ("loss", LossSpec(name="confidence")),
        ("val_index", torch.arange(11, 15)),
        ("val_targets", torch.full((4,), 0.25)),
        ("seed", 1),
        ("weights", torch.ones(10)),
        ("upstream", ("weak:abd",)),
    ],
)
def test_stage_key_changes_when_any_input_changes(field, other):
    assert stage_key(**BASE) == stage_key(**dict(BASE, targets=torch.linspace(0, 1, 10)))  # content, not identity
    assert stage_key(**dict(BASE, **{field: other})) != stage_key(**BASE)


def test_fingerprint_distinguishes_types_and_values():
    assert fingerprint(1) != fingerprint(1.0)
    assert fingerprint([1, 2]) != fingerprint([2, 1])
    assert fingerprint(torch.zeros(3)) != fingerprint(torch.zeros(3, dtype=torch.float64))
    with pytest.raises(TypeError):
        fingerprint(object())


def test_stage_cache_computes_once_and_writes_atomically(tmp_path):
    cache = Cache(tmp_path)
    calls = []
    f = lambda: calls.append(1) or {"prob": torch.tensor([0.25])}  # noqa: E731
    a = cache.stage("weak", "k1", f)
    b = Cache(tmp_path).stage("weak", "k1", f)  # a new process would see the stored result
    assert calls == [1] and torch.equal(a["prob"], b["prob"])
    assert not list(tmp_path.rglob("*.tmp"))

    def boom():
        raise KeyboardInterrupt  # a run killed inside a stage leaves no entry behind

    with pytest.raises(KeyboardInterrupt):
        cache.stage("weak", "k2", boom)
    assert not cache.has("weak", "k2")


def test_every_preset_validates_against_its_recipe():
    for r in recipes.available():
        mod = recipes.load(r)
        names = recipes.presets(r)
        assert "default" in names, f"recipe {r} has no default preset"
        for p in names:
            cfg = load_config(mod.Config, preset_path(r, p))
            assert isinstance(cfg, RecipeConfig)


def test_registries_follow_the_recipe_folders_both_ways(tmp_path):
    """A folder with __init__.py is a recipe and its presets/*.yaml its presets; nothing else is listed."""
    demo = tmp_path / "demo"
    (demo / "presets").mkdir(parents=True)
    (demo / "__init__.py").write_text("")
    (demo / "presets" / "default.yaml").write_text("seeds: 1\n")
    (demo / "presets" / "big.yaml").write_text("seeds: 9\n")
    (tmp_path / "_private").mkdir()
    (tmp_path / "_private" / "__init__.py").write_text("")
    (tmp_path / "notes").mkdir()  # no __init__.py: not a recipe
    (tmp_path / "stray.py").write_text("")
    assert recipes.available(tmp_path) == ["demo"]
    assert recipes.presets("demo", tmp_path) == ["big", "default"]
    assert recipes.preset_path("demo", "big", tmp_path) == demo / "presets" / "big.yaml"
    (demo / "presets" / "big.yaml").unlink()
    (demo / "__init__.py").unlink()
    assert recipes.available(tmp_path) == [] and recipes.presets("demo", tmp_path) == ["default"]


def test_every_shipped_recipe_folder_is_a_loadable_recipe():
    assert recipes.available() == ["burns2023", "guo2024reliability", "lang2025debate"]
    for r in recipes.available():
        mod = recipes.load(r)
        assert issubclass(mod.Config, RecipeConfig) and mod.TITLE and mod.PAPER
        assert callable(recipes.method(r).run)
    with pytest.raises(KeyError, match="unknown recipe"):
        recipes.load("presets")


def test_misspelled_key_reports_file_line_and_key(tmp_path):
    mod = recipes.load("burns2023")
    bad = tmp_path / "bad.yaml"
    bad.write_text("task:\n  name: rotten_tomatoes\n  n_exampels: 10\nseeds: 2\n")
    with pytest.raises(ConfigError) as e:
        load_config(mod.Config, bad)
    msg = str(e.value)
    assert msg.startswith(f"{bad}:3: task.n_exampels:") and "\n" not in msg
    bad.write_text("seeds: 2\nconfidence:\n  prior: median\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:3: confidence.prior"):
        load_config(mod.Config, bad)
    bad.write_text("seeds: [1\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(mod.Config, bad)


def test_a_key_given_twice_in_a_preset_is_an_error_naming_its_second_line(tmp_path):
    """YAML keeps a repeated key's last value without a word, so the first setting would be silently ignored."""
    mod = recipes.load("burns2023")
    bad = tmp_path / "twice.yaml"
    bad.write_text("seeds: 2\ntask:\n  name: rotten_tomatoes\n  n_examples: 600\n  n_examples: 60\nseeds: 3\n")
    with pytest.raises(ConfigError) as e:
        load_config(mod.Config, bad)
    assert e.value.problems == [
        f"{bad}:5: task.n_examples: appears twice (the first value would be ignored)",
        f"{bad}:6: seeds: appears twice (the first value would be ignored)",
    ]


def test_list_items_and_whole_preset_problems_name_a_line(tmp_path):
    mod = recipes.load("burns2023")
    bad = tmp_path / "p.yaml"
    bad.write_text(
        "# header\nseeds: 2\nladder:\n  - {name: mpnet-base, layers: 0}\n  - {name: mpnet-base, layerz: 3}\n"
    )
    with pytest.raises(ConfigError, match=r"p.yaml:5: ladder.1.layerz"):
        load_config(mod.Config, bad)
    bad.write_text("# header\nseeds: 2\nmethods: [naive_soft, gft]\n")  # a model validator: the whole preset
    with pytest.raises(ConfigError, match=r"p.yaml:2: \(top level\):"):
        load_config(mod.Config, bad)


def test_cli_reports_config_error_as_one_line(tmp_path, capsys):
    from repro.__main__ import main

    bad = tmp_path / "x.yaml"
    bad.write_text("seedz: 3\n")
    assert main(["run", "burns2023", "--preset", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "x.yaml:1: seedz" in err and "Traceback" not in err
    assert main(["run", "no_such_recipe"]) == 2


def test_override_errors_name_the_command_line_and_every_error_is_reported(capsys):
    from repro.__main__ import main

    assert main(["run", "burns2023", "--set", "task.n_exampels=600", "--seeds", "0"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "error: command line (--set task.n_exampels=600): task.n_exampels: Extra inputs are not permitted",
        "error: command line (--seeds 0): seeds: Input should be greater than or equal to 1",
    ]


def test_preset_errors_still_name_file_and_line_beside_override_errors(tmp_path):
    mod = recipes.load("burns2023")
    bad = tmp_path / "bad.yaml"
    bad.write_text("seeds: 2\nconfidence:\n  prior: median\n")
    with pytest.raises(ConfigError) as e:
        load_config(mod.Config, bad, {"task.n_examples": 3})
    assert e.value.problems == [
        "command line (--set task.n_examples=3): task.n_examples: Input should be greater than or equal to 12",
        f"{bad}:3: confidence.prior: Input should be 'balanced', 'weak_mean' or 'rolling_median'",
    ]


def test_config_errors_are_reported_before_torch_is_imported():
    """Argument and configuration errors come back fast: nothing on that path imports torch."""
    code = (
        "import sys\nfrom repro.__main__ import main\n"
        "assert main(['run', 'burns2023', '--set', 'seedz=1']) == 2\n"
        "assert main(['run', 'lang2025debate', '--preset', 'nope']) == 2\n"
        "assert main(['run', 'guo2024reliability', '--finetune']) == 2\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_list_prints_whole_recipe_ids_when_not_a_terminal(capsys):
    from repro.__main__ import main

    assert main(["list"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert rows[0] == ["recipe", "paper", "presets", "title"]
    assert [r[0] for r in rows[1:]] == recipes.available()
    assert rows[2][:3] == ["guo2024reliability", "guo2024improving", "default, lm, suite"]


def test_partial_trainer_override_keeps_the_learners_defaults():
    """`--set finetune_trainer.batch_size=8` on the default preset changed epochs 2 -> 10 and lr 2e-5 -> 1e-3."""
    from repro.config import FINETUNE_TRAINING, HEAD_TRAINING, load_config
    from repro.recipes import preset_path
    from repro.recipes.burns2023 import Config

    cfg = load_config(
        Config, preset_path("burns2023", "default"), {"finetune_trainer.batch_size": 8, "head.trainer.epochs": 7}
    )
    assert cfg.finetune_trainer == FINETUNE_TRAINING.model_copy(update={"batch_size": 8})
    assert cfg.head.trainer == HEAD_TRAINING.model_copy(update={"epochs": 7})
