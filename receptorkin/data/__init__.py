"""Tidy measurement tables: reading and validation (:mod:`.tables`), Excel and GraphPad Prism
readers (:mod:`.readers`), measurements and conditions (:mod:`.measurements`)."""

from .tables import (DOSE, RESPONSE, TIME, CONDITION, REPLICATE, SD, OBSERVABLE, Problem, read_table,
    validate_table, check_enough_points, line_span, table_source, table_lines, warn_duplicate_rows, CHUNK_ROWS)

__all__ = ["DOSE", "RESPONSE", "TIME", "CONDITION", "REPLICATE", "SD", "OBSERVABLE", "Problem", "read_table",
           "validate_table", "check_enough_points", "line_span", "table_source", "table_lines",
           "warn_duplicate_rows", "CHUNK_ROWS"]
