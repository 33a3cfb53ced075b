"""Plan guard: Oxigraph's own plan of every canned query, with the rows each
operator produced, on two synthetic graphs 2.5x apart (40,000 and 100,000
triples). Rows are counted, not timed, so the guard is exact on any machine.

- A query about one resource (an IRI parameter) must only look things up from
  it: its busiest operator may not produce more rows on the larger graph (a
  scan or a hash join over the whole graph grows 2.5x). The synthetic
  networks stop growing at these sizes, so a lookup's rows stay flat.
- Every operator of every query may grow at most 4x for 2.5x the data
  (linear: 2.5x; a nested loop over two growing sets: 6.25x).
"""

from __future__ import annotations

import re
from collections import Counter

import pyoxigraph as ox
import pytest

from clusterkg import bench, graph, query, synthetic

SMALL, LARGE = 40_000, 100_000
#: Queries with an IRI parameter whose answer grows with the graph by nature:
#: every city reachable in any number of steps.
GROWS_WITH_THE_GRAPH = {"cities-reachable"}


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    out: dict[str, dict[int, dict]] = {}
    for size in (SMALL, LARGE):
        folder = tmp_path_factory.mktemp(f"synthetic-{size}")
        synthetic.generate(folder, size)
        location = folder / "store"
        files = graph.project_files(data=False) + [graph.GraphFile.for_path(p) for p in sorted(folder.glob("*.ttl"))]
        store = graph.build_store(files, location)
        texts = {}
        for name, cq in sorted(query.catalogue().items()):
            bindings = query.bind_parameters(cq, bench.parameters_for(store, cq), store=store)
            texts[name] = query.with_values(cq.text, bindings)
        del store
        for name, text in texts.items():
            out.setdefault(name, {})[size] = query.explain(location, text)
    return out


def _busiest(plan: dict) -> tuple[int, str]:
    return max((node["number of results"], node["name"][:120]) for node in query.plan_nodes(plan))


def _total(plan: dict) -> int:
    return sum(node["number of results"] for node in query.plan_nodes(plan))


LOOKUPS = sorted(
    name
    for name, cq in query.catalogue().items()
    if any(p.type == "iri" for p in cq.parameters) and name not in GROWS_WITH_THE_GRAPH
)


@pytest.mark.parametrize("name", LOOKUPS)
def test_query_about_one_resource_only_looks_up(plans, name):
    small, large = _busiest(plans[name][SMALL]), _busiest(plans[name][LARGE])
    assert large[0] <= max(small[0], 1), (
        f"{name}: its busiest operator gives {small[0]} rows at {SMALL:,} triples and "
        f"{large[0]} at {LARGE:,}: {large[1]}"
    )


@pytest.mark.parametrize("name", sorted(query.catalogue()))
def test_plan_rows_grow_linearly(plans, name):
    """Each operator's rows grow at most 4x for 2.5x the data (linear: 2.5x;
    a nested loop over two growing sets: 6.25x). Operators are matched by what
    they do (their description, with Oxigraph's generated variable names left
    out), the rows of alike ones added up."""
    small, large = _rows_by_operator(plans[name][SMALL]), _rows_by_operator(plans[name][LARGE])
    grown = [
        f"{small[op]} -> {large[op]} rows: {op[:100]}"
        for op in sorted(small.keys() & large.keys())
        if small[op] >= MIN_ROWS and large[op] > 4 * small[op]
    ]
    assert grown == [], f"{name}: operators growing faster than the graph ({SMALL:,} -> {LARGE:,} triples): {grown}"


def _rows_by_operator(plan: dict) -> Counter[str]:
    rows: Counter[str] = Counter()
    for node in query.plan_nodes(plan):
        rows[re.sub(r"\?[0-9a-f]{32}\b", "?_", node["name"])] += node["number of results"]
    return rows


#: Operators with fewer rows at the smaller size are not compared (a few rows
#: more or less is not growth).
MIN_ROWS = 20


def test_the_guard_sees_a_scan(tmp_path):
    """The guard's measure itself: a resource's labels found by filtering every
    label grow with the graph; the same labels looked up from it do not."""
    rows = {}
    for size in (SMALL, LARGE):
        folder = tmp_path / str(size)
        synthetic.generate(folder, size)
        files = [graph.GraphFile.for_path(p) for p in sorted(folder.glob("*.ttl"))]
        store = graph.build_store(files, folder / "store")
        del store  # closed: the oxigraph command opens the folder
        cluster = ox.NamedNode(synthetic.CK + "cluster-0")
        label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
        scan = f"SELECT ?label WHERE {{ ?x {label} ?label FILTER(?x = {cluster}) }}"
        lookup = f"SELECT ?label WHERE {{ {cluster} {label} ?label }}"
        rows[size] = (
            _busiest(query.explain(folder / "store", scan))[0],
            _busiest(query.explain(folder / "store", lookup))[0],
        )
    assert rows[LARGE][0] > 2 * rows[SMALL][0]  # the scan grows with the graph
    assert rows[LARGE][1] == rows[SMALL][1] == 2  # the lookup finds the two labels
