"""Benchmark: how loading, validating, querying and the main job scale with the graph.

For each size, a synthetic graph (:mod:`clusterkg.synthetic`, with a few injected
faults so that validation reports something) is generated once into a cache
folder, then on this machine:

``load``
    parse + check literals + load into the embedded pyoxigraph store
    (:func:`clusterkg.validate.load`);
``validate <engine>``
    each SHACL engine on the loaded graph: ``fast`` (median of 3 up to 100k
    triples), ``pyshacl`` (up to 100k: minutes beyond), ``topbraid`` (up to 1M);
    whether its results are exactly the faults' expected ones;
``query <name>``
    every canned query, median of 3, with parameters taken from the graph;
``clusterkg load first`` / ``replacing``
    up to 1M triples (:func:`server_loads`): the command into a plain ``oxigraph
    serve`` on loopback, twice, next to ``oxigraph load`` offline, with the
    server's peak memory and when it had dropped the old versions;
``main job``
    ``clusterkg report --data DIR`` in a child process (load, validate, every
    canned query, picture, HTML): wall time and peak memory (the child's VmHWM);
``10M``
    at 10 million triples or more: load into the on-disk store and the canned
    queries' medians, no validation.

Figures are reported, never asserted (tests do not time things, except
``tests/test_scaling.py`` which compares two sizes). The machine's cores, memory
and load average are part of the report: on a shared machine they say how far
the figures are inflated.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import project, query, synthetic, validate

#: Targets of the main job at 10^6 triples (README, Performance).
TARGETS = {
    "main job seconds": 15.0,
    "main job MiB": 2048,
    "query ms": 100.0,
    "faster than topbraid": 10.0,
    "faster than pyshacl at 100k": 100.0,
    "import of 10k rows seconds": 60.0,
}


@dataclass
class Measure:
    size: int  # triples asked for
    triples: int  # triples in the store (data + ontology)
    step: str
    seconds: float | None  # median when repeated
    runs: int = 1
    note: str = ""
    peak_mib: float | None = None


@dataclass
class Plan:
    sizes: list[int]
    cache: Path
    engines: list[str] = field(default_factory=lambda: ["fast", "pyshacl", "topbraid"])
    up_to: dict[str, int] = field(default_factory=lambda: {"pyshacl": 100_000, "topbraid": 1_000_000})
    repeat: int = 3
    faults: float = 0.02
    main_job: bool = True
    queries: bool = True
    #: rows of the synthetic CSV import timed once (``clusterkg import``, validation
    #: included, nothing written); 0 skips it
    import_rows: int = 10_000
    #: seconds each engine but ``fast`` may take at one size (in a child process)
    engine_timeout: float = 900.0
    #: ``clusterkg load`` into a plain ``oxigraph serve`` next to ``oxigraph load`` (:func:`server_loads`)
    #: at the sizes up to this one (0: never)
    server_loads: int = 1_000_000


def machine() -> dict:
    """Cores, memory and load: what the figures depend on."""
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cores": os.cpu_count(),
        "memory_gib": mem,
        "load_average": load,
        "python": platform.python_version(),
        "pyoxigraph": getattr(ox, "__version__", "?"),
        "platform": platform.platform(),
    }


def _median(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(max(1, runs)):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def parameters_for(store: ox.Store, cq: query.CannedQuery) -> dict[str, str]:
    """Values for a query's parameters taken from the graph (as the report asks
    them: :func:`clusterkg.query.asked_parameters`)."""
    return {name: value for name, (value, _) in query.asked_parameters(cq, store).items()}


def time_queries(store: ox.Store, size: int, runs: int, progress: Callable[[str], None]) -> list[Measure]:
    out = []
    triples = len(store)
    for name, cq in sorted(query.catalogue().items()):
        progress(f"query {name} on {size:,}")
        params = parameters_for(store, cq)
        try:
            seconds, result = _median(lambda n=name, p=params: query.run(n, p, store=store), runs)  # type: ignore[misc]
            out.append(Measure(size, triples, f"query {name}", seconds, runs, f"{len(result.rows)} rows"))  # type: ignore[attr-defined]
        except query.QueryError as e:
            out.append(Measure(size, triples, f"query {name}", None, 0, f"refused: {e}"))
    return out


def main_job(directory: Path) -> tuple[float, float, int]:
    """``clusterkg report --data DIR`` in a child process: (seconds, peak MiB, exit code)."""
    with tempfile.TemporaryDirectory(prefix="clusterkg-bench-") as out:
        cmd = [sys.executable, "-m", "clusterkg.cli", "report", "--data", str(directory), "--out", out]
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(project.ROOT), os.environ.get("PYTHONPATH", "")])},
        )
        # the child's own high-water mark (VmHWM), read until it ends: wait4's
        # ru_maxrss would include this (large) process's, inherited at fork
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _vm_hwm_kib(proc.pid))
            time.sleep(0.1)
        seconds = time.perf_counter() - start
    return seconds, peak / 1024, proc.returncode


def _vm_hwm_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Reported(list):
    """The measures, each also told to ``progress`` as soon as it is taken (a long
    run that is stopped keeps what it measured)."""

    def __init__(self, progress: Callable[[str], None]):
        super().__init__()
        self.progress = progress

    def append(self, m: Measure) -> None:
        super().append(m)
        self.progress("measured " + json.dumps(asdict(m)))

    def __iadd__(self, more):  # type: ignore[misc]
        for m in more:
            self.append(m)
        return self


def run(plan: Plan, progress: Callable[[str], None] = lambda _: None) -> list[Measure]:
    out: list[Measure] = _Reported(progress)
    for size in plan.sizes:
        folder = plan.cache / f"synthetic-{size}-faults-{plan.faults}"
        if not (folder / "clusters.ttl").exists():
            progress(f"generating {size:,} triples")
            synthetic.generate(folder, size, faults=plan.faults)
        files = sorted(folder.glob("*.ttl"))
        expected = set(synthetic.expected_results(folder))
        out += server_loads(size, files, progress) if size <= plan.server_loads else []
        if size >= 10_000_000:
            out += _on_disk(size, files, plan, progress)
            continue
        progress(f"loading {size:,}")
        seconds, loaded = _median(lambda f=files: validate.load(f), 1)  # type: ignore[misc]
        triples = len(loaded.store)  # type: ignore[attr-defined]
        out.append(Measure(size, triples, "load", seconds, 1, f"{len(files)} files", _peak_mib()))
        out += _validations(plan, size, triples, loaded, files, expected, progress)
        if plan.queries:
            out += time_queries(loaded.store, size, plan.repeat, progress)  # type: ignore[attr-defined]
        loaded = None  # the store is freed before the main job
        if plan.main_job:
            progress(f"main job on {size:,}")
            seconds, mib, code = main_job(folder)
            out.append(Measure(size, triples, "main job", seconds, 1, f"clusterkg report, exit code {code}", mib))
    if plan.import_rows:
        out.append(time_import(plan.import_rows, progress))
    return out


def _validations(
    plan: Plan, size: int, triples: int, loaded, files: list[Path], expected: set, progress
) -> list[Measure]:
    """Each engine of the plan on the loaded graph: ``fast`` here (median of
    ``plan.repeat`` up to 100k), the others in a child process with a time bound."""
    out: list[Measure] = []
    for engine in plan.engines:
        limit = plan.up_to.get(engine)
        if limit is not None and size > limit:
            out.append(Measure(size, triples, f"validate {engine}", None, 0, f"skipped above {limit:,} triples"))
            continue
        progress(f"validate {engine} on {size:,}")
        if engine != "fast":  # in a process of its own, stopped after plan.engine_timeout
            out.append(_other_engine(engine, size, triples, files, expected, plan.engine_timeout))
            continue
        runs = plan.repeat if size <= 100_000 else 1
        try:
            seconds, v = _median(lambda e=engine, d=loaded: validate.validate_loaded(d, engine=e), runs)  # type: ignore[misc]
        except Exception as e:  # noqa: BLE001 -- an engine that cannot run here (no Java...) is reported, not fatal
            out.append(Measure(size, triples, f"validate {engine}", None, 0, f"failed: {e}"))
            continue
        got = {(r.focus, r.path, r.component, r.severity, r.source_shape) for r in v.report.results}  # type: ignore[attr-defined]
        exact = "exact" if got == expected else f"{len(got - expected)} extra, {len(expected - got)} missing"
        out.append(
            Measure(
                size,
                triples,
                f"validate {engine}",
                seconds,
                runs,
                f"{len(got)} results, {exact} (of {len(expected)} expected)",
                _peak_mib(),
            )
        )
    return out


def _other_engine(engine: str, size: int, triples: int, files: list[Path], expected: set, timeout: float) -> Measure:
    """``engine`` (pySHACL, TopQuadrant) loading and validating ``files`` in a child
    process (``python -m clusterkg.bench ENGINE FILES…``), stopped after ``timeout``
    seconds: then the figure is a bound ("over N s")."""
    cmd = [sys.executable, "-m", "clusterkg.bench", engine, *map(str, files)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Measure(
            size, triples, f"validate {engine}", None, 0, f"stopped after {timeout:.0f} s: over {timeout:.0f} s"
        )
    if done.returncode != 0:
        return Measure(size, triples, f"validate {engine}", None, 0, f"failed: {done.stderr.strip()[-300:]}")
    answer = json.loads(done.stdout)
    got = {tuple(r) for r in answer["results"]}
    exact = "exact" if got == expected else f"{len(got - expected)} extra, {len(expected - got)} missing"
    note = f"{len(got)} results, {exact} (of {len(expected)} expected)"
    return Measure(size, triples, f"validate {engine}", answer["seconds"], 1, note, answer["peak_mib"])


def _engine_child(engine: str, files: list[str]) -> None:
    """The child of :func:`_other_engine`: loads, validates (timed), prints JSON."""
    loaded = validate.load([Path(f) for f in files])
    start = time.perf_counter()
    v = validate.validate_loaded(loaded, engine=engine)
    seconds = time.perf_counter() - start
    results = [[r.focus, r.path, r.component, r.severity, r.source_shape] for r in v.report.results]
    java = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # TopQuadrant's Java
    print(json.dumps({"seconds": seconds, "results": results, "peak_mib": max(_peak_mib(), java)}))


def time_import(rows: int, progress: Callable[[str], None] = lambda _: None) -> Measure:
    """``clusterkg import`` of ``rows`` synthetic CSV rows, validated, as a dry run."""
    from . import importer

    progress(f"import of {rows:,} rows")
    phases = importer.benchmark(rows, validate=True)
    note = ", ".join(f"{k} {phases[k]:.2f} s" for k in ("read", "map", "parse", "validate") if k in phases)
    return Measure(rows, phases["triples"], f"import {rows:,} rows", phases["total"], 1, note, _peak_mib())


def _on_disk(size: int, files: list[Path], plan: Plan, progress) -> list[Measure]:
    """10M and beyond: the on-disk store (RocksDB), queries only."""
    from . import graph

    out = []
    with tempfile.TemporaryDirectory(prefix="clusterkg-bench-store-") as tmp:
        progress(f"loading {size:,} into the on-disk store")
        start = time.perf_counter()
        store = ox.Store(tmp)
        for gf in graph.project_files(data=False) + [graph.GraphFile.for_path(p) for p in files]:
            store.bulk_load(path=str(gf.path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(gf.graph))
        store.optimize()
        seconds = time.perf_counter() - start
        triples = len(store)
        out.append(Measure(size, triples, "load (on disk, bulk)", seconds, 1, "", _peak_mib()))
        if plan.queries:
            out += time_queries(store, size, plan.repeat, progress)
        del store
    return out


def server_loads(size: int, files: list[Path], progress: Callable[[str], None] = lambda _: None) -> list[Measure]:
    """``clusterkg load`` (the command, in a child process, ``--no-validate``) into a plain
    ``oxigraph serve`` on loopback, twice (into the empty server, then replacing
    what it loaded), next to ``oxigraph load`` of the same files into a new
    directory, offline, in the same minute. Each time is the command's whole wall
    time; the server's peak memory (VmHWM) is read after each step. After the
    replacing load, how long the server took to drop the old versions (the
    command leaves that to a background process above 10,000 triples)."""
    from . import graph, remote, server

    gfs = graph.project_files(data=False) + [graph.GraphFile.for_path(p) for p in files]
    out: list[Measure] = []
    with tempfile.TemporaryDirectory(prefix="clusterkg-bench-server-") as tmp:
        progress(f"oxigraph load (offline) of {size:,}")
        start = time.perf_counter()
        subprocess.run(
            [
                server.oxigraph_executable(),
                "load",
                "--location",
                f"{tmp}/offline",
                "--file",
                *[str(g.path) for g in gfs],
            ],
            check=True,
            capture_output=True,
        )
        offline = time.perf_counter() - start
        shutil.rmtree(f"{tmp}/offline")
        with server.OxigraphServer(Path(tmp, "served"), read_only=False, log_path=Path(tmp, "served.log")) as ox_server:
            assert ox_server.process is not None
            pid = ox_server.process.pid
            triples = 0
            measured: list[tuple[str, float, str, float | None]] = [("oxigraph load offline", offline, "", None)]
            for kind in ("first", "replacing"):
                progress(f"clusterkg load ({kind}) of {size:,}")
                cmd = [sys.executable, "-m", "clusterkg.cli", "-q", "load", "--endpoint", ox_server.base_url]
                start = time.perf_counter()
                done = subprocess.run(
                    [*cmd, "--no-validate", *[str(p) for p in files]],
                    capture_output=True,
                    text=True,
                    env={
                        **os.environ,
                        "PYTHONPATH": os.pathsep.join([str(project.ROOT), os.environ.get("PYTHONPATH", "")]),
                    },
                )
                seconds = time.perf_counter() - start
                found = re.search(r"loaded (\d+) triples", done.stdout)
                triples = int(found.group(1)) if found else triples
                background = "in the background" if "in the background" in done.stdout else "dropped in the command"
                note = f"exit {done.returncode}, {seconds / offline:.1f}x offline" + (
                    f", old versions {background}" if kind == "replacing" else ""
                )
                measured.append((f"clusterkg load {kind}", seconds, note, _vm_hwm_kib(pid) / 1024))
            with remote.SparqlClient(remote.Endpoints.for_server(ox_server.base_url), timeout=60) as client:
                while set(client.version_graphs()) - set(client.catalogue().values()):
                    time.sleep(0.2)
            clean = time.perf_counter() - start
            measured.append(("server clean after replacing", clean, "old versions dropped", _vm_hwm_kib(pid) / 1024))
    for step, seconds, note, peak in measured:
        out.append(Measure(size, triples, step, seconds, 1, note, peak))
    return out


def to_json(measures: list[Measure], info: dict | None = None) -> str:
    return json.dumps(
        {"machine": info or machine(), "targets": TARGETS, "measures": [asdict(m) for m in measures]}, indent=2
    )


def to_markdown(measures: list[Measure], info: dict | None = None) -> str:
    """One table per size, then the targets at the largest size measured."""
    info = info or machine()
    lines = [
        f"Machine: {info['cores']} cores, {info['memory_gib']} GiB, load average "
        f"{', '.join(f'{x:.1f}' for x in info['load_average'] or ())} at the end "
        f"(a shared machine: figures above 1 per core are inflated); Python {info['python']}, "
        f"pyoxigraph {info['pyoxigraph']}.",
        "",
    ]
    for size, is_import in dict.fromkeys((m.size, m.step.startswith("import")) for m in measures):
        rows = [m for m in measures if m.size == size and m.step.startswith("import") == is_import]
        heading = (
            f"### import of {size:,} CSV rows ({rows[0].triples:,} triples)"
            if rows[0].step.startswith("import")
            else f"### {size:,} triples asked ({rows[0].triples:,} in the store)"
        )
        lines += [heading, "", "| step | seconds | runs | peak MiB | note |", "|---|---:|---:|---:|---|"]
        for m in rows:
            secs = (
                "-"
                if m.seconds is None
                else (f"{m.seconds * 1000:.1f} ms" if m.step.startswith("query") else f"{m.seconds:.2f}")
            )
            peak = "" if m.peak_mib is None else f"{m.peak_mib:,.0f}"
            lines.append(f"| {m.step} | {secs} | {m.runs} | {peak} | {m.note} |")
        queries = [m.seconds for m in rows if m.step.startswith("query") and m.seconds is not None]
        if queries:
            lines.append(
                f"| *slowest query* | {max(queries) * 1000:.1f} ms | | | "
                f"{sum(q > 0.1 for q in queries)} of {len(queries)} over 100 ms |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def explain_queries(files: list[Path], out: Path, progress: Callable[[str], None] = lambda _: None) -> list[Path]:
    """Oxigraph's own plan (with evaluation statistics) of every canned query on
    ``files`` with the ontology: the store is written to disk and each query, its
    parameters bound as in :func:`clusterkg.query.run`, is explained into
    ``OUT/NAME.txt`` (:func:`clusterkg.query.explain_to`). Returns the plan files."""
    from . import graph

    out.mkdir(parents=True, exist_ok=True)
    plans = []
    with tempfile.TemporaryDirectory(prefix="clusterkg-explain-") as tmp:
        gfs = graph.project_files(data=False) + [graph.GraphFile.for_path(p) for p in files]
        store = graph.build_store(gfs, Path(tmp) / "store")
        texts = {}
        for name, cq in sorted(query.catalogue().items()):
            bindings = query.bind_parameters(cq, parameters_for(store, cq), store=store)
            texts[name] = query.with_values(cq.text, bindings)
        del store
        for name, text in texts.items():
            progress(f"explain {name}")
            plan = out / f"{name}.txt"
            query.explain_to(Path(tmp) / "store", text, plan)
            plans.append(plan)
    return plans


if __name__ == "__main__":  # the engine child of _other_engine
    _engine_child(sys.argv[1], sys.argv[2:])
