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
    # the engine's multistart bars: screen (3 searches x 4 points) then search
    assert re.search(r"^petab fit: screen: 12/12 task done in", proc.stderr, re.M), proc.stderr
    assert re.search(r"^petab fit: search: 3/3 task done in", proc.stderr, re.M), proc.stderr


_TWO_STATE = """model two_state()
  compartment cell = 1;
  species R in cell, AR in cell;
  R = 100; AR = 0;
  L = 0;
  kon = 0.01; koff = 0.1;
  binding: R -> AR; kon*L*R - koff*AR;
  occupancy := AR / (R + AR);
end
"""


def _fit_argv(tmp_path):
    (tmp_path / "two.ant").write_text(_TWO_STATE)
    rows = ["dose,response"] + [f"{d},{d / (d + 10) + 0.01 * (-1) ** k:.4f}"  # KD = koff/kon = 10 nM
                                for d in (0, 1, 3, 10, 30, 100, 300) for k in range(2)]
    (tmp_path / "two.csv").write_text("\n".join(rows) + "\n")
    return [sys.executable, "-m", "receptorkin", "fit", str(tmp_path / "two.csv"), "--model", str(tmp_path / "two.ant"),
            "--ligand", "L", "--observable", "occupancy", "--estimate", "kon", "--starts", "20"]


def test_fit_cli_20_starts_piped_gives_one_clean_line_per_phase(tmp_path):
    proc = subprocess.run(_fit_argv(tmp_path) + ["-o", str(tmp_path / "out")], capture_output=True, text=True,
                          encoding="utf-8", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr and "\x1b" not in proc.stderr
    phases = [line for line in proc.stderr.splitlines() if not line.startswith("wrote ")]
    assert len(phases) == 2, proc.stderr
    assert re.fullmatch(r"fit two_state: starts: 20/20 task done in \d+\.\d s.*", phases[0])
    assert re.fullmatch(r"fit two_state: profiles: 1/1 parameter done in \d+\.\d s.*", phases[1])


@pytest.mark.parametrize("rows, cols", [(24, 100), (0, 0)])  # 0 x 0: a pseudo-terminal that reports no size
def test_fit_cli_20_starts_in_a_terminal_shows_a_live_bar(tmp_path, rows, cols):
    import fcntl
    import os
    import pty
    import struct
    import termios

    argv = _fit_argv(tmp_path) + ["--no-profiles", "-o", str(tmp_path / "out")]
    pid, fd = pty.fork()
    if pid == 0:  # the child: run the command with the pty as its terminal
        os.chdir(ROOT)
        os.execv(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    seen = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    text = seen.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, text[-2000:]
    bar = text[: text.index("# Fit of")]
    counts = [int(n) for n in re.findall(r"(\d+)/20 \[", bar)]
    assert "\rfit two_state: starts:" in bar and counts[0] == 0 and max(counts) > 0  # tqdm redraws the line in place
    assert "task done in" not in text  # the piped summary line is not printed in a terminal
