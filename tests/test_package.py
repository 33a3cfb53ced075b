"""The package as users install it: a wheel built from the repository, installed
into a fresh virtual environment, runs every verb from another folder (the
assets travel inside the wheel); optional parts are optional.

The wheel is built once per test run. The fresh environment holds only the
wheel (``--no-deps``); its dependencies are those of the environment running
the tests, reached through a ``.pth`` line (not a site folder: its editable
install of clusterkg is not seen).
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from clusterkg import picture, report
from clusterkg.cli import main

REPO = Path(__file__).resolve().parent.parent
FOLDERS = ("ontology", "data", "shapes", "queries")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CLUSTERKG_ROOT", "VIRTUAL_ENV")}
    env.update(extra)
    return env


def _run(argv: list[str | Path], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=_env(**env), capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """``pip wheel`` of a copy of the repository (no build litter in the working copy)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(
        REPO,
        src,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            ".pytest_cache",
            ".mypy_cache",
            ".ruff_cache",
            "tests",
        ),
    )
    try:
        setuptools = int(importlib.metadata.version("setuptools").split(".")[0])
    except importlib.metadata.PackageNotFoundError:
        setuptools = 0
    # offline when the running environment has the build requirement (the test extra brings it)
    isolation = ["--no-build-isolation"] if setuptools >= 77 else []
    done = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *isolation, "-w", tmp / "dist", src], tmp)
    assert done.returncode == 0, done.stderr
    [built] = (tmp / "dist").glob("clusterkg-*.whl")
    return built


@pytest.fixture(scope="session")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed; returns its bin folder."""
    root = tmp_path_factory.mktemp("venv") / "env"
    done = _run([sys.executable, "-m", "venv", "--without-pip", root], root.parent)
    assert done.returncode == 0, done.stderr
    bin_dir = root / ("Scripts" if os.name == "nt" else "bin")
    purelib = Path(
        _run([bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], root).stdout.strip()
    )
    deps = [p for p in [*site.getsitepackages(), sysconfig.get_path("purelib")] if Path(p).is_dir()]
    (purelib / "zz_test_dependencies.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n", encoding="utf-8")
    # HIDE_MODULES="a b" makes those modules absent (as if not installed), to try a bare install
    (purelib / "sitecustomize.py").write_text(
        "import os, sys\nfor m in os.environ.get('HIDE_MODULES', '').split():\n    sys.modules[m] = None\n",
        encoding="utf-8",
    )
    done = _run([bin_dir / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel], root)
    assert done.returncode == 0, done.stderr
    return bin_dir


def test_the_wheel_holds_the_assets_and_both_licences(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in FOLDERS:
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and path.suffix in (".ttl", ".jsonld", ".rq", ".ru"):
                assert f"clusterkg/assets/{path.relative_to(REPO).as_posix()}" in names, path
    info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    assert {f"{info}/licenses/LICENSE", f"{info}/licenses/LICENSE-DATA"} <= names
    metadata = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode("utf-8")
    assert "License-Expression: MIT" in metadata
    assert "Provides-Extra: picture" in metadata


def test_installed_package_reads_its_own_assets(venv, tmp_path):
    done = _run(
        [venv / "python", "-c", "import clusterkg, clusterkg.project as p; print(clusterkg.__file__); print(p.ROOT)"],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    module, root = (Path(line) for line in done.stdout.splitlines())
    assert module.is_relative_to(venv.parent) and root == module.parent / "assets"


def test_every_verb_runs_from_another_folder(venv, tmp_path, store):
    clusterkg = venv / "clusterkg"
    version = _run([clusterkg, "--version"], tmp_path)
    assert (version.returncode, version.stdout) == (0, f"clusterkg {project_version()}\n")

    stats = _run([clusterkg, "stats"], tmp_path, COLUMNS="100")
    assert stats.returncode == 0, stats.stderr
    assert f"│ total{' ' * 48}│ {len(store):>7} │" in stats.stdout

    validate = _run([clusterkg, "-q", "validate"], tmp_path)
    assert (validate.returncode, validate.stderr) == (0, "")
    assert validate.stdout.splitlines()[-1].startswith("conforms")

    listing = _run([clusterkg, "query", "--list"], tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout == _in_process_listing()

    partners = _run([clusterkg, "query", "network-members", "--format", "csv"], tmp_path)
    assert partners.returncode == 0, partners.stderr
    assert len(partners.stdout.splitlines()) == 7  # the header and REDICT's six members

    built = _run([clusterkg, "report"], tmp_path)
    assert built.returncode == 0, built.stderr
    page = tmp_path / "build" / "report" / "index.html"
    assert f"report: {Path('build') / 'report' / 'index.html'}" in built.stdout
    assert "<svg" in page.read_text(encoding="utf-8")


#: What only the optional extras bring (picture, docs, pandas).
EXTRAS_MODULES = "matplotlib networkx scipy numpy pylode pandas"


def test_a_bare_install_runs_the_main_job(venv, tmp_path):
    hidden = _run(
        [venv / "python", "-c", "import importlib.util as u; print(u.find_spec('networkx'))"],
        tmp_path,
        HIDE_MODULES=EXTRAS_MODULES,
    )
    assert hidden.stdout == "None\n", hidden.stderr
    built = _run([venv / "clusterkg", "report"], tmp_path, HIDE_MODULES=EXTRAS_MODULES)
    assert built.returncode == 0, built.stderr
    assert "  picture: networkx is not installed (pip install 'clusterkg[picture]')" in built.stdout
    html = (tmp_path / "build" / "report" / "index.html").read_text(encoding="utf-8")
    assert 'href="network.svg"' not in html and "No static picture: networkx is not installed" in html
    picture = _run([venv / "clusterkg", "picture"], tmp_path, HIDE_MODULES=EXTRAS_MODULES)
    assert picture.returncode == 4
    assert picture.stderr == (
        "error: clusterkg picture needs networkx, which is not installed: pip install 'clusterkg[picture]'\n"
    )


def test_clusterkg_root_names_a_working_copy(venv, tmp_path):
    copy = tmp_path / "copy"
    for folder in FOLDERS:
        shutil.copytree(REPO / folder, copy / folder)
    (copy / "data" / "extra.ttl").write_text(
        "@prefix ck: <https://w3id.org/clusterkg/id/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'ck:extra rdfs:label "extra"@en .\n',
        encoding="utf-8",
    )
    done = _run([venv / "clusterkg", "stats"], tmp_path, CLUSTERKG_ROOT=str(copy), COLUMNS="100")
    assert done.returncode == 0, done.stderr
    assert "│ https://w3id.org/clusterkg/graph/data/extra" in done.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    done = _run([venv / "clusterkg", "stats"], tmp_path, CLUSTERKG_ROOT=str(empty))
    assert done.returncode == 2
    assert " ".join(done.stderr.split()) == (
        f"error: {empty / 'ontology'}: no ontology/ folder (CLUSTERKG_ROOT {empty} does not hold the assets)"
    )


def project_version() -> str:
    import clusterkg

    return clusterkg.__version__


def _in_process_listing() -> str:
    from clusterkg import query

    return query.describe_catalogue(query.catalogue())


# --- without the optional extras ------------------------------------------------------


def test_report_without_the_picture_extra_has_a_note_instead(monkeypatch, tmp_path):
    monkeypatch.setattr(picture, "MISSING", "networkx")
    r = report.build(tmp_path / "report")
    assert r.picture is None
    assert r.picture_note == "networkx is not installed (pip install 'clusterkg[picture]')"
    html = r.path.read_text(encoding="utf-8")
    assert 'href="network.svg"' not in html  # the map and the network are SVG too: no static picture
    assert (
        '<p class="empty">No static picture: networkx is not installed (pip install &#39;clusterkg[picture]&#39;)</p>'
        in html
    )
    assert sorted(p.name for p in (tmp_path / "report").iterdir()) == ["index.html"]


def test_picture_without_its_extra_says_what_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(picture, "MISSING", "matplotlib")
    assert main(["picture", "--out", str(tmp_path / "p")]) == 4
    assert " ".join(capsys.readouterr().err.split()) == (
        "error: clusterkg picture needs matplotlib, which is not installed: pip install 'clusterkg[picture]'"
    )
    assert not list(tmp_path.iterdir())


def test_docs_without_pylode_says_what_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "pylode", None)
    monkeypatch.delitem(sys.modules, "pylode.profiles.ontpub", raising=False)
    assert main(["docs", "--out", str(tmp_path / "d")]) == 4
    assert " ".join(capsys.readouterr().err.split()) == (
        "error: clusterkg docs needs pyLODE, which is not installed: pip install 'clusterkg[docs]'"
    )
