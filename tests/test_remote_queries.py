"""Every canned query gives exactly the same rows on a real Oxigraph server, through
SPARQLWrapper and the VALUES-bound text, as on the embedded store."""

from __future__ import annotations

import pytest

from clusterkg import query as q

from servers import project_endpoint
from test_queries import CASES


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    with project_endpoint(tmp_path_factory.mktemp("remote-queries")) as url:
        yield url


@pytest.mark.parametrize("name, params", [(c[0], c[1]) for c in CASES], ids=[c[0] for c in CASES])
def test_same_rows_on_the_server_and_embedded(store, endpoint, name, params):
    embedded = q.run(name, params, store=store)
    remote = q.run(name, params, endpoint=endpoint)
    assert remote.columns == embedded.columns
    assert remote.rows == embedded.rows


def test_every_query_is_cross_checked():
    assert {c[0] for c in CASES} == set(q.catalogue())


def test_a_refused_parameter_is_refused_before_the_server_is_asked(endpoint):
    with pytest.raises(q.QueryError) as info:
        q.run("network-members", {"network": 'http://x> } ; DROP ALL ; #'}, endpoint=endpoint)
    assert "network" in str(info.value)
