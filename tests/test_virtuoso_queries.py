"""Every canned query answers the same rows on Virtuoso, the production-class store,
as on the embedded store (after `clusterkg load --server virtuoso`).

Skipped when ``virtuoso-t`` is not installed (``bash .ci/install-virtuoso``).
The queries name the project's graphs (the server's catalogue, then
``default-graph-uri``), so Virtuoso's system graphs are left out. Rows are
compared as normalised values (numbers as numbers); their order is
compared too, since every catalogue query has a total ORDER BY.

Dialect differences of Virtuoso 7.2 the catalogue is written around (portable
SPARQL that gives the same rows on pyoxigraph and Virtuoso, no engine variant):

- integer division: Virtuoso divides integers as integers, so computed shares
  use decimal literals (cluster-member-figures);
- a ``*`` path evaluated row by row: when a FILTER (lang(), STRSTARTS(), ...)
  precedes ``?class rdfs:subClassOf* ckg:X`` in its plan, Virtuoso runs the
  path as a transitive derived table fed with the rows' classes and answers
  for the first of them only (clusters-by-region, clusters-two-hops,
  figures-with-sources, node-degree lost rows or neighbours). The class
  closure is taken from a sub-select with a LIMIT, which Virtuoso cannot
  correlate with the outer rows, so it walks the path from the constant class.
"""

from __future__ import annotations

import pytest
from servers import virtuoso_executable, virtuoso_server
from test_queries import CASES

from clusterkg import query as q
from clusterkg.cli import main

pytestmark = pytest.mark.skipif(
    virtuoso_executable() is None, reason="virtuoso-t is not installed (bash .ci/install-virtuoso installs it)"
)


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso-queries")) as server:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("CLUSTERKG_USER", server.USER)
            mp.setenv("CLUSTERKG_PASSWORD", server.PASSWORD)
            assert main(["load", "--endpoint", server.base_url, "--server", "virtuoso", "--no-validate"]) == 0
        yield server


# Every case gives the same rows: the queries that Virtuoso 7.2 answered with
# no rows once they named their dataset (a FILTER on lang() after a `*` path,
# or an OPTIONAL pairing every city) were rewritten with the classes in a
# LIMITed sub-select and the check as an EXISTS per row.
@pytest.mark.parametrize("name, params", [c[:2] for c in CASES], ids=[c[0] for c in CASES])
def test_same_rows_on_virtuoso_and_embedded(store, virtuoso, name, params):
    embedded = q.run(name, params, store=store)
    remote = q.run(name, params, endpoint=virtuoso.query_url)  # a query URL: --server generic
    assert remote.columns == embedded.columns
    assert remote.rows == embedded.rows
