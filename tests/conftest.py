"""Shared fixtures: the project graph in the embedded store, loaded once."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from clusterkg import graph, project

CK = project.ID_NS
CKG = project.ONTOLOGY_NS
CKV = project.VOCAB_NS
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


@pytest.fixture(scope="session")
def store() -> ox.Store:
    return graph.load_project()


def objects(store: ox.Store, subject: str, predicate: str) -> set:
    """Values of one property of one node, over all graphs (IRIs as str, literals as python values)."""
    out = set()
    for q in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None, None):
        o = q.object
        if isinstance(o, ox.Literal):
            out.add((o.value, o.language) if o.language else o.value)
        else:
            out.add(o.value)
    return out


def subjects(store: ox.Store, predicate: str, obj) -> set[str]:
    term = obj if isinstance(obj, (ox.Literal, ox.NamedNode)) else ox.NamedNode(obj)
    return {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(predicate), term, None)}


def label(store: ox.Store, iri: str, lang: str = "en") -> str:
    labels = [v for v in objects(store, iri, RDFS_LABEL.value) if isinstance(v, tuple) and v[1] == lang]
    assert len(labels) == 1, (iri, labels)
    return labels[0][0]


def flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """``clusterkg ARGS``: the exit code and the flattened standard output and error."""
    from clusterkg.cli import main

    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, flat(out), flat(err)
