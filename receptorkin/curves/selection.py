"""Model selection: information criteria, F tests for nested models, lack of fit."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Sequence

import pandas as pd

from ..errors import ReceptorkinError
from .ftests import TestResult, f_test, lack_of_fit

if TYPE_CHECKING:  # pragma: no cover
    from .result import CurveFitResult

__all__ = ["TestResult", "f_test", "lack_of_fit", "is_nested", "compare_models"]


def is_nested(reduced: CurveFitResult, full: CurveFitResult) -> bool:
    """Whether ``reduced`` is ``full`` with some parameters fixed or shared.

    True when both fits use the same family and data, every free parameter of
    ``reduced`` is free in ``full``, parameters fixed in both have the same
    value, and every parameter separate per curve in ``reduced`` is separate
    in ``full`` (e.g. LL.3 within LL.4, W1.3 within W1.4, LL.4 with a shared
    slope within separate slopes).
    """
    a, b = reduced.design, full.design
    if a.family.name != b.family.name or a.n != b.n or a.curves != b.curves:
        return False
    if reduced.n_parameters >= full.n_parameters:
        return False
    for name in a.family.parameters:
        fa, fb = name in a.fixed, name in b.fixed
        if fb and not fa:
            return False
        if fa and fb and a.fixed[name] != b.fixed[name]:
            return False
        if not fa and not fb and name in b.shared and name not in a.shared and a.m > 1:
            return False
    return True


def compare_models(
    data: pd.DataFrame | str | os.PathLike,
    models: Sequence[str],
    *,
    return_fits: bool = False,
    **fit_kwargs: Any,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, CurveFitResult]]:
    """Fit several models to the same data and tabulate the criteria.

    Parameters
    ----------
    data
        CSV path or DataFrame.
    models
        Model names; the first is the reference for F tests.
    return_fits
        Also return the fits, as ``(table, {model: CurveFitResult})``.
    **fit_kwargs
        Passed to :func:`receptorkin.curves.fit_curve` (dose, response,
        curve, shared, ...).  ``shared`` is applied only to models that
        have those parameters.

    Returns
    -------
    pandas.DataFrame
        One row per model: model, n_parameters, df, rss, rse, logLik, aic,
        aicc, bic, delta_aicc (to the lowest), lack_of_fit_p, and, for
        models nested in the first or containing it, the F test
        (f_vs, f_statistic, f_p_value).  A model that fails to fit has its
        error in the ``error`` column.
    """
    from .fit import fit_curve
    from .models import get_model

    fits: dict[str, CurveFitResult] = {}
    errors: dict[str, str] = {}
    for name in models:
        kwargs = dict(fit_kwargs)
        mdl = get_model(name)
        if kwargs.get("shared") is not None:
            shared = kwargs["shared"]
            shared = [s.strip() for s in shared.split(",")] if isinstance(shared, str) else list(shared)
            if [x.lower() for x in shared] != ["all"]:
                kwargs["shared"] = [s for s in shared if s in mdl.parameters]
        if kwargs.get("fixed"):
            kwargs["fixed"] = {k: v for k, v in kwargs["fixed"].items() if k in mdl.family.parameters}
        try:
            fits[name] = fit_curve(data, name, **kwargs)
        except ReceptorkinError as exc:
            errors[name] = str(exc).splitlines()[0]
    rows = []
    first = fits.get(models[0])
    for name in models:
        if name not in fits:
            rows.append({"model": name, "error": errors[name]})
            continue
        r = fits[name]
        lof = r.lack_of_fit()
        row: dict[str, Any] = {"model": name, "n_parameters": r.n_parameters, "df": r.df, "rss": r.rss,
                               "rse": r.rse, "logLik": r.loglik, "aic": r.aic, "aicc": r.aicc, "bic": r.bic,
                               "lack_of_fit_p": None if lof is None else lof.p_value}
        if first is not None and name != models[0]:
            pair = (r, first) if is_nested(r, first) else (first, r) if is_nested(first, r) else None
            if pair is not None:
                t = f_test(*pair)
                row.update({"f_vs": t.name, "f_statistic": t.statistic, "f_p_value": t.p_value})
        rows.append(row)
    table = pd.DataFrame(rows)
    if "aicc" in table:
        table["delta_aicc"] = table["aicc"] - table["aicc"].min()
    cols = ["model", "n_parameters", "df", "rss", "rse", "logLik", "aic", "aicc", "delta_aicc", "bic",
            "lack_of_fit_p", "f_vs", "f_statistic", "f_p_value", "error"]
    for c in cols:
        if c not in table:
            table[c] = None
    table = table[cols]
    if return_fits:
        return table, fits
    return table
