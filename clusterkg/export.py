"""Export the whole graph (ontology + data) in one file.

Formats and what they keep:

``trig``, ``nq``
    every quad, each in its named graph (one per source file,
    ``https://w3id.org/clusterkg/graph/<folder>/<file>``);
``ttl``, ``nt``
    the triples of all named graphs merged into one graph (a triple stated in
    two files is written once);
``jsonld``
    every quad, named graphs kept (``{"@id": <graph>, "@graph": [...]}``),
    compacted with the JSON-LD context of ``ontology/context.jsonld``, which is
    embedded in the file (so that it reads without fetching anything);
``csv``
    one row per quad, columns ``subject,predicate,object,graph``, each cell in
    N-Triples term syntax (``<iri>``, ``_:b0``, ``"text"@fr``,
    ``"2006"^^<http://www.w3.org/2001/XMLSchema#gYear>``), so that the file
    round-trips exactly and a spreadsheet still shows readable values.

pyoxigraph writes Turtle, N-Triples, N-Quads and TriG. It also writes JSON-LD
(0.5), but only as a stream of expanded node objects (a subject may recur,
``rdf:type`` is not ``@type``) and without a context; rdflib 7's compacting
writer drops blank nodes reached through ``"@type": "@id"`` terms (every
``prov:qualifiedDerivation`` went missing). So the JSON-LD is made by pyLD, the
reference JSON-LD processor: N-Quads from pyoxigraph -> ``fromRdf`` (native
numbers and booleans) -> ``compact`` with the context. Output is sorted, so that
two exports of the same graph are byte-identical apart from blank-node names.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from . import project

FORMATS = ("ttl", "nt", "nq", "trig", "jsonld", "csv")

#: File extension -> format, for ``--out FILE`` without ``--format``.
EXTENSIONS = {
    ".ttl": "ttl",
    ".nt": "nt",
    ".nq": "nq",
    ".trig": "trig",
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".csv": "csv",
}

CONTEXT_FILE = project.ONTOLOGY_DIR / "context.jsonld"

CSV_COLUMNS = ("subject", "predicate", "object", "graph")


def context() -> dict:
    """The JSON-LD context of the ontology (the value of ``@context``)."""
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]


def prefixes() -> dict[str, str]:
    """The context's prefixes (terms whose value is a namespace IRI)."""
    return {
        k: v for k, v in context().items() if isinstance(v, str) and v.endswith(("#", "/")) and not k.startswith("@")
    }


def _sorted_quads(store: ox.Store) -> list[ox.Quad]:
    return sorted(
        store.quads_for_pattern(None, None, None, None),
        key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)),
    )


def _merged_triples(store: ox.Store) -> list[ox.Triple]:
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, None)}
    return sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def term_nt(term) -> str:
    """A term in N-Triples syntax; the default graph as an empty string."""
    if isinstance(term, ox.DefaultGraph):
        return ""
    return str(term)


def _serialize(items: list[ox.Triple] | list[ox.Quad], **options: Any) -> bytes:
    """pyoxigraph's serialiser, to bytes."""
    data = ox.serialize(items, **options)
    assert data is not None  # no output file given: the bytes are returned
    return data


def serialize(store: ox.Store, fmt: str) -> bytes:
    """The whole store in format ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "ttl":
        return _serialize(_merged_triples(store), format=ox.RdfFormat.TURTLE, prefixes=prefixes())
    if fmt == "nt":
        return _serialize(_merged_triples(store), format=ox.RdfFormat.N_TRIPLES)
    if fmt == "nq":
        return _serialize(_sorted_quads(store), format=ox.RdfFormat.N_QUADS)
    if fmt == "trig":
        return _serialize(_sorted_quads(store), format=ox.RdfFormat.TRIG, prefixes=prefixes())
    if fmt == "jsonld":
        return _jsonld(store)
    if fmt == "csv":
        return _csv(_sorted_quads(store))
    raise ValueError(f"unknown export format {fmt!r} (expected one of {', '.join(FORMATS)})")


def _jsonld(store: ox.Store) -> bytes:
    nquads = _serialize(_sorted_quads(store), format=ox.RdfFormat.N_QUADS).decode("utf-8")
    expanded = jsonld.from_rdf(nquads, {"format": "application/n-quads", "useNativeTypes": True})
    compacted = jsonld.compact(expanded, {"@context": context()})
    return (json.dumps(compacted, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def _csv(quads: Iterable[ox.Quad]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for q in quads:
        w.writerow([term_nt(q.subject), term_nt(q.predicate), term_nt(q.object), term_nt(q.graph_name)])
    return out.getvalue().encode("utf-8")


def read_csv(data: bytes) -> list[ox.Quad]:
    """Parse an export in ``csv`` back into quads (the inverse of the csv export)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    if not rows or tuple(rows[0]) != CSV_COLUMNS:
        raise ValueError(f"not a clusterkg csv export: the header must be {','.join(CSV_COLUMNS)}")
    nq = "".join(f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n" for s, p, o, g in rows[1:])
    return list(ox.parse(nq.encode("utf-8"), format=ox.RdfFormat.N_QUADS))


def export(store: ox.Store, fmt: str, out: Path | None = None) -> bytes:
    """Serialize the store; write it to ``out`` when given (parent folders are made)."""
    data = serialize(store, fmt)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return data


def format_for(out: Path | None, fmt: str | None) -> str:
    """The format named, or guessed from the extension of ``out``."""
    if fmt:
        return fmt
    if out is not None and out.suffix.lower() in EXTENSIONS:
        return EXTENSIONS[out.suffix.lower()]
    raise ValueError("give --format (ttl, nt, nq, trig, jsonld, csv) or an --out file with a known extension")
