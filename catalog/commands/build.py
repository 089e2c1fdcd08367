"""``python -m catalog build [--check]``"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from catalog import build
from catalog.load import display_path, load_catalog
from catalog.render import RenderError

MAX_SHOWN = 10  # load problems printed before "... and N more"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m catalog build", description=build.__doc__)
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 listing stale generated files")
    ap.add_argument(
        "--root", type=Path, help="catalog directory with venues.yaml, topics.yaml, papers/ (default: the package)"
    )
    ap.add_argument("--papers", type=Path, help="papers directory (default: <root>/papers)")
    ap.add_argument(
        "--repo", type=Path, help="repository root holding README.md and docs/ (default: the catalog's parent)"
    )
    args = ap.parse_args(argv)
    cat = load_catalog(args.root, args.papers)
    errors = [p for p in cat.problems if p.severity == "error"]
    if errors:
        # Building from what loaded would drop the broken entries' pages (and --check would bless that).
        for p in errors[:MAX_SHOWN]:
            print(p.format(), file=sys.stderr)
        if len(errors) > MAX_SHOWN:
            print(f"... and {len(errors) - MAX_SHOWN} more", file=sys.stderr)
        print(
            f"error: {len(errors)} load error(s); nothing {'checked' if args.check else 'written'}. "
            "Fix them (`python -m catalog validate` lists them) and build again.",
            file=sys.stderr,
        )
        return 1
    try:
        plan = build.plan(cat, args.repo or cat.repo_root)
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    outputs = plan.outputs
    if args.check:
        bad = build.stale(outputs)
        for path in bad:
            print(f"stale: {display_path(path)}")
        for path in plan.orphans:
            print(f"stale: {display_path(path)} (no longer generated)")
        bad += plan.orphans
        if bad:
            print(f"{len(bad)} generated file(s) are stale; run `python -m catalog build`", file=sys.stderr)
            return 1
        print(f"up to date: {len(outputs)} generated file(s)")
        return 0
    written, deleted = build.write(outputs, plan.orphans)
    for path in written:
        print(f"wrote {display_path(path)}")
    for path in deleted:
        print(f"deleted {display_path(path)} (no longer generated)")
    print(f"{len(written)} of {len(outputs)} generated file(s) changed, {len(deleted)} deleted")
    return 0
