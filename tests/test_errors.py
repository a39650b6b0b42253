"""One exception hierarchy: every error receptorkin raises on purpose is a ReceptorkinError from receptorkin.errors."""

from __future__ import annotations

import pytest

import receptorkin
from receptorkin import errors


def test_every_error_is_a_receptorkin_error_and_lives_in_errors():
    for name in errors.__all__:
        cls = getattr(errors, name)
        if not isinstance(cls, type):  # a message helper (closest)
            continue
        if issubclass(cls, Warning):  # warnings: one hierarchy too
            assert issubclass(cls, errors.ReceptorkinWarning), name
            continue
        assert issubclass(cls, errors.ReceptorkinError), name
        assert cls.__module__ == "receptorkin.errors", name
    # the modules that raise them re-use these classes (no second copy to catch separately)
    from receptorkin.parallel import SchedulerError
    from receptorkin.population import PopulationError

    assert PopulationError is errors.PopulationError and SchedulerError is errors.SchedulerError
    assert receptorkin.PopulationError is errors.PopulationError


def test_population_error_is_raised_and_caught_as_receptorkin_error():
    from receptorkin.population import LogNormal

    with pytest.raises(errors.ReceptorkinError, match="cv"):
        LogNormal(cv=-0.3)
