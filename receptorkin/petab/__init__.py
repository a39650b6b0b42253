"""PEtab v1 problems in and out: the problem and its objective (:mod:`.problem`), hierarchical
(closed-form) inner parameters (:mod:`.hierarchical`), a fit problem written as PEtab (:mod:`.write`)."""

from .problem import (PetabProblem, PetabFitResult, fit_petab, to_petab, scale_value, unscale_value, OBSERVABLE_ID,
    PREEQUILIBRATION_CONDITION_ID, SIMULATION_CONDITION_ID, MEASUREMENT, SIMULATION, TIME, OBSERVABLE_PARAMETERS,
    NOISE_PARAMETERS, CONDITION_ID, CONDITION_NAME, OBSERVABLE_NAME, OBSERVABLE_FORMULA, NOISE_FORMULA,
    OBSERVABLE_TRANSFORMATION, NOISE_DISTRIBUTION, PARAMETER_ID, PARAMETER_NAME, PARAMETER_SCALE, LOWER_BOUND,
    UPPER_BOUND, NOMINAL_VALUE, ESTIMATE, lint_petab)

__all__ = ["PetabProblem", "PetabFitResult", "fit_petab", "to_petab", "scale_value", "unscale_value",
           "OBSERVABLE_ID", "PREEQUILIBRATION_CONDITION_ID", "SIMULATION_CONDITION_ID", "MEASUREMENT", "SIMULATION",
           "TIME", "OBSERVABLE_PARAMETERS", "NOISE_PARAMETERS", "CONDITION_ID", "CONDITION_NAME", "OBSERVABLE_NAME",
           "OBSERVABLE_FORMULA", "NOISE_FORMULA", "OBSERVABLE_TRANSFORMATION", "NOISE_DISTRIBUTION", "PARAMETER_ID",
           "PARAMETER_NAME", "PARAMETER_SCALE", "LOWER_BOUND", "UPPER_BOUND", "NOMINAL_VALUE", "ESTIMATE",
           "lint_petab"]
