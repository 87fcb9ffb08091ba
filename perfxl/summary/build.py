"""``build_summary(paths, out)``: the summary of many files (``perfxl summary``), and
``build_summary_sheets(workbook, checked)``: the same sheets inside one open workbook (汇总 button).

Files are read one at a time (by two worker processes for a large batch) and reduced to
per-project rows at once (the workbook is not kept); only the indicator lists of self-evaluations and declarations are kept for the
cross-year view. A file that cannot be read, or that holds no project of the two forms, is
skipped and reported with why — it never stops the others.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from perfxl.batch import map_files, map_items, worker_pool
from perfxl.model import Declaration, SelfEvaluation
from perfxl.pipeline import Checked
from perfxl.rules.checks import check_years
from perfxl.summary.matching import Mapping, ProjectLink, match_projects, read_mapping
from perfxl.summary.tables import (
    COLUMNS,
    SummaryTables,
    cross_year_rows,
    declaration_rows,
    finding_rows,
    mapping_rows,
    project_findings,
    self_evaluation_rows,
)

INPUT_SUFFIXES = (".xlsx", ".xlsm", ".json")
Progress = Callable[[int, int, Path], None]


@dataclass
class SummaryResult:
    """What a summary run produced."""

    tables: SummaryTables
    links: list[ProjectLink] = field(default_factory=list)
    output: Path | None = None
    pngs: list[Path] = field(default_factory=list)

    @property
    def skipped(self) -> list[dict]:
        return self.tables.skipped

    def as_json(self) -> dict:
        """Rows, skipped files with reasons, findings; numbers as decimal strings."""
        t = self.tables
        out = {
            name: [_json_row(r, name) for r in getattr(t, name)]
            for name in ("self_evaluations", "declarations", "deviations", "indicator_mix",
                         "cross_year", "mapping")
        }
        out["stats"] = {k: _json_value(v) for k, v in t.stats().items()}
        out["stats_by_year"] = {
            kind: {str(y): {k: _json_value(v) for k, v in figures.items()} for y, figures in years.items()}
            for kind, years in t.stats_by_year().items()
        }
        out["skipped"] = list(t.skipped)
        out["findings"] = list(t.findings)
        if self.output is not None:
            out["output"] = str(self.output)
        return out


    def write_csv(self, folder: str | Path) -> list[Path]:
        """Every table of the workbook as ``{sheet title}.csv`` in ``folder`` (UTF-8 with BOM,
        so Excel opens it; the workbook's Chinese column names; the rows in the workbook's
        order; numbers as decimal strings), and ``统计.csv`` with each year's figures."""
        from perfxl.atomic import atomic_write_text
        from perfxl.summary.sheets import SHEETS
        from perfxl.summary.tables import STAT_LABELS, shown

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for key, (title, table, name) in SHEETS.items():
            if table is None:
                continue
            frame = self.tables.frame(name)
            for k in frame.columns:  # values as the sheet shows them (a severity as 警告)
                frame[k] = frame[k].map(lambda v, k=k: shown(k, v))
            frame = frame.rename(columns={k: h for k, (h, _) in COLUMNS[name].items()})
            written.append(atomic_write_text(folder / f"{title}.csv", "\ufeff" + frame.to_csv(index=False)))
        stats = self.tables.stats_frame().rename(columns=STAT_LABELS)
        written.append(atomic_write_text(folder / f"{SHEETS['stats'][0]}.csv", "\ufeff" + stats.to_csv(index=False)))
        return written


def _json_value(v):
    if isinstance(v, Decimal):
        return format(v, "f")
    return v


def _json_row(row: dict, name: str) -> dict:
    return {k: _json_value(row.get(k)) for k in COLUMNS[name]}


def stderr_progress(i: int, n: int, path: Path) -> None:
    from perfxl.sources import shown_name

    # one write, newline included: print() writes the text and the newline separately, and a
    # Ctrl-C between the two left “已中断。” on the end of the progress line
    sys.stderr.write(f"[{i}/{n}] 读取 {shown_name(path.name)}\n")
    sys.stderr.flush()


# spreadsheet formats a folder of returns may hold that perfxl does not read: listed as 未汇总
OTHER_SHEET_SUFFIXES = (".xls", ".xlsb", ".ods", ".csv", ".et", ".ett", ".numbers")


def expand_paths(paths: Iterable[str | Path], exclude: Iterable[Path] = ()) -> list[Path]:
    """Files and folders → input files (:func:`scan_inputs`, without the reasons)."""
    return scan_inputs(paths, exclude)[0]


def scan_inputs(paths: Iterable[str | Path], exclude: Iterable[Path] = ()
                ) -> tuple[list[Path], list[dict]]:
    """Files and folders → (input files, files left out with why).

    A folder gives its *.xlsx/*.xlsm/*.json (sorted); perfxl's own backups and temp files,
    editors' lock files (``~$…``, ``.~lock.…#``) and ``exclude`` are left out silently; its
    other spreadsheets (.xls, .ods, .csv …) are listed as not summarised (W735). A path that is
    not a regular file, or can't be looked at (a symlink loop, a name over 255 bytes), is listed
    (W733) — never fatal.
    """
    from perfxl.atomic import is_own_side_file
    from perfxl.outputs import same_file
    from perfxl.sources import shown_name

    skip = list(exclude)
    out: list[Path] = []
    left: list[dict] = []
    seen: set[Path] = set()

    def leave(path: Path, reason: str) -> None:
        left.append({"file": shown_name(path), "reason": reason})

    for p in map(Path, paths):
        try:
            is_dir = p.is_dir()
            found = sorted(p.iterdir()) if is_dir else [p]
        except OSError as exc:
            from perfxl.outputs import os_error_text

            leave(p, f"W733 无法读取：{os_error_text(exc)}")
            continue
        for f in found:
            if is_dir and (is_own_side_file(f.name) or f.suffix.lower() not in INPUT_SUFFIXES):
                if f.suffix.lower() in OTHER_SHEET_SUFFIXES and not is_own_side_file(f.name):
                    leave(f, f"W735 不支持的格式（{f.suffix}），请另存为 .xlsx 后重新汇总")
                continue
            if any(same_file(f, x) for x in skip):
                continue
            if is_dir and not _regular(f):
                leave(f, "W733 不是普通文件（管道、设备、文件夹或无法解析的链接），未读取")
                continue
            if f not in seen:
                seen.add(f)
                out.append(f)
    return out, left


def _regular(path: Path) -> bool:
    import stat

    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


class _Collector:
    """Accumulates rows file by file; keeps only indicator lists for the cross-year view."""

    def __init__(self) -> None:
        self.tables = SummaryTables()
        self.prev: dict[tuple[int, str], SelfEvaluation] = {}
        self.cur: dict[tuple[int, str], Declaration] = {}
        self.origin: dict[tuple[str, int, str], str] = {}  # (form, year, name) -> first file

    def add_file(self, checked: Checked, label: str, path: Path | None = None) -> None:
        pf, findings = checked.file, checked.findings
        self.tables.findings += finding_rows(label, findings)
        for project, scored in zip(pf.projects, checked.scores):
            own = project_findings(project, findings)
            if isinstance(project, SelfEvaluation):
                rows = self_evaluation_rows(project, scored, pf.settings, own, label)
                self.prev[(project.year, project.name)] = project
            else:
                rows = declaration_rows(project, scored, own, label)
                self.cur[(project.year, project.name)] = project
            for d in rows.deviations:
                d["_path"] = str(path) if path else None
            self.tables.add(rows)

    def read_file(self, path: Path) -> None:
        """Read one file and add its rows, or record why it was skipped."""
        from perfxl.pipeline import load
        from perfxl.sources import shown_name

        try:
            checked = load(path)
        except Exception as exc:  # noqa: BLE001 — any unreadable file is reported, not fatal
            self.skip(path, _reason(exc))
            return
        label = shown_name(path.name)
        if label != str(path.name):
            from perfxl.findings import finding

            checked = checked.with_findings(finding(
                "W733", "", "",
                f"文件名不是 UTF-8 编码（可能来自旧版 Windows 的压缩包），按 GB18030 显示为“{label}”；建议改名",
            ))
        if not checked.file.projects:
            why = [f.message for f in checked.findings if f.code != "W709"][:3]
            self.skip(
                path,
                "没有找到绩效目标申报表或绩效自评表（可能是其他模板的文件）"
                + (f"：{'；'.join(why)}" if why else ""),
            )
            return
        try:
            self.add_file(checked, label, path)
        except Exception as exc:  # noqa: BLE001
            self.skip(path, f"汇总时出错：{_reason(exc)}")

    def merge(self, part: tuple[SummaryTables, dict, dict], path: Path | None = None) -> None:
        """Add what :func:`_file_part` returned for one file (in file order). A project
        already added from another file (same form, year and name: a finalized copy, a
        backup, a return sent twice) is counted once and reported (W734) with both files."""
        tables, prev, cur = part
        if path is not None:
            self._drop_duplicates(tables, prev, cur, path)
        for name in ("self_evaluations", "deviations", "declarations", "indicator_mix",
                     "cross_year", "mapping", "findings", "skipped"):
            getattr(self.tables, name).extend(getattr(tables, name))
        self.prev.update(prev)
        self.cur.update(cur)

    def _drop_duplicates(self, tables: SummaryTables, prev: dict, cur: dict, path: Path) -> None:
        from perfxl.sources import shown_name

        here = shown_name(path)
        for form, kept, table, extra in (("self", prev, "self_evaluations", "deviations"),
                                         ("decl", cur, "declarations", "indicator_mix")):
            for year, name in list(kept):
                first = self.origin.setdefault((form, year, name), here)
                if first == here:
                    continue
                del kept[(year, name)]
                setattr(tables, table, [r for r in getattr(tables, table)
                                        if (r.get("year"), r.get("name")) != (year, name)])
                setattr(tables, extra, [r for r in getattr(tables, extra)
                                        if (r.get("year"), r.get("project")) != (year, name)])
                tables.findings.append({
                    "file": shown_name(path.name), "code": "W734", "severity": "warning", "sheet": "", "cell": "",
                    "message": f"项目“{name}”（{year}年度）同时出现在 {first} 和 {here} 中，只汇总了前者；"
                               "请确认保留哪一份",
                })

    def skip(self, path: Path, reason: str) -> None:
        from perfxl.sources import shown_name

        self.tables.skipped.append({"file": shown_name(path), "reason": reason})

    def finish(self, mapping: Mapping) -> list[ProjectLink]:
        """The cross-year view, in this process: see :meth:`cross_year`."""
        links, complete = self.cross_year(mapping)
        complete()
        return links

    def cross_year(self, mapping: Mapping, pool=None) -> tuple[list[ProjectLink], Callable[[], None]]:
        """Match projects across years — each declaration year against the latest earlier
        self-evaluation year — and fill 项目对照 now; the cross-year rows and Y6xx findings of
        the matched pairs are computed in ``pool`` (in this process without one).

        Returns the links and the function that waits for those rows and adds them to the
        tables, in link order (idempotent): the caller can write other sheets meanwhile.
        """
        links: list[ProjectLink] = []
        pairs = []
        cur_years = sorted({y for y, _ in self.cur})
        prev_years = sorted({y for y, _ in self.prev})
        for cy in cur_years:
            earlier = [y for y in prev_years if y < cy]
            if not earlier:
                continue
            py = earlier[-1]
            prev = [k for k in self.prev if k[0] == py]
            cur = [k for k in self.cur if k[0] == cy]
            year_links = match_projects(prev, cur, mapping)
            pairs += [(link, f"{py}→{cy}", self.prev[(link.prev_year, link.prev_name)],
                       self.cur[(link.cur_year, link.cur_name)]) for link in year_links if link.matched]
            links += year_links
        self.tables.mapping = mapping_rows(links)
        results = map_items(_cross_year_part, pairs, pool)

        @functools.cache
        def complete() -> None:
            for rows, findings in results():
                self.tables.cross_year += rows
                self.tables.findings += findings
            self.tables.sort()  # the tables written already are sorted: only cross_year moves

        return links, complete


def build_summary(
    paths: Iterable[str | Path],
    out: str | Path | None,
    *,
    progress: Progress | None = None,
    mapping: Mapping | None = None,
    png_dir: str | Path | None = None,
    jobs: int | None = None,
) -> SummaryResult:
    """Summarise every readable file of ``paths`` (files or folders) into ``out`` (.xlsx).

    ``mapping`` overrides the project matching; by default the 项目对照 sheet of an existing
    ``out`` is read back and honoured. ``out=None`` builds the tables only (for ``--json``).
    ``jobs``: worker processes for a large batch (default 2; see :mod:`perfxl.batch`) — each
    reads its files and returns only their rows, findings and the projects kept for the
    cross-year view, so memory stays flat; results are merged in file order.
    """
    from perfxl.outputs import SUMMARY, prepare_output, same_file, written_by_perfxl

    out_path = Path(out) if out is not None else None
    files, left_out = scan_inputs(paths)
    if out_path is not None:
        # the previous summary in the folder summarised is this run's output, not an input;
        # any other input named as the output is refused (W730) before anything is read
        if out_path.exists() and written_by_perfxl(out_path, SUMMARY):
            files = [f for f in files if not same_file(f, out_path)]
        out_path = prepare_output(out_path, files, kind=SUMMARY)
    if mapping is None:
        mapping = read_mapping(out_path) if out_path is not None else {}
    writer = None
    if out_path is not None:
        from perfxl.summary.sheets import SummaryWriter

        writer = SummaryWriter(out_dir=out_path.parent)
    with worker_pool(len(files), jobs) as pool, writer or contextlib.nullcontext():
        collector = _collect(files, pool, progress)
        collector.tables.skipped[:0] = left_out
        collector.tables.sort()  # by year, department, project: rendered only now
        links, complete = collector.cross_year(mapping, pool)
        if not collector.tables.self_evaluations and not collector.tables.declarations:
            out_path = None  # never replace a summary (and its 项目对照 corrections) by an empty one
        elif writer is not None:
            from perfxl.atomic import atomic_save

            # the sheets before the cross-year table are written while the pool computes it
            atomic_save(out_path, lambda tmp: writer.save(tmp, collector.tables, complete), backup=True)
        complete()
    result = SummaryResult(collector.tables, links, output=out_path)
    if png_dir is not None:
        from perfxl.summary.charts import export_pngs

        result.pngs = export_pngs(collector.tables, Path(png_dir))
    return result


def _collect(files: list[Path], pool, progress: Progress | None) -> _Collector:
    """Every file's rows, merged in file order (sorted afterwards, see
    :meth:`SummaryTables.sort`)."""
    collector = _Collector()
    parts = map_files(_file_part, files, pool=pool, crashed=_crashed_part)
    for i, (path, part) in enumerate(zip(files, parts), start=1):
        if progress is not None:
            progress(i, len(files), path)
        collector.merge(part, path)
    return collector


def _cross_year_part(pair: tuple) -> tuple[list[dict], list[dict]]:
    """The cross-year rows and the Y6xx finding rows of one matched pair of projects (a pool
    worker's job after the files)."""
    link, label, prev, cur = pair
    p, c = _project(prev), _project(cur)
    return cross_year_rows(link, p, c), finding_rows(label, check_years(p, c))


def _file_part(path: Path) -> tuple[SummaryTables, dict, dict]:
    """One file reduced to its rows (a pool worker's whole job; runs in-process for small
    batches): the tables it adds and the projects it contributes to the cross-year view."""
    import pickle

    c = _Collector()
    c.read_file(path)
    # the kept projects travel and wait for the cross-year view as pickles: a few KB each
    # instead of a tree of models, and only the matched ones are ever unpacked
    prev = {k: pickle.dumps(v, pickle.HIGHEST_PROTOCOL) for k, v in c.prev.items()}
    cur = {k: pickle.dumps(v, pickle.HIGHEST_PROTOCOL) for k, v in c.cur.items()}
    return c.tables, prev, cur


def _crashed_part(path: Path) -> tuple[SummaryTables, dict, dict]:
    """What a file whose reading killed its worker process twice contributes: its reason."""
    c = _Collector()
    c.skip(path, "读取时工作进程意外终止（两次；可能内存不足或文件触发了程序缺陷），未汇总")
    return c.tables, {}, {}


def _project(kept):
    """A project kept for the cross-year view (pickled by :func:`_file_part`)."""
    if isinstance(kept, bytes):
        import pickle

        return pickle.loads(kept)
    return kept


def _reason(exc: BaseException) -> str:
    from perfxl.errors import InputError

    if isinstance(exc, InputError):
        return str(exc)
    import zipfile

    if isinstance(exc, zipfile.BadZipFile):
        return "文件已损坏或不是 Excel 工作簿（无法解压）"
    return f"无法读取（{type(exc).__name__}：{exc}）"


def summary_tables(checked: Checked, label: str = "") -> SummaryTables:
    """The summary tables of one checked input (e.g. the open workbook), values only."""
    c = _Collector()
    c.add_file(checked, label)
    c.finish({})
    return c.tables


def build_summary_sheets(workbook, checked: Checked, *,
                         label: str = "本工作簿", mapping: Mapping | None = None) -> SummaryTables:
    """For the 汇总 button: add the summary sheets to the open openpyxl ``workbook`` whose
    projects were read and checked into ``checked`` (:mod:`perfxl.pipeline`), with hyperlinks from the deviations back
    to the source cells. Existing summary sheets are replaced; the 项目对照 sheet already in the
    workbook is honoured. Returns the tables (values, for a status message)."""
    from perfxl.summary.matching import MAPPING_SHEET, mapping_from_rows
    from perfxl.summary.sheets import write_summary

    if mapping is None and MAPPING_SHEET in workbook.sheetnames:
        mapping = mapping_from_rows(workbook[MAPPING_SHEET].iter_rows(values_only=True))
    c = _Collector()
    c.add_file(checked, label)
    c.finish(mapping or {})
    write_summary(workbook, c.tables, same_workbook=True)
    return c.tables
