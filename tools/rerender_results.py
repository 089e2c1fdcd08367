"""Re-render committed results with the current report code, without rerunning anything.

    python tools/rerender_results.py [results/burns2023 ...]     # default: every results/*/ folder

Reads each folder's results.json, re-summarises its per-seed numbers with the current aggregation
(``repro.report.upgrade``: PGR of means, bootstrap intervals, "gap too small"), keeps the versions that produced
them, and rewrites results.json, results.md and plot.png. Numbers a document never recorded (weak and ceiling
AUROC before they were recorded) stay "n/a" until the recipe is rerun.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from repro.report import upgrade, write_all  # noqa: E402


def main(argv: list[str]) -> int:
    folders = [Path(a) for a in argv] or sorted(p.parent for p in (ROOT / "results").glob("*/results.json"))
    for folder in folders:
        doc = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        for f in write_all(upgrade(doc), folder):
            print(f"wrote {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
