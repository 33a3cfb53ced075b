"""Reading SPARQL text from ``.rq`` files: code holds no query text of its own."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import project


@cache
def read_rq(path: Path) -> str:
    return Path(path).read_text(encoding="utf-8")


def internal_query(name: str) -> str:
    """A query under ``queries/internal/`` (checks and statistics, not the catalogue)."""
    return read_rq(project.INTERNAL_QUERIES_DIR / f"{name}.rq")


def select(store: ox.Store, query: str, **options: Any) -> ox.QuerySolutions:
    """``store.query`` of a SELECT query, typed as its solutions (``options`` as for
    :meth:`pyoxigraph.Store.query`)."""
    solutions = store.query(query, **options)
    if not isinstance(solutions, ox.QuerySolutions):
        raise TypeError("not a SELECT query")
    return solutions
