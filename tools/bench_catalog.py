"""Benchmark (not a test): validate + build on 10,000 synthetic entries vs. only parsing their YAML.

    python tools/bench_catalog.py [--n 10000] [--repeat 3]

Generates N valid, varied entries (conference, findings, workshop, journal, preprint; DOIs, arXiv ids,
accented names) in a temporary catalog root with the real venue and topic registries, then times
  parse-only: read every file and yaml.load(..., CSafeLoader) it (the floor)
  validate:   load_catalog (parse, line numbers, pydantic) + every check
  build:      every renderer (README block, docs pages) + schema.json, in memory (nothing written)
and prints each, and the ratios of validate + build (README and schema only; and with every renderer, the
docs site included) to parse-only (target: within 2x). Each number is the best of --repeat runs, in both
wall-clock and CPU (process) time: on a busy machine the CPU column is the stable one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from catalog import build  # noqa: E402
from catalog.checks import run_checks  # noqa: E402
from catalog.entries import surname, to_yaml  # noqa: E402
from catalog.load import gc_paused, load_catalog  # noqa: E402
from catalog.schema import Paper  # noqa: E402

FIRST = ["Collin", "Pavel", "Josip", "Jan", "Hao", "Fei", "Yongbin", "Wei", "Ana", "Zoë", "Łukasz", "Søren", "Nicholas"]
LAST = ["Burns", "Izmailov", "Jukić", "Šnajder", "Lang", "Huang", "Li", "Yao", "Müller", "Corrêa", "Kaczér", "Dubois"]
WORDS = [
    "weak",
    "strong",
    "generalization",
    "supervision",
    "alignment",
    "debate",
    "oversight",
    "teacher",
    "student",
    "distillation",
    "reward",
    "preference",
    "easy",
    "hard",
    "theory",
    "scaling",
    "labels",
    "noisy",
    "ensemble",
]
TOPICS = ["w2s", "w2s-methods", "w2s-theory", "easy-to-hard", "scalable-oversight", "alignment", "distillation"]


def synthetic(i: int, rng: random.Random) -> Paper:
    year = rng.choice([2021, 2022, 2023, 2024])
    fv = dt.date(year, rng.randint(1, 5), rng.randint(1, 28))
    title = " ".join(rng.choice(WORDS).capitalize() for _ in range(rng.randint(4, 9))) + f" {i}"
    authors = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randint(1, 9))]
    authors = list(dict.fromkeys(authors))
    aid = f"{fv.year % 100:02d}{fv.month:02d}.{10000 + i:05d}"
    kind = i % 5
    doi = None
    if kind == 0:
        venue = {"id": "icml", "year": year, "track": "main"}
        ev = {"kind": "proceedings", "url": f"https://proceedings.mlr.press/v{200 + i % 50}/x{i}.html"}
    elif kind == 1:
        venue = {"id": "emnlp", "year": year, "track": "findings"}
        doi = f"10.18653/v1/{year}.findings-emnlp.{i}"
        ev = {"kind": "doi", "url": f"https://doi.org/{doi}"}
    elif kind == 2:
        venue = {"id": "neurips", "year": year, "track": "workshop", "workshop": "Workshop on Robustness"}
        ev = {"kind": "openreview", "url": f"https://openreview.net/forum?id=x{i}"}
    elif kind == 3:
        venue = {"id": "aaai", "year": year + 1, "track": "main"}
        doi = f"10.1609/aaai.v{year + 1 - 1986}i1.{i}"
        ev = {"kind": "doi", "url": f"https://doi.org/{doi}"}
    else:
        venue = {"id": "arxiv", "track": "preprint"}
        ev = {"kind": "none", "note": "searched DBLP and OpenReview"}
    key = f"{surname(authors[0])}{year}w{i}"
    return Paper.model_validate(
        {
            "key": key,
            "title": title,
            "authors": authors,
            "year": year,
            "venue": venue,
            "venue_evidence": ev,
            "arxiv": {"id": aid, "first_version": fv},
            "doi": doi,
            "links": {"code": f"https://github.com/example/repo{i}"},
            "topics": rng.sample(TOPICS, 2),
            "summary": "A synthetic entry for the benchmark. " * 2,
        }
    )


def make(tmp: Path, n: int) -> Path:
    root = tmp / "catalog"
    (root / "papers").mkdir(parents=True)
    for name in ("venues.yaml", "topics.yaml"):
        shutil.copy(ROOT / "catalog" / name, root / name)
    (root / "unresolved.yaml").write_text("unresolved: []\n", encoding="utf-8")
    (tmp / "README.md").write_text(
        "<!-- BEGIN GENERATED: papers -->\n<!-- END GENERATED: papers -->\n", encoding="utf-8"
    )
    shutil.copy(ROOT / "CONTRIBUTING.md", tmp / "CONTRIBUTING.md") if (ROOT / "CONTRIBUTING.md").exists() else None
    rng = random.Random(0)
    for i in range(n):
        p = synthetic(i, rng)
        (root / "papers" / f"{p.key}.yaml").write_text(to_yaml(p), encoding="utf-8")
    return root


class Clock:
    """Wall-clock and CPU (process) time together."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> tuple[float, float]:
        """(wall, cpu) seconds since the last lap (or creation)."""
        wall, cpu = time.perf_counter(), time.process_time()
        out = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return out


def parse_only(root: Path) -> int:
    n = 0
    for path in sorted((root / "papers").glob("*.yaml")):
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        n += 1
    return n


def validate_and_build(root: Path) -> tuple[dict[str, tuple[float, float]], int, int]:
    """({"validate" or renderer: (wall, cpu) seconds}, problems, outputs)."""
    times = {}
    clock = Clock()
    cat = load_catalog(root)
    problems = run_checks(cat)
    times["validate"] = clock.lap()
    n_out = 1
    build.schema_json()
    times["schema.json"] = clock.lap()
    for mod in build.renderer_modules():
        with gc_paused():  # as build.plan runs them
            n_out += len(mod.outputs(cat, root.parent))
        times[mod.__name__.rsplit(".", 1)[1]] = clock.lap()
    return times, len(problems), n_out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cpu", action="store_true", help=argparse.SUPPRESS)  # both clocks are always shown now
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        root = make(Path(tmp), args.n)
        print(f"generated {args.n} entries in {time.perf_counter() - t:.1f}s")
        best: dict[str, list[float]] = {}  # name -> [best wall, best cpu]

        def keep(name: str, lap: tuple[float, float]) -> None:
            b = best.setdefault(name, [float("inf"), float("inf")])
            b[0], b[1] = min(b[0], lap[0]), min(b[1], lap[1])

        for _ in range(args.repeat):
            clock = Clock()
            parse_only(root)
            keep("parse", clock.lap())
            times, n_problems, n_out = validate_and_build(root)
            for name, lap in times.items():
                keep(name, lap)
        parse = best.pop("parse")
        val = best["validate"]
        print(f"best of {args.repeat} (seconds):                  wall      CPU")
        print(f"  parse-only (read + yaml CSafeLoader):  {parse[0]:7.2f}  {parse[1]:7.2f}")
        print(f"  validate (load + schema + checks):     {val[0]:7.2f}  {val[1]:7.2f}  ({n_problems} problems)")
        for name, (w, c) in best.items():
            if name != "validate":
                print(f"  build: {name:<31} {w:7.2f}  {c:7.2f}")
        for label, names in (
            ("validate + build (README, schema)", ("validate", "schema.json", "readme")),
            ("validate + build (all renderers)", tuple(best)),
        ):
            w = sum(best[n][0] for n in names if n in best)
            c = sum(best[n][1] for n in names if n in best)
            print(
                f"{label + ':':<41}{w:7.2f}  {c:7.2f}  = {w / parse[0]:.2f}x wall, {c / parse[1]:.2f}x CPU "
                f"of parse-only (target <= 2x)"
            )
        print(f"({n_out} outputs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
