"""Virtual populations: sampling, exactness against single simulations and closed
forms, the responder fraction and its interval, drivers, bands, streaming, bad input."""

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from receptorkin.dosing import apply_regimen, attach_pk
from receptorkin.errors import ModelError, RegimenError
from receptorkin.population import (Criterion, FitCovariance, LogNormal, LogNormalCovariance, Normal, Population,
                                    PopulationError, PopulationResult, Readout, Uniform, binomial_ci, drivers,
                                    parse_criterion, percentile_bands, responder_fraction, simulate, time_grid)
from receptorkin.simulation import Simulator

# turnover_tolerance (sbml/turnover_tolerance.ant): dR/dt = ksyn - kdeg*R*(1 + S(C)), S = Smax*C/(SC50 + C),
# R(0) = R0 = ksyn/kdeg, response E = Emax*C*(R/R0)/(EC50 + C).  Under a constant concentration C from t = 0:
#   R(t)/R0 = (1 + S*exp(-kdeg*(1 + S)*t)) / (1 + S)
K_SYN, K_DEG, S_MAX, SC50, E_MAX, EC50 = 578.0, 0.0578, 4.0, 20.0, 1.0, 5.0
C = 50.0
S = S_MAX * C / (SC50 + C)


def receptor_ratio(kdeg, t_h):
    return (1.0 + S * np.exp(-kdeg * (1.0 + S) * t_h)) / (1.0 + S)


def receptors(kdeg, t_h):
    return K_SYN / kdeg * receptor_ratio(kdeg, t_h)


# ----------------------------------------------------------------- sampling
def test_lognormal_sample_cv_matches_the_requested_cv_for_10000_individuals():
    pop = Population("trafficking", {"k_internalization": LogNormal(cv=0.3), "V_synthesis": 0.1}, n=10_000, seed=42)
    n = pop.n
    got = pop.describe()
    for name, cv in (("k_internalization", 0.3), ("V_synthesis", 0.1)):
        x = pop.samples[:, pop.names.index(name)]
        omega = math.sqrt(math.log1p(cv ** 2))
        # sample CV: its standard error for a log-normal, by the delta method on the moments of exp(omega*z),
        # is below 1.5 * cv / sqrt(2n) for cv <= 0.3; allow 4 standard errors
        se_cv = 1.5 * cv / math.sqrt(2 * n)
        assert abs(got.loc[name, "cv"] - cv) < 4 * se_cv, (name, got.loc[name, "cv"], cv)
        # the SD of ln(x) is omega (standard error omega/sqrt(2n)), the median the model's value
        assert abs(np.std(np.log(x), ddof=1) - omega) < 4 * omega / math.sqrt(2 * n)
        nominal = pop.model.parameters[name]
        assert abs(np.median(np.log(x)) - math.log(nominal)) < 4 * 1.2533 * omega / math.sqrt(n)
        assert got.loc[name, "nominal"] == nominal
    print(f"\nsample CV: {got['cv'].round(4).to_dict()} (requested 0.3, 0.1; n = {n})")


def test_same_seed_same_population_and_order_of_the_mapping_does_not_matter():
    a = Population("trafficking", {"k_internalization": 0.3, "V_synthesis": 0.2}, n=500, seed=3)
    b = Population("trafficking", {"V_synthesis": 0.2, "k_internalization": 0.3}, n=500, seed=3)
    c = Population("trafficking", {"k_internalization": 0.3, "V_synthesis": 0.2}, n=500, seed=4)
    assert a.names == b.names
    assert np.array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, c.samples)
    assert not a.samples.flags.writeable


def test_seed_none_draws_a_fresh_seed_and_records_it():
    a = Population("trafficking", {"k_internalization": 0.3}, n=5, seed=None)
    again = Population("trafficking", {"k_internalization": 0.3}, n=5, seed=a.seed)
    assert np.array_equal(a.samples, again.samples)


def test_normal_uniform_and_truncation():
    pop = Population("trafficking", {"k_internalization": Normal(cv=0.8, lower=0.0), "k_recycling": Uniform(0.01, 0.1),
                                     "V_synthesis": Normal(sd=10.0)}, n=4000, seed=1)
    k = pop.samples[:, pop.names.index("k_internalization")]
    u = pop.samples[:, pop.names.index("k_recycling")]
    v = pop.samples[:, pop.names.index("V_synthesis")]
    assert k.min() >= 0.0 and u.min() >= 0.01 and u.max() < 0.1
    assert abs(np.mean(v) - 500.0) < 4 * 10.0 / math.sqrt(4000)
    assert abs(np.std(v) - 10.0) < 0.5
    # untruncated draws that go negative are refused, not clipped
    with pytest.raises(PopulationError, match="non-positive value.*lower=0"):
        Population("trafficking", {"k_internalization": Normal(cv=0.8)}, n=4000, seed=1)


def test_lognormal_covariance_gives_the_requested_correlation_of_logs():
    spec = LogNormalCovariance.from_cv({"k_internalization": 0.3, "k_recycling": 0.2}, [[1.0, -0.6], [-0.6, 1.0]])
    pop = Population("trafficking", spec, n=8000, seed=5)
    logs = np.log(pop.samples)
    r = np.corrcoef(logs.T)[0, 1]
    assert abs(r - (-0.6)) < 4 * (1 - 0.36) / math.sqrt(8000)
    assert_allclose(np.std(logs, axis=0, ddof=1), np.sqrt(np.log1p(np.array([0.3, 0.2]) ** 2)), rtol=0.04)


def test_population_sampled_from_a_fit_covariance(trafficking_data):
    from receptorkin.fitting import FitProblem, ParameterSpec, fit

    specs = [ParameterSpec("k_internalization", 0.1, 0.01, 1.0), ParameterSpec("k_recycling", 0.05, 0.005, 0.5)]
    res = fit(FitProblem("trafficking", trafficking_data, specs), n_starts=2, seed=7, profiles=False)
    pop = Population("trafficking", FitCovariance(res), n=6000, seed=2)
    logs = np.log10(pop.samples)
    centre = np.log10([res.estimates[k] for k in pop.names])
    sd = np.array([res.se[k] / (math.log(10) * res.estimates[k]) for k in pop.names])
    assert_allclose(logs.mean(axis=0), centre, atol=4 * sd.max() / math.sqrt(6000))
    assert_allclose(logs.std(axis=0, ddof=1), sd, rtol=0.05)
    assert abs(np.corrcoef(logs.T)[0, 1] - res.correlation[0, 1]) < 0.02
    with pytest.raises(PopulationError, match="was not estimated.*did you mean 'k_recycling'"):
        FitCovariance(res, parameters=["k_recycle"])


def test_population_keeps_values_set_on_a_simulator():
    sim = Simulator("trafficking").set(k_on=0.2)
    pop = Population(sim, {"k_internalization": 0.3}, n=3, seed=0)
    assert pop.values == {"k_on": 0.2}


# ------------------------------------------------------------ exactness
def test_zero_variability_reproduces_the_single_simulation_exactly():
    times = np.linspace(0.0, 1440.0, 25)
    pop = Population("trafficking", {}, n=3, seed=0)
    res = simulate(pop, "exposure:10nM@0-", ["surface_receptor", "response"], times=times)
    single = Simulator("trafficking").timecourse(times=times, values={"ligand": 10.0},
                                                 selections=["surface_receptor", "response"])
    expected = np.concatenate([single["surface_receptor"].to_numpy(), single["response"].to_numpy()])
    for i in range(3):
        assert np.array_equal(res.values[i], expected)  # bit for bit
    # without drug, against the model's own time course
    res0 = simulate(pop, None, ["total_receptor"], times=times)
    plain = Simulator("trafficking").timecourse(times=times, selections=["total_receptor"])
    assert np.array_equal(res0.values[0], plain["total_receptor"].to_numpy())


@pytest.mark.parametrize("regimen", [
    "bolus:500nmol@0,12h,24h",
    "infusion:rate=20nmol/h,from=2h,to=20h",
    "pulses:every=12h,width=3h,dose=40nmol/h",
])
def test_zero_variability_matches_the_regimen_simulation_on_a_pk_model(regimen):
    """Boluses, an infusion and rate pulses into a PK link: a readout at a dose time sees
    that dose (right-continuous), as ``apply_regimen(sim, regimen, t)`` leaves the simulator."""
    model = attach_pk("turnover_tolerance", volume="10L", k_elim="0.2/h", k_abs="1/h")
    readouts = ["response@6h", "pk_depot@12h", "drug@12h", "response@12h", "surface_receptor@30h", "drug@2h"]
    pop = Population(model, {}, n=2, seed=0)
    res = simulate(pop, regimen, readouts)
    sim = Simulator(model)
    for j, text in enumerate(readouts):
        obs, when = text.split("@")
        apply_regimen(sim, regimen, when)
        assert_allclose(res.values[:, j], sim.get(obs), rtol=1e-7, atol=1e-12, err_msg=text)
    if regimen.startswith("bolus"):
        # the depot just after the 12-h bolus holds the new dose plus what is left of the first
        left = 500.0 * math.exp(-1.0 * 12.0)
        assert_allclose(res.readout("pk_depot", "12h"), 500.0 + left, rtol=1e-6)


@pytest.mark.parametrize("criterion,t_h,kind", [
    ("response@6h/response@0h >= 0.5", 6.0, "ratio"),
    ("surface_receptor@14d >= 3000", 336.0, "level"),
])
def test_responder_fraction_matches_the_closed_form_within_its_interval(criterion, t_h, kind):
    """k_degradation log-normal (CV 0.5) on turnover_tolerance under a constant 50 nM: the criterion
    holds exactly when k_degradation <= k*, so the analytic fraction is Phi((ln k* - ln k0) / omega)."""
    from scipy.optimize import brentq

    cv, n = 0.5, 4000
    pop = Population("turnover_tolerance", {"k_degradation": LogNormal(cv)}, n=n, seed=2024)
    res = simulate(pop, "exposure:50nM@0-", criterion=criterion)
    kdeg = pop.samples[:, 0]
    # every individual's readouts against the closed form
    if kind == "ratio":
        assert_allclose(res.readout("response", "6h") / res.readout("response", 0.0), receptor_ratio(kdeg, t_h),
                        rtol=1e-6)
        k_star = brentq(lambda k: receptor_ratio(k, t_h) - 0.5, 1e-4, 1.0, xtol=1e-14)
    else:
        assert_allclose(res.readout("surface_receptor", "14d"), receptors(kdeg, t_h), rtol=1e-6)
        k_star = brentq(lambda k: receptors(k, t_h) - 3000.0, 1e-4, 1.0, xtol=1e-14)
    omega = math.sqrt(math.log1p(cv ** 2))
    analytic = stats.norm.cdf((math.log(k_star) - math.log(K_DEG)) / omega)
    frac = res.responders()
    print(f"\n{criterion}: simulated {frac.fraction:.4f} (95% Wilson CI {frac.ci[0]:.4f}-{frac.ci[1]:.4f}), "
          f"analytic {analytic:.4f}, n = {n}")
    assert frac.evaluable == n and frac.undetermined == 0
    assert frac.ci[0] <= analytic <= frac.ci[1]
    # the verdicts are exactly those of the closed form (nobody within 1e-6 of the threshold here)
    assert np.array_equal(res.evaluate()[1], kdeg <= k_star)
    cp = responder_fraction(res, method="clopper-pearson")
    assert cp.ci[0] <= analytic <= cp.ci[1] and cp.responders == frac.responders


def test_same_numbers_whatever_the_chunking_and_with_two_processes():
    pop = Population("turnover_tolerance", {"k_degradation": 0.4, "EC50": 0.3}, n=300, seed=9)
    args = ("pulses:every=12h,width=3h,dose=50nM", ["response@1d", "response@3d", "surface_receptor@3d"])
    a = simulate(pop, *args, jobs=1)
    b = simulate(pop, *args, jobs=1, chunk_size=7)
    c = simulate(pop, *args, jobs=2, chunk_size=23)
    assert np.array_equal(a.values, b.values) and np.array_equal(a.values, c.values)
    assert a.backend == "serial" and c.backend == "2 processes"


def test_equilibrate_starts_each_individual_at_its_own_steady_state():
    pop = Population("trafficking", {"V_synthesis": 0.3}, n=20, seed=1, values={"R": 10.0})
    res = simulate(pop, None, ["surface_receptor@0", "surface_receptor@1h"], equilibrate=True)
    r0 = pop.samples[:, 0] / pop.model.parameters["k_turnover"]
    assert_allclose(res.values[:, 0], r0, rtol=1e-8)
    assert_allclose(res.values[:, 1], r0, rtol=1e-7)
    raw = simulate(pop, None, ["surface_receptor@0"])
    assert_allclose(raw.values[:, 0], 10.0)


def test_failed_simulations_are_reported_not_dropped():
    sim = Simulator("turnover_tolerance", max_steps=2)
    pop = Population(sim, {"k_degradation": 0.3}, n=4, seed=0)
    res = simulate(pop, "exposure:50nM@0-", criterion="response@14d >= 0.1")
    assert len(res.failures) == 4 and np.all(np.isnan(res.values))
    assert "turnover_tolerance" in res.failures[0]
    frac = res.responders()
    assert frac.evaluable == 0 and frac.undetermined == 4 and math.isnan(frac.fraction)
    assert "no individual could be evaluated" in str(frac)


# ---------------------------------------------------------------- summaries
def test_binomial_intervals_agree_with_scipy():
    for k, n in ((0, 10), (3, 10), (10, 10), (512, 1000), (1, 4000)):
        ref_w = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
        ref_e = stats.binomtest(k, n).proportion_ci(0.9, method="exact")
        assert_allclose(binomial_ci(k, n, 0.95, "wilson"), (ref_w.low, ref_w.high), rtol=1e-10, atol=1e-15)
        assert_allclose(binomial_ci(k, n, 0.9, "clopper-pearson"), (ref_e.low, ref_e.high), rtol=1e-8, atol=1e-15)
    assert binomial_ci(0, 10)[0] == 0.0 and binomial_ci(10, 10)[1] == 1.0
    with pytest.raises(PopulationError, match="0 <= k <= n"):
        binomial_ci(5, 3)
    with pytest.raises(PopulationError, match="unknown method"):
        binomial_ci(1, 3, method="jeffreys")


def test_drivers_rank_the_parameter_that_decides_response_first():
    pop = Population("turnover_tolerance", {"k_degradation": 0.5, "EC50": 0.5, "E_max": 0.2}, n=1500, seed=8)
    res = simulate(pop, "exposure:50nM@0-", criterion="response@6h/response@0h>=0.5")
    table = drivers(res)
    assert table.index[0] == "k_degradation"
    assert table.loc["k_degradation", "rho"] < -0.99  # faster turnover: deeper, faster loss
    assert table.loc["k_degradation", "fraction_low_quartile"] == 1.0
    assert table.loc["k_degradation", "fraction_high_quartile"] == 0.0
    # the ratio does not depend on EC50 or E_max
    assert abs(table.loc["EC50", "rho"]) < 0.1 and abs(table.loc["E_max", "rho"]) < 0.1
    assert table.loc["k_degradation", "median_responders"] < table.loc["k_degradation", "median_non_responders"]


def test_percentile_bands_are_the_percentiles_of_the_time_course():
    pop = Population("trafficking", {"k_internalization": 0.4}, n=200, seed=3)
    times = np.linspace(0, 240, 9)
    res = simulate(pop, "exposure:10nM@0-", ["surface_receptor"], times=times)
    bands = percentile_bands(res, "surface_receptor", (10, 50, 90))
    assert list(bands.columns) == ["p10", "p50", "p90", "n"]
    assert_allclose(bands.index.to_numpy(), times)
    assert_allclose(bands["p50"].to_numpy(), np.percentile(res.values, 50, axis=0))
    assert (bands["n"] == 200).all()
    assert (bands["p10"] <= bands["p50"]).all() and (bands["p50"] <= bands["p90"]).all()
    with pytest.raises(PopulationError, match="'surface_receptr' was not recorded.*did you mean 'surface_receptor'"):
        res.bands("surface_receptr")


def test_time_grid_resolves_the_pulses():
    grid = time_grid("turnover_tolerance", "pulses:every=24h,width=6h,dose=50nM", "3d", points=7)
    for t in (0.0, 6.0, 24.0, 30.0, 48.0, 54.0, 72.0, 3.0, 15.0):
        assert np.any(np.isclose(grid, t)), t
    assert np.all(np.diff(grid) > 0)
    assert time_grid("turnover_tolerance", None, "3d", points=4).tolist() == [0.0, 24.0, 48.0, 72.0]


def test_tidy_table_and_wide_view():
    pop = Population("turnover_tolerance", {"k_degradation": 0.4}, n=5, seed=1)
    res = simulate(pop, "exposure:50nM@0-", ["surface_receptor@1d"], criterion="response@6h/response@0h>=0.5")
    t = res.table
    assert len(t) == 5 * 3
    assert list(t.columns) == ["individual", "readout", "observable", "time", "value", "k_degradation", "margin",
                               "responder"]
    assert t.attrs["time_unit"] == "h"
    assert set(t["readout"]) == {"surface_receptor@1d", "response@6h", "response@0h"}
    w = res.wide()
    assert len(w) == 5 and "response@6h" in w.columns
    assert (w["responder"].astype(bool).to_numpy() == res.evaluate()[1]).all()


# ---------------------------------------------------------------- streaming
def test_streaming_to_csv_writes_the_tidy_table_without_building_it(tmp_path, monkeypatch):
    pop = Population("turnover_tolerance", {"k_degradation": 0.4}, n=230, seed=1)
    out = tmp_path / "individuals.csv"
    reference = simulate(pop, "exposure:50nM@0-", ["surface_receptor@1d"], criterion="response@6h/response@0h>=0.5")

    def no_table(self):
        raise AssertionError("the whole table was built in memory")

    monkeypatch.setattr(PopulationResult, "table", property(no_table))
    res = simulate(pop, "exposure:50nM@0-", ["surface_receptor@1d"], criterion="response@6h/response@0h>=0.5",
                   out=out, chunk_size=50)
    monkeypatch.undo()
    assert res.path == out
    back = pd.read_csv(out)
    expected = reference.table
    assert len(back) == len(expected) == 230 * 3
    assert_allclose(back["value"].to_numpy(), expected["value"].to_numpy(), rtol=0, atol=0)  # exact round trip
    assert (back["readout"].astype(str).to_numpy() == expected["readout"].astype(str).to_numpy()).all()
    assert (back["responder"].to_numpy() == expected["responder"].astype(bool).to_numpy()).all()
    assert [p.name for p in tmp_path.iterdir()] == ["individuals.csv"]
    # never overwritten without force
    from receptorkin.errors import OutputExistsError

    with pytest.raises(OutputExistsError, match="exists"):
        simulate(pop, "exposure:50nM@0-", ["surface_receptor@1d"], out=out)
    simulate(pop, "exposure:50nM@0-", ["surface_receptor@1d"], out=out, force=True,
             out_readouts=["surface_receptor@1d"])
    assert len(pd.read_csv(out)) == 230


def test_a_failure_part_way_leaves_no_file(tmp_path, monkeypatch):
    import receptorkin.population.simulation as population

    calls = {"n": 0}
    real = population._simulate_chunk

    def flaky(worker, item):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker lost")
        return real(worker, item)

    monkeypatch.setattr(population, "_simulate_chunk", flaky)
    pop = Population("turnover_tolerance", {"k_degradation": 0.4}, n=100, seed=1)
    with pytest.raises(RuntimeError, match="worker lost"):
        simulate(pop, "exposure:50nM@0-", ["response@1d"], out=tmp_path / "x.csv", chunk_size=10)
    assert list(tmp_path.iterdir()) == []


def test_parquet_round_trip(tmp_path):
    pop = Population("turnover_tolerance", {"k_degradation": 0.4}, n=120, seed=1)
    out = tmp_path / "individuals.parquet"
    res = simulate(pop, "exposure:50nM@0-", ["surface_receptor@1d"], criterion="response@6h/response@0h>=0.5",
                   out=out, chunk_size=50)
    back = pd.read_parquet(out)
    ref = res.table
    assert np.array_equal(back["value"].to_numpy(), ref["value"].to_numpy())
    assert (back["readout"].to_numpy() == ref["readout"].astype(str).to_numpy()).all()
    assert (back["responder"].astype(bool).to_numpy() == ref["responder"].astype(bool).to_numpy()).all()
    assert [p.name for p in tmp_path.iterdir()] == ["individuals.parquet"]


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if it were not installed
    pop = Population("turnover_tolerance", {"k_degradation": 0.4}, n=3, seed=1)
    with pytest.raises(PopulationError, match="needs pyarrow.*write .csv"):
        simulate(pop, "exposure:50nM@0-", ["response@1d"], out=tmp_path / "x.parquet")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- criterion
@pytest.mark.parametrize("text,expected", [
    ("response@14d/response@1d>=0.5", [True, False, False]),
    ("response@14d >= 50% * response@1d", [True, False, False]),
    ("response@14d - response@1d > -0.25", [True, False, False]),
    ("-(response@1d) <= -0.5 * (response@14d + 0.0)", [True, True, True]),
    ("response@14d / response@1d ≥ 0.5", [True, False, False]),
    ("response@14d < 0.3", [False, True, True]),
])
def test_criterion_language(text, expected):
    crit = parse_criterion(text)
    assert isinstance(crit, Criterion)
    cols = {("response", "14d"): np.array([0.8, 0.2, 0.1]), ("response", "1d"): np.array([1.0, 0.5, 0.6])}
    margin, met = crit.evaluate([cols[r] for r in crit.refs])
    assert met.tolist() == expected
    assert np.all(met[margin > 0]) and not np.any(met[margin < 0])  # positive margin = met


def test_criterion_margin_and_undefined_values():
    crit = parse_criterion("response@1d/response@0h >= 0.5")
    margin, met = crit.evaluate([np.array([1.0, 0.0, np.nan]), np.array([1.0, 0.0, 1.0])])
    assert margin[0] == 0.5 and met[0]
    assert np.isnan(margin[1]) and not met[1]  # 0/0
    assert np.isnan(margin[2]) and not met[2]  # failed simulation


@pytest.mark.parametrize("text,match", [
    ("response@14d/response@1d", "at character 25: expected a comparison"),
    ("response >= 0.5", "'response' needs a time: write response@TIME"),
    ("response@14 >= 0.5", "time '14' needs a unit"),
    ("response@14y >= 0.5", "unknown time unit 'y'"),
    ("response@1d == 0.5", "comparison '==' is not allowed"),
    ("__import__('os').system('ls') >= 1", "'__import__' needs a time"),
    ("response@1d >= 0.5 >= 0.1", "one comparison only"),
    ("(response@1d >= 0.5", "expected '\\)'"),
    ("response@1d >= ", "ends too early"),
    ("1 >= 0.5", "names no readout"),
    ("response@1d >= 0.5; rm", "unexpected character ';'"),
    ("", "criterion is empty"),
    ("(" * 300 + "response@1d" + ")" * 300 + " > 0", "nested deeper than 50 levels"),
    ("-" * 300 + "response@1d > 0", "nested deeper than 50 levels"),
    ("response@1d > 0" + " " * 1000, "longer than 1000 characters"),
])
def test_bad_criteria_are_clear_errors(text, match):
    with pytest.raises(PopulationError, match=match):
        parse_criterion(text)


def test_criterion_naming_an_unknown_output_suggests_the_closest():
    pop = Population("turnover_tolerance", {"k_degradation": 0.3}, n=2, seed=0)
    with pytest.raises(ModelError, match="no output 'respnse' \\(did you mean 'response'\\?\\)"):
        simulate(pop, "exposure:50nM@0-", criterion="respnse@1d >= 0.5")


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("cv", [0, -0.1, float("nan"), float("inf")])
def test_cv_must_be_positive(cv):
    with pytest.raises(PopulationError, match="cv must be a positive number"):
        Population("trafficking", {"k_internalization": LogNormal(cv)}, n=10)
    with pytest.raises(PopulationError, match="cv must be a positive number"):
        Population("trafficking", {"k_internalization": cv}, n=10)


def test_unknown_parameter_suggests_the_closest():
    with pytest.raises(ModelError, match="'k_internalisation' is not a parameter or species.*did you mean "
                                         "'k_internalization'"):
        Population("trafficking", {"k_internalisation": 0.3}, n=10)


def test_rule_variables_cannot_be_varied_but_species_initial_amounts_can():
    with pytest.raises(ModelError, match="'R0' is computed by a rule \\(R0 := V_synthesis / k_turnover"):
        Population("trafficking", {"R0": 0.2}, n=10)
    with pytest.raises(PopulationError, match="R: a log-normal distribution needs a positive typical value"):
        Population("trafficking", {"R": 0.2}, n=10)  # R = R0 is an initial assignment: no number to centre on
    pop = Population("trafficking", {"R": LogNormal(0.2, median=15000.0)}, n=50, seed=1)
    res = simulate(pop, None, ["surface_receptor@0", "surface_receptor@2d"])
    assert_allclose(res.values[:, 0], pop.samples[:, 0])
    assert_allclose(res.values[:, 1], 20000.0, rtol=1e-6)  # everybody relaxes to Vs/kt


@pytest.mark.parametrize("n", [0, -5, 2.5, True, "10"])
def test_n_must_be_a_positive_whole_number(n):
    with pytest.raises(PopulationError, match="n must be a whole number of individuals, at least 1"):
        Population("trafficking", {"k_internalization": 0.3}, n=n)


@pytest.mark.parametrize("variability,match", [
    (lambda: {"k_on": Uniform(1.0, 0.5)}, "low \\(1\\) must be below high"),
    (lambda: {"k_on": Normal(sd=1.0, cv=0.1)}, "exactly one of sd= and cv="),
    (lambda: {"k_on": "wide"}, "expected a CV"),
    (lambda: [{"k_on": 0.1}, {"k_on": 0.2}], "more than one distribution"),
    (lambda: LogNormalCovariance(("k_on", "k_off"), [[0.1, 0.5], [0.5, 0.1]]), "not positive semi-definite"),
    (lambda: LogNormalCovariance(("k_on", "k_off"), [[0.1, 0.0]]), "must be 2x2"),
])
def test_bad_distributions(variability, match):
    with pytest.raises(PopulationError, match=match):
        Population("trafficking", variability(), n=10)


def test_bad_readouts_and_regimens():
    pop = Population("trafficking", {"k_internalization": 0.3}, n=2, seed=0)
    with pytest.raises(PopulationError, match="nothing to record"):
        simulate(pop, "exposure:10nM@0-")
    with pytest.raises(PopulationError, match="readout 'surface_receptor' has no time"):
        simulate(pop, "exposure:10nM@0-", ["surface_receptor"])
    with pytest.raises(ModelError, match="did you mean 'surface_receptor'"):
        simulate(pop, "exposure:10nM@0-", ["surface_receptr@1h"])
    with pytest.raises(RegimenError, match="no PK link"):
        simulate(pop, "bolus:10nmol@0", ["surface_receptor@1h"])
    with pytest.raises(PopulationError, match="expected a Population"):
        simulate("trafficking", None, ["surface_receptor@1h"])
    with pytest.raises(PopulationError, match="chunk_size must be at least 1"):
        simulate(pop, None, ["surface_receptor@1h"], chunk_size=0)


def test_readout_objects_and_repr():
    pop = Population("trafficking", {"k_internalization": 0.3}, n=2, seed=0)
    res = simulate(pop, None, [Readout("surface_receptor", 60.0, "R@1h")])
    assert res.readouts[0].label == "R@1h"
    assert "varies k_internalization" in repr(pop) and len(pop) == 2
