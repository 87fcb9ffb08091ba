"""Where the time goes: profile ``check``, ``summary`` or ``score`` on the generated set.

    python benchmarks/profile_cmd.py check --n 200            # cProfile, grouped by area
    python benchmarks/profile_cmd.py summary --n 200 --pyinstrument

Prints own time grouped by area (perfxl module, openpyxl part, pydantic, XML parsing, zip, …)
and the top functions by own and cumulative time. Runs in this process; the set comes from
``benchmarks/generate.py`` (cached in ``benchmarks/_work``).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

AREAS = [  # (substring of the file path, area) — first match wins
    ("perfxl/forms/", "perfxl.forms"),
    ("perfxl/rules/", "perfxl.rules"),
    ("perfxl/summary/", "perfxl.summary"),
    ("perfxl/safety", "perfxl.safety"),
    ("perfxl/", "perfxl (other)"),
    ("openpyxl/reader/excel", "openpyxl load (workbook parts)"),
    ("openpyxl/worksheet/_reader", "openpyxl worksheet parse"),
    ("openpyxl/worksheet/_read_only", "openpyxl read-only parse"),
    ("openpyxl/styles", "openpyxl styles"),
    ("openpyxl/cell", "openpyxl cells"),
    ("openpyxl/writer", "openpyxl write"),
    ("openpyxl/worksheet/_writer", "openpyxl write"),
    ("openpyxl/chart", "openpyxl charts"),
    ("openpyxl/descriptors", "openpyxl descriptors"),
    ("openpyxl/xml", "openpyxl xml"),
    ("openpyxl/", "openpyxl (other)"),
    ("python_calamine", "calamine"),
    ("pydantic", "pydantic"),
    ("pandas", "pandas"),
    ("numpy", "numpy"),
    ("defusedxml", "defusedxml"),
    ("xml/etree", "xml parsing"),
    ("zipfile", "zipfile"),
    ("decimal", "decimal"),
    ("re/", "re"),
    ("/re.py", "re"),
]


def area(filename: str, funcname: str) -> str:
    if filename == "~":  # builtins: attribute them by name
        if "xml" in funcname or "XMLParser" in funcname or "iterparse" in funcname:
            return "xml parsing (C)"
        if "zlib" in funcname or "decompress" in funcname:
            return "zlib"
        if "calamine" in funcname.lower() or "Calamine" in funcname:
            return "calamine"
        return "builtins"
    f = filename.replace("\\", "/")
    for key, name in AREAS:
        if key in f:
            return name
    return "other"


def by_area(stats: pstats.Stats) -> list[tuple[str, float]]:
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, func), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        totals[area(filename, func)] += tt
    return sorted(totals.items(), key=lambda kv: -kv[1])


def run_command(command: str, files: list[str], seed_file: str, out: Path) -> None:
    from perfxl.cli import main

    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), contextlib.redirect_stderr(io.StringIO()):
        if command == "check":
            for f in files:
                main(["check", f])
        elif command == "read":
            from perfxl.sources import load

            for f in files:
                load(f)
        elif command == "summary":
            main(["summary", *files, "-o", str(out / "profile_summary.xlsx")])
        elif command == "score":
            for _ in range(5):
                main(["score", seed_file, "-o", str(out / "profile_score.xlsx")])
        elif command == "roundtrip":
            import openpyxl

            for _ in range(5):
                openpyxl.load_workbook(seed_file).save(out / "profile_roundtrip.xlsx")
        else:
            raise SystemExit(f"unknown command {command}")


def main(argv: list[str] | None = None) -> int:
    from generate import generate, seed_workbook

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["check", "read", "summary", "score", "roundtrip"])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--workdir", type=Path, default=HERE / "_work")
    ap.add_argument("--pyinstrument", action="store_true", help="use pyinstrument instead of cProfile")
    args = ap.parse_args(argv)

    setdir = args.workdir / f"set_seed{args.seed}"
    generate(args.n, setdir, args.seed, verbose=False)
    files = [str(setdir / f"wb_{i:05d}.xlsx") for i in range(args.n)]
    seed_file = str(seed_workbook(args.workdir, "self_evaluation"))
    # warm the imports so the profile shows the work, not the import of pandas
    import perfxl.cli  # noqa: F401
    import perfxl.forms.workbook  # noqa: F401

    with contextlib.suppress(ImportError):
        import perfxl.summary  # noqa: F401
        import perfxl.rules.checks  # noqa: F401

    if args.pyinstrument:
        from pyinstrument import Profiler

        prof = Profiler(interval=0.001)
        t0 = time.perf_counter()
        prof.start()
        run_command(args.command, files, seed_file, args.workdir)
        prof.stop()
        print(f"{args.command} on {args.n} files: {time.perf_counter() - t0:.2f} s (under pyinstrument)")
        print(prof.output_text(unicode=True, color=False, show_all=False))
        return 0

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    run_command(args.command, files, seed_file, args.workdir)
    prof.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    total = sum(tt for (_cc, _nc, tt, _ct, _c) in stats.stats.values())
    print(f"{args.command} on {args.n if args.command not in ('score', 'roundtrip') else '1 seed (x5)'} "
          f"files: {wall:.2f} s under cProfile; own time {total:.2f} s\n")
    print("own time by area:")
    for name, tt in by_area(stats):
        if tt / total >= 0.005:
            print(f"  {name:<34} {tt:8.2f} s  {100 * tt / total:5.1f} %")
    for key, title in (("tottime", "own time"), ("cumulative", "cumulative time")):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(args.top)
        print(f"\ntop {args.top} by {title}:")
        print("\n".join(buf.getvalue().splitlines()[6:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
