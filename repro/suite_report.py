"""The suite's files: ``results.json`` (the :func:`repro.suite.summarise_suite` document), ``results.md``, the PGR
plot (one point per task per method, the median with its interval) and the ladder per task, plus each task's own
single-run files under ``tasks/<task>/`` (written by :mod:`repro.report`, as a single-task run writes them).

``REFERENCES`` holds the published medians a recipe's suite is compared with (one place), each with why our
setting differs; results.md puts them beside ours.
"""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path
from typing import TYPE_CHECKING

from atomicio import atomic_write

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from rich.console import Console

    from .cache import Cache
    from .config import RecipeConfig
    from .suite import SuiteRun

__all__ = ["REFERENCES", "fmt_pgr", "plot_ladders", "plot_pgr", "render_markdown", "run_and_write", "write_suite"]

# recipe -> [(source, method label there, median PGR, our method, how it was measured)]
REFERENCES: dict[str, list[tuple[str, str, float | None, str, str]]] = {
    "burns2023": [
        (
            "EleutherAI replication (blog.eleuther.ai/weak-to-strong)",
            "cross-entropy",
            0.41,
            "naive_soft",
            "21 NLP datasets, Qwen1.5-0.5B supervising Llama-3-8B, finetuned; PGR on ROC AUC",
        ),
        (
            "EleutherAI replication (blog.eleuther.ai/weak-to-strong)",
            "log-confidence loss",
            0.45,
            "confidence",
            "same setting; the only intervention that looked consistently (if slightly) ahead",
        ),
        (
            "Burns et al. (2023)",
            "naive finetuning / confidence loss",
            None,
            "",
            "22 NLP tasks, GPT-4-family students; medians are given per (weak, strong) size pair in figures, not as "
            "one number: naive PGR grows with the strong model's size, and the confidence loss helps most for the "
            "largest gaps (read their figures for the values; none are transcribed here)",
        ),
    ],
}


def why_different(doc: dict) -> str:
    """Why our medians need not match the published ones, from what this suite actually ran."""
    gaps = sorted(100 * t["gap"] for t in doc["tasks"] if t["gap"] is not None)
    mode = "finetuned" if doc["finetune"] else "logistic heads on frozen features of"
    span = f"{gaps[0]:.0f} to {gaps[-1]:.0f} accuracy points" if gaps else "unknown"
    return (
        f"Why ours differ: here the students are {mode} {doc['strong_model']} supervised by "
        f"{doc['weak_model']}, not GPT-4-family or 8B finetunes; the weak-to-ceiling gaps are {span}, so each "
        f"task's PGR is a ratio with a noisy denominator; {len(doc['tasks'])} task(s), so the median moves "
        "with a single task (the published medians are over 21-22); and our PGR is on accuracy while "
        "EleutherAI's is on ROC AUC. Compare directions (which method is ahead, and whether the intervals "
        "separate them), not levels."
    )


def fmt_pgr(p: dict) -> str:
    """A task's PGR cell: ``0.43 [0.21, 0.60]``, or "gap too small"."""
    if p.get("gap_too_small") or p.get("pgr_of_means") is None:
        return "gap too small"
    lo, hi = p["ci"]
    return f"{p['pgr_of_means']:.2f}" + (f" [{lo:.2f}, {hi:.2f}]" if lo is not None and hi is not None else "")


def _pct(stat: dict) -> str:
    return "n/a" if stat["mean"] is None else f"{100 * stat['mean']:.1f} ± {100 * (stat['std'] or 0):.1f}"


def _median_cell(m: dict) -> str:
    if m["median"] is None:
        return "no task with a large enough gap"
    lo, hi = m["ci"]
    return f"{m['median']:.2f} [{lo:.2f}, {hi:.2f}]"


def overlaps(doc: dict) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Pairs of (non-oracle) methods whose median intervals overlap, and pairs whose intervals are apart."""
    ms = {k: v for k, v in doc["medians"].items() if not v["oracle"] and v["median"] is not None}
    inside: list[tuple[str, str]] = []
    apart: list[tuple[str, str]] = []
    for a, b in itertools.combinations(ms, 2):
        (la, ha), (lb, hb) = ms[a]["ci"], ms[b]["ci"]
        (inside if la <= hb and lb <= ha else apart).append((a, b))
    return inside, apart


def render_markdown(doc: dict) -> str:
    """The suite's results.md fragment (no H1): medians, per-task table, what the intervals say, references."""
    tasks, meds = doc["tasks"], doc["medians"]
    lvl = f"{doc['confidence']:.0%}"
    out = [
        f"Suite of {len(tasks)} task(s), {len(doc['seeds'])} seeds each; weak {doc['weak_model']}, strong "
        f"{doc['strong_model']}. PGR is the PGR of the mean accuracies over seeds, with a {lvl} bootstrap "
        f"interval over seeds; a task whose ceiling does not beat the weak model by {doc['min_gap'] * 100:.0f} "
        f'point(s) says "gap too small" and is left out of the medians. The median over tasks has a {lvl} '
        "two-level bootstrap interval (tasks, then seeds within each task).",
        "",
        "### Median PGR over tasks",
        "",
        "| method | median PGR [interval] | tasks |",
        "|---|---|---|",
    ]
    for m, v in meds.items():
        out.append(f"| {m}{' (oracle ablation)' if v['oracle'] else ''} | {_median_cell(v)} | {v['n_tasks']} |")
    out += ["", "![PGR per method, one point per task](pgr.png)", "", "### Per task", ""]
    head = ["task", "n", "weak acc %", "ceiling acc %", *meds]
    out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t in tasks:
        cells = [t["name"], str(t["n"]), _pct(t["weak"]), _pct(t["ceiling"])]
        cells += [
            f"{_pct(t['methods'][m]['student'])}<br>PGR {fmt_pgr(t['methods'][m]['pgr'])}" if m in t["methods"] else ""
            for m in meds
        ]
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "Cells: student test accuracy (mean ± std over seeds), then PGR of means [interval]."]
    if any(t["ladder"] for t in tasks):
        out += ["", "![Accuracy along the size ladder, per task](ladder.png)"]
    inside, apart = overlaps(doc)
    out += ["", "### Which differences the intervals can tell apart", ""]
    if not inside and not apart:
        out.append("Fewer than two methods have a median; nothing to compare.")
    elif not apart:
        out.append(
            "Every pair of methods has overlapping median intervals: on this suite no method is reliably "
            "ahead of another (overlap is a conservative test; with more tasks the intervals shrink)."
        )
    else:
        out.append(
            "Intervals apart (a difference the suite resolves): " + "; ".join(f"{a} vs {b}" for a, b in apart) + "."
        )
        out.append("")
        out.append(
            "Intervals overlapping (inside the noise): " + ("; ".join(f"{a} vs {b}" for a, b in inside) or "none") + "."
        )
    refs = REFERENCES.get(doc["recipe"], [])
    if refs:
        out += [
            "",
            "### Beside the published medians",
            "",
            "| source | method there | their median PGR | ours (same method) | their setting |",
            "|---|---|---|---|---|",
        ]
        for src, label, value, ours, setting in refs:
            mine = _median_cell(meds[ours]) + f" ({ours})" if ours in meds else "–"
            out.append(f"| {src} | {label} | {'–' if value is None else f'{value:.2f}'} | {mine} | {setting} |")
        inside_ci = [
            f"{label} {value:.2f} ({src.split(' (')[0]})"
            for src, label, value, ours, _ in refs
            if value is not None
            and ours in meds
            and meds[ours]["median"] is not None
            and meds[ours]["ci"][0] <= value <= meds[ours]["ci"][1]
        ]
        if inside_ci:
            out += [
                "",
                "Inside our intervals: " + "; ".join(inside_ci) + ". Our intervals are wide, so agreement "
                "in level says little; a published value outside them would be a real difference.",
            ]
        out += ["", why_different(doc)]
    notes = [n for t in tasks for n in t["notes"]]
    if notes:
        out += ["", "Data notes: " + "; ".join(notes) + "."]
    if doc["missing"]:
        out += ["", "### Tasks that did not run", ""]
        out += [f"- {name}: {msg}" for name, msg in doc["missing"].items()]
    out += [
        "",
        f"Per-task tables, setup notes and plots: `tasks/<task>/`. Reproduce: `python -m repro run "
        f"{doc['recipe']} --preset {doc['preset']}`.",
    ]
    return "\n".join(out) + "\n"


def _png(fig: Figure) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def plot_pgr(doc: dict) -> bytes:
    """PGR per method: one marker per task (PGR of means), the median over tasks as a bar with its interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(doc["medians"])
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(methods) + 2), 4.4), dpi=110)
    markers = "osD^vP*Xh<>"
    for j, t in enumerate(doc["tasks"]):
        xs, ys = [], []
        for i, m in enumerate(methods):
            p = t["methods"].get(m, {}).get("pgr", {})
            if p and not p.get("gap_too_small") and p.get("pgr_of_means") is not None:
                xs.append(i + (j - (len(doc["tasks"]) - 1) / 2) * 0.06)
                ys.append(p["pgr_of_means"])
        ax.scatter(
            xs,
            ys,
            marker=markers[j % len(markers)],
            s=28,
            alpha=0.8,
            label=t["name"] if ys else f"{t['name']} (gap too small)",
        )
    for i, m in enumerate(methods):
        v = doc["medians"][m]
        if v["median"] is None:
            continue
        lo, hi = v["ci"]
        ax.errorbar(
            [i],
            [v["median"]],
            yerr=[[v["median"] - lo], [hi - v["median"]]],
            fmt="_",
            color="black",
            ms=22,
            mew=2,
            capsize=6,
            lw=1.2,
            label="median [interval]" if i == 0 else None,
        )
    ax.axhline(0, color="grey", lw=0.8)
    ax.axhline(1, color="grey", lw=0.8, ls=":")
    ax.set_xticks(range(len(methods)))
    ax.set_xticklabels(
        [m + (" (oracle)" if doc["medians"][m]["oracle"] else "") for m in methods], rotation=20, fontsize=8
    )
    ax.set_ylabel("PGR (of mean accuracies over seeds)")
    ax.set_title(f"{doc['recipe']} suite: PGR per task and median over tasks")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return _png(fig)


def plot_ladders(doc: dict) -> bytes | None:
    """Accuracy against strong-model size per task (ceiling, naive, bootstrapped), the weak model dashed."""
    tasks = [t for t in doc["tasks"] if t["ladder"]]
    if not tasks:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(3, len(tasks))
    rows = (len(tasks) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), dpi=100, squeeze=False)
    for ax, t in zip(axes.flat, tasks, strict=False):  # the grid's last row may have spare axes
        x = [r["params"] / 1e6 for r in t["ladder"]]
        for k in [k for k in t["ladder"][0] if isinstance(t["ladder"][0][k], dict)]:
            ax.plot(x, [100 * r[k]["mean"] for r in t["ladder"]], marker="o", label=k)
        ax.axhline(100 * t["weak"]["mean"], color="grey", ls="--", label="weak")
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(x)
        ax.set_xticklabels([f"{v:.0f}M" for v in x], fontsize=7)
        ax.set_title(t["name"], fontsize=9)
        ax.set_ylabel("test accuracy %", fontsize=8)
    for ax in list(axes.flat)[len(tasks) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def write_suite(doc: dict, run: SuiteRun, out_dir: Path) -> list[Path]:
    """Every file of a finished suite under ``out_dir``; returns the paths written."""
    from . import report

    out_dir = Path(out_dir)
    written = [out_dir / "results.json", out_dir / "results.md", out_dir / "pgr.png"]
    atomic_write(written[0], json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    atomic_write(written[1], render_markdown(doc))
    atomic_write(written[2], plot_pgr(doc))
    ladder = plot_ladders(doc)
    if ladder is not None:
        written.append(out_dir / "ladder.png")
        atomic_write(written[-1], ladder)
    for name, res in run.results.items():
        written += report.write_all(
            report.summarise(res, recipe=doc["recipe"], preset=f"{doc['preset']}/{name}"), out_dir / "tasks" / name
        )
    return written


def run_and_write(
    recipe: str, cfg: RecipeConfig, cache: Cache, *, preset: str, out: str | None, console: Console, t0: float
) -> int:
    """``python -m repro run`` of a suite preset: run every task, write the files (rank 0), print the medians."""
    import time

    from .cache import rank_world
    from .suite import run_suite, summarise_suite

    run = run_suite(recipe, cfg, cache, log=lambda m: console.print(m, highlight=False))
    if rank_world()[0] != 0:
        return 0
    doc = summarise_suite(run, recipe=recipe, preset=preset, cfg=cfg)
    out_dir = Path(out or Path("runs") / f"{recipe}-{preset}")
    files = write_suite(doc, run, out_dir)
    for m, v in doc["medians"].items():
        console.print(f"{m}: median PGR {_median_cell(v)} over {v['n_tasks']} task(s)", highlight=False)
    for name, msg in doc["missing"].items():
        console.print(f"task {name} did not run: {msg}", highlight=False, markup=False)
    console.print(
        f"wrote {len(files)} files under {out_dir}; {time.perf_counter() - t0:.1f} s; cache: "
        f"{len(cache.hits)} hits, {len(cache.misses)} computed ({cache.root})",
        highlight=False,
    )
    return 1 if doc["missing"] else 0
