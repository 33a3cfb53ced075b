"""``clusterkg import``: CSV files (one per kind of row) become Turtle that follows
the ontology, validated together with the whole graph and written only if it
conforms.

The layout of the files and how each column becomes RDF is declared in
``data/templates/mapping.toml`` (read here, see its comments); this module reads
the cells the way a person typing them in a French or English spreadsheet
means them, and refuses the rest, row by row:

* encodings: UTF-8 with or without a byte-order mark; anything else (Latin-1,
  cp1252, UTF-16) is refused and named;
* separators: ``,`` ``;`` or tab, found from the header row;
* numbers: ``1 250`` (spaces, no-break spaces), ``17 000``, ``1,2`` (decimal
  comma), ``1.5``, ``1,250,000``; ``1,250`` and ``1.250`` are ambiguous and
  refused; ``plus de 650`` / ``more than`` give ``ckv:lower-bound``, ``près de
  540`` / ``environ`` / ``about`` give ``ckv:approximate`` (the texts' qualifiers);
* dates: ``2019-02-05``, ``05/02/2019`` (day first), ``5 février 2019``,
  ``February 5, 2019``, ``2019`` (an ``xsd:gYear``);
* a cell that starts with ``=`` ``+`` ``-`` ``@`` is a spreadsheet formula (or
  would run as one when the file is opened again): refused.

Every row names its source (a source document, by id, IRI, label or URL) and the
phrase that supports it; each triple the row adds (but types and labels) is
backed by one support node (the provenance model of the project), so that
``clusterkg why`` explains imported triples like the hand-written ones.

Nothing is written unless every row is good and the whole graph, with the new
triples, conforms to the shapes; the file is then replaced in one rename.

API: :func:`import_files` (what the command does), :class:`ImportFailed` (the
problems, each with file, row, column, value and rule), :func:`benchmark`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import difflib
import functools
import io
import os
import re
import tempfile
import time
import tomllib
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import pyoxigraph as ox

from . import graph, project
from .sparql import value_of

__all__ = [
    "Problem",
    "ImportFailed",
    "Outcome",
    "import_files",
    "read_table",
    "parse_quantity",
    "parse_date",
    "benchmark",
    "EXIT_VIOLATIONS",
    "EXIT_INPUT",
]

EXIT_VIOLATIONS = 1
EXIT_INPUT = 2

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
CK, CKG, CKV = project.ID_NS, project.ONTOLOGY_NS, project.VOCAB_NS
UNSUPPORTED = {
    RDF + "type",
    RDFS + "label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2004/02/skos/core#altLabel",
}

MAX_PROBLEMS = 200
SEPARATOR = "|"


def mapping_path(root: Path | None = None) -> Path:
    return (root or project.ROOT) / "data" / "templates" / "mapping.toml"


# ============================================================== problems


@dataclass(frozen=True)
class Problem:
    """One refused row (or file): where, what, and the rule it breaks."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str

    def __str__(self) -> str:
        where = self.file + (f": row {self.row}" if self.row is not None else "")
        if self.column:
            where += f", column {self.column}"
        if self.value is not None:
            where += f", value {_show(self.value)}"
        return f"{where}: {self.rule}"


def _show(value: str) -> str:
    value = value if len(value) <= 80 else value[:77] + "…"
    return '"' + value.replace("\n", "\\n") + '"'


class ImportFailed(Exception):
    """Nothing was written. ``problems`` says why; ``exit_code`` is 2 (a file or a
    row was refused) or 1 (the rows were read but the graph would not conform)."""

    def __init__(self, problems: Sequence[Problem], exit_code: int = EXIT_INPUT):
        self.problems = list(problems)
        self.exit_code = exit_code
        super().__init__("\n".join(str(p) for p in self.problems))


class CellError(ValueError):
    """A cell that cannot be read; the caller adds file, row, column and value."""


# ============================================================ the mapping


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "id"
    property: str | None = None
    inverse: bool = False
    classes: tuple[str, ...] = ()
    place: str | None = None
    many: bool = False
    required: bool = False

    def triple_property(self) -> str:
        """The property of a column that makes triples."""
        assert self.property is not None, f"column {self.name} has no property"
        return self.property


@dataclass(frozen=True)
class Kind:
    name: str
    order: int
    columns: dict[str, Column]
    description: str = ""
    iri: str | None = None
    cls: str | None = None
    classes: dict[str, str] = field(default_factory=dict)
    ties: dict[str, dict] = field(default_factory=dict)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns.values() if c.required]

    def iri_of(self, local: str) -> str:
        """The IRI (maybe a CURIE) of the row whose id is ``local``."""
        assert self.iri is not None, f"rows of {self.name} have no IRI template"
        return self.iri.format(id=local)


def expand(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    if prefix in project.PREFIXES and not local.startswith("//"):
        return project.PREFIXES[prefix] + local
    return curie


def load_mapping(root: Path | None = None) -> dict[str, Kind]:
    with mapping_path(root).open("rb") as f:
        spec = tomllib.load(f)
    kinds = {}
    for name, k in spec["kind"].items():
        columns = {}
        for c in k["column"]:
            prop = c.get("property")
            inverse = bool(prop and prop.startswith("^"))
            columns[c["name"]] = Column(
                c["name"],
                c.get("type", "id"),
                expand(prop.lstrip("^")) if prop else None,
                inverse,
                tuple(expand(x) for x in c.get("class", ())),
                c.get("place"),
                c.get("many", False),
                c.get("required", False),
            )
        ties = {}
        for tie, t in k.get("ties", {}).items():
            spec_t = {
                "name": tie,
                "property": expand(t["property"]),
                "from": tuple(expand(x) for x in t["from"]),
                "to": tuple(expand(x) for x in t["to"]),
                "place": t.get("place"),
            }
            for alias in [tie, *t.get("aliases", ())]:
                ties[_key(alias)] = spec_t
        kinds[name] = Kind(
            name,
            k["order"],
            columns,
            k.get("description", ""),
            k.get("iri"),
            expand(k["class"]) if "class" in k else None,
            {_key(a): expand(c) for a, c in k.get("classes", {}).items()},
            ties,
        )
    return kinds


def _key(text: str) -> str:
    """Header cells, kinds and ties compared without case, accents, spaces or dashes."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def slug(text: str) -> str:
    """``Lisbon Digital Hub`` -> ``lisbon-digital-hub`` (the local name of a new IRI)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


# ====================================================== reading the files


@dataclass
class Table:
    """One CSV file: its kind, its columns, its rows as ``(row number, {column: cell})``.
    Row numbers are those a spreadsheet shows: the header is row 1."""

    path: Path
    kind: Kind
    rows: list[tuple[int, dict[str, str]]]
    delimiter: str

    @property
    def name(self) -> str:
        return self.path.name


def decode(path: Path) -> str:
    """The text of a UTF-8 file (its byte-order mark dropped); anything else refused by name."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ImportFailed([Problem(str(path), None, None, None, f"cannot read file: {e.strerror or e}")]) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFailed(
            [Problem(path.name, None, None, None, "the file is UTF-16, not UTF-8: save it as CSV UTF-8")]
        )
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        try:
            data.decode("cp1252")
            guess = "looks like Latin-1/cp1252"
        except UnicodeDecodeError:
            guess = "encoding unknown"
        raise ImportFailed(
            [
                Problem(
                    path.name,
                    None,
                    None,
                    None,
                    f"the file is not UTF-8 ({guess}; first bad byte on line {line}): "
                    f'save it as UTF-8 ("CSV UTF-8" in Excel, "Unicode (UTF-8)" in LibreOffice)',
                )
            ]
        ) from None
    if "\x00" in text:
        raise ImportFailed([Problem(path.name, None, None, None, "not a text file (it holds NUL bytes)")])
    return text


def _sniff(first_line: str, known: set[str]) -> str:
    """The separator that makes the most header cells known column names (then the most cells)."""
    best, score = ",", (-1, -1)
    for delimiter in (",", ";", "\t"):
        try:
            cells = next(csv.reader([first_line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        s = (sum(_key(c) in known for c in cells), len(cells))
        if s > score:
            best, score = delimiter, s
    return best


def _kind_of(path: Path, header: list[str], kinds: dict[str, Kind]) -> Kind | None:
    stem = _key(path.stem)
    for name in sorted(kinds, key=len, reverse=True):
        if stem.startswith(name) or stem.startswith(name.rstrip("s")):
            return kinds[name]
    fits = [k for k in kinds.values() if set(k.required) <= set(header) and set(header) <= set(k.columns)]
    return fits[0] if len(fits) == 1 else None


def _superclasses(direct: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each class with a direct superclass -> itself and every superclass (transitively)."""

    def closure(c: str, seen: set[str]) -> set[str]:
        for sup in direct.get(c, ()):
            if sup not in seen:
                seen.add(sup)
                closure(sup, seen)
        return seen

    return {c: closure(c, {c}) for c in list(direct)}


def _header_problems(name: str, raw_header: list[str], header: list[str], kind: Kind) -> list[Problem]:
    """What is wrong with a header: columns twice, unknown, missing."""
    problems = []
    seen = set()
    for raw, col in zip(raw_header, header, strict=True):
        if col in seen:
            problems.append(Problem(name, 1, raw, None, "this column appears twice in the header"))
        seen.add(col)
        if col not in kind.columns:
            close = difflib.get_close_matches(col, kind.columns, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            problems.append(
                Problem(
                    name,
                    1,
                    raw or "(empty)",
                    None,
                    f"unknown column for {kind.name}: {hint}the columns are {', '.join(kind.columns)}",
                )
            )
    for col in kind.required:
        if col not in header:
            problems.append(
                Problem(name, 1, col, None, f"missing column: {kind.name} files need {', '.join(kind.required)}")
            )
    return problems


def _rows(name: str, records: list[list[str]], header: list[str], problems: list[Problem]) -> list:
    """The rows under the header (blank ones skipped) as ``(number, cells)``; rows
    with too many cells go to ``problems``."""
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(c.strip() for c in record):
            continue
        if len(record) > len(header) and any(c.strip() for c in record[len(header) :]):
            problems.append(
                Problem(
                    name,
                    number,
                    None,
                    None,
                    f"the row has {len(record)} cells, the header {len(header)} "
                    f"(a separator inside a cell must be quoted)",
                )
            )
            continue
        cells = {col: (record[i] if i < len(record) else "") for i, col in enumerate(header)}
        rows.append((number, cells))
    return rows


def read_table(path: Path, kinds: dict[str, Kind]) -> Table:
    """Read one CSV file: its encoding, separator, header and rows checked."""
    text = decode(path)
    name = path.name
    lines = text.lstrip("\n").splitlines()
    if not lines or not lines[0].strip():
        raise ImportFailed([Problem(name, None, None, None, "the file is empty: it needs a header row")])
    known = {c for k in kinds.values() for c in k.columns}
    delimiter = _sniff(lines[0], known)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as e:
        raise ImportFailed([Problem(name, None, None, None, f"not a readable CSV file: {e}")]) from None
    while records and not any(c.strip() for c in records[0]):
        records.pop(0)
    header = [_key(c) for c in records[0]]
    kind = _kind_of(path, header, kinds)
    if kind is None:
        names = ", ".join(f"{k}.csv" for k in sorted(kinds, key=lambda k: kinds[k].order))
        raise ImportFailed(
            [
                Problem(
                    name,
                    1,
                    None,
                    None,
                    f"cannot tell what the file holds: name it after its kind ({names}) "
                    f"and give it the header of its template",
                )
            ]
        )
    problems = _header_problems(name, records[0], header, kind)
    if problems:
        raise ImportFailed(problems)
    rows = _rows(name, records, header, problems)
    if problems:
        raise ImportFailed(problems)
    return Table(path, kind, rows, delimiter)


# ===================================================== reading the cells

_FORMULA = re.compile(r"^[=+\-@\t\r]")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2007]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean(cell: str) -> str:
    """The cell without surrounding spaces; a formula refused."""
    text = cell.strip()
    if _FORMULA.match(text) or _FORMULA.match(cell):
        raise CellError(
            "starts with = + - or @: a spreadsheet formula (or text that would run as one); type the value itself"
        )
    if _CONTROL.search(text):
        raise CellError("holds a control character")
    return text


_QUALIFIERS = [
    ("lower-bound", r"(?:plus\s+de|au\s+moins|sup[ée]rieur\s+[àa]|more\s+than|over|above|at\s+least|>=?|≥)"),
    (
        "approximate",
        r"(?:pr[èe]s\s+de|environ|env\.|approximativement|autour\s+de|quelque|estim[ée]e?s?\s+[àa]"
        r"|about|around|approximately|approx\.?|roughly|nearly|some|~|≈|ca\.)",
    ),
]
_QUALIFIER_RE = [(q, re.compile(r"^" + p + r"\s*", re.IGNORECASE)) for q, p in _QUALIFIERS]
_SUFFIXES = [  # (pattern, multiplier, unit, currency)
    (r"%", 1, "%", None),
    (r"(?:m€|m\s*eur|millions?\s+d['’]\s*euros|millions?\s+(?:of\s+)?euros|meur)", 10**6, None, "EUR"),
    (r"(?:k€|k\s*eur|milliers?\s+d['’]\s*euros|keur)", 10**3, None, "EUR"),
    (r"(?:€|eur|euros?)", 1, None, "EUR"),
    (r"(?:millions?)", 10**6, None, None),
]
_SUFFIX_RE = [(re.compile(r"\s*" + p + r"$", re.IGNORECASE), m, u, c) for p, m, u, c in _SUFFIXES]


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    qualifier: str | None = None  # lower-bound / approximate, when the text says so
    unit: str | None = None
    currency: str | None = None


def parse_quantity(text: str) -> Quantity:
    """``"plus de 1 250"`` -> 1250, lower bound; ``"1,2"`` -> 1.2; ``"près de 540"`` -> 540,
    approximate; ``"650 M€"`` -> 650000000 EUR. Raises :class:`CellError`."""
    t = _SPACES.sub(" ", text).strip()
    qualifier = None
    for q, rx in _QUALIFIER_RE:
        m = rx.match(t)
        if m:
            qualifier, t = q, t[m.end() :]
            break
    multiplier, unit, currency = 1, None, None
    for rx, m_, u, c in _SUFFIX_RE:
        m = rx.search(t)
        if m and m.start() > 0:
            multiplier, unit, currency, t = m_, u, c, t[: m.start()]
            break
    value = _number(t.strip(), text)
    return Quantity((value * multiplier).normalize() if multiplier != 1 else value, qualifier, unit, currency)


def _number(t: str, original: str) -> Decimal:
    def d(s: str) -> Decimal:
        return Decimal(s)

    if re.fullmatch(r"\d{1,3}(?: \d{3})+(?:,\d+)?", t):  # 1 250 / 17 000 / 1 250,5
        return d(t.replace(" ", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?", t):  # 1.250.000 / 1.250.000,5
        return d(t.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(?:,\d{3}){2,}(?:\.\d+)?", t):  # 1,250,000 / 1,250,000.5
        return d(t.replace(",", ""))
    if re.fullmatch(r"\d{1,3}\.\d{3},\d+", t):  # 1.250,5
        return d(t.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3},\d{3}\.\d+", t):  # 1,250.5
        return d(t.replace(",", ""))
    m = re.fullmatch(r"(\d+)([.,])(\d+)", t)
    if m:
        whole, sep, frac = m.groups()
        if len(frac) == 3 and len(whole) <= 3 and whole != "0":
            raise CellError(
                f"ambiguous number: {whole}{sep}{frac} is {whole}{frac} in one convention and "
                f"{whole}.{frac} in another; write {whole}{frac} (or {whole} {frac}) or "
                f"{whole},{frac.rstrip('0') or '0'}"
            )
        return d(f"{whole}.{frac}")
    if re.fullmatch(r"\d+", t):
        return d(t)
    raise CellError('not a number: write it as 1250, 1 250, 1,5 or with "plus de" / "près de" before it')


_MONTHS = {
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
    "janv": 1,
    "fevr": 2,
    "fev": 2,
    "avr": 4,
    "juil": 7,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
}


def parse_date(text: str) -> ox.Literal:
    """``2019-02-05``, ``05/02/2019`` (day first), ``5 février 2019``, ``February 5, 2019``
    -> ``xsd:date``; ``2019`` -> ``xsd:gYear``. Raises :class:`CellError`."""
    t = _SPACES.sub(" ", text).strip()
    plain = _key(t).replace("_", " ")
    if re.fullmatch(r"\d{4}", t):
        return ox.Literal(t, datatype=ox.NamedNode(XSD + "gYear"))
    y = mo = d = None
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", t):
        y, mo, d = m.groups()
    elif m := re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", t):
        d, mo, y = m.groups()
    elif m := re.fullmatch(r"(\d{1,2})(?: ?er)? ([a-z]+) (\d{4})", plain):
        d, name, y = m.groups()
        mo = _MONTHS.get(name)
    elif m := re.fullmatch(r"([a-z]+) (\d{1,2})(?:st|nd|rd|th)? (\d{4})", plain):
        name, d, y = m.groups()
        mo = _MONTHS.get(name)
    elif re.fullmatch(r"([a-z]+) (\d{4})", plain) or re.fullmatch(r"\d{1,2}[/.\-]\d{4}|\d{4}-\d{1,2}", t):
        raise CellError(
            "a month without its day: give the full date (5 février 2019, 2019-02-05) or the year alone (2019)"
        )
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ].*", t):
        raise CellError("a date and time: give the date alone (2019-02-05)")
    if y is None or mo is None or d is None:
        raise CellError("not a date: write 2019-02-05, 05/02/2019, 5 février 2019 or 2019")
    try:
        day = date(int(y), int(mo), int(d))
    except ValueError:
        raise CellError(f"no such day ({d}/{mo}/{y})") from None
    return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date"))


def parse_url(text: str) -> ox.NamedNode:
    if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", text):
        raise CellError("not a web address: give the whole URL, http://… or https://…")
    try:
        return ox.NamedNode(text)
    except ValueError:
        raise CellError("not a valid IRI") from None


def parse_language(text: str) -> str:
    t = text.strip().lower()
    names = {"francais": "fr", "french": "fr", "anglais": "en", "english": "en"}
    t = names.get(_key(t), t)
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{1,8})*", t):
        raise CellError("not a language tag: write fr, en, de…")
    return t


# =========================================================== the graph


@dataclass
class Index:
    """What the importer needs to know of the existing graph, read once: every
    node's types, labels and graph, the subclass closure, observation keys."""

    store: ox.Store
    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    labels: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    folded: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    node_labels: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    graphs: dict[str, str] = field(default_factory=dict)
    supers: dict[str, set[str]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    languages: dict[str, str] = field(default_factory=dict)
    identifiers: dict[str, str] = field(default_factory=dict)
    triples: set[tuple[str, str, str]] = field(default_factory=set)
    observations: dict[tuple, str] = field(default_factory=dict)

    @classmethod
    def of(cls, store: ox.Store, ontology_graphs: set[str]) -> Index:
        ix = cls(store)
        direct: dict[str, set[str]] = defaultdict(set)
        obs: dict[str, dict[str, str]] = defaultdict(dict)
        obs_props = {
            CKG + p: p
            for p in ("observedEntity", "measure", "memberCategory", "referenceDate", "referenceYear", "dateNotStated")
        }
        for q in store.quads_for_pattern(None, None, None, None):
            s, p, o = q.subject, q.predicate.value, q.object
            if not isinstance(s, ox.NamedNode) or isinstance(o, ox.Triple):  # no RDF-star in the project
                continue
            sv = s.value
            g = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
            ix._add(sv, p, o, g in ontology_graphs, g, direct)
            if p in obs_props:
                obs[sv][obs_props[p]] = o.value
            if g not in ontology_graphs and isinstance(o, ox.NamedNode):
                ix.triples.add((sv, p, o.value))
        for node, props in obs.items():
            if "observedEntity" in props and "measure" in props:
                ix.observations[_obs_key(props)] = node
        for c, supers in _superclasses(direct).items():
            ix.supers[c] = supers
        return ix

    def _add(
        self,
        sv: str,
        p: str,
        o: ox.NamedNode | ox.BlankNode | ox.Literal,
        in_ontology: bool,
        g: str,
        direct: dict[str, set[str]],
    ) -> None:
        """What one statement about ``sv`` (in graph ``g``) tells: its types, direct
        superclasses, labels, URL, language, identifier."""
        if p == RDF + "type":
            self.types[sv].add(o.value)
            if not in_ontology:
                self.graphs.setdefault(sv, g)
        elif p == RDFS + "subClassOf" and isinstance(o, ox.NamedNode):
            direct[sv].add(o.value)
        elif p == RDFS + "label" and isinstance(o, ox.Literal):
            text = _SPACES.sub(" ", o.value).strip()
            self.labels[text].add(sv)
            self.folded[text.casefold()].add(sv)
            if o.language:
                self.node_labels[sv].setdefault(o.language, o.value)
        elif p == "https://schema.org/url":
            self.urls[o.value] = sv
        elif p == "http://purl.org/dc/terms/language":
            self.languages[sv] = o.value
        elif p == "http://purl.org/dc/terms/identifier":
            self.identifiers[sv] = o.value

    def classes_of(self, iri: str) -> set[str]:
        out = set()
        for t in self.types.get(iri, ()):
            out |= self.supers.get(t, {t})
        return out

    def exists(self, iri: str) -> bool:
        return iri in self.types or iri in self.node_labels

    def label(self, iri: str, lang: str = "en") -> str:
        labels = self.node_labels.get(iri, {})
        return labels.get(lang) or labels.get("en") or project.shorten(iri)

    def where(self, iri: str) -> str:
        g = self.graphs.get(iri, "")
        if g.startswith(project.GRAPH_NS):
            return g[len(project.GRAPH_NS) :] + ".ttl"
        return g or "the graph"


def _obs_key(props: dict[str, str]) -> tuple:
    when = props.get("referenceDate") or props.get("referenceYear") or ""
    return (props["observedEntity"], props["measure"], props.get("memberCategory", ""), when)


# ============================================================= the rows


@dataclass
class RowOut:
    """What one row adds: its triples (each with the column it comes from), the
    node it creates, its source and quote."""

    file: str
    row: int
    node: str | None = None
    triples: list[tuple[str, str, Any, str]] = field(default_factory=list)  # s, p, o (IRI str or Literal), column
    cells: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    quote: str | None = None
    quote_lang: str = "fr"
    status: str = "stated"
    kind: str = ""

    def add(self, s: str, p: str, o, column: str) -> None:
        self.triples.append((s, p, o, column))


class Importer:
    def __init__(self, kinds: dict[str, Kind], index: Index, root: Path):
        self.kinds = kinds
        self.ix = index
        self.root = root
        self.problems: list[Problem] = []
        self.out: list[RowOut] = []
        self.new_types: dict[str, set[str]] = defaultdict(set)
        self.new_labels: dict[str, set[str]] = defaultdict(set)
        self.new_node_labels: dict[str, dict[str, str]] = defaultdict(dict)
        self.new_by: dict[str, tuple[str, int]] = {}
        self.new_places: dict[str, Any] = {}
        self.new_sources: dict[str, str] = {}  # iri -> language
        self.new_urls: dict[str, str] = {}
        self.added: dict[tuple[str, str, str], tuple[str, int]] = {}
        self.seeds: dict[str, str] | None = None
        self.current: tuple[RowOut, str, str] | None = None  # the cell being read
        self.place_origin: dict[str, tuple[RowOut, str, str] | None] = {}

    # ---------------------------------------------------------------- problems
    def problem(self, r: RowOut, column: str | None, value: str | None, rule: str) -> None:
        self.problems.append(Problem(r.file, r.row, column, value, rule))

    # ---------------------------------------------------------------- classes
    def classes_of(self, iri: str) -> set[str]:
        out = self.ix.classes_of(iri)
        for t in self.new_types.get(iri, ()):
            out |= self.ix.supers.get(t, {t})
        return out

    def exists(self, iri: str) -> bool:
        return self.ix.exists(iri) or iri in self.new_types or iri in self.new_places

    def label(self, iri: str, lang: str = "en") -> str:
        if iri in self.new_node_labels:
            labels = self.new_node_labels[iri]
            return labels.get(lang) or labels.get("en") or project.shorten(iri)
        return self.ix.label(iri, lang)

    # ---------------------------------------------------------------- references
    def resolve(self, text: str, classes: Sequence[str] = (), place: str | None = None) -> str:
        """The IRI a cell names: an IRI, a CURIE, an id (ck:ID), an exact label; with
        ``place``, an unknown name is looked up in the reference data."""
        t = _SPACES.sub(" ", text).strip()
        if t.startswith("<") and t.endswith(">"):
            t = t[1:-1]
        candidates = self._named(t)
        if classes and candidates:
            candidates = self._fitting(candidates, classes, place)
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            raise CellError(
                "ambiguous: "
                + ", ".join(f"{project.shorten(c)} ({self._type_name(c)})" for c in candidates)
                + "; give the CURIE"
            )
        if place:
            return self.resolve_place(t, place)
        self._unknown(t)

    def _named(self, t: str) -> list[str]:
        """The nodes a cell names: an IRI or CURIE that exists, ids (ck:ID, ckv:ID), else exact labels."""
        if re.match(r"^https?://", t):
            candidates = [t] if self.exists(t) else []
            if not candidates:
                raise CellError("no node with this IRI in the graph or in the files imported")
            return candidates
        if re.fullmatch(r"[A-Za-z][\w\-]*:[^\s/]+", t) and t.split(":")[0] in project.PREFIXES:
            iri = expand(t)
            if not self.exists(iri):
                raise CellError(f"no node {t} in the graph or in the files imported")
            return [iri]
        ids = [ns + t for ns in (CK, CKV) if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", t) and self.exists(ns + t)]
        if ids:
            return ids
        found = self.ix.labels.get(t, set()) | self.new_labels.get(t, set())
        return sorted(found)

    def _fitting(self, candidates: list[str], classes: Sequence[str], place: str | None) -> list[str]:
        """The candidates of one of ``classes``; none when a place column names no place
        (to be looked up); an error when they are all of another class."""
        fitting = [c for c in candidates if self.classes_of(c) & set(classes)]
        if not fitting:
            if place and len(candidates) >= 1 and not any(self.classes_of(c) & {CKG + "Place"} for c in candidates):
                return []
            kinds = " or ".join(project.shorten(c) for c in classes)
            named = ", ".join(f"{project.shorten(c)} ({self._type_name(c)})" for c in candidates)
            raise CellError(f"{named} is not a {kinds}")
        return fitting

    def _unknown(self, t: str) -> NoReturn:
        """The error for a cell that names no node, with the labels it may mean."""
        close = sorted(self.ix.folded.get(t.casefold(), set()))
        if close:
            raise CellError(
                "no node with this exact label; did you mean "
                + ", ".join(f'{project.shorten(c)} "{self.label(c)}"' for c in close)
                + "?"
            )
        labels = difflib.get_close_matches(t, list(self.ix.labels) + list(self.new_labels), n=3, cutoff=0.8)
        hint = (" (close labels: " + ", ".join(f'"{x}"' for x in labels) + ")") if labels else ""
        raise CellError(f"unknown reference: no node with this IRI, CURIE, id or English/French label{hint}")

    def _type_name(self, iri: str) -> str:
        types = sorted(self.ix.types.get(iri, set()) | self.new_types.get(iri, set()))
        return ", ".join(project.shorten(t) for t in types) or "no type"

    def resolve_place(self, text: str, kind: str) -> str:
        name, country = text, None
        m = re.fullmatch(r"(.+?)\s*(?:,\s*|\()\s*([^,()]+?)\)?", text)
        if m:
            name, country = m.group(1), m.group(2)
            try:
                country = self._alpha2(self.resolve(country, (CKG + "Country",))) or country
            except CellError:
                try:
                    import pycountry

                    country = pycountry.countries.lookup(country).alpha_2
                except (ImportError, LookupError):
                    raise CellError(
                        f'unknown country {_show(country)}: write the place as "City, FR" '
                        f'(ISO 3166 code) or "City, France"'
                    ) from None
        try:
            from . import places
        except ImportError:
            raise CellError(
                f"no {kind} named {_show(text)} in the graph (the reference data, clusterkg.places, is not installed)"
            ) from None
        try:
            p = places.resolve(name, country=country, kind=kind)
        except places.PlaceError as e:
            raise CellError(str(e)) from None
        return self.add_place(p)

    def _alpha2(self, iri: str) -> str | None:
        for q in self.ix.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(CKG + "iso3166Alpha2"), None, None):
            return value_of(q.object)
        return None

    def add_place(self, p) -> str:
        """A place of the reference data, with the places containing it that the
        graph lacks (its département, region, country)."""
        if self.ix.exists(p.iri) or p.iri in self.new_places:
            return p.iri
        from . import places

        for q in places.lineage([p]):
            if self.ix.exists(q.iri) or q.iri in self.new_places:
                continue
            self.new_places[q.iri] = q
            self.place_origin[q.iri] = self.current
            cls = {"country": "Country", "region": "Region", "department": "Region", "city": "City"}.get(
                q.kind, "Place"
            )
            self.new_types[q.iri].add(CKG + cls)
            for lang, lab in (("en", q.label_en), ("fr", q.label_fr)):
                if lab:
                    self.new_node_labels[q.iri][lang] = lab
                    self.new_labels[lab].add(q.iri)
        return p.iri

    # ---------------------------------------------------------------- sources
    def source(self, r: RowOut, text: str) -> None:
        t = text.strip()
        iri = None
        if re.match(r"^https?://", t) and not t.startswith(CK):
            iri = self.new_urls.get(t) or self.ix.urls.get(t)
            if iri is None:
                raise CellError(
                    "no source document with this URL: add it to sources.csv "
                    "(id, label_en, label_fr, title, url, publisher, consulted, language)"
                )
        elif re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", t) and self.exists(CK + "src-" + t):
            iri = CK + "src-" + t  # the id of a row of sources.csv
        else:
            try:
                iri = self.resolve(t, (CKG + "SourceDocument",))
            except CellError as e:
                raise CellError(
                    f"{e} (a source is the id of a row of sources.csv, a source "
                    f"document's CURIE such as ck:src-cap-digital, its label or its URL)"
                ) from None
        r.source = iri
        r.quote_lang = self.new_sources.get(iri) or self.ix.languages.get(iri) or "fr"
        if not hasattr(self, "_with_url"):
            self._with_url = set(self.ix.urls.values())
        r.status = "external" if (iri in self.new_sources or iri in self._with_url) else "stated"

    def check_quote(self, r: RowOut, quote: str) -> None:
        """A quote from a seed text must occur in it (spaces aside)."""
        ident = self.ix.identifiers.get(r.source or "")
        if not ident:
            return
        if self.seeds is None:
            self.seeds = {}
            if project.SEEDS_DIR.is_dir():
                for p in project.SEEDS_DIR.glob("*.txt"):
                    self.seeds[p.stem] = _SPACES.sub(" ", p.read_text(encoding="utf-8"))
        seed = self.seeds.get(ident)
        if seed is not None and _SPACES.sub(" ", quote).strip() not in seed:
            raise CellError(
                f"this phrase does not occur in the text of {project.shorten(r.source or '')}: "
                f"copy it exactly (apostrophes and accents included)"
            )

    # ---------------------------------------------------------------- rows
    def run(self, tables: Sequence[Table]) -> None:
        seen_rows: dict[tuple, tuple[str, int]] = {}
        for table in sorted(tables, key=lambda t: t.kind.order):
            for number, cells in table.rows:
                key = (table.kind.name, tuple(sorted((k, _SPACES.sub(" ", v).strip()) for k, v in cells.items())))
                r = RowOut(table.name, number, cells=cells)
                if key in seen_rows:
                    f, n = seen_rows[key]
                    self.problem(
                        r, None, None, f"duplicate row: the same as row {n}" + (f" of {f}" if f != table.name else "")
                    )
                    continue
                seen_rows[key] = (table.name, number)
                before = len(self.problems)
                try:
                    self.row(table.kind, r)
                except CellError as e:  # a problem of the row as a whole
                    self.problem(r, None, None, str(e))
                if len(self.problems) == before:
                    self.commit(r)
                else:
                    self.remember(r)  # so that rows naming its node are not refused too
                if len(self.problems) >= MAX_PROBLEMS:
                    return

    def cell(self, r: RowOut, column: str) -> str:
        return r.cells.get(column, "")

    def read(self, r: RowOut, col: Column, fn, *args):
        """``fn(cell, *args)`` for each value of the cell (one, or several with ``|``);
        problems recorded with the column and the value."""
        raw = r.cells.get(col.name, "")
        try:
            text = clean(raw)
        except CellError as e:
            self.problem(r, col.name, raw, str(e))
            return []
        if not text:
            if col.required:
                self.problem(r, col.name, "", "empty: this column is required")
            return []
        parts = [p.strip() for p in text.split(SEPARATOR)] if col.many else [text]
        out = []
        for part in parts:
            if not part:
                continue
            self.current = (r, col.name, part)
            try:
                out.append(fn(part, *args))
            except CellError as e:
                self.problem(r, col.name, part, str(e))
        return out

    def row(self, kind: Kind, r: RowOut) -> None:
        cols = kind.columns
        if "source" in cols:
            self.source_and_quote(kind, r)
        if kind.name == "ties":
            return self.tie(kind, r)
        if kind.name == "observations":
            return self.observation(kind, r)
        # a node of its own
        labels = {}
        for lang in ("en", "fr"):
            got = self.read(r, cols[f"label_{lang}"], _label)
            if got:
                labels[lang] = got[0]
        ids = self.read(r, cols["id"], _slug_cell)
        if not ids:
            return
        local = ids[0].removeprefix("src-") if kind.name == "sources" else ids[0]
        iri = expand(kind.iri_of(local))
        r.node = iri
        r.kind = kind.name
        cls = kind.cls
        if kind.classes:
            kinds = self.read(r, cols["kind"], lambda t: _choice(t, kind.classes, "kind"))
            cls = kinds[0] if kinds else None
        if cls is None or self.duplicate(r, iri, ids[0]):
            return
        self.check_labels(r, cls, labels)
        self.node(kind, r, iri, cls, labels)

    def node(self, kind: Kind, r: RowOut, iri: str, cls: str, labels: dict[str, str]) -> None:
        """The triples of a row's own node: its class, labels and columns."""
        r.add(iri, RDF + "type", cls, "kind")
        for lang, text in labels.items():
            r.add(iri, RDFS + "label", ox.Literal(text, language=lang), f"label_{lang}")
        if kind.name == "sources":
            self.source_row(kind, r, iri)
        for col in kind.columns.values():
            if col.property is None or col.type in ("source", "quote") or kind.name == "sources":
                continue
            self.column(r, iri, col)
        if kind.name == "agreements":
            self.agreement(r, iri, cls)

    def source_and_quote(self, kind: Kind, r: RowOut) -> None:
        """The row's source, and its quote checked against the source's text."""
        cols = kind.columns
        self.read(r, cols["source"], lambda t: self.source(r, t))
        quotes = self.read(r, cols["quote"], lambda t: _SPACES.sub(" ", t).strip())
        if quotes:
            r.quote = quotes[0]
            if r.source:
                try:
                    self.check_quote(r, r.quote)
                except CellError as e:
                    self.problem(r, "quote", r.quote, str(e))

    def duplicate(self, r: RowOut, iri: str, ident: str) -> bool:
        """Whether the row's node is made by another row or exists already (a problem then)."""
        if iri in self.new_by:
            f, n = self.new_by[iri]
            self.problem(
                r,
                "id",
                ident,
                f"{project.shorten(iri)} is already made by row {n}" + (f" of {f}" if f != r.file else ""),
            )
            return True
        if self.ix.exists(iri):
            self.problem(
                r,
                "id",
                ident,
                f"{project.shorten(iri)} already exists in {self.ix.where(iri)}: "
                f"the row duplicates existing data (choose another id, or leave it out)",
            )
            return True
        return False

    def check_labels(self, r: RowOut, cls: str, labels: dict[str, str]) -> None:
        """A label that a node of the same class already has is a problem (duplicated data)."""
        for lang, text in labels.items():
            same = [
                n
                for n in sorted(self.ix.labels.get(text, ()))
                if cls in self.ix.classes_of(n)
                or self.ix.types.get(n, set()) & self.ix.supers.get(cls, {cls}) - {OWL + "Thing"}
            ]
            if same:
                self.problem(
                    r,
                    f"label_{lang}",
                    text,
                    f"{project.shorten(same[0])} in {self.ix.where(same[0])} "
                    f"already has this label: the row duplicates existing data",
                )

    def source_row(self, kind: Kind, r: RowOut, iri: str) -> None:
        cols = kind.columns
        langs = self.read(r, cols["language"], parse_language)
        urls = self.read(r, cols["url"], parse_url)
        titles = self.read(r, cols["title"], lambda t: _SPACES.sub(" ", t).strip())
        if not urls and not titles:
            self.problem(r, "title", "", "a source needs a title or a URL, so that it can be found again")
        for u in urls:
            known = self.ix.urls.get(u.value) or self.new_urls.get(u.value)
            if known:
                self.problem(r, "url", u.value, f"{project.shorten(known)} already has this URL")
            r.add(iri, cols["url"].triple_property(), u.value, "url")
        for t in titles:
            r.add(iri, cols["title"].triple_property(), ox.Literal(t), "title")
        for p in self.read(r, cols["publisher"], lambda t: _SPACES.sub(" ", t).strip()):
            r.add(iri, cols["publisher"].triple_property(), ox.Literal(p), "publisher")
        for d in self.read(r, cols["consulted"], parse_date):
            r.add(iri, cols["consulted"].triple_property(), d, "consulted")
        for lang in langs:
            r.add(iri, cols["language"].triple_property(), ox.Literal(lang), "language")
        if langs:
            r.quote_lang = langs[0]

    def column(self, r: RowOut, iri: str, col: Column) -> None:
        if col.type in ("ref", "place"):
            values = self.read(r, col, self.resolve, col.classes, col.place if col.type == "place" else None)
        elif col.type == "date":
            values = self.read(r, col, parse_date)
        elif col.type == "url":
            values = [u.value for u in self.read(r, col, parse_url)]
        elif col.type == "text":
            values = [ox.Literal(t) for t in self.read(r, col, lambda t: _SPACES.sub(" ", t).strip())]
        else:
            return
        for v in values:
            if col.inverse:
                self.tie_triple(r, v, col.triple_property(), iri, col.name)
            else:
                r.add(iri, col.triple_property(), v, col.name)

    def tie_triple(self, r: RowOut, s: str, p: str, o: str, column: str) -> None:
        if (s, p, o) in self.ix.triples:
            self.problem(
                r,
                column,
                None,
                f"{project.shorten(s)} {project.shorten(p)} {project.shorten(o)} "
                f"is already in {self.ix.where(s)}: the row duplicates existing data",
            )
            return
        r.add(s, p, o, column)

    def tie(self, kind: Kind, r: RowOut) -> None:
        cols = kind.columns
        ties = self.read(r, cols["tie"], lambda t: _choice(t, kind.ties, "tie", values=True))
        if not ties:
            self.read(r, cols["from"], lambda t: t)
            self.read(r, cols["to"], lambda t: t)
            return
        spec = ties[0]
        froms = self.read(r, cols["from"], self.resolve, spec["from"])
        tos = self.read(r, cols["to"], self.resolve, spec["to"], spec["place"])
        if froms and tos:
            s, o = froms[0], tos[0]
            r.node, r.kind = s, "ties"
            self.tie_triple(r, s, spec["property"], o, "tie")

    def observation(self, kind: Kind, r: RowOut) -> None:
        cols = kind.columns
        entity = self.read(r, cols["entity"], self.resolve)
        measure = self.read(r, cols["measure"], self.resolve, cols["measure"].classes)
        category = self.read(r, cols["category"], self.resolve, cols["category"].classes)
        values = self.read(r, cols["value"], parse_quantity)
        qualifiers = self.read(r, cols["qualifier"], lambda t: _choice(t, _QUALIFIER_NAMES, "qualifier"))
        units = self.read(r, cols["unit"], _unit)
        currencies = self.read(r, cols["currency"], _currency)
        when = self.read(r, cols["date"], parse_date)
        start = self.read(r, cols["period_start"], parse_date)
        labels = {lang: self.read(r, cols[f"label_{lang}"], _label) for lang in ("en", "fr")}
        ids = self.read(r, cols["id"], _slug_cell)
        if not (entity and measure and values):
            return
        q: Quantity = values[0]
        terms = self._obs_terms(r, q, qualifiers, units, currencies)
        if terms is None:
            return
        qualifier, unit, currency = terms
        cls = self._obs_class(r, q, unit, currency)
        if cls is None:
            return
        literal = _decimal_literal(q.value)
        e, m = entity[0], measure[0]
        c = category[0] if category else ""
        w = when[0] if when else None
        if self._obs_exists(r, e, m, c, w):
            return
        local = ids[0] if ids else self._obs_id(e, m, c, w)
        iri = expand(kind.iri_of(local))
        r.node = iri
        if self._obs_clash(r, iri, local):
            return
        r.add(iri, RDF + "type", cls, "value")
        for lang in ("en", "fr"):
            text = labels[lang][0] if labels[lang] else self._obs_label(e, m, c, w, lang)
            r.add(iri, RDFS + "label", ox.Literal(text, language=lang), f"label_{lang}")
        r.add(iri, CKG + "observedEntity", e, "entity")
        r.add(iri, CKG + "measure", m, "measure")
        if c:
            r.add(iri, CKG + "memberCategory", c, "category")
        r.add(iri, CKG + "value", literal, "value")
        r.add(iri, CKG + "qualifier", CKV + (qualifier or "exact"), "qualifier" if qualifiers else "value")
        self._obs_extras(r, iri, unit, currency, w, start)

    def _obs_terms(
        self, r: RowOut, q: Quantity, qualifiers: list, units: list, currencies: list
    ) -> tuple[str | None, str | None, str | None] | None:
        """The qualifier, unit and currency of a figure, from its value and its columns;
        None (a problem) when they contradict each other."""
        qualifier = q.qualifier
        if qualifiers:
            if qualifier and qualifiers[0] != qualifier:
                self.problem(
                    r, "qualifier", self.cell(r, "qualifier"), f"contradicts the value, which says {qualifier}"
                )
                return None
            qualifier = qualifiers[0]
        unit = units[0] if units else q.unit
        currency = currencies[0] if currencies else q.currency
        if q.currency and currencies and currencies[0] != q.currency:
            self.problem(r, "currency", currencies[0], f"contradicts the value, which is in {q.currency}")
            return None
        if unit and q.unit and unit != q.unit:
            self.problem(r, "unit", unit, f"contradicts the value, which is in {q.unit}")
            return None
        if currency and unit:
            self.problem(r, "unit", unit, "an amount has a currency or a unit, not both")
            return None
        return qualifier, unit, currency

    def _obs_class(self, r: RowOut, q: Quantity, unit: str | None, currency: str | None) -> str | None:
        """The class of a figure (amount, percentage, count); None (a problem) when its value does not fit."""
        if currency:
            cls = CKG + "AmountObservation"
        elif unit:
            cls = CKG + "PercentageObservation"
        else:
            cls = CKG + "CountObservation"
            if q.value != q.value.to_integral_value():
                self.problem(
                    r,
                    "value",
                    self.cell(r, "value"),
                    f"a count must be a whole number (read as {q.value}); for a share give the unit %, "
                    f"for an amount its currency",
                )
                return None
        if cls == CKG + "PercentageObservation" and not (0 <= q.value <= 100):
            self.problem(r, "value", self.cell(r, "value"), "a percentage must be between 0 and 100")
            return None
        return cls

    def _obs_exists(self, r: RowOut, e: str, m: str, c: str, w: ox.Literal | None) -> bool:
        """Whether the graph already gives this figure (a problem then)."""
        key = (e, m, c, w.value if w is not None else "")
        existing = self.ix.observations.get(key)
        if existing:
            self.problem(
                r,
                None,
                None,
                f"{project.shorten(existing)} in {self.ix.where(existing)} already gives "
                f"this figure ({self.label(e)}, {self.label(m)}"
                + (f", {self.label(c)}" if c else "")
                + (f", {w.value}" if w is not None else ", date not stated")
                + "): the row duplicates existing data",
            )
            return True
        return False

    @staticmethod
    def _obs_id(e: str, m: str, c: str, w: ox.Literal | None) -> str:
        """The id of a figure without one: entity, measure, category and date."""
        parts = (
            [e.rsplit("/", 1)[-1], m.rsplit("/", 1)[-1]]
            + ([c.rsplit("/", 1)[-1]] if c else [])
            + ([w.value] if w is not None else [])
        )
        return slug("-".join(parts))

    def _obs_clash(self, r: RowOut, iri: str, local: str) -> bool:
        """Whether another row makes this figure's node, or it exists (a problem then)."""
        if iri in self.new_by:
            f, n = self.new_by[iri]
            self.problem(
                r,
                None,
                None,
                f"the same figure as row {n}"
                + (f" of {f}" if f != r.file else "")
                + f" ({project.shorten(iri)}): give each figure once, or an id to tell them apart",
            )
            return True
        if self.ix.exists(iri):
            self.problem(r, "id", local, f"{project.shorten(iri)} already exists in {self.ix.where(iri)}")
            return True
        return False

    @staticmethod
    def _obs_extras(
        r: RowOut, iri: str, unit: str | None, currency: str | None, w: ox.Literal | None, start: list
    ) -> None:
        """A figure's currency or unit, its date (or that none is stated), its period's start."""
        if currency:
            r.add(iri, CKG + "currency", ox.Literal(currency), "currency")
        if unit:
            r.add(iri, CKG + "unit", ox.Literal(unit), "unit")
        if w is None:
            r.add(iri, CKG + "dateNotStated", ox.Literal(True), "date")
        elif w.datatype.value == XSD + "gYear":
            r.add(iri, CKG + "referenceYear", w, "date")
        else:
            r.add(iri, CKG + "referenceDate", w, "date")
        if start:
            r.add(iri, CKG + "periodStart", start[0], "period_start")

    def _obs_label(self, e: str, m: str, c: str, w, lang: str) -> str:
        text = f"{self.label(e, lang)}: {self.label(m, lang)}"
        if c:
            text += f" ({self.label(c, lang)})"
        if w is not None:
            text += f", {w.value}"
        return text

    def agreement(self, r: RowOut, iri: str, cls: str) -> None:
        signatories = [o for s, p, o, _ in r.triples if p == CKG + "signatory"]
        if len([x for x in self.cell(r, "signatories").split(SEPARATOR) if x.strip()]) < 2:
            self.problem(
                r,
                "signatories",
                self.cell(r, "signatories"),
                "an agreement needs at least two signatories, separated by |",
            )
        if (
            cls == CKG + "SisterCityAgreement"
            and len(signatories) == 2
            and signatories[0] != signatories[1]
            and all(CKG + "City" in self.classes_of(s) for s in signatories)
        ):
            a, b = sorted(signatories)
            if (a, CKG + "twinnedWith", b) not in self.ix.triples and (
                b,
                CKG + "twinnedWith",
                a,
            ) not in self.ix.triples:
                r.add(a, CKG + "twinnedWith", b, "signatories")

    # ---------------------------------------------------------------- commit
    def remember(self, r: RowOut) -> None:
        """A refused row's node, by id only (its labels may be what is wrong)."""
        for s, p, o, _ in r.triples:
            if p == RDF + "type":
                self.new_types[s].add(o)
        if r.node and r.node not in self.new_by:
            self.new_by[r.node] = (r.file, r.row)

    def commit(self, r: RowOut) -> None:
        for s, p, o, column in r.triples:
            key = (s, p, o if isinstance(o, str) else str(o))
            if isinstance(o, str) and p != RDF + "type" and key in self.added:
                f, n = self.added[key]
                self.problem(
                    r,
                    column,
                    None,
                    f"{project.shorten(s)} {project.shorten(p)} {project.shorten(o)} "
                    f"is already added by row {n}" + (f" of {f}" if f != r.file else ""),
                )
                return
        for s, p, o, _column in r.triples:
            self.added[(s, p, o if isinstance(o, str) else str(o))] = (r.file, r.row)
            if p == RDF + "type":
                self.new_types[s].add(o)
            elif p == RDFS + "label":
                self.new_labels[_SPACES.sub(" ", o.value).strip()].add(s)
                self.new_node_labels[s][o.language] = o.value
        if r.node and r.node not in self.new_by:
            self.new_by[r.node] = (r.file, r.row)
        if r.node and r.file and any(p == RDF + "type" and o == CKG + "SourceDocument" for _, p, o, _ in r.triples):
            self.new_sources[r.node] = r.quote_lang
            for s, p, o, _ in r.triples:
                if p == "https://schema.org/url":
                    self.new_urls[o] = s
        self.out.append(r)


_QUALIFIER_NAMES = {
    _key(k): v
    for k, v in {
        "exact": "exact",
        "exactement": "exact",
        "ckv:exact": "exact",
        "lower-bound": "lower-bound",
        "lower bound": "lower-bound",
        "plus de": "lower-bound",
        "more than": "lower-bound",
        "ckv:lower-bound": "lower-bound",
        "au moins": "lower-bound",
        "at least": "lower-bound",
        "approximate": "approximate",
        "approximately": "approximate",
        "près de": "approximate",
        "environ": "approximate",
        "about": "approximate",
        "ckv:approximate": "approximate",
    }.items()
}


def _choice(text: str, choices: dict, what: str, values: bool = False):
    k = _key(text)
    if k in choices:
        return choices[k]
    names = sorted(
        {c for c in choices if "_" not in c or not values} if not values else {v["name"] for v in choices.values()}
    )
    raise CellError(f"unknown {what}: one of {', '.join(n.replace('_', '-') for n in names)}")


def _label(text: str) -> str:
    t = _SPACES.sub(" ", text).strip()
    if len(t) > 300:
        raise CellError("a label of more than 300 characters: give the name, not a description")
    return t


def _slug_cell(text: str) -> str:
    s = slug(text)
    if not s:
        raise CellError("an id needs letters or digits")
    return s


def _unit(text: str) -> str:
    t = text.strip()
    if not re.fullmatch(r"%(/[a-z]+)?", t):
        raise CellError("the only units are % and rates such as %/a; a count has none, an amount a currency")
    return t


def _currency(text: str) -> str:
    t = {"€": "EUR", "$": "USD", "£": "GBP"}.get(text.strip(), text.strip().upper())
    try:
        import pycountry

        if pycountry.currencies.get(alpha_3=t) is None:
            raise CellError("not an ISO 4217 currency code (EUR, USD…)")
    except ImportError:
        if not re.fullmatch(r"[A-Z]{3}", t):
            raise CellError("not an ISO 4217 currency code (EUR, USD…)") from None
    return t


def _decimal_literal(value: Decimal) -> ox.Literal:
    if value == value.to_integral_value():
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
    text = format(value.normalize(), "f")
    return ox.Literal(text, datatype=ox.NamedNode(XSD + "decimal"))


# ============================================================ Turtle out


@functools.lru_cache(maxsize=1 << 16)
def _curie(iri: str) -> str:
    return project.shorten(iri, project.PREFIXES, "<{}>")


def _term(o, prefixes: dict[str, str]) -> str:
    if isinstance(o, str):
        return _curie(o)
    if isinstance(o, ox.Literal):
        dt = o.datatype.value
        lexical = str(ox.Literal(o.value))
        if o.language:
            return f"{lexical}@{o.language}"
        if dt == XSD + "string":
            return lexical
        if dt == XSD + "integer" and re.fullmatch(r"-?\d+", o.value):
            return o.value
        if dt == XSD + "boolean":
            return o.value
        return f"{lexical}^^{_curie(dt)}"
    raise TypeError(o)


_ORDER = {RDF + "type": 0, RDFS + "label": 1}


def _block(subject: str, pairs: list[tuple[str, Any]], prefixes: dict[str, str]) -> str:
    pairs = sorted(
        set((p, o if isinstance(o, str) else o) for p, o in pairs),
        key=lambda po: (
            _ORDER.get(po[0], 2),
            _curie(po[0]),
            getattr(po[1], "language", None) != "en",
            _term(po[1], prefixes),
        ),
    )
    lines = []
    grouped: dict[str, list[str]] = {}
    for p, o in pairs:
        grouped.setdefault(p, []).append(_term(o, prefixes))
    for p, objects in grouped.items():
        name = "a" if p == RDF + "type" else _curie(p)
        lines.append(f"    {name} {' , '.join(objects)}")
    return f"{_term(subject, prefixes)}\n" + " ;\n".join(lines) + " ."


def to_turtle(imp: Importer, header: str) -> str:
    """The rows as Turtle: per row a comment naming it, its nodes, then its support."""
    prefixes = project.PREFIXES
    parts = []
    used_support: set[str] = set()
    for r in imp.out:
        by_subject: dict[str, list] = {}
        for s, p, o, _ in r.triples:
            by_subject.setdefault(s, []).append((p, o))
        chunk = [f"# {r.file}, row {r.row}"]
        chunk += [_block(s, pairs, prefixes) for s, pairs in by_subject.items()]
        backed = [(s, p, o) for s, p, o, _ in r.triples if p not in UNSUPPORTED]
        if r.source and backed:
            base = CK + "support-" + slug((r.node or backed[0][0]).rsplit("/", 1)[-1])
            if r.kind == "ties" and isinstance(backed[0][2], str):
                base += "-" + slug(_local(backed[0][2]))
            iri, n = base, 1
            while iri in used_support or imp.ix.exists(iri):
                n += 1
                iri = f"{base}-{n}"
            used_support.add(iri)
            statements = " ,\n        ".join(
                f"[ rdf:subject {_term(s, prefixes)} ; rdf:predicate {_term(p, prefixes)} ; "
                f"rdf:object {_term(o, prefixes)} ]"
                for s, p, o in sorted(backed, key=lambda t: (t[0], _curie(t[1]), _term(t[2], prefixes)))
            )
            chunk.append(
                f"{_term(iri, prefixes)} a ckg:Support ;\n"
                f"    ckg:supportStatus ckv:{r.status} ;\n"
                f"    prov:wasQuotedFrom {_term(r.source, prefixes)} ;\n"
                f"    ckg:quote {_term(ox.Literal(r.quote or '', language=r.quote_lang), prefixes)} ;\n"
                f"    ckg:supports {statements} ."
            )
        parts.append("\n".join(chunk))
    body = "\n\n".join(parts) + "\n"
    used = set(re.findall(r"(?<![\w<\"/#:.-])([a-z][a-z0-9]*):[A-Za-z_]", body))
    head = header + "\n".join(f"@prefix {p}: <{ns}> ." for p, ns in prefixes.items() if p in used)
    return head + "\n\n" + body


def _local(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


# ============================================================ the command


@dataclass
class Outcome:
    """What an import added (or, with ``dry_run``, would add)."""

    into: Path
    turtle: str
    triples: int
    rows: int
    nodes: Counter
    places: list[str]
    written: bool
    warnings: list[str]
    seconds: dict[str, float]

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {project.shorten(c)}" for c, n in sorted(self.nodes.items(), key=lambda x: x[0]))
        return f"{self.rows} rows, {self.triples} triples" + (f" ({kinds})" if kinds else "")


def _read_tables(files: Sequence[Path | str], kinds: dict[str, Kind]) -> list[Table]:
    """Every file read (the problems of all of them together), with at least one row."""
    problems: list[Problem] = []
    tables = []
    for f in files:
        try:
            tables.append(read_table(Path(f), kinds))
        except ImportFailed as e:
            problems += e.problems
    if problems:
        raise ImportFailed(problems)
    if not any(t.rows for t in tables):
        raise ImportFailed(
            [Problem(", ".join(Path(f).name for f in files) or "(no file)", None, None, None, "no rows to import")]
        )
    return tables


def _places_turtle(imp: Importer, ix: Index) -> str:
    """The Turtle of the places the rows name, from the reference data (their sources
    unless the graph has them)."""
    from . import places

    new = list(imp.new_places.values())
    packages = {ref.package for q in new for ref in q.references}
    return places.turtle(
        new,
        header="Places the rows name, from the reference data (clusterkg.places)",
        sources=not all(ix.exists(CK + "src-" + package) for package in packages),
    )


def _nodes_by_class(imp: Importer) -> Counter[str]:
    """How many nodes of each class the rows make."""
    nodes: Counter[str] = Counter()
    for r in imp.out:
        for s, p, o, _ in r.triples:
            if p == RDF + "type" and s == r.node:
                nodes[o] += 1
    return nodes


def import_files(
    files: Sequence[Path | str],
    *,
    into: Path | str | None = None,
    dry_run: bool = False,
    root: Path | None = None,
    engine: str | None = None,
) -> Outcome:
    """Read ``files``, map their rows, validate the whole graph with them, and (unless
    ``dry_run``) write them to ``into`` (default ``data/imported.ttl``) in one rename.
    Raises :class:`ImportFailed` with every problem found; then nothing is written."""
    from . import validate

    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    root = Path(root or project.ROOT)
    into = Path(into) if into is not None else root / "data" / "imported.ttl"
    kinds = load_mapping(root)
    tables = _read_tables(files, kinds)
    try:
        loaded = validate.load((), root)
    except graph.LoadError as e:
        raise ImportFailed([Problem(str(e.path), e.line, None, None, e.reason)]) from None
    store = loaded.store
    ontology_graphs = {pf.file.graph for pf in loaded.ontology}
    ix = Index.of(store, ontology_graphs)
    seconds["read"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    imp = Importer(kinds, ix, root)
    imp.run(tables)
    if imp.problems:
        raise ImportFailed(sorted(imp.problems, key=lambda p: (p.file, p.row or 0)))
    names = ", ".join(t.name for t in sorted(tables, key=lambda t: t.kind.order))
    header = (
        f"# Imported with `clusterkg import` from {names}.\n"
        f"# Each block names the file and row it comes from; each row's source and phrase\n"
        f"# back the triples of the row (ckg:Support).\n\n"
    )
    text = to_turtle(imp, header)
    if imp.new_places:
        text += "\n" + _places_turtle(imp, ix)
    seconds["map"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    into_graph = ox.NamedNode(graph.graph_iri(into, root))
    before = len(store)
    try:
        store.load(
            input=text.encode(), format=ox.RdfFormat.TURTLE, base_iri=into.resolve().as_uri(), to_graph=into_graph
        )
    except SyntaxError as e:  # a bug of this module, not of the rows
        raise ImportFailed([Problem(into.name, None, None, None, f"internal error, Turtle not valid: {e}")]) from None
    added = len(store) - before
    seconds["parse"] = time.perf_counter() - t2

    t3 = time.perf_counter()
    options: dict[str, Any] = {"root": root} | ({"engine": engine} if engine else {})
    report = validate.validate_store(store, **options)
    seconds["validate"] = time.perf_counter() - t3
    origins = _origins(imp)
    warnings = []
    if not report.conforms:
        # Judge the rows on what they add: the violations the graph had before them
        # (the same focus node, path, constraint and severity) are not theirs.
        before_keys = {r.key for r in validate.validate_store(validate.load((), root).store, **options).violations}
        added_violations = [r for r in report.violations if r.key not in before_keys]
        if added_violations:
            raise ImportFailed(
                _findings(added_violations, origins, imp, into, _place_owners(imp, store, into_graph)), EXIT_VIOLATIONS
            )
        warnings.append(
            f"the graph already had {len(before_keys)} violation{'s' if len(before_keys) != 1 else ''} "
            f"before these rows (clusterkg validate lists them); the rows add none"
        )
    new_nodes = {n for n in origins if not ix.exists(n)}
    violations = set(report.violations)
    warnings += [
        f"{project.shorten(r.focus)}: "
        + _english(r.messages, root).replace("{$this}", _name(imp, r.focus)).replace(r.focus, _name(imp, r.focus))
        for r in report.results
        if r.focus in new_nodes and r not in violations
    ]
    written = False
    if not dry_run:
        old = into.read_text(encoding="utf-8") if into.exists() else ""
        write_atomically(into, old + ("\n" if old and not old.endswith("\n\n") else "") + text if old else text)
        written = True
    nodes = _nodes_by_class(imp)
    seconds["total"] = time.perf_counter() - t0
    return Outcome(
        into,
        text,
        added,
        sum(len(t.rows) for t in tables),
        nodes,
        sorted(imp.new_places),
        written,
        sorted(warnings),
        seconds,
    )


def _english(messages: Iterable[str], root: Path | None = None) -> str:
    """The English one of a result's messages (engines do not all keep the language
    of a SPARQL constraint's message: they are matched against the shapes' English ones)."""
    messages = list(messages)
    for m in messages:
        if m.endswith("@en"):
            return m[:-3]
    templates = _english_templates(root or project.ROOT)
    for m in messages:
        if any(t.fullmatch(m) for t in templates):
            return m
    return messages[0].rsplit("@", 1)[0] if messages else "breaks a shape"


_TEMPLATES: dict[Path, list[re.Pattern]] = {}


def _english_templates(root: Path) -> list[re.Pattern]:
    if root not in _TEMPLATES:
        store = ox.Store()
        for path in sorted((root / "shapes").glob("*.ttl")):
            store.load(path=str(path), format=ox.RdfFormat.TURTLE)
        out = []
        for q in store.quads_for_pattern(None, ox.NamedNode("http://www.w3.org/ns/shacl#message"), None, None):
            if isinstance(q.object, ox.Literal) and q.object.language == "en":
                parts = re.split(r"\{[$?]\w+\}", q.object.value)
                out.append(re.compile(".*".join(re.escape(p) for p in parts), re.DOTALL))
        _TEMPLATES[root] = out
    return _TEMPLATES[root]


def _origins(imp: Importer) -> dict[str, list[tuple[RowOut, str | None, str | None]]]:
    """node -> the rows that add triples about it, with the predicate and the column."""
    out: dict[str, list] = defaultdict(list)
    for r in imp.out:
        for s, p, o, column in r.triples:
            out[s].append((r, p, column))
            if isinstance(o, str) and p != RDF + "type":
                out[o].append((r, "^" + p, column))
    return out


def _place_owners(imp: Importer, store: ox.Store, graph_name: ox.NamedNode) -> dict[str, str]:
    """The nodes the reference data adds for a new place (its geometry, its supports) -> the place."""
    owners = {iri: iri for iri in imp.new_places}
    supports = ox.NamedNode(CKG + "supports")
    for _ in range(2):
        for q in store.quads_for_pattern(None, None, None, graph_name):
            s, o = value_of(q.subject), q.object
            if (
                s in owners
                and isinstance(o, ox.NamedNode)
                and o.value not in owners
                and o.value.startswith(CK)
                and q.predicate.value != CKG + "country"
                and not imp.ix.exists(o.value)
            ):
                owners[o.value] = owners[s]
            if q.predicate == supports and not isinstance(o, ox.Literal):
                for t in store.quads_for_pattern(o, ox.NamedNode(RDF + "subject"), None, graph_name):
                    if value_of(t.object) in owners:
                        owners[s] = owners[value_of(t.object)]
    return owners


def _findings(results, origins, imp: Importer, into: Path, owners: dict[str, str] | None = None) -> list[Problem]:
    ix = imp.ix
    problems = []
    for res in results:
        place = (owners or {}).get(res.focus)
        origin = imp.place_origin.get(place) if place else None
        if place and origin:
            r, column, value = origin
            message = _english(res.messages, imp.root).replace("{$this}", _name(imp, res.focus))
            problems.append(
                Problem(
                    r.file,
                    r.row,
                    column,
                    value,
                    f"the reference data for {project.shorten(place)}: {message} ({_shape(res)})",
                )
            )
            continue
        message = _english(res.messages, imp.root)
        message = message.replace(res.focus, _name(imp, res.focus)).replace("{$this}", _name(imp, res.focus))
        if res.value and res.value.startswith("<"):
            message = message.replace(res.value[1:-1], project.shorten(res.value[1:-1]))
        rows = origins.get(res.focus, [])
        if not rows:
            problems.append(
                Problem(
                    into.name,
                    None,
                    None,
                    None,
                    f"{project.shorten(res.focus)}: {message} (a node the rows do not add; {ix.where(res.focus)})",
                )
            )
            continue
        path = res.path or ""
        fitting = (
            [(r, c) for r, p, c in rows if p == path or "<" + p + ">" in path]
            or [(r, c) for r, p, c in rows if p == RDF + "type"]
            or [(r, c) for r, _, c in rows]
        )
        r, column = fitting[0]
        cell = r.cells.get(column) if column else None
        problems.append(Problem(r.file, r.row, column, cell, f"{message} ({_shape(res)})"))
    return sorted(set(problems), key=lambda p: (p.file, p.row or 0, p.column or "", p.rule))


def _name(imp: Importer, iri: str) -> str:
    if iri.startswith("_:"):
        return "a blank node"
    return (
        f"{project.shorten(iri)} ({imp.label(iri)})" if imp.label(iri) != project.shorten(iri) else project.shorten(iri)
    )


def _shape(res) -> str:
    if res.source_shape and not res.source_shape.startswith("_:"):
        return "rule " + project.shorten(res.source_shape)
    return "rule " + res.component.rsplit("#", 1)[-1]


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``:
    a reader sees the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ============================================================ benchmark


def synthetic_csv(folder: Path, n_rows: int) -> list[Path]:
    """``n_rows`` rows in three files (one source; clusters in existing cities; their
    member counts): the benchmark's input."""
    folder.mkdir(parents=True, exist_ok=True)
    cities = ["ck:paris", "ck:toulouse", "ck:montpellier", "ck:berlin", "ck:amsterdam", "ck:dublin"]
    n_clusters = max(1, (n_rows - 1) // 2)
    n_obs = max(0, n_rows - 1 - n_clusters)
    src = folder / "sources.csv"
    src.write_text(
        "id,label_en,label_fr,title,url,publisher,consulted,language\n"
        "bench,Benchmark source,source du banc d'essai,Benchmark,https://example.org/bench,"
        "example.org,2026-01-01,en\n",
        encoding="utf-8",
    )
    with (folder / "clusters.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "kind", "label_en", "label_fr", "city", "sector", "founded", "source", "quote"])
        for i in range(n_clusters):
            w.writerow(
                [
                    f"bench-cluster-{i}",
                    "cluster",
                    f"Bench cluster {i}",
                    f"cluster d'essai {i}",
                    cities[i % len(cities)],
                    "ckv:digital",
                    str(1990 + i % 30),
                    "bench",
                    f"cluster {i}",
                ]
            )
    with (folder / "observations.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["entity", "measure", "value", "date", "source", "quote"])
        for i in range(n_obs):
            j = i % n_clusters
            w.writerow(
                [
                    f"bench-cluster-{j}",
                    "ckv:member-count",
                    f"plus de {i + 10}" if i % 3 == 0 else f"{i + 1000:,}".replace(",", " "),
                    str(2000 + i // n_clusters),
                    "bench",
                    f"{i + 10} members",
                ]
            )
    return [src, folder / "clusters.csv", folder / "observations.csv"]


def benchmark(
    n_rows: int = 10_000, *, validate: bool = True, root: Path | None = None, engine: str | None = None
) -> dict[str, Any]:
    """Import ``n_rows`` synthetic rows as a dry run (nothing written) and time each
    phase: ``{"rows", "triples", "read", "map", "parse", "validate", "total"}`` (seconds).
    Without ``validate`` the validation is skipped (the mapping alone)."""
    from . import validate as validate_mod

    with tempfile.TemporaryDirectory() as tmp:
        files = synthetic_csv(Path(tmp), n_rows)
        if validate:
            out = import_files(files, dry_run=True, root=root, engine=engine)
        else:
            real = validate_mod.validate_store

            class _Skip:
                conforms: bool = True
                results: list[Any] = []
                violations: list[Any] = []

            # a stand-in report: the timing run without the validation
            validate_mod.validate_store = lambda *a, **k: _Skip()  # type: ignore[assignment]
            try:
                out = import_files(files, dry_run=True, root=root)
            finally:
                validate_mod.validate_store = real
    return {"rows": n_rows, "triples": out.triples, **{k: round(v, 3) for k, v in out.seconds.items()}}
