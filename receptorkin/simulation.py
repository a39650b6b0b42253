"""The Simulator: libRoadRunner, compiled once, fast and wrapped.

This is the only module of receptorkin that imports ``roadrunner``.  A
:class:`Simulator` compiles its model once; parameter values and initial
values change without recompiling; every run starts from a clean state
(``reset``) with exactly the parameters asked for.  Steady states use
conserved-moiety analysis (set once after loading) so a
steady-state dose-response curve costs tens of microseconds per dose.
Solver failures raise :class:`~receptorkin.errors.SimulationError` naming the
model, the time reached and the parameter values; the C++ solver's chatter on
stderr is captured and put into that message instead of the terminal.
"""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
import threading
from contextlib import contextmanager
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np

from .errors import ModelError, SimulationError
from .models.sbml import Model, closest, load_model
from .units import parse_time

__all__ = ["Simulator", "SolverOptions"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# SUNDIALS' logger prints CVODE warnings ("t + h = t on the next step") on
# standard output, where they would corrupt a CSV written to stdout; send them
# to stderr, which the capture below collects (read when roadrunner creates
# its solver context, so set before any model is compiled)
os.environ.setdefault("SUNLOGGER_WARNING_FILENAME", "stderr")
_STEADY = ("steady", "steady_state", "ss", "steady-state")


def _roundoff(amounts: np.ndarray) -> np.ndarray:
    """Mask of amounts that are round-off, not biology: negatives down to
    -1e-9 of the largest amount, and anything smaller in magnitude than 1e-18
    of it.  CVODE (as libRoadRunner configures it) has failed its first step
    from states holding values such as 8e-32 left by Newton's method."""
    if amounts.size == 0:
        return np.zeros(0, dtype=bool)
    scale = max(1.0, float(np.max(np.abs(amounts))))
    return ((amounts < 0) & (amounts > -1e-9 * scale)) | ((amounts != 0) & (np.abs(amounts) < 1e-18 * scale))


class _StderrCapture:
    """Redirect file descriptor 2 into a temporary file around solver calls.

    Sundials and roadrunner write to the C-level stderr even when the error
    is caught; Python's ``sys.stderr`` redirection does not see it.  The
    captured text is kept for the error message of a failure and dropped
    otherwise.
    """

    _lock = threading.RLock()

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(mode="w+b")
        self._fd = self._file.fileno()

    @contextmanager
    def capture(self) -> Iterator["_StderrCapture"]:
        with self._lock:
            try:
                saved = os.dup(2)
            except OSError:  # no stderr at all (daemonised): nothing to capture
                yield self
                return
            os.dup2(self._fd, 2)
            try:
                yield self
            finally:
                os.dup2(saved, 2)
                os.close(saved)

    def take(self) -> str:
        """Return what was captured since the last take, and forget it."""
        pos = os.lseek(self._fd, 0, os.SEEK_CUR)
        if pos == 0:
            return ""
        os.lseek(self._fd, 0, os.SEEK_SET)
        text = os.read(self._fd, pos).decode("utf-8", "replace")
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.ftruncate(self._fd, 0)
        return text

    def clear(self) -> None:
        """Forget what was captured (after a success), logging it at DEBUG level."""
        if os.lseek(self._fd, 0, os.SEEK_CUR):
            chatter = " ".join(_ANSI.sub("", self.take()).split())
            logging.getLogger("receptorkin.solver").debug("solver: %s", chatter)


_CAPTURE: _StderrCapture | None = None


def _forget_capture() -> None:
    """A forked worker gets its own capture file (the parent's is shared after fork)."""
    global _CAPTURE
    _CAPTURE = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_capture)


def _capture() -> _StderrCapture:
    global _CAPTURE
    if _CAPTURE is None:
        _CAPTURE = _StderrCapture()
    return _CAPTURE


def _quiet_logger() -> None:
    import roadrunner

    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)


class SolverOptions:
    """Integrator settings of a :class:`Simulator`.

    Parameters
    ----------
    rtol, atol
        CVODE relative and absolute tolerances.  The defaults (1e-8, 1e-10)
        are tighter than roadrunner's, so that finite-difference gradients
        in fits are not noise.
    max_steps
        Maximum internal steps between two output times.
    """

    def __init__(self, rtol: float = 1e-8, atol: float = 1e-10, max_steps: int = 100_000) -> None:
        if not (0 < rtol < 1) or not (0 < atol):
            raise SimulationError(f"solver tolerances must be positive (got rtol={rtol}, atol={atol})")
        self.rtol = float(rtol)
        self.atol = float(atol)
        self.max_steps = int(max_steps)

    def __repr__(self) -> str:
        return f"SolverOptions(rtol={self.rtol:g}, atol={self.atol:g}, max_steps={self.max_steps})"


def _changes_species_outside_reactions(rr, sbml: str) -> bool:
    """Rate rules or event assignments target a species (moiety analysis breaks on those)."""
    species = set(rr.model.getFloatingSpeciesIds()) | set(rr.model.getBoundarySpeciesIds())
    if species & set(rr.getRateRuleIds()):
        return True
    if "listOfEvents" not in sbml:
        return False
    import libsbml

    model = libsbml.readSBMLFromString(sbml).getModel()
    return model is not None and any(a.getVariable() in species for e in model.getListOfEvents()
                                     for a in e.getListOfEventAssignments())


class Simulator:
    """Simulate a receptor model: time courses, steady states, dose-response curves.

    Parameters
    ----------
    model
        A :class:`~receptorkin.models.Model`, a bundled id, a path to an SBML
        or Antimony file, or SBML/Antimony text.
    ligand
        Id of the parameter or species that a dose sets (default: the
        model's declared ligand).
    observable
        Default readout of :meth:`dose_response` (default: the model's).
    rtol, atol, max_steps
        Solver settings (see :class:`SolverOptions`).
    moiety_analysis
        Conserved-moiety analysis, which speeds steady states up but
        recompiles the model: ``None`` (default) switches it on unless rate
        rules or events change species (libRoadRunner cannot handle those
        with it); ``False`` when no steady state will be needed.

    Examples
    --------
    >>> sim = Simulator("trafficking")
    >>> round(sim.steady_state()["surface_receptor"])
    20000
    """

    def __init__(
        self,
        model: "Model | str | os.PathLike",
        *,
        ligand: str | None = None,
        observable: str | None = None,
        rtol: float = 1e-8,
        atol: float = 1e-10,
        max_steps: int = 100_000,
        moiety_analysis: bool | None = None,
    ) -> None:
        import roadrunner

        base = load_model(model)
        self.model: Model = base.with_ligand(ligand, observable)
        self.options = SolverOptions(rtol, atol, max_steps)
        _quiet_logger()
        cap = _capture()
        with cap.capture():
            try:
                rr = roadrunner.RoadRunner(self.model.sbml)
            except RuntimeError as exc:
                chatter = cap.take()
                raise SimulationError(f"model {self.model.id!r}: libRoadRunner could not compile it: {exc} {chatter}".strip()) from None
        cap.clear()
        self._rr = rr
        if moiety_analysis is None:
            moiety_analysis = not _changes_species_outside_reactions(rr, self.model.sbml)
        self._moiety = bool(moiety_analysis)
        if self._moiety:
            rr.conservedMoietyAnalysis = True
        integ = rr.integrator
        integ.relative_tolerance = self.options.rtol
        integ.absolute_tolerance = self.options.atol
        integ.maximum_num_steps = self.options.max_steps
        self._configure_steady_state()
        m = rr.model
        self._species: list[str] = list(m.getFloatingSpeciesIds())
        self._species_index = {s: i for i, s in enumerate(self._species)}
        self._param_ids: list[str] = [p for p in m.getGlobalParameterIds()]
        rule_targets = set(rr.getAssignmentRuleIds()) | set(rr.getRateRuleIds()) | set(rr.getInitialAssignmentIds())
        self._rule_ids = rule_targets
        self._settable = [p for p in self._param_ids if p not in rule_targets]
        self._param_index = {p: i for i, p in enumerate(self._param_ids)}
        self._compartments = list(m.getCompartmentIds())
        # parameters driven by rate rules: part of the state, so a reset may give them initial values
        self._rate_parameters = frozenset(r for r in rr.getRateRuleIds() if r in self._param_ids)
        self._defaults: dict[str, float] = {p: float(rr[p]) for p in self._settable}
        self._params: dict[str, float] = dict(self._defaults)
        self._pushed: dict[str, float] = dict(self._defaults)  # what roadrunner holds now
        self._current_selection: tuple[str, ...] | None = None
        self._units = {el.id: el.unit for el in self.model.elements}
        self._column_index: dict[tuple[str, ...], object] = {}
        self._known = frozenset(self._params) | frozenset(self._species) | frozenset(self._rule_ids) | frozenset(self._compartments)
        # boundary species, and species as concentrations ([S]), as libRoadRunner reads them
        every_species = [*self._species, *m.getBoundarySpeciesIds()]
        self._known |= frozenset(every_species) | frozenset(f"[{s}]" for s in every_species)
        self._ss_guess: np.ndarray | None = None
        if self.model.ligand is not None and self.model.ligand not in self._settable and self.model.ligand not in self._species_index:
            raise ModelError(f"model {self.model.id!r}: ligand {self.model.ligand!r} is not a settable parameter or species")

    # ------------------------------------------------------------------ info
    @property
    def id(self) -> str:
        return self.model.id

    @property
    def moiety_analysis(self) -> bool:
        """Whether conserved-moiety analysis is switched on."""
        return self._moiety

    @property
    def time_unit(self) -> str:
        return self.model.time_unit

    @property
    def ligand(self) -> str | None:
        return self.model.ligand

    @property
    def observable(self) -> str | None:
        return self.model.default_observable

    @property
    def species(self) -> list[str]:
        """Floating species ids, in the solver's order."""
        return list(self._species)

    @property
    def observables(self) -> list[str]:
        """Named outputs: the model's declared observables, else its species."""
        return list(self.model.observables) or list(self._species)

    @property
    def parameters(self) -> dict[str, float]:
        """Current values of every settable global parameter (a copy)."""
        return dict(self._params)

    @property
    def default_parameters(self) -> dict[str, float]:
        """Parameter values as written in the SBML."""
        return dict(self._defaults)

    def __repr__(self) -> str:
        return f"Simulator({self.model.id!r}, ligand={self.ligand!r}, observable={self.observable!r})"

    # ------------------------------------------------------------ parameters
    def _check_id(self, ident: str, what: str = "parameter") -> None:
        if ident in self._params or ident in self._species_index or ident in self._compartments:
            return
        if ident in self._rule_ids:
            raise ModelError(f"model {self.model.id!r}: {ident!r} is computed by a rule and cannot be set")
        known = list(self._params) + self._species
        raise ModelError(f"model {self.model.id!r}: unknown {what} {ident!r}{closest(ident, known)}")

    def _check_value(self, ident: str, value: float) -> float:
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ModelError(f"model {self.model.id!r}: {ident}: expected a number (got {value!r})") from None
        if not math.isfinite(v):
            raise ModelError(f"model {self.model.id!r}: {ident}: expected a finite number (got {value!r})")
        return v

    def set(self, values: Mapping[str, float] | None = None, **kwargs: float) -> "Simulator":
        """Change parameter values (persistently), e.g. ``sim.set(k_on=0.1)``.

        Unknown ids raise :class:`ModelError` with the closest known id.
        Species and compartment ids are not accepted here; pass initial
        values per call with ``values=``.
        """
        merged = dict(values or {}, **kwargs)
        for k, v in merged.items():
            if k not in self._params:
                self._check_id(k)
                raise ModelError(f"model {self.model.id!r}: {k!r} is not a parameter; give initial values per call with values=")
            self._params[k] = self._check_value(k, v)
        return self

    def reset_parameters(self) -> "Simulator":
        """Restore every parameter to its value in the SBML."""
        self._params = dict(self._defaults)
        return self

    def get(self, ident: str) -> float:
        """Current value of any model quantity (after the last run)."""
        try:
            return float(self._rr[ident])
        except RuntimeError:
            self._check_id(ident, "id")
            raise

    # --------------------------------------------------------------- low level
    def _configure_steady_state(self) -> None:
        solver = self._rr.getSteadyStateSolver()
        for key, value in (("allow_presimulation", False), ("relative_tolerance", 1e-12), ("maximum_iterations", 100)):
            try:
                solver.setValue(key, value)
            except (RuntimeError, AttributeError):
                pass

    def _failure(self, what: str, exc: BaseException, values: Mapping[str, float] | None = None) -> SimulationError:
        chatter = " ".join(_ANSI.sub("", _capture().take()).split())
        try:
            t = float(self._rr.model.getTime())
        except RuntimeError:
            t = float("nan")
        params = dict(self._pushed)  # the values roadrunner actually held
        params.update({k: v for k, v in (values or {}).items()})
        shown = ", ".join(f"{k}={v:g}" for k, v in list(params.items())[:12])
        more = f", ... ({len(params) - 12} more)" if len(params) > 12 else ""
        msg = f"model {self.model.id!r}: {what} failed at t = {t:g} {self.time_unit}: {' '.join(str(exc).split())}"
        if chatter and chatter not in msg:
            msg += f" [solver said: {chatter[:300]}]"
        msg += f"; parameters: {shown}{more}"
        return SimulationError(msg)

    def _apply(self, values: Mapping[str, float] | None) -> None:
        """Push the parameter values (and temporary overrides) into roadrunner."""
        rr = self._rr
        desired = self._params
        if values:
            desired = dict(desired)
            for k, v in values.items():
                if k in desired:
                    desired[k] = self._check_value(k, v)
                elif k in self._compartments:
                    rr[k] = self._check_value(k, v)
                elif k not in self._species_index and k not in self._rate_parameters:
                    self._check_id(k)
        pushed = self._pushed
        for k, v in desired.items():
            if pushed[k] != v:
                rr[k] = v
                pushed[k] = v

    def reset(self, values: Mapping[str, float] | None = None, state: "Mapping[str, float] | np.ndarray | None" = None) -> None:
        """Reset time and state to the initial condition, with current parameters.

        Parameters
        ----------
        values
            Temporary parameter overrides (and species initial amounts, and
            initial values of parameters driven by rate rules) that stay in
            force until the next reset.
        state
            A full or partial state (species id -> amount, or an array in
            :attr:`species` order) to start from instead of the initial one.
        """
        rr = self._rr
        self._apply(values)
        rr.reset()
        for k, v in (values or {}).items():
            if k in self._rate_parameters:
                rr[k] = self._check_value(k, v)
        species_values = {k: v for k, v in (values or {}).items() if k in self._species_index}
        if state is not None or species_values:
            amounts = np.array(rr.model.getFloatingSpeciesAmounts(), dtype=float)
            if state is not None:
                if isinstance(state, np.ndarray):
                    if state.shape != amounts.shape:
                        raise ModelError(f"model {self.model.id!r}: a state needs {amounts.size} values ({', '.join(self._species)}), got {state.size}")
                    amounts = state.astype(float).copy()
                else:
                    for k, v in dict(state).items():
                        if k in self._species_index:
                            amounts[self._species_index[k]] = self._check_value(k, v)
            for k, v in species_values.items():
                amounts[self._species_index[k]] = self._check_value(k, v)
            amounts[_roundoff(amounts)] = 0.0
            rr.model.setFloatingSpeciesAmounts(list(range(amounts.size)), list(amounts))

    def state(self) -> np.ndarray:
        """Current amounts of the floating species (in :attr:`species` order)."""
        return np.array(self._rr.model.getFloatingSpeciesAmounts(), dtype=float)

    def set_state(self, amounts: "np.ndarray | Mapping[str, float]") -> None:
        """Overwrite the current species amounts (time is kept)."""
        current = self.state()
        if isinstance(amounts, np.ndarray):
            current = amounts.astype(float)
        else:
            for k, v in amounts.items():
                if k not in self._species_index:
                    self._check_id(k, "species")
                current[self._species_index[k]] = float(v)
        self._rr.model.setFloatingSpeciesAmounts(list(range(current.size)), list(current))

    def set_now(self, values: Mapping[str, float]) -> None:
        """Change parameters at the current time without resetting (a step input)."""
        rr = self._rr
        for k, v in values.items():
            if k in self._species_index:
                idx = self._species_index[k]
                amounts = self.state()
                amounts[idx] = float(v)
                rr.model.setFloatingSpeciesAmounts(list(range(amounts.size)), list(amounts))
            elif k in self._params:
                rr[k] = self._pushed[k] = float(v)
            elif k in self._compartments:
                rr[k] = float(v)
            else:
                self._check_id(k)

    @property
    def time(self) -> float:
        return float(self._rr.model.getTime())

    def set_time(self, t: float) -> None:
        """Set the model time [model time unit] without changing the state.

        For simulation in segments: :meth:`advance` starts each call at its
        first time, so a segment can be integrated on a local clock starting
        at 0 (which keeps CVODE's first step well above the rounding of a
        large absolute time) and the absolute time restored afterwards.  Only
        valid for models whose equations do not use the time itself.
        """
        value = float(t)
        if not math.isfinite(value):
            raise SimulationError(f"model {self.model.id!r}: time must be finite (got {t!r})")
        self._rr.model.setTime(value)

    def _select(self, selections: Sequence[str]) -> None:
        sel = tuple(selections)
        if sel != self._current_selection:
            try:
                self._rr.timeCourseSelections = list(sel)
            except RuntimeError:
                for s in sel:
                    if s != "time":
                        self._check_id(s, "selection")
                raise
            self._current_selection = sel

    def _check_selections(self, selections: Iterable[str]) -> list[str]:
        sel = list(selections)
        known = self._known
        for s in sel:
            if s not in known and s != "time":
                raise ModelError(f"model {self.model.id!r}: unknown output {s!r}{closest(s, known)}")
        return sel

    def advance(self, times: Sequence[float], selections: Sequence[str]) -> np.ndarray:
        """Integrate from the current state through ``times`` (first = now).

        Returns an array ``len(times) × len(selections)``; no reset, so
        successive calls continue one trajectory (dosing in segments).
        """
        times = np.asarray(times, dtype=float)
        if times.size == 1:  # nothing to integrate: the current values
            return self._values_row(selections)[None, :]
        self._select(["time", *selections])
        self._plausible()  # zero round-off amounts before CVODE restarts from them
        cap = _capture()
        with cap.capture():
            try:
                if times.size == 2:
                    out = self._rr.simulate(float(times[0]), float(times[1]), 2)
                else:
                    out = self._rr.simulate(times=times.tolist())
            except RuntimeError as exc:
                raise self._failure("time course", exc) from None
        cap.clear()
        return np.asarray(out)[:, 1:]

    def _steady(self) -> None:
        """Solve for the steady state from the current state, robustly.

        1. Newton (NLEQ) from the current state, strict tolerance;
        2. from the same starting state again with a looser tolerance;
        3. integrate towards the attractor (from the saved starting state, never
           from where a failed Newton run left it) in growing spans, polishing
           with Newton after each, and accept an integrated state whose rates of
           change are negligible (|dx/dt|·T < 1e-9·max(|x|, 1) over the span T).
        A state with negative amounts is never accepted.
        """
        rr = self._rr
        solver = rr.getSteadyStateSolver()
        cap = _capture()
        start = np.asarray(rr.model.getFloatingSpeciesAmounts(), dtype=float)
        start_rated = {k: float(rr[k]) for k in self._rate_parameters}  # state too: a failed Newton moves them
        t_start = float(rr.model.getTime())
        first: BaseException | None = None
        ok = False
        with cap.capture():
            try:
                rr.steadyState()
                ok = self._plausible()
            except RuntimeError as exc:
                first = exc
            if not ok:
                self._restore(start, t_start, start_rated)
                solver.setValue("relative_tolerance", 1e-9)
                try:
                    rr.steadyState()
                    ok = self._plausible()
                except RuntimeError as exc:
                    first = first or exc
                finally:
                    solver.setValue("relative_tolerance", 1e-12)
            if not ok:
                self._restore(start, t_start, start_rated)
                horizon = 1e3 * {"s": 60.0, "min": 1.0, "h": 1 / 60.0, "d": 1 / 1440.0}.get(self.time_unit, 1.0)
                t0 = t_start
                try:
                    for span in (horizon, 10 * horizon, 100 * horizon, 1000 * horizon):
                        rr.simulate(t0, t0 + span, 2)
                        t0 += span
                        settled = self._settled(span)
                        here = np.asarray(rr.model.getFloatingSpeciesAmounts(), dtype=float)
                        here_rated = {k: float(rr[k]) for k in self._rate_parameters}
                        try:
                            rr.steadyState()
                            if self._plausible():
                                ok = True
                                break
                        except RuntimeError:
                            pass
                        self._restore(here, t0, here_rated)
                        if settled:
                            ok = True
                            break
                except RuntimeError as exc:
                    first = first or exc
            if not ok:
                raise self._failure("steady state", first or RuntimeError("no non-negative steady state found")) from None
        cap.clear()

    def _restore(self, amounts: np.ndarray, t: float, rated: Mapping[str, float] | None = None) -> None:
        self._rr.model.setTime(t)
        self._rr.model.setFloatingSpeciesAmounts(list(range(amounts.size)), list(amounts))
        for k, v in (rated or {}).items():
            self._rr[k] = v

    def _settled(self, span: float) -> bool:
        """Rates of change negligible over ``span`` and amounts non-negative."""
        m = self._rr.model
        x = np.asarray(m.getFloatingSpeciesAmounts(), dtype=float)
        rates = np.asarray(self._rr.getRatesOfChange(), dtype=float)
        scale = max(1.0, float(np.max(np.abs(x)))) if x.size else 1.0
        return bool(np.all(np.isfinite(rates)) and np.max(np.abs(rates)) * span < 1e-9 * scale and self._plausible())

    def solve_steady_state(self, selections: Sequence[str]) -> np.ndarray:
        """Steady state reached from the current state (no reset); returns the
        values of ``selections`` there and leaves the model in that state."""
        self._steady()
        return self._values_row(selections)

    def _plausible(self) -> bool:
        """Finite, non-negative (to round-off) amounts; round-off is set to zero."""
        a = self._rr.model.getFloatingSpeciesAmounts()
        values = a.tolist()  # plain floats: faster than numpy for a handful of species
        if not values:
            return True
        lo, hi = min(values), max(values)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return False
        scale = max(1.0, abs(hi), abs(lo))
        if lo < -1e-7 * scale:
            return False
        tiny = 1e-18 * scale
        if lo >= 0.0 and all(v == 0.0 or v >= tiny for v in values):
            return True  # nothing to clean (the usual case)
        amounts = np.asarray(a, dtype=float)
        junk = _roundoff(amounts)
        if junk.any():
            amounts[junk] = 0.0
            self._rr.model.setFloatingSpeciesAmounts(list(range(amounts.size)), list(amounts))
        return True

    def _values_row(self, selections: Sequence[str]) -> np.ndarray:
        rr = self._rr
        return np.array([rr[s] for s in selections], dtype=float)

    # ------------------------------------------------------------------- public
    def _default_selections(self) -> list[str]:
        seen = []
        for s in list(self.model.observables) + self._species:
            if s not in seen:
                seen.append(s)
        return seen

    def model_time(self, t: float | str, what: str = "time") -> float:
        """A time (number in the model unit, or text with a unit) in the model's time unit."""
        value = parse_time(t, self.time_unit, what)
        if not math.isfinite(value) or value < 0:
            raise SimulationError(f"model {self.model.id!r}: {what} must be a non-negative time (got {t!r})")
        return value

    def _frame(self, data: np.ndarray, index: np.ndarray, columns: Sequence[str], index_name: str):
        import pandas as pd

        key = tuple(columns)
        cols = self._column_index.get(key)
        if cols is None:  # pandas Index objects are immutable: build each once
            cols = self._column_index[key] = pd.Index(list(columns))
        df = pd.DataFrame(data, index=pd.Index(index, name=index_name, copy=False), columns=cols, copy=False)
        df.attrs["units"] = {c: self._unit(c) for c in columns}
        df.attrs["units"][index_name] = self.time_unit if index_name == "time" else self.model.dose_unit
        df.attrs["model"] = self.model.id
        return df

    def _unit(self, ident: str) -> str:
        return self._units.get(ident, "")

    def unit_of(self, ident: str) -> str:
        """The unit of a model quantity as a readable string (``''`` if undeclared)."""
        return self._unit(ident)

    def check_selections(self, selections: Iterable[str]) -> list[str]:
        """Check output ids before a run; :class:`ModelError` names an unknown one (with the closest id)."""
        return self._check_selections(selections)

    def timecourse(
        self,
        t_end: float | str | None = None,
        n_points: int = 101,
        *,
        times: Sequence[float] | None = None,
        values: Mapping[str, float] | None = None,
        initial: "Mapping[str, float] | np.ndarray | None" = None,
        selections: Sequence[str] | None = None,
    ):
        """Simulate from the initial state (or ``initial``) to ``t_end``.

        Parameters
        ----------
        t_end
            End time, in the model's time unit or with a unit (``'24h'``).
        n_points
            Number of equally spaced output times, including 0 and ``t_end``.
        times
            Explicit output times instead (increasing, first one is the start).
        values
            Temporary parameter overrides / species initial values.
        initial
            Start from this state (species id -> amount, e.g. the Series of a
            previous :meth:`steady_state`) instead of the initial values.
        selections
            Output columns (default: observables and species).

        Returns
        -------
        pandas.DataFrame
            Index ``time`` [model time unit]; ``df.attrs['units']`` maps each
            column to its unit.
        """
        if times is None:
            if t_end is None:
                raise SimulationError("timecourse needs t_end or times")
            end = self.model_time(t_end, "t_end")
            if end <= 0:
                raise SimulationError(f"model {self.model.id!r}: t_end must be positive (got {t_end!r})")
            if int(n_points) < 2:
                raise SimulationError(f"n_points must be at least 2 (got {n_points})")
            grid = np.linspace(0.0, end, int(n_points))
        else:
            grid = np.asarray([self.model_time(t, "times") for t in times], dtype=float)
            if grid.size < 2 or np.any(np.diff(grid) <= 0):
                raise SimulationError(f"model {self.model.id!r}: times must be at least two increasing values")
        sel = self._check_selections(selections) if selections is not None else self._default_selections()
        init_state = None
        if initial is not None:
            init_state = initial if isinstance(initial, np.ndarray) else {k: v for k, v in dict(initial).items() if k in self._species_index}
        self.reset(values, init_state)
        data = self.advance(grid, sel)
        return self._frame(data, grid, sel, "time")

    def steady_state(
        self,
        values: Mapping[str, float] | None = None,
        selections: Sequence[str] | None = None,
        initial: "Mapping[str, float] | np.ndarray | None" = None,
    ):
        """The steady state with the current parameters (and overrides).

        Returns
        -------
        pandas.Series
            Observables and species (or ``selections``) at steady state;
            ``s.attrs['units']`` gives units.
        """
        import pandas as pd

        sel = self._check_selections(selections) if selections is not None else self._default_selections()
        init_state = None
        if initial is not None:
            init_state = initial if isinstance(initial, np.ndarray) else {k: v for k, v in dict(initial).items() if k in self._species_index}
        self.reset(values, init_state)
        self._steady()
        s = pd.Series(self._values_row(sel), index=sel, name="steady_state")
        s.attrs["units"] = {c: self._unit(c) for c in sel}
        s.attrs["model"] = self.model.id
        return s

    def _check_doses(self, doses: Iterable[float]) -> np.ndarray:
        try:
            d = np.asarray([float(x) for x in doses], dtype=float)
        except (TypeError, ValueError):
            raise ModelError(f"doses must be numbers (got {list(doses)!r})") from None
        if d.size == 0:
            raise ModelError("doses: expected at least one dose")
        if np.any(~np.isfinite(d)) or np.any(d < 0):
            bad = [x for x in d if not (math.isfinite(x) and x >= 0)]
            raise ModelError(f"doses must be finite and non-negative (got {bad[0]:g})")
        if np.any(np.diff(d) <= 0):
            i = int(np.argmax(np.diff(d) <= 0))
            raise ModelError(f"doses must be strictly increasing (dose {i + 2} = {d[i + 1]:g} follows {d[i]:g})")
        return d

    def dose_response(
        self,
        doses: Iterable[float],
        readout: str | float = "steady",
        observable: str | Sequence[str] | None = None,
        *,
        values: Mapping[str, float] | None = None,
        initial: "Mapping[str, float] | np.ndarray | None" = None,
    ):
        """Response to each dose of the ligand, at steady state or at a time.

        Parameters
        ----------
        doses
            Ligand concentrations [model dose unit, nM for bundled models],
            non-negative and strictly increasing.  0 is a vehicle control.
        readout
            ``'steady'`` for the steady state, or a time after the dose is
            applied (model time unit, or with a unit such as ``'30min'``).
        observable
            Output(s) to read (default: the model's default observable).
        values
            Temporary parameter overrides for every dose.
        initial
            State to start each dose from (default: the model's initial state;
            e.g. the end state of a pre-treatment).

        Returns
        -------
        pandas.DataFrame
            Column ``dose`` then one column per observable.
        """
        import pandas as pd

        if self.ligand is None:
            raise ModelError(f"model {self.model.id!r} declares no ligand input: name one with "
                             f"Simulator({self.model.id!r}, ligand='ID') (CLI: --ligand ID)")
        d = self._check_doses(doses)
        if observable is None:
            if self.observable is None:
                raise ModelError(f"model {self.model.id!r} has no default observable: name one (observable=..., CLI --observable ID)")
            obs = [self.observable]
        else:
            obs = [observable] if isinstance(observable, str) else list(observable)
        obs = self._check_selections(obs)
        steady = isinstance(readout, str) and readout.strip().lower() in _STEADY
        out = np.empty((d.size, len(obs)))
        base = dict(values or {})
        init_state = None
        if initial is not None:
            init_state = initial if isinstance(initial, np.ndarray) else {k: v for k, v in dict(initial).items() if k in self._species_index}
        if steady:
            for i, dose in enumerate(d):
                base[self.ligand] = dose
                # continuation: each dose starts from the previous steady state
                if i == 0:
                    self.reset(base, init_state)
                else:
                    self.set_now({self.ligand: dose})
                self._steady()
                out[i] = self._values_row(obs)
            kind = "steady state"
        else:
            t = self.model_time(readout, "readout")
            if t <= 0:
                raise ModelError(f"readout time must be positive (got {readout!r})")
            grid = np.array([0.0, t])
            for i, dose in enumerate(d):
                base[self.ligand] = dose
                self.reset(base, init_state)
                out[i] = self.advance(grid, obs)[-1]
            kind = f"t = {t:g} {self.time_unit}"
        df = pd.DataFrame(out, columns=obs)
        df.insert(0, "dose", d)
        df.attrs["units"] = {"dose": self.model.dose_unit, **{o: self._unit(o) for o in obs}}
        df.attrs["readout"] = kind
        df.attrs["model"] = self.model.id
        return df

    def solve_steady_state_without_events(self, selections: Sequence[str]) -> np.ndarray:
        """Steady state from the current state with the model's events switched off.

        Newton's method only (an integration towards the attractor would fire
        the events); leaves the model in that state.  For models with events
        whose user explicitly asks for the event-free steady state.
        """
        import roadrunner

        cfg = roadrunner.Config
        key = cfg.ALLOW_EVENTS_IN_STEADY_STATE_CALCULATIONS
        saved = cfg.getValue(key)
        cap = _capture()
        start = np.asarray(self._rr.model.getFloatingSpeciesAmounts(), dtype=float)
        t_start = float(self._rr.model.getTime())
        with cap.capture():
            cfg.setValue(key, True)
            try:
                self._rr.steadyState()
                ok = self._plausible()
                failure: BaseException | None = None
            except RuntimeError as exc:
                ok, failure = False, exc
            finally:
                cfg.setValue(key, saved)
            if not ok:
                self._restore(start, t_start)
                raise self._failure("steady state (events switched off)",
                                    failure or RuntimeError("no non-negative steady state found")) from None
        cap.clear()
        return self._values_row(selections)
