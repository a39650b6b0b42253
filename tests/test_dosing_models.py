"""Published qualitative behaviour of the bundled models under dosing regimens.

* ``gnrh_pulsatile`` (Li & Goldbeter 1989): continuous GnRH shuts the
  response down, pulses at the physiological period (6-min pulses every
  90 min) sustain it, and the time-averaged response as a function of the
  pulse period has an interior maximum.
* ``gpcr_desensitization``: continuous agonist lowers the tolerance ratio; a
  daily drug holiday of sufficient length restores it (the nitrate-free
  interval of clinical practice).

The tests read the model's ligand, response and receptor observables from
the model itself.
"""

import numpy as np
import pytest

from receptorkin.dosing import simulate_regimen
from receptorkin.models import library
from receptorkin.simulation import Simulator


def _sim(model_id):
    if model_id not in library.available():
        pytest.fail(f"bundled model {model_id!r} is not in sbml/ yet")
    sim = Simulator(model_id)
    assert sim.ligand is not None and sim.observable is not None and sim.model.receptor is not None
    return sim


@pytest.fixture(scope="module")
def gnrh():
    return _sim("gnrh_pulsatile")


@pytest.fixture(scope="module")
def gpcr():
    return _sim("gpcr_desensitization")


def test_continuous_gnrh_shuts_the_response_down(gnrh):
    res = simulate_regimen(gnrh, "exposure:10nM@0-", "24h")
    fraction = res.metrics["final_response"] / res.metrics["peak_response"]
    assert fraction < 0.2, fraction
    assert res.metrics["tolerance_ratio"] == pytest.approx(fraction, rel=1e-9)


def test_physiological_gnrh_pulses_sustain_the_response(gnrh):
    cont = simulate_regimen(gnrh, "exposure:10nM@0-", "24h").metrics["tolerance_ratio"]
    pulses = simulate_regimen(gnrh, "pulses:every=90min,width=6min,dose=10nM", "24h")
    ratio = pulses.metrics["tolerance_ratio"]
    assert ratio > 0.8, ratio
    assert ratio > 5 * cont
    assert np.all(pulses.dose_responses[np.isfinite(pulses.dose_responses)] > 0.8 * pulses.dose_responses[0])


def test_mean_gnrh_response_has_an_interior_optimum_in_the_pulse_period(gnrh):
    periods = [7, 10, 15, 20, 30, 60, 120, 240, 480]  # min; 7 min is nearly continuous for 6-min pulses
    mean = np.array([simulate_regimen(gnrh, f"pulses:every={p}min,width=6min,dose=10nM", "7d", resolution=200)
                     .metrics["mean_response"] for p in periods])
    best = int(np.argmax(mean))
    assert 0 < best < len(periods) - 1, dict(zip(periods, mean))
    assert mean[best] > 1.1 * mean[0] and mean[best] > 1.1 * mean[-1]


def test_continuous_agonist_lowers_the_tolerance_ratio(gpcr):
    daily = simulate_regimen(gpcr, "pulses:every=24h,width=24h,dose=100nM", "14d")  # continuous, counted daily
    single = simulate_regimen(gpcr, "exposure:100nM@0-", "14d")
    assert daily.metrics["tolerance_ratio"] < 0.6
    assert single.metrics["tolerance_ratio"] == pytest.approx(daily.metrics["tolerance_ratio"], rel=1e-4)
    assert daily.metrics["surface_receptor_final"] < 0.25


def test_a_long_enough_drug_holiday_restores_the_tolerance_ratio(gpcr):
    ratios = {}
    for holiday in (0, 2, 6, 12):
        res = simulate_regimen(gpcr, f"pulses:every=24h,width={24 - holiday}h,dose=100nM", "14d")
        ratios[holiday] = res.metrics["tolerance_ratio"]
    values = [ratios[h] for h in (0, 2, 6, 12)]
    assert np.all(np.diff(values) > 0), ratios
    assert ratios[12] > 0.9 > ratios[2] and ratios[0] < 0.6
