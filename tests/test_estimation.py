"""The estimation engine against answers known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from receptorkin.errors import FitError
from receptorkin.estimation import (FunctionObjective, Parameter, ParameterSet, Prior, fit_least_squares,
                                    latin_hypercube, minimize_likelihood, multistart, profile, sample_posterior,
                                    standard_errors)

T = np.linspace(0.0, 10.0, 21)
RNG = np.random.default_rng(42)
Y_LIN = 1.5 + 0.7 * T + RNG.normal(0, 0.3, T.size)
Y_EXP = 20.0 * np.exp(-0.35 * T)


class Line:
    """y = a + b·t with known σ = 0.3 (picklable: module level)."""

    sigma = 0.3

    def residuals(self, x):
        return (Y_LIN - (x[0] + x[1] * T)) / self.sigma

    def residuals_and_jacobian(self, x):
        J = -np.column_stack([np.ones_like(T), T]) / self.sigma
        return self.residuals(x), J


class Decay:
    """y = A·exp(−k t), parameters on log10 scale."""

    def residuals(self, x):
        A, k = 10 ** x[0], 10 ** x[1]
        return Y_EXP - A * np.exp(-k * T)

    def residuals_and_jacobian(self, x):
        A, k = 10 ** x[0], 10 ** x[1]
        e = np.exp(-k * T)
        J = -np.column_stack([e * A * math.log(10), -A * T * e * k * math.log(10)])
        return self.residuals(x), J


def test_linear_least_squares_matches_ordinary_least_squares_and_its_standard_errors():
    X = np.column_stack([np.ones_like(T), T])
    beta = np.linalg.solve(X.T @ X, X.T @ Y_LIN)
    res = fit_least_squares(Line(), np.array([0.0, 0.0]), np.array([-10.0, -10.0]), np.array([10.0, 10.0]))
    assert_allclose(res.x, beta, rtol=1e-8)
    _, J = Line().residuals_and_jacobian(res.x)
    se = standard_errors(J.T @ J)
    assert_allclose(se.se, np.sqrt(np.diag(0.09 * np.linalg.inv(X.T @ X))), rtol=1e-10)
    assert se.estimable.all()


def test_profile_of_a_linear_model_is_the_wald_interval():
    lo, hi = np.array([-10.0, -10.0]), np.array([10.0, 10.0])
    res = fit_least_squares(Line(), np.array([0.0, 0.0]), lo, hi)
    _, J = Line().residuals_and_jacobian(res.x)
    se = standard_errors(J.T @ J).se
    prof = profile(Line(), res.x, res.objective, 1, lo, hi, res.objective + 3.841458820694124, se[1], xtol=1e-9)
    half = math.sqrt(3.841458820694124) * se[1]
    assert_allclose(prof.ci, (res.x[1] - half, res.x[1] + half), rtol=1e-6)
    assert not prof.open_low and not prof.open_high


def test_multistart_finds_the_exponential_optimum_from_every_start():
    lo, hi = np.array([-1.0, -3.0]), np.array([3.0, 1.0])
    starts = latin_hypercube(lo, hi, 8, seed=1)
    ms = multistart(Decay(), starts, lo, hi)
    assert_allclose(10 ** ms.best.x, [20.0, 0.35], rtol=1e-7)
    assert ms.n_at_best(1e-8) >= 6
    assert len(ms.table(["log10 A", "log10 k"])) == 8


def test_same_seed_same_result_serial_and_pool():
    lo, hi = np.array([-1.0, -3.0]), np.array([3.0, 1.0])
    starts = latin_hypercube(lo, hi, 4, seed=5)
    assert_allclose(starts, latin_hypercube(lo, hi, 4, seed=5))
    a = multistart(Decay(), starts, lo, hi, jobs=1)
    b = multistart(Decay(), starts, lo, hi, jobs=2)
    for sa, sb in zip(a.starts, b.starts):
        assert_allclose(sa.x, sb.x, rtol=0, atol=0)
        assert sa.objective == sb.objective


class Product:
    """y = a·b·t: only the product is determined."""

    def residuals(self, x):
        return Y_LIN - x[0] * x[1] * T

    def residuals_and_jacobian(self, x):
        return self.residuals(x), -np.column_stack([x[1] * T, x[0] * T])


def test_parameters_that_only_enter_as_a_product_are_not_estimable():
    lo, hi = np.array([0.1, 0.1]), np.array([10.0, 10.0])
    res = fit_least_squares(Product(), np.array([1.0, 1.0]), lo, hi)
    _, J = Product().residuals_and_jacobian(res.x)
    se = standard_errors(J.T @ J)
    assert not se.estimable.any()
    assert np.isnan(se.se).all()  # never a small finite number from a pseudo-inverse
    assert "a" in se.combinations(["a", "b"])[0] and "b" in se.combinations(["a", "b"])[0]
    # a third, identifiable parameter keeps its standard error
    F = np.zeros((3, 3))
    F[:2, :2] = J.T @ J
    F[2, 2] = 4.0
    se3 = standard_errors(F)
    assert se3.estimable.tolist() == [False, False, True]
    assert_allclose(se3.se[2], 0.5)


def test_poisson_likelihood_with_gradient_reaches_the_sample_mean():
    counts = np.array([3, 7, 4, 6, 5, 2, 8])

    def nll(x):
        lam = 10 ** x[0]
        return float(np.sum(lam - counts * math.log(lam)))

    def grad(x):
        lam = 10 ** x[0]
        return np.array([np.sum(1 - counts / lam) * lam * math.log(10)])

    res = minimize_likelihood(FunctionObjective(nll=nll, gradient=grad), np.array([0.0]), np.array([-2.0]),
                              np.array([2.0]))
    assert_allclose(10 ** res.x[0], counts.mean(), rtol=1e-6)


@pytest.mark.filterwarnings("ignore::receptorkin.errors.SamplingWarning")  # the short determinism runs
def test_conjugate_gaussian_posterior_matches_the_analytic_one():
    sigma, m0, s0 = 0.5, 1.0, 0.4
    y = np.random.default_rng(3).normal(2.0, sigma, 12)
    params = ParameterSet([Parameter("mu", 1.0, -10.0, 10.0, scale="lin", prior=Prior("normal", m0, s0))])

    def log_post(x):
        lp = params.log_prior(x)
        return lp - 0.5 * float(np.sum((y - x[0]) ** 2)) / sigma ** 2 if math.isfinite(lp) else -math.inf

    post_var = 1 / (1 / s0 ** 2 + y.size / sigma ** 2)
    post_mean = post_var * (m0 / s0 ** 2 + y.sum() / sigma ** 2)
    sample = sample_posterior(log_post, np.array([post_mean]), ["mu"], lambda z: z, n_draws=40_000, seed=11,
                              spread=0.1)
    mc = math.sqrt(post_var) / math.sqrt(sample.ess[0])  # Monte Carlo standard error of the mean
    assert abs(np.mean(sample.draws[:, 0]) - post_mean) < 4 * mc
    assert_allclose(np.std(sample.draws[:, 0]), math.sqrt(post_var), rtol=0.05)
    lo, hi = sample.credible_interval()["mu"]
    assert_allclose([lo, hi], [post_mean - 1.96 * math.sqrt(post_var), post_mean + 1.96 * math.sqrt(post_var)],
                    atol=0.03)
    assert 0.2 < sample.acceptance_fraction < 0.9
    # the same seed gives the same draws
    again = sample_posterior(log_post, np.array([post_mean]), ["mu"], lambda z: z, n_draws=2_000, seed=11, spread=0.1)
    again2 = sample_posterior(log_post, np.array([post_mean]), ["mu"], lambda z: z, n_draws=2_000, seed=11, spread=0.1)
    assert_allclose(again.draws, again2.draws, rtol=0, atol=0)
    med, (a, b), _ = sample.derived(lambda v: 2 * v["mu"])
    assert_allclose([med, a, b], [2 * np.median(sample.draws), 2 * lo, 2 * hi], rtol=1e-6)


class LinePosterior:
    """Flat prior on (a, b) within wide bounds, Gaussian noise of known σ: the posterior is
    N(β̂, σ²(XᵀX)⁻¹) exactly (picklable for the process pool)."""

    def __call__(self, x):
        if np.any(np.abs(x) > 50):
            return -math.inf
        r = Line().residuals(x)
        return -0.5 * float(r @ r)


def _line_posterior_moments():
    X = np.column_stack([np.ones_like(T), T])
    cov = Line.sigma ** 2 * np.linalg.inv(X.T @ X)
    return np.linalg.solve(X.T @ X, X.T @ Y_LIN), cov


@pytest.mark.parametrize("proposal", ["exact", "wrong"])
def test_independence_moves_sample_a_correlated_gaussian_posterior_known_in_closed_form(proposal):
    """With the Laplace covariance (exact here) the draws are nearly independent; with a proposal
    that is shifted, too narrow and wrongly correlated the Metropolis–Hastings correction must
    still give the right posterior (a sign error in the proposal ratio would not)."""
    mean, cov = _line_posterior_moments()
    sd = np.sqrt(np.diag(cov))
    if proposal == "exact":
        centre, prop = mean, cov
    else:
        centre, prop = mean + 0.5 * sd, np.diag(0.25 * sd ** 2)
    sample = sample_posterior(LinePosterior(), centre, ["a", "b"], lambda z: z, n_draws=20_000, seed=5,
                              covariance=prop)
    assert sample.moves.startswith("independence")
    mc = sd / np.sqrt(sample.ess)  # Monte Carlo standard errors of the means
    assert np.all(np.abs(sample.draws.mean(axis=0) - mean) < 4 * mc)
    assert_allclose(sample.draws.std(axis=0), sd, rtol=0.05)
    assert_allclose(np.corrcoef(sample.draws.T)[0, 1], cov[0, 1] / (sd[0] * sd[1]), atol=0.03)
    assert sample.converged
    if proposal == "exact":
        assert np.all(sample.autocorr_time < 5) and sample.acceptance_fraction > 0.5


def test_short_chains_warn_and_pool_gives_the_same_draws():
    from receptorkin.errors import SamplingWarning

    mean, _ = _line_posterior_moments()
    with pytest.warns(SamplingWarning, match="50 autocorrelation times"):
        short = sample_posterior(LinePosterior(), mean, ["a", "b"], lambda z: z, n_draws=200, seed=2, spread=0.01)
    assert not short.converged
    _, cov = _line_posterior_moments()
    serial = sample_posterior(LinePosterior(), mean, ["a", "b"], lambda z: z, n_draws=4_000, seed=4, covariance=cov)
    pooled = sample_posterior(LinePosterior(), mean, ["a", "b"], lambda z: z, n_draws=4_000, seed=4, covariance=cov,
                              jobs=2)
    assert_allclose(pooled.draws, serial.draws, rtol=0, atol=0)


def test_lmfit_parameters_round_trip_and_refusals():
    import lmfit

    p = lmfit.Parameters()
    p.add("k", value=0.1, min=0.001, max=10)
    p.add("fixed", value=3.0, vary=False)
    ps = ParameterSet.from_lmfit(p, scales={"k": "log10"})
    assert ps.names == ["k"]
    assert_allclose(ps.initial(), [-1.0])
    back = ps.to_lmfit(np.array([-2.0]), stderr={"k": 0.001})
    assert_allclose(back["k"].value, 0.01)
    assert back["k"].stderr == 0.001
    with pytest.raises(FitError, match="outside its bounds"):
        Parameter("k", 20.0, 0.001, 10.0)
    with pytest.raises(FitError, match="outside its bounds"):
        fit_least_squares(Line(), np.array([20.0, 0.0]), np.array([-10.0, -10.0]), np.array([10.0, 10.0]))


def test_mechanistic_fit_reports_kon_and_koff_from_steady_state_data_as_not_estimable():
    """Steady-state occupancy depends on k_on and k_off only through K_D = k_off/k_on."""
    from receptorkin.fitting import FitProblem, ParameterSpec, fit
    from synthetic import synthetic_trafficking

    both = [ParameterSpec("k_on", 0.2, 0.005, 5.0), ParameterSpec("k_off", 0.5, 0.01, 10.0)]
    steady = synthetic_trafficking(3, steady=True, observable="occupancy", doses=np.logspace(-2, 2, 9))
    res = fit(FitProblem("trafficking", steady, both), n_starts=2, seed=0, profiles=False)
    assert res.not_estimable == ["k_on", "k_off"]
    assert all(math.isnan(res.se[n]) for n in ("k_on", "k_off"))
    assert "not estimable" in res.report()


class DoubleWell:
    """nll = (x₀² − 1)² + 0.3·x₀ + x₁²: the global minimum at the root of 4x³ − 4x + 0.3 near −1.036,
    a trap at the root near +0.960 (picklable: module level)."""

    def nll(self, x):
        return (x[0] ** 2 - 1) ** 2 + 0.3 * x[0] + x[1] ** 2

    def nll_and_gradient(self, x):
        return self.nll(x), np.array([4 * x[0] * (x[0] ** 2 - 1) + 0.3, 2 * x[1]])


def test_screen_then_search_puts_the_searches_in_the_global_basin():
    """On a double well whose trap basin is wider, searches from the best ends of one-iteration screens
    of 4x more points end at the global minimum more often than searches from the first points."""
    from receptorkin.estimation import screened_multistart

    minima = sorted(np.roots([4.0, 0.0, -4.0, 0.3]).real)  # stationary points in x₀: global, maximum, trap
    lo, hi = np.array([-1.5, -1.0]), np.array([3.0, 1.0])
    plain_global = screened_global = 0
    for seed in range(6):
        candidates = latin_hypercube(lo, hi, 12, seed)
        plain = multistart(DoubleWell(), candidates[:3], lo, hi, kind="likelihood")
        screened = screened_multistart(DoubleWell(), candidates, lo, hi, 3, screen_options={"max_iter": 1},
                                       kind="likelihood", seed=seed)
        searched = [s for s in screened.starts if s.extra["phase"] == "search"]
        assert len(screened.starts) == 12 and len(searched) == 3 and len(screened.searched) == 3
        assert all(s.status == "screened" for s in screened.starts if s.extra["phase"] == "screened")
        for s in searched:  # every search ends at one of the two minima, found from its original point
            assert min(abs(s.x[0] - minima[0]), abs(s.x[0] - minima[2])) < 1e-5
            assert_allclose(s.x0, candidates[s.index], rtol=0, atol=0)
        plain_global += sum(abs(s.x[0] - minima[0]) < 1e-5 for s in plain.starts)
        screened_global += sum(abs(s.x[0] - minima[0]) < 1e-5 for s in searched)
    assert plain_global <= 12 and screened_global >= 16  # of 18 searches each (measured: 11 and 17)


def test_screen_then_search_is_the_same_serial_and_pool():
    from receptorkin.estimation import screened_multistart

    lo, hi = np.array([-1.5, -1.0]), np.array([3.0, 1.0])
    candidates = latin_hypercube(lo, hi, 12, 4)
    a = screened_multistart(DoubleWell(), candidates, lo, hi, 3, screen_options={"max_iter": 1}, kind="likelihood")
    b = screened_multistart(DoubleWell(), candidates, lo, hi, 3, screen_options={"max_iter": 1}, kind="likelihood",
                            jobs=2)
    for sa, sb in zip(a.starts, b.starts):
        assert (sa.status, sa.extra["phase"], sa.objective) == (sb.status, sb.extra["phase"], sb.objective)
        assert_allclose(sa.x, sb.x, rtol=0, atol=0)
    with pytest.raises(FitError, match="n_searches"):
        screened_multistart(DoubleWell(), candidates, lo, hi, 13, screen_options={}, kind="likelihood")
