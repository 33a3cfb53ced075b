"""``clusterkg report``: the main job. One self-contained HTML page about the graph.

Steps, on the embedded store (pyoxigraph):

1. load the ontology and the data once (:func:`clusterkg.validate.load`: one named graph per file);
2. validate them against the SHACL shapes (:func:`clusterkg.validate.validate_loaded`);
3. run every canned query of the catalogue (:mod:`clusterkg.query`), each with
   its default parameters (its example where a parameter has no default);
4. draw the network picture (:mod:`clusterkg.picture`);
5. render ``templates/report.html`` (Jinja2, autoescaped: every value from the
   graph is escaped) into ``OUT/index.html``, with the CSS inline and the
   picture inline as SVG (also written beside it as ``network.svg`` /
   ``network.png``).

The page has: a summary (triples per named graph, entities per class, source
documents), the validation verdict with every finding and its message, one
section per query (title, description, the question's parameters, the answer
table, the SPARQL text), and the picture.

Exit status of the command: 1 when the data does not conform (the report is
still written, showing the violations), 3 when a canned query failed (shown in
its section), else 0.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pyoxigraph as ox
from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from . import __version__, picture, project, query, validate
from .sparql import internal_query

DEFAULT_OUT = Path("build/report")

#: Prefixes used to shorten IRIs in the tables.
PREFIXES = project.PREFIXES


# ----------------------------------------------------------------- cells

@dataclass
class Cell:
    """A value as shown in a table: text, a tooltip (the full IRI) and a link for web IRIs."""

    text: str
    title: str = ""
    href: str = ""
    kind: str = ""  # "iri", "literal", "number", "" (empty)


def short(iri: str) -> str:
    return project.shorten(iri)


def cell(term: Any, value: Any = None) -> Cell:
    """A table cell for an RDF term (pyoxigraph) and its normalised value."""
    if term is None:
        return Cell("", kind="")
    if isinstance(term, ox.NamedNode):
        iri = term.value
        own = iri.startswith(project.BASE)
        return Cell(short(iri), title=iri, href="" if own else iri, kind="iri")
    if isinstance(term, ox.BlankNode):
        return Cell("_:" + term.value, kind="iri")
    if isinstance(term, ox.Literal):
        text = query.display(value) if value is not None else term.value
        numeric = term.datatype.value.startswith("http://www.w3.org/2001/XMLSchema#") and \
            term.datatype.value.rsplit("#", 1)[1] in ("integer", "decimal", "double", "float", "int", "long",
                                                      "nonNegativeInteger", "positiveInteger")
        return Cell(text, kind="number" if numeric else "literal")
    return Cell(str(term))


# ----------------------------------------------------------------- model

@dataclass
class Table:
    columns: list[str]
    rows: list[list[Cell]]


@dataclass
class QuerySection:
    name: str
    title: str
    description: str
    parameters: list[dict]
    sparql: str
    table: Table | None = None
    error: str = ""

    @property
    def rows(self) -> int:
        return len(self.table.rows) if self.table else 0


@dataclass
class Report:
    out: Path
    path: Path
    triples: int
    graphs: Table
    classes: Table
    sources: Table
    validation: validate.Validation
    queries: list[QuerySection]
    picture: picture.Picture
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> list[QuerySection]:
        return [q for q in self.queries if q.error]


def _select(store: ox.Store, name: str) -> Table:
    solutions = store.query(internal_query(name), use_default_graph_as_union=True)
    columns = [v.value for v in solutions.variables]
    rows = []
    for s in solutions:
        rows.append([cell(s[c], query.normalise_term(s[c])) for c in columns])
    return Table(columns, rows)


def summary_tables(store: ox.Store) -> tuple[int, Table, Table, Table]:
    """Triples per graph (with a total row), entities per class (with the class's
    English label), source documents."""
    graphs = Table(["graph", "triples"], [])
    total = 0
    for s in store.query(internal_query("triples-per-graph")):
        n = int(s["triples"].value)
        total += n
        graphs.rows.append([cell(s["graph"]), Cell(f"{n}", kind="number")])
    graphs.rows.append([Cell("total"), Cell(f"{total}", kind="number")])

    labels = {s["class"].value: s["label"].value
              for s in store.query(internal_query("class-labels"), use_default_graph_as_union=True)}
    classes = Table(["class", "label", "entities"], [])
    for s in store.query(internal_query("instances-per-class")):
        iri = s["class"].value
        classes.rows.append([cell(s["class"]), Cell(labels.get(iri, "")),
                             Cell(s["instances"].value, kind="number")])
    sources = _select(store, "source-documents")
    return total, graphs, classes, sources


def question(q: query.CannedQuery) -> tuple[dict[str, str], list[dict]]:
    """The parameters a query is asked with in the report: the default, else the example."""
    params, shown = {}, []
    for p in q.parameters:
        value = p.default if p.default is not None else p.example
        source = "default" if p.default is not None else "example"
        if value is not None:
            params[p.name] = value
        shown.append({"name": p.name, "type": p.type_label, "value": value or "", "source": source,
                      "short": short(value) if value and p.type == "iri" else (value or ""),
                      "default": p.default or "", "example": p.example or ""})
    return params, shown


#: At most this many rows of each query in the page (the first ones, in the query's
#: order): a whole-class listing of a million-triple graph is thousands of rows;
#: ``clusterkg query NAME --limit/--offset`` pages through the rest.
ROW_LIMIT = 1000


def run_query(store: ox.Store, q: query.CannedQuery) -> QuerySection:
    params, shown = question(q)
    section = QuerySection(q.name, q.title, q.description, shown, q.text)
    try:
        result = query.run(q.name, params, store=store, limit=ROW_LIMIT)
    except Exception as e:  # shown in the report; the command exits 3
        section.error = f"{type(e).__name__}: {e}"
        return section
    rows = [[cell(t, v) for t, v in zip(terms, values)] for terms, values in zip(result.terms, result.rows)]
    section.table = Table(list(result.columns), rows)
    return section


# ----------------------------------------------------------------- picture

_SVG_START = re.compile(r"<svg\b", re.S)


def inline_svg(svg: str) -> Markup | None:
    """The SVG element of a picture, fit for inlining in HTML, or None when it holds
    anything active (script, foreignObject, event attributes, external references)."""
    m = _SVG_START.search(svg)
    if m is None:
        return None
    body = svg[m.start():]
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1].lower()
        if tag in ("script", "foreignobject", "iframe", "object", "embed"):
            return None
        for name, value in el.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                return None
            if local == "href" and not value.startswith("#"):
                return None
    return Markup(body)


# ----------------------------------------------------------------- build

Progress = Callable[[str], None]


def build(out: Path = DEFAULT_OUT, *, on_step: Progress = lambda _: None,
          on_query: Callable[[str], None] = lambda _: None, files=()) -> Report:
    """Run every step and write ``out/index.html`` on ``files`` (default: the
    project's data). Raises :class:`clusterkg.graph.LoadError` when a file cannot be read."""
    on_step("loading the ontology and the data into the embedded store")
    loaded = validate.load(files)
    store = loaded.store
    total, graphs, classes, sources = summary_tables(store)

    on_step("validating the data against the SHACL shapes")
    validation = validate.validate_loaded(loaded)

    catalogue = query.catalogue()
    on_step(f"running {len(catalogue)} canned queries")
    sections = []
    for name, q in catalogue.items():
        on_query(name)
        sections.append(run_query(store, q))

    on_step("drawing the network picture")
    out.mkdir(parents=True, exist_ok=True)
    pic = picture.picture(store, out / "network")

    on_step("writing the report")
    counts = {"clusters": instances_of(store, project.ONTOLOGY_NS + "Cluster"),
              "sources": len(sources.rows), "graphs": len(graphs.rows) - 1}
    report = Report(out, out / "index.html", total, graphs, classes, sources, validation, sections, pic, counts)
    report.path.write_text(render(report), encoding="utf-8")
    return report


def instances_of(store: ox.Store, class_iri: str) -> int:
    """Instances of a class and of its subclasses."""
    rows = list(store.query(internal_query("instances-of-class"),
                            substitutions={ox.Variable("class"): ox.NamedNode(class_iri)},
                            use_default_graph_as_union=True))
    return int(rows[0]["instances"].value) if rows else 0


def environment() -> Environment:
    env = Environment(loader=PackageLoader("clusterkg", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    return env


def render(report: Report) -> str:
    v = report.validation
    findings = [{
        "severity": f.result.severity.rsplit("#", 1)[-1],
        "violation": f.is_violation,
        "focus": f.label or short(f.result.focus),
        "focus_iri": f.result.focus,
        "path": validate.show_path(f.result.path, v.prefixes) if f.result.path else "",
        "value": validate.show_value(f.result.value, v.prefixes) if f.result.value else "",
        "message": f.message,
        "where": (f"{_relative(f.file)}:{f.line}" if f.file and f.line else _relative(f.file) if f.file else ""),
    } for f in v.findings]
    return environment().get_template("report.html").render(
        r=report, v=v, findings=findings, version=__version__,
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        svg=inline_svg(report.picture.svg),
        png=report.picture.files.get("png"),
        answered=sum(1 for q in report.queries if q.table is not None and q.table.rows),
        kinds=picture.KINDS,
    )


def _relative(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return str(Path(path).resolve().relative_to(project.ROOT.resolve()))
    except ValueError:
        return str(path)
