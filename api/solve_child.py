"""A solver as a plain subprocess: ``python -m aftersales.api.solve_child FOLDER``.

A Celery worker runs each solve this way (not with ``multiprocessing``: the worker's own pool
processes may not have children of their own, and a fresh interpreter inherits no broker
connection or thread of the worker). ``FOLDER`` holds ``scenario.json`` and ``options.json`` and
becomes the solve's temporary directory; ``memory_mb`` and ``nice`` come as further arguments.
The child runs ``solver.solve_in_process`` unchanged, sending its messages as JSON lines on the
stdout it was started with; the solvers' own prints go to stderr so they cannot corrupt them.
When the worker dies the pipe's read end closes and the child kills its process group, as under
the local pool.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from aftersales.api.solver import solve_in_process


class LinePipe:
    """The two calls ``solve_in_process`` makes on its connection, over a file descriptor:
    ``send`` writes one JSON line ``[kind, payload]``; ``fileno`` is watched for the reader
    going away."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.stream = os.fdopen(fd, "w", encoding="utf-8", buffering=1)

    def send(self, message: tuple[str, Any]) -> None:
        """Write one message; raises ``BrokenPipeError`` once the worker is gone."""
        self.stream.write(json.dumps(message, separators=(",", ":")) + "\n")
        self.stream.flush()

    def fileno(self) -> int:
        """The descriptor the orphan watch polls."""
        return self.fd

    def close(self) -> None:
        """Flush and close the message pipe."""
        self.stream.close()


def main(argv: list[str]) -> None:
    """Entry point: ``FOLDER [MEMORY_MB|-] [NICE]``."""
    folder = Path(argv[0])
    memory_mb = int(argv[1]) if len(argv) > 1 and argv[1] != "-" else None
    nice = int(argv[2]) if len(argv) > 2 else 0
    messages = os.dup(1)
    os.dup2(2, 1)  # solver output (HiGHS, CBC) must not reach the message pipe
    sys.stdout = sys.stderr
    solve_in_process(
        LinePipe(messages),  # type: ignore[arg-type]
        (folder / "scenario.json").read_text(),
        (folder / "options.json").read_text(),
        temp_dir=str(folder),
        memory_mb=memory_mb,
        nice=nice,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
