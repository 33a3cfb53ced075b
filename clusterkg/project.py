"""Where the knowledge assets live and the IRIs they use."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Mapping

#: The repository root: the folder that holds ontology/, data/, shapes/, queries/.
#: ``CLUSTERKG_ROOT`` overrides it (the package is installed in editable mode).
ROOT = Path(os.environ.get("CLUSTERKG_ROOT") or Path(__file__).resolve().parent.parent)

ONTOLOGY_DIR = ROOT / "ontology"
DATA_DIR = ROOT / "data"
SHAPES_DIR = ROOT / "shapes"
QUERIES_DIR = ROOT / "queries"
INTERNAL_QUERIES_DIR = QUERIES_DIR / "internal"

BASE = "https://w3id.org/clusterkg/"
ONTOLOGY_NS = BASE + "ontology#"
VOCAB_NS = BASE + "vocab/"
ID_NS = BASE + "id/"
GRAPH_NS = BASE + "graph/"

#: Source documents whose text lies beside the repository (``../shared/seeds``);
#: tests check every quote against them when they are there.
SEEDS_DIR = Path(os.environ.get("CLUSTERKG_SEEDS") or ROOT.parent / "shared" / "seeds")

#: The prefixes every output of the package shortens IRIs with (a file's or a
#: query's own prefixes are added where there are some).
PREFIXES = {
    "ck": ID_NS,
    "ckg": ONTOLOGY_NS,
    "ckgraph": GRAPH_NS,
    "cks": BASE + "shapes#",
    "ckv": VOCAB_NS,
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "wd": "http://www.wikidata.org/entity/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

_LOCAL_NAME = re.compile(r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_\-.]*[A-Za-z0-9_\-])?)?")


def shorten(iri: str, prefixes: Mapping[str, str] = PREFIXES, unmatched: str = "{}") -> str:
    """``https://w3id.org/clusterkg/id/paris`` -> ``ck:paris``: the longest namespace
    that leaves a valid local name; otherwise ``unmatched`` filled with the IRI
    (``"<{}>"`` for Turtle-like output)."""
    best = None
    for prefix, ns in prefixes.items():
        if ns and iri.startswith(ns) and (best is None or len(ns) > len(prefixes[best])):
            if _LOCAL_NAME.fullmatch(iri[len(ns):]):
                best = prefix
    return f"{best}:{iri[len(prefixes[best]):]}" if best is not None else unmatched.format(iri)
