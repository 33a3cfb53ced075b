"""Catch typos in vocabulary: every class and predicate the data uses must be
declared by the ontology or belong to a reused standard vocabulary.

SHACL cannot see ``ckg:locatedin`` for ``ckg:locatedIn``: an unknown predicate
matches no shape. The standard vocabularies' term lists are rdflib's own
(``rdflib.namespace``), so ``org:memberof`` is caught as well.

Two entry points:

* :func:`undeclared_terms` -- (graph, term, kind) triples, for tests;
* :func:`findings` -- the same with what a person needs: the file and line where
  the term is first written, and the declared term it most likely stands for
  (``ckg:locatedin`` -> ``ckg:locatedIn``). ``clusterkg validate`` and
  ``clusterkg check`` report these; any validator that holds the files in a store
  (one named graph per file, :mod:`clusterkg.graph`) can call it the same way.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import DCTERMS, FOAF, GEO, ORG, OWL, PROV, RDF, RDFS, SDO, SH, SKOS, WGS, XSD

from . import graph, project
from .sparql import internal_query, select

STANDARD = (RDF, RDFS, OWL, XSD, SKOS, DCTERMS, PROV, ORG, FOAF, SDO, GEO)

#: W3C Basic Geo (WGS84 lat/long): rdflib spells its namespace with https, the W3C with http
WGS84 = "http://www.w3.org/2003/01/geo/wgs84_pos#"


@dataclass(frozen=True, order=True)
class UndeclaredTerm:
    graph: str
    term: str
    kind: str  # "predicate" or "class"


@dataclass(frozen=True, order=True)
class TermFinding:
    """An undeclared term where a person wrote it."""

    #: the file it is written in (None when the graph is not a parsed file)
    file: Path | None
    #: the first line (1-based) where it is written, when found
    line: int | None
    #: the term, full IRI
    term: str
    #: "predicate", "class", or for shapes "path", "class", "target" (what it is used as)
    kind: str
    #: a declared term it most likely stands for (full IRI), or None
    suggestion: str | None
    #: the named graph it was found in
    graph: str
    #: the term and the suggestion in the file's own prefixes
    shown: str = ""
    shown_suggestion: str = ""

    def message(self) -> str:
        hint = f" (did you mean {self.shown_suggestion}?)" if self.suggestion else ""
        used = {
            "predicate": "used as a predicate",
            "class": "used as a class",
            "path": "used in a shape's path",
            "target": "used as a shape's target",
        }.get(self.kind, self.kind)
        return f"{self.shown or self.term} is not declared by the ontology nor a reused vocabulary ({used}){hint}"

    def where(self) -> str:
        if self.file is None:
            return self.graph
        return f"{self.file}:{self.line}" if self.line else str(self.file)


def declared_terms(store: ox.Store, ontology_graphs: Iterable[str]) -> set[str]:
    """Every IRI the ontology graphs give a type to."""
    declared: set[str] = set()
    for g in ontology_graphs:
        rows = select(store, internal_query("declared-terms"), substitutions={ox.Variable("graph"): ox.NamedNode(g)})
        declared |= {row["term"].value for row in rows}
    return declared


def undeclared_terms(store: ox.Store, ontology_graphs: list[str]) -> list[UndeclaredTerm]:
    declared = declared_terms(store, ontology_graphs)
    out = []
    for row in select(store, internal_query("used-terms")):
        graph_iri, term = row["graph"].value, row["term"].value
        if graph_iri in ontology_graphs or term in declared or _standard(term):
            continue
        out.append(UndeclaredTerm(graph_iri, term, row["kind"].value))
    return sorted(out)


def findings(
    store: ox.Store,
    ontology_graphs: Sequence[str],
    parsed: Sequence[graph.ParsedFile] = (),
    *,
    shape_graphs: Sequence[str] = (),
) -> list[TermFinding]:
    """Undeclared terms of every graph of ``store`` but the ontology's, each with
    its file and line (from ``parsed``, the files loaded into the store) and a
    suggestion. The graphs of ``shape_graphs`` are shapes: there the terms
    checked are those the shapes constrain (paths, classes, targets), not SHACL's own."""
    declared = declared_terms(store, ontology_graphs)
    by_graph = {pf.file.graph: pf for pf in parsed}
    used: list[tuple[str, str, str]] = []
    for row in select(store, internal_query("used-terms")):
        g = row["graph"].value
        if g not in ontology_graphs and g not in shape_graphs:
            used.append((g, row["term"].value, row["kind"].value))
    for g in shape_graphs:
        for row in select(store, internal_query("shape-terms"), substitutions={ox.Variable("graph"): ox.NamedNode(g)}):
            used.append((g, row["term"].value, row["kind"].value))
    out = []
    for g, term, kind in sorted(set(used)):
        if term in declared or _standard(term):
            continue
        suggestion = suggest(term, declared)
        pf = by_graph.get(g)
        prefixes = {**project.PREFIXES, **(pf.prefixes if pf else {})}
        line = first_use(pf.file.path, term, pf.prefixes) if pf else None
        out.append(
            TermFinding(
                pf.file.path if pf else None,
                line,
                term,
                kind,
                suggestion,
                g,
                project.shorten(term, prefixes, "<{}>"),
                project.shorten(suggestion, prefixes, "<{}>") if suggestion else "",
            )
        )
    return sorted(out, key=lambda f: (str(f.file or f.graph), f.line or 0, f.term, f.kind))


# --- suggestions --------------------------------------------------------------------------


def suggest(term: str, declared: Iterable[str] = ()) -> str | None:
    """The known term of the same namespace that ``term`` most likely misspells:
    one that differs only in case, else the closest local name (difflib, ratio >= 0.8)."""
    ns, local = split(term)
    if not local:
        return None
    candidates = {split(t)[1]: t for t in declared if split(t)[0] == ns}
    candidates.update({split(t)[1]: t for t in _standard_terms() if split(t)[0] == ns})
    candidates.pop(local, None)
    for name, iri in sorted(candidates.items()):
        if name.lower() == local.lower():
            return iri
    close = difflib.get_close_matches(local, sorted(candidates), n=1, cutoff=0.8)
    return candidates[close[0]] if close else None


def split(iri: str) -> tuple[str, str]:
    """Namespace and local name: after the last ``#``, else the last ``/``."""
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1], iri[cut + 1 :]


def _standard(term: str) -> bool:
    if term.startswith(WGS84):
        return URIRef(str(WGS) + term[len(WGS84) :]) in WGS
    ref = URIRef(term)
    return any(term.startswith(str(ns)) and ref in ns for ns in STANDARD)


@lru_cache(maxsize=1)
def _standard_terms() -> frozenset[str]:
    out = {str(t) for ns in STANDARD for t in dir(ns) if isinstance(t, URIRef)}
    out |= {WGS84 + str(t)[len(str(WGS)) :] for t in dir(WGS) if isinstance(t, URIRef)}
    out |= {str(t) for t in dir(SH) if isinstance(t, URIRef)}
    return frozenset(out)


# --- where a term is written --------------------------------------------------------------


def first_use(path: Path, iri: str, prefixes: dict[str, str]) -> int | None:
    """The first line of ``path`` where ``iri`` is written (as ``<iri>`` or a
    prefixed name, not as part of a longer name; comments skipped)."""
    names = graph.spellings(iri, prefixes)
    pattern = re.compile(
        "|".join(
            (re.escape(n) if n.startswith("<") else r"(?<![\w\-:.])" + re.escape(n) + r"(?![\w\-]|\.[\w\-])")
            for n in names
        )
    )
    for number, line in enumerate(graph._lines(Path(path)), start=1):
        code = _without_comment(line)
        if pattern.search(code):
            return number
    return None


def _without_comment(line: str) -> str:
    """The line up to a ``#`` that starts a comment (not one inside an IRI or a string)."""
    in_iri = in_string = False
    quote = ""
    for i, ch in enumerate(line):
        if in_string:
            if ch == quote and line[i - 1] != "\\":
                in_string = False
        elif in_iri:
            in_iri = ch != ">"
        elif ch == "<":
            in_iri = True
        elif ch in "\"'":
            in_string, quote = True, ch
        elif ch == "#":
            return line[:i]
    return line
