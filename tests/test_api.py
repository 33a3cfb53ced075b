"""The Python API (clusterkg.api), and the README's example of it, run as written."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import io
import re
from pathlib import Path

import pytest

import clusterkg
from clusterkg import api, graph, project, query

README = Path(__file__).resolve().parent.parent / "README.md"
CK = project.ID_NS


def readme_python_blocks() -> list[tuple[int, str]]:
    """The ```python blocks of the README's "Python API" section, with their first line."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Python API") :]
    section = section[: section.index("\n## ", 1)]
    offset = text[: text.index("## Python API")].count("\n")
    return [
        (offset + section[: m.start()].count("\n") + 2, m.group(1))
        for m in re.finditer(r"^```python\n(.*?)^```", section, re.S | re.M)
    ]


def test_the_readme_python_example_runs_and_prints_what_its_comments_say():
    [(line, code)] = readme_python_blocks()
    expected = [m.group(1) for m in re.finditer(r"^print\(.*\)\s+# (.*)$", code, re.M)]
    assert len(expected) >= 4, "every print of the example says what it prints"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"README.md:{line}", "exec"), {})  # noqa: S102 - the README's own example
    assert out.getvalue().splitlines() == expected


@pytest.fixture(scope="module")
def kg() -> api.KnowledgeGraph:
    return clusterkg.open()


def test_open_loads_the_ontology_and_the_data_one_graph_per_file(kg, store):
    assert len(kg.store) == len(store)
    assert [gf.graph for gf in kg.files] == [gf.graph for gf in graph.project_files()]
    assert repr(kg) == f"<KnowledgeGraph: {len(store)} triples in {len(kg.files)} named graphs>"


def test_stats(kg, store):
    stats = kg.stats()
    assert stats.triples == len(store)
    per_graph: dict[str, int] = {}
    for q in store:
        per_graph[q.graph_name.value] = per_graph.get(q.graph_name.value, 0) + 1
    assert stats.graphs == per_graph
    assert stats.classes["ckg:CompetitivenessCluster"] == 1
    assert stats.classes["ckg:DigitalClusterAssociation"] == 1


def test_query_rows_are_dicts_and_take_curies(kg):
    rows = kg.query("cluster-sites", cluster="ck:cap-digital")
    assert rows.columns == ("cluster", "kind", "site", "town", "region", "country")
    assert list(rows) == [
        {
            "cluster": CK + "cap-digital",
            "kind": "seat",
            "site": None,
            "town": "Paris",
            "region": "Île-de-France",
            "country": "France",
        }
    ]
    assert rows[0] == list(rows)[0] and rows[:1] == list(rows)
    assert len(rows) == 1
    # the same as the full IRI
    assert list(kg.query("cluster-sites", cluster=CK + "cap-digital")) == list(rows)


def test_query_values_are_python_values(kg):
    # an xsd:integer parameter given as an int; the query's date is a plain string ("2019-02-05")
    rows = kg.query("timeline", from_year=2007)
    assert [(r["from_year"], r["date"], r["subject"]) for r in rows] == [
        (2007, "2019-02-05", CK + "digital-113"),
        (2007, "2019-02-05", CK + "digital-113-merger"),
        (2007, "2019-02-05", CK + "digital-113-launch"),
    ]
    # an xsd:date value is a datetime.date
    assert query.normalise_term(query.ox.Literal("2019-02-05", datatype=query.ox.NamedNode(query.XSD_DATE))) == dt.date(
        2019, 2, 5
    )


def test_query_refuses_a_bad_parameter(kg):
    with pytest.raises(
        query.QueryError,
        match=r'query "cluster-sites": parameter "cluster": '
        r"<https://w3id.org/clusterkg/id/paris> is not a ckg:Cluster",
    ):
        kg.query("cluster-sites", cluster="ck:paris")
    with pytest.raises(query.QueryError, match=r'unknown query "nope"'):
        kg.query("nope")


@pytest.mark.skipif(importlib.util.find_spec("pandas") is None, reason="pandas (clusterkg[pandas]) not installed")
def test_to_dataframe(kg):
    frame = kg.query("network-members").to_dataframe()
    assert list(frame.columns) == ["network", "member", "memberLabel", "city", "country", "initiator"]
    assert sorted(frame["city"]) == ["Amsterdam", "Berlin", "Bucharest", "Copenhagen", "Dublin", "Paris"]


def test_to_dataframe_without_pandas_says_what_to_install(kg, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'clusterkg\[pandas\]'"):
        kg.query("network-members").to_dataframe()


def test_open_a_file_or_a_folder(tmp_path):
    one = tmp_path / "one.ttl"
    one.write_text(
        "@prefix ck: <https://w3id.org/clusterkg/id/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'ck:x rdfs:label "x"@en .\n',
        encoding="utf-8",
    )
    ontology = sum(len(list(graph.build_store([gf]))) for gf in graph.project_files(data=False))
    for data in (one, str(one), [one], tmp_path):
        kg = clusterkg.open(data)
        assert [gf.path for gf in kg.files][-1] == one
        assert kg.stats().triples == ontology + 1


def test_open_refuses_a_bad_file_with_its_line(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a foo:b ex:c .\n", encoding="utf-8")
    with pytest.raises(
        graph.LoadError, match=r"bad.ttl:2:6: Turtle syntax error: The prefix foo: has not been declared"
    ):
        clusterkg.open(bad)


def test_validate_a_file_with_violations():
    fixture = Path(__file__).parent / "fixtures" / "invalid" / "several-faults.ttl"
    report = clusterkg.open(fixture).validate()
    assert (report.conforms, report.violations, report.warnings) == (False, 4, 1)


@pytest.mark.skipif(importlib.util.find_spec("clusterkg.why") is None, reason="clusterkg.why is not there yet")
def test_why_gives_the_support_of_a_triple(kg):
    answer = kg.why("ck:cap-digital", "org:memberOf", "ck:redict")
    assert answer


def test_version_is_written_once(capsys):
    from clusterkg.cli import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"clusterkg {clusterkg.__version__}\n"
    pyproject = (README.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = { attr = "clusterkg.__version__" }' in pyproject


def test_load_into_a_server_replaces_each_graph(kg, store, tmp_path):
    from servers import oxigraph_server

    from clusterkg import remote

    with oxigraph_server(tmp_path / "store") as server:
        report = kg.load(server.base_url)
        assert report.triples == len(store)
        graphs = [gf.graph for gf in kg.files]
        expected = {g: sum(1 for _ in store.quads_for_pattern(None, None, None, query.ox.NamedNode(g))) for g in graphs}
        assert {gl.file.graph: (gl.before, gl.after) for gl in report.graphs} == {
            g: (0, n) for g, n in expected.items()
        }
        # the server holds a new version of each graph, named by its catalogue
        with remote.SparqlClient(remote.Endpoints.for_server(server.base_url, "oxigraph"), timeout=30) as client:
            assert remote.Reader(client).counts() == expected
