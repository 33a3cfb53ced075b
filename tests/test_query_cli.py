"""``clusterkg query``: the listing, each output format, refused names and
parameters (exit 3, exact message), injection attempts, a failing endpoint (exit 4).

Runs ``clusterkg.cli.main([...])`` as the console script does and reads what it
prints (capsys); the command's store is the session's, so that the tests can
check that no attempt changed it.
"""

from __future__ import annotations

import json
import re
import socket

import pyoxigraph as ox
import pytest

from clusterkg import cli
from clusterkg import query as q

CK = "https://w3id.org/clusterkg/id/"


@pytest.fixture
def run(store, capsys, monkeypatch):
    """``run(*args) -> (exit code, stdout, stderr)``, on the session store."""
    monkeypatch.setenv("COLUMNS", "200")  # the table's console width
    monkeypatch.setattr(cli.err_console, "width", 1000)  # error messages on one line
    monkeypatch.setattr(cli, "load_store", lambda files=(): store)

    def _run(*args: str):
        code = cli.main(["query", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def snapshot(store: ox.Store) -> list[str]:
    return sorted(str(quad) for quad in store)


# ------------------------------------------------------------------ --list

LISTING = """\
cities-reachable: Cities reachable from a city
    --param city=<iri ckg:City>  (default: https://w3id.org/clusterkg/id/paris)
cluster-budget: Budget and funding split of a cluster
    --param cluster=<iri ckg:Cluster>  (default: https://w3id.org/clusterkg/id/digital-113)
cluster-lineage: Lineage of a cluster
    --param cluster=<iri ckg:Cluster>  (default: https://w3id.org/clusterkg/id/digital-113)
cluster-member-figures: Member figures of a cluster
    --param cluster=<iri ckg:Cluster>  (default: https://w3id.org/clusterkg/id/cap-digital)
cluster-partners: Partners of a cluster
    --param cluster=<iri ckg:Cluster>  (default: https://w3id.org/clusterkg/id/cap-digital)
cluster-programmes: Programmes and funding schemes of a cluster
    --param cluster=<iri ckg:Cluster>  (default: https://w3id.org/clusterkg/id/cap-digital)
cluster-project-figures: Project figures of a cluster
    --param cluster=<iri ckg:Cluster>  (default: https://w3id.org/clusterkg/id/cap-digital)
cluster-sites: Seat and antennas of a cluster
    --param cluster=<iri ckg:Cluster>  (default: https://w3id.org/clusterkg/id/digital-113)
cluster-strategy: Strategy of a cluster
    --param cluster=<iri ckg:Cluster>  (default: https://w3id.org/clusterkg/id/digital-113)
clusters: Clusters
    (no parameters)
clusters-by-region: Clusters by region
    (no parameters)
clusters-two-hops: Clusters two hops apart
    (no parameters)
countries-reached: Countries a cluster reaches
    --param cluster=<iri ckg:Cluster>  (default: https://w3id.org/clusterkg/id/cap-digital)
entities-without-source: Entities with no source
    (no parameters)
entity-figures: Figures about an entity
    --param entity=<iri>  (default: https://w3id.org/clusterkg/id/occitanie)
entity-sources: Sources of an entity
    --param entity=<iri>  (default: https://w3id.org/clusterkg/id/redict)
figures-with-sources: Figures with their sources
    (no parameters)
find-by-label: Find resources by label
    --param text=<string>  (required, e.g. REDICT)
missions: Missions
    (no parameters)
network-members: Members of a network
    --param network=<iri ckg:InterClusterNetwork>  (default: https://w3id.org/clusterkg/id/redict)
node-degree: Most connected clusters and cities
    --param min_degree=<integer>  (default: 1)
observations-without-date: Figures with no date
    (no parameters)
people-and-roles: People and their roles
    (no parameters)
sister-city-agreements: Sister-city agreements
    (no parameters)
timeline: Timeline
    --param from_year=<integer>  (default: 2000)
"""


def test_list(run):
    assert run("--list") == (0, LISTING, "")


def test_list_as_json(run):
    code, out, err = run("--list", "--format", "json")
    assert (code, err) == (0, "")
    listing = json.loads(out)
    assert [e["name"] for e in listing] == sorted(q.catalogue())
    partners = next(e for e in listing if e["name"] == "cluster-partners")
    assert partners["title"] == "Partners of a cluster"
    assert partners["parameters"] == [
        {
            "name": "cluster",
            "type": "iri",
            "class": "https://w3id.org/clusterkg/ontology#Cluster",
            "default": CK + "cap-digital",
            "example": CK + "digital-113",
            "required": False,
        }
    ]


# ----------------------------------------------------------------- formats
# One query in every format: the two dated events from 2007 on: « le 5 février
# dernier » (2019 per the press reports), the launch of Digital 113 and the merger.


def test_table(run):
    code, out, err = run("timeline", "--param", "from_year=2007")
    assert (code, err) == (0, "")
    # rich's box: each column as wide as its longest cell plus one space each side;
    # IRIs shortened with the prefixes (ck:)
    widths = [11, 12, 17, 23, 65]

    def rule(left, mid, right, ch):
        return left + mid.join(ch * w for w in widths) + right

    def row(bar, *cells):
        return bar + bar.join(f" {c:<{w - 2}} " for c, w in zip(cells, widths, strict=False)) + bar

    assert out.split("\n") == [
        "Timeline".center(sum(widths) + len(widths) + 1),
        rule("┏", "┳", "┓", "━"),
        row("┃", "from_year", "date", "event", "subject", "subjectLabel"),
        rule("┡", "╇", "┩", "━"),
        row("│", "2007", "2019-02-05", "founded", "ck:digital-113", "Digital 113"),
        row(
            "│",
            "2007",
            "2019-02-05",
            "merger",
            "ck:digital-113-merger",
            "merger of DigitalPlace and FrenchSouth.digital into Digital 113",
        ),
        row("│", "2007", "2019-02-05", "official launch", "ck:digital-113-launch", "official launch of Digital 113"),
        rule("└", "┴", "┘", "─"),
        "",
    ]


def test_csv(run):
    # SPARQL 1.1 CSV results: plain values, CRLF line ends
    assert run("timeline", "--param", "from_year=2007", "--format", "csv") == (
        0,
        (
            "from_year,date,event,subject,subjectLabel\r\n"
            "2007,2019-02-05,founded,https://w3id.org/clusterkg/id/digital-113,Digital 113\r\n"
            "2007,2019-02-05,merger,https://w3id.org/clusterkg/id/digital-113-merger,"
            "merger of DigitalPlace and FrenchSouth.digital into Digital 113\r\n"
            "2007,2019-02-05,official launch,https://w3id.org/clusterkg/id/digital-113-launch,"
            "official launch of Digital 113\r\n"
        ),
        "",
    )


def test_tsv(run):
    # SPARQL 1.1 TSV results (pyoxigraph's writer): ?-named header, RDF terms in
    # Turtle syntax (an xsd:integer as a bare number)
    assert run("timeline", "--param", "from_year=2007", "--format", "tsv") == (
        0,
        (
            "?from_year\t?date\t?event\t?subject\t?subjectLabel\n"
            f'2007\t"2019-02-05"\t"founded"\t<{CK}digital-113>\t"Digital 113"@en\n'
            f'2007\t"2019-02-05"\t"merger"@en\t<{CK}digital-113-merger>\t'
            '"merger of DigitalPlace and FrenchSouth.digital into Digital 113"@en\n'
            f'2007\t"2019-02-05"\t"official launch"@en\t<{CK}digital-113-launch>\t'
            '"official launch of Digital 113"@en\n'
        ),
        "",
    )


def test_json(run):
    code, out, err = run("timeline", "--param", "from_year=2007", "--format", "json")
    assert (code, err) == (0, "")
    year = {"type": "literal", "value": "2007", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}
    date = {"type": "literal", "value": "2019-02-05"}
    assert json.loads(out) == {  # SPARQL 1.1 Query Results JSON Format
        "head": {"vars": ["from_year", "date", "event", "subject", "subjectLabel"]},
        "results": {
            "bindings": [
                {
                    "from_year": year,
                    "date": date,
                    "event": {"type": "literal", "value": "founded"},
                    "subject": {"type": "uri", "value": CK + "digital-113"},
                    "subjectLabel": {"type": "literal", "value": "Digital 113", "xml:lang": "en"},
                },
                {
                    "from_year": year,
                    "date": date,
                    "event": {"type": "literal", "value": "merger", "xml:lang": "en"},
                    "subject": {"type": "uri", "value": CK + "digital-113-merger"},
                    "subjectLabel": {
                        "type": "literal",
                        "xml:lang": "en",
                        "value": "merger of DigitalPlace and FrenchSouth.digital into Digital 113",
                    },
                },
                {
                    "from_year": year,
                    "date": date,
                    "event": {"type": "literal", "value": "official launch", "xml:lang": "en"},
                    "subject": {"type": "uri", "value": CK + "digital-113-launch"},
                    "subjectLabel": {"type": "literal", "xml:lang": "en", "value": "official launch of Digital 113"},
                },
            ]
        },
    }


def test_unbound_cells_are_left_out_of_json_and_empty_in_csv(run):
    # Cap Digital's seat has no site node: « site » is unbound
    code, out, _ = run("cluster-sites", "-p", f"cluster={CK}cap-digital", "--format", "json")
    assert code == 0
    [binding] = json.loads(out)["results"]["bindings"]
    assert sorted(binding) == ["cluster", "country", "kind", "region", "town"]
    assert run("cluster-sites", "-p", f"cluster={CK}cap-digital", "--format", "csv")[1] == (
        f"cluster,kind,site,town,region,country\r\n{CK}cap-digital,seat,,Paris,Île-de-France,France\r\n"
    )


def test_defaults_apply_when_no_parameter_is_given(run):
    code, out, _ = run("network-members", "--format", "csv")
    assert code == 0
    # REDICT: « les clusters des villes d’Amsterdam, Berlin, Bucarest, Copenhague, Dublin et Paris »
    assert [line.split(",")[3] for line in out.split("\r\n")[1:-1]] == [
        "Amsterdam",
        "Berlin",
        "Bucharest",
        "Copenhagen",
        "Dublin",
        "Paris",
    ]


# ------------------------------------------------------- refused input (3)


@pytest.mark.parametrize(
    "args,message",
    [
        (["nope"], 'unknown query "nope" (see: clusterkg query --list)'),
        ([], "give the NAME of a query (see: clusterkg query --list)"),
        (["find-by-label"], 'query "find-by-label": missing parameter "text" (string), e.g. --param text=REDICT'),
        (
            ["cluster-partners", "--param", "foo=1"],
            'query "cluster-partners" has no parameter "foo" (parameters: cluster)',
        ),
        (["clusters", "--param", "cluster=x"], 'query "clusters" has no parameter "cluster" (it takes no parameters)'),
        (["timeline", "--param", "from_year=abc"], 'query "timeline": parameter "from_year": "abc" is not an integer'),
        (
            ["timeline", "--param", "from_year=20.5"],
            'query "timeline": parameter "from_year": "20.5" is not an integer',
        ),
        (
            ["cluster-partners", "--param", f"cluster={CK}paris"],
            f'query "cluster-partners": parameter "cluster": <{CK}paris> is not a ckg:Cluster in the graph',
        ),
        (
            ["network-members", "--param", f"network={CK}cap-digital"],
            (
                f'query "network-members": parameter "network": '
                f"<{CK}cap-digital> is not a ckg:InterClusterNetwork in the graph"
            ),
        ),
        (
            ["cities-reachable", "--param", f"city={CK}nowhere"],
            f'query "cities-reachable": parameter "city": <{CK}nowhere> is not a ckg:City in the graph',
        ),
        (
            ["entity-figures", "--param", "entity=https://example.org/x"],
            'query "entity-figures": parameter "entity": <https://example.org/x> is not a resource of the graph',
        ),
        (
            ["cluster-partners", "--param", "cluster=cap-digital"],
            'query "cluster-partners": parameter "cluster": "cap-digital" is not a valid IRI '
            "(No scheme found in an absolute IRI)",
        ),
        (["cluster-partners", "--param", "cluster"], '--param "cluster" is not of the form key=value'),
        (["cluster-partners", "--param", "=x"], '--param "=x" is not of the form key=value'),
        (
            ["cluster-partners", "-p", f"cluster={CK}cap-digital", "-p", f"cluster={CK}digital-113"],
            'parameter "cluster" is given twice',
        ),
        # a value or key that looks like rich markup is shown as typed
        (
            ["find-by-label", "--param", "te[/]xt=x"],
            'query "find-by-label" has no parameter "te[/]xt" (parameters: text)',
        ),
    ],
)
def test_refused_with_exit_3_and_exact_message(run, args, message):
    assert run(*args) == (3, "", f"error: {message}\n")


def test_unknown_format_is_a_usage_error(run):
    code, out, err = run("clusters", "--format", "xml")
    assert (code, out) == (64, "")
    assert "'xml' is not one of 'table', 'csv', 'tsv', 'json'" in err


# --------------------------------------------------------------- injection

IRI_INJECTIONS = [
    ('"> } ; DROP ALL ; #', "Invalid IRI code point '\"'"),
    ("}", "Invalid IRI code point '}'"),
    ("http://x\n} ; DROP ALL ; #", "Invalid IRI code point '\n'"),
    (f"{CK}cap digital", "Invalid IRI code point ' '"),
    (f"<{CK}cap-digital> }} INSERT DATA {{ <http://a> <http://b> <http://c> }}", "Invalid IRI code point '<'"),
    (f"{CK}cap-digital> }} INSERT DATA {{ <http://a> <http://b> <http://c> }} #", "Invalid IRI code point '>'"),
]


@pytest.mark.parametrize("value,reason", IRI_INJECTIONS)
def test_iri_injection_is_refused(run, store, value, reason):
    before = snapshot(store)
    code, out, err = run("cluster-partners", "--param", f"cluster={value}")
    assert (code, out) == (3, "")
    assert (
        err
        == f'error: query "cluster-partners": parameter "cluster": {json.dumps(value)} is not a valid IRI ({reason})\n'
    )
    assert snapshot(store) == before


STRING_INJECTIONS = [
    '"> } ; DROP ALL ; #',
    "}",
    "x\n} ; DROP ALL ; #",
    '") } INSERT DATA { <http://a> <http://b> <http://c> } #',
    '\\" } #',
    "REDICT' } #",
]


@pytest.mark.parametrize("value", STRING_INJECTIONS)
def test_string_injection_is_matched_literally(run, store, value):
    before = snapshot(store)
    code, out, err = run("find-by-label", "--param", f"text={value}", "--format", "csv")
    # no label contains the text: the header and no row
    assert (code, out, err) == (0, "text,resource,label,class\r\n", "")
    assert snapshot(store) == before


@pytest.mark.parametrize("value", STRING_INJECTIONS)
def test_string_injection_through_the_values_row_is_matched_literally(store, value):
    """What a remote endpoint would receive: the value sits escaped in the VALUES row."""
    before = snapshot(store)
    cq = q.get("find-by-label")
    bindings = q.bind_parameters(cq, {"text": value}, store=store)
    text = q.with_values(cq.text, bindings)
    assert f"VALUES (?text) {{ ({ox.Literal(value)}) }}" in text
    assert q.run_embedded(store, text) == (("text", "resource", "label", "class"), [])
    assert snapshot(store) == before


def test_integer_injection_is_refused(run, store):
    before = snapshot(store)
    assert run("node-degree", "--param", "min_degree=1) } DROP ALL #") == (
        3,
        "",
        'error: query "node-degree": parameter "min_degree": "1) } DROP ALL #" is not an integer\n',
    )
    assert snapshot(store) == before


def test_parameter_name_injection_is_refused(run):
    assert run("cluster-partners", "--param", "cluster ?x } DROP ALL #=1") == (
        3,
        "",
        'error: query "cluster-partners" has no parameter "cluster ?x } DROP ALL #" (parameters: cluster)\n',
    )


def test_date_parameters(store):
    p = q.Parameter("since", "date", example="2019-02-05")
    cq = q.CannedQuery("x", q.project.QUERIES_DIR / "x.rq", "X", "X", (p,), "SELECT ?since WHERE { }")
    assert q.to_term(cq, p, "2019-02-05") == ox.Literal("2019-02-05", datatype=ox.NamedNode(q.XSD_DATE))
    for bad in ("2019-02-30", "05/02/2019", '2019-02-05" } #'):
        message = f'query "x": parameter "since": {json.dumps(bad)} is not a date (YYYY-MM-DD)'
        with pytest.raises(q.QueryError, match=f"^{re.escape(message)}$"):
            q.to_term(cq, p, bad)


# ------------------------------------------------------------ endpoint (4)


def test_unreachable_endpoint_exits_4(run):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/sparql"
    code, out, err = run("cluster-partners", "--endpoint", url, "--server", "generic")
    assert (code, out) == (4, "")
    assert err.startswith(f"error: reading the catalogue: cannot connect to {url}: ")
    assert "Connection refused" in err


# --- paging and the user's own data -------------------------------------------------------


def test_limit_and_offset_page_the_rows_in_the_querys_order(run):
    code, whole, _ = run("clusters", "--format", "csv")
    assert code == 0
    rows = whole.splitlines()
    code, page, _ = run("clusters", "--format", "csv", "--limit", "2", "--offset", "1")
    assert code == 0
    assert page.splitlines() == [rows[0], *rows[2:4]]


def test_data_folder_is_queried_with_the_ontology(capsys, tmp_path):
    (tmp_path / "mine.ttl").write_text(
        "@prefix ckg: <https://w3id.org/clusterkg/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://example.org/c> a ckg:CompetitivenessCluster ; rdfs:label "Mine"@en .\n',
        encoding="utf-8",
    )
    code = cli.main(["query", "clusters", "--data", str(tmp_path), "--format", "csv"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert out.splitlines()[1:] == ["https://example.org/c,Mine,competitiveness cluster,,,,,,"]
