"""Run a SPARQL server as a child process: the Oxigraph server of the PyPI package
``oxigraph`` (``clusterkg serve`` and the tests), or any server the tests start.

:class:`ServerProcess` starts a command on a port (a free loopback port unless
told), waits until the server answers HTTP, and stops it (SIGTERM, then SIGKILL);
:meth:`ServerProcess.kill` is the fault the tests inject. :func:`write_store`
puts the project's graphs into an Oxigraph store directory before the server
opens it, with the catalogue that names them (see :mod:`clusterkg.remote`).

:class:`Front` is the thin HTTP front ``clusterkg serve`` puts before Oxigraph:
Oxigraph streams results, so a query it cancels at its timeout has already
answered ``200`` with part of the rows. The front forwards each request,
buffers the whole answer, and answers ``504`` when it is not complete within the
timeout (Oxigraph's own timeout is set later, so it never cuts an answer the
front then passes on) and ``500`` when it grows beyond the result cap.
"""

from __future__ import annotations

import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
import requests

from . import graph, project
from .remote import CATALOGUE_GRAPH, drop_graphs_update, local_counts

CURRENT = ox.NamedNode("https://w3id.org/clusterkg/catalogue#current")


class ServerError(Exception):
    """The server did not start, or stopped on its own."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM it when its parent dies, even by SIGKILL
    (Linux prctl PR_SET_PDEATHSIG), so that no server outlives ``clusterkg serve``."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on ``host:port`` (SO_REUSEADDR, as servers set it)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class ServerProcess:
    """A server child process on ``host:port``.

    ``command(port)`` returns the argv (and may write configuration for that
    port); ``ready_path`` is fetched until it answers. With ``port=None`` a free
    port is picked, and another one if the server could not bind it.
    """

    def __init__(
        self,
        command: Callable[[int], Sequence[str]],
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        ready_path: str = "/",
        log_path: Path | None = None,
        cwd: Path | None = None,
        startup_timeout: float = 60.0,
        name: str = "server",
    ):
        self.command = command
        self.host = host
        self.port = port
        self._auto_port = port is None
        self.ready_path = ready_path
        self.log_path = log_path
        self.cwd = cwd
        self.startup_timeout = startup_timeout
        self.name = name
        self.process: subprocess.Popen | None = None
        self._log: BinaryIO | None = None

    @property
    def base_url(self) -> str:
        return f"http://{url_host(self.host)}:{self.port}"

    def start(self) -> ServerProcess:
        attempts = 3 if self._auto_port else 1
        for attempt in range(attempts):
            if self._auto_port and (self.port is None or attempt > 0 or not port_is_free(self.host, self.port)):
                self.port = free_port(self.host)
            elif self.port is not None and not port_is_free(self.host, self.port):  # a given port
                raise ServerError(f"cannot start {self.name}: {self.host}:{self.port} is already in use")
            try:
                self._spawn()
                self._wait_ready()
                return self
            except ServerError:
                self.stop()
                if attempt == attempts - 1:
                    raise
        return self

    def _spawn(self) -> None:
        assert self.port is not None, "start() chooses the port first"
        argv = [str(a) for a in self.command(self.port)]
        if self.log_path is not None:
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - open while the server runs; _close_log closes it
        self.process = subprocess.Popen(
            argv,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT if self._log else None,
            start_new_session=True,  # Ctrl-C reaches us only, and we stop the server
            preexec_fn=_die_with_parent,
        )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = self.base_url + self.ready_path
        process = self.process
        assert process is not None, "_spawn() starts the process first"
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerError(
                    f"{self.name} exited with code {process.returncode} before answering at {url}{self._log_tail()}"
                )
            try:
                requests.get(url, timeout=2)
                if process.poll() is None:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise ServerError(f"{self.name} did not answer at {url} within {self.startup_timeout:g} s{self._log_tail()}")

    def _log_tail(self) -> str:
        if self.log_path is None or not Path(self.log_path).exists():
            return ""
        lines = Path(self.log_path).read_text(errors="replace").splitlines()[-10:]
        return ("; its log ends with:\n" + "\n".join(lines)) if lines else ""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self) -> int:
        """Wait until the server exits on its own; its exit code."""
        assert self.process is not None, "the server was not started"
        return self.process.wait()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it is still there after ``timeout`` seconds."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_log()

    def kill(self) -> None:
        """SIGKILL, no chance to clean up (a crash, for the fault tests)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close_log()

    def restart(self) -> ServerProcess:
        """Start again after stop() or kill(), on the same port if it is free."""
        self.stop()
        return self.start()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> ServerProcess:
        return self.start() if not self.running else self

    def __exit__(self, *exc) -> None:
        self.stop()


def oxigraph_executable() -> str:
    """The ``oxigraph`` command installed by the PyPI package beside this Python."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.exists():
        return str(beside)
    found = shutil.which("oxigraph")
    if found is None:
        raise ServerError("the `oxigraph` command is not installed (pip install oxigraph)")
    return found


class OxigraphServer(ServerProcess):
    """``oxigraph serve-read-only`` (or ``serve`` when ``read_only=False``) on a store directory."""

    def __init__(
        self,
        location: Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        read_only: bool = True,
        union_default_graph: bool = False,
        timeout_s: int | None = None,
        log_path: Path | None = None,
    ):
        self.location = Path(location)
        self.read_only = read_only
        self.union_default_graph = union_default_graph
        self.timeout_s = timeout_s
        super().__init__(self._argv, host=host, port=port, ready_path="/query", log_path=log_path, name="oxigraph")

    def _argv(self, port: int) -> list[str]:
        argv = [
            oxigraph_executable(),
            "serve-read-only" if self.read_only else "serve",
            "--location",
            str(self.location),
            "--bind",
            f"{url_host(self.host)}:{port}",
        ]
        if self.union_default_graph:
            argv.append("--union-default-graph")
        if self.timeout_s is not None:
            argv += ["--timeout-s", str(self.timeout_s)]
        return argv

    @property
    def query_url(self) -> str:
        return self.base_url + "/query"

    @property
    def update_url(self) -> str:
        return self.base_url + "/update"

    @property
    def store_url(self) -> str:
        return self.base_url + "/store"


def write_store(location: Path, files: Sequence[graph.GraphFile]) -> dict[str, int]:
    """Parse and check ``files``, then write them into the Oxigraph store at ``location``.

    Each file's graph is replaced (dropped, then loaded); other graphs in the store
    are left alone. Raises :class:`clusterkg.graph.LoadError` before touching the
    store if a file is bad. Returns the triples per graph.
    """
    staging = graph.build_store(files)
    counts = local_counts(staging, [gf.graph for gf in files])
    Path(location).mkdir(parents=True, exist_ok=True)
    store = ox.Store(str(location))
    catalogue = ox.NamedNode(CATALOGUE_GRAPH)
    try:
        store.update(drop_graphs_update(gf.graph for gf in files))
        store.bulk_extend(staging)
        for gf in files:  # each graph is its own current version
            name = ox.NamedNode(gf.graph)
            for quad in list(store.quads_for_pattern(name, CURRENT, None, catalogue)):
                store.remove(quad)
            store.add(ox.Quad(name, CURRENT, name, catalogue))
        store.flush()
    finally:
        del store  # releases the RocksDB lock before the server opens the directory
    return counts


def describe(
    server: OxigraphServer, counts: dict[str, int], *, kept: bool = False, front: Front | None = None
) -> list[str]:
    """What ``clusterkg serve`` prints: the endpoints and how to call them."""
    base = front.base_url if front else server.base_url
    query_url = base + "/query"
    query_file = shlex.quote(str(project.INTERNAL_QUERIES_DIR / "triples-per-graph.rq"))
    mode = "read-only" if server.read_only else "read-write"
    limits = ""
    if front:
        limits = f"; query timeout {front.timeout:g} s; answers up to {front.max_bytes // 2**20} MB"
    elif server.timeout_s:
        limits = f"; query timeout {server.timeout_s} s"
    lines = [
        f"Serving {len(counts)} graphs ({sum(counts.values())} triples), {mode}, with the Oxigraph server",
        f"  SPARQL endpoint  {query_url}",
        "                   (default graph = union of the named graphs" + limits + ")",
    ]
    if not server.read_only:
        lines += [f"  SPARQL Update    {base}/update", f"  Graph Store      {base}/store?graph=IRI"]
    lines += [
        f"  Web UI           {base}/",
        f"  Store            {server.location}" + ("" if kept else " (temporary, removed on exit)"),
        "Try:",
        f"  curl -H 'Accept: text/csv' --data-urlencode query@{query_file} {query_url}",
        "  python -c 'from SPARQLWrapper import SPARQLWrapper, JSON; "
        f's = SPARQLWrapper("{query_url}"); '
        f's.setQuery(open("{project.INTERNAL_QUERIES_DIR / "triples-per-graph.rq"}").read()); '
        's.setReturnFormat(JSON); print(s.queryAndConvert()["results"]["bindings"])\'',
        "Ctrl-C stops the server.",
    ]
    return lines


# --- the HTTP front ------------------------------------------------------------

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "accept-encoding",
    "content-encoding",
}


class FrontError(Exception):
    """The front could not listen on its address."""


class Front:
    """A threaded HTTP front on ``host:port`` for the server at ``upstream`` (see the module doc)."""

    def __init__(
        self,
        upstream: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout: float = 30.0,
        max_bytes: int = 100 * 2**20,
    ):
        self.upstream = upstream.rstrip("/")
        self.host = host
        self.timeout = timeout
        self.max_bytes = max_bytes
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet, as Oxigraph is
                pass

            def _forward(self):
                front.forward(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _forward

        try:
            self.httpd = ThreadingHTTPServer((host, port), Handler)
        except OSError as e:
            raise FrontError(f"cannot listen on {url_host(host)}:{port}: {e.strerror or e}") from None
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{url_host(self.host)}:{self.port}"

    def start(self) -> Front:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread = None
        self.httpd.server_close()

    #: Seconds an update or Graph Store request may take (the query timeout is for queries).
    write_timeout = 3600.0

    def forward(self, h: BaseHTTPRequestHandler) -> None:
        is_query = h.path == "/query" or h.path.startswith(("/query?", "/query/"))
        deadline = time.monotonic() + (self.timeout if is_query else self.write_timeout)
        if "chunked" in h.headers.get("Transfer-Encoding", "").lower():
            return self._answer(h, 411, "a request body needs a Content-Length")
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in h.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers["Accept-Encoding"] = "identity"
        try:
            upstream = requests.request(
                h.command,
                self.upstream + h.path,
                data=body or None,
                headers=headers,
                stream=True,
                allow_redirects=False,
                timeout=(5, max(0.05, deadline - time.monotonic())),
            )
        except requests.exceptions.ReadTimeout:
            return self._timed_out(h)
        except requests.RequestException as e:
            return self._answer(h, 502, f"the SPARQL server behind this endpoint did not answer: {e}")
        chunks, size = [], 0
        try:
            for chunk in upstream.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.max_bytes:
                    return self._answer(
                        h,
                        500,
                        f"the answer is larger than the cap of {self.max_bytes} bytes "
                        f"(clusterkg serve --max-result-mb): add a LIMIT to the query",
                    )
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    return self._timed_out(h)
        except requests.exceptions.ConnectionError as e:
            if time.monotonic() > deadline or "timed out" in str(e).lower():
                return self._timed_out(h)
            return self._answer(h, 502, f"the SPARQL server behind this endpoint broke off its answer: {e}")
        finally:
            upstream.close()
        if time.monotonic() > deadline:
            return self._timed_out(h)
        self._relay(h, upstream, b"".join(chunks))

    @staticmethod
    def _relay(h: BaseHTTPRequestHandler, upstream: requests.Response, payload: bytes) -> None:
        """The upstream server's complete answer, sent on to the client."""
        h.send_response(upstream.status_code, upstream.reason)
        for k, v in upstream.headers.items():
            if k.lower() not in _HOP_BY_HOP:
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(payload)

    def _timed_out(self, h: BaseHTTPRequestHandler) -> None:
        self._answer(
            h,
            504,
            f"the query did not finish within {self.timeout:g} s "
            f"(clusterkg serve --timeout); no partial answer is sent",
        )

    @staticmethod
    def _answer(h: BaseHTTPRequestHandler, status: int, text: str) -> None:
        payload = text.encode("utf-8")
        try:
            h.send_response(status)
            h.send_header("Content-Type", "text/plain; charset=utf-8")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(payload)
        except OSError:
            pass  # the client went away
