"""`clusterkg load --server virtuoso` against a private Virtuoso Open Source.

Skipped when ``virtuoso-t`` is not installed (``bash .ci/install-virtuoso``). The
server has its own database, log and transaction files in a temporary folder
and listens on two free loopback ports; it is stopped after the module.
"""

from __future__ import annotations

import time

import pytest
from rdflib.compare import to_isomorphic
from requests.auth import HTTPDigestAuth

from clusterkg import graph, remote
from conftest import run_cli as run
from servers import (file_graph, graph_counts, graph_triples, staging_graphs, virtuoso_executable,
                     virtuoso_server)

pytestmark = pytest.mark.skipif(virtuoso_executable() is None,
                                reason="virtuoso-t is not installed (bash .ci/install-virtuoso installs it)")


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
    for attempt in range(2):  # the second load replaces, never appends
        code, out, err = run(capsys, "load", "--endpoint", virtuoso.base_url, "--server", "virtuoso",
                             "--no-validate")
        assert code == 0, err
        assert f"loaded {sum(expected.values())} triples into {len(expected)} graphs" in out
        assert graph_counts(virtuoso.query_url, list(expected)) == expected
    assert staging_graphs(virtuoso.query_url) == []


def test_virtuoso_holds_the_triples_of_each_file(virtuoso, dba, capsys):
    code, out, err = run(capsys, "load", "--endpoint", virtuoso.base_url, "--server", "virtuoso", "--no-validate")
    assert code == 0, err
    for gf in graph.project_files():
        on_server = graph_triples(virtuoso.query_url, gf.graph)
        expected = file_graph(gf.path)
        assert len(on_server) == len(expected), gf.path
        assert to_isomorphic(on_server) == to_isomorphic(expected), gf.path


def test_wrong_password_is_refused_with_exit_4(virtuoso, monkeypatch, capsys):
    monkeypatch.setenv("CLUSTERKG_USER", "dba")
    monkeypatch.setenv("CLUSTERKG_PASSWORD", "not-the-password")
    code, out, err = run(capsys, "load", "--endpoint", virtuoso.base_url, "--server", "virtuoso", "--no-validate")
    assert code == 4
    assert f"PUT {virtuoso.base_url}/sparql-graph-crud-auth answered 401 Unauthorized" in err, err


def test_staging_graphs_left_behind_are_found_and_purged(virtuoso, dba, capsys):
    endpoints = remote.Endpoints.for_server(virtuoso.base_url, "virtuoso")
    leftover = remote.STAGING_NS + "interrupted/0"
    with remote.SparqlClient(endpoints, auth=HTTPDigestAuth("dba", "dba")) as client:
        client.put_graph(leftover, b"<http://example.org/s> <http://example.org/p> 1 .\n", what="test")
        assert client.staging_graphs() == [leftover]
    code, out, err = run(capsys, "load", "--endpoint", virtuoso.base_url, "--server", "virtuoso", "--no-validate")
    assert code == 0
    assert "warning: 1 staging graphs left by interrupted loads are on the server" in err
    code, out, err = run(capsys, "load", "--endpoint", virtuoso.base_url, "--server", "virtuoso", "--no-validate",
                         "--purge-staging")
    assert code == 0, err
    assert "dropped 1 staging graphs left by interrupted loads" in out
    assert staging_graphs(virtuoso.query_url) == []


def test_startup_time_is_reported(virtuoso):
    """Not a timing assertion: the figure is printed for the record (pytest -s)."""
    print(f"virtuoso answered after {virtuoso.startup_seconds:.1f} s")
    assert virtuoso.running
