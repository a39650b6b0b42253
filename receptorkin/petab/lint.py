"""The ``petab`` package's own linter, its error messages collected."""

from __future__ import annotations

import logging
import os

__all__ = ["lint_petab"]


def lint_petab(yaml_path: "str | os.PathLike") -> list[str]:
    """Run ``petab.v1.lint_problem`` and return its error messages (empty if clean)."""
    import petab.v1 as petab1

    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                messages.append(record.getMessage())

    handler = _Collect()
    logger = logging.getLogger("petab")
    logger.addHandler(handler)
    try:
        problem = petab1.Problem.from_yaml(str(yaml_path))
        failed = petab1.lint_problem(problem)
    finally:
        logger.removeHandler(handler)
    if failed and not messages:
        messages.append("lint_problem failed (no message)")
    return messages
