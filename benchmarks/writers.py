"""How fast a Python library writes rows like the summary's: openpyxl's write-only mode (what
perfxl uses) against XlsxWriter's constant-memory mode, on the same rows, in one run.

    pip install xlsxwriter   # not a perfxl dependency: only this comparison needs it
    python benchmarks/writers.py [--rows 27000] [--repeat 3]

Each row is shaped like a row of the summary's indicator tables: texts, numbers with a number
format, one formula, wrapped text. Prints the best of ``--repeat`` for each library and their
ratio; the summary of the generated set (``run.py --n 1000``) writes about 27,000 rows.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def _rows(n: int):
    for i in range(n):
        r = i + 2
        yield [f"项目{i % 1400}", "产出指标", "数量指标", f"完成人数{i}", "≥", 9.0, "人", 9.5, 10, 9.2,
               f'=IF(H{r}<>"",H{r}/F{r},"")', "偏差原因说明偏差原因说明"]


def write_openpyxl(path: Path, n: int) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("指标")
    wrap = Alignment(wrap_text=True)
    for row in _rows(n):
        cells = []
        for value in row:
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format, cell.alignment = "0.00", wrap
            cells.append(cell)
        ws.append(cells)
    wb.save(path)


def write_xlsxwriter(path: Path, n: int) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("指标")
    fmt = wb.add_format({"num_format": "0.00", "text_wrap": True})
    for r, row in enumerate(_rows(n)):
        for c, value in enumerate(row):
            if isinstance(value, str) and value.startswith("="):
                ws.write_formula(r, c, value, fmt)
            elif isinstance(value, (int, float)):
                ws.write_number(r, c, value, fmt)
            else:
                ws.write_string(r, c, value, fmt)
    wb.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=27000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    best = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):  # interleaved, so a noisy neighbour hits both alike
            for name, write in (("openpyxl write-only", write_openpyxl), ("XlsxWriter constant_memory", write_xlsxwriter)):
                t0 = time.perf_counter()
                write(Path(tmp) / "out.xlsx", args.rows)
                best[name] = min(best.get(name, float("inf")), time.perf_counter() - t0)
    cells = args.rows * 12
    for name, seconds in best.items():
        print(f"{name:<28} {seconds:7.2f} s  {seconds / cells * 1e6:5.1f} µs a cell")
    a, b = best.values()
    print(f"XlsxWriter / openpyxl: {b / a:.2f}  ({args.rows} rows, {cells} cells, best of {args.repeat})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
