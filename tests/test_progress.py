"""receptorkin.progress: live bar in a terminal, one clean line per phase when piped, nothing when quiet."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from receptorkin import progress as prog


class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_piped_phase_writes_exactly_one_line():
    out = io.StringIO()
    with prog.progress_bar(4, "fit x: starts", stream=out, unit="start") as bar:
        for _ in range(4):
            bar.update()
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and "\r" not in out.getvalue()
    assert re.fullmatch(r"fit x: starts: 4/4 start done in \d+\.\d s", lines[0])


def test_interrupted_phase_says_stopped():
    out = io.StringIO()
    with pytest.raises(KeyError):
        with prog.progress_bar(5, "phase", stream=out) as bar:
            bar.update(2)
            raise KeyError("x")
    assert "phase: 2/5 it stopped" in out.getvalue()


def test_terminal_gets_a_live_bar_and_quiet_silences_everything():
    tty = _TTY()
    with prog.progress_bar(3, "profiles", stream=tty) as bar:
        assert bar.mode == "bar"
        bar.update(3)
    assert tty.getvalue().startswith("\rprofiles:") and "/3 [" in tty.getvalue()  # a tqdm bar
    out = io.StringIO()
    prog.set_quiet(True)
    try:
        for _ in prog.progress_iter(range(3), "quiet", stream=out):
            pass
        with prog.progress_bar(2, "q", stream=_TTY()) as bar:
            assert bar.mode == "off"
    finally:
        prog.set_quiet(False)
    assert out.getvalue() == ""
    silent = io.StringIO()
    with prog.progress_bar(1, "off", show=False, stream=silent) as bar:
        bar.update()
    assert silent.getvalue() == ""


def test_parallel_tasks_report_one_line_per_phase_when_piped(capsys):
    from receptorkin.parallel import run_tasks

    out = run_tasks(_square, [1, 2, 3], setup=_setup, desc="squares")
    assert out == [1, 4, 9]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("squares: 3/3 task done")


def _setup():
    return None


def _square(state, x):
    return x * x


def test_petab_fit_piped_prints_clean_lines(tmp_path):
    from test_petab import write_two_state

    yaml = write_two_state(tmp_path / "two_state")
    proc = subprocess.run([sys.executable, "-m", "receptorkin", "petab", "fit", str(yaml), "--starts", "3",
                           "-o", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr
    assert re.search(r"^petab fit: starts: 3/3 start done in", proc.stderr, re.M), proc.stderr
