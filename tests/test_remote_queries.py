"""Every canned query gives exactly the same rows on real servers as on the embedded store.

The server of the issue's "done when": a PLAIN ``oxigraph serve --location DIR``
(no union default graph: its default graph is empty), into which ``clusterkg
load`` ran twice, then twice more at the same time. The query names the
project's graphs itself (the server's catalogue, then ``default-graph-uri`` /
``named-graph-uri``), so the rows cannot depend on the server's default graph.
The second server is a store written as ``clusterkg serve`` writes it (union
default graph on). Expected rows are the embedded store's, never written here.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from servers import catalogue, current_counts, oxigraph_server, project_endpoint, version_graphs
from test_queries import CASES

from clusterkg import graph, remote
from clusterkg import query as q


def load(base_url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "clusterkg.cli", "load", "--endpoint", base_url, "--no-validate"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
    )


@pytest.fixture(scope="module")
def plain_oxigraph(tmp_path_factory):
    """A plain Oxigraph server, from a clean directory, loaded twice, then twice in parallel."""
    with oxigraph_server(tmp_path_factory.mktemp("plain") / "store") as server:
        for _ in range(2):
            p = load(server.base_url)
            assert p.wait(120) == 0, p.stderr.read()
        parallel = [load(server.base_url), load(server.base_url)]
        assert [p.wait(180) for p in parallel] == [0, 0], [p.stderr.read() for p in parallel]
        yield server


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with project_endpoint(tmp_path_factory.mktemp("served")) as url:
        yield url


def test_the_plain_server_holds_exactly_one_version_of_each_graph(plain_oxigraph):
    files = graph.project_files()
    expected = remote.local_counts(graph.build_store(files), [gf.graph for gf in files])
    assert current_counts(plain_oxigraph.query_url) == expected
    assert sorted(version_graphs(plain_oxigraph.query_url)) == sorted(catalogue(plain_oxigraph.query_url).values())


@pytest.mark.parametrize("name, params", [(c[0], c[1]) for c in CASES], ids=[c[0] for c in CASES])
def test_same_rows_on_a_plain_oxigraph_server_and_embedded(store, plain_oxigraph, name, params):
    embedded = q.run(name, params, store=store)
    endpoint = remote.Reader(remote.SparqlClient(remote.Endpoints.for_server(plain_oxigraph.base_url)))
    on_server = q.run(name, params, endpoint=endpoint)
    assert on_server.columns == embedded.columns
    assert on_server.rows == embedded.rows


@pytest.mark.parametrize("name, params", [(c[0], c[1]) for c in CASES], ids=[c[0] for c in CASES])
def test_same_rows_on_a_served_store_and_embedded(store, served, name, params):
    embedded = q.run(name, params, store=store)
    on_server = q.run(name, params, endpoint=served)  # a query URL: --server generic
    assert on_server.columns == embedded.columns
    assert on_server.rows == embedded.rows


def test_every_query_is_cross_checked():
    assert {c[0] for c in CASES} == set(q.catalogue())


def test_the_cli_reads_the_plain_server(plain_oxigraph, store, capsys):
    from conftest import run_cli

    code, out, err = run_cli(capsys, "query", "clusters", "--endpoint", plain_oxigraph.base_url, "--format", "csv")
    assert code == 0, err
    assert out == " ".join(q.to_csv(q.run("clusters", store=store)).split())


def test_a_refused_parameter_is_refused_before_the_server_is_asked(served):
    with pytest.raises(q.QueryError) as info:
        q.run("network-members", {"network": "http://x> } ; DROP ALL ; #"}, endpoint=served)
    assert "network" in str(info.value)
