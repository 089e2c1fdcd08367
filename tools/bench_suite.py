"""Benchmark the many-task suite and the single-task default against its forward-pass floor.

    python tools/bench_suite.py [--recipe burns2023] [--preset suite] [--skip-suite] [--skip-default]

1. Suite: ``python -m repro run RECIPE --preset suite`` cold (a fresh cache holding only the fetched task data,
   copied from ``--data`` or fetched by ``python -m repro data fetch suite``), then warm (same cache).
   Targets (issue 12, 2-core CPU): cold <= 15 min, warm <= 20 s, peak memory <= 3 GB.
2. Default: ``python -m repro run burns2023`` cold, beside its floor: the backbone forward passes alone (every
   backbone of the preset over the task's texts, one pass per backbone, timed in this process after the models
   are unpacked). Target: cold within 1.5x of the floor.

Each run is a child process; peak memory is that child's max RSS. The load average is printed with every line,
because on a shared machine wall time says little on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEASURE = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "rc = subprocess.run(sys.argv[1:]).returncode; w = time.perf_counter() - t; "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print('BENCH', rc, w, u.ru_utime + u.ru_stime, u.ru_maxrss, file=sys.stderr)"
)


def measure(cmd: list[str], env: dict) -> dict:
    """Wall, CPU and peak RSS of one child run (measured by a wrapper process of its own)."""
    proc = subprocess.run([sys.executable, "-c", MEASURE, *cmd], env=env, capture_output=True, text=True)
    line = next((ln for ln in proc.stderr.splitlines()[::-1] if ln.startswith("BENCH ")), None)
    if line is None or line.split()[1] not in ("0", "1"):
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    _, rc, wall, cpu, rss = line.split()
    return {
        "wall_s": float(wall),
        "cpu_s": float(cpu),
        "peak_mb": int(rss) / 1024,
        "load": os.getloadavg()[0],
        "exit": int(rc),
    }


def show(label: str, r: dict, extra: str = "") -> None:
    print(
        f"{label:22s} wall {r['wall_s']:7.1f} s   cpu {r['cpu_s']:7.1f} s   peak {r['peak_mb']:6.0f} MB   "
        f"load avg {r['load']:.1f}{extra}",
        flush=True,
    )


def forward_floor(preset: str, env: dict) -> dict:
    """Seconds of backbone forward passes alone for the preset's task, in a child process (models unpacked first)."""
    code = f"""
import json, sys, time, torch
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from repro import recipes
from repro.config import load_config
from repro.features import _run
from repro.models import resolve
from repro.tasks import load_task
torch.set_num_threads(max(1, min(torch.get_num_threads(), 16)))
cfg = load_config(recipes.load("burns2023").Config, recipes.preset_path("burns2023", {preset!r}))
texts = load_task(cfg.task).texts
by = {{}}
for m in [cfg.weak, *cfg.ladder, cfg.strong]:
    by.setdefault(m.name, []).append(m)
out = {{}}
for name, ms in by.items():
    resolve(ms[0])  # unpack outside the timing
    t = time.perf_counter()
    _run(ms, [texts])
    out[name] = time.perf_counter() - t
print(json.dumps(out))
"""
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit("forward-pass floor failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default="burns2023")
    ap.add_argument("--preset", default="suite")
    ap.add_argument("--data", help="fetched task data to copy into the fresh cache (default: <W2S_CACHE>/data)")
    ap.add_argument("--skip-suite", action="store_true")
    ap.add_argument("--skip-default", action="store_true")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from repro.cache import default_root

    print(f"{os.cpu_count()} CPU(s); load avg {os.getloadavg()[0]:.1f}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-suite-"))
    base = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    try:
        if not args.skip_suite:
            cache = tmp / "suite-cache"
            data = Path(args.data) if args.data else default_root() / "data"
            if data.is_dir():
                shutil.copytree(data, cache / "data")
            env = dict(base, W2S_CACHE=str(cache))
            cmd = [
                sys.executable,
                "-m",
                "repro",
                "run",
                args.recipe,
                "--preset",
                args.preset,
                "--out",
                str(tmp / "suite"),
            ]
            cold = measure(cmd, env)
            show(f"{args.preset} cold", cold, "   (target <= 900 s, <= 3072 MB)")
            warm = measure(cmd, env)
            show(f"{args.preset} warm", warm, "   (target <= 20 s)")
        if not args.skip_default:
            env = dict(base, W2S_CACHE=str(tmp / "default-cache"))
            cold = measure([sys.executable, "-m", "repro", "run", "burns2023", "--out", str(tmp / "default")], env)
            floor = forward_floor("default", env)  # after the cold run: MPNet is unpacked in this cache
            total = sum(floor.values())
            show("default cold", cold)
            print(
                f"{'forward-pass floor':22s} {total:7.1f} s   ("
                + ", ".join(f"{k} {v:.1f} s" for k, v in floor.items())
                + f")   cold / floor = {cold['wall_s'] / total:.2f} (target <= 1.5)",
                flush=True,
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
