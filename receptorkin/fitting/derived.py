"""Derived quantities a pharmacologist reports, as functions of the fitted parameters.

Each helper returns a :class:`DerivedQuantity`: a named, unit-carrying
function ``{parameter: linear value} -> number`` that simulates the model
(compiled once per process, solver tolerances 1e-10) through the one runner
(:mod:`receptorkin.dosing.run`) and regimen simulation
(:func:`receptorkin.dosing.simulate_regimen`).  The same object works

- on a posterior: ``posterior.derived(q)`` or ``posterior.derived_table([...])``
  give medians and equal-tailed credible intervals over the draws;
- on the point fit: ``result.derived(q)`` gives the value at the estimates
  with a delta-method interval (:func:`receptorkin.estimation.delta_method`),
  and, for a monotone function of one parameter (:func:`rate_half_life`),
  the profile-likelihood interval carried through the function.

Quantities
----------
:func:`rate_half_life`
    ``ln 2 / k`` of a first-order rate constant [model time unit].
:func:`receptor_half_life`
    What a cycloheximide chase measures: from the steady state (without or
    with agonist), synthesis is stopped and the time until the receptor
    observable has fallen to half is found [model time unit].  For a
    first-order turnover model it is ``ln 2 / k_deg`` exactly.
:func:`ec50_shift`
    Fold change of the EC50 after a pre-treatment (chronic exposure, then
    wash-out) against naive cells, each EC50 found on the simulated
    dose-response curve of the challenge (half-way between the curve's
    response without agonist and its maximum).
:func:`tolerance_ratio`
    Response to the last dose of a regimen / response to the first
    (:data:`receptorkin.dosing.metrics.METRICS`).

Parameters of the values mapping that are not model parameters (observable
scales and offsets) do not enter; a per-condition parameter
(``name[condition]``) must be given under its model name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import FitError, ModelError

if TYPE_CHECKING:  # pragma: no cover
    from ..simulation import Simulator

__all__ = ["DerivedQuantity", "rate_half_life", "receptor_half_life", "ec50_shift", "simulated_ec50",
           "tolerance_ratio"]

#: solver tolerances of the derived-quantity simulations (tight, so that delta-method differences are clean)
RTOL, ATOL = 1e-10, 1e-10


@dataclass(frozen=True)
class DerivedQuantity:
    """A named quantity computed from the linear parameter values.

    Attributes
    ----------
    name
        Short name (a table row label).
    unit
        Its unit (``'1'`` for a ratio).
    description
        What it is, in words.
    function
        ``{parameter: linear value} -> float``.
    monotone_in
        The one parameter it is a monotone function of, if any (then a
        profile-likelihood interval of that parameter carries over).
    """

    name: str
    unit: str
    description: str
    function: Callable[[Mapping[str, float]], float] = field(repr=False)
    monotone_in: str | None = None

    def __call__(self, values: Mapping[str, float]) -> float:
        return float(self.function(values))


class _Model:
    """A model compiled once per process for derived quantities, and the
    mapping from fitted values to model parameter overrides."""

    def __init__(self, model: Any) -> None:
        from ..simulation import Simulator

        if isinstance(model, Simulator):
            self._model = model.model
        else:
            from ..models.sbml import load_model

            self._model = load_model(getattr(model, "model", model))  # a FitResult or FitProblem has .model
        self._sim: "Simulator | None" = None
        # a fit's fixed parameters keep the values the fit used
        problem = getattr(model, "problem", model)
        specs = getattr(problem, "specs", None) or {}
        self._fixed = {s.name: float(s.initial) for s in specs.values()
                       if not s.estimate and s.name in self._model.parameters}

    @property
    def model(self):
        return self._model

    @property
    def sim(self) -> "Simulator":
        if self._sim is None:
            from ..simulation import Simulator

            self._sim = Simulator(self._model, rtol=RTOL, atol=ATOL)
        return self._sim

    def __getstate__(self):
        return {"_model": self._model, "_sim": None, "_fixed": self._fixed}

    def overrides(self, values: Mapping[str, float]) -> dict[str, float]:
        params = self._model.parameters
        out = dict(self._fixed)
        for k, v in values.items():
            if k in params:
                out[k] = float(v)
            elif "[" in k and k.split("[", 1)[0] in params:
                raise FitError(f"derived quantity: {k!r} is a per-condition value; pass it as "
                               f"{k.split('[', 1)[0]!r} for the condition you mean")
        return out

    @property
    def ligand(self) -> str:
        if self._model.ligand is None:
            raise ModelError(f"model {self._model.id!r} declares no ligand input")
        return self._model.ligand

    def time(self, value: "float | str", what: str) -> float:
        """A time in the model's unit (a number is taken as model time units)."""
        return float(self.sim.model_time(value, what)) if isinstance(value, str) else float(value)


def rate_half_life(parameter: str, model: Any = None) -> DerivedQuantity:
    """``ln 2 / k`` of the first-order rate constant ``parameter``.

    Parameters
    ----------
    parameter
        A rate constant [1/time].
    model
        Optional model (id, path, :class:`~receptorkin.models.Model`,
        Simulator or FitResult), only for the unit: the model's time unit.
    """
    unit = ""
    if model is not None:
        m = _Model(model).model
        if parameter not in m.parameters:
            from ..models.sbml import closest

            raise FitError(f"rate_half_life: {parameter!r} is not a parameter of {m.id!r}{closest(parameter, m.parameters)}")
        unit = m.time_unit

    def half_life(values: Mapping[str, float]) -> float:
        try:
            k = float(values[parameter])
        except KeyError:
            raise FitError(f"rate_half_life: no value for {parameter!r} (have {', '.join(values)})") from None
        return math.log(2.0) / k if k > 0 else math.nan

    return DerivedQuantity(f"half-life ln2/{parameter}", unit, f"ln 2 / {parameter}", half_life, monotone_in=parameter)


def _synthesis_parameter(model) -> str:
    """The parameter that is the whole rate law of a zero-order synthesis reaction (no reactants)."""
    import libsbml

    doc = libsbml.readSBMLFromString(model.sbml)
    m = doc.getModel()
    found = []
    for r in m.getListOfReactions():
        if r.getNumReactants() == 0 and r.getNumProducts() > 0 and r.isSetKineticLaw():
            ast = r.getKineticLaw().getMath()
            if ast is not None and ast.isName() and ast.getName() in model.parameters:
                found.append(ast.getName())
    if len(found) != 1:
        raise ModelError(f"model {model.id!r}: cannot tell the receptor synthesis rate "
                         f"({'none' if not found else ', '.join(found)} found as the rate of a zero-order source "
                         "reaction): name it with receptor_half_life(..., synthesis='ID')")
    return found[0]


def receptor_half_life(model: Any, *, synthesis: str | None = None, receptor: str = "total_receptor",
                       concentration: float = 0.0) -> DerivedQuantity:
    """Receptor half-life as a cycloheximide chase measures it.

    From the steady state at agonist ``concentration``, receptor synthesis
    is stopped (``synthesis`` set to 0) and the time until ``receptor`` has
    fallen to half its starting value is found (root of the simulated decay,
    to 1e-10 relative).  For ``dR/dt = k_syn − k_deg·R`` this is
    ``ln 2 / k_deg``; for models with internalization and recycling it is
    the half-life of the receptor cohort present at the start.

    Parameters
    ----------
    model
        Model id, path, :class:`~receptorkin.models.Model`, Simulator or
        FitResult (whose fixed parameters keep the fit's values).
    synthesis
        The zero-order synthesis rate parameter (default: found as the rate
        law of the model's only source reaction).
    receptor
        Observable counted (``total_receptor``; ``surface_receptor`` for a
        surface-labelling chase).
    concentration
        Agonist concentration during the chase [model dose unit]; 0 = basal turnover.

    Returns
    -------
    DerivedQuantity
        In the model's time unit.
    """
    from ..dosing.experiment import Experiment, Readouts, Start
    from ..dosing.run import run_many

    mm = _Model(model)
    syn = synthesis or _synthesis_parameter(mm.model)
    if syn not in mm.model.parameters:
        raise FitError(f"receptor_half_life: {syn!r} is not a parameter of {mm.model.id!r}")
    if receptor not in mm.model.ids:
        raise FitError(f"receptor_half_life: model {mm.model.id!r} has no output {receptor!r}")
    lig = mm.ligand
    # readout windows of 16 doublings each: the search stops at the first window where the receptor has halved
    windows = [tuple(float(2.0 ** k) for k in range(k0, k0 + 17)) for k0 in range(-8, 40, 16)]

    def chase(values: Mapping[str, float], times: Sequence[float]) -> np.ndarray:
        over = mm.overrides(values)
        start = Start(equilibrate=True, overrides={**over, lig: float(concentration)})
        exp = Experiment(start=start, overrides={**over, lig: float(concentration), syn: 0.0},
                         readouts=Readouts((receptor,), times=tuple(times)))
        values_, _ = run_many(mm.sim, [exp], values_only=True)[0]
        return values_[:, 0]

    def half_life(values: Mapping[str, float]) -> float:
        from scipy.optimize import brentq

        for grid in windows:
            y = chase(values, (0.0,) + grid)
            r0, y = y[0], y[1:]
            if not r0 > 0:
                return math.nan
            below = np.flatnonzero(y <= 0.5 * r0)
            if below.size:
                i = int(below[0])
                lo = grid[i - 1] if i > 0 else 0.0
                return float(brentq(lambda t: chase(values, (t,))[0] - 0.5 * r0, lo, grid[i], xtol=1e-12,
                                    rtol=1e-10))
        return math.nan  # no decay to half within 2**40 time units

    where = "basal" if concentration == 0 else f"at {concentration:g} {mm.model.dose_unit} agonist"
    return DerivedQuantity(f"receptor half-life ({receptor}, {where})", mm.model.time_unit,
                           f"time for {receptor} to halve after synthesis ({syn}) stops, from the steady state {where}",
                           half_life)


def _pretreatment(value: Any, washout: "float | str", mm: _Model) -> tuple[tuple, float]:
    """Exposures (minutes) and the challenge time [model time unit] from a
    :class:`~receptorkin.data.measurements.Condition`, an exposure text or a list of exposures."""
    from ..dosing.regimen import Exposure
    from ..units import time_factor

    f = time_factor("min", mm.model.time_unit)
    if hasattr(value, "exposures") and hasattr(value, "challenge_at"):  # a Condition
        return tuple(value.exposures), float(value.challenge_at) * f
    if isinstance(value, str):
        from ..data.measurements import parse_exposures

        exposures = parse_exposures(value, "ec50_shift: pretreatment")
    else:
        exposures = tuple(value)
    if not exposures or not all(isinstance(e, Exposure) and e.stop is not None for e in exposures):
        raise FitError("ec50_shift: the pre-treatment needs at least one exposure with a stop time "
                       "(e.g. '1000nM@0-24h')")
    end = max(e.stop for e in exposures) * f
    return exposures, end + mm.time(washout, "washout")


class _Curve:
    """The challenge dose-response of one pre-treatment, for root finding."""

    def __init__(self, mm: _Model, observable: str, readout: float, start_state: np.ndarray,
                 values: Mapping[str, float]) -> None:
        from ..dosing.experiment import Readouts, Start

        self.mm, self.values = mm, dict(values)
        self.start = Start(state=start_state)
        self.readouts = Readouts((observable,), times=(readout,))

    def __call__(self, doses: Sequence[float]) -> np.ndarray:
        from ..dosing.experiment import Experiment
        from ..dosing.run import run_many

        lig = self.mm.ligand
        exps = [Experiment(start=self.start, overrides={**self.values, lig: float(d)}, readouts=self.readouts)
                for d in doses]
        return np.array([v[-1, 0] for v, _ in run_many(self.mm.sim, exps, values_only=True)])


def _ec50(curve: _Curve, lo: float, hi: float, per_decade: int = 4) -> float:
    """Dose at half-way between the response without agonist and the curve's maximum (first crossing)."""
    from scipy.optimize import brentq, minimize_scalar

    logd = np.linspace(math.log10(lo), math.log10(hi), int(round((math.log10(hi) - math.log10(lo)) * per_decade)) + 1)
    y = curve(10.0 ** logd)
    bottom = float(curve([0.0])[0])
    k = int(np.argmax(y))
    top = float(y[k])
    if 0 < k < logd.size - 1:  # an interior maximum: refine it
        res = minimize_scalar(lambda z: -curve([10.0 ** z])[0], bounds=(logd[k - 1], logd[k + 1]), method="bounded",
                              options={"xatol": 1e-10})
        top = max(top, float(-res.fun))
    if not top > bottom:
        return math.nan
    half = bottom + 0.5 * (top - bottom)
    above = np.flatnonzero(y >= half)
    i = int(above[0])
    if i == 0:
        return math.nan  # already above half at the lowest dose: widen the dose range
    z = brentq(lambda z: curve([10.0 ** z])[0] - half, logd[i - 1], logd[i], xtol=1e-12, rtol=1e-12)
    return float(10.0 ** z)


def simulated_ec50(model: Any, values: Mapping[str, float] | None = None, *, pretreatment: Any = None,
                   washout: "float | str" = 0.0, readout: "float | str" = 0.0, observable: str | None = None,
                   doses: tuple[float, float] = (1e-4, 1e6)) -> float:
    """EC50 of the simulated challenge dose-response curve [model dose unit].

    Cells start at the ligand-free steady state, are pre-treated (optional)
    and washed, then challenged with each dose and read ``readout`` after
    it.  The EC50 is the dose where the response is half-way between the
    response without agonist and the curve's maximum over ``doses`` (a
    relative EC50: after receptor loss the maximum may fall too), found by
    Brent's method on log dose to 1e-12.

    Parameters
    ----------
    model
        Model id, path, Model, Simulator or FitResult.
    values
        Parameter values (linear); default the model's.
    pretreatment
        ``None`` (naive cells), a :class:`~receptorkin.data.measurements.Condition`,
        an exposure text (``'1000nM@0-24h'``) or exposures.
    washout
        Time from the end of the last exposure to the challenge (model time
        units, or text ``'30min'``); a Condition carries its own.
    readout
        Time after the challenge at which the response is read (0: the
        moment of the challenge).
    observable
        Output read (default: the model's default observable).
    doses
        Lowest and highest dose of the search [model dose unit].
    """
    return _ec50_quantity(_Model(model), pretreatment, washout, readout, observable, doses)[0](dict(values or {}))


def _ec50_quantity(mm: _Model, pretreatment, washout, readout, observable, doses):
    from ..dosing.experiment import Experiment, Start
    from ..dosing.regimen import Regimen
    from ..dosing.run import run_many

    obs = observable or mm.model.default_observable
    if obs is None:
        raise ModelError(f"model {mm.model.id!r} has no default observable: name one (observable=...)")
    t_read = mm.time(readout, "readout")
    lo, hi = float(doses[0]), float(doses[1])
    if not (0 < lo < hi):
        raise FitError(f"doses: need 0 < lowest < highest (got {doses!r})")
    plan = _pretreatment(pretreatment, washout, mm) if pretreatment is not None else None
    lig = mm.ligand

    def ec50(values: Mapping[str, float]) -> float:
        over = mm.overrides(values)
        if plan is None:
            pre = Experiment(start=Start(equilibrate=True), overrides={**over, lig: 0.0})
        else:
            exposures, challenge_at = plan
            pre = Experiment(start=Start(equilibrate=True), regimen=Regimen(tuple(exposures)),
                             overrides={**over, lig: 0.0}, horizon=challenge_at)
        state = run_many(mm.sim, [pre])[0].final_state
        return _ec50(_Curve(mm, obs, t_read, state, over), lo, hi)

    return ec50, obs, t_read


def ec50_shift(model: Any, pretreatment: Any, *, washout: "float | str" = 0.0, readout: "float | str" = 0.0,
               observable: str | None = None, doses: tuple[float, float] = (1e-4, 1e6)) -> DerivedQuantity:
    """Fold change of the EC50 after a pre-treatment against naive cells.

    Both EC50s come from simulated challenge dose-response curves
    (:func:`simulated_ec50`, same readout): > 1 is a rightward shift
    (desensitization).  The arguments are those of :func:`simulated_ec50`.

    Returns
    -------
    DerivedQuantity
        Dimensionless (``'1'``).
    """
    mm = _Model(model)
    naive, obs, t_read = _ec50_quantity(mm, None, 0.0, readout, observable, doses)
    treated, _, _ = _ec50_quantity(mm, pretreatment, washout, readout, observable, doses)
    label = getattr(pretreatment, "name", None) or str(pretreatment)

    def shift(values: Mapping[str, float]) -> float:
        return treated(values) / naive(values)

    return DerivedQuantity(f"EC50 shift ({label})", "1",
                           f"EC50 of {obs} read {t_read:g} {mm.model.time_unit} after the challenge, after "
                           f"pre-treatment {label}, divided by the naive EC50", shift)


def tolerance_ratio(model: Any, regimen: Any, horizon: "float | str", *, readout: "str | float" = "peak",
                    observable: str | None = None) -> DerivedQuantity:
    """Response to the last dose of ``regimen`` / response to the first
    (the ``tolerance_ratio`` metric of :func:`receptorkin.dosing.simulate_regimen`;
    for one continuous exposure: the response at the horizon / the first peak).

    Parameters
    ----------
    model
        Model id, path, Model, Simulator or FitResult.
    regimen
        A :class:`~receptorkin.dosing.Regimen` or its text form.
    horizon
        End of the simulation (model time units or text, ``'24h'``).
    readout
        ``'peak'`` or a time after each dose (``'30min'``).
    observable
        The response (default: the model's default observable).

    Returns
    -------
    DerivedQuantity
        Dimensionless (``'1'``); 1 = no tolerance.
    """
    from ..dosing.regimen import as_regimen
    from ..dosing.simulate import simulate_regimen

    mm = _Model(model)
    reg = as_regimen(regimen)

    def ratio(values: Mapping[str, float]) -> float:
        res = simulate_regimen(mm.sim, reg, horizon, values=mm.overrides(values), readout=readout,
                               observable=observable, recovery_limit=0.0)
        return float(res.metrics["tolerance_ratio"])

    return DerivedQuantity(f"tolerance ratio ({reg.to_text()}, {horizon})", "1",
                           f"response to the last dose / response to the first of {reg.to_text()} over {horizon}",
                           ratio)
