"""Regenerate the reference numbers the end-to-end test compares a small burns2023 run with.

    python tools/update_repro_reference.py

Runs tests/fixtures/repro/burns2023-small.yaml (a few hundred snippets, 2 seeds; about a minute on 2 cores,
offline) into a temporary folder and writes tests/fixtures/repro/burns2023-small.json: per-seed test accuracy
of the weak model, the ceiling and each student, with the versions that produced them. Rerun it, and commit the
file, when a change is meant to move the numbers (say why in the commit message).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PRESET = ROOT / "tests" / "fixtures" / "repro" / "burns2023-small.yaml"
REFERENCE = PRESET.with_suffix(".json")


def reference(doc: dict) -> dict:
    """The numbers of a results.json that the test compares (per-seed accuracies) and their versions."""
    return {
        "weak": doc["weak"]["per_seed"],
        "ceiling": doc["ceiling"]["per_seed"],
        "students": {m: v["student"]["per_seed"] for m, v in doc["methods"].items()},
        "versions": doc["versions"],
    }


def main() -> int:
    from repro.__main__ import main as repro

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        rc = repro(
            ["run", "burns2023", "--preset", str(PRESET), "--out", str(out), "--cache-dir", str(Path(tmp) / "c")]
        )
        if rc:
            return rc
        doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    REFERENCE.write_text(json.dumps(reference(doc), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {REFERENCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
