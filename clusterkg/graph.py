"""Load the ontology and the data into the embedded store, one named graph per file.

Every file is parsed completely, and checked for ill-typed literals, before anything
goes into the store: a bad file raises :class:`LoadError` (file, line, column,
reason) and leaves the store as it was.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
import rdflib

from . import project
from .sparql import internal_query, select

log = logging.getLogger(__name__)


class LoadError(Exception):
    """A file could not be read or parsed. ``str()`` is ``file:line:column: reason``."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None, column: int | None = None):
        self.path = Path(path)
        self.reason = reason
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class GraphFile:
    """A Turtle file and the named graph it is loaded into."""

    path: Path
    graph: str

    @classmethod
    def for_path(cls, path: Path | str, root: Path = project.ROOT) -> GraphFile:
        path = Path(path)
        return cls(path, graph_iri(path, root))


def graph_iri(path: Path, root: Path = project.ROOT) -> str:
    """``<root>/data/clusters.ttl`` -> ``https://w3id.org/clusterkg/graph/data/clusters``;
    a file outside the project -> ``https://w3id.org/clusterkg/graph/user/<file name
    without extension>`` (percent-encoded): a graph name never carries a local path.
    The same rule for the embedded store and for servers."""
    resolved = path.resolve()
    try:
        relative = resolved.relative_to(root.resolve())
    except ValueError:
        return project.GRAPH_NS + "user/" + quote(resolved.stem, safe="-._~")
    return project.GRAPH_NS + quote(relative.with_suffix("").as_posix(), safe="/-._~")


def project_files(root: Path = project.ROOT, *, ontology: bool = True, data: bool = True) -> list[GraphFile]:
    """The project's Turtle files, ontology first, each folder sorted by name."""
    folders = ([root / "ontology"] if ontology else []) + ([root / "data"] if data else [])
    return [GraphFile.for_path(p, root) for folder in folders for p in sorted(folder.glob("*.ttl"))]


@dataclass
class ParsedFile:
    """A file that loaded without error, and the prefixes it declares."""

    file: GraphFile
    prefixes: dict[str, str]


_PREFIX_RE = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w\-.]*)?:\s*<([^>]*)>", re.MULTILINE)


def load_file(store: ox.Store, gf: GraphFile) -> ParsedFile:
    """Parse one Turtle file into its named graph of ``store`` (a staging store:
    on error the caller throws it away)."""
    try:
        text = gf.path.read_bytes()
    except OSError as e:
        raise LoadError(gf.path, f"cannot read file: {e.strerror or e}") from None
    if text.startswith(codecs.BOM_UTF8):  # a UTF-8 byte-order mark (Windows editors): not Turtle, but harmless
        log.info("%s: skipping its UTF-8 byte-order mark", gf.path)
        text = text[len(codecs.BOM_UTF8) :]
    elif text.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise LoadError(
            gf.path, "the file is UTF-16 (it starts with a UTF-16 byte-order mark): Turtle must be UTF-8", 1, 1
        )
    log.debug("loading %s into <%s>", gf.path, gf.graph)
    try:
        store.load(
            input=text, format=ox.RdfFormat.TURTLE, base_iri=gf.path.resolve().as_uri(), to_graph=ox.NamedNode(gf.graph)
        )
    except SyntaxError as e:
        reason = _POSITION_RE.sub("", e.msg)
        raise LoadError(gf.path, f"Turtle syntax error: {reason}", e.lineno, e.offset) from None
    prefixes = {m.group(1) or "": m.group(2) for m in _PREFIX_RE.finditer(text.decode("utf-8", "replace"))}
    return ParsedFile(gf, prefixes)


_POSITION_RE = re.compile(
    r"^Parser error (at line \d+ between columns \d+ and \d+"
    r"|between line \d+ column \d+ and line \d+ column \d+"
    r"|at line \d+ column \d+): "
)


def build_store(files: Sequence[GraphFile], path: Path | None = None) -> ox.Store:
    """Parse and check every file, then return a store holding them all.

    Nothing is written unless every file is good: the files are loaded and
    checked in a staging store in memory, and only then copied into the store at
    ``path`` (when one is given).
    """
    staging = ox.Store()
    parsed = [load_file(staging, gf) for gf in files]
    check_literals(staging, parsed)
    if path is None:
        return staging
    store = ox.Store(str(path))
    store.bulk_extend(staging)
    store.flush()
    return store


def load_project(root: Path = project.ROOT) -> ox.Store:
    """The whole project (ontology + data) in an in-memory store."""
    return build_store(project_files(root))


def check_literals(store: ox.Store, parsed: Sequence[ParsedFile]) -> None:
    """Refuse literals whose lexical form does not fit their datatype."""
    for row in select(store, internal_query("ill-typed-literals"), use_default_graph_as_union=True):
        lit: ox.Literal = row["o"]
        dt = project.shorten(lit.datatype.value, unmatched="<{}>")
        for pf in parsed:
            line = find_line(pf.file.path, f'"{lit.value}"^^')
            if line is not None:
                raise LoadError(pf.file.path, f'"{lit.value}" is not a valid {dt}', line)
        raise LoadError(parsed[0].file.path if len(parsed) == 1 else "input", f'"{lit.value}" is not a valid {dt}')


@lru_cache(maxsize=64)
def _lines(path: Path) -> tuple[str, ...]:
    return tuple(path.read_text(encoding="utf-8", errors="replace").splitlines())


def find_line(path: Path, needle: str) -> int | None:
    """First line (1-based) of ``path`` that contains ``needle``."""
    for number, line in enumerate(_lines(path), start=1):
        if needle in line:
            return number
    return None


def spellings(iri: str, prefixes: dict[str, str]) -> list[str]:
    """How an IRI may be written in a Turtle file with these prefixes."""
    out = [f"<{iri}>"]
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and re.fullmatch(r"[A-Za-z0-9_\-.]*", iri[len(ns) :]):
            out.append(f"{prefix}:{iri[len(ns) :]}")
    return out


def defining_line(pf: ParsedFile, iri: str) -> int | None:
    """The line where ``iri`` first stands as a subject at the start of a line."""
    names = spellings(iri, pf.prefixes)
    for number, line in enumerate(_lines(pf.file.path), start=1):
        stripped = line.lstrip()
        for name in names:
            if stripped.startswith(name) and stripped[len(name) : len(name) + 1] in (" ", "\t", ""):
                return number
    return None


# --- rdflib bridge (for libraries that need rdflib's API: pyshacl, owlready2) ---


def to_rdflib_term(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(f"unsupported term {term!r}")


def to_ox_term(term: rdflib.term.Node) -> Any:  # a subject, predicate or object, as the caller puts it
    """The other way: an rdflib term as a pyoxigraph term (a plain literal as an
    ``xsd:string``, as RDF 1.1 has it)."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or rdflib.XSD.string)))
    raise TypeError(f"unsupported term {term!r}")


def to_rdflib_graph(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    """Merge quads (whatever their graph) into one rdflib graph."""
    g = rdflib.Graph()
    for q in quads:
        g.add((to_rdflib_term(q.subject), to_rdflib_term(q.predicate), to_rdflib_term(q.object)))
    return g
