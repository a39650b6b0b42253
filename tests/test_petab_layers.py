"""petab/ imports one way, in the order its package docstring names its modules, and no petab module reads
another object's private attributes.

Every import counts here, also one under ``if TYPE_CHECKING:`` or inside a function (import-linter, in
``test_import_contracts.py``, skips type-checking imports, so a back-import for an annotation would pass there).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import receptorkin.petab

PETAB = Path(receptorkin.petab.__file__).parent
ROOT = PETAB.parents[1]


def _order() -> list[str]:
    """The modules in the order the package docstring names them (``:mod:`.name```)."""
    return re.findall(r":mod:`\.(\w+)`", receptorkin.petab.__doc__ or "")


def _petab_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of a sibling petab module, wherever it stands in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.append((node.lineno, node.module.split(".")[0]))
            elif node.level == 1:
                found += [(node.lineno, a.name) for a in node.names]
            elif node.level == 0 and (node.module or "").startswith("receptorkin.petab."):
                found.append((node.lineno, node.module.split(".")[2]))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name.split(".")[2]) for a in node.names if a.name.startswith("receptorkin.petab.")]
    return found


def back_imports(order: list[str], folder: Path = PETAB) -> list[str]:
    rank = {name: k for k, name in enumerate(order)}
    bad = []
    for path in sorted(folder.glob("*.py")):
        if path.name == "__init__.py":
            continue
        me = path.stem
        if me not in rank:
            bad.append(f"{path.name}: not named in the package docstring")
            continue
        for line, other in _petab_imports(path):
            if other not in rank or rank[other] >= rank[me]:
                bad.append(f"{path.name}:{line}: imports .{other}")
    return bad


def private_attribute_reads(paths: list[Path]) -> list[str]:
    """``obj._name`` where ``obj`` is not ``self`` or ``cls`` and the file does not define ``_name`` itself
    (another module's private member; a module imported from outside receptorkin, e.g. ``argparse``, is not
    receptorkin's business)."""
    bad = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        own = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        own |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
                and isinstance(n.value, ast.Name) and n.value.id == "self"}
        outside = {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                   for a in n.names if not a.name.startswith("receptorkin")}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and node.attr not in own
                    and not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"} | outside)):
                bad.append(f"{path.name}:{node.lineno}: .{node.attr}")
    return bad


def test_every_petab_module_is_named_in_the_order():
    assert set(_order()) == {p.stem for p in PETAB.glob("*.py")} - {"__init__"}


def test_petab_modules_import_only_modules_named_before_them():
    assert back_imports(_order()) == []


def test_no_petab_module_reads_private_members_of_another_object():
    paths = sorted(PETAB.glob("*.py")) + [ROOT / "receptorkin" / "cli" / "petab.py"]
    assert private_attribute_reads(paths) == []


def test_the_checks_can_fail(tmp_path):
    (tmp_path / "low.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .high import H\n")
    (tmp_path / "high.py").write_text("import argparse\nfrom .low import L\n\n\ndef f(problem: argparse._A):\n"
                                      "    return problem._evaluate(1)\n")
    assert back_imports(["low", "high"], tmp_path) == ["low.py:3: imports .high"]
    assert back_imports(["high"], tmp_path) == ["high.py:2: imports .low", "low.py: not named in the package docstring"]
    assert private_attribute_reads([tmp_path / "high.py"]) == ["high.py:6: ._evaluate"]
