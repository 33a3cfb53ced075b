"""Where the knowledge assets live and the IRIs they use."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root: the folder that holds ontology/, data/, shapes/, queries/.
#: ``CLUSTERKG_ROOT`` overrides it (the package is installed in editable mode).
ROOT = Path(os.environ.get("CLUSTERKG_ROOT") or Path(__file__).resolve().parent.parent)

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
