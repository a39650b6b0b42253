"""Questions about libsbml math trees that do not depend on ``ASTNode.getType()``.

Once another SWIG-wrapped library that bundles libsbml is imported in the
same process (``libsedml``, which tellurium loads for SED-ML), libsbml's
``getType()`` returns a bare SWIG pointer instead of an ``int``: comparisons
with ``libsbml.AST_*`` constants silently become false.  These helpers use
the csymbol definition URLs and predicate methods, which keep working.
"""

from __future__ import annotations

__all__ = ["is_time", "is_delay", "is_relational", "walk"]

_SYMBOLS = "http://www.sbml.org/sbml/symbols/"


def is_time(ast) -> bool:
    """The ``time`` csymbol."""
    return ast is not None and ast.getDefinitionURLString() == _SYMBOLS + "time"


def is_delay(ast) -> bool:
    """A ``delay(x, d)`` call."""
    return ast is not None and ast.getDefinitionURLString() == _SYMBOLS + "delay"


def is_relational(ast) -> bool:
    """A comparison (``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``)."""
    return ast is not None and bool(ast.isRelational())


def walk(ast):
    """Every node of a math tree, depth first."""
    if ast is None:
        return
    stack = [ast]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.getChild(i) for i in range(node.getNumChildren() - 1, -1, -1))
