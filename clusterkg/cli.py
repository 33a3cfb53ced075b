"""The ``clusterkg`` command line: one thin command per verb of the package.

Exit codes (the same for every command):
  0  success (for ``validate``: the data conforms; for ``check``: every check passed)
  1  the data does not conform to the shapes (``check``: a check found problems)
  2  an input file could not be read or parsed
  3  a query name or parameter was refused
  4  a SPARQL server failed, refused or answered something unexpected
  64 the command line itself was wrong (unknown option, missing argument)
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import graph, project
from .sparql import internal_query

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_INPUT = 2
EXIT_PARAMETER = 3
EXIT_REMOTE = 4
EXIT_USAGE = 64

console = Console()
err_console = Console(stderr=True)


class CliError(click.ClickException):
    """An error the user can act on: printed as ``error: …``, with its own exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:  # noqa: D401 - click API
        err_console.print(f"[bold red]error:[/] {escape(self.format_message())}", markup=True, highlight=False,
                          soft_wrap=True)  # one line: "file:line:column: reason" must not be folded


def load_store(files: tuple[Path, ...] = ()):
    """The project's graph (or the given files with the ontology) in the embedded store."""
    try:
        if files:
            gfs = graph.project_files(ontology=True, data=False) + [graph.GraphFile.for_path(f) for f in files]
            return graph.build_store(gfs)
        return graph.load_project()
    except graph.LoadError as e:
        raise CliError(str(e), EXIT_INPUT) from None


@click.group()
@click.version_option(package_name="clusterkg")
def cli() -> None:
    """An open knowledge graph of innovation clusters."""


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def stats(files: tuple[Path, ...]) -> None:
    """Print triples per named graph and instances per class.

    FILES are Turtle files to count instead of the project's data (the ontology
    is always loaded).
    """
    store = load_store(files)
    per_graph = Table(title="Triples per graph")
    per_graph.add_column("graph")
    per_graph.add_column("triples", justify="right")
    total = 0
    for row in store.query(internal_query("triples-per-graph")):
        n = int(row["triples"].value)
        total += n
        per_graph.add_row(row["graph"].value, str(n))
    per_graph.add_row("[bold]total[/]", f"[bold]{total}[/]")
    console.print(per_graph)
    per_class = Table(title="Instances per class")
    per_class.add_column("class")
    per_class.add_column("instances", justify="right")
    for row in store.query(internal_query("instances-per-class")):
        per_class.add_row(project.shorten(row["class"].value), row["instances"].value)
    console.print(per_class)


@cli.command("validate")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "turtle", "json"]), default="text", show_default=True,
              help="text: by node, for people; turtle: the SHACL validation report; json: the results as a list.")
@click.option("--inference", type=click.Choice(["none", "rdfs", "owlrl", "both"]), default="none",
              show_default=True, help="Inference before validating (none: see README, Validating).")
@click.option("--engine", type=click.Choice(["pyshacl", "topbraid"]), default="pyshacl", show_default=True,
              help="pyshacl (in process) or topbraid (TopQuadrant SHACL, needs Java >= 21).")
def validate_cmd(files: tuple[Path, ...], fmt: str, inference: str, engine: str) -> None:
    """Check the data against the SHACL shapes of shapes/.

    FILES are Turtle files to validate instead of data/*.ttl (the ontology and the
    vocabulary are always loaded). Exit code 0: the data conforms (warnings are
    shown but allowed); 1: violations; 2: a file cannot be read or parsed; 4: the
    engine cannot run.
    """
    from . import engines, validate
    try:
        v = validate.validate_files(files, engine=engine, inference=inference)
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
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: grouped by check, one line per problem; json: every problem of every check.")
@click.option("--skip", multiple=True, metavar="CHECK",
              help="Leave out a check (consistency, owl2-dl, qc, qc:NAME ...); repeatable.")
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
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("build/report"),
              show_default=True, help="Folder to write index.html (and the picture) into.")
def report_cmd(out: Path) -> None:
    """The main job: load, validate, run every canned query, draw the network, and
    write one self-contained HTML report (OUT/index.html).

    Exits 1 when the data does not conform and 3 when a canned query failed (the
    report is written in both cases), else 0.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from . import query as query_mod
    from . import report
    steps = 4 + len(query_mod.catalogue())
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err_console, transient=True,
                        disable=not err_console.is_terminal)
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
            r = report.build(out, on_step=on_step, on_query=on_query)
            progress.update(task, completed=steps)
        except graph.LoadError as e:
            raise CliError(str(e), EXIT_INPUT) from None
    v = r.validation
    rows = sum(q.rows for q in r.queries)
    console.print(f"report: {r.path}", highlight=False, soft_wrap=True)
    console.print(f"  graph: {r.triples} triples in {r.counts['graphs']} named graphs, {r.counts['clusters']} clusters, "
                  f"{r.counts['sources']} source documents", highlight=False, soft_wrap=True)
    console.print(f"  validation: {v.summary()}", highlight=False, soft_wrap=True)
    console.print(f"  queries: {len(r.queries)} run, {rows} rows, {len(r.failed)} failed", highlight=False, soft_wrap=True)
    console.print(f"  picture: {r.picture.note}", highlight=False, soft_wrap=True)
    console.print(f"open it in a browser: {r.path.resolve().as_uri()}", highlight=False, soft_wrap=True)
    if not v.conforms:
        raise CliError(f"the data does not conform: {v.summary()} (see the report's validation section)",
                       EXIT_VIOLATIONS)
    if r.failed:
        raise CliError(f"{len(r.failed)} canned queries failed: {', '.join(q.name for q in r.failed)}",
                       EXIT_PARAMETER)


@cli.command("picture")
@click.option("--out", type=click.Path(path_type=Path), default=Path("build/picture/network"), show_default=True,
              help="Path without suffix: writes OUT.svg and OUT.png.")
@click.option("--focus", metavar="IRI", help="Draw the neighbourhood of this node (an IRI, or ck:name).")
@click.option("--hops", type=click.IntRange(min=0), default=2, show_default=True,
              help="With --focus: how many ties away from the node.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=80, show_default=True,
              help="Above this, draw only clusters and networks (or, with --focus, the nearest nodes).")
def picture_cmd(out: Path, focus: str | None, hops: int, max_nodes: int) -> None:
    """Draw the network of clusters, cities, countries, networks, projects and agreements."""
    from . import picture
    if focus and focus.startswith("ck:"):
        focus = project.ID_NS + focus[3:]
    store = load_store()
    try:
        pic = picture.picture(store, out, focus=focus, hops=hops, max_nodes=max_nodes)
    except KeyError:
        raise CliError(f"--focus {focus}: no such node in the picture (give the IRI of a cluster, city, "
                       f"country, network, project or agreement)", EXIT_PARAMETER) from None
    console.print(f"drew {pic.graph.number_of_nodes()} nodes and {pic.graph.number_of_edges()} ties "
                  f"({pic.note}): {', '.join(str(p) for p in pic.files.values())}", highlight=False, soft_wrap=True)


@cli.command("docs")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("build/docs"),
              show_default=True, help="Folder to write index.html into.")
def docs_cmd(out: Path) -> None:
    """Write the HTML documentation of the ontology (pyLODE), with labels, definitions and alignments."""
    from . import docs
    try:
        path = docs.write(out)
    except docs.DocsError as e:
        raise CliError(str(e), EXIT_INPUT) from None
    console.print(f"documented {docs.count_terms(path)} classes and properties: {path}", highlight=False,
                  soft_wrap=True)


@cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["ttl", "nt", "nq", "trig", "jsonld", "csv"]),
              help="Output format (default: from the extension of --out).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")
def export_cmd(fmt: str | None, out: Path | None) -> None:
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
    store = load_store()
    data = export.export(store, fmt, out)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    graphs = {q.graph_name for q in store.quads_for_pattern(None, None, None, None)}
    console.print(f"wrote {len(store)} quads in {len(graphs)} named graphs as {fmt} to {out}"
                  + (" (graphs merged)" if fmt in ("ttl", "nt") else ""), highlight=False, soft_wrap=True)


@cli.command("load")
@click.option("--endpoint", required=True, metavar="URL",
              help="Base URL of the server (http://host:7878 for Oxigraph, http://host:8890 for "
                   "Virtuoso; the SPARQL endpoint itself with --server generic).")
@click.option("--server", "server_kind", type=click.Choice(["oxigraph", "virtuoso", "generic"]),
              default="oxigraph", show_default=True, help="Which endpoints the server has under --endpoint.")
@click.option("--query-url", metavar="URL", help="SPARQL query endpoint (default: from --server).")
@click.option("--update-url", metavar="URL", help="SPARQL Update endpoint (default: from --server).")
@click.option("--gsp-url", metavar="URL", help="Graph Store Protocol endpoint (default: from --server).")
@click.option("--upload", type=click.Choice(["gsp", "update"]), default="gsp", show_default=True,
              help="Write the staging graphs by Graph Store PUT, or by SPARQL Update (INSERT DATA).")
@click.option("--auth", type=click.Choice(["basic", "digest"]),
              help="HTTP authentication for the credentials of CLUSTERKG_USER / CLUSTERKG_PASSWORD "
                   "or netrc (default: digest for virtuoso, else basic).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=300.0, show_default=True,
              help="Seconds to wait for each answer.")
@click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True,
              help="Retries, with exponential backoff, on connection errors and 5xx answers.")
@click.option("--validate/--no-validate", default=True, show_default=True,
              help="Refuse data that does not conform to the SHACL shapes.")
@click.option("--purge-staging", is_flag=True,
              help="First drop the staging graphs that interrupted loads left on the server.")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def load_cmd(endpoint: str, server_kind: str, query_url: str | None, update_url: str | None,
             gsp_url: str | None, upload: str, auth: str | None, timeout: float, retries: int,
             validate: bool, purge_staging: bool, files: tuple[Path, ...]) -> None:
    """Load the ontology and the data into a SPARQL server, one named graph per file.

    FILES are Turtle files to load instead of the project's data (the ontology is
    always loaded). Each graph is replaced, never appended to: the files go into
    staging graphs, then one SPARQL Update request switches them all, so a failure
    leaves every graph all old or all new. The triples on the server are counted
    and compared with what was sent. Credentials come from CLUSTERKG_USER and
    CLUSTERKG_PASSWORD, or from ~/.netrc; CLUSTERKG_CA_BUNDLE names a CA bundle.
    """
    from rich.progress import (BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn,
                               TimeElapsedColumn, TransferSpeedColumn)

    from . import remote
    gfs = remote.files_with_ontology(files) if files else graph.project_files()
    endpoints = remote.Endpoints.for_server(endpoint, server_kind, query=query_url, update=update_url,
                                            gsp=gsp_url)
    client = remote.SparqlClient(endpoints, timeout=timeout, retries=retries,
                                 auth=remote.make_auth(auth or remote.PROFILES[server_kind].auth,
                                                       endpoints.update))
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                        TransferSpeedColumn(), TimeElapsedColumn(), console=err_console, transient=True,
                        disable=not err_console.is_terminal)
    try:
        with client, progress:
            shown = remote.LoadProgress(progress)
            report = remote.load(gfs, client, validate=validate, upload=upload, purge_staging=purge_staging,
                                 on_phase=shown.on_phase, wrap_upload=shown.wrap_upload)
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
    console.print(f"loaded {report.triples} triples into {len(report.graphs)} graphs in "
                  f"{report.seconds:.1f} s; counts on the server match what was sent", highlight=False)
    if report.purged:
        console.print(f"dropped {len(report.purged)} staging graphs left by interrupted loads", highlight=False)
    if report.stale_staging:
        err_console.print(f"warning: {len(report.stale_staging)} staging graphs left by interrupted loads "
                          f"are on the server; `clusterkg load --purge-staging` drops them", highlight=False)
    for warning in report.warnings:
        err_console.print(f"warning: {warning}", highlight=False)


@cli.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True,
              help="TCP port to listen on; 0 picks a free one.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (127.0.0.1: this machine only).")
@click.option("--write", is_flag=True, help="Read-write: accept SPARQL Update and Graph Store writes.")
@click.option("--timeout", type=click.IntRange(min=1), default=30, show_default=True,
              help="Query timeout in seconds (Oxigraph's --timeout-s).")
@click.option("--location", type=click.Path(file_okay=False, path_type=Path),
              help="Store directory to keep (default: a temporary one, removed on exit). The "
                   "project's graphs in it are replaced at each start; other graphs stay.")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def serve_cmd(port: int, host: str, write: bool, timeout: int, location: Path | None,
              files: tuple[Path, ...]) -> None:
    """Serve the graph as a SPARQL endpoint with the Oxigraph server; Ctrl-C stops it.

    Read-only unless --write; the default graph is the union of the named graphs
    (one per file). FILES are Turtle files to serve instead of the project's data
    (the ontology is always served).
    """
    import shutil
    import signal
    import tempfile

    from . import remote, server
    gfs = remote.files_with_ontology(files) if files else graph.project_files()
    scratch = None
    if location is None:
        scratch = Path(tempfile.mkdtemp(prefix="clusterkg-serve-"))
        location = scratch / "store"
    # Ctrl-C and SIGTERM stop the server, even where SIGINT was inherited as ignored.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    oxigraph = None
    try:
        try:
            counts = server.write_store(location, gfs)
        except graph.LoadError as e:
            raise CliError(str(e), EXIT_INPUT) from None
        except OSError as e:
            raise CliError(f"cannot write the store at {location}: {e}", EXIT_INPUT) from None
        oxigraph = server.OxigraphServer(location, host=host, port=port or None, read_only=not write,
                                         union_default_graph=True, timeout_s=timeout)
        try:
            oxigraph.start()
        except server.ServerError as e:
            raise CliError(str(e), EXIT_REMOTE) from None
        for line in server.describe(oxigraph, counts, kept=scratch is None):
            click.echo(line)
        code = oxigraph.wait()
        raise CliError(f"the Oxigraph server stopped on its own (exit code {code})", EXIT_REMOTE)
    except KeyboardInterrupt:
        if oxigraph is not None:
            oxigraph.stop()
        click.echo("stopped")
    finally:
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
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter of the query (repeatable); see --list for each query's parameters.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table",
              show_default=True, help="table; csv or tsv (SPARQL 1.1 CSV/TSV results); json (SPARQL 1.1 JSON results).")
@click.option("--endpoint", metavar="URL", help="Run on this SPARQL endpoint instead of the embedded store.")
@click.option("--list", "list_only", is_flag=True, help="List the canned queries and their parameters.")
def query_cmd(name: str | None, params: tuple[str, ...], fmt: str, endpoint: str | None, list_only: bool) -> None:
    """Run the canned SPARQL query NAME (queries/NAME.rq) on the graph.

    Parameters are checked against their declared types (an IRI must name an
    instance of the declared class) and bound, never pasted into the query text.
    """
    from . import query as q
    try:
        if list_only:
            cat = q.catalogue()
            click.echo(q.catalogue_json(cat) if fmt == "json" else q.describe_catalogue(cat), nl=False)
            return
        if not name:
            raise q.QueryError("give the NAME of a query (see: clusterkg query --list)")
        q.get(name)
        values = q.parse_param_options(params)
        store = None if endpoint else load_store()
        result = q.run(name, values, store=store, endpoint=endpoint)
    except q.QueryError as e:
        raise CliError(str(e), EXIT_PARAMETER) from None
    except q.RemoteError as e:
        raise CliError(str(e), EXIT_REMOTE) from None
    except q.HeaderError as e:
        raise CliError(str(e), EXIT_INPUT) from None
    output = q.render(result, fmt)
    if fmt == "table":
        Console(highlight=False).print(output)
    else:
        click.echo(output, nl=False)




def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="clusterkg", standalone_mode=False)
    except CliError as e:
        e.show()
        return e.exit_code
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.exceptions.Abort:
        err_console.print("aborted")
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
