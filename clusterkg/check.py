"""``clusterkg check``: the project's quality gate, in the spirit of ODK/ROBOT.

Checks, in this order (each one a :class:`CheckResult` of the :class:`CheckReport`):

``shacl-shacl``
    the shapes of ``shapes/`` against SHACL for SHACL (the W3C's shapes graph for
    shapes graphs, ``ontology/imports/shacl-shacl.ttl``), with pySHACL;
``declared-terms``
    every class and predicate the data uses, and every property and class the
    shapes constrain or target, is declared by the ontology or belongs to a
    reused vocabulary (:mod:`clusterkg.terms`; typos get a suggestion);
``consistency``
    HermiT finds the ontology and the data consistent with the reused ontologies
    (PROV-O, ORG, SKOS) loaded from ``ontology/imports`` (:mod:`clusterkg.reasoning`);
``owl2-dl``
    every file of ``ontology/`` is an OWL 2 DL ontology document
    (:mod:`clusterkg.owlprofile`, py-horned-owl's profile checker);
``qc:<name>``
    each query of ``queries/qc/`` returns no row: unique labels per language,
    definitions, labels in English and French, deprecated terms, links to IRIs
    that nothing describes, unexpanded prefixed names, and every data triple
    backed by a support (the provenance model).

Each problem is one line, ``file:line: what is wrong`` when the place is known.
A check that cannot run (no Java for HermiT, the reasoner too slow) is reported
as such (``error``). Exit codes of the command: 0 every check passed, 1 a check
found problems, 2 an input file cannot be read, 4 a check could not run.

Python API: :func:`run` -> :class:`CheckReport`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib

from . import engines, graph, owlprofile, project, reasoning, terms, validate
from .sparql import select

__all__ = ["CHECKS", "Problem", "CheckResult", "CheckReport", "run", "qc_queries", "to_text", "to_json"]

#: The checks, in order, by name (the qc: checks follow, one per query).
CHECKS = ("shacl-shacl", "declared-terms", "consistency", "owl2-dl")

SHACL_SHACL = "shacl-shacl.ttl"


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where a person can find it."""

    message: str
    file: Path | None = None
    line: int | None = None

    def where(self) -> str:
        if self.file is None:
            return ""
        shown = _display_path(self.file)
        return f"{shown}:{self.line}" if self.line else shown

    def text(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


@dataclass
class CheckResult:
    name: str
    title: str
    problems: list[Problem] = field(default_factory=list)
    #: why the check could not run (None when it ran)
    error: str | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.error is None and not self.problems

    @property
    def status(self) -> str:
        return "error" if self.error is not None else ("passed" if not self.problems else "failed")


@dataclass
class CheckReport:
    results: list[CheckResult]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def errors(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "error"]

    def result(self, name: str) -> CheckResult:
        return next(r for r in self.results if r.name == name)

    def summary(self) -> str:
        problems = sum(len(r.problems) for r in self.results)
        passed = sum(r.passed for r in self.results)
        text = f"{passed} of {len(self.results)} checks passed"
        if problems:
            text += f", {problems} problem{'s' if problems != 1 else ''}"
        if self.errors:
            text += f", {len(self.errors)} could not run"
        return text


# --- running -----------------------------------------------------------------------------


def qc_queries(root: Path = project.ROOT) -> list[Path]:
    return sorted((root / "queries" / "qc").glob("*.rq"))


def run(
    root: Path | str | None = None,
    files: Sequence[Path | str] = (),
    *,
    skip: Sequence[str] = (),
    timeout: float = reasoning.DEFAULT_TIMEOUT,
) -> CheckReport:
    """Run every check on the project at ``root`` (default :data:`project.ROOT`): its
    ontology, shapes and ``queries/qc``, and its ``data/*.ttl`` or ``files`` instead.
    ``skip`` names checks to leave out (``consistency``, ``qc`` for all the queries,
    ``qc:<name>`` for one). Raises :class:`graph.LoadError` when a file cannot be
    read (nothing is checked then)."""
    root = Path(root) if root is not None else project.ROOT
    loaded = validate.load(files, root)
    shapes_store = ox.Store()
    shape_parsed = [graph.load_file(shapes_store, gf) for gf in validate.shape_files(root)]
    graph.check_literals(shapes_store, shape_parsed)

    steps: list[tuple[str, str, Callable[[], list[Problem]]]] = [
        (
            "shacl-shacl",
            "the shapes conform to SHACL for SHACL",
            lambda: _shacl_shacl(shapes_store, shape_parsed, root),
        ),
        (
            "declared-terms",
            "every class and property used in the data and the shapes is declared",
            lambda: _declared_terms(loaded, shape_parsed),
        ),
        (
            "consistency",
            "HermiT: the ontology and the data are consistent with PROV-O, ORG and SKOS loaded",
            lambda: _consistency(loaded, timeout, root),
        ),
        ("owl2-dl", "every ontology file is OWL 2 DL", lambda: _owl2_dl(root)),
    ]
    from .query import load_query

    for path in qc_queries(root):
        q = load_query(path)
        steps.append((f"qc:{q.name}", q.title, functools.partial(_qc, loaded, q)))

    results = []
    for name, title, step in steps:
        if name in skip or (name.startswith("qc:") and "qc" in skip):
            continue
        started = time.perf_counter()
        result = CheckResult(name, title)
        try:
            result.problems = step()
        except (reasoning.ReasonerError, engines.EngineError) as e:
            result.error = str(e)
        result.seconds = time.perf_counter() - started
        results.append(result)
    return CheckReport(results)


# --- the checks -----------------------------------------------------------------------------


def _shacl_shacl(store: ox.Store, parsed: Sequence[graph.ParsedFile], root: Path) -> list[Problem]:
    shapes = graph.to_rdflib_graph(store.quads_for_pattern(None, None, None, None))
    meta = rdflib.Graph().parse(root / "ontology" / "imports" / SHACL_SHACL, format="turtle")
    report = engines.get_engine("pyshacl").validate(shapes, meta, None, inference="none")
    problems = []
    for r in report.results:
        file, line, prefixes = _place(r.focus, parsed)
        node = project.shorten(r.focus, prefixes, "<{}>") if r.focus != "_:" else "a blank node"
        path = f" {validate.show_path(r.path, prefixes)}" if r.path else ""
        message = r.messages[0].removesuffix("@en") if r.messages else validate._local(r.component)
        value = f" [value: {validate.show_value(r.value, prefixes)}]" if r.value and r.value != f"<{r.focus}>" else ""
        problems.append(Problem(f"{node}{path}: {message}{value}", file, line))
    return _sorted(problems)


def _declared_terms(loaded: validate.Loaded, shape_parsed: Sequence[graph.ParsedFile]) -> list[Problem]:
    store = ox.Store()
    ontology = [pf for pf in loaded.ontology] + [pf for pf in loaded.data if _in_ontology_dir(pf)]
    for pf in list(loaded.ontology) + list(loaded.data):
        store.extend(loaded.store.quads_for_pattern(None, None, None, ox.NamedNode(pf.file.graph)))
    shapes = []
    for pf in shape_parsed:
        shapes.append(graph.load_file(store, pf.file))
    found = terms.findings(
        store,
        [pf.file.graph for pf in ontology],
        list(loaded.data) + shapes,
        shape_graphs=[pf.file.graph for pf in shapes],
    )
    return [Problem(f.message(), f.file, f.line) for f in found]


def _consistency(loaded: validate.Loaded, timeout: float, root: Path) -> list[Problem]:
    result = reasoning.check_consistency(
        loaded.store.quads_for_pattern(None, None, None, None), timeout=timeout, root=root
    )
    if result.consistent:
        return []
    problems = [Problem(result.message)]
    for individual in result.individuals:
        file, line, prefixes = _place(individual, loaded.data)
        problems.append(
            Problem(f"{project.shorten(individual, prefixes, '<{}>')} is involved in the inconsistency", file, line)
        )
    if result.explanations:
        shown = re.sub(r"_:\S+", "_:b", "; ".join(result.explanations[0]))
        problems.append(Problem(f"one explanation (Pellet): {shown}"))
    return problems


def _owl2_dl(root: Path) -> list[Problem]:
    paths = sorted((root / "ontology").glob("*.ttl"))
    return [Problem(v.message, v.file, v.line) for v in owlprofile.check_files(paths, root)]


def _qc(loaded: validate.Loaded, q) -> list[Problem]:
    problems = []
    prefixes = {**project.PREFIXES, **q.prefixes}
    result = select(loaded.store, q.text, use_default_graph_as_union=True)
    variables = [v.value for v in result.variables]
    for row in result:
        focus = row["focus"] if "focus" in variables else None
        file = line = None
        if isinstance(focus, ox.NamedNode):
            file, line, file_prefixes = _place(focus.value, _declaring_first(loaded, focus))
            prefixes = {**prefixes, **file_prefixes}
        elif focus is not None:  # a blank node has no place: the data files' prefixes
            prefixes = {**{k: v for pf in loaded.data for k, v in pf.prefixes.items()}, **prefixes}
        head = _show(focus, prefixes) if focus is not None else ""
        details = "; ".join(
            f"{name}: {_show(row[name], prefixes)}" for name in variables if name != "focus" and row[name] is not None
        )
        text = f"{head} ({details})" if head and details else (head or details)
        problems.append(Problem(f"{q.title}: {text}", file, line))
    return problems


# --- helpers ---------------------------------------------------------------------------------


def _place(iri: str, parsed: Sequence[graph.ParsedFile]) -> tuple[Path | None, int | None, dict[str, str]]:
    """The file and line that define ``iri`` (as a subject at a line's start), and
    that file's prefixes; else the first file that mentions it."""
    if not iri or iri == "_:":
        return None, None, dict(project.PREFIXES)
    for pf in parsed:
        line = graph.defining_line(pf, iri)
        if line is not None:
            return pf.file.path, line, {**project.PREFIXES, **pf.prefixes}
    for pf in parsed:
        line = terms.first_use(pf.file.path, iri, pf.prefixes)
        if line is not None:
            return pf.file.path, line, {**project.PREFIXES, **pf.prefixes}
    return None, None, dict(project.PREFIXES)


def _declaring_first(loaded: validate.Loaded, node: ox.NamedNode) -> list[graph.ParsedFile]:
    """The loaded files, those that give ``node`` a type first (where a term is declared)."""
    typed = {
        q.graph_name.value
        for q in loaded.store.quads_for_pattern(node, RDF_TYPE, None, None)
        if not isinstance(q.graph_name, ox.DefaultGraph)  # the loaded files are named graphs
    }
    files = list(loaded.data) + list(loaded.ontology)
    return sorted(files, key=lambda pf: pf.file.graph not in typed)


RDF_TYPE = ox.NamedNode(str(rdflib.RDF.type))


def _show(term, prefixes: dict[str, str]) -> str:
    if isinstance(term, ox.NamedNode):
        return project.shorten(term.value, prefixes, "<{}>")
    if isinstance(term, ox.BlankNode):
        return "a blank node"
    value = term.value
    if " " in value and all(part.startswith(("http://", "https://")) for part in value.split()):
        return " ".join(project.shorten(part, prefixes, "<{}>") for part in value.split())
    if term.language:
        return f'"{value}"@{term.language}'
    return value if term.datatype.value != str(rdflib.XSD.string) else f'"{value}"'


def _in_ontology_dir(pf: graph.ParsedFile) -> bool:
    return pf.file.graph.startswith(project.GRAPH_NS + "ontology/")


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (str(p.file or "~"), p.line or 0, p.message))


def _display_path(path: Path) -> str:
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else str(path)
    except (ValueError, OSError):
        return str(path)


# --- reports -----------------------------------------------------------------------------------

#: problems printed per check in the text report (all of them in JSON)
TEXT_LIMIT = 50


def to_text(report: CheckReport, limit: int | None = TEXT_LIMIT) -> str:
    """One block per check: its name, status and title, then one line per problem."""
    lines = []
    for r in report.results:
        status = {"passed": "ok", "failed": f"FAILED ({len(r.problems)})", "error": "ERROR"}[r.status]
        lines.append(f"{r.name}: {status} - {r.title} ({r.seconds:.1f} s)")
        if r.error is not None:
            lines.append(f"  could not run: {r.error}")
        shown = r.problems if limit is None else r.problems[:limit]
        lines += [f"  {p.text()}" for p in shown]
        if len(shown) < len(r.problems):
            lines.append(f"  ... and {len(r.problems) - len(shown)} more (--format json lists all)")
    lines.append("")
    lines.append(report.summary())
    return "\n".join(lines) + "\n"


def to_json(report: CheckReport) -> str:
    """``{"passed", "summary", "checks": [{"name", "title", "status", "error", "seconds",
    "problems": [{"message", "file" (absolute), "line"}]}]}``."""
    out = {
        "passed": report.passed,
        "summary": report.summary(),
        "checks": [
            {
                "name": r.name,
                "title": r.title,
                "status": r.status,
                "error": r.error,
                "seconds": round(r.seconds, 3),
                "problems": [
                    {"message": p.message, "file": str(Path(p.file).resolve()) if p.file else None, "line": p.line}
                    for p in r.problems
                ],
            }
            for r in report.results
        ],
    }
    return json.dumps(out, ensure_ascii=False, indent=2) + "\n"
