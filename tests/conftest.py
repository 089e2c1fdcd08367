"""Shared pytest hooks."""

from __future__ import annotations

import sys
from pathlib import Path

# tools/ is importable from the tests: tiny_models (tiny Hugging Face models and tokenizers, built offline) and
# smoke (the GPU presets' end-to-end runs at tiny scale), which imports tiny_models as its neighbour.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))


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
