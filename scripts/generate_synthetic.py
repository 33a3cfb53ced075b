#!/usr/bin/env python3
"""Write a synthetic cluster graph of about N triples as Turtle files (clusterkg.synthetic.generate).

    python scripts/generate_synthetic.py OUT_DIR [N] [--seed S]

The logic is clusterkg.synthetic.generate; this is only its command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clusterkg import synthetic


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="folder to write the Turtle files into")
    parser.add_argument(
        "triples", type=int, nargs="?", default=100_000, metavar="N", help="about how many triples (default: 100000)"
    )
    parser.add_argument(
        "--faults",
        type=float,
        default=0.0,
        metavar="RATE",
        help="copies of the invalid fixtures per cluster (0..1), their expected results "
        "written to OUT_DIR/expected.json",
    )
    parser.add_argument("--seed", type=int, default=113, help="random seed (default: 113)")
    args = parser.parse_args(argv)
    if args.triples < 1:
        parser.error("N must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = synthetic.generate(args.out_dir, args.triples, seed=args.seed, faults=args.faults)
    print(
        f"{result.triples} triples, {result.clusters} clusters, {len(result.expected)} expected results, "
        f"in {result.directory}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
