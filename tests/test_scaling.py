"""Scaling guard: every canned query and the default validator on two synthetic
graphs 8x apart (5,000 and 40,000 triples). A linear step grows about 8x, a
quadratic one 64x; the guard fails when one grows more than 20x.

The only timing in the tests (README, Performance). To stay meaningful on a busy
machine each step is timed as the best of three runs, and times are floored at
``FLOOR`` seconds (a step that takes less than that at 40,000 triples cannot be
quadratic in any way that matters, and sub-millisecond times are mostly noise).
"""

from __future__ import annotations

import time

import pytest

from clusterkg import bench, query, synthetic, validate

SMALL, LARGE = 5_000, 40_000
LIMIT = 20.0
FLOOR = 0.010


def best_of(fn, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return max(best, FLOOR)


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    out = {}
    for size in (SMALL, LARGE):
        folder = tmp_path_factory.mktemp(f"synthetic-{size}")
        synthetic.generate(folder, size, faults=0.5)
        out[size] = validate.load(sorted(folder.glob("*.ttl")))
    return out


@pytest.mark.parametrize("name", sorted(query.catalogue()))
def test_canned_query_grows_linearly(graphs, name):
    cq = query.get(name)
    times = {}
    for size, loaded in graphs.items():
        params = bench.parameters_for(loaded.store, cq)
        times[size] = best_of(lambda p=params, s=loaded.store: query.run(name, p, store=s))
    growth = times[LARGE] / times[SMALL]
    assert growth <= LIMIT, (
        f"{name}: {times[SMALL] * 1000:.1f} ms at {SMALL:,} triples, "
        f"{times[LARGE] * 1000:.1f} ms at {LARGE:,}: {growth:.0f}x for 8x the data"
    )


def test_validator_grows_linearly(graphs):
    times = {size: best_of(lambda d=loaded: validate.validate_loaded(d), runs=2) for size, loaded in graphs.items()}
    growth = times[LARGE] / times[SMALL]
    assert growth <= LIMIT, f"validation: {times[SMALL]:.2f} s then {times[LARGE]:.2f} s: {growth:.0f}x"
