"""The ``perfxl`` command line: one small function per subcommand over the shared core.

Exit status (a contract): 0 no errors found, 1 errors found, 2 the input could not be read.
User-facing output is Chinese; flags are English.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from perfxl import pipeline
from perfxl.findings import Finding, has_errors
from perfxl.errors import InputError
from perfxl.sources import dump_json, load

EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2


def _print_json(data: dict) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _status(findings) -> int:
    return EXIT_FINDINGS if has_errors(findings) else EXIT_OK


# --- subcommands -------------------------------------------------------------------------------


def cmd_schema(args: argparse.Namespace) -> int:
    from perfxl.model import ProjectFile

    _print_json(ProjectFile.model_json_schema())
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from perfxl.findings import RULES

    if args.code is None:
        for code in sorted(RULES):
            rule = RULES[code]
            print(f"{code}  [{rule.severity.label}] {rule.title}")
        return EXIT_OK
    rule = RULES.get(args.code.upper())
    if rule is None:
        print(f"没有规则 {args.code}。运行 `perfxl explain` 列出全部规则。", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"{rule.code} [{rule.severity.label}] {rule.title}\n\n{rule.rationale}\n\n依据：{rule.source}")
    return EXIT_OK


def _check_one(path: Path) -> tuple[tuple[Finding, ...] | None, str | None]:
    """A pool worker's job for ``check`` with several inputs: (findings, None) or (None, why
    the input could not be read)."""
    try:
        findings = pipeline.load(path).findings
    except InputError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 — one bad file never stops a batch
        return None, f"无法读取 {path}（{type(exc).__name__}：{exc}）"
    return findings, None


def _check_crashed(path: Path) -> tuple[None, str]:
    return None, f"读取 {path} 时工作进程两次意外终止（可能内存不足或文件触发了程序缺陷），未校验"


def _check_inputs(inputs: list[str]) -> list[Path]:
    """Files as given; a folder gives its *.xlsx/*.xlsm/*.json (as ``summary`` does)."""
    if not any(Path(p).is_dir() for p in inputs):
        return [Path(p) for p in inputs]
    from perfxl.summary.build import expand_paths

    return expand_paths(inputs)


def cmd_check(args: argparse.Namespace) -> int:
    from perfxl.report import findings_json, findings_text

    inputs = args.input
    if len(inputs) == 1 and not Path(inputs[0]).is_dir():
        findings = pipeline.load(inputs[0]).findings
        if args.json:
            _print_json(findings_json(findings))
        else:
            print(findings_text(findings))
        return _status(findings)
    from perfxl.batch import map_files

    files = _check_inputs(inputs)
    if not files:
        raise InputError(f"{'、'.join(inputs)} 中没有可校验的文件（.xlsx、.xlsm、.json）")
    status = EXIT_OK
    rows: list[dict] = []
    for path, (findings, error) in zip(files, map_files(_check_one, files, args.jobs, crashed=_check_crashed)):
        if error is not None:
            print(f"错误：{error}", file=sys.stderr)
            status = EXIT_UNREADABLE
            continue
        if _status(findings) == EXIT_FINDINGS and status == EXIT_OK:
            status = EXIT_FINDINGS
        if args.json:
            rows += findings_json(findings, file=str(path))["findings"]
        else:
            print(f"== {path} ==\n{findings_text(findings)}")
    if args.json:
        _print_json({"findings": rows})
    return status


def cmd_score(args: argparse.Namespace) -> int:
    from perfxl.report import findings_text, score_json, score_table
    from perfxl.sources import WORKBOOK_SUFFIXES

    if Path(args.input).suffix.lower() in WORKBOOK_SUFFIXES:
        scores, findings, written, losses = _score_workbook_file(args.input, args.output)
        if not args.json:
            print(f"已写入评分：{written}" if written else f"无变化：{args.input}（评分已是最新，未写入、未留备份）")
        if losses and written:
            print(f"注意：{written} 中不含原工作簿的{'、'.join(losses)}。", file=sys.stderr)
    elif args.output:
        pipeline.load(args.input)  # an unreadable input is reported before the misused -o
        raise InputError("-o 只用于工作簿（.xlsx）输入；JSON 输入请用 --json 输出结果")
    else:
        checked = pipeline.load(args.input)
        scores, findings = checked.scores, checked.findings
    if args.json:
        _print_json(score_json(scores, findings))
    else:
        print(score_table(scores))
        print(findings_text(findings))
    return _status(findings)


def _score_workbook_file(path_arg: str, output: str | None):
    """``perfxl score`` of a workbook, loaded once (:func:`perfxl.pipeline.score_file`): the
    output policy first, then the patch on that loaded workbook and one save.
    (scores, findings, written, losses)"""
    from perfxl.adapters.file import apply_changes, save
    from perfxl.forms.workbook import store_results
    from perfxl.outputs import FORM, prepare_output, same_file
    from perfxl.safety import check_rewrite, output_path
    from perfxl.sources import require_regular_file

    path = Path(path_arg)
    require_regular_file(path)
    out = output_path(path, output)  # .xlsm in, .xlsx out: macros never rewritten
    in_place = output is None or same_file(out, path)
    out = prepare_output(out, [path], kind=FORM, in_place=in_place)  # W730/W731/H956 first
    if in_place:
        path = out  # a symlink: score its target, keep the link
    losses = check_rewrite(path, out)  # H960 before any work
    checked, wb, patch = pipeline.score_file(path)
    changed = apply_changes(wb, patch)
    if not changed and in_place:
        return checked.scores, checked.findings, None, losses  # nothing to write: no save, no backup
    written = store_results(save(wb, out, backup=True), patch)
    return checked.scores, checked.findings, written, losses


def cmd_import(args: argparse.Namespace) -> int:
    from perfxl.forms.workbook import write_projects
    from perfxl.outputs import FORM, prepare_output
    from perfxl.report import findings_text

    prepare_output(args.output, [args.input], kind=FORM)
    pf, findings = load(args.input)
    if not pf.projects:
        raise InputError(f"{args.input} 中没有读到任何项目")
    write_projects(pf, args.output)
    print(f"已导入 {len(pf.projects)} 个项目：{args.output}")
    if findings:
        print(findings_text(findings))
    return _status(findings)


def cmd_export(args: argparse.Namespace) -> int:
    from perfxl.outputs import JSON, prepare_output
    from perfxl.report import findings_text

    if args.output:
        prepare_output(args.output, [args.input], kind=JSON)
    pf, findings = load(args.input)
    text = dump_json(pf)
    if args.output:
        from perfxl.atomic import atomic_write_text

        atomic_write_text(Path(args.output), text, backup=True)
        print(f"已导出 {len(pf.projects)} 个项目：{args.output}")
    else:
        sys.stdout.write(text)
    if findings:
        print(findings_text(findings), file=sys.stderr)
    return _status(findings)


def cmd_summary(args: argparse.Namespace) -> int:
    from perfxl.findings import Severity
    from perfxl.summary.build import build_summary, stderr_progress

    if not args.output and not args.json and not args.csv:
        raise InputError("请用 -o 指定汇总工作簿，或用 --json / --csv 输出")
    result = build_summary(
        args.inputs, args.output, progress=stderr_progress, png_dir=args.png, jobs=args.jobs
    )
    csvs = result.write_csv(args.csv) if args.csv else []
    if args.json:
        _print_json(result.as_json())
    elif result.tables.self_evaluations or result.tables.declarations:
        t = result.tables
        counts = "；".join(
            [f"{y}年度自评 {sum(r['year'] == y for r in t.self_evaluations)} 个项目" for y in t.years()]
            + [f"{y}年度申报 {sum(r['year'] == y for r in t.declarations)} 个项目" for y in t.years("declarations")]
        ) or "没有项目"
        print(f"已汇总 {counts}" + (f"：{result.output}" if result.output else ""))
        for path in result.pngs:
            print(f"图表：{path}")
        for path in csvs:
            print(f"CSV：{path}")
    for skipped in result.skipped:
        print(f"未汇总 {skipped['file']}：{skipped['reason']}", file=sys.stderr)
    if not result.tables.self_evaluations and not result.tables.declarations:
        kept = f"；未写入 {args.output}（已有的汇总表保持不变）" if args.output else ""
        print(f"错误：{'、'.join(args.inputs)} 中没有汇总到任何项目{kept}", file=sys.stderr)
        return EXIT_UNREADABLE
    errors = any(Severity(f["severity"]) is Severity.ERROR for f in result.tables.findings)
    return EXIT_FINDINGS if errors or result.skipped else EXIT_OK


def cmd_carry(args: argparse.Namespace) -> int:
    from perfxl.carry import carry_workbook
    from perfxl.outputs import FORM, prepare_output
    from perfxl.report import findings_text

    prepare_output(args.output, [args.input], kind=FORM)
    new, findings = carry_workbook(args.input, args.output, next_year=args.next_year)
    what = "下一年度绩效目标申报表" if args.next_year else "绩效自评表"
    print(f"已生成{what}（{len(new.projects)} 个项目）：{args.output}")
    if findings:
        print(findings_text(findings))
    return _status(findings)


def cmd_upgrade(args: argparse.Namespace) -> int:
    from perfxl.report import findings_text
    from perfxl.upgrade import UpgradeRefused, upgrade_workbook

    try:
        pf, findings = upgrade_workbook(args.input, args.output)
    except UpgradeRefused as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"已升级为新版模板（{len(pf.projects)} 个项目）：{args.output}")
    if findings:
        print(findings_text(findings))
    return _status(findings)


def cmd_finalize(args: argparse.Namespace) -> int:
    from perfxl.finalize import FinalizeRefused, finalize
    from perfxl.report import findings_text

    if args.output and Path(args.output).exists() and not Path(args.output).is_dir():
        raise InputError(f"-o 应为输出文件夹，而 {args.output} 是一个文件；定稿文件名由项目名称生成")
    try:
        result = finalize(args.input, args.output, pdf=args.pdf, force=args.force, email=args.email)
    except FinalizeRefused as exc:
        print(findings_text(exc.findings), file=sys.stderr)
        print(f"仍有 {len(exc.findings)} 个错误，未定稿。改正后重试，或用 --force 强制定稿。", file=sys.stderr)
        return EXIT_FINDINGS
    for path in (result.xlsx, result.pdf, result.eml):
        if path is not None:
            print(f"已写入：{path}")
    if result.stored and result.stored not in result.notes:
        print(result.stored)
    for note in result.notes:
        print(f"注意：{note}")
    if result.findings:
        print(findings_text(result.findings))
    return _status(result.findings)  # forced with errors: 1, as the exit-status contract says


def cmd_new(args: argparse.Namespace) -> int:
    import datetime as dt

    from perfxl.forms.workbook import new_workbook
    from perfxl.model import Form
    from perfxl.outputs import FORM, prepare_output

    form = Form(args.form.replace("-", "_"))
    # declarations are filed for the coming year, self-evaluations for the past one
    year = args.year or dt.date.today().year + (1 if form is Form.DECLARATION else -1)
    from perfxl.forms.grid import YEAR_RANGE

    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise InputError(f"--year {year} 超出 {YEAR_RANGE[0]}–{YEAR_RANGE[1]} 的范围")
    prepare_output(args.output, kind=FORM)
    path = new_workbook(form, year, args.output)
    print(f"已生成空白{form.title}（{year}年度）：{path}")
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    from perfxl.forms.workbook import TEMPLATE_FILES, build_templates
    from perfxl.outputs import FORM, prepare_output

    for name in TEMPLATE_FILES.values():
        prepare_output(Path(args.dir) / name, kind=FORM)
    for path in build_templates(args.dir):
        print(f"已生成模板：{path}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from perfxl.demo import SEED_FILES, run_demo
    from perfxl.outputs import FORM, prepare_output

    for name in SEED_FILES:
        prepare_output(Path(args.output) / name, kind=FORM)
    return run_demo(Path(args.output))


def cmd_addin(args: argparse.Namespace) -> int:
    from perfxl import addin_build, addin_install
    from perfxl.addin_build import AddinError

    try:
        if args.action == "build":
            for path in addin_build.build(Path(args.output) if args.output else None):
                print(f"已生成：{path}")
            return EXIT_OK
        if args.action == "install":
            target, conf = addin_install.install(Path(args.addin) if args.addin else None, args.python)
            print(f"已安装加载项：{target}\n已写入 Python 解释器设置：{conf}\n请重新启动 Excel。")
        text, problems = addin_install.doctor()
        print(text)
        return EXIT_FINDINGS if problems else EXIT_OK
    except AddinError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_UNREADABLE


# --- parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from perfxl.shell import ChineseArgumentParser

    parser = ChineseArgumentParser(
        prog="perfxl", description="预算绩效管理：绩效目标申报表与绩效自评表的校验、评分与汇总"
    )
    parser.add_argument("--debug", action="store_true", help="出错时显示完整的 Python 错误信息")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("schema", help="打印项目 JSON 的 JSON Schema")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("explain", help="说明一条校验规则的含义与依据")
    p.add_argument("code", nargs="?", help="规则代码，如 D301；省略则列出全部")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("check", help="校验项目（JSON、工作簿或文本；可多个文件或文件夹），列出全部问题")
    p.add_argument("input", nargs="+", metavar="FILES",
                   help="一个或多个文件；文件夹取其中 *.xlsx/*.xlsm/*.json")
    p.add_argument("--json", action="store_true",
                   help="以 JSON 输出（多个文件时每个问题另有 file 字段）")
    p.add_argument("--jobs", type=int, default=None,
                   help="校验大批文件（≥50 个）时使用的进程数（默认 2）")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("score", help="计算执行率、得分、总分与等级")
    p.add_argument("input")
    p.add_argument("-o", "--output", help="工作簿输入时写到此文件（省略则原地写入并保留备份）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("import", help="把项目 JSON 或已发布表格的文本导入为工作簿")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="把工作簿中的项目导出为 JSON")
    p.add_argument("input")
    p.add_argument("-o", "--output")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("summary", help="汇总多个申报表/自评表（文件或文件夹）为汇总工作簿")
    p.add_argument("inputs", nargs="+", metavar="FILES", help="工作簿或 JSON，文件夹取其中 *.xlsx/*.json")
    p.add_argument("-o", "--output", help="汇总工作簿（.xlsx）；已存在时沿用其“项目对照”表")
    p.add_argument("--json", action="store_true", help="以 JSON 输出汇总行、未读取文件与问题")
    p.add_argument("--png", metavar="DIR", help="同时把图表导出为 PNG 到此文件夹")
    p.add_argument("--csv", metavar="DIR", help="同时把各汇总表与分年度统计导出为 CSV（UTF-8）到此文件夹")
    p.add_argument("--jobs", type=int, default=None,
                   help="汇总大批文件（≥50 个）时使用的进程数（默认 2）")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("new", help="生成空白的绩效目标申报表或绩效自评表工作簿")
    p.add_argument("form", choices=["declaration", "self-evaluation"])
    p.add_argument("--year", type=int, help="年度（默认：申报表为明年，自评表为去年）")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("template", help="由代码重新生成 templates/ 下的两个模板")
    template_sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = template_sub.add_parser("build", help="写入 绩效目标申报表.xlsx 与 绩效自评表.xlsx")
    q.add_argument("--dir", default="templates", help="输出目录（默认 templates）")
    q.set_defaults(func=cmd_template)

    p = sub.add_parser("demo", help="用示例数据生成申报表与自评表工作簿并评分")
    p.add_argument("-o", "--output", default="demo", help="输出目录（默认 demo）")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("carry", help="由申报表生成自评表；加 --next-year 由自评表生成下一年度申报表")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--next-year", action="store_true", help="由自评表生成下一年度绩效目标申报表")
    p.set_defaults(func=cmd_carry)

    p = sub.add_parser("upgrade", help="把旧版（v1）工作簿升级为新版模板：比较符、指标值、单位分格填写，得分不变")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=cmd_upgrade)

    p = sub.add_parser("finalize", help="定稿：无宏 .xlsx（公式锁定、输入可编辑），可加 PDF 与邮件草稿")
    p.add_argument("input")
    p.add_argument("-o", "--output", help="输出目录（默认与输入同一目录）")
    p.add_argument("--pdf", action="store_true", help="同时导出 PDF（LibreOffice）")
    p.add_argument("--force", action="store_true", help="仍有错误时也定稿")
    p.add_argument("--email", action="store_true", help="同时生成附带定稿文件的 .eml 邮件草稿")
    p.set_defaults(func=cmd_finalize)

    p = sub.add_parser("addin", help="生成、安装、检查 Excel 加载项")
    addin_sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = addin_sub.add_parser("build", help="由 macros/ 生成 workbook/perfxl.xlam 与 workbook/绩效工作簿.xlsm（任何系统）")
    q.add_argument("-o", "--output", help="只生成这一个文件（扩展名 .xlam 或 .xlsm）")
    q.set_defaults(func=cmd_addin)
    q = addin_sub.add_parser("install", help="（Windows）把加载项写入 Excel 启动文件夹并写入解释器设置，然后运行 doctor")
    q.add_argument("addin", nargs="?", help="要安装的 .xlam（默认：perfxl 自带的加载项）")
    q.add_argument("--python", help="Excel 调用的 Python 解释器（默认当前 Python 旁的 pythonw.exe）")
    q.set_defaults(func=cmd_addin)
    q = addin_sub.add_parser("doctor", help="检查本机能否使用加载项，并给出解决办法")
    q.set_defaults(func=cmd_addin)

    return parser


def main(argv: list[str] | None = None) -> int:
    from perfxl.shell import exit_message, handle_termination, quiet_libraries, silence_broken_pipe

    args = build_parser().parse_args(argv)
    quiet_libraries()
    handle_termination()
    try:
        return args.func(args)
    except InputError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except ValidationError as exc:  # a value out of range reached a model: Chinese, not pydantic's
        from perfxl.sources import describe_validation

        print(f"错误：数值不符合要求：\n{describe_validation(exc)}", file=sys.stderr)
        return EXIT_UNREADABLE
    except BrokenPipeError:  # `perfxl explain | head -1`: the reader has what it wanted
        silence_broken_pipe()
        return EXIT_OK
    except BaseException as exc:  # never a bare traceback for a user; --debug shows it
        if isinstance(exc, SystemExit) or (args.debug and isinstance(exc, Exception)):
            raise
        known = exit_message(exc)
        if known is not None:
            print(known[0], file=sys.stderr)
            return known[1]
        from perfxl.errorlog import log_exception

        log = log_exception(exc)
        print(f"内部错误：{exc}\n详细信息已写入 {log}；请将该文件发给维护人员。", file=sys.stderr)
        return EXIT_UNREADABLE


def run() -> None:
    """The perfxl program: :func:`main`, then exit with its status. After a worker pool was ended
    mid-work (Ctrl-C, an error; :func:`perfxl.batch.pool_abandoned`) the exit skips Python's join
    of the pool's manager thread, which can wait for ever on a half-sent result; the streams and
    the log are flushed first, and everything else was cleaned up on the way out of main."""
    status = main()
    from perfxl.batch import pool_abandoned

    if pool_abandoned():
        import logging
        import os

        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        logging.shutdown()
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    run()
