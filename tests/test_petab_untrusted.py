"""PEtab problems from elsewhere: files stay inside the YAML's folder unless allowed,
no file's contents are quoted in an error, and malformed tables name file, line and column."""

from __future__ import annotations

import os

import pytest

from test_petab import write_two_state

from receptorkin.errors import DataError, ReceptorkinError
from receptorkin.petab.problem import PetabProblem

SECRET = "root:x:0:0:TOPSECRET:/root:/bin/bash\nTOPSECRET2\tTOPSECRET3\n"


@pytest.fixture
def problem_dir(tmp_path):
    """The two-state problem in tmp_path/p and a secret file beside (outside) it."""
    yaml_path = write_two_state(tmp_path / "p")
    (tmp_path / "secret.txt").write_text(SECRET)
    return yaml_path


def _point(yaml_path, key: str, target: str) -> None:
    text = yaml_path.read_text()
    old = {"parameter_file": "parameter_file: parameters.tsv", "sbml_files": "sbml_files: [model.xml]",
           "condition_files": "condition_files: [conditions.tsv]"}[key]
    new = old.replace(old.split(": ")[1], target if key == "parameter_file" else f"[{target}]")
    yaml_path.write_text(text.replace(old, new))


@pytest.mark.parametrize("key", ["parameter_file", "sbml_files", "condition_files"])
@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
def test_files_outside_the_yaml_folder_are_refused(problem_dir, key, how):
    secret = problem_dir.parent.parent / "secret.txt"
    if how == "absolute":
        target = str(secret)
    elif how == "dotdot":
        target = "../secret.txt"
    else:
        os.symlink(secret, problem_dir.parent / "link.tsv")
        target = "link.tsv"
    _point(problem_dir, key, target)
    with pytest.raises(DataError, match="outside the folder of problem.yaml.*allow_outside") as err:
        PetabProblem.from_yaml(problem_dir)
    assert "TOPSECRET" not in str(err.value)


@pytest.mark.parametrize("key", ["parameter_file", "sbml_files", "condition_files"])
def test_contents_of_a_wrong_file_are_never_echoed(problem_dir, key):
    _point(problem_dir, key, str(problem_dir.parent.parent / "secret.txt"))
    with pytest.raises(ReceptorkinError) as err:
        PetabProblem.from_yaml(problem_dir, allow_outside=True)
    assert "secret.txt" in str(err.value)
    assert "TOPSECRET" not in str(err.value) and "root:x" not in str(err.value)


def test_allowed_outside_files_give_the_same_problem(problem_dir):
    inside = PetabProblem.from_yaml(problem_dir).llh()
    elsewhere = problem_dir.parent.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "parameters.tsv").write_text((problem_dir.parent / "parameters.tsv").read_text())
    _point(problem_dir, "parameter_file", "../elsewhere/parameters.tsv")
    assert PetabProblem.from_yaml(problem_dir, allow_outside=True).llh() == inside


def test_cli_refuses_outside_files_unless_allowed(problem_dir, capsys):
    from receptorkin.cli import main

    expected = PetabProblem.from_yaml(problem_dir).llh()
    elsewhere = problem_dir.parent.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "parameters.tsv").write_text((problem_dir.parent / "parameters.tsv").read_text())
    _point(problem_dir, "parameter_file", "../elsewhere/parameters.tsv")
    assert main(["petab", "llh", str(problem_dir)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("receptorkin: error: ") and "--allow-outside" in err and len(err.strip().splitlines()) == 1
    assert main(["petab", "llh", "--allow-outside", str(problem_dir)]) == 0
    assert float(capsys.readouterr().out) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("content, pattern", [
    ("observableId\tsimulationConditionId\tmeasurement\ttime\n"
     "obs_b\tslow\t0.9\t1\nobs_b\t\"slow\t3.1\t5\n", r"measurements\.tsv:3: not a readable tab-separated table"),
    ("observableId\tsimulationConditionId\tmeasurement\ttime\n"
     "obs_b\tslow\t0.9\t1\nobs_b\tslow\t3.1\t5\tTOPSECRET\n", r"measurements\.tsv:3: column 5: a value beyond"),
    ("observableId\tsimulationConditionId\tmeasurement\tmeasurement\n"
     "obs_b\tslow\t0.9\t1\n", r"measurements\.tsv:1: column 4: the same column name as column 3"),
    ("observableId\tsimulationConditionId\tmeasurement\ttime\n"
     "obs_b\tslow\tTOPSECRET\t1\n", r"measurements\.tsv:2: .*measurement"),
])
def test_table_errors_name_file_line_and_column(problem_dir, content, pattern):
    (problem_dir.parent / "measurements.tsv").write_text(content)
    with pytest.raises(DataError, match=pattern):
        PetabProblem.from_yaml(problem_dir)


def test_non_utf8_table_and_bad_yaml_name_the_line(problem_dir):
    (problem_dir.parent / "conditions.tsv").write_bytes(b"conditionId\tk_back\nslow\t0.05\nfa\xb5st\t0.5\n")
    with pytest.raises(DataError, match=r"conditions\.tsv:3: not UTF-8 text"):
        PetabProblem.from_yaml(problem_dir)
    problem_dir.write_text("format_version: 1\nparameter_file: [\n  TOPSECRET: x\n")
    with pytest.raises(DataError, match=r"problem\.yaml:\d+: column \d+: not valid YAML") as err:
        PetabProblem.from_yaml(problem_dir)
    assert "TOPSECRET" not in str(err.value)
