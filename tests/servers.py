"""Real SPARQL servers for the tests, on free loopback ports, stopped afterwards.

Reusable from any test module::

    from servers import project_endpoint

    def test_something(tmp_path):
        with project_endpoint(tmp_path) as query_url:   # Oxigraph, project loaded
            ...

- :func:`oxigraph_server`: an Oxigraph server on a store directory (read-write
  and empty by default, or read-only with files written in beforehand).
- :func:`project_endpoint`: the project (ontology + data, one named graph per
  file) behind a read-only Oxigraph server; yields the query endpoint URL.
- :func:`virtuoso_server`: a private Virtuoso (own database, log and ports) when
  ``virtuoso-t`` is installed (``.ci/install-virtuoso``).
- Helpers to ask a server, through SPARQLWrapper (a client independent of
  clusterkg.remote), for its catalogue and the triples and triple counts of
  given graphs (queries from queries/internal/).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import rdflib
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper

from clusterkg import graph
from clusterkg.remote import fill_graphs, strip_comments
from clusterkg.server import OxigraphServer, ServerProcess, free_port, write_store
from clusterkg.sparql import internal_query

# --- Oxigraph ------------------------------------------------------------------


@contextmanager
def oxigraph_server(
    location: Path,
    files: Sequence[graph.GraphFile] = (),
    *,
    read_only: bool = False,
    union_default_graph: bool = False,
    timeout_s: int | None = None,
) -> Iterator[OxigraphServer]:
    """An Oxigraph server on ``location`` (``files`` written into it first), on a free port."""
    location = Path(location)
    if files:
        write_store(location, files)
    server = OxigraphServer(
        location,
        read_only=read_only,
        union_default_graph=union_default_graph,
        timeout_s=timeout_s,
        log_path=location.parent / f"{location.name}.log",
    )
    with server:
        yield server


@contextmanager
def project_endpoint(
    workdir: Path, files: Sequence[graph.GraphFile] | None = None, *, union_default_graph: bool = True
) -> Iterator[str]:
    """The project graph behind a read-only Oxigraph server; yields its SPARQL query URL.

    Each file is in its own named graph (as in the embedded store), and the
    default graph is the union of them, like ``use_default_graph_as_union=True``
    in pyoxigraph (``union_default_graph=False`` for an empty default graph).
    """
    files = graph.project_files() if files is None else files
    with oxigraph_server(
        Path(workdir) / "oxigraph-project", files, read_only=True, union_default_graph=union_default_graph
    ) as server:
        yield server.query_url


# --- Virtuoso ------------------------------------------------------------------

VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


def virtuoso_executable() -> str | None:
    return shutil.which("virtuoso-t")


def virtuoso_ini(template: str, directory: Path, http_port: int, sql_port: int) -> str:
    """The packaged virtuoso.ini, with its own files in ``directory``, both ports on
    127.0.0.1, and no 10,000-row cap on SPARQL results."""
    d = str(directory)
    values = {
        ("Database", "DatabaseFile"): f"{d}/virtuoso.db",
        ("Database", "ErrorLogFile"): f"{d}/virtuoso.log",
        ("Database", "LockFile"): f"{d}/virtuoso.lck",
        ("Database", "TransactionFile"): f"{d}/virtuoso.trx",
        ("Database", "xa_persistent_file"): f"{d}/virtuoso.pxa",
        ("TempDatabase", "DatabaseFile"): f"{d}/virtuoso-temp.db",
        ("TempDatabase", "TransactionFile"): f"{d}/virtuoso-temp.trx",
        ("Parameters", "ServerPort"): f"127.0.0.1:{sql_port}",
        ("Parameters", "DirsAllowed"): f"., {d}, /usr/share/virtuoso-opensource-7/vad",
        ("HTTPServer", "ServerPort"): f"127.0.0.1:{http_port}",
        ("URIQA", "DefaultHost"): f"127.0.0.1:{http_port}",
        ("SPARQL", "ResultSetMaxRows"): "1000000",
    }
    out, section, seen = [], None, set()
    for line in template.splitlines():
        m = re.match(r"\s*\[([^\]]+)\]", line)
        if m:
            section = m.group(1)
        m = re.match(r"(\s*)([A-Za-z_0-9]+)(\s*=\s*)", line)
        if m and (section, m.group(2)) in values:
            line = m.group(1) + m.group(2) + m.group(3) + values[(section, m.group(2))]
            seen.add((section, m.group(2)))
        out.append(line)
    missing = set(values) - seen
    if missing:
        raise RuntimeError(f"{VIRTUOSO_INI} has no {sorted(missing)}: the private configuration is incomplete")
    return "\n".join(out) + "\n"


class VirtuosoServer(ServerProcess):
    """``virtuoso-t +foreground`` with a private database in ``directory``."""

    USER, PASSWORD = "dba", "dba"  # the account of a new database

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.sql_port: int | None = None
        super().__init__(
            self._argv,
            ready_path="/sparql",
            log_path=self.directory / "stdout.log",
            cwd=self.directory,
            startup_timeout=120,
            name="virtuoso",
        )

    def _argv(self, http_port: int) -> list[str]:
        self.sql_port = free_port()
        ini = self.directory / "virtuoso.ini"
        ini.write_text(virtuoso_ini(VIRTUOSO_INI.read_text(), self.directory, http_port, self.sql_port))
        return [virtuoso_executable(), "+configfile", str(ini), "+foreground"]

    @property
    def query_url(self) -> str:
        return self.base_url + "/sparql"


@contextmanager
def virtuoso_server(directory: Path) -> Iterator[VirtuosoServer]:
    with VirtuosoServer(directory) as server:
        yield server


# --- asking a server -----------------------------------------------------------


def _wrapper(query_url: str, query: str, fmt: str) -> SPARQLWrapper:
    sparql = SPARQLWrapper(query_url)
    sparql.setMethod(POST)
    sparql.setQuery(strip_comments(query))
    sparql.setReturnFormat(fmt)
    sparql.setTimeout(120)
    return sparql


def graph_counts(query_url: str, graphs: Sequence[str]) -> dict[str, int]:
    """Triples per graph on the server (0 for a missing graph), via SPARQLWrapper."""
    result = _wrapper(query_url, fill_graphs(internal_query("graph-triple-counts"), graphs), JSON).queryAndConvert()
    counts = {g: 0 for g in graphs}
    for row in result["results"]["bindings"]:
        counts[row["graph"]["value"]] = int(row["triples"]["value"])
    return counts


def graph_triples(query_url: str, graph_iri: str) -> rdflib.Graph:
    """The triples of one graph on the server, as an rdflib graph."""
    query = fill_graphs(internal_query("graph-triples"), [graph_iri])
    data = _wrapper(query_url, query, TURTLE).queryAndConvert()
    return rdflib.Graph().parse(data=data, format="turtle")


def catalogue(query_url: str) -> dict[str, str]:
    """``{graph: current version}`` from the server's catalogue graph."""
    result = _wrapper(query_url, internal_query("catalogue"), JSON).queryAndConvert()
    return {row["graph"]["value"]: row["version"]["value"] for row in result["results"]["bindings"]}


def current_counts(query_url: str) -> dict[str, int]:
    """Triples in the current version of each graph the catalogue names."""
    current = catalogue(query_url)
    counts = graph_counts(query_url, sorted(current.values())) if current else {}
    return {g: counts[v] for g, v in current.items()}


def current_triples(query_url: str, graph_iri: str) -> rdflib.Graph:
    """The triples of the current version of one graph."""
    return graph_triples(query_url, catalogue(query_url)[graph_iri])


def version_graphs(query_url: str) -> list[str]:
    """Every version (current or not) and staging graph on the server."""
    result = _wrapper(query_url, internal_query("version-graphs"), JSON).queryAndConvert()
    return [row["graph"]["value"] for row in result["results"]["bindings"]]


def lock_claims(query_url: str) -> list[str]:
    result = _wrapper(query_url, internal_query("lock"), JSON).queryAndConvert()
    return [row["owner"]["value"] for row in result["results"]["bindings"]]


def file_graph(path: Path) -> rdflib.Graph:
    """A Turtle file parsed by rdflib on its own (the reference the server is compared with)."""
    return rdflib.Graph().parse(path, format="turtle", publicID=path.resolve().as_uri())
