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

from ..errors import FitError

__all__ = ["PosteriorSample", "sample_posterior"]

_WORKER: dict[str, Any] = {}


def _init_worker(payload: bytes) -> None:
    _WORKER["log_prob"] = pickle.loads(payload)


def _worker_log_prob(x: np.ndarray) -> float:
    return _WORKER["log_prob"](x)


@dataclass
class PosteriorSample:
    """Draws from a posterior and their diagnostics.

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

    def summary(self):
        """A pandas table: median, 95% credible interval, τ and ESS per parameter."""
        import pandas as pd

        ci = self.credible_interval()
        med = self.median()
        return pd.DataFrame({"median": [med[n] for n in self.names], "ci_low": [ci[n][0] for n in self.names],
                             "ci_high": [ci[n][1] for n in self.names], "tau": self.autocorr_time,
                             "ess": self.ess}, index=pd.Index(self.names, name="parameter"))

    def __repr__(self) -> str:
        from ..report.html import short_repr

        return short_repr(self)

    def _repr_html_(self) -> str:
        """Notebook display: the draws in one line and the :meth:`summary` table."""
        from ..report.html import summary_html

        text = (f"{len(self.draws)} draws ({self.n_walkers} walkers x {self.n_steps} steps after {self.burn} "
                f"burn-in, seed {self.seed}); acceptance {self.acceptance_fraction:.2f}; "
                + ("converged (chains longer than 50 autocorrelation times)" if self.converged else "not converged"))
        return summary_html("Posterior sample", text, self.summary(),
                            "median and equal-tailed 95% credible interval per parameter (linear scale); "
                            "tau: integrated autocorrelation time [steps]; ess: effective sample size.")


def sample_posterior(log_prob: Callable[[np.ndarray], float], x0: np.ndarray, names: Sequence[str],
                     to_linear: Callable[[np.ndarray], np.ndarray], *, n_draws: int = 10_000,
                     n_walkers: int | None = None, burn: int | None = None, seed: int | None = 0,
                     spread: np.ndarray | float = 1e-3, jobs: int = 1, progress: bool = False) -> PosteriorSample:
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
        Steps per walker discarded (default: a quarter of the kept steps, at least 100).
    seed
        Seed of the initial ball and of the sampler's moves.
    spread
        Standard deviation of the initial ball (estimation scale), e.g. the standard errors.
    jobs
        Worker processes evaluating walkers in parallel (each compiles its model once).
    """
    import emcee

    x0 = np.asarray(x0, dtype=float)
    p = x0.size
    nw = n_walkers or max(4 * p, 16)
    nw += nw % 2
    steps = max(int(math.ceil(n_draws / nw)), 1)
    burn = max(steps // 4, 100) if burn is None else int(burn)
    rng = np.random.default_rng(seed)
    spread = np.broadcast_to(np.asarray(spread, dtype=float), (p,))
    start = []
    while len(start) < nw:
        z = x0 + rng.normal(size=p) * spread
        if np.isfinite(log_prob(z)):
            start.append(z)
        elif len(start) == 0 and rng.random() < 1e-3:
            raise FitError("no finite log posterior near the starting point")
    start = np.array(start)
    pool = None
    fn: Callable = log_prob
    if jobs > 1:
        ctx = multiprocessing.get_context("spawn")
        pool = ctx.Pool(jobs, initializer=_init_worker, initargs=(pickle.dumps(log_prob),))
        fn = _worker_log_prob
    try:
        sampler = emcee.EnsembleSampler(nw, p, fn, pool=pool)
        sampler.random_state = np.random.RandomState(int(rng.integers(2 ** 31))).get_state()
        sampler.run_mcmc(start, burn + steps, progress=progress)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    chain = sampler.get_chain(discard=burn, flat=True)
    lp = sampler.get_log_prob(discard=burn, flat=True)
    tau = sampler.get_autocorr_time(discard=burn, quiet=True)
    converged = bool(np.all(steps > 50 * tau))
    linear = np.array([to_linear(row) for row in chain])
    return PosteriorSample(list(names), linear, chain, lp, float(np.mean(sampler.acceptance_fraction)),
                           np.asarray(tau, dtype=float), nw, steps, burn, seed, converged)
