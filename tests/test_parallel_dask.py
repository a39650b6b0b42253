"""The Dask backend on a real LocalCluster (2 worker processes): the same numbers as
``jobs=1`` for populations and multistart fits, state built once per worker, errors
propagated, and the cluster cleaned up."""

import operator
import os

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from receptorkin.parallel import run_tasks  # noqa: E402
from receptorkin.population import Population, simulate  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield cluster, client
    finally:
        client.close()
        cluster.close()
    assert client.status == "closed"


def test_population_on_dask_is_bitwise_identical_to_serial(cluster):
    local_cluster, client = cluster
    pop = Population("turnover_tolerance", {"k_degradation": 0.5, "EC50": 0.3}, n=600, seed=5)
    args = ("pulses:every=12h,width=3h,dose=50nM", ["response@1d", "surface_receptor@3d"])
    kwargs = {"criterion": "response@3d/response@0h>=0.4"}
    serial = simulate(pop, *args, **kwargs, jobs=1)
    on_client = simulate(pop, *args, **kwargs, scheduler=client, progress=True)
    by_address = simulate(pop, *args, **kwargs, scheduler=client.scheduler.address, chunk_size=37)
    on_cluster = simulate(pop, *args, **kwargs, scheduler=local_cluster, chunk_size=600)  # one chunk
    assert np.array_equal(serial.values, on_client.values)
    assert np.array_equal(serial.values, by_address.values)
    assert np.array_equal(serial.values, on_cluster.values)
    assert on_client.backend == "dask" and by_address.backend.startswith("dask (tcp://")
    assert serial.responders() == on_client.responders()


def test_run_tasks_on_dask_builds_state_once_per_worker(cluster):
    _, client = cluster
    # builtins travel to the workers by reference: setup = os.getpid (the state is the worker's pid)
    out = run_tasks(operator.add, list(range(40)), setup=os.getpid, scheduler=client, chunk_size=3)
    pids = {r - i for i, r in enumerate(out)}  # out[i] = pid + i: results in item order, states are pids
    worker_pids = set(client.run(os.getpid).values())
    assert pids <= worker_pids and os.getpid() not in pids


def test_task_errors_propagate_from_dask(cluster):
    _, client = cluster
    with pytest.raises(ZeroDivisionError):
        run_tasks(operator.truediv, [1, 0, 2], setup=int, setup_args=(1,), scheduler=client)


def test_multistart_fit_on_dask_equals_serial(cluster, trafficking_data):
    from receptorkin.fitting import FitProblem, ParameterSpec, fit

    _, client = cluster
    specs = [ParameterSpec("k_internalization", 0.1, 0.01, 1.0), ParameterSpec("k_recycling", 0.05, 0.005, 0.5)]
    a = fit(FitProblem("trafficking", trafficking_data, specs), n_starts=3, seed=7, jobs=1, profiles=False)
    b = fit(FitProblem("trafficking", trafficking_data, specs), n_starts=3, seed=7, profiles=False, scheduler=client)
    assert a.estimates == b.estimates
    assert a.starts.equals(b.starts)


def test_regimen_optimization_on_dask_equals_serial(cluster):
    """design.optimize runs its evaluations through the same backends (WorkerPool)."""
    import pandas as pd

    from receptorkin.design import optimize
    from receptorkin.simulation import Simulator

    kw = dict(family="holiday", objective="mean_response", constraints=["surface_receptor_final>=0.5"],
              bounds={"holiday": ("1h", "20h")}, fixed={"dose": "100nM"}, horizon="7d", n_samples=8, polish=4,
              progress=False)
    sim = Simulator("turnover_tolerance")
    serial = optimize(sim, **kw)
    _, client = cluster
    on_dask = optimize(sim, **kw, scheduler=client)
    pd.testing.assert_frame_equal(serial.evaluations, on_dask.evaluations)
    assert serial.best == on_dask.best
