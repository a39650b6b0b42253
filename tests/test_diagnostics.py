"""receptorkin validate: unit warnings grouped by kind, placed on the Antimony line that defines the element."""

from __future__ import annotations

import re

import pytest

from receptorkin.cli import main
from receptorkin.models.diagnostics import antimony_definitions, sbml_element_at
from receptorkin.errors import ModelError

MODEL = """model recep()
  compartment cell = 1;
  species R in cell, AR in cell;
  R = 100; AR = 0;
  L = 10;
  kon = 0.01; koff = 0.1; ksyn = 5; kdeg = 0.05;
  bind: R -> AR; kon*L*R - koff*AR;
  syn: -> R; ksyn;
  deg: R -> ; kdeg*R;
end
"""


def test_definitions_map_ids_to_antimony_lines():
    d = antimony_definitions(MODEL)
    assert d["recep"] == 1 and d["cell"] == 2 and d["R"] == 3 and d["AR"] == 3
    assert d["L"] == 5 and d["kdeg"] == 6 and d["bind"] == 7 and d["deg"] == 9


def test_sbml_element_at_finds_the_enclosing_id():
    sbml = '<model id="m">\n<listOfParameters>\n<parameter id="k1" value="1"/>\n</listOfParameters>\n'
    assert sbml_element_at(sbml, 3) == "k1" and sbml_element_at(sbml, 2) == "m"


def test_validate_groups_unit_warnings_with_counts_and_antimony_lines(tmp_path, capsys):
    path = tmp_path / "recep.ant"
    path.write_text(MODEL)
    assert main(["validate", str(path)]) == 0
    grouped = capsys.readouterr().out.splitlines()
    assert main(["validate", str(path), "--all"]) == 0
    full = capsys.readouterr().out.splitlines()
    n_warnings = int(re.search(r"(\d+) warnings", full[0]).group(1))
    kinds = [line for line in grouped if re.match(r"\s+\d+ x ", line)]
    # every warning is counted exactly once, in fewer lines than the full listing
    assert sum(int(line.split(" x ")[0]) for line in kinds) == n_warnings
    assert len(kinds) < n_warnings == len(full) - 1
    # parameters without units are named with the Antimony line that defines them
    params = next(i for i, line in enumerate(grouped) if "20702" in line)
    assert f"L ({path}:5)" in grouped[params + 1] and f"kdeg ({path}:6)" in grouped[params + 1]
    assert f"bind ({path}:7)" in "\n".join(grouped)


def test_missing_ligand_hint_names_the_python_argument():
    from receptorkin.simulation import Simulator

    sim = Simulator(MODEL)
    with pytest.raises(ModelError, match=r"Simulator\('recep', ligand='ID'\)"):
        sim.dose_response([0, 1, 10])


# a 20-line model as a newcomer writes it: concentration units on species in a compartment without a unit
CONC_MODEL = """model receptor_binding
  // ligand binding to a receptor with internalisation
  unit nM = 1e-9 mole / litre;
  unit minute = 60 second;
  unit per_min = 1 / minute;
  unit per_nM_per_min = 1 / (nM * minute);
  compartment cell = 1;
  species L in cell, R in cell, LR in cell, Ri in cell;
  L = 10 nM; R = 100 nM; LR = 0 nM; Ri = 0 nM;
  kon = 0.01 per_nM_per_min; koff = 0.1 per_min; kint = 0.005 per_min;
  krec = 0.002 per_min; ksyn = 0.5; kdeg = 0.005 per_min;
  bind: L + R -> LR; kon*L*R - koff*LR;
  intern: LR -> Ri; kint*LR;
  recyc: Ri -> R; krec*Ri;
  synth: -> R; ksyn;
  deg: R -> ; kdeg*R;
end
"""


def test_validate_names_antimony_lines_and_explains_an_antimony_unit_error(tmp_path, capsys):
    path = tmp_path / "rec.ant"
    path.write_text(CONC_MODEL)
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    # an invalid model is an error: one line on stderr
    assert err.count("\n") == 1 and err.startswith(f"receptorkin: error: {path}: 4 errors, 0 warnings")
    # the four identical errors are one group with a count, in plain words, placed on Antimony line 8
    assert re.search(r"; 4 x .* error 10313: Antimony made the substance unit 'nM_volume'", err)
    assert "cell has litre" in err
    assert f"; at: L ({path}:8), R ({path}:8), LR ({path}:8), Ri ({path}:8)" in err
    assert re.findall(rf"{re.escape(str(path))}:(\d+)", err) == ["8"] * 4  # no SBML line passed off as Antimony's
    # --verbose: every libSBML message in full, with its SBML line, on stdout
    assert main(["validate", str(path), "--verbose"]) == 1
    full = capsys.readouterr().out.splitlines()
    assert len(full) == 5 and all(re.match(r"\s+line \d+: error 10313", line) for line in full[1:])
    # loading it elsewhere fails with the same Antimony-placed message
    from receptorkin.errors import SBMLError
    from receptorkin.models import load_model

    with pytest.raises(SBMLError, match=rf"at: L \({re.escape(str(path))}:8\)"):
        load_model(str(path))


def test_unit_warnings_are_one_plain_line_per_kind(tmp_path, capsys):
    fixed = CONC_MODEL.replace("compartment cell = 1;", "compartment cell = 1; cell has litre;")
    path = tmp_path / "rec.ant"
    path.write_text(fixed)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    kinds = [line for line in out.splitlines() if re.match(r"\s+\d+ x ", line)]
    assert len(kinds) == 5 and all(len(line) < 160 for line in kinds)
    assert any("20702: a parameter has no unit" in k for k in kinds)
    assert f"ksyn ({path}:11)" in out and f"synth ({path}:15)" in out  # Antimony lines, not SBML ones
    assert "libSBML does not yet have" not in out  # the paragraphs are left to --verbose
