"""perfxl.batch: order, the pool threshold and the workers' collector settings."""

from __future__ import annotations

import gc
import os
from pathlib import Path

from perfxl import batch


def _worker_view(path: Path) -> tuple[str, int, tuple[int, int, int]]:
    return path.name, os.getpid(), gc.get_threshold()


def test_map_files_keeps_the_input_order_and_tunes_the_workers_collector():
    paths = [Path(f"f{i:03d}.xlsx") for i in range(batch.POOL_MIN_FILES + 30)]
    got = list(batch.map_files(_worker_view, paths, jobs=2))
    assert [name for name, _, _ in got] == [p.name for p in paths]
    assert os.getpid() not in {pid for _, pid, _ in got}  # a pool ran them
    assert {threshold for _, _, threshold in got} == {batch.GC_THRESHOLD}
    assert gc.get_threshold() != batch.GC_THRESHOLD  # the caller's own settings are untouched


def test_a_small_batch_runs_in_this_process():
    paths = [Path(f"f{i}.xlsx") for i in range(3)]
    got = list(batch.map_files(_worker_view, paths, jobs=2))
    assert {pid for _, pid, _ in got} == {os.getpid()}
