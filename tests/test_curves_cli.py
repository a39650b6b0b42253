"""``receptorkin curve``: outputs, exit codes 0/1/2, one-line errors, OUTDIR never overwritten silently."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import BAD, DATA, ROOT
from receptorkin.cli import main
from receptorkin.curves import operational_response


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


SPINACH = ["--dose", "DOSE", "--response", "SLOPE", "--curve-id", "CURVE"]


def test_spinach_writes_json_png_and_report(capsys, tmp_path):
    out = tmp_path / "fit"
    code, stdout, err = run(capsys, "curve", DATA / "spinach.csv", *SPINACH, "--ed", "10,50,90",
                            "--compare", "LL.3,W1.4", "-o", out)
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == {"curve.json", "curve.png", "report.md", "report.html"}
    assert (out / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((out / "curve.json").read_text(encoding="utf-8"))
    assert data["model"] == "LL.4" and data["df"] == 85
    for key in ("rse", "logLik", "aicc", "bic"):
        assert isinstance(data[key], float)
    e1 = data["curves"]["1"]["parameters"]["e"]
    assert set(e1) >= {"estimate", "se", "ci_low", "ci_high"}
    assert abs(e1["estimate"] - 1.794955) < 0.05 * e1["se"]
    eds = data["curves"]["4"]["ed"]
    assert [e["p"] for e in eds] == [10, 50, 90] and all(e["se"] > 0 for e in eds)
    lo, hi = data["curves"]["4"]["ec50_profile_ci"]
    assert lo < eds[1]["estimate"] < hi
    assert [r["model"] for r in data["comparison"]] == ["LL.4", "LL.3", "W1.4"]
    assert data["ed_ratios"][0]["numerator"] == "2" and data["ed_ratios"][0]["denominator"] == "1"
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Parameters" in report and "curve.png" in report and "Model comparison" in report
    assert "EC50" in stdout


def test_bad_data_exit_1_with_one_line_error(capsys, tmp_path):
    out = tmp_path / "fit"
    code, _, err = run(capsys, "curve", BAD / "curves_text_in_number.csv", "-o", out)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("receptorkin: error: ")
    assert "curves_text_in_number.csv:4: column 'dose': not a number (got '1e-3 nM')" in lines[0]
    assert not out.exists()


def test_several_problems_stay_on_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "curve", BAD / "curves_empty_response.csv", "-o", tmp_path / "x")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert ":4: column 'response': empty value; " in err and ":6: column 'response'" in err


@pytest.mark.parametrize("argv, message", [
    (["--model", "LL.9"], "unknown model 'LL.9'"),
    (["--ed", "10,abc"], "--ed"),
    (["--ed", "150"], "between 0 and 100"),
    (["--shared", "q"], "no free parameter 'q'"),
    (["--fixed", "c"], "NAME=NUMBER"),
    (["--compare", "XX"], "unknown model 'XX'"),
])
def test_usage_errors_exit_2(capsys, tmp_path, argv, message):
    code, _, err = run(capsys, "curve", DATA / "spinach.csv", *SPINACH, *argv, "-o", tmp_path / "o")
    assert code == 2
    assert message in err
    assert not (tmp_path / "o").exists()


def test_missing_outdir_option_is_argparse_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["curve", str(DATA / "spinach.csv")])
    assert exc.value.code == 2


def test_existing_outdir_refused_without_force(capsys, tmp_path):
    out = tmp_path / "fit"
    out.mkdir()
    (out / "old.txt").write_text("keep me")
    code, _, err = run(capsys, "curve", DATA / "spinach.csv", *SPINACH, "--no-profile", "-o", out)
    assert code == 1 and "exists" in err
    assert not (out / "curve.json").exists()
    code, _, err = run(capsys, "curve", DATA / "spinach.csv", *SPINACH, "--no-profile", "-o", out, "--force")
    assert code == 0, err
    assert (out / "curve.json").exists() and (out / "old.txt").read_text(encoding="utf-8") == "keep me"
    code, _, err = run(capsys, "curve", DATA / "spinach.csv", *SPINACH, "--no-profile", "-o", out, "--force")
    assert code == 0, err


def test_condition_column_reports_ec50_shift_and_emax_loss(capsys, tmp_path):
    rng = np.random.default_rng(0)
    taus = {"0h": 30.0, "1h": 10.0, "4h": 3.0, "24h": 0.5}
    rows = []
    for cond, tau in taus.items():
        for a in np.logspace(-10, -4, 13):
            for _ in range(2):
                rows.append({"condition": cond, "dose": a,
                             "response": operational_response(a, 100.0, 1e-6, tau) + rng.normal(0, 1.0)})
    path = tmp_path / "pretreatment.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    code, _, err = run(capsys, "curve", path, "--model", "sigEmax", "--no-profile", "-o", tmp_path / "o")
    assert code == 0, err
    data = json.loads((tmp_path / "o" / "curve.json").read_text(encoding="utf-8"))
    assert data["curve_column"] == "condition" and data["reference"] == "0h"
    shift = {r["curve"]: r for r in data["shift"]}
    expected = {c: (1 + taus["0h"]) / (1 + t) for c, t in taus.items()}
    for cond in taus:
        assert abs(shift[cond]["fold_shift"] - expected[cond]) < 4 * max(shift[cond]["fold_shift_se"], 1e-9)
    assert shift["24h"]["emax_loss_percent"] > 50 > shift["1h"]["emax_loss_percent"]
    code, _, err = run(capsys, "curve", path, "--model", "operational", "--fixed", "n=1,basal=0", "--no-profile",
                       "-o", tmp_path / "op")
    assert code == 0, err
    op = json.loads((tmp_path / "op" / "curve.json").read_text(encoding="utf-8"))
    frac = {r["curve"]: r["estimate"] for r in op["receptor_fraction"]}
    assert abs(frac["24h"] - 0.5 / 30) < 0.01


def test_schild_from_the_command_line(capsys, tmp_path):
    rows = []
    for B in (0.0, 1e-9, 1e-8, 1e-7):
        for a in np.logspace(-10, -4, 13):
            rows.append({"antagonist": B, "dose": a, "response": 100 / (1 + 1e-8 * (1 + B / 2e-9) / a)})
    path = tmp_path / "schild.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    code, _, err = run(capsys, "curve", path, "--model", "schild", "--no-profile", "-o", tmp_path / "o")
    assert code == 0, err
    data = json.loads((tmp_path / "o" / "curve.json").read_text(encoding="utf-8"))
    pa2 = data["curves"]["0"]["parameters"]["pA2"]["estimate"]
    assert abs(pa2 - (-np.log10(2e-9))) < 1e-6


def test_help_does_not_import_the_library():
    code = ("import sys; from receptorkin.cli import build_parser; "
            "import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try: build_parser().parse_args(['curve', '--help'])\n"
            "    except SystemExit: pass\n"
            "print(any(m in sys.modules for m in ('receptorkin.curves', 'receptorkin.plots.curves')))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert res.stdout.strip() == "False", res.stderr
