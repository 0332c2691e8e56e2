"""The benchmark registry loads on the plain install (without the dev extras)."""

from __future__ import annotations

import subprocess
import sys


def test_suites_load_without_httpx() -> None:
    """httpx is a dev extra (the API load benchmark's client): with its import blocked, every
    suite still registers, so `python -m aftersales.benchmarks run` works after `make demo`'s
    plain install."""
    code = (
        "import sys; sys.modules['httpx'] = None\n"
        "from aftersales.benchmarks.registry import SUITES, load_all\n"
        "load_all()\n"
        "assert {'contract', 'network', 'solomon', 'trsp'} <= set(SUITES), sorted(SUITES)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
