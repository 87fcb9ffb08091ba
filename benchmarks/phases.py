"""Per-file CPU of the check/summary read path, split by phase, in one process.

    python benchmarks/phases.py --n 200

Times, per workbook of a set of workbooks (``--dir``; by default the generated set of
``benchmarks/generate.py``, cached in ``benchmarks/_work``): the safety gate, :func:`perfxl.reader.read_book`, the form readers
(:func:`perfxl.forms.workbook.read_workbook`), scoring and the checks. Each phase is timed
over every file; the best of ``--repeat`` passes is printed (the machine is noisy).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dir", type=Path, help="measure the first N *.xlsx of this folder instead")
    args = ap.parse_args(argv)

    import generate

    from perfxl import reader
    from perfxl.forms.workbook import read_workbook
    from perfxl.rules.checks import check_file
    from perfxl.rules.scoring import score_project
    from perfxl.safety import gate_workbook, guard_xml

    if args.dir is not None:
        files = sorted(args.dir.glob("*.xlsx"))[: args.n]
    else:
        folder = ROOT / "benchmarks" / "_work" / f"set_seed{args.seed}"
        generate.generate(args.n, folder, args.seed, verbose=False)
        files = [folder / generate.workbook_name(i) for i in range(args.n)]
    phases = ("gate", "book", "forms", "score", "checks")
    best = {k: float("inf") for k in phases}
    for _ in range(args.repeat):
        spent = dict.fromkeys(phases, 0.0)
        for f in files:
            t0 = time.perf_counter()
            _, package = gate_workbook(f)
            t1 = time.perf_counter()
            with guard_xml(f):
                wb = reader.read_book(f, package)
            t2 = time.perf_counter()
            pf, _, _ = read_workbook(wb)
            t3 = time.perf_counter()
            scores = [score_project(p, pf.settings) for p in pf.projects]
            t4 = time.perf_counter()
            check_file(pf, scores)
            t5 = time.perf_counter()
            for k, dt in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                spent[k] += dt
        for k in phases:
            best[k] = min(best[k], spent[k])
    n = len(files)
    print(f"{n} workbooks, ms per workbook (best of {args.repeat}):")
    for k in phases:
        print(f"  {k:<7} {best[k] / n * 1000:7.2f}")
    print(f"  {'total':<7} {sum(best.values()) / n * 1000:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
