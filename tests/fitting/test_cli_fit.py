"""``receptorkin fit`` and ``receptorkin compare`` on the bundled dataset."""

import json

import pytest

from conftest import ROOT
from receptorkin.cli import main

DATA = ROOT / "data"


def truth():
    return json.loads((DATA / "desensitization_truth.json").read_text(encoding="utf-8"))["parameters"]


@pytest.mark.slow
def test_fit_bundled_dataset_recovers_generating_parameters(tmp_path, capsys):
    out = tmp_path / "fit"
    estimate = ",".join(truth())
    code = main(["fit", str(DATA / "desensitization.csv"), "--model", "gpcr_desensitization", "--estimate", estimate,
                 "--conditions", str(DATA / "desensitization_conditions.csv"), "--starts", "3", "--seed", "1", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    for name in ("fit.json", "fitted.xml", "fit.png", "report.md"):
        assert (out / name).stat().st_size > 0
    result = json.loads((out / "fit.json").read_text(encoding="utf-8"))
    assert result["n_starts"] == 3 and result["n_failed"] == 0 and result["n_data"] == 150
    for name, value in truth().items():
        p = result["parameters"][name]
        assert p["ci_low"] <= value <= p["ci_high"], (name, p, value)
    # the output folder is not overwritten without --force
    code = main(["fit", str(DATA / "desensitization.csv"), "--model", "gpcr_desensitization", "--estimate", estimate,
                 "-o", str(out)])
    assert code == 1 and "--force" in capsys.readouterr().err


def test_fit_cli_errors_are_one_line(tmp_path, capsys):
    code = main(["fit", str(DATA / "desensitization.csv"), "--model", "gpcr_desensitization", "--estimate", "k_internalisation",
                 "-o", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "did you mean 'k_internalization'" in err
    code = main(["fit", str(DATA / "desensitization.csv"), "--model", "gpcr_desensitization", "--estimate", "k_recycling",
                 "--bounds", "k_recycling=1:0.001", "-o", str(tmp_path / "y")])
    assert code == 1 and "lower bound 1 > upper bound 0.001" in capsys.readouterr().err
    assert not (tmp_path / "y").exists()


def test_compare_ranks_two_models(tmp_path, capsys):
    from synthetic import synthetic_trafficking

    data = tmp_path / "d.csv"
    synthetic_trafficking(2).table.drop(columns=["line"]).to_csv(data, index=False)
    code = main(["compare", str(data), "--fit", "trafficking:k_recycling", "--fit", "trafficking:k_recycling,k_internalization",
                 "--starts", "1", "--no-profiles", "-o", str(tmp_path / "cmp")])
    out = capsys.readouterr().out
    assert code == 0 and "aicc" in out
    assert (tmp_path / "cmp" / "comparison.csv").exists()
    # regression: both fits of the same model keep their own folder (one used to overwrite the other)
    import json

    fits = [json.loads((tmp_path / "cmp" / f"trafficking-{k}" / "fit.json").read_text()) for k in (1, 2)]
    assert [len(f["parameters"]) for f in fits] == [1, 2]
