"""Hand-written Markdown embedded in site pages (results fragments, CONTRIBUTING.md): links to files outside
the site become text, headings are shifted under the page's own."""

from __future__ import annotations

import re

_LINK = re.compile(r"(?P<bang>!?)\[(?P<text>[^\]\n]*)\]\((?P<target>[^)\s]+)(?P<title>\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})(\s)", re.M)
_FENCE = re.compile(r"^(```|~~~)")


def rewrite_links(text: str, keep: dict[str, str]) -> str:
    """Relative link targets named in `keep` are replaced by their value; other relative links (files
    outside the site) become plain text, since MkDocs cannot serve them. Absolute URLs and anchors stay."""

    def sub(m: re.Match[str]) -> str:
        target = m.group("target")
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            return m.group(0)
        base = target.split("#", 1)[0].removeprefix("./")
        if base in keep:
            return f"{m.group('bang')}[{m.group('text')}]({keep[base]}{m.group('title') or ''})"
        if m.group("bang"):
            return m.group("text")
        return f"{m.group('text')} (`{target}`)"

    return _LINK.sub(sub, text)


def demote_headings(text: str, top: int) -> str:
    """Shift ATX headings (outside code fences) so the highest becomes level `top`."""
    lines = text.splitlines()
    in_code = False
    levels = []
    for line in lines:
        if _FENCE.match(line):
            in_code = not in_code
        elif not in_code and (m := _HEADING.match(line)):
            levels.append(len(m.group(1)))
    if not levels:
        return text
    shift = max(0, top - min(levels))
    out, in_code = [], False
    for line in lines:
        if _FENCE.match(line):
            in_code = not in_code
        elif not in_code and (m := _HEADING.match(line)):
            line = "#" * min(6, len(m.group(1)) + shift) + line[len(m.group(1)) :]
        out.append(line)
    return "\n".join(out)
