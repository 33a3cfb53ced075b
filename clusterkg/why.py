"""Why does the graph say so: the supports of one triple (``clusterkg why``).

Every data triple other than typing and labels is backed by one or more
``ckg:Support`` nodes that name it (``ckg:supports [ rdf:subject ; rdf:predicate ;
rdf:object ]``). :func:`why` finds them with ``queries/internal/why.rq``: the
subject, predicate and (optional) object are parsed into RDF terms first (a
CURIE of the project's prefixes, ``<iri>`` or a full IRI; a literal as written in
Turtle), then bound as a VALUES row; no text of the user is pasted into SPARQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from . import graph, project
from .query import normalise_term, with_values
from .sparql import internal_query, select

__all__ = ["Support", "TermError", "NotInGraph", "parse_term", "why", "describe"]

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

#: What each status means, for people.
STATUS_WORDS = {
    project.VOCAB_NS + "stated": "stated in the text",
    project.VOCAB_NS + "external": "external source",
    project.VOCAB_NS + "derived": "derived",
    project.VOCAB_NS + "assumed": "editors' assumption",
}


class TermError(ValueError):
    """A subject, predicate or object that is not a valid term."""


class NotInGraph(LookupError):
    """The triple asked about is not in the graph."""


@dataclass(frozen=True)
class Support:
    """One support of a triple, as :func:`why` returns it."""

    object: str  # the object of the triple backed (N-Triples form)
    iri: str  # the support node
    status: str  # ckv:stated | ckv:external | ckv:derived | ckv:assumed (IRI)
    source: str | None = None  # the ckg:SourceDocument quoted
    source_title: str | None = None
    url: str | None = None
    quote: str | None = None
    comment: str | None = None  # why (for assumptions, and notes)
    derived_by: str | None = None
    modality: str | None = None  # ckv:announced …
    announced_at: str | None = None
    announced_date: str | None = None
    file: Path | None = None  # where the support is written
    line: int | None = None

    @property
    def status_words(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)


def parse_term(text: str, position: str, prefixes: Mapping[str, str] = project.PREFIXES):
    """A term as a person writes it: ``ck:paris``, ``<http://…>``, ``http://…``;
    for the object also a Turtle literal (``"2006"^^xsd:gYear``, ``"Paris"@en``,
    ``650``, ``true``); ``a`` as predicate is rdf:type. Raises :class:`TermError`."""
    text = text.strip()
    if position == "predicate" and text == "a":
        return ox.NamedNode(RDF_TYPE)
    if re.fullmatch(r"[a-z][a-z0-9+.\-]*:[^\s<>\"{}|^`\\]+", text) and "//" in text[: text.index(":") + 3]:
        text = f"<{text}>"
    declared = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items())
    slot = {"subject": "{} <urn:p> <urn:o> .", "predicate": "<urn:s> {} <urn:o> .", "object": "<urn:s> <urn:p> {} ."}[
        position
    ]
    try:
        (triple,) = list(ox.parse(declared + slot.format(text), format=ox.RdfFormat.TURTLE))
    except (SyntaxError, ValueError) as e:
        raise TermError(
            f"{position} {text!r} is not a term: give a CURIE (ck:paris), <iri>"
            + (' or a Turtle literal ("2006"^^xsd:gYear)' if position == "object" else "")
            + f" ({e})"
        ) from None
    term = {"subject": triple.subject, "predicate": triple.predicate, "object": triple.object}[position]
    if position != "object" and not isinstance(term, ox.NamedNode):
        raise TermError(f"{position} {text!r} must be an IRI")
    return term


def why(store: ox.Store, s, p, o=None, root: Path = project.ROOT) -> list[Support]:
    """The supports of ``s p o`` (every object of ``s p`` when ``o`` is None), in
    the store's named graphs. Terms may be pyoxigraph terms or text (see
    :func:`parse_term`). Raises :class:`NotInGraph` when the triple is not in
    the graph, :class:`TermError` when a term is invalid."""
    bindings = {"s": _term(s, "subject"), "p": _term(p, "predicate")}
    if o is not None:
        bindings["o"] = _term(o, "object")
    if not bool(store.query(with_values(internal_query("triple-exists"), bindings), use_default_graph_as_union=True)):
        raise NotInGraph(
            "the graph does not hold "
            + " ".join(
                project.shorten(t.value, project.PREFIXES, "<{}>") if isinstance(t, ox.NamedNode) else str(t)
                for t in bindings.values()
            )
        )
    solutions = select(store, with_values(internal_query("why"), bindings), use_default_graph_as_union=True)
    out = []
    for row in solutions:

        def get(name: str, row: ox.QuerySolution = row) -> str | None:
            term = row[name]
            return None if term is None else str(normalise_term(term))

        def need(name: str, row: ox.QuerySolution = row) -> str:
            value = get(name, row)
            assert value is not None, f"why.rq always binds ?{name}"
            return value

        graph_name = get("graph")
        file = _file_of(graph_name, root)
        out.append(
            Support(
                object=str(bindings.get("o") or row["o"]),
                iri=need("support"),
                status=need("status"),
                source=get("source"),
                source_title=get("sourceTitle"),
                url=get("url"),
                quote=get("quote"),
                comment=get("comment"),
                derived_by=get("derivedBy"),
                modality=get("modality"),
                announced_at=get("announcedAt"),
                announced_date=get("announcedDate"),
                file=file,
                line=_line(file, get("support")) if file else None,
            )
        )
    return out


def _term(value, position):
    if isinstance(value, (ox.NamedNode, ox.Literal)):
        return value
    return parse_term(str(value), position)


def _file_of(graph_name: str | None, root: Path) -> Path | None:
    if graph_name and graph_name.startswith(project.GRAPH_NS):
        path = root / (graph_name[len(project.GRAPH_NS) :] + ".ttl")
        return path if path.is_file() else None
    if graph_name and graph_name.startswith("file:"):
        path = Path(graph_name[len("file://") :])
        return path if path.is_file() else None
    return None


def _line(path: Path, iri: str | None) -> int | None:
    if iri is None:
        return None
    for name in graph.spellings(iri, project.PREFIXES):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if text.startswith(name + " "):
                return number
    return None


def describe(supports: list[Support], prefixes: Mapping[str, str] = project.PREFIXES, show_object: bool = False) -> str:
    """The supports as text: one paragraph each (with the object backed when
    ``show_object``: the question named none)."""

    def short(iri):
        return project.shorten(iri, prefixes, "<{}>") if iri else ""

    blocks = []
    for sp in supports:
        lines = [f"{short(sp.iri)}: {sp.status_words}"]
        if show_object:
            lines.append(f"  object: {_show_term(sp.object, prefixes)}")
        if sp.source:
            title = f" \u201c{sp.source_title}\u201d" if sp.source_title else ""
            lines.append(f"  source: {short(sp.source)}{title}" + (f" <{sp.url}>" if sp.url else ""))
        if sp.quote:
            lines.append(f"  quote: \u00ab {sp.quote} \u00bb")
        if sp.modality:
            when = f" at {short(sp.announced_at)}" if sp.announced_at else ""
            when += f" ({sp.announced_date})" if sp.announced_date else ""
            lines.append(f"  modality: {short(sp.modality)}{when}")
        if sp.derived_by:
            lines.append(f"  rule: {short(sp.derived_by)}")
        if sp.comment:
            lines.append(f"  why: {sp.comment}")
        if sp.file:
            where = _relative(sp.file)
            lines.append(f"  at: {where}:{sp.line}" if sp.line else f"  at: {where}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _show_term(nt: str, prefixes: Mapping[str, str]) -> str:
    """An N-Triples term as a person writes it: ck:paris, "2006"^^xsd:gYear."""
    if nt.startswith("<") and nt.endswith(">"):
        return project.shorten(nt[1:-1], prefixes, "<{}>")
    match = re.fullmatch(r'(".*")\^\^<([^>]*)>', nt, re.S)
    if match:
        return f"{match.group(1)}^^{project.shorten(match.group(2), prefixes, '<{}>')}"
    return nt


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(project.ROOT.resolve()))
    except ValueError:
        return str(path)
