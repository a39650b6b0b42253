"""PEtab v1 problems in and out: column names (:mod:`.columns`), parameter scales (:mod:`.scales`), the
files and tables as text cells (:mod:`.tables`), facts of the SBML model (:mod:`.modelfacts`), the compiled
experiments (:mod:`.experiments`), the tables checked into plain values (:mod:`.parse`), hierarchical
(closed-form) inner parameters (:mod:`.hierarchical`), the
problem and its objective (:mod:`.problem`), the linter (:mod:`.lint`), the multistart fit (:mod:`.fit`) and
writing problems (:mod:`.write`); each module imports only modules named before it
(``tests/test_petab_layers.py``)."""

from .columns import (OBSERVABLE_ID, PREEQUILIBRATION_CONDITION_ID, SIMULATION_CONDITION_ID, MEASUREMENT, SIMULATION,
    TIME, OBSERVABLE_PARAMETERS, NOISE_PARAMETERS, CONDITION_ID, CONDITION_NAME, OBSERVABLE_NAME, OBSERVABLE_FORMULA,
    NOISE_FORMULA, OBSERVABLE_TRANSFORMATION, NOISE_DISTRIBUTION, PARAMETER_ID, PARAMETER_NAME, PARAMETER_SCALE,
    LOWER_BOUND, UPPER_BOUND, NOMINAL_VALUE, ESTIMATE)
from .fit import PetabFitResult, fit_petab
from .lint import lint_petab
from .problem import PetabProblem
from .scales import scale_value, unscale_value
from .write import fit_problem_to_petab, to_petab

__all__ = ["PetabProblem", "PetabFitResult", "fit_petab", "to_petab", "fit_problem_to_petab", "scale_value",
           "unscale_value", "OBSERVABLE_ID", "PREEQUILIBRATION_CONDITION_ID", "SIMULATION_CONDITION_ID", "MEASUREMENT", "SIMULATION",
           "TIME", "OBSERVABLE_PARAMETERS", "NOISE_PARAMETERS", "CONDITION_ID", "CONDITION_NAME", "OBSERVABLE_NAME",
           "OBSERVABLE_FORMULA", "NOISE_FORMULA", "OBSERVABLE_TRANSFORMATION", "NOISE_DISTRIBUTION", "PARAMETER_ID",
           "PARAMETER_NAME", "PARAMETER_SCALE", "LOWER_BOUND", "UPPER_BOUND", "NOMINAL_VALUE", "ESTIMATE",
           "lint_petab"]
