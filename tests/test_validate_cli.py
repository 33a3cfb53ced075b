"""``clusterkg validate``: exit codes, the human report, JSON and Turtle reports,
unreadable input; and ``clusterkg.validate.conforms`` for other commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, SH

from clusterkg import engines, graph, project, validate
from clusterkg.cli import main

FIXTURES = Path("tests") / "fixtures"
MALFORMED = sorted((project.ROOT / FIXTURES / "malformed").glob("*.ttl"))
CKG = project.ONTOLOGY_NS
CKS = validate.PREFIXES["cks"]


@pytest.fixture(autouse=True)
def in_project(monkeypatch):
    """Reports show files relative to the working directory."""
    monkeypatch.chdir(project.ROOT)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


# --- the project's data -------------------------------------------------------------


def test_project_conforms_exit_0(capsys):
    code, out, err = run(capsys)
    assert code == 0
    # TEMPORARY: every place warns until data/places.ttl links to Wikidata with
    # skos:exactMatch (it is being regenerated from reference data)
    assert out.endswith("\nconforms (0 violations, 18 warnings in 18 nodes)\n")
    assert (
        "ck:montpellier (Montpellier), data/places.ttl:1041\n"
        "  Warning skos:exactMatch: Montpellier has no Wikidata link (skos:exactMatch <http://www.wikidata.org/entity/Q…>)\n"
    ) in out
    assert "error" not in err


# --- one fault, several faults --------------------------------------------------------


def test_a_cluster_without_city_or_region_exit_1_with_the_exact_lines(capsys):
    code, out, err = run(capsys, str(FIXTURES / "invalid" / "cluster-no-city-no-region.ttl"))
    assert code == 1
    assert out == (
        ":cap-digital (Cap Digital), tests/fixtures/invalid/cluster-no-city-no-region.ttl:15\n"
        "  Violation: Cap Digital has no city and no region: say where the cluster is (ckg:city or ckg:region)\n"
        "\n"
        "1 violation, 0 warnings in 1 node\n"
    )
    assert "error: the data does not conform to the shapes: 1 violation, 0 warnings in 1 node" in err


SEVERAL = (
    ":cluster (Test cluster), tests/fixtures/invalid/several-faults.ttl:20\n"
    "  Violation ckg:city: A city of Test cluster (ckg:city) is not a ckg:City [value: :occitanie]\n"
    '  Violation rdfs:label: Test cluster must have exactly one French label (rdfs:label "…"@fr)\n'
    "\n"
    ":obs (Test observation), tests/fixtures/invalid/several-faults.ttl:24\n"
    "  Violation ckg:qualifier: Test observation must say how to read its value: exactly one ckg:qualifier"
    " (exact, lower bound or approximate)\n"
    "  Violation ckg:value: Test observation is a count: its value must be a whole number, 0 or more"
    ' [value: "-5"^^xsd:integer]\n'
    "\n"
    ":mende (Mende), tests/fixtures/invalid/several-faults.ttl:31\n"
    "  Warning skos:exactMatch: Mende has no Wikidata link (skos:exactMatch <http://www.wikidata.org/entity/Q…>)\n"
    "\n"
    "4 violations, 1 warning in 3 nodes\n"
)


def test_a_file_with_several_faults_lists_all_of_them(capsys):
    code, out, _ = run(capsys, str(FIXTURES / "invalid" / "several-faults.ttl"))
    assert code == 1
    assert out == SEVERAL


def test_warnings_alone_conform_exit_0(capsys):
    code, out, err = run(capsys, str(FIXTURES / "invalid" / "place-without-wikidata.ttl"))
    assert code == 0
    assert out.endswith("\nconforms (0 violations, 1 warning in 1 node)\n")
    assert "error" not in err


def test_the_second_engine_prints_the_same_report(capsys):
    from test_shapes import second_engine

    second_engine()
    code, out, _ = run(capsys, "--engine", "topbraid", str(FIXTURES / "invalid" / "several-faults.ttl"))
    assert code == 1
    assert out == SEVERAL


# --- machine reports ---------------------------------------------------------------

CITY_FIXTURE = FIXTURES / "invalid" / "cluster-city-class.ttl"
CITY_NS = "http://example.org/test/cluster-city-class/"


def test_json_report(capsys):
    code, out, _ = run(capsys, "--format", "json", str(CITY_FIXTURE))
    assert code == 1
    report = json.loads(out)
    assert {k: report[k] for k in ("conforms", "engine", "inference", "violations", "warnings", "nodes")} == {
        "conforms": False,
        "engine": "fast",
        "inference": "none",
        "violations": 1,
        "warnings": 0,
        "nodes": 1,
    }
    assert report["results"] == [
        {
            "focus": CITY_NS + "cluster",
            "label": "Test cluster",
            "path": CKG + "city",
            "component": str(SH.ClassConstraintComponent),
            "severity": str(SH.Violation),
            "message": "A city of Test cluster (ckg:city) is not a ckg:City",
            "value": f"<{CITY_NS}occitanie>",
            "source_shape": CKS + "Organization-city",
            "file": str(project.ROOT / CITY_FIXTURE),
            "line": 16,
        }
    ]


def test_json_report_of_the_project_lists_the_warnings(capsys):
    code, out, _ = run(capsys, "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["conforms"] is True
    # the places without a Wikidata link: départements, the smaller towns, the road
    labels = sorted(r["label"] for r in report["results"])
    assert labels == [
        "Alès",
        "Aude",
        "Aveyron",
        "Carcassonne",
        "Gard",
        "Haute-Garonne",
        "Hautes-Pyrénées",
        "Hérault",
        "Lozère",
        "Mende",
        "Montpellier",
        "Nîmes",
        "Paris (department)",
        "Perpignan",
        "Pyrénées-Orientales",
        "RN113 (French national road 113)",
        "Rodez",
        "Tarbes",
    ]
    assert {r["path"] for r in report["results"]} == {"http://www.w3.org/2004/02/skos/core#exactMatch"}
    assert {(r["file"], r["severity"]) for r in report["results"]} == {
        (str(project.ROOT / "data" / "places.ttl"), str(SH.Warning)),
        (str(project.ROOT / "data" / "places-manual.ttl"), str(SH.Warning)),
    }


def test_turtle_report_is_the_shacl_validation_report(capsys):
    code, out, _ = run(capsys, "--format", "turtle", str(FIXTURES / "invalid" / "several-faults.ttl"))
    assert code == 1
    g = rdflib.Graph().parse(data=out, format="turtle")
    report = g.value(None, RDF.type, SH.ValidationReport, any=False) or next(g.subjects(RDF.type, SH.ValidationReport))
    assert g.value(report, SH.conforms).toPython() is False
    results = {
        (
            str(g.value(r, SH.focusNode)).rsplit("/", 1)[-1],
            str(g.value(r, SH.resultPath)),
            str(g.value(r, SH.sourceConstraintComponent)),
            str(g.value(r, SH.resultSeverity)),
        )
        for r in g.objects(report, SH.result)
    }
    assert results == {
        ("cluster", CKG + "city", str(SH.ClassConstraintComponent), str(SH.Violation)),
        ("cluster", str(rdflib.RDFS.label), str(SH.QualifiedMinCountConstraintComponent), str(SH.Violation)),
        ("obs", CKG + "qualifier", str(SH.MinCountConstraintComponent), str(SH.Violation)),
        ("obs", CKG + "value", str(SH.MinInclusiveConstraintComponent), str(SH.Violation)),
        ("mende", str(rdflib.SKOS.exactMatch), str(SH.QualifiedMinCountConstraintComponent), str(SH.Warning)),
    }
    assert all(g.value(r, SH.resultMessage) is not None for r in g.objects(report, SH.result))


def test_turtle_report_conforms_when_only_warnings(capsys):
    code, out, _ = run(capsys, "--format", "turtle", str(FIXTURES / "invalid" / "place-without-wikidata.ttl"))
    assert code == 0
    g = rdflib.Graph().parse(data=out, format="turtle")
    report = next(g.subjects(RDF.type, SH.ValidationReport))
    assert g.value(report, SH.conforms).toPython() is True
    assert len(list(g.objects(report, SH.result))) == 1


# --- input that cannot be read ------------------------------------------------------

_EXPECT_ERROR = re.compile(r"^# expect-error: (.*)$", re.MULTILINE)


@pytest.mark.parametrize("path", MALFORMED, ids=lambda p: p.stem)
def test_malformed_file_exit_2_with_file_line_and_reason(capsys, path):
    where_and_why = _EXPECT_ERROR.search(path.read_text(encoding="utf-8")).group(1)
    relative = path.relative_to(project.ROOT)
    code, out, err = run(capsys, str(relative))
    assert code == 2
    assert out == ""
    assert err == f"error: {relative}:{where_and_why}\n"
    assert "Traceback" not in err


def test_malformed_fixtures_cover_the_kinds_of_bad_input():
    assert {p.stem for p in MALFORMED} == {"bad-syntax", "unknown-prefix", "ill-typed-literal", "ill-typed-date"}


def test_missing_file_exit_2(capsys):
    code, out, err = run(capsys, "tests/fixtures/invalid/does-not-exist.ttl")
    assert code == 2
    assert out == ""
    assert err == "error: tests/fixtures/invalid/does-not-exist.ttl: cannot read file: No such file or directory\n"


def test_a_bad_shapes_file_is_an_input_error_too(tmp_path):
    root = tmp_path / "project"
    for folder in ("ontology", "data"):
        (root / folder).mkdir(parents=True)
        for f in (project.ROOT / folder).glob("*.ttl"):
            (root / folder / f.name).write_bytes(f.read_bytes())
    (root / "shapes").mkdir()
    (root / "shapes" / "broken.ttl").write_text(
        (
            "@prefix sh: <http://www.w3.org/ns/shacl#> .\n<s> sh:minCount "
            '"one"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
        ),
        encoding="utf-8",
    )
    with pytest.raises(graph.LoadError) as e:
        validate.validate_files(root=root)
    assert str(e.value) == f'{root / "shapes" / "broken.ttl"}:2: "one" is not a valid xsd:integer'


# --- options ------------------------------------------------------------------------


def test_options_offer_every_engine_and_inference():
    from clusterkg.cli import cli

    params = {p.name: p for p in cli.commands["validate"].params}
    assert list(params["engine"].type.choices) == list(engines.ENGINES)
    assert list(params["inference"].type.choices) == list(engines.INFERENCE)
    assert params["inference"].default == validate.DEFAULT_INFERENCE == "none"
    assert params["engine"].default == validate.DEFAULT_ENGINE == "fast"


def test_unknown_format_is_a_usage_error(capsys):
    code, _, _ = run(capsys, "--format", "xml")
    assert code == 64


def test_rdfs_inference_hides_a_city_that_is_a_region(capsys):
    """Why the default is none (README, Validating)."""
    code, out, _ = run(capsys, "--inference", "rdfs", str(CITY_FIXTURE))
    assert (code, out) == (0, "conforms\n")


# --- for other commands (clusterkg load --validate) ------------------------------------


def test_conforms_and_validate_store_on_the_embedded_store():
    store = graph.load_project()
    assert validate.conforms(store) is True
    report = validate.validate_store(store)
    assert report.conforms and len(report.results) == 18 and not report.violations  # 18 places without Wikidata


def test_conforms_is_false_for_a_store_with_a_violation():
    files = graph.project_files() + [graph.GraphFile.for_path(project.ROOT / CITY_FIXTURE)]
    store = graph.build_store(files)
    assert validate.conforms(store) is False
    report = validate.validate_store(store)
    assert {r.key for r in report.violations} == {
        (CITY_NS + "cluster", CKG + "city", str(SH.ClassConstraintComponent), str(SH.Violation))
    }


# --- the fast engine against the reference, --data, the "%" pitfall ------------------------


def _full(v: validate.Validation) -> list[tuple]:
    return sorted((*r.key, r.source_shape, r.value or "") for r in v.report.results)


def test_fast_engine_gives_pyshacls_results_on_the_project_and_every_invalid_fixture():
    invalid = sorted((project.ROOT / FIXTURES / "invalid").glob("*.ttl"))
    for files in ((), invalid):
        fast = validate.validate_files(files, engine="fast")
        reference = validate.validate_files(files, engine="pyshacl")
        assert _full(fast) == _full(reference)
        assert [(f.file, f.line, f.message, f.value) for f in fast.findings] == [
            (f.file, f.line, f.message, f.value) for f in reference.findings
        ]
    assert len(fast.report.results) > 100


def test_data_folder_option(capsys, tmp_path):
    (tmp_path / "a.ttl").write_text(
        (project.ROOT / FIXTURES / "invalid" / "cluster-no-city-no-region.ttl").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "--data", str(tmp_path))
    assert code == 1
    assert out.endswith(
        "a.ttl:15\n  Violation: Cap Digital has no city and no region: say where the cluster is "
        "(ckg:city or ckg:region)\n\n1 violation, 0 warnings in 1 node\n"
    )


def test_data_folder_without_turtle_is_refused(capsys, tmp_path):
    code, _, err = run(capsys, "--data", str(tmp_path))
    assert code == 2
    assert f"{tmp_path}: no *.ttl file in this folder" in err


@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
def test_a_string_typed_explicitly_is_the_same_term(engine, tmp_path):
    """RDF 1.1: "%" and "%"^^xsd:string are one term, for the loader and every engine
    (sh:hasValue "%" of a funding share's unit)."""
    text = (project.ROOT / FIXTURES / "valid").glob("*.ttl")
    shares = [p for p in text if '"%"' in p.read_text(encoding="utf-8")]
    assert shares, "a valid fixture with a funding share"
    typed = tmp_path / "typed.ttl"
    source = shares[0].read_text(encoding="utf-8").replace('"%"', '"%"^^<http://www.w3.org/2001/XMLSchema#string>')
    typed.write_text(source, encoding="utf-8")
    assert validate.validate_files([typed], engine=engine).report.results == []


def test_line_index_finds_subjects_written_either_way(tmp_path):
    path = tmp_path / "x.ttl"
    path.write_text(
        "@prefix ck: <https://w3id.org/clusterkg/id/> .\n\n"
        "ck:a ck:p ck:b .\n<https://w3id.org/clusterkg/id/c> ck:p ck:b .\n  ck:a ck:q 1 .\n",
        encoding="utf-8",
    )
    pf = graph.ParsedFile(graph.GraphFile.for_path(path), {"ck": "https://w3id.org/clusterkg/id/"})
    index = validate.LineIndex([pf])
    assert index.find("https://w3id.org/clusterkg/id/a") == (pf, 3)
    assert index.find("https://w3id.org/clusterkg/id/c") == (pf, 4)
    assert index.find("https://w3id.org/clusterkg/id/b") is None


def test_line_index_of_the_findings_gives_the_lines_of_the_full_index(tmp_path):
    """LineIndex(parsed, iris) searches only the focus nodes' spellings: the same
    file and line as the full index for every subject of the project's data (and
    of a file with CRLF line ends, indexed line by line)."""
    crlf = tmp_path / "crlf.ttl"
    crlf.write_bytes(b"@prefix ck: <https://w3id.org/clusterkg/id/> .\r\n\r\nck:a ck:p ck:b .\r\n  ck:c ck:p 1 .\r\n")
    parsed = validate.load().data + [
        graph.ParsedFile(graph.GraphFile.for_path(crlf), {"ck": project.ID_NS, "": "urn:x:"})
    ]
    full = validate.LineIndex(parsed)
    subjects = {iri for _, first in full.files for iri in first} | {"urn:x:", project.ID_NS + "nowhere"}
    assert len(subjects) > 400
    some = validate.LineIndex(parsed, subjects)
    assert {iri: some.find(iri) for iri in subjects} == {iri: full.find(iri) for iri in subjects}
    assert full.find(project.ID_NS + "c") == (parsed[-1], 4)
    assert validate.LineIndex(parsed, [project.ID_NS + "paris"]).find(project.ID_NS + "paris") == full.find(
        project.ID_NS + "paris"
    )


def test_the_ontology_set_aside_for_the_fast_engine_is_put_back(monkeypatch):
    """The fast engine validates the data as the union of the store's named graphs:
    the ontology graphs are set aside meanwhile, and put back, also on an error."""
    loaded = validate.load([FIXTURES / "invalid" / "several-faults.ttl"])
    before = sorted(map(str, loaded.store))
    ontology = {pf.file.graph for pf in loaded.ontology}
    seen = []

    def spy(self, store, graphs, *args, **kwargs):
        seen.append({g.value for g in store.named_graphs()} & ontology)
        raise engines.EngineError("stop")

    assert len(validate.validate_loaded(loaded).findings) == 5
    assert sorted(map(str, loaded.store)) == before
    monkeypatch.setattr(engines.FastEngine, "validate_store", spy)
    with pytest.raises(engines.EngineError):
        validate.validate_loaded(loaded)
    assert seen == [set()] and sorted(map(str, loaded.store)) == before


def test_an_ontology_file_given_as_data_is_validated_as_data(monkeypatch):
    """(Its graph is then data, not set aside: the same results as pySHACL's.)"""
    ontology = project.ROOT / "ontology" / "clusterkg.ttl"
    real, seen = engines.FastEngine.validate_store, []

    def spy(self, store, graphs, *args, **kwargs):
        seen.append({g.value for g in store.named_graphs()})
        return real(self, store, graphs, *args, **kwargs)

    monkeypatch.setattr(engines.FastEngine, "validate_store", spy)
    fast, reference = (validate.validate_files([ontology], engine=e) for e in ("fast", "pyshacl"))
    assert graph.graph_iri(ontology) in seen[0]
    assert _full(fast) == _full(reference)


def test_progress_is_shown_on_a_terminal_only():
    import io

    from clusterkg.progress import progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Tty(), io.StringIO()
    with progress("validating", stream=tty, interval=0) as say:
        say("shape 1/2")
    with progress("validating", stream=pipe, interval=0) as say:
        say("shape 1/2")
    assert "validating: shape 1/2 (" in tty.getvalue() and tty.getvalue().endswith("\r\x1b[K")
    assert pipe.getvalue() == ""
