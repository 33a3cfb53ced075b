"""OWL 2 DL consistency of the ontology (and data) with HermiT, through owlready2.

HermiT knows only the OWL 2 datatype map: xsd:date and xsd:gYear literals (which
the data uses and the shapes require) are outside it, so they are ignored by the
reasoner (``--ignoreUnsupportedDatatypes``); every other axiom is checked.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import owlready2
import pyoxigraph as ox


@dataclass(frozen=True)
class Consistency:
    consistent: bool
    message: str


def check_consistency(quads: Iterable[ox.Quad]) -> Consistency:
    """Run HermiT on the union of the quads' triples."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.nt"
        triples = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
        ox.serialize(triples, output=str(path), format=ox.RdfFormat.N_TRIPLES)
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load()
        try:
            owlready2.sync_reasoner_hermit([onto], debug=0, ignore_unsupported_datatypes=True)
        except owlready2.OwlReadyInconsistentOntologyError:
            return Consistency(False, "HermiT: the ontology is inconsistent")
        finally:
            world.close()
    return Consistency(True, "HermiT: consistent")
