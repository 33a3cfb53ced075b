"""Validate the graph against the SHACL shapes of ``shapes/``, with reports people can act on.

What is validated against what
------------------------------
* the **data graph**: ``data/*.ttl`` (or the Turtle files given), together with
  ``ontology/vocabulary.ttl``. The vocabulary is SKOS *instance* data (concepts,
  not axioms): the data points at its concepts, ``sh:class ckg:Measure`` needs
  their ``rdf:type``, and the concepts are validated themselves;
* the **ontology graph**: ``ontology/clusterkg.ttl`` and ``ontology/alignments.ttl``,
  given to the engine as its ontology (pySHACL's ``ont_graph``), never merged into
  the data graph: the engine adds the ontology's RDFS/OWL axioms to its own
  working copy. SHACL's ``sh:targetClass`` and ``sh:class`` follow
  ``rdfs:subClassOf`` triples *of the data graph*; it is through this copy that a
  ``ckg:CompetitivenessCluster`` is a ``ckg:Cluster`` and an ``org:Organization``
  for the shapes;
* the **shapes graph**: every ``shapes/*.ttl``.

Inference: ``none`` by default
------------------------------
The ontology axioms already give SHACL the subclass hierarchy, which is all the
shapes need. RDFS inference would *hide mistakes*: every property with an
``rdfs:range`` (``ckg:city`` has range ``ckg:City``) would make its values
instances of the range, so ``sh:class ckg:City`` could never fail and a cluster
whose "city" is a region would pass (``tests/test_shapes.py`` shows it). OWL RL
adds the same plus inverse, symmetric and transitive closures, and is 10-15
times slower in pySHACL. ``--inference rdfs|owlrl|both`` remains available.

Conformance
-----------
The data conforms when no result has severity ``sh:Violation``: ``sh:Warning``
results (a place without a Wikidata link) are reported but do not fail, as in
:mod:`clusterkg.engines` (``Report.conforms``; pySHACL's ``allow_warnings``), and
when every class and predicate the data uses is declared (by the ontology or a
reused vocabulary, :func:`clusterkg.terms.findings`): SHACL cannot see a typo such
as ``ckg:locatedin``, which matches no shape; each undeclared term is reported with
the file and line where it is written and the term it most likely stands for. The
exit code of ``clusterkg validate`` follows it: 0 conforms, 1 violations, 2 an
input could not be read.

Engine
------
``fast`` by default (:mod:`clusterkg.fastshacl`): it validates the store that
:func:`load` filled, with no copy (the ontology's graphs set aside meanwhile, so
that the data graph is the store's union of named graphs: :func:`_data_only`);
``pyshacl`` and ``topbraid`` get rdflib copies.
The file and line of each finding come from one :class:`LineIndex` per
validation, the labels from one query.

For other commands: :func:`validate_store` / :func:`conforms` validate what an
embedded store holds (``clusterkg load --validate``).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib import RDFS, SH
from rdflib.util import from_n3

from . import engines, graph, project, terms
from .progress import progress
from .sparql import select

__all__ = [
    "DEFAULT_ENGINE",
    "DEFAULT_INFERENCE",
    "INFERENCE",
    "Finding",
    "Validation",
    "ontology_files",
    "data_files",
    "shape_files",
    "Loaded",
    "load",
    "validate_files",
    "validate_loaded",
    "validate_store",
    "conforms",
    "to_text",
    "to_json",
    "to_turtle",
]

DEFAULT_ENGINE = "fast"
DEFAULT_INFERENCE = "none"
INFERENCE = engines.INFERENCE

#: Files of ontology/ that are instance data (SKOS concepts), validated with the data.
VOCABULARY_FILES = ("vocabulary.ttl",)

#: Prefixes for showing IRIs in reports (the files' own prefixes are added).
PREFIXES = project.PREFIXES


# --- which files -------------------------------------------------------------------


def ontology_files(root: Path = project.ROOT) -> list[graph.GraphFile]:
    """The ontology proper: ``ontology/*.ttl`` but the vocabulary."""
    return [gf for gf in graph.project_files(root, data=False) if gf.path.name not in VOCABULARY_FILES]


def data_files(files: Sequence[Path | str] = (), root: Path = project.ROOT) -> list[graph.GraphFile]:
    """The vocabulary, then ``files`` (or the project's ``data/*.ttl`` when none)."""
    vocabulary = [gf for gf in graph.project_files(root, data=False) if gf.path.name in VOCABULARY_FILES]
    if files:
        return vocabulary + [graph.GraphFile.for_path(f, root) for f in files]
    return vocabulary + graph.project_files(root, ontology=False)


def shape_files(root: Path = project.ROOT) -> list[graph.GraphFile]:
    return [graph.GraphFile.for_path(p, root) for p in sorted((root / "shapes").glob("*.ttl"))]


# --- results for people ---------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A validation result with what a person needs to find and fix it."""

    result: engines.Result
    #: English label of the focus node (rdfs:label), None if it has none
    label: str | None
    #: the file and line that define the focus node, when known
    file: Path | None
    line: int | None
    #: the shape's English message, ``{$this}`` replaced by the label
    message: str
    #: the focus node as shown to people: ``ck:paris``, with the prefixes of its own file
    node: str = ""
    #: the offending value as shown to people ("" when none, or when it is the node itself)
    value: str = ""

    @property
    def is_violation(self) -> bool:
        return self.result.severity not in engines.TOLERATED


@dataclass
class Validation:
    """A report and its findings, sorted by file, line and focus node."""

    report: engines.Report
    findings: list[Finding]
    engine: str
    inference: str
    seconds: float
    prefixes: dict[str, str] = field(default_factory=dict, repr=False)
    #: classes and predicates the data uses that nothing declares (:mod:`clusterkg.terms`)
    undeclared: list[terms.TermFinding] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return self.report.conforms and not self.undeclared

    @cached_property
    def violations(self) -> int:
        return sum(f.is_violation for f in self.findings)

    @cached_property
    def warnings(self) -> int:
        return len(self.findings) - self.violations

    @cached_property
    def nodes(self) -> int:
        return len({f.result.focus for f in self.findings})

    def summary(self) -> str:
        counts = (
            f"{_plural(self.violations, 'violation')}, {_plural(self.warnings, 'warning')} "
            f"in {_plural(self.nodes, 'node')}"
        )
        if self.undeclared:
            undeclared = _plural(len(self.undeclared), "undeclared term")
            counts = f"{counts}, {undeclared}" if self.findings else undeclared
        if not self.findings and not self.undeclared:
            return "conforms"
        return f"conforms ({counts})" if self.conforms else counts


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --- validating ---------------------------------------------------------------------------


@dataclass
class Loaded:
    """The ontology, the vocabulary and the data in one staging store (one named
    graph per file, literals checked): what is validated, and what the other
    commands can query without reading the files again."""

    store: ox.Store
    ontology: list[graph.ParsedFile]
    data: list[graph.ParsedFile]


def load(files: Sequence[Path | str] = (), root: Path = project.ROOT) -> Loaded:
    """Read the ontology and ``files`` (default: the project's data) with the
    vocabulary. Raises :class:`graph.LoadError` when a file cannot be read, is not
    Turtle or has an ill-typed literal."""
    staging = ox.Store()
    with progress("loading") as say, _ticking(say) as say:
        ontology = [graph.load_file(staging, gf) for gf in ontology_files(root)]
        data: list[graph.ParsedFile] = []
        for gf in data_files(files, root):
            say(f"{gf.path.name} ({len(data) + 1} files, {len(staging):,} triples)")
            data.append(graph.load_file(staging, gf))
        say(f"checking literals of {len(staging):,} triples")
        graph.check_literals(staging, ontology + data)
    return Loaded(staging, ontology, data)


def validate_files(
    files: Sequence[Path | str] = (),
    *,
    engine: str = DEFAULT_ENGINE,
    inference: str = DEFAULT_INFERENCE,
    root: Path = project.ROOT,
) -> Validation:
    """Validate ``files`` (default: the project's data) with the vocabulary, against
    the shapes, the ontology given apart. Raises :class:`graph.LoadError` when a file
    (data, ontology or shapes) cannot be read, is not Turtle or has an ill-typed literal."""
    return validate_loaded(load(files, root), engine=engine, inference=inference, root=root)


def load_shapes(root: Path = project.ROOT) -> rdflib.Graph:
    """Every ``shapes/*.ttl``, checked, as one rdflib graph (small)."""
    shapes_store = ox.Store()
    shapes = [graph.load_file(shapes_store, gf) for gf in shape_files(root)]
    graph.check_literals(shapes_store, shapes)
    return _rdflib(shapes_store, shapes)


def validate_loaded(
    loaded: Loaded, *, engine: str = DEFAULT_ENGINE, inference: str = DEFAULT_INFERENCE, root: Path = project.ROOT
) -> Validation:
    """Validate what :func:`load` read, with findings traced to their file and line.

    The fast engine validates the store itself (no copy); the others are given rdflib
    copies of the data and ontology graphs."""
    with progress(f"validating ({engine})") as say, _ticking(say) as say:
        say("reading the shapes")
        shapes_graph = load_shapes(root)
        ontology = _rdflib(loaded.store, loaded.ontology)
        started = time.perf_counter()
        if engine == "fast" and inference == "none":
            with _data_only(loaded):
                report = engines.FastEngine().validate_store(
                    loaded.store,
                    [ox.NamedNode(pf.file.graph) for pf in loaded.data],
                    shapes_graph,
                    ontology,
                    progress=say,
                )
        else:
            say("copying the data for the engine")
            data_graph = _rdflib(loaded.store, loaded.data)
            say("running")
            report = engines.get_engine(engine).validate(data_graph, shapes_graph, ontology, inference=inference)
        seconds = time.perf_counter() - started

        say(f"labels and lines of {len(report.results):,} results")
        prefixes = dict(PREFIXES)
        for pf in loaded.data:
            for prefix, ns in pf.prefixes.items():
                prefixes.setdefault(prefix, ns)
        labels = _labels(loaded, {r.focus for r in report.results if r.focus != "_:"})
        index = LineIndex(loaded.data, {r.focus for r in report.results}) if report.results else None
        findings = [_finding(r, labels, index, shapes_graph, prefixes) for r in report.results]
        findings.sort(
            key=lambda f: (
                str(f.file or "~"),
                f.line or 0,
                f.result.focus,
                not f.is_violation,
                show_path(f.result.path, prefixes),
                f.message,
                f.result.value or "",
            )
        )
        say("checking that every term used is declared")
        vocabulary = [
            pf.file.graph
            for pf in loaded.data
            if pf.file.path.name in VOCABULARY_FILES and pf.file.path.parent.name == "ontology"
        ]
        undeclared = terms.findings(loaded.store, [pf.file.graph for pf in loaded.ontology] + vocabulary, loaded.data)
    return Validation(report, findings, engine, inference, seconds, prefixes, undeclared)


def validate_store(
    store: ox.Store, *, engine: str = DEFAULT_ENGINE, inference: str = DEFAULT_INFERENCE, root: Path = project.ROOT
) -> engines.Report:
    """Validate what ``store`` holds: its ontology graphs (those of :func:`ontology_files`)
    as the ontology, every other graph (vocabulary and data) as the data graph."""
    ontology_names = {gf.graph for gf in ontology_files(root)}
    shapes = load_shapes(root)
    ontology_graphs = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value in ontology_names]
    data_graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [
        g for g in store.named_graphs() if g not in ontology_graphs
    ]
    if next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
        data_graphs.append(ox.DefaultGraph())
    ontology = graph.to_rdflib_graph(q for g in ontology_graphs for q in store.quads_for_pattern(None, None, None, g))
    if engine == "fast" and inference == "none":
        return engines.FastEngine().validate_store(store, data_graphs, shapes, ontology if len(ontology) else None)
    data = graph.to_rdflib_graph(q for g in data_graphs for q in store.quads_for_pattern(None, None, None, g))
    return engines.get_engine(engine).validate(data, shapes, ontology if len(ontology) else None, inference=inference)


def conforms(store: ox.Store, **options) -> bool:
    """True when :func:`validate_store` finds no violation (warnings allowed)."""
    return validate_store(store, **options).conforms


@contextmanager
def _ticking(say: Callable[[str], None], every: float = 1.0) -> Iterator[Callable[[str], None]]:
    """``say``, and the last thing said said again every ``every`` seconds from a
    thread, so that the elapsed time keeps moving on the terminal while an engine
    works (Java, or a long query: the thread runs whenever the main one lets go
    of the interpreter)."""
    last = ["starting"]
    done = threading.Event()

    def tell(message: str) -> None:
        last[0] = message
        say(message)

    def tick() -> None:
        while not done.wait(every):
            say(last[0])

    thread = threading.Thread(target=tick, name="validate-progress", daemon=True)
    thread.start()
    try:
        yield tell
    finally:
        done.set()
        thread.join()


@contextmanager
def _data_only(loaded: Loaded) -> Iterator[None]:
    """The ontology graphs set aside from the staging store while the fast engine
    runs (a few thousand triples, put back afterwards, whatever happens): the data
    graph is then every named graph of the store, which Oxigraph evaluates as its
    union default graph, 2 to 3 times faster than a list of graphs. The engine is
    given the ontology apart, as the other engines are."""
    data = {pf.file.graph for pf in loaded.data}  # an ontology file given as data stays
    names = [ox.NamedNode(pf.file.graph) for pf in loaded.ontology if pf.file.graph not in data]
    quads = [q for g in names for q in loaded.store.quads_for_pattern(None, None, None, g)]
    for g in names:
        loaded.store.remove_graph(g)
    try:
        yield
    finally:
        for g in names:
            loaded.store.add_graph(g)
        loaded.store.extend(quads)


def _rdflib(store: ox.Store, parsed: Iterable[graph.ParsedFile]) -> rdflib.Graph:
    return graph.to_rdflib_graph(
        q for pf in parsed for q in store.quads_for_pattern(None, None, None, ox.NamedNode(pf.file.graph))
    )


# --- findings: label, place, message -----------------------------------------------


class LineIndex:
    """Where each subject is defined: the first line of each file that starts with
    the subject (``ck:paris`` or ``<iri>``), one pass over each file, built once
    for all the findings of a validation (not one scan of the files per result).

    Given ``iris`` (the focus nodes of the findings), only their spellings
    (``<iri>`` and each prefixed name the file's prefixes allow) are looked up:
    the first word of every line is read by one regular expression over the
    whole text, and only the lines whose first word is wanted are expanded,
    instead of a match and an expansion per line: the same lines as the full
    index, whatever the number of findings, in a fraction of the time."""

    _SUBJECT = re.compile(r"^[ \t]*(<[^>\s]*>|[A-Za-z][\w.-]*:[\w\-.%]*|:[\w\-.%]*)(?=[ \t]|$)")
    #: the first word of every line (one match per line, empty lines included) of a
    #: text whose only line break is "\n": a wanted spelling (a valid subject by
    #: construction) is a line's first word exactly when _SUBJECT reads it there
    _FIRST_CHUNKS = re.compile(r"^[ \t]*([^ \t\n]*)", re.MULTILINE)
    _LOCAL = re.compile(r"[\w\-.%]*")
    _PREFIX = re.compile(r"(?:[A-Za-z][\w.-]*)?")
    #: line breaks of str.splitlines() other than "\n": a file with one is indexed line by line
    _OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"

    def __init__(self, parsed: Sequence[graph.ParsedFile], iris: Iterable[str] | None = None):
        wanted = None if iris is None else set(iris)
        self.files: list[tuple[graph.ParsedFile, dict[str, int]]] = []
        for pf in parsed:
            try:
                text = pf.file.path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            if wanted is not None and not any(c in text for c in self._OTHER_BREAKS):
                first = self._search(text, pf.prefixes, wanted)
            else:
                first = self._scan(text, pf.prefixes)
            self.files.append((pf, first))

    @classmethod
    def _expand(cls, name: str, prefixes: dict[str, str]) -> str | None:
        if name.startswith("<"):
            return name[1:-1]
        prefix, _, local = name.partition(":")
        ns = prefixes.get(prefix)
        return None if ns is None else ns + local

    @classmethod
    def _scan(cls, text: str, prefixes: dict[str, str]) -> dict[str, int]:
        first: dict[str, int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            m = cls._SUBJECT.match(line)
            if m is not None:
                iri = cls._expand(m.group(1), prefixes)
                if iri is not None:
                    first.setdefault(iri, number)
        return first

    @classmethod
    def _spellings(cls, wanted: set[str], prefixes: dict[str, str]) -> set[str]:
        """Every way the scan can read one of ``wanted``: ``<iri>``, ``prefix:local``."""
        names = {f"<{iri}>" for iri in wanted if not re.search(r"[>\s]", iri)}
        for prefix, ns in prefixes.items():
            if cls._PREFIX.fullmatch(prefix):
                names |= {
                    f"{prefix}:{iri[len(ns) :]}"
                    for iri in wanted
                    if iri.startswith(ns) and cls._LOCAL.fullmatch(iri[len(ns) :])
                }
        return names

    @classmethod
    def _search(cls, text: str, prefixes: dict[str, str], wanted: set[str]) -> dict[str, int]:
        names = cls._spellings(wanted, prefixes)
        first: dict[str, int] = {}
        hits = names.intersection(chunks := cls._FIRST_CHUNKS.findall(text)) if names else set()
        if hits:
            for number, chunk in enumerate(chunks, start=1):
                if chunk in hits:
                    found = cls._expand(chunk, prefixes)
                    if found is not None:
                        first.setdefault(found, number)
        return first
        line, at = 1, 0
        for m in cls._SUBJECT_LINES.finditer(text):
            name = m.group(1)
            if name in names:
                line += text.count("\n", at, m.start())
                at = m.start()
                found = cls._expand(name, prefixes)
                if found is not None:
                    first.setdefault(found, line)
        return first
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))
        pattern = re.compile(rf"^[ \t]*({alternatives})(?=[ \t]|$)", re.MULTILINE)
        line, at = 1, 0
        for m in pattern.finditer(text):
            line += text.count("\n", at, m.start())
            at = m.start()
            found = cls._expand(m.group(1), prefixes)
            if found is not None:
                first.setdefault(found, line)
        return first

    def find(self, iri: str) -> tuple[graph.ParsedFile, int] | None:
        for pf, first in self.files:
            line = first.get(iri)
            if line is not None:
                return pf, line
        return None


def _labels(loaded: Loaded, iris: set[str]) -> dict[str, str]:
    """The label shown for each IRI: English first, then the smallest (one query)."""
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in sorted(iris))
    found: dict[str, list] = {}
    query = f"SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }} ?s <{RDFS.label}> ?l }}"
    for row in select(loaded.store, query, default_graph=[ox.NamedNode(pf.file.graph) for pf in loaded.data]):
        found.setdefault(row["s"].value, []).append(row["l"])
    return {iri: min(lits, key=lambda lit: (lit.language != "en", lit.value)).value for iri, lits in found.items()}


def _finding(
    r: engines.Result, labels: dict[str, str], index: LineIndex | None, shapes: rdflib.Graph, prefixes: dict[str, str]
) -> Finding:
    focus = r.focus if r.focus != "_:" else None
    label = labels.get(r.focus) if focus is not None else None
    file = line = None
    if focus is not None and index is not None:
        where = index.find(r.focus)
        if where is not None:
            pf, line = where
            file = pf.file.path
            prefixes = {**prefixes, **pf.prefixes}  # the names its own file uses
    node = short(r.focus, prefixes) if focus is not None else "a blank node"
    value = show_value(r.value, prefixes) if r.value is not None else ""
    template = _message(shapes, r)
    message = re.sub(r"\{[$?]this\}", lambda _: label or node, template)
    message = re.sub(r"\{[$?]value\}", lambda _: human_value(r.value, prefixes), message)
    message = re.sub(r"\{[$?]path\}", lambda _: show_path(r.path, prefixes), message)
    if r.path is None and r.value == f"<{r.focus}>":  # a node-level result: the value is the node
        value = ""
    return Finding(r, label, file, line, message, node, value)


def _message(shapes: rdflib.Graph, r: engines.Result) -> str:
    """The English ``sh:message`` of the result's shape (or of its SPARQL constraint),
    read from the shapes graph: engines drop or keep language tags differently."""
    if r.source_shape and r.source_shape != "_:":
        shape = rdflib.URIRef(r.source_shape)
        for node in (shape, *shapes.objects(shape, SH.sparql)):
            english = [m for m in shapes.objects(node, SH.message) if getattr(m, "language", None) == "en"]
            if english:
                return str(english[0])
    for m in r.messages:  # a shape of someone else's: the engine's own words
        if m.endswith("@en") or "@" not in m:
            return m.removesuffix("@en")
    return r.messages[0] if r.messages else _local(r.component)


def short(iri: str, prefixes: dict[str, str]) -> str:
    """``https://w3id.org/clusterkg/id/paris`` -> ``ck:paris``, else ``<iri>``."""
    return project.shorten(iri, prefixes, "<{}>")


def show_value(value: str, prefixes: dict[str, str]) -> str:
    """A value in N-Triples form, IRIs and datatypes shortened."""
    if value == "_:":
        return "a blank node"
    term = from_n3(value)
    if isinstance(term, rdflib.URIRef):
        return short(str(term), prefixes)
    if isinstance(term, rdflib.Literal):
        text = json.dumps(str(term), ensure_ascii=False)
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype is not None and str(term.datatype) != PREFIXES["xsd"] + "string":
            return f"{text}^^{short(str(term.datatype), prefixes)}"
        return text
    return value


def human_value(value: str | None, prefixes: dict[str, str]) -> str:
    """A value as a person writes it, for messages: ``110`` for ``"110"^^xsd:integer``,
    ``3019`` for ``"3019"^^xsd:gYear``, the text of a string; IRIs shortened."""
    if value is None:
        return ""
    term = from_n3(value) if value != "_:" else None
    if not isinstance(term, rdflib.Literal):
        return show_value(value, prefixes)
    python = term.toPython()
    if isinstance(python, bool):
        return "true" if python else "false"
    if isinstance(python, Decimal):
        text = format(python.normalize(), "f")
        return text
    if isinstance(python, (int, float)):
        return format(python, "g") if isinstance(python, float) else str(python)
    return str(term)


def show_path(path: str | None, prefixes: dict[str, str]) -> str:
    """A result path (an IRI or a SPARQL path with ``<iri>``) with prefixed names."""
    if path is None:
        return "-"
    if not path.startswith(("<", "^", "(")):
        return short(path, prefixes)
    return re.sub(r"<([^>]*)>", lambda m: short(m.group(1), prefixes), path)


def _local(iri: str) -> str:
    return "sh:" + iri[len(str(SH)) :] if iri.startswith(str(SH)) else iri


# --- reports ----------------------------------------------------------------------------


def _where(f: Finding) -> str:
    if f.file is None:
        return ""
    return f"{_display_path(f.file)}:{f.line}" if f.line else _display_path(f.file)


def _display_path(path: Path) -> str:
    """Relative to the working directory when under it, else as it is."""
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else str(path)
    except (ValueError, OSError):
        return str(path)


def to_text(v: Validation) -> str:
    """Grouped by focus node: the node, its label, where it is defined; under it one
    line per result: severity, property, message, offending value. Then a summary."""
    lines: list[str] = []
    current = None
    for f in v.findings:
        r = f.result
        if r.focus != current:
            current = r.focus
            if lines:
                lines.append("")
            head = f"{f.node} ({f.label})" if f.label else f.node
            where = _where(f)
            lines.append(f"{head}, {where}" if where else head)
        severity = _local(r.severity).removeprefix("sh:")
        path = f" {show_path(r.path, v.prefixes)}" if r.path else ""
        value = f" [value: {f.value}]" if f.value else ""
        lines.append(f"  {severity}{path}: {f.message}{value}")
    if v.undeclared:
        if lines:
            lines.append("")
        lines.append("Undeclared terms")
        for t in v.undeclared:
            where = (
                f"{_display_path(t.file)}:{t.line}"
                if t.file and t.line
                else (_display_path(t.file) if t.file else t.graph)
            )
            lines.append(f"  {where}: Violation: {t.message()}")
    if lines:
        lines.append("")
    lines.append(v.summary())
    return "\n".join(lines) + "\n"


def to_json(v: Validation) -> str:
    """``{"conforms", "engine", "inference", "violations", "warnings", "nodes", "results": [...]}``,
    each result with focus, label, path, component, severity, message, value,
    source_shape, file (absolute), line (IRIs in full; value in N-Triples form)."""
    results = [
        {
            "focus": f.result.focus,
            "label": f.label,
            "path": f.result.path,
            "component": f.result.component,
            "severity": f.result.severity,
            "message": f.message,
            "value": f.result.value,
            "source_shape": f.result.source_shape,
            "file": str(Path(f.file).resolve()) if f.file else None,
            "line": f.line,
        }
        for f in v.findings
    ]
    undeclared = [
        {
            "term": t.term,
            "kind": t.kind,
            "suggestion": t.suggestion,
            "message": t.message(),
            "file": str(Path(t.file).resolve()) if t.file else None,
            "line": t.line,
        }
        for t in v.undeclared
    ]
    out = {
        "conforms": v.conforms,
        "engine": v.engine,
        "inference": v.inference,
        "violations": v.violations,
        "warnings": v.warnings,
        "nodes": v.nodes,
        "results": results,
        "undeclared_terms": undeclared,
    }
    return json.dumps(out, ensure_ascii=False, indent=2) + "\n"


def to_turtle(v: Validation) -> str:
    """The SHACL validation report (``sh:ValidationReport``) as Turtle; its
    ``sh:conforms`` is :attr:`Validation.conforms`."""
    g = v.report.graph
    for prefix, ns in v.prefixes.items():
        if prefix:
            g.bind(prefix, ns, override=False)
    if not v.undeclared:
        return g.serialize(format="turtle")
    # undeclared terms are not SHACL results: said in comments, and sh:conforms false
    copy = rdflib.Graph()
    for prefix, ns in g.namespaces():
        copy.bind(prefix, ns)
    for triple in g:
        copy.add(triple)
    for report in copy.subjects(rdflib.RDF.type, SH.ValidationReport):
        copy.set((report, SH.conforms, rdflib.Literal(False)))
    comments = "".join(f"# undeclared term: {t.where()}: {t.message()}\n" for t in v.undeclared)
    return comments + copy.serialize(format="turtle")
