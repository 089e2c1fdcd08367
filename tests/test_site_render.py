"""Unit tests of the site generator (catalog/render/site/) on the fixture catalog in tests/fixtures/site/:
what each page says, escaping, BibTeX, reproduction results, determinism. The built site is tested in
tests/test_site_build.py."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import bibtexparser
import markdown
import pytest
import yaml
from bibtexparser.middlewares import LatexDecodingMiddleware
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.load import load_catalog
from catalog.render import escape, site
from catalog.render.bibtex import export
from catalog.render.site import common, embed, reproductions

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "site"
DOCS = Path("docs")
EXTENSIONS = ["tables", "attr_list", "md_in_html", "admonition", "toc"]  # as in mkdocs.yml


@pytest.fixture(scope="module")
def cat():
    c = load_catalog(FIXTURE / "catalog")
    assert not c.problems, [str(p) for p in c.problems]
    return c


@pytest.fixture(scope="module")
def out(cat):
    return site.outputs(cat, FIXTURE)


def _front(text: str) -> tuple[dict, str]:
    m = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert m, text[:200]
    return yaml.safe_load(m.group(1)), text[m.end() :]


def _render(text: str) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS)


def _plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


# ---------------------------------------------------------------------------------------------------------
# The set of files
# ---------------------------------------------------------------------------------------------------------
def test_outputs_cover_every_entry_topic_and_used_venue(cat, out):
    paths = {p.as_posix() for p in out}
    for e in cat.entries:
        assert f"docs/papers/{e.paper.key}.md" in paths
    for tid in cat.topics:
        assert f"docs/topics/{tid}.md" in paths
    assert "docs/venues/neurips.md" in paths and "docs/venues/emnlp.md" in paths
    assert "docs/venues/unused.md" not in paths  # no paper there: no page
    for page in (
        "papers/index.md",
        "topics/index.md",
        "venues/index.md",
        "reproductions/index.md",
        "unresolved.md",
        "contributing.md",
    ):
        assert f"docs/{page}" in paths
    assert all(site.is_generated(p) for p in out)


def test_outputs_are_deterministic_and_sorted(cat, out):
    again = site.outputs(cat, FIXTURE)
    assert again == out
    assert list(out) == sorted(out, key=lambda p: p.as_posix())


def test_result_images_are_copied_as_bytes(out):
    png = out[DOCS / "reproductions" / "toy_recipe" / "plot.png"]
    assert isinstance(png, bytes)
    assert png == (FIXTURE / "results" / "toy_recipe" / "plot.png").read_bytes()
    assert all(isinstance(v, str) for k, v in out.items() if k.suffix == ".md")


# ---------------------------------------------------------------------------------------------------------
# Escaping
# ---------------------------------------------------------------------------------------------------------
SPECIAL = st.text(alphabet=st.sampled_from(list("ab Z09|*_<>&#[](){}`\\!+-.:=~^'\"ÜéŁ李→ \t")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(SPECIAL)
def test_md_renders_any_text_verbatim(text):
    expected = " ".join(text.split())
    assert _plain(_render(escape.md(text))) == expected
    # ... inside a table cell and as link text too
    table = _render(f"| a |\n|---|\n| {escape.md(text)} |")
    cell = re.search(r"<td>(.*?)</td>", table, re.S)
    assert _plain(cell.group(1) if cell else "") == expected
    assert _plain(_render(escape.link(text, "x.md") + " end")) == f"{expected} end".strip()


@settings(max_examples=200, deadline=None)
@given(SPECIAL, st.sampled_from(["https://example.org/a_(b)", "https://x.org/p?q=1&r=*2*", "http://h.io/"]), SPECIAL)
def test_md_text_links_bare_urls_and_keeps_the_rest(before, u, after):
    text = f"{before} {u} {after}"
    rendered = _render(escape.md_text(text))
    assert _plain(rendered) == " ".join(text.split())
    assert f'href="{html.escape(escape.url(u))}"' in rendered


def test_front_matter_title_is_html_escaped_for_material(out):
    fm, body = _front(out[DOCS / "papers" / "muller2023when.md"])
    assert html.unescape(fm["title"]) == "When Weak < Strong: Robust & *Fast* Learning | Über_Modelle"
    assert "<" not in fm["title"] and "&lt;" in fm["title"]
    assert fm["tags"] == ["Theory & *bounds* of W2S"]
    h1 = re.search(r"^# (.*)$", body, re.M).group(1)
    assert _plain(_render(f"# {h1}")) == "When Weak < Strong: Robust & *Fast* Learning | Über_Modelle"


def test_papers_table_escapes_and_carries_filter_data(cat, out):
    page = out[DOCS / "papers" / "index.md"]
    row = re.search(r'<tr data-year="2023"[^>]*>.*?</tr>', page).group(0)
    assert 'data-venue="neurips"' in row and 'data-repro="yes"' in row
    assert 'data-topics="w2s w2s-theory"' in row  # the topic and its parent area
    assert "When Weak &lt; Strong: Robust &amp; *Fast* Learning | Über_Modelle</a>" in row
    assert "Jörg Müller, Zoë Ñuñez-O&#x27;Brien, 李雷 et al." in row  # five authors: three and et al.
    assert 'title="Jörg Müller, Zoë Ñuñez-O&#x27;Brien, 李雷, A. *Star* Author_Name, Åsa Øberg"' in row
    # the filter controls list exactly the values present
    assert re.findall(r'<select name="year">(.*?)</select>', page)[0].count("<option") == 1 + 3
    assert '<option value="unused">' not in page
    assert '<option value="weak-planners">' in page and '<option value="agents">' in page
    assert "4 papers; 3 with a verified venue, 2 with a reproduction" in page


# ---------------------------------------------------------------------------------------------------------
# Paper pages
# ---------------------------------------------------------------------------------------------------------
def test_paper_page_metadata_links_and_results(out):
    page = out[DOCS / "papers" / "muller2023when.md"]
    rendered = _render(_front(page)[1])
    assert 'href="../venues/neurips.md">NeurIPS 2023</a>' in rendered
    assert 'href="https://proceedings.neurips.cc/paper_files/paper/2023/hash/abc-Abstract-Conference.html"' in rendered
    assert 'href="https://arxiv.org/abs/2312.00001"' in rendered
    assert 'href="https://doi.org/10.5555/3666122.3666123"' in rendered
    assert 'href="https://github.com/example/weak_strong">code</a>' in rendered
    assert 'href="../topics/w2s-theory.md">Theory &amp; *bounds* of W2S</a>' in rendered
    assert "Weak &lt;b&gt;model&lt;/b&gt; &amp; friends" in rendered  # HTML in data is shown, not injected
    # the summary's bare URL (with parentheses) becomes a link; the sentence reads as written
    assert (
        'href="https://example.org/notes_%28v2%29">https://example.org/notes_(v2)</a> for *details* &amp; more.'
        in rendered
    )
    # the results fragment: table embedded, heading demoted under "Reproduction", plot path rewritten,
    # a link to a file outside the site turned into text
    assert "<h3" in rendered and "Results: toy_recipe" in rendered
    assert "<td>naive</td>" in rendered
    assert 'src="../reproductions/toy_recipe/plot.png"' in rendered
    assert rendered.count("plot.png") == 1
    assert "config (<code>config.yaml</code>)" in rendered


def test_unverified_paper_says_so_and_missing_results_say_no_results_yet(out):
    page = out[DOCS / "papers" / "ng2025pending.md"]
    assert '!!! warning "Not verified"' in page
    rendered = _render(_front(page)[1])
    assert 'href="https://openreview.net/group?id=ICLR.cc">' in rendered  # the note's URL is a link
    assert (
        "No results yet: run <code>python -m repro run missing_recipe --out results/missing_recipe</code>" in rendered
    )
    assert "arXiv title: Pending (arXiv title)" in _plain(rendered)


@pytest.mark.parametrize(
    "key, etype, venue_field",
    [
        ("muller2023when", "inproceedings", ("booktitle", "Advances in Neural Information Processing Systems")),
        (
            "lee2024csharp",
            "inproceedings",
            ("booktitle", "Findings of the Association for Computational Linguistics: EMNLP 2024"),
        ),
        ("smith2024journal", "article", ("journal", "Transactions on Machine Learning Research")),
        ("ng2025pending", "misc", None),
    ],
)
def test_bibtex_block_is_the_exported_entry_and_parses_back(cat, out, key, etype, venue_field):
    page = out[DOCS / "papers" / f"{key}.md"]
    block = re.search(r"^(`{3,}) bibtex\n(.*?)\n\1$", page, re.S | re.M).group(2)
    # the same text `python -m catalog export --bibtex` writes for this entry
    exported = export(cat)
    assert block.strip() in exported
    lib = bibtexparser.parse_string(block, append_middleware=[LatexDecodingMiddleware()])
    assert not lib.failed_blocks and len(lib.entries) == 1
    entry = lib.entries[0]
    paper = next(e.paper for e in cat.entries if e.paper.key == key)
    assert entry.key == key and entry.entry_type == etype
    assert entry.fields_dict["title"].value == paper.title  # | * _ < & # { } \ and accents survive
    assert entry.fields_dict["author"].value.split(" and ") == paper.authors
    if venue_field:
        assert entry.fields_dict[venue_field[0]].value == venue_field[1]
    if paper.arxiv:
        assert entry.fields_dict["eprint"].value == paper.arxiv.id


def test_every_paper_page_shows_its_single_entry_export(cat, out):
    """Pages get their BibTeX from one export of all entries; each is what exporting that entry alone gives."""
    for e in cat.entries:
        page = out[DOCS / "papers" / f"{e.paper.key}.md"]
        assert common.fence(common.bibtex(e, cat), "bibtex") in page, e.paper.key


def test_topic_pages_list_exactly_the_papers_under_them(cat, out):
    for tid in cat.topics:
        under = {
            e.paper.key
            for e in cat.entries
            if any(tid in common.topic_ancestors(t, cat.topics) for t in e.paper.topics)
        }
        body = _front(out[DOCS / "topics" / f"{tid}.md"])[1]
        listed = set(re.findall(r"\]\(\.\./papers/([^)]+)\.md\)", body))
        assert listed == under, tid
        assert f"{len(under)} paper{'s' if len(under) != 1 else ''} " in body


def test_fence_is_longer_than_any_backtick_run_inside():
    block = common.fence("a ```` b", "bibtex")
    assert block.startswith("````` bibtex\n") and block.endswith("\n`````\n")


# ---------------------------------------------------------------------------------------------------------
# Other pages
# ---------------------------------------------------------------------------------------------------------
def test_topic_pages_include_sub_topics(out):
    area = _render(_front(out[DOCS / "topics" / "w2s.md"])[1])
    assert "../papers/muller2023when.md" in area  # tagged w2s-theory, a sub-topic of w2s
    assert "../papers/smith2024journal.md" in area
    assert "../papers/ng2025pending.md" not in area
    sub = _render(_front(out[DOCS / "topics" / "w2s-theory.md"])[1])
    assert 'Part of <a href="../topics/w2s.md">Weak-to-strong generalization</a>' in sub
    assert "../papers/smith2024journal.md" not in sub


def test_venue_page_groups_by_edition_and_shows_tracks(out):
    page = _render(_front(out[DOCS / "venues" / "emnlp.md"])[1])
    assert '<h2 id="2024">2024</h2>' in page
    assert "<td>findings</td>" in page
    neurips = _render(_front(out[DOCS / "venues" / "neurips.md"])[1])
    assert "2023-12-10 to 2023-12-16" in neurips


def test_reproductions_page_lists_each_linked_recipe(out):
    page = out[DOCS / "reproductions" / "index.md"]
    rendered = _render(_front(page)[1])
    assert re.findall(r'<h2 id="([^"]+)"', rendered) == ["missing_recipe", "toy_recipe"]
    assert "python -m repro run toy_recipe" in page and "python -m repro run missing_recipe" in page
    assert 'src="toy_recipe/plot.png"' in rendered
    assert "No results yet" in rendered.split('id="toy_recipe"')[0]


def test_unresolved_rows_and_candidates(out):
    rendered = _render(_front(out[DOCS / "unresolved.md"])[1])
    cells = [_plain(c) for c in re.findall(r"<td>(.*?)</td>", rendered, re.S)]
    assert "Student | Teacher <surpass> & *friends*" in cells
    assert 'href="papers/muller2023when.md">muller2023when</a>' in rendered


def test_contributing_mirrors_contributing_md_without_dead_links(out, tmp_path, cat):
    page = out[DOCS / "contributing.md"]
    assert "# Contributing to the fixture" in page
    assert "the schema (`catalog/schema.py`)" in page  # a repository file: shown, not linked
    assert "[the docs](https://example.org/docs)" in page
    # without a CONTRIBUTING.md, a short guide is generated instead
    fallback = site.outputs(cat, tmp_path)[DOCS / "contributing.md"]
    assert "python -m catalog add arxiv:<id>" in fallback


def test_recipe_ids_that_are_not_names_read_no_files(tmp_path):
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "results.md").write_text("| leaked |\n", encoding="utf-8")
    (tmp_path / "results").mkdir()
    assert reproductions.results_dir(tmp_path, "../secret") is None
    assert "leaked" not in reproductions.results_block(tmp_path, "../secret", "x/", 3)
    assert reproductions.result_images(tmp_path, "../secret") == []


def test_results_fragment_headings_are_demoted_outside_code():
    text = "# A\n\n```\n# not a heading\n```\n\n## B\n"
    assert embed.demote_headings(text, 3) == "### A\n\n```\n# not a heading\n```\n\n#### B"


# ---------------------------------------------------------------------------------------------------------
# Staging and stale files
# ---------------------------------------------------------------------------------------------------------
def test_stale_reports_pages_of_removed_entries(tmp_path, cat, out):
    (tmp_path / "docs" / "papers").mkdir(parents=True)
    (tmp_path / "docs" / "papers" / "gone2020paper.md").write_text("old\n", encoding="utf-8")
    (tmp_path / "docs" / "papers" / "muller2023when.md").write_text("current\n", encoding="utf-8")
    (tmp_path / "docs" / "index.md").write_text("hand-written\n", encoding="utf-8")
    assert site.stale(tmp_path, out) == [Path("docs/papers/gone2020paper.md")]


def test_stage_writes_a_complete_project_without_touching_the_repo(tmp_path, cat):
    repo = Path(__file__).resolve().parents[1]
    before = sorted(p.as_posix() for p in (repo / "docs").rglob("*"))
    cfg = site.stage(cat, FIXTURE, tmp_path / "src", project_root=repo)
    assert cfg.read_text(encoding="utf-8") == (repo / "mkdocs.yml").read_text(encoding="utf-8")
    assert (tmp_path / "src" / "docs" / "index.md").is_file()
    assert (tmp_path / "src" / "docs" / "assets" / "js" / "papers-table.js").is_file()
    assert (tmp_path / "src" / "docs" / "papers" / "muller2023when.md").is_file()
    assert not (tmp_path / "src" / "docs" / "papers" / "burns2023weak.md").exists()  # repo pages not mixed in
    assert sorted(p.as_posix() for p in (repo / "docs").rglob("*")) == before
    shutil.rmtree(tmp_path / "src")
