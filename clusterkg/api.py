"""The Python API, for notebooks and pipelines: the command line's verbs as methods.

Example (the README's "Python API" section runs the same)::

    import clusterkg
    kg = clusterkg.open()                     # the project's data (or a folder, or files)
    kg.stats().triples                        # all triples, every named graph
    kg.validate().conforms                    # True: no violation
    rows = kg.query("cluster-partners", cluster="ck:cap-digital")
    rows[0]["partner"]                        # a row is a dict
    rows.to_dataframe()                       # pandas (pip install 'clusterkg[pandas]')

The graph is loaded once into an in-memory pyoxigraph store (:attr:`KnowledgeGraph.store`),
one named graph per file, as ``clusterkg stats`` does; every method works on it
(``validate`` reads the files again, as the SHACL engines need their own graphs).
Errors are the package's own exceptions: :class:`clusterkg.graph.LoadError` (a file
cannot be read), :class:`clusterkg.query.QueryError` (a query name or parameter),
:class:`clusterkg.remote.RemoteError` (a server).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import pyoxigraph as ox

from . import graph, project
from . import query as query_mod
from .sparql import internal_query, select

if TYPE_CHECKING:
    import pandas

    from . import remote, validate

PathLike = str | os.PathLike[str]

__all__ = ["KnowledgeGraph", "Rows", "Stats", "open"]


@dataclass(frozen=True)
class Stats:
    """What ``clusterkg stats`` prints: triples per named graph, instances per class
    (classes as CURIEs, ``ckg:Cluster``)."""

    graphs: dict[str, int]
    classes: dict[str, int]

    @property
    def triples(self) -> int:
        """All triples, every named graph together."""
        return sum(self.graphs.values())


class Rows(Sequence[dict[str, Any]]):
    """The answer of a canned query: a sequence of rows, each a ``dict`` from column
    to value (IRIs as full strings, numbers as ``int``/``Decimal``, dates as
    ``datetime.date``, unbound as ``None``; see :func:`clusterkg.query.normalise_term`)."""

    def __init__(self, result: query_mod.Result):
        self.result = result
        self.columns: tuple[str, ...] = result.columns
        self.title: str = result.title

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [dict(zip(self.columns, row, strict=True)) for row in self.result.rows[index]]
        return dict(zip(self.columns, self.result.rows[index], strict=True))

    def __len__(self) -> int:
        return len(self.result.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (dict(zip(self.columns, row, strict=True)) for row in self.result.rows)

    def __repr__(self) -> str:
        return f"<Rows {self.title!r}: {len(self)} rows x {len(self.columns)} columns {list(self.columns)}>"

    def to_dataframe(self) -> pandas.DataFrame:
        """The rows as a pandas DataFrame (needs pandas: ``pip install 'clusterkg[pandas]'``)."""
        try:
            import pandas
        except ImportError:
            raise ImportError("Rows.to_dataframe needs pandas: pip install 'clusterkg[pandas]'") from None
        return pandas.DataFrame(self.result.rows, columns=list(self.columns))

    def to_csv(self) -> str:
        """SPARQL 1.1 CSV results, as ``clusterkg query --format csv`` writes them."""
        return query_mod.to_csv(self.result)

    def to_json(self) -> str:
        """SPARQL 1.1 Query Results JSON, as ``clusterkg query --format json`` writes them."""
        return query_mod.to_json(self.result)


class KnowledgeGraph:
    """The ontology and the data in an in-memory store. Make one with :func:`open`."""

    def __init__(self, store: ox.Store, files: Sequence[graph.GraphFile], data: Sequence[Path] | None):
        #: the pyoxigraph store, one named graph per file (query it with SPARQL directly)
        self.store = store
        #: the files loaded: the ontology's, then the data's
        self.files: list[graph.GraphFile] = list(files)
        self._data = list(data) if data is not None else None

    def __repr__(self) -> str:
        return f"<KnowledgeGraph: {len(self.store)} triples in {len(self.files)} named graphs>"

    def stats(self) -> Stats:
        """Triples per named graph and instances per class (``clusterkg stats``)."""
        graphs = {
            row["graph"].value: int(row["triples"].value)
            for row in select(self.store, internal_query("triples-per-graph"))
        }
        classes = {
            project.shorten(row["class"].value): int(row["instances"].value)
            for row in select(self.store, internal_query("instances-per-class"))
        }
        return Stats(graphs, classes)

    def validate(self, *, engine: str = "pyshacl", inference: str = "none") -> validate.Validation:
        """Check the data against the SHACL shapes (``clusterkg validate``): a report
        whose ``conforms`` is True when there is no violation (warnings allowed),
        with ``findings`` (node, label, file and line, message) and ``summary()``."""
        from . import validate

        return validate.validate_files(self._data or (), engine=engine, inference=inference)

    def queries(self) -> dict[str, query_mod.CannedQuery]:
        """The catalogue of canned queries, by name (``clusterkg query --list``)."""
        return query_mod.catalogue()

    def query(self, name: str, /, **params: Any) -> Rows:
        """Run the canned query ``name`` with its parameters as keywords, values as on
        the command line (IRIs in full or as CURIEs: ``cluster="ck:cap-digital"``).
        Raises :class:`clusterkg.query.QueryError` for an unknown query or a refused
        parameter."""
        return Rows(query_mod.run(name, params, store=self.store))

    def why(self, s: str, p: str, o: str | None = None) -> Any:
        """Why the graph states ``s p o`` (or every ``s p ?o``): the supports behind the
        triple(s), with their status, source document and quote (:mod:`clusterkg.why`).
        ``s``, ``p`` and an IRI ``o`` may be CURIEs (``ck:cap-digital``, ``org:memberOf``)."""
        try:
            from . import why as why_mod  # type: ignore[attr-defined,unused-ignore]
        except ImportError:
            raise NotImplementedError("this version of clusterkg has no clusterkg.why module") from None
        return why_mod.why(self.store, project.expand(s), project.expand(p), None if o is None else project.expand(o))

    def export(self, fmt: str = "trig", out: PathLike | None = None) -> bytes:
        """The whole graph in ``fmt`` (ttl, nt, nq, trig, jsonld, csv), written to ``out``
        when given (``clusterkg export``)."""
        from . import export

        return export.export(self.store, fmt, Path(out) if out is not None else None)

    def load(
        self,
        endpoint: str,
        *,
        server: str = "oxigraph",
        validate: bool = True,
        upload: str = "gsp",
        auth: str | None = None,
        timeout: float = 120.0,
        retries: int = 2,
        lock_wait: float = 120.0,
    ) -> remote.LoadReport:
        """Load the files into a SPARQL server, one named graph per file, all or nothing
        (``clusterkg load``). ``server`` is oxigraph, virtuoso or generic; credentials
        come from CLUSTERKG_USER / CLUSTERKG_PASSWORD or netrc. Raises
        :class:`clusterkg.remote.ValidationFailed` (nothing sent) or
        :class:`clusterkg.remote.RemoteError`."""
        from . import remote

        endpoints = remote.Endpoints.for_server(endpoint, server)
        client = remote.SparqlClient(
            endpoints,
            timeout=timeout,
            retries=retries,
            auth=remote.make_auth(auth or remote.PROFILES[server].auth, endpoints.update),
        )
        with client:
            return remote.load(self.files, client, validate=validate, upload=upload, lock_wait=lock_wait)


def open(data: PathLike | Iterable[PathLike] | None = None) -> KnowledgeGraph:  # noqa: A001 - the API's verb
    """Load the ontology and the data into an in-memory store.

    ``data``: None for the project's data (``data/*.ttl`` of the working copy named
    by ``CLUSTERKG_ROOT``, or of the installed package); a folder for its ``*.ttl``;
    a Turtle file or a list of them. The ontology is always loaded. Raises
    :class:`clusterkg.graph.LoadError` (file, line, column, reason) when a file
    cannot be read, and then nothing is loaded.
    """
    ontology = graph.project_files(ontology=True, data=False)
    if data is None:
        files, paths = ontology + graph.project_files(ontology=False), None
    else:
        paths = project.data_files(data)
        files = ontology + [graph.GraphFile.for_path(p) for p in paths]
    return KnowledgeGraph(graph.build_store(files), files, paths)
