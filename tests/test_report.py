"""``clusterkg report``: the page is written, self-contained, with every section
and the exact answers of the seed graph; everything from the graph is escaped."""

from __future__ import annotations

import html
import re
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
        if tag in ("section", "div", "figure"):
            self.ids.append(a.get("id"))
        elif tag == "table":
            self.table = []
        elif tag == "tr" and self.table is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("section", "div", "figure") and self.ids:
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
    return [dict(zip(header, r)) for r in rows]


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
    # CSS inline, picture inline as SVG, nothing fetched from elsewhere
    assert "<style>" in page and '<link rel="stylesheet"' not in page
    assert "<script" not in page
    assert not re.search(r'<(?:img|script|link|iframe)[^>]+(?:src|href)="https?://', page)
    svg = page[page.index('<section id="picture">'):page.index('<section id="queries">')]
    assert "<svg" in svg
    for label in ("Cap Digital", "Digital 113", "Paris", "San Francisco", "REDICT"):
        assert f">{label}<" in svg


def test_summary_tables(tables):
    graphs, classes, sources = tables["summary"]
    by_graph = {r[0]: r[1] for r in graphs[1:]}
    assert set(by_graph) >= {project.GRAPH_NS + "data/clusters", project.GRAPH_NS + "ontology/clusterkg", "total"}
    assert int(by_graph["total"]) == sum(int(v) for k, v in by_graph.items() if k != "total")
    per_class = {r[0]: (r[1], int(r[2])) for r in classes[1:]}
    assert per_class["ckg:City"] == ("city", 16)
    assert per_class["ckg:CompetitivenessCluster"] == ("competitiveness cluster", 1)
    docs = {r[0]: r for r in sources[1:]}
    assert "ck:src-cap-digital" in docs and "ck:src-digital-113-article" in docs
    assert "000_c04aaa27fdb53316" in docs["ck:src-cap-digital"]


def test_validation_verdict(page, tables):
    section = page[page.index('<section id="validation">'):page.index('<section id="picture">')]
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
        div = f'<div class="query" id="q-{name}">'
        assert div in page, name
        block = page[page.index(div):]
        block = html.unescape(block[:block.index("</details>")])
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
    section = report.QuerySection("x", "T <i>", "D <img src=x onerror=alert(1)>", [], "SELECT * WHERE { ?s ?p '<o>' }", t)
    page = _render_with(section)  # through the real template
    assert evil not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;" in page
    assert "<img src=x" not in page and "T &lt;i&gt;" in page
    assert "&#39;&lt;o&gt;&#39;" in page
    assert 'href="http://example.org/a?b=%3Cc%3E&amp;d=1"' in page


def _render_with(section) -> str:
    class FakeValidation:
        conforms, violations, warnings, engine, inference, seconds, prefixes, findings = True, 0, 0, "e", "none", 0.0, {}, []

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
    r = report.Report(Path("."), Path("index.html"), 0, empty, empty, empty, FakeValidation(), [section],
                      FakePicture(), {"graphs": 0, "clusters": 0, "sources": 0})
    return report.render(r)


def test_inline_svg_refuses_active_content():
    assert report.inline_svg('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>a</text></svg>')
    assert report.inline_svg('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') is None
    assert report.inline_svg('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>') is None
    assert report.inline_svg('<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
                             '<use x:href="http://evil/a.svg#x"/></svg>') is None


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
    done = subprocess.run([sys.executable, "-m", "clusterkg.cli", "report", "--out", str(out)],
                          env={**os.environ, "CLUSTERKG_ROOT": str(root)}, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 1, done.stderr
    assert "the data does not conform" in done.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<span class="verdict bad">Does not conform</span>' in page
    assert '<td class="sev-Violation">Violation</td>' in page
    assert "Cap Digital &lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
