"""Run independent tasks serially, on a local process pool or on a Dask cluster.

One interface, three backends:

``jobs=1``
    In this process.
``jobs=N``
    A local pool of N worker processes.
``scheduler="tcp://host:port"`` (or a ``dask.distributed.Client``)
    The workers of a Dask cluster.  ``dask[distributed]`` is an optional
    dependency (``pip install 'receptorkin[dask]'``), imported only here and
    only when a scheduler is given.

Each worker process builds its expensive state once (for receptorkin: it
compiles the model from SBML text) through ``setup(*setup_args)``; tasks then
carry only small arguments, and RoadRunner objects never cross process
boundaries.  On Dask the pickled ``(setup, setup_args)`` payload is scattered
to every worker once and the state is cached inside the worker process under
the payload's SHA-256, so a long-lived cluster compiles each model once per
worker however many calls use it.  Tasks are grouped into chunks
(``chunk_size``) so that per-task overhead stays small, at most a bounded
number of chunks is in flight (memory stays flat however many items there
are), and results come back in task order: the same inputs give the same
results, bit for bit, whichever backend runs them.
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import sys
import threading
from collections import OrderedDict
from typing import Any, Callable, Iterable, Iterator, Sequence

from .errors import SchedulerError

__all__ = ["WorkerPool", "run_tasks", "iter_tasks", "resolve_jobs", "chunked", "SchedulerError", "connect"]

#: seconds to wait for a Dask scheduler before giving up (``connect_timeout``)
DEFAULT_CONNECT_TIMEOUT = 5.0

_STATE: Any = None


# ------------------------------------------------------------------ helpers
def _init(setup: Callable[..., Any], setup_args: tuple) -> None:
    global _STATE
    import signal

    # Ctrl-C reaches the whole process group: only the parent handles it (it cancels the
    # queued work and stops the workers), so a worker neither dies mid-task with a traceback
    # nor keeps the parent waiting
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STATE = setup(*setup_args)


def _stop_pool(pool: Any) -> None:
    """Cancel the queued tasks of a process pool and stop its workers now (after an
    interruption or an error): running tasks are abandoned, nothing is left behind."""
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        return
    # earlier versions: the executor's own table of worker processes and its manager thread
    # (shutdown() forgets both)
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=2.0)
        if process.is_alive():
            process.kill()
    # the manager thread sees its workers gone and closes its wake-up pipe; let it finish here, or
    # Python < 3.12's exit handler may write to that pipe while it closes (stderr's last line is then
    # "OSError: [Errno 9] Bad file descriptor" after "receptorkin: interrupted"; CPython gh-125451)
    if manager is not None and manager.is_alive():
        manager.join(timeout=5.0)


def _call(fn: Callable[[Any, Any], Any], item: Any) -> Any:
    return fn(_STATE, item)


def _call_chunk(fn: Callable[[Any, Any], Any], chunk: Sequence[Any]) -> list[Any]:
    return [fn(_STATE, item) for item in chunk]


def resolve_jobs(jobs: int | None) -> int:
    """``None``/``0`` -> all cores; negative -> cores + 1 + jobs; at least 1."""
    cores = os.cpu_count() or 1
    if not jobs:
        return cores
    if jobs < 0:
        return max(1, cores + 1 + jobs)
    return int(jobs)


def chunked(items: Iterable[Any], size: int) -> list[list[Any]]:
    """Split ``items`` into lists of at most ``size``."""
    out: list[list[Any]] = []
    for item in items:
        if not out or len(out[-1]) >= size:
            out.append([])
        out[-1].append(item)
    return out


def _auto_chunk(n_items: int, workers: int) -> int:
    """About eight chunks per worker: small per-task overhead, balanced tails."""
    return max(1, math.ceil(n_items / (8 * max(1, workers))))


# --------------------------------------------------------------- dask: state
_LOCAL = threading.local()
_CACHE_SIZE = 4


def _worker_state(key: str, payload: bytes) -> Any:
    """The state built by the pickled ``(setup, setup_args)`` in ``payload``, cached
    in this worker process (per thread: a compiled model is not shared between
    threads) under ``key``; the least recently used of more than four is dropped."""
    cache: OrderedDict[str, Any] | None = getattr(_LOCAL, "cache", None)
    if cache is None:
        cache = _LOCAL.cache = OrderedDict()
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    setup, setup_args = pickle.loads(payload)
    state = setup(*setup_args)
    cache[key] = state
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return state


class _Chunk:
    """Items of one Dask task, in a box Dask does not look into (a tuple whose first
    element is callable would otherwise be read as a task of the graph)."""

    __slots__ = ("items",)

    def __init__(self, items: Sequence[Any]) -> None:
        self.items = items

    def __getstate__(self) -> tuple[Sequence[Any]]:
        return (self.items,)

    def __setstate__(self, state: tuple[Sequence[Any]]) -> None:
        self.items = state[0]


def _dask_chunk(fn: Callable[[Any, Any], Any], key: str, payload: bytes, chunk: _Chunk) -> list[Any]:
    state = _worker_state(key, payload)
    return [fn(state, item) for item in chunk.items]


def _check_reachable(address: str, timeout: float) -> None:
    """Check that a ``tcp://host:port`` address answers like a Dask scheduler.

    Opens a TCP connection and waits, at most ``timeout`` seconds in all, for
    the first byte of the handshake a Dask server sends as soon as it accepts a
    connection, then closes it.  A wrong address then fails at once with a
    clear message, and a peer that accepts connections but never answers (a
    wrong port, a hung process) fails after ``timeout``: Dask itself waits for
    that handshake without a deadline and would hang.
    """
    import socket
    import time

    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme != "tcp":
        return  # tls://, ws://, inproc://: left to Dask (with its timeout)
    host, colon, port_text = rest.rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port_text.isdigit():
        raise SchedulerError(f"Dask scheduler address {address!r}: expected tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)")
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, int(port_text)), timeout=timeout)
    except socket.timeout:
        raise SchedulerError(f"Dask scheduler {address}: no answer within {timeout:g} s (is the scheduler running, "
                             "and is the port open from here?)") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SchedulerError(f"Dask scheduler {address}: cannot connect ({reason}); start one with "
                             "'dask scheduler' or check the address") from None
    with sock:
        try:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            first = sock.recv(1)
        except socket.timeout:
            raise SchedulerError(f"Dask scheduler {address}: accepted the connection but sent nothing within "
                                 f"{timeout:g} s: is a Dask scheduler listening on that port?") from None
        except OSError as exc:
            raise SchedulerError(f"Dask scheduler {address}: connection lost ({exc.strerror or exc})") from None
        if not first:
            raise SchedulerError(f"Dask scheduler {address}: closed the connection at once: is a Dask scheduler "
                                 "listening on that port?")


def connect(scheduler: Any, timeout: float = DEFAULT_CONNECT_TIMEOUT) -> tuple[Any, bool]:
    """A ``dask.distributed.Client`` for ``scheduler``, and whether the caller owns it.

    Parameters
    ----------
    scheduler
        An address (``'tcp://host:port'``), a ``Client`` (used as is, never
        closed here) or a cluster object with a ``scheduler_address``
        (e.g. ``LocalCluster``).
    timeout
        Seconds to wait for the scheduler [s].

    Raises
    ------
    SchedulerError
        dask.distributed is not installed, the address is malformed, or the
        scheduler does not answer within ``timeout``.
    """
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerError("running on a Dask scheduler needs dask.distributed: "
                             "pip install 'receptorkin[dask]'") from None
    if isinstance(scheduler, Client):
        return scheduler, False
    address = getattr(scheduler, "scheduler_address", scheduler)
    if not isinstance(address, str) or not address.strip():
        raise SchedulerError(f"scheduler: expected an address such as 'tcp://host:8786', a dask Client or a cluster "
                             f"(got {scheduler!r})")
    address = address.strip()
    _check_reachable(address, timeout)
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:  # Dask raises OSError, TimeoutError, ValueError, ... : all mean "not usable"
        raise SchedulerError(f"Dask scheduler {address}: {' '.join(str(exc).split()) or type(exc).__name__}") from None
    return client, True


# ------------------------------------------------------------------- public
def iter_tasks(
    fn: Callable[[Any, Any], Any],
    items: Sequence[Any],
    *,
    setup: Callable[..., Any],
    setup_args: tuple = (),
    jobs: int | None = 1,
    scheduler: Any = None,
    chunk_size: int | None = 1,
    progress: bool | None = None,
    desc: str = "",
    weight: Callable[[Any], int] | None = None,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    max_pending: int | None = None,
) -> Iterator[Any]:
    """Yield ``fn(state, item)`` for every item, in item order, as results arrive.

    ``state = setup(*setup_args)`` is built once per process (once in this
    process for ``jobs=1``).  Results are yielded in the order of ``items``
    whichever backend computes them; at most ``max_pending`` chunks are
    submitted or waiting to be yielded at any time, so a consumer that writes
    each result to disk keeps memory flat.

    Parameters
    ----------
    fn
        A module-level function ``fn(state, item)`` (picklable by reference).
    items
        Task arguments.
    setup, setup_args
        Builds the per-process state (e.g. compiles a model); module-level
        and picklable.
    jobs
        1 runs in this process; N > 1 uses N local worker processes
        (``None``/0: all cores).  Ignored when ``scheduler`` is given.
    scheduler
        A Dask scheduler address (``'tcp://host:8786'``), a
        ``dask.distributed.Client`` or a cluster: run on its workers.
    chunk_size
        Items per task (``None``: about eight tasks per worker).
    progress
        ``None``: a live bar in a terminal, one line per phase otherwise;
        ``True``/``False``: always/never a live bar (see :mod:`receptorkin.progress`).
    desc
        Label of the progress bar.
    weight
        Units an item counts for in the progress bar (default 1 each; e.g.
        ``len`` when each item is a chunk of individuals).
    connect_timeout
        Seconds to wait for a Dask scheduler [s].
    max_pending
        Chunks in flight or waiting (default four per worker).

    Raises
    ------
    SchedulerError
        The Dask scheduler cannot be reached.
    Exception
        The first exception a task raised, re-raised here (remaining tasks
        are cancelled).
    """
    from .progress import progress_bar

    items = list(items) if not isinstance(items, Sequence) else items
    if chunk_size is not None and int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be at least 1 (got {chunk_size!r})")
    total = sum(weight(it) for it in items) if weight is not None else len(items)
    bar = progress_bar(total, desc or "tasks", show=progress, unit="task" if weight is None else "it")

    def advance(chunk: Sequence[Any]) -> None:
        bar.update(sum(weight(it) for it in chunk) if weight is not None else len(chunk))

    try:
        if scheduler is not None:
            yield from _iter_dask(fn, items, setup, setup_args, scheduler, chunk_size, advance, connect_timeout,
                                  max_pending)
            return
        workers = resolve_jobs(jobs)
        if workers == 1 or len(items) <= 1:
            state = setup(*setup_args)
            for item in items:
                result = fn(state, item)
                advance((item,))
                yield result
            return
        yield from _iter_pool(fn, items, setup, setup_args, workers, chunk_size, advance, max_pending)
    finally:
        bar.close()


def run_tasks(
    fn: Callable[[Any, Any], Any],
    items: Sequence[Any],
    *,
    setup: Callable[..., Any],
    setup_args: tuple = (),
    jobs: int | None = 1,
    progress: bool | None = None,
    desc: str = "",
    scheduler: Any = None,
    chunk_size: int | None = 1,
    weight: Callable[[Any], int] | None = None,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> list[Any]:
    """Apply ``fn(state, item)`` to every item; ``state = setup(*setup_args)``
    is built once per process.  Returns the results in item order.

    Parameters
    ----------
    fn
        A module-level function (picklable).
    items
        Task arguments.
    setup, setup_args
        Builds the per-process state (e.g. a compiled problem).
    jobs
        1 runs in this process; N > 1 uses N worker processes.
    progress
        Show a tqdm progress bar (default: when stderr is a terminal).
    desc
        Label of the progress bar.
    scheduler
        Run on a Dask cluster instead (address, ``Client`` or cluster).
    chunk_size
        Items per task (default 1; ``None``: about eight tasks per worker).
    weight
        Progress units per item (default 1).
    connect_timeout
        Seconds to wait for a Dask scheduler [s].

    See :func:`iter_tasks` for the details; this collects its results.
    """
    return list(iter_tasks(fn, items, setup=setup, setup_args=setup_args, jobs=jobs, scheduler=scheduler,
                           chunk_size=chunk_size, progress=progress, desc=desc, weight=weight,
                           connect_timeout=connect_timeout))


# ----------------------------------------------------------------- backends
def _process_pool(setup, setup_args, workers: int):
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("spawn" if sys.platform == "darwin" else "fork")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init, initargs=(setup, setup_args))


def _iter_pool(fn, items, setup, setup_args, workers: int, chunk_size, advance, max_pending,
               executor=None) -> Iterator[Any]:
    from concurrent.futures import FIRST_COMPLETED, wait

    size = _auto_chunk(len(items), workers) if chunk_size is None else int(chunk_size)
    chunks = chunked(items, size)
    limit = max(2, int(max_pending) if max_pending else 4 * workers)
    owned = executor is None
    pool = _process_pool(setup, setup_args, min(workers, len(chunks))) if owned else executor
    pending: dict[Any, int] = {}
    done: dict[int, list[Any]] = {}
    submitted = 0
    next_out = 0
    ok = False
    try:
        while next_out < len(chunks):
            while submitted < len(chunks) and len(pending) + len(done) < limit:
                chunk = chunks[submitted]
                fut = pool.submit(_call, fn, chunk[0]) if len(chunk) == 1 else pool.submit(_call_chunk, fn, chunk)
                pending[fut] = submitted
                submitted += 1
            if next_out not in done:
                finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for fut in finished:
                    index = pending.pop(fut)
                    result = fut.result()
                    done[index] = [result] if len(chunks[index]) == 1 else result
                    advance(chunks[index])
            while next_out in done:
                yield from done.pop(next_out)
                next_out += 1
        ok = True
    finally:
        if owned:
            if ok:
                pool.shutdown(wait=True)
            else:
                _stop_pool(pool)
        elif not ok:
            for fut in pending:
                fut.cancel()


def _iter_dask(fn, items, setup, setup_args, scheduler, chunk_size, advance, timeout, max_pending) -> Iterator[Any]:
    client, owned = connect(scheduler, timeout)
    try:
        from distributed import as_completed

        try:
            threads = sum(client.nthreads().values())
        except Exception as exc:
            raise SchedulerError(f"Dask scheduler: cannot list its workers: {exc}") from None
        workers = max(1, threads)
        size = _auto_chunk(len(items), workers) if chunk_size is None else int(chunk_size)
        chunks = chunked(items, size)
        limit = max(2, int(max_pending) if max_pending else 4 * workers)
        payload = pickle.dumps((setup, setup_args), protocol=pickle.HIGHEST_PROTOCOL)
        key = hashlib.sha256(payload).hexdigest()
        [payload_future] = client.scatter([payload], broadcast=True, hash=False)
        pending: dict[Any, int] = {}
        done: dict[int, list[Any]] = {}
        submitted = 0
        next_out = 0
        stream = as_completed(loop=client.loop)

        def submit_more() -> None:
            nonlocal submitted
            while submitted < len(chunks) and len(pending) + len(done) < limit:
                fut = client.submit(_dask_chunk, fn, key, payload_future, _Chunk(chunks[submitted]), pure=False)
                pending[fut] = submitted
                stream.add(fut)
                submitted += 1

        try:
            submit_more()
            while next_out < len(chunks):
                if next_out not in done:
                    fut = next(stream)
                    index = pending.pop(fut)
                    done[index] = fut.result()
                    fut.release()
                    advance(chunks[index])
                while next_out in done:
                    yield from done.pop(next_out)
                    next_out += 1
                submit_more()
        finally:
            if pending:
                client.cancel(list(pending))
            payload_future.release()
    finally:
        if owned:
            client.close()


class WorkerPool:
    """Workers that keep their state between batches of tasks.

    :func:`run_tasks` starts and stops its workers on every call; an
    iterative search (a regimen optimizer asking for one generation at a
    time) would recompile the model for every batch.  A ``WorkerPool`` builds
    ``setup(*setup_args)`` once per worker process (a local process pool,
    ``jobs`` > 1), once per Dask worker (``scheduler``), or once in this
    process, and :meth:`map` reuses it.  Results come back in item order, so
    the backends agree bit for bit.

    Examples
    --------
    >>> with WorkerPool(setup, (payload,), jobs=2) as pool:   # doctest: +SKIP
    ...     first = pool.map(evaluate, batch_1)
    ...     second = pool.map(evaluate, batch_2)
    """

    def __init__(self, setup: Callable[..., Any], setup_args: tuple = (), *, jobs: int | None = 1,
                 scheduler: Any = None, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT) -> None:
        self._setup, self._args = setup, setup_args
        self._timeout = connect_timeout
        self._client = self._pool = self._state = None
        self._owned = False
        if scheduler is not None:
            self._client, self._owned = connect(scheduler, connect_timeout)
            self.workers = 0
        else:
            self.workers = resolve_jobs(jobs)
            if self.workers > 1:
                self._pool = _process_pool(setup, setup_args, self.workers)
            else:
                self._state = setup(*setup_args)

    def map(self, fn: Callable[[Any, Any], Any], items: Sequence[Any], *, chunk_size: int | None = None) -> list[Any]:
        """``[fn(state, item) for item in items]`` on the pool's workers."""
        items = list(items)
        if not items:
            return []
        noop = lambda chunk: None  # noqa: E731
        if self._client is not None:
            return list(_iter_dask(fn, items, self._setup, self._args, self._client, chunk_size, noop, self._timeout, None))
        if self._pool is not None and len(items) > 1:
            return list(_iter_pool(fn, items, self._setup, self._args, self.workers, chunk_size, noop, None,
                                   executor=self._pool))
        if self._state is None:
            self._state = self._setup(*self._args)
        return [fn(self._state, item) for item in items]

    def close(self, abandon: bool = False) -> None:
        """Stop the workers; ``abandon`` stops them at once, dropping running and queued tasks."""
        if self._pool is not None:
            if abandon:
                _stop_pool(self._pool)
            else:
                self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None and self._owned:
            self._client.close()
        self._client = None

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(abandon=exc_type is not None)
