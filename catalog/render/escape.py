"""The one escaping rule for catalog text in generated Markdown and HTML (README and site alike).

- ``md(text)``: text that Markdown renders exactly as given, in a paragraph, a heading, a table cell or link
  text, on GitHub (GFM) and in MkDocs (Python-Markdown with the tables extension). Whitespace runs become
  one space; ``& < >`` become HTML entities (no HTML can be injected); each of MD_SPECIAL gets a backslash;
  ``~`` (GFM strikethrough; Python-Markdown has no backslash escape for it) becomes ``&#126;``.
- ``md_text(text)``: like md(), but bare http(s) URLs become links (evidence notes and summaries quote them).
- ``h(text)``: text for raw HTML, element content or a double-quoted attribute.
- ``url(u)``: a URL safe as a Markdown link target, also inside a table.
- ``link(text, target)``: ``[md(text)](url(target))``, or md(text) alone when there is no target.
"""

from __future__ import annotations

import html
import re

MD_SPECIAL = "\\`*_{}[]()#+-.!|"  # what md() backslash-escapes


def _escape_md(text: str) -> str:
    """A backslash before each character of MD_SPECIAL, the backslash itself first (a str.replace per
    character that occurs: several times faster than one regex substitution or str.translate)."""
    text = text.replace("\\", "\\\\")
    for c in MD_SPECIAL[1:]:
        if c in text:
            text = text.replace(c, "\\" + c)
    return text.replace("~", "&#126;") if "~" in text else text


def md(text: str) -> str:
    """Text that Markdown renders exactly as given (see the module docstring)."""
    return _escape_md(html.escape(" ".join(str(text).split()), quote=False))


def _md_inline(text: str) -> str:
    """md() without whitespace normalisation (a fragment of a longer text keeps its edge spaces)."""
    return _escape_md(html.escape(text, quote=False))


_BARE_URL = re.compile(r"https?://[^\s<>\[\]{}\"'`]+")


def _trim_url(u: str) -> str:
    """Drop trailing punctuation and an unbalanced closing parenthesis ("see (https://x.org/a)." )."""
    while u and (u[-1] in ".,;:!?" or (u[-1] == ")" and u.count(")") > u.count("("))):
        u = u[:-1]
    return u


def md_text(text: str) -> str:
    """Like md(), but bare http(s) URLs in the text become links."""
    text = " ".join(str(text).split())
    out, pos = [], 0
    for m in _BARE_URL.finditer(text):
        u = _trim_url(m.group(0))
        if not u.split("://", 1)[1]:
            continue
        out += [_md_inline(text[pos : m.start()]), f"[{md(u)}]({url(u)})"]
        pos = m.start() + len(u)
    out.append(_md_inline(text[pos:]))
    return "".join(out)


def h(text: str) -> str:
    """Text for raw HTML (element content or a double-quoted attribute)."""
    return html.escape(" ".join(str(text).split()), quote=True)


def url(u: object) -> str:
    """A URL safe inside a Markdown link target, also within a table."""
    return (
        str(u)
        .replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("|", "%7C")
        .replace("<", "%3C")
        .replace(">", "%3E")
    )


def link(text: str, target: object | None) -> str:
    return f"[{md(text)}]({url(target)})" if target else md(text)
