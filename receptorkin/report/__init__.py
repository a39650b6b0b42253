"""Reports: text descriptions of models (:mod:`.catalogue`) and self-contained HTML reports (:mod:`.html`)."""

from .catalogue import model_table, describe_model

__all__ = ["model_table", "describe_model"]
