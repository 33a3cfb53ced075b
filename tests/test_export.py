"""Every export format round-trips: parsed back, it gives the same quads (TriG,
N-Quads, JSON-LD, csv) or the same merged triples (Turtle, N-Triples), blank
nodes compared by RDFC-1.0 canonicalisation. The JSON-LD context covers the
ontology."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from clusterkg import export, project
from clusterkg.cli import main

DATASET_FORMATS = {"nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "jsonld": ox.RdfFormat.JSON_LD}
GRAPH_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}


def canonical(quads) -> set[ox.Quad]:
    ds = ox.Dataset(quads)
    ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(ds)


def merged(quads) -> set[ox.Quad]:
    """The quads' triples in the default graph, canonicalised."""
    return canonical({ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads})


@pytest.fixture(scope="module")
def quads(store) -> list[ox.Quad]:
    return list(store.quads_for_pattern(None, None, None, None))


@pytest.fixture(scope="module")
def expected(quads) -> set[ox.Quad]:
    return canonical(quads)


@pytest.mark.parametrize("fmt", sorted(DATASET_FORMATS))
def test_dataset_formats_round_trip_quads(store, expected, fmt):
    data = export.serialize(store, fmt)
    back = list(ox.parse(data, format=DATASET_FORMATS[fmt]))
    assert len(back) == len(expected)
    assert canonical(back) == expected
    assert {q.graph_name for q in back} == {q.graph_name for q in expected}


@pytest.mark.parametrize("fmt", sorted(GRAPH_FORMATS))
def test_graph_formats_round_trip_merged_triples(store, quads, fmt):
    data = export.serialize(store, fmt)
    back = list(ox.parse(data, format=GRAPH_FORMATS[fmt]))
    assert all(isinstance(q.graph_name, ox.DefaultGraph) for q in back)
    assert merged(back) == merged(quads)


def test_csv_round_trips_quads(store, expected):
    data = export.serialize(store, "csv")
    assert data.decode().splitlines()[0] == "subject,predicate,object,graph"
    assert canonical(export.read_csv(data)) == expected


def test_jsonld_reads_back_with_rdflib_too(store, quads):
    """A second, independent JSON-LD parser sees the same triples (blank nodes by isomorphism)."""
    data = export.serialize(store, "jsonld")
    ds = rdflib.Dataset()
    ds.parse(data=data, format="json-ld")
    got = rdflib.Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        got.add((s, p, o))
    want = rdflib.Graph()
    for q in quads:
        want.add(tuple(_rdflib(t) for t in (q.subject, q.predicate, q.object)))
    assert len(got) == len(want)
    assert isomorphic(got, want)


def _rdflib(term):
    """pyoxigraph term -> rdflib term; xsd:string literals as rdflib's plain literals
    (rdflib tells ``Literal("x")`` from ``Literal("x", datatype=XSD.string)``)."""
    from clusterkg.graph import to_rdflib_term

    t = to_rdflib_term(term)
    if isinstance(t, rdflib.Literal) and t.datatype == rdflib.XSD.string:
        return rdflib.Literal(str(t))
    return t


def test_jsonld_is_compacted_with_the_ontology_context(store):
    doc = json.loads(export.serialize(store, "jsonld"))
    assert doc["@context"] == export.context()
    text = json.dumps(doc)
    # terms, not full IRIs: a web developer reads "city": "ck:paris"
    assert '"@id": "ck:cap-digital"' in text
    assert '"city": "ck:paris"' in text
    assert "https://w3id.org/clusterkg/ontology#city" not in text


def test_context_defines_every_ontology_term(store):
    ctx = export.context()
    by_iri = {}
    for key, value in ctx.items():
        iri = value["@id"] if isinstance(value, dict) else value
        prefix, _, local = iri.partition(":")
        by_iri[ctx[prefix] + local if prefix in ctx and isinstance(ctx[prefix], str) else iri] = (key, value)
    rows = store.query("""
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        SELECT ?term ?kind WHERE {
          GRAPH <https://w3id.org/clusterkg/graph/ontology/clusterkg> { ?term a ?kind }
          FILTER(STRSTARTS(STR(?term), "https://w3id.org/clusterkg/ontology#"))
          FILTER(?kind IN (owl:Class, owl:ObjectProperty, owl:DatatypeProperty))
        }""")
    missing, wrong = [], []
    for row in rows:
        iri, kind = row["term"].value, row["kind"].value
        if iri not in by_iri:
            missing.append(iri)
            continue
        key, value = by_iri[iri]
        if kind.endswith("ObjectProperty") and not (isinstance(value, dict) and value.get("@type") == "@id"):
            wrong.append(key)
    assert not missing, f"ontology/context.jsonld lacks terms for {missing}"
    assert not wrong, f'object properties without "@type": "@id": {wrong}'


def test_cli_export_writes_file(tmp_path, capsys, store):
    out = tmp_path / "all.trig"
    assert main(["export", "--format", "trig", "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000
    printed = capsys.readouterr()
    graphs = {q.graph_name for q in store}
    # the data went to the file: standard output is empty, the talk is on standard error
    assert printed.out == ""
    assert " ".join(printed.err.split()) == f"wrote {len(store)} quads in {len(graphs)} named graphs as trig to {out}"


def test_cli_export_to_stdout(capsysbinary):
    assert main(["export", "--format", "nt"]) == 0
    out = capsysbinary.readouterr().out
    assert out.count(b"\n") > 1000
    assert b"<https://w3id.org/clusterkg/id/cap-digital>" in out


def test_cli_export_refuses_unknown_format():
    assert main(["export", "--format", "xml"]) == 64


def test_project_context_file_is_the_one_used():
    assert export.CONTEXT_FILE == project.ONTOLOGY_DIR / "context.jsonld"
