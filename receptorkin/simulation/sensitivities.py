"""Exact forward sensitivities of model readouts with respect to parameters.

libRoadRunner 2.10's own sensitivity solver is not usable for fitting
(measured: a parameter list that is not a prefix of the model's internal order
gives all-zero rows, and values after a parameter change differ from finite
differences by ~14%; see the fitting docs).  Instead, the sensitivity
equations are generated symbolically from the model's math and compiled by
libRoadRunner as an *augmented model*:

    dx/dt = f(x, θ),        dS/dt = ∂f/∂x · S + ∂f/∂θ,       S = dx/dθ,

with ``x`` the species amounts.  Each sensitivity ``S[i, j]`` is a species of
its own (in a compartment of size 1, produced by one reaction whose rate is
the right-hand side), so the ordinary :class:`~receptorkin.simulation.Simulator`
integrates, resets and restores it together with the state, and every
simulation in segments (doses, washouts, pre-treatments) carries the
sensitivities across segment boundaries.  Readout sensitivities
``dy/dθ = ∂g/∂x · S + ∂g/∂θ`` are assignment rules of the augmented model.

Initial sensitivities come from the initial values and initial assignments;
steady-state sensitivities from the implicit function theorem,
``dx*/dθ = −J⁻¹ ∂f/∂θ`` (with the conservation laws of the stoichiometry
added as constraints when ``J`` is singular).  Events that fire at fixed
times (triggers that do not depend on the estimated parameters) are
supported: the jump ``x⁺ = h(x⁻, θ)`` carries ``S⁺ = ∂h/∂x · S⁻ + ∂h/∂θ``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

import numpy as np

from ..errors import ModelError
from ..models.sbml import Model, load_model

__all__ = ["SensitivityModel", "Sensitivities", "SensitivitySimulator", "sensitivity_id", "readout_sensitivity_id"]

_PREFIX = "rk_S"

# How much looser than the states' the sensitivities' absolute tolerances are (on the log-parameter scale).
# Measured in one run (benchmarks/bench_gradients.py problems, errors against rtol 1e-12 gradients, relative
# to the largest entry): factor 1: 20-parameter problem 10.5x one objective, error 1.8e-8, Brannmark 22.6x,
# 8.9e-10; factor 1e4: 7.9x, 4.1e-8 and 16.5x, 9.4e-9.  The states' error control, not the sensitivities',
# sets the accuracy; the looser test saves CVODE steps.
_ATOL_FACTOR = 1e4


def sensitivity_id(species: str, parameter: str) -> str:
    """Id of the species that holds ``d species / d parameter`` in the augmented model."""
    return f"{_PREFIX}__{species}__{parameter}"


def readout_sensitivity_id(readout: str, parameter: str) -> str:
    """Id of the assignment rule that holds ``d readout / d parameter``."""
    return f"{_PREFIX}y__{readout}__{parameter}"


def _printer():
    from sympy.printing.str import StrPrinter

    class SBMLPrinter(StrPrinter):
        """sympy expression -> SBML L3 infix formula (libsbml ``parseL3Formula``)."""

        def _print_Pow(self, expr, rational=False):
            base, exp = expr.as_base_exp()
            if exp == -1:
                return f"(1 / ({self._print(base)}))"
            return f"pow({self._print(base)}, {self._print(exp)})"

        def _print_Rational(self, expr):
            return f"({expr.p} / {expr.q})"

        def _print_Float(self, expr):
            return repr(float(expr))

        def _print_Integer(self, expr):
            return str(int(expr))

        def _print_Exp1(self, expr):
            return "exponentiale"

        def _print_Pi(self, expr):
            return "pi"

        def _print_Function(self, expr):
            name = {"log": "ln"}.get(expr.func.__name__, expr.func.__name__)
            return f"{name}({', '.join(self._print(a) for a in expr.args)})"

        def _print_Piecewise(self, expr):
            parts = []
            for value, cond in expr.args:
                if cond is True or str(cond) == "True":
                    parts.append(self._print(value))
                else:
                    parts += [self._print(value), self._print_cond(cond)]
            return f"piecewise({', '.join(parts)})"

        def _print_cond(self, cond):
            import sympy as sp

            ops = {sp.StrictLessThan: "lt", sp.LessThan: "leq", sp.StrictGreaterThan: "gt",
                   sp.GreaterThan: "geq", sp.Equality: "eq", sp.Unequality: "neq"}
            for cls, name in ops.items():
                if isinstance(cond, cls):
                    return f"{name}({self._print(cond.lhs)}, {self._print(cond.rhs)})"
            if isinstance(cond, sp.And):
                return f"and({', '.join(self._print_cond(a) for a in cond.args)})"
            if isinstance(cond, sp.Or):
                return f"or({', '.join(self._print_cond(a) for a in cond.args)})"
            raise ModelError(f"sensitivities: cannot write the condition {cond} as SBML")

    return SBMLPrinter()


@dataclass
class _Math:
    """A model's math as sympy expressions of species amounts and parameters."""

    species: list[str]
    amount: dict  # species id -> sympy symbol of its amount
    symbol_of_species: dict  # species id -> expression of the SBML symbol in amounts (amount / V)
    rhs: list  # d amount / dt, one per species, assignment rules substituted
    rules: dict  # rule target -> expression (substituted) of amounts and constants
    initial: dict  # species id -> expression of the initial amount in parameters
    symbols: dict  # id -> sympy Symbol
    stoichiometry: np.ndarray  # species × reactions
    events: list  # (event, {species id: expression of the new amount})
    compartment: dict = field(default_factory=dict)  # species id -> its compartment id


class SensitivityModel:
    """A model augmented with its forward sensitivity equations.

    Parameters
    ----------
    model
        Bundled id, path, SBML/Antimony text or :class:`~receptorkin.models.Model`.
    parameters
        Ids of the constant global parameters to differentiate with respect to.
    readouts
        Ids of the readouts (species or assignment-rule variables) whose
        sensitivities are wanted.

    Attributes
    ----------
    augmented
        The augmented :class:`~receptorkin.models.Model` (simulate it with the
        ordinary :class:`~receptorkin.simulation.Simulator`).
    species
        The original floating species.
    parameters, readouts
        As given.
    """

    def __init__(self, model: "Model | str", parameters: Sequence[str], readouts: Sequence[str]) -> None:
        self.model: Model = load_model(model)
        self.parameters = list(dict.fromkeys(parameters))
        self.readouts = list(dict.fromkeys(readouts))
        known = self.model.parameters
        for p in self.parameters:
            if p not in known:
                raise ModelError(f"model {self.model.id!r}: sensitivities need constant global parameters; {p!r} is not one")
        if self.model.ligand in self.parameters:
            raise ModelError(f"model {self.model.id!r}: {self.model.ligand!r} is the ligand input, which doses set")
        self._math = self._read(self.model.sbml)
        ids = set(self._math.species) | set(self._math.rules) | set(known)
        for r in self.readouts:
            if r not in ids:
                raise ModelError(f"model {self.model.id!r}: unknown readout {r!r}")
        self._build_numeric()
        self.augmented: Model = replace(self.model, sbml=self._augment())

    # ------------------------------------------------------------ reading
    def _read(self, sbml: str) -> _Math:
        import libsbml
        import sympy as sp
        from sympy.parsing.sympy_parser import parse_expr

        doc = libsbml.readSBMLFromString(sbml)
        m = doc.getModel()
        mid = self.model.id
        if m.getNumFunctionDefinitions():
            # inline function definitions so the math is plain expressions
            conv = libsbml.ConversionProperties()
            conv.addOption("expandFunctionDefinitions", True)
            doc.convert(conv)
            m = doc.getModel()
        symbols: dict[str, object] = {}
        settings = libsbml.L3ParserSettings()
        settings.setParseUnits(False)  # numbers without their units ("1 dimensionless" -> "1")

        def sym(ident: str):
            if ident not in symbols:
                symbols[ident] = sp.Symbol(ident, real=True)
            return symbols[ident]

        for coll in (m.getListOfCompartments(), m.getListOfSpecies(), m.getListOfParameters()):
            for el in coll:
                sym(el.getId())
        time = sym("time")

        def parse(ast, local: Mapping[str, float] | None = None, where: str = ""):
            if ast is None:
                raise ModelError(f"model {mid!r}: {where} has no math")
            text = libsbml.formulaToL3StringWithSettings(ast, settings)
            text = text.replace("^", "**").replace("&&", "&").replace("||", "|")
            names = {k: v for k, v in symbols.items()}
            names.update({"time": time, "t": sym("t") if "t" in symbols else time,
                          "ln": sp.log, "exp": sp.exp, "pow": lambda a, b: a ** b, "sqrt": sp.sqrt,
                          "abs": sp.Abs, "exponentiale": sp.E, "pi": sp.pi,
                          "log10": lambda a: sp.log(a, 10), "min": sp.Min, "max": sp.Max,
                          "true": sp.true, "false": sp.false})
            for k, v in (local or {}).items():
                names[k] = sp.Float(v)
            names["piecewise"] = _piecewise
            if "delay" in text or "==" in text or "!=" in text:
                raise ModelError(f"model {mid!r}: {where}: delays and equality tests are not supported by "
                                 "the sensitivity equations")
            try:
                return parse_expr(text, local_dict=names, evaluate=True)
            except Exception as exc:  # sympy raises many types on text it cannot read
                raise ModelError(f"model {mid!r}: {where}: cannot read {text!r} for sensitivities ({exc})") from None

        comp_size = {c.getId(): c.getSize() for c in m.getListOfCompartments()}
        species = [s.getId() for s in m.getListOfSpecies() if not s.getBoundaryCondition() and not s.getConstant()]
        amount = {s: sp.Symbol(f"{_PREFIX}amount__{s}", real=True) for s in species}
        symbol_of_species = {}
        for s in m.getListOfSpecies():
            sid = s.getId()
            if sid not in amount:
                continue
            if s.getHasOnlySubstanceUnits():
                symbol_of_species[sid] = amount[sid]
            else:
                symbol_of_species[sid] = amount[sid] / sym(s.getCompartment())
        for r in m.getListOfRules():
            if r.isRate():
                raise ModelError(f"model {mid!r}: rate rules ({r.getVariable()!r}) are not supported by the sensitivity equations")
            if r.isAlgebraic():
                raise ModelError(f"model {mid!r}: algebraic rules are not supported")
        raw_rules = {r.getVariable(): parse(r.getMath(), where=f"rule {r.getVariable()!r}")
                     for r in m.getListOfRules() if r.isAssignment()}
        for v in raw_rules:
            if v in amount:
                raise ModelError(f"model {mid!r}: species {v!r} set by an assignment rule is not supported by the sensitivity equations")
        # substitute rules into each other until closed (SBML forbids cycles)
        rules: dict = {}
        base_subs = {sym(s): e for s, e in symbol_of_species.items()}

        def expand(expr, depth=0):
            if depth > 200:
                raise ModelError(f"model {mid!r}: assignment rules are nested too deeply")
            expr = expr.subs(base_subs)
            hits = {symbols[v]: raw_rules[v] for v in raw_rules if symbols[v] in expr.free_symbols}
            if not hits:
                return expr
            return expand(expr.subs(hits), depth + 1)

        for v, e in raw_rules.items():
            rules[v] = expand(e)
        # reactions
        model_cf = m.getConversionFactor() if m.isSetConversionFactor() else ""
        conversion = {}
        for el in m.getListOfSpecies():
            cf = el.getConversionFactor() if el.isSetConversionFactor() else model_cf
            if cf and el.getId() in amount:
                conversion[el.getId()] = cf
        rhs = [sp.Integer(0)] * len(species)
        index = {s: i for i, s in enumerate(species)}
        N = np.zeros((len(species), m.getNumReactions()))
        for k, rxn in enumerate(m.getListOfReactions()):
            kl = rxn.getKineticLaw()
            local = {}
            if kl is not None:
                for lp in list(kl.getListOfLocalParameters()) + list(kl.getListOfParameters()):
                    local[lp.getId()] = lp.getValue()
            rate = expand(parse(kl.getMath() if kl else None, local, where=f"reaction {rxn.getId()!r}"))
            for ref, sign in [(r, -1.0) for r in rxn.getListOfReactants()] + [(p, 1.0) for p in rxn.getListOfProducts()]:
                sid = ref.getSpecies()
                if sid not in index:
                    continue
                if not ref.getConstant() and m.getInitialAssignment(ref.getId()) is not None:
                    raise ModelError(f"model {mid!r}: variable stoichiometry is not supported")
                st = ref.getStoichiometry() if ref.isSetStoichiometry() else 1.0
                term = sp.nsimplify(sign * st) * rate
                if sid in conversion:  # SBML conversion factor: reaction extent -> species amount
                    term = term * sym(conversion[sid])
                    cf_par = m.getParameter(conversion[sid])
                    st *= cf_par.getValue() if cf_par is not None and cf_par.isSetValue() else 1.0
                N[index[sid], k] += sign * st
                rhs[index[sid]] = rhs[index[sid]] + term
        # switches (piecewise) must depend on time and fixed quantities only: a switch that moves
        # with a parameter or the state would make the sensitivities jump, which is not modelled here
        moving = set(self.parameters) | {str(a) for a in amount.values()}
        for i, e in enumerate(rhs):
            for pw in e.atoms(sp.Piecewise):
                for _, cond in pw.args:
                    names_in = {str(v) for v in getattr(cond, "free_symbols", set())}
                    if names_in & moving:
                        raise ModelError(f"model {mid!r}: the rate of {species[i]!r} switches on a condition that "
                                         f"depends on {', '.join(sorted(names_in & moving))}; only switches at fixed "
                                         "times are supported by the sensitivity equations")
        # initial amounts: values, then initial assignments, with rules
        ia = {a.getSymbol(): parse(a.getMath(), where=f"initial assignment of {a.getSymbol()!r}")
              for a in m.getListOfInitialAssignments()}
        for target in ia:
            if target in comp_size and target not in species:
                raise ModelError(f"model {mid!r}: initial assignments to compartments are not supported")
        init_sym = {}
        for s in m.getListOfSpecies():
            sid = s.getId()
            if sid in ia:
                init_sym[sid] = ia[sid]
            elif s.isSetInitialAmount():
                init_sym[sid] = sp.Float(s.getInitialAmount())
            elif s.isSetInitialConcentration():
                val = sp.Float(s.getInitialConcentration())
                init_sym[sid] = val if s.getHasOnlySubstanceUnits() else val
            else:
                init_sym[sid] = sp.Float(0.0)
        # expressions of parameters only: substitute rules / initial assignments of parameters / species
        param_ia = {symbols[k]: v for k, v in ia.items() if k not in amount}
        rule_subs = {symbols[k]: v for k, v in raw_rules.items()}

        def initial_expr(expr, depth=0):
            if depth > 200:
                raise ModelError(f"model {mid!r}: initial assignments are nested too deeply")
            subs = {}
            for s_ in expr.free_symbols:
                if s_ in param_ia:
                    subs[s_] = param_ia[s_]
                elif s_ in rule_subs:
                    subs[s_] = rule_subs[s_]
                elif str(s_) in init_sym and str(s_) in amount:
                    subs[s_] = init_sym[str(s_)]
            return initial_expr(expr.subs(subs), depth + 1) if subs else expr

        initial = {}
        for s in m.getListOfSpecies():
            sid = s.getId()
            if sid not in amount:
                continue
            e = initial_expr(init_sym[sid])
            if not s.getHasOnlySubstanceUnits():
                e = e * sym(s.getCompartment())  # the value is a concentration
            initial[sid] = e
        # events: fixed-time triggers, assignments to species
        params_set = set(self.parameters)
        events = []
        for ev in m.getListOfEvents():
            trig = ev.getTrigger()
            text = libsbml.formulaToL3String(trig.getMath()) if trig is not None else ""
            names_in = set(_ast_names(trig.getMath())) if trig is not None else set()
            bad = (names_in & params_set) | (names_in & set(species))
            if bad:
                raise ModelError(f"model {mid!r}: event {ev.getId() or text!r}: its trigger depends on "
                                 f"{', '.join(sorted(bad))}; only triggers at fixed times are supported by the sensitivity equations")
            if ev.isSetDelay():
                delay_names = set(_ast_names(ev.getDelay().getMath()))
                if delay_names & params_set:
                    raise ModelError(f"model {mid!r}: event {ev.getId()!r}: a delay that depends on an estimated parameter is not supported")
            jumps = {}
            for ea in ev.getListOfEventAssignments():
                v = ea.getVariable()
                if v not in amount:
                    if v in params_set:
                        raise ModelError(f"model {mid!r}: event {ev.getId()!r} assigns the estimated parameter {v!r}")
                    raise ModelError(f"model {mid!r}: event {ev.getId()!r} assigns {v!r}; only events that assign "
                                     "species are supported by the sensitivity equations")
                e = expand(parse(ea.getMath(), where=f"event {ev.getId()!r}"))
                sp_el = m.getSpecies(v)
                if not sp_el.getHasOnlySubstanceUnits():
                    e = e * sym(sp_el.getCompartment())
                jumps[v] = e
            events.append((ev.getId(), jumps))
        compartment = {s.getId(): s.getCompartment() for s in m.getListOfSpecies()}
        return _Math(species, amount, symbol_of_species, rhs, rules, initial, symbols, N, events, compartment)

    # ---------------------------------------------------------- numerics
    def _theta(self):
        return [self._math.symbols[p] for p in self.parameters]

    def _readout_expr(self, r: str):
        mm = self._math
        if r in mm.amount:  # a species id selects its amount (libRoadRunner; "[id]" is the concentration)
            return mm.amount[r]
        if r in mm.rules:
            return mm.rules[r]
        return mm.symbols[r]

    def _build_numeric(self) -> None:
        import sympy as sp

        mm = self._math
        x = [mm.amount[s] for s in mm.species]
        theta = self._theta()
        f = sp.Matrix(mm.rhs)
        self._J = f.jacobian(x) if x else sp.zeros(0, 0)
        self._F = f.jacobian(theta) if theta else sp.zeros(len(x), 0)
        init = sp.Matrix([mm.initial[s] for s in mm.species])
        self._S0 = init.jacobian(theta) if theta else sp.zeros(len(x), 0)
        others = sorted({s for e in list(f) + list(init) for s in e.free_symbols} - set(x), key=str)
        self._args = x + others
        self._arg_names = [str(s) for s in others]
        self._f_J = sp.lambdify(self._args, self._J, "numpy")
        self._f_F = sp.lambdify(self._args, self._F, "numpy")
        self._f_S0 = sp.lambdify(self._args, self._S0, "numpy")
        self.structure = self._structure()
        self.kept = np.flatnonzero(self.structure.reshape(-1))

    def _structure(self) -> np.ndarray:
        """Which sensitivities can be non-zero (species × parameters): those of the
        species a parameter's rate term, initial value or event jump touches, and of
        every species their sensitivity flows to (through the Jacobian, event jumps
        and, at steady states, the conservation laws).  The others stay exactly 0
        and are not integrated."""
        import sympy as sp

        mm = self._math
        x = [mm.amount[s] for s in mm.species]
        theta = self._theta()
        n, q = len(x), len(theta)
        nz = np.array([[self._F[i, j] != 0 or self._S0[i, j] != 0 for j in range(q)] for i in range(n)],
                      dtype=bool).reshape(n, q)
        flow = np.array([[self._J[i, k] != 0 for k in range(n)] for i in range(n)], dtype=bool).reshape(n, n)
        index = {s: i for i, s in enumerate(mm.species)}
        for _, jumps in mm.events:
            for sid, h in jumps.items():
                i = index[sid]
                nz[i] |= np.array([sp.diff(h, t) != 0 for t in theta], dtype=bool)
                flow[i] |= np.array([sp.diff(h, xk) != 0 for xk in x], dtype=bool)
        N = mm.stoichiometry
        groups = []
        if N.size:
            u, sv, _ = np.linalg.svd(N)
            rank = int(np.sum(sv > 1e-10 * max(1.0, sv.max() if sv.size else 1.0)))
            groups = [np.flatnonzero(np.abs(row) > 1e-12) for row in u[:, rank:].T]
        while True:
            new = nz | ((flow.astype(int) @ nz.astype(int)) > 0)
            for g in groups:
                new[g] |= new[g].any(axis=0)
            if np.array_equal(new, nz):
                return nz
            nz = new

    def _expand(self, block: np.ndarray) -> np.ndarray:
        """The kept sensitivities (state order) as the full species × parameters matrix."""
        S = np.zeros(self.structure.size)
        S[self.kept] = block
        return S.reshape(self.structure.shape)

    def _values(self, amounts: np.ndarray, values: Mapping[str, float]) -> list[float]:
        out = list(map(float, amounts))
        for name in self._arg_names:
            if name not in values:
                raise ModelError(f"model {self.model.id!r}: sensitivities need the value of {name!r}")
            out.append(float(values[name]))
        return out

    def jacobian(self, amounts: np.ndarray, values: Mapping[str, float]) -> np.ndarray:
        """∂f/∂x at a state (species amounts) and parameter values."""
        n = len(self._math.species)
        return np.asarray(self._f_J(*self._values(amounts, values)), dtype=float).reshape(n, n)

    def parameter_jacobian(self, amounts: np.ndarray, values: Mapping[str, float]) -> np.ndarray:
        """∂f/∂θ at a state and parameter values (species × parameters)."""
        n = len(self._math.species)
        return np.asarray(self._f_F(*self._values(amounts, values)), dtype=float).reshape(n, len(self.parameters))

    def initial_sensitivities(self, values: Mapping[str, float]) -> np.ndarray:
        """d x(0) / dθ from initial values and initial assignments (species × parameters)."""
        n = len(self._math.species)
        zeros = np.zeros(n)
        return np.asarray(self._f_S0(*self._values(zeros, values)), dtype=float).reshape(n, len(self.parameters))

    def steady_state_sensitivities(self, amounts: np.ndarray, values: Mapping[str, float],
                                   before: np.ndarray | None = None) -> np.ndarray:
        """dx*/dθ = −J⁻¹ ∂f/∂θ at a steady state (implicit function theorem).

        When the stoichiometry has conservation laws ``L x = T`` (``J`` is then
        singular), the totals keep the sensitivities they had ``before`` the
        steady state was sought: ``L S* = L S_before``.
        """
        J = self.jacobian(amounts, values)
        F = self.parameter_jacobian(amounts, values)
        N = self._math.stoichiometry
        # left null space of N: conservation laws
        if N.size:
            u, s, _ = np.linalg.svd(N)
            rank = int(np.sum(s > 1e-10 * max(1.0, s.max() if s.size else 1.0)))
            L = u[:, rank:].T
        else:
            L = np.eye(len(amounts))
        if L.shape[0] == 0:
            return -np.linalg.solve(J, F)
        B = np.zeros_like(F) if before is None else before
        A = np.vstack([J, L])
        rhs = np.vstack([-F, L @ B])
        sol, *_ = np.linalg.lstsq(A, rhs, rcond=None)
        return sol

    # ---------------------------------------------------------- augmented SBML
    def _augment(self) -> str:
        import libsbml
        import sympy as sp

        mm = self._math
        printer = _printer()
        doc = libsbml.readSBMLFromString(self.model.sbml)
        m = doc.getModel()
        comp = m.createCompartment()
        comp.setId(f"{_PREFIX}_compartment")
        comp.setConstant(True)
        comp.setSize(1.0)
        comp.setSpatialDimensions(3)
        x = [mm.amount[s] for s in mm.species]
        theta = self._theta()
        S = {(i, j): sp.Symbol(sensitivity_id(s, p), real=True) if self.structure[i, j] else sp.Integer(0)
             for i, s in enumerate(mm.species) for j, p in enumerate(self.parameters)}
        # amount symbols -> SBML symbols (amount = value × V for concentration species)
        to_sbml = {}
        for s in mm.species:
            sbml_sym = mm.symbols[s]
            expr_in_amount = mm.symbol_of_species[s]
            # amount = value (substance-unit species) or value × compartment size
            to_sbml[mm.amount[s]] = sbml_sym * sp.simplify(mm.amount[s] / expr_in_amount)

        def formula(expr) -> str:
            expr = expr.subs(to_sbml)
            return printer.doprint(expr)

        def add_math(obj, expr, where):
            ast = libsbml.parseL3Formula(formula(expr))
            if ast is None:
                raise ModelError(f"model {self.model.id!r}: cannot write the sensitivity of {where} as SBML "
                                 f"({libsbml.getLastParseL3Error()})")
            obj.setMath(ast)

        for (i, j), s_sym in S.items():
            if not self.structure[i, j]:
                continue
            sp_el = m.createSpecies()
            sp_el.setId(str(s_sym))
            sp_el.setCompartment(comp.getId())
            sp_el.setHasOnlySubstanceUnits(True)
            sp_el.setBoundaryCondition(False)
            sp_el.setConstant(False)
            sp_el.setInitialAmount(0.0)
        n, q = len(x), len(theta)

        def shared(ident: str, expr):
            """A non-constant entry used by every parameter's equations becomes one
            assignment rule, evaluated once per right-hand side (not q times)."""
            if expr.is_number:
                return expr
            par = m.createParameter()
            par.setId(ident)
            par.setConstant(False)
            par.setValue(0.0)
            rule = m.createAssignmentRule()
            rule.setVariable(ident)
            add_math(rule, expr, ident)
            return sp.Symbol(ident, real=True)

        Jsym = {(i, k): shared(f"{_PREFIX}J__{mm.species[i]}__{mm.species[k]}", self._J[i, k])
                for i in range(n) for k in range(n) if self._J[i, k] != 0}
        for i in range(n):
            for j in range(q):
                if not self.structure[i, j]:
                    continue
                expr = self._F[i, j] + sum((Jsym[(i, k)] * S[(k, j)] for k in range(n) if (i, k) in Jsym),
                                           sp.Integer(0))
                rxn = m.createReaction()
                rxn.setId(f"{_PREFIX}r__{mm.species[i]}__{self.parameters[j]}")
                rxn.setReversible(False)
                prod = rxn.createProduct()
                prod.setSpecies(str(S[(i, j)]))
                prod.setStoichiometry(1.0)
                prod.setConstant(True)
                kl = rxn.createKineticLaw()
                add_math(kl, expr, f"{mm.species[i]} w.r.t. {self.parameters[j]}")
        # readout sensitivities as assignment rules
        for r in self.readouts:
            g = self._readout_expr(r)
            dg = {k: sp.diff(g, x[k]) for k in range(n)}
            dg = {k: shared(f"{_PREFIX}G__{r}__{mm.species[k]}", e) for k, e in dg.items() if e != 0}
            for j, p in enumerate(theta):
                expr = sp.diff(g, p) + sum((dg[k] * S[(k, j)] for k in dg), sp.Integer(0))
                par = m.createParameter()
                par.setId(readout_sensitivity_id(r, self.parameters[j]))
                par.setConstant(False)
                par.setValue(0.0)
                rule = m.createAssignmentRule()
                rule.setVariable(par.getId())
                add_math(rule, expr, f"readout {r} w.r.t. {self.parameters[j]}")
        # event jumps of the sensitivities
        for ev_id, jumps in mm.events:
            ev = m.getEvent(ev_id) if ev_id else None
            if ev is None:
                raise ModelError(f"model {self.model.id!r}: events need ids for sensitivities")
            for i, s in enumerate(mm.species):
                if s not in jumps:
                    continue
                h = jumps[s]
                for j, p in enumerate(theta):
                    if not self.structure[i, j]:
                        continue
                    expr = sp.diff(h, p) + sum((sp.diff(h, x[k]) * S[(k, j)] for k in range(n)), sp.Integer(0))
                    ea = ev.createEventAssignment()
                    ea.setVariable(str(S[(i, j)]))
                    add_math(ea, expr, f"event {ev_id} on {s} w.r.t. {self.parameters[j]}")
        return libsbml.writeSBMLToString(doc)

    # ---------------------------------------------------------- helpers for runs
    def state_columns(self, species_order: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Positions, in a Simulator's species order, of the original species and
        of the sensitivities that can be non-zero (:attr:`kept`, row-major species × parameters)."""
        pos = {s: i for i, s in enumerate(species_order)}
        xi = np.array([pos[s] for s in self._math.species], dtype=int)
        ids = [sensitivity_id(s, p) for s in self._math.species for p in self.parameters]
        si = np.array([pos[ids[k]] for k in self.kept], dtype=int)
        return xi, si

    @property
    def species(self) -> list[str]:
        return list(self._math.species)

    def compartment_of(self, species: str) -> str:
        """The compartment of a species."""
        return self._math.compartment[species]

    def readout_selections(self) -> list[str]:
        """Selections of the readout sensitivities (readout-major)."""
        return [readout_sensitivity_id(r, p) for r in self.readouts for p in self.parameters]


def _piecewise(*args):
    """SBML ``piecewise(value1, condition1, ..., otherwise)`` as a sympy Piecewise."""
    import sympy as sp

    pairs = [(args[i], args[i + 1]) for i in range(0, len(args) - 1, 2)]
    if len(args) % 2:
        pairs.append((args[-1], True))
    return sp.Piecewise(*pairs)


def _ast_names(ast) -> list[str]:
    import libsbml

    out = []
    if ast is None:
        return out
    if ast.getType() == libsbml.AST_NAME:
        out.append(ast.getName())
    for i in range(ast.getNumChildren()):
        out += _ast_names(ast.getChild(i))
    return out


class Sensitivities:
    """Forward sensitivities carried through runs of the augmented model.

    The experiment runner's sensitivity mode (``prepare(sens.simulator,
    experiment, sensitivities=sens)``, see :mod:`receptorkin.dosing.run`)
    calls this object where the sensitivity block needs more than
    integration: initial sensitivities after a reset (initial values and
    initial assignments), zero rows for species a run sets to a value, the
    implicit function theorem at steady states (solved on the original
    model), and the readout sensitivities of the selections it reads.

    Parameters
    ----------
    model
        The model (anything :func:`~receptorkin.models.load_model` accepts).
    parameters
        Constant global parameters to differentiate with respect to.
    readouts
        Readouts (species or assignment-rule variables) whose sensitivities
        may be selected.
    ligand
        The model's dose input (default: the model's declared ligand).
    rtol, atol, max_steps
        Solver settings of the augmented model (the sensitivities share the
        state's error control).
    base
        A :class:`~receptorkin.simulation.Simulator` of the original model to
        solve steady states on (default: one compiled on first use).

    Attributes
    ----------
    equations
        The :class:`SensitivityModel`.
    simulator
        The :class:`~receptorkin.simulation.Simulator` of the augmented model.
    """

    def __init__(self, model: "Model | str", parameters: Sequence[str], readouts: Sequence[str], *,
                 ligand: str | None = None, rtol: float = 1e-8, atol: float = 1e-10, max_steps: int = 100_000,
                 base=None) -> None:
        from .simulator import Simulator

        self.equations = SensitivityModel(load_model(model).with_ligand(ligand), parameters, readouts)
        self.simulator = Simulator(self.equations.augmented, rtol=rtol, atol=atol, max_steps=max_steps,
                                   moiety_analysis=False)
        self._x_idx, self._s_idx = self.equations.state_columns(self.simulator.species)
        self._n, self._q = self._x_idx.size, len(self.equations.parameters)
        self._row = {s: i for i, s in enumerate(self.equations.species)}
        self._base = base
        self._options = (rtol, atol, max_steps)
        self._s0_zero = all(e == 0 for e in self.equations._S0)
        boundary = set(self.simulator.boundary_species)
        for name in self.equations._arg_names:
            if name in boundary:
                raise ModelError(f"model {self.equations.model.id!r}: sensitivities do not support the boundary "
                                 f"species {name!r} in the rate laws or initial assignments")
        self._columns: dict[tuple[str, ...], list[str]] = {}
        # error control: S[i, j] = d x_i / d θ_j is held to x_i's absolute tolerance divided by |θ_j| (the
        # log-parameter sensitivity θ_j S[i, j] has x_i's units), times _ATOL_FACTOR, set for the θ of each run
        self._atol = self.simulator.absolute_tolerances()
        self._atol_x = self._atol[self._x_idx] * _ATOL_FACTOR
        self._atol_theta: np.ndarray | None = None

    @property
    def parameters(self) -> list[str]:
        return list(self.equations.parameters)

    @property
    def readouts(self) -> list[str]:
        return list(self.equations.readouts)

    def _tolerances(self, values: "Mapping[str, float] | None" = None) -> None:
        """Scale the sensitivities' absolute tolerances to the current parameter values
        (``values``: the overrides of the reset just made, which hold the current values)."""
        get = self.simulator.get
        given = values or {}
        theta = np.array([abs(float(given[p])) if p in given else abs(get(p)) for p in self.equations.parameters])
        if self._atol_theta is not None and np.array_equal(theta, self._atol_theta):
            return
        self._atol_theta = theta
        scale = np.where(theta > 0, theta, 1.0)
        self._atol[self._s_idx] = (self._atol_x[:, None] / scale[None, :]).reshape(-1)[self.equations.kept]
        self.simulator.set_absolute_tolerances(self._atol)

    # ------------------------------------------------------------ state
    def _values(self) -> dict[str, float]:
        """The values the sensitivity formulas need, as the augmented model holds them now."""
        get = self.simulator.get
        return {name: get(name) for name in self.equations._arg_names}

    def sensitivities(self) -> np.ndarray:
        """Current state sensitivities d amount / dθ (species × parameters)."""
        return self.equations._expand(self.simulator.state()[self._s_idx])

    def _write(self, full: np.ndarray, S: np.ndarray) -> None:
        full[self._s_idx] = _clean(S).reshape(-1)[self.equations.kept]
        self.simulator.set_state(full)

    def restart(self, values: "Mapping[str, float] | None", state: "np.ndarray | Mapping[str, float] | None") -> None:
        """After the augmented Simulator's reset with ``values`` and ``state``:
        initial sensitivities (kept from a full augmented ``state``), zero rows
        for the species ``values`` or a partial ``state`` set."""
        self._tolerances(values)
        fixed = [k for k in (values or {}) if k in self._row]
        if isinstance(state, Mapping):
            fixed += [k for k in state if k in self._row]
        full = self.simulator.state()
        if isinstance(state, np.ndarray):
            # the sensitivities as given: a reset zeroes values below the solver's absolute tolerance
            # as round-off, but a sensitivity to a large parameter is small without being round-off
            S = self.equations._expand(np.asarray(state, dtype=float)[self._s_idx])
        elif self._s0_zero:
            if fixed:
                self.zero(fixed)
            return
        else:
            S = self.equations.initial_sensitivities(self._values())
        for k in fixed:
            S[self._row[k], :] = 0.0
        self._write(full, S)

    def zero(self, species: Sequence[str]) -> None:
        """Species set to a given value now: their sensitivities are zero."""
        rows = [self._row[k] for k in species if k in self._row]
        if not rows:
            return
        full = self.simulator.state()
        S = self.equations._expand(full[self._s_idx])
        S[rows, :] = 0.0
        self._write(full, S)

    def _base_simulator(self):
        if self._base is None:
            from .simulator import Simulator

            rtol, atol, max_steps = self._options
            self._base = Simulator(self.equations.model, rtol=rtol, atol=atol, max_steps=max_steps)
        return self._base

    def steady_state(self, *, ignore_events: bool = False) -> None:
        """Move the augmented model to the steady state reached from its current
        state: the state solved on the original model (the sensitivity block may
        be negative, which a steady-state search rightly refuses for amounts),
        the sensitivities by the implicit function theorem."""
        sim = self.simulator
        base = self._base_simulator()
        full = sim.state()
        species = self.equations.species
        before = self.equations._expand(full[self._s_idx])
        get = sim.get
        params = {p: get(p) for p in base.parameters}
        base.reset({**params, **dict(zip(species, full[self._x_idx]))})
        base.solve_steady_state((), ignore_events=ignore_events)
        order = {s: i for i, s in enumerate(base.species)}
        reached = base.state()
        x = np.array([reached[order[s]] for s in species])
        full[self._x_idx] = x
        sim.set_state(full)
        S = self.equations.steady_state_sensitivities(x, self._values(), before)
        self._write(full, S)

    # ------------------------------------------------------------ readouts
    def columns(self, selections: Sequence[str]) -> list[str]:
        """Selection ids of the readout sensitivities of ``selections``
        (``q`` per selection other than ``time``; ``[S]`` reads S's)."""
        key = tuple(selections)
        hit = self._columns.get(key)
        if hit is None:
            hit = []
            known = set(self.equations.readouts)
            for s in selections:
                if s == "time":
                    continue
                r = s[1:-1] if s.startswith("[") and s.endswith("]") else s
                if r not in known:
                    raise ModelError(f"model {self.equations.model.id!r}: no sensitivities of {s!r} were built "
                                     f"(built: {', '.join(self.equations.readouts)})")
                hit += [readout_sensitivity_id(r, p) for p in self.equations.parameters]
            self._columns[key] = hit
        return hit

    def split(self, raw: np.ndarray, selections: Sequence[str]) -> np.ndarray:
        """Readout sensitivities ``rows × len(selections) × q`` from the columns
        :meth:`columns` selected (``raw``: rows × those columns)."""
        q = self._q
        raw = np.asarray(raw, dtype=float)
        out = np.zeros((raw.shape[0], len(selections), q))
        col = 0
        for c, s in enumerate(selections):
            if s == "time":
                continue
            block = raw[:, col:col + q]
            col += q
            if s.startswith("["):  # a concentration: the readout sensitivity is of the amount
                block = block / self.simulator.get(self.equations.compartment_of(s[1:-1]))
            out[:, c, :] = block
        return out


class SensitivitySimulator:
    """Simulate the augmented model step by step: readouts and their exact sensitivities.

    Mirrors the segment-wise API of :class:`~receptorkin.simulation.Simulator`
    (``reset``, ``set_now``, ``advance``, ``solve_steady_state``, ``state``)
    on a :class:`Sensitivities` object (experiments run it through the
    runner's sensitivity mode instead).

    Parameters
    ----------
    model
        The model (anything :func:`~receptorkin.models.load_model` accepts).
    parameters
        Constant global parameters to differentiate with respect to.
    readouts
        Readouts (species or assignment-rule variables).
    rtol, atol
        Solver tolerances (the sensitivities share the state's error control).
    """

    def __init__(self, model: "Model | str", parameters: Sequence[str], readouts: Sequence[str], *,
                 ligand: str | None = None, rtol: float = 1e-8, atol: float = 1e-10) -> None:
        self.handle = Sensitivities(model, parameters, readouts, ligand=ligand, rtol=rtol, atol=atol)
        self.equations = self.handle.equations
        self.simulator = self.handle.simulator
        self._readouts = self.equations.readouts
        self._dy = self.handle.columns(self._readouts)

    @property
    def parameters(self) -> list[str]:
        return self.handle.parameters

    @property
    def readouts(self) -> list[str]:
        return self.handle.readouts

    def sensitivities(self) -> np.ndarray:
        """Current state sensitivities d amount / dθ (species × parameters)."""
        return self.handle.sensitivities()

    def state(self) -> np.ndarray:
        """Full augmented state (to restore with :meth:`reset`)."""
        return self.simulator.state()

    def reset(self, values: Mapping[str, float] | None = None, state: np.ndarray | None = None) -> None:
        """Reset to the initial condition (sensitivities from the initial
        values and initial assignments), or to a saved augmented ``state``.
        Species given in ``values`` are set, so their sensitivities are zero."""
        self.simulator.reset(values, state)
        self.handle.restart(values, state)

    def set_now(self, values: Mapping[str, float]) -> None:
        """Step change at the current time; a species set to a value loses its sensitivity."""
        self.simulator.set_now(values)
        self.handle.zero(list(values))

    def advance(self, times: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Integrate through ``times`` (first = now).

        Returns
        -------
        y
            Readouts, ``len(times) × n_readouts``.
        dy
            Sensitivities, ``len(times) × n_readouts × n_parameters``.
        """
        r = len(self._readouts)
        out = self.simulator.advance(times, self._readouts + self._dy)
        return out[:, :r], self.handle.split(out[:, r:], self._readouts)

    def solve_steady_state(self) -> tuple[np.ndarray, np.ndarray]:
        """Steady state from the current state, with dx*/dθ = −J⁻¹ ∂f/∂θ;
        returns the readouts and their sensitivities there."""
        self.handle.steady_state()
        y, dy = self.advance([self.simulator.time])
        return y[0], dy[0]


def _clean(S: np.ndarray) -> np.ndarray:
    """Zero the round-off of a linear solve (|S| below 1e-12 of its column's
    largest entry): CVODE has stalled restarting from such values."""
    S = np.array(S, dtype=float)
    if S.size:
        scale = np.max(np.abs(S), axis=0, keepdims=True)
        S[np.abs(S) < 1e-12 * scale] = 0.0
    return S
