"""The estimation engine: one place for fitting and uncertainty.

- :mod:`.parameters`: parameters with scales, bounds and priors (lmfit
  ``Parameters`` in and out);
- :mod:`.objective`: the objective protocol (weighted residuals with their
  Jacobian, or a negative log-likelihood with its gradient);
- :mod:`.starts`: seeded Latin-hypercube starts (the package's one Latin hypercube);
- :mod:`.optimize`: local optimizers that use the exact derivatives;
- :mod:`.multistart`: multistart on the serial / process-pool / Dask backends
  with a progress bar, keeping every start, and the continuation of its best starts;
- :mod:`.screening`: screen then search (short runs from many seeded points, full searches from the best);
- :mod:`.uncertainty`: standard errors from the Fisher information with
  not-estimable parameters flagged, and the one profile-likelihood implementation;
- :mod:`.sampling`: posterior sampling with emcee and its diagnostics.
"""

from .objective import LeastSquaresObjective, LikelihoodObjective, FunctionObjective
from .parameters import Parameter, ParameterSet, Prior
from .starts import latin_hypercube
from .optimize import LocalResult, fit_least_squares, minimize_likelihood
from .multistart import MultistartResult, multistart, refine
from .screening import screened_multistart
from .uncertainty import StandardErrors, standard_errors, Profile, profile, DeltaEstimate, delta_method
from .sampling import PosteriorSample, sample_posterior

__all__ = [
    "LeastSquaresObjective", "LikelihoodObjective", "FunctionObjective", "Parameter", "ParameterSet", "Prior",
    "latin_hypercube", "LocalResult", "fit_least_squares", "minimize_likelihood", "MultistartResult", "multistart", "refine", "screened_multistart",
    "StandardErrors", "standard_errors", "Profile", "profile", "DeltaEstimate", "delta_method", "PosteriorSample", "sample_posterior",
]
