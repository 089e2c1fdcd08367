"""Benchmark (not a test): BibTeX intake and validation of N entries, run as a user runs them.

    python tools/bench_intake.py [--n 10000] [--repeat 3] [--keep DIR]

Generates a realistic N-entry .bib (the forms DBLP, Google Scholar, the ACL Anthology, OpenReview, PMLR and
arXiv export: long booktitles with ordinals, spelled-out ordinals, PMLR volumes, Anthology DOIs, CoRR twins of
conference papers, LaTeX accents) and, in a temporary catalog root with the real venue and topic registries,
times three whole commands in fresh processes (Python start-up and imports included):

  add:         python -m catalog add --bibtex refs.bib --papers <root>/papers   (target: under 50 s)
  parse-only:  python -c '...'  reading every written YAML file with yaml.CSafeLoader (the floor)
  validate:    python -m catalog validate --root <root>                          (target: within 2x parse-only)

`add` runs once (it writes the entries); parse-only and validate are the best of --repeat runs.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_catalog import WORDS  # the same title vocabulary as the catalog benchmark

ROOT = Path(__file__).resolve().parents[1]

FIRST = [
    "Collin",
    "Pavel",
    "Josip",
    "Jan",
    "Hao",
    "Fei",
    "Yongbin",
    "Wei",
    "Ana",
    'Zo{\\"e}',
    "{\\L}ukasz",
    "S{\\o}ren",
    "Nicholas",
    "Fran{\\c{c}}ois",
    "Jos{\\'e}",
]
LAST = [
    "Burns",
    "Izmailov",
    "Juki{\\'c}",
    "{\\v{S}}najder",
    "Lang",
    "Huang",
    "Li",
    "Yao",
    'M{\\"u}ller',
    "Corr{\\^e}a",
    "Kacz{\\'e}r",
    "Dubois",
    "Zhang",
    "Wang",
    "Chen",
]
ORDINAL_WORDS = {12: "Twelfth", 13: "Thirteenth", 41: "Forty-first", 42: "Forty-second"}


def _authors(names: list[str], dblp: bool) -> str:
    if dblp:
        return " and\n               ".join(names)
    return " and ".join(f"{n.rsplit(' ', 1)[1]}, {n.rsplit(' ', 1)[0]}" for n in names)  # Scholar: "Last, First"


def entry(i: int, rng: random.Random, titles: dict[int, str]) -> str:
    """One BibTeX record in the form one of the services exports (the kind cycles with i). Every other CoRR
    record is the arXiv twin of the ICML record five before it (same title): intake merges the two."""
    title = " ".join(rng.choice(WORDS).capitalize() for _ in range(rng.randint(4, 9))) + f" {i}"
    if i % 16 == 5:
        title = titles[i - 5]
    titles[i] = title
    names = list(dict.fromkeys(f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randint(1, 8))))
    year = rng.choice([2023, 2024, 2025])
    aid = f"{year % 100:02d}{rng.randint(1, 12):02d}.{10000 + i:05d}"
    kind = i % 8
    if kind == 0:  # DBLP, ICML with PMLR volume
        num = {2023: 40, 2024: 41, 2025: 42}[year]
        return (
            f"@inproceedings{{DBLP:conf/icml/X{i},\n  author    = {{{_authors(names, True)}}},\n"
            f"  title     = {{{title}}},\n"
            f"  booktitle = {{Proceedings of the {_nth(num)} International Conference on Machine Learning,\n"
            f"               {{ICML}} {year}, Vienna, Austria}},\n"
            f"  series    = {{Proceedings of Machine Learning Research}},\n  volume    = {{{202 + (year - 2023) * 33}}},\n"
            f"  pages     = {{{i}--{i + 20}}},\n  publisher = {{{{PMLR}}}},\n  year      = {{{year}}},\n"
            f"  url       = {{https://proceedings.mlr.press/v{202 + (year - 2023) * 33}/x{i}.html}},\n"
            f"  bibsource = {{dblp computer science bibliography, https://dblp.org}}\n}}"
        )
    if kind == 1:  # Google Scholar, NeurIPS
        vol = year - 1987
        return (
            f"@article{{{_key(names, year, title)},\n  title={{{title}}},\n  author={{{_authors(names, False)}}},\n"
            f"  journal={{Advances in Neural Information Processing Systems}},\n  volume={{{vol}}},\n"
            f"  pages={{{i}--{i + 12}}},\n  year={{{year}}}\n}}"
        )
    if kind == 2:  # ACL Anthology, Findings
        host = rng.choice(["acl", "emnlp", "naacl"] if year != 2023 else ["acl", "emnlp"])  # no NAACL in 2023
        full = {
            "acl": "Association for Computational Linguistics: ACL",
            "emnlp": "Association for Computational Linguistics: EMNLP",
            "naacl": "Association for Computational Linguistics: NAACL",
        }[host]
        return (
            f'@inproceedings{{x{i}-{year}-findings-{host},\n    title = "{title}",\n'
            f'    author = "{_authors(names, False)}",\n    booktitle = "Findings of the {full} {year}",\n'
            f'    month = aug,\n    year = "{year}",\n    address = "Bangkok, Thailand",\n'
            f'    publisher = "Association for Computational Linguistics",\n'
            f'    url = "https://aclanthology.org/{year}.findings-{host}.{i}/",\n'
            f'    doi = "10.18653/v1/{year}.findings-{host}.{i}",\n    pages = "{i}--{i + 15}",\n}}'
        )
    if kind == 3:  # OpenReview, ICLR with a spelled-out ordinal
        num = year - 2012
        return (
            f"@inproceedings{{\n{_key(names, year, title)},\ntitle={{{title}}},\nauthor={{{' and '.join(names)}}},\n"
            f"booktitle={{The {ORDINAL_WORDS.get(num, _nth(num))} International Conference on Learning Representations}},\n"
            f"year={{{year}}},\nurl={{https://openreview.net/forum?id=X{i:08d}}}\n}}"
        )
    if kind == 4:  # arXiv (Scholar's form)
        return (
            f"@article{{{_key(names, year, title)},\n  title={{{title}}},\n  author={{{_authors(names, False)}}},\n"
            f"  journal={{arXiv preprint arXiv:{aid}}},\n  year={{{year}}}\n}}"
        )
    if kind == 5:  # DBLP CoRR
        return (
            f"@article{{DBLP:journals/corr/abs-{aid.replace('.', '-')},\n  author    = {{{_authors(names, True)}}},\n"
            f"  title     = {{{title}}},\n  journal   = {{CoRR}},\n  volume    = {{abs/{aid}}},\n  year      = {{{year}}},\n"
            f"  eprinttype = {{arXiv}},\n  eprint    = {{{aid}}}\n}}"
        )
    if kind == 6:  # AAAI with a DOI
        vol = year + 1 - 1986
        return (
            f"@inproceedings{{{_key(names, year, title)},\n  title={{{title}}},\n  author={{{_authors(names, False)}}},\n"
            f"  booktitle={{Proceedings of the AAAI Conference on Artificial Intelligence}},\n  volume={{{vol}}},\n"
            f"  number={{{rng.randint(1, 26)}}},\n  pages={{{i}--{i + 9}}},\n  year={{{year + 1}}},\n"
            f"  doi={{10.1609/aaai.v{vol}i1.{30000 + i}}}\n}}"
        )
    # COLING / ACL main from the Anthology
    return (
        f'@inproceedings{{x{i}-{year}-acl-long,\n    title = "{title}",\n    author = "{_authors(names, False)}",\n'
        f'    booktitle = "Proceedings of the {_nth(year - 1962)} Annual Meeting of the Association for Computational '
        f'Linguistics (Volume 1: Long Papers)",\n    year = "{year}",\n'
        f'    publisher = "Association for Computational Linguistics",\n'
        f'    url = "https://aclanthology.org/{year}.acl-long.{i}/",\n    doi = "10.18653/v1/{year}.acl-long.{i}",\n}}'
    )


def _nth(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _key(names: list[str], year: int, title: str) -> str:
    """Google Scholar's and OpenReview's key: first author's surname, year, first title word."""
    surname = re.sub(r"\\.|[^A-Za-z]", "", names[0].rsplit(" ", 1)[1]).lower()
    return f"{surname}{year}{title.split()[0].lower()}{title.rsplit(' ', 1)[1]}"  # + the record number: unique


def make_bib(n: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    titles: dict[int, str] = {}
    return "\n\n".join(entry(i, rng, titles) for i in range(n)) + "\n"


def make_root(tmp: Path) -> Path:
    root = tmp / "catalog"
    (root / "papers").mkdir(parents=True)
    for name in ("venues.yaml", "topics.yaml"):
        shutil.copy(ROOT / "catalog" / name, root / name)
    (root / "unresolved.yaml").write_text("unresolved: []\n", encoding="utf-8")
    return root


PARSE_ONLY = (
    "import sys, pathlib, yaml\n"
    "for p in sorted(pathlib.Path(sys.argv[1]).glob('*.yaml')):\n"
    "    yaml.load(p.read_text(encoding='utf-8'), Loader=yaml.CSafeLoader)\n"
)


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of the child: user + system, the process run)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc


def best(cmd: list[str], cwd: Path, repeat: int) -> tuple[float, float, subprocess.CompletedProcess]:
    """The fastest wall time and the lowest CPU time of `repeat` runs (on a busy machine CPU is the stable one)."""
    runs = [timed(cmd, cwd) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs), runs[-1][2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="write the generated .bib here too")
    args = ap.parse_args(argv)
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        root = make_root(Path(tmp))
        bib = Path(tmp) / "refs.bib"
        bib.write_text(make_bib(args.n), encoding="utf-8")
        if args.keep:
            shutil.copy(bib, args.keep)
        add_s, add_cpu, proc = timed(
            [py, "-m", "catalog", "add", "--bibtex", str(bib), "--papers", str(root / "papers")], ROOT
        )
        written = len(list((root / "papers").glob("*.yaml")))
        errors = proc.stderr.count("error:")
        merged = proc.stdout.count("\nmerge ") + proc.stdout.startswith("merge ")
        print(
            f"add --bibtex: {args.n} records -> {written} entries written ({merged} twins merged, {errors} refused, "
            f"rc {proc.returncode})"
        )
        print(
            f"  {add_s:.1f} s wall, {add_cpu:.1f} s CPU = {1000 * add_s / args.n:.2f} ms/record "
            f"(target: under 50 s for 10,000)"
        )
        if errors:
            print("  first refusals:", *proc.stderr.splitlines()[:5], sep="\n    ")
        parse_s, parse_cpu, _ = best([py, "-c", PARSE_ONLY, str(root / "papers")], ROOT, args.repeat)
        val_s, val_cpu, proc = best(
            [py, "-m", "catalog", "validate", "--root", str(root), "--errors-only"], ROOT, args.repeat
        )
        tail = proc.stderr.strip().splitlines()[-1:] or [""]
        print(
            f"parse-only (python + CSafeLoader over {written} files): {parse_s:.2f} s wall, {parse_cpu:.2f} s CPU "
            f"(best of {args.repeat})"
        )
        print(f"validate (python -m catalog validate): {val_s:.2f} s wall, {val_cpu:.2f} s CPU (best of {args.repeat})")
        print(
            f"  = {val_s / parse_s:.2f}x wall, {val_cpu / parse_cpu:.2f}x CPU of parse-only (target <= 2x); {tail[0]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
