"""``clusterkg report``: the main job. One self-contained HTML page about the graph,
in English or French (``--lang``).

Steps, on the embedded store (pyoxigraph):

1. load the ontology and the data once (:func:`clusterkg.validate.load`: one named graph per file),
   or take the graphs fetched from a server (``clusterkg report --endpoint``:
   :meth:`clusterkg.remote.Reader.snapshot`, validated by :func:`validate_snapshot`);
2. validate them against the SHACL shapes (:func:`clusterkg.validate.validate_loaded`);
3. read what an analyst looks at (:func:`analyse`, queries of ``queries/report/``):
   the index of clusters (named ones counted apart from the placeholders the
   texts identify by their city only), a page per named cluster (identity, seat
   and antennas, figures with their qualifiers and dates, networks and
   partners, programmes, lineage, people: each fact with its supports, i.e. its
   status, source and quote), the network (nodes and typed ties) and the map
   (places with coordinates, ties between them as arcs, countries shaded);
4. run every canned query of the catalogue (:mod:`clusterkg.query`), each with
   its default parameters (its example where a parameter has no default);
5. draw the static network picture for print (:mod:`clusterkg.picture`, matplotlib;
   left out with a note when matplotlib is not installed);
6. render ``templates/report.html`` (Jinja2, autoescaped: every value from the
   graph is escaped; the network and map data go in as JSON in a
   ``<script type="application/json">`` block, with ``<`` escaped) into
   ``OUT/index.html``, with the CSS, the vendored JavaScript (cytoscape.js,
   d3-geo, topojson-client: ``templates/vendor/``) and the Natural Earth
   countries inline: the page opens offline.

Bounded at scale: the index lists the :data:`MAX_INDEX` best connected clusters,
pages are written for the :data:`MAX_PAGES` best connected named ones, the
network keeps at most :data:`MAX_NETWORK_NODES` nodes (the best connected clusters
with their neighbours), each with the totals it was cut from.

Numbers are formatted for the language with Babel (``17 000`` with a narrow
no-break space in French, as ``Intl.NumberFormat`` does; ``17,000`` in English);
tables carry the raw value in ``data-sort`` so that they sort as numbers.

Exit status of the command: 1 when the data does not conform (the report is
still written, showing the violations), 3 when a canned query failed (shown in
its section), else 0.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from . import __version__, graph, project, query, validate
from .sparql import internal_query, read_rq, select

DEFAULT_OUT = Path("build/report")
LANGS = ("en", "fr")

#: Prefixes used to shorten IRIs in the tables.
PREFIXES = project.PREFIXES

#: Where `clusterkg docs` writes the ontology documentation, from the report's folder
#: (both under build/ by default); an ontology term links to its anchor there.
DOCS_HREF = "../docs/index.html"

#: Bounds at scale (each table says what it was cut from).
MAX_INDEX = 200
MAX_PAGES = 25
MAX_NETWORK_NODES = 250

REPORT_QUERIES = project.QUERIES_DIR / "report"

CKG = project.ONTOLOGY_NS
ORG = "http://www.w3.org/ns/org#"
FOAF = "http://xmlns.com/foaf/0.1/"


# ----------------------------------------------------------------- language


@cache
def strings(lang: str) -> dict[str, Any]:
    """The page's own words in ``lang`` (``templates/i18n.json``)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (one of {', '.join(LANGS)})")
    text = resources.files("clusterkg.templates").joinpath("i18n.json").read_text(encoding="utf-8")
    return json.loads(text)[lang]


class Words:
    """``t.key`` and ``t("key", n=1)`` in templates: a string of the language,
    ``{name}`` filled with numbers formatted for the language."""

    def __init__(self, lang: str):
        self.lang = lang
        self._s = strings(lang)

    def __getattr__(self, key: str) -> str:
        try:
            return self._s[key]
        except KeyError:
            raise AttributeError(key) from None

    def __call__(self, key: str, **values: Any) -> str:
        return self._s[key].format(
            **{
                k: number(v, self.lang) if isinstance(v, (int, Decimal)) and not isinstance(v, bool) else v
                for k, v in values.items()
            }
        )


def number(value: Any, lang: str) -> str:
    """``17000`` -> ``17,000`` (en) / ``17 000`` (fr, narrow no-break space)."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, (int, Decimal, float)):
        return format_decimal(value, locale=lang)
    return str(value)


# ----------------------------------------------------------------- cells


@dataclass
class Cell:
    """A value as shown in a table: text, a tooltip (the full IRI), a link (web IRIs,
    ontology terms to their documentation, entities to their page), and the value
    the column sorts by."""

    text: str
    title: str = ""
    href: str = ""
    kind: str = ""  # "iri", "literal", "number", "" (empty)
    sort: str = ""


def short(iri: str) -> str:
    return project.shorten(iri)


def link(iri: str, pages: dict[str, str] | None = None) -> str:
    """Where an IRI links to: its page in the report, the ontology documentation
    for a term of ckg:, the IRI itself for the web; nothing for other own IRIs."""
    if pages and iri in pages:
        return "#" + pages[iri]
    if iri.startswith(CKG):
        return f"{DOCS_HREF}#{iri[len(CKG) :]}"
    if iri.startswith(project.BASE):
        return ""
    return iri


def cell(term: Any, value: Any = None, lang: str = "en", pages: dict[str, str] | None = None) -> Cell:
    """A table cell for an RDF term (pyoxigraph) and its normalised value."""
    if term is None:
        return Cell("", kind="")
    if isinstance(term, ox.NamedNode):
        iri = term.value
        return Cell(short(iri), title=iri, href=link(iri, pages), kind="iri")
    if isinstance(term, ox.BlankNode):
        return Cell("_:" + term.value, kind="iri")
    if isinstance(term, ox.Literal):
        value = query.normalise_term(term) if value is None else value
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return Cell(number(value, lang), kind="number", sort=str(value))
        return Cell(query.display(value), kind="literal")
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
    total: int = 0  # rows of the answer (the table shows at most ROW_LIMIT)

    @property
    def rows(self) -> int:
        return len(self.table.rows) if self.table else 0


@dataclass
class Support:
    """What backs a fact: status, source document, verbatim quote, rule, comment."""

    status: str = ""
    source: str = ""
    source_label: str = ""
    quote: str = ""
    rule: str = ""
    comment: str = ""

    @property
    def hover(self) -> str:
        parts = [
            self.source_label or short(self.source) if self.source else "",
            f"« {self.quote} »" if self.quote else "",
            self.status,
            self.rule and short(self.rule),
            self.comment,
        ]
        return " — ".join(p for p in parts if p)


@dataclass
class Fact:
    """One line of a cluster's page: what (a property's label), the value (text,
    link), extra columns, and its supports."""

    what: str
    value: str
    href: str = ""
    iri: str = ""
    extra: list[str] = field(default_factory=list)
    supports: list[Support] = field(default_factory=list)


@dataclass
class Figure:
    """One observation: measure, category, the value as read ("> 650", "≈ 540"),
    the date, what it is a share of and who pays it (all payers on one row)."""

    iri: str
    label: str
    measure: str
    category: str
    value: Any
    reading: str
    date: str
    share_of: str = ""
    share_amount: str = ""
    source: str = ""
    payers: list[tuple[str, str]] = field(default_factory=list)
    supports: list[Support] = field(default_factory=list)


@dataclass
class ClusterEntry:
    iri: str
    label: str
    kind: str
    kind_label: str
    named: bool
    city: str
    region: str
    ties: int
    anchor: str = ""


@dataclass
class ClusterPage:
    entry: ClusterEntry
    sections: dict[str, list[Fact]]
    figures: list[Figure]


@dataclass
class Analysis:
    """What the analyst sections of the page show."""

    lang: str
    clusters: list[ClusterEntry]
    named: int
    unnamed: int
    pages: list[ClusterPage]
    network: dict
    geo: dict


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
    picture: Any  # clusterkg.picture.Picture, or None without matplotlib
    counts: dict[str, int] = field(default_factory=dict)
    analysis: Analysis | None = None
    lang: str = "en"
    picture_note: str = ""
    #: input from a server: the graph that describes each focus node of a finding
    where: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> list[QuerySection]:
        return [q for q in self.queries if q.error]


# ----------------------------------------------------------------- queries


def report_query(store: ox.Store, name: str, **bindings: ox.NamedNode | ox.Literal) -> list[dict[str, Any]]:
    """Rows of ``queries/report/NAME.rq`` as dicts of terms (unbound: absent), with
    ``bindings`` substituted (``lang=ox.Literal("fr")``, ``entity=ox.NamedNode(...)``)."""
    solutions = select(
        store,
        read_rq(REPORT_QUERIES / f"{name}.rq"),
        substitutions={ox.Variable(k): v for k, v in bindings.items()},
        use_default_graph_as_union=True,
    )
    names = [v.value for v in solutions.variables]
    return [{n: s[n] for n in names if s[n] is not None} for s in solutions]


def _v(row: dict, key: str, default: str = "") -> str:
    term = row.get(key)
    return term.value if term is not None else default


def _select(store: ox.Store, name: str, lang: str = "en") -> Table:
    solutions = select(store, internal_query(name), use_default_graph_as_union=True)
    columns = [v.value for v in solutions.variables]
    rows = []
    for s in solutions:
        rows.append([cell(s[c], query.normalise_term(s[c]), lang) for c in columns])
    return Table(columns, rows)


def summary_tables(store: ox.Store, lang: str = "en") -> tuple[int, Table, Table, Table]:
    """Triples per graph (with a total row), entities per class (with the class's
    label in the language), source documents."""
    w = strings(lang)
    graphs = Table([w["col_graph"], w["col_triples"]], [])
    total = 0
    for s in select(store, internal_query("triples-per-graph")):
        n = int(s["triples"].value)
        total += n
        graphs.rows.append([cell(s["graph"]), Cell(number(n, lang), kind="number", sort=str(n))])
    graphs.rows.append([Cell(strings(lang)["total"]), Cell(number(total, lang), kind="number", sort=str(total))])

    labels = _class_labels(store, lang)
    classes = Table([w["col_class"], w["col_label"], w["col_entities"]], [])
    for s in select(store, internal_query("instances-per-class")):
        iri = s["class"].value
        n = int(s["instances"].value)
        classes.rows.append(
            [cell(s["class"]), Cell(labels.get(iri, "")), Cell(number(n, lang), kind="number", sort=str(n))]
        )
    sources = _select(store, "source-documents", lang)
    return total, graphs, classes, sources


def _class_labels(store: ox.Store, lang: str) -> dict[str, str]:
    if lang == "en":
        return {
            s["class"].value: s["label"].value
            for s in select(store, internal_query("class-labels"), use_default_graph_as_union=True)
        }
    return {_v(r, "class"): _v(r, "label") for r in report_query(store, "class-labels", lang=ox.Literal(lang))}


def question(q: query.CannedQuery, store: ox.Store, lang: str = "en") -> tuple[dict[str, str], list[dict]]:
    """The parameters a query is asked with in the report: the default, else the
    example, else (on a graph that holds neither) the first instance of the
    parameter's class (:func:`clusterkg.query.asked_parameters`)."""
    asked = query.asked_parameters(q, store)
    w = strings(lang)
    params, shown = {}, []
    for p in q.parameters:
        value, source = asked.get(p.name, ("", "default"))
        if value:
            params[p.name] = value
        shown.append(
            {
                "name": p.name,
                "type": p.type_label,
                "value": value,
                "source": w["asked_" + source],
                "short": short(value) if value and p.type == "iri" else value,
                "default": p.default or "",
                "example": p.example or "",
            }
        )
    return params, shown


#: At most this many rows of each query in the page (the first ones, in the query's
#: order): a whole-class listing of a million-triple graph is thousands of rows;
#: ``clusterkg query NAME --limit/--offset`` pages through the rest; the section
#: says how many there are in all.
ROW_LIMIT = 1000


def run_query(
    store: ox.Store, q: query.CannedQuery, lang: str = "en", pages: dict[str, str] | None = None
) -> QuerySection:
    params, shown = question(q, store, lang)
    section = QuerySection(q.name, q.title, q.description, shown, q.text)
    try:
        result = query.run(q.name, params, store=store, keep=ROW_LIMIT)
    # Any failure of one query is shown in its section (the command then exits 3)
    # rather than losing the whole report.
    except Exception as e:  # noqa: BLE001 - one query's failure must not lose the report
        section.error = f"{type(e).__name__}: {e}"
        return section
    rows = [
        [cell(t, v, lang, pages) for t, v in zip(terms, values, strict=True)]
        for terms, values in zip(result.terms[:ROW_LIMIT], result.rows[:ROW_LIMIT], strict=True)
    ]
    section.table = Table(list(result.columns), rows)
    section.total = result.total
    return section


# ----------------------------------------------------------------- analysis

#: The section of a cluster's page each direct tie goes to (property IRI,
#: "out" from the cluster or "in" to it); literals and unlisted ties go to
#: identity / other.
SECTIONS: dict[tuple[str, str], str] = {
    **{(CKG + p, "out"): "identity" for p in ("sector", "foundingDate", "objective", "namedAfter", "strategicAxis")},
    (FOAF + "homepage", "out"): "identity",
    **{(CKG + p, "out"): "seat" for p in ("city", "region", "country")},
    (ORG + "memberOf", "out"): "networks",
    **{(CKG + p, "in"): "networks" for p in ("initiatedBy", "beneficiary", "participant")},
    **{(CKG + p, "out"): "networks" for p in ("partnerCountry", "partnerRegion", "twinnedWith")},
    **{(CKG + p, "out"): "programmes" for p in ("participatesIn", "helpsMembersWith")},
    **{(CKG + p, "out"): "lineage" for p in ("replaces", "replacedBy")},
}

#: Ties read by related.rq / figures.rq instead (through an intermediate node).
INDIRECT: set[tuple[str, str]] = {
    (ORG + "hasSite", "out"),
    (ORG + "organization", "in"),
    (ORG + "resultingOrganization", "in"),
    (ORG + "originalOrganization", "in"),
    (CKG + "organisedBy", "in"),
    (CKG + "paidBy", "in"),
    (CKG + "shareOf", "in"),
}

SECTION_ORDER = ("identity", "seat", "figures", "networks", "programmes", "lineage", "people", "other")

QUALIFIER_SIGNS = {
    project.VOCAB_NS + "lower-bound": ">\u00a0",
    project.VOCAB_NS + "approximate": "≈\u00a0",
    project.VOCAB_NS + "exact": "",
}

#: Kinds of network nodes, in the order a node of several kinds takes the first.
NODE_KINDS = (
    "Cluster",
    "InterClusterNetwork",
    "Project",
    "Programme",
    "FundingScheme",
    "Mission",
    "SupportActivity",
    "Agreement",
    "PublicAuthority",
    "Person",
    "City",
    "Region",
    "Country",
)


def _kind(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


class Supports:
    """The supports of the triples of each subject, read once per subject."""

    def __init__(self, store: ox.Store, lang: str):
        self.store, self.lang = store, ox.Literal(lang)
        self._cache: dict[str, tuple[dict[tuple[str, str], list[Support]], list[Support]]] = {}

    def _read(self, subject: str):
        if subject not in self._cache:
            by_triple: dict[tuple[str, str], list[Support]] = defaultdict(list)
            whole: list[Support] = []
            for r in report_query(self.store, "supports", subject=ox.NamedNode(subject), lang=self.lang):
                s = Support(
                    _v(r, "statusLabel"),
                    _v(r, "source"),
                    _v(r, "sourceLabel"),
                    _v(r, "quote"),
                    _v(r, "rule"),
                    _v(r, "comment"),
                )
                if "predicate" in r:
                    by_triple[(_v(r, "predicate"), _v(r, "object"))].append(s)
                else:
                    whole.append(s)
            self._cache[subject] = (by_triple, whole)
        return self._cache[subject]

    def of(self, subject: str, predicate: str | None = None, obj: str | None = None) -> list[Support]:
        """The supports of (subject, predicate, obj); those of the subject as a whole
        when there is none for the triple (or no triple is given)."""
        by_triple, whole = self._read(subject)
        if predicate is not None:
            found = by_triple.get((predicate, obj or ""))
            if found:
                return found
        elif by_triple:
            seen, out = set(), []
            for sups in by_triple.values():
                for s in sups:
                    if (s.source, s.quote) not in seen:
                        seen.add((s.source, s.quote))
                        out.append(s)
            return out + whole
        return whole


def anchor(iri: str) -> str:
    """The id of an entity's section: ``cluster-`` and the IRI's last segment."""
    return "cluster-" + re.sub(r"[^A-Za-z0-9_-]", "-", iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1])


def clusters_index(store: ox.Store, lang: str) -> list[ClusterEntry]:
    """Every cluster, named first, the best connected first (one row each: a
    cluster of two kinds keeps the first)."""
    entries: dict[str, ClusterEntry] = {}
    for r in report_query(store, "clusters", lang=ox.Literal(lang)):
        if _v(r, "cluster") not in entries:
            entries[_v(r, "cluster")] = ClusterEntry(
                _v(r, "cluster"),
                _v(r, "label"),
                _v(r, "kind"),
                _v(r, "kindLabel"),
                _v(r, "named") == "true",
                _v(r, "cityLabel"),
                _v(r, "regionLabel"),
                int(_v(r, "ties", "0")),
            )
    return list(entries.values())


def reading(value: Any, qualifier: str, unit: str, currency: str, lang: str) -> str:
    """``> 650``, ``≈ 1,200,000 EUR``, ``40 %``: the value as the text gives it."""
    text = QUALIFIER_SIGNS.get(qualifier, "") + number(value, lang)
    if unit.startswith("%"):  # 40% (en), 40 % (fr, narrow no-break space, as Babel and Intl write it)
        text += ("\u202f" if lang == "fr" else "") + unit
    elif unit:
        text += " " + unit
    if currency:
        text += " " + currency
    return text


def figures(store: ox.Store, entity: str, lang: str, supports: Supports) -> list[Figure]:
    """The observations of ``entity``; a share paid by several is one figure with
    all its payers; a share's amount is computed from what it is a share of."""
    w = strings(lang)
    rows = report_query(store, "figures", entity=ox.NamedNode(entity), lang=ox.Literal(lang))
    by_iri: dict[str, Figure] = {}
    wholes: dict[str, tuple[Any, str, str, str]] = {}
    for r in rows:
        iri = _v(r, "observation")
        value = query.normalise_term(r.get("value"))
        qualifier, unit, currency = _v(r, "qualifier"), _v(r, "unit"), _v(r, "currency")
        wholes[iri] = (value, qualifier, currency, _v(r, "label"))
        if iri not in by_iri:
            date = _v(r, "date") or (_v(r, "year") and w["in_year"].format(year=_v(r, "year")))
            if not date and _v(r, "periodStart"):
                date = w["since"].format(year=_v(r, "periodStart"))
            if _v(r, "dateNotStated") == "true" and not _v(r, "date") and not _v(r, "year"):
                date = (date + " · " if date else "") + w["date_not_stated"]
            by_iri[iri] = Figure(
                iri,
                _v(r, "label"),
                _v(r, "measureLabel"),
                _v(r, "categoryLabel"),
                value,
                reading(value, qualifier, unit, currency, lang),
                date,
                share_of=_v(r, "shareOf"),
                source=_v(r, "fundingSourceLabel"),
                supports=supports.of(iri, CKG + "value", _v(r, "value")),
            )
        payer = _v(r, "payer")
        if payer and (payer, _v(r, "payerLabel")) not in by_iri[iri].payers:
            by_iri[iri].payers.append((payer, _v(r, "payerLabel")))
    for f in by_iri.values():
        if f.share_of in wholes and isinstance(f.value, (int, Decimal)):
            whole, qualifier, currency, label = wholes[f.share_of]
            if isinstance(whole, (int, Decimal)):
                amount = Decimal(whole) * Decimal(f.value) / 100
                shown: int | Decimal = int(amount) if amount == amount.to_integral_value() else amount
                f.share_amount = reading(shown, qualifier, "", currency, lang)
            f.share_of = label
    return list(by_iri.values())


def page(store: ox.Store, entry: ClusterEntry, lang: str, supports: Supports, pages: dict[str, str]) -> ClusterPage:
    """The sections of one cluster's page."""
    w = strings(lang)
    sections: dict[str, list[Fact]] = {k: [] for k in SECTION_ORDER}
    _add_facts(sections, store, entry, lang, w, supports, pages)
    _add_related(sections, store, entry, lang, w, supports, pages)
    figs = figures(store, entry.iri, lang, supports)
    return ClusterPage(entry, sections, figs)


def _add_facts(
    sections: dict[str, list[Fact]],
    store: ox.Store,
    entry: ClusterEntry,
    lang: str,
    w: dict[str, Any],
    supports: Supports,
    pages: dict[str, str],
) -> None:
    """The cluster's own statements, each in its section."""
    node = ox.NamedNode(entry.iri)
    for r in report_query(store, "entity-facts", entity=node, lang=ox.Literal(lang)):
        prop, direction, value = _v(r, "property"), _v(r, "direction"), r["value"]
        if (prop, direction) in INDIRECT:
            continue
        key = SECTIONS.get((prop, direction), "identity" if isinstance(value, ox.Literal) else "other")
        what = w["terms"].get(prop) or _v(r, "propertyLabel")
        if direction == "in":
            what = f"{what} {w['incoming'].format(label=_v(r, 'valueLabel'))}"
            sups = supports.of(value.value, prop, entry.iri)
        else:
            sups = supports.of(entry.iri, prop, value.value if not isinstance(value, ox.BlankNode) else "")
        if isinstance(value, ox.Literal):
            v = query.normalise_term(value)
            text = number(v, lang) if isinstance(v, (int, Decimal)) and not isinstance(v, bool) else query.display(v)
            sections[key].append(Fact(what, text, supports=sups))
        else:
            iri = value.value
            sections[key].append(
                Fact(what, _v(r, "valueLabel") or iri, link(iri, pages), iri, [_v(r, "valueClassLabel")], sups)
            )


def _add_related(
    sections: dict[str, list[Fact]],
    store: ox.Store,
    entry: ClusterEntry,
    lang: str,
    w: dict[str, Any],
    supports: Supports,
    pages: dict[str, str],
) -> None:
    """What ties the cluster to others: its seat, its people, its lineage, its activities."""
    node = ox.NamedNode(entry.iri)
    activities: dict[str, Fact] = {}
    for r in report_query(store, "related", entity=node, lang=ox.Literal(lang)):
        tie, via, other = _v(r, "tie"), _v(r, "via"), _v(r, "other")
        sups = supports.of(via)
        other_href = link(other, pages) if other else ""
        if tie == "site":
            sections["seat"].append(
                Fact(w["tie_site"], _v(r, "otherLabel"), other_href, other, [_v(r, "viaLabel")], sups)
            )
        elif tie == "person":
            sections["people"].append(
                Fact(_v(r, "detailLabel"), _v(r, "otherLabel"), other_href, other, [_v(r, "viaLabel")], sups)
            )
        elif tie in ("merged-from", "merged-into"):
            label = w["merged_from"] if tie == "merged-from" else w["merged_into"]
            sections["lineage"].append(
                Fact(label, _v(r, "otherLabel"), other_href, other, [_v(r, "detailLabel"), _v(r, "viaLabel")], sups)
            )
        elif tie == "activity":  # one line per activity, its destinations or target countries together
            activity = activities.get(via)
            if activity is None:
                activity = activities[via] = Fact(_v(r, "viaLabel"), "", iri=via, supports=sups)
                sections["networks"].append(activity)
            if _v(r, "otherLabel"):
                activity.value = ", ".join(x for x in (activity.value, _v(r, "otherLabel")) if x)


def network(store: ox.Store, lang: str, pages: dict[str, str], max_nodes: int = MAX_NETWORK_NODES) -> dict:
    """Nodes and ties for cytoscape.js: every node, or, above ``max_nodes``, the
    neighbourhoods of the best connected clusters (:func:`_neighbourhoods`), with
    the ties between them and the totals."""
    w = strings(lang)
    kinds: dict[str, str] = {}
    labels: dict[str, str] = {}
    edges: dict[tuple[str, str, str], dict] = {}
    for r in report_query(store, "network", lang=ox.Literal(lang)):
        s, t = _v(r, "source"), _v(r, "target")
        if s == t:
            continue
        for node, kind, label in (
            (s, _v(r, "sourceKind"), _v(r, "sourceLabel")),
            (t, _v(r, "targetKind"), _v(r, "targetLabel")),
        ):
            k = _kind(kind)
            if node not in kinds or NODE_KINDS.index(k) < NODE_KINDS.index(kinds[node]):
                kinds[node] = k
            labels[node] = label
        tie = _v(r, "tie")
        label = (w["terms"].get(_v(r, "edge")) or _v(r, "edgeLabel")) if tie == "property" else w[f"tie_{tie}"]
        if tie == "membership" and _v(r, "viaLabel"):
            label = _v(r, "viaLabel")
        edges.setdefault(
            (s, t, label),
            {"source": s, "target": t, "label": label, "type": _v(r, "edge") if tie == "property" else tie},
        )
    degree: Counter[str] = Counter()
    for s, t, _ in edges:
        degree[s] += 1
        degree[t] += 1
    kept = _neighbourhoods(degree, kinds, labels, edges, max_nodes)
    shown_edges = [e for e in edges.values() if e["source"] in kept and e["target"] in kept]
    nodes: list[dict[str, Any]] = [
        {
            "id": n,
            "label": labels[n],
            "kind": kinds[n],
            "degree": degree[n],
            "href": ("#" + pages[n]) if n in pages else "",
            "short": short(n),
        }
        for n in sorted(kept)
    ]
    type_labels: dict[str, str] = {}
    for e in shown_edges:  # a membership's type is its tie, its label the role
        type_labels.setdefault(e["type"], w["tie_membership"] if e["type"] == "membership" else e["label"])
    positions = layout([n["id"] for n in nodes], [(e["source"], e["target"]) for e in shown_edges])
    for n in nodes:
        n["x"], n["y"] = positions[n["id"]]
    class_labels = _class_labels(store, lang)
    kind_labels = {k: class_labels.get(CKG + k, w.get(f"kind_{k}", k)) for k in sorted({n["kind"] for n in nodes})}
    return {
        "nodes": nodes,
        "edges": [{"id": f"e{i}", **e} for i, e in enumerate(shown_edges)],
        "all_nodes": len(degree),
        "all_edges": len(edges),
        "types": type_labels,
        "kinds": kind_labels,
    }


def _neighbourhoods(
    degree: Counter,
    kinds: dict[str, str],
    labels: dict[str, str],
    edges: dict[tuple[str, str, str], dict],
    max_nodes: int,
) -> set[str]:
    """The nodes to draw: all of them when they fit; else the best connected
    clusters, each with every node it is tied to, as many as fit in ``max_nodes``
    (a picture of whole neighbourhoods, not of hubs without their ties)."""
    if len(degree) <= max_nodes:
        return set(degree)
    near: dict[str, set[str]] = defaultdict(set)
    for s, t, _ in edges:
        near[s].add(t)
        near[t].add(s)
    kept: set[str] = set()
    clusters = sorted((n for n in degree if kinds[n] == "Cluster"), key=lambda n: (-degree[n], labels[n], n))
    for c in clusters:
        group = {c} | near[c]
        if len(kept | group) > max_nodes:
            if not kept:
                kept = set(sorted(group, key=lambda n: (n != c, -degree[n], n))[:max_nodes])
            break
        kept |= group
    return kept


def circle_layout(nodes: list[str], size: float = 1000.0) -> dict[str, tuple[float, float]]:
    """The nodes on one circle, in their order (the layout without networkx)."""
    import math

    n = max(len(nodes), 1)
    radius = size / 2
    return {
        node: (
            round(radius + radius * math.cos(2 * math.pi * i / n), 1),
            round(radius + radius * math.sin(2 * math.pi * i / n), 1),
        )
        for i, node in enumerate(nodes)
    }


def layout(nodes: list[str], edges: list[tuple[str, str]], size: float = 1000.0) -> dict[str, tuple[float, float]]:
    """Positions of the network's nodes, computed here once (the page then draws
    them as they are, with no layout to run in the browser): Kamada-Kawai for each
    connected component up to 100 nodes, a seeded spring layout above, components
    side by side by size. Deterministic. Without networkx (the picture extra is
    not installed) the nodes stand on a circle, in their given order."""
    try:
        import networkx as nx
    except ImportError:
        return circle_layout(nodes, size)

    g = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    parts = sorted(nx.connected_components(g), key=lambda c: (-len(c), sorted(c)))
    out: dict[str, tuple[float, float]] = {}
    x0 = y0 = row = 0.0
    for comp in parts:
        sub = g.subgraph(comp)
        n = len(comp)
        if n == 1:
            pos = {next(iter(comp)): (0.0, 0.0)}
        elif n <= 100:  # Kamada-Kawai grows fast with n (250 nodes: ~20 s)
            pos = nx.kamada_kawai_layout(sub)
        else:
            pos = nx.spring_layout(sub, seed=7, iterations=60)
        side = size * (n / max(len(nodes), 1)) ** 0.5 if n > 1 else 40.0
        xs = [p[0] for p in pos.values()]
        ys = [p[1] for p in pos.values()]
        if max(ys) - min(ys) > max(xs) - min(xs):  # lie the component down: the canvas is wide
            pos = {node: (y, x) for node, (x, y) in pos.items()}
            xs, ys = ys, xs
        span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
        if x0 + side > size * 1.6 and x0 > 0:  # next row
            x0, y0, row = 0.0, y0 + row + 60, 0.0
        for node, (x, y) in pos.items():
            out[node] = (round(x0 + (x - min(xs)) / span * side * 1.4, 1), round(y0 + (y - min(ys)) / span * side, 1))
        x0 += side * 1.4 + 60
        row = max(row, side)
    return out


def geography(store: ox.Store, lang: str, net: dict) -> dict:
    """Points (places with coordinates, and what is located there), arcs (ties of
    the network between two located nodes; through an unlocated hub such as a
    network or an agreement: between the two places of its neighbours, or from the
    cluster tied to it more than once, e.g. REDICT's creator and member, to the
    others) and the countries to shade (ISO 3166-1 numeric, as world-atlas)."""
    located, via, places = _locations(store, lang)
    iso_numeric = _iso_numeric(store)
    kinds = {n["id"]: n["kind"] for n in net["nodes"]}
    labels = {n["id"]: n["label"] for n in net["nodes"]}
    _describe_places(places, located, via, net, kinds, labels)
    arcs = _arcs(net, located, kinds, labels)
    countries = {}
    for n in net["nodes"]:
        if n["kind"] == "Country" and n["id"] in iso_numeric:
            countries[iso_numeric[n["id"]]] = n["label"]
    used = {p for a in arcs.values() for p in (a["from"], a["to"])} | {located[n] for n in labels if n in located}
    points = [places[p] for p in sorted(used) if p in places]
    unlocated = sum(1 for n in labels if n not in located and not (kinds[n] == "Country" and n in iso_numeric))
    return {"points": points, "arcs": list(arcs.values()), "countries": countries, "unlocated": unlocated}


def _locations(store: ox.Store, lang: str) -> tuple[dict[str, str], dict[str, str], dict[str, dict]]:
    """node -> its place; node -> how it is located ("self" | "city" | "region");
    place -> its point (label, coordinates, what is there)."""
    located: dict[str, str] = {}  # node -> place
    via: dict[str, str] = {}  # node -> "self" | "city" | "region"
    places: dict[str, dict] = {}
    for r in report_query(store, "locations", lang=ox.Literal(lang)):
        node, place, how = _v(r, "node"), _v(r, "place"), _v(r, "via")
        m = re.match(r"\s*(?:<[^>]*>\s*)?POINT\s*\(\s*([-0-9.eE+]+)\s+([-0-9.eE+]+)\s*\)", _v(r, "wkt"), re.I)
        if not m:
            continue
        if node not in located or via.get(node) == "region":
            located[node], via[node] = place, how
        places.setdefault(
            place,
            {
                "id": place,
                "label": _v(r, "placeLabel"),
                "lon": float(m.group(1)),
                "lat": float(m.group(2)),
                "what": [],
                "region": False,
            },
        )
    return located, via, places


def _iso_numeric(store: ox.Store) -> dict[str, str]:
    """Country node -> its ISO 3166-1 numeric code (as world-atlas)."""
    import pycountry

    iso_numeric: dict[str, str] = {}
    for r in report_query(store, "country-codes"):
        country = pycountry.countries.get(alpha_2=_v(r, "iso2"))
        if country is not None:
            iso_numeric[_v(r, "country")] = country.numeric
    return iso_numeric


def _describe_places(
    places: dict[str, dict],
    located: dict[str, str],
    via: dict[str, str],
    net: dict,
    kinds: dict[str, str],
    labels: dict[str, str],
) -> None:
    """What each point's tooltip lists: the nodes located there, what is tied to a city."""
    for node, place in located.items():
        if node in labels and node != place:
            places[place]["what"].append(labels[node])
            if via[node] == "region":
                places[place]["region"] = True
    for e in net["edges"]:  # a city's tooltip: what is tied to it ("Digital 113: antenna in")
        for end, other in ((e["target"], e["source"]), (e["source"], e["target"])):
            if (
                located.get(end) == end
                and other not in located
                and end in places
                and kinds.get(other) not in ("City", "Region", "Country")
            ):
                what = f"{labels.get(other, other)}: {e['label']}"
                if what not in places[end]["what"]:
                    places[end]["what"].append(what)


def _add_arc(arcs: dict[tuple[str, str], dict], located: dict[str, str], a: str, b: str, label: str) -> None:
    """An arc between the places of ``a`` and ``b`` (none if either is unlocated or both
    are at one place), ``label`` added to its labels."""
    pa, pb = located.get(a), located.get(b)
    if pa and pb and pa != pb:
        key = (pa, pb) if pa < pb else (pb, pa)
        if key not in arcs:
            arcs[key] = {"from": pa, "to": pb, "labels": []}
        if label not in arcs[key]["labels"]:
            arcs[key]["labels"].append(label)


def _arcs(net: dict, located: dict[str, str], kinds: dict[str, str], labels: dict[str, str]) -> dict:
    """The arcs of the map: ties between located nodes, and through unlocated hubs."""
    arcs: dict[tuple[str, str], dict] = {}
    neighbours: dict[str, Counter] = defaultdict(Counter)
    for e in net["edges"]:
        s, t = e["source"], e["target"]
        if s in located and t in located:
            _add_arc(arcs, located, s, t, f"{labels.get(s, s)} — {e['label']} — {labels.get(t, t)}")
        for hub, other in ((s, t), (t, s)):
            if hub not in located and other in located:
                neighbours[hub][other] += 1
    for hub, near in neighbours.items():
        _add_hub_arcs(arcs, located, kinds, labels, hub, near)
    return arcs


def _add_hub_arcs(
    arcs: dict[tuple[str, str], dict],
    located: dict[str, str],
    kinds: dict[str, str],
    labels: dict[str, str],
    hub: str,
    near: Counter,
) -> None:
    """The arcs through one unlocated hub: between its two places, or from its leader."""

    def arc(a: str, b: str, label: str) -> None:
        _add_arc(arcs, located, a, b, label)

    at = {located[n]: n for n in sorted(near)}  # one node per place
    if len(at) == 2:
        a, b = sorted(at.values())
        arc(a, b, labels.get(hub, hub))
        return
        # a star only from a cluster tied to the hub more than once (REDICT: Cap Digital
        # created it and is a member); otherwise no centre is stated, and none is drawn
    leaders = [n for n in near if kinds.get(n) == "Cluster" and near[n] >= 2]
    if leaders:
        anchor_node = max(leaders, key=lambda n: (near[n], labels.get(n, ""), n))
        for other in near:
            if other != anchor_node:
                arc(anchor_node, other, labels.get(hub, hub))


def analyse(
    store: ox.Store,
    lang: str = "en",
    max_index: int = MAX_INDEX,
    max_pages: int = MAX_PAGES,
    max_nodes: int = MAX_NETWORK_NODES,
) -> Analysis:
    """Everything the analyst sections show, in ``lang``."""
    entries = clusters_index(store, lang)
    named = [e for e in entries if e.named]
    with_page = named[:max_pages]
    pages = {e.iri: anchor(e.iri) for e in with_page}
    for e in with_page:
        e.anchor = pages[e.iri]
    supports = Supports(store, lang)
    cluster_pages = [page(store, e, lang, supports, pages) for e in with_page]
    net = network(store, lang, pages, max_nodes)
    geo = geography(store, lang, net)
    return Analysis(lang, entries[:max_index], len(named), len(entries) - len(named), cluster_pages, net, geo)


# ----------------------------------------------------------------- picture

_SVG_START = re.compile(r"<svg\b", re.S)


def inline_svg(svg: str) -> Markup | None:
    """The SVG element of a picture, fit for inlining in HTML, or None when it holds
    anything active (script, foreignObject, event attributes, external references)."""
    m = _SVG_START.search(svg)
    if m is None:
        return None
    body = svg[m.start() :]
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


def draw_picture(store: ox.Store, out: Path) -> tuple[Any, str]:
    """The static picture (for print), or None and why not (matplotlib missing)."""
    from . import picture

    pic = picture.picture(store, out / "network")
    if pic.graph is None:  # without the picture extra: nothing drawn, the note says what to install
        return None, pic.note.removeprefix("no picture: ")
    return pic, pic.note


# ----------------------------------------------------------------- build

Progress = Callable[[str], None]


def build(
    out: Path = DEFAULT_OUT,
    *,
    lang: str = "en",
    on_step: Progress = lambda _: None,
    on_query: Callable[[str], None] = lambda _: None,
    files=(),
    snapshot: Any = None,
) -> Report:
    """Run every step and write ``out/index.html`` on ``files`` (default: the
    project's data), or on the graphs fetched from a server (``snapshot``,
    :meth:`clusterkg.remote.Reader.snapshot`). Raises :class:`clusterkg.graph.LoadError`
    when a file cannot be read."""
    strings(lang)  # refuses an unknown language before any work
    where: dict[str, str] = {}
    if snapshot is None:
        on_step("loading the ontology and the data into the embedded store")
        loaded = validate.load(files)
    store = (loaded if snapshot is None else snapshot).store
    total, graphs, classes, sources = summary_tables(store, lang)

    # (not in a thread beside the steps below: the fast validator sets graphs
    # of the store aside while it runs, which the other steps would see)
    on_step("validating the data against the SHACL shapes")
    if snapshot is None:
        validation = validate.validate_loaded(loaded)
    else:
        validation, where = validate_snapshot(snapshot)

    on_step("reading the clusters, the network and the map")
    analysis = analyse(store, lang)
    pages = {p.entry.iri: p.entry.anchor for p in analysis.pages}

    catalogue = query.catalogue()
    on_step(f"running {len(catalogue)} canned queries")
    sections = []
    for name, q in catalogue.items():
        on_query(name)
        sections.append(run_query(store, q, lang, pages))

    on_step("drawing the network picture")
    out.mkdir(parents=True, exist_ok=True)
    pic, note = draw_picture(store, out)

    on_step("writing the report")
    counts = {
        "clusters": instances_of(store, project.ONTOLOGY_NS + "Cluster"),
        "named": analysis.named,
        "unnamed": analysis.unnamed,
        "sources": len(sources.rows),
        "graphs": len(graphs.rows) - 1,
    }
    report = Report(
        out,
        out / "index.html",
        total,
        graphs,
        classes,
        sources,
        validation,
        sections,
        pic,
        counts,
        analysis,
        lang,
        note,
        where,
    )
    labels = {}
    if lang != "en":
        for f in validation.findings:
            rows = (
                report_query(store, "label", node=ox.NamedNode(f.result.focus), lang=ox.Literal(lang))
                if f.result.focus.startswith(("http:", "https:", "urn:"))
                else []
            )
            if rows:
                labels[f.result.focus] = _v(rows[0], "label")
    text = render(report, shape_messages(lang), labels)
    tmp = report.path.with_name(report.path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(report.path)
    return report


def validate_snapshot(snapshot: Any) -> tuple[validate.Validation, dict[str, str]]:
    """Validate graphs fetched from a server as :func:`clusterkg.validate.validate_loaded`
    validates files: the graphs named like the project's ontology files are the
    ontology, the others (vocabulary included) the data. No file stands behind
    them, so a finding has no file and line: ``where`` names, for each focus
    node, the graph that describes it (the first, by name, where it is a subject).

    ``validate_loaded`` reads files only to find lines: each graph is given an
    empty stand-in file of its own name (``ontology/vocabulary.ttl`` …) in a
    temporary folder, in which no line is ever found."""
    import tempfile
    from urllib.parse import quote

    ontology = {gf.graph for gf in validate.ontology_files()}
    with tempfile.TemporaryDirectory(prefix="clusterkg-report-") as tmp:
        parsed: dict[str, list[graph.ParsedFile]] = {"ontology": [], "data": []}
        for g in sorted(snapshot.catalogue):
            parts = g[len(project.GRAPH_NS) :].split("/") if g.startswith(project.GRAPH_NS) else []
            if not parts or any(p in ("", ".", "..") for p in parts):  # a name from the server stays inside tmp
                parts = ["other", quote(g, safe="")]
            stand_in = Path(tmp, *[quote(p, safe="") for p in parts[:-1]], quote(parts[-1], safe="") + ".ttl")
            stand_in.parent.mkdir(parents=True, exist_ok=True)
            stand_in.touch()
            parsed["ontology" if g in ontology else "data"].append(graph.ParsedFile(graph.GraphFile(stand_in, g), {}))
        validation = validate.validate_loaded(validate.Loaded(snapshot.store, parsed["ontology"], parsed["data"]))
    validation.undeclared = [dataclasses.replace(t, file=None) for t in validation.undeclared]
    where = {}
    for f in validation.findings:
        if f.result.focus.startswith(("http:", "https:", "urn:")):
            graphs = {
                q.graph_name.value for q in snapshot.store.quads_for_pattern(ox.NamedNode(f.result.focus), None, None)
            }
            where[f.result.focus] = min(graphs, default="")
    validation.findings.sort(key=lambda f: where.get(f.result.focus, "~"))  # by graph, as by file (stable)
    return validation, where


def instances_of(store: ox.Store, class_iri: str) -> int:
    """Instances of a class and of its subclasses."""
    rows = list(
        select(
            store,
            internal_query("instances-of-class"),
            substitutions={ox.Variable("class"): ox.NamedNode(class_iri)},
            use_default_graph_as_union=True,
        )
    )
    return int(rows[0]["instances"].value) if rows else 0


def shape_messages(lang: str) -> dict[str, str]:
    """Each shape's sh:message in ``lang`` (the findings carry the English one)."""
    if lang == "en":
        return {}
    store = ox.Store()
    for gf in validate.shape_files():
        graph.load_file(store, gf)
    return {_v(r, "shape"): _v(r, "message") for r in report_query(store, "shape-messages", lang=ox.Literal(lang))}


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("clusterkg", "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    return env


def asset(name: str) -> Markup:
    """A file of templates/ (``vendor/…`` for the vendored libraries), to inline in a
    <script> or <style> element: any ``</script`` or ``</style`` in it is broken
    so that it cannot close the element."""
    path = resources.files("clusterkg.templates")
    for part in name.split("/"):
        path = path.joinpath(part)
    text = path.read_text(encoding="utf-8")
    return Markup(re.sub(r"</(script|style)", r"<\\/\1", text, flags=re.I))


def vendor(name: str) -> Markup:
    """A vendored file (templates/vendor/NAME), inlined as :func:`asset`."""
    return asset("vendor/" + name)


def page_json(data: Any) -> Markup:
    """Data for a ``<script type="application/json">`` block: ``<``, ``>`` and ``&``
    escaped as JSON unicode escapes, so no value can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _finding_message(f: validate.Finding, messages: dict[str, str], label: str | None) -> str:
    """The finding's message in the report's language when its shape has one."""
    shape = getattr(f.result, "source_shape", "") or ""
    template = messages.get(shape)
    if not template:
        return f.message
    message = re.sub(r"\{[$?]this\}", lambda _: label or f.label or f.node, template)
    message = re.sub(r"\{[$?]value\}", lambda _: f.value or "", message)
    return message


def render(report: Report, messages: dict[str, str] | None = None, labels: dict[str, str] | None = None) -> str:
    """The page; ``messages`` are the shapes' messages and ``labels`` the focus
    nodes' labels in the report's language (English: the findings' own)."""
    v = report.validation
    messages, labels = messages or {}, labels or {}
    findings = [
        {
            "severity": f.result.severity.rsplit("#", 1)[-1],
            "violation": f.is_violation,
            "focus": labels.get(f.result.focus) or f.label or short(f.result.focus),
            "focus_iri": f.result.focus,
            "path": validate.show_path(f.result.path, v.prefixes) if f.result.path else "",
            "value": validate.show_value(f.result.value, v.prefixes) if f.result.value else "",
            "message": _finding_message(f, messages, labels.get(f.result.focus)),
            "where": (
                f"{_relative(f.file)}:{f.line}"
                if f.file and f.line
                else _relative(f.file)
                if f.file
                else report.where.get(f.result.focus, "")
            ),
        }
        for f in v.findings
    ]
    a = report.analysis
    t = Words(report.lang)
    pic = report.picture
    return (
        environment()
        .get_template("report.html")
        .render(
            r=report,
            v=v,
            a=a,
            t=t,
            lang=report.lang,
            findings=findings,
            version=__version__,
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            svg=inline_svg(pic.svg) if pic is not None else None,
            picture_nodes=pic.graph.number_of_nodes() if pic is not None else 0,
            picture_edges=pic.graph.number_of_edges() if pic is not None else 0,
            answered=sum(1 for q in report.queries if q.table is not None and q.table.rows),
            n=lambda value: number(value, report.lang),
            data=page_json({"lang": report.lang, "network": a.network, "geo": a.geo, "words": strings(report.lang)})
            if a is not None
            else None,
            vendor=vendor,
            asset=asset,
            sections=SECTION_ORDER,
            r_docs=DOCS_HREF,
        )
    )


def _relative(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return str(Path(path).resolve().relative_to(project.ROOT.resolve()))
    except ValueError:
        return str(path)
