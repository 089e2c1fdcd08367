"""README renderer: order, columns, escaping, determinism."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from test_catalog_checks import apply_case, make_root

from catalog.load import load_catalog
from catalog.render import RenderError
from catalog.render.escape import link, md
from catalog.render.markdown import authors_short
from catalog.render.readme import papers_table, render_block, splice

# The README is rendered by GitHub (GFM: CommonMark with tables and ~strikethrough~); markdown-it-py with
# those two rules stands in for it. The site's renderer (Python-Markdown) is tested in test_site_render.py
# with the same escaping function.
GFM = MarkdownIt("commonmark").enable("table").enable("strikethrough")
SPECIAL = st.text(alphabet=st.sampled_from(list("ab Z09|*_<>&#[](){}`\\!+-.:=~^'\"ÜéŁ李→ \t")), max_size=40)


def _plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


@settings(max_examples=300, deadline=None)
@given(SPECIAL)
def test_escaped_text_renders_verbatim_on_github(text):
    """In a table cell (where `|` would split the cell), as link text and as a paragraph."""
    expected = " ".join(text.split())
    cell = re.search(r"<td>(.*?)</td>", GFM.render(f"| a | b |\n|---|---|\n| {md(text)} | end |"), re.S)
    assert cell and _plain(cell.group(1)) == expected
    assert _plain(GFM.render(link(text, "https://x.org/a b(c)|d") + " end")) == f"{expected} end".strip()
    assert _plain(GFM.render(md(text))) == expected


def test_url_stays_one_link_target_inside_a_table():
    out = GFM.render(f"| a |\n|---|\n| {link('t', 'https://x.org/a b(c)|d<e>')} |")
    assert 'href="https://x.org/a%20b%28c%29%7Cd%3Ce%3E"' in out


def test_authors_short():
    assert authors_short(["A", "B", "C"]) == "A, B, C"
    assert authors_short(["A", "B", "C", "D"]) == "A, B, C et al."


def _rows(markdown: str) -> list[list[str]]:
    """The body rows of every table in `markdown` as GitHub renders it: one list of cell HTML per row."""
    html_ = GFM.render(markdown)
    return [
        re.findall(r"<td>(.*?)</td>", tr, re.S) for tr in re.findall(r"<tr>(.*?)</tr>", html_, re.S) if "<td>" in tr
    ]


def test_table_sorted_and_columns(tmp_path):
    cat = load_catalog(make_root(tmp_path))
    rows = _rows("\n".join(papers_table(cat)))
    assert len(rows) == len(cat.entries) and {len(r) for r in rows} == {4}
    years = [int(r[0]) for r in rows]
    assert years == sorted(years, reverse=True)
    burns = next(r for r in rows if "Eliciting Strong" in r[1])
    assert burns[0] == "2023"
    assert burns[1] == (
        '<a href="https://arxiv.org/abs/2312.09390">Weak-to-Strong Generalization: Eliciting Strong '
        "Capabilities With Weak Supervision</a>"
    )
    assert _plain(burns[2]) == "Collin Burns, Pavel Izmailov, Jan Hendrik Kirchner et al."
    assert burns[3].startswith(
        'ICML 2024 <a href="https://proceedings.mlr.press/v235/burns24b.html" title="evidence: proceedings">✓</a>'
    )
    labels = [_plain(r[3]) for r in rows]
    assert "Findings of ACL 2025 ✓" in labels
    assert "ICLR 2025 Workshop (Bidirectional Human-AI Alignment (Bi-Align)) ✓" in labels
    assert "arXiv preprint" in labels
    assert "IEEE Access 2025 ✓" in labels
    # no link: DOI fallback for an entry without paper link or arXiv id
    assert (
        '<a href="https://doi.org/10.1109/ACCESS.2025.3546605">Reducing Uncertainty of Weak Supervised Signals '
        "via Mutual Information Techniques</a>"
    ) in [r[1] for r in rows]


def test_markdown_specials_in_titles_stay_in_their_cell(tmp_path):
    root = make_root(tmp_path)
    nasty = "A | B: *Stars* and _under_ <b>bold</b> `tick` [br] ~~struck~~"
    apply_case(root, {"base": "lang2025debate", "set": {"title": nasty}})
    rows = _rows("\n".join(papers_table(load_catalog(root))))
    [row] = [r for r in rows if "Stars" in r[1]]
    assert len(row) == 4
    assert _plain(row[1]) == nasty
    assert not re.search(r"<(b|em|strong|code|s|del)>", row[1])  # no markup from the data


def test_unverified_and_topics_and_unresolved(tmp_path):
    root = make_root(
        tmp_path,
        unresolved=[{"seed": "001", "row": "BLIP / BLIP-2", "reason": "two papers", "candidates": ["burns2023weak"]}],
    )
    apply_case(root, {"base": "liu2025reducing", "set": {"verified": False}})
    block = render_block(load_catalog(root))
    rendered = GFM.render(block)
    assert "<td>IEEE Access 2025 (unverified)</td>" in rendered
    assert "<h3>Weak-to-strong generalization</h3>" in rendered
    theory = rendered.split("<strong>Theory of weak-to-strong generalization</strong>")[1]
    assert _plain(theory.split("</ul>")[0]).startswith("Revisiting Weak-to-Strong Generalization in Theory")
    assert "Reverse KL vs. Forward KL</a> (Findings of ACL 2025)" in rendered
    assert "(arXiv preprint, 2024)" in rendered
    assert ["001", "BLIP / BLIP-2", "two papers", "<code>burns2023weak</code>"] in _rows(block)


def test_deterministic(tmp_path):
    a = render_block(load_catalog(make_root(tmp_path / "a")))
    b = render_block(load_catalog(make_root(tmp_path / "b")))
    assert a == b


def test_splice_errors():
    with pytest.raises(RenderError):
        splice("no markers", "x")
    s = "a<!-- BEGIN GENERATED: papers -->old<!-- END GENERATED: papers -->b"
    assert splice(s, "NEW") == "aNEWb"


def _readme_with_repro_markers(tmp_path):
    from catalog.render.readme import BEGIN, END, REPRO_BEGIN, REPRO_END

    (tmp_path / "README.md").write_text(f"# x\n{REPRO_BEGIN}\n{REPRO_END}\n{BEGIN}\n{END}\n", encoding="utf-8")


def test_reproductions_block_reads_committed_results(tmp_path):
    import json

    from catalog.render.readme import outputs

    cat = load_catalog(make_root(tmp_path))
    _readme_with_repro_markers(tmp_path)
    stat = lambda m, s: {"mean": m, "std": s, "per_seed": [m]}  # noqa: E731
    pgr = lambda p, lo, hi: {"pgr_of_means": p, "ci": [lo, hi], "gap_too_small": p is None}  # noqa: E731
    res = {
        "methods": {
            "naive": {
                "weak": stat(0.7, 0.01),
                "ceiling": stat(0.8, 0.02),
                "student": stat(0.75, 0.03),
                "pgr": pgr(0.5, 0.31, 0.64),
            },
            "oracle_stop": {
                "oracle": True,
                "weak": stat(0.7, 0.01),
                "ceiling": stat(0.8, 0.02),
                "student": stat(0.78, 0.0),
                "pgr": pgr(0.8, 0.7, 0.9),
            },
            "tiny": {
                "weak": stat(0.7, 0.01),
                "ceiling": stat(0.705, 0.02),
                "student": stat(0.75, 0.03),
                "pgr": pgr(None, None, None),
            },
        }
    }
    (tmp_path / "results" / "demo").mkdir(parents=True)
    (tmp_path / "results" / "demo" / "results.json").write_text(json.dumps(res), encoding="utf-8")
    text = outputs(cat, tmp_path)[tmp_path / "README.md"]
    rows = [r for r in _rows(text) if len(r) == 7]
    assert len(rows) == 3
    assert rows[0][0] == '<a href="results/demo/results.md"><code>demo</code></a>'
    assert _plain(rows[0][1]).startswith("Weak-to-Strong Generalization: Eliciting")
    assert rows[0][2:] == ["naive", "70.0 ± 1.0", "80.0 ± 2.0", "75.0 ± 3.0", "0.50 [0.31, 0.64]"]
    assert rows[1] == [
        "",
        "",
        "oracle_stop (oracle ablation)",
        "70.0 ± 1.0",
        "80.0 ± 2.0",
        "78.0 ± 0.0",
        "0.80 [0.70, 0.90]",
    ]
    assert rows[2][2] == "tiny" and rows[2][6] == "gap too small"  # a ratio of noise is not printed


def test_reproductions_block_says_when_results_are_missing(tmp_path):
    from catalog.render.readme import outputs

    cat = load_catalog(make_root(tmp_path))
    _readme_with_repro_markers(tmp_path)
    text = outputs(cat, tmp_path)[tmp_path / "README.md"]
    assert "No committed results yet for: `demo`." in text


def test_a_recipe_id_that_is_no_name_never_becomes_a_readme_path(tmp_path):
    """The schema refuses `repro: ../x`; the README renderer does not trust that alone (an unvalidated
    model_copy here) and reads nothing outside results/."""
    import dataclasses
    import json

    from catalog.render.readme import outputs

    cat = load_catalog(make_root(tmp_path))
    e = next(e for e in cat.entries if e.paper.repro)
    bad = dataclasses.replace(e, paper=e.paper.model_copy(update={"repro": "../secret"}))
    cat = dataclasses.replace(cat, entries=[bad if x is e else x for x in cat.entries])
    (tmp_path / "secret").mkdir()
    stat = {"mean": 0.5, "std": 0.0}
    (tmp_path / "secret" / "results.json").write_text(
        json.dumps({"methods": {"leaked": {"weak": stat, "ceiling": stat, "student": stat, "pgr": stat}}}),
        encoding="utf-8",
    )
    _readme_with_repro_markers(tmp_path)
    text = outputs(cat, tmp_path)[tmp_path / "README.md"]
    assert "leaked" not in text and "../secret" not in text
