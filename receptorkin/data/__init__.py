"""Tidy measurement tables: reading and validation (:mod:`.tables`), Excel and GraphPad Prism
readers (:mod:`.readers`), measurements and conditions (:mod:`.measurements`)."""

from .readers import (EXCEL_SUFFIXES, PRISM_SUFFIXES, READER_SUFFIXES, PrismTable, needs_reader, read_excel,
    read_pzfx, prism_tables, replicate_columns, melt_replicates, log_dose_title, log_dose_option, split_unit,
    canonical_unit, unit_in_title, convert_log_doses)
from .tables import (read_frame, DOSE, RESPONSE, TIME, CONDITION, REPLICATE, SD, OBSERVABLE, Problem, read_table,
    validate_table, check_enough_points, line_span, table_source, table_lines, warn_duplicate_rows, CHUNK_ROWS)

__all__ = ["read_frame", "DOSE", "RESPONSE", "TIME", "CONDITION", "REPLICATE", "SD", "OBSERVABLE", "Problem",
           "read_table", "validate_table", "check_enough_points", "line_span", "table_source", "table_lines",
           "warn_duplicate_rows", "CHUNK_ROWS", "EXCEL_SUFFIXES", "PRISM_SUFFIXES", "READER_SUFFIXES", "PrismTable",
           "needs_reader", "read_excel", "read_pzfx", "prism_tables", "replicate_columns", "melt_replicates",
           "log_dose_title", "log_dose_option", "split_unit", "canonical_unit", "unit_in_title",
           "convert_log_doses"]
