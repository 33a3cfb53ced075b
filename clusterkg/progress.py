"""Progress of long work on a terminal: one line on stderr, rewritten in place.

Shown only when stderr is a terminal (never in pipes, files, tests or CI), at most
a few times a second, and cleared when the work is done, so that nothing long is
silent and nothing is added to what a command prints.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["progress", "Reporter"]

Reporter = Callable[[str], None]


@contextmanager
def progress(task: str, stream: TextIO | None = None, interval: float = 0.25) -> Iterator[Reporter]:
    """``with progress("validating") as say: say("shape 3/40")`` shows
    ``validating: shape 3/40 (2.1 s)`` on a terminal; a no-op elsewhere."""
    out = stream if stream is not None else sys.stderr
    if not (hasattr(out, "isatty") and out.isatty()):
        yield lambda _message: None
        return
    start = time.monotonic()
    last = [0.0]
    shown = [False]

    def say(message: str) -> None:
        now = time.monotonic()
        if now - last[0] < interval:
            return
        last[0] = now
        out.write(f"\r\x1b[K{task}: {message} ({now - start:.1f} s)")
        out.flush()
        shown[0] = True

    say("starting")
    try:
        yield say
    finally:
        if shown[0]:
            out.write("\r\x1b[K")
            out.flush()
