"""The ``clusterkg`` command line: one thin command per verb of the package.

Exit codes (the same for every command):
  0  success (for ``validate``: the data conforms; for ``check``: every check passed)
  1  the data does not conform to the shapes (``check``: a check found problems)
  2  an input file could not be read or parsed
  3  a query name or parameter was refused
  4  a SPARQL server failed, refused or answered something unexpected
  64 the command line itself was wrong (unknown option, missing argument)

Manners (every command): data goes to standard output, talk (progress, timings,
warnings, log messages) to standard error; ``-v``/``-vv`` shows the package's
log messages (INFO, DEBUG), ``-q``/``--quiet`` keeps standard error to errors
only; ``NO_COLOR`` (https://no-color.org) turns colours off.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__, graph, project
from .sparql import internal_query

if TYPE_CHECKING:
    import signal

    from .server import Front, OxigraphServer

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_INPUT = 2
EXIT_PARAMETER = 3
EXIT_REMOTE = 4
EXIT_USAGE = 64

console = Console()  # data (standard output)
err_console = Console(stderr=True)  # talk: progress, timings, warnings (silenced by --quiet)
error_console = Console(stderr=True)  # errors (always shown)

log = logging.getLogger("clusterkg")


class CliError(click.ClickException):
    """An error the user can act on: printed as ``error: …``, with its own exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it a class variable

    def show(self, file=None) -> None:  # noqa: D401 - click API
        error_console.print(
            f"[bold red]error:[/] {escape(self.format_message())}", markup=True, highlight=False, soft_wrap=True
        )  # one line: "file:line:column: reason" must not be folded


def load_store(files: tuple[Path, ...] = ()):
    """The project's graph (or the given files with the ontology) in the embedded store."""
    from . import validate

    try:
        return validate.load(files).store  # with progress on a terminal
    except graph.LoadError as e:
        raise CliError(str(e), EXIT_INPUT) from None


def data_files(files: tuple[Path, ...], data: Path | None) -> tuple[Path, ...]:
    """FILES and the ``*.ttl`` of ``--data DIR`` (none: the project's data/)."""
    if data is None:
        return files
    if not data.is_dir():
        raise CliError(f"{data}: --data must name a folder of Turtle files", EXIT_INPUT)
    found = tuple(sorted(data.glob("*.ttl")))
    if not found:
        raise CliError(f"{data}: no *.ttl file in this folder", EXIT_INPUT)
    return found + tuple(f for f in files if f not in found)


def data_arguments(fn):
    """``FILES...`` and ``--data DIR``: the data to work on instead of the project's
    data/ (the ontology is always added)."""
    fn = click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, path_type=Path),
        metavar="DIR",
        help="Use the Turtle files of DIR (*.ttl) as the data (default: the project's data/).",
    )(fn)
    return click.argument("files", nargs=-1, type=click.Path(path_type=Path))(fn)


# --- the one way to name a SPARQL server (load, query, stats) -------------------


def endpoint_options(required: bool, timeout: float, timeout_help: str):
    """``--endpoint URL --server KIND`` (or explicit URLs), ``--auth``, ``--timeout``."""

    def decorate(f):
        for option in reversed(
            [
                click.option(
                    "--endpoint",
                    required=required,
                    metavar="URL",
                    help="Base URL of a SPARQL server (http://host:7878 for Oxigraph, http://host:8890 "
                    "for Virtuoso; the SPARQL endpoint itself with --server generic).",
                ),
                click.option(
                    "--server",
                    "server_kind",
                    type=click.Choice(["oxigraph", "virtuoso", "generic"]),
                    default="oxigraph",
                    show_default=True,
                    help="Which endpoints the server has under --endpoint.",
                ),
                click.option("--query-url", metavar="URL", help="SPARQL query endpoint (default: from --server)."),
                click.option("--update-url", metavar="URL", help="SPARQL Update endpoint (default: from --server)."),
                click.option(
                    "--gsp-url", metavar="URL", help="Graph Store Protocol endpoint (default: from --server)."
                ),
                click.option(
                    "--auth",
                    type=click.Choice(["basic", "digest"]),
                    help="HTTP authentication for the credentials of CLUSTERKG_USER / CLUSTERKG_PASSWORD "
                    "or netrc (default: digest for virtuoso, else basic).",
                ),
                click.option(
                    "--timeout", type=click.FloatRange(min=0.1), default=timeout, show_default=True, help=timeout_help
                ),
            ]
        ):
            f = option(f)
        return f

    return decorate


def remote_client(
    endpoint: str,
    server_kind: str,
    query_url: str | None,
    update_url: str | None,
    gsp_url: str | None,
    auth: str | None,
    timeout: float,
    retries: int = 2,
):
    """The remote layer's client for the endpoint options."""
    from . import remote

    endpoints = remote.Endpoints.for_server(endpoint, server_kind, query=query_url, update=update_url, gsp=gsp_url)
    return remote.SparqlClient(
        endpoints,
        timeout=timeout,
        retries=retries,
        auth=remote.make_auth(auth or endpoints.profile.auth, endpoints.update),
    )


class _LogHandler(logging.Handler):
    """Log records to the standard error of the moment (``clusterkg: message``)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
            sys.stderr.write(f"{record.name}: {level}{record.getMessage()}\n")
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def setup_output(verbose: int = 0, quiet: bool = False) -> None:
    """Log level from ``-v``/``--quiet``, talk on or off, colours from ``NO_COLOR``."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    for h in [h for h in log.handlers if isinstance(h, _LogHandler)]:
        log.removeHandler(h)
    log.addHandler(_LogHandler())
    log.setLevel(level)
    log.propagate = False
    no_color = bool(os.environ.get("NO_COLOR"))
    for c in (console, err_console, error_console):
        c.no_color = no_color
    err_console.quiet = quiet


@click.group()
@click.version_option(__version__, "--version", "-V", prog_name="clusterkg", message="%(prog)s %(version)s")
@click.option("-v", "--verbose", count=True, help="Show what is done (-v), and how (-vv), on standard error.")
@click.option("-q", "--quiet", is_flag=True, help="Standard error shows errors only (no progress, timings, warnings).")
def cli(verbose: int, quiet: bool) -> None:
    """An open knowledge graph of innovation clusters.

    Data goes to standard output, everything else to standard error. NO_COLOR
    turns colours off; CLUSTERKG_ROOT names a working copy whose ontology/,
    data/, shapes/ and queries/ replace the installed ones.
    """
    setup_output(verbose, quiet)
    log.debug("assets: %s", project.ROOT)
    project.check_root()


@cli.command()
@data_arguments
@endpoint_options(False, 60.0, "Seconds each request to the server may take in all.")
def stats(
    files: tuple[Path, ...],
    data_dir: Path | None,
    endpoint: str | None,
    server_kind: str,
    query_url: str | None,
    update_url: str | None,
    gsp_url: str | None,
    auth: str | None,
    timeout: float,
) -> None:
    """Print triples per named graph and instances per class.

    FILES are Turtle files to count instead of the project's data (the ontology
    is always loaded). With --endpoint: the graphs loaded on that server.
    """
    files = data_files(files, data_dir)
    per_graph = Table(title="Triples per graph")
    per_graph.add_column("graph")
    per_graph.add_column("triples", justify="right")
    per_class = Table(title="Instances per class")
    per_class.add_column("class")
    per_class.add_column("instances", justify="right")
    if endpoint:
        from . import remote

        if files:
            raise click.UsageError("give FILES or --endpoint, not both")
        try:
            with remote_client(endpoint, server_kind, query_url, update_url, gsp_url, auth, timeout) as client:
                reader = remote.Reader(client)
                graphs = sorted(reader.counts().items())
                classes = [
                    (b["class"]["value"], b["instances"]["value"])
                    for b in reader.results(internal_query("instances-per-class"))["results"]["bindings"]
                ]
        except remote.RemoteError as e:
            raise CliError(str(e), EXIT_REMOTE) from None
    else:
        store = load_store(files)
        graphs = [
            (row["graph"].value, int(row["triples"].value)) for row in store.query(internal_query("triples-per-graph"))
        ]
        classes = [
            (row["class"].value, row["instances"].value) for row in store.query(internal_query("instances-per-class"))
        ]
    for name, n in graphs:
        per_graph.add_row(name, str(n))
    per_graph.add_row("[bold]total[/]", f"[bold]{sum(n for _, n in graphs)}[/]")
    console.print(per_graph)
    for cls, n in classes:
        per_class.add_row(project.shorten(cls), n)
    console.print(per_class)


@cli.command("validate")
@data_arguments
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "turtle", "json"]),
    default="text",
    show_default=True,
    help="text: by node, for people; turtle: the SHACL validation report; json: the results as a list.",
)
@click.option(
    "--inference",
    type=click.Choice(["none", "rdfs", "owlrl", "both"]),
    default="none",
    show_default=True,
    help="Inference before validating (none: see README, Validating).",
)
@click.option(
    "--engine",
    type=click.Choice(["fast", "pyshacl", "topbraid"]),
    default="fast",
    show_default=True,
    help="fast (SHACL compiled to SPARQL on the embedded store), pyshacl (the reference, in "
    "process) or topbraid (TopQuadrant SHACL, needs Java >= 21).",
)
def validate_cmd(files: tuple[Path, ...], data_dir: Path | None, fmt: str, inference: str, engine: str) -> None:
    """Check the data against the SHACL shapes of shapes/.

    FILES are Turtle files to validate instead of data/*.ttl (the ontology and the
    vocabulary are always loaded). Exit code 0: the data conforms (warnings are
    shown but allowed); 1: violations; 2: a file cannot be read or parsed; 4: the
    engine cannot run.
    """
    from . import engines, validate

    try:
        v = validate.validate_files(data_files(files, data_dir), engine=engine, inference=inference)
    except graph.LoadError as e:
        raise CliError(str(e), EXIT_INPUT) from None
    except engines.EngineError as e:
        raise CliError(str(e), EXIT_REMOTE) from None
    formats = {"text": validate.to_text, "turtle": validate.to_turtle, "json": validate.to_json}
    click.echo(formats[fmt](v), nl=False)
    err_console.print(f"{engine}, inference {inference}: {v.seconds:.1f} s", highlight=False)
    if not v.conforms:
        raise CliError(f"the data does not conform to the shapes: {v.summary()}", EXIT_VIOLATIONS)


@cli.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: grouped by check, one line per problem; json: every problem of every check.",
)
@click.option(
    "--skip",
    multiple=True,
    metavar="CHECK",
    help="Leave out a check (consistency, owl2-dl, qc, qc:NAME ...); repeatable.",
)
def check_cmd(files: tuple[Path, ...], fmt: str, skip: tuple[str, ...]) -> None:
    """The quality gate: the shapes against SHACL for SHACL, every term declared,
    HermiT consistency with PROV-O/ORG/SKOS loaded, OWL 2 DL ontology files, and the
    queries/qc/ queries (unique labels, every data triple supported ...), none of
    which may return a row.

    FILES are Turtle files to check instead of data/*.ttl. Exit code 0: every check
    passed; 1: problems (listed, file:line where known); 2: a file cannot be read;
    4: a check could not run (e.g. no Java for HermiT).
    """
    from . import check

    known = [*check.CHECKS, "qc", *(f"qc:{p.stem}" for p in check.qc_queries(project.ROOT))]
    unknown = [name for name in skip if name not in known]
    if unknown:
        raise CliError(f"--skip {unknown[0]}: no such check (one of: {', '.join(known)})", EXIT_USAGE)
    try:
        report = check.run(files=files, skip=skip)
    except graph.LoadError as e:
        raise CliError(str(e), EXIT_INPUT) from None
    click.echo(check.to_json(report) if fmt == "json" else check.to_text(report), nl=False)
    if report.failed:
        names = ", ".join(r.name for r in report.failed)
        raise CliError(f"check failed: {names} ({report.summary()})", EXIT_VIOLATIONS)
    if report.errors:
        names = ", ".join(r.name for r in report.errors)
        raise CliError(f"check could not run: {names}", EXIT_REMOTE)


@cli.command("report")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/report"),
    show_default=True,
    help="Folder to write index.html (and the picture) into.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "fr"]),
    default="en",
    show_default=True,
    help="Language of the page: headings, captions and the graph's labels.",
)
@endpoint_options(False, 300.0, "With --endpoint: seconds each request to the server may take in all.")
@click.option(
    "--max-mb",
    type=click.FloatRange(min=0),
    default=1024,
    show_default=True,
    help="With --endpoint: the largest graph (MB of N-Triples) fetched from the server.",
)
@data_arguments
def report_cmd(
    out: Path,
    lang: str,
    endpoint: str | None,
    server_kind: str,
    query_url: str | None,
    update_url: str | None,
    gsp_url: str | None,
    auth: str | None,
    timeout: float,
    max_mb: float,
    files: tuple[Path, ...],
    data_dir: Path | None,
) -> None:
    """The main job: load, validate, run every canned query, draw the network, and
    write one self-contained HTML report (OUT/index.html).

    With --endpoint: on the project's graphs loaded on that server (the versions
    its catalogue names, fetched into the embedded store first) instead of files.
    Exits 1 when the data does not conform and 3 when a canned query failed (the
    report is written in both cases), 4 when the server failed (nothing written),
    else 0.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from . import query as query_mod
    from . import report

    snapshot = None
    if endpoint:
        if files or data_dir:
            raise click.UsageError("give FILES (or --data) or --endpoint, not both")
        client = remote_client(endpoint, server_kind, query_url, update_url, gsp_url, auth, timeout)
        snapshot = _fetch_graphs(client, int(max_mb * 2**20))

    steps = 5 + len(query_mod.catalogue())
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    with progress:
        task = progress.add_task("report", total=steps)

        def on_step(text: str) -> None:
            progress.update(task, description=text)
            if not text.startswith(("loading", "running")):
                progress.advance(task)

        def on_query(name: str) -> None:
            progress.update(task, description=f"query {name}")
            progress.advance(task)

        try:
            r = report.build(
                out,
                lang=lang,
                on_step=on_step,
                on_query=on_query,
                files=data_files(files, data_dir),
                snapshot=snapshot,
            )
            progress.update(task, completed=steps)
        except graph.LoadError as e:
            raise CliError(str(e), EXIT_INPUT) from None
    v = r.validation
    rows = sum(q.rows for q in r.queries)
    assert r.analysis is not None, "report.build analyses the graph"

    console.print(f"report: {r.path}", highlight=False, soft_wrap=True)
    if snapshot is not None:
        console.print(
            f"  from: {snapshot.url}, the {len(snapshot.catalogue)} graph versions its catalogue names "
            f"({snapshot.size / 2**20:.1f} MB fetched in {snapshot.seconds:.1f} s)",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"  graph: {r.triples} triples in {r.counts['graphs']} named graphs, {r.counts['named']} named clusters "
        f"+ {r.counts['unnamed']} unnamed, {r.counts['sources']} source documents",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"  pages: {len(r.analysis.pages)} clusters; network: {len(r.analysis.network['nodes'])} nodes, "
        f"{len(r.analysis.network['edges'])} ties; map: {len(r.analysis.geo['points'])} places, "
        f"{len(r.analysis.geo['arcs'])} arcs",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"  validation: {v.summary()}", highlight=False, soft_wrap=True)
    console.print(
        f"  queries: {len(r.queries)} run, {rows} rows, {len(r.failed)} failed", highlight=False, soft_wrap=True
    )
    console.print(f"  picture: {escape(r.picture_note)}", highlight=False, soft_wrap=True)
    console.print(f"open it in a browser: {r.path.resolve().as_uri()}", highlight=False, soft_wrap=True)
    if not v.conforms:
        raise CliError(
            f"the data does not conform: {v.summary()} (see the report's validation section)", EXIT_VIOLATIONS
        )
    if r.failed:
        raise CliError(f"{len(r.failed)} canned queries failed: {', '.join(q.name for q in r.failed)}", EXIT_PARAMETER)


def _fetch_graphs(client, max_bytes: int):
    """The project's graphs on the server (the versions its catalogue names), for the report."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from . import remote

    shown = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    try:
        with client, shown:
            fetching = shown.add_task("fetching the graphs", total=None)
            return remote.Reader(client).snapshot(
                max_bytes=max_bytes, on_graph=lambda g: shown.update(fetching, description=f"fetching {escape(g)}")
            )
    except remote.RemoteError as e:
        raise CliError(str(e), EXIT_REMOTE) from None


@cli.command("picture")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("build/picture/network"),
    show_default=True,
    help="Path without suffix: writes OUT.svg and OUT.png.",
)
@click.option("--focus", metavar="IRI", help="Draw the neighbourhood of this node (an IRI, or ck:name).")
@click.option(
    "--hops",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="With --focus: how many ties away from the node.",
)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=1),
    default=80,
    show_default=True,
    help="Above this, draw only clusters and networks (or, with --focus, the nearest nodes).",
)
def picture_cmd(out: Path, focus: str | None, hops: int, max_nodes: int) -> None:
    """Draw the network of clusters, cities, countries, networks, projects and agreements."""
    from . import picture

    if picture.MISSING is not None:
        raise CliError(
            f"clusterkg picture needs {picture.MISSING}, which is not installed: {picture.INSTALL_HINT}", EXIT_REMOTE
        )
    if focus:
        focus = project.expand(focus)
    store = load_store()
    try:
        pic = picture.picture(store, out, focus=focus, hops=hops, max_nodes=max_nodes)
    except KeyError:
        raise CliError(
            f"--focus {focus}: no such node in the picture (give the IRI of a cluster, city, "
            f"country, network, project or agreement)",
            EXIT_PARAMETER,
        ) from None
    assert pic.graph is not None  # the picture extra is installed
    console.print(
        f"drew {pic.graph.number_of_nodes()} nodes and {pic.graph.number_of_edges()} ties "
        f"({pic.note}): {', '.join(str(p) for p in pic.files.values())}",
        highlight=False,
        soft_wrap=True,
    )


@cli.command("docs")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/docs"),
    show_default=True,
    help="Folder to write index.html into.",
)
def docs_cmd(out: Path) -> None:
    """Write the HTML documentation of the ontology (pyLODE), with labels, definitions and alignments."""
    from . import docs

    try:
        path = docs.write(out)
    except docs.DocsUnavailable as e:
        raise CliError(str(e), EXIT_REMOTE) from None
    except docs.DocsError as e:
        raise CliError(str(e), EXIT_INPUT) from None
    console.print(
        f"documented {docs.count_terms(path)} classes and properties: {path}", highlight=False, soft_wrap=True
    )


@cli.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ttl", "nt", "nq", "trig", "jsonld", "csv"]),
    help="Output format (default: from the extension of --out).",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: standard output)."
)
@data_arguments
def export_cmd(fmt: str | None, out: Path | None, files: tuple[Path, ...], data_dir: Path | None) -> None:
    """Write the whole graph (ontology + data) in one file.

    trig, nq, jsonld and csv keep the named graphs (one per source file); ttl and
    nt merge them. jsonld is compacted with ontology/context.jsonld; csv has one
    row per quad (subject, predicate, object, graph) in N-Triples term syntax.
    """
    from . import export

    try:
        fmt = export.format_for(out, fmt)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    store = load_store(data_files(files, data_dir))
    data = export.export(store, fmt, out)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    graphs = {q.graph_name for q in store.quads_for_pattern(None, None, None, None)}
    err_console.print(
        f"wrote {len(store)} quads in {len(graphs)} named graphs as {fmt} to {out}"
        + (" (graphs merged)" if fmt in ("ttl", "nt") else ""),
        highlight=False,
        soft_wrap=True,
    )


def _graph_files_to_load(files: tuple[Path, ...], graph_name: str | None) -> list[graph.GraphFile]:
    """The ontology and ``files`` (default: the project's files), each with its graph;
    ``graph_name`` names the graph of the one file given."""
    from . import remote

    gfs = remote.files_with_ontology(files) if files else graph.project_files()
    if graph_name is not None:
        if len(files) != 1:
            raise click.UsageError("--graph names the graph of exactly one FILE")
        try:
            remote.iri(graph_name)
        except ValueError as e:
            raise click.UsageError(f"--graph {graph_name}: not an IRI ({e})") from None
        gfs = remote.unique_files([*gfs[:-1], graph.GraphFile(files[0], graph_name)])
    return gfs


@cli.command("load")
@endpoint_options(True, 120.0, "Seconds each request to the server may take in all (with its retries).")
@click.option(
    "--upload",
    type=click.Choice(["gsp", "update"]),
    default="gsp",
    show_default=True,
    help="Write the new versions by Graph Store PUT, or by SPARQL Update (INSERT DATA).",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Retries of requests that are safe to repeat, on connection errors and 502/503/504.",
)
@click.option(
    "--lock-wait",
    type=click.FloatRange(min=0),
    default=120.0,
    show_default=True,
    help="Seconds to wait while another load holds the server's load lock.",
)
@click.option(
    "--lock-expiry",
    type=click.FloatRange(min=1),
    default=600.0,
    show_default=True,
    help="Seconds after which this load's lock may be broken if it stops renewing it (renewed after each file).",
)
@click.option(
    "--graph",
    "graph_name",
    metavar="IRI",
    help="With one FILE: the graph to load it into (default: from the file name).",
)
@click.option(
    "--virtuoso-bulk",
    "bulk_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Virtuoso on this machine: upload with its bulk loader (isql ld_dir/rdf_loader_run) through "
    "this folder, which must be in the server's DirsAllowed.",
)
@click.option(
    "--isql",
    default="127.0.0.1:1111",
    show_default=True,
    metavar="HOST:PORT",
    help="With --virtuoso-bulk: Virtuoso's SQL port.",
)
@click.option(
    "--validate/--no-validate",
    default=True,
    show_default=True,
    help="Refuse data that does not conform to the SHACL shapes.",
)
@click.option(
    "--drop",
    type=click.Choice(["auto", "wait", "background"]),
    default="auto",
    show_default=True,
    help="Drop the old versions after the switch in this command (wait), in a background process "
    "it does not wait for (background), or in the background above 10,000 triples (auto).",
)
@data_arguments
def load_cmd(
    endpoint: str,
    server_kind: str,
    query_url: str | None,
    update_url: str | None,
    gsp_url: str | None,
    auth: str | None,
    timeout: float,
    upload: str,
    retries: int,
    lock_wait: float,
    lock_expiry: float,
    graph_name: str | None,
    bulk_dir: Path | None,
    isql: str,
    validate: bool,
    drop: str,
    files: tuple[Path, ...],
    data_dir: Path | None,
) -> None:
    """Load the ontology and the data into a SPARQL server, one named graph per file.

    FILES are Turtle files to load instead of the project's data (the ontology is
    always loaded). Each file goes into a new version of its graph; one SPARQL
    Update then switches the server's catalogue graph to the new versions, so
    readers see every graph all old or all new, and old versions are dropped. A
    load lock on the server keeps two loads from running together. Credentials
    come from CLUSTERKG_USER and CLUSTERKG_PASSWORD, or from ~/.netrc;
    CLUSTERKG_CA_BUNDLE names a CA bundle.
    """
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TransferSpeedColumn,
    )

    from . import remote

    files = data_files(files, data_dir)
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    try:
        gfs = _graph_files_to_load(files, graph_name)
        with (
            remote_client(endpoint, server_kind, query_url, update_url, gsp_url, auth, timeout, retries) as client,
            progress,
        ):
            shown = remote.LoadProgress(progress)
            bulk = remote.VirtuosoBulk(bulk_dir, isql) if bulk_dir else None
            report = remote.load(
                gfs,
                client,
                validate=validate,
                upload=upload,
                lock_wait=lock_wait,
                lock_expiry=lock_expiry,
                bulk=bulk,
                on_phase=shown.on_phase,
                wrap_upload=shown.wrap_upload if err_console.is_terminal else None,
                drop=drop,
            )
    except graph.LoadError as e:
        raise CliError(f"{e} (nothing was sent)", EXIT_INPUT) from None
    except remote.ValidationFailed as e:
        raise CliError(str(e), EXIT_VIOLATIONS) from None
    except remote.RemoteError as e:
        raise CliError(str(e), EXIT_REMOTE) from None
    table = Table(title=f"Graphs at {endpoint}")
    table.add_column("graph")
    table.add_column("before", justify="right")
    table.add_column("now", justify="right")
    for gl in report.graphs:
        table.add_row(gl.file.graph, str(gl.before), str(gl.after))
    console.print(table)
    console.print(
        f"loaded {report.triples} triples into {len(report.graphs)} graphs in "
        f"{report.seconds:.1f} s (switched after {report.switched_after:.1f} s); counts on the server "
        f"match what was sent",
        highlight=False,
    )
    if report.broken_locks:
        err_console.print(f"warning: broke the expired load lock of {', '.join(report.broken_locks)}", highlight=False)
    if report.dropped:
        console.print(f"dropped {len(report.dropped)} old versions of the graphs", highlight=False)
    if report.background is not None:
        console.print(
            f"dropping {len(report.dropping)} old versions ({report.dropping_triples} triples) goes on in the "
            f"background (process {report.background.pid}); readers already see the new versions",
            highlight=False,
        )
    for warning in report.warnings:
        err_console.print(f"warning: {warning}", highlight=False)


@cli.command("serve")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=7878,
    show_default=True,
    help="TCP port to listen on; 0 picks a free one.",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (127.0.0.1: this machine only)."
)
@click.option("--write", is_flag=True, help="Read-write: accept SPARQL Update and Graph Store writes.")
@click.option(
    "--timeout",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Query timeout in seconds: a query not answered in full by then gets HTTP 504.",
)
@click.option(
    "--max-result-mb",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Largest answer in MB: a larger one gets HTTP 500 (add a LIMIT).",
)
@click.option(
    "--location",
    type=click.Path(file_okay=False, path_type=Path),
    help="Store directory to keep (default: a temporary one, removed on exit). The "
    "project's graphs in it are replaced at each start; other graphs stay.",
)
@data_arguments
def serve_cmd(
    port: int,
    host: str,
    write: bool,
    timeout: int,
    max_result_mb: int,
    location: Path | None,
    files: tuple[Path, ...],
    data_dir: Path | None,
) -> None:
    """Serve the graph as a SPARQL endpoint with the Oxigraph server; Ctrl-C stops it.

    Read-only unless --write; the default graph is the union of the named graphs
    (one per file). FILES are Turtle files to serve instead of the project's data
    (the ontology is always served). A thin HTTP front forwards to Oxigraph and
    sends only complete answers: 504 after --timeout, 500 above --max-result-mb.
    """
    import signal
    import tempfile

    from . import remote, server

    files = data_files(files, data_dir)
    gfs = remote.files_with_ontology(files) if files else graph.project_files()
    scratch = None
    if location is None:
        scratch = Path(tempfile.mkdtemp(prefix="clusterkg-serve-"))
        location = scratch / "store"
    # Ctrl-C and SIGTERM stop the server, even where SIGINT was inherited as ignored.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    oxigraph = front = None
    try:
        try:
            front = server.Front(
                "http://127.0.0.1:0", host=host, port=port, timeout=timeout, max_bytes=max_result_mb * 2**20
            )
            counts = server.write_store(location, gfs)
        except server.FrontError as e:
            raise CliError(str(e), EXIT_REMOTE) from None
        except graph.LoadError as e:
            raise CliError(str(e), EXIT_INPUT) from None
        except OSError as e:
            raise CliError(f"cannot write the store at {location}: {e}", EXIT_INPUT) from None
        # Oxigraph on a private loopback port, its own timeout after the front's.
        oxigraph = server.OxigraphServer(location, read_only=not write, union_default_graph=True, timeout_s=timeout + 5)
        try:
            oxigraph.start()
        except server.ServerError as e:
            raise CliError(str(e), EXIT_REMOTE) from None
        front.upstream = oxigraph.base_url
        front.start()
        for line in server.describe(oxigraph, counts, kept=scratch is None, front=front):
            click.echo(line)
        code = oxigraph.wait()
        raise CliError(f"the Oxigraph server stopped on its own (exit code {code})", EXIT_REMOTE)
    except KeyboardInterrupt:
        if oxigraph is not None:
            oxigraph.stop()
        click.echo("stopped")
    finally:
        _serve_cleanup(front, oxigraph, previous, scratch)


def _serve_cleanup(
    front: Front | None, oxigraph: OxigraphServer | None, previous: dict[signal.Signals, Any], scratch: Path | None
) -> None:
    """What ``serve`` leaves: the front and the server stopped, the signal handlers
    put back, the scratch store removed."""
    import shutil
    import signal

    if front is not None:
        front.stop()
    if oxigraph is not None:
        oxigraph.stop()
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@cli.command("why")
@click.argument("subject")
@click.argument("predicate")
@click.argument("obj", metavar="[OBJECT]", required=False)
def why_cmd(subject: str, predicate: str, obj: str | None) -> None:
    """Say who says SUBJECT PREDICATE [OBJECT], and how: each support of the triple.

    Terms as CURIEs (ck:cap-digital org:memberOf ck:redict) or IRIs; a literal
    object as written in Turtle ('"2006"^^xsd:gYear'). Exit 3 when the graph does
    not hold the triple.
    """
    from . import why

    store = load_store()
    try:
        supports = why.why(store, subject, predicate, obj)
    except (why.TermError, why.NotInGraph) as e:
        raise CliError(str(e), EXIT_PARAMETER) from None
    if not supports:
        click.echo("no support names this triple (clusterkg validate reports it)")
        return
    click.echo(why.describe(supports, show_object=obj is None), nl=False)


@cli.command("query")
@click.argument("name", required=False)
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A parameter of the query (repeatable); see --list for each query's parameters.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "tsv", "json"]),
    default="table",
    show_default=True,
    help="table; csv or tsv (SPARQL 1.1 CSV/TSV results); json (SPARQL 1.1 JSON results).",
)
@endpoint_options(False, 60.0, "With --endpoint: seconds the server may take to answer each request.")
@click.option("--list", "list_only", is_flag=True, help="List the canned queries and their parameters.")
@click.option("--limit", type=click.IntRange(min=0), help="At most this many rows (a page).")
@click.option(
    "--offset",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Skip this many rows first (with --limit: the next page).",
)
@data_arguments
def query_cmd(
    name: str | None,
    params: tuple[str, ...],
    fmt: str,
    endpoint: str | None,
    server_kind: str,
    query_url: str | None,
    update_url: str | None,
    gsp_url: str | None,
    auth: str | None,
    timeout: float,
    list_only: bool,
    limit: int | None,
    offset: int,
    files: tuple[Path, ...],
    data_dir: Path | None,
) -> None:
    """Run the canned SPARQL query NAME (queries/NAME.rq) on the graph.

    FILES (or --data DIR) are the Turtle files to query instead of the project's
    data (the ontology is always loaded).

    Parameters are checked against their declared types (an IRI must name an
    instance of the declared class) and bound, never pasted into the query text.
    With --endpoint, the query reads the project's graphs loaded on that server
    (those its catalogue names), whatever its default graph is.
    """
    from . import query as q
    from . import remote

    reader = (
        remote.Reader(remote_client(endpoint, server_kind, query_url, update_url, gsp_url, auth, timeout))
        if endpoint
        else None
    )
    try:
        if list_only:
            cat = q.catalogue()
            click.echo(q.catalogue_json(cat) if fmt == "json" else q.describe_catalogue(cat), nl=False)
            return
        if not name:
            raise q.QueryError("give the NAME of a query (see: clusterkg query --list)")
        q.get(name)
        values = q.parse_param_options(params)
        if reader and (files or data_dir):
            raise click.UsageError("give either --endpoint or data files, not both")
        store = None if reader else load_store(data_files(files, data_dir))
        # query.run reads through a remote.Reader too; its annotation (query.py) says str only
        result = q.run(name, values, store=store, endpoint=reader, limit=limit, offset=offset)  # type: ignore[arg-type]
    except q.QueryError as e:
        raise CliError(str(e), EXIT_PARAMETER) from None
    except q.RemoteError as e:
        raise CliError(str(e), EXIT_REMOTE) from None
    except q.HeaderError as e:
        raise CliError(str(e), EXIT_INPUT) from None
    if fmt == "table":
        out = Console(highlight=False)
        out.print(q.render(result, fmt, width=out.width))
    else:
        click.echo(q.render(result, fmt), nl=False)


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--into",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The Turtle file of data/ to add the rows to (default: data/imported.ttl); created if absent.",
)
@click.option(
    "--dry-run", is_flag=True, help="Check everything and print the Turtle that would be added; write nothing."
)
def import_cmd(files: tuple[Path, ...], into: Path | None, dry_run: bool) -> None:
    """Add the rows of CSV FILES (sources, clusters, organisations, ties,
    observations, agreements: see data/templates/) to the graph.

    The rows are checked, the whole graph is validated with them, and INTO is
    replaced in one rename only if it conforms. Exit code 0: imported; 1: the
    graph would not conform; 2: a file or a row was refused (each problem names
    the file, row, column and value); nothing is written unless 0.
    """
    from . import importer

    data_dir = (project.ROOT / "data").resolve()
    if into is not None and (into.suffix != ".ttl" or into.resolve().parent != data_dir):
        raise click.UsageError(f"--into {into}: give a .ttl file of the data folder ({data_dir})")
    try:
        outcome = importer.import_files(files, into=into, dry_run=dry_run)
    except importer.ImportFailed as e:
        for problem in e.problems:
            err_console.print(escape(str(problem)), highlight=False, soft_wrap=True, emoji=False)
        what = "the graph would not conform" if e.exit_code == EXIT_VIOLATIONS else "refused"
        raise CliError(
            f"{what}: {len(e.problems)} problem{'s' if len(e.problems) != 1 else ''}; nothing written", e.exit_code
        ) from None
    target = (
        outcome.into.resolve().relative_to(project.ROOT.resolve())
        if outcome.into.resolve().is_relative_to(project.ROOT.resolve())
        else outcome.into
    )
    if outcome.places:
        err_console.print(
            f"new places from the reference data: {', '.join(project.shorten(p) for p in outcome.places)}",
            highlight=False,
            soft_wrap=True,
        )
    for warning in outcome.warnings:
        err_console.print(f"warning: {escape(warning)}", highlight=False, soft_wrap=True, emoji=False)
    if dry_run:
        click.echo(outcome.turtle, nl=False)
        err_console.print(
            f"dry run: would add {outcome.summary()} to {target}; nothing written", highlight=False, soft_wrap=True
        )
    else:
        console.print(
            f"imported {outcome.summary()} into {target}; the graph conforms", highlight=False, soft_wrap=True
        )


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="clusterkg", standalone_mode=False)
    except CliError as e:
        e.show()
        return e.exit_code
    except project.AssetsNotFound as e:
        CliError(str(e), EXIT_INPUT).show()
        return EXIT_INPUT
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.exceptions.Abort:
        error_console.print("aborted")
        return 130
    except click.UsageError as e:
        e.show()
        return EXIT_USAGE
    except click.ClickException as e:
        e.show()
        return e.exit_code
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
