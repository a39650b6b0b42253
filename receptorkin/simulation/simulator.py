"""The Simulator: libRoadRunner, compiled once, fast and wrapped.

This is the only module of receptorkin that imports ``roadrunner``.  A
:class:`Simulator` compiles its model once; parameter values and initial
values change without recompiling; every run starts from a clean state
(``reset``): species, compartments and every parameter an event or a rule
may have changed go back to their initial values, with exactly the
parameters asked for.  Any SBML model libRoadRunner can simulate is
simulated as libRoadRunner would (the SBML Test Suite is part of the tests);
what it cannot (algebraic rules, ``delay()``, fast reactions) is refused when
the model is read.

Steady states are solved on a second compiled copy of the model, made on the
first steady-state request and kept, with conserved-moiety analysis where it
is valid (no species changed by rules, constant stoichiometry and
compartments, no conversion factors), so a steady-state dose-response curve
costs tens of microseconds per dose.  Time courses never pay for the
analysis, and never see its side effects, unless the caller says it will ask
for steady states (``moiety_analysis=True``, as a pre-equilibrated PEtab
problem does): then a model without events and rate rules is compiled once,
with the analysis, and time courses integrate the reduced system too.  A
model with events has no steady state here unless the caller asks for one
with the events switched off.

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
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..errors import ModelError, SimulationError
from ..models.sbml import Model, closest, load_model
from ..units import parse_time

__all__ = ["Simulator", "SolverOptions"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# SUNDIALS' logger prints CVODE warnings ("t + h = t on the next step") on
# standard output, where they would corrupt a CSV written to stdout; send them
# to stderr, which the capture below collects (read when roadrunner creates
# its solver context, so set before any model is compiled)
os.environ.setdefault("SUNLOGGER_WARNING_FILENAME", "stderr")
_STEADY = ("steady", "steady_state", "ss", "steady-state")
_SPECIES_REF_ID = re.compile(r"<speciesReference\b[^>]*?\sid=\"([^\"]+)\"")
_SS_RTOL = 1e-12  # Newton's relative tolerance (a looser one is a fallback)


def _roundoff(amounts: np.ndarray, atol: float) -> np.ndarray:
    """Mask of amounts that are round-off, not biology: non-zero values no
    larger in magnitude than the solver's absolute tolerance ``atol``.

    Setting them to zero changes no value by more than the tolerance the
    integrator itself works to.  CVODE (as libRoadRunner configures it) has
    failed its first step from states holding values such as 8e-32 left by
    Newton's method.
    """
    if amounts.size == 0:
        return np.zeros(0, dtype=bool)
    junk = np.abs(amounts) <= atol
    junk &= amounts != 0
    return junk


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
        self._saved: list[int] = []  # the stderr descriptors to put back (nested captures)

    def capture(self) -> "_StderrCapture":
        """``with capture.capture():`` redirects stderr into the capture file
        (a plain context manager: cheaper than a generator around every solver call)."""
        return self

    def __enter__(self) -> "_StderrCapture":
        self._lock.acquire()
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all (daemonised): nothing to capture
            saved = -1
        else:
            try:
                os.dup2(self._fd, 2)
            except OSError:
                os.close(saved)
                saved = -1
        self._saved.append(saved)
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            saved = self._saved.pop()
            if saved >= 0:
                os.dup2(saved, 2)
                os.close(saved)
        finally:
            self._lock.release()

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


_RESET_FLAGS: tuple[int, int] | None = None


def _reset_flags() -> tuple[int, int]:
    """roadrunner reset flags: (global parameters and compartments; everything:
    time, species, compartments, rate-rule variables and global parameters)."""
    global _RESET_FLAGS
    if _RESET_FLAGS is None:
        from roadrunner import SelectionRecord as SR

        _RESET_FLAGS = (int(SR.GLOBAL_PARAMETER | SR.COMPARTMENT),
                        int(SR.TIME | SR.RATE | SR.FLOATING | SR.BOUNDARY | SR.COMPARTMENT | SR.GLOBAL_PARAMETER))
    return _RESET_FLAGS


def _configure_steady_state(rr) -> None:
    """Steady-state solver settings of a compiled instance, applied once: they
    persist as long as the model is not regenerated, and nothing here
    regenerates it (automatic moiety analysis, which would, twice per solve,
    is off; the steady-state copy has moiety analysis where valid).  No
    presimulation (the fallbacks integrate, see ``Simulator._solve_on``)."""
    solver = rr.getSteadyStateSolver()
    for key, value in (("auto_moiety_analysis", False), ("allow_presimulation", False),
                       ("relative_tolerance", _SS_RTOL), ("maximum_iterations", 100)):
        try:
            solver.setValue(key, value)
        except (RuntimeError, AttributeError):
            pass


def _steady_state_rtol(rr, relative_tolerance: float) -> None:
    """Change the steady-state solver's relative tolerance (the looser retries)."""
    try:
        rr.getSteadyStateSolver().setValue("relative_tolerance", relative_tolerance)
    except (RuntimeError, AttributeError):
        pass


def _new_roadrunner(sbml: str, moieties: bool = False, recompile: bool = False):
    """Compile SBML text into a ``roadrunner.RoadRunner``.

    libRoadRunner's Python wrapper turns every model id into a property of
    the ``RoadRunner`` class (shared by all instances), so a model with an id
    such as ``reset`` or ``simulate`` would shadow those methods for every
    later model of the process.  The wrapper's own switch for those dynamic
    properties is turned off while receptorkin compiles (and restored after,
    for other users of roadrunner in the process); receptorkin reads and
    writes values through ``getValue``/``setValue`` and the model's vector
    calls only.

    ``recompile`` bypasses libRoadRunner's in-process cache of compiled
    models: a model with piecewise triggers taken from that cache while
    another instance of it has run starts with that instance's trigger state
    (its results differ in the last digits from a fresh compile).
    """
    import roadrunner

    cfg = roadrunner.Config
    key = cfg.ROADRUNNER_DISABLE_PYTHON_DYNAMIC_PROPERTIES
    with _StderrCapture._lock:
        before = cfg.getValue(key)
        cfg.setValue(key, True)
        try:
            if moieties or recompile:
                opts = roadrunner.LoadSBMLOptions()
                opts.conservedMoieties = moieties
                opts.recompile = recompile
                return roadrunner.RoadRunner(sbml, opts)
            return roadrunner.RoadRunner(sbml)
        finally:
            cfg.setValue(key, before)


def _reader(rr):
    """``rr.getValue`` without the Python wrapper's per-call regular expression
    (which only serves ``eigen(...)`` selections, never asked for here)."""
    return getattr(rr, "_getValue", rr.getValue)


def _simulate_options(rr) -> tuple:
    """Kept ``SimulateOptions`` for equally spaced and for given output times,
    or ``(None, None)`` where libRoadRunner's Python API lacks the direct calls
    (then ``rr.simulate`` is used)."""
    import roadrunner

    if not (hasattr(rr, "_simulate") and hasattr(rr, "_setSimulateOptionsTimes")
            and hasattr(roadrunner, "SimulateOptions")):
        return None, None
    return roadrunner.SimulateOptions(), roadrunner.SimulateOptions()


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
        Conserved-moiety analysis.  ``None`` (default): for steady states
        only, wherever it is valid, on a second compiled copy made on the
        first steady state (time courses never see it).  ``True``: for a
        caller that will ask for steady states (a pre-equilibrated PEtab
        problem): where it is valid and the model has no events and no rate
        rules, the model is
        compiled once with it and time courses integrate the reduced system
        too (cheaper wherever there are conservation laws); :attr:`species`
        are then in libRoadRunner's order, independent ones first (see
        :attr:`reduced_time_courses`).  Elsewhere ``True`` is ``None``.
        ``False``: never.

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
        base = load_model(model)
        self._moiety_wanted = moiety_analysis is not False
        self._moiety_valid: bool | None = None
        self.model: Model = base.with_ligand(ligand, observable)
        self.options = SolverOptions(rtol, atol, max_steps)
        _quiet_logger()
        # one compiled instance, moiety-reduced, for time courses and steady states alike: only where
        # the analysis keeps the model's meaning, no event can set a species behind its conserved total,
        # and no rate rule shares CVODE's state with the reduced species (libRoadRunner then integrates
        # far less accurately than asked: SBML Test Suite case 00066, a rate rule on a parameter)
        self._reduced = moiety_analysis is True and self._moieties_valid() and _plain_dynamics(self.model.sbml)
        rr = self._compile(self.model.sbml, moieties=self._reduced)
        self._rr = rr
        # the ExecutableModel handle, kept: ``rr.model`` makes a new wrapper on
        # every access, and nothing here regenerates the model it points to
        m = self._m = rr.model
        self._read = _reader(rr)
        self._uniform, self._at = _simulate_options(rr)
        self._species: list[str] = list(m.getFloatingSpeciesIds())
        self._species_index = {s: i for i, s in enumerate(self._species)}
        self._all_species = np.arange(len(self._species), dtype=np.int32)  # index vector of every species
        self._boundary: list[str] = list(m.getBoundarySpeciesIds())
        self._boundary_index = {s: i for i, s in enumerate(self._boundary)}
        self._param_ids: list[str] = list(m.getGlobalParameterIds())
        self._param_index = {p: i for i, p in enumerate(self._param_ids)}
        self._compartments: list[str] = list(m.getCompartmentIds())
        self._compartment_index = {c: i for i, c in enumerate(self._compartments)}
        # the reduced model computes its dependent species from conserved totals (_CSUM parameters with
        # initial assignments): species for this class, not rule targets; the totals are not the model's
        dependent = set(rr.getDependentFloatingSpeciesIds()) if self._reduced else set()
        self._totals = frozenset(rr.getConservedMoietyIds()) if self._reduced else frozenset()
        assigned = set(rr.getAssignmentRuleIds()) - dependent
        self._rate_rule_ids = set(rr.getRateRuleIds())
        self._initial_ids = set(rr.getInitialAssignmentIds())
        self._assigned = assigned
        self._rule_ids = assigned | self._rate_rule_ids | self._initial_ids
        # settable: a value of its own that nothing computes (rate-rule
        # variables are settable: their value is the rule's starting point)
        self._settable = [p for p in self._param_ids if p not in assigned and p not in self._initial_ids]
        self._settable_comps = [c for c in self._compartments if c not in assigned and c not in self._initial_ids]
        self._defaults: dict[str, float] = {p: float(m.getValue(f"init({p})")) for p in self._settable}
        self._params: dict[str, float] = dict(self._defaults)
        self._comp_defaults = {c: float(m.getValue(f"init({c})")) for c in self._settable_comps}
        # The initial values roadrunner holds, so that a reset writes only what
        # differs.  Events, rules and resets change current values, never
        # these; libRoadRunner's steady-state solver puts back the SBML's, so
        # every steady-state solve forgets this record (all is written again).
        self._init_held: dict[str, float] = {**self._defaults, **self._comp_defaults}
        self._init_key = {k: f"init({k})" for k in self._init_held}
        # parameters whose held initial value may differ from self._params (the
        # last reset's overrides, values set since): a reset compares only those,
        # or all of them after the record was forgotten
        self._held_extra: set[str] = set()
        self._held_check_all = False
        self._has_events = m.getNumEvents() > 0
        # whether current parameter or compartment values may differ from their
        # initial ones after a reset: events and rate rules can move them during
        # a run; set_now and steady states set this too
        self._mutable = self._has_events or any(x in self._rate_rule_ids for x in self._param_ids + self._compartments)
        # whether a reset computes anything but floating species from the parameters (initial assignments to
        # other quantities; events, whose triggers it evaluates at the start)
        # (not the conserved totals: a reduced model's reset always sets every species amount after it, and
        # setting them in the model's order computes each total from its species)
        self._reset_reads = self._has_events or bool(self._initial_ids - set(self._species) - self._totals)
        self._moved = True
        # named species references: events and rules may change a stoichiometry,
        # which libRoadRunner's reset does not restore
        self._stoich_keys = []
        named = dict.fromkeys([*m.getStoichiometryIds(), *_SPECIES_REF_ID.findall(self.model.sbml)])
        for sid in named:
            if "(" in sid or sid in self._assigned:
                continue
            try:  # those a rule governs cannot be set (and need no restoring)
                m.setValue(sid, m.getValue(f"init({sid})"))
            except RuntimeError:
                continue
            self._stoich_keys.append((sid, f"init({sid})"))
        self._current_selection: tuple[str, ...] | None = None
        self._grid: tuple | None = None  # the last output grid of timecourse and its pandas index
        self._units = {el.id: el.unit for el in self.model.elements}
        self._column_index: dict[tuple[str, ...], object] = {}
        every_species = self._species + self._boundary
        readable = (set(self._param_ids) - self._totals) | set(every_species) | set(self._compartments) | set(m.getReactionIds())
        readable |= {s for s in m.getStoichiometryIds() if "(" not in s}
        readable |= {f"[{s}]" for s in every_species}
        self._known = frozenset(readable)
        # read through the model's own getValue (several times cheaper than
        # roadrunner's selection parser, and the same numbers), except ids
        # spelled like the time, which it takes for the time itself
        self._direct = frozenset(k for k in readable if k.strip("[]").lower() != "time")
        self._ss_rr = None  # the steady-state copy (made on first use)
        self._ss_m = None  # its ExecutableModel handle
        # the copy holds exactly the simulator's state (after a solve, until the
        # simulator's state changes): the next solve need not copy it over
        self._ss_synced = False
        self._ss_param_pos: dict[str, int] = {}  # parameter id -> its index in the copy
        self._ss_moieties = False
        self._ss_map: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        lig = self.model.ligand
        if lig is not None and lig not in self._params and lig not in self._species_index and lig not in self._boundary_index:
            why = "computed by a rule or an initial assignment" if lig in self._rule_ids else "not a parameter or species"
            raise ModelError(f"model {self.model.id!r}: ligand {lig!r} cannot be set: it is {why}")

    def _compile(self, sbml: str, moieties: bool = False):
        """A configured roadrunner instance of ``sbml`` (errors as SimulationError)."""
        cap = _capture()
        with cap.capture():
            try:
                rr = _new_roadrunner(sbml, moieties)
                if rr.model.getNumPiecewiseTriggers():
                    rr = _new_roadrunner(sbml, moieties, recompile=True)
            except RuntimeError as exc:
                chatter = " ".join(_ANSI.sub("", cap.take()).split())
                raise SimulationError(
                    f"model {self.model.id!r}: libRoadRunner could not compile it: {' '.join(str(exc).split())} {chatter}".strip()) from None
        cap.clear()
        integ = rr.getIntegrator()
        integ.setValue("relative_tolerance", self.options.rtol)
        integ.setValue("absolute_tolerance", self.options.atol)
        integ.setValue("maximum_num_steps", self.options.max_steps)
        integ.setValue("variable_step_size", False)  # output at the requested times only (Simulator._simulate)
        _configure_steady_state(rr)
        return rr

    # ------------------------------------------------------------------ info
    @property
    def id(self) -> str:
        return self.model.id

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
        """Floating species ids, in the solver's order (the order of :meth:`state`)."""
        return list(self._species)

    @property
    def boundary_species(self) -> list[str]:
        """Boundary species ids (fixed unless a rule or event changes them)."""
        return list(self._boundary)

    @property
    def compartments(self) -> list[str]:
        return list(self._compartments)

    @property
    def has_events(self) -> bool:
        """Whether the model has SBML events (see :meth:`steady_state`)."""
        return self._has_events

    @property
    def moiety_analysis(self) -> bool:
        """Whether steady states use conserved-moiety analysis (asked for and
        valid for this model; see :meth:`steady_state`)."""
        return self._moiety_wanted and self._moieties_valid()

    @property
    def uses_moieties(self) -> bool | None:
        """Whether steady states use conserved-moiety analysis (``None``: no
        steady state asked for yet, so nothing was analysed or recompiled)."""
        if self._reduced:
            return True
        if self._ss_rr is None:
            return None
        return self._ss_moieties

    @property
    def reduced_time_courses(self) -> bool:
        """Whether time courses integrate the moiety-reduced system (``moiety_analysis=True``
        on a model where that is valid and which has no events and no rate rules).  The results agree with the
        full system's to the solver's tolerances: the dependent species follow from conserved
        totals, which every change of the state (a reset, new amounts, a step) recomputes."""
        return self._reduced

    @property
    def readable(self) -> list[str]:
        """Every id a run can report: species (amounts; ``[S]`` for concentrations),
        compartments, parameters, rule variables and reaction rates."""
        return sorted(self._known)

    @property
    def observables(self) -> list[str]:
        """Named outputs: the model's declared observables, else its species."""
        return list(self.model.observables) or list(self._species)

    @property
    def parameters(self) -> dict[str, float]:
        """Values of every settable global parameter, as every run starts (a copy)."""
        return dict(self._params)

    @property
    def default_parameters(self) -> dict[str, float]:
        """Parameter values as written in the SBML."""
        return dict(self._defaults)

    def __repr__(self) -> str:
        return f"Simulator({self.model.id!r}, ligand={self.ligand!r}, observable={self.observable!r})"

    # ------------------------------------------------------------ parameters
    def _check_id(self, ident: str, what: str = "parameter") -> None:
        if ident in self._params or ident in self._species_index or ident in self._boundary_index or ident in self._comp_defaults:
            return
        if ident in self._rate_rule_ids and ident not in self._assigned:
            return
        if ident in self._rule_ids:
            raise ModelError(f"model {self.model.id!r}: {ident!r} is computed by a rule or an initial assignment and cannot be set")
        known = list(self._params) + self._species + self._boundary
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

        Every later run starts from these values (events and rules that
        change a parameter during a run do not carry over).  Unknown ids
        raise :class:`ModelError` with the closest known id.  Species and
        compartment ids are not accepted here; pass initial values per call
        with ``values=``.
        """
        merged = dict(values or {}, **kwargs)
        for k, v in merged.items():
            if k not in self._params:
                self._check_id(k)
                raise ModelError(f"model {self.model.id!r}: {k!r} is not a parameter; give initial values per call with values=")
            self._params[k] = self._check_value(k, v)
            self._held_extra.add(k)
        return self

    def reset_parameters(self) -> "Simulator":
        """Restore every parameter to its value in the SBML."""
        self._params = dict(self._defaults)
        self._held_check_all = True
        return self

    def get(self, ident: str) -> float:
        """Current value of any model quantity (after the last run); ``[S]`` is
        the concentration of species ``S``, ``S`` its amount."""
        if ident not in self._known and ident != "time":
            self._check_selections([ident])
        try:
            return float(self._m.getValue(ident) if ident in self._direct else self._read(ident))
        except RuntimeError as exc:
            raise SimulationError(f"model {self.model.id!r}: cannot read {ident!r}: {exc}") from None

    # --------------------------------------------------------------- low level
    def _failure(self, what: str, exc: BaseException, values: Mapping[str, float] | None = None) -> SimulationError:
        chatter = " ".join(_ANSI.sub("", _capture().take()).split())
        m = self._m
        try:
            t = float(m.getTime())
            current = np.asarray(m.getGlobalParameterValues(), dtype=float)
            params = {p: float(current[self._param_index[p]]) for p in self._settable}  # what roadrunner held
        except RuntimeError:
            t, params = float("nan"), dict(self._params)
        params.update({k: v for k, v in (values or {}).items()})
        shown = ", ".join(f"{k}={v:g}" for k, v in list(params.items())[:12])
        more = f", ... ({len(params) - 12} more)" if len(params) > 12 else ""
        msg = f"model {self.model.id!r}: {what} failed at t = {t:g} {self.time_unit}: {' '.join(str(exc).split())}"
        if chatter and chatter not in msg:
            msg += f" [solver said: {chatter[:300]}]"
        msg += f"; parameters: {shown}{more}"
        return SimulationError(msg)

    def reset(self, values: Mapping[str, float] | None = None, state: "Mapping[str, float] | np.ndarray | None" = None) -> None:
        """Reset time and the complete model state to the initial condition.

        Species, compartments, rate-rule variables and every global parameter
        (those changed by events or rules during a previous run included) go
        back to their initial values, with the current :attr:`parameters`;
        initial assignments are evaluated with them.

        Parameters
        ----------
        values
            Temporary overrides that stay in force until the next reset:
            parameter values and compartment sizes (initial assignments use
            them), species initial amounts, start values of variables driven
            by rate rules.
        state
            A full or partial state (species id -> amount, or an array in
            :attr:`species` order) to start from instead of the initial one.
        """
        rr = self._rr
        m = self._m
        self._ss_synced = False
        params = self._params
        over: dict[str, float] = {}  # parameter overrides
        comps = None
        species_values: dict[str, float] = {}
        rated: dict[str, float] = {}
        if values:
            for k, v in values.items():
                if k in params:
                    # a finite float needs no conversion (v - v is nan for inf and nan)
                    over[k] = v if v.__class__ is float and v - v == 0.0 else self._check_value(k, v)
                elif k in self._species_index or k in self._boundary_index:
                    species_values[k] = self._check_value(k, v)
                elif k in self._comp_defaults:
                    if comps is None:
                        comps = dict(self._comp_defaults)
                    comps[k] = self._check_value(k, v)
                elif k in self._rate_rule_ids and (k in self._param_index or k in self._compartment_index):
                    rated[k] = self._check_value(k, v)  # a rate rule's start, over its initial assignment
                else:
                    self._check_id(k)
        held, key, put = self._init_held, self._init_key, m.setValue
        changed = self._moved
        if self._held_check_all:
            todo: Iterable[str] = params
        else:
            todo = self._held_extra.union(over) if over else self._held_extra
        for k in todo:
            v = over[k] if k in over else params[k]
            if held.get(k) != v:
                put(key[k], v)
                held[k] = v
                changed = True
        self._held_extra = set(over)
        self._held_check_all = False
        for k, v in (comps or self._comp_defaults).items():
            if held.get(k) != v:
                put(key[k], v)
                held[k] = v
                changed = True
        for sid, init_key in self._stoich_keys:
            m.setValue(sid, m.getValue(init_key))
        params_first, everything = _reset_flags()
        # parameters first: libRoadRunner resets species before parameters, and their initial assignments
        # read the current values (when every floating species amount is given next and nothing else is
        # computed from the parameters during the reset, the order does not matter)
        if changed and (self._reset_reads or not isinstance(state, np.ndarray)):
            rr.reset(params_first)
        rr.reset(everything)
        self._moved = self._mutable
        for k, v in rated.items():
            m.setValue(k, v)
        if state is not None or species_values or self._reduced:
            # (a reduced model: every amount is set again, in the model's order, so that the conserved totals
            # are those of the amounts whatever the reset computed them from)
            if isinstance(state, np.ndarray):  # a full state: the reset's amounts are not needed
                amounts = self._full_state(state)
            else:
                amounts = np.array(m.getFloatingSpeciesAmounts(), dtype=float)
                for k, v in ({} if state is None else dict(state)).items():
                    if k in self._species_index:
                        amounts[self._species_index[k]] = self._check_value(k, v)
            for k, v in species_values.items():
                if k in self._species_index:
                    amounts[self._species_index[k]] = v
                else:
                    m.setValue(k, v)  # a boundary species: its amount
            if state is not None or species_values:
                junk = _roundoff(amounts, self.options.atol)
                if junk.any():
                    amounts[junk] = 0.0
            if amounts.size:
                m.setFloatingSpeciesAmounts(self._all_species, amounts)

    def state(self) -> np.ndarray:
        """Current amounts of the floating species (in :attr:`species` order)."""
        return np.array(self._m.getFloatingSpeciesAmounts(), dtype=float)

    def _full_state(self, amounts: np.ndarray) -> np.ndarray:
        """A full state array (one amount per floating species) as floats; a wrong length is a ModelError."""
        if amounts.shape != (len(self._species),):
            raise ModelError(f"model {self.model.id!r}: a state needs {len(self._species)} values "
                             f"({', '.join(self._species)}), got {amounts.size}")
        return amounts.astype(float)

    def set_state(self, amounts: "np.ndarray | Mapping[str, float]") -> None:
        """Overwrite the current species amounts (time is kept)."""
        self._ss_synced = False
        if isinstance(amounts, np.ndarray):  # a full state: the current one is not needed
            current = self._full_state(amounts)
        else:
            current = self.state()
            for k, v in amounts.items():
                if k not in self._species_index:
                    self._check_id(k, "species")
                    raise ModelError(f"model {self.model.id!r}: {k!r} is not a floating species")
                current[self._species_index[k]] = float(v)
        if current.size:
            self._m.setFloatingSpeciesAmounts(self._all_species, current)

    def set_now(self, values: Mapping[str, float]) -> None:
        """Change values at the current time without resetting (a step input):
        parameters, species amounts (boundary ones too), compartment sizes."""
        m = self._m
        self._moved = True
        # a step in a parameter is made in the steady-state copy too while it
        # holds the same state (dose-response continuation); anything else
        # leaves the copy to be refreshed by the next solve
        mirror = self._ss_param_pos if self._ss_synced else None
        for k, v in values.items():
            x = float(v)
            if k in self._param_index and k in self._params:
                m.setGlobalParameterValues([self._param_index[k]], [x])
                if mirror is not None:
                    j = mirror.get(k)
                    if j is None:
                        self._ss_synced, mirror = False, None
                    else:
                        self._ss_m.setGlobalParameterValues([j], [x])
                continue
            self._ss_synced, mirror = False, None
            if k in self._species_index:
                # every amount, in the model's order: in a reduced model, setting one independent species
                # alone would move the dependent ones with it (their conserved total is kept)
                amounts = np.array(m.getFloatingSpeciesAmounts(), dtype=float)
                amounts[self._species_index[k]] = x
                m.setFloatingSpeciesAmounts(self._all_species, amounts)
            elif k in self._boundary_index:
                m.setValue(k, x)  # its amount
            elif k in self._comp_defaults:
                m.setCompartmentVolumes([self._compartment_index[k]], [x])
            elif k in self._rate_rule_ids and (k in self._param_index or k in self._compartment_index):
                m.setValue(k, x)  # a variable driven by a rate rule (with an initial assignment)
            else:
                self._check_id(k)
                raise ModelError(f"model {self.model.id!r}: {k!r} cannot be set")

    @property
    def time(self) -> float:
        return float(self._m.getTime())

    def absolute_tolerances(self) -> np.ndarray:
        """CVODE's absolute tolerance of each species amount (:attr:`species` order).

        libRoadRunner derives them from the scalar ``atol`` and the species'
        initial values unless :meth:`set_absolute_tolerances` gave them.  Not
        on a simulator with :attr:`reduced_time_courses` (CVODE integrates the
        independent species only).
        """
        self._full_system("absolute tolerances")
        return np.array(self._rr.getIntegrator().getAbsoluteToleranceVector(), dtype=float)[:len(self._species)]

    def set_absolute_tolerances(self, atol: np.ndarray) -> None:
        """Give CVODE one absolute tolerance per species amount (:attr:`species` order, > 0)."""
        self._full_system("absolute tolerances")
        vec = np.asarray(atol, dtype=float)
        if vec.shape != (len(self._species),) or not np.all(vec > 0):
            raise SimulationError(f"model {self.model.id!r}: absolute tolerances need {len(self._species)} positive values")
        self._rr.getIntegrator().setValue("absolute_tolerance", vec.tolist())

    def _full_system(self, what: str) -> None:
        if self._reduced:
            raise SimulationError(f"model {self.model.id!r}: {what} are per species of the full system; this simulator "
                                  "integrates the moiety-reduced one (moiety_analysis=True)")

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
        self._ss_synced = False
        self._m.setTime(value)

    def _select(self, selections: Sequence[str]) -> None:
        sel = tuple(selections)
        if sel != self._current_selection:
            try:
                self._rr.timeCourseSelections = list(sel)
            except RuntimeError:
                self._check_selections([s for s in sel if s != "time"])
                raise
            self._current_selection = sel

    def _check_selections(self, selections: Iterable[str]) -> list[str]:
        sel = list(selections)
        known = self._known
        for s in sel:
            if s not in known and s != "time":
                plain = s[1:-1] if s.startswith("[") and s.endswith("]") else s
                if plain in self._param_index or plain in self._compartment_index:
                    raise ModelError(f"model {self.model.id!r}: output {s!r}: only species have a concentration ([{plain}]); read {plain!r}")
                raise ModelError(f"model {self.model.id!r}: unknown output {s!r}{closest(s, sorted(known))}")
        return sel

    def advance(self, times: Sequence[float], selections: Sequence[str]) -> np.ndarray:
        """Integrate from the current state through ``times`` (first = now).

        Returns an array ``len(times) × len(selections)``; no reset, so
        successive calls continue one trajectory (dosing in segments).
        """
        return self._integrate(np.asarray(times, dtype=float), selections, uniform=False)

    def _integrate(self, times: np.ndarray, selections: Sequence[str], uniform: bool) -> np.ndarray:
        """:meth:`advance`; ``uniform``: the times are equally spaced (the
        cheaper ``simulate(start, end, points)`` call of libRoadRunner)."""
        if times.size == 1:  # nothing to integrate: the current values
            return self._values_row(selections)[None, :]
        self._select(["time", *selections])
        self._ss_synced = False
        cap = _capture()
        with cap.capture():
            try:
                if times.size == 2 or uniform:
                    out = self._simulate(float(times[0]), float(times[-1]), int(times.size))
                else:
                    out = self._simulate_at(times.tolist())
            except RuntimeError as exc:
                raise self._failure("time course", exc) from None
        cap.clear()
        return np.asarray(out)[:, 1:]

    def _simulate(self, start: float, end: float, points: int):
        """``rr.simulate(start, end, points)``, without the Python wrapper's
        per-call argument checks and integrator look-ups (a tenth of a short
        time course): libRoadRunner's own call with kept options, the same
        numbers (the integrator's fixed output steps are set at compile)."""
        if self._uniform is None:
            return self._rr.simulate(start, end, points)
        o = self._uniform
        o.start = start
        o.end = end
        o.steps = points - 1
        return self._rr._simulate(o)

    def _simulate_at(self, times: list[float]):
        """``rr.simulate(times=times)`` the same way (see :meth:`_simulate`)."""
        if self._at is None:
            return self._rr.simulate(times=times)
        self._rr._setSimulateOptionsTimes(self._at, times)
        return self._rr._simulate(self._at)

    # ------------------------------------------------------------ steady state
    def _moieties_valid(self) -> bool:
        """Whether conserved-moiety analysis keeps the model's meaning: no
        species set by rules, constant stoichiometry and compartments, no
        conversion factors (events do not matter: the steady-state copy has
        none).  libRoadRunner refuses or silently mis-handles the others."""
        if self._moiety_valid is None:
            self._moiety_valid = self._check_moieties()
        return self._moiety_valid

    def _check_moieties(self) -> bool:
        import libsbml

        doc = libsbml.readSBMLFromString(self.model.sbml)
        model = doc.getModel()
        if model is None or model.isSetConversionFactor():
            return False
        species = {s.getId() for s in model.getListOfSpecies()}
        if any(s.isSetConversionFactor() for s in model.getListOfSpecies()):
            return False
        fixed_comps = {c.getId() for c in model.getListOfCompartments() if c.getConstant()}
        for rule in model.getListOfRules():
            var = rule.getVariable() if not rule.isAlgebraic() else ""
            if var in species or (var and var not in fixed_comps and model.getCompartment(var) is not None):
                return False
        if any(model.getCompartment(c.getId()) is not None and not c.getConstant() for c in model.getListOfCompartments()):
            return False
        for r in model.getListOfReactions():
            refs = list(r.getListOfReactants()) + list(r.getListOfProducts())
            for ref in refs:
                if ref.isSetId() or (hasattr(ref, "isSetStoichiometryMath") and ref.isSetStoichiometryMath()):
                    return False
                if ref.getLevel() >= 3 and not ref.getConstant():
                    return False
        return True

    def _steady_instance(self, ignore_events: bool):
        """The compiled model steady states are solved on (made once, kept)."""
        if self._has_events and not ignore_events:
            raise SimulationError(
                f"model {self.model.id!r} has events: a steady state would ignore them (or lie past one); "
                "ask for it with the events switched off (ignore_events=True) if that is meant")
        if self._ss_rr is not None:
            return self._ss_rr
        # libRoadRunner's Newton solver is fast only on a model compiled with
        # moiety analysis (without, every solve costs a regeneration), so the
        # copy has it wherever it is valid, conservation laws or not
        moieties = self._moiety_wanted and self._moieties_valid()
        self._ss_moieties = moieties
        if self._reduced or (not moieties and not self._has_events):
            self._ss_rr = self._rr
            return self._rr
        sbml = _without_events(self.model.sbml) if self._has_events else self.model.sbml
        ss = self._compile(sbml, moieties=moieties)
        sm = ss.model
        pairs = {
            "param": ([i for i, p in enumerate(self._param_ids) if p not in self._assigned], sm.getGlobalParameterIds()),
            "comp": ([i for i, c in enumerate(self._compartments) if c not in self._assigned], sm.getCompartmentIds()),
            "boundary": ([i for i, s in enumerate(self._boundary) if s not in self._assigned], sm.getBoundarySpeciesIds()),
            "floating": (list(range(len(self._species))), sm.getFloatingSpeciesIds()),
        }
        names = {"param": self._param_ids, "comp": self._compartments, "boundary": self._boundary, "floating": self._species}
        for kind, (mine, theirs) in pairs.items():
            where = {x: j for j, x in enumerate(theirs)}
            # in the copy's order: with moiety analysis, setting a dependent species
            # (they come last) updates its conserved total from the independent ones
            keep = sorted((i for i in mine if names[kind][i] in where), key=lambda i: where[names[kind][i]])
            self._ss_map[kind] = (np.array(keep, dtype=np.int32), np.array([where[names[kind][i]] for i in keep], dtype=np.int32))
        # what a solve can change besides the species: variables of rate rules
        for kind in ("param", "comp"):
            mine, theirs = self._ss_map[kind]
            rated = np.array([names[kind][i] in self._rate_rule_ids for i in mine], dtype=bool)
            self._ss_map[f"{kind}_rated"] = (mine[rated], theirs[rated])
        b_mine, _ = self._ss_map["boundary"]
        self._ss_boundary = [self._boundary[i] for i in b_mine]
        mine, theirs = self._ss_map["param"]
        self._ss_param_pos = {self._param_ids[i]: int(j) for i, j in zip(mine.tolist(), theirs.tolist())}
        self._ss_rr, self._ss_m = ss, sm
        return ss

    def _to_steady(self) -> None:
        """Copy the complete current state of the simulator into the steady-state copy."""
        m, sm, maps = self._m, self._ss_m, self._ss_map
        sm.setTime(m.getTime())
        mine, theirs = maps["comp"]
        if mine.size:
            sm.setCompartmentVolumes(theirs, m.getCompartmentVolumes()[mine])
        mine, theirs = maps["param"]
        if mine.size:
            sm.setGlobalParameterValues(theirs, m.getGlobalParameterValues()[mine])
        if self._ss_boundary:  # boundary species (their amounts) before the floating ones
            get, put = m.getValue, sm.setValue
            for b in self._ss_boundary:
                put(b, get(b))
        mine, theirs = maps["floating"]
        if mine.size:
            sm.setFloatingSpeciesAmounts(theirs, m.getFloatingSpeciesAmounts()[mine])

    def _from_steady(self) -> None:
        """Copy the solved state back: time, species and the variables of rate
        rules (nothing else changes in a solve)."""
        m, sm, maps = self._m, self._ss_m, self._ss_map
        m.setTime(sm.getTime())
        for kind, put in (("comp_rated", m.setCompartmentVolumes), ("param_rated", m.setGlobalParameterValues)):
            mine, theirs = maps[kind]
            if mine.size:
                get = sm.getCompartmentVolumes if kind == "comp_rated" else sm.getGlobalParameterValues
                put(mine, get()[theirs])
        mine, theirs = maps["floating"]
        if mine.size:
            m.setFloatingSpeciesAmounts(mine, sm.getFloatingSpeciesAmounts()[theirs])

    def _steady(self, ignore_events: bool = False) -> None:
        """Solve for the steady state from the current state, robustly, and
        leave the simulator there (see :meth:`_solve_on`)."""
        ss = self._steady_instance(ignore_events)
        if ss is self._rr:
            self._solve_on(ss)
            return
        if not self._ss_synced:
            self._to_steady()
        self._ss_synced = False
        self._solve_on(ss, restart=self._to_steady)
        self._from_steady()
        self._ss_synced = True

    def _solve_on(self, rr, restart=None) -> None:
        """Solve for the steady state of ``rr`` from its current state.

        1. Newton (NLEQ) from the current state, strict tolerance;
        2. from the same starting state again with a looser tolerance;
        3. integrate towards the attractor (from the saved starting state, never
           from where a failed Newton run left it) in growing spans, polishing
           with Newton after each, and accept an integrated state whose rates of
           change are negligible (|dx/dt|·T < 1e-9·max(|x|, 1) over the span T).
        A state with negative amounts is never accepted.

        ``restart`` puts the starting state back (the steady-state copy takes
        it from the simulator again); without it, the state is saved first.
        """
        self._moved = True
        own = rr is self._rr
        if own and not self._reduced:  # (a moiety-reduced instance is never regenerated: they stay)
            self._init_held.clear()  # the solver may reset the initial values (see __init__)
            self._held_check_all = True
        # libRoadRunner regenerates the model of an instance compiled without
        # moiety analysis on every steady-state solve (a new ExecutableModel):
        # the kept handle is renewed after every solve, on any instance
        m = self._m if own else self._ss_m
        if restart is None:
            start = np.asarray(m.getFloatingSpeciesAmounts(), dtype=float)
            start_rated = self._rated(m)  # state too: a failed Newton run moves them
            t_start = float(m.getTime())

            def restart() -> None:
                self._restore(self._m if own else self._ss_m, start, t_start, start_rated)

        def newton() -> bool:
            nonlocal m
            try:
                rr.steadyState()
            finally:
                m = self._renew(rr)
            return self._plausible(m)

        cap = _capture()
        first: BaseException | None = None
        ok = False
        with cap.capture():
            try:
                ok = newton()
            except RuntimeError as exc:
                first = exc
            if not ok:
                restart()
                _steady_state_rtol(rr, 1e-9)
                try:
                    ok = newton()
                except RuntimeError as exc:
                    first = first or exc
                finally:
                    _steady_state_rtol(rr, _SS_RTOL)
            if not ok:
                restart()
                horizon = 1e3 * {"s": 60.0, "min": 1.0, "h": 1 / 60.0, "d": 1 / 1440.0}.get(self.time_unit, 1.0)
                t0 = float(m.getTime())
                try:
                    for span in (horizon, 10 * horizon, 100 * horizon, 1000 * horizon):
                        rr.simulate(t0, t0 + span, 2)
                        t0 += span
                        settled = self._settled(rr, m, span)
                        here = np.asarray(m.getFloatingSpeciesAmounts(), dtype=float)
                        here_rated = self._rated(m)
                        try:
                            if newton():
                                ok = True
                                break
                        except RuntimeError:
                            pass
                        self._restore(m, here, t0, here_rated)
                        if settled:
                            ok = True
                            break
                except RuntimeError as exc:
                    first = first or exc
            if not ok:
                raise self._failure("steady state", first or RuntimeError("no non-negative steady state found")) from None
        cap.clear()

    def _renew(self, rr):
        """The current model handle of ``rr`` (kept for the next calls)."""
        m = rr.model
        if rr is self._rr:
            self._m = m
        if rr is self._ss_rr and rr is not self._rr:
            self._ss_m = m
        return m

    def _rated(self, m) -> dict[str, float]:
        """Current values of the parameters and compartments driven by rate rules."""
        get = m.getValue
        return {k: float(get(k)) for k in self._rate_rule_ids if k in self._param_index or k in self._compartment_index}

    @staticmethod
    def _restore(m, amounts: np.ndarray, t: float, rated: Mapping[str, float] | None = None) -> None:
        m.setTime(t)
        if amounts.size:
            m.setFloatingSpeciesAmounts(np.arange(amounts.size, dtype=np.int32), amounts)
        for k, v in (rated or {}).items():
            m.setValue(k, v)

    def _settled(self, rr, m, span: float) -> bool:
        """Rates of change negligible over ``span`` and amounts non-negative."""
        x = np.asarray(m.getFloatingSpeciesAmounts(), dtype=float)
        rates = np.asarray(rr.getRatesOfChange(), dtype=float)
        scale = max(1.0, float(np.max(np.abs(x)))) if x.size else 1.0
        if rates.size == 0:
            return self._plausible(m)
        return bool(np.all(np.isfinite(rates)) and np.max(np.abs(rates)) * span < 1e-9 * scale and self._plausible(m))

    def solve_steady_state(self, selections: Sequence[str], *, ignore_events: bool = False) -> np.ndarray:
        """Steady state reached from the current state (no reset); returns the
        values of ``selections`` there and leaves the model in that state.

        A model with events raises :class:`SimulationError` unless
        ``ignore_events=True`` (the steady state of the model without them).
        """
        self._steady(ignore_events)
        return self._values_row(selections)

    def _plausible(self, m) -> bool:
        """Finite, non-negative (to round-off) amounts; round-off is set to zero."""
        a = m.getFloatingSpeciesAmounts()
        values = a.tolist()  # plain floats: faster than numpy for a handful of species
        if not values:
            return True
        lo, hi = min(values), max(values)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return False
        scale = max(1.0, abs(hi), abs(lo))
        if lo < -1e-7 * scale:
            return False
        atol = self.options.atol
        if lo >= 0.0 and all(v == 0.0 or v > atol for v in values):
            return True  # nothing to clean (the usual case)
        amounts = np.asarray(a, dtype=float)
        junk = _roundoff(amounts, atol)
        if junk.any():
            amounts[junk] = 0.0
            m.setFloatingSpeciesAmounts(np.arange(amounts.size, dtype=np.int32), amounts)
        return True

    def _values_row(self, selections: Sequence[str]) -> np.ndarray:
        direct, get, read = self._direct, self._m.getValue, self._read
        return np.array([get(s) if s in direct else read(s) for s in selections], dtype=float)

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

    def _frame(self, data: np.ndarray, index: "np.ndarray | object", columns: Sequence[str], index_name: str):
        import pandas as pd

        key = tuple(columns)
        cols = self._column_index.get(key)
        if cols is None:  # pandas Index objects are immutable: build each once
            cols = self._column_index[key] = pd.Index(list(columns))
        if not isinstance(index, pd.Index):
            index = pd.Index(index, name=index_name, copy=False)
        df = pd.DataFrame(data, index=index, columns=cols, copy=False)
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
            key = (end, int(n_points))
            if self._grid is not None and self._grid[0] == key:
                grid, time_index = self._grid[1], self._grid[2]  # immutable: safe to share
            else:
                import pandas as pd

                grid = np.linspace(0.0, end, int(n_points))
                grid.flags.writeable = False
                time_index = pd.Index(grid, name="time", copy=False)
                self._grid = (key, grid, time_index)
        else:
            time_index = None
            grid = np.asarray([self.model_time(t, "times") for t in times], dtype=float)
            if grid.size < 2 or np.any(np.diff(grid) <= 0):
                raise SimulationError(f"model {self.model.id!r}: times must be at least two increasing values")
        sel = self._check_selections(selections) if selections is not None else self._default_selections()
        init_state = None
        if initial is not None:
            init_state = initial if isinstance(initial, np.ndarray) else {k: v for k, v in dict(initial).items() if k in self._species_index}
        self.reset(values, init_state)
        data = self._integrate(grid, sel, uniform=times is None)
        return self._frame(data, grid if time_index is None else time_index, sel, "time")

    def steady_state(
        self,
        values: Mapping[str, float] | None = None,
        selections: Sequence[str] | None = None,
        initial: "Mapping[str, float] | np.ndarray | None" = None,
        *,
        ignore_events: bool = False,
    ):
        """The steady state with the current parameters (and overrides).

        Parameters
        ----------
        values, initial
            As for :meth:`timecourse`.
        selections
            Outputs (default: observables and species).
        ignore_events
            A model with events has no steady state unless this is true: a
            steady state would otherwise lie past an event or pretend that
            none fires.  With ``True`` it is the steady state of the model
            with its events switched off.

        Raises
        ------
        SimulationError
            The model has events and ``ignore_events`` is false, or no
            steady state was found.

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
        self._steady_instance(ignore_events)  # refuse before any work
        self.reset(values, init_state)
        self._steady(ignore_events)
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
        ignore_events: bool = False,
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
        ignore_events
            For steady-state readouts of a model with events: solve without
            them (see :meth:`steady_state`); otherwise such a model raises.

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
            self._steady_instance(ignore_events)  # refuse before any work
            for i, dose in enumerate(d):
                base[self.ligand] = dose
                # continuation: each dose starts from the previous steady state
                if i == 0:
                    self.reset(base, init_state)
                else:
                    self.set_now({self.ligand: dose})
                self._steady(ignore_events)
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
        key = ("dose", *obs)
        cols = self._column_index.get(key)
        if cols is None:  # building a pandas Index of strings costs more than the whole curve
            cols = self._column_index[key] = pd.Index(list(key))
        df = pd.DataFrame(np.column_stack([d, out]), columns=cols, copy=False)
        df.attrs["units"] = {"dose": self.model.dose_unit, **{o: self._unit(o) for o in obs}}
        df.attrs["readout"] = kind
        df.attrs["model"] = self.model.id
        return df


def _plain_dynamics(sbml: str) -> bool:
    """Whether the SBML model has neither events nor rate rules (reactions alone move its state)."""
    import libsbml

    model = libsbml.readSBMLFromString(sbml).getModel()
    return model is not None and model.getNumEvents() == 0 and not any(r.isRate() for r in model.getListOfRules())


def _without_events(sbml: str) -> str:
    """The SBML text with every event removed (for steady states with the
    events switched off)."""
    import libsbml

    doc = libsbml.readSBMLFromString(sbml)
    model = doc.getModel()
    while model.getNumEvents():
        model.removeEvent(0)
    return libsbml.writeSBMLToString(doc)
