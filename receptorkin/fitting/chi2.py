"""χ² of a mechanistic fit, defined once.

χ² is the weighted sum of squared residuals ``Σ ((y − f) / σ)²`` over every
measurement, with σ the measurement's standard deviation when the data give
one (noise ``'sd'``) and its observable's estimated noise level otherwise
(noise ``'estimate'``, σ̂² = RSS/n per observable, the maximum-likelihood
value).  With estimated noise χ² therefore equals the number of
measurements by construction; the information is in the residual sum of
squares, which the fit reports beside it (``FitResult.rss``).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["CHI2_DEFINITION", "chi_square", "noise_sigma", "fit_chi_square"]

#: one sentence for reports and JSON
CHI2_DEFINITION = (
    "χ² = Σ ((y − f)/σ)² over all measurements, σ = the measurement's standard deviation (noise 'sd') "
    "or its observable's estimated noise level (noise 'estimate', σ̂² = RSS/n per observable, so χ² = n "
    "by construction)"
)


def chi_square(y: Sequence[float], f: Sequence[float], sigma: Sequence[float] | float) -> float:
    """``Σ ((y − f)/σ)²``.

    Parameters
    ----------
    y, f
        Measurements and model predictions (same units).
    sigma
        Standard deviation of each measurement (same units), or one value for all.
    """
    r = (np.asarray(y, float) - np.asarray(f, float)) / np.asarray(sigma, float)
    return float(r @ r)


def noise_sigma(table: Any, noise: str, noise_levels: Mapping[str, float]) -> np.ndarray:
    """σ of every row of a measurement table (columns ``sd`` and ``observable``).

    With ``noise='sd'`` the rows' own standard deviations; with
    ``'estimate'`` the noise level of each row's observable.
    """
    if noise == "sd":
        return table["sd"].to_numpy(dtype=float)
    obs = table["observable"].to_numpy()
    return np.array([float(noise_levels[o]) for o in obs], dtype=float)


def fit_chi_square(problem: Any, x: Sequence[float], noise_levels: Mapping[str, float]) -> tuple[float, float]:
    """χ² and the residual sum of squares of a :class:`~receptorkin.fitting.FitProblem` at ``x``.

    Returns
    -------
    (chi2, rss)
        ``chi2`` as defined in :data:`CHI2_DEFINITION`; ``rss`` the residual
        sum of squares, weighted by the given standard deviations when the
        data have them (the least-squares objective), plain otherwise.
    """
    table = problem.data.table
    y = table["response"].to_numpy(dtype=float)
    f = problem.predict(x)
    chi2 = chi_square(y, f, noise_sigma(table, problem.noise, noise_levels))
    rss = chi_square(y, f, table["sd"].to_numpy(dtype=float) if problem.noise == "sd" else 1.0)
    return chi2, rss
