"""The module paths that moved into packages (0.2 re-layout) still import, as the same module, with a
ReceptorkinDeprecationWarning naming the new path; and the package itself never uses an old path."""

import importlib
import subprocess
import sys

import pytest

from receptorkin.deprecation import MOVED_MODULES
from receptorkin.errors import ReceptorkinDeprecationWarning


@pytest.mark.parametrize("old, new", sorted(MOVED_MODULES.items()))
def test_an_old_path_warns_and_is_the_new_module(old, new, monkeypatch):
    monkeypatch.delitem(sys.modules, old, raising=False)
    parent, _, leaf = old.rpartition(".")
    monkeypatch.delattr(importlib.import_module(parent), leaf, raising=False)
    with pytest.warns(ReceptorkinDeprecationWarning, match=f"{old} has moved to {new}"):
        module = importlib.import_module(old)
    target = importlib.import_module(new)
    assert module is target
    public = target.__all__
    assert public
    for name in public:
        assert getattr(module, name) is getattr(target, name)
    namespace: dict = {}
    exec(f"from {old} import {public[0]}", namespace)
    assert namespace[public[0]] is getattr(target, public[0])


def test_an_unknown_module_is_still_an_import_error():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("receptorkin.no_such_module")


def test_the_package_imports_no_old_path():
    # every module of the package, imported in a fresh interpreter: none of them may use a moved path
    code = (
        "import pkgutil, warnings, importlib, receptorkin\n"
        "from receptorkin.errors import ReceptorkinDeprecationWarning\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    for m in pkgutil.walk_packages(receptorkin.__path__, 'receptorkin.'):\n"
        "        if '.examples.' not in m.name and not m.name.endswith('__main__'):\n"
        "            importlib.import_module(m.name)\n"
        "print([str(w.message) for w in caught if issubclass(w.category, ReceptorkinDeprecationWarning)])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
