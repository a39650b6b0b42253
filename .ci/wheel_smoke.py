"""Installed-package smoke test: build the wheel, install it into a fresh venv,
run every main command from an empty folder.

Run by ``make wheel-smoke`` (and so by ``make test``).  It catches what an
editable install hides: a bundled model or example file missing from the
wheel, an import that ``pyproject.toml`` does not declare, a setuptools
warning at build time.  Nothing of the source tree is on the path of the
commands it runs; the only files taken from the checkout are test inputs
from ``tests/data`` (the drc spinach data and the Brannmark PEtab problem),
copied into the empty folder first.

Usage: ``python .ci/wheel_smoke.py [--keep]`` (``--keep`` leaves the work
folder for inspection).  Exit status 0 when every check passed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BRANNMARK_LLH = -141.889114  # AMICI's benchmark reference (tests/data/README.md)


class SmokeFailure(Exception):
    pass


def run(cmd: list[str], cwd: Path, env: dict[str, str], stdin: str | None = None, what: str = "") -> subprocess.CompletedProcess:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, input=stdin, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    label = what or " ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd))
    print(f"  [{dt:6.2f} s] {label}", flush=True)
    if proc.returncode != 0:
        raise SmokeFailure(f"{label}: exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    return proc


def check(cond: bool, message: str) -> None:
    if not cond:
        raise SmokeFailure(message)


def source_copy(dest: Path) -> Path:
    """The files git tracks (as they are in the working tree) copied to ``dest``:
    a build there sees no stale ``build/`` folder and no untracked file that a
    clean clone would lack."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        src, dst = ROOT / name, dest / name
        if not src.exists() and not src.is_symlink():  # deleted in the working tree, not yet committed
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
    return dest


def build_wheel(python: str, dist: Path) -> Path:
    print("building the wheel from a copy of the tracked files", flush=True)
    src = source_copy(dist.parent / "src")
    proc = subprocess.run([python, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(dist), str(src)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SmokeFailure(f"pip wheel failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    log = proc.stdout + proc.stderr
    # setuptools' deprecation and configuration warnings are classes named *Warning
    warnings = sorted(set(re.findall(r"\b\w+(?:Deprecation|Backend|Setuptools)\w*Warning\b.*", log)))
    check(not warnings, "the build printed warnings:\n" + "\n".join(warnings))
    wheels = list(dist.glob("receptorkin-*.whl"))
    check(len(wheels) == 1, f"expected one wheel in {dist}, found {wheels}")
    names = zipfile.ZipFile(wheels[0]).namelist()
    for required in ("receptorkin/models/bundled/trafficking.xml", "receptorkin/models/bundled/trafficking.ant",
                     "receptorkin/examples/data/desensitization.csv", "receptorkin/py.typed"):
        check(required in names, f"{wheels[0].name} lacks {required}")
    # every module of every subpackage (the layout moves modules into packages: none may be left out)
    sources = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "receptorkin").rglob("*.py")
                     if "__pycache__" not in p.parts)
    missing = [p for p in sources if p not in names]
    check(not missing, f"{wheels[0].name} lacks {missing}")
    return wheels[0]


def fresh_venv(python: str, where: Path, wheel: Path) -> Path:
    print("installing it into a fresh venv (no editable install, pip's cache reused)", flush=True)
    base = subprocess.run([python, "-c", "import sys; print(sys._base_executable)"], capture_output=True,
                          text=True, check=True).stdout.strip()
    subprocess.run([base, "-m", "venv", str(where)], check=True)
    vpy = where / "bin" / "python"
    proc = subprocess.run([str(vpy), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SmokeFailure(f"pip install of the wheel failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return where / "bin"


def smoke(bin_dir: Path, work: Path) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    rk = str(bin_dir / "receptorkin")
    py = str(bin_dir / "python")
    os.umask(0o022)
    measured: dict[str, float] = {}

    # 0. the package comes from the venv, not from the checkout
    where = run([py, "-c", "import receptorkin; print(receptorkin.__file__)"], work, env).stdout.strip()
    check(str(bin_dir.parent) in where and str(ROOT) not in where, f"receptorkin imported from {where}")

    # 1. --help is fast; importing the package and building a Simulator does not load tellurium
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        run([rk, "--help"], work, env, what="receptorkin --help")
        times.append(time.perf_counter() - t0)
    measured["help_s"] = min(times)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        run([py, "-c", "pass"], work, env, what="python -c pass (start-up baseline)")
        times.append(time.perf_counter() - t0)
    measured["python_s"] = min(times)
    out = run([py, "-c", "import sys, time; t = time.perf_counter(); import receptorkin; "
               "print(time.perf_counter() - t); receptorkin.Simulator('trafficking'); "
               "print(sorted(m for m in ('tellurium', 'six', 'IPython', 'plotly', 'matplotlib') if m in sys.modules))"],
              work, env, what="import receptorkin; Simulator('trafficking')").stdout.splitlines()
    measured["import_s"] = float(out[0])
    check(out[1] == "[]", f"import receptorkin + Simulator loaded {out[1]}")

    # 2. the bundled models are in the wheel
    out = run([rk, "models"], work, env).stdout
    ids = ["trafficking", "turnover_tolerance", "precursor_pool", "moderator_feedback", "transcriptional_feedback",
           "gpcr_desensitization", "gnrh_pulsatile", "ampa_ltp", "noradrenergic_calcium"]
    missing = [m for m in ids if m not in out]
    check(not missing, f"receptorkin models lacks {missing}:\n{out}")

    # 3. simulate: a clean CSV on stdout, also piped in as data
    proc = run([rk, "simulate", "trafficking", "--t-end", "2h"], work, env)
    rows = run([py, "-c", "import pandas, sys; df = pandas.read_csv(sys.stdin); print(len(df), list(df.columns)[:2])"],
               work, env, stdin=proc.stdout, what="pandas.read_csv(stdout of simulate)").stdout.strip()
    check(rows.startswith("101 ['time', "), f"simulate printed {rows!r} rows, expected 101 with a time column")
    run([rk, "simulate", "trafficking", "--t-end", "2h", "-o", "tc.csv", "--plot", "tc.png"], work, env)
    mode = (work / "tc.csv").stat().st_mode & 0o777
    check(mode == 0o644, f"tc.csv has mode {oct(mode)}, expected 0o644 under umask 022")

    # 4. dose-response
    run([rk, "dose-response", "trafficking", "--doses", "1e-3:1e3:12", "-o", "drc.csv"], work, env)
    n = len((work / "drc.csv").read_text().splitlines())
    check(n == 13, f"dose-response wrote {n} lines, expected header + 12 doses")

    # 5. fit on the example data shipped in the wheel
    data = run([py, "-c", "from receptorkin.examples import path; print(path('desensitization.csv')); "
                "print(path('desensitization_conditions.csv'))"], work, env, what="receptorkin.examples.path").stdout.split()
    run([rk, "fit", data[0], "--model", "gpcr_desensitization", "--estimate", "k_internalization,K_E",
         "--conditions", data[1], "--starts", "3", "--no-profiles", "-o", "fit-out"], work, env)
    for name in ("fit.json", "fitted.xml", "report.md"):
        check((work / "fit-out" / name).is_file(), f"fit wrote no {name}")

    # 6. classic curve fit (drc's spinach data)
    run([rk, "curve", "spinach.csv", "--dose", "DOSE", "--response", "SLOPE", "--curve-id", "CURVE",
         "-o", "spinach-fit"], work, env)
    check((work / "spinach-fit" / "curve.json").is_file(), "curve wrote no curve.json")

    # 7. PEtab: the Brannmark benchmark's reference log-likelihood
    out = run([rk, "petab", "llh", "Brannmark_JBC2010/Brannmark_JBC2010.yaml"], work, env).stdout.strip()
    check(abs(float(out) - BRANNMARK_LLH) < 2e-3, f"petab llh printed {out}, expected {BRANNMARK_LLH} +- 2e-3")
    measured["brannmark_llh"] = float(out)

    # 8. export: SBML (validated on reading back) and a COMBINE archive
    run([rk, "export", "gpcr_desensitization", "--fit", "fit-out/fit.json", "-o", "fitted.xml"], work, env)
    run([rk, "validate", "fitted.xml"], work, env)
    run([rk, "export", "trafficking", "-o", "run.omex", "--t-end", "4h", "--dose", "10nM"], work, env)
    members = zipfile.ZipFile(work / "run.omex").namelist()
    check("manifest.xml" in members and "simulation.sedml" in members and "model.xml" in members,
          f"run.omex holds {members}")
    return measured


def main(argv: list[str]) -> int:
    keep = "--keep" in argv
    python = sys.executable
    top = Path(tempfile.mkdtemp(prefix="receptorkin-wheel-smoke-"))
    t0 = time.perf_counter()
    try:
        wheel = build_wheel(python, top / "dist")
        bin_dir = fresh_venv(python, top / "venv", wheel)
        work = top / "run"
        work.mkdir()
        shutil.copy(ROOT / "tests" / "data" / "spinach.csv", work)
        shutil.copytree(ROOT / "tests" / "data" / "petab" / "Brannmark_JBC2010", work / "Brannmark_JBC2010")
        print(f"running the installed commands in an empty folder ({work})", flush=True)
        measured = smoke(bin_dir, work)
    except SmokeFailure as exc:
        print(f"wheel smoke test FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if not keep:
            shutil.rmtree(top, ignore_errors=True)
    print(f"wheel smoke test passed in {time.perf_counter() - t0:.0f} s: receptorkin --help {measured['help_s']:.3f} s "
          f"(bare python start-up {measured['python_s']:.3f} s), "
          f"import receptorkin {measured['import_s']:.3f} s, Brannmark llh {measured['brannmark_llh']:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
