"""clusterkg: an open knowledge graph of innovation clusters.

Modules are the verbs of the job: ``graph`` loads the Turtle into the embedded
store, ``validate`` checks it against the SHACL shapes, ``query`` runs the canned
SPARQL queries, ``remote`` talks to SPARQL servers, ``report`` writes the report.

For notebooks and pipelines, :func:`open` gives a :class:`KnowledgeGraph` with
the command line's verbs as methods (:mod:`clusterkg.api`)::

    import clusterkg
    kg = clusterkg.open()
    rows = kg.query("cluster-partners", cluster="ck:cap-digital")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

#: The package's version: the one place it is written (pyproject.toml reads it).
__version__ = "0.1.0"

__all__ = ["KnowledgeGraph", "Rows", "Stats", "__version__", "open"]

if TYPE_CHECKING:
    from .api import KnowledgeGraph, Rows, Stats, open


def __getattr__(name: str) -> Any:
    # the API is imported on first use, so that ``import clusterkg`` stays cheap
    if name in ("KnowledgeGraph", "Rows", "Stats", "open"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'clusterkg' has no attribute {name!r}")
