"""COPASI agreement: every bundled model, exported by receptorkin, simulates
to the same trajectories in COPASI (through basico) as in receptorkin."""

from __future__ import annotations

import numpy as np
import pytest

from receptorkin.export import export_sbml
from receptorkin.models import library
from receptorkin.models.sbml import load_model
from receptorkin.simulation import Simulator

#: simulated span per model time unit (long enough for internalization, recycling and turnover to act)
SPAN = {"s": 14400.0, "min": 240.0, "h": 48.0, "d": 2.0}
DOSE = 10.0  # in each model's dose unit (nM for the bundled models)
RTOL, ATOL = 1e-12, 1e-14  # both solvers, far tighter than the 1e-6 compared
MAX_REL: dict[str, float] = {}


@pytest.mark.parametrize("model_id", library.available())
def test_copasi_and_receptorkin_trajectories_agree(model_id, tmp_path):
    import basico

    base = library.load(model_id)
    assert base.ligand is not None, f"{model_id} declares no ligand"
    exported = export_sbml(base, tmp_path / f"{model_id}.xml", values={base.ligand: DOSE})
    model = load_model(exported.path)
    t_end = SPAN[model.time_unit]
    sim = Simulator(model, rtol=RTOL, atol=ATOL, max_steps=1_000_000)
    columns = list(dict.fromkeys(sim.species + list(model.observables)))
    ours = sim.timecourse(t_end, 101, selections=columns)

    dm = basico.load_model(str(exported.path))
    try:
        theirs = basico.run_time_course(duration=t_end, intervals=100, method="deterministic", r_tol=RTOL, a_tol=ATOL,
                                        max_steps=1_000_000, use_sbml_id=True, model=dm)
    finally:
        basico.remove_datamodel(dm)
    assert np.allclose(theirs.index.to_numpy(), ours.index.to_numpy(), rtol=1e-12, atol=1e-12)
    missing = [c for c in sim.species if c not in theirs.columns]
    assert not missing, f"COPASI did not report species {missing}"
    compared = [c for c in columns if c in theirs.columns]
    worst = 0.0
    for c in compared:
        a = ours[c].to_numpy()
        b = theirs[c].to_numpy()
        big = np.abs(a) > 1e-9
        assert np.all(np.abs(b[~big]) < 1e-6), f"{model_id}: {c}: COPASI gives {b[~big].max():g} where receptorkin gives ~0"
        if big.any():
            rel = np.max(np.abs(a[big] - b[big]) / np.abs(a[big]))
            assert rel < 1e-6, f"{model_id}: {c}: relative difference {rel:.2e}"
            worst = max(worst, rel)
    # something happened: the dose moved the state away from its initial value
    moved = max(np.max(np.abs(ours[s].to_numpy() - ours[s].iloc[0])) for s in sim.species)
    assert moved > 0
    MAX_REL[model_id] = worst
    print(f"\n{model_id}: {len(compared)} quantities, max relative difference {worst:.2e}")
