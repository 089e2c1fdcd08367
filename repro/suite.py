"""A recipe over many tasks: Burns et al.'s "median over datasets" result for every method.

``run_suite`` runs the recipe once per task of ``cfg.suite`` (each with its own :class:`Context`, sharing one
cache, so a task's features and stages are the same cache entries as a single-task run of it: the suite's
Rotten Tomatoes work is the default preset's). A task whose data cannot be had is kept, by name, with the
command that fetches it; it is never dropped silently. ``summarise_suite`` aggregates as the field does
(:mod:`repro.metrics`): per task and method the PGR of mean accuracies over seeds with a bootstrap interval,
"gap too small" when the ceiling does not beat the weak model; per method the median over tasks with a
two-level (tasks, then seeds) bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .config import RecipeConfig, TaskConfig
from .metrics import CONFIDENCE, TaskRuns, mean_std, median_pgr, pgr_summary
from .report import rounded, seed_stat

if TYPE_CHECKING:
    from .cache import Cache

__all__ = ["INHERITED", "SuiteRun", "run_suite", "suite_tasks", "summarise_suite"]

INHERITED = ("n_examples", "n_test", "data_seed", "val_frac")  # from cfg.task unless a suite entry sets them


def suite_tasks(cfg: RecipeConfig) -> list[TaskConfig]:
    """The suite's task configs, each completed with ``cfg.task``'s size and seed settings it does not set."""
    out = []
    for entry in cfg.suite:
        data = {**{k: getattr(cfg.task, k) for k in INHERITED}, **entry.model_dump(exclude_unset=True)}
        out.append(TaskConfig.model_validate(data))
    return out


@dataclass
class SuiteRun:
    results: dict = field(default_factory=dict)  # task name -> RunResult
    sizes: dict = field(default_factory=dict)  # task name -> pool size
    notes: dict = field(default_factory=dict)  # task name -> the loader's notes
    missing: dict = field(default_factory=dict)  # task name -> why it could not run (with the fetch command)


def run_suite(recipe: str, cfg: RecipeConfig, cache: Cache, log: Callable[[str], None] = print) -> SuiteRun:
    from . import recipes
    from .data_fetch import DataUnavailable
    from .pipeline import Context

    method = recipes.method(recipe)
    run = SuiteRun()
    tasks = suite_tasks(cfg)
    ready = []
    for tcfg in tasks:
        sub = cfg.model_copy(update={"task": tcfg, "suite": []})
        ctx = Context(sub, cache, log=log)
        try:
            task = ctx.task()
        except DataUnavailable as e:
            run.missing[tcfg.name] = str(e)
            log(f"task {tcfg.name}: skipped: {e}")
            continue
        run.sizes[tcfg.name], run.notes[tcfg.name] = len(task.texts), list(task.notes)
        ready.append((tcfg, sub, ctx))
    if not cfg.finetune and hasattr(method, "backbones"):  # each backbone loaded once for every task
        Context.prefetch_features([ctx for _, _, ctx in ready], method.backbones(cfg))
    for i, (tcfg, sub, ctx) in enumerate(ready, 1):
        log(f"[{i}/{len(ready)}] task {tcfg.name}")
        run.results[tcfg.name] = method.run(sub, ctx)
    return run


def summarise_suite(run: SuiteRun, *, recipe: str, preset: str, cfg: RecipeConfig) -> dict:
    """The suite's ``results.json`` document (deterministic: rounded floats, no timestamps)."""
    tasks: list[dict] = []
    per_method: dict[str, dict] = {}
    first = None
    for name, res in run.results.items():
        first = first or res
        methods = {}
        for m, runs in res.methods.items():
            ceiling = res.ceiling_of(m)[0]
            s = pgr_summary(res.weak, runs.student, ceiling, min_gap=cfg.min_gap)
            methods[m] = {
                "student": seed_stat(runs.student),
                "pgr": s.as_dict(),
                "auroc": seed_stat(runs.auroc) if runs.auroc else None,
            }
            if runs.ceiling is not None:
                methods[m]["ceiling"] = seed_stat(ceiling)
            per_method.setdefault(m, {"runs": [], "oracle": runs.oracle, "description": runs.description})
            per_method[m]["runs"].append(TaskRuns(res.weak, runs.student, ceiling))
        ladder = [{k: (seed_stat(v) if isinstance(v, list) else v) for k, v in rung.items()} for rung in res.ladder]
        tasks.append(
            {
                "name": name,
                "n": run.sizes.get(name),
                "notes": run.notes.get(name, []),
                "weak": seed_stat(res.weak),
                "ceiling": seed_stat(res.ceiling),
                "gap": rounded(mean_std(res.ceiling)[0] - mean_std(res.weak)[0]),
                "methods": methods,
                "ladder": ladder,
            }
        )
    medians = {}
    for m, d in per_method.items():
        med, lo, hi, k = median_pgr(d["runs"], min_gap=cfg.min_gap)
        medians[m] = {
            "median": rounded(med),
            "ci": [rounded(lo), rounded(hi)],
            "n_tasks": k,
            "oracle": d["oracle"],
            "description": d["description"],
        }
    return {
        "recipe": recipe,
        "preset": preset,
        "seeds": list(range(cfg.seeds)),
        "weak_model": first.weak_name if first else None,
        "strong_model": first.strong_name if first else None,
        "min_gap": cfg.min_gap,
        "confidence": CONFIDENCE,
        "tasks": tasks,
        "medians": medians,
        "missing": dict(sorted(run.missing.items())),
        "finetune": cfg.finetune,
        "config": cfg.model_dump(mode="json"),
    }
