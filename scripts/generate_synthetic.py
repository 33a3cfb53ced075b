#!/usr/bin/env python3
"""Write a synthetic cluster graph of about N triples (default 100,000) as Turtle.

    python scripts/generate_synthetic.py OUT_DIR [N]

The logic is clusterkg.synthetic.generate; this is only its command line.
"""

import sys
from pathlib import Path

from clusterkg import synthetic

if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    result = synthetic.generate(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) == 3 else 100_000)
    print(f"{result.triples} triples, {result.clusters} clusters, in {result.directory}")
