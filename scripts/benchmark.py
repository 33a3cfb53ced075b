#!/usr/bin/env python3
"""How loading, validating, every canned query and the main job scale with the graph.

    python scripts/benchmark.py --sizes 10k,100k,1M[,10M] [--engines fast,pyshacl,topbraid]
                                [--json FILE] [--markdown FILE]

Prints a Markdown table per size (and writes it, and the JSON, where asked). The
synthetic graphs are cached in build/bench/. The logic is clusterkg.bench.
"""

import argparse
import re
import sys
from pathlib import Path

from clusterkg import bench, project


def size(text: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 10k, 100k, 1M)")
    return int(float(m.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10k,100k,1M", help="comma-separated sizes (10k,100k,1M)")
    parser.add_argument("--engines", default="fast,pyshacl,topbraid", help="validation engines to time")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each cheap step (median)")
    parser.add_argument(
        "--engine-timeout", type=float, default=900.0, help="seconds pySHACL or TopQuadrant may take at one size"
    )
    parser.add_argument("--faults", type=float, default=0.02, help="injected faults per cluster")
    parser.add_argument("--no-main-job", action="store_true", help="skip `clusterkg report` in a child process")
    parser.add_argument("--import-rows", type=int, default=10_000, help="CSV rows of the import timed (0: skip)")
    parser.add_argument("--cache", type=Path, default=project.ROOT / "build" / "bench")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    parser.add_argument(
        "--explain",
        type=Path,
        metavar="DIR",
        help="write Oxigraph's plan of every canned query at the first size into DIR, and stop",
    )
    args = parser.parse_args()
    try:
        sizes = [size(s) for s in args.sizes.split(",") if s.strip()]
    except argparse.ArgumentTypeError as e:
        parser.error(str(e))
    if args.explain:
        folder = args.cache / f"synthetic-{sizes[0]}-plans"
        if not (folder / "clusters.ttl").exists():
            from clusterkg import synthetic

            synthetic.generate(folder, sizes[0])
        for path in bench.explain_queries(sorted(folder.glob("*.ttl")), args.explain):
            print(path)
        sys.exit(0)
    plan = bench.Plan(
        sizes,
        args.cache,
        engines=args.engines.split(","),
        repeat=args.repeat,
        engine_timeout=args.engine_timeout,
        faults=args.faults,
        main_job=not args.no_main_job,
        import_rows=args.import_rows,
    )
    measures = bench.run(plan, progress=lambda message: print(f"... {message}", file=sys.stderr, flush=True))
    info = bench.machine()
    text = bench.to_markdown(measures, info)
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    if args.json:
        args.json.write_text(bench.to_json(measures, info), encoding="utf-8")
