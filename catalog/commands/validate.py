"""``python -m catalog validate [--papers DIR] [--format text|json]``"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from catalog.problems import has_errors
from catalog.validate import validate


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m catalog validate", description="Check every entry and registry.")
    ap.add_argument("--papers", type=Path, help="papers directory (default: catalog/papers)")
    ap.add_argument("--root", type=Path, help="catalog directory with venues.yaml/topics.yaml (default: the package)")
    ap.add_argument("--format", choices=["text", "json"], default="text")
    ap.add_argument("--errors-only", action="store_true", help="do not print warnings")
    args = ap.parse_args(argv)
    cat, problems = validate(args.root, args.papers)
    shown = [p for p in problems if p.severity == "error"] if args.errors_only else problems
    if args.format == "json":
        json.dump([p.to_dict() for p in shown], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for p in shown:
            print(p.format())
        n_err = sum(p.severity == "error" for p in problems)
        n_warn = len(problems) - n_err
        print(f"{len(cat.entries)} entries checked: {n_err} error(s), {n_warn} warning(s)", file=sys.stderr)
    return 1 if has_errors(problems) else 0
