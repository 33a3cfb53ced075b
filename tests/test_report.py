"""``clusterkg report``: the page is written, self-contained, with every section
and the exact answers of the seed graph, in English and in French (a page per
named cluster with the supports of its facts, the index of clusters, the
network's and the map's data); everything from the graph is escaped. The
browser (what the scripts draw) is tested in test_report_browser.py."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest

from clusterkg import project, query, report
from clusterkg.cli import main

CK = project.ID_NS


class Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts, keyed by the id of the
    closest enclosing element that has one (a section or a query's div)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: list[str | None] = []
        self.tables: dict[str, list[list[list[str]]]] = {}
        self.table = self.row = self.cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("section", "div", "figure", "article"):
            self.ids.append(a.get("id"))
        elif tag == "table":
            self.table = []
        elif tag == "tr" and self.table is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("section", "div", "figure", "article") and self.ids:
            self.ids.pop()
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.table.append(self.row)
            self.row = None
        elif tag == "table" and self.table is not None:
            owner = next((i for i in reversed(self.ids) if i), "")
            self.tables.setdefault(owner, []).append(self.table)
            self.table = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    code = main(["report", "--out", str(out)])
    return code, out, (out / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(built) -> str:
    return built[2]


@pytest.fixture(scope="module")
def tables(page) -> dict[str, list[list[list[str]]]]:
    parser = Tables()
    parser.feed(page)
    return parser.tables


def answer(tables, name: str) -> list[dict[str, str]]:
    """The answer table of query ``name`` as dicts (the second table of its
    section when it has parameters, else the first)."""
    found = tables[f"q-{name}"]
    t = found[-1]
    header, rows = t[0], t[1:]
    return [dict(zip(header, r, strict=False)) for r in rows]


def test_command_succeeds_and_writes_the_page_and_picture(built, capsys):
    code, out, page = built
    assert code == 0
    assert (out / "network.svg").stat().st_size > 30_000
    assert (out / "network.png").stat().st_size > 50_000
    assert page.startswith("<!DOCTYPE html>")


def test_prints_a_summary_with_the_path(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert f"report: {tmp_path / 'r' / 'index.html'}" in out
    assert "validation: conforms" in out
    assert re.search(r"queries: \d+ run, \d+ rows, 0 failed", out)
    assert "open it in a browser: file://" in out


def test_sections(page):
    for section in ("summary", "validation", "picture", "queries"):
        assert f'<section id="{section}">' in page
    for heading in ("Triples per named graph", "Entities per class", "Source documents"):
        assert f"<h3>{heading}</h3>" in page


def test_self_contained(page):
    # CSS, scripts and map inline, picture inline as SVG, nothing fetched from elsewhere
    assert "<style>" in page and '<link rel="stylesheet"' not in page
    assert not re.search(r"<(?:img|script|link|iframe)\b[^>]*\bsrc=", page)
    assert not re.search(r'<(?:img|script|link|iframe)[^>]+(?:src|href)="https?://', page)
    for library in ("Cytoscape Consortium", "https://d3js.org/d3-geo/", "topojson-client"):
        assert library in page
    assert '"countries":{"type":"GeometryCollection"' in page  # Natural Earth, world-atlas
    svg = page[page.index('<section id="picture">') : page.index('<section id="queries">')]
    assert "<svg" in svg
    for label in ("Cap Digital", "Digital 113", "Paris", "San Francisco", "REDICT"):
        assert f">{label}<" in svg


def test_summary_tables(tables):
    graphs, classes, sources = tables["summary"]
    by_graph = {r[0]: int(r[1].replace(",", "")) for r in graphs[1:]}  # 1,957
    assert set(by_graph) >= {project.GRAPH_NS + "data/clusters", project.GRAPH_NS + "ontology/clusterkg", "total"}
    assert by_graph["total"] == sum(v for k, v in by_graph.items() if k != "total")
    assert graphs[-1][1] == f"{by_graph['total']:,}"
    per_class = {r[0]: (r[1], int(r[2])) for r in classes[1:]}
    assert per_class["ckg:City"] == ("city", 16)
    assert per_class["ckg:CompetitivenessCluster"] == ("competitiveness cluster", 1)
    docs = {r[0]: r for r in sources[1:]}
    assert "ck:src-cap-digital" in docs and "ck:src-digital-113-article" in docs
    assert "000_c04aaa27fdb53316" in docs["ck:src-cap-digital"]


def test_validation_verdict(page, tables):
    section = page[page.index('<section id="validation">') : page.index('<section id="picture">')]
    assert '<span class="verdict ok">Conforms</span>' in section
    assert "0 violations" in section
    findings = tables["validation"][0]
    assert findings[0] == ["severity", "focus node", "path", "value", "message", "where"]
    rows = findings[1:]
    assert all(r[0] == "Warning" for r in rows)
    ales = next(r for r in rows if r[1] == "Alès")
    assert "has no Wikidata link" in ales[4] and ales[5].startswith("data/places.ttl:")


def test_every_canned_query_has_a_section(page, tables):
    for name, q in query.catalogue().items():
        div = f'<div class="query" id="q-{name}" lang="en">'
        assert div in page, name
        block = page[page.index(div) :]
        block = html.unescape(block[: block.index("</details>")])
        assert q.title in block and q.description in block
        assert "The query failed" not in block
        for p in q.parameters:
            assert p.name in block


def test_redict_members_and_their_cities(tables):
    rows = answer(tables, "network-members")
    assert {r["city"] for r in rows} == {"Amsterdam", "Berlin", "Bucharest", "Copenhagen", "Dublin", "Paris"}
    cap = next(r for r in rows if r["memberLabel"] == "Cap Digital")
    assert cap["initiator"] == "true" and cap["country"] == "France"
    # the question: the default parameter, shown with the type
    params = tables["q-network-members"][0]
    assert params[1][:3] == ["network", "iri ckg:InterClusterNetwork", "ck:redict (default)"]


def test_clusters_table(tables):
    rows = answer(tables, "clusters")
    labels = {r["clusterLabel"] for r in rows}
    assert {"Cap Digital", "Digital 113", "DigitalPlace", "FrenchSouth.digital"} <= labels
    cap = next(r for r in rows if r["clusterLabel"] == "Cap Digital")
    assert cap["city"] == "Paris" and cap["founded"] == "2006"


def test_html_is_escaped():
    """A value from the graph with markup in it comes out as text."""
    evil = '<script>alert("x")</script> & <b>'
    cells = [report.cell(ox.Literal(evil)), report.cell(ox.NamedNode("http://example.org/a?b=%3Cc%3E&d=1"))]
    t = report.Table(["v"], [[c] for c in cells])
    section = report.QuerySection(
        "x", "T <i>", "D <img src=x onerror=alert(1)>", [], "SELECT * WHERE { ?s ?p '<o>' }", t
    )
    page = _render_with(section)  # through the real template
    assert evil not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;" in page
    assert "<img src=x" not in page and "T &lt;i&gt;" in page
    assert "&#39;&lt;o&gt;&#39;" in page
    assert 'href="http://example.org/a?b=%3Cc%3E&amp;d=1"' in page


def _render_with(section, analysis=None) -> str:
    class FakeValidation:
        conforms, violations, warnings, engine, inference, seconds, prefixes, findings = (
            True,
            0,
            0,
            "e",
            "none",
            0.0,
            {},
            [],
        )

        def summary(self):
            return "conforms"

    class FakePicture:
        note, svg, files = "none", "", {}

        class graph:
            @staticmethod
            def number_of_nodes():
                return 0

            @staticmethod
            def number_of_edges():
                return 0

    empty = report.Table([], [])
    r = report.Report(
        Path("."),
        Path("index.html"),
        0,
        empty,
        empty,
        empty,
        FakeValidation(),
        [section],
        FakePicture(),
        {"graphs": 0, "clusters": 0, "named": 0, "unnamed": 0, "sources": 0},
        analysis,
    )
    return report.render(r)


def test_inline_svg_refuses_active_content():
    assert report.inline_svg('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>a</text></svg>')
    assert report.inline_svg('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') is None
    assert report.inline_svg('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>') is None
    assert (
        report.inline_svg(
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
            '<use x:href="http://evil/a.svg#x"/></svg>'
        )
        is None
    )


def test_non_conforming_data_still_gives_a_report_and_exit_1(tmp_path):
    """A copy of the project with a violation (and markup in a label): exit 1, the
    report is written, shows the violation, and the label comes out escaped."""
    import os
    import shutil
    import subprocess
    import sys

    root = tmp_path / "project"
    for folder in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(project.ROOT / folder, root / folder)
    clusters = root / "data" / "clusters.ttl"
    text = clusters.read_text(encoding="utf-8")
    old = 'rdfs:label "Cap Digital"@en , "Cap Digital"@fr ;'
    assert old in text
    clusters.write_text(text.replace(old, 'rdfs:label "Cap Digital <b>x</b>"@en ;'), encoding="utf-8")
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "clusterkg.cli", "report", "--out", str(out)],
        env={**os.environ, "CLUSTERKG_ROOT": str(root)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1, done.stderr
    assert "the data does not conform" in done.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<span class="verdict bad">Does not conform</span>' in page
    assert '<td class="sev-Violation">Violation</td>' in page
    assert "Cap Digital &lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page


# ------------------------------------------------------------ the analyst's page


@pytest.fixture(scope="module")
def built_fr(tmp_path_factory):
    out = tmp_path_factory.mktemp("report-fr")
    code = main(["report", "--lang", "fr", "--out", str(out)])
    return code, out, (out / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page_fr(built_fr) -> str:
    return built_fr[2]


@pytest.fixture(scope="module")
def tables_fr(page_fr):
    parser = Tables()
    parser.feed(page_fr)
    return parser.tables


def page_data(page: str) -> dict:
    """The JSON the page's scripts draw from."""
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def rows_of(table: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(table[0], r, strict=False)) for r in table[1:]]


NAMED = ["Cap Digital", "Digital 113", "DigitalPlace", "FrenchSouth.digital"]
ANCHORS = ["cluster-cap-digital", "cluster-digital-113", "cluster-digitalplace", "cluster-frenchsouth-digital"]


def test_index_counts_named_clusters_apart_from_unnamed(page, tables, page_fr, capsys):
    assert '<p id="cluster-count"><b>4 named clusters + 5 unnamed</b></p>' in page
    assert '<p id="cluster-count"><b>4 clusters nommés + 5 sans nom</b></p>' in page_fr
    index = rows_of(tables["clusters"][0])
    assert [r["cluster"] for r in index[:4]] == NAMED
    assert [r["named"] for r in index] == ["named"] * 4 + ["unnamed"] * 5
    assert {r["seat city"] for r in index[4:]} == {"Amsterdam", "Berlin", "Bucharest", "Copenhagen", "Dublin"}
    cap = index[0]
    assert (cap["kind"], cap["seat city"], cap["region"], cap["ties"]) == (
        "competitiveness cluster",
        "Paris",
        "Île-de-France",
        "36",
    )
    # named clusters link to their page, unnamed ones have none
    for anchor in ANCHORS:
        assert f'<article class="cluster" id="{anchor}">' in page
        assert f'<a href="#{anchor}"' in page
    assert page.count('<article class="cluster"') == 4
    assert 'id="cluster-redict-cluster-berlin"' not in page


def test_cluster_page_sections(tables):
    identity = {(r["property"], r["value"]) for r in rows_of(tables["cluster-digital-113-identity"][0])}
    assert ("founding date", "2019-02-05") in identity
    assert ("named after", "RN113 (French national road 113)") in identity
    assert {v for p, v in identity if p == "has strategic axis"} == {
        "Business & Growth",
        "Innovation & Transformation",
        "International",
        "Recruitment & Diversity",
        "Strategy & Financing",
    }
    seat = rows_of(tables["cluster-digital-113-seat"][0])
    assert [(r["property"], r["value"]) for r in seat if r["property"] != "antenna in"] == [("has region", "Occitania")]
    assert sorted(r["value"] for r in seat if r["property"] == "antenna in") == [
        "Alès",
        "Carcassonne",
        "Mende",
        "Nîmes",
        "Perpignan",
        "Rodez",
        "Tarbes",
    ]
    lineage = rows_of(tables["cluster-digital-113-lineage"][0])
    assert [(r["property"], r["with"], r["date"]) for r in lineage] == [
        ("merged from", "DigitalPlace", "2019-02-05"),
        ("merged from", "FrenchSouth.digital", "2019-02-05"),
    ]
    people = rows_of(tables["cluster-digital-113-people"][0])
    assert [(r["role"], r["person"]) for r in people] == [
        ("co-president", "Daniel Benchimol"),
        ("co-president", "Pierre Deniset"),
    ]
    # the predecessors' pages say where they went
    lineage = rows_of(tables["cluster-digitalplace-lineage"][0])
    assert [(r["property"], r["with"]) for r in lineage] == [("merged into", "Digital 113")]
    networks = {(r["property"], r["value"]) for r in rows_of(tables["cluster-cap-digital-networks"][0])}
    assert ("member of", "REDICT") in networks and ("initiated by (of REDICT)", "REDICT") in networks
    assert (
        "Cap Digital's support of companies abroad",
        "Brazil, Canada, China, Israel, Japan, South Korea, United States",
    ) in networks
    programmes = {(r["property"], r["value"]) for r in rows_of(tables["cluster-cap-digital-programmes"][0])}
    assert {v for p, v in programmes} >= {"INNET", "ImMediaTe", "Sebastian", "Eureka", "Eurostars"}


def test_figures_with_qualifiers_and_no_double_counting(tables):
    figs = rows_of(tables["cluster-digital-113-figures"][0])
    by = {(f["measure"], f["value"]): f for f in figs}
    assert set(by) == {
        ("operating budget", "≈\u00a01,200,000 EUR"),
        ("share of budget", "60%"),
        ("share of budget", "40%"),
        ("number of jobs", "≈\u00a017,000"),
        ("number of member companies", "400"),
        ("number of permanent staff", "11"),
    }
    # the 40 % public share once, with its two payers; the shares add up to the budget
    public = by[("share of budget", "40%")]
    assert public["paid by"] == "Occitanie Region (regional council) and local authorities of Occitanie (not named)"
    assert public["share of"] == "40% of “Digital 113 operating budget” = ≈\u00a0480,000 EUR (public subsidies)"
    own = by[("share of budget", "60%")]
    assert own["share of"] == "60% of “Digital 113 operating budget” = ≈\u00a0720,000 EUR (self-financing)"
    assert own["paid by"] == "Digital 113"
    assert sum(1 for f in figs if f["measure"] == "share of budget") == 2
    cap = {(f["measure"], f["category"]): f["value"] for f in rows_of(tables["cluster-cap-digital-figures"][0])}
    assert cap[("number of members", "")] == ">\u00a0650"
    assert cap[("projects labelled", "")] == "≈\u00a0540"
    assert cap[("projects received", "")] == ">\u00a01,250"
    assert cap[("investment in projects", "")] == ">\u00a0650,000,000 EUR"


def test_every_fact_shows_its_source_and_quote(page):
    block = page[page.index('id="cluster-digital-113"') : page.index('id="cluster-digitalplace"')]
    jobs = block[block.index("number of jobs") :]
    jobs = jobs[: jobs.index("</tr>")]
    assert re.search(r"« [^»]*près de 17 000 emplois »", html.unescape(jobs))
    assert "Digital 113, the new digital cluster of Occitanie (source article)" in html.unescape(jobs)
    # hover: the summary's title holds source and quote
    assert re.search(r'<summary title="[^"]*près de 17 000 emplois[^"]*">\[source\]</summary>', jobs)
    assert "stated in the text" in jobs
    # no fact of a named cluster's page without a support
    assert '<span class="none">' not in page


def test_network_and_map_data(page):
    data = page_data(page)
    net = data["network"]
    assert (len(net["nodes"]), len(net["edges"]), net["all_nodes"], net["all_edges"]) == (67, 110, 67, 110)
    kinds = Counter(n["kind"] for n in net["nodes"])
    assert kinds["Cluster"] == 9 and kinds["City"] == 16 and kinds["Mission"] == 2 and kinds["Person"] == 2
    assert kinds["SupportActivity"] == 1
    cap = next(n for n in net["nodes"] if n["label"] == "Cap Digital")
    assert cap["href"] == "#cluster-cap-digital"
    ties = {(e["source"].rsplit("/", 1)[-1], e["label"], e["target"].rsplit("/", 1)[-1]) for e in net["edges"]}
    assert ("digitalplace", "merged into", "digital-113") in ties
    assert ("digital-113", "antenna in", "ales") in ties
    assert ("daniel-benchimol", "co-president", "digital-113") in ties
    assert ("occitanie-regional-council", "pays part of the budget of", "digital-113") in ties
    assert ("cap-digital-company-support-abroad", "target country", "japan") in ties
    assert "<" not in page[page.index('id="report-data">') : page.index("</script>", page.index('id="report-data">'))]
    geo = data["geo"]
    # the 16 cities (all with coordinates); arcs: the sister cities, REDICT from its creator, the missions
    assert len(geo["points"]) == 16 and geo["unlocated"] == 24
    where = {p["id"]: p["label"] for p in geo["points"]}
    arcs = {tuple(sorted((where[a["from"]], where[a["to"]]))): a["labels"] for a in geo["arcs"]}
    assert set(arcs) == {
        ("Paris", "San Francisco"),
        ("Dublin", "Paris"),
        ("Copenhagen", "Paris"),
        ("Bucharest", "Paris"),
        ("Berlin", "Paris"),
        ("Amsterdam", "Paris"),
    }
    assert "Digital Sister Cities agreement (San Francisco - Paris)" in arcs[("Paris", "San Francisco")]
    assert arcs[("Berlin", "Paris")] == [
        "REDICT",
        "INNET mission to Berlin on free software",
        "INNET mission to Berlin on digital education",
    ]
    perpignan = next(p for p in geo["points"] if p["label"] == "Perpignan")
    assert perpignan["what"] == ["Digital 113: antenna in"]
    assert len(geo["countries"]) == 19 and geo["countries"]["250"] == "France"


def test_french_page(page_fr, tables_fr):
    assert page_fr.startswith('<!DOCTYPE html>\n<html lang="fr">')
    for heading in ("Clusters", "Réseau", "Carte", "Vue d’ensemble", "Validation", "Image du réseau", "Requêtes"):
        assert re.search(rf"<h2>{re.escape(heading)}</h2>", page_fr), heading
    analyst = page_fr[: page_fr.index('<section id="summary">')]  # the static picture is drawn in English
    for english in ("<h2>Network</h2>", "<h2>Map</h2>", "<h4>Identity</h4>", ">named after<", ">antenna in<"):
        assert english not in analyst
    figs = rows_of(tables_fr["cluster-digital-113-figures"][0])
    by = {(f["mesure"], f["valeur"]): f for f in figs}
    assert ("nombre d'emplois", "≈\u00a017\u202f000") in by  # narrow no-break space, as Intl.NumberFormat("fr")
    public = by[("part du budget", "40\u202f%")]
    assert (
        public["payé par"] == "Région Occitanie (conseil régional) et collectivités locales d’Occitanie (non nommées)"
    )
    assert public["part de"] == (
        "40\u202f% de « budget de fonctionnement de Digital 113 » = ≈\u00a0480\u202f000 EUR (subventions publiques)"
    )
    seat = rows_of(tables_fr["cluster-digital-113-seat"][0])
    assert sorted(r["valeur"] for r in seat if r["propriété"] == "antenne à")[0] == "Alès"
    nets = rows_of(tables_fr["cluster-cap-digital-networks"][0])
    assert ("membre de", "REDICT") in {(r["propriété"], r["valeur"]) for r in nets}
    # the shapes' French messages, with the French label
    findings = rows_of(tables_fr["validation"][0])
    ales = next(r for r in findings if r["nœud"] == "Alès")
    assert ales["gravité"] == "Avertissement"
    assert ales["message"] == "Alès n'a pas de lien vers Wikidata (skos:exactMatch <http://www.wikidata.org/entity/Q…>)"
    data = page_data(page_fr)
    assert data["lang"] == "fr" and data["network"]["kinds"]["Cluster"] == "cluster d'innovation"
    assert "a un rôle dans" in data["network"]["types"].values()


def test_iris_link_to_pages_and_ontology_documentation(page, tables):
    assert (
        '<a href="../docs/index.html#CompetitivenessCluster" title="https://w3id.org/clusterkg/ontology#CompetitivenessCluster">'
        in page
    )
    classes = page[page.index("<h3>Entities per class</h3>") :]
    assert '<a href="../docs/index.html#City" title="https://w3id.org/clusterkg/ontology#City">ckg:City</a>' in classes
    # a canned query's answer links a cluster to its page
    block = page[page.index('id="q-clusters"') :]
    assert (
        '<a href="#cluster-digital-113" title="https://w3id.org/clusterkg/id/digital-113">ck:digital-113</a>' in block
    )


def test_sortable_tables_carry_raw_numbers(page):
    assert '<td class="number" data-sort="1200000">≈\u00a01,200,000 EUR</td>' in page
    assert page.count('<table class="sortable') > 30


def test_unknown_language_is_refused(tmp_path):
    assert main(["report", "--lang", "de", "--out", str(tmp_path / "r")]) == 64
    assert not (tmp_path / "r").exists()


def test_page_json_cannot_close_its_script():
    text = str(report.page_json({"label": "</script><script>alert(1)</script> & <!--"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"label": "</script><script>alert(1)</script> & <!--"}


def test_bounded_analysis_on_a_synthetic_graph(tmp_path):
    """At scale the index, the pages and the network are cut to their bounds (the
    best connected first), and say what from."""
    from clusterkg import synthetic, validate

    generated = synthetic.generate(tmp_path / "syn", 20_000)
    loaded = validate.load(sorted((tmp_path / "syn").glob("*.ttl")))
    a = report.analyse(loaded.store, "en", max_index=30, max_pages=5, max_nodes=40)
    assert (a.named, a.unnamed) == (generated.clusters, 0)
    assert len(a.clusters) == 30 and len(a.pages) == 5
    ties = [c.ties for c in a.clusters]
    assert ties == sorted(ties, reverse=True)
    assert [p.entry.iri for p in a.pages] == [c.iri for c in a.clusters[:5]]
    assert all(p.sections["identity"] and p.figures for p in a.pages)
    net = a.network
    assert 30 <= len(net["nodes"]) <= 40 and net["all_nodes"] > 40 and net["all_edges"] > len(net["edges"])
    kept = {n["id"] for n in net["nodes"]}
    assert all(e["source"] in kept and e["target"] in kept for e in net["edges"])
    # whole neighbourhoods of the best connected clusters: each cluster drawn with all its ties
    best = next(
        n
        for n in net["nodes"]
        if n["kind"] == "Cluster" and n["degree"] == max(m["degree"] for m in net["nodes"] if m["kind"] == "Cluster")
    )
    drawn = sum(1 for e in net["edges"] if best["id"] in (e["source"], e["target"]))
    assert drawn == best["degree"]


# ------------------------------------------------------------ from a server: --endpoint


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "clusterkg.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "300"},
    )


@pytest.fixture(scope="module")
def from_server(tmp_path_factory):
    """The report from the files, and from a PLAIN Oxigraph server (no union default
    graph) into which `clusterkg load` loaded the same files: (files, server) as
    (stdout, page, tables), and the server's query URL."""
    from servers import oxigraph_server

    tmp = tmp_path_factory.mktemp("report-endpoint")
    with oxigraph_server(tmp / "store") as server:
        loaded = _cli("load", "--endpoint", server.base_url, "--no-validate")
        assert loaded.returncode == 0, loaded.stderr
        remote = _cli("report", "--endpoint", server.base_url, "--out", str(tmp / "remote"))
        assert remote.returncode == 0, remote.stderr
    files = _cli("report", "--out", str(tmp / "files"))
    assert files.returncode == 0, files.stderr
    out = []
    for done, folder in ((files, "files"), (remote, "remote")):
        page = (tmp / folder / "index.html").read_text(encoding="utf-8")
        parser = Tables()
        parser.feed(page)
        out.append((done.stdout, page, parser.tables))
    return out[0], out[1], server.query_url


def test_report_from_a_plain_server_has_the_same_rows_as_from_the_files(from_server):
    (_, _, files), (_, _, served), _ = from_server
    assert set(served) == set(files)
    assert len(files) > 40  # the summary, a page per cluster, every canned query
    for key in files:
        if key != "validation":
            assert served[key] == files[key], key


def test_report_from_a_server_names_the_graph_of_each_finding(from_server):
    (_, _, files), (_, _, served), _ = from_server
    [[header, *by_file]], [[header2, *by_graph]] = files["validation"], served["validation"]
    assert header == header2 and header[-1] == "where"

    def graph_of(where: str) -> str:  # data/places-manual.ttl:17 -> its graph
        return project.GRAPH_NS + where.split(":")[0].removesuffix(".ttl")

    assert all(re.fullmatch(r"data/[a-z-]+\.ttl:\d+", row[-1]) for row in by_file), by_file
    expected = sorted([*row[:-1], graph_of(row[-1])] for row in by_file)
    assert sorted(by_graph) == expected
    assert len(by_graph) == 18
    assert [row[-1] for row in by_graph] == sorted(row[-1] for row in by_graph)  # by graph, as by file


def test_report_from_a_server_draws_the_same_network_and_map(from_server):
    (_, files, _), (_, served, _), _ = from_server
    a, b = page_data(files), page_data(served)

    def same(items: list[dict], drop: str = "") -> list[str]:  # the order (and the edges' ids) aside
        return sorted(json.dumps({k: v for k, v in x.items() if k != drop}, sort_keys=True) for x in items)

    assert same(b["network"]["nodes"]) == same(a["network"]["nodes"])
    assert same(b["network"]["edges"], "id") == same(a["network"]["edges"], "id")
    assert len(a["network"]["edges"]) == 110
    for key in a["geo"]:
        items = a["geo"][key]
        assert (same(b["geo"][key]) if isinstance(items, list) else b["geo"][key]) == (
            same(items) if isinstance(items, list) else items
        ), key
    assert {k: v for k, v in b.items() if k not in ("network", "geo")} == {
        k: v for k, v in a.items() if k not in ("network", "geo")
    }


def test_report_from_a_server_prints_the_same_summary(from_server):
    (files, _, _), (served, _, _), url = from_server
    assert re.search(
        rf"^  from: {re.escape(url)}, the 11 graph versions its catalogue names \(0\.\d MB fetched in [0-9.]+ s\)$",
        served,
        re.M,
    ), served

    def summary(out: str) -> list[str]:
        return [line for line in out.splitlines() if line.startswith("  ") and not line.startswith("  from:")]

    assert summary(served) == summary(files)
    assert "  graph: 5045 triples in 11 named graphs, 4 named clusters + 5 unnamed, 8 source documents" in served


def test_report_takes_files_or_an_endpoint_not_both(tmp_path):
    done = _cli("report", "--endpoint", "http://127.0.0.1:9", "--out", str(tmp_path / "r"), "data/clusters.ttl")
    assert done.returncode == 64
    assert "give FILES (or --data) or --endpoint, not both" in done.stderr
    assert not (tmp_path / "r").exists()


def test_report_from_a_server_that_is_down_writes_nothing(tmp_path):
    from clusterkg.server import free_port

    url = f"http://127.0.0.1:{free_port()}"
    done = _cli("report", "--endpoint", url, "--out", str(tmp_path / "r"))
    assert done.returncode == 4
    assert f"error: reading the catalogue: cannot connect to {url}/query: [Errno 111] Connection refused" in done.stderr
    assert not (tmp_path / "r").exists()


def test_report_from_a_server_that_never_answers_costs_its_timeout(tmp_path, capsys):
    from conftest import run_cli
    from test_remote import raw_server

    with raw_server("silent") as (url, held):
        started = time.monotonic()
        code, out, err = run_cli(capsys, "report", "--endpoint", url, "--timeout", "2", "--out", str(tmp_path / "r"))
        elapsed = time.monotonic() - started
    assert code == 4
    assert f"error: reading the catalogue: {url}/query gave no answer within 2 s" in err, err
    assert elapsed < 10  # the bound: 2 s, plus starting up
    assert not (tmp_path / "r").exists()


def test_report_refuses_a_graph_larger_than_max_mb(tmp_path, capsys):
    """The cap reaches the request (it was once dropped on the way): Oxigraph streams
    the CONSTRUCT (no Content-Length), the client stops reading past the cap."""
    from conftest import run_cli
    from servers import oxigraph_server

    with oxigraph_server(tmp_path / "store") as server:
        assert main(["load", "--endpoint", server.base_url, "--no-validate"]) == 0
        code, out, err = run_cli(
            capsys, "report", "--endpoint", server.base_url, "--max-mb", "0.001", "--out", str(tmp_path / "r")
        )
    assert code == 4
    assert err == (
        f"error: fetching <{project.GRAPH_NS}data/agreements>: the answer of POST {server.query_url} is larger "
        f"than the cap of 1,048 bytes"
    )
    assert not (tmp_path / "r").exists()


def test_report_from_virtuoso(tmp_path, tables, capsys, monkeypatch):
    """The same report from a private Virtuoso: every table is the files' own (the
    report reads the fetched triples, not Virtuoso's answers to its queries), but
    Virtuoso keeps a geo:wktLiteral as its own virtrdf:Geometry (single precision),
    and the validation says so: each of the 16 points is a violation (exit code 1)."""
    from conftest import run_cli
    from servers import virtuoso_executable, virtuoso_server

    if virtuoso_executable() is None:
        pytest.skip("virtuoso-t is not installed (bash .ci/install-virtuoso installs it)")
    monkeypatch.setenv("CLUSTERKG_USER", "dba")
    monkeypatch.setenv("CLUSTERKG_PASSWORD", "dba")
    with virtuoso_server(tmp_path / "virtuoso") as server:
        code, out, err = run_cli(capsys, "load", "--endpoint", server.base_url, "--server", "virtuoso", "--no-validate")
        assert code == 0, err
        code, out, err = run_cli(
            capsys, "report", "--endpoint", server.base_url, "--server", "virtuoso", "--out", str(tmp_path / "r")
        )
    assert code == 1
    assert "error: the data does not conform: 16 violations, 18 warnings in 34 nodes" in err, err
    assert "graph: 5045 triples in 11 named graphs, 4 named clusters + 5 unnamed, 8 source documents" in out
    parser = Tables()
    parser.feed((tmp_path / "r" / "index.html").read_text(encoding="utf-8"))
    served = parser.tables
    assert [key for key in tables if key != "validation" and served[key] != tables[key]] == []
    [[_, *findings]] = served["validation"]
    violations = [row for row in findings if row[0] == "Violation"]
    cities = ["ales", "amsterdam", "berlin", "bucharest", "carcassonne", "copenhagen", "dublin", "mende"]
    cities += ["montpellier", "nimes", "paris", "perpignan", "rodez", "san-francisco", "tarbes", "toulouse"]
    assert sorted(row[1] for row in violations) == [f"ck:{city}-geometry" for city in cities]
    for _, node, path, value, message, where in violations:
        assert (path, where) == ("geo:asWKT", project.GRAPH_NS + "data/places")
        assert re.fullmatch(
            r'"POINT\(-?[0-9.]+ -?[0-9.]+\)"\^\^<http://www.openlinksw.com/schemas/virtrdf#Geometry>', value
        )
        assert message == f'{node} must have exactly one WKT point (geo:asWKT "POINT(lon lat)"^^geo:wktLiteral)'
    [[_, *by_file]] = tables["validation"]
    assert sorted(row[:-1] for row in findings if row[0] != "Violation") == sorted(row[:-1] for row in by_file)


def test_graph_names_from_a_server_never_name_a_file_outside_its_stand_ins(tmp_path):
    """validate_snapshot gives each graph an empty stand-in file named after it: a name
    with ../ from the server must not make one anywhere else."""
    from clusterkg import remote

    escape = project.GRAPH_NS + "../" * 12 + str(tmp_path).lstrip("/") + "/escaped"
    graph_iri = project.GRAPH_NS + "data/x"
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(CK + "x"), ox.NamedNode(CK + "p"), ox.Literal("1"), ox.NamedNode(graph_iri)))
    snapshot = remote.Snapshot(store, {escape: escape + "/v", graph_iri: graph_iri + "/v"}, "http://example.invalid")
    validation, where = report.validate_snapshot(snapshot)
    assert not (tmp_path / "escaped.ttl").exists()
    assert list(tmp_path.iterdir()) == []
    assert where == {CK + "x": graph_iri}  # ck:x has no support and ck:p is not declared: findings, by graph
    assert [t.file for t in validation.undeclared] == [None]
