"""The network picture: the graph it draws, and the SVG and PNG files."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterkg import graph, picture, project, synthetic
from clusterkg.cli import main

CK = project.ID_NS
CKG = project.ONTOLOGY_NS


@pytest.fixture(scope="module")
def drawn(store, tmp_path_factory) -> picture.Picture:
    return picture.picture(store, tmp_path_factory.mktemp("picture") / "network")


def test_nodes_of_the_seed_graph(drawn):
    g = drawn.graph
    expected = {
        CK + "cap-digital": (CKG + "Cluster", "Cap Digital"),
        CK + "digital-113": (CKG + "Cluster", "Digital 113"),
        CK + "paris": (CKG + "City", "Paris"),
        CK + "san-francisco": (CKG + "City", "San Francisco"),
        CK + "redict": (CKG + "InterClusterNetwork", "REDICT"),
        CK + "immediate": (CKG + "Project", "ImMediaTe"),
        CK + "digital-sister-cities-agreement": (
            CKG + "Agreement",
            "Digital Sister Cities agreement (San Francisco - Paris)",
        ),
        CK + "france": (CKG + "Country", "France"),
    }
    for node, (kind, label) in expected.items():
        assert g.nodes[node]["kind"] == kind, node
        assert g.nodes[node]["label"] == label, node
    assert drawn.note == f"all {g.number_of_nodes()} nodes"


def test_ties_of_the_seed_graph(drawn):
    g = drawn.graph
    ties = {(s, t, d["label"]) for s, t, d in g.edges(data=True)}
    assert (CK + "cap-digital", CK + "redict", "member of") in ties
    assert (CK + "redict", CK + "cap-digital", "initiated by") in ties
    assert (CK + "cap-digital", CK + "paris", "has city") in ties
    # the agreement is not a twinning: no tie between the two cities
    assert not g.has_edge(CK + "paris", CK + "san-francisco")
    assert (CK + "digital-sister-cities-agreement", CK + "san-francisco", "signatory") in ties
    assert (CK + "digitalplace", CK + "digital-113", "merged into") in ties
    assert (CK + "digital-113", CK + "perpignan", "antenna in") in ties
    # the REDICT members: Cap Digital and the clusters of five cities
    members = {s for s, t, d in g.in_edges(CK + "redict", data=True) if d["label"] == "member of"}
    cities = {g.nodes[c]["label"] for m in members for _, c, d in g.out_edges(m, data=True) if d["label"] == "has city"}
    assert cities == {"Amsterdam", "Berlin", "Bucharest", "Copenhagen", "Dublin", "Paris"}
    # no isolated node: a country only a support activity targets is not drawn
    assert CK + "brazil" not in g
    assert all(g.degree(n) > 0 for n in g)


def test_files(drawn):
    svg, png = drawn.files["svg"], drawn.files["png"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 50_000
    assert svg.stat().st_size > 30_000
    text = svg.read_text(encoding="utf-8")
    # text stays text in the SVG, and every node carries its IRI
    for label in ("Cap Digital", "Digital 113", "Paris", "San Francisco", "REDICT", "member of (×6)"):
        assert f">{label}<" in text, label
    for node in drawn.graph:
        assert f'id="node {node}"' in text, node
    assert "inter-cluster network" in text and "signatory" in text  # the legends


def test_layout_has_no_overlapping_node_boxes():
    sizes = {"a": (40.0, 20.0), "b": (40.0, 20.0), "c": (40.0, 20.0)}
    pos = picture.declutter({"a": (0.0, 0.0), "b": (5.0, 2.0), "c": (0.0, 1.0)}, sizes)
    for x in pos:
        for y in pos:
            if x < y:
                dx, dy = abs(pos[x][0] - pos[y][0]), abs(pos[x][1] - pos[y][1])
                assert dx >= 40 or dy >= 20, (x, y)


@pytest.fixture(scope="module")
def large_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    generated = synthetic.generate(folder, 20_000)
    return graph.build_store(graph.project_files(data=False) + [graph.GraphFile.for_path(p) for p in generated.files])


def test_large_graph_keeps_clusters_and_networks(large_store, tmp_path):
    full = picture.network(large_store)
    assert full.number_of_nodes() > picture.MAX_NODES
    pic = picture.picture(large_store, tmp_path / "large", formats=("svg",))
    kinds = {d["kind"] for _, d in pic.graph.nodes(data=True)}
    assert kinds <= set(picture.CORE_KINDS)
    assert pic.graph.number_of_nodes() <= picture.MAX_NODES
    assert "too many" in pic.note and "--focus" in pic.note


def test_focus_draws_a_neighbourhood(large_store, store, tmp_path):
    pic = picture.picture(store, tmp_path / "focus", focus=CK + "redict", hops=1, formats=("svg",))
    assert set(pic.graph) == {CK + "redict", CK + "cap-digital"} | {
        CK + f"redict-cluster-{c}" for c in ("amsterdam", "berlin", "bucharest", "copenhagen", "dublin")
    }
    assert pic.note.startswith("neighbourhood of REDICT within 1 tie:")
    full = picture.network(large_store)
    hub = max(full, key=full.degree)
    pic = picture.picture(large_store, tmp_path / "hub", focus=hub, hops=3, max_nodes=30, formats=("svg",))
    assert pic.graph.number_of_nodes() == 30 and hub in pic.graph
    assert "(the 30 nearest)" in pic.note


def test_cli(tmp_path, capsys):
    out = tmp_path / "pic" / "network"
    assert main(["picture", "--out", str(out), "--focus", "ck:cap-digital", "--hops", "1"]) == 0
    assert Path(str(out) + ".svg").exists() and Path(str(out) + ".png").exists()
    assert "neighbourhood of Cap Digital" in capsys.readouterr().out
    assert main(["picture", "--out", str(out), "--focus", "ck:nowhere"]) == 3
