from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
BAD = DATA / "bad"
#: the Brannmark PEtab benchmark problem (provenance and licence in tests/data/README.md)
BRANNMARK = DATA / "petab" / "Brannmark_JBC2010"


@pytest.fixture(scope="session")
def trafficking_sim():
    from receptorkin.simulation import Simulator

    return Simulator("trafficking")


@pytest.fixture
def fresh_trafficking():
    from receptorkin.simulation import Simulator

    return Simulator("trafficking")


@pytest.fixture
def trafficking_data():
    from synthetic import synthetic_trafficking

    return synthetic_trafficking(1)
