"""Simulation: the :class:`Simulator` (libRoadRunner, compiled once; the only roadrunner importer)
and exact forward sensitivities (:mod:`receptorkin.simulation.sensitivities`)."""

from .simulator import Simulator, SolverOptions

__all__ = ["Simulator", "SolverOptions"]
