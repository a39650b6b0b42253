"""``receptorkin population``: outputs, agreement with the library, exit codes."""

import json
import socket
import time

import numpy as np
import pandas as pd
import pytest

from receptorkin.cli import main
from receptorkin.population import LogNormal, Population, simulate

ARGS = ["population", "turnover_tolerance", "--n", "300", "--cv", "k_degradation=0.5,EC50=0.3",
        "--regimen", "exposure:50nM@0-", "--criterion", "response@6h/response@0h>=0.5", "--seed", "3",
        "--points", "9", "--no-progress"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_population_writes_individuals_summary_and_bands(capsys, tmp_path):
    code, out, err = run(capsys, *ARGS, "-o", str(tmp_path / "run"))
    assert code == 0, err
    d = tmp_path / "run"
    assert sorted(p.name for p in d.iterdir()) == ["bands.png", "individuals.csv", "report.html", "summary.json"]
    summary = json.loads((d / "summary.json").read_text())
    # the same numbers as the library with the same seed
    pop = Population("turnover_tolerance", {"k_degradation": LogNormal(0.5), "EC50": LogNormal(0.3)}, n=300, seed=3)
    lib = simulate(pop, "exposure:50nM@0-", criterion="response@6h/response@0h>=0.5").responders()
    r = summary["responders"]
    assert r["responders"] == lib.responders and r["evaluable"] == 300 and r["method"] == "wilson"
    assert r["ci"][0] <= r["fraction"] <= r["ci"][1]
    assert summary["drivers"][0]["parameter"] == "k_degradation"
    assert summary["variability"]["k_degradation"] == {"distribution": "lognormal", "cv": 0.5, "median": 0.0578}
    assert summary["bands"]["observable"] == "response" and len(summary["bands"]["p50"]) >= 9
    df = pd.read_csv(d / "individuals.csv")
    assert len(df) == 300 * 2  # one row per individual and criterion readout
    assert set(df["readout"]) == {"response@6h", "response@0h"}
    assert {"k_degradation", "EC50", "margin", "responder"} <= set(df.columns)
    assert int(df.groupby("individual")["responder"].first().sum()) == lib.responders
    assert (d / "bands.png").stat().st_size > 5000
    assert "meet response@6h/response@0h>=0.5" in out and "k_degradation" in out


def test_two_processes_give_the_same_summary(capsys, tmp_path):
    assert run(capsys, *ARGS, "-o", str(tmp_path / "a"))[0] == 0
    assert run(capsys, *ARGS, "--jobs", "2", "-o", str(tmp_path / "b"))[0] == 0
    a = json.loads((tmp_path / "a" / "summary.json").read_text())
    b = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert a["backend"] == "serial" and b["backend"] == "2 processes"
    for key in ("responders", "drivers", "bands"):
        assert a[key] == b[key]
    assert (pd.read_csv(tmp_path / "a" / "individuals.csv").equals(pd.read_csv(tmp_path / "b" / "individuals.csv")))


@pytest.mark.parametrize("change,match", [
    (["--criterion", "response@6h/respnse@0h>=0.5"], "did you mean 'response'"),
    (["--criterion", "response@6h >> 1"], "expected a number"),
    (["--cv", "k_degradation=0"], "cv must be a positive number"),
    (["--cv", "k_degradaton=0.3"], "did you mean 'k_degradation'"),
    (["--n", "0"], "n must be a whole number of individuals, at least 1"),
    (["--regimen", "exposure:50nM@"], "exposure"),
    (["--cv", "k_degradation=wide"], "not a number"),
])
def test_bad_input_exits_1_with_one_line(capsys, tmp_path, change, match):
    argv = list(ARGS)
    key = change[0]
    i = argv.index(key)
    argv[i + 1] = change[1]
    code, _, err = run(capsys, *argv, "-o", str(tmp_path / "x"))
    assert code == 1
    assert err.startswith("receptorkin: error:") and len(err.strip().splitlines()) == 1
    assert match in err
    assert not (tmp_path / "x").exists()  # options are read before any output


def test_existing_outdir_needs_force(capsys, tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    (d / "keep.txt").write_text("x")
    code, _, err = run(capsys, *ARGS, "-o", str(d))
    assert code == 1 and "--force" in err
    assert run(capsys, *ARGS, "-o", str(d), "--force")[0] == 0
    assert (d / "keep.txt").exists()


def test_jobs_and_scheduler_are_exclusive(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main([*ARGS, "--jobs", "2", "--scheduler", "tcp://127.0.0.1:8786", "-o", str(tmp_path / "x")])
    assert exc.value.code == 2


def test_unreachable_scheduler_fails_fast(capsys, tmp_path):
    pytest.importorskip("distributed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    code, _, err = run(capsys, *ARGS, "--scheduler", f"tcp://127.0.0.1:{port}", "-o", str(tmp_path / "x"))
    assert code == 1 and "cannot connect" in err
    assert time.perf_counter() - t0 < 5.0


def test_points_zero_records_only_the_criterion(capsys, tmp_path):
    argv = [a if a != "9" else "0" for a in ARGS]
    code, _, err = run(capsys, *argv, "-o", str(tmp_path / "r"))
    assert code == 0, err
    bands = json.loads((tmp_path / "r" / "summary.json").read_text())["bands"]
    assert bands["time_h"] == [0.0, 6.0]
    code, _, err = run(capsys, *argv, "--band", "surface_receptor", "-o", str(tmp_path / "s"))
    assert code == 1 and "only the criterion's readouts are recorded (response)" in err


def test_without_criterion_the_time_course_is_written(capsys, tmp_path):
    argv = [a for a in ARGS if a not in ("--criterion", "response@6h/response@0h>=0.5")]
    code, _, err = run(capsys, *argv, "--horizon", "1d", "--band", "surface_receptor", "-o", str(tmp_path / "r"))
    assert code == 0, err
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert "responders" not in summary and summary["bands"]["observable"] == "surface_receptor"
    df = pd.read_csv(tmp_path / "r" / "individuals.csv")
    assert set(df["observable"]) == {"surface_receptor"} and len(df) == 300 * 9
    assert np.allclose(sorted(set(df["time"])), np.linspace(0, 24, 9))


def test_parquet_format_on_request(capsys, tmp_path):
    import pandas as pd

    code, _, err = run(capsys, *ARGS, "--format", "parquet", "-o", str(tmp_path / "pq"))
    assert code == 0, err
    table = pd.read_parquet(tmp_path / "pq" / "individuals.parquet")
    csv_code, _, _ = run(capsys, *ARGS, "-o", str(tmp_path / "csv"))
    assert csv_code == 0
    csv = pd.read_csv(tmp_path / "csv" / "individuals.csv")
    assert list(table.columns) == list(csv.columns) and len(table) == len(csv) == 600
    numeric = [c for c in table.columns if pd.api.types.is_float_dtype(table[c])]
    pd.testing.assert_frame_equal(table[numeric], csv[numeric], check_exact=False, rtol=1e-9)


def test_summary_json_is_the_results_summary(capsys, tmp_path):
    # the CLI only parses and calls: summary.json is PopulationResult.summary()
    from receptorkin.jsonout import dumps

    code, _, err = run(capsys, *ARGS, "--set", "k_synthesis=1.1", "-o", str(tmp_path / "run"))
    assert code == 0, err
    pop = Population("turnover_tolerance", {"k_degradation": LogNormal(0.5), "EC50": LogNormal(0.3)}, n=300, seed=3,
                     values={"k_synthesis": 1.1})
    from receptorkin.population import time_grid

    times = time_grid(pop.model, "exposure:50nM@0-", 6.0, points=9)  # the model's hours; the criterion's 6 h
    res = simulate(pop, "exposure:50nM@0-", ["response"], times=times, criterion="response@6h/response@0h>=0.5",
                   out=tmp_path / "individuals.csv", out_readouts=["response@6h", "response@0h"])
    summary = res.summary("response")
    assert (tmp_path / "run" / "summary.json").read_text() == dumps(summary, indent=2) + "\n"
    assert summary["fixed"] == {"k_synthesis": 1.1} and summary["equilibrate"] is False


def test_the_command_writes_what_the_library_builds(capsys, tmp_path):
    # the CLI only parses and calls: summary.json, bands.png and report.html are write_population_files()
    from receptorkin.population import time_grid
    from receptorkin.report.folders import POPULATION_FILES, write_population_files

    code, _, err = run(capsys, *ARGS, "-o", str(tmp_path / "run"))
    assert code == 0, err
    pop = Population("turnover_tolerance", {"k_degradation": LogNormal(0.5), "EC50": LogNormal(0.3)}, n=300, seed=3)
    times = time_grid(pop.model, "exposure:50nM@0-", 6.0, points=9)  # the model's hours; the criterion's 6 h
    lib = tmp_path / "lib"
    lib.mkdir()
    res = simulate(pop, "exposure:50nM@0-", ["response"], times=times, criterion="response@6h/response@0h>=0.5",
                   out=lib / "individuals.csv", out_readouts=["response@6h", "response@0h"], progress=False)
    paths = write_population_files(res, lib, band="response", horizon=6.0)
    assert [p.name for p in paths] == list(POPULATION_FILES) == ["summary.json", "bands.png", "report.html"]
    for name in ("individuals.csv", *POPULATION_FILES):
        assert (tmp_path / "run" / name).read_bytes() == (lib / name).read_bytes(), name
    # the figure's time axis: hours for a 6-h horizon, days from 48 h on
    from receptorkin.plots import plot_bands, save_figure

    for horizon, unit in ((6.0, "h"), (48.0, "d")):
        folder = tmp_path / f"horizon{horizon:g}"
        folder.mkdir()
        write_population_files(res, folder, band="response", horizon=horizon)
        save_figure(plot_bands(res, "response", time_unit=unit), folder / "expected.png")
        assert (folder / "bands.png").read_bytes() == (folder / "expected.png").read_bytes(), horizon
