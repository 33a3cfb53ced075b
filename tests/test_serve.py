"""`clusterkg serve`: the real Oxigraph server, started by the command as a user would."""

from __future__ import annotations

import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from servers import current_counts, graph_counts, project_endpoint

from clusterkg import graph, project, remote
from clusterkg.sparql import internal_query

QUERY_TIMEOUT_RQ = Path(__file__).parent / "queries" / "slow-cross-product.rq"


class Serve:
    """``clusterkg serve`` in a subprocess, its stdout read line by line."""

    def __init__(self, tmp_path: Path, *args: str):
        self.err = tmp_path / f"serve-{time.monotonic_ns()}.err"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "clusterkg.cli", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=self.err.open("wb"),
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                m = re.search(pattern, line)
                if m:
                    return m
            try:
                line = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
        raise AssertionError(
            f"no line matching {pattern!r}; stdout: {self.lines}; stderr: {self.err.read_text(errors='replace')}"
        )

    @property
    def query_url(self) -> str:
        return self.wait_for(r"SPARQL endpoint\s+(http://\S+/query)").group(1)

    def interrupt(self, timeout: float = 20) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # the command stops its server on SIGTERM
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def serve(tmp_path):
    started = []

    def start(*args: str) -> Serve:
        s = Serve(tmp_path, *args)
        started.append(s)
        return s

    yield start
    for s in started:
        s.close()


def local_counts(files=None) -> dict[str, int]:
    files = graph.project_files() if files is None else files
    return remote.local_counts(graph.build_store(files), [gf.graph for gf in files])


def update(url: str, name: str, **graphs: str) -> requests.Response:
    text = remote.fill_params(remote.internal_update(name), **graphs)
    return requests.post(url, data=text.encode(), timeout=30, headers={"Content-Type": "application/sparql-update"})


def test_read_only_endpoint_serves_the_project_and_refuses_writes(serve):
    expected = local_counts()
    s = serve()
    url = s.query_url
    base = url.rsplit("/", 1)[0]
    assert graph_counts(url, list(expected)) == expected
    # Union default graph: a query without GRAPH sees every distinct triple.
    store = graph.load_project()
    union = int(next(iter(store.query(internal_query("triple-count"), use_default_graph_as_union=True)))[0].value)
    rows = requests.post(
        url,
        data={"query": remote.strip_comments(internal_query("triple-count"))},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    ).json()
    # ... and the catalogue's (one triple a graph), which clusterkg's own queries leave out.
    assert int(rows["results"]["bindings"][0]["triples"]["value"]) == union + len(expected)

    some_graph = next(iter(expected))
    refused = update(base + "/update", "drop-graph", graph=some_graph)
    assert (refused.status_code, refused.text) == (403, "The server is read-only")
    put = requests.put(
        base + "/store", params={"graph": some_graph}, data=b"", timeout=30, headers={"Content-Type": "text/turtle"}
    )
    assert put.status_code == 403
    assert graph_counts(url, list(expected)) == expected

    # The printed SPARQLWrapper example works as printed.
    example = s.wait_for(r"^\s+(python -c .*)$").group(1)
    ran = subprocess.run(shlex.split(example), capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert f"'value': '{sorted(expected)[0]}'" in ran.stdout
    curl = s.wait_for(r"^\s+(curl .*)$").group(1)
    assert curl.endswith(f"--data-urlencode query@{project.INTERNAL_QUERIES_DIR / 'triples-per-graph.rq'} {url}")

    store_dir = Path(s.wait_for(r"Store\s+(\S+) \(temporary, removed on exit\)").group(1))
    assert store_dir.is_dir()
    assert s.interrupt() == 0
    s.wait_for(r"^stopped$")
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)
    assert not store_dir.exists()


def test_load_into_the_read_only_server_is_refused_with_exit_4(serve, tmp_path):
    s = serve()
    url = s.query_url
    base = url.rsplit("/", 1)[0]
    expected = local_counts()
    ran = subprocess.run(
        [sys.executable, "-m", "clusterkg.cli", "load", "--endpoint", base, "--no-validate"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert ran.returncode == 4
    assert f"POST {base}/update answered 403 Forbidden: The server is read-only" in ran.stderr
    assert graph_counts(url, list(expected)) == expected


def test_load_into_a_writable_served_store_and_query_it(serve):
    s = serve("--write")
    base = s.query_url.rsplit("/", 1)[0]
    ran = subprocess.run(
        [sys.executable, "-m", "clusterkg.cli", "load", "--endpoint", base, "--no-validate"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert ran.returncode == 0, ran.stderr
    assert current_counts(s.query_url) == local_counts()
    ran = subprocess.run(
        [sys.executable, "-m", "clusterkg.cli", "query", "clusters", "--endpoint", base, "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    from clusterkg import query as q

    assert ran.stdout.replace("\r\n", "\n") == q.to_csv(q.run("clusters")).replace("\r\n", "\n")


def test_write_mode_and_a_kept_location(serve, tmp_path):
    location = tmp_path / "kept"
    expected = local_counts()
    first, other = sorted(expected)[0], "http://example.org/graph/mine"
    s = serve("--write", "--location", str(location))
    url = s.query_url
    base = url.rsplit("/", 1)[0]
    assert s.wait_for(r"SPARQL Update\s+(\S+)").group(1) == base + "/update"
    assert update(base + "/update", "drop-graph", graph=first).status_code == 204
    put = requests.put(
        base + "/store",
        params={"graph": other},
        timeout=30,
        headers={"Content-Type": "text/turtle"},
        data=b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n",
    )
    assert put.status_code == 201
    assert graph_counts(url, [first, other]) == {first: 0, other: 1}
    assert s.interrupt() == 0

    # Started again on the same store: the project's graphs are replaced (back,
    # not doubled), the graph written by hand stays.
    s = serve("--location", str(location))
    url = s.query_url
    assert graph_counts(url, [*expected, other]) == {**expected, other: 1}
    assert s.interrupt() == 0
    assert (location / "CURRENT").exists()  # a RocksDB store, kept


def test_a_timed_out_query_gets_an_http_error_not_partial_rows(serve):
    s = serve("--timeout", "1")
    url = s.query_url
    s.wait_for(r"; query timeout 1 s; answers up to 100 MB\)")
    started = time.monotonic()
    answer = requests.post(
        url,
        data={"query": QUERY_TIMEOUT_RQ.read_text()},
        timeout=120,
        headers={"Accept": "application/sparql-results+json"},
    )
    elapsed = time.monotonic() - started
    assert (answer.status_code, answer.text) == (
        504,
        "the query did not finish within 1 s (clusterkg serve --timeout); no partial answer is sent",
    )
    assert elapsed < 30
    # The server goes on answering.
    assert graph_counts(url, list(local_counts())) == local_counts()


def test_an_answer_above_the_cap_gets_an_http_error(serve):
    s = serve("--max-result-mb", "1")
    url = s.query_url
    big = (Path(__file__).parent / "queries" / "big-answer.rq").read_text()
    answer = requests.post(url, data={"query": big}, headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert (answer.status_code, answer.text) == (
        500,
        f"the answer is larger than the cap of {2**20} bytes (clusterkg serve --max-result-mb): "
        f"add a LIMIT to the query",
    )
    small = requests.post(
        url,
        data={"query": remote.strip_comments(internal_query("triple-count"))},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert small.status_code == 200 and int(small.json()["results"]["bindings"][0]["triples"]["value"]) > 0


def test_the_port_in_use_is_refused_with_exit_4(serve, tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        ran = subprocess.run(
            [sys.executable, "-m", "clusterkg.cli", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "300"},
        )
    assert ran.returncode == 4
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in ran.stderr, ran.stderr


def test_malformed_turtle_is_refused_before_any_server_starts(serve, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b .\n")
    s = serve(str(bad))
    assert s.proc.wait(60) == 2
    assert f"{bad}:3:" in " ".join(s.err.read_text().split())
    assert s.lines == [] and s.proc.stdout.read() == ""


def test_project_endpoint_fixture(tmp_path):
    """The reusable fixture: a read-only project endpoint, union default graph on."""
    expected = local_counts()
    with project_endpoint(tmp_path) as url:
        assert graph_counts(url, list(expected)) == expected
        rows = requests.post(
            url,
            data={"query": remote.strip_comments(internal_query("triple-count"))},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        ).json()
        assert int(rows["results"]["bindings"][0]["triples"]["value"]) > 0
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)


def test_no_server_outlives_a_killed_serve_command(serve):
    s = serve()
    url = s.query_url
    store_dir = Path(s.wait_for(r"Store\s+(\S+) \(temporary").group(1))
    s.proc.kill()  # SIGKILL: the command cannot stop its server itself
    s.proc.wait(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
        except requests.ConnectionError:
            break
        time.sleep(0.2)
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)
    shutil.rmtree(store_dir.parent)  # what the killed command could not remove
