"""Issue 14: bad input never crashes, nothing given is silently dropped, outputs appear whole or not at all.

One regression test per crash or silent change reported; each checks the
one-line message, the exit status and what is (not) left on disk.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from conftest import BAD, DATA, ROOT
from receptorkin.cli import main
from receptorkin.errors import (
    DataError,
    DuplicateRowWarning,
    OutputError,
    ReceptorkinError,
    ReceptorkinWarning,
    RegimenError,
)

DESENS = ROOT / "data" / "desensitization.csv"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("receptorkin: error: "), err
    assert "Traceback" not in err
    return err


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name or p.name.startswith("."))


# ---------------------------------------------------------------- crashes
def test_stray_quote_is_a_data_error_in_fit_curve_and_compare(capsys, tmp_path):
    csv = BAD / "csv_stray_quote.csv"
    for argv in (["curve", csv, "-o", tmp_path / "c"],
                 ["fit", csv, "--model", "trafficking", "--estimate", "k_recycling", "-o", tmp_path / "f"],
                 ["compare", csv, "--fit", "trafficking:k_recycling", "--fit", "trafficking:k_internalization",
                  "-o", tmp_path / "m"]):
        code, _, err = run(capsys, *argv)
        assert code == 1
        one_line_error(err)
        assert "csv_stray_quote.csv:2: column 'response': not a number (got 'a\"')" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_unclosed_quote_names_its_line():
    from receptorkin.data import read_table

    with pytest.raises(DataError, match=r"csv_unclosed_quote\.csv:3: column 'response': not a number"):
        read_table(BAD / "csv_unclosed_quote.csv", numeric=["dose", "response"])


def test_curve_on_a_file_that_is_not_utf8(capsys, tmp_path):
    code, _, err = run(capsys, "curve", BAD / "curves_cp1252.csv", "-o", tmp_path / "o")
    assert code == 1
    assert "curves_cp1252.csv:3: not a UTF-8 text file" in one_line_error(err)
    zipped = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5\xd3\xff\xfe" + bytes(range(256))
    book = tmp_path / "book.csv"  # a zip container (as an .xlsx is) under a .csv name
    book.write_bytes(zipped)
    code, _, err = run(capsys, "curve", book, "-o", tmp_path / "o")
    assert code == 1 and "book.csv:1: not a UTF-8 text file" in one_line_error(err)
    xlsx = tmp_path / "book.xlsx"  # a broken workbook goes to the Excel reader, which says so
    xlsx.write_bytes(zipped)
    code, _, err = run(capsys, "curve", xlsx, "-o", tmp_path / "o")
    assert code == 1 and "book.xlsx: not an Excel .xlsx workbook" in one_line_error(err)
    assert not (tmp_path / "o").exists()


def test_nul_bytes_are_reported_not_read(tmp_path):
    from receptorkin.data import read_table

    p = tmp_path / "n.csv"
    p.write_bytes(b"dose,label\n1,a\x00b\n")
    with pytest.raises(DataError, match=r"n\.csv:2: column 'label': contains a NUL byte"):
        read_table(p, numeric=["dose"])


@pytest.mark.parametrize("doses, message", [
    ("1:10:1000000000", "at most 100000 doses (got N=1000000000)"),
    ("1:10:3000000000", "at most 100000 doses (got N=3000000000)"),
    ("1E310,1", "'1E310' is not a finite number"),
    ("1:1E310:5", "LO and HI must be finite numbers"),
])
def test_dose_ranges_are_bounded_and_finite(capsys, doses, message):
    code, _, err = run(capsys, "dose-response", "trafficking", "--doses", doses)
    assert code == 1 and message in one_line_error(err)


def test_unit_strings_refuse_infinity(capsys):
    from receptorkin.units import UnitError, parse_concentration, parse_time

    with pytest.raises(UnitError, match=r"--t-end: '1e999s' is not a finite number"):
        parse_time("1e999s", "min", "--t-end")
    with pytest.raises(UnitError, match="not a finite number"):
        parse_concentration("1e999 nM", "nM", "--dose")
    with pytest.raises(UnitError, match="not a finite number"):
        parse_time("1e307w", "s", "--t-end")  # finite as written, infinite once converted
    assert parse_time("4h", "min") == 240.0 and parse_concentration("1e-3 uM", "nM") == pytest.approx(1.0)
    code, _, err = run(capsys, "simulate", "trafficking", "--t-end", "1e999s")
    assert code == 1 and "'1e999s' is not a finite number" in one_line_error(err)


def test_regimen_times_beyond_float_range_are_regimen_errors(capsys, tmp_path):
    from receptorkin.dosing import parse_regimen

    with pytest.raises(RegimenError, match=r"holiday: stop: 6e\+307 min is beyond the largest supported time"):
        parse_regimen("holiday:0-1e306h")
    with pytest.raises(RegimenError, match="pulses: every"):
        parse_regimen("pulses:every=1e306h,width=1min,dose=10nM")
    code, _, err = run(capsys, "regimen", "compare", "trafficking", "--regimen", "holiday:0-1e306h",
                       "-o", tmp_path / "r")
    assert code == 1 and "beyond the largest supported time" in one_line_error(err)
    assert not (tmp_path / "r").exists()


def test_validate_a_directory_is_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "validate", tmp_path)
    assert code == 1 and str(tmp_path) in one_line_error(err)


def test_negative_seed_is_a_usage_error(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(["fit", str(DESENS), "--model", "trafficking", "--estimate", "k_recycling", "--seed", "-1",
              "-o", str(tmp_path / "o")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --seed: expected a whole number >= 0 (got '-1')" in err and "Traceback" not in err


def test_points_are_capped(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["simulate", "trafficking", "--t-end", "1h", "--points", "100000000"])
    assert exit_.value.code == 2
    assert "at most 100000 output times" in capsys.readouterr().err


def test_a_write_that_fails_midway_is_one_line_and_leaves_nothing(capsys, tmp_path, monkeypatch):
    """A full disk while ``curve`` writes its second file: one line naming the path, no folder, no temporary file."""
    import receptorkin.io as io

    real = io.atomic_write_text
    calls = []

    def full_disk(path, text, force=False):
        calls.append(Path(path).name)
        if len(calls) == 2:
            with open(path, "w") as fh:  # half a file, then the disk is full
                fh.write(text[: len(text) // 2])
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, text, force)

    monkeypatch.setattr(io, "atomic_write_text", full_disk)
    out = tmp_path / "out"
    code, _, err = run(capsys, "curve", DATA / "spinach.csv", "--dose", "DOSE", "--response", "SLOPE",
                       "--curve-id", "CURVE", "--no-profile", "-o", out)
    assert code == 1, err
    line = one_line_error(err)
    assert f"{out / 'report.md'}: cannot write (No space left on device)" in line
    assert ".partial-" not in line
    assert not out.exists() and leftovers(tmp_path) == []


# ---------------------------------------------------------------- silent changes
def test_bounds_with_a_third_part_are_refused(capsys, tmp_path):
    code, _, err = run(capsys, "fit", DESENS, "--model", "gpcr_desensitization", "--estimate", "k_recycling",
                       "--bounds", "k_recycling=0.001:1:5", "-o", tmp_path / "o")
    assert code == 1
    assert "--bounds k_recycling: expected LO:HI with two values (got '0.001:1:5')" in one_line_error(err)
    code, _, err = run(capsys, "fit", DESENS, "--model", "gpcr_desensitization", "--estimate", "k_recycling",
                       "--bounds", "k_recycling=0.001:inf", "-o", tmp_path / "o")
    assert code == 1 and "'inf' is not a finite number" in one_line_error(err)


def test_an_option_given_twice_is_refused(capsys):
    from receptorkin.cli._common import parse_assignments

    with pytest.raises(ReceptorkinError, match=r"--set k: given twice \(k=1 and k=2\)"):
        parse_assignments(["k=1", "k=2"])
    with pytest.raises(ReceptorkinError, match="given twice"):
        parse_assignments(["k=1,k=1"])
    assert parse_assignments(["a=1", "b=2,c=3"]) == {"a": "1", "b": "2", "c": "3"}
    code, _, err = run(capsys, "simulate", "trafficking", "--t-end", "1h", "--set", "k_recycling=1",
                       "--set", "k_recycling=2")
    assert code == 1 and "given twice" in one_line_error(err)


def test_vary_and_fixed_conflicts_are_refused(capsys, tmp_path):
    for extra, message in ((["--vary", "period=30min:8h", "--vary", "period=1h:2h"], "--vary period: given twice"),
                           (["--vary", "period=30min:8h:9h"], "expected LO:HI with two values"),
                           (["--vary", "period=30min:8h", "--fixed", "period=1h"], "both name period")):
        code, _, err = run(capsys, "regimen", "optimize", "gnrh_pulsatile", *extra, "-o", tmp_path / "o")
        assert code == 1 and message in one_line_error(err)
    assert not (tmp_path / "o").exists()


def test_conflicting_regimen_fields_are_refused():
    from receptorkin.dosing import parse_regimen

    with pytest.raises(RegimenError, match=r"infusion: from= and start= name the same field.*from=0, start=5h"):
        parse_regimen("infusion:rate=2nmol/h,from=0,start=5h,to=7d")
    with pytest.raises(RegimenError, match="every= and period="):
        parse_regimen("pulses:every=90min,period=1h,width=6min,dose=10nM")
    with pytest.raises(RegimenError, match="route' given twice"):
        parse_regimen("bolus:10nmol@0,route=depot,route=central")
    with pytest.raises(RegimenError, match="unknown field 'colour'"):
        parse_regimen("infusion:rate=2nmol/h,to=7d,colour=red")
    ok = parse_regimen("infusion:rate=2nmol/h,start=5h,to=7d")
    assert ok.parts[0].start == 300.0


def test_conditions_refuse_nan_overrides_and_infinite_washouts_at_their_line():
    from receptorkin.data.measurements import load_conditions

    with pytest.raises(DataError) as err:
        load_conditions(BAD / "conditions_nan_override.csv", {"k_recycling": 0.1})
    assert "conditions_nan_override.csv:3: column 'k_recycling': not a finite number (got 'nan'" in str(err.value)
    with pytest.raises(DataError) as err:
        load_conditions(BAD / "conditions_infinite_washout.csv")
    assert "conditions_infinite_washout.csv:3: column 'washout':" in str(err.value)
    assert "not a finite number" in str(err.value)


def test_duplicate_rows_warn_naming_their_lines(capsys, tmp_path):
    from receptorkin.data.measurements import load_measurements

    with pytest.warns(DuplicateRowWarning) as record:
        m = load_measurements(BAD / "measurements_duplicate_rows.csv")
    assert issubclass(DuplicateRowWarning, ReceptorkinWarning)
    text = str(record[0].message)
    assert "identical rows (lines 2, 4; 3, 6)" in text and "measurements_duplicate_rows.csv" in text
    assert len(m) == 5  # kept: identical replicates are possible
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_measurements(DESENS)
    code, _, err = run(capsys, "curve", BAD / "measurements_duplicate_rows.csv", "-o", tmp_path / "o")
    first = err.splitlines()[0]  # the CLI prints a warning on one line
    assert first.startswith("receptorkin: warning: ") and "identical rows (lines 2, 4; 3, 6)" in first


def test_export_never_copies_a_doctype(tmp_path, capsys):
    source = (BAD / "sbml_doctype_entity.xml").read_text(encoding="utf-8")
    assert "<!DOCTYPE sbml [<!ENTITY x SYSTEM" in source
    out = tmp_path / "out.xml"
    code, _, err = run(capsys, "export", BAD / "sbml_doctype_entity.xml", "-o", out)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert "DOCTYPE" not in text and "ENTITY" not in text and "passwd" not in text
    from receptorkin.models import load_model

    assert load_model(out).parameters == load_model(DATA / "simple.xml").parameters
    load_model(BAD / "sbml_doctype_entity.xml").write(tmp_path / "w.xml")
    assert "DOCTYPE" not in (tmp_path / "w.xml").read_text(encoding="utf-8")


# ---------------------------------------------------------------- big input
def test_reading_stops_at_the_first_bad_chunk(tmp_path):
    from receptorkin.data import CHUNK_ROWS, read_table

    p = tmp_path / "big.csv"
    rows = ["dose,response", "x,1"] + [f"{i},1" for i in range(3 * CHUNK_ROWS)] + ["y,1"]
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_table(p, numeric=["dose", "response"])
    lines = str(err.value).splitlines()
    assert lines[0] == f"{p}:2: column 'dose': not a number (got 'x')"
    assert lines[-1] == f"{p}: reading stopped after line {CHUNK_ROWS + 1}; later lines were not checked"
    assert len(lines) == 2  # the bad last line was never read


def test_chunks_keep_line_numbers_across_quoted_line_breaks(tmp_path):
    from receptorkin.data import read_table

    p = tmp_path / "q.csv"
    p.write_text('# head\ndose,note\n1,"two\nlines"\n\n2,x\n# c\n3,"a\r\nb"\n4,y\n', encoding="utf-8", newline="")
    df = read_table(p, numeric=["dose"])
    assert list(df.index) == [3, 6, 8, 10]
    p.write_text('dose,note\n1,"two\nlines"\nz,y\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"q\.csv:4: column 'dose'"):
        read_table(p, numeric=["dose"])


# ---------------------------------------------------------------- staged output folders
def test_staged_outdir_appears_whole_or_not_at_all(tmp_path):
    from receptorkin.io import staged_outdir

    target = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with staged_outdir(target) as out:
            (out / "a.txt").write_text("a")
            raise RuntimeError("failed midway")
    assert not target.exists() and leftovers(tmp_path) == []
    with staged_outdir(target) as out:
        (out / "a.txt").write_text("a")
        assert not target.exists()  # nothing visible until complete
    assert (target / "a.txt").read_text() == "a" and leftovers(tmp_path) == []
    from receptorkin.errors import OutputExistsError

    with pytest.raises(OutputExistsError, match="not empty"):
        staged_outdir(target)
    (target / "keep.txt").write_text("k")
    (target / "sub").mkdir()
    (target / "sub" / "old.txt").write_text("o")
    with staged_outdir(target, force=True) as out:  # --force: replaces what it writes, keeps the rest
        (out / "a.txt").write_text("b")
        (out / "sub").mkdir()
        (out / "sub" / "new.txt").write_text("n")
    assert (target / "a.txt").read_text() == "b" and (target / "keep.txt").exists()
    assert sorted(p.name for p in (target / "sub").iterdir()) == ["new.txt"]
    assert leftovers(tmp_path) == [] and leftovers(target) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    with staged_outdir(empty) as out:
        (out / "x").write_text("x")
    assert (empty / "x").exists()


def test_an_oserror_while_staging_names_the_target(tmp_path):
    from receptorkin.io import staged_outdir

    target = tmp_path / "out"
    with pytest.raises(OutputError) as err:
        with staged_outdir(target) as out:
            raise OSError(errno.ENOSPC, "No space left on device", str(out / "fit.json"))
    assert str(err.value).startswith(f"{target / 'fit.json'}: cannot write (No space left on device)")
    assert not target.exists() and leftovers(tmp_path) == []


_WRITER = textwrap.dedent("""
    import sys, time
    from receptorkin.io import staged_outdir
    with staged_outdir(sys.argv[1]) as out:
        for i in range(3):
            (out / f"part{i}.txt").write_text("x" * 1000)
        print("writing", flush=True)
        time.sleep(60)
""")


def test_kill_9_mid_write_leaves_no_folder_and_the_rerun_works(tmp_path):
    target = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(target)], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        assert not target.exists() and len(leftovers(tmp_path)) == 1  # only the staging folder exists
    finally:
        proc.kill()  # SIGKILL: no cleanup runs
        proc.wait(timeout=30)
    assert not target.exists()
    from receptorkin.io import staged_outdir

    with staged_outdir(target) as out:  # the rerun works and removes the dead run's staging folder
        (out / "fit.json").write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(x) for x in out]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("group", [False, True], ids=["parent", "process-group"])
def test_ctrl_c_during_a_multistart_stops_workers_and_writes_nothing(tmp_path, group):
    """SIGINT to the parent (or, as a terminal does, to the whole group) during ``fit --jobs 2``."""
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "receptorkin", "fit", str(DESENS), "--model", "gpcr_desensitization",
         "--estimate", "k_internalization,k_recycling", "--conditions", str(ROOT / "data" / "desensitization_conditions.csv"),
         "--starts", "200", "--jobs", "2", "-o", str(out)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    children: list[int] = []
    deadline = time.monotonic() + 240
    while len(children) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.5)
        children = _children(proc.pid)
    assert len(children) == 2, "the worker processes never started"
    time.sleep(3)  # the workers are busy with starts now
    if group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)  # generous: a shared test machine
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "receptorkin: interrupted" and "Traceback" not in err
    for _ in range(40):
        if not any(_alive(c) for c in children):
            break
        time.sleep(0.25)
    assert not any(_alive(c) for c in children)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.slow
def test_kill_9_during_fit_output_then_rerun(tmp_path):
    """``fit -o out/`` killed while it writes: ``out/`` is absent (or complete), and the rerun needs no --force."""
    from synthetic import synthetic_trafficking

    data = tmp_path / "d.csv"
    synthetic_trafficking(2).table.drop(columns=["line"]).to_csv(data, index=False)
    work = tmp_path / "work"
    work.mkdir()
    out = work / "out"
    argv = [sys.executable, "-m", "receptorkin", "fit", str(data), "--model", "trafficking", "--estimate", "k_recycling",
            "--starts", "1", "--no-profiles", "-o", str(out)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    killed = False
    for _ in range(3):  # the writing phase is short: try to catch it a few times
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            if any(".partial-" in name for name in os.listdir(work)):
                proc.kill()  # SIGKILL in the middle of writing
                killed = True
                break
            time.sleep(0.001)
        proc.wait(timeout=60)
        if killed:
            break
        # it finished first: the folder is complete; start again from nothing
        assert {p.name for p in out.iterdir()} >= {"fit.json", "fitted.xml", "fit.png", "report.md", "petab"}
        import shutil

        shutil.rmtree(out)
    if killed:
        assert not out.exists()
    rerun = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert {p.name for p in out.iterdir()} == {"fit.json", "fitted.xml", "fit.png", "report.md", "report.html", "petab"}
    assert sorted(os.listdir(work)) == ["out"]  # the killed run's staging folder is gone


def test_criterion_numbers_must_be_finite():
    from receptorkin.errors import PopulationError
    from receptorkin.population import parse_criterion

    with pytest.raises(PopulationError, match=r"at character 15: '1e400' is not a finite number"):
        parse_criterion("response@14d>=1e400")
    assert str(parse_criterion("response@14d>=50%")) == "response@14d>=50%"


def test_regimen_json_refuses_a_key_given_twice():
    from receptorkin.dosing import Regimen

    part = '{"type": "holiday", "start": 0, "stop": 60, "stop": 90}'
    with pytest.raises(RegimenError, match="key 'stop' given twice"):
        Regimen.from_json('{"parts": [' + part + "]}")
    with pytest.raises(RegimenError, match="nested too deeply"):
        Regimen.from_json("[" * 100000 + "]" * 100000)
