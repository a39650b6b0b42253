"""Virtual populations: who stays responsive under a regimen, and why."""

from .virtual import (PopulationError, LogNormal, Normal, Uniform, LogNormalCovariance, FitCovariance, Population,
    Readout, Criterion, parse_criterion, simulate, simulate_population, time_grid, PopulationResult,
    ResponderFraction, binomial_ci, responder_fraction, percentile_bands, drivers)

__all__ = ["PopulationError", "LogNormal", "Normal", "Uniform", "LogNormalCovariance", "FitCovariance",
           "Population", "Readout", "Criterion", "parse_criterion", "simulate", "simulate_population", "time_grid",
           "PopulationResult", "ResponderFraction", "binomial_ci", "responder_fraction", "percentile_bands",
           "drivers"]


def __getattr__(name: str):
    # plot_bands moved to receptorkin.plots (the only matplotlib user); this old name warns
    if name == "plot_bands":
        import warnings

        from ..errors import ReceptorkinDeprecationWarning
        from ..plots.population import plot_bands

        warnings.warn("receptorkin.population.plot_bands has moved to receptorkin.plots.plot_bands "
                      "(or use PopulationResult.plot_bands())", ReceptorkinDeprecationWarning, stacklevel=2)
        return plot_bands
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
