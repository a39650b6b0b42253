"""Timing helpers for the benchmarks: medians over repeats, printed with ratios."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def median_time(fn: Callable[[], object], repeat: int = 7, number: int = 1, warmup: int = 1) -> float:
    """Median wall time of ``fn`` in seconds (``number`` calls per repeat)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds:8.3f} s "


def report(name: str, ours: float, baseline: float | None = None, baseline_name: str = "", target: str = "") -> None:
    line = f"{name:58s} {fmt(ours)}"
    if baseline is not None:
        line += f"   {baseline_name}: {fmt(baseline)}   ratio {baseline / ours:8.1f}x"
    if target:
        line += f"   (target {target})"
    print(line, flush=True)
