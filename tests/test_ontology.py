"""The ontology: metadata, labels and definitions, OWL 2 DL consistency under HermiT."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from clusterkg import graph, project, reasoning

ONTOLOGY_IRI = rdflib.URIRef("https://w3id.org/clusterkg/ontology")
CKG = rdflib.Namespace(project.ONTOLOGY_NS)


@pytest.fixture(scope="module")
def onto() -> rdflib.Graph:
    return rdflib.Graph().parse(project.ONTOLOGY_DIR / "clusterkg.ttl")


def ckg_terms(onto: rdflib.Graph, kind) -> set[rdflib.URIRef]:
    return {s for s in onto.subjects(RDF.type, kind) if isinstance(s, rdflib.URIRef) and s.startswith(CKG)}


def test_ontology_header(onto):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in onto
    assert onto.value(ONTOLOGY_IRI, OWL.versionIRI) == rdflib.URIRef("https://w3id.org/clusterkg/ontology/0.2.0")
    assert str(onto.value(ONTOLOGY_IRI, DCTERMS.hasVersion)) == "0.2.0"
    assert onto.value(ONTOLOGY_IRI, DCTERMS.license) == rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert onto.value(ONTOLOGY_IRI, DCTERMS.creator) is not None
    assert {t.language for t in onto.objects(ONTOLOGY_IRI, DCTERMS.title)} == {"en", "fr"}
    assert {t.language for t in onto.objects(ONTOLOGY_IRI, DCTERMS.description)} == {"en", "fr"}


def test_every_term_has_en_fr_label_and_definition(onto):
    terms = set()
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        terms |= ckg_terms(onto, kind)
    assert len(terms) > 60
    missing = []
    for term in sorted(terms):
        labels = list(onto.objects(term, RDFS.label))
        langs = sorted(label.language for label in labels)
        definitions = [d for d in onto.objects(term, SKOS.definition) if d.language == "en"]
        if langs != ["en", "fr"] or len(definitions) != 1:
            missing.append((str(term), langs, len(definitions)))
    assert missing == []


def test_every_property_has_domain_and_range_or_inverse(onto):
    props = ckg_terms(onto, OWL.ObjectProperty) | ckg_terms(onto, OWL.DatatypeProperty)
    # the places module states the domain of ckg:iso3166Subdivision (Region or Department)
    modules = onto + rdflib.Graph().parse(project.ONTOLOGY_DIR / "places.ttl")
    lacking = []
    for p in sorted(props):
        has_inverse = any(onto.triples((None, OWL.inverseOf, p))) or onto.value(p, OWL.inverseOf) is not None
        if modules.value(p, RDFS.domain) is None and not has_inverse:
            lacking.append((str(p), "domain"))
    # ckg:observedEntity (anything can be observed) and ckg:namedAfter (anything
    # can give a name) have no range on purpose.
    assert lacking == []
    domain = modules.value(CKG.iso3166Subdivision, RDFS.domain)
    assert list(Collection(modules, modules.value(domain, OWL.unionOf))) == [CKG.Region, CKG.Department]


def test_characteristics_that_are_true(onto):
    assert (CKG.twinnedWith, RDF.type, OWL.SymmetricProperty) in onto
    assert (CKG.twinnedWith, RDF.type, OWL.IrreflexiveProperty) in onto
    assert (CKG.locatedIn, RDF.type, OWL.TransitiveProperty) in onto
    assert (CKG.country, RDF.type, OWL.FunctionalProperty) in onto
    assert onto.value(CKG.replaces, OWL.inverseOf) == CKG.replacedBy
    assert onto.value(CKG.participatesIn, OWL.inverseOf) == CKG.participant


def test_places_are_pairwise_disjoint(onto):
    members = set()
    for node in onto.subjects(RDF.type, OWL.AllDisjointClasses):
        members.add(frozenset(rdflib.collection.Collection(onto, onto.value(node, OWL.members))))
    assert frozenset({CKG.Country, CKG.Region, CKG.City, CKG.Road}) in members


def test_reuses_standard_vocabularies(onto):
    org = rdflib.Namespace("http://www.w3.org/ns/org#")
    prov = rdflib.Namespace("http://www.w3.org/ns/prov#")
    assert (CKG.Cluster, RDFS.subClassOf, org.FormalOrganization) in onto
    assert (CKG.Antenna, RDFS.subClassOf, org.Site) in onto
    assert (CKG.Merger, RDFS.subClassOf, org.ChangeEvent) in onto
    assert (CKG.Observation, RDFS.subClassOf, prov.Entity) in onto
    alignments = rdflib.Graph().parse(project.ONTOLOGY_DIR / "alignments.ttl")
    wdt = rdflib.Namespace("http://www.wikidata.org/prop/direct/")
    assert (CKG.twinnedWith, SKOS.exactMatch, wdt.P190) in alignments
    assert (org.memberOf, SKOS.exactMatch, wdt.P463) in alignments
    assert (CKG.replaces, SKOS.exactMatch, wdt.P1365) in alignments
    assert (CKG.replacedBy, SKOS.exactMatch, wdt.P1366) in alignments
    assert (CKG.foundingDate, SKOS.exactMatch, wdt.P571) in alignments
    assert (rdflib.URIRef(project.VOCAB_NS + "member-count"), SKOS.closeMatch, wdt.P2124) in alignments


def _all_quads(files):
    return list(graph.build_store(files).quads_for_pattern(None, None, None, None))


REASONING = Path(__file__).parent / "fixtures" / "reasoning"
PROV_O = "http://www.w3.org/ns/prov-o#"


def test_imports_are_catalogued_local_copies():
    """PROV-O, ORG and SKOS, each an owl:Ontology with the IRI the catalog maps to it."""
    catalogue = reasoning.catalog()
    imports = project.ONTOLOGY_DIR / "imports"
    assert {name: path.name for name, path in catalogue.items()} == {
        "http://www.w3.org/ns/prov-o#": "prov-o.ttl",
        "http://www.w3.org/ns/prov-o": "prov-o.ttl",
        "http://www.w3.org/ns/prov": "prov-o.ttl",
        "http://www.w3.org/ns/prov#": "prov-o.ttl",
        "http://www.w3.org/ns/prov-o-20130430": "prov-o.ttl",
        "http://www.w3.org/ns/org#": "org.ttl",
        "http://www.w3.org/ns/org": "org.ttl",
        "http://www.w3.org/2004/02/skos/core": "skos.ttl",
        "http://www.w3.org/2004/02/skos/core#": "skos.ttl",
    }
    assert reasoning.import_files() == [imports / "org.ttl", imports / "prov-o.ttl", imports / "skos.ttl"]
    headers = {}
    for path in reasoning.import_files():
        g = rdflib.Graph().parse(path)
        headers[path.name] = {str(o) for o in g.subjects(RDF.type, OWL.Ontology)}
    assert headers == {
        "org.ttl": {"http://www.w3.org/ns/org#"},
        "prov-o.ttl": {"http://www.w3.org/ns/prov#", PROV_O},
        "skos.ttl": {"http://www.w3.org/2004/02/skos/core"},
    }
    readme = (imports / "README.md").read_text(encoding="utf-8")
    for path in sorted(imports.glob("*.ttl")):
        assert f"`{path.name}`" in readme and hashlib.sha256(path.read_bytes()).hexdigest() in readme


def test_ontology_alone_is_consistent_under_hermit_with_the_imports():
    result = reasoning.check_consistency(_all_quads(graph.project_files(data=False)))
    assert result == reasoning.Consistency(True, "HermiT: consistent")


def test_ontology_and_data_are_consistent_under_hermit_with_the_imports(store):
    """Fails while the data hangs prov:qualifiedDerivation on activities (issue 9)."""
    result = reasoning.check_consistency(store.quads_for_pattern(None, None, None, None))
    assert result == reasoning.Consistency(True, "HermiT: consistent")


def test_hermit_catches_a_city_that_is_a_country():
    """The check can fail: a town typed as a country contradicts City ⊓ Country = ∅."""
    files = graph.project_files(data=False) + [graph.GraphFile.for_path(REASONING / "city-that-is-a-country.ttl")]
    for imports in (True, False):
        assert reasoning.check_consistency(_all_quads(files), imports=imports) == reasoning.Consistency(
            False,
            "HermiT: the ontology is inconsistent; individuals involved: ck:test-town",
            (project.ID_NS + "test-town",),
        )


def test_prov_o_loaded_makes_a_derivation_on_an_activity_inconsistent():
    files = graph.project_files(data=False) + [graph.GraphFile.for_path(REASONING / "derivation-on-activity.ttl")]
    result = reasoning.check_consistency(_all_quads(files))
    assert result == reasoning.Consistency(
        False,
        "HermiT: the ontology is inconsistent; individuals involved: ck:test-mission",
        (project.ID_NS + "test-mission",),
    )
    assert any("test-mission qualifiedDerivation test-mission-derivation" in e for e in result.explanations[0])
    # what the check missed before the imports were shipped
    assert reasoning.check_consistency(_all_quads(files), imports=False) == reasoning.Consistency(
        True, "HermiT: consistent"
    )


def test_an_import_outside_the_catalog_is_refused_not_fetched():
    files = [graph.GraphFile.for_path(REASONING / "import-not-catalogued.ttl")]
    with pytest.raises(reasoning.ImportNotFound) as e:
        reasoning.check_consistency(_all_quads(files))
    assert str(e.value) == (
        "owl:imports <http://xmlns.com/foaf/0.1/> is not in ontology/imports/catalog-v001.xml "
        "nor an ontology of ontology/ (imports are never fetched from the network)"
    )


def test_the_projects_own_ontologies_resolve_to_their_files():
    """One resolver for the reasoner and the OWL 2 DL check: the catalog and ontology/*.ttl."""
    iris = reasoning.ontology_iris()
    assert {iri: path.name for iri, path in iris.items() if path.parent == project.ONTOLOGY_DIR} == {
        "https://w3id.org/clusterkg/alignments": "alignments.ttl",
        "https://w3id.org/clusterkg/ontology": "clusterkg.ttl",
        "https://w3id.org/clusterkg/ontology/places": "places.ttl",
        "https://w3id.org/clusterkg/vocab": "vocabulary.ttl",
    }
    assert {iri: path for iri, path in iris.items() if path.parent != project.ONTOLOGY_DIR} == reasoning.catalog()
    # the places module alone imports the ontology, loaded from ontology/clusterkg.ttl
    files = [graph.GraphFile.for_path(project.ONTOLOGY_DIR / "places.ttl")]
    assert reasoning.check_consistency(_all_quads(files), imports=False) == reasoning.Consistency(
        True, "HermiT: consistent"
    )


def test_a_reasoner_that_takes_too_long_is_stopped():
    with pytest.raises(reasoning.ReasonerError) as e:
        reasoning.check_consistency(_all_quads(graph.project_files(data=False)), timeout=0.01)
    assert str(e.value) == "HermiT gave no answer within 0.01 s"
