"""OWL 2 DL profile of the ontology files, with py-horned-owl's profile checker.

py-horned-owl (PyPI, the Python binding of the Rust library Horned-OWL) parses
an ontology document and checks it against the global restrictions of OWL 2 DL
(https://www.w3.org/TR/owl2-syntax/#Global_Restrictions_on_Axioms_in_OWL_2_DL):
every entity declared, no illegal punning (an IRI both an object and a data
property, or a class and a datatype), no reserved vocabulary used as an entity,
non-simple (e.g. transitive) properties kept out of cardinality restrictions and
functional, irreflexive, asymmetric or disjointness axioms, property chains
without cycles, class expressions legal where they stand.

Each file is an OWL 2 ontology document on its own: it needs an ``owl:Ontology``
header, and everything it uses must be declared in it or in the ontologies it
``owl:imports`` (resolved through ``ontology/imports/catalog-v001.xml`` or to
another file of ``ontology/``, never the network). A violation is reported when it
is found in the file and is still there once its imports are loaded (so PROV-O's
own punning, ``prov:wasRevisionOf``, is not charged to a file that imports it).

py-horned-owl reads RDF/XML, not Turtle: the Turtle is converted by pyoxigraph
first; triples are the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from . import project, reasoning, terms

OWL_ONTOLOGY = "http://www.w3.org/2002/07/owl#Ontology"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
OWL_IMPORTS = reasoning.OWL_IMPORTS

#: what each kind of violation means, for people
_WHAT = {
    "UseOfUndeclaredClass": "is used as a class but not declared (owl:Class) in the file or its imports",
    "UseOfUndeclaredObjectProperty": "is used as an object property but not declared (owl:ObjectProperty) "
    "in the file or its imports",
    "UseOfUndeclaredDataProperty": "is used as a data property but not declared (owl:DatatypeProperty) "
    "in the file or its imports",
    "UseOfUndeclaredAnnotationProperty": "is used as an annotation property but not declared "
    "(owl:AnnotationProperty) in the file or its imports",
    "UseOfUndeclaredDatatype": "is used as a datatype but not declared (rdfs:Datatype) in the file or its imports",
    "UseOfIllegalPunning": "is used as more than one kind of entity, which OWL 2 DL forbids",
    "UseOfReservedVocabulary": "belongs to the reserved vocabulary (rdf:, rdfs:, owl:, xsd:) and cannot be "
    "used as an entity here",
}


@dataclass(frozen=True, order=True)
class DLViolation:
    file: Path
    line: int | None
    message: str


def check_files(paths: Sequence[Path], root: Path = project.ROOT) -> list[DLViolation]:
    """OWL 2 DL violations of each file (see the module's docstring)."""
    iri_to_file = _ontology_iris(root)
    out: list[DLViolation] = []
    for path in paths:
        out += check_file(Path(path), iri_to_file, root)
    return sorted(out, key=lambda v: (str(v.file), v.line or 0, v.message))


def check_file(path: Path, iri_to_file: dict[str, Path] | None = None, root: Path = project.ROOT) -> list[DLViolation]:
    iri_to_file = iri_to_file if iri_to_file is not None else _ontology_iris(root)
    triples = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()))
    prefixes = _prefixes(path)
    out: list[DLViolation] = []
    headers = [t.subject for t in triples if t.predicate.value == RDF_TYPE and t.object.value == OWL_ONTOLOGY]
    if len(headers) != 1 or not isinstance(headers[0], ox.NamedNode):
        what = (
            "no owl:Ontology header"
            if not headers
            else (
                f"{len(headers)} owl:Ontology headers" if len(headers) > 1 else "an owl:Ontology header without an IRI"
            )
        )
        out.append(
            DLViolation(
                path, None, f"{what}: an OWL 2 DL ontology document has exactly one, named by the ontology's IRI"
            )
        )
    closure: list[ox.Triple] = list(triples)
    seen = {path.resolve()}
    todo = [t.object.value for t in triples if t.predicate.value == OWL_IMPORTS]
    while todo:
        iri = todo.pop()
        target = iri_to_file.get(iri)
        if target is None:
            line = terms.first_use(path, iri, prefixes)
            out.append(
                DLViolation(
                    path,
                    line,
                    f"owl:imports <{iri}>: no local copy (ontology/ or ontology/imports/{reasoning.CATALOG})",
                )
            )
            continue
        if target.resolve() in seen:
            continue
        seen.add(target.resolve())
        imported = list(ox.parse(path=str(target), format=ox.RdfFormat.TURTLE, base_iri=target.resolve().as_uri()))
        closure += imported
        todo += [t.object.value for t in imported if t.predicate.value == OWL_IMPORTS]

    alone = _violations(triples)
    with_imports = _violations(closure) if len(closure) > len(triples) else alone
    for key in sorted(set(alone) & set(with_imports)):
        kind, iri, detail = key
        if iri:
            shown = project.shorten(iri, {**project.PREFIXES, **prefixes}, "<{}>")
            what = _WHAT.get(kind, detail)
            if kind == "UseOfIllegalPunning" and alone[key]:
                what += f" ({alone[key]})"
            out.append(DLViolation(path, terms.first_use(path, iri, prefixes), f"{shown} {what}"))
        else:
            iris = re.findall(r"<([^<>\s]+)>", detail)
            line = terms.first_use(path, iris[0], prefixes) if iris else None
            shown = re.sub(
                r"<([^<>\s]+)>", lambda m: project.shorten(m.group(1), {**project.PREFIXES, **prefixes}, "<{}>"), detail
            )
            out.append(DLViolation(path, line, f"{shown} ({kind})"))
    return out


def _violations(triples: list[ox.Triple]) -> dict[tuple[str, str, str], str]:
    """(kind, iri or "", message or axiom) -> extra detail, from py-horned-owl."""
    import pyhornedowl
    from pyhornedowl.profile import check_profile

    data = ox.serialize(triples, format=ox.RdfFormat.RDF_XML)
    assert data is not None, "serialize without an output returns the bytes"
    xml = data.decode("utf-8")
    ontology = pyhornedowl.open_ontology_from_string(xml, "rdf")
    found: dict[tuple[str, str, str], str] = {}
    for v in check_profile(ontology, "DL").violations:
        kind = type(v).__name__
        message: str = v.message  # type: ignore[attr-defined]  # every concrete Violation has one; the base stub not
        iri = str(getattr(v, "iri", "") or "")
        if iri:
            kinds = getattr(v, "kinds", None)
            found[(kind, iri, message)] = " and ".join(str(k) for k in kinds) if kinds else ""
        else:
            axiom = getattr(v, "axiom", None)
            reason = getattr(v, "reason", "")
            detail = f"{message}: {axiom}" if axiom is not None else message
            found[(kind, "", f"{detail}{'; ' + reason if reason else ''}")] = ""
    return found


def _ontology_iris(root: Path) -> dict[str, Path]:
    """Ontology IRI -> file (:func:`clusterkg.reasoning.ontology_iris`, shared with the reasoner)."""
    return reasoning.ontology_iris(root)


def _prefixes(path: Path) -> dict[str, str]:
    from .graph import _PREFIX_RE

    return {m.group(1) or "": m.group(2) for m in _PREFIX_RE.finditer(path.read_text(encoding="utf-8"))}
