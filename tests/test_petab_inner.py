"""Hierarchical PEtab fits: which parameters are solved in closed form, and
that the closed form is the optimum a numerical optimizer finds for them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import optimize

from conftest import BRANNMARK
from test_petab import _two_state_tables, write_two_state

from receptorkin.petab import PetabProblem, fit_petab

BRANNMARK_YAML = BRANNMARK / "Brannmark_JBC2010.yaml"


@pytest.fixture(scope="module")
def brannmark():
    return PetabProblem.from_yaml(BRANNMARK_YAML)


def _numerical_inner_optimum(problem, x, inner):
    """Maximise the problem's own llh over the ``inner`` positions of ``x`` with Powell's method (others fixed)."""
    lower, upper = problem.x_lower[inner], problem.x_upper[inner]

    def nllh(z):
        xs = x.copy()
        xs[inner] = z
        return -problem.llh(xs)

    start = np.clip(x[inner], lower, upper)
    res = optimize.minimize(nllh, start, method="Powell", bounds=list(zip(lower, upper)),
                            options={"xtol": 1e-8, "ftol": 1e-14, "maxfev": 20000})
    xs = x.copy()
    xs[inner] = res.x
    return xs, -res.fun


def test_brannmark_plan_has_the_scalings_and_noise_levels(brannmark):
    plan = brannmark.inner_plan()
    # k_IRSiP_DosR is declared in the SBML but no math uses it, so it is a plain scaling factor too
    assert set(plan.inner_ids) == {"k_IRP_1Step", "k_IRSiP_1Step", "k_IRSiP_2Step", "k_IRSiP_DosR",
                                   "sigmaY1TimR", "sigmaY2Step", "sigmaY2TimR", "sigmaYDosR"}
    assert len(plan.outer) == 14
    assert not {brannmark.x_ids[k] for k in plan.outer} & set(plan.inner_ids)


def test_brannmark_closed_form_is_the_numerical_inner_optimum(brannmark):
    plan = brannmark.inner_plan()
    x = brannmark.x_nominal
    xs, y, sigma = plan.solve(brannmark, x[plan.outer])
    closed = -float(np.sum(brannmark.nllh_terms(y, sigma)))
    assert_allclose(closed, brannmark.llh(xs), rtol=0, atol=1e-9)  # the returned x reproduces y and sigma
    # a second implementation: Powell's method on the problem's llh over the 8 inner parameters
    moved = xs.copy()
    moved[plan.inner] += 0.05
    xn, numeric = _numerical_inner_optimum(brannmark, moved, plan.inner)
    assert closed >= numeric - 1e-7
    assert closed >= brannmark.llh(x)  # at least as good as the nominal inner values
    assert_allclose(xs[plan.inner], xn[plan.inner], atol=2e-3)
    # k_IRP_1Step's unconstrained optimum is above its upper bound 2e5: the closed form sits on the bound
    k = brannmark.x_ids.index("k_IRP_1Step")
    assert xs[k] == pytest.approx(np.log10(2e5), abs=1e-12)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return PetabProblem.from_yaml(write_two_state(tmp_path_factory.mktemp("two_state"))).model


def _two_state(model, observable_formula="observableParameter1_b_lin * B", transformation="lin"):
    """The multi-observable two-state problem of test_petab, with b_lin a pure scaling (no offset)."""
    conditions, measurements, observables, parameters = _two_state_tables()
    observables = observables.copy()
    observables.loc[0, ["observableFormula", "observableTransformation"]] = [observable_formula, transformation]
    measurements = measurements.copy()
    lin = measurements["observableId"] == "b_lin"
    measurements.loc[lin, "observableParameters"] = measurements.loc[lin, "observableParameters"].str.split(";").str[0]
    parameters = parameters[parameters["parameterId"] != "offset_b"]
    return PetabProblem.from_tables(model, conditions, measurements, observables, parameters)


def test_rules_decide_inner_and_outer(model):
    # scale * B + offset is not a pure scaling: scale_b and offset_b stay outer; the noise levels are inner
    conditions, measurements, observables, parameters = _two_state_tables()
    with_offset = PetabProblem.from_tables(model, conditions, measurements, observables, parameters)
    assert set(with_offset.inner_plan().inner_ids) == {"sigma_b", "sigma_log"}
    # a pure scaling of a lin observable is inner
    assert set(_two_state(model).inner_plan().inner_ids) == {"scale_b", "sigma_b", "sigma_log"}
    # on a log scale the scaling is an offset, not handled: it stays outer
    assert set(_two_state(model, transformation="log").inner_plan().inner_ids) == {"sigma_b", "sigma_log"}
    # a scaling that also enters nonlinearly stays outer
    assert "scale_b" not in _two_state(model, "observableParameter1_b_lin * B / (1 + observableParameter1_b_lin)").inner_plan().inner_ids


def test_weighted_scaling_with_fixed_sigmas_matches_numerical_optimum(model):
    """Rows of one scaling with different fixed σ: the weighted ratio, checked against a 1-D optimizer."""
    problem = _two_state(model)
    meas = problem.measurements
    lin = (meas["observableId"] == "b_lin").to_numpy()
    meas.loc[lin, "noiseParameters"] = np.where(np.arange(lin.sum()) % 2 == 0, "0.2", "1.5")
    meas.loc[lin, "measurement"] = [f"{3.0 + 0.37 * i:.2f}" for i in range(lin.sum())]
    pars = problem.table("parameters")
    p2 = PetabProblem.from_tables(problem.model, problem.table("conditions"), meas, problem.table("observables"),
                                  pars[pars["parameterId"] != "sigma_b"])
    plan = p2.inner_plan()
    sc = next(s for s in plan.scalings if p2.x_ids[s.k] == "scale_b")
    assert sc.weighted
    xs, _, _ = plan.solve(p2, p2.x_nominal[plan.outer])
    k = p2.x_ids.index("scale_b")

    def nllh(v):
        z = xs.copy()
        z[k] = v
        return -p2.llh(z)

    best = optimize.minimize_scalar(nllh, bounds=(p2.x_lower[k], p2.x_upper[k]), method="bounded",
                                    options={"xatol": 1e-10})
    assert xs[k] == pytest.approx(best.x, abs=1e-6)
    assert p2.llh(xs) >= -best.fun - 1e-9


def test_hierarchical_fit_reaches_the_same_optimum_with_fewer_parameters(model):
    problem = _two_state(model)
    full = fit_petab(problem, n_starts=3, seed=2, hierarchical=False)
    hier = fit_petab(problem, n_starts=3, seed=2)
    assert hier.inner_ids == ["scale_b", "sigma_b", "sigma_log"]
    assert full.inner_ids == []
    # the same optimum (the closed form lands on it exactly; the full search stops just short)
    assert full.llh - 1e-6 <= hier.llh <= full.llh + 1e-3
    assert_allclose(hier.x, full.x, atol=1e-2)
    assert hier.starts["evaluations"].median() < full.starts["evaluations"].median()
    d = hier.to_dict()
    assert d["hierarchical"] is True and d["inner_parameters"] == ["scale_b", "sigma_b", "sigma_log"]


def test_two_state_problem_file_plan(tmp_path):
    """The bundled two-state test problem: its fixed scale is not estimated, so only σ is inner."""
    problem = PetabProblem.from_yaml(write_two_state(tmp_path / "p"))
    assert problem.inner_plan().inner_ids == ("sigma_b",)
    assert pd.Series(problem.x_ids).tolist() == ["k_forward", "sigma_b"]


def test_plan_from_plain_values_solves_with_any_evaluator():
    """hierarchical sits below the problem: a plan made from plain values (no PetabProblem) and solved with
    a stand-in evaluator gives the least-squares scale and the RMS noise level (numpy's lstsq as the second
    implementation)."""
    import sympy as sp

    from receptorkin.petab.experiments import Formula, Group, Observable
    from receptorkin.petab.hierarchical import PlanInputs, plan_inner

    scale, x = sp.symbols("observableParameter1_o x")
    sigma = sp.Symbol("noiseParameter1_o")
    formula = Formula("observableParameter1_o * x", sp.lambdify([scale, x], scale * x), [scale.name, x.name], scale * x)
    noise = Formula("noiseParameter1_o", sp.lambdify([sigma], sigma), [sigma.name], sigma)
    obs = Observable("o", "o", formula, noise, "lin", "normal", 1, 1)
    rows = np.arange(4)
    group = Group(obs, rows, rows, [("par", 0), ("model", 0)], [("par", 1)], ("par", 1))
    m = np.array([2.1, 3.9, 6.2, 7.8])
    inputs = PlanInputs(x_ids=("scale_o", "sigma_o"), x_scales=("lin", "log10"), est_index=np.array([0, 1]),
                        lower=np.array([1e-3, 1e-3]), upper=np.array([1e3, 1e3]), in_model=frozenset(),
                        in_conditions=frozenset(), with_prior=frozenset(), groups=(group,), transformed=m,
                        transformations=np.array(["lin"] * 4))
    plan = plan_inner(inputs)
    assert plan.inner_ids == ("scale_o", "sigma_o") and plan.outer.size == 0

    h = np.array([1.0, 2.0, 3.0, 4.0])  # the model quantity at scale 1

    class StandIn:
        def evaluate(self, xs):
            return h * xs[0], np.full(4, 10 ** xs[1])

        def evaluate_gradient(self, xs):
            return (*self.evaluate(xs), np.zeros((4, 2)), np.zeros((4, 2)))

    xs, y, sig = plan.solve(StandIn(), np.array([]))
    (s,), res, *_ = np.linalg.lstsq(h[:, None], m, rcond=None)
    assert xs[0] == pytest.approx(s, rel=1e-12)
    assert 10 ** xs[1] == pytest.approx(np.sqrt(res[0] / 4), rel=1e-12)
    assert_allclose(y, s * h, rtol=1e-12)
    assert_allclose(sig, np.sqrt(res[0] / 4), rtol=1e-12)
    assert_allclose(plan.solve_with_gradient(StandIn(), np.array([]))[0], xs, rtol=0, atol=0)
