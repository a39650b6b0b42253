"""The parallel backends: serial and local processes (Dask in test_parallel_dask.py);
order, per-process state built once, chunking, errors, unreachable schedulers."""

import os
import socket
import sys
import threading
import time

import pytest

from receptorkin.parallel import SchedulerError, chunked, connect, iter_tasks, resolve_jobs, run_tasks

_BUILT = []


def _setup(offset):
    _BUILT.append(os.getpid())
    return {"offset": offset, "pid": os.getpid(), "token": object()}


def _task(state, item):
    return item + state["offset"], state["pid"], id(state["token"])


def _slow_first(state, item):
    time.sleep(0.2 if item == 0 else 0.0)  # the first item finishes last
    return item * 10


def _fail_on_three(state, item):
    if item == 3:
        raise ValueError(f"bad item {item}")
    return item


@pytest.mark.parametrize("jobs,chunk_size", [(1, 1), (2, 1), (2, 3), (2, None)])
def test_results_in_order_and_state_built_once_per_process(jobs, chunk_size):
    out = run_tasks(_task, list(range(25)), setup=_setup, setup_args=(100,), jobs=jobs, chunk_size=chunk_size)
    assert [r[0] for r in out] == list(range(100, 125))
    tokens = {}
    for _, pid, token in out:
        tokens.setdefault(pid, set()).add(token)
    assert all(len(t) == 1 for t in tokens.values())  # one state per process
    assert len(tokens) == jobs or (jobs == 2 and len(tokens) <= 2)
    if jobs == 1:
        assert set(tokens) == {os.getpid()}
    else:
        assert os.getpid() not in tokens


def test_iter_tasks_yields_in_item_order_whatever_order_tasks_finish():
    got = list(iter_tasks(_slow_first, list(range(6)), setup=_setup, setup_args=(0,), jobs=2))
    assert got == [0, 10, 20, 30, 40, 50]


@pytest.mark.parametrize("jobs", [1, 2])
def test_task_exceptions_propagate(jobs):
    with pytest.raises(ValueError, match="bad item 3"):
        run_tasks(_fail_on_three, list(range(8)), setup=_setup, setup_args=(0,), jobs=jobs)


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_bar_on_stderr(jobs, capsys):
    run_tasks(_task, list(range(6)), setup=_setup, setup_args=(0,), jobs=jobs, progress=True, desc="demo",
              weight=lambda item: 2)
    err = capsys.readouterr().err
    assert "demo" in err and "/12 " in err  # total counts the weights


def test_fitting_call_pattern_still_works():
    """multistart.py calls run_tasks(fn, items, setup=, setup_args=, jobs=, progress=, desc=)."""
    out = run_tasks(_task, [1, 2], setup=_setup, setup_args=(1,), jobs=2, progress=False, desc="fitting x")
    assert [r[0] for r in out] == [2, 3]


def test_helpers():
    assert chunked(range(5), 2) == [[0, 1], [2, 3], [4]]
    assert resolve_jobs(1) == 1 and resolve_jobs(None) == (os.cpu_count() or 1) and resolve_jobs(-100) == 1
    with pytest.raises(ValueError, match="chunk_size must be at least 1"):
        run_tasks(_task, [1], setup=_setup, setup_args=(0,), chunk_size=0)


# -------------------------------------------------------------- schedulers
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_a_clear_error_at_once():
    pytest.importorskip("distributed")
    port = _free_port()  # nothing listens there
    t0 = time.perf_counter()
    with pytest.raises(SchedulerError, match=f"tcp://127.0.0.1:{port}: cannot connect"):
        run_tasks(_task, [1, 2], setup=_setup, setup_args=(0,), scheduler=f"tcp://127.0.0.1:{port}")
    assert time.perf_counter() - t0 < 3.0


def test_a_scheduler_that_never_answers_times_out_quickly():
    """A socket that accepts connections but never speaks: Dask's handshake hangs; we give up
    after connect_timeout with a clear message, instead of hanging."""
    pytest.importorskip("distributed")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    stop = threading.Event()
    held = []

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        t0 = time.perf_counter()
        with pytest.raises(SchedulerError, match=f"tcp://127.0.0.1:{port}"):
            run_tasks(_task, [1], setup=_setup, setup_args=(0,), scheduler=f"tcp://127.0.0.1:{port}",
                      connect_timeout=1.0)
        assert time.perf_counter() - t0 < 8.0
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


@pytest.mark.parametrize("address,match", [
    ("nonsense", "expected tcp://HOST:PORT"),
    ("tcp://host-without-port", "expected tcp://HOST:PORT"),
    ("", "expected an address"),
    (42, "expected an address"),
])
def test_malformed_scheduler_addresses(address, match):
    pytest.importorskip("distributed")
    with pytest.raises(SchedulerError, match=match):
        connect(address, timeout=1.0)


def test_missing_dask_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(SchedulerError, match="needs dask.distributed: pip install 'receptorkin\\[dask\\]'"):
        run_tasks(_task, [1], setup=_setup, setup_args=(0,), scheduler="tcp://127.0.0.1:8786")


def test_dask_is_not_imported_without_a_scheduler():
    import subprocess

    code = ("import sys; from receptorkin.parallel import run_tasks; import receptorkin.population as p; "
            "print('distributed' in sys.modules, 'dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
