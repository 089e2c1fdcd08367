"""Results of a run: the printed table, ``results.json``, ``results.md`` and ``plot.png``. Shared by recipes.

A recipe returns a :class:`RunResult`: per seed, the weak model's and the ceiling's test accuracy and each
method's student accuracy (plus AUROC), and optionally a size ladder for the plot. Everything derived
(means, stds, PGR per seed and its mean ± std) is computed here, once, the same way for every recipe.
"""
from __future__ import annotations

import importlib.metadata
import io
import json
import math
import platform
from dataclasses import dataclass, field
from pathlib import Path

from atomicio import atomic_write
from .metrics import format_mean_std, mean_std, pgr

__all__ = ["RunResult", "MethodRuns", "summarise", "write_all", "render_table", "render_markdown", "plot"]


@dataclass
class MethodRuns:
    student: list[float]
    auroc: list[float] = field(default_factory=list)
    description: str = ""
    oracle: bool = False  # uses ground truth for selection: an ablation, not a weak-to-strong method


@dataclass
class RunResult:
    config: dict
    seeds: list[int]
    weak: list[float]
    ceiling: list[float]
    methods: dict[str, MethodRuns]
    weak_name: str = "weak"
    strong_name: str = "strong"
    ladder: list[dict] = field(default_factory=list)  # [{"model", "params", "<series>": [per seed], ...}]
    note: str = ""
    extras: dict[str, list[float]] = field(default_factory=dict)  # other per-seed metrics of a recipe


def _r(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)


def _stat(values: list[float]) -> dict:
    m, s = mean_std(values)
    return {"per_seed": [_r(v) for v in values], "mean": _r(m), "std": _r(s)}


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for d in ("torch", "transformers", "datasets", "peft", "w2s-hub"):
        try:
            out[d] = importlib.metadata.version(d)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def summarise(res: RunResult, *, recipe: str, preset: str) -> dict:
    """The ``results.json`` document of ``recipe`` run with ``preset`` (deterministic: rounded floats, sorted keys,
    no timestamps)."""
    methods = {}
    for name, m in res.methods.items():
        p = [pgr(w, s, c) for w, s, c in zip(res.weak, m.student, res.ceiling)]
        methods[name] = {"description": m.description, "oracle": m.oracle, "weak": _stat(res.weak),
                         "ceiling": _stat(res.ceiling), "student": _stat(m.student), "pgr": _stat(p),
                         "auroc": _stat(m.auroc) if m.auroc else None}
    ladder = [{k: (_stat(v) if isinstance(v, list) else v) for k, v in rung.items()} for rung in res.ladder]
    doc = {"recipe": recipe, "preset": preset, "seeds": res.seeds, "weak_model": res.weak_name,
           "strong_model": res.strong_name, "weak": _stat(res.weak), "ceiling": _stat(res.ceiling),
           "methods": methods, "ladder": ladder, "note": res.note, "config": res.config, "versions": _versions()}
    if res.extras:
        doc["extras"] = {k: _stat(v) for k, v in res.extras.items()}
    return doc


def _pm(stat: dict, pct: bool = False) -> str:
    if stat is None or stat["mean"] is None:
        return "n/a"
    return format_mean_std(stat["mean"], stat["std"], pct=pct)


def table_rows(doc: dict) -> list[list[str]]:
    rows = [["weak (" + doc["weak_model"] + ")", _pm(doc["weak"], True), "", ""],
            ["ceiling (" + doc["strong_model"] + ", ground truth)", _pm(doc["ceiling"], True), "", ""]]
    for name, m in doc["methods"].items():
        label = name + (" [oracle ablation]" if m["oracle"] else "")
        rows.append([label, _pm(m["student"], True), _pm(m["pgr"]), _pm(m["auroc"], True) if m["auroc"] else ""])
    return rows


HEADER = ["model / method", "test accuracy % (mean ± std)", "PGR (mean ± std)", "AUROC %"]


def render_table(doc: dict, console=None) -> None:
    from rich.console import Console
    from rich.table import Table
    t = Table(title=f"{doc['recipe']} ({doc['preset']}), {len(doc['seeds'])} seeds")
    for h in HEADER:
        t.add_column(h)
    from rich.markup import escape
    for r in table_rows(doc):
        t.add_row(*(escape(c) for c in r))
    (console or Console()).print(t)


def render_markdown(doc: dict) -> str:
    """A fragment (no H1) for the site: the table, then one paragraph on the setup."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r) + " |" for r in table_rows(doc)]
    out = "\n".join(lines) + "\n"
    if doc.get("note"):
        out += "\n" + doc["note"].strip() + "\n"
    return out


def plot(doc: dict) -> bytes:
    """PNG: accuracy against strong-model size along the ladder (if any), and PGR per method with error bars."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    has_ladder = bool(doc["ladder"])
    fig, axes = plt.subplots(1, 2 if has_ladder else 1, figsize=(11 if has_ladder else 6, 4.2), dpi=110)
    axes = list(axes) if has_ladder else [axes]
    if has_ladder:
        ax = axes[0]
        x = [r["params"] / 1e6 for r in doc["ladder"]]
        series = [k for k in doc["ladder"][0] if isinstance(doc["ladder"][0][k], dict)]
        for k in series:
            ys = [r[k]["mean"] * 100 if r.get(k) and r[k]["mean"] is not None else float("nan") for r in doc["ladder"]]
            es = [r[k]["std"] * 100 if r.get(k) and r[k]["std"] is not None else 0 for r in doc["ladder"]]
            ax.errorbar(x, ys, yerr=es, marker="o", capsize=3, label=k)
        ax.axhline(doc["weak"]["mean"] * 100, color="grey", ls="--", label=f"weak ({doc['weak_model']})")
        ax.set_xscale("log")
        ax.set_xticks(x)
        ax.set_xticklabels([r["model"] for r in doc["ladder"]], rotation=15, fontsize=8)
        ax.minorticks_off()
        ax.set_xlabel("strong model (parameters, log scale)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title("Accuracy along the size ladder")
        ax.legend(fontsize=8)
    ax = axes[-1]
    names = list(doc["methods"])
    means = [doc["methods"][n]["pgr"]["mean"] or 0 for n in names]
    stds = [doc["methods"][n]["pgr"]["std"] or 0 for n in names]
    colors = ["#bbbbbb" if doc["methods"][n]["oracle"] else "#4c72b0" for n in names]
    ax.bar(range(len(names)), means, yerr=stds, capsize=4, color=colors)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=20, fontsize=8)
    ax.set_ylabel("PGR (mean ± std over seeds)")
    ax.set_title("Performance gap recovered")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def write_all(doc: dict, out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    paths = [out_dir / "results.json", out_dir / "results.md", out_dir / "plot.png"]
    atomic_write(paths[0], json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    atomic_write(paths[1], render_markdown(doc))
    atomic_write(paths[2], plot(doc))
    return paths
