"""The command line: outputs, exit codes, one-line errors, nothing overwritten."""

import subprocess
import sys

import pandas as pd
import pytest

from conftest import BAD, ROOT
from receptorkin.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_models_table_lists_every_bundled_model(capsys):
    from receptorkin.models import library

    code, out, _ = run(capsys, "models")
    assert code == 0
    for mid in library.available():
        assert mid in out


def test_models_show_prints_sources_and_references(capsys):
    code, out, _ = run(capsys, "models", "show", "trafficking")
    assert code == 0
    assert "k_internalization" in out and "Herbst" in out and "1/(nM*min)" in out
    assert "identifiers.org/pubmed:8051071" in out


def test_simulate_writes_csv_and_png(capsys, tmp_path):
    csv, png = tmp_path / "tc.csv", tmp_path / "tc.png"
    code, _, err = run(capsys, "simulate", "trafficking", "--t-end", "2h", "--points", "5", "--dose", "10nM",
                       "--set", "k_on=0.2", "-o", str(csv), "--plot", str(png))
    assert code == 0, err
    df = pd.read_csv(csv)
    assert list(df["time"]) == [0, 30, 60, 90, 120]
    assert png.stat().st_size > 1000


def test_dose_response_csv(capsys, tmp_path):
    csv = tmp_path / "dr.csv"
    code, _, err = run(capsys, "dose-response", "trafficking", "--doses", "1e-3:1e3:12", "--observable", "surface_receptor", "-o", str(csv))
    assert code == 0, err
    df = pd.read_csv(csv)
    assert len(df) == 12 and df["surface_receptor"].is_monotonic_decreasing


@pytest.mark.parametrize("argv,match", [
    (["simulate", "trafficking", "--t-end", "1h", "--set", "k_onn=1"], "unknown parameter 'k_onn' (did you mean 'k_on'?)"),
    (["simulate", "trafficking", "--t-end", "1h", "--set", "k_on=fast"], "'fast' is not a number"),
    (["simulate", "trafficking", "--t-end", "1 fortnight"], "unknown time unit"),
    (["dose-response", "trafficking", "--doses", "1,-1"], "non-negative"),
    (["dose-response", "trafficking", "--doses", "3,2,1"], "strictly increasing"),
    (["dose-response", "trafikking", "--doses", "1,2"], "did you mean 'trafficking'"),
    (["simulate", "https://example.org/model.xml", "--t-end", "1h"], "URLs are not loaded"),
    (["simulate", "no/such/model.xml", "--t-end", "1h"], "no such file"),
    (["validate", str(BAD / "sbml_algebraic_rule.xml")], "algebraic rule"),
    (["validate", str(BAD / "sbml_malformed.xml")], "sbml_malformed.xml:"),
])
def test_errors_are_one_line_with_exit_1(capsys, argv, match):
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("receptorkin: error:")
    assert match in err
    assert "Traceback" not in err


def test_existing_output_is_not_overwritten(capsys, tmp_path):
    csv = tmp_path / "out.csv"
    csv.write_text("precious")
    code, _, err = run(capsys, "dose-response", "trafficking", "--doses", "1,2", "-o", str(csv))
    assert code == 1 and "--force" in err
    assert csv.read_text(encoding="utf-8") == "precious"
    code, _, _ = run(capsys, "dose-response", "trafficking", "--doses", "1,2", "-o", str(csv), "--force")
    assert code == 0 and csv.read_text(encoding="utf-8").startswith("dose,")


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["simulate", "trafficking"])  # --t-end missing
    assert info.value.code == 2


def test_help_does_not_import_heavy_libraries():
    code = ("import sys; from receptorkin.cli import build_parser; build_parser(); "
            "heavy = [m for m in ('roadrunner', 'tellurium', 'matplotlib', 'lmfit', 'pandas', 'libsbml', 'scipy') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


def test_console_script_runs_as_module():
    proc = subprocess.run([sys.executable, "-m", "receptorkin", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and "dose-response" in proc.stdout


def test_version_is_the_one_in_pyproject(capsys):
    import re

    import receptorkin
    from receptorkin.report.html import software_versions
    from receptorkin.version import __version__

    # the [project] table's version line (tomllib is Python 3.11+; the package supports 3.10)
    declared = re.search(r'^version = "([^"]+)"$', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M).group(1)
    assert __version__ == receptorkin.__version__ == declared
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"receptorkin {declared}"
    assert software_versions()["receptorkin"] == declared  # installed metadata, or the module's version
