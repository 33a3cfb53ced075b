"""How every command behaves: CURIEs in and out, tables that fit the terminal,
-v/--quiet, NO_COLOR, data on standard output and talk on standard error, a
byte-order mark, and the scripts' command lines."""

from __future__ import annotations

import codecs
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clusterkg import cli, project
from clusterkg.cli import main

REPO = Path(__file__).resolve().parent.parent
CK = project.ID_NS


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_curie_is_accepted_where_an_iri_is(capsys):
    by_iri = run(capsys, "query", "cluster-partners", "-p", f"cluster={CK}digital-113", "--format", "csv")
    by_curie = run(capsys, "query", "cluster-partners", "-p", "cluster=ck:digital-113", "--format", "csv")
    assert by_iri[0] == 0 and by_curie == by_iri
    # a prefix of the query's own, too (<…> as well)
    assert run(capsys, "query", "cluster-partners", "-p", f"cluster=<{CK}digital-113>", "--format", "csv") == by_iri


def test_an_unknown_curie_is_refused_as_an_iri_of_nothing(capsys):
    code, _, err = run(capsys, "query", "cluster-partners", "-p", "cluster=ck:atlantis")
    assert code == 3
    assert " ".join(err.split()) == (
        f'error: query "cluster-partners": parameter "cluster": <{CK}atlantis> is not a ckg:Cluster in the graph'
    )


@pytest.mark.parametrize("name", ["cluster-partners", "timeline", "clusters", "network-members"])
def test_tables_fit_80_columns_and_never_cut_a_curie(name, capsys, monkeypatch, store):
    from clusterkg import query

    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run(capsys, "query", name)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in out
    result = query.run(name, store=store)
    curies = {
        query.shorten(t.value, result.prefixes)
        for row in result.terms
        for t in row
        if isinstance(t, query.ox.NamedNode)
    }
    assert curies, "the query returns IRIs"
    cells = {cell.strip() for line in lines for cell in line.split("│")}
    assert curies <= cells  # every IRI whole, on one line of one cell


def test_a_narrow_result_keeps_its_columns(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "query", "cluster-sites", "-p", "cluster=ck:cap-digital")
    assert code == 0
    assert [c.strip() for c in out.splitlines()[2].split("┃")[1:-1]] == [
        "cluster",
        "kind",
        "site",
        "town",
        "region",
        "country",
    ]
    assert [c.strip() for c in out.splitlines()[4].split("│")[1:-1]] == [
        "ck:cap-digital",
        "seat",
        "",
        "Paris",
        "Île-de-France",
        "France",
    ]


def test_a_wide_result_is_shown_as_one_block_per_row(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "query", "clusters")
    assert code == 0
    first = [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines()[2:11]]
    assert first == [
        ["cluster", "ck:cap-digital"],
        ["clusterLabel", "Cap Digital"],
        ["kind", "competitiveness cluster"],
        ["city", "Paris"],
        ["region", "Île-de-France"],
        ["country", "France"],
        ["founded", "2006"],
        ["sector", "digital content and services"],
        ["homepage", "http://www.capdigital.com/"],
    ]


def _clusterkg(*argv: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "clusterkg.cli", *argv],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=120,
    )


def test_no_color(tmp_path):
    bad = tmp_path / "broken.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a foo:b ex:c .\n", encoding="utf-8")
    coloured = _clusterkg("stats", str(bad), env={"FORCE_COLOR": "1"})
    plain = _clusterkg("stats", str(bad), env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert coloured.returncode == plain.returncode == 2
    assert "\x1b[31m" in coloured.stderr or "\x1b[1;31m" in coloured.stderr
    assert not re.search(r"\x1b\[[0-9;]*3[0-9]m", plain.stderr)
    assert re.sub(r"\x1b\[[0-9;]*m", "", plain.stderr).startswith(f"error: {bad}:2:6: Turtle syntax error")


def test_quiet_keeps_standard_error_to_errors(capsys):
    code, out, err = run(capsys, "validate")
    assert code == 0 and re.fullmatch(r"fast, inference none: \d+\.\d s\n", err)
    code, quiet_out, quiet_err = run(capsys, "-q", "validate")
    assert (code, quiet_out, quiet_err) == (0, out, "")
    code, _, err = run(capsys, "--quiet", "stats", "missing.ttl")
    assert code == 2 and " ".join(err.split()) == "error: missing.ttl: cannot read file: No such file or directory"


def test_verbose_shows_the_log(tmp_path, capsys):
    bom = tmp_path / "bom.ttl"
    bom.write_bytes(codecs.BOM_UTF8 + b"@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n")
    code, out, err = run(capsys, "-v", "stats", str(bom))
    assert code == 0
    assert f"clusterkg.graph: {bom}: skipping its UTF-8 byte-order mark\n" in err
    assert "skipping" not in out
    code, _, err = run(capsys, "stats", str(bom))  # -v is not sticky
    assert (code, err) == (0, "")
    code, _, err = run(capsys, "-vv", "stats", str(bom))
    assert f"clusterkg: debug: assets: {project.ROOT}\n" in err


def test_a_byte_order_mark_is_accepted_and_utf16_named(tmp_path, capsys):
    bom = tmp_path / "bom.ttl"
    bom.write_bytes(
        codecs.BOM_UTF8 + b"@prefix ck: <https://w3id.org/clusterkg/id/> .\n"
        b'ck:x <http://www.w3.org/2000/01/rdf-schema#label> "x"@en .\n'
    )
    assert run(capsys, "validate", str(bom))[0] == 0
    utf16 = tmp_path / "utf16.ttl"
    utf16.write_bytes("@prefix ex: <http://example.org/> .\n".encode("utf-16"))
    code, _, err = run(capsys, "stats", str(utf16))
    assert code == 2
    assert " ".join(err.split()) == (
        f"error: {utf16}:1:1: the file is UTF-16 (it starts with a UTF-16 byte-order mark): Turtle must be UTF-8"
    )


def test_version(capsys):
    import clusterkg

    assert run(capsys, "--version") == (0, f"clusterkg {clusterkg.__version__}\n", "")
    assert run(capsys, "-V")[1] == f"clusterkg {clusterkg.__version__}\n"


def test_output_settings_do_not_leak_between_invocations(capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    run(capsys, "-q", "query", "--list")
    assert cli.err_console.quiet and cli.console.no_color and cli.error_console.no_color
    monkeypatch.delenv("NO_COLOR")
    run(capsys, "query", "--list")
    assert not cli.err_console.quiet and not cli.console.no_color and not cli.error_console.no_color


def test_generate_synthetic_help_writes_nothing(tmp_path):
    script = REPO / "scripts" / "generate_synthetic.py"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, str(script), "--help"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.startswith("usage: generate_synthetic.py")
    assert list(tmp_path.iterdir()) == []
    done = subprocess.run(
        [sys.executable, str(script), "out", "0"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "N must be at least 1" in done.stderr
    assert list(tmp_path.iterdir()) == []
    done = subprocess.run(
        [sys.executable, str(script), "out", "400"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "agreements.ttl",
        "clusters.ttl",
        "networks.ttl",
        "observations.ttl",
        "places.ttl",
        "sources.ttl",
    ]
