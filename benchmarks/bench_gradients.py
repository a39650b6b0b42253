"""Gradient cost: exact gradient (objective + forward sensitivities) / one objective evaluation.

Issue 13's target: the gradient of a 20-parameter problem costs at most 5
objective evaluations.  Each problem is timed in one run, interleaved
(objective, exact gradient, central differences per repeat; medians of CPU
time of this process, which other processes on the 2 shared cores do not
inflate):

- the bundled desensitization fit (gpcr_desensitization, 4 parameters, 150
  measurements, pre-treatment segments);
- a 20-parameter problem: the same data with every positive model parameter
  of gpcr_desensitization estimated (12 shared + 2 per condition × 4
  conditions = 20; 14 sensitivity columns in the augmented model);
- Brannmark_JBC2010 (PEtab, 22 parameters of which 15 are model parameters,
  9 species, pre-equilibration, a time-switched insulin input).

The baseline is the central-difference gradient (2 evaluations per parameter)
measured in the same run.  For the 20-parameter problem a second line times
one challenge integrated on the original and on the augmented model with no
runner around it: the floor under the gradient's cost.  The steps are the
same; about 62% of the augmented run's time is CVODE's dense linear algebra
on the 72 × 72 Newton matrix (back-substitutions, factorisations, forming
I − γJ), which libRoadRunner 2.10 cannot replace (its SUNDIALS has the dense
linear solver only); the counts are in docs/fitting.md.
"""

from __future__ import annotations

import statistics
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
YAML = ROOT / "tests" / "data" / "petab" / "Brannmark_JBC2010" / "Brannmark_JBC2010.yaml"


def _fit_problems():
    from receptorkin.fitting import FitProblem, ParameterSpec
    from receptorkin.data.measurements import load_conditions, load_measurements
    from receptorkin.models.sbml import load_model

    data = load_measurements(ROOT / "data" / "desensitization.csv")
    conds = load_conditions(ROOT / "data" / "desensitization_conditions.csv")
    small = FitProblem("gpcr_desensitization", data, ["k_internalization", "k_recycling", "k_degradation", "K_E"],
                       conditions=conds)
    model = load_model("gpcr_desensitization")
    specs = [ParameterSpec(p, v, v / 10, v * 10, per_condition=p in ("k_internalization", "k_recycling"))
             for p, v in model.parameters.items() if p != model.ligand and v > 0]
    big = FitProblem("gpcr_desensitization", data, specs, conditions=conds)
    return small, big


def _interleaved(fns: dict, repeat: int) -> dict:
    """Median CPU time of each function, repeats interleaved."""
    for fn in fns.values():
        fn()
    samples: dict = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = time.process_time()
            fn()
            samples[k].append(time.process_time() - t0)
    return {k: statistics.median(v) for k, v in samples.items()}


def _line(name: str, n: int, t: dict, target: str = "") -> None:
    print(f"{name + f' ({n} parameters)':58s} objective {t['objective'] * 1e3:7.1f} ms; exact gradient "
          f"{t['exact'] * 1e3:7.1f} ms = {t['exact'] / t['objective']:5.2f}x; central differences "
          f"{t['central'] * 1e3:7.1f} ms = {t['central'] / t['objective']:5.1f}x"
          f"{'  (target ' + target + ')' if target else ''}", flush=True)


def _integration_line(problem) -> None:
    """The floor under the gradient's cost: one challenge integrated on the original model and on the
    augmented one (N + N·P states, CVODE's dense linear algebra), without the runner: plain Simulator calls."""
    x = problem.initial_vector()
    lig = problem.model.ligand
    _, _, challenges = problem.experiments(x)[0]
    exp = max(challenges, key=lambda e: dict(e.overrides)[lig])  # overrides: (id, value) pairs
    values, sel = dict(exp.overrides), list(exp.readouts.selections)
    plain, sens = problem.simulator, problem.sensitivities
    aug = sens.simulator

    def original() -> None:
        plain.reset(values)
        plain.advance([0.0, 5.0], sel)

    def augmented() -> None:
        aug.reset(values)
        sens.restart(values, None)
        aug.advance([0.0, 5.0], sel + sens.columns(sel))

    t = _interleaved({"original": original, "augmented": augmented}, repeat=41)
    print(f"{'  one 5-min challenge, integration only':58s} original model ({len(plain.species)} states) "
          f"{t['original'] * 1e6:6.0f} us; augmented ({len(aug.species)} states) {t['augmented'] * 1e6:6.0f} us "
          f"= {t['augmented'] / t['original']:5.2f}x", flush=True)


def main() -> None:
    from receptorkin.fitting.objective import jacobian

    print("\n# Gradient cost: exact gradient / one objective evaluation (same run, CPU time, medians)")
    small, big = _fit_problems()
    for name, problem, target in (("desensitization fit", small, ""), ("20-parameter problem", big, "<= 5x")):
        x = problem.initial_vector()
        lo, hi = problem.bounds()
        t = _interleaved({"objective": lambda: problem.residuals(x),
                          "exact": lambda: problem.residuals_and_jacobian(x),
                          "central": lambda: jacobian(problem.residuals, x, lo - 1, hi + 1)}, repeat=5)
        _line(name, problem.n_parameters, t, target)
        if problem is big:
            _integration_line(problem)
    if not YAML.exists():
        print(f"Brannmark skipped: {YAML} not found")
        return
    from receptorkin.petab.problem import PetabProblem

    warnings.simplefilter("ignore")  # petab's pandas deprecation chatter
    problem = PetabProblem.from_yaml(YAML)
    x = problem.x_nominal

    def central() -> np.ndarray:
        g = np.empty(x.size)
        for k in range(x.size):
            h = np.zeros(x.size)
            h[k] = 1e-5
            g[k] = (problem.nll(x + h) - problem.nll(x - h)) / 2e-5
        return g

    t = _interleaved({"objective": lambda: problem.nll(x), "exact": lambda: problem.nll_and_gradient(x),
                      "central": central}, repeat=3)
    _line("Brannmark_JBC2010 (PEtab)", x.size, t)


if __name__ == "__main__":
    main()
