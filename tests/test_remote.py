"""`clusterkg load` against a real Oxigraph server started on a free loopback port.

The broken servers (4xx, 5xx, garbage, a server that loses data) are tiny
http.server stubs; every store is a real Oxigraph.
"""

from __future__ import annotations

import json
import re
import shutil
import ssl
import subprocess
import sys
import threading
import time
import types
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
from rdflib.compare import isomorphic, to_isomorphic
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from clusterkg import graph, remote
from clusterkg.cli import main
from clusterkg.server import free_port
from clusterkg.sparql import internal_query
from conftest import flat, run_cli as run
from servers import file_graph, graph_counts, graph_triples, oxigraph_server, staging_graphs




@pytest.fixture
def oxigraph(tmp_path):
    with oxigraph_server(tmp_path / "store") as server:
        yield server


def all_graphs(query_url: str) -> dict[str, int]:
    """Every named graph on the server with its triple count."""
    sparql = SPARQLWrapper(query_url)
    sparql.setMethod(POST)
    sparql.setQuery(remote.strip_comments(internal_query("triples-per-graph")))
    sparql.setReturnFormat(JSON)
    rows = sparql.queryAndConvert()["results"]["bindings"]
    return {row["graph"]["value"]: int(row["triples"]["value"]) for row in rows}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- loading the project ------------------------------------------------------


def test_each_graph_holds_exactly_the_triples_of_its_file(oxigraph, capsys):
    files = graph.project_files()
    code, out, err = run(capsys, "load", "--endpoint", oxigraph.base_url, "--no-validate")
    assert code == 0, err
    expected = {gf.graph: file_graph(gf.path) for gf in files}
    for gf in files:
        on_server = graph_triples(oxigraph.query_url, gf.graph)
        assert len(on_server) == len(expected[gf.graph]), gf.path
        assert to_isomorphic(on_server) == to_isomorphic(expected[gf.graph]), gf.path
    assert all_graphs(oxigraph.query_url) == {g: len(t) for g, t in expected.items()}
    total = sum(len(t) for t in expected.values())
    assert f"loaded {total} triples into {len(files)} graphs" in out
    assert staging_graphs(oxigraph.query_url) == []


def test_reloading_replaces_and_never_duplicates(oxigraph, capsys):
    files = graph.project_files()
    expected = {gf.graph: len(file_graph(gf.path)) for gf in files}
    for _ in range(2):
        code, out, err = run(capsys, "load", "--endpoint", oxigraph.base_url, "--no-validate")
        assert code == 0, err
    # Exactly the project's graphs, each with exactly its file's triples.
    assert all_graphs(oxigraph.query_url) == expected
    # The second load saw the first one's triples (before) and left the same number (now).
    first = files[0]
    assert f"{first.graph} {expected[first.graph]} {expected[first.graph]}" in flat(out.replace("│", " "))


def test_a_changed_file_replaces_its_graph(oxigraph, capsys, tmp_path):
    path = tmp_path / "things.ttl"
    write(path, '@prefix ex: <http://example.org/> .\n'
                'ex:a ex:p ex:b , ex:c ; ex:q [ ex:r "x" ] .\nex:old ex:p ex:gone .\n')
    assert main(["load", "--endpoint", oxigraph.base_url, "--no-validate", str(path)]) == 0
    write(path, '@prefix ex: <http://example.org/> .\nex:a ex:p ex:b ; ex:q [ ex:r "y" ] .\n')
    assert main(["load", "--endpoint", oxigraph.base_url, "--no-validate", str(path)]) == 0
    on_server = graph_triples(oxigraph.query_url, graph.GraphFile.for_path(path).graph)
    assert len(on_server) == 3
    assert isomorphic(on_server, file_graph(path))


def test_upload_by_sparql_update_keeps_every_term(oxigraph, capsys, tmp_path):
    path = write(tmp_path / "terms.ttl", '\n'.join([
        '@prefix ex: <http://example.org/> .',
        '@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .',
        'ex:a ex:text "line one\\nline \\"two\\" \\\\ tab\\t end" ;',
        '     ex:fr "Pôle de compétitivité"@fr ; ex:de "Straße"@de-at ;',
        # Canonical forms only: Oxigraph stores numbers by value ("1.5e3" comes back as
        # "1500") and lowercases language tags, which rdflib's isomorphism tells apart.
        '     ex:n 42 ; ex:d "2019-02-28"^^xsd:date ; ex:x 1.5 ; ex:y true ;',
        "     ex:b [ ex:c [ ex:d ex:e ] ] , [ ex:c ex:f ] ;",
        "     ex:list ( 1 2 3 ) .",
        "ex:emoji ex:label \"\U0001F600 ok\" .",
    ]) + "\n")
    code, out, err = run(capsys, "load", "--endpoint", oxigraph.base_url, "--no-validate",
                         "--upload", "update", str(path))
    assert code == 0, err
    on_server = graph_triples(oxigraph.query_url, graph.GraphFile.for_path(path).graph)
    assert len(on_server) == len(file_graph(path)) == 20
    assert isomorphic(on_server, file_graph(path))


def test_generic_server_with_explicit_endpoints(oxigraph, capsys, tmp_path):
    path = write(tmp_path / "one.ttl", "<http://example.org/s> <http://example.org/p> 1 .\n")
    code, out, err = run(capsys, "load", "--server", "generic", "--endpoint", oxigraph.query_url,
                         "--update-url", oxigraph.update_url, "--gsp-url", oxigraph.store_url,
                         "--no-validate", str(path))
    assert code == 0, err
    gf = graph.GraphFile.for_path(path)
    assert graph_counts(oxigraph.query_url, [gf.graph]) == {gf.graph: 1}


def test_malformed_turtle_sends_nothing_and_exits_2(oxigraph, capsys, tmp_path):
    assert main(["load", "--endpoint", oxigraph.base_url, "--no-validate"]) == 0
    before = all_graphs(oxigraph.query_url)
    bad = write(tmp_path / "broken.ttl", "@prefix ex: <http://example.org/> .\n"
                                         "ex:a ex:p ex:b .\nex:c ex:p ex:d ;; .\nex:e ex:p .\n")
    code, out, err = run(capsys, "load", "--endpoint", oxigraph.base_url, "--no-validate", str(bad))
    assert code == 2
    assert f"{bad}:4:" in err, err
    assert "nothing was sent" in err
    assert all_graphs(oxigraph.query_url) == before


# --- faults: the server killed during a load ------------------------------------

BIG = 50_000  # triples: big enough that uploading and switching take a while


def synthetic(path: Path, subjects: int, version: str) -> Path:
    """``subjects`` x 2 triples, all different between versions."""
    with path.open("w", encoding="utf-8") as f:
        f.write("@prefix ex: <http://example.org/> .\n")
        for i in range(subjects):
            f.write(f'ex:s{i} ex:p ex:{version}{i} ; ex:label "{version} {i}" .\n')
    return path


def versions(tmp_path: Path):
    """Two versions of two files, with different triple counts in every version."""
    small, big = tmp_path / "small.ttl", tmp_path / "big.ttl"
    old = {"small": (small, 5, "old"), "big": (big, BIG // 2, "old")}
    new = {"small": (small, 10, "new"), "big": (big, BIG // 2 + 7, "new")}
    return small, big, old, new


def write_version(spec) -> None:
    for path, subjects, version in spec.values():
        synthetic(path, subjects, version)


def counts_of(spec, files) -> dict[str, int]:
    """Triples per graph of this version (as parsed locally), checked against the arithmetic."""
    counts = remote.local_counts(graph.build_store(files), [gf.graph for gf in files])
    for path, subjects, _ in spec.values():
        assert counts[graph.GraphFile.for_path(path).graph] == 2 * subjects
    return counts


def interrupted_load(server, files, kill_phase: str, kill_file: str | None, delay: float) -> tuple[str, list]:
    """Run a load, SIGKILL the server ``delay`` s after ``kill_phase``; the load's
    error, and the phases the load reached."""
    killed = threading.Event()
    phases = []

    def kill():
        server.kill()
        killed.set()

    def on_phase(phase, gl):
        phases.append(phase)
        if phase == kill_phase and (kill_file is None or gl.file.path.name == kill_file):
            threading.Timer(delay, kill).start()

    client = remote.SparqlClient(remote.Endpoints.for_server(server.base_url), retries=1, timeout=60)
    with client, pytest.raises(remote.RemoteError) as failure:
        remote.load(files, client, validate=False, on_phase=on_phase)
    assert killed.wait(10)
    return flat(str(failure.value)), phases


@pytest.mark.parametrize("kill_phase, kill_file, delay", [
    ("upload", "big.ttl", 0.05),   # during the staging upload: the switch is never sent
    ("switch", None, 0.3),         # while the one-request switch runs (it takes seconds)
])
def test_server_killed_mid_load_leaves_graphs_all_old_or_all_new(tmp_path, capsys, kill_phase, kill_file, delay):
    small, big, old, new = versions(tmp_path)
    files = remote.files_with_ontology([small, big])
    with oxigraph_server(tmp_path / "store") as server:
        write_version(old)
        old_counts = counts_of(old, files)
        code, out, err = run(capsys, "load", "--endpoint", server.base_url, "--no-validate", str(small), str(big))
        assert code == 0, err
        assert graph_counts(server.query_url, list(old_counts)) == old_counts

        write_version(new)
        new_counts = counts_of(new, files)
        message, phases = interrupted_load(server, files, kill_phase, kill_file, delay)
        assert server.base_url in message, message
        if kill_phase == "upload":
            assert "switch" not in phases, phases
        else:
            assert phases[-1] == "switch", phases  # killed before the switch answered
            assert message.startswith("switching the graphs: ") and "either all old or all new" in message

        server.start()  # the same data directory, after a crash
        after = graph_counts(server.query_url, list(old_counts))
        if kill_phase == "upload":
            assert after == old_counts
        else:
            assert after in (old_counts, new_counts)  # in practice old: the kill lands mid-transaction
        # Whatever is left besides the project's graphs is a staging graph.
        leftovers = set(all_graphs(server.query_url)) - set(old_counts)
        assert all(g.startswith(remote.STAGING_NS) for g in leftovers), leftovers
        assert set(staging_graphs(server.query_url)) >= leftovers

        # A later load drops them on request and works.
        code, out, err = run(capsys, "load", "--endpoint", server.base_url, "--no-validate", "--purge-staging",
                             str(small))
        assert code == 0, err
        assert staging_graphs(server.query_url) == []
        small_graph = graph.GraphFile.for_path(small).graph
        assert graph_counts(server.query_url, [small_graph]) == {small_graph: new_counts[small_graph]}
        if leftovers:
            assert "dropped" in out and "staging graphs left by interrupted loads" in out


# --- faults: servers that are down, refuse or answer nonsense --------------------


def test_server_not_listening_fails_fast_with_exit_4(capsys):
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    code, out, err = run(capsys, "load", "--endpoint", url, "--no-validate")
    elapsed = time.monotonic() - started
    assert code == 4
    assert f"cannot connect to {url}/query" in err
    assert "Connection refused" in err
    assert elapsed < 30  # 3 retries with backoff 0.5 s: about 3 s


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path, body))
        status, ctype, payload = self.server.respond(self.command, self.path, body)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


@contextmanager
def broken_server(respond, tls: tuple[Path, Path] | None = None):
    """An HTTP server that answers ``respond(method, path, body) -> (status, type, bytes)``;
    HTTPS with ``tls=(certificate, key)``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    httpd.respond = respond
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{httpd.server_address[1]}", httpd.seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_5xx_is_retried_then_exit_4(capsys):
    with broken_server(lambda m, p, b: (503, "text/plain", b"overloaded, come back later")) as (url, seen):
        code, out, err = run(capsys, "load", "--endpoint", url, "--no-validate", "--retries", "2")
    assert code == 4
    assert f"POST {url}/query answered 503 Service Unavailable: overloaded, come back later" in err
    assert [(m, p) for m, p, _ in seen] == [("POST", "/query")] * 3  # 1 try + 2 retries


@pytest.mark.parametrize("status, reason", [(400, "Bad Request"), (403, "Forbidden"), (404, "Not Found")])
def test_4xx_is_not_retried_and_exits_4(capsys, status, reason):
    with broken_server(lambda m, p, b: (status, "text/plain", b"no way")) as (url, seen):
        code, out, err = run(capsys, "load", "--endpoint", url, "--no-validate")
    assert code == 4
    assert f"POST {url}/query answered {status} {reason}: no way" in err
    assert len(seen) == 1


@pytest.mark.parametrize("ctype, payload", [
    ("text/html", b"<html><body>It works!</body></html>"),
    ("application/json", b'{"status": "ok"}'),
    ("application/sparql-results+json", b'{"head": {}, "results": {"bindings": [{"graph": 1}]}}'),
])
def test_garbage_answer_exits_4(capsys, ctype, payload):
    with broken_server(lambda m, p, b: (200, ctype, payload)) as (url, seen):
        code, out, err = run(capsys, "load", "--endpoint", url, "--no-validate")
    assert code == 4
    assert f"unexpected answer from {url}/query" in err, err
    assert len(seen) == 1


def test_a_server_that_loses_data_is_caught_before_the_switch(capsys, tmp_path):
    """It accepts every upload but keeps nothing (as Virtuoso does with Turtle POSTed to /sparql)."""
    no_rows = json.dumps({"head": {"vars": ["graph", "triples"]}, "results": {"bindings": []}}).encode()

    def respond(method, path, body):
        if method == "PUT":
            return 201, "text/plain", b""
        if path.startswith("/update"):
            return 204, "text/plain", b""
        return 200, "application/sparql-results+json", no_rows

    path = write(tmp_path / "one.ttl", "<http://example.org/s> <http://example.org/p> 1, 2 .\n")
    with broken_server(respond) as (url, seen):
        code, out, err = run(capsys, "load", "--endpoint", url, "--no-validate", str(path))
    assert code == 4
    assert f"{url}/query does not hold what was sent, so nothing was switched: " in err, err
    assert f"{path}: 0 triples in its staging graph, 2 sent" in err
    updates = [b.decode() for m, p, b in seen if p == "/update"]
    assert len(updates) == 1 and updates[0].count("DROP SILENT GRAPH <" + remote.STAGING_NS) == len(
        remote.files_with_ontology([path]))
    assert not any(b"COPY" in b for _, _, b in seen)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to make a test certificate")
def test_https_verifies_certificates_and_takes_a_ca_bundle(capsys, tmp_path, monkeypatch):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "CLUSTERKG_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    with broken_server(lambda m, p, b: (403, "text/plain", b"go away"), tls=(cert, key)) as (url, seen):
        code, out, err = run(capsys, "load", "--endpoint", url, "--no-validate", "--retries", "0")
        assert code == 4
        assert f"TLS error talking to {url}/query" in err and "certificate verify failed" in err, err
        assert seen == []  # no request got through the handshake
        monkeypatch.setenv("CLUSTERKG_CA_BUNDLE", str(cert))
        code, out, err = run(capsys, "load", "--endpoint", url, "--no-validate")
        assert code == 4
        assert f"POST {url}/query answered 403 Forbidden: go away" in err, err
        assert len(seen) == 1


def test_bad_turtle_sends_no_request_at_all(capsys, tmp_path):
    bad = write(tmp_path / "bad.ttl", '@prefix ex: <http://example.org/> .\nex:a ex:n "x"^^ex:t ; ex:m .\n')
    with broken_server(lambda m, p, b: (500, "text/plain", b"")) as (url, seen):
        code, out, err = run(capsys, "load", "--endpoint", url, "--no-validate", str(bad))
    assert code == 2
    assert f"{bad}:2:" in err
    assert seen == []


# --- validation: the single call site ------------------------------------------------


@pytest.fixture
def fake_validate(monkeypatch):
    calls = []

    def install(answer: bool):
        def conforms(store):
            calls.append(store)
            return answer
        module = types.ModuleType("clusterkg.validate")
        module.conforms = conforms
        monkeypatch.setitem(sys.modules, "clusterkg.validate", module)
        return calls
    return install


def test_data_that_does_not_conform_is_not_sent(capsys, fake_validate):
    calls = fake_validate(False)
    with broken_server(lambda m, p, b: (500, "text/plain", b"")) as (url, seen):
        code, out, err = run(capsys, "load", "--endpoint", url)
    assert code == 1
    assert "does not conform to the SHACL shapes" in err and "nothing was sent" in err
    assert seen == []
    assert len(calls) == 1 and isinstance(calls[0], ox.Store)
    assert {g.value for g in calls[0].named_graphs()} == {gf.graph for gf in graph.project_files()}


def test_conforming_data_is_loaded(oxigraph, capsys, fake_validate):
    calls = fake_validate(True)
    code, out, err = run(capsys, "load", "--endpoint", oxigraph.base_url)
    assert code == 0, err
    assert len(calls) == 1
    files = graph.project_files()
    assert graph_counts(oxigraph.query_url, [gf.graph for gf in files]) == {
        gf.graph: len(file_graph(gf.path)) for gf in files}


# --- credentials ----------------------------------------------------------------------


def test_credentials_from_environment_then_netrc(monkeypatch, tmp_path):
    netrc = write(tmp_path / "netrc", "machine 127.0.0.1 login bob password from-netrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.delenv("CLUSTERKG_USER", raising=False)
    monkeypatch.delenv("CLUSTERKG_PASSWORD", raising=False)
    auth = remote.make_auth("digest", "http://127.0.0.1:8890/sparql-auth")
    assert (type(auth).__name__, auth.username, auth.password) == ("HTTPDigestAuth", "bob", "from-netrc")
    assert remote.make_auth("basic", "http://elsewhere.example/sparql") is None
    monkeypatch.setenv("CLUSTERKG_USER", "alice")
    monkeypatch.setenv("CLUSTERKG_PASSWORD", "from-env")
    auth = remote.make_auth("basic", "http://127.0.0.1:8890/sparql-auth")
    assert (type(auth).__name__, auth.username, auth.password) == ("HTTPBasicAuth", "alice", "from-env")


def test_graph_iris_are_bound_as_iris_never_pasted():
    query = remote.fill_graphs(internal_query("graph-triple-counts"), ["http://example.org/g"])
    assert "VALUES ?graph { <http://example.org/g> }" in query
    with pytest.raises(ValueError):
        remote.fill_graphs(internal_query("graph-triple-counts"), ["http://x> } } DROP ALL ; #"])


def test_a_switch_that_does_nothing_fails_loudly(capsys, tmp_path):
    """The server keeps the staging graphs but ignores the switch: the final counts catch it."""
    staged: dict[str, int] = {}

    def respond(method, path, body):
        if method == "PUT":
            graph_iri = parse_qs(urlsplit(path).query)["graph"][0]
            staged[graph_iri] = len(body.splitlines())  # N-Triples: one triple a line
            return 201, "text/plain", b""
        if path.startswith("/update"):
            return 204, "text/plain", b""
        query = parse_qs(body.decode())["query"][0]
        rows = [{"graph": {"type": "uri", "value": g}, "triples": {"type": "literal", "value": str(staged[g])}}
                for g in re.findall(r"<([^>]+)>", query) if g in staged]
        return 200, "application/sparql-results+json", json.dumps({"results": {"bindings": rows}}).encode()

    path = write(tmp_path / "one.ttl", "<http://example.org/s> <http://example.org/p> 1, 2, 3 .\n")
    with broken_server(respond) as (url, seen):
        code, out, err = run(capsys, "load", "--endpoint", url, "--no-validate", str(path))
    assert code == 4
    assert f"{url}/query does not hold what was sent after the switch: " in err, err
    assert f"{graph.GraphFile.for_path(path).graph}: 0 triples, 3 sent" in err
    assert sum(b"COPY GRAPH" in b for _, _, b in seen) == 1
