"""Readouts (an observable at a time) and responder criteria (``response@14d/response@0h>=0.3``)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..errors import ModelError, PopulationError
from ..models.sbml import Model, closest, load_model
from ..units import TIME_UNITS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..dosing import Regimen
    from ..dosing.experiment import Experiment
    from ..simulation import Simulator

__all__ = ["Readout", "parse_readout", "check_output", "grid_label", "Criterion", "parse_criterion"]


# ================================================================= readouts
@dataclass(frozen=True)
class Readout:
    """An observable at a time: one number per individual.

    Attributes
    ----------
    observable
        Output id (observable, species or rule variable).
    time
        Time after the start of the regimen [model time unit].
    label
        Text form, e.g. ``'response@14d'``.
    """

    observable: str
    time: float
    label: str


_NUM = r"(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_REF = re.compile(rf"([A-Za-z_]\w*)\s*@\s*({_NUM})\s*([A-Za-zµ]*)")


def _time_text(value: str, unit: str, where: str) -> None:
    """Refuse a time without a unit (except 0) or with an unknown unit."""
    if not unit and float(value) != 0.0:
        raise PopulationError(f"{where}: time {value!r} needs a unit (s, min, h, d, w), e.g. {value}h")
    if unit and unit not in TIME_UNITS:
        raise PopulationError(f"{where}: unknown time unit {unit!r} (known: s, min, h, d, w)")


def parse_readout(text: str, sim: "Simulator") -> Readout:
    m = _REF.fullmatch(text.strip())
    if not m:
        raise PopulationError(f"readout {text!r}: expected OBSERVABLE@TIME, e.g. response@14d")
    obs, value, unit = m.groups()
    _time_text(value, unit, f"readout {text!r}")
    check_output(sim, obs, f"readout {text!r}")
    t = sim.model_time(f"{value}{unit}", f"readout {text!r}")
    return Readout(obs, t, f"{obs}@{value}{unit}")


def check_output(sim: "Simulator", obs: str, where: str) -> None:
    try:
        sim.check_selections([obs])
    except ModelError:
        known = list(sim.observables) + [s for s in sim.species if s not in sim.observables]
        raise ModelError(f"{where}: model {sim.id!r} has no output {obs!r}{closest(obs, known)}") from None


def grid_label(obs: str, t: float, unit: str) -> str:
    return f"{obs}@{t:.10g}{unit}"


# ================================================================ criterion
_TOKEN = re.compile(rf"""
    (?P<ref>[A-Za-z_]\w*\s*@\s*{_NUM}\s*[A-Za-zµ]*)
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<num>{_NUM})(?P<pct>\s*%)?
  | (?P<cmp>>=|<=|==|!=|≥|≤|>|<|=)
  | (?P<op>[-+*/()])
""", re.X)
_COMPARATORS = {">=": ">=", "≥": ">=", ">": ">", "<=": "<=", "≤": "<=", "<": "<"}
_MAX_DEPTH = 50  #: parentheses and unary minus nested deeper than this are refused


@dataclass(frozen=True)
class Criterion:
    """A parsed responder criterion such as ``response@14d/response@1d >= 0.5``.

    Build one with :func:`parse_criterion`.  The left and right sides are
    arithmetic (``+ - * /``, parentheses, numbers, ``50%``) of readouts
    ``OBSERVABLE@TIME``; ``op`` is one of ``>=``, ``>``, ``<=``, ``<``.

    Attributes
    ----------
    text
        The text it was parsed from.
    refs
        ``(observable, time text)`` of each readout, in order of appearance.
    """

    text: str
    op: str
    lhs: tuple = field(repr=False)
    rhs: tuple = field(repr=False)
    refs: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return self.text

    def check(self, model: "Model | str") -> None:
        """Check, without compiling the model, that it has every output the criterion reads.

        Raises
        ------
        ModelError
            Naming the unknown output and the closest id.
        """
        m = load_model(model)
        ids = m.ids
        for obs, _ in self.refs:
            if obs not in ids:
                known = list(m.observables) + [i for i in ids if i not in m.observables]
                raise ModelError(f"criterion {self.text!r}: model {m.id!r} has no output {obs!r}{closest(obs, known)}")

    def readouts(self, sim: "Simulator") -> list[Readout]:
        """The readouts the criterion needs, resolved on a model (times in its unit)."""
        out = []
        for obs, when in self.refs:
            check_output(sim, obs, f"criterion {self.text!r}")
            out.append(Readout(obs, sim.model_time(when, f"criterion {self.text!r}"), f"{obs}@{when}"))
        return out

    def evaluate(self, columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Margin and verdict for arrays of the readouts (``columns[i]`` for ``refs[i]``).

        Returns
        -------
        margin
            ``lhs - rhs`` for ``>=``/``>``, ``rhs - lhs`` for ``<=``/``<``: positive
            when the criterion is met by a margin; NaN when undefined (a failed
            simulation, 0/0).
        met
            Boolean; meaningful where ``margin`` is finite.
        """
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lhs = np.asarray(_eval(self.lhs, columns), dtype=float)
            rhs = np.asarray(_eval(self.rhs, columns), dtype=float)
            lhs, rhs = np.broadcast_arrays(lhs, rhs)
            ok = np.isfinite(lhs) & np.isfinite(rhs)
            if self.op == ">=":
                met = lhs >= rhs
            elif self.op == ">":
                met = lhs > rhs
            elif self.op == "<=":
                met = lhs <= rhs
            else:
                met = lhs < rhs
            margin = np.where(ok, (lhs - rhs) if self.op in (">=", ">") else (rhs - lhs), np.nan)
        return margin, met & ok


def _eval(node: tuple, columns: Sequence[np.ndarray]) -> Any:
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "ref":
        return columns[node[1]]
    if kind == "neg":
        return -_eval(node[1], columns)
    a, b = _eval(node[2], columns), _eval(node[3], columns)
    op = node[1]
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return np.divide(a, b)


class _Parser:
    """Recursive descent over the tokens of a criterion (no eval, no names but readouts)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        self.refs: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos].isspace():
                pos += 1
                continue
            m = _TOKEN.match(text, pos)
            if not m:
                raise self.error(pos, f"unexpected character {text[pos]!r}")
            kind = m.lastgroup if m.lastgroup != "pct" else "num"
            if kind == "ident":
                raise self.error(pos, f"{m.group()!r} needs a time: write {m.group()}@TIME (e.g. {m.group()}@14d)")
            if kind == "cmp" and m.group() not in _COMPARATORS:
                raise self.error(pos, f"comparison {m.group()!r} is not allowed: use >=, >, <= or <")
            self.tokens.append((kind, m.group(), pos))
            pos = m.end()
        self.i = 0
        self.depth = 0

    def error(self, pos: int, message: str) -> PopulationError:
        return PopulationError(f"criterion {self.text!r}: at character {pos + 1}: {message}")

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Criterion:
        if not self.tokens:
            raise PopulationError("criterion is empty: expected e.g. response@14d/response@1d>=0.5")
        lhs = self.expr()
        tok = self.peek()
        if tok is None or tok[0] != "cmp":
            where = tok[2] if tok else len(self.text)
            raise self.error(where, "expected a comparison (>=, >, <= or <)")
        op = _COMPARATORS[self.take()[1]]
        rhs = self.expr()
        tok = self.peek()
        if tok is not None:
            raise self.error(tok[2], f"unexpected {tok[1]!r} after the comparison (one comparison only)")
        if not self.refs:
            raise PopulationError(f"criterion {self.text!r}: names no readout (OBSERVABLE@TIME)")
        return Criterion(self.text.strip(), op, lhs, rhs, tuple(self.refs))

    def expr(self) -> tuple:
        node = self.term()
        while (tok := self.peek()) is not None and tok[0] == "op" and tok[1] in "+-":
            self.take()
            node = ("bin", tok[1], node, self.term())
        return node

    def term(self) -> tuple:
        node = self.factor()
        while (tok := self.peek()) is not None and tok[0] == "op" and tok[1] in "*/":
            self.take()
            node = ("bin", tok[1], node, self.factor())
        return node

    def factor(self) -> tuple:
        tok = self.peek()
        if tok is not None and self.depth > _MAX_DEPTH:
            raise self.error(tok[2], f"nested deeper than {_MAX_DEPTH} levels")
        if tok is None:
            raise self.error(len(self.text), "expression ends too early: expected a number, OBSERVABLE@TIME or '('")
        kind, text, pos = self.take()
        if kind == "num":
            pct = text.rstrip().endswith("%")
            value = float(text.rstrip()[:-1].strip()) / 100.0 if pct else float(text)
            if not math.isfinite(value):
                raise self.error(pos, f"{text.strip()!r} is not a finite number")
            return ("num", value)
        if kind == "ref":
            m = _REF.fullmatch(text)
            obs, value, unit = m.groups()
            _time_text(value, unit, f"criterion {self.text!r}: at character {pos + 1}")
            ref = (obs, f"{value}{unit}")
            if ref not in self.refs:
                self.refs.append(ref)
            return ("ref", self.refs.index(ref))
        if kind == "op" and text in "-(":
            self.depth += 1
            try:
                if text == "-":
                    return ("neg", self.factor())
                node = self.expr()
                close = self.peek()
                if close is None or close[1] != ")":
                    raise self.error(close[2] if close else len(self.text), "expected ')'")
                self.take()
                return node
            finally:
                self.depth -= 1
        raise self.error(pos, f"expected a number, OBSERVABLE@TIME or '(' (got {text!r})")


def parse_criterion(text: "str | Criterion") -> Criterion:
    """Parse a responder criterion.

    Grammar: ``EXPR CMP EXPR`` with ``CMP`` one of ``>= > <= <``; ``EXPR`` is
    ``+ - * /`` and parentheses over numbers (``0.5``, ``50%``) and readouts
    ``OBSERVABLE@TIME`` (``response@14d``, ``surface_receptor@30min``; a time
    needs a unit unless it is 0).  Nothing is evaluated as Python.

    Raises
    ------
    PopulationError
        With the character position and what was expected.
    """
    if isinstance(text, Criterion):
        return text
    if not isinstance(text, str):
        raise PopulationError(f"criterion: expected text such as 'response@14d/response@1d>=0.5' (got {text!r})")
    if len(text) > 1000:
        raise PopulationError("criterion: longer than 1000 characters")
    return _Parser(text).parse()
