"""docs/ and the README stand alone in a clone: every file they name exists in the repository, and
none of them points outside it (a reader of a clone has nothing else)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "ops/bench/README.md"]
NAMED_FILE = re.compile(r"`([\w./-]+\.(?:py|sql|toml|md))`|\]\(([^)#:]+)\)")
"""A file named in backticks (`domain/case.py`) or linked ([x](docs/ARCHITECTURE.md))."""
PLACES = (ROOT, ROOT / "src" / "ledger", ROOT / "docs")
"""Where a named path may start: the repository, the package (`domain/case.py`), or docs/."""


def named_files(doc: Path) -> set[str]:
    return {a or b for a, b in NAMED_FILE.findall(doc.read_text(encoding="utf-8"))}


def exists(name: str, doc: Path) -> bool:
    starts = (doc.parent, *PLACES)
    return any((start / name).exists() for start in starts) or any(
        start.rglob(name) for start in (ROOT / "src" / "ledger",) if "/" not in name
    )


def test_every_file_the_docs_name_exists_in_the_repository() -> None:
    missing = {
        f"{doc.relative_to(ROOT)}: {name}"
        for doc in DOCS
        for name in named_files(doc)
        if not exists(name, doc)
    }
    assert missing == set()


def test_no_doc_points_outside_the_repository() -> None:
    outside = {
        f"{doc.relative_to(ROOT)}: {name}"
        for doc in DOCS
        for name in named_files(doc) | set(re.findall(r"\.\./shared[\w./-]*", doc.read_text()))
        if not (doc.parent / name).resolve().is_relative_to(ROOT)
    }
    assert outside == set()
