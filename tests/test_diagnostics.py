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
