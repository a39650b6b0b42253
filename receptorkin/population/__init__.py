"""Virtual populations: who stays responsive under a regimen, and why."""

from .virtual import (PopulationError, LogNormal, Normal, Uniform, LogNormalCovariance, FitCovariance, Population,
    Readout, Criterion, parse_criterion, simulate, simulate_population, time_grid, PopulationResult,
    ResponderFraction, binomial_ci, responder_fraction, percentile_bands, drivers, plot_bands)

__all__ = ["PopulationError", "LogNormal", "Normal", "Uniform", "LogNormalCovariance", "FitCovariance",
           "Population", "Readout", "Criterion", "parse_criterion", "simulate", "simulate_population", "time_grid",
           "PopulationResult", "ResponderFraction", "binomial_ci", "responder_fraction", "percentile_bands",
           "drivers", "plot_bands"]
