"""Every JSON file the CLI writes is strict JSON: null for a missing number, never NaN or Infinity.

Each command runs on a small case chosen so that some numbers do not exist
(a curve whose EC50 profile is open, a population with failed or undefined
values, a fit without profiles), and every ``*.json`` it writes is parsed
with ``parse_constant`` raising, as a strict parser would.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import DATA
from receptorkin.cli import main
from receptorkin.jsonout import dumps, jsonable


def _refuse(name: str):
    raise ValueError(f"non-standard JSON constant {name}")


def strict_load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse)


def check_tree(root: Path) -> list[Path]:
    files = sorted(root.rglob("*.json"))
    assert files, f"no JSON written under {root}"
    for f in files:
        strict_load(f)
    return files


def test_dumps_writes_null_for_nan_and_inf_in_any_container():
    value = {"a": float("nan"), "b": [np.inf, -np.inf, np.float64("nan")], 3: (np.float32(1.5), np.int64(2)),
             "c": np.array([1.0, np.nan]), "d": pd.NA, "e": np.bool_(True)}
    text = dumps(value)
    assert json.loads(text, parse_constant=_refuse) == {
        "a": None, "b": [None, None, None], "3": [1.5, 2], "c": [1.0, None], "d": None, "e": True}
    assert jsonable(math.inf) is None
    with pytest.raises(TypeError):
        dumps({"x": object()})


def test_curve_json_is_strict(tmp_path, capsys):
    # an increasing curve whose top is never reached: open EC50 profile and missing SEs
    x = np.array([0, 0.1, 0.3, 1, 3, 10.0])
    df = pd.DataFrame({"dose": np.repeat(x, 2), "response": np.repeat([0.0, 0.1, 0.2, 0.5, 1.0, 2.0], 2)
                       + np.tile([0.01, -0.01], 6)})
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    assert main(["curve", str(path), "--model", "LL.5", "--compare", "LL.4,W1.4,W2.4", "-o", str(tmp_path / "c")]) == 0
    check_tree(tmp_path / "c")
    assert main(["curve", str(DATA / "spinach.csv"), "--dose", "DOSE", "--response", "SLOPE", "--curve-id", "CURVE",
                 "--no-profile", "-o", str(tmp_path / "s")]) == 0
    check_tree(tmp_path / "s")
    capsys.readouterr()


def test_fit_and_compare_json_are_strict(tmp_path, capsys):
    from synthetic import synthetic_trafficking

    data = tmp_path / "d.csv"
    synthetic_trafficking(2).table.drop(columns=["line"]).to_csv(data, index=False)
    assert main(["fit", str(data), "--model", "trafficking", "--estimate", "k_recycling", "--starts", "1",
                 "--no-profiles", "-o", str(tmp_path / "fit")]) == 0
    (f,) = [p for p in check_tree(tmp_path / "fit") if p.name == "fit.json"]
    d = strict_load(f)
    assert d["ci_method"] == "Wald" and d["chi2"] == pytest.approx(d["n_data"])
    assert main(["compare", str(data), "--fit", "trafficking:k_recycling",
                 "--fit", "trafficking:k_recycling,k_internalization", "--starts", "1", "--no-profiles",
                 "-o", str(tmp_path / "cmp")]) == 0
    check_tree(tmp_path / "cmp")
    capsys.readouterr()


def test_population_summary_json_is_strict(tmp_path, capsys):
    # no drug before 1 h: response@0h is 0, the criterion is undefined for everyone, the fraction has no value
    args = ["population", "turnover_tolerance", "--n", "40", "--cv", "k_degradation=0.5,EC50=0.3",
            "--regimen", "exposure:50nM@1h-", "--criterion", "response@6h/response@0h>=0.5", "--seed", "3",
            "--points", "5", "--no-progress", "-o", str(tmp_path / "pop")]
    assert main(args) == 0
    check_tree(tmp_path / "pop")
    summary = strict_load(tmp_path / "pop" / "summary.json")
    assert summary["responders"]["evaluable"] == 0 and summary["responders"]["fraction"] is None
    capsys.readouterr()


def test_regimen_optimize_json_is_strict(tmp_path, capsys):
    assert main(["regimen", "optimize", "turnover_tolerance", "--family", "holiday", "--vary", "holiday=1h:20h",
                 "--fixed", "dose=100nM", "--objective", "mean_response", "--constraint",
                 "surface_receptor_final>=0.5", "--horizon", "3d", "--samples", "6", "--polish", "4",
                 "-o", str(tmp_path / "opt")]) == 0
    check_tree(tmp_path / "opt")
    capsys.readouterr()


def test_petab_fit_json_is_strict(tmp_path, capsys):
    from test_petab_fit import _synthetic_two_state

    yaml_path, _ = _synthetic_two_state(tmp_path)
    assert main(["petab", "fit", str(yaml_path), "--starts", "2", "--seed", "2", "-o", str(tmp_path / "pf")]) == 0
    check_tree(tmp_path / "pf")
    capsys.readouterr()
