"""Build the site from the real repository catalog with `mkdocs build --strict` and check the result: every
entry has its page and is in the search index, internal links resolve, nothing is loaded from a third-party
host; then drive it in Debian's Chromium (search, paper page with BibTeX, papers-table filters, no console
errors, no request leaving localhost). Screenshots go to tests/artifacts/ (ignored by git)."""

from __future__ import annotations

import contextlib
import functools
import html
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from catalog.load import Catalog, load_catalog
from catalog.render import site
from catalog.render.site import common

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "site"
CHROMIUM = Path(os.environ.get("W2S_CHROMIUM", "/usr/bin/chromium"))  # Debian's; the variable is for tests
ENABLE_CHROMIUM = "sudo apt-get install chromium"
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def mkdocs_build(cfg: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(cfg), "-d", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )


@dataclass
class Built:
    cat: Catalog
    root: Path  # where results/ and CONTRIBUTING.md come from
    site: Path  # the built site


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """get(name) -> Built: the site built with `mkdocs build --strict` into a temporary directory from the
    repository's catalog ("repo") or from the escaping fixture catalog ("fixture"); each is built once."""
    cache: dict[str, Built] = {}

    def get(name: str) -> Built:
        if name not in cache:
            root = {"repo": REPO, "fixture": FIXTURE}[name]
            cat = load_catalog(root / "catalog")
            work = tmp_path_factory.mktemp(f"site-{name}")
            cfg = site.stage(cat, root, work / "src", project_root=REPO)
            start = time.perf_counter()
            res = mkdocs_build(cfg, work / "site")
            print(f"mkdocs build --strict ({name}, {len(cat.entries)} papers): {time.perf_counter() - start:.1f} s")
            assert res.returncode == 0, res.stderr[-4000:]
            cache[name] = Built(cat, root, work / "site")
        return cache[name]

    return get


SITES = ["repo", "fixture"]


# ---------------------------------------------------------------------------------------------------------
# The built site
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", SITES)
def test_every_entry_has_a_page_and_is_in_the_search_index(sites, name):
    b = sites(name)
    index = json.loads((b.site / "search" / "search_index.json").read_text(encoding="utf-8"))
    titles = {d["location"]: html.unescape(d["title"]) for d in index["docs"]}
    for e in b.cat.entries:
        key = e.paper.key
        page = b.site / "papers" / key / "index.html"
        assert page.is_file(), key
        assert titles.get(f"papers/{key}/") == " ".join(e.paper.title.split()), key
        text = re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8"))  # Pygments splits the BibTeX into spans
        assert re.search(rf"@\w+\{{{key},", text), f"{key}: no BibTeX entry on its page"


@pytest.mark.parametrize("name", SITES)
def test_papers_table_lists_every_entry(sites, name):
    b = sites(name)
    page = (b.site / "papers" / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-year="(\d{4})"[^>]*>.*?<a href="([^"]+)/">', page)
    assert sorted(href for _, href in rows) == sorted(e.paper.key for e in b.cat.entries)
    by_key = {e.paper.key: e.paper for e in b.cat.entries}
    assert all(int(year) == by_key[href].year for year, href in rows)


@pytest.mark.parametrize("name", SITES)
def test_topic_venue_and_other_pages_exist(sites, name):
    b = sites(name)
    for tid in b.cat.topics:
        assert (b.site / "topics" / tid / "index.html").is_file(), tid
    for vid in {e.paper.venue.id for e in b.cat.entries} & set(b.cat.venues):
        assert (b.site / "venues" / vid / "index.html").is_file(), vid
    for page in ("papers", "topics", "venues", "reproductions", "unresolved", "contributing", "tags"):
        assert (b.site / page / "index.html").is_file(), page


class _Refs(HTMLParser):
    """Collects (tag, attribute, value) of every URL-valued attribute."""

    ATTRS = frozenset({"href", "src", "srcset", "poster", "data", "action"})

    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in self.ATTRS and v:
                self.refs.append((tag, k, v))


def _refs(page: Path) -> list[tuple[str, str, str]]:
    p = _Refs()
    p.feed(page.read_text(encoding="utf-8"))
    return p.refs


@pytest.mark.parametrize("name", SITES)
def test_no_third_party_assets(sites, name):
    """No page loads a script, stylesheet, font, image or frame from another host (links to papers are fine)."""
    built = sites(name).site
    bad = []
    for page in built.rglob("*.html"):
        for tag, attr, val in _refs(page):
            is_asset = tag in ("script", "img", "iframe", "source", "video", "audio", "embed", "object") or (
                tag == "link" and attr == "href"
            )
            if (
                is_asset
                and re.match(r"^(https?:)?//", val)
                and urlsplit(val).hostname not in ("localhost", "127.0.0.1")
            ):
                bad.append(f"{page.relative_to(built)}: <{tag} {attr}={val}>")
    for css in built.rglob("*.css"):
        for m in re.finditer(
            r"url\(\s*['\"]?((?:https?:)?//[^'\")]+)|@import\s+['\"]((?:https?:)?//[^'\"]+)",
            css.read_text(encoding="utf-8"),
        ):
            bad.append(f"{css.relative_to(built)}: {m.group(0)}")
    for js in built.rglob("*.js"):
        text = js.read_text(encoding="utf-8")
        for m in re.finditer(r"importScripts\(\s*['\"](https?:)?//|import\(\s*['\"](https?:)?//", text):
            bad.append(f"{js.relative_to(built)}: {m.group(0)}")
    assert not bad, "\n".join(bad[:20])


@pytest.mark.parametrize("name", SITES)
def test_internal_links_resolve(sites, name):
    """Every relative href/src in the built site (the raw-HTML papers table included) names a file."""
    built = sites(name).site
    broken = []
    for page in built.rglob("*.html"):
        rel_url = "/" + page.relative_to(built).as_posix()
        for _tag, attr, val in _refs(page):
            if attr == "srcset" or re.match(r"^[a-z][a-z0-9+.-]*:|^//|^#", val, re.I):
                continue
            path = unquote(urlsplit(urljoin(rel_url, val)).path)
            target = built / path.lstrip("/")
            if path.endswith("/"):
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(built)}: {val}")
    assert not broken, "\n".join(broken[:20])


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def test_special_characters_render_exactly(sites):
    """The fixture's titles and names (| * _ < & # brackets, backslash, non-ASCII) come out of the HTML as
    written: page <title>, <h1>, authors line, papers-table link, topic-page table, tags, unresolved table."""
    b = sites("fixture")
    papers_table = (b.site / "papers" / "index.html").read_text(encoding="utf-8")
    for e in b.cat.entries:
        p = e.paper
        title = " ".join(p.title.split())
        page = (b.site / "papers" / p.key / "index.html").read_text(encoding="utf-8")
        assert (
            _text(re.search(r"<title>(.*?)</title>", page, re.S).group(1))
            == f"{title} - Awesome Weak-to-Strong Generalization"
        )
        assert _text(re.search(r"<h1[^>]*>(.*?)<a class=\"headerlink\"", page, re.S).group(1)) == title
        assert _text(re.search(r'<p class="w2s-authors-line">(.*?)</p>', page, re.S).group(1)) == ", ".join(p.authors)
        assert _text(re.search(rf'<a href="{p.key}/">(.*?)</a>', papers_table, re.S).group(1)) == title
        for tid in p.topics:
            topic_page = (b.site / "topics" / tid / "index.html").read_text(encoding="utf-8")
            links = [_text(m) for m in re.findall(rf'<a href="../../papers/{p.key}/">(.*?)</a>', topic_page, re.S)]
            assert links == [title], (tid, links)
            tag = b.cat.topics[tid].name
            assert tag in [_text(t) for t in re.findall(r'<a [^>]*class="md-tag"[^>]*>(.*?)</a>', page, re.S)]
    unresolved = (b.site / "unresolved" / "index.html").read_text(encoding="utf-8")
    cells = [_text(c) for c in re.findall(r"<td>(.*?)</td>", unresolved, re.S)]
    assert b.cat.unresolved[0].row in cells


# ---------------------------------------------------------------------------------------------------------
# The browser
# ---------------------------------------------------------------------------------------------------------
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """Serve `directory` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def require_chromium() -> Path:
    """Chromium's path. Without it: a failure under CI (CI=true), else a skip that tests/conftest.py repeats
    in a banner at the end of the run, naming the command that enables the test."""
    if CHROMIUM.exists():
        return CHROMIUM
    msg = (
        f"Chromium not found at {CHROMIUM}: the site's real-browser tests cannot run. "
        f"Enable them with `{ENABLE_CHROMIUM}` (Debian/Ubuntu; .ci/run does this)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{msg}. Under CI a missing Chromium is a failure.", pytrace=False)
    pytest.skip(msg)


@pytest.mark.browser
@pytest.mark.parametrize("name", SITES)
def test_browser_search_paper_page_and_filters(sites, name):
    chromium = require_chromium()
    from playwright.sync_api import expect, sync_playwright

    b = sites(name)
    cat = b.cat
    shots = ARTIFACTS / name
    shots.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n", encoding="utf-8")
    # The paper to look for: one with a reproduction if any (its page shows results), else the first.
    paper = next((e.paper for e in cat.entries if e.paper.repro), cat.entries[0].paper)
    errors: list[str] = []
    outside: list[str] = []
    with serve(b.site) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
            page = context.new_page()
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server) else None)

            # 1. Search: type the title into the search box; the paper's page is among the results.
            page.goto(server + "/")
            query = page.locator("input[data-md-component='search-query']")
            query.click()
            query.press_sequentially(paper.title, delay=5)
            result = page.locator(f".md-search-result__item > a[href*='/papers/{paper.key}/']").first
            expect(result).to_be_visible(timeout=15_000)
            expect(result.locator("h1").first).to_have_text(" ".join(paper.title.split()))

            # 2. The paper page: title, BibTeX, and its copy button puts the entry on the clipboard.
            result.click()
            page.wait_for_url(re.compile(rf".*/papers/{paper.key}/(\?[^#]*)?(#.*)?$"))
            expect(page.locator("h1")).to_have_text(re.compile("^" + re.escape(" ".join(paper.title.split())) + "¶?$"))
            bib = page.locator("#bibtex ~ .highlight code").first
            expect(bib).to_contain_text(f"{{{paper.key},")
            copy = page.locator("#bibtex ~ .highlight").first.get_by_role("button", name="Copy to clipboard")
            copy.click()
            copied = page.evaluate("navigator.clipboard.readText()")
            assert copied.startswith("@") and f"{{{paper.key}," in copied, copied[:200]
            page.goto(f"{server}/papers/{paper.key}/")  # without the search highlighting, for the screenshot
            page.set_viewport_size({"width": 1400, "height": 1300})
            page.screenshot(path=str(shots / "paper.png"))
            page.set_viewport_size({"width": 1400, "height": 1000})

            # 3. The papers page: a year filter shows exactly that year's papers; "has reproduction" too.
            page.goto(server + "/papers/")
            rows = page.locator("#w2s-papers tbody tr")
            expect(rows).to_have_count(len(cat.entries))
            year = str(paper.year)
            page.select_option("select[name='year']", year)
            n_year = sum(e.paper.year == paper.year for e in cat.entries)
            expect(page.locator("#w2s-papers tbody tr:not([hidden])")).to_have_count(n_year)
            expect(page.locator("#w2s-count")).to_contain_text(f"{n_year} of {len(cat.entries)}")
            assert f"year={year}" in page.url
            page.select_option("select[name='year']", "")
            page.check("input[name='repro']")
            n_repro = sum(bool(e.paper.repro) for e in cat.entries)
            expect(page.locator("#w2s-papers tbody tr:not([hidden])")).to_have_count(n_repro)
            page.uncheck("input[name='repro']")
            # A topic filter keeps the papers under that topic (sub-topics included).
            tid = paper.topics[0] if paper.topics else None
            if tid:
                page.select_option("select[name='topic']", tid)
                under = [
                    e for e in cat.entries if any(tid in common.topic_ancestors(t, cat.topics) for t in e.paper.topics)
                ]
                expect(page.locator("#w2s-papers tbody tr:not([hidden])")).to_have_count(len(under))
                page.select_option("select[name='topic']", "")
            # Sorting by year (ascending) puts the oldest paper first.
            page.locator("#w2s-papers thead button", has_text="Year").click()
            oldest = min(e.paper.year for e in cat.entries)
            expect(page.locator("#w2s-papers tbody tr").first).to_have_attribute("data-year", str(oldest))
            page.locator("#w2s-papers thead button", has_text="Year").click()  # back to newest first
            page.screenshot(path=str(shots / "papers.png"), full_page=False)

            # 4. On a 390 px phone each paper shows title, authors, year and venue inside the screen (a card,
            #    not a six-column table cut after the authors), and the filters still hide rows.
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(server + "/papers/")
            first = page.locator("#w2s-papers tbody tr").first
            for cls in ("w2s-title", "w2s-authors", "w2s-year", "w2s-venue"):
                cell = first.locator(f"td.{cls}")
                expect(cell).to_be_visible()
                box = cell.bounding_box()
                assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (cls, box)
            table = page.locator("#w2s-papers").bounding_box()
            assert table["x"] >= 0 and table["x"] + table["width"] <= 390, table
            page.select_option("select[name='year']", year)
            expect(page.locator("#w2s-papers tbody tr:visible")).to_have_count(n_year)
            page.screenshot(path=str(shots / "papers-phone.png"), full_page=False)
        finally:
            browser.close()
    print(f"screenshots: {shots / 'papers.png'}, {shots / 'paper.png'}")
    assert not errors, "\n".join(errors)
    assert not outside, "requests left localhost:\n" + "\n".join(sorted(set(outside)))


@pytest.mark.parametrize("ci", [True, False])
def test_a_missing_chromium_fails_under_ci_and_otherwise_skips_loudly(ci):
    """README command 2 does not install Chromium: the newcomer must be told how to enable the browser tests."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(W2S_CHROMIUM="/nonexistent/chromium", **({"CI": "true"} if ci else {}))
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_site_build.py::test_browser_search_paper_page_and_filters",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = r.stdout + r.stderr
    assert ENABLE_CHROMIUM in out, out[-3000:]
    if ci:
        assert r.returncode == 1 and "2 failed" in out, out[-3000:]
    else:
        assert r.returncode == 0 and "2 skipped" in out, out[-3000:]
        assert "2 browser test(s) SKIPPED" in out, out[-3000:]  # the banner, not only the -ra line
