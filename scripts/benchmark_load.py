#!/usr/bin/env python3
"""How fast `clusterkg load` fills a running Oxigraph server, next to `oxigraph load` offline.

    python scripts/benchmark_load.py [N ...]        (default: 100000 1000000)

For each size N: a synthetic graph of about N triples (clusterkg.synthetic, in
build/bench/), then `oxigraph load` of its files (with the ontology) into a new
directory, offline, and the `clusterkg load` command (--no-validate) into a plain
`oxigraph serve` on loopback, twice: into the empty server, then replacing what
the first load wrote; the seconds of each, their ratio to the offline load, the
server's peak memory, and when the server had dropped the old versions. The
logic is clusterkg.bench.server_loads (also a step of scripts/benchmark.py).
"""

from __future__ import annotations

import os
import sys

from clusterkg import bench, project, synthetic


def main(sizes: list[int]) -> None:
    for n in sizes:
        folder = project.ROOT / "build" / "bench" / f"synthetic-{n}-load"
        if not (folder / "clusters.ttl").exists():
            synthetic.generate(folder, n)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        for m in bench.server_loads(n, sorted(folder.glob("*.ttl"))):
            peak = "" if m.peak_mib is None else f"; server peak {m.peak_mib:,.0f} MiB"
            print(f"{m.triples:,} triples: {m.step}: {m.seconds:.1f} s{peak} ({m.note or 'the floor'})")
        print(f"  (load average before: {load}; after: {', '.join(f'{x:.1f}' for x in os.getloadavg())})")
        sys.stdout.flush()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
