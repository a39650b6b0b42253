"""The PK link against the analytic one-compartment solutions, and regimens as SBML events."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

from receptorkin.dosing import apply_regimen, attach_pk, drug_input, parse_regimen, regimen_to_events
from receptorkin.errors import ModelError, RegimenError
from receptorkin.models import library
from receptorkin.models.sbml import load_model, validate
from receptorkin.simulation import Simulator

V = 5.0  # L
K = 0.05 / 60  # 1/min (0.05 /h)
KA = 0.5 / 60  # 1/min (0.5 /h)


@pytest.fixture(scope="module")
def iv_sim():
    return Simulator(attach_pk("trafficking", V, "0.05/h"))


@pytest.fixture(scope="module")
def oral_sim():
    return Simulator(attach_pk("trafficking", f"{V * 1000:g}mL", "0.05/h", "0.5/h"))


def _after_rows(df):
    """Drop the 'before' row of each time that appears twice (the value just before a dose)."""
    t = df.index.to_numpy()
    before = np.r_[np.diff(t) == 0, False]
    return df[~before]


def test_repeated_iv_boluses_superpose(iv_sim):
    # C(t) = sum_i D_i/V exp(-k (t - t_i)); doses at 0, 12 h (two of them: they add) and 30 h
    df = _after_rows(apply_regimen(iv_sim, "bolus:10nmol@0,12h,12h,30h", "48h", selections=["ligand"]))
    t = df.index.to_numpy()
    doses = [(0.0, 10.0), (720.0, 20.0), (1800.0, 10.0)]
    expected = sum(np.where(t >= ti, d / V * np.exp(-K * (t - ti)), 0.0) for ti, d in doses)
    assert_allclose(df["ligand"].to_numpy(), expected, rtol=1e-6)
    assert df["ligand"].iloc[0] == pytest.approx(10.0 / V, rel=1e-12)  # the dose at time 0 counts


def test_oral_dose_follows_the_bateman_function(oral_sim):
    df = apply_regimen(oral_sim, "bolus:10nmol@0", "48h", selections=["ligand", "pk_depot"])
    t = df.index.to_numpy()[1:]
    bateman = 10.0 * KA / (V * (KA - K)) * (np.exp(-K * t) - np.exp(-KA * t))
    assert_allclose(df["ligand"].to_numpy()[1:], bateman, rtol=1e-6)
    assert_allclose(df["pk_depot"].to_numpy()[1:], 10.0 * np.exp(-KA * t), rtol=1e-6, atol=1e-7)  # depot empties to 1e-10 nmol


def test_iv_route_skips_the_depot(oral_sim):
    df = _after_rows(apply_regimen(oral_sim, "bolus:10nmol@0,route=central", "24h", selections=["ligand"]))
    t = df.index.to_numpy()
    assert_allclose(df["ligand"].to_numpy(), 10.0 / V * np.exp(-K * t), rtol=1e-6)


def test_infusion_reaches_the_plateau_rate_over_kV(iv_sim):
    rate = 2.0 / 60.0  # nmol/min
    df = apply_regimen(iv_sim, "infusion:rate=2nmol/h,from=0,to=40d", "40d", selections=["ligand"])
    t = df.index.to_numpy()[1:]
    assert_allclose(df["ligand"].to_numpy()[1:], rate / (K * V) * (1 - np.exp(-K * t)), rtol=1e-6)
    assert df["ligand"].iloc[-2] == pytest.approx(rate / (K * V), rel=1e-6)  # 40 d = 48 half-lives: at the plateau


def test_pulsed_infusion_matches_the_piecewise_solution(iv_sim):
    # 1-h infusions of 3 nmol/h every 6 h: during a pulse C -> r/(kV) exponentially, between pulses C decays
    df = _after_rows(apply_regimen(iv_sim, "pulses:every=6h,width=1h,dose=3nmol/h,count=3", "20h", selections=["ligand"]))
    r = 3.0 / 60.0
    edges = [0.0, 60.0, 360.0, 420.0, 720.0, 780.0, 1200.0]
    rates = [r, 0.0, r, 0.0, r, 0.0]
    c, t_prev, expected = 0.0, 0.0, []
    for t in df.index.to_numpy():
        while t_prev < t:  # exact exponential solution, piece by piece
            j = max(i for i in range(len(rates)) if edges[i] <= t_prev)
            step_end = min(t, edges[j + 1])
            plateau = rates[j] / (K * V)
            c = plateau + (c - plateau) * np.exp(-K * (step_end - t_prev))
            t_prev = step_end
        expected.append(c)
    assert_allclose(df["ligand"].to_numpy(), expected, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("model_id", library.available())
def test_attach_pk_validates_with_no_unit_warnings(model_id):
    base = library.load(model_id)
    if base.ligand is None:
        pytest.skip(f"{model_id} declares no ligand")
    pk = attach_pk(base, 5.0, 0.01, 0.1)
    report = validate(pk.sbml, units=True)
    assert report.errors == [] and report.unit_warnings == [], str(report)
    assert pk.ligand is None and base.ligand is not None  # a new model; the input is not changed
    drug = drug_input(pk)
    assert (drug.kind, drug.concentration, drug.central, drug.depot) == ("pk", base.ligand, "pk_central", "pk_depot")
    el = pk.element(base.ligand)
    assert el.kind == "observable" and el.formula == "pk_central / pk_volume"
    for rid, sbo in (("pk_elimination", 179), ("pk_absorption", 185), ("pk_infusion", 393)):
        assert re.search(rf'sboTerm="SBO:0000{sbo}" id="{rid}"', pk.sbml)
    Simulator(pk)  # compiles


def test_pk_model_round_trips_through_a_file(tmp_path):
    pk = attach_pk("gpcr_desensitization", 2.0, "0.2/h")
    path = tmp_path / "pk.xml"
    pk.write(path)
    again = load_model(str(path))
    assert drug_input(again) == drug_input(pk)
    assert again.default_observable == "response" and again.receptor == "surface_receptor"


def test_attach_pk_errors():
    with pytest.raises(ModelError, match="volume must be a positive volume"):
        attach_pk("trafficking", -1.0, 0.1)
    with pytest.raises(ModelError, match="k_elim must be a positive rate constant"):
        attach_pk("trafficking", 1.0, 0.0)
    with pytest.raises(ModelError, match="cannot read '0.1 per hour'"):
        attach_pk("trafficking", 1.0, "0.1 per hour")
    pk = attach_pk("trafficking", 1.0, 0.1)
    with pytest.raises(ModelError, match="already has a PK link"):
        attach_pk(pk, 1.0, 0.1)
    clashing = load_model("model m()\n  L = 0; pk_volume = 3; R = 10; R -> ; 0.1*L*R\nend\n").with_ligand("L")
    with pytest.raises(ModelError, match="would create pk_volume, which already exist: choose another prefix"):
        attach_pk(clashing, 1.0, 0.1)
    assert drug_input(attach_pk(clashing, 1.0, 0.1, prefix="drug_")).central == "drug_central"
    with pytest.raises(ModelError, match="declares no ligand"):
        attach_pk(load_model("model m()\n  S = 1; S -> ; 0.1*S\nend\n"), 1.0, 0.1)


def test_regimen_kind_must_fit_the_model(iv_sim, trafficking_sim):
    with pytest.raises(RegimenError, match="sets an in-vitro concentration.*PK link"):
        apply_regimen(iv_sim, "exposure:10nM@0-1h", "2h")
    with pytest.raises(RegimenError, match="has no PK link: attach one"):
        apply_regimen(trafficking_sim, "bolus:10nmol@0", "2h")
    with pytest.raises(RegimenError, match="depot needs a PK link with absorption"):
        apply_regimen(iv_sim, "bolus:10nmol@0,route=depot", "2h")


# --------------------------------------------------------------------- events
def _roadrunner_run(sbml, times, selection):
    import roadrunner

    rr = roadrunner.RoadRunner(sbml)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    out = rr.simulate(times=list(times), selections=["time", selection])
    return np.asarray(out)[:, 1]


@pytest.mark.parametrize("model_id, text, column", [
    ("gpcr_desensitization", "pulses:every=3h,width=30min,dose=100nM,count=4;exposure:10nM@13h-14h", "surface_receptor"),
    ("pk", "bolus:10nmol@0,0,6h,route=central;bolus:3nmol@2h;pulses:every=4h,width=1h,dose=2nmol/h,count=3", "surface_receptor"),
])
def test_events_simulate_like_segments(model_id, text, column, capfd):
    model = attach_pk("trafficking", 5.0, "0.05/h", "0.5/h") if model_id == "pk" else library.load(model_id)
    events = regimen_to_events(model, text)
    report = validate(events.sbml, units=True)
    assert report.errors == [] and report.unit_warnings == [], str(report)
    assert 'initialValue="false" persistent="true"' in events.sbml
    assert 'useValuesFromTriggerTime="true"' in events.sbml
    seg = apply_regimen(Simulator(model), text, "16h", selections=[column])
    after = seg.groupby(level=0).last()  # right-continuous: the value just after each change
    times = after.index.to_numpy()
    via_events = _roadrunner_run(events.sbml, times, column)
    capfd.readouterr()  # roadrunner's own CVODE chatter when it restarts at event times
    assert_allclose(after[column].to_numpy(), via_events, rtol=1e-6)


def test_event_at_time_zero_fires(capfd):
    pk = attach_pk("trafficking", 5.0, "0.05/h")
    events = regimen_to_events(pk, "bolus:10nmol@0")
    assert events.sbml.count("<event ") == 1
    c = _roadrunner_run(events.sbml, [0.0, 60.0], "ligand")
    capfd.readouterr()
    assert_allclose(c, [10.0 / V, 10.0 / V * np.exp(-K * 60.0)], rtol=1e-6)


def test_open_ended_regimen_needs_until():
    with pytest.raises(RegimenError, match="open-ended: give until="):
        regimen_to_events("gpcr_desensitization", "pulses:every=1h,width=5min,dose=10nM")
    m = regimen_to_events("gpcr_desensitization", parse_regimen("pulses:every=1h,width=5min,dose=10nM"), until="3h")
    assert m.sbml.count("<event ") == 6  # three pulses: on and off
