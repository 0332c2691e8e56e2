"""The built wheel installs one import name, ``aftersales``, and works from any directory.

The wheel is built from this checkout and installed with ``--no-deps`` into a fresh virtual
environment under ``tmp_path`` (outside the checkout). Its dependencies come from the test's own
environment through a path entry (a ``.pth`` line), which adds that site-packages to ``sys.path``
without running its ``.pth`` files, so the editable install of this checkout stays invisible and
every ``aftersales`` module is imported from the wheel's files.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from aftersales import Scenario

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"optimizer": "aftersales/optimizer", "api": "aftersales/api",
           "datasets": "aftersales/datasets", "benchmarks": "aftersales/benchmarks"}  # fmt: skip
"""Repository folder → where its files sit in the wheel."""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout (no build isolation: the dev extras carry setuptools)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(ROOT)],
        check=True, cwd=out,
    )  # fmt: skip
    (built,) = out.glob("aftersales_optimizer-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A fresh venv with the wheel installed; what its install added to site-packages and bin."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, with_pip=False)
    python = home / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    )  # fmt: skip
    before_site = {p.name for p in site.iterdir()}
    before_bin = {p.name for p in (home / "bin").iterdir()}
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
         "--no-index", str(wheel)],
        check=True,
    )  # fmt: skip
    added_site = {p.name for p in site.iterdir()} - before_site
    added_bin = {p.name for p in (home / "bin").iterdir()} - before_bin
    dependencies = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_test_dependencies.pth").write_text("\n".join(sorted(dependencies)) + "\n")
    return {"home": home, "site": site, "added_site": added_site, "added_bin": added_bin}


def run_in(home: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a command of the fresh venv from ``cwd``, with no path inherited from this process."""
    env = {"PATH": f"{home / 'bin'}:/usr/bin:/bin", "HOME": str(cwd), "LC_ALL": "C.UTF-8"}
    return subprocess.run(
        list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_wheel_holds_one_top_level_name_and_every_module(wheel: Path) -> None:
    """Every .py file of the four folders is in the wheel under aftersales/, plus package data."""
    names = set(zipfile.ZipFile(wheel).namelist())
    top = {name.split("/")[0] for name in names}
    assert top == {"aftersales", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}
    expected = {
        f"{FOLDERS[path.parts[0]]}/{'/'.join(path.parts[1:])}"
        for folder in FOLDERS
        for path in (p.relative_to(ROOT) for p in (ROOT / folder).rglob("*.py"))
    }
    assert expected - names == set()
    assert {"aftersales/__init__.py", "aftersales/py.typed",
            "aftersales/datasets/samples/s_scenario.xlsx"} <= names  # fmt: skip


def test_install_adds_only_the_namespace_and_the_console_script(
    installed: dict[str, object],
) -> None:
    """site-packages gains `aftersales` and its dist-info; bin gains the `aftersales` script."""
    added_site = installed["added_site"]
    assert isinstance(added_site, set)
    assert {n for n in added_site if not n.endswith(".dist-info")} == {"aftersales"}
    assert len(added_site) == 2
    assert installed["added_bin"] == {"aftersales"}


def test_public_api_imports_from_the_wheel(installed: dict[str, object], tmp_path: Path) -> None:
    """`from aftersales import ...` resolves to the installed files, not to this checkout."""
    home = installed["home"]
    assert isinstance(home, Path)
    result = run_in(
        home, tmp_path, "python", "-c",
        "import aftersales, aftersales.api.main, aftersales.benchmarks.registry; "
        "from aftersales import Scenario, Plan, solve, validate, generate_scenario; "
        "print(aftersales.__file__); print(aftersales.optimizer.__file__)",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for line in result.stdout.split():
        assert Path(line).is_relative_to(home), line


def test_console_script_generates_solves_and_imports_from_another_directory(
    installed: dict[str, object], tmp_path: Path
) -> None:
    """`aftersales generate`, `solve`, `validate` and `import` of the shipped workbook all work."""
    home, site = installed["home"], installed["site"]
    assert isinstance(home, Path)
    assert isinstance(site, Path)
    steps = [
        ("aftersales", "generate", "--size", "S", "--seed", "0", "-o", "s.json"),
        ("aftersales", "solve", "s.json", "-o", "plan.json", "--time-limit", "10",
         "--layers", "network,inventory"),
        ("aftersales", "validate", "s.json", "plan.json"),
        ("aftersales", "import", str(site / "aftersales/datasets/samples/s_scenario.xlsx"),
         "-o", "sample.json"),
        ("python", "-m", "aftersales.benchmarks", "--help"),
    ]  # fmt: skip
    for step in steps:
        result = run_in(home, tmp_path, *step)
        assert result.returncode == 0, (step, result.stdout[-2000:], result.stderr[-2000:])
    sample = Scenario.model_validate_json((tmp_path / "sample.json").read_text())
    assert sample == Scenario.model_validate_json((tmp_path / "s.json").read_text())
