"""Regimen metrics: sustained effect, tolerance, receptor loss and recovery.

Every metric of a simulated regimen is listed in :data:`METRICS` with its
unit and whether higher or lower is better (what :func:`receptorkin.design.optimize`
uses for objectives and the Pareto front).  Time-valued metrics are in hours
whatever the model's time unit, so that tables of different models compare.

Definitions (``H`` is the horizon, ``R`` the receptor observable, ``R0`` its
value at time 0, ``E`` the response):

* ``response_auc`` = integral of E from 0 to H; ``mean_response`` = that / H.
* the *response to a dose* is the peak of E from the dose to the next dose
  (or to H), or E a fixed time after the dose (``readout='30min'``).
* ``tolerance_ratio`` = response to the last dose / response to the first.
  A last dose whose window is cut short by the horizon (shorter than the
  interval before it) is not measured; the one before it counts.  For a
  single dose still in force at H (a continuous exposure or infusion) the
  last response is E at H; for a single dose that has ended it is NaN.
* ``time_above_threshold``: time with E >= the effect threshold (linear
  interpolation between output points).
* ``surface_receptor_nadir`` / ``surface_receptor_final``: min(R)/R0 and R(H)/R0.
* ``recovery_time``: from the end of the last input until R is back within
  the band (default 10 %) of R0 for good; 0 if it never left; NaN if it has
  not recovered by the end of the recovery window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
import numpy as np

from ..errors import RegimenError
from ..models.sbml import closest

__all__ = ["Metric", "METRICS", "metric", "simpson_weights", "regimen_metrics", "recovery_time"]


@dataclass(frozen=True)
class Metric:
    """A regimen metric: its name, unit, which direction is better, and what it means."""

    name: str
    unit: str
    better: str  #: "higher", "lower" or "" (descriptive only)
    description: str


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("response_auc", "response*h", "higher", "area under the response curve over the horizon"),
    Metric("mean_response", "response", "higher", "time-averaged response over the horizon (sustained effect)"),
    Metric("peak_response", "response", "higher", "largest response"),
    Metric("final_response", "response", "higher", "response at the end of the horizon"),
    Metric("first_dose_response", "response", "higher", "response to the first dose (peak, or at the readout time)"),
    Metric("last_dose_response", "response", "higher", "response to the last dose (E at the horizon for one ongoing dose)"),
    Metric("tolerance_ratio", "1", "higher", "response to the last dose / response to the first"),
    Metric("n_doses", "1", "", "number of administrations before the horizon"),
    Metric("time_above_threshold", "h", "higher", "time with the response at or above the effect threshold"),
    Metric("effect_threshold", "response", "", "the effect threshold used for time_above_threshold"),
    Metric("surface_receptor_nadir", "1", "higher", "lowest surface receptor level, as a fraction of baseline"),
    Metric("surface_receptor_final", "1", "higher", "surface receptors at the horizon, as a fraction of baseline"),
    Metric("recovery_time", "h", "lower", "time from the last input until receptors are back within the band of baseline"),
    Metric("mean_concentration", "dose unit", "lower", "time-averaged drug concentration at the receptor"),
    Metric("concentration_auc", "dose unit*h", "lower", "area under the drug concentration curve"),
)}


def metric(name: str) -> Metric:
    """The :class:`Metric` called ``name``; :class:`RegimenError` with the closest name if unknown."""
    try:
        return METRICS[name]
    except KeyError:
        raise RegimenError(f"unknown metric {name!r}{closest(name, METRICS)} (known: {', '.join(METRICS)})") from None


def simpson_weights(t: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Quadrature weights for integrating a piecewise-smooth output over time.

    Within each segment (rows with the same ``segments`` value, in time
    order) composite Simpson weights are used when the segment's grid is
    uniform with an odd number of points, trapezoid weights otherwise; the
    integral is ``weights @ y``.  Discontinuities between segments are exact.
    """
    t = np.asarray(t, float)
    w = np.zeros_like(t)
    if t.size < 2:
        return w
    bounds = np.flatnonzero(np.diff(segments)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [t.size]])
    for a, b in zip(starts.tolist(), stops.tolist()):
        n = b - a
        if n < 2:
            continue
        ts = t[a:b]
        h = np.diff(ts)
        if n >= 3 and n % 2 == 1 and np.allclose(h, h[0], rtol=1e-9, atol=0):
            ws = np.empty(n)
            ws[0] = ws[-1] = 1.0
            ws[1:-1:2] = 4.0
            ws[2:-1:2] = 2.0
            w[a:b] += ws * (h[0] / 3.0)
        else:
            w[a:b - 1] += h / 2.0
            w[a + 1:b] += h / 2.0
    return w


def time_above(t: np.ndarray, y: np.ndarray, segments: np.ndarray, threshold: float) -> float:
    same = segments[1:] == segments[:-1]
    t0, t1, y0, y1 = t[:-1][same], t[1:][same], y[:-1][same], y[1:][same]
    dt = t1 - t0
    a0, a1 = y0 >= threshold, y1 >= threshold
    total = float(np.sum(dt[a0 & a1]))
    cross = a0 ^ a1
    if np.any(cross):
        frac = (threshold - y0[cross]) / (y1[cross] - y0[cross])
        # the part above the threshold: after the crossing if rising, before it if falling
        rising = a1[cross]
        total += float(np.sum(np.where(rising, (1 - frac) * dt[cross], frac * dt[cross])))
    return total


def recovery_time(t: np.ndarray, r: np.ndarray, start: float, baseline: float, band: float) -> float:
    """Time from ``start`` until ``r`` stays within ``band`` (a fraction) of ``baseline``.

    ``t`` and ``r`` are the trajectory (time-ordered); returns 0 if ``r``
    never leaves the band after ``start`` and NaN if it is still outside at
    the last point.  The crossing is interpolated linearly.
    """
    if not (baseline and math.isfinite(baseline)):
        return math.nan
    keep = t >= start
    tt, rr = t[keep], r[keep]
    if tt.size == 0:
        return math.nan
    dev = np.abs(rr / baseline - 1.0)
    outside = np.flatnonzero(dev > band)
    if outside.size == 0:
        return 0.0
    k = int(outside[-1])
    if k == tt.size - 1:
        return math.nan
    d0, d1 = dev[k], dev[k + 1]
    frac = (d0 - band) / (d0 - d1) if d0 != d1 else 1.0
    return float(tt[k] + frac * (tt[k + 1] - tt[k]) - start)


def regimen_metrics(
    t: np.ndarray,
    segments: np.ndarray,
    segment_start: np.ndarray,
    response: np.ndarray,
    receptor: np.ndarray | None,
    concentration: np.ndarray,
    dose_times: np.ndarray,
    horizon: float,
    hours_per_unit: float,
    *,
    ongoing: bool,
    threshold: float | None = None,
    readout: float | None = None,
    recovery: float = math.nan,
    response_integral: float | None = None,
    concentration_integral: float | None = None,
) -> tuple[dict[str, float], np.ndarray]:
    """The metrics of one simulated regimen (see the module docstring).

    Parameters
    ----------
    t, segments, segment_start
        Output times [model time unit], the segment of each row and the start
        time of each row's segment.
    response, receptor, concentration
        The outputs at ``t`` (``receptor`` may be None: receptor metrics NaN).
    dose_times
        Administration times before the horizon [model time unit].
    horizon
        End of the simulation [model time unit].
    hours_per_unit
        Hours per model time unit (time metrics are reported in hours).
    ongoing
        Whether an input is still in force at the horizon.
    threshold
        Effect threshold; None takes half the response to the first dose.
    readout
        None for the peak response after each dose, else the delay after each
        dose at which the response is read [model time unit].
    recovery
        Recovery time [model time unit], computed by the caller (it may need
        a simulation beyond the horizon).
    response_integral, concentration_integral
        The integrals of the response and the concentration from 0 to the
        horizon, when the solver computed them (exact); None integrates the
        samples (:func:`simpson_weights`).

    Returns
    -------
    metrics, dose_responses
        A dictionary name -> value (see :data:`METRICS`) and the response to
        each dose.
    """
    t = np.asarray(t, float)
    within = segment_start < horizon  # rows of the zero-length segment at the horizon are excluded
    y = response[within]
    if response_integral is None or concentration_integral is None:
        w = simpson_weights(t[within], segments[within])
    auc = float(w @ y) if response_integral is None else float(response_integral)
    c_auc = float(w @ concentration[within]) if concentration_integral is None else float(concentration_integral)
    n = len(dose_times)
    dose_resp = np.full(n, np.nan)
    if n:
        if readout is None:
            idx = np.searchsorted(dose_times, segment_start[within], side="right") - 1
            ok = idx >= 0
            rows = np.flatnonzero(ok)
            if rows.size:
                firsts = np.concatenate([[0], np.flatnonzero(np.diff(idx[rows])) + 1])
                peaks = np.maximum.reduceat(y[rows], firsts)
                dose_resp[idx[rows][firsts]] = peaks
            if n >= 2 and horizon - dose_times[-1] < (dose_times[-1] - dose_times[-2]) * (1 - 1e-9):
                # the last dose's window is cut short by the horizon: its peak is not measured
                dose_resp[-1] = math.nan
        else:
            tw = t[within]
            for i, d in enumerate(dose_times.tolist()):
                target = d + readout
                if target > horizon + 1e-9 * max(1.0, horizon):
                    continue
                hits = np.flatnonzero(np.abs(tw - target) <= 1e-9 * max(1.0, abs(target)))
                if hits.size:
                    dose_resp[i] = y[hits[-1] if readout == 0 else hits[0]]
    # the value reached at the horizon (before any change scheduled at the horizon)
    last_row = int(np.flatnonzero(within)[-1]) if np.any(within) else len(t) - 1
    final_resp = float(response[last_row])
    first = float(dose_resp[0]) if n else math.nan
    if n >= 2:
        measured = np.flatnonzero(np.isfinite(dose_resp[1:]))
        last = float(dose_resp[1:][measured[-1]]) if measured.size else math.nan
    elif n == 1 and ongoing:
        last = final_resp
    else:
        last = math.nan
    tol_ratio = last / first if (math.isfinite(first) and math.isfinite(last) and first != 0) else math.nan
    thr = threshold if threshold is not None else (0.5 * first if math.isfinite(first) else math.nan)
    above = time_above(t[within], y, segments[within], thr) if math.isfinite(thr) else math.nan
    out = {
        "response_auc": auc * hours_per_unit,
        "mean_response": auc / horizon,
        "peak_response": float(np.max(y)) if y.size else math.nan,
        "final_response": final_resp,
        "first_dose_response": first,
        "last_dose_response": last,
        "tolerance_ratio": tol_ratio,
        "n_doses": float(n),
        "time_above_threshold": above * hours_per_unit,
        "effect_threshold": float(thr),
        "surface_receptor_nadir": math.nan,
        "surface_receptor_final": math.nan,
        "recovery_time": recovery * hours_per_unit,
        "mean_concentration": c_auc / horizon,
        "concentration_auc": c_auc * hours_per_unit,
    }
    if receptor is not None:
        r0 = float(receptor[0])
        if r0:
            out["surface_receptor_nadir"] = float(np.min(receptor[within]) / r0)
            out["surface_receptor_final"] = float(receptor[last_row] / r0)
    return out, dose_resp
