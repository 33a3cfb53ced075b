"""The synthetic generator: deterministic, sized as asked, loadable, declared vocabulary."""

from __future__ import annotations

from clusterkg import graph, synthetic, terms


def test_generates_about_the_size_asked_and_loads(tmp_path):
    result = synthetic.generate(tmp_path, 20_000)
    assert result.clusters == 20_000 // synthetic.TRIPLES_PER_CLUSTER
    assert 0.9 * 20_000 <= result.triples <= 1.1 * 20_000
    files = graph.project_files(data=False) + [graph.GraphFile.for_path(p) for p in result.files]
    store = graph.build_store(files)
    ontology_triples = len(graph.build_store(graph.project_files(data=False)))
    assert len(store) == ontology_triples + result.triples
    assert terms.undeclared_terms(store, [f.graph for f in graph.project_files(data=False)]) == []


def test_is_deterministic(tmp_path):
    a = synthetic.generate(tmp_path / "a", 5_000)
    b = synthetic.generate(tmp_path / "b", 5_000)
    assert [p.name for p in a.files] == [p.name for p in b.files]
    for pa, pb in zip(a.files, b.files):
        # blank node labels differ between runs; the triples otherwise do not
        strip = lambda p: sorted(l for l in p.read_text().splitlines() if "_:" not in l)
        assert strip(pa) == strip(pb)
