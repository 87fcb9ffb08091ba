"""Run one function over many input files, on several cores when the batch is large.

``map_files(fn, paths, jobs)`` yields ``fn(path)`` for every path, in input order. With
``jobs > 1`` and at least :data:`POOL_MIN_FILES` files it uses a process pool; ``fn`` must be a
module-level function and should return small, picklable results (rows, findings), never a
workbook, so the parent's memory stays flat as the batch grows. Below the threshold (or with
``jobs=1``) everything runs in this process: starting workers costs more than it saves.

``worker_pool(n, jobs)`` opens that pool for a caller that has more work for the workers after
the files (``map_files(..., pool=pool)``, then ``map_items``): the summary's cross-year view.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

POOL_MIN_FILES = 50
DEFAULT_JOBS = 2


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
    """Each worker: what is imported now stays (gc.freeze), and collections are rarer."""
    import gc

    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


@contextlib.contextmanager
def worker_pool(n_files: int, jobs: int | None = None):
    """A process pool for a batch of ``n_files``, or None where one process is better."""
    jobs = default_jobs() if jobs is None else max(1, jobs)
    if jobs == 1 or n_files < POOL_MIN_FILES:
        yield None
        return
    import multiprocessing

    with multiprocessing.get_context().Pool(jobs, initializer=_worker_start) as pool:
        yield pool


def map_files(fn: Callable[[Path], T], paths: Iterable[Path], jobs: int | None = None,
              pool=None) -> Iterator[T]:
    """``fn(path)`` for every path, in order: in ``pool`` if given, else in a pool of its own
    for a large batch (see :func:`worker_pool`)."""
    paths = list(paths)
    if pool is None:
        with worker_pool(len(paths), jobs) as own:
            if own is None:
                yield from map(fn, paths)
            else:
                yield from map_files(fn, paths, pool=own)
        return
    # small chunks keep results flowing (progress, memory); the order is the input order
    chunk = max(1, min(16, len(paths) // 16))
    yield from pool.imap(fn, paths, chunksize=chunk)


def map_items(fn: Callable[[T], R], items: list[T], pool=None) -> Callable[[], list[R]]:
    """Start ``fn`` over ``items`` in ``pool`` (in this process without one); returns the
    function that waits for and returns the results, in order — the caller works meanwhile."""
    if pool is None:
        return lambda: [fn(item) for item in items]
    chunk = max(1, len(items) // 8)  # a few chunks per worker, so they finish together
    pending = pool.map_async(fn, items, chunksize=chunk)
    return pending.get
