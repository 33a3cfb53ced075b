"""Benchmark: how loading, querying and validating scale with the size of the graph.

For each size, a synthetic graph (clusterkg.synthetic) is generated once into a
cache folder, then each step is timed with ``time.perf_counter`` on this
machine. The figures are reported, never asserted: tests do not time things.

Steps (each can be skipped above a size limit, since some engines are known to
take minutes at a million triples):
  load      parse + check literals + load into the embedded pyoxigraph store
  group-by  the canned query with a GROUP BY over the whole graph
  path      the canned query with a property path
  validate-pyshacl      SHACL validation with pySHACL (the default engine)
  validate-topbraid  SHACL validation with TopQuadrant's engine (Java)
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from . import graph, synthetic


@dataclass
class Measure:
    size: int            # triples asked for
    triples: int         # triples in the store (data + ontology)
    step: str
    seconds: float | None
    note: str = ""


@dataclass
class Plan:
    sizes: list[int]
    cache: Path
    validate_up_to: dict[str, int] = field(default_factory=lambda: {
        "validate-pyshacl": 100_000, "validate-topbraid": 1_000_000})
    steps: list[str] = field(default_factory=lambda: [
        "load", "group-by", "path", "validate-pyshacl", "validate-topbraid"])


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run(plan: Plan, progress: Callable[[str], None] = lambda _: None) -> list[Measure]:
    out: list[Measure] = []
    for size in plan.sizes:
        folder = plan.cache / f"synthetic-{size}"
        progress(f"generating {size:,} triples")
        generated = synthetic.generate(folder, size)
        files = graph.project_files(data=False) + [graph.GraphFile.for_path(p) for p in generated.files]
        progress(f"loading {size:,}")
        seconds, store = _timed(lambda: graph.build_store(files))
        triples = len(store)
        out.append(Measure(size, triples, "load", seconds))
        for step in plan.steps[1:]:
            progress(f"{step} on {size:,}")
            limit = plan.validate_up_to.get(step)
            if limit is not None and size > limit:
                out.append(Measure(size, triples, step, None, f"skipped above {limit:,} triples"))
                continue
            seconds, note = _timed(lambda: STEPS[step](store))
            out.append(Measure(size, triples, step, seconds, str(note or "")))
    return out


def _group_by(store) -> str:
    from .query import run as run_query
    result = run_query("node-degree", {"min_degree": "1"}, store=store)
    return f"{len(result.rows)} rows"


def _path(store) -> str:
    from .query import run as run_query
    result = run_query("cities-reachable", {"city": synthetic.CK + "city-0"}, store=store)
    return f"{len(result.rows)} rows"


def _validate(engine: str) -> Callable:
    def step(store) -> str:
        from .validate import validate_store
        report = validate_store(store, engine=engine)
        return f"{len(report.results)} results"
    return step


STEPS: dict[str, Callable] = {
    "group-by": _group_by,
    "path": _path,
    "validate-pyshacl": _validate("pyshacl"),
    "validate-topbraid": _validate("topbraid"),
}


def to_json(measures: list[Measure]) -> str:
    return json.dumps([asdict(m) for m in measures], indent=2)
