"""Push the ontology and the data into a SPARQL server, one named graph per file.

How a load goes (``clusterkg load``, :func:`load`)
-------------------------------------------------
1. Every file is parsed and checked locally (:func:`clusterkg.graph.build_store`),
   then, unless ``validate=False``, checked against the SHACL shapes. A bad file
   stops the load here: nothing has been sent.
2. The server is asked how many triples the target graphs hold (this also checks
   that it answers SPARQL at all).
3. Each file's triples go into a **staging graph** of their own
   (``https://w3id.org/clusterkg/staging/<run>/<n>``) by the Graph Store Protocol
   (``PUT``, which replaces, so a retried request never duplicates anything; on
   Oxigraph with ``no_transaction``, its fast bulk loader) or, for servers without
   it, by one SPARQL Update request per file. What is sent is the file's triples
   as pyoxigraph parsed them, serialized as N-Triples (which is also Turtle): no
   prefixes, no relative IRIs, so the server cannot read them differently.
4. The triples in each staging graph are counted on the server and compared with
   what was sent.
5. **One** SPARQL Update request holds one ``COPY GRAPH <staging> TO <target>``
   per file, joined by ``;``. A server runs one update request as one transaction
   (Oxigraph: one RocksDB transaction; Virtuoso commits once, at the end of the
   request), so after a failure at any point every target graph is either all
   old or all new, and all of them switch together.
6. The staging graphs are dropped, and the target graphs counted again.

Why stage and switch rather than ``PUT`` each file into its graph: a ``PUT`` is
atomic for one graph at best (and not at all with Oxigraph's bulk loader), so a
server killed between two files would leave the graphs from two different
versions of the project. Why ``COPY`` and not ``MOVE``: on Oxigraph ``MOVE`` costs
a second pass (it also deletes the source inside the transaction); with ``COPY``
the switch only drops the old target and adds the new triples, and the staging
graph is dropped afterwards, outside the critical request. The price is that the
switch is a transactional write of every triple (Oxigraph 0.5 on two cores,
300,000 triples: 27 s into empty graphs, 47 s when the old triples are deleted
too), against 4 s for the bulk-loaded staging upload. When a failure leaves
staging graphs behind (the server died), they are never seen as target graphs;
``--purge-staging`` drops them later. While a load runs, a server that serves
the union of its graphs as default graph shows the staging graphs in it.

HTTP: ``requests``, a timeout on every call, bounded retries with exponential
backoff on connection errors and 5xx answers (the switch is retried only when the
connection could not be made, since it is not idempotent), credentials from the
environment (``CLUSTERKG_USER`` / ``CLUSTERKG_PASSWORD``) or a netrc file, HTTP
basic or digest authentication, certificates verified (``CLUSTERKG_CA_BUNDLE``,
or requests' own ``REQUESTS_CA_BUNDLE``, names a CA bundle). Every failure is a
:class:`RemoteError` naming the URL.
"""

from __future__ import annotations

import importlib
import io
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import pyoxigraph as ox
import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth
from requests.utils import get_netrc_auth
from urllib3.util.retry import Retry

from . import graph, project
from .sparql import internal_query, read_rq

#: Where staging graphs live; never a graph of the project (those are under graph/).
STAGING_NS = project.BASE + "staging/"

USER_ENV = "CLUSTERKG_USER"
PASSWORD_ENV = "CLUSTERKG_PASSWORD"
CA_BUNDLE_ENV = "CLUSTERKG_CA_BUNDLE"

SPARQL_JSON = "application/sparql-results+json"
#: N-Triples is a subset of Turtle; Virtuoso's Graph Store refuses application/n-triples.
UPLOAD_TYPE = "text/turtle"


class RemoteError(Exception):
    """The server could not be reached, refused, or answered something unexpected.

    ``status`` is the HTTP status of a refusal, None when no answer came back.
    """

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class ValidationFailed(Exception):
    """The data does not conform to the SHACL shapes (or could not be checked)."""


# --- endpoints ---------------------------------------------------------------

@dataclass(frozen=True)
class ServerProfile:
    """Where a kind of server has its endpoints, relative to its base URL."""

    query: str
    update: str
    gsp: str | None
    graph_param: str = "graph"
    #: Extra Graph Store parameters for a fast upload into a fresh graph.
    gsp_params: tuple[tuple[str, str], ...] = ()
    auth: str = "basic"
    #: The query that finds staging graphs left behind (queries/internal/NAME.rq).
    staging_query: str = "staging-graphs"


PROFILES: dict[str, ServerProfile] = {
    # Oxigraph: /query, /update, /store?graph=…; no_transaction = bulk loader.
    "oxigraph": ServerProfile("query", "update", "store", "graph", (("no_transaction", ""),),
                              staging_query="staging-graph-names"),
    # Virtuoso: public /sparql for queries; updates and the Graph Store behind digest auth.
    "virtuoso": ServerProfile("sparql", "sparql-auth", "sparql-graph-crud-auth", "graph-uri", (), "digest"),
    # Any SPARQL 1.1 server whose query and update endpoint is the URL itself;
    # give --gsp-url for its Graph Store, or the load goes through SPARQL Update.
    "generic": ServerProfile("", "", None),
}


@dataclass(frozen=True)
class Endpoints:
    """The absolute URLs of one server, and the profile of its kind."""

    query: str
    update: str
    gsp: str | None
    profile: ServerProfile
    #: the profile's fast-upload parameters, unless the Graph Store URL was given explicitly
    gsp_params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def for_server(cls, base: str, server: str = "oxigraph", *, query: str | None = None,
                   update: str | None = None, gsp: str | None = None) -> "Endpoints":
        """Endpoints of a ``server`` (a key of :data:`PROFILES`) at ``base``; explicit URLs win."""
        profile = PROFILES[server]

        def at(path: str | None) -> str | None:
            if path is None:
                return None
            return base.rstrip("/") + "/" + path if path else base

        return cls(query or at(profile.query), update or at(profile.update), gsp or at(profile.gsp),
                   profile, profile.gsp_params if gsp is None else ())


# --- SPARQL text ---------------------------------------------------------------

_VALUES_RE = re.compile(r"VALUES\s+\?graph\s*\{\s*\}")
_PARAM_RE = re.compile(r"<urn:clusterkg:param:([a-z]+)>")


def iri(value: str) -> str:
    """An IRI as SPARQL/N-Triples text, checked by pyoxigraph (``ValueError`` if invalid)."""
    return str(ox.NamedNode(value))


def fill_graphs(query: str, graphs: Iterable[str]) -> str:
    """Fill the query's empty ``VALUES ?graph { }`` block with these graph IRIs."""
    rows = " ".join(iri(g) for g in graphs)
    filled, n = _VALUES_RE.subn(lambda _m: f"VALUES ?graph {{ {rows} }}", strip_comments(query))
    if n != 1:
        raise ValueError("the query has no single empty `VALUES ?graph { }` block")
    return filled


def fill_params(update: str, **graphs: str) -> str:
    """Replace ``<urn:clusterkg:param:NAME>`` placeholders by graph IRIs."""
    def sub(m: re.Match) -> str:
        return iri(graphs[m.group(1)])
    return _PARAM_RE.sub(sub, strip_comments(update))


def strip_comments(text: str) -> str:
    """The query without its header comment lines (some clients, SPARQLWrapper among
    them, guess the query type from the first keyword they see, comments included)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")).strip()


def internal_update(name: str) -> str:
    return read_rq(project.INTERNAL_QUERIES_DIR / f"{name}.ru")


def join_updates(operations: Iterable[str]) -> str:
    """Several update operations as ONE request (SPARQL 1.1 Update: separated by ``;``)."""
    return " ;\n".join(operations)


def drop_graphs_update(graphs: Iterable[str]) -> str:
    template = internal_update("drop-graph")
    return join_updates(fill_params(template, graph=g) for g in graphs)


def switch_update(pairs: Iterable[tuple[str, str]]) -> str:
    template = internal_update("copy-graph")
    return join_updates(fill_params(template, staging=s, target=t) for s, t in pairs)


_DATA_SLOT = "{ GRAPH <urn:clusterkg:param:graph> { } }"


def insert_data_update(graph_iri: str, ntriples: bytes) -> str:
    template = strip_comments(internal_update("insert-graph-data"))
    if template.count(_DATA_SLOT) != 1:
        raise ValueError("insert-graph-data.ru has no single data slot")
    before, after = template.split(_DATA_SLOT)
    slot = "{ GRAPH <urn:clusterkg:param:graph> {\n" + ntriples.decode("utf-8") + "} }"
    return fill_params(before + slot + after, graph=graph_iri)


def local_counts(store: ox.Store, graphs: Sequence[str]) -> dict[str, int]:
    """Triples per graph in a local store (the same query as on the server)."""
    counts = {g: 0 for g in graphs}
    for row in store.query(fill_graphs(internal_query("graph-triple-counts"), graphs)):
        counts[row["graph"].value] = int(row["triples"].value)
    return counts


# --- credentials and HTTP ------------------------------------------------------

def credentials(url: str) -> tuple[str, str] | None:
    """(user, password) from CLUSTERKG_USER / CLUSTERKG_PASSWORD, else from netrc (``NETRC``)."""
    user = os.environ.get(USER_ENV)
    if user:
        return user, os.environ.get(PASSWORD_ENV, "")
    found = get_netrc_auth(url)
    return (found[0], found[1]) if found else None


def make_auth(kind: str, url: str) -> AuthBase | None:
    creds = credentials(url)
    if creds is None:
        return None
    if kind == "digest":
        return HTTPDigestAuth(*creds)
    if kind == "basic":
        return HTTPBasicAuth(*creds)
    raise ValueError(f"unknown authentication scheme {kind!r}")


def ca_bundle() -> str | bool:
    return os.environ.get(CA_BUNDLE_ENV) or True


class SparqlClient:
    """Queries, updates and Graph Store uploads against one server."""

    def __init__(self, endpoints: Endpoints, *, auth: AuthBase | None = None, timeout: float = 300.0,
                 connect_timeout: float = 5.0, retries: int = 3, backoff: float = 0.5,
                 verify: str | bool | None = None):
        self.endpoints = endpoints
        self.auth = auth
        self.timeout = (connect_timeout, timeout)
        self.retries = retries
        self.verify = ca_bundle() if verify is None else verify
        statuses = (500, 502, 503, 504)
        # Safe requests (queries, PUT of a staging graph, DROP SILENT): retry on
        # connection errors, broken answers and 5xx.
        self._session = self._new_session(Retry(
            total=retries, connect=retries, read=retries, status=retries, other=0,
            status_forcelist=statuses, backoff_factor=backoff, raise_on_status=False,
            allowed_methods=frozenset({"GET", "HEAD", "PUT", "DELETE", "POST"})))
        # The switch is not idempotent: retry only when no connection could be made.
        self._once = self._new_session(Retry(
            total=retries, connect=retries, read=0, status=0, other=0,
            backoff_factor=backoff, raise_on_status=False, allowed_methods=frozenset({"GET"})))
        self._no_retry = self._new_session(Retry(total=0, raise_on_status=False))

    @staticmethod
    def _new_session(retry: Retry) -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def close(self) -> None:
        for s in (self._session, self._once, self._no_retry):
            s.close()

    def __enter__(self) -> "SparqlClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- plumbing

    def _send(self, session: requests.Session, method: str, url: str, *, what: str,
              ok: Iterable[int] = (200, 201, 204), **kwargs) -> requests.Response:
        try:
            response = session.request(method, url, auth=self.auth, timeout=self.timeout,
                                       verify=self.verify, **kwargs)
        except requests.exceptions.SSLError as e:
            raise RemoteError(f"{what}: TLS error talking to {url}: {_root_cause(e)}") from None
        except requests.exceptions.ConnectTimeout:
            raise RemoteError(f"{what}: cannot connect to {url}: no answer within "
                              f"{self.timeout[0]:g} s ({self.retries + 1} attempts)") from None
        except requests.exceptions.ReadTimeout:
            raise RemoteError(f"{what}: {url} gave no answer within {self.timeout[1]:g} s") from None
        except requests.exceptions.ConnectionError as e:
            raise RemoteError(f"{what}: cannot connect to {url}: {_root_cause(e)} "
                              f"(is the server running?)") from None
        except requests.exceptions.RequestException as e:
            raise RemoteError(f"{what}: request to {url} failed: {_root_cause(e)}") from None
        if response.status_code not in set(ok):
            hint = ""
            if response.status_code in (401, 403):
                hint = (f" (credentials come from {USER_ENV}/{PASSWORD_ENV} or netrc; "
                        f"{'none were found' if self.auth is None else 'check them and --auth'})")
            raise RemoteError(f"{what}: {method} {url} answered {response.status_code} "
                              f"{response.reason}: {_excerpt(response.text)}{hint}", response.status_code)
        return response

    # -- SPARQL

    def select(self, query: str, *, what: str = "query") -> list[dict[str, str]]:
        """Run a SELECT query; each row maps variable names to the values' text."""
        url = self.endpoints.query
        response = self._send(self._session, "POST", url, what=what, ok=(200,), data={"query": query},
                              headers={"Accept": SPARQL_JSON})
        try:
            body = response.json()
            rows = body["results"]["bindings"]
            return [{k: v["value"] for k, v in row.items()} for row in rows]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise RemoteError(f"{what}: unexpected answer from {url}: expected SPARQL JSON results, got "
                              f"{response.headers.get('Content-Type', 'no Content-Type')}: "
                              f"{_excerpt(response.text)}") from None

    def update(self, update: str, *, what: str = "update", retry: bool = True) -> None:
        session = self._session if retry else self._once
        self._send(session, "POST", self.endpoints.update, what=what,
                   data=update.encode("utf-8"),
                   headers={"Content-Type": "application/sparql-update; charset=utf-8"})

    def counts(self, graphs: Sequence[str], *, what: str = "counting triples") -> dict[str, int]:
        """Triples per graph on the server (0 for a missing graph)."""
        counts = {g: 0 for g in graphs}
        for row in self.select(fill_graphs(internal_query("graph-triple-counts"), graphs), what=what):
            try:
                graph_iri, n = row["graph"], int(row["triples"])
            except (KeyError, ValueError):
                raise RemoteError(f"{what}: unexpected answer from {self.endpoints.query}: "
                                  f"row {row!r} has no graph and integer count") from None
            if graph_iri in counts:
                counts[graph_iri] = n
        return counts

    def staging_graphs(self) -> list[str]:
        return [row["graph"] for row in self.select(internal_query(self.endpoints.profile.staging_query),
                                                    what="looking for staging graphs")
                if "graph" in row]

    def drop(self, graphs: Sequence[str], *, retry: bool = True) -> None:
        """Drop graphs (if they exist) in one update request; ``retry=False``: one attempt."""
        if graphs:
            self._send(self._session if retry else self._no_retry, "POST", self.endpoints.update,
                       what="dropping staging graphs", data=drop_graphs_update(graphs).encode("utf-8"),
                       headers={"Content-Type": "application/sparql-update; charset=utf-8"})

    # -- uploads

    def put_graph(self, graph_iri: str, body: io.IOBase | bytes, *, what: str) -> None:
        """Replace a graph's content by the Graph Store Protocol (``PUT``)."""
        if self.endpoints.gsp is None:
            raise RemoteError(f"{what}: no Graph Store endpoint is known for this server")
        params = [(self.endpoints.profile.graph_param, graph_iri), *self.endpoints.gsp_params]
        self._send(self._session, "PUT", self.endpoints.gsp, what=what, params=params, data=body,
                   headers={"Content-Type": UPLOAD_TYPE})

    def insert_graph(self, graph_iri: str, ntriples: bytes, *, what: str) -> None:
        """Replace a graph's content by SPARQL Update (for servers without a Graph Store)."""
        self.update(insert_data_update(graph_iri, ntriples), what=what)


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, e.g. ``[Errno 111] Connection refused``."""
    text = str(exc)
    m = re.search(r"\[Errno -?\d+\] [^'\")]+", text)
    if m:
        return m.group(0).strip()
    for marker in ("Connection aborted.", "Connection reset", "RemoteDisconnected", "BadStatusLine",
                   "certificate verify failed"):
        if marker in text:
            return marker.rstrip(".")
    return text


def _excerpt(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    if not flat:
        return "(empty body)"
    return flat if len(flat) <= limit else flat[:limit] + "…"


# --- validation (SHACL lives in clusterkg.validate, written elsewhere) ---------

VALIDATE_MODULE = "clusterkg.validate"
VALIDATE_FUNCTION = "conforms"


def check_conforms(store: ox.Store) -> None:
    """Refuse data that does not conform to the SHACL shapes.

    THE single call site of the validation module: ``clusterkg.validate.conforms``
    is given the pyoxigraph store (ontology + data, one named graph per file) and
    answers True or False.
    """
    try:
        module = importlib.import_module(VALIDATE_MODULE)
        conforms = getattr(module, VALIDATE_FUNCTION)
    except (ImportError, AttributeError):
        raise ValidationFailed(f"cannot check the data against the SHACL shapes: "
                               f"{VALIDATE_MODULE}.{VALIDATE_FUNCTION} is not available; "
                               f"rerun with --no-validate to load unchecked data") from None
    if not conforms(store):
        raise ValidationFailed("the data does not conform to the SHACL shapes "
                               "(see `clusterkg validate`); nothing was sent")


# --- the load ------------------------------------------------------------------

@dataclass
class GraphLoad:
    file: graph.GraphFile
    staging: str
    sent: int
    size: int = 0
    before: int = 0
    after: int = 0


@dataclass
class LoadReport:
    graphs: list[GraphLoad]
    seconds: float
    stale_staging: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def triples(self) -> int:
        return sum(g.sent for g in self.graphs)


#: ``on_phase(phase, load)``: phase is "parsed", "upload", "uploaded", "switch",
#: "switched" or "verified"; ``load`` is the GraphLoad for upload phases, else None.
PhaseHook = Callable[[str, "GraphLoad | None"], None]


def unique_files(files: Iterable[graph.GraphFile]) -> list[graph.GraphFile]:
    seen: dict[str, graph.GraphFile] = {}
    for gf in files:
        seen.setdefault(gf.graph, gf)
    return list(seen.values())


def load(files: Sequence[graph.GraphFile], client: SparqlClient, *, validate: bool = True,
         upload: str = "gsp", purge_staging: bool = False, on_phase: PhaseHook | None = None,
         wrap_upload: Callable[[GraphLoad, io.BytesIO], io.IOBase] | None = None) -> LoadReport:
    """Load ``files`` into their named graphs on the server, atomically (see the module doc).

    Raises :class:`clusterkg.graph.LoadError` (bad input, nothing sent),
    :class:`ValidationFailed` (nothing sent) or :class:`RemoteError`.
    """
    started = time.monotonic()
    phase = on_phase or (lambda _phase, _load: None)
    files = unique_files(files)
    store = graph.build_store(files)
    if validate:
        check_conforms(store)
    run = uuid.uuid4().hex
    targets = [gf.graph for gf in files]
    sent = local_counts(store, targets)
    loads = [GraphLoad(gf, f"{STAGING_NS}{run}/{i}", sent[gf.graph]) for i, gf in enumerate(files)]
    if upload == "gsp" and client.endpoints.gsp is None:
        upload = "update"
    phase("parsed", None)

    before = client.counts(targets, what="reading the current graphs")
    for gl in loads:
        gl.before = before[gl.file.graph]
    report = LoadReport(loads, 0.0)
    stale = client.staging_graphs()
    if purge_staging and stale:
        client.drop(stale)
        report.purged = stale
    else:
        report.stale_staging = stale

    staged: list[GraphLoad] = []
    switch_sent = False
    try:
        for gl in loads:
            data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(gl.file.graph)) or b""
            gl.size = len(data)
            phase("upload", gl)
            staged.append(gl)
            what = f"uploading {gl.file.path}"
            if upload == "gsp":
                body = io.BytesIO(data)
                client.put_graph(gl.staging, wrap_upload(gl, body) if wrap_upload else body, what=what)
            else:
                client.insert_graph(gl.staging, data, what=what)
            phase("uploaded", gl)
        on_server = client.counts([gl.staging for gl in loads], what="checking the staging graphs")
        wrong = [f"{gl.file.path}: {on_server[gl.staging]} triples in its staging graph, {gl.sent} sent"
                 for gl in loads if on_server[gl.staging] != gl.sent]
        if wrong:
            raise RemoteError(f"{client.endpoints.query} does not hold what was sent, so nothing was "
                              f"switched: " + "; ".join(wrong))
        phase("switch", None)
        switch_sent = True
        client.update(switch_update((gl.staging, gl.file.graph) for gl in loads),
                      what="switching the graphs", retry=False)
        phase("switched", None)
    except RemoteError as e:
        if switch_sent and e.status is None:
            # No answer to the switch: it ran entirely or not at all, and may still be
            # running; dropping its sources now could race with it.
            raise RemoteError(f"{e}; the server switches all graphs in one transaction, so each is "
                              f"either all old or all new: run the load again (add --purge-staging "
                              f"to drop the staging graphs left behind)") from None
        if staged and not _drop_quietly(client, staged):
            raise RemoteError(f"{e}; staging graphs may be left on the server (never as project "
                              f"graphs): `clusterkg load --purge-staging` drops them") from None
        raise
    except BaseException:
        if staged and not switch_sent:
            _drop_quietly(client, staged)
        raise

    try:
        client.drop([gl.staging for gl in loads])
    except RemoteError as e:
        report.warnings.append(f"the graphs were switched, but the staging graphs could not be dropped "
                               f"({e}); `clusterkg load --purge-staging` drops them")
    after = client.counts(targets, what="checking the loaded graphs")
    for gl in loads:
        gl.after = after[gl.file.graph]
    wrong = [f"{gl.file.graph}: {gl.after} triples, {gl.sent} sent" for gl in loads if gl.after != gl.sent]
    if wrong:
        raise RemoteError(f"{client.endpoints.query} does not hold what was sent after the switch: "
                          + "; ".join(wrong))
    phase("verified", None)
    report.seconds = time.monotonic() - started
    return report


def _drop_quietly(client: SparqlClient, staged: Sequence[GraphLoad]) -> bool:
    """Drop staging graphs after a failed load (one attempt); False if that failed too."""
    try:
        client.drop([gl.staging for gl in staged], retry=False)
        return True
    except RemoteError:
        return False


def files_with_ontology(paths: Sequence[Path]) -> list[graph.GraphFile]:
    """The ontology and the given files (as ``clusterkg stats FILES`` counts them)."""
    return unique_files(graph.project_files(ontology=True, data=False)
                        + [graph.GraphFile.for_path(p) for p in paths])



class LoadProgress:
    """Shows a load on a rich Progress: the current step, and bytes sent per file."""

    STEPS = {
        "parsed": "reading the graphs on the server",
        "switch": "switching every graph in one update request",
        "switched": "checking the triples on the server",
    }

    def __init__(self, progress):
        self.progress = progress
        self.status = progress.add_task("parsing and checking the files", total=None)

    def on_phase(self, phase: str, gl: GraphLoad | None) -> None:
        if phase == "upload" and gl is not None:
            self.progress.update(self.status, description=f"uploading {gl.file.path.name}")
        elif phase == "verified":
            self.progress.update(self.status, description="done", total=1, completed=1)
        elif phase in self.STEPS:
            self.progress.update(self.status, description=self.STEPS[phase])

    def wrap_upload(self, gl: GraphLoad, body: io.BytesIO):
        return self.progress.wrap_file(body, total=gl.size, description=f"  {gl.file.path.name}")
