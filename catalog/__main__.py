"""``python -m catalog <command> ...``: dispatches to catalog.commands.<command>.main(argv) ('-' as '_')."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

from catalog.commands import COMMANDS


def usage() -> str:
    lines = ["usage: python -m catalog {" + ",".join(COMMANDS) + "} [options]", ""]
    lines += [f"  {name:<9} {help_}" for name, help_ in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd not in COMMANDS:
        print(f"catalog: unknown command {cmd!r}\n{usage()}", file=sys.stderr)
        return 2
    command: Callable[[list[str]], int] = importlib.import_module(f"catalog.commands.{cmd.replace('-', '_')}").main
    return command(rest)


if __name__ == "__main__":
    sys.exit(main())
