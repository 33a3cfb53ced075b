"""The synthetic generator: deterministic, sized as asked, loadable, declared vocabulary."""

from __future__ import annotations

import pytest

from clusterkg import graph, synthetic, terms, validate


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

    def strip(path):
        # blank node labels differ between runs; the triples otherwise do not
        return sorted(line for line in path.read_text().splitlines() if "_:" not in line)

    for pa, pb in zip(a.files, b.files, strict=True):
        assert strip(pa) == strip(pb)


# --- injected faults: every rule broken, the results known --------------------------


def _results(v) -> set[tuple]:
    return {(r.focus, r.path, r.component, r.severity, r.source_shape) for r in v.report.results}


FAULTS = 32


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """1,000 triples (4 clusters) and a copy of every invalid fixture (32 faults per
    cluster; small, because pySHACL checks it too: 90 s, against 165 s at 5,000)."""
    folder = tmp_path_factory.mktemp("faulty")
    result = synthetic.generate(folder, 1_000, faults=FAULTS)
    return folder, result


def test_faults_of_every_fixture_with_their_expected_results(faulty):
    folder, result = faulty
    fixtures = synthetic.fixture_faults()
    assert len(fixtures) > 100
    assert round(FAULTS * result.clusters) >= len(fixtures)
    assert [p.name for p in result.files][-1] == "sources.ttl" and folder / "faults.ttl" in result.files
    assert synthetic.expected_results(folder) == result.expected
    # every fixture's namespace appears among the expected focus nodes
    stems = {r[0].split("/fault-")[1].split("/")[1] for r in result.expected}
    assert stems == {p.stem for p in fixtures}
    first = next(r for r in result.expected if "/agreement-beneficiary-class/" in r[0])
    assert first == (
        synthetic.CK + "fault-0/agreement-beneficiary-class/agreement",
        "https://w3id.org/clusterkg/ontology#beneficiary",
        "http://www.w3.org/ns/shacl#ClassConstraintComponent",
        "http://www.w3.org/ns/shacl#Violation",
        "https://w3id.org/clusterkg/shapes#Agreement-beneficiary",
    )


def test_without_faults_the_graph_conforms_with_no_result(tmp_path):
    result = synthetic.generate(tmp_path, 5_000)
    assert result.expected == [] and not (tmp_path / "expected.json").exists()
    v = validate.validate_files(result.files)
    assert v.report.results == []


@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
def test_engines_find_exactly_the_injected_faults(faulty, engine):
    folder, result = faulty
    v = validate.validate_files(result.files, engine=engine)
    assert _results(v) == set(result.expected)
    assert len(v.report.results) == len(result.expected)


def test_faults_rate_is_checked(tmp_path):
    with pytest.raises(ValueError, match=r"faults is a rate per cluster \(>= 0\), not -1"):
        synthetic.generate(tmp_path, 1_000, faults=-1)
