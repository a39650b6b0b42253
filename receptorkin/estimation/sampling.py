"""Posterior sampling with emcee (affine-invariant ensemble), seeded, with diagnostics.

Diagnostics reported with every sample: the integrated autocorrelation time
of each parameter (emcee's estimator), the mean acceptance fraction, and the
effective sample size ``n_walkers · n_steps / τ``.  Credible intervals are
equal-tailed quantiles of the draws, for the parameters and for any derived
quantity (a function of the linear parameter values).
"""

from __future__ import annotations

import math
import multiprocessing
import pickle
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..display import NotebookDisplay, values_text
from ..errors import FitError

__all__ = ["PosteriorSample", "sample_posterior"]

_WORKER: dict[str, Any] = {}


def _init_worker(payload: bytes) -> None:
    _WORKER["log_prob"] = pickle.loads(payload)


def _worker_log_prob(x: np.ndarray) -> float:
    return _WORKER["log_prob"](x)


@dataclass
class PosteriorSample(NotebookDisplay):
    """Draws from a posterior and their diagnostics (a notebook shows the :meth:`summary` table).

    Attributes
    ----------
    names
        Parameter names.
    draws
        ``n_draws × n_parameters`` on the linear scale (after burn-in, flattened over walkers).
    scaled
        The same draws on the estimation scale.
    log_prob
        Log posterior of each draw.
    acceptance_fraction
        Mean acceptance fraction of the walkers (0.2–0.5 is healthy).
    autocorr_time
        Integrated autocorrelation time of each parameter [steps].
    n_walkers, n_steps, burn
        Ensemble size, steps kept per walker and steps discarded.
    seed
        Seed of the sampler.
    converged
        Whether every parameter has at least 50 autocorrelation times per walker.
    moves
        The emcee moves used.
    """

    names: list[str]
    draws: np.ndarray
    scaled: np.ndarray
    log_prob: np.ndarray
    acceptance_fraction: float
    autocorr_time: np.ndarray
    n_walkers: int
    n_steps: int
    burn: int
    seed: int | None
    converged: bool = field(default=False)
    moves: str = "stretch"

    @property
    def ess(self) -> np.ndarray:
        """Effective sample size per parameter: ``n_walkers · n_steps / τ``."""
        return self.n_walkers * self.n_steps / self.autocorr_time

    def credible_interval(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Equal-tailed credible intervals of the parameters (linear scale)."""
        a = (1 - level) / 2
        lo, hi = np.quantile(self.draws, [a, 1 - a], axis=0)
        return {n: (float(l), float(h)) for n, l, h in zip(self.names, lo, hi)}

    def median(self) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.names, np.median(self.draws, axis=0))}

    def derived(self, fn: Callable[[Mapping[str, float]], float], level: float = 0.95,
                every: int = 1) -> tuple[float, tuple[float, float], np.ndarray]:
        """A derived quantity over the draws: median, credible interval, values.

        Parameters
        ----------
        fn
            ``{name: linear value} -> number`` (e.g. a receptor half-life
            ``ln 2 / k_degradation``, or an EC50 shift from a simulation).
        every
            Use one draw in ``every`` (for quantities that need a simulation).
        """
        values = np.array([fn(dict(zip(self.names, row))) for row in self.draws[::every]], dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            raise FitError("the derived quantity is not finite for any draw")
        a = (1 - level) / 2
        return float(np.median(values)), (float(np.quantile(values, a)), float(np.quantile(values, 1 - a))), values

    def derived_table(self, quantities: Sequence[Callable[[Mapping[str, float]], float]], level: float = 0.95,
                      every: int = 1):
        """Median and credible interval of several derived quantities (e.g.
        :mod:`receptorkin.fitting.derived` helpers), one row each.

        Parameters
        ----------
        quantities
            Functions ``{name: linear value} -> number``; a ``name`` and
            ``unit`` attribute label the row.
        every
            Use one draw in ``every`` (quantities that simulate cost ~10–100 ms a draw).
        """
        import pandas as pd

        rows = []
        for i, q in enumerate(quantities):
            med, (lo, hi), values = self.derived(q, level=level, every=every)
            rows.append({"quantity": getattr(q, "name", f"quantity {i}"), "median": med, "ci_low": lo, "ci_high": hi,
                         "unit": getattr(q, "unit", ""), "n_draws": int(values.size)})
        return pd.DataFrame(rows).set_index("quantity")

    def summary(self):
        """A pandas table: median, 95% credible interval, τ and ESS per parameter."""
        import pandas as pd

        ci = self.credible_interval()
        med = self.median()
        return pd.DataFrame({"median": [med[n] for n in self.names], "ci_low": [ci[n][0] for n in self.names],
                             "ci_high": [ci[n][1] for n in self.names], "tau": self.autocorr_time,
                             "ess": self.ess}, index=pd.Index(self.names, name="parameter"))

    def __repr__(self) -> str:
        try:
            return (f"<PosteriorSample: {len(self.draws)} draws of {len(self.names)} parameters "
                    f"({self.n_walkers} walkers x {self.n_steps} steps after {self.burn} burn-in), "
                    f"acceptance {self.acceptance_fraction:.2f}, {'converged' if self.converged else 'not converged'}; "
                    f"median {values_text(self.median())}>")
        except Exception:  # noqa: BLE001 - a repr must never raise
            return "<PosteriorSample>"


class _IndependenceT:
    """Independence Metropolis–Hastings proposal for emcee: a multivariate
    Student-t around the optimum with the Laplace covariance (picklable).

    For a nearly Gaussian posterior (a well-determined fit) this proposal is
    close to the target, so draws are almost independent (τ of a few steps,
    against 30–40 for the stretch move in 4 dimensions); the heavy tails
    (``df``) keep the chain valid and ergodic when the posterior is wider
    than its Laplace approximation.
    """

    def __init__(self, centre: np.ndarray, covariance: np.ndarray, df: float = 5.0, inflate: float = 1.2) -> None:
        self.centre = np.asarray(centre, dtype=float)
        self.df = float(df)
        self.chol = np.linalg.cholesky(inflate ** 2 * np.asarray(covariance, dtype=float))
        self.inv_chol = np.linalg.inv(self.chol)

    def log_density(self, x: np.ndarray) -> np.ndarray:
        """Log density up to a constant (rows of ``x``)."""
        z = (np.atleast_2d(x) - self.centre) @ self.inv_chol.T
        return -0.5 * (self.df + self.centre.size) * np.log1p(np.sum(z * z, axis=1) / self.df)

    def draw(self, random, n: int) -> np.ndarray:
        z = random.standard_normal((n, self.centre.size))
        w = random.chisquare(self.df, n) / self.df
        return self.centre + (z @ self.chol.T) / np.sqrt(w)[:, None]

    def __call__(self, coords: np.ndarray, random) -> tuple[np.ndarray, np.ndarray]:
        new = self.draw(random, coords.shape[0])
        return new, self.log_density(coords) - self.log_density(new)


def _laplace_covariance(covariance) -> "np.ndarray | None":
    """The covariance if it is usable for a proposal (finite, positive definite), else None."""
    if covariance is None:
        return None
    c = np.asarray(covariance, dtype=float)
    if c.ndim != 2 or not np.all(np.isfinite(c)):
        return None
    try:
        np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        return None
    return c


def sample_posterior(log_prob: Callable[[np.ndarray], float], x0: np.ndarray, names: Sequence[str],
                     to_linear: Callable[[np.ndarray], np.ndarray], *, n_draws: int = 10_000,
                     n_walkers: int | None = None, burn: int | None = None, seed: int | None = 0,
                     spread: np.ndarray | float = 1e-3, covariance: np.ndarray | None = None, jobs: int = 1,
                     progress: bool = False) -> PosteriorSample:
    """Sample ``log_prob`` (log posterior on the estimation scale) with emcee.

    Parameters
    ----------
    log_prob
        Log posterior density of the estimation-scale vector (−inf outside
        the support).  Must be picklable when ``jobs > 1``.
    x0
        Centre of the initial ball (e.g. the best fit).
    names
        Parameter names.
    to_linear
        Estimation-scale vector -> linear values (for the reported draws).
    n_draws
        Draws kept after burn-in, over all walkers.
    n_walkers
        Ensemble size (default ``max(4·p, 16)``, even).
    burn
        Steps per walker discarded (default: a quarter of the kept steps,
        at least 100; 50 when the walkers start from the Laplace
        approximation, which is already close to the posterior).
    seed
        Seed of the initial ball and of the sampler's moves.
    spread
        Standard deviation of the initial ball (estimation scale), e.g. the
        standard errors; not used with ``covariance``.
    covariance
        Laplace covariance at ``x0`` (estimation scale, e.g. from the
        Hessian).  When it is finite and positive definite the walkers start
        from it and 70% of the moves are independence Metropolis–Hastings
        proposals from a Student-t (5 degrees of freedom) with that
        covariance, the rest emcee's stretch move; otherwise every move is
        a stretch move.
    jobs
        Worker processes evaluating walkers in parallel (each compiles its
        model once).  It pays when one evaluation costs much more than
        sending a vector to a process (~0.1 ms); the benchmark measures it.

    Warns
    -----
    SamplingWarning
        When the chain is shorter than 50 integrated autocorrelation times
        per walker (``converged`` is then False): the intervals are rough.
    """
    import warnings

    import emcee

    from ..errors import SamplingWarning

    x0 = np.asarray(x0, dtype=float)
    p = x0.size
    nw = n_walkers or max(4 * p, 16)
    nw += nw % 2
    steps = max(int(math.ceil(n_draws / nw)), 1)
    rng = np.random.default_rng(seed)
    cov = _laplace_covariance(covariance)
    proposal = _IndependenceT(x0, cov) if cov is not None else None
    if burn is None:
        burn = 50 if proposal is not None else max(steps // 4, 100)
    burn = int(burn)
    spread = np.broadcast_to(np.asarray(spread, dtype=float), (p,))
    start = []
    tries = 0
    while len(start) < nw:
        tries += 1
        z = proposal.centre + (rng.standard_normal(p) @ proposal.chol.T) / 1.2 if proposal is not None \
            else x0 + rng.normal(size=p) * spread
        if np.isfinite(log_prob(z)):
            start.append(z)
        elif tries > 1000 * nw:
            raise FitError("no finite log posterior near the starting point")
    start = np.array(start)
    pool = None
    fn: Callable = log_prob
    if jobs > 1:
        ctx = multiprocessing.get_context("spawn")
        pool = ctx.Pool(jobs, initializer=_init_worker, initargs=(pickle.dumps(log_prob),))
        fn = _worker_log_prob
    moves = [(emcee.moves.MHMove(proposal, ndim=p), 0.7), (emcee.moves.StretchMove(), 0.3)] \
        if proposal is not None else None
    try:
        sampler = emcee.EnsembleSampler(nw, p, fn, pool=pool, moves=moves)
        sampler.random_state = np.random.RandomState(int(rng.integers(2 ** 31))).get_state()
        sampler.run_mcmc(start, burn + steps, progress=progress)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    chain = sampler.get_chain(discard=burn, flat=True)
    lp = sampler.get_log_prob(discard=burn, flat=True)
    tau = np.asarray(sampler.get_autocorr_time(discard=burn, quiet=True, tol=0), dtype=float)
    converged = bool(np.all(steps >= 50 * tau))
    if not converged:
        warnings.warn(f"posterior sample: {steps} steps per walker is shorter than 50 autocorrelation times "
                      f"(τ up to {float(np.max(tau)):.1f} steps); ask for at least "
                      f"{int(math.ceil(50 * float(np.max(tau)) * nw / 100.0)) * 100} draws for reliable intervals",
                      SamplingWarning, stacklevel=2)
    linear = np.array([to_linear(row) for row in chain])
    return PosteriorSample(list(names), linear, chain, lp, float(np.mean(sampler.acceptance_fraction)),
                           tau, nw, steps, burn, seed, converged,
                           "independence-t (70%) + stretch (30%)" if proposal is not None else "stretch")
