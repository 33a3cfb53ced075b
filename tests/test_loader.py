"""Loading: one named graph per file, clear errors for bad input, nothing half-loaded."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from clusterkg import graph, project
from clusterkg.cli import main

GOOD = "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n"


def test_one_named_graph_per_file(store):
    graphs = {g.value for g in store.named_graphs()}
    assert graphs == {
        project.GRAPH_NS + name
        for name in (
            "ontology/alignments",
            "ontology/clusterkg",
            "ontology/places",
            "ontology/vocabulary",
            "data/agreements",
            "data/clusters",
            "data/networks",
            "data/observations",
            "data/places",
            "data/places-manual",
            "data/sources",
        )
    }


@pytest.mark.parametrize(
    "text, line, reason",
    [
        (
            '@prefix ex: <http://example.org/> .\nex:a ex:b "unterminated .\n',
            2,
            "Turtle syntax error: Unexpected end of file",
        ),
        (
            "@prefix ex: <http://example.org/> .\nex:a foo:b ex:c .\n",
            2,
            "Turtle syntax error: The prefix foo: has not been declared",
        ),
        (
            (
                "@prefix ex: <http://example.org/> .\n@prefix xsd: "
                '<http://www.w3.org/2001/XMLSchema#> .\n\nex:a ex:b "abc"^^xsd:integer .\n'
            ),
            4,
            '"abc" is not a valid xsd:integer',
        ),
        (
            (
                "@prefix ex: <http://example.org/> .\n@prefix xsd: "
                '<http://www.w3.org/2001/XMLSchema#> .\nex:a ex:b "2019-02-30"^^xsd:date .\n'
            ),
            3,
            '"2019-02-30" is not a valid xsd:date',
        ),
    ],
)
def test_bad_input_names_file_line_and_reason(tmp_path, text, line, reason):
    bad = tmp_path / "bad.ttl"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(graph.LoadError) as info:
        graph.build_store([graph.GraphFile.for_path(bad)])
    assert info.value.path == bad
    assert info.value.line == line
    assert info.value.reason == reason
    assert str(info.value).startswith(f"{bad}:{line}")


def test_missing_file(tmp_path):
    with pytest.raises(graph.LoadError) as info:
        graph.build_store([graph.GraphFile.for_path(tmp_path / "nope.ttl")])
    assert str(info.value) == f"{tmp_path / 'nope.ttl'}: cannot read file: No such file or directory"


def test_a_bad_file_leaves_an_on_disk_store_unchanged(tmp_path):
    good, bad = tmp_path / "good.ttl", tmp_path / "bad.ttl"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n", encoding="utf-8")
    location = tmp_path / "store"
    graph.build_store([graph.GraphFile.for_path(good)], path=location).flush()
    with pytest.raises(graph.LoadError):
        graph.build_store([graph.GraphFile.for_path(bad), graph.GraphFile.for_path(good)], path=location)
    reopened = ox.Store(str(location))
    assert len(reopened) == 1


def test_stats_cli_prints_triples_per_graph_and_instances_per_class(capsys):
    # places.ttl (generated): 384 triples about the places, 108 supports (702 triples)
    # naming 224 triples (672 triples: subject, predicate, object), 3 package
    # sources (24 triples) = 1782; places-manual.ttl: the road RN113 and its supports
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    lines = {" ".join(line.replace("│", " ").split()) for line in out.splitlines()}
    assert "https://w3id.org/clusterkg/graph/data/places 1782" in lines
    assert "https://w3id.org/clusterkg/graph/data/places-manual 20" in lines
    assert "ckg:Department 9" in lines
    assert "geo:Geometry 16" in lines
    assert "ckg:Country 19" in lines
    assert "ckg:City 16" in lines
    assert "ckg:Antenna 7" in lines
    assert "ckg:Cluster 7" in lines


def test_stats_cli_on_a_bad_file_exits_2_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a foo:b ex:c .\n", encoding="utf-8")
    assert main(["stats", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2:6: Turtle syntax error: The prefix foo: has not been declared" in " ".join(err.split())
    assert "Traceback" not in err
