"""`clusterkg load` against a real Oxigraph server started on a free loopback port.

The broken servers (4xx, 5xx, garbage, a server that loses data) are tiny
http.server stubs; every store is a real Oxigraph.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
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
import requests
from conftest import flat
from conftest import run_cli as run
from rdflib.compare import isomorphic, to_isomorphic
from servers import catalogue, current_counts, current_triples, file_graph, lock_claims, oxigraph_server, version_graphs
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from clusterkg import graph, remote
from clusterkg.cli import main
from clusterkg.server import free_port
from clusterkg.sparql import internal_query


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
    current = catalogue(oxigraph.query_url)
    assert set(current) == set(expected)
    for gf in files:
        assert re.fullmatch(re.escape(gf.graph) + r"/v/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{32}", current[gf.graph])
        on_server = current_triples(oxigraph.query_url, gf.graph)
        assert len(on_server) == len(expected[gf.graph]), gf.path
        assert to_isomorphic(on_server) == to_isomorphic(expected[gf.graph]), gf.path
    # On the server: the versions, the catalogue, and nothing else (the lock is released).
    assert all_graphs(oxigraph.query_url) == {
        **{current[g]: len(t) for g, t in expected.items()},
        remote.CATALOGUE_GRAPH: len(files),
    }
    total = sum(len(t) for t in expected.values())
    assert f"loaded {total} triples into {len(files)} graphs" in out
    assert lock_claims(oxigraph.query_url) == []


def test_reloading_replaces_and_drops_the_old_versions(oxigraph, capsys):
    files = graph.project_files()
    expected = {gf.graph: len(file_graph(gf.path)) for gf in files}
    seen = []
    for _ in range(2):
        code, out, err = run(capsys, "load", "--endpoint", oxigraph.base_url, "--no-validate")
        assert code == 0, err
        seen.append(catalogue(oxigraph.query_url))
    assert current_counts(oxigraph.query_url) == expected
    assert set(seen[0].values()).isdisjoint(seen[1].values())  # every graph has a new version
    assert sorted(version_graphs(oxigraph.query_url)) == sorted(seen[1].values())  # the old ones are gone
    assert f"dropped {len(files)} old versions of the graphs" in out
    # The second load saw the first one's triples (before) and left the same number (now).
    first = files[0]
    assert f"{first.graph} {expected[first.graph]} {expected[first.graph]}" in flat(out.replace("│", " "))


def test_a_changed_file_replaces_its_graph(oxigraph, capsys, tmp_path):
    path = tmp_path / "things.ttl"
    write(
        path,
        '@prefix ex: <http://example.org/> .\nex:a ex:p ex:b , ex:c ; ex:q [ ex:r "x" ] .\nex:old ex:p ex:gone .\n',
    )
    assert main(["load", "--endpoint", oxigraph.base_url, "--no-validate", str(path)]) == 0
    write(path, '@prefix ex: <http://example.org/> .\nex:a ex:p ex:b ; ex:q [ ex:r "y" ] .\n')
    assert main(["load", "--endpoint", oxigraph.base_url, "--no-validate", str(path)]) == 0
    on_server = current_triples(oxigraph.query_url, graph.GraphFile.for_path(path).graph)
    assert len(on_server) == 3
    assert isomorphic(on_server, file_graph(path))


def test_upload_by_sparql_update_keeps_every_term(oxigraph, capsys, tmp_path):
    path = write(
        tmp_path / "terms.ttl",
        "\n".join(
            [
                "@prefix ex: <http://example.org/> .",
                "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
                'ex:a ex:text "line one\\nline \\"two\\" \\\\ tab\\t end" ;',
                '     ex:fr "Pôle de compétitivité"@fr ; ex:de "Straße"@de-at ;',
                # Canonical forms only: Oxigraph stores numbers by value ("1.5e3" comes back as
                # "1500") and lowercases language tags, which rdflib's isomorphism tells apart.
                '     ex:n 42 ; ex:d "2019-02-28"^^xsd:date ; ex:x 1.5 ; ex:y true ;',
                "     ex:b [ ex:c [ ex:d ex:e ] ] , [ ex:c ex:f ] ;",
                "     ex:list ( 1 2 3 ) .",
                'ex:emoji ex:label "\U0001f600 ok" .',
            ]
        )
        + "\n",
    )
    code, out, err = run(
        capsys, "load", "--endpoint", oxigraph.base_url, "--no-validate", "--upload", "update", str(path)
    )
    assert code == 0, err
    on_server = current_triples(oxigraph.query_url, graph.GraphFile.for_path(path).graph)
    assert len(on_server) == len(file_graph(path)) == 20
    assert isomorphic(on_server, file_graph(path))


def test_generic_server_with_explicit_endpoints(oxigraph, capsys, tmp_path):
    path = write(tmp_path / "one.ttl", "<http://example.org/s> <http://example.org/p> 1 .\n")
    code, out, err = run(
        capsys,
        "load",
        "--server",
        "generic",
        "--endpoint",
        oxigraph.query_url,
        "--update-url",
        oxigraph.update_url,
        "--gsp-url",
        oxigraph.store_url,
        "--no-validate",
        str(path),
    )
    assert code == 0, err
    gf = graph.GraphFile.for_path(path)
    assert current_counts(oxigraph.query_url)[gf.graph] == 1


def test_malformed_turtle_sends_nothing_and_exits_2(oxigraph, capsys, tmp_path):
    assert main(["load", "--endpoint", oxigraph.base_url, "--no-validate"]) == 0
    before = all_graphs(oxigraph.query_url)
    bad = write(
        tmp_path / "broken.ttl",
        "@prefix ex: <http://example.org/> .\nex:a ex:p ex:b .\nex:c ex:p ex:d ;; .\nex:e ex:p .\n",
    )
    code, out, err = run(capsys, "load", "--endpoint", oxigraph.base_url, "--no-validate", str(bad))
    assert code == 2
    assert f"{bad}:4:" in err, err
    assert "nothing was sent" in err
    assert all_graphs(oxigraph.query_url) == before


# --- graph names ----------------------------------------------------------------


def test_graph_names_never_carry_local_paths(tmp_path):
    inside = graph.GraphFile.for_path(graph.project.DATA_DIR / "clusters.ttl")
    assert inside.graph == "https://w3id.org/clusterkg/graph/data/clusters"
    outside = graph.GraphFile.for_path(tmp_path / "deep" / "My Data.ttl")
    assert outside.graph == "https://w3id.org/clusterkg/graph/user/My%20Data"
    assert str(tmp_path) not in outside.graph


def test_two_files_for_one_graph_are_refused(capsys, tmp_path):
    a = write(
        tmp_path / "a" / "same.ttl" if (tmp_path / "a").mkdir() is None else None,
        "<http://example.org/s> <http://example.org/p> 1 .\n",
    )
    b = write(
        tmp_path / "b" / "same.ttl" if (tmp_path / "b").mkdir() is None else None,
        "<http://example.org/s> <http://example.org/p> 2 .\n",
    )
    with broken_server(lambda m, p, b: (500, "text/plain", b"")) as (url, seen):
        code, out, err = run(capsys, "load", "--endpoint", url, "--no-validate", str(a), str(b))
    assert code == 2
    assert (
        f"{b}: would be loaded into the graph <https://w3id.org/clusterkg/graph/user/same>, as {a} is: "
        f"rename one of them (nothing was sent)"
    ) in err, err
    assert seen == []


# --- faults: the server killed during a load ------------------------------------

BIG = 50_000  # triples: big enough that uploading takes a while


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
    """Run a load, SIGKILL the server ``delay`` s after ``kill_phase`` (at once when 0);
    the load's error, and the phases the load reached."""
    killed = threading.Event()
    phases = []

    def kill():
        server.kill()
        killed.set()

    def on_phase(phase, gl):
        if delay and "x" in phases and not killed.is_set():
            killed.wait(10)  # the load never outruns the timer: the kill lands before its next step
        if killed.is_set():
            return  # a step begun after the kill is not one the load reached
        phases.append(phase)
        if phase == kill_phase and (kill_file is None or gl.file.path.name == kill_file) and not phases.count("x"):
            phases.append("x")
            if delay:
                threading.Timer(delay, kill).start()
            else:
                kill()

    client = remote.SparqlClient(remote.Endpoints.for_server(server.base_url), retries=1, timeout=60)
    with client, pytest.raises(remote.RemoteError) as failure:
        remote.load(files, client, validate=False, on_phase=on_phase, lock_expiry=1)
    assert killed.wait(10)
    return flat(str(failure.value)), [p for p in phases if p != "x"]


@pytest.mark.parametrize(
    "kill_phase, kill_file, delay, outcome",
    [
        ("locked", None, 0, "old"),  # lock taken, nothing uploaded yet
        ("upload", "big.ttl", 0.05, "old"),  # during the bulk upload of a new version
        ("switch", None, 0, "old"),  # versions uploaded and checked, switch not sent
        ("switch", None, 0.003, "either"),  # while the one-request switch runs
        ("switched", None, 0, "new"),  # switched, old versions not dropped yet
    ],
)
def test_server_killed_mid_load_leaves_graphs_all_old_or_all_new(
    tmp_path, capsys, kill_phase, kill_file, delay, outcome
):
    small, big, old, new = versions(tmp_path)
    files = remote.files_with_ontology([small, big])
    with oxigraph_server(tmp_path / "store") as server:
        write_version(old)
        old_counts = counts_of(old, files)
        code, out, err = run(capsys, "load", "--endpoint", server.base_url, "--no-validate", str(small), str(big))
        assert code == 0, err
        assert current_counts(server.query_url) == old_counts

        write_version(new)
        new_counts = counts_of(new, files)
        message, phases = interrupted_load(server, files, kill_phase, kill_file, delay)
        assert server.base_url in message, message
        assert kill_phase in phases
        if kill_phase in ("locked", "upload"):
            assert "switch" not in phases, phases

        server.start()  # the same data directory, after a crash
        after = current_counts(server.query_url)  # every version the catalogue names, counted
        assert after == {"old": old_counts, "new": new_counts}.get(outcome, after)
        assert after in (old_counts, new_counts)
        leftovers = set(version_graphs(server.query_url)) - set(catalogue(server.query_url).values())
        assert lock_claims(server.query_url) != []  # the dead load's claim is still there

        # The next load breaks the expired lock, drops what the dead one left, and works.
        code, out, err = run(
            capsys,
            *("load", "--endpoint", server.base_url, "--no-validate", "--lock-wait", "10", "--drop", "wait"),
            *(str(small), str(big)),
        )
        assert code == 0, err
        assert "warning: broke the expired load lock of urn:uuid:" in err
        assert current_counts(server.query_url) == new_counts
        assert sorted(version_graphs(server.query_url)) == sorted(catalogue(server.query_url).values())
        assert lock_claims(server.query_url) == []
        if kill_phase != "locked":
            assert leftovers, "the interrupted load left versions to drop"


# --- two loads at once -------------------------------------------------------------


def cli_load(base_url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clusterkg.cli",
            "load",
            "--endpoint",
            base_url,
            "--no-validate",
            "--drop",
            "wait",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
    )


def test_parallel_loads_never_mix(oxigraph, tmp_path):
    """Two loads of different contents at once, twice: the graphs are exactly one load's."""
    one, two = tmp_path / "one", tmp_path / "two"
    contents = {}
    for folder, version in ((one, "first"), (two, "second")):
        folder.mkdir()
        paths = [
            synthetic(folder / "small.ttl", 50 if version == "first" else 70, version),
            synthetic(folder / "big.ttl", 5_000 if version == "first" else 6_000, version),
        ]
        files = remote.files_with_ontology(paths)
        contents[version] = remote.local_counts(graph.build_store(files), [gf.graph for gf in files])
    assert contents["first"] != contents["second"]
    for _ in range(2):
        loads = [
            cli_load(oxigraph.base_url, str(one / "small.ttl"), str(one / "big.ttl")),
            cli_load(oxigraph.base_url, str(two / "small.ttl"), str(two / "big.ttl")),
        ]
        results = [(p.wait(120), p.stdout.read(), p.stderr.read()) for p in loads]
        assert [code for code, _, _ in results] == [0, 0], results  # the second waited for the first
        assert current_counts(oxigraph.query_url) in (contents["first"], contents["second"])
        assert sorted(version_graphs(oxigraph.query_url)) == sorted(catalogue(oxigraph.query_url).values())
        assert lock_claims(oxigraph.query_url) == []


def wait_until_clean(query_url: str, seconds: float = 120) -> float:
    """Wait until the server holds no version but those its catalogue names; the seconds it took."""
    started = time.monotonic()
    while set(version_graphs(query_url)) - set(catalogue(query_url).values()):
        assert time.monotonic() - started < seconds, "the old versions were not dropped"
        time.sleep(0.1)
    return time.monotonic() - started


def test_old_versions_of_a_big_load_are_dropped_in_the_background(oxigraph, capsys, tmp_path):
    """Above 10,000 triples (--drop auto), the command does not wait for the server to delete the
    replaced versions: a background process does, and the command says so; readers see the new
    versions at once, and a load started meanwhile works and leaves only its own versions."""
    path = synthetic(tmp_path / "big.ttl", 10_000, "old")
    files = remote.files_with_ontology([path])
    old_counts = counts_of({"big": (path, 10_000, "old")}, files)
    code, out, err = run(capsys, "load", "--endpoint", oxigraph.base_url, "--no-validate", str(path))
    assert code == 0, err
    assert "dropped" not in out and "background" not in out  # nothing to drop
    first = catalogue(oxigraph.query_url)
    synthetic(path, 10_001, "new")
    new_counts = counts_of({"big": (path, 10_001, "new")}, files)
    code, out, err = run(capsys, "load", "--endpoint", oxigraph.base_url, "--no-validate", str(path))
    assert code == 0, err
    assert current_counts(oxigraph.query_url) == new_counts  # switched: readers see the new versions
    assert re.search(
        rf"dropping {len(first)} old versions \({sum(old_counts.values())} triples\) goes on in the background "
        r"\(process \d+\); readers already see the new versions",
        out,
    ), out
    # a load while the old versions are being dropped
    code, out, err = run(capsys, "load", "--endpoint", oxigraph.base_url, "--no-validate", str(path))
    assert code == 0, err
    wait_until_clean(oxigraph.query_url)
    assert current_counts(oxigraph.query_url) == new_counts
    assert sorted(version_graphs(oxigraph.query_url)) == sorted(catalogue(oxigraph.query_url).values())
    assert set(first.values()).isdisjoint(version_graphs(oxigraph.query_url))


@pytest.mark.parametrize("drop", ["wait", "background"])
def test_drop_wait_or_background(oxigraph, capsys, drop):
    """The project (5,045 triples): --drop auto drops in the command; wait and background as told."""
    files = graph.project_files()
    expected = {gf.graph: len(file_graph(gf.path)) for gf in files}
    for _ in range(2):
        code, out, err = run(capsys, "load", "--endpoint", oxigraph.base_url, "--no-validate", "--drop", drop)
        assert code == 0, err
    if drop == "wait":
        assert f"dropped {len(files)} old versions of the graphs" in out
        assert "background" not in out
    else:
        assert "dropped" not in out
        assert re.search(
            rf"dropping {len(files)} old versions \({sum(expected.values())} triples\) goes on in the background", out
        ), out
        wait_until_clean(oxigraph.query_url)
    assert current_counts(oxigraph.query_url) == expected
    assert sorted(version_graphs(oxigraph.query_url)) == sorted(catalogue(oxigraph.query_url).values())


def claim_lock(server, owner: str, expires: str) -> None:
    update = remote.fill_params(
        remote.internal_update("lock-take"),
        owner=owner,
        since=ox.Literal("2026-01-01T00:00:00Z", datatype=ox.NamedNode(remote.XSD_DATETIME)),
        expires=ox.Literal(expires, datatype=ox.NamedNode(remote.XSD_DATETIME)),
    )
    assert (
        requests.post(
            server.update_url, data=update.encode(), timeout=10, headers={"Content-Type": "application/sparql-update"}
        ).status_code
        == 204
    )


def test_a_held_lock_makes_a_load_wait_then_refuse(oxigraph, capsys):
    assert main(["load", "--endpoint", oxigraph.base_url, "--no-validate"]) == 0
    before = all_graphs(oxigraph.query_url)
    claim_lock(oxigraph, "urn:uuid:other-load", "2999-01-01T00:00:00Z")
    code, out, err = run(capsys, "load", "--endpoint", oxigraph.base_url, "--no-validate", "--lock-wait", "1")
    assert code == 4
    assert (
        f"error: another load is running on {oxigraph.update_url}: the load lock is held by "
        f"urn:uuid:other-load (since 2026-01-01T00:00:00Z, expires 2999-01-01T00:00:00Z); waited 1 s "
        f"(--lock-wait). Nothing was changed."
    ) in err, err
    assert all_graphs(oxigraph.query_url) == {**before, remote.LOCK_GRAPH: 2}


def test_an_expired_lock_is_broken(oxigraph, capsys):
    claim_lock(oxigraph, "urn:uuid:dead-load", "2020-01-01T00:00:00Z")
    code, out, err = run(capsys, "load", "--endpoint", oxigraph.base_url, "--no-validate")
    assert code == 0, err
    assert "warning: broke the expired load lock of urn:uuid:dead-load" in err
    assert lock_claims(oxigraph.query_url) == []


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


@pytest.mark.parametrize(
    "ctype, payload",
    [
        ("text/html", b"<html><body>It works!</body></html>"),
        ("application/json", b'{"status": "ok"}'),
        ("application/sparql-results+json", b'{"head": {}, "results": {"bindings": [{"graph": 1}]}}'),
    ],
)
def test_garbage_answer_exits_4(capsys, ctype, payload):
    with broken_server(lambda m, p, b: (200, ctype, payload)) as (url, seen):
        code, out, err = run(capsys, "load", "--endpoint", url, "--no-validate")
    assert code == 4
    assert f"unexpected answer from {url}/query" in err, err
    assert len(seen) == 1


class FakeSparql:
    """Just enough of a SPARQL server for a load: it keeps the lock claims and the
    uploaded graphs' sizes (or loses the uploads), and applies the switch (or not)."""

    def __init__(self, keep_uploads: bool = True, apply_switch: bool = True):
        self.keep_uploads, self.apply_switch = keep_uploads, apply_switch
        self.claims: dict[str, str] = {}
        self.graphs: dict[str, int] = {}
        self.current: dict[str, str] = {}

    @staticmethod
    def rows(variables, rows) -> tuple[int, str, bytes]:
        bindings = [
            {
                v: {"type": "uri" if str(x).startswith(("urn:", "http")) else "literal", "value": str(x)}
                for v, x in zip(variables, row, strict=False)
            }
            for row in rows
        ]
        return (
            200,
            "application/sparql-results+json",
            json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}).encode(),
        )

    def update(self, text):
        """A lock claim, the switch, a renewal or a release."""
        owner = (re.findall(r"<(urn:uuid:[^>]+)>", text) or [None])[0]
        if "FILTER NOT EXISTS" in text and not self.claims:
            self.claims[owner] = re.findall(r'"([^"]+)"\^\^', text)[-1]
        elif "ckc:current" in text:
            if self.apply_switch and owner in self.claims:
                self.current.update(re.findall(r"\(<([^>]+)> <([^>]+)>\)", text))
        elif "DELETE" in text and "INSERT" in text and owner in self.claims:  # renew
            self.claims[owner] = re.findall(r'"([^"]+)"\^\^', text)[-1]
        elif "DELETE" in text and "?p ?o" in text:
            self.claims.pop(owner, None)

    def __call__(self, method, path, body):
        if method == "PUT":
            if self.keep_uploads:
                self.graphs[parse_qs(urlsplit(path).query)["graph"][0]] = len(body.splitlines())
            return 201, "text/plain", b""
        if path.startswith("/update"):
            self.update(body.decode())
            return 204, "text/plain", b""
        query = parse_qs(body.decode())["query"][0]
        if "?owner ?since ?expires" in query:
            return self.rows(["owner", "expires"], self.claims.items())
        if "?graph ?version" in query:
            return self.rows(["graph", "version"], self.current.items())
        if "COUNT(*)" in query:
            return self.rows(
                ["graph", "triples"], [(g, self.graphs[g]) for g in re.findall(r"<([^>]+)>", query) if g in self.graphs]
            )
        return self.rows(["graph"], [])


def test_a_server_that_loses_data_is_caught_before_the_switch(capsys, tmp_path):
    """It accepts every upload but keeps nothing (as Virtuoso does with Turtle POSTed to /sparql)."""
    fake = FakeSparql(keep_uploads=False)
    path = write(tmp_path / "one.ttl", "<http://example.org/s> <http://example.org/p> 1, 2 .\n")
    with broken_server(fake) as (url, seen):
        code, out, err = run(capsys, "load", "--endpoint", url, "--no-validate", str(path))
    assert code == 4
    assert f"{url}/query does not hold what was sent, so nothing was switched: " in err, err
    assert f"{path}: 0 triples in its new version, 2 sent" in err
    assert not any(b"ckc:current" in b for _, p, b in seen if p == "/update")
    assert fake.claims == {}  # the lock was released


def test_a_switch_that_does_nothing_fails_loudly(capsys, tmp_path):
    """The server keeps the uploads but ignores the switch: reading the catalogue back catches it."""
    fake = FakeSparql(apply_switch=False)
    path = write(tmp_path / "one.ttl", "<http://example.org/s> <http://example.org/p> 1, 2, 3 .\n")
    with broken_server(fake) as (url, seen):
        code, out, err = run(capsys, "load", "--endpoint", url, "--no-validate", str(path))
    assert code == 4
    assert (
        f"after the switch, the catalogue on {url}/query does not name the new versions: the load lock was "
        f"broken by another load (it expired after 600 s, --lock-expiry) or the server ignored the update; "
        f"nothing was switched"
    ) in err, err
    assert sum(b"ckc:current" in b for _, _, b in seen) == 1
    assert fake.claims == {}


def test_a_server_that_forgets_the_lock_is_refused(capsys):
    forgetful = FakeSparql()
    forgetful.claims = type("NoClaims", (dict,), {"__setitem__": lambda self, k, v: None})()
    with broken_server(forgetful) as (url, seen):
        code, out, err = run(capsys, "load", "--endpoint", url, "--no-validate")
    assert code == 4
    assert (f"taking the load lock: {url}/update accepted the update but {url}/query does not show it") in err, err


# --- bounded time: servers that never answer or answer garbage --------------------


@contextmanager
def raw_server(behaviour: str):
    """A TCP server that accepts connections and then never answers ("silent"),
    or sends bytes that are not HTTP and closes ("garbage")."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held, stop = [], threading.Event()

    def serve():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)
            if behaviour == "garbage":
                conn.recv(65536)
                conn.sendall(b"\x00\xff\xfe garbage, not HTTP \x01\r\n\r\n")
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", held
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


@pytest.mark.parametrize(
    "command",
    [
        ("load", "--no-validate", "--timeout", "2"),
        ("query", "clusters", "--timeout", "2"),
        ("stats", "--timeout", "2"),
    ],
)
def test_a_server_that_never_answers_costs_the_timeout(capsys, command):
    with raw_server("silent") as (url, held):
        started = time.monotonic()
        code, out, err = run(capsys, *command, "--endpoint", url)
        elapsed = time.monotonic() - started
    assert code == 4
    assert f"{url}/query gave no answer within 2 s" in err, err
    assert len(held) == 1  # a request that timed out is not repeated
    assert elapsed < 10  # the bound: 2 s, plus starting up


@pytest.mark.parametrize("command", [("load", "--no-validate"), ("query", "clusters"), ("stats",)])
def test_a_server_that_answers_garbage(capsys, command):
    with raw_server("garbage") as (url, held):
        code, out, err = run(capsys, *command, "--endpoint", url, "--timeout", "5")
    assert code == 4
    assert f"{url}/query answered something that is not HTTP" in err, err
    assert "Traceback" not in err and "b'" not in err


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "streamed"])
def test_an_answer_larger_than_the_cap_is_refused(announced):
    """The client's cap (max_bytes) reaches every request; a larger answer stops the call."""
    row = b'{"x": {"type": "literal", "value": "a"}}'
    body = b'{"head": {"vars": ["x"]}, "results": {"bindings": [' + b",".join([row] * 50_000) + b"]}}"

    class Big(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            if announced:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)  # without a length: the body ends when the connection closes

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Big)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        endpoints = remote.Endpoints.for_server(url)
        with remote.SparqlClient(endpoints, max_bytes=100_000) as client:
            with pytest.raises(remote.RemoteError) as info:
                client.results("SELECT * WHERE { ?s ?p ?o }", what="asking")
            assert str(info.value) == f"asking: the answer of POST {url}/query is larger than the cap of 100,000 bytes"
            assert info.value.status is None
            # a call's own cap wins over the client's
            assert len(client.results("ASK {}", what="asking", max_bytes=len(body))["results"]["bindings"]) == 50_000
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_401_names_the_status_and_the_servers_text(capsys):
    with broken_server(
        lambda m, p, b: (401, "text/html", b"<html><body><h1>Unauthorized</h1><p>Sign in first</p></body></html>")
    ) as (url, seen):
        code, out, err = run(capsys, "query", "clusters", "--endpoint", url)
    assert code == 4
    assert (
        f"error: reading the catalogue: POST {url}/query answered 401 Unauthorized: Unauthorized Sign in first "
        f"(credentials come from CLUSTERKG_USER/CLUSTERKG_PASSWORD or netrc; none were found)"
    ) in err, err
    assert len(seen) == 1


def test_a_server_without_a_catalogue(oxigraph, capsys):
    code, out, err = run(capsys, "query", "clusters", "--endpoint", oxigraph.base_url)
    assert code == 4
    assert (
        f"error: {oxigraph.query_url} has no clusterkg catalogue (graph <{remote.CATALOGUE_GRAPH}> is empty or "
        f"missing): load the project first"
    ) in err, err


def test_the_query_endpoint_given_as_base_url_of_a_generic_server(capsys):
    with broken_server(lambda m, p, b: (405, "text/plain", b"POST / is not supported by this server")) as (url, _):
        code, out, err = run(capsys, "query", "clusters", "--endpoint", url, "--server", "generic")
    assert code == 4
    assert f"POST {url} answered 405 Method Not Allowed: POST / is not supported by this server" in err, err


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to make a test certificate")
def test_https_verifies_certificates_and_takes_a_ca_bundle(capsys, tmp_path, monkeypatch):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
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
    assert current_counts(oxigraph.query_url) == {gf.graph: len(file_graph(gf.path)) for gf in files}


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


# --- readers see all old or all new ----------------------------------------------------


class SwitchingClient:
    """A client whose catalogue a load switches while the first query runs."""

    def __init__(self):
        self.catalogues = [{"g": "g/v/1"}, {"g": "g/v/2"}, {"g": "g/v/2"}]
        self.datasets = []
        self.endpoints = remote.Endpoints.for_server("http://example.invalid")

    def catalogue(self, what="reading the catalogue"):
        return self.catalogues.pop(0)

    def results(self, query, *, dataset=None, what="query", timeout=None):
        self.datasets.append(list(dataset))
        return {"head": {"vars": []}, "results": {"bindings": []}}


def test_a_query_that_ran_across_a_switch_runs_again_on_the_new_versions():
    client = SwitchingClient()
    remote.Reader(client).results("SELECT * WHERE { ?s ?p ?o }")
    assert client.datasets == [["g/v/1"], ["g/v/2"]]
    assert client.catalogues == []


def test_a_query_that_keeps_running_across_switches_is_refused():
    client = SwitchingClient()
    client.catalogues = [{"g": f"g/v/{i}"} for i in range(5)]
    with pytest.raises(remote.RemoteError) as info:
        remote.Reader(client).results("SELECT * WHERE { ?s ?p ?o }")
    assert str(info.value) == (
        "query: the graphs on http://example.invalid/query were switched by a load during each of 3 attempts; try again"
    )


def test_graph_option_names_the_graph_of_one_file(oxigraph, capsys, tmp_path):
    path = write(tmp_path / "one.ttl", "<http://example.org/s> <http://example.org/p> 1 .\n")
    code, out, err = run(
        capsys,
        "load",
        "--endpoint",
        oxigraph.base_url,
        "--no-validate",
        "--graph",
        "http://example.org/graph/mine",
        str(path),
    )
    assert code == 0, err
    assert current_counts(oxigraph.query_url)["http://example.org/graph/mine"] == 1
    code, out, err = run(
        capsys, "load", "--endpoint", oxigraph.base_url, "--no-validate", "--graph", "not an iri", str(path)
    )
    assert code == 64 and "--graph not an iri: not an IRI" in err, err


# --- fetching the graphs (report --endpoint) ------------------------------------------


def test_a_server_that_cuts_its_answers_is_refused_when_fetching(capsys, tmp_path):
    """It names two triples in a version but sends one (as Virtuoso does beyond ResultSetMaxRows)."""
    version = "https://w3id.org/clusterkg/graph/data/x/v/20260101T000000Z-" + "0" * 32

    def respond(method, path, body):
        query = parse_qs(body.decode())["query"][0]
        if "?graph ?version" in query:
            return FakeSparql.rows(["graph", "version"], [("https://w3id.org/clusterkg/graph/data/x", version)])
        if "COUNT(*)" in query:
            return FakeSparql.rows(["graph", "triples"], [(version, 2)])
        return 200, "application/n-triples", b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n"

    with broken_server(respond) as (url, seen):
        code, out, err = run(capsys, "report", "--endpoint", url, "--out", str(tmp_path / "r"))
    assert code == 4
    assert err == (
        f"error: fetching the graphs: {url}/query did not send every triple "
        f"(<https://w3id.org/clusterkg/graph/data/x>: 1 of its 2 triples): does it cap the rows of an answer "
        f"(Virtuoso: ResultSetMaxRows)?"
    )
    assert not (tmp_path / "r").exists()


def test_a_fetched_graph_that_is_not_rdf_is_refused(capsys, tmp_path):
    version = "https://w3id.org/clusterkg/graph/data/x/v/20260101T000000Z-" + "0" * 32

    def respond(method, path, body):
        query = parse_qs(body.decode())["query"][0]
        if "?graph ?version" in query:
            return FakeSparql.rows(["graph", "version"], [("https://w3id.org/clusterkg/graph/data/x", version)])
        return 200, "text/html", b"<html><body>Service temporarily moved</body></html>"

    with broken_server(respond) as (url, seen):
        code, out, err = run(capsys, "report", "--endpoint", url, "--out", str(tmp_path / "r"))
    assert code == 4
    assert err == (
        f"error: fetching <https://w3id.org/clusterkg/graph/data/x>: unexpected answer from {url}/query: "
        f"expected N-Triples or Turtle, got text/html: Service temporarily moved"
    )


def test_the_background_dropper_says_what_it_dropped(oxigraph):
    files = graph.project_files()
    with remote.SparqlClient(remote.Endpoints.for_server(oxigraph.base_url)) as client:
        remote.load(files, client, validate=False)
        first = catalogue(oxigraph.query_url)
        report = remote.load(files, client, validate=False, drop="background")
    assert report.background is not None and report.dropped == []
    assert sorted(report.dropping) == sorted(first.values())
    assert report.dropping_triples == sum(len(file_graph(gf.path)) for gf in files)
    out, _ = report.background.communicate(timeout=120)
    assert json.loads(out) == {"dropped": len(files), "of": len(files)}
    assert report.background.returncode == 0
    assert sorted(version_graphs(oxigraph.query_url)) == sorted(catalogue(oxigraph.query_url).values())
