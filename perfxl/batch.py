"""Run one function over many input files, on several cores when the batch is large.

``map_files(fn, paths, jobs)`` yields ``fn(path)`` for every path, in input order. With
``jobs > 1`` and at least :data:`POOL_MIN_FILES` files it uses a process pool; ``fn`` must be a
module-level function and should return small, picklable results (rows, findings), never a
workbook, so the parent's memory stays flat as the batch grows. Below the threshold (or with
``jobs=1``) everything runs in this process: starting workers costs more than it saves.

``worker_pool(n, jobs)`` opens that pool for a caller that has more work for the workers after
the files (``map_files(..., pool=pool)``, then ``map_items``): the summary's cross-year view.

Nothing hangs and nothing is lost when a worker dies: the pool is a
``concurrent.futures.ProcessPoolExecutor``, whose death is reported (``BrokenProcessPool``)
instead of waited for. The files that were unfinished are then retried once, one at a time, in a
fresh pool; a file that kills its worker again is handed to ``crashed(path)`` (the caller's
"not read, and why") and the batch goes on. Workers ignore Ctrl-C: the parent alone stops,
ends them and says so in one line.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

POOL_MIN_FILES = 50
DEFAULT_JOBS = 2


class WorkerCrashed(RuntimeError):
    """A file killed its worker process twice and the caller gave no ``crashed`` handler."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"读取 {path} 时工作进程两次意外终止（可能内存不足或文件触发了程序缺陷）")


def default_jobs() -> int:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # Windows, macOS
        usable = os.cpu_count() or 1
    return max(1, min(DEFAULT_JOBS, usable))


# A batch allocates millions of short-lived objects that reference counting frees; the cyclic
# collector's default (a collection per 700 allocations, each walking every object alive,
# caches included) cost about a tenth of a worker's time. Fewer collections, same memory.
GC_THRESHOLD = (50_000, 20, 20)


def _worker_start() -> None:
    """Each worker: Ctrl-C and SIGTERM are the parent's to handle (no traceback per worker);
    what is imported now stays (gc.freeze), and collections are rarer."""
    import gc
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


# Set when a pool was ended mid-work (Ctrl-C, an error): a worker killed while sending its
# result leaves a partial message in the result pipe, and the executor's manager thread, which
# Python's exit joins, then waits on it for ever. The program exits without that join
# (cli.run).
_abandoned = False


def pool_abandoned() -> bool:
    """Whether a pool of this process was ended mid-work (see :data:`_abandoned`)."""
    return _abandoned


class Pool:
    """A process pool that can be replaced by a fresh one when a worker dies."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        import multiprocessing

        return ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context(),
                                   initializer=_worker_start)

    def renew(self) -> None:
        """Drop the (broken) executor and start a fresh one."""
        self.terminate()
        self.executor = self._start()

    def terminate(self) -> None:
        """End every worker now (Ctrl-C, a broken pool): no waiting for running jobs."""
        processes = list((getattr(self.executor, "_processes", None) or {}).values())
        self.executor.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.terminate()
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.join(5)

    def close(self) -> None:
        self.executor.shutdown(wait=True)


@contextlib.contextmanager
def worker_pool(n_files: int, jobs: int | None = None):
    """A process pool for a batch of ``n_files``, or None where one process is better."""
    jobs = default_jobs() if jobs is None else max(1, jobs)
    if jobs == 1 or n_files < POOL_MIN_FILES:
        yield None
        return
    pool = Pool(jobs)
    try:
        yield pool
    except BaseException:
        global _abandoned
        _abandoned = True
        pool.terminate()
        raise
    pool.close()


def _run_chunk(fn: Callable[[T], R], items: list[T]) -> list[R]:
    _test_crash(items)
    return [fn(item) for item in items]


def _test_crash(items: list) -> None:
    """Test hook: a worker given a file whose name contains ``PERFXL_TEST_CRASH_ON`` dies as the
    OOM killer would kill it (SIGKILL); with ``PERFXL_TEST_CRASH_ONCE=MARKER`` only while the
    marker file exists (it is removed first), so the retry succeeds."""
    needle = os.environ.get("PERFXL_TEST_CRASH_ON")
    if not needle or not any(needle in Path(str(i)).name for i in items):
        return
    marker = os.environ.get("PERFXL_TEST_CRASH_ONCE")
    if marker:
        try:
            os.unlink(marker)
        except FileNotFoundError:
            return
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def map_files(fn: Callable[[Path], T], paths: Iterable[Path], jobs: int | None = None,
              pool: Pool | None = None, crashed: Callable[[Path], T] | None = None) -> Iterator[T]:
    """``fn(path)`` for every path, in order: in ``pool`` if given, else in a pool of its own
    for a large batch (see :func:`worker_pool`). ``crashed(path)`` stands for the result of a
    file that killed its worker twice (without it, :class:`WorkerCrashed` is raised)."""
    paths = list(paths)
    if pool is None:
        with worker_pool(len(paths), jobs) as own:
            if own is None:
                yield from map(fn, paths)
            else:
                yield from map_files(fn, paths, pool=own, crashed=crashed)
        return
    # small chunks keep results flowing (progress, memory); the order is the input order
    chunk = max(1, min(16, len(paths) // 16))
    window = 4 * pool.jobs  # chunks in flight
    pending: deque = deque()
    done = submitted = 0
    while done < len(paths):
        while submitted < len(paths) and len(pending) < window:
            part = paths[submitted:submitted + chunk]
            pending.append(pool.executor.submit(_run_chunk, fn, part))
            submitted += len(part)
        try:
            results = pending.popleft().result()
        except BrokenProcessPool:
            # a worker died: every file from `done` to `submitted` may have been with it
            pending.clear()
            pool.renew()
            for path in paths[done:submitted]:
                yield _retry(pool, fn, path, crashed)
            done = submitted
            continue
        done += len(results)
        yield from results


def _retry(pool: Pool, fn: Callable[[Path], T], path: Path, crashed: Callable[[Path], T] | None) -> T:
    """``fn(path)`` alone in the pool, so that a second death names its file."""
    try:
        return pool.executor.submit(_run_chunk, fn, [path]).result()[0]
    except BrokenProcessPool:
        pool.renew()
        if crashed is None:
            raise WorkerCrashed(path) from None
        return crashed(path)


def map_items(fn: Callable[[T], R], items: list[T], pool: Pool | None = None) -> Callable[[], list[R]]:
    """Start ``fn`` over ``items`` in ``pool`` (in this process without one); returns the
    function that waits for and returns the results, in order — the caller works meanwhile.
    Should a worker die, the items are computed in this process instead."""
    if pool is None or not items:
        return lambda: [fn(item) for item in items]
    chunk = max(1, len(items) // 8)  # a few chunks per worker, so they finish together
    futures = [pool.executor.submit(_run_chunk, fn, items[i:i + chunk])
               for i in range(0, len(items), chunk)]

    def get() -> list[R]:
        try:
            return [r for f in futures for r in f.result()]
        except BrokenProcessPool:
            pool.renew()
            return [fn(item) for item in items]

    return get
