#!/usr/bin/env python3
"""Report how loading, querying and validating scale with the graph's size.

    python scripts/benchmark.py [SIZE ...] [--json FILE]

SIZE is a number of triples (default: 10000 100000 1000000). The synthetic
graphs are cached in build/bench/. The logic is clusterkg.bench; this script is
only its command line and its table.
"""

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from clusterkg import bench, project

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = parser.parse_args()
    console = Console()
    measures = bench.run(bench.Plan(args.sizes, project.ROOT / "build" / "bench"),
                         progress=lambda message: console.log(message))
    table = Table(title="clusterkg benchmark (seconds, this machine)")
    for column in ("size asked", "triples in store", "step", "seconds", "note"):
        table.add_column(column, justify="right" if column != "note" and column != "step" else "left")
    for m in measures:
        table.add_row(f"{m.size:,}", f"{m.triples:,}", m.step,
                      "-" if m.seconds is None else f"{m.seconds:.2f}", m.note)
    console.print(table)
    if args.json:
        args.json.write_text(bench.to_json(measures), encoding="utf-8")
