"""`clusterkg load --server virtuoso` against a private Virtuoso Open Source.

Skipped when ``virtuoso-t`` is not installed (``bash .ci/install-virtuoso``). The
server has its own database, log and transaction files in a temporary folder
and listens on two free loopback ports; it is stopped after the module.
"""

from __future__ import annotations

import struct
import threading
import time

import pytest
import rdflib
from conftest import run_cli as run
from rdflib.compare import to_isomorphic
from requests.auth import HTTPDigestAuth
from servers import (
    catalogue,
    current_counts,
    current_triples,
    file_graph,
    lock_claims,
    version_graphs,
    virtuoso_executable,
    virtuoso_server,
)

from clusterkg import graph, remote

pytestmark = pytest.mark.skipif(
    virtuoso_executable() is None, reason="virtuoso-t is not installed (bash .ci/install-virtuoso installs it)"
)


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    started = time.monotonic()
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as server:
        server.startup_seconds = time.monotonic() - started
        yield server


@pytest.fixture
def dba(monkeypatch):
    monkeypatch.setenv("CLUSTERKG_USER", "dba")
    monkeypatch.setenv("CLUSTERKG_PASSWORD", "dba")


def expected_counts() -> dict[str, int]:
    files = graph.project_files()
    return remote.local_counts(graph.build_store(files), [gf.graph for gf in files])


def test_load_the_project_into_virtuoso(virtuoso, dba, capsys):
    expected = expected_counts()
    for _attempt in range(2):  # the second load replaces, never appends
        code, out, err = run(capsys, "load", "--endpoint", virtuoso.base_url, "--server", "virtuoso", "--no-validate")
        assert code == 0, err
        assert f"loaded {sum(expected.values())} triples into {len(expected)} graphs" in out
        assert current_counts(virtuoso.query_url) == expected
    assert sorted(version_graphs(virtuoso.query_url)) == sorted(catalogue(virtuoso.query_url).values())
    assert lock_claims(virtuoso.query_url) == []


GEO_WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
VIRTUOSO_GEOMETRY = "http://www.openlinksw.com/schemas/virtrdf#Geometry"


def wkt_as_virtuoso_keeps_it(g: rdflib.Graph) -> rdflib.Graph:
    """Virtuoso 7.2 stores a ``geo:wktLiteral`` as its own ``virtrdf:Geometry``,
    coordinates as single-precision floats (``POINT(4.08082 44.12489)`` comes back
    as ``POINT(4.0808200836182 44.124889373779)``): both sides' coordinates as
    single-precision floats under one datatype; every other term compared as is."""
    out = rdflib.Graph()
    for s_, p_, o in g:
        if isinstance(o, rdflib.Literal) and str(o.datatype) in (GEO_WKT, VIRTUOSO_GEOMETRY):
            x, y = (float(v) for v in str(o).removeprefix("POINT(").removesuffix(")").split())
            x, y = (struct.unpack("f", struct.pack("f", v))[0] for v in (x, y))
            o = rdflib.Literal(f"POINT({x:.7g} {y:.7g})", datatype=rdflib.URIRef(GEO_WKT))
        out.add((s_, p_, o))
    return out


def test_virtuoso_keeps_points_as_single_precision_geometries(virtuoso, dba, capsys):
    code, _, err = run(capsys, "load", "--endpoint", virtuoso.base_url, "--server", "virtuoso", "--no-validate")
    assert code == 0, err
    places = next(gf for gf in graph.project_files() if gf.path.parent.name == "data" and gf.path.name == "places.ttl")
    on_server = current_triples(virtuoso.query_url, places.graph)
    paris = rdflib.URIRef("https://w3id.org/clusterkg/id/paris-geometry")
    wkt = rdflib.URIRef("http://www.opengis.net/ont/geosparql#asWKT")
    assert list(on_server.objects(paris, wkt)) == [
        rdflib.Literal("POINT(2.348799943924 48.853408813477)", datatype=rdflib.URIRef(VIRTUOSO_GEOMETRY))
    ]


def test_virtuoso_holds_the_triples_of_each_file(virtuoso, dba, capsys):
    code, out, err = run(capsys, "load", "--endpoint", virtuoso.base_url, "--server", "virtuoso", "--no-validate")
    assert code == 0, err
    for gf in graph.project_files():
        on_server = current_triples(virtuoso.query_url, gf.graph)
        expected = file_graph(gf.path)
        assert len(on_server) == len(expected), gf.path
        assert to_isomorphic(wkt_as_virtuoso_keeps_it(on_server)) == to_isomorphic(
            wkt_as_virtuoso_keeps_it(expected)
        ), gf.path


def test_wrong_password_is_refused_with_exit_4(virtuoso, monkeypatch, capsys):
    monkeypatch.setenv("CLUSTERKG_USER", "dba")
    monkeypatch.setenv("CLUSTERKG_PASSWORD", "not-the-password")
    code, out, err = run(capsys, "load", "--endpoint", virtuoso.base_url, "--server", "virtuoso", "--no-validate")
    assert code == 4
    assert f"taking the load lock: POST {virtuoso.base_url}/sparql-auth answered 401 Unauthorized" in err, err


def test_what_an_interrupted_load_left_is_dropped_by_the_next(virtuoso, dba, capsys):
    endpoints = remote.Endpoints.for_server(virtuoso.base_url, "virtuoso")
    leftover = remote.project.GRAPH_NS + "data/clusters/v/20260101T000000Z-" + "0" * 32
    with remote.SparqlClient(endpoints, auth=HTTPDigestAuth("dba", "dba")) as client:
        client.put_graph(leftover, b"<http://example.org/s> <http://example.org/p> 1 .\n", what="test")
    assert leftover in version_graphs(virtuoso.query_url)
    code, out, err = run(capsys, "load", "--endpoint", virtuoso.base_url, "--server", "virtuoso", "--no-validate")
    assert code == 0, err
    assert leftover not in version_graphs(virtuoso.query_url)
    assert sorted(version_graphs(virtuoso.query_url)) == sorted(catalogue(virtuoso.query_url).values())


def test_load_with_the_bulk_loader(virtuoso, dba, capsys):
    """The server reads the files itself (isql ld_dir / rdf_loader_run), then the same switch."""
    expected = expected_counts()
    code, out, err = run(
        capsys,
        "load",
        "--endpoint",
        virtuoso.base_url,
        "--server",
        "virtuoso",
        "--no-validate",
        "--virtuoso-bulk",
        str(virtuoso.directory),
        "--isql",
        f"127.0.0.1:{virtuoso.sql_port}",
    )
    assert code == 0, err
    assert current_counts(virtuoso.query_url) == expected
    for gf in graph.project_files()[:2]:
        assert to_isomorphic(current_triples(virtuoso.query_url, gf.graph)) == to_isomorphic(file_graph(gf.path))
    assert not list(virtuoso.directory.glob("clusterkg-*.nt"))  # the files are removed


def test_a_bulk_load_that_cannot_write_its_files_changes_nothing(virtuoso, dba, capsys, tmp_path):
    before = catalogue(virtuoso.query_url)
    missing = tmp_path / "not-there"
    code, out, err = run(
        capsys,
        "load",
        "--endpoint",
        virtuoso.base_url,
        "--server",
        "virtuoso",
        "--no-validate",
        "--virtuoso-bulk",
        str(missing),
        "--isql",
        f"127.0.0.1:{virtuoso.sql_port}",
    )
    assert code == 4
    assert f"cannot write {missing}/clusterkg-" in err and "for the bulk loader: No such file or directory" in err, err
    assert catalogue(virtuoso.query_url) == before
    assert lock_claims(virtuoso.query_url) == []


def test_a_wrong_isql_port_is_an_error(virtuoso, dba, capsys):
    from clusterkg.server import free_port

    port = free_port()
    code, out, err = run(
        capsys,
        "load",
        "--endpoint",
        virtuoso.base_url,
        "--server",
        "virtuoso",
        "--no-validate",
        "--virtuoso-bulk",
        str(virtuoso.directory),
        "--isql",
        f"127.0.0.1:{port}",
    )
    assert code == 4
    assert f"isql 127.0.0.1:{port} failed: " in err, err
    assert lock_claims(virtuoso.query_url) == []


@pytest.mark.parametrize("kill_phase, delay", [("upload", 0.0), ("switch", 0.005), ("switched", 0.0)])
def test_virtuoso_killed_mid_load_leaves_graphs_all_old_or_all_new(tmp_path_factory, kill_phase, delay):
    """A private Virtuoso of its own, SIGKILLed during a load, restarted on the same database."""
    expected = expected_counts()
    files = graph.project_files()
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso-kill")) as server:
        auth = HTTPDigestAuth("dba", "dba")
        endpoints = remote.Endpoints.for_server(server.base_url, "virtuoso")
        with remote.SparqlClient(endpoints, auth=auth) as client:
            remote.load(files, client, validate=False)
        old = catalogue(server.query_url)
        killed = threading.Event()

        def on_phase(phase, gl):
            if phase == kill_phase and not killed.is_set():
                killed.set()
                if delay:
                    threading.Timer(delay, server.kill).start()
                else:
                    server.kill()

        with (
            remote.SparqlClient(endpoints, auth=auth, retries=0, timeout=30) as client,
            pytest.raises(remote.RemoteError),
        ):
            remote.load(files, client, validate=False, on_phase=on_phase, lock_expiry=1)
        time.sleep(0.5)
        server.start()
        after = catalogue(server.query_url)
        assert after == old or set(after.values()).isdisjoint(old.values())  # all old or all new
        assert current_counts(server.query_url) == expected
        with remote.SparqlClient(endpoints, auth=auth) as client:
            report = remote.load(files, client, validate=False, lock_wait=30)
        assert report.broken_locks
        assert sorted(version_graphs(server.query_url)) == sorted(catalogue(server.query_url).values())


def test_startup_time_is_reported(virtuoso):
    """Not a timing assertion: the figure is printed for the record (pytest -s)."""
    print(f"virtuoso answered after {virtuoso.startup_seconds:.1f} s")
    assert virtuoso.running
