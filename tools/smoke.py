"""Run every GPU preset end to end with tiny local models and data: the same command a GPU user types
(``python -m repro run RECIPE --preset P``, or under ``torchrun``), with ``--set`` overrides that point the
preset's models at tiny local copies of the same families and shrink the data. No hub (HF_HUB_OFFLINE=1).

    python tools/smoke.py [--device cuda|cpu] [--only RECIPE:PRESET[:finetune] ...] [--nproc N] [--work DIR]

``tools/gpu_smoke.sh`` runs it on a GPU (bf16, LoRA, and a 2-process NCCL run when 2 GPUs exist); the CPU
end-to-end tests (tests/test_repro_presets_e2e.py) run it with ``--device cpu``. Prints, per run, each stage's
log line (steps, tokens/s, peak GPU memory, checkpoint bytes) and the wall time; exits 1 if any run fails.

Tiny models (hidden 32, 2 layers; built by tools/tiny_models.py): GPT-2 (float32, as on the hub), Qwen2 (saved
in bfloat16, as Qwen ships) and BERT, sharing a word-level tokenizer trained with ``tokenizers`` on the fixture
texts. Data: SciQ-format JSONL (``train.jsonl``, ``test.jsonl``) with distinct questions, so test never overlaps
training.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import yaml
from tiny_models import SPECIALS, tiny_model, word_tokenizer

ROOT = Path(__file__).resolve().parents[1]
PRESETS_DIR = ROOT / "repro" / "recipes"
RUNS = [
    "burns2023:gpt2",
    "burns2023:gpt2:finetune",
    "burns2023:qwen25",
    "lang2025debate:paper",
    "guo2024reliability:lm",
    "burns2023:default:finetune",
]
SUBJECTS = [
    "water",
    "light",
    "plant",
    "cell",
    "energy",
    "heat",
    "rock",
    "cloud",
    "river",
    "metal",
    "sound",
    "magnet",
    "animal",
    "seed",
    "moon",
    "star",
]
ASKS = ["what", "which", "where", "why", "how"]
VERBS = ["makes", "needs", "moves", "holds", "changes", "forms", "stores", "carries"]


# ---- tiny data and models --------------------------------------------------------------------------------------
def _sciq_rows(n: int, offset: int, rng: random.Random) -> list[dict]:
    rows = []
    for i in range(offset, offset + n):
        s, v = SUBJECTS[i % len(SUBJECTS)], VERBS[(i // len(SUBJECTS)) % len(VERBS)]
        q = f"{ASKS[i % len(ASKS)]} {v} the {s} number {i}"
        wrong = rng.sample([w for w in SUBJECTS if w != s], 3)
        rows.append(
            {
                "question": q,
                "correct_answer": s,
                "distractor1": wrong[0],
                "distractor2": wrong[1],
                "distractor3": wrong[2],
                "support": "",
            }
        )
    return rows


def make_data(folder: Path, n_train: int = 80, n_test: int = 40) -> Path:
    """SciQ-format JSONL: distinct questions in train and test."""
    rng = random.Random(0)
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train", _sciq_rows(n_train, 0, rng)), ("test", _sciq_rows(n_test, n_train, rng))):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder


def _corpus() -> list[str]:
    words = SUBJECTS + ASKS + VERBS + [str(i) for i in range(200)]
    prompts = [
        "q",
        "a",
        "the",
        "number",
        "claim",
        "answer",
        "is",
        "correct",
        "wrong",
        "argue",
        "that",
        "your",
        "opponent",
        "says",
        "and",
        "attack",
        "their",
        "argument",
        "you",
        "said",
        "replied",
        "rebut",
        "them",
        "debater",
        "b",
        "review",
        "fresh",
        "positive",
        "this",
        "a",
        "movie",
        "film",
        "great",
        "bad",
    ]
    return [" ".join(words + prompts)]


def make_models(root: Path) -> dict[str, Path]:
    """Tiny GPT-2, Qwen2 (bf16 weights) and BERT, hidden 32 and 2 layers, each with the shared word-level
    tokenizer trained on the fixture vocabulary."""
    tok = word_tokenizer(corpus=_corpus(), specials=SPECIALS, wordpiece_decoder=True)
    return {
        "gpt2": tiny_model(root / "tiny-gpt2", "gpt2", tok),
        "qwen2": tiny_model(
            root / "tiny-qwen2",
            "qwen2",
            tok,
            positions=4096,
            num_key_value_heads=1,
            tie_word_embeddings=True,
            dtype="bfloat16",
        ),
        "bert": tiny_model(root / "tiny-bert", "bert", tok),
    }


def make_fixtures(work: Path) -> dict[str, Path]:
    if (work / "tiny" / ".complete").exists():
        paths = {n: work / "tiny" / f"tiny-{n}" for n in ("gpt2", "qwen2", "bert")}
    else:
        paths = make_models(work / "tiny")
        make_data(work / "tiny" / "sciq")
        (work / "tiny" / ".complete").write_text("ok\n")
    return {**paths, "sciq": work / "tiny" / "sciq"}


# ---- preset overrides --------------------------------------------------------------------------------------------
def _tiny_for(model: dict, tiny: dict[str, Path], update: dict | None = None) -> dict:
    """The preset's model entry with its weights replaced by the tiny model of the same family (and the
    nested fields of ``update`` changed, e.g. ``{"lora": {"dropout": 0.0}}`` where the entry has LoRA)."""
    name = model["name"].lower()
    family = "gpt2" if "gpt2" in name else "qwen2" if "qwen" in name else "bert"
    out = {**model, "name": str(tiny[family]), "max_length": min(model.get("max_length", 64), 64)}
    for k, v in (update or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = {**out[k], **v}
        elif not isinstance(v, dict):
            out[k] = v
    return out


def overrides(
    recipe: str, preset: str, tiny: dict[str, Path], finetune: bool = False, model_update: dict | None = None
) -> list[str]:
    """``--set`` arguments that run ``recipe --preset preset`` at tiny scale, keeping every other setting."""
    data = yaml.safe_load((PRESETS_DIR / recipe / "presets" / f"{preset}.yaml").read_text(encoding="utf-8"))
    defaults = {"weak": {"name": "minilm-l6"}, "strong": {"name": "mpnet-base", "layers": 6}}
    sets: dict[str, object] = {"seeds": 1}
    for slot in ("weak", "strong"):
        sets[slot] = _tiny_for(data.get(slot, defaults[slot]), tiny, model_update)
    if "ladder" in data:
        sets["ladder"] = [_tiny_for(m, tiny, model_update) for m in data["ladder"]]
    elif recipe == "burns2023":  # the default ladder (packaged MPNet depths) -> tiny BERT depths
        sets["ladder"] = [{"name": str(tiny["bert"]), "layers": 0}, {"name": str(tiny["bert"]), "layers": 1}]
    task = data.get("task", {})
    if task.get("name", "rotten_tomatoes") == "rotten_tomatoes":
        sets["task"] = {**task, "n_examples": 60, "max_per_group": 3}
    else:  # every HF-format preset runs on the local SciQ-format files
        sets["task"] = {**task, "name": "sciq", "path": str(tiny["sciq"]), "n_examples": 64, "n_test": 16}
    if finetune or data.get("finetune"):
        sets["finetune_trainer"] = {**data.get("finetune_trainer", {}), "batch_size": 8, "progress": False}
    if "gft" in data.get("methods", []):
        sets["generative_trainer"] = {**data.get("generative_trainer", {}), "batch_size": 8, "progress": False}
    if recipe == "lang2025debate":
        d = data.get("debate", {})
        sets["debate"] = {
            **d,
            "model": str(tiny["qwen2"]),
            "generation": {**d.get("generation", {}), "max_new_tokens": 4, "batch_size": 16},
        }
        sets["ensemble"] = 2
    return [f"{k}={json.dumps(v)}" for k, v in sets.items()]  # JSON is YAML: --set parses it


def command(
    run: str, tiny: dict[str, Path], out: Path, cache: Path, nproc: int = 1, model_update: dict | None = None
) -> list[str]:
    recipe, preset, *mode = run.split(":")
    finetune = mode == ["finetune"]
    launcher = (
        [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", "-m", "repro"]
        if nproc > 1
        else [sys.executable, "-m", "repro"]
    )
    cmd = [*launcher, "run", recipe, "--preset", preset, "--out", str(out), "--cache-dir", str(cache)]
    for s in overrides(recipe, preset, tiny, finetune, model_update):
        cmd += ["--set", s]
    return cmd + (["--finetune"] if finetune else [])


def environment(device: str) -> dict[str, str]:
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        TQDM_DISABLE="1",
        COLUMNS="240",
    )  # one log line per stage
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
        env.setdefault("OMP_NUM_THREADS", "1")
    return env


def run_one(
    run: str,
    work: Path,
    device: str,
    nproc: int = 1,
    tiny: dict | None = None,
    model_update: dict | None = None,
    tag: str = "",
) -> Path:
    """Run one preset at tiny scale (``model_update``: see :func:`_tiny_for`); returns its run folder
    (results.json ...). Raises on failure."""
    tiny = tiny or make_fixtures(work)
    tag = run.replace(":", "-") + (f"-n{nproc}" if nproc > 1 else "") + tag
    out, cache = work / "runs" / tag, work / "cache" / tag
    t0 = time.perf_counter()
    proc = subprocess.run(
        command(run, tiny, out, cache, nproc, model_update),
        env=environment(device),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(
            f"{run} (nproc {nproc}) failed with exit code {proc.returncode}:\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
        )
    lines = [ln for ln in proc.stderr.splitlines() if "tokens/s" in ln]
    print(f"== {run} (device {device}, {nproc} process{'es' if nproc > 1 else ''}): {wall:.1f} s wall", flush=True)
    for ln in lines:
        print("   " + ln.strip(), flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--only", action="append", metavar="RECIPE:PRESET[:finetune]", help=f"default: {' '.join(RUNS)}")
    ap.add_argument("--nproc", type=int, default=1, help="processes per run (torchrun; NCCL on GPU, gloo on CPU)")
    ap.add_argument("--work", default=None, help="working folder (default: a fresh one under /tmp)")
    args = ap.parse_args(argv)
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            print("error: --device cuda but torch sees no GPU (use --device cpu)", file=sys.stderr)
            return 2
    import tempfile

    work = Path(args.work or tempfile.mkdtemp(prefix="w2s-smoke-"))
    tiny = make_fixtures(work)
    failed = 0
    t0 = time.perf_counter()
    for run in args.only or RUNS:
        try:
            run_one(run, work, args.device, args.nproc, tiny)
        except RuntimeError as e:
            failed += 1
            print(f"FAILED {e}", file=sys.stderr)
    print(
        f"{len(args.only or RUNS) - failed} runs passed, {failed} failed, {time.perf_counter() - t0:.0f} s; "
        f"runs in {work}/runs",
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
