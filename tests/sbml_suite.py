"""SBML Test Suite semantic cases: reading, running and the suite's pass rule.

Used by ``tests/test_sbml_test_suite.py`` and by ``python tests/sbml_suite.py``
(a summary of every case: plain libRoadRunner against receptorkin).  The cases
are in ``tests/data/sbml-test-suite/`` (see the README there).
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SUITE = Path(__file__).resolve().parent / "data" / "sbml-test-suite"
#: solver tolerances for both plain libRoadRunner and receptorkin (the Simulator's defaults)
RTOL, ATOL = 1e-8, 1e-10


@dataclass(frozen=True)
class Case:
    """One semantic test case."""

    id: str
    test_type: str
    component_tags: tuple[str, ...]
    test_tags: tuple[str, ...]
    start: float
    duration: float
    steps: int
    variables: tuple[str, ...]
    absolute: float
    relative: float
    amount: tuple[str, ...]
    concentration: tuple[str, ...]

    @property
    def folder(self) -> Path:
        return SUITE / self.id

    @property
    def sbml(self) -> Path:
        return next(self.folder.glob(f"{self.id}-sbml-l*.xml"))

    @property
    def times(self) -> np.ndarray:
        return np.linspace(self.start, self.start + self.duration, self.steps + 1)

    def expected(self) -> np.ndarray:
        """The expected values (rows: times; columns: :attr:`variables`)."""
        with open(self.folder / f"{self.id}-results.csv", newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh) if r and any(x.strip() for x in r)]
        header = [h.strip() for h in rows[0]]
        if len(header) != len(self.variables) + 1:
            raise ValueError(f"case {self.id}: results have {len(header) - 1} columns for {len(self.variables)} variables")
        return np.array([[float(x) for x in r[1:]] for r in rows[1:]], dtype=float)

    def selections(self, species: set[str]) -> list[str]:
        """libRoadRunner selections: ``[S]`` for species read as concentrations."""
        return [f"[{v}]" if v in species and v in self.concentration else v for v in self.variables]


def _split(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def read_case(case_id: str) -> Case:
    folder = SUITE / case_id
    settings: dict[str, str] = {}
    for line in (folder / f"{case_id}-settings.txt").read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            settings[key.strip()] = value.strip()
    meta = cases_index()[case_id]
    return Case(case_id, meta[0], meta[1], meta[2], float(settings["start"]), float(settings["duration"]),
                int(settings["steps"]), _split(settings["variables"]), float(settings["absolute"]),
                float(settings["relative"]), _split(settings.get("amount", "")), _split(settings.get("concentration", "")))


_INDEX: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {}


def cases_index() -> dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """case id -> (testType, componentTags, testTags), from ``cases.tsv``."""
    if not _INDEX:
        with open(SUITE / "cases.tsv", newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                _INDEX[row["case"]] = (row["testType"], _split(row["componentTags"]), _split(row["testTags"]))
    return _INDEX


def all_cases() -> list[str]:
    return sorted(cases_index())


def timecourse_cases() -> list[str]:
    return [c for c, meta in cases_index().items() if meta[0] == "TimeCourse"]


def passes(case: Case, values: np.ndarray) -> bool:
    """The suite's rule: |C - U| <= absolute + relative * |C| everywhere
    (equal infinities and NaN where NaN is expected count as equal)."""
    expected = case.expected()
    if values.shape != expected.shape:
        return False
    with np.errstate(invalid="ignore"):
        ok = np.abs(expected - values) <= case.absolute + case.relative * np.abs(expected)
    ok |= np.isnan(expected) & np.isnan(values)
    ok |= np.isinf(expected) & (expected == values)
    return bool(ok.all())


def run_plain(case: Case) -> np.ndarray:
    """The case through plain libRoadRunner (same tolerances as receptorkin)."""
    import roadrunner

    cfg = roadrunner.Config
    before = cfg.getValue(cfg.ROADRUNNER_DISABLE_PYTHON_DYNAMIC_PROPERTIES)
    cfg.setValue(cfg.ROADRUNNER_DISABLE_PYTHON_DYNAMIC_PROPERTIES, True)
    try:
        rr = roadrunner.RoadRunner(str(case.sbml))
    finally:
        cfg.setValue(cfg.ROADRUNNER_DISABLE_PYTHON_DYNAMIC_PROPERTIES, before)
    rr.integrator.relative_tolerance = RTOL
    rr.integrator.absolute_tolerance = ATOL
    species = set(rr.model.getFloatingSpeciesIds()) | set(rr.model.getBoundarySpeciesIds())
    rr.timeCourseSelections = ["time", *case.selections(species)]
    return np.asarray(rr.simulate(times=case.times.tolist()))[:, 1:]


def plain_passes(case: Case) -> bool:
    """Whether plain libRoadRunner passes the case (any failure counts as no)."""
    try:
        return passes(case, run_plain(case))
    except Exception:  # noqa: BLE001 - libRoadRunner's own refusals come as many types
        return False


def run_receptorkin(case: Case, sim=None, moiety_analysis: bool | None = None):
    """The case through ``Simulator.timecourse``; returns (values, simulator)."""
    from receptorkin.simulation import Simulator

    if sim is None:
        sim = Simulator(case.sbml, rtol=RTOL, atol=ATOL, moiety_analysis=moiety_analysis)
    species = set(sim.species) | set(sim.boundary_species)
    df = sim.timecourse(times=case.times.tolist(), selections=case.selections(species))
    return df.to_numpy(), sim


def summary(ids: list[str]) -> dict[str, list[str]]:
    """Run every case both ways; group case ids by outcome."""
    from receptorkin.errors import ReceptorkinError

    groups: dict[str, list[str]] = {}
    for cid in ids:
        case = read_case(cid)
        plain = plain_passes(case)
        try:
            values, _ = run_receptorkin(case)
            ours = "pass" if passes(case, values) else "WRONG"
        except ReceptorkinError as exc:
            ours = "refused: " + " ".join(str(exc).split())[:160]
        except Exception as exc:  # noqa: BLE001 - reported as a defect
            ours = f"CRASH {type(exc).__name__}: " + " ".join(str(exc).split())[:160]
        groups.setdefault(f"plain {'pass' if plain else 'fail'} / receptorkin {ours}", []).append(cid)
    return groups


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    chosen = sys.argv[1:] or timecourse_cases()
    for outcome, members in sorted(summary(chosen).items(), key=lambda kv: -len(kv[1])):
        print(f"{len(members):5d}  {outcome}: {' '.join(members[:12])}{' ...' if len(members) > 12 else ''}")
