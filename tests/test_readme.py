"""README.md cannot rot: every ``$ clusterkg …`` line of its fenced ``sh`` and
``text`` blocks is run, and exits with the code the README implies:

* no ``error:`` line right after the command: 0;
* an ``error:`` line: the code written beside it in the README (``exit code N``
  in the block or in the paragraph just above it), else the code of its kind
  from the README's table of exit codes (1 does not conform, 2 input file,
  3 query name or parameter, 4 SPARQL server, 64 command line); for an error,
  the README's message must also be what the command prints.

Commands run in a temporary folder (paths such as ``build/…`` land there); the
files the README's examples read are made there first (:data:`INPUT_FILES`).

Every example runs, none is skipped. Those that talk to a SPARQL server
(``clusterkg load``, ``--endpoint``) get one: a read-write Oxigraph server
started once for the module, whose URL replaces the README's
``http://127.0.0.1:7878`` (:data:`SERVER_URL`); the README's
``http://127.0.0.1:7879`` (:data:`NO_SERVER_URL`) becomes a port nobody listens
on. ``clusterkg serve`` runs until stopped: it is started on a free port, and
stopped with Ctrl-C (SIGINT) once it says it serves.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from clusterkg.cli import main
from clusterkg.server import free_port

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"

#: The server URLs the README's examples name: a running one, and one that is down.
SERVER_URL = "http://127.0.0.1:7878"
NO_SERVER_URL = "http://127.0.0.1:7879"

#: Files that README examples read, made in the folder the commands run in.
INPUT_FILES = {
    # "error: broken.ttl:2:6: Turtle syntax error: The prefix foo: has not been declared"
    "broken.ttl": "@prefix ex: <http://example.org/> .\nex:a foo:b ex:c .\n",
}

#: The README's exit-code table, as message patterns (the first that matches).
KINDS = [
    (re.compile(r"does not conform", re.I), 1),
    (re.compile(r"syntax error|cannot read|is not a valid|not a file|no such file", re.I), 2),
    (re.compile(r"server|endpoint|cannot connect|HTTP [0-9]", re.I), 4),
    (re.compile(r"query|parameter|--focus|no such node", re.I), 3),
    (re.compile(r"usage:|no such option|invalid value|missing (argument|option)", re.I), 64),
]


@dataclass
class Example:
    line: int
    command: str
    output: list[str]
    context: str  # the block and the paragraph above it

    @property
    def error(self) -> str | None:
        return self.output[0][len("error:") :].strip() if self.output and self.output[0].startswith("error:") else None

    def expected_code(self) -> int:
        if self.error is None:
            return 0
        m = re.search(r"exit code (\d+)", self.context)
        if m:
            return int(m.group(1))
        for pattern, code in KINDS:
            if pattern.search(self.error):
                return code
        raise AssertionError(f"README.md:{self.line}: cannot tell the exit code of {self.command!r}")

    @property
    def verb(self) -> str:
        return next(w for w in shlex.split(self.command)[1:] if not w.startswith("-"))

    @property
    def needs_server(self) -> bool:
        return self.verb == "load" or "--endpoint" in shlex.split(self.command)


def paragraph_above(lines: list[str], start: int) -> list[str]:
    """The paragraph just above line ``start`` (blank lines skipped; stops at a fence or heading)."""
    para: list[str] = []
    k = start - 1
    while k >= 0 and lines[k].strip() == "":
        k -= 1
    while k >= 0 and lines[k].strip() and not lines[k].startswith(("```", "#")):
        para.insert(0, lines[k])
        k -= 1
    return para


def block_examples(block: list[str], first_line: int, context: str) -> list[Example]:
    """The ``$ clusterkg …`` commands of one block, each with the lines it prints."""
    out: list[Example] = []
    current: Example | None = None
    for n, line in enumerate(block, start=first_line):
        if line.startswith("$ "):
            current = None
            if line[2:].startswith("clusterkg"):
                current = Example(n, line[2:].strip(), [], context)
                out.append(current)
        elif current is not None:
            current.output.append(line)
    return out


def examples(text: str) -> list[Example]:
    out: list[Example] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        lang, start = m.group(1), i
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        if lang in ("sh", "text"):
            block = lines[start + 1 : j]
            out += block_examples(block, start + 2, "\n".join(paragraph_above(lines, start) + block))
        i = j + 1
    return out


EXAMPLES = examples(README.read_text(encoding="utf-8"))


def test_the_readme_has_examples():
    verbs = {shlex.split(e.command)[1] for e in EXAMPLES}
    assert {"report", "stats", "export", "picture", "docs"} <= verbs
    # the main job is the first command of the set-up
    assert ".venv/bin/clusterkg report" in README.read_text(encoding="utf-8").split("## Commands")[0]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    """A read-write Oxigraph server for the examples that load into or query one."""
    from servers import oxigraph_server

    with oxigraph_server(tmp_path_factory.mktemp("readme-server") / "store") as server:
        yield server.base_url


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"L{e.line}: {e.command}" for e in EXAMPLES])
def test_command(example: Example, tmp_path, monkeypatch, capsys, request):
    monkeypatch.chdir(tmp_path)
    for name, content in INPUT_FILES.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    expected = example.expected_code()
    urls = {}
    if example.needs_server:
        urls = {SERVER_URL: request.getfixturevalue("server_url"), NO_SERVER_URL: f"http://127.0.0.1:{free_port()}"}
    argv = shlex.split(example.command)[1:]
    argv = [_replace(a, urls) for a in argv]
    if example.verb == "serve":
        code, err = _serve(argv, tmp_path)
    else:
        code = main(argv)
        err = capsys.readouterr().err
    err = _replace(err, {v: k for k, v in urls.items()})
    assert code == expected, (
        f"README.md:{example.line}: `{example.command}` exited {code}, README implies {expected}\n{err[-2000:]}"
    )
    if example.error:
        printed = " ".join(err.split())
        assert " ".join(example.error.split()) in printed, (example.error, printed)


def _replace(text: str, urls: dict[str, str]) -> str:
    for old, new in urls.items():
        text = text.replace(old, new)
    return text


def _serve(argv: list[str], cwd: Path) -> tuple[int, str]:
    """``clusterkg serve`` on a free port, stopped by SIGINT once it says it serves."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-m", "clusterkg.cli", *argv, "--port", str(free_port())],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Ctrl-C stops the server."):
                process.send_signal(signal.SIGINT)
                break
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "".join(lines + [out]).splitlines()[-1] == "stopped", "".join(lines) + out + err
    return process.returncode, err
