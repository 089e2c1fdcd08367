"""``python -m repro list | run RECIPE [--preset NAME] [--seeds N] [--out DIR] [--finetune] | show RUN_DIR``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from rich.console import Console

    from .cache import Cache
    from .config import ModelConfig, RecipeConfig


def _err(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr)


def _parse_value(text: str) -> Any:
    return yaml.load(text, Loader=yaml.CSafeLoader)


def cmd_list(args: argparse.Namespace) -> int:
    from . import recipes

    mods = {r: recipes.load(r) for r in recipes.available()}
    rows = [(r, m.PAPER, ", ".join(recipes.presets(r)), m.TITLE) for r, m in mods.items()]
    if not sys.stdout.isatty():  # pipes and files: whole values, tab-separated, never cut to a width
        print("\t".join(("recipe", "paper", "presets", "title")))
        for row in rows:
            print("\t".join(row))
        return 0
    from rich.console import Console
    from rich.table import Table

    t = Table(title="recipes")
    t.add_column("recipe", no_wrap=True, min_width=max(len(r[0]) for r in rows))  # the id a user types
    for h in ("paper", "presets", "title"):
        t.add_column(h)
    for row in rows:
        t.add_row(*row)
    Console().print(t)
    return 0


class Env:
    def __init__(self, cache: Cache, console: Console) -> None:
        self.cache = cache
        self.console = console

    def log(self, msg: str) -> None:
        self.console.print(msg, highlight=False)


def cmd_run(args: argparse.Namespace) -> int:
    from . import recipes
    from .config import ConfigError, load_config

    try:
        mod = recipes.load(args.recipe)
    except KeyError as e:
        _err(f"{e.args[0]}")
        return 2
    path = recipes.preset_path(args.recipe, args.preset)
    if not path.exists():
        _err(f"no preset {args.preset!r} for {args.recipe} (have: {', '.join(recipes.presets(args.recipe))})")
        return 2
    overrides, origins = {}, {}
    for item in args.set or []:
        if "=" not in item:
            _err(f"--set {item!r}: expected KEY=VALUE")
            return 2
        k, v = item.split("=", 1)
        overrides[k], origins[k] = _parse_value(v), f"--set {item}"
    if args.seeds is not None:
        overrides["seeds"], origins["seeds"] = args.seeds, f"--seeds {args.seeds}"
    if args.finetune:
        overrides["finetune"], origins["finetune"] = True, "--finetune"
    try:
        cfg = load_config(mod.Config, path, overrides, origins)
    except ConfigError as e:
        for problem in e.problems:
            _err(problem)
        return 2
    warn_version_drift(args.recipe, path.stem)
    return _run(args, cfg, path)


def warn_version_drift(recipe: str, preset: str) -> None:
    """One line when the installed numerical stack differs from the one that produced the committed results of
    ``recipe`` with ``preset`` (results/<recipe>/results.json), so the numbers may not match them."""
    from .report import committed_results, version_drift

    f = committed_results(recipe)
    try:
        doc = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if doc.get("preset") == preset and (drift := version_drift(doc.get("versions", {}))):
        print(
            f"warning: installed versions differ from those of {f} ({', '.join(drift)}); numbers may differ "
            "(install with -c constraints.txt)",
            file=sys.stderr,
        )


def _writable_folder(path: Path, what: str) -> str | None:
    """Why ``path`` cannot be (created as) a writable folder, or None. Probes by creating a file, so the answer
    is the filesystem's own (read-only mounts, permissions), before any work is done."""
    import tempfile

    p = path
    while not os.path.lexists(p) and p != p.parent:
        p = p.parent
    if not p.is_dir():
        return (
            f"{what} {path}: {p} is a file, not a folder"
            if p == path
            else f"{what} {path}: {p} is a file, so no folder can be made below it"
        )
    try:
        with tempfile.TemporaryFile(dir=p):
            pass
    except OSError as e:
        return f"{what} {path}: cannot write in {p} ({e.strerror})"
    return None


def _models(node: object) -> list[ModelConfig]:
    """Every ModelConfig in a configuration (fields, lists, nested settings)."""
    from pydantic import BaseModel

    from .config import ModelConfig

    if isinstance(node, ModelConfig):
        return [node]
    if isinstance(node, BaseModel):
        return [m for k in type(node).model_fields for m in _models(getattr(node, k))]
    if isinstance(node, (list, tuple)):
        return [m for x in node for m in _models(x)]
    return []


def model_problem(name: str, revision: str | None) -> str | None:
    """Why ``name`` cannot be loaded (one line), or None: it must be a packaged id, a local folder, or a model the
    hub serves (from the local hub cache when offline)."""
    from .models import PACKAGED

    if name in PACKAGED or Path(name).is_dir():
        return None
    from huggingface_hub import constants, errors, hf_hub_download
    from huggingface_hub.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # its retry warnings would print the same failure again, in many lines
    try:
        hf_hub_download(name, "config.json", revision=revision, etag_timeout=5)
        return None
    except Exception as e:  # any reason (invalid id, not found, no network, offline and not cached): one line
        if constants.HF_HUB_OFFLINE:
            why = "offline: HF_HUB_OFFLINE=1, and not in the local hub cache"
        elif isinstance(e, (errors.RepositoryNotFoundError, errors.RevisionNotFoundError, errors.HFValidationError)):
            why = "no such model or revision on the hub"
        else:
            why = "the hub could not be reached and the model is not in the local cache"
        return (
            f"model {name!r} is neither packaged ({', '.join(PACKAGED)}), a local folder, nor reachable on the "
            f"hub ({why})"
        )
    finally:
        hf_logging.set_verbosity(level)


def preflight(cfg: RecipeConfig, out: Path, cache_root: Path) -> list[str]:
    """Everything that would fail late, checked before any work: the output and cache folders can be written,
    and every model can be found."""
    problems = [p for p in (_writable_folder(out, "--out"), _writable_folder(cache_root, "--cache-dir")) if p]
    seen = set()
    for m in _models(cfg):
        if (m.name, m.revision) not in seen:
            seen.add((m.name, m.revision))
            if why := model_problem(m.name, m.revision):
                problems.append(why)
    return problems


def _run(args: argparse.Namespace, cfg: RecipeConfig, path: Path) -> int:
    """The run itself, once arguments and configuration are known to be valid (torch is imported from here)."""
    from rich.console import Console

    from . import recipes, report
    from .cache import Cache, rank_world
    from .pipeline import Context

    console = Console(stderr=True)
    torch_threads(args.threads)
    cache = Cache(args.cache_dir, enabled=not args.no_cache)
    out = Path(args.out or Path("runs") / f"{args.recipe}-{path.stem}")
    if problems := preflight(cfg, out, cache.root):
        for p in problems:
            _err(p)
        return 2
    env = Env(cache, console)
    t0 = time.perf_counter()
    ctx = Context(cfg, cache, log=env.log)
    from .tasks import DataError

    try:
        if cfg.suite:  # many tasks: repro/suite.py runs them, repro/suite_report.py writes the files
            from .suite_report import run_and_write

            return run_and_write(args.recipe, cfg, cache, preset=path.stem, out=args.out, console=console, t0=t0)
        res = recipes.method(args.recipe).run(cfg, ctx)
    except (FileNotFoundError, DataError) as e:
        _err(f"{e}")
        return 2
    doc = report.summarise(res, recipe=args.recipe, preset=path.stem)
    if rank_world()[0] == 0:
        files = report.write_all(
            doc, out, curves=res.curves or report.curve_rows(ctx.trained), weak_labels=res.weak_labels
        )
        report.render_table(doc, Console())
        console.print(
            f"wrote {', '.join(str(f) for f in files)}; {time.perf_counter() - t0:.1f} s; "
            f"cache: {len(cache.hits)} hits, {len(cache.misses)} computed ({cache.root})",
            highlight=False,
        )
    return 0


def torch_threads(n: int | None) -> None:
    import torch

    torch.set_num_threads(n or max(1, min(os.cpu_count() or 1, 16)))


def cmd_show(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .report import render_table

    p = Path(args.run_dir)
    f = p / "results.json" if p.is_dir() else p
    try:
        doc = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        _err(f"{f}: cannot read results ({e})")
        return 2
    from .report import upgrade, version_drift

    doc = upgrade(doc)
    if drift := version_drift(doc.get("versions", {})):
        print(
            f"warning: {f} was produced with other versions than installed ({', '.join(drift)}); a rerun may "
            "give other numbers",
            file=sys.stderr,
        )
    render_table(doc, Console())
    if doc.get("note"):
        Console().print(doc["note"], highlight=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m repro", description="Reproduce weak-to-strong methods.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="recipes and their presets")
    r = sub.add_parser("run", help="run a recipe")
    r.add_argument("recipe")
    r.add_argument("--preset", default="default", help="preset name in repro/recipes/RECIPE/presets/ or a YAML path")
    r.add_argument("--seeds", type=int, help="number of seeds (overrides the preset)")
    r.add_argument("--out", help="run directory (default runs/RECIPE-PRESET)")
    r.add_argument("--finetune", action="store_true", help="finetune backbones instead of frozen features + heads")
    r.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="override a config key, e.g. task.n_examples=600"
    )
    r.add_argument("--cache-dir", help="cache root (default $W2S_CACHE or ~/.cache/w2s-hub)")
    r.add_argument("--no-cache", action="store_true", help="recompute every stage (results are not stored)")
    r.add_argument("--threads", type=int, help="torch CPU threads (default: all cores)")
    s = sub.add_parser("show", help="print the table of a finished run")
    s.add_argument("run_dir")
    from .data_cli import add_parser as add_data_parser
    from .data_cli import cmd_data

    add_data_parser(sub)
    args = ap.parse_args(argv)
    return {"list": cmd_list, "run": cmd_run, "show": cmd_show, "data": cmd_data}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
