"""perfxl benchmark: check, summary and score against the cost of reading the files.

    python benchmarks/run.py [--n 1000] [--repeat 3] [--markdown] [--json OUT.json]

In one run, on the same generated workbooks (``benchmarks/generate.py``), it measures

- the floor: every cell value of every file read with python-calamine and nothing else;
- the structure floor: the floor plus one expat parse of each worksheet part with no Python
  called per element — the least a reader spends that also needs what calamine does not give
  (which cells hold formulas, number formats), before any of its own Python runs;
- ``perfxl check`` over all N files (in-process through ``perfxl.cli.main``: one call per file,
  or one call with every file if ``check`` accepts several inputs);
- ``perfxl summary`` over all N files (one call), and of that the time spent writing the
  summary workbook (after every file is read; one process);
- ``perfxl score`` of one seed workbook against a bare openpyxl load + save of the same file;
- peak memory of each batch measurement at a small N (100 for N = 1,000) and at N;

and prints workbooks per second, each ratio to its floor and the targets, as medians
over ``--repeat`` runs. Each batch row also gives its CPU time per workbook (all processes,
pool workers included) and the rate that CPU allows with every usable core busy: on a shared
machine the wall rates move with the neighbours, the CPU per workbook much less, and a target
above the CPU bound can't be met without less work per workbook. Every measurement runs in a
fresh Python process (imports done before the clock starts), so the peak RSS it reports is its
own. Extra rows (perfxl's reader alone,
openpyxl's value reader) show where the time goes between the floor and the commands.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# targets ("Done when" of the issues that set them)
TARGET_RATE = 200.0  # workbooks per second, check and summary at N = 1,000
TARGET_FLOOR_RATIO = 2.0  # check and summary within 2x of the calamine floor
TARGET_SCORE_RATIO = 1.5  # score of one seed workbook vs bare openpyxl load + save
TARGET_MEMORY_GROWTH = 2.0  # peak memory N = 100 -> N = 1,000

# batch measurements: kind -> (label, is a perfxl command measured against the floor)
BATCH = {
    "floor": "calamine: every cell value (floor)",
    "structure": "calamine + expat over each sheet, no Python per element (reference)",
    "openpyxl_values": "openpyxl read-only values (reference)",
    "read": "perfxl read_projects only (reference)",
    "check": "perfxl check",
    "summary": "perfxl summary",
    "check_2proc": "perfxl check, 2 processes (pool estimate)",
}
TARGETED = ("check", "summary")
POOLED = ("check", "summary", "check_2proc")  # measurements that use more than one core
SINGLE = {
    "openpyxl_roundtrip": "openpyxl load + save, seed workbook (floor)",
    "score": "perfxl score seed workbook -o OUT",
}


# --- measurements (each runs in a child process) -------------------------------------------------


def _rss_kb() -> int:
    """Peak resident memory of this process and of any children it waited for, in KiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids)


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and of the children it waited for (the
    workers of perfxl's pool): what a measurement costs whatever the machine's neighbours do."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@contextlib.contextmanager
def _quiet():
    """perfxl prints reports; the benchmark times producing them, not a terminal."""
    with open(os.devnull, "w", encoding="utf-8") as null:
        with contextlib.redirect_stdout(null), contextlib.redirect_stderr(io.StringIO()) as err:
            yield err


def _floor(files: list[str]) -> dict:
    from python_calamine import CalamineWorkbook

    cells = 0
    for f in files:
        wb = CalamineWorkbook.from_path(f)
        for name in wb.sheet_names:
            for row in wb.get_sheet_by_name(name).to_python():
                cells += len(row)
        wb.close() if hasattr(wb, "close") else None
    return {"cells": cells}


def _structure(files: list[str]) -> dict:
    """The floor, then each worksheet part parsed once more by expat with no handler set: what
    finding formula cells and number formats costs at the least with the standard library's
    parser (lxml's and ElementTree's tree builders cost more), before a Python call per element."""
    import zipfile
    from xml.parsers import expat

    result = _floor(files)
    for f in files:
        with zipfile.ZipFile(f) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    expat.ParserCreate(namespace_separator="}").Parse(z.read(name), True)
    return result


def _openpyxl_values(files: list[str]) -> dict:
    import openpyxl

    cells = 0
    for f in files:
        wb = openpyxl.load_workbook(f, read_only=True, data_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells += len(row)
        wb.close()
    return {"cells": cells}


def _read(files: list[str]) -> dict:
    from perfxl.sources import load

    projects = 0
    for f in files:
        pf, _ = load(f)
        projects += len(pf.projects)
    return {"projects": projects}


def check_is_batch() -> bool:
    """Does ``perfxl check`` take several inputs (nargs + or *)?"""
    from perfxl.cli import build_parser

    sub = _subparser(build_parser(), "check")
    for action in sub._actions:
        if action.dest in ("input", "inputs", "files"):
            return action.nargs in ("+", "*")
    return False


def has_command(name: str) -> bool:
    from perfxl.cli import build_parser

    return _subparser(build_parser(), name) is not None


def _subparser(parser, name):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(name)
    return None


def _cli(argv: list[str]) -> int:
    from perfxl.cli import main

    return main(argv)


def _check(files: list[str]) -> dict:
    codes: dict[str, int] = {}
    if check_is_batch():
        rc = _cli(["check", *files])
        codes[str(rc)] = 1
        return {"exit_codes": codes, "mode": "batch"}
    for f in files:
        rc = _cli(["check", f])
        codes[str(rc)] = codes.get(str(rc), 0) + 1
    return {"exit_codes": codes, "mode": "per-file"}


def _summary(files: list[str], out: str) -> dict:
    from perfxl.summary.sheets import SummaryWriter

    save, spent = SummaryWriter.save, []

    def timed_save(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return save(self, *args, **kwargs)
        finally:
            spent.append(time.perf_counter() - t0)

    SummaryWriter.save = timed_save
    try:
        rc = _cli(["summary", *files, "-o", out])
    finally:
        SummaryWriter.save = save
    return {"exit_codes": {str(rc): 1}, "write_seconds": sum(spent)}


def _score(file: str, out: str) -> dict:
    rc = _cli(["score", file, "-o", out])
    return {"exit_codes": {str(rc): 1}}


def _openpyxl_roundtrip(file: str, out: str) -> dict:
    import openpyxl

    openpyxl.load_workbook(file).save(out)
    return {}


def _preload(kind: str) -> None:
    """Import what a measurement needs before the clock starts (a user's process has it loaded)."""
    import openpyxl  # noqa: F401
    import python_calamine  # noqa: F401

    if kind in ("read", "check", "summary", "score"):
        import perfxl.cli  # noqa: F401
        import perfxl.forms.workbook  # noqa: F401
        import perfxl.sources  # noqa: F401

        with contextlib.suppress(ImportError):
            import perfxl.rules.checks  # noqa: F401
        with contextlib.suppress(ImportError):
            import perfxl.report  # noqa: F401
        if kind == "summary":
            with contextlib.suppress(ImportError):
                import perfxl.summary  # noqa: F401
            with contextlib.suppress(ImportError):
                import pandas  # noqa: F401


def child(kind: str, list_file: str, out: str, inner: int) -> dict:
    files = Path(list_file).read_text("utf-8").split("\n")
    files = [f for f in files if f]
    _preload(kind)
    rss_base = _rss_kb()
    result: dict = {"kind": kind, "n": len(files)}
    with _quiet() as err:
        if kind in BATCH:
            fn = {
                "floor": lambda: _floor(files),
                "structure": lambda: _structure(files),
                "openpyxl_values": lambda: _openpyxl_values(files),
                "read": lambda: _read(files),
                "check": lambda: _check(files),
                "summary": lambda: _summary(files, out),
            }[kind]
            t0, cpu0 = time.perf_counter(), _cpu_seconds()
            result.update(fn())
            result["seconds"] = time.perf_counter() - t0
            result["cpu_seconds"] = _cpu_seconds() - cpu0
        else:
            fn = {"score": _score, "openpyxl_roundtrip": _openpyxl_roundtrip}[kind]
            fn(files[0], out)  # warm-up: first-call costs (lazy imports, caches) are not the file's
            times = []
            for _ in range(inner):
                t0 = time.perf_counter()
                info = fn(files[0], out)
                times.append(time.perf_counter() - t0)
            result.update(info)
            result["times"] = times
            result["seconds"] = statistics.median(times)
    result["stderr_tail"] = err.getvalue()[-500:]
    result["rss_base_kb"] = rss_base
    result["rss_peak_kb"] = _rss_kb()
    return result


def _spawn(kind: str, files: list[str], workdir: Path, inner: int, tag: str = "") -> subprocess.Popen:
    list_file = workdir / f"files_{kind}_{len(files)}{tag}.txt"
    list_file.write_text("\n".join(files), "utf-8")
    out = workdir / f"out_{kind}{tag}.xlsx"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", kind, "--_list", str(list_file),
           "--_out", str(out), "--_inner", str(inner)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def _collect(proc: subprocess.Popen, kind: str, n: int) -> dict:
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        return {"kind": kind, "n": n, "error": (stderr or stdout)[-2000:]}
    return json.loads(stdout.strip().splitlines()[-1])


def run_child(kind: str, files: list[str], workdir: Path, inner: int = 1) -> dict:
    """Run one measurement in a fresh interpreter; returns its result dict.

    ``check_2proc`` runs ``check`` on the two halves of the files in two processes at once and
    reports the wall time of both (start to last finish), the sum of their checks' exit codes,
    and the larger peak memory — an upper bound for what a 2-worker pool inside perfxl gives.
    """
    if kind != "check_2proc":
        return _collect(_spawn(kind, files, workdir, inner), kind, len(files))
    half = (len(files) + 1) // 2
    t0 = time.perf_counter()
    procs = [_spawn("check", part, workdir, 1, f"_p{i}") for i, part in enumerate((files[:half], files[half:])) if part]
    results = [_collect(p, "check", 0) for p in procs]
    wall = time.perf_counter() - t0
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        return {"kind": kind, "n": len(files), "error": errors[0]}
    codes: dict[str, int] = {}
    for r in results:
        for c, k in r["exit_codes"].items():
            codes[c] = codes.get(c, 0) + k
    # wall time includes two interpreter start-ups; the children's own clocks exclude them
    return {"kind": kind, "n": len(files), "seconds": max(r["seconds"] for r in results), "wall_seconds": wall,
            "cpu_seconds": sum(r["cpu_seconds"] for r in results), "exit_codes": codes,
            "rss_base_kb": max(r["rss_base_kb"] for r in results),
            "rss_peak_kb": max(r["rss_peak_kb"] for r in results)}


# --- the machine -------------------------------------------------------------------------------


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    mem_gb = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    import openpyxl
    from importlib.metadata import version

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "openpyxl": openpyxl.__version__,
        "python_calamine": version("python-calamine"),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


# --- the run -----------------------------------------------------------------------------------


def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def benchmark(n: int, repeat: int, workdir: Path, seed: int, inner: int, kinds: list[str],
              files: list[str] | None = None, small: int | None = None, verbose: bool = True,
              unique: int = 50) -> dict:
    from generate import generate, seed_workbook

    workdir.mkdir(parents=True, exist_ok=True)
    info = {"projects": None, "indicators": None}
    if files is None:
        setdir = workdir / f"set_seed{seed}"
        manifest = generate(n, setdir, seed, verbose=verbose, unique=unique)
        names = [f"wb_{i:05d}.xlsx" for i in range(n)]
        files = [str(setdir / name) for name in names]
        info = {
            "projects": sum(manifest["files"][m]["projects"] for m in names),
            "indicators": sum(manifest["files"][m]["indicators"] for m in names),
            "forms": {
                f: sum(manifest["files"][m]["form"] == f for m in names)
                for f in ("self_evaluation", "declaration")
            },
            "with_problems": sum(bool(manifest["files"][m]["problems"]) for m in names),
            "unique": min(unique, n),
        }
    n = len(files)
    small = small or min(100, max(1, n // 10))
    batch_kinds = [k for k in BATCH if k in kinds]
    single_kinds = [k for k in SINGLE if k in kinds]
    skipped = {}
    if "summary" in batch_kinds and not has_command("summary"):
        batch_kinds.remove("summary")
        skipped["summary"] = "perfxl has no summary command yet"
    seed_file = None
    if single_kinds:
        seed_file = str(seed_workbook(workdir, "self_evaluation"))

    raw: dict[str, list[dict]] = {}
    for r in range(repeat):
        # interleave kinds within a repeat, so a noisy neighbour hits them alike
        plan = [(k, files) for k in batch_kinds]
        if small < n:
            plan += [(k, files[:small]) for k in batch_kinds if k != "check_2proc"]
        plan += [(k, [seed_file]) for k in single_kinds]
        for kind, fs in plan:
            if verbose:
                print(f"  [{r + 1}/{repeat}] {kind} n={len(fs)} …", file=sys.stderr, end="", flush=True)
            res = run_child(kind, fs, workdir, inner if kind in SINGLE else 1)
            if verbose:
                print(f" {res.get('seconds', float('nan')):.3f} s" if "seconds" in res else " ERROR",
                      file=sys.stderr)
            raw.setdefault(f"{kind}@{len(fs)}", []).append(res)
    return summarise(raw, n, small, repeat, info, skipped, check_mode(raw))


def check_mode(raw) -> str | None:
    for key, runs in raw.items():
        if key.startswith("check@"):
            for r in runs:
                if "mode" in r:
                    return r["mode"]
    return None


def summarise(raw, n, small, repeat, info, skipped, mode) -> dict:
    rows = {}
    for key, runs in raw.items():
        kind, count = key.split("@")
        errors = [r["error"] for r in runs if "error" in r]
        ok = [r for r in runs if "error" not in r]
        sec = _median([r["seconds"] for r in ok])
        cpu = _median([r.get("cpu_seconds") for r in ok])
        codes: dict[str, int] = {}
        for r in ok:
            for c, k in r.get("exit_codes", {}).items():
                codes[c] = codes.get(c, 0) + k
        rows[key] = {
            "kind": kind,
            "n": int(count),
            "seconds": sec,
            "all_seconds": [r["seconds"] for r in ok],
            "rate": (int(count) / sec) if sec and kind in BATCH else None,
            "cpu_ms": (cpu / int(count) * 1000) if cpu and kind in BATCH else None,
            "rss_peak_mb": _mb(_median([r["rss_peak_kb"] for r in ok])),
            "rss_base_mb": _mb(_median([r["rss_base_kb"] for r in ok])),
            "exit_codes": codes,
            "errors": errors[:1],
            "cells": ok[0].get("cells") if ok else None,
            "write_seconds": _median([r.get("write_seconds") for r in ok]),
        }
    # ratios to the floor
    for key, row in rows.items():
        floor_key = f"floor@{row['n']}" if row["kind"] in BATCH else f"openpyxl_roundtrip@{row['n']}"
        floor = rows.get(floor_key, {}).get("seconds")
        row["x_floor"] = (row["seconds"] / floor) if floor and row["seconds"] else None
    verdicts = []
    for kind in TARGETED:
        row = rows.get(f"{kind}@{n}")
        if not row or row["seconds"] is None:
            continue
        verdicts.append(_verdict(f"{kind}: ≥ {TARGET_RATE:.0f} workbooks/s at N={n}", row["rate"],
                                 row["rate"] >= TARGET_RATE, f"{row['rate']:.0f}/s"))
        if row["x_floor"] is not None:
            verdicts.append(_verdict(f"{kind}: ≤ {TARGET_FLOOR_RATIO:g}× calamine floor", row["x_floor"],
                                     row["x_floor"] <= TARGET_FLOOR_RATIO, f"{row['x_floor']:.1f}×"))
    score = rows.get("score@1")
    if score and score["x_floor"] is not None:
        verdicts.append(_verdict(f"score: ≤ {TARGET_SCORE_RATIO:g}× openpyxl load+save", score["x_floor"],
                                 score["x_floor"] <= TARGET_SCORE_RATIO, f"{score['x_floor']:.2f}×"))
    memory = []
    if small < n:
        for kind in BATCH:
            a, b = rows.get(f"{kind}@{small}"), rows.get(f"{kind}@{n}")
            if a and b and a["rss_peak_mb"] and b["rss_peak_mb"]:
                growth = b["rss_peak_mb"] / a["rss_peak_mb"]
                memory.append({"kind": kind, "small": small, "n": n, "small_mb": a["rss_peak_mb"],
                               "n_mb": b["rss_peak_mb"], "base_mb": b["rss_base_mb"], "growth": growth})
                if kind in TARGETED:
                    verdicts.append(_verdict(f"{kind}: memory N={small}→{n} < {TARGET_MEMORY_GROWTH:g}×",
                                             growth, growth < TARGET_MEMORY_GROWTH, f"{growth:.2f}×"))
    return {
        "n": n,
        "small": small,
        "repeat": repeat,
        "set": info,
        "check_mode": mode,
        "skipped": skipped,
        "machine": (m := machine()),
        "rows": _with_cpu_bounds(rows, m["usable_cores"] or 1),
        "memory": memory,
        "verdicts": verdicts,
        "when": time.strftime("%Y-%m-%d %H:%M"),
    }


def _with_cpu_bounds(rows: dict, cores: int) -> dict:
    """Each batch row's CPU bound: the workbooks per second its CPU per workbook would allow if
    every usable core were busy all the time (one core for the single-process floor and
    references). A wall rate can only come near it; a target above it can't be met on this
    machine without less CPU per workbook."""
    for row in rows.values():
        used = cores if row["kind"] in POOLED else 1
        row["cpu_bound"] = (used * 1000 / row["cpu_ms"]) if row["cpu_ms"] else None
    return rows


def _mb(kb):
    return None if kb is None else round(kb / 1024, 1)


def _verdict(what, value, ok, shown):
    return {"target": what, "value": value, "ok": bool(ok), "shown": shown}


# --- reporting ---------------------------------------------------------------------------------


def _fmt(x, spec):
    return "–" if x is None else format(x, spec)


def table_rows(res: dict) -> list[list[str]]:
    out = []
    n = res["n"]
    order = [f"{k}@{n}" for k in BATCH] + [f"{k}@1" for k in SINGLE]
    for key in order:
        row = res["rows"].get(key)
        if not row:
            continue
        label = BATCH.get(row["kind"]) or SINGLE.get(row["kind"])
        if row["kind"] == "check" and res.get("check_mode"):
            label += f" ({res['check_mode']})"
        if row["errors"]:
            out.append([label, str(row["n"]), "ERROR", "", "", "", "", ""])
            continue
        out.append([
            label,
            str(row["n"]),
            _fmt(row["seconds"], ".3f"),
            _fmt(row["rate"], ".0f"),
            _fmt(row["x_floor"], ".2f"),
            _fmt(row["cpu_ms"], ".2f"),
            _fmt(row["cpu_bound"], ".0f"),
            _fmt(row["rss_peak_mb"], ".0f"),
        ])
    return out


HEADERS = ["measurement", "N", "median s", "workbooks/s", "× floor", "CPU ms/wb", "CPU bound/s", "peak RSS MB"]
CPU_NOTE = ("CPU ms/wb: CPU time (all processes) per workbook; CPU bound/s: the workbooks per second that "
            "CPU allows with every usable core busy (one core for the floor and the references)")
MEM_HEADERS = ["command", "peak MB small N", "peak MB N", "growth", "RSS after imports MB"]


def machine_line(res: dict) -> str:
    m = res["machine"]
    return (f"{m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), {m['memory_gb']} GB, "
            f"Python {m['python']}, openpyxl {m['openpyxl']}, python-calamine {m['python_calamine']}; "
            f"load average at start {m['load_avg'][0]}")


def set_line(res: dict) -> str:
    s = res["set"]
    if s.get("projects") is None:
        return f"{res['n']} given files"
    return (f"{res['n']} generated workbooks: {s['forms']['self_evaluation']} self-evaluations, "
            f"{s['forms']['declaration']} declarations, {s['projects']} projects, "
            f"{s['indicators']} indicators, {s['with_problems']} with planted problems "
            f"({s.get('unique')} written by write_projects, the rest renamed copies of them)")


def mem_rows(res: dict) -> list[list[str]]:
    return [[m["kind"], f"{m['small_mb']:.0f} (N={m['small']})", f"{m['n_mb']:.0f} (N={m['n']})",
             f"{m['growth']:.2f}×", f"{m['base_mb']:.0f}"] for m in res["memory"]]


def text_report(res: dict) -> str:
    lines = [f"perfxl benchmark, {res['when']}: median of {res['repeat']} run(s)",
             f"machine: {machine_line(res)}", f"set: {set_line(res)}", ""]
    lines += _aligned(HEADERS, table_rows(res))
    lines.append(CPU_NOTE)
    lines += write_lines(res)
    if res["memory"]:
        lines += ["", "peak memory (each measurement in its own process):"]
        lines += _aligned(MEM_HEADERS, mem_rows(res))
    for kind, why in res["skipped"].items():
        lines.append(f"skipped {kind}: {why}")
    for key, row in res["rows"].items():
        if row["errors"]:
            lines.append(f"ERROR in {key}: {row['errors'][0].strip().splitlines()[-1]}")
        elif set(row["exit_codes"]) - {"0", "1"}:
            lines.append(f"note {key}: exit codes {row['exit_codes']} (2 = unreadable input)")
    if res["verdicts"]:
        lines += ["", "targets:"]
        lines += [f"  {'PASS' if v['ok'] else 'FAIL'}  {v['target']}: {v['shown']}" for v in res["verdicts"]]
    return "\n".join(lines)


def _aligned(headers, rows):
    widths = [max(_w(h), *(_w(r[i]) for r in rows)) if rows else _w(h) for i, h in enumerate(headers)]
    fmt = lambda cells: "  ".join(  # noqa: E731
        c + " " * (w - _w(c)) if i == 0 else " " * (w - _w(c)) + c for i, (c, w) in enumerate(zip(cells, widths))
    )
    return [fmt(headers), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows]


def _w(s: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in s)


def write_lines(res: dict) -> list[str]:
    """How much of the summary's time went into writing its workbook, against the floor."""
    row = res["rows"].get(f"summary@{res['n']}")
    floor = res["rows"].get(f"floor@{res['n']}")
    if not row or row.get("write_seconds") is None or not floor or not floor["seconds"]:
        return []
    w = row["write_seconds"]
    return [f"summary: of which writing the summary workbook {w:.3f} s ({w / floor['seconds']:.2f}× floor), "
            "after every file is read"]


def markdown_report(res: dict) -> str:
    def md(headers, rows):
        return ["| " + " | ".join(headers) + " |", "|" + "|".join([" --- "] + [" ---: "] * (len(headers) - 1)) + "|"] + [
            "| " + " | ".join(r) + " |" for r in rows
        ]

    lines = [f"Machine: {machine_line(res)}.", "", f"Set: {set_line(res)}; median of {res['repeat']} run(s), "
             f"{res['when']}.", ""]
    lines += md(HEADERS, table_rows(res))
    lines += ["", CPU_NOTE + "."]
    lines += write_lines(res)
    if res["memory"]:
        lines += [""] + md(MEM_HEADERS, mem_rows(res))
    if res["verdicts"]:
        lines += ["", "| target | result | |", "| --- | ---: | --- |"]
        lines += [f"| {v['target']} | {v['shown']} | {'pass' if v['ok'] else '**fail**'} |" for v in res["verdicts"]]
    return "\n".join(lines)


# --- command line ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="perfxl benchmark")
    ap.add_argument("--n", type=int, default=1000, help="number of workbooks (default 1000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; medians reported")
    ap.add_argument("--seed", type=int, default=7, help="generator seed")
    ap.add_argument("--unique", type=int, default=50,
                    help="workbooks written by write_projects; the rest are renamed copies")
    ap.add_argument("--inner", type=int, default=5, help="timed repetitions inside a score measurement")
    ap.add_argument("--small", type=int, help="small N for the memory comparison (default min(100, N/10))")
    ap.add_argument("--workdir", type=Path, default=HERE / "_work", help="where sets and outputs go")
    ap.add_argument("--only", help="comma-separated measurements: " + ",".join([*BATCH, *SINGLE]))
    ap.add_argument("--skip", help="comma-separated measurements to leave out")
    ap.add_argument("--files", nargs="+", help="benchmark these workbooks instead of a generated set")
    ap.add_argument("--markdown", action="store_true", help="also print the results as Markdown")
    ap.add_argument("--json", type=Path, help="write the raw results to this JSON file")
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    ap.add_argument("--_list", help=argparse.SUPPRESS)
    ap.add_argument("--_out", help=argparse.SUPPRESS)
    ap.add_argument("--_inner", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._child:
        print(json.dumps(child(args._child, args._list, args._out, args._inner)))
        return 0

    sys.path.insert(0, str(HERE))
    kinds = args.only.split(",") if args.only else [*BATCH, *SINGLE]
    if args.skip:
        kinds = [k for k in kinds if k not in args.skip.split(",")]
    unknown = set(kinds) - set(BATCH) - set(SINGLE)
    if unknown:
        ap.error(f"unknown measurement(s): {', '.join(sorted(unknown))}")
    files = [str(Path(f).resolve()) for f in args.files] if args.files else None
    res = benchmark(args.n, args.repeat, args.workdir.resolve(), args.seed, args.inner, kinds,
                    files=files, small=args.small, verbose=not args.quiet,
                    unique=args.unique)
    print(text_report(res))
    if args.markdown:
        print("\n" + markdown_report(res))
    if args.json:
        args.json.write_text(json.dumps(res, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
