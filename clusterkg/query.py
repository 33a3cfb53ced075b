"""The catalogue of canned SPARQL queries (``queries/*.rq``) and how they run.

Catalogue
    Every top-level ``queries/NAME.rq`` is a query called ``NAME``. It opens with
    a header of comment lines, read by :func:`parse_header`::

        # title: Partners of a cluster
        # description: Every organisation ... (continuation lines start
        #   with "#" and at least two spaces)
        # parameter: cluster | iri ckg:Cluster | default https://... | example https://...
        # parameter: ...                       (one line per parameter), or
        # parameters: none

    A parameter line has the parameter's name (which is the name of the SPARQL
    variable it binds, projected by the query's SELECT), its type, and then
    ``default VALUE`` (optional: without it the parameter is required) and
    ``example VALUE``. Types:

    ``iri <class>``
        an absolute IRI (it must parse as :class:`pyoxigraph.NamedNode`) naming
        an instance of ``<class>`` or of a subclass in the graph; ``<class>`` is
        a prefixed name declared by the query's PREFIXes, or ``<full IRI>``.
    ``iri``
        an absolute IRI that is the subject of a triple of the graph.
    ``string``
        any text, bound as an ``xsd:string`` literal (matched literally).
    ``integer``
        ``[+-]?[0-9]+``, bound as an ``xsd:integer`` literal.
    ``date``
        ``YYYY-MM-DD`` (a valid date), bound as an ``xsd:date`` literal.

Binding, never pasting
    A value is first checked against its type and turned into an RDF term
    (``NamedNode`` or ``Literal``); the class of an ``iri <class>`` value is
    checked by ``queries/internal/param-instance-of.rq``, an ASK that itself
    receives the value and the class as bindings. The query text is never
    edited with the value:

    * on the embedded store and on a remote endpoint alike, the terms are
      written as one row of an inline ``VALUES (?p1 ?p2) { (t1 t2) }``
      block built from ``str()`` of the pyoxigraph terms, which is their
      N-Triples form with every special character escaped (an IRI cannot hold
      ``<>"{}|^`\\`` or spaces: NamedNode refuses them). The block goes right
      after the ``{`` that opens the WHERE clause of the outermost query: the
      first ``WHERE`` keyword of the text outside comments, strings and IRIs
      (every catalogue query spells ``WHERE {`` and the tests check that it
      is found). A VALUES block at the head of the group is joined with the
      whole group, so it binds the parameter wherever the outer group uses it.
      On the embedded store this is also what lets Oxigraph's planner start
      from the value (``Store.query(substitutions=...)`` hides it from the
      planner: a parameterised query then scans the whole graph).
      Where the planner cannot carry that binding inside a group it evaluates
      on its own (a sub-select with GROUP BY, a UNION branch or an OPTIONAL
      that Oxigraph joins by hashing, i.e. over every value), the query's
      author writes ``VALUES ?name { UNDEF }`` there: a slot that binds
      nothing when the file is run as written, and that gets the same checked
      term when the parameter is bound (:func:`value_slots`). It is only put
      where the parameter is bound by a triple pattern of that group, so the
      rows are the same; ``cluster-member-figures`` drops from 0.36 s to 3 ms
      at 10^6 triples.
      ``tests/test_queries.py`` runs every query both ways (VALUES and
      ``substitutions=``) on the embedded store and requires the same rows,
      which pins the two bindings to one meaning.
      (For that equivalence a query must not use a parameter in a FILTER or
      BIND of a nested group where no triple pattern binds it.)

Results
    :func:`run` returns a :class:`Result`: ``columns`` (variable names),
    ``rows`` (normalised values, see :func:`normalise_term`: the same for any
    engine) and ``terms`` (the RDF terms the engine returned). Output formats
    (:func:`render`): ``table`` (rich), ``csv`` (SPARQL 1.1 CSV results: header
    of variable names, one value per cell in canonical form, CRLF), ``tsv``
    (SPARQL 1.1 TSV results: ``?var`` header, RDF terms in N-Triples syntax),
    ``json`` (SPARQL 1.1 Query Results JSON Format, from the engine's terms).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import project
from .remote import RemoteError  # noqa: F401  (the one error of the remote layer, exit 4)
from .sparql import internal_query, read_rq, select

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
XSD_DATE = XSD + "date"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_INTEGER_TYPES = {
    XSD + t
    for t in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
}
_DECIMAL_TYPES = {XSD + "decimal", XSD + "double", XSD + "float"}

FORMATS = ("table", "csv", "tsv", "json")

#: Prefixes the table output shortens IRIs with, besides the query's own.
DISPLAY_PREFIXES = project.PREFIXES
PARAM_TYPES = ("iri", "string", "integer", "date")


class QueryError(Exception):
    """A query name or parameter value was refused (the CLI exits with 3)."""


class HeaderError(Exception):
    """A ``.rq`` file of the catalogue has a malformed header."""


# ------------------------------------------------------------------ catalogue


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # one of PARAM_TYPES
    cls: str | None = None  # full IRI of the class, for "iri <class>"
    cls_name: str | None = None  # the class as the header writes it (ckg:Cluster)
    default: str | None = None
    example: str | None = None

    @property
    def required(self) -> bool:
        return self.default is None

    @property
    def type_label(self) -> str:
        return f"{self.type} {self.cls_name}" if self.cls_name else self.type


@dataclass(frozen=True)
class CannedQuery:
    name: str
    path: Path
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    text: str
    prefixes: Mapping[str, str] = field(default_factory=dict)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


_HEADER_LINE = re.compile(r"^#\s?([a-z]+):\s*(.*?)\s*$")
_CONTINUATION = re.compile(r"^#\s{2,}(\S.*?)\s*$")
_PREFIX_DECL = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w\-.]*)?:\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUERY_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def prefixes_of(text: str) -> dict[str, str]:
    return {m.group(1) or "": m.group(2) for m in _PREFIX_DECL.finditer(text)}


def parse_header(text: str, where: str = "query") -> dict[str, Any]:
    """The header of a ``.rq`` text: ``title``, ``description`` and
    ``parameters`` (a list of the raw ``parameter:`` values, empty for
    ``parameters: none``)."""
    fields: dict[str, Any] = {"parameters": []}
    last: str | None = None
    none_declared = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        if line.strip() == "#":
            last = None
            continue
        cont = _CONTINUATION.match(line)
        if cont and last in ("title", "description"):
            fields[last] += " " + cont.group(1)
            continue
        m = _HEADER_LINE.match(line)
        if not m:
            raise HeaderError(f"{where}:{number}: not a header line: {line!r}")
        last, declared = _header_field(fields, m.group(1), m.group(2), f"{where}:{number}")
        none_declared = none_declared or declared
    for key in ("title", "description"):
        if not fields.get(key):
            raise HeaderError(f"{where}: header has no {key}")
    if none_declared == bool(fields["parameters"]):
        raise HeaderError(f"{where}: header needs 'parameter:' lines or 'parameters: none', not both")
    return fields


def _header_field(fields: dict[str, Any], key: str, value: str, where: str) -> tuple[str | None, bool]:
    """Record one header line's ``key: value`` in ``fields``; returns the key a
    continuation line would extend (or None) and whether it says ``parameters: none``."""
    if key in ("title", "description"):
        if key in fields:
            raise HeaderError(f"{where}: {key} given twice")
        fields[key] = value
        return key, False
    if key == "parameter":
        fields["parameters"].append(value)
        return None, False
    if key == "parameters":
        if value != "none":
            raise HeaderError(f"{where}: 'parameters:' takes only 'none'")
        return None, True
    raise HeaderError(f"{where}: unknown header key {key!r}")


def parse_parameter(spec: str, prefixes: Mapping[str, str], where: str = "query") -> Parameter:
    """``name | type | default V | example V`` -> :class:`Parameter`."""
    parts = [p.strip() for p in spec.split("|")]
    if len(parts) < 3:
        raise HeaderError(f"{where}: parameter {spec!r}: expected 'name | type | ... | example VALUE'")
    name, type_spec, rest = parts[0], parts[1], parts[2:]
    if not _NAME.fullmatch(name):
        raise HeaderError(f"{where}: parameter name {name!r} is not a SPARQL variable name")
    type_words = type_spec.split()
    if (
        not type_words
        or type_words[0] not in PARAM_TYPES
        or len(type_words) > 2
        or (len(type_words) == 2 and type_words[0] != "iri")
    ):
        raise HeaderError(f"{where}: parameter {name!r}: unknown type {type_spec!r}")
    cls = cls_name = None
    if len(type_words) == 2:
        cls_name = type_words[1]
        cls = expand_name(cls_name, prefixes)
        if cls is None:
            raise HeaderError(f"{where}: parameter {name!r}: class {cls_name!r} uses an undeclared prefix")
    values: dict[str, str] = {}
    for item in rest:
        key, _, value = item.partition(" ")
        if key not in ("default", "example") or not value.strip() or key in values:
            raise HeaderError(f"{where}: parameter {name!r}: expected 'default VALUE' or 'example VALUE', got {item!r}")
        values[key] = value.strip()
    if "example" not in values:
        raise HeaderError(f"{where}: parameter {name!r} has no example")
    return Parameter(name, type_words[0], cls, cls_name, values.get("default"), values["example"])


def expand_name(name: str, prefixes: Mapping[str, str]) -> str | None:
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    prefix, colon, local = name.partition(":")
    if not colon or prefix not in prefixes:
        return None
    return prefixes[prefix] + local


def load_query(path: Path) -> CannedQuery:
    path = Path(path)
    name = path.stem
    where = str(path)
    if not _QUERY_NAME.fullmatch(name):
        raise HeaderError(f"{where}: query names are kebab-case")
    text = read_rq(path)
    header = parse_header(text, where)
    prefixes = prefixes_of(text)
    params = tuple(parse_parameter(spec, prefixes, where) for spec in header["parameters"])
    if len({p.name for p in params}) != len(params):
        raise HeaderError(f"{where}: a parameter is declared twice")
    for p in params:
        if not re.search(rf"[?$]{p.name}\b", text):
            raise HeaderError(f"{where}: parameter {p.name!r} is not a variable of the query")
    if params:
        where_brace(text)  # raises when the WHERE clause cannot be found
    return CannedQuery(name, path, header["title"], header["description"], params, text, prefixes)


def catalogue(directory: Path | None = None) -> dict[str, CannedQuery]:
    """Every canned query of ``directory`` (default ``queries/``), by name, sorted."""
    directory = Path(directory) if directory is not None else project.QUERIES_DIR
    return _catalogue(directory.resolve())


@lru_cache(maxsize=8)
def _catalogue(directory: Path) -> dict[str, CannedQuery]:
    return {p.stem: load_query(p) for p in sorted(directory.glob("*.rq"), key=lambda p: p.stem)}


def get(name: str, directory: Path | None = None) -> CannedQuery:
    cat = catalogue(directory)
    if name not in cat:
        raise QueryError(f'unknown query "{name}" (see: clusterkg query --list)')
    return cat[name]


def describe_catalogue(cat: Mapping[str, CannedQuery]) -> str:
    """The text of ``clusterkg query --list``."""
    lines = []
    for q in cat.values():
        lines.append(f"{q.name}: {q.title}")
        if not q.parameters:
            lines.append("    (no parameters)")
        for p in q.parameters:
            extra = f"default: {p.default}" if p.default is not None else f"required, e.g. {p.example}"
            lines.append(f"    --param {p.name}=<{p.type_label}>  ({extra})")
    return "\n".join(lines) + "\n"


def catalogue_json(cat: Mapping[str, CannedQuery]) -> str:
    out = [
        {
            "name": q.name,
            "title": q.title,
            "description": q.description,
            "parameters": [
                {
                    "name": p.name,
                    "type": p.type,
                    "class": p.cls,
                    "default": p.default,
                    "example": p.example,
                    "required": p.required,
                }
                for p in q.parameters
            ],
        }
        for q in cat.values()
    ]
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------- parameters


def parse_param_options(options: Iterable[str]) -> dict[str, str]:
    """``["key=value", ...]`` (the ``--param`` options) -> dict; refuses a
    missing ``=`` and a key given twice."""
    out: dict[str, str] = {}
    for option in options:
        key, eq, value = option.partition("=")
        key = key.strip()
        if not eq or not key:
            raise QueryError(f"--param {_quote(option)} is not of the form key=value")
        if key in out:
            raise QueryError(f'parameter "{key}" is given twice')
        out[key] = value
    return out


def _quote(value: str) -> str:
    """A value as the error messages show it: JSON-quoted, so that newlines,
    quotes and spaces are visible."""
    return json.dumps(value, ensure_ascii=False)


_INTEGER = re.compile(r"[+-]?[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def to_term(query: CannedQuery, param: Parameter, raw: Any) -> ox.NamedNode | ox.Literal:
    """Check ``raw`` against the parameter's type (syntax only) and make the term."""
    if isinstance(raw, (ox.NamedNode, ox.Literal)):
        raw = raw.value
    value = raw if isinstance(raw, str) else str(raw)
    where = f'query "{query.name}": parameter "{param.name}"'
    if param.type == "iri":
        value = expand_param(query, value)
        try:
            return ox.NamedNode(value)
        except ValueError as e:
            raise QueryError(f"{where}: {_quote(value)} is not a valid IRI ({e})") from None
    if param.type == "string":
        return ox.Literal(value)
    if param.type == "integer":
        if not _INTEGER.fullmatch(value):
            raise QueryError(f"{where}: {_quote(value)} is not an integer")
        return ox.Literal(int(value))
    if param.type == "date":
        try:
            if not _DATE.fullmatch(value):
                raise ValueError
            dt.date.fromisoformat(value)
        except ValueError:
            raise QueryError(f"{where}: {_quote(value)} is not a date (YYYY-MM-DD)") from None
        return ox.Literal(value, datatype=ox.NamedNode(XSD_DATE))
    raise HeaderError(f"{query.path}: unknown parameter type {param.type!r}")  # pragma: no cover


def bind_parameters(
    query: CannedQuery, params: Mapping[str, Any] | None, *, store: ox.Store | None = None, endpoint: str | None = None
) -> dict[str, ox.NamedNode | ox.Literal]:
    """Validate the given parameters (plus defaults) against the query's
    declarations, and the graph (store or endpoint) for IRIs; return the terms."""
    params = dict(params or {})
    declared = [p.name for p in query.parameters]
    for key in params:
        if key not in declared:
            known = f"parameters: {', '.join(declared)}" if declared else "it takes no parameters"
            raise QueryError(f'query "{query.name}" has no parameter "{key}" ({known})')
    bindings: dict[str, ox.NamedNode | ox.Literal] = {}
    for p in query.parameters:
        if p.name in params:
            raw = params[p.name]
        elif p.default is not None:
            raw = p.default
        else:
            raise QueryError(
                f'query "{query.name}": missing parameter "{p.name}" ({p.type_label}), '
                f"e.g. --param {p.name}={p.example}"
            )
        term = to_term(query, p, raw)
        if isinstance(term, ox.NamedNode):  # an iri parameter
            _check_in_graph(query, p, term, store=store, endpoint=endpoint)
        bindings[p.name] = term
    return bindings


def asked_parameters(query: CannedQuery, store: ox.Store) -> dict[str, tuple[str, str]]:
    """The value each parameter of ``query`` is asked with on ``store`` when
    nobody gives one (the report, the benchmark), and where it comes from:
    ``default`` or ``example`` when the graph holds it, else ``graph``: the
    first instance (in IRI order) of the parameter's class, or of ckg:Cluster
    for an IRI of any class (``queries/internal/first-instance.rq``). A
    parameter with no value at all is left out."""
    out: dict[str, tuple[str, str]] = {}
    for p in query.parameters:
        candidates = [(v, s) for v, s in ((p.default, "default"), (p.example, "example")) if v is not None]
        if p.type != "iri":
            if candidates:
                out[p.name] = candidates[0]
            continue
        for value, source in candidates:
            try:
                _check_in_graph(query, p, ox.NamedNode(value), store=store, endpoint=None)
            except (QueryError, ValueError):
                continue
            out[p.name] = (value, source)
            break
        else:
            cls = ox.NamedNode(p.cls or project.ONTOLOGY_NS + "Cluster")
            first = with_values(internal_query("first-instance"), {"class": cls})
            rows = list(select(store, first, use_default_graph_as_union=True))
            if rows:
                out[p.name] = (rows[0]["x"].value, "graph")
    return out


def _check_in_graph(
    query: CannedQuery, p: Parameter, term: ox.NamedNode, *, store: ox.Store | None, endpoint: str | None
) -> None:
    if p.cls is not None:
        check, values = internal_query("param-instance-of"), {"value": term, "class": ox.NamedNode(p.cls)}
        failure = f"is not a {p.cls_name} in the graph"
    else:
        check, values = internal_query("param-resource-exists"), {"value": term}
        failure = "is not a resource of the graph"
    if endpoint is not None:
        ok = _remote_ask(endpoint, with_values(check, values))
    elif store is not None:
        ok = bool(store.query(with_values(check, values), use_default_graph_as_union=True))
    else:
        raise QueryError("a store or an endpoint is needed to check an IRI parameter")
    if not ok:
        raise QueryError(f'query "{query.name}": parameter "{p.name}": {term} {failure}')


# ------------------------------------------------ VALUES block for endpoints

_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_WORD = re.compile(r"[A-Za-z_][\w\-.:]*")


def _tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """The SPARQL text's tokens that matter here, as (kind, start, end), kind one
    of ``word`` (a keyword or prefixed name), ``var``, ``punct`` (one character);
    comments, string literals and IRIs are skipped."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote)
        elif c == "<" and (m := _IRIREF.match(text, i)):
            i = m.end()
        elif c in "?$":
            m = _WORD.match(text, i + 1)
            if m:
                yield "var", i, m.end()
            i = m.end() if m else i + 1
        elif (m := _WORD.match(text, i)) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_:")):
            yield "word", i, m.end()
            i = m.end()
        elif c.isspace():
            i += 1
        else:
            yield "punct", i, i + 1
            i += 1


def where_brace(text: str) -> int:
    """Index just after the ``{`` that opens the WHERE clause of the outermost
    query: the first ``WHERE`` keyword outside comments, string literals and
    IRIs, followed (after blanks and comments) by ``{``."""
    tokens = _tokens(text)
    for kind, start, end in tokens:
        if kind == "word" and text[start:end].upper() == "WHERE":
            nxt = next(tokens, None)
            if nxt is not None and text[nxt[1] : nxt[2]] == "{":
                return nxt[2]
            raise HeaderError("the WHERE keyword is not followed by '{'")
    raise HeaderError("no 'WHERE {' found: every query must spell its WHERE clause out")


def value_slots(text: str) -> list[tuple[int, int, str]]:
    """The ``VALUES ?name { UNDEF }`` blocks of a query, as (start, end, name):
    where the query's author asks for a parameter's value to be bound again,
    inside a sub-select, a UNION branch or an OPTIONAL that the planner would
    otherwise evaluate for every value (run as written, UNDEF binds nothing)."""
    toks = list(_tokens(text))
    slots = []
    for k in range(len(toks) - 4):
        (k0, s0, e0), (k1, s1, e1), (_, s2, e2), (k3, s3, e3), (_, s4, e4) = toks[k : k + 5]
        if (
            k0 == "word"
            and text[s0:e0].upper() == "VALUES"
            and k1 == "var"
            and text[s2:e2] == "{"
            and k3 == "word"
            and text[s3:e3].upper() == "UNDEF"
            and text[s4:e4] == "}"
        ):
            slots.append((s0, e4, text[s1 + 1 : e1]))
    return slots


def values_block(bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    """``VALUES (?a ?b) { (<iri> "text") }`` from terms: ``str()`` of a
    pyoxigraph term is its N-Triples form, escaped."""
    for name, term in bindings.items():
        if not _NAME.fullmatch(name):
            raise QueryError(f"{_quote(name)} is not a variable name")
        if not isinstance(term, (ox.NamedNode, ox.Literal)):
            raise QueryError(f'parameter "{name}": only IRIs and literals can be bound')
    variables = " ".join(f"?{name}" for name in bindings)
    row = " ".join(str(term) for term in bindings.values())
    return f"VALUES ({variables}) {{ ({row}) }}"


def with_values(text: str, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    """The query text with the bindings as a VALUES block at the head of its
    outermost WHERE group (for engines without a binding API), and each
    ``VALUES ?name { UNDEF }`` slot of a bound name given the same value (see
    :func:`value_slots`): a constant from a checked term, never pasted text."""
    if not bindings:
        return text
    values_block(bindings)  # checks the names and terms
    for start, end, name in reversed(value_slots(text)):
        if name in bindings:
            text = f"{text[:start]}VALUES ?{name} {{ {bindings[name]} }}{text[end:]}"
    at = where_brace(text)
    return f"{text[:at]}\n  {values_block(bindings)}\n{text[at:]}"


def explain(location: Path, text: str, *, timeout: float = 600.0) -> dict:
    """Oxigraph's plan of ``text`` run on the on-disk store at ``location``,
    with its evaluation statistics (rows and seconds of every operator), as the
    JSON the ``oxigraph`` command line writes (pyoxigraph 0.5 has no explain
    API; the command comes with the ``server`` extra)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="clusterkg-explain-") as tmp:
        plan = Path(tmp) / "plan.json"
        explain_to(location, text, plan, timeout=timeout)
        return json.loads(plan.read_text(encoding="utf-8"))


def explain_to(location: Path, text: str, plan: Path, *, timeout: float = 600.0) -> None:
    """Write Oxigraph's plan of ``text`` on the store at ``location`` into
    ``plan`` (``.json``, or human-readable ``.txt``), by the ``oxigraph`` command."""
    import shutil
    import subprocess
    import sys
    import tempfile

    binary = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    with tempfile.TemporaryDirectory(prefix="clusterkg-explain-") as tmp:
        (Path(tmp) / "q.rq").write_text(text, encoding="utf-8")
        command = [binary, "query", "--location", str(location), "--query-file", str(Path(tmp) / "q.rq")]
        command += ["--union-default-graph", "--results-format", "tsv", "--results-file", str(Path(tmp) / "r.tsv")]
        command += ["--explain-file", str(plan), "--stats"]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=timeout)
        except FileNotFoundError as e:
            raise QueryError(
                "the oxigraph command is needed to explain a query (pip install 'clusterkg[server]')"
            ) from e
        except subprocess.CalledProcessError as e:
            raise QueryError(f"oxigraph could not explain the query: {e.stderr.decode(errors='replace')[:500]}") from e


def plan_nodes(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every operator of an :func:`explain` plan, depth first."""
    stack = [plan.get("plan", plan)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.get("children", []))


# ------------------------------------------------------------------ results


@dataclass
class Result:
    columns: tuple[str, ...]
    rows: list[tuple]  # normalised values (see normalise_term)
    terms: list[tuple] = field(default_factory=list, repr=False)  # engine's terms
    title: str = ""
    prefixes: Mapping[str, str] = field(default_factory=dict, repr=False)
    total: int = -1  # rows of the whole answer (``rows`` may hold only the first ones)

    def __post_init__(self) -> None:
        if self.total < 0:
            self.total = len(self.rows)


def normalise_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> Any:
    """One RDF term as a plain Python value, the same whichever engine produced
    it: an IRI -> its string; a blank node -> ``"_:" + id``; a number -> ``int``
    when integral (``"1.0"^^xsd:decimal``, ``"1"``, ``"1E0"^^xsd:double`` -> 1)
    else ``Decimal`` (exact); ``xsd:boolean`` -> bool; ``xsd:date`` ->
    ``datetime.date``; every other literal -> its lexical form (language tag
    dropped); unbound -> None."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.Literal):
        return _literal_value(term.datatype.value, term.value)
    return str(term)


_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _literal_value(datatype: str, lexical: str) -> Any:
    """A literal's value (see :func:`normalise_term`); an ill-typed one keeps its lexical form."""
    if datatype in _INTEGER_TYPES or datatype in _DECIMAL_TYPES:
        return _number(lexical)
    if datatype == XSD + "boolean":
        return _BOOLEANS.get(lexical, lexical)
    if datatype == XSD_DATE:
        try:
            return dt.date.fromisoformat(lexical)
        except ValueError:
            return lexical
    return lexical


def _number(lexical: str) -> Any:
    try:
        d = Decimal(lexical.strip())
    except InvalidOperation:
        return lexical
    if not d.is_finite():
        return float(d)
    if d == d.to_integral_value():
        return int(d)
    return d.normalize()


def normalise_row(terms: Sequence) -> tuple:
    return tuple(normalise_term(t) for t in terms)


def normalise_rows(rows: Iterable[Sequence]) -> list[tuple]:
    return [normalise_row(r) for r in rows]


# -------------------------------------------------------------- execution


def run(
    name: str,
    params: Mapping[str, Any] | None = None,
    store: ox.Store | None = None,
    endpoint: str | None = None,
    *,
    directory: Path | None = None,
    limit: int | None = None,
    offset: int = 0,
    keep: int | None = None,
) -> Result:
    """Run the canned query ``name`` with ``params`` (``{"cluster": "https://..."}``,
    values as typed on the command line) on the embedded ``store`` (default: the
    project loaded in memory) or on the SPARQL ``endpoint`` (a URL). ``limit`` and
    ``offset`` page the rows (in the query's own order); with ``keep``, only the
    first ``keep`` rows are kept and ``Result.total`` counts them all."""
    query = get(name, directory)
    if endpoint is None and store is None:
        from . import graph

        store = graph.load_project()
    bindings = bind_parameters(query, params, store=store, endpoint=endpoint)
    text = paged(query.text, limit, offset)
    if endpoint is not None:
        columns, terms = run_remote(endpoint, with_values(text, bindings))
        total, terms = len(terms), terms[:keep]
    else:
        assert store is not None  # loaded above
        columns, terms, total = _embedded(store, text, bindings, keep)
    prefixes = {**DISPLAY_PREFIXES, **query.prefixes}
    return Result(columns, normalise_rows(terms), terms, query.title, prefixes, total)


def paged(text: str, limit: int | None, offset: int = 0) -> str:
    """The query with ``LIMIT``/``OFFSET`` appended (its rows in its own ORDER BY)."""
    if limit is None and not offset:
        return text
    if limit is not None and limit < 0 or offset < 0:
        raise QueryError("--limit and --offset must not be negative")
    if re.search(r"\b(LIMIT|OFFSET)\s+\d+\s*$", text, re.I):
        raise QueryError("this query has its own LIMIT/OFFSET and cannot be paged")
    return (
        text.rstrip()
        + ("" if limit is None else f"\nLIMIT {int(limit)}")
        + (f"\nOFFSET {int(offset)}" if offset else "")
        + "\n"
    )


def run_embedded(
    store: ox.Store, text: str, bindings: Mapping[str, Any] | None = None
) -> tuple[tuple[str, ...], list[tuple]]:
    """A SELECT on the union of the store's graphs, the ``bindings`` given as one
    leading ``VALUES`` row (built from checked terms, see :func:`with_values`): the
    planner sees the values and starts from them (``substitutions=`` hides them
    from it: 0.73 s instead of 0.2 ms for ``cluster-sites`` at 10^6 triples)."""
    columns, terms, _ = _embedded(store, text, bindings, None)
    return columns, terms


def _embedded(
    store: ox.Store, text: str, bindings: Mapping[str, Any] | None, keep: int | None
) -> tuple[tuple[str, ...], list[tuple], int]:
    """:func:`run_embedded`'s columns and rows, only the first ``keep`` rows
    turned into tuples, and the number of rows of the whole answer."""
    solutions = store.query(with_values(text, bindings or {}), use_default_graph_as_union=True)
    if not isinstance(solutions, ox.QuerySolutions):
        raise QueryError("a canned query must be a SELECT query")
    columns = tuple(v.value for v in solutions.variables)
    terms = [tuple(solution) for solution in itertools.islice(solutions, keep)]
    return columns, terms, len(terms) + sum(1 for _ in solutions)


# -------------------------------------------------------- remote execution
# A remote endpoint is a URL (a SPARQL query endpoint, ``--server generic``) or a
# clusterkg.remote.Reader (what ``--endpoint``/``--server`` make): the query reads
# exactly the project's graphs named by the server's catalogue (see clusterkg.remote).


def _remote_results(endpoint: Any, text: str) -> dict:
    """SPARQL JSON results of ``text`` on the project's graphs at ``endpoint``."""
    from . import remote

    return remote.client_for(endpoint).results(text, what="query")


def _remote_ask(endpoint: Any, text: str) -> bool:
    data = _remote_results(endpoint, text)
    if not isinstance(data.get("boolean"), bool):
        raise RemoteError(f"SPARQL endpoint {_url(endpoint)} did not answer an ASK query with a boolean")
    return data["boolean"]


def _url(endpoint: Any) -> str:
    from . import remote

    return remote.client_for(endpoint).client.endpoints.query


def run_remote(endpoint: Any, text: str) -> tuple[tuple[str, ...], list[tuple]]:
    """A SELECT on the project's graphs at a remote endpoint, as pyoxigraph terms."""
    data = _remote_results(endpoint, text)
    try:
        columns = tuple(data["head"]["vars"])
        rows = [tuple(_json_term(b.get(c)) for c in columns) for b in data["results"]["bindings"]]
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise RemoteError(f"SPARQL endpoint {_url(endpoint)} answered malformed JSON results: {e}") from None
    return columns, rows


def _json_term(b: Mapping[str, str] | None):
    """A term of the SPARQL JSON results format -> pyoxigraph term."""
    if b is None:
        return None
    kind, value = b["type"], b["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in b:
            return ox.Literal(value, language=b["xml:lang"])
        if "datatype" in b:
            return ox.Literal(value, datatype=ox.NamedNode(b["datatype"]))
        return ox.Literal(value)
    raise ValueError(f"unknown term type {kind!r}")


# ---------------------------------------------------------------- output


def display(value: Any) -> str:
    """A normalised value as text (csv and table cells)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def shorten(iri: str, prefixes: Mapping[str, str]) -> str:
    return project.shorten(iri, prefixes)


def expand_param(query: CannedQuery, value: str) -> str:
    """An IRI parameter as the tables print it (``ck:digital-113``, with the
    query's prefixes or the package's) -> the full IRI; other values unchanged."""
    return project.expand(value, {**DISPLAY_PREFIXES, **query.prefixes})


_RESULTS_FORMATS = {
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
}


def solutions(result: Result) -> ox.QuerySolutions:
    """The result's terms as pyoxigraph ``QuerySolutions``, for its serialisers:
    read from the SPARQL TSV results format, whose cells are the terms' N-Triples
    form (``str()`` of a pyoxigraph term, escaped)."""
    lines = ["\t".join(f"?{c}" for c in result.columns)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in result.terms]
    parsed = ox.parse_query_results("\n".join(lines) + "\n", ox.QueryResultsFormat.TSV)
    assert isinstance(parsed, ox.QuerySolutions)  # a TSV results document holds solutions
    return parsed


def serialize(result: Result, fmt: str) -> str:
    """SPARQL 1.1 CSV, TSV or JSON results, written by pyoxigraph."""
    data = solutions(result).serialize(format=_RESULTS_FORMATS[fmt])
    assert data is not None  # no output file given: the bytes are returned
    return data.decode("utf-8")


def to_csv(result: Result) -> str:
    """SPARQL 1.1 CSV results (header of variable names, lexical forms, CRLF)."""
    return serialize(result, "csv")


def to_tsv(result: Result) -> str:
    """SPARQL 1.1 TSV results (``?var`` header, terms in Turtle/N-Triples syntax)."""
    return serialize(result, "tsv")


def to_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON Format."""
    return serialize(result, "json") + "\n"


#: A column of words is not made narrower than this to fit the terminal.
MIN_TEXT_WIDTH = 12


def table_cells(result: Result) -> list[tuple[str, ...]]:
    """The table's cells: IRIs as CURIEs (the query's prefixes, then the package's)
    that ``--param`` accepts back, or in full; other values as :func:`display`."""
    terms = result.terms or [(None,) * len(result.columns)] * len(result.rows)
    return [
        tuple(
            shorten(t.value, result.prefixes) if isinstance(t, ox.NamedNode) else display(v)
            for v, t in zip(row, row_terms, strict=True)
        )
        for row, row_terms in zip(result.rows, terms, strict=True)
    ]


def to_table(result: Result, width: int | None = None) -> Any:
    """A rich renderable that fits ``width`` columns (default: no limit).

    IRIs are never cut (no ``ck:dig…``): their columns keep their full width,
    and columns of words wrap. When even that does not fit, each row is shown
    as a block of ``column  value`` lines instead."""
    from rich.table import Table
    from rich.text import Text

    cells = table_cells(result)
    iri_columns = {
        i for i in range(len(result.columns)) if any(isinstance(row[i], ox.NamedNode) for row in result.terms)
    }
    widest = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(result.columns)]
    needed = sum(w if i in iri_columns else min(w, MIN_TEXT_WIDTH) for i, w in enumerate(widest))
    if width is None or needed + 3 * len(widest) + 1 <= width:
        table = Table(title=result.title or None)
        for i, c in enumerate(result.columns):
            if i in iri_columns:
                table.add_column(c, no_wrap=True, min_width=widest[i])
            else:
                table.add_column(c, overflow="fold")
        for row in cells:
            table.add_row(*(Text(cell) for cell in row))
        return table
    records = Table(title=result.title or None, show_header=False)
    records.add_column("column", no_wrap=True, style="bold")
    records.add_column("value", overflow="fold")
    for row in cells:
        for i, (column, cell) in enumerate(zip(result.columns, row, strict=True)):
            records.add_row(Text(column), Text(cell), end_section=i == len(row) - 1)
    return records


def render(result: Result, fmt: str, width: int | None = None) -> str | Any:
    """csv/tsv/json -> text; table -> a rich renderable fitting ``width`` columns."""
    if fmt == "csv":
        return to_csv(result)
    if fmt == "tsv":
        return to_tsv(result)
    if fmt == "json":
        return to_json(result)
    if fmt == "table":
        return to_table(result, width)
    raise QueryError(f"unknown format {_quote(fmt)} (one of: {', '.join(FORMATS)})")
