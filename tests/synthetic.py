import numpy as np
import pandas as pd

from receptorkin.data.measurements import Measurements
from receptorkin.simulation import Simulator

TRUE = {"k_internalization": 0.15, "k_recycling": 0.058}


def synthetic_trafficking(seed: int, cv: float = 0.03, times=(5, 30, 120), doses=None, steady=False, observable="surface_receptor"):
    """Data simulated from the trafficking model's defaults with seeded
    multiplicative-free Gaussian noise of sd = cv * baseline."""
    sim = Simulator("trafficking")
    rng = np.random.default_rng(seed)
    doses = np.logspace(-1, 2, 6) if doses is None else np.asarray(doses)
    rows = []
    readouts = ["steady"] if steady else list(times)
    for t in readouts:
        dr = sim.dose_response(doses, readout=t, observable=observable)
        for d, y in dr.itertuples(index=False):
            for _ in range(2):
                rows.append({"dose": d, "time": "" if t == "steady" else t, "observable": observable,
                             "response": y + cv * (20000 if observable == "surface_receptor" else 1) * rng.standard_normal()})
    return Measurements.from_frame(pd.DataFrame(rows))


