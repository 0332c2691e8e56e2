"""aftersales-optimizer: service network, spare-parts stock and technician routing, one Plan.

The distribution owns this one import name. The repository's folders install beneath it
(``optimizer/`` as ``aftersales.optimizer``, likewise ``api``, ``datasets`` and ``benchmarks``; see
``[tool.setuptools.package-dir]`` in pyproject.toml), so the package never shadows another
distribution's top-level ``datasets``, ``api``, ``optimizer`` or ``benchmarks``.
"""

from aftersales.datasets.generator import generate_scenario
from aftersales.optimizer.pipeline import solve
from aftersales.optimizer.schema import Plan, Scenario, SolveOptions
from aftersales.optimizer.validate import validate

__all__ = ["Plan", "Scenario", "SolveOptions", "generate_scenario", "solve", "validate"]
__version__ = "0.1.0"
