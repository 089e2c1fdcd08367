"""Results of a run: the printed table, ``results.json``, ``results.md``, ``plot.png`` and the run's inspectable
outputs (``curves.jsonl``, ``weak_labels.jsonl``). Shared by recipes.

A recipe returns a :class:`RunResult`: per seed, the weak model's and the ceiling's test accuracy and AUROC and
each method's student accuracy and AUROC, optionally a size ladder for the plot. Everything derived is computed
here, once, the same way for every recipe, with :func:`repro.metrics.pgr_summary`: PGR of the mean accuracies
over seeds with a paired bootstrap interval, per-seed PGR only as a spread, and "gap too small" when the ceiling
does not beat the weak model by ``min_gap`` (from the run config). AUROC-based PGR is the same on test AUROC.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import json
import math
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from atomicio import atomic_write

from .metrics import CONFIDENCE, GAP_TOO_SMALL, MIN_GAP, N_RESAMPLES, format_mean_std, mean_std, pgr_summary

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from rich.console import Console

__all__ = [
    "OUTPUT_FILES",
    "MethodRuns",
    "RunResult",
    "committed_results",
    "curve_rows",
    "locked_packages",
    "plot",
    "render_markdown",
    "render_table",
    "result_from_doc",
    "summarise",
    "upgrade",
    "version_drift",
    "versions",
    "weak_label_rows",
    "write_all",
]

LOCK = Path(__file__).resolve().parents[1] / "constraints.txt"
OUTPUT_FILES = ("results.json", "results.md", "plot.png")  # plus curves.jsonl and weak_labels.jsonl when present


@dataclass
class MethodRuns:
    student: list[float]
    auroc: list[float] = field(default_factory=list)
    description: str = ""
    oracle: bool = False  # uses ground truth for selection: an ablation, not a weak-to-strong method
    # A method whose strong model differs from the run's (gft: generatively finetuned first) has its own ceiling,
    # trained from the same starting weights; its PGR is measured against it. None: the run's ceiling.
    ceiling: list[float] | None = None
    ceiling_auroc: list[float] | None = None
    ceiling_name: str | None = None


class _Model(Protocol):
    def display(self) -> str: ...


class SeededRun(Protocol):
    """What :meth:`RunResult.from_seeds` reads of a recipe's config."""

    @property
    def seeds(self) -> int: ...
    @property
    def weak(self) -> _Model: ...
    @property
    def strong(self) -> _Model: ...
    def model_dump(self, *, mode: str) -> dict[str, Any]: ...


@dataclass
class RunResult:
    config: dict
    seeds: list[int]
    weak: list[float]
    ceiling: list[float]
    methods: dict[str, MethodRuns]
    weak_auroc: list[float]  # test AUROC per seed: the reference points of AUROC-based PGR
    ceiling_auroc: list[float]
    weak_name: str = "weak"
    strong_name: str = "strong"
    ladder: list[dict] = field(default_factory=list)  # [{"model", "params", "<series>": [per seed], ...}]
    note: str = ""
    extras: dict[str, list[float]] = field(default_factory=dict)  # other per-seed metrics of a recipe
    coincide: dict[str, str] = field(default_factory=dict)  # method -> the reported method it is identical to
    curves: list[dict] = field(default_factory=list)  # rows of curves.jsonl (one per evaluation of a stage)
    weak_labels: list[dict] = field(default_factory=list)  # rows of weak_labels.jsonl (seed, id, split, soft)

    @classmethod
    def from_seeds(cls, cfg: SeededRun, per_seed: list[dict], methods: dict[str, MethodRuns], **more: Any) -> RunResult:
        """The result of a recipe's seeds: ``per_seed`` rows each hold ``weak`` and ``ceiling`` as
        ``{"acc", "auroc"}``; the config gives the seeds and the models' display names; ``more`` sets the other
        fields (note, ladder, extras, ...)."""
        return cls(
            config=cfg.model_dump(mode="json"),
            seeds=list(range(cfg.seeds)),
            weak=[r["weak"]["acc"] for r in per_seed],
            ceiling=[r["ceiling"]["acc"] for r in per_seed],
            weak_auroc=[r["weak"]["auroc"] for r in per_seed],
            ceiling_auroc=[r["ceiling"]["auroc"] for r in per_seed],
            methods=methods,
            weak_name=cfg.weak.display(),
            strong_name=cfg.strong.display(),
            **more,
        )

    def ceiling_of(self, method: str) -> tuple[list[float], list[float]]:
        """The ceiling (accuracy, AUROC per seed) a method's PGR is measured against: its own, else the run's."""
        m = self.methods[method]
        return (
            m.ceiling if m.ceiling is not None else self.ceiling,
            m.ceiling_auroc if m.ceiling_auroc is not None else self.ceiling_auroc,
        )


def rounded(x: float | None) -> float | None:
    """A number as the results documents store it: 4 decimals, None for missing or NaN."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)


def seed_stat(values: list[float]) -> dict:
    """Per-seed values with their mean and std, rounded: the shape of every statistic in a results document."""
    m, s = mean_std(values)
    return {"per_seed": [rounded(v) for v in values], "mean": rounded(m), "std": rounded(s)}


# ---- versions -------------------------------------------------------------------------------------------------
def locked_packages() -> list[str]:
    """The numerical stack's package names, read from constraints.txt (the one list of them)."""
    try:
        lines = LOCK.read_text(encoding="utf-8").splitlines()
    except OSError:  # an installed copy without the repository: record what is commonly there
        return ["torch", "transformers", "datasets", "peft"]
    names = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line.split("==", 1)[0].split(">", 1)[0].split("<", 1)[0].strip())
    return names


def versions() -> dict:
    """Python, every package of constraints.txt and this project, as installed now."""
    out = {"python": platform.python_version()}
    for d in [*locked_packages(), "w2s-hub"]:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[d] = importlib.metadata.version(d)
    return out


def committed_results(recipe: str) -> Path:
    """Where the committed results of a recipe live (its committed preset is the one recorded inside)."""
    return LOCK.parent / "results" / recipe / "results.json"


def version_drift(recorded: dict, installed: dict | None = None) -> list[str]:
    """``name recorded -> installed`` for each locked package whose installed version differs from ``recorded``."""
    installed = installed if installed is not None else versions()
    return [
        f"{k} {recorded[k]} -> {installed.get(k, 'not installed')}"
        for k in locked_packages()
        if k in recorded and recorded[k] != installed.get(k)
    ]


# ---- the results document -------------------------------------------------------------------------------------
def _pgr(weak: list[float], student: list[float], ceiling: list[float], min_gap: float) -> dict:
    s = pgr_summary(weak, student, ceiling, min_gap=min_gap)
    out = s.as_dict()
    out["per_seed_std"] = rounded(mean_std(s.per_seed)[1])  # spread of per-seed PGR (NaN seeds left out)
    return out


def summarise(res: RunResult, *, recipe: str, preset: str) -> dict:
    """The ``results.json`` document of ``recipe`` run with ``preset`` (deterministic: rounded floats, sorted keys,
    no timestamps)."""
    min_gap = float(res.config.get("min_gap", MIN_GAP))
    methods = {}
    for name, m in res.methods.items():
        ceiling, ceiling_auroc = res.ceiling_of(name)
        au = bool(m.auroc) and bool(res.weak_auroc) and bool(ceiling_auroc)
        methods[name] = {
            "description": m.description,
            "oracle": m.oracle,
            "weak": seed_stat(res.weak),
            "ceiling": seed_stat(ceiling),
            "student": seed_stat(m.student),
            "pgr": _pgr(res.weak, m.student, ceiling, min_gap),
            "auroc": seed_stat(m.auroc) if m.auroc else None,
            "auroc_pgr": _pgr(res.weak_auroc, m.auroc, ceiling_auroc, min_gap) if au else None,
        }
        if m.ceiling is not None:  # its own ceiling: named, with its AUROC, so the document can be re-summarised
            methods[name]["ceiling_model"] = m.ceiling_name
            methods[name]["ceiling_auroc"] = seed_stat(ceiling_auroc) if ceiling_auroc else None
    ladder = [{k: (seed_stat(v) if isinstance(v, list) else v) for k, v in rung.items()} for rung in res.ladder]
    doc = {
        "recipe": recipe,
        "preset": preset,
        "seeds": res.seeds,
        "weak_model": res.weak_name,
        "strong_model": res.strong_name,
        "weak": seed_stat(res.weak),
        "ceiling": seed_stat(res.ceiling),
        "weak_auroc": seed_stat(res.weak_auroc) if res.weak_auroc else None,
        "ceiling_auroc": seed_stat(res.ceiling_auroc) if res.ceiling_auroc else None,
        "aggregation": {
            "pgr": "pgr_of_means",
            "interval": "paired percentile bootstrap over seeds",
            "confidence": CONFIDENCE,
            "n_resamples": N_RESAMPLES,
            "min_gap": min_gap,
        },
        "coincide": dict(res.coincide),
        "methods": methods,
        "ladder": ladder,
        "note": res.note,
        "config": res.config,
        "versions": versions(),
    }
    if res.extras:
        doc["extras"] = {k: seed_stat(v) for k, v in res.extras.items()}
    return doc


def result_from_doc(doc: dict) -> RunResult:
    """The per-seed numbers of a ``results.json`` as a RunResult (to re-summarise a committed result with the
    current aggregation). Per-seed lists are all it reads; the old document's versions are not kept here."""
    per = lambda stat: list(stat["per_seed"]) if stat else []  # noqa: E731
    methods = {
        n: MethodRuns(
            per(m["student"]),
            per(m.get("auroc")),
            m.get("description", ""),
            m.get("oracle", False),
            ceiling=per(m["ceiling"]) if "ceiling_model" in m else None,
            ceiling_auroc=per(m.get("ceiling_auroc")) if "ceiling_model" in m else None,
            ceiling_name=m.get("ceiling_model"),
        )
        for n, m in doc["methods"].items()
    }
    ladder = [{k: (per(v) if isinstance(v, dict) else v) for k, v in rung.items()} for rung in doc.get("ladder", [])]
    extras = {k: per(v) for k, v in (doc.get("extras") or {}).items()}
    return RunResult(
        config=doc.get("config", {}),
        seeds=list(doc["seeds"]),
        weak=per(doc["weak"]),
        ceiling=per(doc["ceiling"]),
        methods=methods,
        weak_auroc=per(doc.get("weak_auroc")),
        ceiling_auroc=per(doc.get("ceiling_auroc")),
        weak_name=doc.get("weak_model", "weak"),
        strong_name=doc.get("strong_model", "strong"),
        ladder=ladder,
        note=doc.get("note", ""),
        extras=extras,
        coincide=dict(doc.get("coincide") or {}),
    )


def upgrade(doc: dict) -> dict:
    """A ``results.json`` written before PGR of means: re-summarised from its per-seed lists with the current
    aggregation, keeping the versions that produced it. A current document is returned as is."""
    if "aggregation" in doc:
        return doc
    new = summarise(result_from_doc(doc), recipe=doc["recipe"], preset=doc["preset"])
    new["versions"] = doc.get("versions", {})
    return new


# ---- text -----------------------------------------------------------------------------------------------------
def _pm(stat: dict | None, pct: bool = False) -> str:
    if stat is None or stat["mean"] is None:
        return "n/a"
    return format_mean_std(stat["mean"], stat["std"], pct=pct)


def format_pgr(p: dict | None) -> str:
    """``0.43 [0.20, 0.65]`` (PGR of means and its interval), ``gap too small``, or ``n/a``."""
    if p is None:
        return "n/a"
    if p["gap_too_small"] or p["pgr_of_means"] is None:
        return GAP_TOO_SMALL
    lo, hi = p["ci"]
    f = lambda x: f"{x:.2f}".replace("-0.00", "0.00")  # noqa: E731
    return f(p["pgr_of_means"]) + (f" [{f(lo)}, {f(hi)}]" if lo is not None and hi is not None else "")


HEADER = [
    "model / method",
    "test accuracy % (mean ± std)",
    "PGR [95% CI]",
    "AUROC % (mean ± std)",
    "AUROC PGR [95% CI]",
]


def table_rows(doc: dict) -> list[list[str]]:
    rows = [
        ["weak (" + doc["weak_model"] + ")", _pm(doc["weak"], True), "", _pm(doc.get("weak_auroc"), True), ""],
        [
            "ceiling (" + doc["strong_model"] + ", ground truth)",
            _pm(doc["ceiling"], True),
            "",
            _pm(doc.get("ceiling_auroc"), True),
            "",
        ],
    ]
    for name, m in doc["methods"].items():
        if m.get("ceiling_model"):  # the ceiling this method's PGR is measured against
            rows.append(
                [
                    f"ceiling ({m['ceiling_model']}, ground truth; for {name})",
                    _pm(m["ceiling"], True),
                    "",
                    _pm(m.get("ceiling_auroc"), True),
                    "",
                ]
            )
        label = name + (" [oracle ablation]" if m["oracle"] else "")
        rows.append(
            [
                label,
                _pm(m["student"], True),
                format_pgr(m["pgr"]),
                _pm(m["auroc"], True),
                format_pgr(m.get("auroc_pgr")),
            ]
        )
    return rows


def _overlap(a: dict, b: dict) -> bool | None:
    """Whether two PGR intervals overlap (None when either has no interval)."""
    if a["gap_too_small"] or b["gap_too_small"] or None in (*a["ci"], *b["ci"]):
        return None
    return bool(a["ci"][0] <= b["ci"][1] and b["ci"][0] <= a["ci"][1])


def aggregation_text(doc: dict) -> str:
    """How PGR is aggregated, in words, and which method differences lie inside the intervals."""
    agg = doc.get("aggregation", {})
    n = len(doc["seeds"])
    conf = agg.get("confidence", CONFIDENCE)
    min_gap = agg.get("min_gap", MIN_GAP)
    out = [
        f"**How PGR is computed.** PGR = (student − weak) / (ceiling − weak) of the mean test accuracies over the "
        f"{n} seeds (not the mean of per-seed PGRs, which one seed with a small gap can dominate). The interval is "
        f"a paired percentile bootstrap over seeds ({conf:.0%}, {agg.get('n_resamples', N_RESAMPLES)} resamples; "
        f"a seed's weak, ceiling and student accuracies are resampled together); per-seed PGR is kept in "
        f'results.json as a spread only. A method is reported as "{GAP_TOO_SMALL}" when the mean ceiling does '
        f"not beat the mean weak model by {min_gap * 100:g} point{'' if min_gap == 0.01 else 's'} "
        f"(`min_gap: {min_gap:g}` in the config). AUROC "
        f"PGR is the same ratio computed on test AUROC."
    ]
    names = [k for k, m in doc["methods"].items() if not m["oracle"]]
    pairs = [
        (a, b, _overlap(doc["methods"][a]["pgr"], doc["methods"][b]["pgr"]))
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    ]
    apart = [f"{a} vs {b}" for a, b, o in pairs if o is False]
    inside = [f"{a} vs {b}" for a, b, o in pairs if o is True]
    if len(names) > 1:
        if not [p for p in pairs if p[2] is not None]:
            out.append("No method pair has two intervals to compare (too few seeds or gaps too small).")
        elif not apart:
            out.append(
                f"Every difference between the methods' PGRs lies inside their {conf:.0%} intervals: with "
                f"{n} seeds this run does not tell the methods apart."
            )
        else:
            out.append(
                "Resolved (intervals do not overlap): " + ", ".join(apart) + ". Inside the intervals (not "
                "resolved): " + (", ".join(inside) if inside else "none") + "."
            )
    if doc.get("coincide"):
        same = "; ".join(f"{a} is the same training stage as {b}" for a, b in doc["coincide"].items())
        out.append(f"Reported once: {same} (identical inputs, so identical results).")
    return "\n\n".join(out)


def render_table(doc: dict, console: Console | None = None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=f"{doc['recipe']} ({doc['preset']}), {len(doc['seeds'])} seeds")
    for h in HEADER:
        t.add_column(h)
    for r in table_rows(doc):
        t.add_row(*(escape(c) for c in r))
    (console or Console()).print(t)


def render_markdown(doc: dict) -> str:
    """A fragment (no H1) for the site: the table, how PGR is aggregated, then the recipe's note."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r) + " |" for r in table_rows(doc)]
    out = "\n".join(lines) + "\n\n" + aggregation_text(doc) + "\n"
    if doc.get("note"):
        out += "\n" + doc["note"].strip() + "\n"
    return out


# ---- plot -----------------------------------------------------------------------------------------------------
def _count(n: float) -> str:
    return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M" if n >= 1e6 else f"{n / 1e3:.0f}k"


def figure(doc: dict) -> Figure:
    """The matplotlib figure: accuracy against strong-model size along the ladder (if any), and PGR of means
    per method with its bootstrap interval. The caller closes it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    has_ladder = bool(doc["ladder"])
    fig, axes = plt.subplots(1, 2 if has_ladder else 1, figsize=(11 if has_ladder else 6, 4.4), dpi=110)
    axes = list(axes) if has_ladder else [axes]
    if has_ladder:
        ax = axes[0]
        x = [r["params"] for r in doc["ladder"]]
        series = [k for k in doc["ladder"][0] if isinstance(doc["ladder"][0][k], dict)]
        for k in series:
            ys = [r[k]["mean"] * 100 if r.get(k) and r[k]["mean"] is not None else float("nan") for r in doc["ladder"]]
            es = [r[k]["std"] * 100 if r.get(k) and r[k]["std"] is not None else 0 for r in doc["ladder"]]
            ax.errorbar(x, ys, yerr=es, marker="o", capsize=3, label=k)
        ax.axhline(doc["weak"]["mean"] * 100, color="grey", ls="--", label=f"weak ({doc['weak_model']})")
        ax.set_xscale("log")
        ax.set_xticks(x)
        ax.set_xticklabels([f"{r['model']}\n{_count(r['params'])}" for r in doc["ladder"]], fontsize=8)
        ax.minorticks_off()
        ax.set_xlabel("strong model (parameter count, log scale)")
        ax.set_ylabel("test accuracy % (mean ± std over seeds)")
        ax.set_title("Accuracy along the size ladder")
        ax.legend(fontsize=8)
    ax = axes[-1]
    names = list(doc["methods"])
    pgrs = [doc["methods"][n]["pgr"] for n in names]
    means = [p["pgr_of_means"] if p["pgr_of_means"] is not None else 0.0 for p in pgrs]
    err = [
        [max(0.0, m - p["ci"][0]) if p["ci"][0] is not None else 0.0 for m, p in zip(means, pgrs, strict=True)],
        [max(0.0, p["ci"][1] - m) if p["ci"][1] is not None else 0.0 for m, p in zip(means, pgrs, strict=True)],
    ]
    oracle = [doc["methods"][n]["oracle"] for n in names]
    colors = ["#bbbbbb" if o else "#4c72b0" for o in oracle]
    ax.bar(range(len(names)), means, yerr=err, capsize=4, color=colors)
    for i, p in enumerate(pgrs):
        if p["gap_too_small"]:
            ax.text(i, 0, GAP_TOO_SMALL, rotation=90, ha="center", va="bottom", fontsize=8)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=20, fontsize=8)
    conf = doc.get("aggregation", {}).get("confidence", CONFIDENCE)
    ax.set_ylabel(f"PGR of mean accuracies ({conf:.0%} bootstrap interval)")
    ax.set_title("Performance gap recovered")
    handles = [Patch(color="#4c72b0", label="weak-to-strong method")]
    if any(oracle):
        handles.append(Patch(color="#bbbbbb", label="oracle ablation (ground-truth selection)"))
    ax.legend(handles=handles, fontsize=8)
    fig.tight_layout()
    return fig


def plot(doc: dict) -> bytes:
    """:func:`figure` as PNG bytes (deterministic: no software tag)."""
    import matplotlib.pyplot as plt

    fig = figure(doc)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def curve_rows(trained: dict[str, dict], methods: dict[str, list[str]] | None = None) -> list[dict]:
    """Rows of curves.jsonl: one per recorded point of each trained stage (``Context.trained``), in training
    order: stage, model, seed, the methods the stage serves (``methods``: stage key -> names), step, mean training
    loss since the previous point and, where the stage evaluated, its validation score (agreement with the
    validation targets it was selected on)."""
    rows = []
    for key, t in trained.items():
        for h in t["history"]:
            row = {
                "key": key,
                "stage": t["stage"],
                "model": t["model"],
                "seed": t["seed"],
                "step": h["step"],
                "train_loss": rounded(h.get("train_loss")),
            }
            if "score" in h:
                row["val_score"] = rounded(h["score"])
            if methods and key in methods:
                row["methods"] = methods[key]
            rows.append(row)
    return rows


def weak_label_rows(seed: int, texts: list[str], labelled: dict) -> list[dict]:
    """Rows of weak_labels.jsonl for one seed: ``labelled`` maps a split name (``b_train``, ``b_val``) to a
    WeakLabelled; each row is the example's pool index, its text id (content hash), the text and the soft label."""
    from .cache import fingerprint

    rows = []
    for split, wl in labelled.items():
        for i, p in zip(wl.index.tolist(), wl.soft.tolist(), strict=True):
            rows.append(
                {
                    "seed": seed,
                    "split": split,
                    "index": i,
                    "text_id": fingerprint(texts[i])[:16],
                    "text": texts[i],
                    "soft": round(float(p), 4),
                }
            )
    return rows


# ---- files ----------------------------------------------------------------------------------------------------
def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows).encode()


def write_all(doc: dict, out_dir: Path, *, curves: Sequence[dict] = (), weak_labels: Sequence[dict] = ()) -> list[Path]:
    """Write the run's files into ``out_dir`` (each atomically): results.json, results.md, plot.png, and
    curves.jsonl / weak_labels.jsonl when there are rows."""
    out_dir = Path(out_dir)
    files = {
        "results.json": (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(),
        "results.md": render_markdown(doc).encode(),
        "plot.png": plot(doc),
    }
    if curves:
        files["curves.jsonl"] = _jsonl(list(curves))
    if weak_labels:
        files["weak_labels.jsonl"] = _jsonl(list(weak_labels))
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        atomic_write(out_dir / name, data)
    return [out_dir / n for n in files]
