"""A synthetic cluster graph of any size, shaped like the real data, for
benchmarks and load tests.

Every node uses the ontology's terms the way ``data/`` does (labels in English and
French, a support with a source and a quote for every fact, observations with
qualifiers and dates), so that loading, validating and querying it costs what
the real graph of "all the clusters of Europe" would. Every triple but typing and
labels is backed by a ``ckg:Support`` naming it (the provenance model, README
"Provenance"), which triples the size: about 410 triples per cluster;
``generate(target_triples=1_000_000)`` writes ~2,400 clusters.
Deterministic: the same arguments give the same files.

Faults (``faults=RATE``): ``RATE`` x clusters (rounded) copies of the project's invalid test
fixtures (``tests/fixtures/invalid/*.ttl``, each a small graph breaking one rule
of the shapes, its expected results in its ``# expect:`` header), taken in turn so
that every rule is broken once the count reaches the number of fixtures. Each
copy gets a namespace of its own (``…/synthetic/fault-K/NAME/``), and the results
a validator must give are written beside the data as ``expected.json``
(:func:`expected_results`): the faults are of every shape, and known exactly.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import project

TRIPLES_PER_CLUSTER = 410

CK = project.ID_NS + "synthetic/"
CKG = project.ONTOLOGY_NS
CKV = project.VOCAB_NS
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_SUBJECT, RDF_PREDICATE, RDF_OBJECT = (ox.NamedNode(RDF + x) for x in ("subject", "predicate", "object"))
CKG_SUPPORTS = ox.NamedNode(CKG + "supports")
#: typing and labels need no support
UNSUPPORTED = {RDF_TYPE, RDFS_LABEL}
XSD = "http://www.w3.org/2001/XMLSchema#"
#: every synthetic place has a (made-up) Wikidata link, as the shapes ask: the
#: graph without faults conforms with no result at all
SKOS_EXACT_MATCH = ox.NamedNode("http://www.w3.org/2004/02/skos/core#exactMatch")
WD = "http://www.wikidata.org/entity/"

PREFIXES = {
    "ck": project.ID_NS,
    "cksyn": CK,
    "ckg": CKG,
    "ckv": CKV,
    "org": ORG,
    "prov": PROV,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": XSD,
    "owl": "http://www.w3.org/2002/07/owl#",
    "wd": WD,
    "rdf": RDF,
    "skos": "http://www.w3.org/2004/02/skos/core#",
}


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


class _Writer:
    """Collects triples per theme file; every triple but typing and labels is
    backed by a ``ckg:Support`` (status stated, quoted from the synthetic source)
    that names it, one support per node and file, written by :meth:`supports`."""

    def __init__(self) -> None:
        self.files: dict[str, list[ox.Triple]] = {}
        self.file = ""
        #: per file, per subject: the triples to back, in order
        self.backed: dict[str, dict[str, list[ox.Triple]]] = {}
        #: the quote of each node (the phrase its support cites)
        self.quotes: dict[str, str] = {}

    def add(self, s: str, p: str | ox.NamedNode, o) -> None:
        pred = p if isinstance(p, ox.NamedNode) else _n(p)
        obj = o if isinstance(o, (ox.Literal, ox.NamedNode, ox.BlankNode)) else _n(o)
        triple = ox.Triple(_n(s), pred, obj)
        self.files.setdefault(self.file, []).append(triple)
        if pred not in UNSUPPORTED:
            self.backed.setdefault(self.file, {}).setdefault(s, []).append(triple)

    def node(self, iri: str, cls: str, en: str, fr: str, quote: str) -> None:
        self.add(iri, RDF_TYPE, cls)
        self.add(iri, RDFS_LABEL, ox.Literal(en, language="en"))
        self.add(iri, RDFS_LABEL, ox.Literal(fr, language="fr"))
        self.quotes[iri] = quote

    def supports(self) -> None:
        """Write, in each file, one support per subject naming the triples it backs."""
        for file, subjects in self.backed.items():
            out = self.files[file]
            for s, triples in subjects.items():
                support = _n(s.replace(CK, CK + "support/", 1))
                out.append(ox.Triple(support, RDF_TYPE, _n(CKG + "Support")))
                out.append(ox.Triple(support, _n(CKG + "supportStatus"), _n(CKV + "stated")))
                out.append(ox.Triple(support, _n(PROV + "wasQuotedFrom"), _n(CK + "source")))
                out.append(
                    ox.Triple(support, _n(CKG + "quote"), ox.Literal(self.quotes.get(s, "synthétique"), language="fr"))
                )
                for t in triples:
                    statement = ox.BlankNode()
                    out.append(ox.Triple(support, CKG_SUPPORTS, statement))
                    out.append(ox.Triple(statement, RDF_SUBJECT, t.subject))
                    out.append(ox.Triple(statement, RDF_PREDICATE, t.predicate))
                    out.append(ox.Triple(statement, RDF_OBJECT, t.object))
        self.backed = {}


def _int(v: int) -> ox.Literal:
    return ox.Literal(str(v), datatype=_n(XSD + "integer"))


def _iso(k: int) -> str:
    return chr(65 + k // 26 % 26) + chr(65 + k % 26)


@dataclass(frozen=True)
class Generated:
    directory: Path
    files: list[Path]
    triples: int
    clusters: int
    #: (focus, path, component, severity, shape) a validator must report, as
    #: :class:`clusterkg.engines.Result` writes them (also in ``expected.json``)
    expected: list[tuple] = field(default_factory=list)


#: where the invalid fixtures are (in the working copy, not in an installed package)
FIXTURES = project.ROOT / "tests" / "fixtures" / "invalid"

_EXPECT = re.compile(r"^# expect: (.*)$", re.MULTILINE)
_PREFIX = re.compile(r"^@prefix\s+([\w-]*):\s*<([^>]*)>\s*\.", re.MULTILINE)


def fixture_faults(fixtures: Path = FIXTURES) -> list[Path]:
    """The invalid fixtures, sorted (each breaks one or more rules)."""
    return sorted(fixtures.glob("*.ttl"))


def _expand(curie: str, ns: dict[str, str]) -> str:
    prefix, _, local = curie.partition(":")
    if prefix not in ns:
        raise ValueError(f"unknown prefix in an expectation: {curie}")
    return ns[prefix] + local


def _expected_path(text: str, ns: dict[str, str]) -> str:
    """A header path (``p``, ``p/q``, ``^p``, ``p|^q``) as engines write it."""
    if re.fullmatch(r"[\w-]*:[\w-]+", text):
        return _expand(text, ns)

    def step(s: str) -> str:
        return f"^<{_expand(s[1:], ns)}>" if s.startswith("^") else f"<{_expand(s, ns)}>"

    def sequence(s: str) -> str:
        steps = [step(x) for x in s.split("/")]
        return steps[0] if len(steps) == 1 else "/".join(steps)

    alternatives = [sequence(x) for x in text.split("|")]
    return alternatives[0] if len(alternatives) == 1 else "|".join(alternatives)


def fault_copy(fixture: Path, k: int) -> tuple[str, list[tuple]]:
    """The fixture's Turtle with its namespace made unique (copy ``k``), and its
    expected results with the same renaming."""
    text = fixture.read_text(encoding="utf-8")
    own = f"http://example.org/test/{fixture.stem}/"
    fresh = f"{CK}fault-{k}/{fixture.stem}/"
    text = text.replace(own, fresh)
    ns = {**project.PREFIXES, **dict(_PREFIX.findall(text))}
    expected = []
    for line in _EXPECT.findall(text):
        focus, path, component, severity, shape = (part.strip() for part in line.split(" | "))
        expected.append(
            (
                _expand(focus, ns),
                None if path == "-" else _expected_path(path, ns),
                _expand(component, ns),
                _expand(severity, ns),
                _expand(shape, ns),
            )
        )
    return text, expected


def expected_results(directory: Path) -> list[tuple]:
    """The results written by :func:`generate` with faults (``expected.json``)."""
    path = directory / "expected.json"
    if not path.exists():
        return []
    return [tuple(r) for r in json.loads(path.read_text(encoding="utf-8"))]


def generate(  # noqa: C901 -- one recipe, read top to bottom like data/
    directory: Path, target_triples: int = 100_000, seed: int = 113, faults: float = 0.0
) -> Generated:
    """Write a synthetic graph of about ``target_triples`` triples into
    ``directory`` as Turtle files split by theme, like ``data/``; with ``faults``
    (a rate per cluster), copies of the invalid fixtures in ``faults.ttl`` and
    the results they must give in ``expected.json``."""
    if faults < 0:
        raise ValueError(f"faults is a rate per cluster (>= 0), not {faults}")
    rng = random.Random(seed)
    clusters = max(4, target_triples // TRIPLES_PER_CLUSTER)
    n_countries = min(676, max(4, clusters // 200))
    n_cities = max(8, clusters // 2)
    n_networks = max(2, clusters // 25)
    n_projects = max(2, clusters // 10)
    w = _Writer()

    w.file = "sources"
    w.add(CK + "source", RDF_TYPE, CKG + "SourceDocument")
    w.add(CK + "source", RDFS_LABEL, ox.Literal("synthetic source", language="en"))
    w.add(CK + "source", RDFS_LABEL, ox.Literal("source synthétique", language="fr"))
    # a source document's own description needs no support
    w.files[w.file].append(
        ox.Triple(
            _n(CK + "source"), _n("http://purl.org/dc/terms/title"), ox.Literal("clusterkg synthetic benchmark data")
        )
    )

    w.file = "places"
    for k in range(n_countries):
        c = f"{CK}country-{k}"
        w.node(c, CKG + "Country", f"Country {k}", f"Pays {k}", f"pays {k}")
        w.add(c, CKG + "iso3166Alpha2", ox.Literal(_iso(k)))
        w.add(c, SKOS_EXACT_MATCH, f"{WD}Q{2_000_000 + k}")
        r = f"{CK}region-{k}"
        w.node(r, CKG + "Region", f"Region {k}", f"Région {k}", f"région {k}")
        w.add(r, CKG + "iso3166Subdivision", ox.Literal(f"{_iso(k)}-R{k % 10}"))
        w.add(r, CKG + "country", c)
        w.add(r, CKG + "locatedIn", c)
        w.add(r, SKOS_EXACT_MATCH, f"{WD}Q{3_000_000 + k}")
    for j in range(n_cities):
        city, k = f"{CK}city-{j}", j % n_countries
        w.node(city, CKG + "City", f"City {j}", f"Ville {j}", f"ville {j}")
        w.add(city, CKG + "country", f"{CK}country-{k}")
        w.add(city, CKG + "locatedIn", f"{CK}region-{k}")
        w.add(city, SKOS_EXACT_MATCH, f"{WD}Q{1_000_000 + j}")

    w.file = "agreements"
    for j in range(0, n_cities - 1, 10):
        a, other = f"{CK}agreement-{j}", (j + 1 + rng.randrange(n_cities - 1)) % n_cities
        if other % n_countries == j % n_countries:
            continue
        w.node(a, CKG + "SisterCityAgreement", f"Agreement {j}", f"Accord {j}", f"accord {j}")
        w.add(a, CKG + "signatory", f"{CK}city-{j}")
        w.add(a, CKG + "signatory", f"{CK}city-{other}")
        w.add(a, CKG + "enabledProject", f"{CK}project-{j % n_projects}")
        w.add(f"{CK}city-{j}", CKG + "twinnedWith", f"{CK}city-{other}")

    w.file = "networks"
    for k in range(n_networks):
        net = f"{CK}network-{k}"
        w.node(net, CKG + "InterClusterNetwork", f"Network {k}", f"Réseau {k}", f"réseau {k}")
        w.add(net, CKG + "initiatedBy", f"{CK}cluster-{k}")
    for k in range(n_projects):
        p = f"{CK}project-{k}"
        w.node(p, CKG + "Project", f"Project {k}", f"Projet {k}", f"projet {k}")
        w.add(p, CKG + "partnerCountry", f"{CK}country-{rng.randrange(n_countries)}")

    for i in range(clusters):
        cl, city = f"{CK}cluster-{i}", rng.randrange(n_cities)  # type: ignore[assignment]
        w.file = "clusters"
        kind = "CompetitivenessCluster" if i % 3 else "DigitalClusterAssociation"
        w.node(cl, CKG + kind, f"Cluster {i}", f"Pôle {i}", f"pôle {i}")
        w.add(cl, CKG + "city", f"{CK}city-{city}")
        w.add(cl, CKG + "region", f"{CK}region-{city % n_countries}")
        w.add(cl, CKG + "sector", CKV + "digital")
        w.add(cl, CKG + "foundingDate", ox.Literal(str(1990 + i % 30), datatype=_n(XSD + "gYear")))
        w.add(cl, ORG + "memberOf", f"{CK}network-{rng.randrange(n_networks)}")
        w.add(cl, CKG + "participatesIn", f"{CK}project-{rng.randrange(n_projects)}")
        for a in range(2):  # type: ignore[assignment]
            site = f"{CK}cluster-{i}-antenna-{a}"
            w.node(site, CKG + "Antenna", f"Antenna {a} of cluster {i}", f"Antenne {a} du pôle {i}", f"antenne {i}")
            w.add(site, CKG + "city", f"{CK}city-{rng.randrange(n_cities)}")
            w.add(cl, ORG + "hasSite", site)

        w.file = "observations"
        parts = [rng.randrange(1, 300) for _ in range(4)]
        total = sum(parts) + rng.randrange(0, 50)
        year = ox.Literal(str(2010 + i % 15), datatype=_n(XSD + "gYear"))
        for name, category, v in [("members", None, total)] + list(
            zip(
                ("sme", "large-group", "public-body-school-university", "capital-investor"),
                ("sme", "large-group", "public-body-school-university", "capital-investor"),
                parts,
                strict=True,
            )
        ):
            o = f"{CK}obs-{i}-{name}"
            w.node(o, CKG + "CountObservation", f"members {name} of {i}", f"adhérents {name} de {i}", f"{v} adhérents")
            w.add(o, CKG + "observedEntity", cl)
            w.add(o, CKG + "measure", CKV + "member-count")
            if category:
                w.add(o, CKG + "memberCategory", CKV + category)
            w.add(o, CKG + "value", _int(v))
            w.add(o, CKG + "qualifier", CKV + ("lower-bound" if category is None else "exact"))
            w.add(o, CKG + "referenceYear", year)
        budget = f"{CK}obs-{i}-budget"
        w.node(budget, CKG + "AmountObservation", f"budget of {i}", f"budget de {i}", "budget")
        w.add(budget, CKG + "observedEntity", cl)
        w.add(budget, CKG + "measure", CKV + "operating-budget")
        w.add(budget, CKG + "value", _int(rng.randrange(100_000, 5_000_000)))
        w.add(budget, CKG + "currency", ox.Literal("EUR"))
        w.add(budget, CKG + "qualifier", CKV + "approximate")
        w.add(budget, CKG + "referenceYear", year)
        own = rng.randrange(10, 90)
        for name, source, share, payer in (
            ("self", "self-financing", own, cl),
            ("public", "public-subsidies", 100 - own, f"{CK}authority-{city % n_countries}"),
        ):
            o = f"{CK}obs-{i}-share-{name}"
            w.node(o, CKG + "FundingShare", f"{name} share of {i}", f"part {name} de {i}", f"{share} %")
            w.add(o, CKG + "observedEntity", cl)
            w.add(o, CKG + "measure", CKV + "budget-share")
            w.add(o, CKG + "shareOf", budget)
            w.add(o, CKG + "fundingSource", CKV + source)
            w.add(o, CKG + "paidBy", payer)
            w.add(o, CKG + "value", _int(share))
            w.add(o, CKG + "unit", ox.Literal("%"))
            w.add(o, CKG + "qualifier", CKV + "exact")
            w.add(o, CKG + "referenceYear", year)

    w.file = "clusters"
    for k in range(n_countries):
        auth = f"{CK}authority-{k}"
        w.node(auth, CKG + "PublicAuthority", f"Authority {k}", f"Collectivité {k}", f"collectivité {k}")
        w.add(auth, CKG + "region", f"{CK}region-{k}")

    w.supports()
    directory.mkdir(parents=True, exist_ok=True)
    for stale in ("faults.ttl", "expected.json"):
        (directory / stale).unlink(missing_ok=True)
    paths = []
    for name, triples in sorted(w.files.items()):
        path = directory / f"{name}.ttl"
        ox.serialize(triples, output=str(path), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        paths.append(path)
    triples_written = sum(len(t) for t in w.files.values())
    expected: list[tuple] = []
    count = round(faults * clusters)
    if count:
        fixtures = fixture_faults()
        if not fixtures:
            raise FileNotFoundError(f"no invalid fixtures in {FIXTURES} to inject as faults")
        store = ox.Store()
        for k in range(count):
            text, results = fault_copy(fixtures[k % len(fixtures)], k)
            store.load(input=text.encode("utf-8"), format=ox.RdfFormat.TURTLE)
            expected += results
        path = directory / "faults.ttl"
        ox.serialize(store, output=str(path), format=ox.RdfFormat.N_QUADS)
        # N-Quads of the default graph are N-Triples, which is Turtle
        triples_written += len(store)
        paths.append(path)
        expected = sorted(set(expected), key=lambda r: tuple(x or "" for x in r))
        (directory / "expected.json").write_text(json.dumps(expected, indent=1), encoding="utf-8")
        paths.sort()
    return Generated(directory, paths, triples_written, clusters, expected)
