"""``python -m catalog check-bib FILE.bib [--format text|json] [--fix] [--papers DIR]``

Checks a bibliography against the catalog (see catalog.bibcheck): papers cited as arXiv that were
published, venues or editions that contradict the catalog or the record itself, unknown venue strings,
duplicates inside the file, mojibake and accent residue. It never writes FILE; ``--fix`` writes a corrected
copy next to it (FILE with ``.fixed.bib``), changing only the records it fixes. Exit status: 0 when nothing
was found, 1 when something was, 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bibtexparser.library import Library
from bibtexparser.model import Field

from atomicio import atomic_write
from catalog import bibcheck
from catalog.load import display_path, load_catalog
from catalog.problems import sort_problems


def fixed_path(path: Path) -> Path:
    """refs.bib -> refs.fixed.bib (next to it)."""
    return path.with_name(path.stem + ".fixed" + (path.suffix or ".bib"))


def apply_fixes(text: str, records: list[bibcheck.Record], findings: list[bibcheck.Finding]) -> tuple[str, int]:
    """`text` with each record that has fixes rewritten in place (everything else byte for byte); the
    number of records changed."""
    import bibtexparser

    fixes: dict[int, dict[str, str]] = {}
    for f in findings:
        if f.fix:
            fixes.setdefault(f.problem.line or 0, {}).update(f.fix)
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    out, pos, changed = [], 0, 0
    for rec in sorted(records, key=lambda r: r.line):
        fix, entry = fixes.get(rec.line), rec.raw
        if not fix or entry is None or entry.raw is None:
            continue
        written = entry.raw  # as in the file (editing the entry below leaves it as it was)
        begin = text.find(written, starts[min(rec.line - 1, len(starts) - 1)])
        if begin < pos:
            continue
        for name, value in fix.items():
            if name == "@type":
                entry.entry_type = value
            elif value == "":
                for k in [k for k in entry.fields_dict if k.lower() == name]:
                    entry.pop(k)
            else:
                existing = next((k for k in entry.fields_dict if k.lower() == name), None)
                entry.set_field(Field(existing or name, value))
        new = bibtexparser.write_string(Library([entry])).strip() + written[len(written.rstrip()) :]
        out += [text[pos:begin], new]
        pos = begin + len(written)
        changed += 1
    out.append(text[pos:])
    return "".join(out), changed


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m catalog check-bib", description=__doc__.split("\n\n")[1])
    ap.add_argument("file", type=Path, metavar="FILE.bib")
    ap.add_argument("--format", choices=["text", "json"], default="text")
    ap.add_argument("--fix", action="store_true", help="write a corrected copy next to FILE (never FILE itself)")
    ap.add_argument("--papers", type=Path, help="papers directory (default: catalog/papers)")
    args = ap.parse_args(argv)
    ctx = bibcheck.context(load_catalog(papers_dir=args.papers))
    records, problems = bibcheck.read(args.file, ctx)
    if any(p.code == "bibtex" for p in problems):
        print(f"error: {problems[0].file}: {problems[0].message}", file=sys.stderr)
        return 2
    findings = bibcheck.check(records, ctx)
    shown = sort_problems(problems + [f.problem for f in findings])
    if args.format == "json":
        by_line: dict[tuple[int | None, str, str], dict[str, str]] = {}
        for f in findings:
            by_line.setdefault((f.problem.line, f.problem.code, f.problem.message), f.fix)
        json.dump(
            [{**p.to_dict(), "fix": by_line.get((p.line, p.code, p.message), {})} for p in shown],
            sys.stdout,
            indent=2,
            ensure_ascii=False,
        )
        sys.stdout.write("\n")
    else:
        for p in shown:
            print(p.format())
        print(f"{len(records)} records checked: {len(shown)} finding(s)", file=sys.stderr)
    if args.fix:
        text = args.file.read_text(encoding="utf-8")
        new, changed = apply_fixes(text, records, findings)
        out = fixed_path(args.file)
        atomic_write(out, new)
        print(
            f"wrote {display_path(out)} ({changed} record(s) corrected; {display_path(args.file)} unchanged)",
            file=sys.stderr,
        )
    return 1 if shown else 0
