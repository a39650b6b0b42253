"""Regenerate data/desensitization.csv (run: python -m receptorkin.examples.make_desensitization).

A realistic in-silico experiment on the bundled ``gpcr_desensitization`` model
at its default (sourced) parameter values: cells are pre-treated with 1 µM
agonist for 0 (naive), 1, 4 or 24 h, washed for 30 min, then challenged with
10 agonist concentrations (0.1 nM to 10 µM, log-spaced); the response
(fraction of the system maximum, e.g. a normalized cAMP signal) is read 5 min
after the challenge, in triplicate, with Gaussian measurement noise of
standard deviation 0.03 drawn from ``numpy.random.default_rng(20261121)``.
Surface receptors are also counted at the time of the challenge (a
radioligand binding assay of intact cells, receptors per cell) in triplicate
per condition, with 4% Gaussian noise (sd 400 receptors/cell) from the same
generator, and an acute internalization time course of naive cells is
added (surface receptors 2, 5, 10, 20, 30 and 60 min after 1 µM agonist, in
triplicate, same noise).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent / "data"
SEED = 20261121
NOISE_SD = 0.03
BINDING_SD = 400.0
READOUT_MIN = 5.0
PRETREATMENT_NM = 1000.0
WASHOUT_MIN = 30.0
DOSES = np.logspace(-1, 4, 10)
ESTIMATED = ("k_internalization", "k_recycling", "k_degradation", "K_E")
INTERNALIZATION_MIN = (2.0, 5.0, 10.0, 20.0, 30.0, 60.0)
CONDITIONS = {"naive": 0, "1h": 1, "4h": 4, "24h": 24}


def main() -> None:
    from receptorkin.simulation import Simulator

    sim = Simulator("gpcr_desensitization")
    rng = np.random.default_rng(SEED)
    rows = []
    for name, hours in CONDITIONS.items():
        initial = None
        if hours:
            pre = sim.timecourse(hours * 60.0, 2, values={"agonist": PRETREATMENT_NM})
            initial = sim.timecourse(WASHOUT_MIN, 2, initial=pre.iloc[-1]).iloc[-1]
        else:
            initial = sim.steady_state()
        surface = float(initial["surface_receptor"])
        for rep in (1, 2, 3):
            rows.append({"condition": name, "dose": "0", "time": 0.0, "replicate": rep, "observable": "surface_receptor",
                         "response": round(surface + BINDING_SD * rng.standard_normal(), 1)})
        curve = sim.dose_response(DOSES, readout=READOUT_MIN, initial=initial)
        for dose, y in curve.itertuples(index=False):
            for rep in (1, 2, 3):
                rows.append({"condition": name, "dose": f"{dose:.6g}", "time": READOUT_MIN, "replicate": rep,
                             "observable": "response", "response": round(float(y + NOISE_SD * rng.standard_normal()), 4)})
    for t in INTERNALIZATION_MIN:
        tc = sim.timecourse(times=[0.0, t], values={"agonist": PRETREATMENT_NM}, selections=["surface_receptor"])
        for rep in (1, 2, 3):
            rows.append({"condition": "naive", "dose": f"{PRETREATMENT_NM:g}", "time": t, "replicate": rep,
                         "observable": "surface_receptor",
                         "response": round(float(tc["surface_receptor"].iloc[-1] + BINDING_SD * rng.standard_normal()), 1)})
    pd.DataFrame(rows).to_csv(HERE / "desensitization.csv", index=False)
    truth = {name: sim.parameters[name] for name in ESTIMATED}
    (HERE / "desensitization_truth.json").write_text(json.dumps(
        {"model": "gpcr_desensitization", "seed": SEED, "parameters": truth,
         "note": "generating values: the model's defaults when the data were made"}, indent=2) + "\n")
    cond = pd.DataFrame({"condition": list(CONDITIONS),
                         "pretreatment": ["none"] + [f"{PRETREATMENT_NM:g}nM@0-{h}h" for h in list(CONDITIONS.values())[1:]],
                         "washout": ["0"] + [f"{WASHOUT_MIN:g}min"] * 3})
    cond.to_csv(HERE / "desensitization_conditions.csv", index=False)


if __name__ == "__main__":
    main()
