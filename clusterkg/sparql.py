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


def value_of(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """The ``value`` of an IRI, a blank node or a literal of a quad (the project's
    graphs hold no RDF-star triples)."""
    if isinstance(term, ox.Triple):
        raise TypeError(f"an RDF-star triple where a term was expected: {term}")
    return term.value
