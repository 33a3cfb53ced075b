"""The ontology documentation (pyLODE) documents every class and property of
ontology/clusterkg.ttl with its IRI, English and French labels, definition and
alignments (ontology/alignments.ttl)."""

from __future__ import annotations

import html
import logging

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from clusterkg import docs, project
from clusterkg.cli import main

KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("docs")
    assert main(["docs", "--out", str(out)]) == 0
    return (out / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def by_iri(page) -> dict[str, str]:
    return {iri: html.unescape(block) for iri, block in docs.sections(page).items()}


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(project.ONTOLOGY_DIR / "clusterkg.ttl")


@pytest.fixture(scope="module")
def alignments() -> rdflib.Graph:
    return rdflib.Graph().parse(project.ONTOLOGY_DIR / "alignments.ttl")


def terms(g: rdflib.Graph) -> list[rdflib.URIRef]:
    return sorted({s for k in KINDS for s in g.subjects(RDF.type, k) if isinstance(s, rdflib.URIRef)})


def test_every_term_is_documented(ontology, by_iri):
    missing = [str(t) for t in terms(ontology) if str(t) not in by_iri]
    assert not missing
    assert len(terms(ontology)) > 100


def test_own_terms_have_both_labels_and_definition(ontology, by_iri):
    own = [t for t in terms(ontology) if str(t).startswith(project.ONTOLOGY_NS)]
    assert len(own) >= 70
    for t in own:
        block = by_iri[str(t)]
        for label in ontology.objects(t, RDFS.label):
            assert f"{label} ({label.language})" in block, (t, label)
        assert {lab.language for lab in ontology.objects(t, RDFS.label)} == {"en", "fr"}, t
        for definition in ontology.objects(t, SKOS.definition):
            assert str(definition) in block, (t, definition)


def test_alignments_are_shown(alignments, by_iri):
    shown = 0
    for s, p, o in alignments.triples((None, None, None)):
        if p not in (SKOS.exactMatch, SKOS.closeMatch) or not str(s).startswith(project.ONTOLOGY_NS):
            continue
        block = by_iri[str(s)]
        row = "Exact Match" if p == SKOS.exactMatch else "Close Match"
        assert row in block, (s, p)
        assert str(o) in block, (s, p, o)
        shown += 1
    assert shown >= 30


def test_examples(by_iri, page):
    city = by_iri[project.ONTOLOGY_NS + "City"]
    assert "city (en)" in city and "ville (fr)" in city and "A city or town." in city
    assert "https://schema.org/City" in city and "http://www.wikidata.org/entity/Q515" in city
    cluster = by_iri[project.ONTOLOGY_NS + "CompetitivenessCluster"]
    assert "pôle de compétitivité (fr)" in cluster
    assert "<title>clusterkg ontology</title>" in page


def test_importing_pylode_leaves_logging_alone():
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    docs.render()
    assert (list(root.handlers), root.level) == before
