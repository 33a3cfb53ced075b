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

Not run, on purpose (see :data:`SKIP`): commands that start a server and run
until stopped (``clusterkg serve``), and commands that need a SPARQL server to
talk to (``--endpoint``, ``clusterkg load``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

import pytest

from clusterkg import project
from clusterkg.cli import main

README = project.ROOT / "README.md"

#: Why a command is not run: a verb, or an option, and the reason.
SKIP = {
    "serve": "starts a SPARQL server and runs until stopped",
    "load": "needs a running SPARQL server to load into",
    "--endpoint": "needs a running SPARQL server to query",
}

#: Files that README examples read, made in the folder the commands run in.
INPUT_FILES = {
    # "error: broken.ttl:2:6: Turtle syntax error: The prefix foo: has not been declared"
    "broken.ttl": "@prefix ex: <http://example.org/> .\nex:a foo:b ex:c .\n",
}

#: The README's exit-code table, as message patterns.
KINDS = [
    (re.compile(r"does not conform", re.I), 1),
    (re.compile(r"syntax error|cannot read|is not a valid|not a file|no such file", re.I), 2),
    (re.compile(r"query|parameter|--focus|no such node", re.I), 3),
    (re.compile(r"server|endpoint|HTTP", re.I), 4),
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
        return self.output[0][len("error:"):].strip() if self.output and self.output[0].startswith("error:") else None

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

    def skip_reason(self) -> str | None:
        words = shlex.split(self.command)
        for key, reason in SKIP.items():
            if (key.startswith("--") and key in words) or (len(words) > 1 and words[1] == key):
                return f"{key}: {reason}"
        return None


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
            para = []
            k = start - 1
            while k >= 0 and lines[k].strip() == "":
                k -= 1
            while k >= 0 and lines[k].strip() and not lines[k].startswith(("```", "#")):
                para.insert(0, lines[k])
                k -= 1
            block = lines[start + 1:j]
            context = "\n".join(para + block)
            current: Example | None = None
            for n, line in enumerate(block, start=start + 2):
                if line.startswith("$ "):
                    current = None
                    if line[2:].startswith("clusterkg"):
                        current = Example(n, line[2:].strip(), [], context)
                        out.append(current)
                elif current is not None:
                    current.output.append(line)
        i = j + 1
    return out


EXAMPLES = examples(README.read_text(encoding="utf-8"))


def test_the_readme_has_examples():
    verbs = {shlex.split(e.command)[1] for e in EXAMPLES}
    assert {"report", "stats", "export", "picture", "docs"} <= verbs
    # the main job is the first command of the set-up
    assert ".venv/bin/clusterkg report" in README.read_text(encoding="utf-8").split("## Commands")[0]


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"L{e.line}: {e.command}" for e in EXAMPLES])
def test_command(example: Example, tmp_path, monkeypatch, capsys):
    reason = example.skip_reason()
    if reason:
        pytest.skip(reason)
    monkeypatch.chdir(tmp_path)
    for name, content in INPUT_FILES.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    expected = example.expected_code()
    code = main(shlex.split(example.command)[1:])
    captured = capsys.readouterr()
    assert code == expected, (f"README.md:{example.line}: `{example.command}` exited {code}, "
                              f"README implies {expected}\n{captured.err[-2000:]}")
    if example.error:
        printed = " ".join(captured.err.split())
        assert " ".join(example.error.split()) in printed, (example.error, printed)
