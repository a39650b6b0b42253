"""Curve fitting speed: a 4PL fit of one 30-point curve and the 5-curve spinach fit.

Each figure is a median over repeats after one warm-up call (imports done),
next to what a user would write with lmfit in the same run (lmfit's Model/minimize
with its default finite-difference Jacobian; its standard errors are the
Gauss-Newton ones, not drc's).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from _timing import median_time, report

ROOT = Path(__file__).resolve().parents[1]
SPINACH = ROOT / "tests" / "data" / "spinach.csv"


def _ll4(x, b, c, d, e):
    with np.errstate(divide="ignore"):
        return c + (d - c) / (1 + np.exp(b * (np.log(x) - np.log(e))))


def main() -> None:
    import lmfit

    from receptorkin.curves import fit_curve

    print("\n# Dose-response curves (receptorkin.curves)")
    rng = np.random.default_rng(0)
    x = np.repeat(np.array([0, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100.0]), 3)
    y = _ll4(np.where(x > 0, x, 1e-300), 1.2, 0.1, 2.0, 1.5) + 0.05 * rng.standard_normal(len(x))
    one = pd.DataFrame({"dose": x, "response": y})

    model = lmfit.Model(_ll4)
    params = model.make_params(b=1.0, c=float(y.min()), d=float(y.max()), e=float(np.median(x[x > 0])))
    params["e"].min = 1e-12
    xx = np.where(x > 0, x, 1e-300)

    ours = median_time(lambda: fit_curve(one, "LL.4"), repeat=21)
    naive = median_time(lambda: model.fit(y, params, x=xx), repeat=21)
    report("4PL fit, one 30-point curve (self-start, drc SEs)", ours, naive, "lmfit Model.fit", "< 20 ms")

    data = pd.read_csv(SPINACH)
    ours5 = median_time(lambda: fit_curve(data, "LL.4", dose="DOSE", response="SLOPE", curve="CURVE"), repeat=11)
    ours5s = median_time(lambda: fit_curve(data, "LL.4", dose="DOSE", response="SLOPE", curve="CURVE",
                                           shared=["b"]), repeat=11)

    g = data["CURVE"].to_numpy()
    xs = np.where(data["DOSE"].to_numpy() > 0, data["DOSE"].to_numpy(), 1e-300)
    ys = data["SLOPE"].to_numpy()
    p5 = lmfit.Parameters()
    for k in range(1, 6):
        sel = g == k
        p5.add(f"b{k}", 1.0)
        p5.add(f"c{k}", float(ys[sel].min()))
        p5.add(f"d{k}", float(ys[sel].max()))
        p5.add(f"e{k}", 1.0, min=1e-12)

    def residual(p):
        v = p.valuesdict()
        out = np.empty_like(ys)
        for k in range(1, 6):
            sel = g == k
            out[sel] = _ll4(xs[sel], v[f"b{k}"], v[f"c{k}"], v[f"d{k}"], v[f"e{k}"]) - ys[sel]
        return out

    naive5 = median_time(lambda: lmfit.minimize(residual, p5), repeat=11)
    report("spinach: 5 curves, 20 parameters, pooled variance", ours5, naive5, "lmfit minimize", "< 200 ms")
    report("spinach: 5 curves with a shared slope b", ours5s, target="< 200 ms")


if __name__ == "__main__":
    main()
