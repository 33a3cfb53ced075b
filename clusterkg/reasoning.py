"""OWL 2 DL consistency of the ontology and data, with the reused ontologies loaded,
under HermiT (the reasoner jar that owlready2 ships).

Imports
-------
The ontologies clusterkg reuses (PROV-O, ORG, SKOS) are shipped under
``ontology/imports/``, listed in its ``catalog-v001.xml`` (the OASIS catalog that
Protégé and ROBOT read). :func:`check_consistency` loads every catalogued ontology
with the graph (``imports=True``, the default), and resolves each ``owl:imports``
the graph states with :func:`ontology_iris`: the catalog, and the project's own
ontology IRIs (``https://w3id.org/clusterkg/ontology`` ...) to the files of
``ontology/`` that declare them (an ontology the graph itself declares is not
loaded twice). The OWL 2 DL profile check (:mod:`clusterkg.owlprofile`) resolves
imports with the same function. Nothing is ever fetched from the network, and an
import that neither lists is an error (:class:`ImportNotFound`).

Datatypes
---------
HermiT knows only the OWL 2 datatype map: xsd:date and xsd:gYear literals (which
the data uses and the shapes require) are outside it, so they are ignored by the
reasoner (``--ignoreUnsupportedDatatypes``); every other axiom is checked.

Time and explanations
---------------------
HermiT runs in a Java subprocess, stopped after ``timeout`` seconds
(:class:`ReasonerError`). When the graph is inconsistent, Pellet (also shipped by
owlready2) is asked why (``pellet explain --inconsistent``, same time limit): the
individuals its explanations name are reported, so that a person can find the
statements at fault. When Pellet cannot say, the answer is plainly "inconsistent".
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import engines, project
from .sparql import value_of

IMPORTS_DIR = project.ONTOLOGY_DIR / "imports"
CATALOG = "catalog-v001.xml"
OWL_IMPORTS = "http://www.w3.org/2002/07/owl#imports"
OWL_ONTOLOGY = "http://www.w3.org/2002/07/owl#Ontology"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

#: seconds HermiT (and then Pellet) may take
DEFAULT_TIMEOUT = 300
#: HermiT runs on Java 8 and later
MIN_JAVA = 8
#: Java heap, MB (owlready2's default)
JAVA_MEMORY = 2000
#: explanations asked of Pellet
MAX_EXPLANATIONS = 20


class ReasonerError(RuntimeError):
    """The reasoner could not give an answer: no Java, a crash, or too long."""


class ImportNotFound(ReasonerError):
    """An ``owl:imports`` that ``ontology/imports/catalog-v001.xml`` does not list."""


@dataclass(frozen=True)
class Consistency:
    consistent: bool
    message: str
    #: IRIs of the individuals Pellet's explanations name (inconsistent only; may be empty)
    individuals: tuple[str, ...] = ()
    #: Pellet's explanations, one per tuple: the axioms, in Pellet's short syntax
    explanations: tuple[tuple[str, ...], ...] = field(default=(), compare=False, repr=False)


# --- the catalog ------------------------------------------------------------------------

_CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"


def catalog(root: Path = project.ROOT) -> dict[str, Path]:
    """Ontology IRI -> local file, from ``ontology/imports/catalog-v001.xml``."""
    folder = root / "ontology" / "imports"
    tree = ET.parse(folder / CATALOG)
    return {e.attrib["name"]: (folder / e.attrib["uri"]) for e in tree.getroot().iter(f"{_CATALOG_NS}uri")}


def ontology_iris(root: Path = project.ROOT) -> dict[str, Path]:
    """Ontology IRI -> local file: the catalogued imports, and the ``owl:Ontology``
    headers of ``ontology/*.ttl`` (the project's own modules). The one resolver of
    ``owl:imports`` for the reasoner and the OWL 2 DL profile check."""
    out = dict(catalog(root))
    for path in sorted((root / "ontology").glob("*.ttl")):
        for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()):
            if t.predicate.value == RDF_TYPE and t.object.value == OWL_ONTOLOGY and isinstance(t.subject, ox.NamedNode):
                out.setdefault(t.subject.value, path)
    return out


def import_files(root: Path = project.ROOT) -> list[Path]:
    """The local copies of the reused ontologies, each once, sorted."""
    return sorted(set(catalog(root).values()))


# --- HermiT -------------------------------------------------------------------------------


def check_consistency(
    quads: Iterable[ox.Quad], *, imports: bool = True, root: Path = project.ROOT, timeout: float = DEFAULT_TIMEOUT
) -> Consistency:
    """Run HermiT on the union of the quads' triples, with the catalogued imports
    (``imports=True``). Raises :class:`ReasonerError` (or :class:`ImportNotFound`)
    when no answer can be had."""
    catalogued = set(catalog(root).values())
    triples, imported, present = _split_quads(quads)
    _add_imports(triples, imported, present, set(catalogued) if imports else set(), catalogued, ontology_iris(root))
    return _run_hermit(triples, timeout)


def _split_quads(quads: Iterable[ox.Quad]) -> tuple[list[ox.Triple], list[str], set[str]]:
    """The quads' triples but owl:imports; the ontologies they import; those they declare."""
    triples: list[ox.Triple] = []
    imported: list[str] = []
    present: set[str] = set()  # ontologies the graph declares itself
    for q in quads:
        if q.predicate.value == OWL_IMPORTS:
            imported.append(value_of(q.object))
            continue
        if q.predicate.value == RDF_TYPE and value_of(q.object) == OWL_ONTOLOGY:
            present.add(value_of(q.subject))
        triples.append(ox.Triple(q.subject, q.predicate, q.object))
    return triples, imported, present


def _add_imports(
    triples: list[ox.Triple],
    imported: list[str],
    present: set[str],
    wanted: set[Path],
    catalogued: set[Path],
    known: dict[str, Path],
) -> None:
    """Add to ``triples`` the files ``wanted`` and those ``imported`` (transitively),
    local files only; ``present`` grows with the ontologies loaded."""
    loaded: set[Path] = set()
    while imported or wanted - loaded:
        for target in imported:
            if target in present:
                continue
            if target not in known:
                raise ImportNotFound(
                    f"owl:imports <{target}> is not in ontology/imports/{CATALOG} nor an "
                    "ontology of ontology/ (imports are never fetched from the network)"
                )
            wanted.add(known[target])
        imported = []
        for path in sorted(wanted - loaded):
            loaded.add(path)
            for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()):
                if t.predicate.value == OWL_IMPORTS:
                    if path not in catalogued:  # the catalogued ones are all loaded (imports=True)
                        imported.append(t.object.value)
                    continue
                if t.predicate.value == RDF_TYPE and t.object.value == OWL_ONTOLOGY:
                    present.add(t.subject.value)
                triples.append(t)


def _run_hermit(triples: list[ox.Triple], timeout: float) -> Consistency:
    """HermiT's answer on ``triples``, with the individuals of its explanations."""
    java = _java()
    with tempfile.TemporaryDirectory(prefix="clusterkg-hermit-") as tmp:
        path = Path(tmp) / "graph.nt"
        ox.serialize(triples, output=str(path), format=ox.RdfFormat.N_TRIPLES)
        hermit = _run(
            [
                java,
                f"-Xmx{JAVA_MEMORY}M",
                "-cp",
                _classpath("hermit"),
                "org.semanticweb.HermiT.cli.CommandLine",
                "-k",
                "--ignoreUnsupportedDatatypes",
                "-I",
                path.as_uri(),
            ],
            "HermiT",
            timeout,
        )
        if hermit.returncode == 0:
            return Consistency(True, "HermiT: consistent")
        if "InconsistentOntologyException" not in hermit.stderr + hermit.stdout:
            raise ReasonerError(f"HermiT failed (exit {hermit.returncode}): {_last_lines(hermit)}")
        explanations = _explain(java, path, timeout)
    individuals = _individuals(explanations, triples)
    if not individuals:
        return Consistency(False, "HermiT: the ontology is inconsistent")
    names = ", ".join(project.shorten(i, unmatched="<{}>") for i in individuals)
    return Consistency(
        False, f"HermiT: the ontology is inconsistent; individuals involved: {names}", individuals, explanations
    )


def _java() -> str:
    try:
        return engines.find_java(MIN_JAVA).path
    except engines.JavaNotFoundError as e:
        raise ReasonerError(f"HermiT needs Java >= {MIN_JAVA}: {e}") from None


def _classpath(reasoner: str) -> str:
    import owlready2.reasoning

    return owlready2.reasoning._HERMIT_CLASSPATH if reasoner == "hermit" else owlready2.reasoning._PELLET_CLASSPATH


def _run(command: list[str], name: str, timeout: float) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ReasonerError(f"{name} gave no answer within {timeout:g} s") from None
    except OSError as e:
        raise ReasonerError(f"{name} could not be started: {e}") from None


def _last_lines(p: subprocess.CompletedProcess, n: int = 3) -> str:
    """The Java exception's own message when there is one, else the last lines."""
    lines = [line.strip() for line in (p.stderr or p.stdout or "").splitlines() if line.strip()]
    for line in lines:
        m = re.match(r"(?:Exception in thread \S+ )?[\w.$]+(?:Exception|Error): (.+)", line)
        if m:
            return m.group(1)
    return " / ".join(lines[-n:]) or "no output"


# --- explanations (Pellet) ------------------------------------------------------------------

_EXPLANATION_START = re.compile(r"^\s*\d+\)\s+(.*)$")


def _explain(java: str, path: Path, timeout: float) -> tuple[tuple[str, ...], ...]:
    """Pellet's explanations of the inconsistency; () when Pellet cannot give them."""
    try:
        pellet = _run(
            [
                java,
                f"-Xmx{JAVA_MEMORY}M",
                "-cp",
                _classpath("pellet"),
                "pellet.Pellet",
                "explain",
                "--inconsistent",
                "--max",
                str(MAX_EXPLANATIONS),
                "--ignore-imports",
                str(path),
            ],
            "Pellet",
            timeout,
        )
    except ReasonerError:
        return ()
    if pellet.returncode != 0:
        return ()
    out: list[list[str]] = []
    for line in pellet.stdout.splitlines():
        start = _EXPLANATION_START.match(line)
        if start:
            out.append([start.group(1).strip()])
        elif out and line.strip():
            out[-1].append(line.strip())
    return tuple(tuple(e) for e in out)


#: Pellet's words for axioms about classes and properties (not assertions)
_SCHEMA_WORDS = {
    "domain",
    "range",
    "subClassOf",
    "subPropertyOf",
    "disjointWith",
    "inverseOf",
    "equivalentTo",
    "equivalentClass",
    "equivalentProperty",
    "Functional",
    "InverseFunctional",
    "Transitive",
    "Symmetric",
    "Asymmetric",
    "Reflexive",
    "Irreflexive",
    "DisjointWith",
    "propertyDisjointWith",
}


def _individuals(explanations, triples: list[ox.Triple]) -> tuple[str, ...]:
    """The IRIs of the individuals that explanations name as subjects of assertions
    (Pellet writes local names: mapped back to the graph's IRIs when unambiguous)."""
    if not explanations:
        return ()
    by_local: dict[str, set[str]] = {}
    for t in triples:
        if isinstance(t.subject, ox.NamedNode):
            iri = t.subject.value
            by_local.setdefault(re.split(r"[#/]", iri)[-1], set()).add(iri)
    found: set[str] = set()
    for explanation in explanations:
        for axiom in explanation:
            words = axiom.split()
            if len(words) < 3 or words[1] in _SCHEMA_WORDS or words[0] in _SCHEMA_WORDS:
                continue
            iris = by_local.get(words[0], set())
            if len(iris) == 1:
                iri = next(iter(iris))
                if iri.startswith(project.ID_NS) or not iri.startswith(project.BASE):
                    found.add(iri)
    return tuple(sorted(i for i in found if not _is_vocabulary(i)))


def _is_vocabulary(iri: str) -> bool:
    return iri.startswith((project.ONTOLOGY_NS, "http://www.w3.org/"))
