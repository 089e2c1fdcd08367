"""Shared pytest hooks."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter):
    """A skipped browser test is announced in a banner, with the reason (the command that enables it), so a
    newcomer's run never loses the site's real-browser tests silently."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "browser" in getattr(r, "keywords", {})]
    if not skipped:
        return
    longrepr = skipped[0].longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    terminalreporter.write_sep("!", f"{len(skipped)} browser test(s) SKIPPED", red=True, bold=True)
    terminalreporter.write_line(reason.removeprefix("Skipped: "), red=True, bold=True)
