"""Logging of the CLI: the ``receptorkin`` loggers to stderr, at the level
that ``--quiet``/``--verbose`` choose (imported only when a command runs)."""

from __future__ import annotations

import logging
import sys


class _StderrHandler(logging.Handler):
    """Log records to whatever ``sys.stderr`` is at the time (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        if record.levelno >= logging.WARNING:
            return f"receptorkin: {record.levelname.lower()}: {msg}"
        if record.levelno < logging.INFO:
            return f"receptorkin: debug: {record.name}: {msg}"
        return msg


def configure_logging(quiet: bool = False, verbose: bool = False) -> None:
    """Send the ``receptorkin`` loggers to stderr: INFO by default, WARNING
    with ``quiet``, DEBUG with ``verbose``.  Calling it again replaces the
    earlier setting (one handler, never duplicated)."""
    logger = logging.getLogger("receptorkin")
    for h in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
        logger.removeHandler(h)
    handler = _StderrHandler()
    handler.setFormatter(_Formatter())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    logger.propagate = False
