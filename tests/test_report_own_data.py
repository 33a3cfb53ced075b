"""The report on a user's own graph: every canned query answers (parameters
asked with values the graph holds) and a long answer says how long it is."""

from __future__ import annotations

import pytest

from clusterkg import query, report, synthetic


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    synthetic.generate(folder, 40_000)
    return report.build(tmp_path_factory.mktemp("out"), files=sorted(folder.glob("*.ttl")))


def test_every_query_answers_on_a_graph_without_the_defaults(synthetic_report):
    assert [q.name for q in synthetic_report.failed] == []
    asked = {q.name: {p["name"]: (p["value"], p["source"]) for p in q.parameters} for q in synthetic_report.queries}
    first = "the first of its class in this graph: the default and example are not in it"
    assert asked["cluster-partners"] == {"cluster": (synthetic.CK + "cluster-0", first)}
    assert asked["cities-reachable"] == {"city": (synthetic.CK + "city-0", first)}
    assert asked["network-members"] == {"network": (synthetic.CK + "network-0", first)}
    assert asked["entity-figures"] == {"entity": (synthetic.CK + "cluster-0", first)}
    assert asked["timeline"] == {"from_year": ("2000", "default")}


def test_asked_parameters_on_the_project_are_the_defaults(store):
    assert query.asked_parameters(query.get("cluster-partners"), store) == {
        "cluster": ("https://w3id.org/clusterkg/id/cap-digital", "default")
    }
    assert query.asked_parameters(query.get("find-by-label"), store) == {"text": ("REDICT", "example")}


def test_a_long_answer_shows_its_first_rows_and_counts_them_all(monkeypatch, tmp_path):
    monkeypatch.setattr(report, "ROW_LIMIT", 3)
    built = report.build(tmp_path)
    clusters = next(q for q in built.queries if q.name == "clusters")
    whole = query.run("clusters")
    assert len(whole.rows) > 3
    assert clusters.total == len(whole.rows)
    assert [row[1].text for row in clusters.table.rows] == [row[1] for row in whole.rows[:3]]  # the labels
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert f"… and {len(whole.rows) - 3} more (top 3 shown)" in page
