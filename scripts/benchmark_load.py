#!/usr/bin/env python3
"""How fast `clusterkg load` fills a running Oxigraph server, next to `oxigraph load` offline.

    python scripts/benchmark_load.py [N ...]        (default: 100000 1000000)

For each size N: a synthetic graph of about N triples (clusterkg.synthetic), then
1. `oxigraph load` of its files into a new store directory, offline (the floor);
2. a plain `oxigraph serve` on another new directory, and clusterkg.remote.load
   of the files (with the ontology, no SHACL validation) into it: once into the
   empty server, once more replacing what the first load wrote;
and prints the seconds, the ratio to the offline load, the time of each phase
of the load, and the server's peak memory (VmHWM). The logic is
:func:`benchmark_load`; this is also its command line.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from clusterkg import remote, server, synthetic


def peak_memory_mb(pid: int) -> float | None:
    """Peak resident memory of a process (Linux /proc VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def benchmark_load(triples: int, workdir: Path) -> dict:
    """Figures for one size (see the module doc), as a dict."""
    generated = synthetic.generate(workdir / "data", triples)
    files = remote.files_with_ontology(generated.files)
    started = time.monotonic()
    subprocess.run(
        [
            server.oxigraph_executable(),
            "load",
            "--location",
            str(workdir / "offline"),
            "--file",
            *[str(gf.path) for gf in files],
        ],
        check=True,
        capture_output=True,
    )
    offline = time.monotonic() - started
    out = {"triples": generated.triples, "offline_s": offline, "loads": []}
    with server.OxigraphServer(workdir / "served", read_only=False, log_path=workdir / "served.log") as ox:
        endpoints = remote.Endpoints.for_server(ox.base_url)
        for kind in ("into an empty server", "replacing"):
            with remote.SparqlClient(endpoints, timeout=3600) as client:
                report = remote.load(files, client, validate=False)
            out["loads"].append(
                {
                    "kind": kind,
                    "seconds": report.seconds,
                    "ratio": report.seconds / offline,
                    "switched_s": report.switched_after,
                    "switched_ratio": report.switched_after / offline,
                    "phases": dict(report.phases),
                    "server_peak_mb": peak_memory_mb(ox.process.pid),
                }
            )
    return out


def main(sizes: list[int]) -> None:
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="clusterkg-bench-load-") as tmp:
            r = benchmark_load(n, Path(tmp))
        print(f"{r['triples']:,} triples: oxigraph load (offline) {r['offline_s']:.1f} s")
        for load in r["loads"]:
            phases = ", ".join(f"{k} {v:.1f}" for k, v in load["phases"].items())
            print(
                f"  clusterkg load {load['kind']}: switched after {load['switched_s']:.1f} s = "
                f"{load['switched_ratio']:.1f}x offline; done (old versions dropped) after "
                f"{load['seconds']:.1f} s = {load['ratio']:.1f}x; "
                f"server peak {load['server_peak_mb']:.0f} MB; phases (s): {phases}"
            )
        sys.stdout.flush()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
