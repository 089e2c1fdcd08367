"""One module per ``python -m catalog`` subcommand, each with ``main(argv) -> int``."""

COMMANDS = {
    "validate": "Check every entry and registry; exit 1 on any error.",
    "add": "Scaffold entries from BibTeX (--bibtex FILE) or arXiv (arxiv:ID).",
    "build": "Regenerate README tables, docs pages and catalog/schema.json (--check: exit 1 if stale).",
    "export": "Write the catalog as BibTeX (--bibtex [FILE]).",
    "check-bib": "Check a .bib file against the catalog (--format text|json, --fix writes FILE.fixed.bib).",
}
