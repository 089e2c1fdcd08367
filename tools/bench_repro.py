"""Benchmark ``python -m repro run RECIPE``: a cold run (empty cache dir) then a warm run (same cache).

    python tools/bench_repro.py [--recipe burns2023] [--preset default] [--seeds N] [--cache DIR]

Prints wall time, CPU time and peak memory (max RSS) of each run, and the load average, because a shared
machine's wall time says little on its own. A cold run here includes unpacking MPNet from its zip parts and
all feature extraction; pass --cache to reuse an existing directory instead of a fresh one.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(cmd: list[str], env: dict) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise SystemExit(f"run failed with exit code {proc.returncode}")
    return {
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_rss_mb": after.ru_maxrss / 1024,
        "load": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default="burns2023")
    ap.add_argument("--preset", default="default")
    ap.add_argument("--seeds", type=int)
    ap.add_argument("--cache", help="cache dir to use (default: a fresh temporary one, removed afterwards)")
    ap.add_argument("--keep", help="copy the cold run's results.json/.md/plot.png into this folder")
    args = ap.parse_args(argv)
    root = Path(__file__).resolve().parents[1]
    tmp = Path(tempfile.mkdtemp(prefix="bench-repro-"))
    cache = Path(args.cache) if args.cache else tmp / "cache"
    env = dict(os.environ, W2S_CACHE=str(cache), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    cmd = [sys.executable, "-m", "repro", "run", args.recipe, "--preset", args.preset, "--out", str(tmp / "run")]
    if args.seeds:
        cmd += ["--seeds", str(args.seeds)]
    try:
        rows = [("cold", _run(cmd, dict(env, PYTHONPATH=str(root))))]
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            for name in ("results.json", "results.md", "plot.png"):
                shutil.copy2(tmp / "run" / name, Path(args.keep) / name)
        rows.append(("warm", _run(cmd, dict(env, PYTHONPATH=str(root)))))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{args.recipe} --preset {args.preset} on {os.cpu_count()} CPU(s)")
    for name, r in rows:
        print(
            f"{name:5s} wall {r['wall_s']:7.1f} s   cpu {r['cpu_s']:7.1f} s   peak RSS {r['peak_rss_mb']:7.0f} MB"
            f"   load avg {r['load']:.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
