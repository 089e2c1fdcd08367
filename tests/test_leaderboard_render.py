"""The suite leaderboard (README table and site page) is generated from results/<recipe>/suite/results.json."""

import json
from pathlib import Path

from catalog.render.site import leaderboard


def suite_doc() -> dict:
    pgr = lambda v, lo, hi: {"pgr_of_means": v, "ci": [lo, hi], "gap_too_small": False}  # noqa: E731
    small = {"pgr_of_means": None, "ci": [None, None], "gap_too_small": True}
    return {
        "recipe": "burns2023",
        "preset": "suite",
        "seeds": [0, 1, 2],
        "weak_model": "Weak<1>",
        "strong_model": "Strong|2",
        "missing": {"fever": "task fever: run `python -m repro data fetch fever`"},
        "tasks": [
            {
                "name": "task_a",
                "methods": {"naive_soft": {"pgr": pgr(0.41, 0.2, 0.6)}, "oracle_stop": {"pgr": pgr(0.9, 0.8, 1.0)}},
            },
            {"name": "task_b", "methods": {"naive_soft": {"pgr": small}, "oracle_stop": {"pgr": small}}},
        ],
        "medians": {
            "oracle_stop": {"median": 0.9, "ci": [0.8, 1.0], "n_tasks": 1, "oracle": True},
            "naive_soft": {"median": 0.41, "ci": [0.2, 0.6], "n_tasks": 1, "oracle": False},
        },
    }


def write(root: Path, doc: dict) -> None:
    d = root / "results" / "burns2023" / "suite"
    d.mkdir(parents=True)
    (d / "results.json").write_text(json.dumps(doc))
    (d / "pgr.png").write_bytes(b"\x89PNG fake")


def test_readme_table_has_a_row_per_method_and_a_column_per_task(tmp_path):
    write(tmp_path, suite_doc())
    block = leaderboard.readme_block(tmp_path)
    assert block.startswith(leaderboard.BEGIN) and block.endswith(leaderboard.END)
    rows = [line for line in block.splitlines() if line.startswith("| ")]
    assert rows[0] == "| Method | Median PGR | task\\_a | task\\_b |"
    assert rows[1] == "| naive\\_soft | 0.41 [0.20, 0.60] | 0.41 [0.20, 0.60] | gap too small |"
    assert rows[2].startswith("| oracle\\_stop \\(oracle ablation\\) | 0.90")  # ablations last
    assert "weak Weak&lt;1&gt;, strong Strong\\|2" in block and "Did not run: fever." in block


def test_site_page_is_a_sortable_table_with_the_plot(tmp_path):
    write(tmp_path, suite_doc())
    page = leaderboard.page(tmp_path)
    assert '<table class="w2s-sortable">' in page
    assert (
        '<td data-sort="0.410000">0.41 [0.20, 0.60]</td><td data-sort="0.410000">0.41 [0.20, 0.60]</td>'
        "<td>gap too small</td>" in page
    )
    assert "](leaderboard/burns2023-pgr.png)" in page


def test_no_suite_results_says_how_to_make_them(tmp_path):
    assert "python -m repro run burns2023 --preset suite" in leaderboard.readme_block(tmp_path)
