#!/usr/bin/env python3
"""Write a synthetic cluster graph of about N triples as Turtle (clusterkg.synthetic)."""

import argparse
from pathlib import Path

from clusterkg import synthetic

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="folder to write the Turtle files into")
    parser.add_argument("triples", nargs="?", type=int, default=100_000, help="about this many triples (100000)")
    parser.add_argument("--faults", type=float, default=0.0, metavar="RATE",
                        help="copies of the invalid fixtures per cluster (0..1), their expected results "
                             "written to OUT/expected.json")
    parser.add_argument("--seed", type=int, default=113)
    args = parser.parse_args()
    result = synthetic.generate(args.out, args.triples, seed=args.seed, faults=args.faults)
    print(f"{result.triples} triples, {result.clusters} clusters, {len(result.expected)} expected results, "
          f"in {result.directory}")
