"""Catch typos in vocabulary: every class and predicate the data uses must be
declared by the ontology or belong to a reused standard vocabulary.

SHACL cannot see ``ckg:locatedin`` for ``ckg:locatedIn``: an unknown predicate
matches no shape. The standard vocabularies' term lists are rdflib's own
(``rdflib.namespace``), so ``org:memberof`` is caught as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SDO, SKOS, XSD

from .sparql import internal_query

STANDARD = (RDF, RDFS, OWL, XSD, SKOS, DCTERMS, PROV, ORG, FOAF, SDO)


@dataclass(frozen=True, order=True)
class UndeclaredTerm:
    graph: str
    term: str
    kind: str  # "predicate" or "class"


def undeclared_terms(store: ox.Store, ontology_graphs: list[str]) -> list[UndeclaredTerm]:
    declared: set[str] = set()
    for g in ontology_graphs:
        rows = store.query(internal_query("declared-terms"), substitutions={ox.Variable("graph"): ox.NamedNode(g)})
        declared |= {row["term"].value for row in rows}
    out = []
    for row in store.query(internal_query("used-terms")):
        graph_iri, term = row["graph"].value, row["term"].value
        if graph_iri in ontology_graphs or term in declared or _standard(term):
            continue
        out.append(UndeclaredTerm(graph_iri, term, row["kind"].value))
    return sorted(out)


def _standard(term: str) -> bool:
    ref = URIRef(term)
    return any(term.startswith(str(ns)) and ref in ns for ns in STANDARD)
