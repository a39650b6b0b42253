"""The house keeps its layers (DESIGN §2): the import contracts in pyproject.toml hold, they can fail, and no
module reads another module's private names."""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "receptorkin"
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed (pip install -e '.[test]')")


def lint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd), "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([str(LINT), "--no-cache", *args], cwd=cwd, env=env, capture_output=True,
                          encoding="utf-8")


def test_the_import_contracts_hold():
    proc = lint(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "6 kept, 0 broken" in proc.stdout


def test_a_broken_layer_a_cycle_and_a_stray_matplotlib_import_are_caught(tmp_path):
    # the real contracts on a copy of the package with three bad imports added
    shutil.copytree(PACKAGE, tmp_path / "receptorkin", ignore=shutil.ignore_patterns("__pycache__", "bundled"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")

    def append(module: str, code: str) -> None:
        path = tmp_path / "receptorkin" / module
        path.write_text(path.read_text(encoding="utf-8") + f"\n\ndef _bad():\n    {code}\n", encoding="utf-8")

    append("simulation/simulator.py", "from ..design import compare")  # a layer broken
    append("models/units.py", "import matplotlib")  # matplotlib outside plots/
    append("models/files.py", "from .library import catalogue")  # a cycle: library imports files
    proc = lint(tmp_path)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "receptorkin.simulation.simulator -> receptorkin.design" in out
    assert "receptorkin.models.units -> matplotlib" in out
    assert "No cycles are allowed in receptorkin.models" in out
    assert "3 kept, 3 broken" in out


def _modules() -> dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = path
    return mods


def _absolute(module: str, is_package: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def private_reads(mods: dict[str, Path], root: Path = ROOT) -> list[str]:
    """``from receptorkin.x import _name`` and ``module._name`` on an imported receptorkin module, anywhere in
    the package (a private module imported inside its own package, e.g. ``cli._common``, is allowed)."""
    found = []
    for name, path in sorted(mods.items()):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        package = name if is_package else name.rpartition(".")[0]
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _absolute(name, is_package, node.level, node.module)
                if not source.startswith("receptorkin"):
                    continue
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    if full in mods:  # a module
                        aliases[alias.asname or alias.name] = full
                        if alias.name.startswith("_") and not full.startswith(package + "."):
                            found.append(f"{path.relative_to(root)}:{node.lineno}: imports private module {full}")
                    elif alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.relative_to(root)}:{node.lineno}: from {source} import {alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("receptorkin") and alias.asname:
                        aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id in aliases):
                found.append(f"{path.relative_to(root)}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_module_reads_another_modules_private_names():
    assert private_reads(_modules()) == []


def test_the_private_name_check_can_fail(tmp_path):
    pkg = tmp_path / "receptorkin"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("")
    (pkg / "a" / "low.py").write_text("def _helper():\n    return 1\n")
    (pkg / "a" / "high.py").write_text("from .low import _helper\nfrom . import low as lo\nx = lo._helper()\n")
    mods = {"receptorkin": pkg / "__init__.py", "receptorkin.a": pkg / "a" / "__init__.py",
            "receptorkin.a.low": pkg / "a" / "low.py", "receptorkin.a.high": pkg / "a" / "high.py"}
    assert private_reads(mods, tmp_path) == ["receptorkin/a/high.py:1: from receptorkin.a.low import _helper",
                                             "receptorkin/a/high.py:3: lo._helper"]
