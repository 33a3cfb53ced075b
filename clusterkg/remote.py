"""Talk to a SPARQL server: the one remote layer of the package.

Every command that works on a server (``load``, ``query``, ``stats``) names it
the same way: ``--endpoint BASE_URL --server oxigraph|virtuoso|generic``, or
explicit ``--query-url`` / ``--update-url`` / ``--gsp-url`` (:class:`Endpoints`).
One HTTP client (``requests``, :class:`SparqlClient`), one error type
(:class:`RemoteError`) whose message names the URL, the HTTP status and the
server's own text (decoded, shortened).

The catalogue: which graphs a reader reads
------------------------------------------
A load never writes into the graph a reader reads. Each file goes into a new
**version** of its graph, ``<graph>/v/<UTC time>-<uuid>``, and one small
**catalogue** graph, ``https://w3id.org/clusterkg/catalogue``, names the current
version of every graph (``<graph> ckc:current <version>``). Readers read the
catalogue first, then send their query with those versions as its dataset
(SPARQL 1.1 protocol: ``default-graph-uri`` and ``named-graph-uri``), so that
the rows are the same on the embedded store, a plain ``oxigraph serve`` (whose
default graph is empty), ``clusterkg serve`` and Virtuoso (whose system graphs
are left out); after the query they read the catalogue again, and run the query
again if a load switched it meanwhile (:class:`Reader`).

How a load goes (:func:`load`)
------------------------------
1. Every file is parsed and checked locally, and by default validated: a bad
   file stops the load before any request.
2. The **load lock** (graph ``…/catalogue/lock``) is taken with a conditional
   update (insert a claim if there is none), then read back: a loader that does
   not see itself as the only claimant withdraws and tries again, so two loads
   never run together. A loader waits for a held lock up to ``lock_wait``
   seconds, then is refused with a message naming the holder. A claim carries
   an expiry (``lock_expiry`` seconds, renewed after each file): the claim of a
   loader that died is broken once it has expired.
3. Each file's triples go into a new version graph by one Graph Store ``PUT``
   (on Oxigraph with ``no_transaction``, its bulk loader) or, for servers
   without a Graph Store, one SPARQL Update. A ``PUT`` of a fresh graph is
   idempotent, so it is retried on connection errors and 5xx answers.
4. The triples of each version are counted on the server and compared with what
   was sent.
5. **One** update request (``catalogue-switch.ru``) switches the catalogue to
   the new versions, only while the loader still holds the lock: one transaction,
   so readers see all old or all new. It is never retried once sent.
6. The old versions (those the switch replaced and those interrupted loads
   left) are listed, and the lock is released; then they are dropped (nobody
   writes them, and a reader that had read the old catalogue reads again, see
   :class:`Reader`), so that the next load does not wait for it: deleting
   triples is the slowest step on Oxigraph, two to three times slower than
   loading them. With ``drop="auto"`` (the command line's default) more than
   :data:`BACKGROUND_DROP_ABOVE` triples are dropped by a background process
   the load does not wait for (:func:`drop_in_background`).

``clusterkg report --endpoint`` reads the same versions otherwise: it copies them
(one ``CONSTRUCT`` per graph, counts checked) into an embedded store under the
graphs' own names and runs the report there (:meth:`Reader.snapshot`).

HTTP: a connect timeout and a read timeout on every request, and a deadline
for each call including its retries (``timeout``): a server that accepts the
connection and never answers costs ``timeout`` seconds, not minutes. Retries
(with exponential backoff, within the deadline) only for requests that are safe
to repeat, on connection errors and 502/503/504; a request that timed out is not
repeated. Credentials from ``CLUSTERKG_USER`` / ``CLUSTERKG_PASSWORD`` or a
netrc file, HTTP basic or digest; certificates verified (``CLUSTERKG_CA_BUNDLE``
names a CA bundle).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import importlib
import io
import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth
from requests.utils import get_netrc_auth

from . import graph, project
from .sparql import internal_query, read_rq, select

CATALOGUE_GRAPH = project.BASE + "catalogue"
LOCK_GRAPH = CATALOGUE_GRAPH + "/lock"
#: Graphs older releases staged their uploads in; dropped as leftovers.
STAGING_NS = project.BASE + "staging/"
VERSION_RE = re.compile(r"/v/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{32}$")

USER_ENV = "CLUSTERKG_USER"
PASSWORD_ENV = "CLUSTERKG_PASSWORD"
CA_BUNDLE_ENV = "CLUSTERKG_CA_BUNDLE"

SPARQL_JSON = "application/sparql-results+json"
#: What a CONSTRUCT may answer (fetched graphs), and how it is parsed.
RDF_ACCEPT = "application/n-triples, text/turtle;q=0.9"
RDF_FORMATS = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,  # N-Triples' former media type
    "text/turtle": ox.RdfFormat.TURTLE,
}
#: N-Triples is a subset of Turtle; Virtuoso's Graph Store refuses application/n-triples.
UPLOAD_TYPE = "text/turtle"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


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
    #: The query that lists version graphs (queries/internal/NAME.rq).
    versions_query: str = "version-graphs"
    #: ``gsp_params`` are given for uploads of more bytes than this only (Oxigraph's bulk
    #: loader costs 0.1-0.3 s per request whatever its size: a plain PUT is faster below 1 MB)
    bulk_above: int = 0


PROFILES: dict[str, ServerProfile] = {
    # Oxigraph: /query, /update, /store?graph=…; no_transaction = bulk loader.
    "oxigraph": ServerProfile(
        "query",
        "update",
        "store",
        "graph",
        (("no_transaction", ""),),
        bulk_above=1_000_000,
        versions_query="version-graph-names",
    ),
    # Virtuoso: public /sparql for queries; updates and the Graph Store behind digest auth.
    "virtuoso": ServerProfile("sparql", "sparql-auth", "sparql-graph-crud-auth", "graph-uri", (), auth="digest"),
    # Any SPARQL 1.1 server whose query and update endpoint is the URL itself;
    # give --gsp-url for its Graph Store, or the load goes through SPARQL Update.
    "generic": ServerProfile("", "", None),
}
SERVERS = tuple(PROFILES)


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
    def for_server(
        cls,
        base: str,
        server: str = "oxigraph",
        *,
        query: str | None = None,
        update: str | None = None,
        gsp: str | None = None,
    ) -> Endpoints:
        """Endpoints of a ``server`` (a key of :data:`PROFILES`) at ``base``; explicit URLs win."""
        profile = PROFILES[server]

        def at(path: str) -> str:
            return base.rstrip("/") + "/" + path if path else base

        return cls(
            query or at(profile.query),
            update or at(profile.update),
            gsp or (None if profile.gsp is None else at(profile.gsp)),
            profile,
            profile.gsp_params if gsp is None else (),
        )


# --- SPARQL text ---------------------------------------------------------------

_VALUES_RE = re.compile(r"VALUES\s+(\?\w+|\((?:\s*\?\w+)+\s*\))\s*\{\s*\}")
_PARAM_RE = re.compile(r"<urn:clusterkg:param:([a-z]+)>")

Term = ox.NamedNode | ox.Literal


def iri(value: str) -> str:
    """An IRI as SPARQL/N-Triples text, checked by pyoxigraph (``ValueError`` if invalid)."""
    return str(ox.NamedNode(value))


def _term_text(value: str | Term) -> str:
    return str(value) if isinstance(value, (ox.NamedNode, ox.Literal)) else iri(value)


def fill_values(query: str, **blocks: Sequence) -> str:
    """Fill the query's empty ``VALUES`` blocks: ``graph=[iri, …]`` fills ``VALUES ?graph { }``,
    ``graph_version=[(iri, iri), …]`` fills ``VALUES (?graph ?version) { }``. Values are
    IRIs (str, checked) or pyoxigraph terms, written by pyoxigraph; every block of the
    text must be filled, each exactly once."""
    filled: set[str] = set()

    def sub(m: re.Match) -> str:
        names = re.findall(r"\?(\w+)", m.group(1))
        key = "_".join(names)
        if key not in blocks:
            raise ValueError(f"no values given for the empty block VALUES {m.group(1)}")
        filled.add(key)
        rows = blocks[key]
        if len(names) == 1:
            return f"VALUES ?{names[0]} {{ {' '.join(_term_text(v) for v in rows)} }}"
        body = " ".join("(" + " ".join(_term_text(v) for v in row) + ")" for row in rows)
        return f"VALUES ({' '.join('?' + n for n in names)}) {{ {body} }}"

    text = _VALUES_RE.sub(sub, strip_comments(query))
    if filled != set(blocks):
        raise ValueError(f"the query has no empty VALUES block for {sorted(set(blocks) - filled)}")
    return text


def fill_graphs(query: str, graphs: Iterable[str]) -> str:
    """Fill the query's empty ``VALUES ?graph { }`` block with these graph IRIs."""
    return fill_values(query, graph=list(graphs))


def fill_params(update: str, **values: str | Term) -> str:
    """Replace ``<urn:clusterkg:param:NAME>`` placeholders by terms (an IRI given as
    str, or a pyoxigraph term), written by pyoxigraph."""

    def sub(m: re.Match) -> str:
        return _term_text(values[m.group(1)])

    return _PARAM_RE.sub(sub, strip_comments(update))


def strip_comments(text: str) -> str:
    """The query without its header comment lines (some clients guess the query
    type from the first keyword they see, comments included)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")).strip()


def internal_update(name: str) -> str:
    return read_rq(project.INTERNAL_QUERIES_DIR / f"{name}.ru")


def join_updates(operations: Iterable[str]) -> str:
    """Several update operations as ONE request (SPARQL 1.1 Update: separated by ``;``)."""
    return " ;\n".join(operations)


def drop_graphs_update(graphs: Iterable[str]) -> str:
    template = internal_update("drop-graph")
    return join_updates(fill_params(template, graph=g) for g in graphs)


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
    for row in select(store, fill_graphs(internal_query("graph-triple-counts"), graphs)):
        counts[row["graph"].value] = int(row["triples"].value)
    return counts


def version_iri(graph_iri: str, now: dt.datetime | None = None) -> str:
    """A new version of a graph: ``<graph>/v/<UTC time>-<uuid>`` (sorts by time)."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{graph_iri}/v/{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex}"


def is_version(graph_iri: str) -> bool:
    return bool(VERSION_RE.search(graph_iri)) or graph_iri.startswith(STAGING_NS)


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


RETRY_STATUSES = frozenset({502, 503, 504})


class SparqlClient:
    """Queries, updates and Graph Store uploads against one server.

    ``timeout``: seconds each call may take in all (its attempts, their answers
    and the pauses between them); ``connect_timeout``: seconds to open a
    connection; ``retries``: further attempts of a call that is safe to repeat;
    ``max_bytes``: the largest answer body a call accepts (None: no cap), unless
    the call gives its own.
    """

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        auth: AuthBase | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.5,
        verify: str | bool | None = None,
        max_bytes: int | None = None,
    ):
        self.endpoints = endpoints
        self.max_bytes = max_bytes
        self.auth = auth
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self.retries = retries
        self.backoff = backoff
        self.verify = ca_bundle() if verify is None else verify
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> SparqlClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- plumbing

    def send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        ok: Iterable[int] = (200, 201, 204),
        safe: bool = True,
        timeout: float | None = None,
        max_bytes: int | None = None,
        **kwargs,
    ) -> tuple[requests.Response, bytes]:
        """One call: the answer and its whole body, within ``timeout`` seconds in all.

        ``safe``: the request may be repeated (retried on connection errors and
        502/503/504); an unsafe one is repeated only when no connection was made.
        ``max_bytes``: the largest body accepted (default: the client's cap); a
        larger answer stops the call (not retried)."""
        budget = self.timeout if timeout is None else timeout
        cap = self.max_bytes if max_bytes is None else max_bytes
        deadline = time.monotonic() + budget
        ok = set(ok)
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise _OutOfTime()
                response, body = self._attempt(method, url, deadline, max_bytes=cap, **kwargs)
            except _TooLarge:
                raise RemoteError(
                    f"{what}: the answer of {method} {url} is larger than the cap of {cap:,} bytes"
                ) from None
            except (_OutOfTime, requests.exceptions.RequestException) as e:
                failure, retry = self._failure(e, what=what, url=url, budget=budget, safe=safe)
            else:
                if response.status_code in ok:
                    return response, body
                failure = self._refusal(what, method, url, response, body)
                retry = safe and response.status_code in RETRY_STATUSES
                if not retry or attempt > self.retries:
                    raise RemoteError(failure, response.status_code)
            if not retry or attempt > self.retries:
                raise RemoteError(failure + (f" ({attempt} attempts)" if attempt > 1 else ""))
            pause = self.backoff * 2 ** (attempt - 1)
            if time.monotonic() + pause >= deadline:
                raise RemoteError(failure + f" ({attempt} attempts within {budget:g} s)")
            time.sleep(pause)

    def _failure(self, e: Exception, *, what: str, url: str, budget: float, safe: bool) -> tuple[str, bool]:
        """What a failed attempt says, and whether another may be tried; raises
        :class:`RemoteError` when none may."""
        if isinstance(e, _OutOfTime):
            raise RemoteError(f"{what}: {url} gave no answer within {budget:g} s") from None
        if isinstance(e, requests.exceptions.SSLError):
            raise RemoteError(f"{what}: TLS error talking to {url}: {_root_cause(e)}") from None
        if isinstance(e, requests.exceptions.ConnectTimeout):
            return (
                f"{what}: cannot connect to {url}: no connection within {min(self.connect_timeout, budget):g} s",
                True,
            )
        if isinstance(e, requests.exceptions.ReadTimeout):
            raise RemoteError(f"{what}: {url} gave no answer within {budget:g} s") from None
        if isinstance(e, requests.exceptions.ConnectionError):
            cause = _root_cause(e)
            if _not_http(cause):
                raise RemoteError(f"{what}: {url} answered something that is not HTTP ({cause})") from None
            refused = "refused" in cause.lower()
            failure = f"{what}: cannot connect to {url}: {cause}" + (" (is the server running?)" if refused else "")
            return failure, safe or refused
        raise RemoteError(f"{what}: request to {url} failed: {_root_cause(e)}") from None

    def _attempt(
        self, method: str, url: str, deadline: float, *, max_bytes: int | None = None, **kwargs
    ) -> tuple[requests.Response, bytes]:
        remaining = deadline - time.monotonic()
        data = kwargs.get("data")
        if isinstance(data, io.IOBase) and data.seekable():
            data.seek(0)
        response = self._session.request(
            method,
            url,
            auth=self.auth,
            verify=self.verify,
            stream=True,
            timeout=(min(self.connect_timeout, remaining), max(0.05, remaining)),
            **kwargs,
        )
        chunks, size = [], 0
        try:
            announced = response.headers.get("Content-Length", "")
            if max_bytes is not None and announced.isdigit() and int(announced) > max_bytes:
                raise _TooLarge()
            for chunk in response.iter_content(64 * 1024):
                chunks.append(chunk)
                size += len(chunk)
                if time.monotonic() > deadline:
                    raise _OutOfTime()
                if max_bytes is not None and size > max_bytes:
                    raise _TooLarge()
        except requests.exceptions.ChunkedEncodingError as e:
            raise requests.exceptions.ConnectionError(e) from None
        finally:
            response.close()
        return response, b"".join(chunks)

    def _refusal(self, what: str, method: str, url: str, response: requests.Response, body: bytes) -> str:
        hint = ""
        if response.status_code in (401, 403):
            hint = (
                f" (credentials come from {USER_ENV}/{PASSWORD_ENV} or netrc; "
                f"{'none were found' if self.auth is None else 'check them and --auth'})"
            )
        return f"{what}: {method} {url} answered {response.status_code} {response.reason}: {excerpt(body)}{hint}"

    # -- SPARQL

    def results(
        self,
        query: str,
        *,
        dataset: Sequence[str] | None = None,
        what: str = "query",
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> dict:
        """SPARQL JSON results (a SELECT or an ASK) as a dict; with ``dataset``, the query
        reads exactly these graphs (``default-graph-uri`` and ``named-graph-uri``);
        ``max_bytes``: the largest answer accepted (default: the client's cap)."""
        url = self.endpoints.query
        form: list[tuple[str, str]] = [("query", query)]
        for g in dataset or ():
            form += [("default-graph-uri", g), ("named-graph-uri", g)]
        response, body = self.send(
            "POST",
            url,
            what=what,
            ok=(200,),
            data=form,
            timeout=timeout,
            max_bytes=max_bytes,
            headers={"Accept": SPARQL_JSON},
        )
        try:
            data = json.loads(body.decode("utf-8"))
            if not isinstance(data, dict) or not (
                isinstance(data.get("boolean"), bool) or isinstance(data.get("results", {}).get("bindings"), list)
            ):
                raise ValueError
            return data
        except (ValueError, AttributeError, UnicodeDecodeError):
            raise RemoteError(
                f"{what}: unexpected answer from {url}: expected SPARQL JSON results, got "
                f"{response.headers.get('Content-Type', 'no Content-Type')}: "
                f"{excerpt(body)}"
            ) from None

    def select(
        self, query: str, *, dataset: Sequence[str] | None = None, what: str = "query", columns: Sequence[str] = ()
    ) -> list[dict[str, str]]:
        """Run a SELECT query; each row maps variable names to the values' text.
        ``columns``: variables every row must bind."""
        rows = []
        for row in self.results(query, dataset=dataset, what=what)["results"]["bindings"]:
            try:
                values = {k: v["value"] for k, v in row.items()}
                if any(not isinstance(values[c], str) for c in columns):
                    raise TypeError
            except (KeyError, TypeError, AttributeError):
                raise RemoteError(
                    f"{what}: unexpected answer from {self.endpoints.query}: row "
                    f"{excerpt(str(row).encode())} lacks {', '.join(columns)}"
                ) from None
            rows.append(values)
        return rows

    def update(self, update: str, *, what: str = "update", safe: bool = False) -> None:
        self.send(
            "POST",
            self.endpoints.update,
            what=what,
            safe=safe,
            data=update.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update; charset=utf-8"},
        )

    def counts(self, graphs: Sequence[str], *, what: str = "counting triples") -> dict[str, int]:
        """Triples per graph on the server (0 for a missing graph)."""
        counts = {g: 0 for g in graphs}
        if not graphs:
            return counts
        for row in self.select(
            fill_graphs(internal_query("graph-triple-counts"), graphs), what=what, columns=("graph", "triples")
        ):
            try:
                n = int(row["triples"])
            except ValueError:
                raise RemoteError(
                    f"{what}: unexpected answer from {self.endpoints.query}: "
                    f"{excerpt(row['triples'].encode())} is not a count"
                ) from None
            if row["graph"] in counts:
                counts[row["graph"]] = n
        return counts

    def catalogue(self, *, what: str = "reading the catalogue") -> dict[str, str]:
        """``{graph: current version}`` from the catalogue graph (empty: no catalogue)."""
        return {
            row["graph"]: row["version"]
            for row in self.select(internal_query("catalogue"), what=what, columns=("graph", "version"))
        }

    def version_graphs(self) -> list[str]:
        """Version and staging graphs on the server (current or not)."""
        return [
            row["graph"]
            for row in self.select(
                internal_query(self.endpoints.profile.versions_query),
                what="listing the versions of the graphs",
                columns=("graph",),
            )
        ]

    def drop(self, graphs: Sequence[str], *, what: str = "dropping old versions") -> None:
        """Drop graphs (if they exist) in one update request (safe to repeat)."""
        if graphs:
            self.update(drop_graphs_update(graphs), what=what, safe=True)

    def fetch_graph(
        self,
        graph_iri: str,
        store: ox.Store,
        *,
        to_graph: str | None = None,
        what: str = "fetching a graph",
        max_bytes: int | None = None,
    ) -> int:
        """Copy the triples of one graph of the server (a SPARQL ``CONSTRUCT``, so any
        server, read-only and without credentials where its queries need none) into
        ``to_graph`` (default: the same name) of a local store; the bytes received.
        Within the client's timeout, and ``max_bytes`` (default: the client's cap)."""
        url = self.endpoints.query
        query = fill_graphs(internal_query("graph-triples"), [graph_iri])
        response, body = self.send(
            "POST",
            url,
            what=what,
            ok=(200,),
            data=[("query", query)],
            max_bytes=max_bytes,
            headers={"Accept": RDF_ACCEPT},
        )
        media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        fmt = RDF_FORMATS.get(media)
        if fmt is None:
            raise RemoteError(
                f"{what}: unexpected answer from {url}: expected N-Triples or Turtle, got "
                f"{media or 'no Content-Type'}: {excerpt(body)}"
            )
        try:
            store.bulk_load(body, format=fmt, to_graph=ox.NamedNode(to_graph or graph_iri))
        except (SyntaxError, ValueError) as e:
            raise RemoteError(f"{what}: unexpected answer from {url}: not {media}: {excerpt(str(e))}") from None
        return len(body)

    # -- uploads

    def put_graph(self, graph_iri: str, body: io.IOBase | bytes, *, what: str, size: int | None = None) -> None:
        """Replace a graph's content by the Graph Store Protocol (``PUT``); ``size``
        (bytes) of more than the profile's ``bulk_above``, or unknown: with its
        fast-upload parameters."""
        if self.endpoints.gsp is None:
            raise RemoteError(f"{what}: no Graph Store endpoint is known for this server")
        bulk = size is None or size > self.endpoints.profile.bulk_above
        params = [(self.endpoints.profile.graph_param, graph_iri), *(self.endpoints.gsp_params if bulk else ())]
        self.send("PUT", self.endpoints.gsp, what=what, params=params, data=body, headers={"Content-Type": UPLOAD_TYPE})

    def insert_graph(self, graph_iri: str, ntriples: bytes, *, what: str) -> None:
        """Replace a graph's content by SPARQL Update (for servers without a Graph Store)."""
        self.update(insert_data_update(graph_iri, ntriples), what=what, safe=True)


class _OutOfTime(Exception):
    pass


class _TooLarge(Exception):
    """An answer beyond the call's ``max_bytes``."""


def _not_http(cause: str) -> bool:
    return any(
        m in cause
        for m in (
            "BadStatusLine",
            "LineTooLong",
            "InvalidChunkLength",
            "not HTTP",
            "ProtocolError",
            "IncompleteRead",
            "InvalidHeader",
        )
    )


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, e.g. ``[Errno 111] Connection refused``."""
    seen = exc
    nxt = seen.__cause__ or seen.__context__
    while nxt is not None:
        if isinstance(nxt, http.client.RemoteDisconnected):
            return "the server closed the connection without answering"
        if isinstance(nxt, http.client.BadStatusLine):
            return f"BadStatusLine: {excerpt(str(nxt).encode(), 80)}"
        seen = nxt
        nxt = seen.__cause__ or seen.__context__
    text = str(exc)
    m = re.search(r"\[Errno -?\d+\] [^'\")]+", text)
    if m:
        return m.group(0).strip()
    for marker in (
        "BadStatusLine",
        "RemoteDisconnected",
        "Connection aborted.",
        "Connection reset",
        "certificate verify failed",
        "InvalidChunkLength",
        "IncompleteRead",
    ):
        if marker in text:
            return marker.rstrip(".")
    return text


def excerpt(body: bytes | str, limit: int = 300) -> str:
    """A server's text for a message: decoded (invalid UTF-8 replaced), whitespace
    folded, HTML tags removed, at most ``limit`` characters."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if "<" in text and re.search(r"</?[a-zA-Z][^>]*>", text):
        text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", text, flags=re.S | re.I)
        text = re.sub(r"<[^>]+>", " ", text)
    text = "".join(c if c.isprintable() or c.isspace() else "?" for c in text)
    flat = " ".join(text.split())
    if not flat:
        return "(empty body)"
    return flat if len(flat) <= limit else flat[:limit] + "…"


# --- reading the project's graphs ---------------------------------------------


@dataclass
class Snapshot:
    """The project's graphs as a server held them (:meth:`Reader.snapshot`)."""

    #: one named graph per graph of the catalogue, under the graph's own name
    store: ox.Store
    #: ``{graph: version}``: the versions copied
    catalogue: dict[str, str]
    #: the query endpoint they came from
    url: str
    #: bytes received
    size: int = 0
    seconds: float = 0.0


class Reader:
    """Queries that read exactly the project's graphs on a server (see the module doc)."""

    def __init__(self, client: SparqlClient, *, attempts: int = 3):
        self.client = client
        self.attempts = attempts
        self._catalogue: dict[str, str] | None = None

    def catalogue(self, *, refresh: bool = False) -> dict[str, str]:
        if self._catalogue is None or refresh:
            found = self.client.catalogue()
            if not found:
                raise RemoteError(
                    f"{self.client.endpoints.query} has no clusterkg catalogue (graph <{CATALOGUE_GRAPH}> "
                    f"is empty or missing): load the project first (clusterkg load --endpoint …), or "
                    f"check --endpoint and --server"
                )
            self._catalogue = found
        return self._catalogue

    def results(self, query: str, *, what: str = "query", timeout: float | None = None) -> dict:
        """SPARQL JSON results of ``query`` on the current versions of every graph."""
        catalogue = self.catalogue()
        for _ in range(self.attempts):
            data = self.client.results(query, dataset=sorted(catalogue.values()), what=what, timeout=timeout)
            now = self.catalogue(refresh=True)
            if now == catalogue:
                return data
            catalogue = now  # a load switched the graphs meanwhile: read the new ones
        raise RemoteError(
            f"{what}: the graphs on {self.client.endpoints.query} were switched by a load "
            f"during each of {self.attempts} attempts; try again"
        )

    def snapshot(self, *, max_bytes: int | None = None, on_graph: Callable[[str], None] | None = None) -> Snapshot:
        """The current version of every graph the catalogue names, copied into an
        embedded store under the graph's own name (as if loaded from its file).

        One ``CONSTRUCT`` per graph (each within the client's timeout, its answer
        within ``max_bytes``, default: the client's cap); then the triples received
        are compared with the server's counts (a server that caps its results, as
        Virtuoso's ``ResultSetMaxRows`` does, is refused), and the catalogue is read
        again: if a load switched it meanwhile, the graphs are fetched again."""
        started = time.monotonic()
        catalogue = self.catalogue()
        for _ in range(self.attempts):
            store, size = ox.Store(), 0
            for g, version in sorted(catalogue.items()):
                if on_graph:
                    on_graph(g)
                size += self.client.fetch_graph(version, store, to_graph=g, what=f"fetching <{g}>", max_bytes=max_bytes)
            now = self.catalogue(refresh=True)
            if now == catalogue:
                self._check_fetched(store, catalogue)
                return Snapshot(store, catalogue, self.client.endpoints.query, size, time.monotonic() - started)
            catalogue = now  # a load switched the graphs meanwhile: fetch the new ones
        raise RemoteError(
            f"fetching the graphs: the graphs on {self.client.endpoints.query} were switched by a "
            f"load during each of {self.attempts} attempts; try again"
        )

    def _check_fetched(self, store: ox.Store, catalogue: dict[str, str]) -> None:
        on_server = self.client.counts(sorted(catalogue.values()), what="counting the fetched graphs")
        fetched = local_counts(store, sorted(catalogue))
        short = [
            f"<{g}>: {fetched[g]} of its {on_server[v]} triples"
            for g, v in sorted(catalogue.items())
            if fetched[g] != on_server[v]
        ]
        if short:
            raise RemoteError(
                f"fetching the graphs: {self.client.endpoints.query} did not send every triple "
                f"({'; '.join(short)}): does it cap the rows of an answer (Virtuoso: ResultSetMaxRows)?"
            )

    def counts(self) -> dict[str, int]:
        """Triples per project graph (the current version of each)."""
        catalogue = self.catalogue()
        versions = self.client.counts(sorted(catalogue.values()))
        return {g: versions[v] for g, v in catalogue.items()}


def client_for(endpoint: str | Endpoints | SparqlClient | Reader, *, timeout: float = 60.0) -> Reader:
    """A :class:`Reader` for an endpoint given as a query URL (``--server generic``),
    :class:`Endpoints`, a client or a reader."""
    if isinstance(endpoint, Reader):
        return endpoint
    if isinstance(endpoint, SparqlClient):
        return Reader(endpoint)
    if isinstance(endpoint, str):
        endpoint = Endpoints.for_server(endpoint, "generic")
    return Reader(SparqlClient(endpoint, timeout=timeout, auth=make_auth(endpoint.profile.auth, endpoint.query)))


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
        raise ValidationFailed(
            f"cannot check the data against the SHACL shapes: "
            f"{VALIDATE_MODULE}.{VALIDATE_FUNCTION} is not available; "
            f"rerun with --no-validate to load unchecked data"
        ) from None
    if not conforms(store):
        raise ValidationFailed(
            "the data does not conform to the SHACL shapes (see `clusterkg validate`); nothing was sent"
        )


# --- the load lock ---------------------------------------------------------------


def _datetime(moment: dt.datetime) -> ox.Literal:
    return ox.Literal(moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), datatype=ox.NamedNode(XSD_DATETIME))


def _parse_datetime(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class LoadLock:
    """The load lock on a server (graph ``…/catalogue/lock``); see the module doc."""

    def __init__(
        self,
        client: SparqlClient,
        *,
        expiry: float = 600.0,
        wait: float = 120.0,
        poll: float = 0.5,
        clock: Callable[[], dt.datetime] | None = None,
    ):
        self.client = client
        self.expiry = expiry
        self.wait = wait
        self.poll = poll
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.owner = f"urn:uuid:{uuid.uuid4()}"
        self.expires: ox.Literal | None = None
        self.broken: list[str] = []

    def claims(self) -> list[dict[str, str]]:
        return self.client.select(internal_query("lock"), what="reading the load lock", columns=("owner", "expires"))

    def acquire(self) -> None:
        """Take the lock, waiting up to ``wait`` seconds for its holder; RemoteError if not."""
        give_up = time.monotonic() + self.wait
        while True:
            claims = self.claims()
            now = self.clock()
            for claim in claims:
                expires = _parse_datetime(claim["expires"])
                if claim["owner"] != self.owner and (expires is None or expires <= now):
                    self._release(claim["owner"], ox.Literal(claim["expires"], datatype=ox.NamedNode(XSD_DATETIME)))
                    self.broken.append(claim["owner"])
            if not any(c["owner"] != self.owner and (e := _parse_datetime(c["expires"])) and e > now for c in claims):
                self.expires = _datetime(now + dt.timedelta(seconds=self.expiry))
                self.client.update(
                    fill_params(
                        internal_update("lock-take"), owner=self.owner, since=_datetime(now), expires=self.expires
                    ),
                    what="taking the load lock",
                )
                owners = {c["owner"] for c in self.claims()}
                if owners == {self.owner}:
                    return
                if not owners:
                    raise RemoteError(
                        f"taking the load lock: {self.client.endpoints.update} accepted the "
                        f"update but {self.client.endpoints.query} does not show it: the server "
                        f"does not keep what is written, or the two URLs are different stores"
                    )
                if self.owner in owners:  # claimed at the same time as another loader: withdraw
                    self._release(self.owner, self.expires)
                claims = self.claims()
            if time.monotonic() >= give_up:
                holder = next((c for c in claims if c["owner"] != self.owner), None)
                who = (
                    f"{holder['owner']} (since {holder.get('since', '?')}, expires {holder['expires']})"
                    if holder
                    else "another load"
                )
                raise RemoteError(
                    f"another load is running on {self.client.endpoints.update}: the load "
                    f"lock is held by {who}; waited {self.wait:g} s (--lock-wait). Nothing "
                    f"was changed. If that load died, its lock is broken once it expires."
                )
            time.sleep(self.poll * (0.5 + random.random()))

    def renew(self) -> None:
        if self.expires is None:
            return
        renewed = _datetime(self.clock() + dt.timedelta(seconds=self.expiry))
        self.client.update(
            fill_params(internal_update("lock-renew"), owner=self.owner, expires=self.expires, renewed=renewed),
            what="renewing the load lock",
        )
        self.expires = renewed

    def release(self) -> None:
        if self.expires is not None:
            self._release(self.owner, self.expires)
            self.expires = None

    def _release(self, owner: str, expires: ox.Literal) -> None:
        self.client.update(
            fill_params(internal_update("lock-release"), owner=owner, expires=expires),
            what="releasing the load lock",
            safe=True,
        )


# --- Virtuoso's bulk loader ----------------------------------------------------


class VirtuosoBulk:
    """Upload by Virtuoso's bulk loader (``ld_dir`` + ``rdf_loader_run`` through
    ``isql``), for a server that can read ``directory`` (same machine, a folder
    listed in its ``DirsAllowed``). Each version is written there as N-Triples,
    loaded, made durable by a ``checkpoint`` (the bulk loader does not log, so
    without it a crash could lose a version the catalogue already names), and
    the file removed. Credentials as for HTTP (``CLUSTERKG_USER`` /
    ``CLUSTERKG_PASSWORD`` or netrc for ``isql://HOST``)."""

    def __init__(
        self, directory: Path, isql: str = "127.0.0.1:1111", *, timeout: float = 3600.0, executable: str = "isql-vt"
    ):
        self.directory = Path(directory)
        self.isql = isql
        self.timeout = timeout
        self.executable = executable

    def run(self, statements: str, what: str) -> str:
        import shutil

        exe = shutil.which(self.executable) or shutil.which("isql")
        if exe is None:
            raise RemoteError(f"{what}: Virtuoso's isql ({self.executable}) is not installed")
        creds = credentials(f"isql://{self.isql.split(':')[0]}") or ("dba", "")
        try:
            done = subprocess.run(
                [exe, self.isql, creds[0], creds[1], f"exec={statements}"],
                capture_output=True,
                text=True,
                timeout=self.timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise RemoteError(f"{what}: isql {self.isql} gave no answer within {self.timeout:g} s") from None
        out = done.stdout + done.stderr
        errors = [line for line in out.splitlines() if "*** Error" in line or "Connect failed" in line]
        if done.returncode != 0 or errors:
            raise RemoteError(f"{what}: isql {self.isql} failed: {excerpt(' '.join(errors) or out)}")
        return out

    def put_graph(self, graph_iri: str, ntriples: bytes, *, what: str) -> None:
        name = f"clusterkg-{uuid.uuid4().hex}.nt"
        path = self.directory / name
        try:
            path.write_bytes(ntriples)
        except OSError as e:
            raise RemoteError(f"{what}: cannot write {path} for the bulk loader: {e.strerror or e}") from None
        try:
            self.run(
                f"ld_dir('{self._sql(self.directory)}', '{name}', '{self._sql(iri(graph_iri)[1:-1])}'); "
                f"rdf_loader_run(); checkpoint; "
                f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file LIKE '%{name}';",
                what,
            )
            # A file the loader could not read or parse leaves the version short:
            # the count of step 4 catches it.
        finally:
            path.unlink(missing_ok=True)

    @staticmethod
    def _sql(text: object) -> str:
        value = str(text)
        if "'" in value or "\\" in value:
            raise RemoteError(f"{value!r} cannot be given to isql (quote or backslash)")
        return value


# --- the load ------------------------------------------------------------------


@dataclass
class GraphLoad:
    file: graph.GraphFile
    version: str
    sent: int
    size: int = 0
    before: int = 0
    after: int = 0


@dataclass
class LoadReport:
    graphs: list[GraphLoad]
    seconds: float
    dropped: list[str] = field(default_factory=list)
    #: seconds from the start until the catalogue named the new versions
    switched_after: float = 0.0
    broken_locks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    #: old versions handed to a background process (:func:`drop_in_background`), and it
    dropping: list[str] = field(default_factory=list)
    dropping_triples: int = 0
    background: subprocess.Popen | None = None

    @property
    def triples(self) -> int:
        return sum(g.sent for g in self.graphs)


#: ``on_phase(phase, load)``: phase is "parsed", "lock", "locked", "upload",
#: "uploaded", "switch", "switched", "cleanup" or "verified"; ``load`` is the
#: GraphLoad for upload phases, else None.
PhaseHook = Callable[[str, "GraphLoad | None"], None]


def unique_files(files: Iterable[graph.GraphFile]) -> list[graph.GraphFile]:
    """The files without repeats; two different files for one graph are refused."""
    seen: dict[str, graph.GraphFile] = {}
    for gf in files:
        other = seen.setdefault(gf.graph, gf)
        if other.path.resolve() != gf.path.resolve():
            raise graph.LoadError(
                gf.path, f"would be loaded into the graph <{gf.graph}>, as {other.path} is: rename one of them"
            )
    return list(seen.values())


def _upload_graph(
    client: SparqlClient,
    gl: GraphLoad,
    data: bytes,
    *,
    upload: str,
    bulk: VirtuosoBulk | None,
    wrap_upload: Callable[[GraphLoad, io.BytesIO], io.IOBase] | None,
) -> None:
    """Send one graph into its new version: Virtuoso's bulk loader, the Graph Store or SPARQL Update."""
    what = f"uploading {gl.file.path}"
    if bulk is not None:
        bulk.put_graph(gl.version, data, what=what)
    elif upload == "gsp":
        body = io.BytesIO(data)
        client.put_graph(gl.version, wrap_upload(gl, body) if wrap_upload else body, what=what, size=len(data))
    else:
        client.insert_graph(gl.version, data, what=what)


def _count_before(client: SparqlClient, old: dict[str, str], targets: list[str], loads: Sequence[GraphLoad]) -> None:
    """Each load's triples before: those of the version the catalogue names now."""
    before = client.counts(sorted({old[t] for t in targets if t in old}), what="reading the current graphs")
    for gl in loads:
        gl.before = before.get(old.get(gl.file.graph, ""), 0)


def _release(lock: LoadLock, report: LoadReport) -> None:
    """Release the load lock; if it cannot be, it expires by itself."""
    try:
        lock.release()
    except RemoteError as e:
        report.warnings.append(f"the load lock could not be released ({e}); it expires by itself")


#: ``drop="auto"``: old versions holding more triples than this are dropped in the background.
BACKGROUND_DROP_ABOVE = 10_000
DROPS = ("auto", "wait", "background")


def _drop_old(client: SparqlClient, old: list[str], report: LoadReport, drop: str, known: dict[str, int]) -> None:
    """Drop the versions nobody reads any more (listed under the lock, dropped after it is
    released; ``known``: triples of those already counted): in the load (``drop="wait"``, or ``"auto"`` up to
    :data:`BACKGROUND_DROP_ABOVE` triples), else by a background process that the load
    does not wait for (:func:`drop_in_background`): deleting triples costs Oxigraph more
    than loading them, and nobody needs to wait for it."""
    if not old:
        return
    try:
        if drop != "wait":  # the replaced versions were counted before the upload; leftovers are counted now
            unknown = [g for g in old if g not in known]
            counted = client.counts(unknown, what="counting the old versions") if unknown else {}
            report.dropping_triples = sum(known.get(g, 0) for g in old) + sum(counted.values())
        if drop == "background" or (drop == "auto" and report.dropping_triples > BACKGROUND_DROP_ABOVE):
            report.background = drop_in_background(client, old)
            report.dropping = old
            return
        client.drop(old, what="dropping the old versions")
        report.dropped += old
    except (RemoteError, OSError) as e:
        report.warnings.append(
            f"the graphs were switched, but the old versions could not be dropped ({e}); the next load drops them"
        )


def drop_in_background(client: SparqlClient, graphs: Sequence[str]) -> subprocess.Popen:
    """Start ``python -m clusterkg.remote``, which drops ``graphs`` one by one (each
    request within the client's timeout) and prints how many it dropped as one line
    of JSON (``{"dropped": 6, "of": 6}``, with ``"error"`` if it stopped); it
    outlives the command (its own session), and its credentials come from the same
    environment or netrc."""
    auth = "digest" if isinstance(client.auth, HTTPDigestAuth) else "basic" if client.auth is not None else None
    spec = {"update": client.endpoints.update, "auth": auth, "timeout": client.timeout, "graphs": list(graphs)}
    package = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package, os.environ.get("PYTHONPATH")]))}
    child = subprocess.Popen(
        [sys.executable, "-m", "clusterkg.remote"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C on the command does not stop it
        env=env,
    )
    assert child.stdin is not None
    child.stdin.write(json.dumps(spec).encode())
    child.stdin.close()
    child.stdin = None  # written and closed: communicate() then only reads its line
    return child


def _drop_main() -> int:
    """The background dropper (``python -m clusterkg.remote``, a JSON spec on stdin)."""
    spec = json.load(sys.stdin)
    endpoints = Endpoints(spec["update"], spec["update"], None, PROFILES["generic"])
    auth = make_auth(spec["auth"], spec["update"]) if spec["auth"] else None
    done: dict[str, int | str] = {"dropped": 0, "of": len(spec["graphs"])}
    with SparqlClient(endpoints, auth=auth, timeout=spec["timeout"]) as client:
        try:
            for g in spec["graphs"]:
                client.drop([g], what="dropping an old version in the background")
                done["dropped"] = int(done["dropped"]) + 1
        except RemoteError as e:
            done["error"] = str(e)
    with contextlib.suppress(OSError):  # the command may be gone; one short line (a pipe never fills)
        print(json.dumps(done), flush=True)
    return 0 if "error" not in done else 1


def _check_uploaded(client: SparqlClient, loads: Sequence[GraphLoad]) -> None:
    """The server holds in each new version the triples sent, or nothing is switched
    (a version is never written again: these are its triples after the switch too)."""
    on_server = client.counts([gl.version for gl in loads], what="checking the uploaded graphs")
    for gl in loads:
        gl.after = on_server[gl.version]
    wrong = [
        f"{gl.file.path}: {on_server[gl.version]} triples in its new version, {gl.sent} sent"
        for gl in loads
        if on_server[gl.version] != gl.sent
    ]
    if wrong:
        raise RemoteError(
            f"{client.endpoints.query} does not hold what was sent, so nothing was switched: " + "; ".join(wrong)
        )


def _switch_catalogue(client: SparqlClient, switch: str) -> None:
    """Send the catalogue switch; without an answer, say that it ran entirely or not at all."""
    try:
        client.update(switch, what="switching the catalogue to the new versions")
    except RemoteError as e:
        if e.status is not None:
            raise
        # No answer: the switch ran entirely or not at all.
        raise RemoteError(
            f"{e}; the catalogue switches every graph in one transaction, so readers "
            f"see every graph all old or all new; run the load again"
        ) from None


def load(
    files: Sequence[graph.GraphFile],
    client: SparqlClient,
    *,
    validate: bool = True,
    upload: str = "gsp",
    lock_wait: float = 120.0,
    lock_expiry: float = 600.0,
    bulk: VirtuosoBulk | None = None,
    on_phase: PhaseHook | None = None,
    wrap_upload: Callable[[GraphLoad, io.BytesIO], io.IOBase] | None = None,
    drop: str = "wait",
) -> LoadReport:
    """Load ``files`` into their named graphs on the server, atomically (see the module doc).

    ``drop``: how the old versions are dropped once the lock is released: ``"wait"``
    (by this call), ``"background"`` (by a background process this call does not
    wait for: ``LoadReport.background``), ``"auto"`` (background above
    :data:`BACKGROUND_DROP_ABOVE` triples).

    Raises :class:`clusterkg.graph.LoadError` (bad input, nothing sent),
    :class:`ValidationFailed` (nothing sent) or :class:`RemoteError`.
    """
    started = time.monotonic()
    phases: dict[str, float] = {}
    mark = started

    def phase(name: str, gl: GraphLoad | None = None) -> None:
        nonlocal mark
        now = time.monotonic()
        phases[name] = phases.get(name, 0.0) + now - mark
        mark = now
        if on_phase:
            on_phase(name, gl)

    files = unique_files(files)
    store = graph.build_store(files)
    if validate:
        check_conforms(store)
    targets = [gf.graph for gf in files]
    sent = local_counts(store, targets)
    loads = [GraphLoad(gf, version_iri(gf.graph), sent[gf.graph]) for gf in files]
    if upload == "gsp" and client.endpoints.gsp is None:
        upload = "update"
    phase("parsed")

    lock = LoadLock(client, expiry=lock_expiry, wait=lock_wait)
    lock.acquire()
    report = LoadReport(loads, 0.0, broken_locks=lock.broken, phases=phases)
    phase("locked")
    switched = switch_sent = False
    try:
        old = client.catalogue()
        _count_before(client, old, targets, loads)
        for gl in loads:
            data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(gl.file.graph)) or b""
            gl.size = len(data)
            phase("upload", gl)
            _upload_graph(client, gl, data, upload=upload, bulk=bulk, wrap_upload=wrap_upload)
            lock.renew()
            phase("uploaded", gl)
        _check_uploaded(client, loads)
        phase("switch")
        switch = fill_params(internal_update("catalogue-switch"), owner=lock.owner)
        switch = fill_values(switch, graph=targets, graph_version=[(gl.file.graph, gl.version) for gl in loads])
        switch_sent = True
        _switch_catalogue(client, switch)
        now = client.catalogue(what="checking the switch")
        switched = all(now.get(gl.file.graph) == gl.version for gl in loads)
        if not switched:
            raise RemoteError(
                f"after the switch, the catalogue on {client.endpoints.query} does not name "
                f"the new versions: the load lock was broken by another load (it expired "
                f"after {lock_expiry:g} s, --lock-expiry) or the server ignored the update; "
                f"nothing was switched"
            )
        report.switched_after = time.monotonic() - started
        phase("switched")
        # Listed under the lock (no load is writing a version now): what this load
        # replaced and what interrupted loads left, none of which any reader reads.
        current = set(now.values())
        old_versions = [g for g in client.version_graphs() if g not in current]
    except BaseException:
        if not switch_sent:
            # what this load wrote and nobody reads; the next load drops it otherwise
            with contextlib.suppress(RemoteError):
                client.drop([gl.version for gl in loads], what="dropping the versions of the failed load")
        raise
    finally:
        _release(lock, report)
    # The old versions are read by nobody who has read the catalogue since the switch,
    # and no load writes them: dropped after the lock is released, so that the next load
    # need not wait for the server to delete them (the slowest step on Oxigraph).
    phase("cleanup")
    _drop_old(
        client, old_versions, report, drop, {old[gl.file.graph]: gl.before for gl in loads if gl.file.graph in old}
    )
    phase("verified")
    report.seconds = time.monotonic() - started
    return report


def files_with_ontology(paths: Sequence[Path]) -> list[graph.GraphFile]:
    """The ontology and the given files (as ``clusterkg stats FILES`` counts them)."""
    return unique_files(graph.project_files(ontology=True, data=False) + [graph.GraphFile.for_path(p) for p in paths])


class LoadProgress:
    """Shows a load on a rich Progress: the current step, and bytes sent per file."""

    STEPS = {
        "parsed": "taking the load lock",
        "locked": "reading the catalogue",
        "switch": "switching the catalogue in one update request",
        "switched": "listing the old versions",
        "cleanup": "dropping the old versions",
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


if __name__ == "__main__":
    sys.exit(_drop_main())
