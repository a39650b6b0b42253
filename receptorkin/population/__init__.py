"""Virtual populations: who stays responsive under a regimen, and why.

Patients differ in receptor density and turnover.  A :class:`Population`
draws per-individual parameter values from distributions -- :class:`LogNormal`
(typical value and CV), :class:`Normal`, :class:`Uniform`, a covariance on log
scale (:class:`LogNormalCovariance`) or the covariance of a fit
(:class:`FitCovariance`) -- all up front, in this process, from
``numpy.random.default_rng(seed)``.  :func:`simulate` runs every individual
through a dosing regimen and records readouts (``'response@14d'``: an
observable at a time), serially, on local processes or on a Dask cluster
(:mod:`receptorkin.parallel`), with the same numbers bit for bit whichever
backend runs it.  Results stream to disk in chunks (``out=``), so memory
stays flat for 100,000 individuals.

The summaries answer the clinical question: percentile bands over time
(:func:`percentile_bands`), the fraction of individuals meeting a criterion
with a binomial confidence interval (:func:`responder_fraction`,
:func:`binomial_ci`), and which parameters drive non-response
(:func:`drivers`: Spearman rank correlations and responder fractions by
quartile).  A criterion is a small, safely parsed language
(:func:`parse_criterion`)::

    response@14d / response@1d >= 0.5        # day-14 response at least half of day 1
    surface_receptor@7d >= 50% * surface_receptor@0h
    response@24h - response@0 > 0.1

Example
-------
>>> pop = Population("turnover_tolerance", {"k_degradation": LogNormal(cv=0.4)}, n=200, seed=1)
>>> res = simulate(pop, "exposure:50nM@0-", criterion="response@14d/response@0h>=0.3")
>>> 0 < res.responders().fraction < 1
True
"""

from ..errors import PopulationError
from .criterion import Criterion, Readout, parse_criterion
from .distributions import FitCovariance, LogNormal, LogNormalCovariance, Normal, Population, Uniform
from .result import PopulationResult, ResponderFraction, binomial_ci, drivers, percentile_bands, responder_fraction
from .simulation import simulate, simulate_population, time_grid

__all__ = ["PopulationError", "LogNormal", "Normal", "Uniform", "LogNormalCovariance", "FitCovariance",
           "Population", "Readout", "Criterion", "parse_criterion", "simulate", "simulate_population", "time_grid",
           "PopulationResult", "ResponderFraction", "binomial_ci", "responder_fraction", "percentile_bands",
           "drivers"]


def plot_bands(result: PopulationResult, observable: str | None = None, **kwargs):
    """Deprecated: use :func:`receptorkin.plots.plot_bands` (figures live in :mod:`receptorkin.plots`)."""
    from ..display import deprecated_call

    return deprecated_call("receptorkin.population.plot_bands", "receptorkin.plots.plot_bands", "plots.plot_bands",
                           result, observable, **kwargs)
