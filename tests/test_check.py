"""``clusterkg check``, the quality gate, and the undeclared terms of ``clusterkg validate``.

The checks run on small projects of their own (tmp_path: an ontology, data and
shapes from ``fixtures/check``, with the project's ``ontology/imports`` and
``queries/qc``), so that each answer is known exactly: one that passes every
check, and ones that break each check once.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import run_cli

from clusterkg import check, graph, project, query, terms, validate

FIXTURES = Path(__file__).parent / "fixtures"
CHECK = FIXTURES / "check"
CKG = project.ONTOLOGY_NS

ALL_CHECKS = [
    "shacl-shacl",
    "declared-terms",
    "consistency",
    "owl2-dl",
    "qc:dangling-iris",
    "qc:deprecated-terms",
    "qc:duplicate-labels",
    "qc:missing-definitions",
    "qc:missing-labels",
    "qc:unexpanded-prefixes",
    "qc:unsupported-triples",
]
NOT_CONSISTENCY = ["--skip", "consistency"]


def mini_project(root: Path, ontology: str = "good", data: str = "good", shapes: str = "good") -> Path:
    """A project of its own under ``root``: ontology/mini.ttl (+ the imports),
    data/mini.ttl, shapes/mini.ttl, queries/qc."""
    (root / "ontology").mkdir(parents=True)
    shutil.copytree(project.ONTOLOGY_DIR / "imports", root / "ontology" / "imports")
    shutil.copytree(project.QUERIES_DIR / "qc", root / "queries" / "qc")
    for folder, kind in (("ontology", ontology), ("data", data), ("shapes", shapes)):
        (root / folder).mkdir(exist_ok=True)
        shutil.copy(CHECK / f"{folder}-{kind}.ttl", root / folder / "mini.ttl")
    return root


@pytest.fixture
def in_mini(tmp_path, monkeypatch):
    """Make a mini project the project (for the command line) and the working directory."""

    def make(**kinds: str) -> Path:
        root = mini_project(tmp_path / "project", **kinds)
        monkeypatch.setattr(project, "ROOT", root)
        monkeypatch.chdir(root)
        return root

    return make


def problems(report: check.CheckReport) -> dict[str, list[str]]:
    return {r.name: [p.text() for p in r.problems] for r in report.results if r.problems}


# --- a project that passes -----------------------------------------------------------


def test_a_sound_project_passes_every_check(in_mini, capsys):
    root = in_mini()
    report = check.run(root)
    assert [r.name for r in report.results] == ALL_CHECKS
    assert [r.status for r in report.results] == ["passed"] * len(ALL_CHECKS)
    assert report.passed and report.summary() == "11 of 11 checks passed"
    code, out, err = run_cli(capsys, "check")
    assert code == 0
    assert out.startswith("shacl-shacl: ok - the shapes conform to SHACL for SHACL (")
    assert out.endswith("11 of 11 checks passed")
    assert err == ""


# --- each mistake, where it is ----------------------------------------------------------

EVERY_MISTAKE = {
    "shacl-shacl": [
        "shapes/mini.ttl:11: cks:Cluster-city sh:maxCount: Value is not Literal with datatype xsd:integer"
        ' [value: "one"]'
    ],
    "declared-terms": [
        "data/mini.ttl:15: ckg:locatedin is not declared by the ontology nor a reused vocabulary"
        " (used as a predicate) (did you mean ckg:locatedIn?)",
        "data/mini.ttl:18: <ckg:Town> is not declared by the ontology nor a reused vocabulary (used as a class)",
        "shapes/mini.ttl:12: ckg:citty is not declared by the ontology nor a reused vocabulary"
        " (used in a shape's path) (did you mean ckg:city?)",
    ],
    "owl2-dl": [
        "ontology/mini.ttl:58: ckg:size is used as more than one kind of entity, which OWL 2 DL forbids"
        " (ObjectProperty and DataProperty)",
        "ontology/mini.ttl:63: Use of a non-simple property in a FunctionalObjectProperty axiom:"
        " FunctionalObjectProperty(ckg:locatedIn) (UseOfNonSimplePropertyInFunctionalPropertyAxiom)",
    ],
    "qc:dangling-iris": [
        "data/mini.ttl:12: Links to IRIs that nothing describes: ck:test-cluster"
        " (predicate: ckg:city; target: ck:nowhere)"
    ],
    "qc:deprecated-terms": ["data/mini.ttl:18: Deprecated terms in use: ck:test-city (term: ckg:OldCity)"],
    "qc:duplicate-labels": [
        'ontology/mini.ttl:18: Terms sharing a label: ckg:City (terms: ckg:town ckg:City; shared: "city"@en)'
    ],
    "qc:missing-definitions": [
        'ontology/mini.ttl:68: Terms without a definition: ckg:town (missing: "skos:definition in English")'
    ],
    "qc:unexpanded-prefixes": [
        "data/mini.ttl:18: IRIs that are prefixed names written as IRIs: ck:test-city (iri: <ckg:Town>)"
    ],
    "qc:unsupported-triples": [
        "data/mini.ttl:28: Data triples that no support backs: ck:test-derivation"
        " (predicate: prov:entity; object: ck:test-source)"
    ],
}


def test_every_mistake_is_reported_once_where_it_is(in_mini):
    root = in_mini(ontology="bad", data="bad", shapes="bad")
    report = check.run(root, skip=["consistency"])
    assert problems(report) == EVERY_MISTAKE
    assert [r.name for r in report.results if r.passed] == ["qc:missing-labels"]
    assert report.summary() == "1 of 10 checks passed, 12 problems"


def test_the_command_lists_the_problems_by_check_and_exits_1(in_mini, capsys):
    in_mini(ontology="bad", data="bad", shapes="bad")
    code, out, err = run_cli(capsys, "check", *NOT_CONSISTENCY)
    assert code == 1
    for name, lines in EVERY_MISTAKE.items():
        assert f"{name}: FAILED ({len(lines)}) - " in out
        for line in lines:
            assert f" {line} " in f" {out} "
    assert "qc:missing-labels: ok - Terms without an English and a French label" in out
    assert out.endswith("1 of 10 checks passed, 12 problems")
    assert err == (
        "error: check failed: shacl-shacl, declared-terms, owl2-dl, qc:dangling-iris, qc:deprecated-terms,"
        " qc:duplicate-labels, qc:missing-definitions, qc:unexpanded-prefixes, qc:unsupported-triples"
        " (1 of 10 checks passed, 12 problems)"
    )


def test_json_lists_every_problem_with_its_file_and_line(in_mini, capsys):
    root = in_mini(ontology="bad", data="bad", shapes="bad")
    code, _, _ = run_cli(capsys, "check", "--format", "json", *NOT_CONSISTENCY, "--skip", "qc")
    assert code == 1
    out = json.loads(check.to_json(check.run(root, skip=["consistency", "qc"])))
    assert out["passed"] is False
    assert out["summary"] == "0 of 3 checks passed, 6 problems"
    assert [(c["name"], c["status"], c["error"]) for c in out["checks"]] == [
        ("shacl-shacl", "failed", None),
        ("declared-terms", "failed", None),
        ("owl2-dl", "failed", None),
    ]
    assert out["checks"][1]["problems"][0] == {
        "message": "ckg:locatedin is not declared by the ontology nor a reused vocabulary (used as a predicate)"
        " (did you mean ckg:locatedIn?)",
        "file": str((root / "data" / "mini.ttl").resolve()),
        "line": 15,
    }


def test_an_inconsistency_names_the_individuals(in_mini, capsys):
    """A derivation hung on an activity: inconsistent once PROV-O is loaded."""
    root = in_mini(ontology="good", data="bad", shapes="good")
    result = check.run(root, skip=["shacl-shacl", "declared-terms", "owl2-dl", "qc"]).result("consistency")
    assert result.status == "failed"
    assert [p.text() for p in result.problems] == [
        "HermiT: the ontology is inconsistent; individuals involved: ck:test-mission",
        "data/mini.ttl:24: ck:test-mission is involved in the inconsistency",
        "one explanation (Pellet): test-mission type Activity; test-mission qualifiedDerivation test-derivation;"
        " qualifiedDerivation domain Entity; Activity disjointWith Entity",
    ]


def test_a_reasoner_that_cannot_run_is_an_error_exit_4(in_mini, capsys):
    """HermiT refuses an ontology outside OWL 2 DL: the check could not run."""
    in_mini(ontology="bad")
    code, out, err = run_cli(
        capsys, "check", "--skip", "shacl-shacl", "--skip", "declared-terms", "--skip", "owl2-dl", "--skip", "qc"
    )
    assert code == 4
    assert out.startswith("consistency: ERROR - ")
    assert (
        "could not run: HermiT failed (exit 1): Non-simple property '<https://w3id.org/clusterkg/ontology#locatedIn>'"
        " or its inverse appears in the cardinality restriction"
    ) in out
    assert out.endswith("0 of 1 checks passed, 1 could not run")
    assert err == "error: check could not run: consistency"


def test_an_unknown_check_to_skip_is_a_usage_error(in_mini, capsys):
    in_mini()
    code, out, err = run_cli(capsys, "check", "--skip", "qc:nothing")
    assert code == 64 and out == ""
    assert err == (
        "error: --skip qc:nothing: no such check (one of: shacl-shacl, declared-terms, consistency,"
        " owl2-dl, qc, qc:dangling-iris, qc:deprecated-terms, qc:duplicate-labels, qc:missing-definitions,"
        " qc:missing-labels, qc:unexpanded-prefixes, qc:unsupported-triples)"
    )


def test_an_unreadable_file_exit_2(in_mini, capsys):
    root = in_mini()
    bad = root / "data" / "broken.ttl"
    bad.write_text("@prefix ck: <https://w3id.org/clusterkg/id/> .\nck:a ck:b .\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "check", str(bad))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and "broken.ttl:2:" in err


# --- the parts -------------------------------------------------------------------------


def test_qc_queries_have_headers_and_each_is_a_check():
    names = []
    for path in check.qc_queries():
        q = query.load_query(path)
        assert q.parameters == ()
        assert q.description.startswith("Quality control, must return no rows: "), path.name
        names.append(f"qc:{q.name}")
    assert names == [n for n in ALL_CHECKS if n.startswith("qc:")]


def test_the_shapes_conform_to_shacl_for_shacl():
    """The project's own shapes (whatever the data): the check on them alone."""
    report = check.run(skip=["declared-terms", "consistency", "owl2-dl", "qc"])
    assert problems(report) == {}


def test_terms_findings_is_a_hook_for_any_validator():
    """terms.findings: (file, line, term, suggestion) from a store of one graph per file."""
    store = ox.Store()
    ontology = [graph.load_file(store, gf) for gf in graph.project_files(data=False)]
    typo = graph.load_file(store, graph.GraphFile.for_path(FIXTURES / "undeclared" / "predicate-typo.ttl"))
    found = terms.findings(store, [pf.file.graph for pf in ontology], ontology + [typo])
    assert [(f.file, f.line, f.term, f.kind, f.suggestion) for f in found] == [
        (FIXTURES / "undeclared" / "predicate-typo.ttl", 16, CKG + "locatedin", "predicate", CKG + "locatedIn")
    ]


def test_suggestions():
    declared = {CKG + "locatedIn", CKG + "Cluster", CKG + "city"}
    assert terms.suggest(CKG + "locatedin", declared) == CKG + "locatedIn"
    assert terms.suggest(CKG + "Clustre", declared) == CKG + "Cluster"
    assert terms.suggest("http://www.w3.org/ns/org#memberof") == "http://www.w3.org/ns/org#memberOf"
    assert terms.suggest(CKG + "somethingElse", declared) is None


def test_first_use_skips_comments_and_longer_names(tmp_path):
    path = tmp_path / "x.ttl"
    path.write_text(
        "@prefix ckg: <https://w3id.org/clusterkg/ontology#> .\n"
        "# ckg:locatedin in a comment\n"
        "<x> ckg:locatedinX <y> .\n"
        "<x> ckg:locatedin <y> .\n",
        encoding="utf-8",
    )
    assert terms.first_use(path, CKG + "locatedin", {"ckg": CKG}) == 4


# --- undeclared terms in clusterkg validate -----------------------------------------------

TYPO = Path("tests") / "fixtures" / "undeclared" / "predicate-typo.ttl"
TYPO_LINE = (
    f"  {TYPO}:16: Violation: ckg:locatedin is not declared by the ontology nor a reused vocabulary"
    " (used as a predicate) (did you mean ckg:locatedIn?)"
)


@pytest.fixture
def in_project(monkeypatch):
    monkeypatch.chdir(project.ROOT)


def test_validate_reports_an_undeclared_predicate_with_its_line(in_project, capsys):
    from clusterkg.cli import main

    code = main(["validate", str(TYPO)])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == f"Undeclared terms\n{TYPO_LINE}\n\n1 undeclared term\n"
    assert "error: the data does not conform to the shapes: 1 undeclared term" in err


def test_validate_json_and_turtle_carry_the_undeclared_terms(in_project, capsys):
    v = validate.validate_files([TYPO])
    assert v.conforms is False and v.report.conforms is True
    out = json.loads(validate.to_json(v))
    assert out["conforms"] is False
    assert out["undeclared_terms"] == [
        {
            "term": CKG + "locatedin",
            "kind": "predicate",
            "suggestion": CKG + "locatedIn",
            "message": "ckg:locatedin is not declared by the ontology nor a reused vocabulary (used as a predicate)"
            " (did you mean ckg:locatedIn?)",
            "file": str(project.ROOT / TYPO),
            "line": 16,
        }
    ]
    turtle = validate.to_turtle(v)
    assert turtle.startswith(f"# undeclared term: {TYPO}:16: ckg:locatedin is not declared")
    assert "sh:conforms false" in turtle


def test_messages_show_values_as_people_write_them():
    prefixes = validate.PREFIXES
    assert validate.human_value('"110"^^<http://www.w3.org/2001/XMLSchema#integer>', prefixes) == "110"
    assert validate.human_value('"110.0"^^<http://www.w3.org/2001/XMLSchema#decimal>', prefixes) == "110"
    assert validate.human_value('"12.50"^^<http://www.w3.org/2001/XMLSchema#decimal>', prefixes) == "12.5"
    assert validate.human_value('"3019"^^<http://www.w3.org/2001/XMLSchema#gYear>', prefixes) == "3019"
    assert validate.human_value('"beaucoup"', prefixes) == "beaucoup"
    assert validate.human_value(f"<{project.ID_NS}paris>", prefixes) == "ck:paris"


def test_the_future_founding_year_message_reads_3019():
    v = validate.validate_files([FIXTURES / "invalid" / "founding-date-in-future.ttl"])
    assert [f.message for f in v.findings] == ["Test cluster is said to be founded in 3019, a year still to come"]


# --- the support rule: the QC query and the shape agree, blank nodes included -------------

BLANK_GEOMETRY = """\
@prefix :     <http://example.org/test/blank-geometry/> .
@prefix ckg:  <https://w3id.org/clusterkg/ontology#> .
@prefix ckv:  <https://w3id.org/clusterkg/vocab/> .
@prefix geo:  <http://www.opengis.net/ont/geosparql#> .
@prefix rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

:nimes a ckg:City ;
    rdfs:label "Nîmes"@en , "Nîmes"@fr ;
    geo:hasGeometry _:point .
_:point a geo:Geometry ;
    geo:asWKT "POINT(4.36005 43.83333)"^^geo:wktLiteral .

:support a ckg:Support ;
    ckg:supportStatus ckv:assumed ;
    rdfs:comment "Test data: the link is backed, the point it names is not."@en ;
    ckg:supports [ rdf:subject :nimes ; rdf:predicate geo:hasGeometry ; rdf:object _:point ] .
"""


def test_a_blank_node_needs_its_own_support_in_check_and_in_validate(tmp_path):
    data = tmp_path / "blank-geometry.ttl"
    data.write_text(BLANK_GEOMETRY, encoding="utf-8")
    only_qc = [name for name in ALL_CHECKS if name != "qc:unsupported-triples"]
    report = check.run(files=[data], skip=only_qc)
    assert problems(report) == {
        "qc:unsupported-triples": [
            "Data triples that no support backs: a blank node (predicate: geo:asWKT; object: POINT(4.36005 43.83333))"
        ]
    }
    unsupported = [
        r
        for r in validate.validate_files([data]).report.results
        if r.source_shape == "https://w3id.org/clusterkg/shapes#TripleWithoutSupport"
    ]
    assert [(r.path, r.value) for r in unsupported] == [
        (
            "http://www.opengis.net/ont/geosparql#asWKT",
            '"POINT(4.36005 43.83333)"^^<http://www.opengis.net/ont/geosparql#wktLiteral>',
        )
    ]
