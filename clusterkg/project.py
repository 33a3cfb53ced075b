"""Where the knowledge assets live and the IRIs they use.

The assets are the four folders ``ontology/``, ``data/``, ``shapes/`` and
``queries/``. They are found, in this order:

1. ``CLUSTERKG_ROOT``: a folder holding them (a working copy of the repository,
   for editors of the graph using an installed package);
2. the working copy the package is imported from (a clone, or an editable
   install): the folder above ``clusterkg/`` when it holds
   ``ontology/clusterkg.ttl`` and ``pyproject.toml``;
3. the copies inside the installed package (``clusterkg/assets/<folder>``, put
   there by the build, see ``pyproject.toml``), read through
   :mod:`importlib.resources`.

Other modules ask :func:`asset_dir` (or :data:`ROOT`) and :func:`data_files`.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.resources
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

#: The asset folders, as named in the repository and in the package.
ASSETS = ("ontology", "data", "shapes", "queries")


class AssetsNotFound(RuntimeError):
    """``CLUSTERKG_ROOT`` names a folder without the assets, or the package lacks them."""


def _packaged_assets() -> Path:
    """``clusterkg/assets`` of the installed package, as a folder on disk (extracted
    for the life of the process when the package is imported from a zip)."""
    resource = importlib.resources.files(__package__ or "clusterkg").joinpath("assets")
    if isinstance(resource, Path):
        return resource
    stack = contextlib.ExitStack()  # pragma: no cover - zip imports only
    atexit.register(stack.close)
    return Path(stack.enter_context(importlib.resources.as_file(resource)))


def find_root(environ: Mapping[str, str] = os.environ) -> Path:
    """The folder that holds ontology/, data/, shapes/ and queries/ (see the module's doc)."""
    if environ.get("CLUSTERKG_ROOT"):
        return Path(environ["CLUSTERKG_ROOT"]).resolve()
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "ontology" / "clusterkg.ttl").is_file() and (checkout / "pyproject.toml").is_file():
        return checkout
    return _packaged_assets()


#: The folder that holds ontology/, data/, shapes/, queries/ (see :func:`find_root`).
ROOT = find_root()


def asset_dir(name: str) -> Path:
    """One asset folder: ``asset_dir("shapes")`` -> ``ROOT/shapes``.

    Raises :class:`AssetsNotFound` when it is not there (a ``CLUSTERKG_ROOT``
    that is not a working copy)."""
    if name not in ASSETS:
        raise ValueError(f"unknown asset folder {name!r} (one of: {', '.join(ASSETS)})")
    folder = ROOT / name
    if not folder.is_dir():
        where = "CLUSTERKG_ROOT" if os.environ.get("CLUSTERKG_ROOT") else "the installed package"
        raise AssetsNotFound(f"{folder}: no {name}/ folder ({where} {ROOT} does not hold the assets)")
    return folder


def check_root() -> None:
    """Raise :class:`AssetsNotFound` unless :data:`ROOT` holds every asset folder."""
    for name in ASSETS:
        asset_dir(name)


def data_files(data: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None) -> list[Path]:
    """The Turtle files of the data: ``None`` -> the project's ``data/*.ttl``; a
    folder -> its ``*.ttl``; a file, or several -> those, in the order given.
    Folders are read sorted by file name."""
    if data is None:
        return sorted(asset_dir("data").glob("*.ttl"))
    items = [data] if isinstance(data, (str, os.PathLike)) else list(data)
    out: list[Path] = []
    for item in items:
        path = Path(item)
        out.extend(sorted(path.glob("*.ttl")) if path.is_dir() else [path])
    return out


ONTOLOGY_DIR = ROOT / "ontology"
DATA_DIR = ROOT / "data"
SHAPES_DIR = ROOT / "shapes"
QUERIES_DIR = ROOT / "queries"
INTERNAL_QUERIES_DIR = QUERIES_DIR / "internal"

BASE = "https://w3id.org/clusterkg/"
ONTOLOGY_NS = BASE + "ontology#"
VOCAB_NS = BASE + "vocab/"
ID_NS = BASE + "id/"
GRAPH_NS = BASE + "graph/"

#: Source documents whose text lies beside the repository (``../shared/seeds``);
#: tests check every quote against them when they are there.
SEEDS_DIR = Path(os.environ.get("CLUSTERKG_SEEDS") or ROOT.parent / "shared" / "seeds")

#: The prefixes every output of the package shortens IRIs with (a file's or a
#: query's own prefixes are added where there are some).
PREFIXES = {
    "ck": ID_NS,
    "ckg": ONTOLOGY_NS,
    "ckgraph": GRAPH_NS,
    "cks": BASE + "shapes#",
    "ckv": VOCAB_NS,
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "org": "http://www.w3.org/ns/org#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "wd": "http://www.wikidata.org/entity/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def _namespace_manager(prefixes: Mapping[str, str]):
    """An rdflib NamespaceManager binding exactly ``prefixes`` (cached per mapping)."""
    key = tuple(sorted(prefixes.items()))
    nm = _MANAGERS.get(key)
    if nm is None:
        from rdflib import Graph
        from rdflib.namespace import NamespaceManager

        nm = NamespaceManager(Graph(), bind_namespaces="none")
        for prefix, ns in key:
            if ns:
                nm.bind(prefix, ns, override=True, replace=True)
        if len(_MANAGERS) > 32:
            _MANAGERS.clear()
        _MANAGERS[key] = nm
    return nm


_MANAGERS: dict[tuple[tuple[str, str], ...], object] = {}


def shorten(iri: str, prefixes: Mapping[str, str] = PREFIXES, unmatched: str = "{}") -> str:
    """``https://w3id.org/clusterkg/id/paris`` -> ``ck:paris`` (rdflib's
    NamespaceManager: a bound namespace and a valid local name); otherwise
    ``unmatched`` filled with the IRI (``"<{}>"`` for Turtle-like output)."""
    try:
        return str(_namespace_manager(prefixes).curie(iri, generate=False))
    except (KeyError, ValueError):
        return unmatched.format(iri)


def expand(name: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """The inverse of :func:`shorten`: ``ck:paris`` -> its IRI; ``<iri>`` -> iri;
    anything else (a full IRI, an unknown prefix) is returned as it is."""
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    prefix, colon, local = name.partition(":")
    if colon and prefix in prefixes and not local.startswith("//"):
        return prefixes[prefix] + local
    return name
