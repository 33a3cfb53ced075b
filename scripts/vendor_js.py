"""Copy the minified JavaScript builds and the map data that the report inlines
from node_modules/ (``npm ci``) into clusterkg/templates/vendor/, with each
package's licence and a VERSIONS file. The copies are committed, so the package
builds its report offline without npm.

    npm ci && python scripts/vendor_js.py
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"
VENDOR = ROOT / "clusterkg" / "templates" / "vendor"

#: package -> (file in the package, name in vendor/)
FILES = {
    "cytoscape": ("dist/cytoscape.min.js", "cytoscape.min.js"),
    "d3-array": ("dist/d3-array.min.js", "d3-array.min.js"),
    "d3-geo": ("dist/d3-geo.min.js", "d3-geo.min.js"),
    "topojson-client": ("dist/topojson-client.min.js", "topojson-client.min.js"),
    "world-atlas": ("countries-110m.json", "countries-110m.json"),
}


def main() -> int:
    if not MODULES.is_dir():
        print("node_modules/ is missing: run `npm ci` first", file=sys.stderr)
        return 2
    VENDOR.mkdir(parents=True, exist_ok=True)
    versions = []
    for package, (source, target) in FILES.items():
        folder = MODULES / package
        meta = json.loads((folder / "package.json").read_text(encoding="utf-8"))
        shutil.copyfile(folder / source, VENDOR / target)
        shutil.copyfile(folder / "LICENSE", VENDOR / f"{package}.LICENSE")
        versions.append(f"{package} {meta['version']} {meta.get('license', '')}: {source} -> {target}")
    (VENDOR / "VERSIONS").write_text("\n".join(versions) + "\n", encoding="utf-8")
    print("\n".join(versions))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
