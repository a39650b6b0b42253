"""Every ```python block in docs/ runs (blocks of one page share a namespace),
with the repository root as working directory, so the docs cannot rot."""

import re

import pytest

from conftest import ROOT

PAGES = sorted((ROOT / "docs").rglob("*.md"))
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_docs_exist():
    names = {p.relative_to(ROOT / "docs").as_posix() for p in PAGES}
    assert {"index.md", "models.md", "simulation.md", "cli.md"} <= names


@pytest.mark.parametrize("page", [p for p in PAGES if FENCE.search(p.read_text(encoding="utf-8"))], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_python_examples_run(page, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(ROOT)
    namespace: dict = {"__name__": "__docs__"}
    for i, block in enumerate(FENCE.findall(page.read_text(encoding="utf-8"))):
        code = compile(block, f"{page.name}[block {i + 1}]", "exec")
        exec(code, namespace)


def test_api_reference_builds(tmp_path):
    """``make docs``: mkdocs + mkdocstrings render every API page from the docstrings."""
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (pip install -e '.[docs]')")
    pytest.importorskip("mkdocstrings", reason="the docs extra is not installed (pip install -e '.[docs]')")
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    page = (tmp_path / "site" / "api" / "fitting" / "index.html").read_text(encoding="utf-8")
    # the FitResult docstring made it into the page, with the methods added for this reference
    assert "FitResult" in page and "prediction_problem" in page and "vcov" in page
