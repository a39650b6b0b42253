"""receptorkin behaves like a Unix tool and a well-behaved library.

Output files get the permissions the umask gives while staying atomic;
stdout carries only data (solver chatter and notes go elsewhere); ``-o -``
and a ``-`` data file mean stdout and stdin; ``--quiet``/``--verbose``;
importing the package loads no optional heavyweight; plotting leaves the
matplotlib backend alone; models are taken from paths as paths.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import DATA, ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask():
    """Set a umask for one test and restore the previous one."""
    saved = os.umask(0o022)
    os.umask(saved)

    def set_(mask: int) -> None:
        os.umask(mask)

    yield set_
    os.umask(saved)


# --------------------------------------------------------------------------- permissions
@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_outputs_get_the_umask_permissions(tmp_path, umask, mask, expected):
    from receptorkin.io import atomic_write_text, write_csv

    umask(mask)
    plain = tmp_path / "plain.txt"
    plain.write_text("x")  # what open() gives: the reference
    assert _mode(plain) == expected
    atomic_write_text(tmp_path / "a.txt", "hello")
    write_csv(pd.DataFrame({"a": [1.0]}), tmp_path / "b.csv")
    assert _mode(tmp_path / "a.txt") == expected
    assert _mode(tmp_path / "b.csv") == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.csv", "plain.txt"]  # no temporary left


def test_cli_outputs_are_0644_under_umask_022(tmp_path, umask, capsys):
    from receptorkin.cli import main

    umask(0o022)
    out = tmp_path / "tc.csv"
    assert main(["simulate", "trafficking", "--t-end", "1h", "--points", "5", "-o", str(out),
                 "--plot", str(tmp_path / "tc.png")]) == 0
    assert _mode(out) == 0o644
    assert _mode(tmp_path / "tc.png") == 0o644
    assert main(["export", "trafficking", "-o", str(tmp_path / "m.xml")]) == 0
    assert _mode(tmp_path / "m.xml") == 0o644


# --------------------------------------------------------------------------- stdout carries data only
def test_simulate_stdout_is_exactly_the_csv(capsys):
    from receptorkin.cli import main

    assert main(["simulate", "trafficking", "--t-end", "2h", "--points", "7"]) == 0
    out = capsys.readouterr().out
    df = pd.read_csv(io.StringIO(out))
    assert list(df["time"]) == [0, 20, 40, 60, 80, 100, 120]  # minutes
    assert df["surface_receptor"].iloc[0] == pytest.approx(20000)  # Vs/kt, the analytic steady state


def test_dash_output_is_stdout_and_notes_go_to_stderr(tmp_path, capsys):
    from receptorkin.cli import main

    png = tmp_path / "curve.png"
    assert main(["dose-response", "trafficking", "--doses", "0.1,1,10", "-o", "-", "--plot", str(png)]) == 0
    captured = capsys.readouterr()
    df = pd.read_csv(io.StringIO(captured.out))
    assert list(df["dose"]) == [0.1, 1, 10]
    assert f"wrote {png}" in captured.err and "wrote" not in captured.out
    assert png.exists() and not (Path.cwd() / "-").exists()


def test_quiet_silences_notes_and_verbose_adds_debug(tmp_path, capsys):
    from receptorkin.cli import main

    assert main(["--quiet", "export", "trafficking", "-o", str(tmp_path / "q.xml")]) == 0
    assert capsys.readouterr().err == ""
    assert main(["--verbose", "export", "trafficking", "-o", str(tmp_path / "v.xml")]) == 0
    assert f"wrote {tmp_path / 'v.xml'}" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--quiet", "--verbose", "models"])  # mutually exclusive: a usage error


def _cvode_chatter_script(with_receptorkin: bool) -> str:
    """A raw libRoadRunner run that makes CVODE warn 't + h = t' (a start at t = 1e10 min)."""
    head = "import receptorkin.simulation\n" if with_receptorkin else ""
    return head + (
        "import antimony, roadrunner\n"
        "antimony.loadAntimonyString(\"model m\\n A' = -k*A + sin(time); A = 1; k = 1\\nend\")\n"
        "rr = roadrunner.RoadRunner(antimony.getSBMLString('m'))\n"
        "rr.integrator.relative_tolerance = 1e-10\n"
        "rr.integrator.absolute_tolerance = 1e-14\n"
        "try:\n"
        "    rr.simulate(1e10, 1e10 + 100, 5)\n"
        "except RuntimeError:\n"  # CVODE may also give up (too many steps): the warnings came first
        "    pass\n"
    )


def test_cvode_warnings_never_reach_stdout():
    env = {k: v for k, v in ENV.items() if k != "SUNLOGGER_WARNING_FILENAME"}
    bare = subprocess.run([sys.executable, "-c", _cvode_chatter_script(False)], capture_output=True, text=True, env=env)
    assert "t + h = t" in bare.stdout  # the problem: SUNDIALS prints its warnings on stdout
    ours = subprocess.run([sys.executable, "-c", _cvode_chatter_script(True)], capture_output=True, text=True, env=env)
    assert ours.returncode == 0
    assert ours.stdout == ""
    assert "t + h = t" in ours.stderr  # moved, not lost


def test_piped_csv_parses_while_the_solver_warns():
    """A time course on stdout stays parseable when CVODE warns in the same process."""
    script = _cvode_chatter_script(True) + (
        "from receptorkin.cli import main\n"
        "raise SystemExit(main(['simulate', 'trafficking', '--t-end', '2h']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=ENV)
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(io.StringIO(proc.stdout))
    assert len(df) == 101 and df.columns[0] == "time"


def test_closed_pipe_ends_quietly():
    proc = subprocess.run(f"'{sys.executable}' -m receptorkin simulate trafficking --t-end 2h --points 20000 | head -1",
                          shell=True, capture_output=True, text=True, env=ENV)
    assert proc.stdout.startswith("time,")
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


# --------------------------------------------------------------------------- stdin
def test_curve_reads_data_from_stdin(tmp_path):
    text = (DATA / "spinach.csv").read_text(encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "receptorkin", "curve", "-", "--dose", "DOSE", "--response", "SLOPE",
                           "--curve-id", "CURVE", "-o", str(tmp_path / "out")], input=text, capture_output=True,
                          text=True, env=ENV)
    assert proc.returncode == 0, proc.stderr
    import json

    fit = json.loads((tmp_path / "out" / "curve.json").read_text(encoding="utf-8"))
    e1 = fit["curves"]["1"]["parameters"]["e"]["estimate"]
    assert e1 == pytest.approx(1.794955, abs=0.05 * 0.7)  # drc's LL.4 fit of curve 1 (tests/test_curves_drc.py)


def test_stdin_errors_name_stdin():
    proc = subprocess.run([sys.executable, "-m", "receptorkin", "curve", "-", "--dose", "DOSE", "--response", "SLOPE",
                           "-o", "unused"], input="DOSE,SLOPE\n1,abc\n", capture_output=True, text=True, env=ENV)
    assert proc.returncode == 1
    assert proc.stderr.startswith("receptorkin: error: <stdin>")
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- imports
def test_import_and_simulator_load_no_optional_heavyweights():
    script = ("import sys, receptorkin; receptorkin.Simulator('trafficking'); "
              "print(sorted(m for m in ('tellurium', 'six', 'IPython', 'plotly', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=ENV, check=True).stdout
    assert out.strip() == "[]"


def test_missing_tellurium_is_a_one_line_error_naming_the_extra(tmp_path, monkeypatch):
    from receptorkin.errors import MissingDependencyError
    from receptorkin.export.sedml import run_omex, timecourse_omex

    path = timecourse_omex(tmp_path / "t.omex", "trafficking", 60, 5)
    monkeypatch.setitem(sys.modules, "tellurium", None)  # import tellurium -> ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'receptorkin\[tellurium\]'"):
        run_omex(path)


# --------------------------------------------------------------------------- plotting
def test_plots_leave_the_backend_and_pyplot_alone(tmp_path):
    script = (
        "import matplotlib; matplotlib.use('svg'); import matplotlib.pyplot as plt\n"
        "from receptorkin import Simulator\n"
        "from receptorkin.plots import plot_timecourse, save_figure\n"
        "fig = plot_timecourse(Simulator('trafficking').timecourse('1h', 5))\n"
        f"save_figure(fig, r'{tmp_path / 'tc.png'}')\n"
        "print(matplotlib.get_backend(), type(fig).__name__, len(plt.get_fignums()))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=ENV, check=True).stdout
    assert out.split() == ["svg", "Figure", "0"]
    assert (tmp_path / "tc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- paths are paths
def test_validate_reads_a_path_as_a_path(tmp_path):
    import receptorkin

    xml = ROOT / "sbml" / "trafficking.xml"
    for given in (xml, str(xml)):
        report = receptorkin.validate(given)
        assert report.ok and report.name == str(xml)
    assert receptorkin.validate(xml.read_text(encoding="utf-8")).ok  # text still works
    ant = receptorkin.validate(ROOT / "sbml" / "trafficking.ant")  # Antimony file: converted first
    assert ant.ok
    assert receptorkin.read_sbml(xml).id == "trafficking"
    assert receptorkin.from_antimony(str(ROOT / "sbml" / "trafficking.ant")).id == "trafficking"
    with pytest.raises(receptorkin.ModelError, match=r"missing\.xml: no such file"):
        receptorkin.validate(str(tmp_path / "missing.xml"))
    bad = tmp_path / "bad.xml"
    bad.write_text("<sbml><model", encoding="utf-8")
    assert not receptorkin.validate(bad).ok


def test_bundled_files_are_package_data():
    from receptorkin.examples import names, path
    from receptorkin.models.library import MODEL_IDS, available, sbml_dir

    assert available() == list(MODEL_IDS) and len(MODEL_IDS) == 9
    assert sbml_dir().resolve() == (ROOT / "receptorkin" / "models" / "bundled").resolve()
    assert (ROOT / "sbml").resolve() == sbml_dir().resolve()  # the checkout's sbml/ is the same folder
    assert {"desensitization.csv", "desensitization_conditions.csv", "desensitization_truth.json"} <= set(names())
    assert path("desensitization.csv").read_text(encoding="utf-8").startswith(
        (ROOT / "data" / "desensitization.csv").read_text(encoding="utf-8")[:40])
    from receptorkin.errors import DataError

    with pytest.raises(DataError, match="no example data file 'nope.csv'"):
        path("nope.csv")
