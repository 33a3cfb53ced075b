"""The report in a real browser: headless Chromium (Debian's ``chromium``, which
``.ci/install-chromium`` installs) opens the page with JavaScript, and the test
reads from the DOM what the scripts drew: the network's nodes and ties
(cytoscape.js), the map's places, arcs and shaded countries (d3-geo), in English
and in French; that no script failed and nothing was written to the console; and
that a cluster's filter shows exactly its neighbourhood. Screenshots are written
beside the pages (``CLUSTERKG_SCREENSHOTS=DIR`` keeps them in DIR).

Skipped, with the reason, when no Chromium is installed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from clusterkg.cli import main

CHROMIUM = next(
    (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None
)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (.ci/install-chromium installs it)")

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--disable-extensions",
    "--mute-audio",
]


def chromium(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    """Chromium headless on ``url`` (bounded: 120 s), console messages on stderr."""
    return subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            *extra,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def attributes(dom: str, element_id: str) -> dict[str, str]:
    m = re.search(rf'<[a-z]+\b[^>]*\bid="{element_id}"[^>]*>', dom)
    assert m, f"no element #{element_id} in the DOM"
    return dict(re.findall(r'([a-z-]+)="([^"]*)"', m.group(0)))


def root(dom: str) -> dict[str, str]:
    m = re.search(r"<html\b[^>]*>", dom)
    return dict(re.findall(r'([a-z-]+)="([^"]*)"', m.group(0)))


def page_data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text, re.S)
    return json.loads(m.group(1))


@pytest.fixture(scope="module", params=["en", "fr"])
def opened(request, tmp_path_factory):
    lang = request.param
    out = tmp_path_factory.mktemp(f"report-{lang}")
    # 0, or 1 when the data does not conform (the page is written all the same;
    # test_report.py checks the verdict): what is drawn is tested here
    assert main(["report", "--lang", lang, "--out", str(out)]) in (0, 1)
    page = out / "index.html"
    done = chromium(page.as_uri(), out / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    shots = Path(os.environ.get("CLUSTERKG_SCREENSHOTS") or out)
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / f"report-{lang}.png"
    chromium(page.as_uri(), out / "profile-shot", "--window-size=1400,2400", f"--screenshot={shot}")
    return lang, page, done.stdout, done.stderr, shot


def test_scripts_ran_without_errors(opened):
    lang, page, dom, stderr, _ = opened
    r = root(dom)
    assert r.get("data-rendered") == "1"
    assert "data-errors" not in r, r.get("data-errors")
    assert console(stderr) == []
    assert r["lang"] == lang


def test_network_draws_every_node_and_tie(opened):
    lang, page, dom, _, _ = opened
    net = attributes(dom, "network")
    # the seed graph: 9 clusters, 16 cities, 2 missions, 2 people, ... (test_report.py counts them by kind)
    assert (net["data-nodes"], net["data-edges"]) == ("67", "110")
    data = page_data(page)["network"]
    assert (len(data["nodes"]), len(data["edges"])) == (67, 110)
    # cytoscape drew on its canvases
    assert dom.count("<canvas") >= 1


def test_map_draws_places_arcs_and_countries(opened):
    lang, page, dom, _, _ = opened
    geo = page_data(page)["geo"]
    m = attributes(dom, "map")
    # the 16 cities of the graph (all have coordinates) and 6 arcs (test_report.py names them)
    assert int(m["data-places"]) == len(geo["points"]) == dom.count('class="place') == 16
    assert int(m["data-arcs"]) == len(geo["arcs"]) == dom.count('class="arc"') == 6
    assert 0 < int(m["data-labels"]) <= 16
    # the countries the clusters are tied to (partner, target, located-in), shaded from Natural Earth;
    # Malta is too small for the 1:110m map and is named under it
    assert len(geo["countries"]) == 19
    assert m["data-countries"] == "18" and dom.count('class="land tied"') == 18
    missing = {
        "en": "Too small for the 1:110m map, not drawn: Malta.",
        "fr": "Trop petits pour la carte au 1:110m, non dessinés : Malte.",
    }[lang]
    assert f'<span id="map-missing">{missing}</span>' in dom
    assert dom.count('class="land') == 177  # world-atlas countries-110m


def test_cluster_filter_shows_its_neighbourhood(opened, tmp_path):
    lang, page, _, _, _ = opened
    data = page_data(page)["network"]
    focus = "https://w3id.org/clusterkg/id/digital-113"
    neighbours = {
        e["target"] if e["source"] == focus else e["source"]
        for e in data["edges"]
        if focus in (e["source"], e["target"])
    }
    # region, 7 antenna cities, 2 predecessors, 2 co-presidents, 2 funders
    assert len(neighbours) == 14
    done = chromium(page.as_uri() + "#network:" + focus, tmp_path / "profile", "--dump-dom")
    net = attributes(done.stdout, "network")
    assert net["data-visible-nodes"] == str(1 + len(neighbours))
    assert console(done.stderr) == []


def test_screenshot_written(opened):
    _, _, _, _, shot = opened
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
