"""Reading SPARQL text from ``.rq`` files: code holds no query text of its own."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from . import project


@lru_cache(maxsize=None)
def read_rq(path: Path) -> str:
    return Path(path).read_text(encoding="utf-8")


def internal_query(name: str) -> str:
    """A query under ``queries/internal/`` (checks and statistics, not the catalogue)."""
    return read_rq(project.INTERNAL_QUERIES_DIR / f"{name}.rq")
