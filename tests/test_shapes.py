"""The SHACL shapes of shapes/: the project's data conforms, and every constraint
catches the mistake it is written for, with both engines.

Fixtures (GeoSPARQL-style, found by glob):

* ``fixtures/invalid/<rule>.ttl``: a small self-contained graph that breaks one
  rule; its header lists every result expected, and nothing else may be reported::

      # expect: <focus> | <path or -> | <constraint component> | <severity> | <shape>

  (fields separated by " | ")

  in the file's own prefixes (plus ``sh:`` and ``cks:``). Paths may be ``p``,
  ``^p`` (inverse), ``p/q`` (sequence) and ``a|b`` (alternatives).
* ``fixtures/valid/<case>.ttl``: a graph that must conform without any result,
  for the edge cases of the rules (Brick-style).

Each file is validated alone with the vocabulary and the ontology, as
``clusterkg validate <file>`` does.

The second engine (TopQuadrant SHACL, clusterkg.engines.TopBraidEngine) validates
the project's data and all invalid fixtures at once (one Java run), and must agree
with pySHACL on every (focus, path, component, severity, shape). It needs a
Java >= 21: without one these tests FAIL with the finder's message, unless
CLUSTERKG_SKIP_SECOND_ENGINE=1 is set.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, SH
from rdflib.namespace import SKOS as SKOS_NS
from rdflib.paths import AlternativePath, InvPath, SequencePath

from clusterkg import engines, graph, project, validate

FIXTURES = Path(__file__).parent / "fixtures"
INVALID = sorted((FIXTURES / "invalid").glob("*.ttl"))
VALID = sorted((FIXTURES / "valid").glob("*.ttl"))
CKS = validate.PREFIXES["cks"]
CK = project.ID_NS
CKG = project.ONTOLOGY_NS
WARNING = engines.WARNING

#: (focus, path, component, severity, source shape), as strings like engines.Result
Row = tuple[str, "str | None", str, str, "str | None"]


def rows(results) -> list[Row]:
    return [(*r.key, r.source_shape) for r in results]


# --- reading the expectations of a fixture ------------------------------------------

_EXPECT = re.compile(r"^# expect: (.*)$", re.MULTILINE)


def expectations(path: Path) -> set[Row]:
    text = path.read_text(encoding="utf-8")
    g = rdflib.Graph().parse(data=text, format="turtle")
    ns = dict(validate.PREFIXES)
    ns.update({p: str(n) for p, n in g.namespace_manager.namespaces()})
    expected = set()
    for line in _EXPECT.findall(text):
        focus, path_, component, severity, shape = (part.strip() for part in line.split(" | "))
        expected.add(
            (
                _iri(focus, ns),
                None if path_ == "-" else _path(path_, ns),
                _iri(component, ns),
                _iri(severity, ns),
                _iri(shape, ns),
            )
        )
    return expected


def _iri(curie: str, ns: dict[str, str]) -> str:
    prefix, _, local = curie.partition(":")
    return ns[prefix] + local


def _path(text: str, ns: dict[str, str]) -> str:
    """The path as clusterkg.engines writes it: an IRI, or a SPARQL path."""
    if re.fullmatch(r"[\w-]*:[\w-]+", text):
        return _iri(text, ns)

    def step(s: str):
        return InvPath(rdflib.URIRef(_iri(s[1:], ns))) if s.startswith("^") else rdflib.URIRef(_iri(s, ns))

    def sequence(s: str):
        steps = [step(x) for x in s.split("/")]
        return steps[0] if len(steps) == 1 else SequencePath(*steps)

    alternatives = [sequence(x) for x in text.split("|")]
    path = alternatives[0] if len(alternatives) == 1 else AlternativePath(*alternatives)
    return path.n3()


def namespace(path: Path) -> str:
    return f"http://example.org/test/{path.stem}/"


# --- validating -----------------------------------------------------------------------


@cache
def pyshacl_run(*files: Path) -> validate.Validation:
    return validate.validate_files(files)


def second_engine() -> engines.Engine:
    try:
        return engines.get_engine("topbraid")
    except engines.JavaNotFoundError as e:
        if os.environ.get("CLUSTERKG_SKIP_SECOND_ENGINE") == "1":
            pytest.skip(f"second engine skipped (CLUSTERKG_SKIP_SECOND_ENGINE=1): {e}")
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def project_pyshacl() -> validate.Validation:
    return pyshacl_run()


@pytest.fixture(scope="session")
def project_topbraid() -> validate.Validation:
    second_engine()
    return validate.validate_files(engine="topbraid")


@pytest.fixture(scope="session")
def invalid_topbraid() -> validate.Validation:
    second_engine()
    return validate.validate_files(INVALID, engine="topbraid")


# --- the project's data -------------------------------------------------------------

#: Places without a skos:exactMatch to Wikidata (a warning each): the départements
#: and the towns that the reference packages give no Wikidata ID for
#: (data/places.ttl), and the road RN113 (data/places-manual.ttl).
PLACES_WITHOUT_WIKIDATA = {
    "ales",
    "aude",
    "aveyron",
    "carcassonne",
    "gard",
    "haute-garonne",
    "hautes-pyrenees",
    "herault",
    "lozere",
    "mende",
    "montpellier",
    "nimes",
    "paris-fr-75c",
    "perpignan",
    "pyrenees-orientales",
    "rn113",
    "rodez",
    "tarbes",
}


def test_project_data_conforms_with_the_expected_warnings_only(project_pyshacl):
    v = project_pyshacl
    assert v.conforms
    assert v.violations == 0
    assert set(rows(v.report.results)) == {
        (
            CK + place,
            str(SKOS_NS.exactMatch),
            str(SH.QualifiedMinCountConstraintComponent),
            WARNING,
            CKS + "Place-wikidata",
        )
        for place in PLACES_WITHOUT_WIKIDATA
    }
    n = len(PLACES_WITHOUT_WIKIDATA)
    assert v.summary() == f"conforms (0 violations, {n} warnings in {n} nodes)"


def test_warnings_name_the_place_and_where_it_is_defined(project_pyshacl):
    montpellier = next(f for f in project_pyshacl.findings if f.result.focus == CK + "montpellier")
    assert montpellier.label == "Montpellier"
    assert montpellier.file == project.ROOT / "data" / "places.ttl"
    lines = (project.ROOT / "data" / "places.ttl").read_text(encoding="utf-8").splitlines()
    assert lines[montpellier.line - 1].startswith("ck:montpellier a ckg:City")
    assert montpellier.message == (
        "Montpellier has no Wikidata link (skos:exactMatch <http://www.wikidata.org/entity/Q…>)"
    )


def test_second_engine_agrees_on_the_project_data(project_pyshacl, project_topbraid):
    assert project_topbraid.conforms is project_pyshacl.conforms is True
    assert set(rows(project_topbraid.report.results)) == set(rows(project_pyshacl.report.results))
    assert not engines.compare(project_pyshacl.report, project_topbraid.report)


# --- one fixture per rule ---------------------------------------------------------------


def test_fixtures_are_found():
    assert len(INVALID) >= 100 and len(VALID) >= 5


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_gives_exactly_the_expected_results(path):
    expected = expectations(path)
    assert expected, f"{path.name} has no '# expect:' line"
    v = pyshacl_run(path)
    got = rows(v.report.results)
    assert len(v.report.results) == len(set(v.report.results)), "a result is reported twice"
    assert set(got) == expected
    assert v.conforms is all(row[3] == WARNING for row in expected)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_fixture_conforms_without_any_result(path):
    v = pyshacl_run(path)
    assert rows(v.report.results) == []


def test_fixtures_only_use_their_own_namespace():
    """So that all of them can be validated in one run of the second engine."""
    for path in INVALID + VALID:
        g = rdflib.Graph().parse(path)
        for s in g.subjects():
            if isinstance(s, rdflib.URIRef):
                assert str(s).startswith(namespace(path)), (path.name, s)


def test_second_engine_agrees_on_every_invalid_fixture(invalid_topbraid):
    assert len(invalid_topbraid.report.results) == len(set(invalid_topbraid.report.results))
    together = rows(invalid_topbraid.report.results)
    disagreements = {}
    for path in INVALID:
        mine = {row for row in together if row[0].startswith(namespace(path))}
        if mine != expectations(path):
            disagreements[path.name] = sorted(mine ^ expectations(path), key=str)
    assert not disagreements
    # nothing outside the fixtures' nodes (the vocabulary conforms)
    assert all(any(row[0].startswith(namespace(p)) for p in INVALID) for row in together)


def test_every_rule_has_a_fixture():
    """Every shape that can produce a result is the expected source of some fixture."""
    shapes = _shapes_graph()
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
    targeted = {s for t in targets for s in shapes.subjects(t, None)}
    node_constraints = (
        SH["or"],
        SH.xone,
        SH["and"],
        SH["not"],
        SH.sparql,
        SH["class"],
        SH.node,
        SH.closed,
        SH.datatype,
        SH.nodeKind,
        SH.pattern,
        SH["in"],
    )
    rules = {s for s in targeted if any((s, c, None) in shapes for c in node_constraints)}
    rules |= {p for s in targeted for p in shapes.objects(s, SH.property)}
    assert all(isinstance(r, rdflib.URIRef) for r in rules), "every shape has an IRI"
    covered = {row[4] for path in INVALID for row in expectations(path)}
    assert {str(r) for r in rules} - covered == set()
    assert covered - {str(r) for r in rules} == set()


# --- which nodes the shapes reach -----------------------------------------------------


def _shapes_graph() -> rdflib.Graph:
    g = rdflib.Graph()
    for gf in validate.shape_files():
        g.parse(gf.path)
    return g


def _ontology() -> rdflib.Graph:
    g = rdflib.Graph()
    for gf in validate.ontology_files():
        g.parse(gf.path)
    return g


def _superclasses(onto: rdflib.Graph, cls) -> set:
    return set(onto.transitive_objects(cls, RDFS.subClassOf))


def _words(query: str) -> str:
    """A query without its comment lines, spaces normalised."""
    text = "\n".join(line for line in query.splitlines() if not line.strip().startswith("#"))
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"([({]) ", r"\1", re.sub(r" ([)}])", r"\1", text)).strip()


def test_the_support_rule_leaves_out_only_typing_labels_and_the_provenance_records():
    """The triple-without-support rule: exactly these predicates, subjects and classes are
    exempt, and clusterkg check's QC query states the same rule in the same words."""
    shapes = _shapes_graph()
    shape = rdflib.URIRef(CKS + "TripleWithoutSupport")
    target_query = str(shapes.value(shapes.value(shape, SH.target), SH.select))
    constraint_query = str(shapes.value(shapes.value(shape, SH.sparql), SH.select))
    query = _words(target_query)
    exempt = "?p NOT IN (rdf:type, rdfs:label, skos:prefLabel, skos:altLabel, rdf:subject, rdf:predicate, rdf:object)"
    assert query.count(exempt) == 2  # the triples counted and the supported ones
    assert (
        query.count(
            "FILTER (?kind IN (ckg:Support, ckg:SourceDocument, owl:Class, owl:ObjectProperty, "
            "owl:DatatypeProperty, owl:AnnotationProperty, owl:Ontology, rdf:Property, rdfs:Class, "
            "rdfs:Datatype))"
        )
        == 1
    )
    # linear: no property path (no "/", "*", "+" outside string literals and COUNT(*)),
    # no MINUS (rdflib compares every row of a MINUS with every other row), and one
    # NOT EXISTS only, on the few subjects left
    body = re.sub(r'"[^"]*"', '""', query).replace("COUNT(*)", "COUNT()")
    assert not re.search(r"[/*+]|MINUS", body)
    assert body.count("NOT EXISTS") == 1
    # one rule: the QC query is the shape's target, then the shape's constraint
    qc = _words((project.ROOT / "queries" / "qc" / "unsupported-triples.rq").read_text(encoding="utf-8"))
    constraint = _words(constraint_query).split("WHERE {", 1)[1].rsplit("}", 1)[0].strip()
    assert f"WHERE {{{{{query}}} {constraint}}}" in qc


def test_every_class_the_data_uses_has_a_node_shape():
    """Targeted directly, or (ckg:ThinkTank, ckg:FundingScheme) through its superclass."""
    onto, shapes = _ontology(), _shapes_graph()
    data = rdflib.Graph()
    for gf in validate.data_files():
        data.parse(gf.path)
    targeted = set(shapes.objects(None, SH.targetClass))
    used = set(data.objects(None, RDF.type)) - {OWL.Ontology}  # the vocabulary's header
    assert used - targeted == {
        rdflib.URIRef(CKG + c) for c in ("ThinkTank", "FundingScheme", "NewsOutlet", "Modality", "SupportStatus")
    } | {rdflib.URIRef("http://www.w3.org/ns/org#FormalOrganization")}
    assert {rdflib.URIRef(CKG + "Department"), rdflib.URIRef("http://www.opengis.net/ont/geosparql#Geometry")} <= (
        used & targeted
    )
    assert all(_superclasses(onto, cls) & targeted for cls in used)


# --- why the default inference is none ------------------------------------------------


def test_rdfs_inference_would_hide_a_city_that_is_a_region():
    """ckg:city has range ckg:City: under RDFS inference the region becomes a city."""
    path = FIXTURES / "invalid" / "cluster-city-class.ttl"
    wrong_city = (namespace(path) + "cluster", CKG + "city", str(SH.ClassConstraintComponent))
    assert wrong_city in {row[:3] for row in rows(pyshacl_run(path).report.results)}
    inferred = validate.validate_files([path], inference="rdfs")
    assert wrong_city not in {row[:3] for row in rows(inferred.report.results)}


# --- the shapes files themselves ------------------------------------------------------


def test_shapes_files_parse_and_every_message_is_in_english_and_french():
    shapes = _shapes_graph()
    assert {gf.path.name for gf in validate.shape_files()} == {"common.ttl", "core.ttl", "integrity.ttl", "rules.ttl"}
    holders = set(shapes.subjects(SH.message, None))
    assert len(holders) > 90
    for node in holders:
        languages = sorted(m.language for m in shapes.objects(node, SH.message))
        assert languages == ["en", "fr"], node


def test_severities_are_deliberate():
    """Only the Wikidata link of a place is a warning; everything else is a violation."""
    shapes = _shapes_graph()
    assert set(shapes.subject_objects(SH.severity)) == {(rdflib.URIRef(CKS + "Place-wikidata"), SH.Warning)}


def test_shapes_load_through_the_project_loader():
    """The shapes pass the loader's checks (syntax, ill-typed literals), one graph per file."""
    files = validate.shape_files()
    store = graph.build_store(files)
    assert {g.value for g in store.named_graphs()} == {gf.graph for gf in files}
    assert [gf.path.name for gf in files] == ["common.ttl", "core.ttl", "integrity.ttl", "rules.ttl"]
    assert len(store) > 500
