"""Run one function over many input files, on several cores when the batch is large (issue 7).

``map_files(fn, paths, jobs)`` yields ``fn(path)`` for every path, in input order. With
``jobs > 1`` and at least :data:`POOL_MIN_FILES` files it uses a process pool; ``fn`` must be a
module-level function and should return small, picklable results (rows, findings), never a
workbook, so the parent's memory stays flat as the batch grows. Below the threshold (or with
``jobs=1``) everything runs in this process: starting workers costs more than it saves.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

POOL_MIN_FILES = 50
DEFAULT_JOBS = 2


def default_jobs() -> int:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # Windows, macOS
        usable = os.cpu_count() or 1
    return max(1, min(DEFAULT_JOBS, usable))


def map_files(fn: Callable[[Path], T], paths: Iterable[Path], jobs: int | None = None) -> Iterator[T]:
    paths = list(paths)
    jobs = default_jobs() if jobs is None else max(1, jobs)
    if jobs == 1 or len(paths) < POOL_MIN_FILES:
        for p in paths:
            yield fn(p)
        return
    import multiprocessing

    # small chunks keep results flowing (progress, memory); the order is the input order
    chunk = max(1, min(16, len(paths) // (jobs * 8)))
    with multiprocessing.get_context().Pool(jobs) as pool:
        yield from pool.imap(fn, paths, chunksize=chunk)
