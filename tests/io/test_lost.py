"""Nothing lost, nothing hangs (issue 16): the output policy, locks, in-place rewrites, inputs
that are not regular files, worker deaths, Chinese messages. Each test names the issue's case."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from perfxl.cli import main
from tests.conftest import SEEDS
from tests.io.test_hostile import _rewrite
from tests.paths import ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PERFXL_HOME": ""}


@pytest.fixture(scope="module")
def form_book(tmp_path_factory) -> Path:
    """A self-evaluation workbook perfxl wrote (one seed project, for speed)."""
    from perfxl.forms.workbook import write_projects
    from perfxl.model import ProjectFile

    pf = ProjectFile.model_validate_json((SEEDS / "self_evaluation_2023.json").read_text(encoding="utf-8"))
    pf.projects = pf.projects[:1]
    path = tmp_path_factory.mktemp("form") / "单位A自评.xlsx"
    write_projects(pf, path)
    return path


def _copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def _project_json(path: Path, name: str | None = None, seed: str = "self_evaluation_2023.json") -> Path:
    data = json.loads((SEEDS / seed).read_text(encoding="utf-8"))
    data["projects"] = data["projects"][:1]
    if name is not None:
        data["projects"][0]["name"] = name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _run(args: list[str], cwd: Path, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfxl.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env or {**ENV, "PERFXL_HOME": str(cwd / ".perfxl")})


# --- 1, 2: an output is never one of the inputs ---------------------------------------------------


def test_1_summary_never_replaces_an_input(form_book, tmp_path, capsys):
    folder = tmp_path / "收到"
    book = _copy(form_book, folder / "单位A自评.xlsx")
    before = book.read_bytes()
    assert main(["summary", str(folder), "-o", str(book)]) == 2
    err = capsys.readouterr().err
    assert "W730" in err and "就是输入文件" in err
    assert book.read_bytes() == before and sorted(p.name for p in folder.iterdir()) == ["单位A自评.xlsx"]


def test_1_summary_never_replaces_a_file_perfxl_did_not_write(form_book, tmp_path, capsys):
    other = tmp_path / "预算明细.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "别人的表"
    wb.save(other)
    before = other.read_bytes()
    assert main(["summary", str(form_book), "-o", str(other)]) == 2
    assert "W731" in capsys.readouterr().err and other.read_bytes() == before
    # a summary perfxl wrote is replaced, keeping the previous one as the backup
    out = tmp_path / "汇总.xlsx"
    assert main(["summary", str(form_book), "-o", str(out)]) in (0, 1)
    first = out.read_bytes()
    assert main(["summary", str(form_book), "-o", str(out)]) in (0, 1)
    assert (tmp_path / "汇总.bak.xlsx").read_bytes() == first


def test_2_export_never_overwrites_its_workbook(form_book, tmp_path, capsys):
    book = _copy(form_book, tmp_path / "a.xlsx")
    before = book.read_bytes()
    assert main(["export", str(book), "-o", str(book)]) == 2
    assert "W730" in capsys.readouterr().err and book.read_bytes() == before
    link = tmp_path / "link.json"
    link.symlink_to(book)  # the same file under another name
    assert main(["export", str(book), "-o", str(link)]) == 2
    assert book.read_bytes() == before


def test_2_other_commands_refuse_their_input_as_output(form_book, tmp_path, capsys):
    book = _copy(form_book, tmp_path / "a.xlsx")
    before = book.read_bytes()
    for args in (["carry", str(book), "-o", str(book)], ["import", str(book), "-o", str(book)]):
        assert main(args) == 2
        assert "W730" in capsys.readouterr().err
    assert book.read_bytes() == before


# --- 3: in-place rewriting keeps what it does not model, or refuses first --------------------------

_X14_DV = (b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
           b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
           b'<x14:dataValidations count="1"><x14:dataValidation type="list"><x14:formula1>'
           b'<xm:f xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">\'Lists\'!$A$1:$A$3</xm:f>'
           b'</x14:formula1><xm:sqref xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">B2</xm:sqref>'
           b'</x14:dataValidation></x14:dataValidations></ext></extLst>')
_SPARKLINES = (b'<extLst><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}" '
               b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
               b'<x14:sparklineGroups/></ext></extLst>')


def _with_sheet_ext(src: Path, dst: Path, ext: bytes) -> Path:
    with zipfile.ZipFile(src) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
        xml = z.read(sheet)
    return _rewrite(src, dst, replace={sheet: xml.replace(b"</worksheet>", ext + b"</worksheet>")})


def test_3_worksheet_extensions_are_read_from_the_xml_not_its_text():
    """The worksheet's own <extLst> is read with an XML parser: under any prefix, and never
    from a cell's text that happens to spell it."""
    from perfxl.rewrite import sheet_extension_losses

    ns = b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    prefixed = (b"<x:worksheet " + ns + b"><x:sheetData/>"
                + _SPARKLINES.replace(b"<extLst><ext ", b"<x:extLst><x:ext ")
                .replace(b"</ext></extLst>", b"</x:ext></x:extLst>") + b"</x:worksheet>")
    assert sheet_extension_losses(prefixed) == ["迷你图"]
    text = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>a:extLst &lt;extLst</t></is></c></row>'
            b"</sheetData></worksheet>")
    assert sheet_extension_losses(text) == []


@pytest.mark.parametrize("what,make", [
    ("引用其他工作表的下拉列表", lambda s, d: _with_sheet_ext(s, d, _X14_DV)),
    ("迷你图", lambda s, d: _with_sheet_ext(s, d, _SPARKLINES)),
    ("customXml", lambda s, d: _rewrite(s, d, add={"customXml/item1.xml": b"<a/>"})),
    ("切片器", lambda s, d: _rewrite(s, d, add={"xl/slicers/slicer1.xml": b"<a/>"})),
    ("数据透视表缓存", lambda s, d: _rewrite(s, d, add={"xl/pivotCache/pivotCacheDefinition1.xml": b"<a/>"})),
    ("线程式批注", lambda s, d: _rewrite(s, d, add={"xl/threadedComments/threadedComment1.xml": b"<a/>"})),
    ("VBA", lambda s, d: _rewrite(s, d, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0"})),
])
def test_3_in_place_score_refuses_what_openpyxl_drops(form_book, tmp_path, capsys, what, make):
    book = make(form_book, tmp_path / "自评.xlsx")
    before = book.read_bytes()
    assert main(["score", str(book)]) == 2
    err = capsys.readouterr().err
    assert "H960" in err and what in err
    assert book.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["自评.xlsx"]
    # with -o the new file is written and the user is told what it lacks
    assert main(["score", str(book), "-o", str(tmp_path / "新.xlsx")]) in (0, 1)
    assert what in capsys.readouterr().err and book.read_bytes() == before


def _clear_a_formula(book: Path) -> None:
    """Delete the first formula perfxl wrote on the form sheet, as a user's slip would; the next
    score puts it back, so it has something to write."""
    wb = openpyxl.load_workbook(book)
    ws = wb.active
    cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("="))
    cell.value = None
    wb.save(book)


def test_3_second_score_keeps_the_original(form_book, tmp_path):
    book = _copy(form_book, tmp_path / "自评.xlsx")
    wb = openpyxl.load_workbook(book)
    wb.active["A1"] = "用户的原件"  # what perfxl must never lose
    wb.save(book)
    original = book.read_bytes()
    for _ in range(3):
        assert main(["score", str(book)]) in (0, 1)
        _clear_a_formula(book)  # an edit between runs, so each run rewrites (no 无变化)
    assert (tmp_path / "自评.orig.xlsx").read_bytes() == original
    assert (tmp_path / "自评.bak.xlsx").read_bytes() != original
    assert openpyxl.load_workbook(tmp_path / "自评.bak.xlsx").active["A1"].value == "用户的原件"


# --- 4: a file another program holds is never rewritten ---------------------------------------------


@pytest.mark.parametrize("lock", ["~$自评.xlsx", ".~lock.自评.xlsx#", ".~自评.xlsx"])
def test_4_editor_lock_files_refuse(form_book, tmp_path, capsys, lock):
    book = _copy(form_book, tmp_path / "自评.xlsx")
    before = book.read_bytes()
    (tmp_path / lock).write_bytes(b"owner")
    assert main(["score", str(book)]) == 2
    err = capsys.readouterr().err
    assert "H956" in err and lock in err and book.read_bytes() == before


@pytest.mark.parametrize("kind", ["lockf", "flock"])
def test_4_os_locks_held_by_another_process_refuse(form_book, tmp_path, capsys, kind):
    book = _copy(form_book, tmp_path / "自评.xlsx")
    before = book.read_bytes()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, sys, time\n"
         f"f = open(sys.argv[1], 'r+b')\nfcntl.{kind}(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\n"
         "time.sleep(60)", str(book)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"locked"
        assert main(["score", str(book)]) == 2
        err = capsys.readouterr().err
        assert "H956" in err and "锁定" in err and book.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()
    assert main(["score", str(book)]) in (0, 1)  # released: written


# --- 5: the backup is made atomically ---------------------------------------------------------------


def test_5_backup_copy_failing_leaves_the_old_backup(tmp_path, monkeypatch):
    """Where hard links are impossible the backup is a copy to a temp file: a full disk then
    stops the save, and the previous backup is whole (copy2 onto its name truncated it)."""
    from perfxl import atomic

    target = tmp_path / "book.xlsx"
    target.write_bytes(b"current")
    atomic.backup_path(target).write_bytes(b"previous backup")
    atomic.original_path(target).write_bytes(b"original")

    def no_link(*a):
        raise OSError(errno.EPERM, "no links here")

    def full(src, dst, **kw):
        Path(dst).write_bytes(b"par")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "link", no_link)
    monkeypatch.setattr(atomic.shutil, "copyfile", full)
    with pytest.raises(Exception) as e:
        atomic.atomic_save(target, lambda tmp: tmp.write_bytes(b"new"), backup=True)
    assert "W732" in str(e.value) and "磁盘已满" in str(e.value)
    assert target.read_bytes() == b"current"
    assert atomic.backup_path(target).read_bytes() == b"previous backup"
    assert atomic.original_path(target).read_bytes() == b"original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.bak.xlsx", "book.orig.xlsx", "book.xlsx"]


# --- 6: never a good summary replaced by an empty one -----------------------------------------------


def test_6_empty_folder_keeps_the_existing_summary(form_book, tmp_path, capsys):
    out = tmp_path / "汇总.xlsx"
    assert main(["summary", str(form_book), "-o", str(out)]) in (0, 1)
    wb = openpyxl.load_workbook(out)
    wb["项目对照"]["F2"] = "用户的修正"
    wb.save(out)
    before = out.read_bytes()
    empty = tmp_path / "空"
    empty.mkdir()
    (empty / "坏.xlsx").write_bytes(b"not a workbook")
    capsys.readouterr()
    assert main(["summary", str(empty), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "没有汇总到任何项目" in err and "保持不变" in err
    assert out.read_bytes() == before and not (tmp_path / "汇总.bak.xlsx").exists()


# --- 7: a FIFO never hangs --------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "score", "summary"])
def test_7_fifo_input_does_not_hang(tmp_path, command):
    fifo = tmp_path / "管道.xlsx"
    os.mkfifo(fifo)
    args = [command, str(fifo)] + (["-o", str(tmp_path / "s.xlsx")] if command == "summary" else [])
    proc = _run(args, tmp_path, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "W733" in proc.stderr and "不是普通文件" in proc.stderr and "Traceback" not in proc.stderr


def test_7_fifo_in_a_folder_is_listed(form_book, tmp_path, capsys):
    folder = tmp_path / "收到"
    _copy(form_book, folder / "a.xlsx")
    os.mkfifo(folder / "b.xlsx")
    assert main(["summary", str(folder), "-o", str(tmp_path / "s.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "b.xlsx" in err and "W733" in err


# --- 8: a worker's death is detected, reported and retried ------------------------------------------


def _json_batch(folder: Path, n: int) -> list[Path]:
    folder.mkdir()
    return [_project_json(folder / f"项目{i:02d}.json", f"项目{i:02d}") for i in range(n)]


def test_8_worker_death_is_reported_not_waited_for(tmp_path, monkeypatch):
    from perfxl import batch
    from perfxl.summary.build import build_summary

    _json_batch(tmp_path / "in", 8)
    monkeypatch.setattr(batch, "POOL_MIN_FILES", 2)
    monkeypatch.setenv("PERFXL_TEST_CRASH_ON", "项目03")
    result = build_summary([tmp_path / "in"], None, jobs=2)
    names = sorted(r["name"] for r in result.tables.self_evaluations)
    assert names == [f"项目{i:02d}" for i in range(8) if i != 3]
    assert [Path(s["file"]).name for s in result.skipped] == ["项目03.json"]
    assert "工作进程意外终止" in result.skipped[0]["reason"]


def test_8_worker_death_retried_once_in_a_fresh_pool(tmp_path, monkeypatch):
    from perfxl import batch
    from perfxl.summary.build import build_summary

    _json_batch(tmp_path / "in", 8)
    marker = tmp_path / "crash-once"
    marker.write_text("")
    monkeypatch.setattr(batch, "POOL_MIN_FILES", 2)
    monkeypatch.setenv("PERFXL_TEST_CRASH_ON", "项目05")
    monkeypatch.setenv("PERFXL_TEST_CRASH_ONCE", str(marker))
    result = build_summary([tmp_path / "in"], None, jobs=2)
    assert not marker.exists()  # the worker did die once
    assert len(result.tables.self_evaluations) == 8 and result.skipped == []


def test_8_check_batch_reports_a_crashing_file(tmp_path, monkeypatch, capsys):
    from perfxl import batch

    files = _json_batch(tmp_path / "in", 6)
    monkeypatch.setattr(batch, "POOL_MIN_FILES", 2)
    monkeypatch.setenv("PERFXL_TEST_CRASH_ON", "项目01")
    assert main(["check", *map(str, files), "--jobs", "2"]) == 2
    err = capsys.readouterr().err
    assert "项目01.json" in err and "意外终止" in err


# --- 9, 10: odd names never stop a summary ---------------------------------------------------------


def test_9_gbk_file_name_is_summarised_with_a_finding(form_book, tmp_path, capsys):
    folder = tmp_path / "收到"
    _copy(form_book, folder / "正常.xlsx")
    gbk = os.fsencode(folder) + b"/" + "单位乙".encode("gbk") + b".json"
    _project_json(Path(os.fsdecode(gbk)), "乙项目")
    out = tmp_path / "汇总.xlsx"
    status = main(["summary", str(folder), "-o", str(out)])
    captured = capsys.readouterr()
    assert status in (0, 1) and "内部错误" not in captured.err
    result = json.loads(_run(["summary", str(folder), "--json"], tmp_path).stdout)
    assert "乙项目" in [r["name"] for r in result["self_evaluations"]]
    assert any(f["code"] == "W733" and "单位乙" in f["message"] for f in result["findings"])
    values = [c for row in openpyxl.load_workbook(out)["问题清单"].iter_rows(values_only=True) for c in row]
    assert "单位乙.json" in values


def test_10_symlink_loop_and_long_names_are_listed(form_book, tmp_path, capsys):
    loop = tmp_path / "loop.xlsx"
    loop.symlink_to(loop)
    long_name = tmp_path / ("长" * 100 + ".xlsx")  # 304 bytes: over NAME_MAX
    folder = tmp_path / "收到"
    _copy(form_book, folder / "a.xlsx")
    (folder / "环.xlsx").symlink_to(folder / "环.xlsx")
    out = tmp_path / "汇总.xlsx"
    status = main(["summary", str(folder), str(loop), str(long_name), "-o", str(out)])
    err = capsys.readouterr().err
    assert status == 1 and "内部错误" not in err
    assert "loop.xlsx" in err and "环.xlsx" in err and "长长长" in err
    assert out.exists()


# --- 12, 13: names -----------------------------------------------------------------------------------


def test_12_line_breaks_in_a_project_name_still_give_an_eml(tmp_path, capsys):
    src = _project_json(tmp_path / "p.json", "热线服务\n保障\u2028经费\u0085")
    book = tmp_path / "自评.xlsx"
    assert main(["import", str(src), "-o", str(book)]) in (0, 1)
    outdir = tmp_path / "定稿"
    main(["finalize", str(book), "-o", str(outdir), "--email", "--force"])
    emls = list(outdir.glob("*.eml"))
    assert len(emls) == 1, capsys.readouterr().err
    import email

    msg = email.message_from_bytes(emls[0].read_bytes())
    subject = str(email.header.make_header(email.header.decode_header(msg["Subject"])))
    assert "热线服务 保障 经费" in subject


def test_13_in_place_work_on_a_250_byte_name(form_book, tmp_path):
    stem = "绩" * 81 + "a"  # 244 bytes; with .xlsx 249
    book = _copy(form_book, tmp_path / f"{stem}.xlsx")
    assert len(book.name.encode()) == 249
    assert main(["score", str(book)]) in (0, 1)
    _clear_a_formula(book)
    assert main(["score", str(book)]) in (0, 1)
    names = {p.name for p in tmp_path.iterdir()}
    assert book.name in names and all(len(n.encode()) <= 255 for n in names)
    assert any(".bak.xlsx" in n for n in names) and any(".orig.xlsx" in n for n in names)


# --- 16, 17, 18, 19, 20 ------------------------------------------------------------------------------


def test_16_control_characters_from_json_give_a_workbook_that_opens(tmp_path, capsys):
    src = _project_json(tmp_path / "p.json", "热线\u0001服务\ufffe保障'经费")
    book = tmp_path / "a.xlsx"
    assert main(["import", str(src), "-o", str(book)]) in (0, 1)
    assert "W736" in capsys.readouterr().out
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[0] == "热线 服务 保障'经费"
    out = tmp_path / "s.xlsx"
    assert main(["summary", str(book), "-o", str(out)]) in (0, 1)
    links = [c.hyperlink.location for c in openpyxl.load_workbook(out)["偏差明细"]["L"] if c.hyperlink]
    assert links and all(loc.startswith("'热线 服务 保障''经费'!") for loc in links)  # ' doubled


def test_17_in_place_score_of_a_symlink_scores_the_target(form_book, tmp_path):
    target = _copy(form_book, tmp_path / "真" / "自评.xlsx")
    before = target.read_bytes()
    link = tmp_path / "链接.xlsx"
    link.symlink_to(target)
    assert main(["score", str(link)]) in (0, 1)
    assert link.is_symlink() and os.path.realpath(link) == str(target)
    assert target.read_bytes() != before
    assert (tmp_path / "真" / "自评.bak.xlsx").read_bytes() == before


def test_18_backups_and_finalized_copies_counted_once(form_book, tmp_path, capsys):
    folder = tmp_path / "收到"
    book = _copy(form_book, folder / "自评.xlsx")
    assert main(["score", str(book)]) in (0, 1)  # leaves 自评.bak.xlsx
    assert main(["finalize", str(book), "--force"]) in (0, 1)  # a finalized copy beside it
    (folder / ".~perfxl-999999999-dead.tmp").write_bytes(b"PK\x03\x04partial")  # a killed run's temp
    capsys.readouterr()
    result = json.loads(_run(["summary", str(folder), "--json"], tmp_path).stdout)
    assert len(result["self_evaluations"]) == 1
    dup = [f for f in result["findings"] if f["code"] == "W734"]
    assert len(dup) == 1 and "自评.xlsx" in dup[0]["message"] and "定稿" not in json.dumps(result["skipped"])
    assert result["skipped"] == []


def test_19_other_spreadsheet_formats_are_listed(form_book, tmp_path):
    folder = tmp_path / "收到"
    _copy(form_book, folder / "a.xlsx")
    for name in ("旧表.xls", "开放.ods", "数据.csv"):
        (folder / name).write_bytes(b"x")
    result = json.loads(_run(["summary", str(folder), "--json"], tmp_path).stdout)
    skipped = {Path(s["file"]).name: s["reason"] for s in result["skipped"]}
    assert set(skipped) == {"旧表.xls", "开放.ods", "数据.csv"}
    assert all("W735" in r for r in skipped.values())


def test_20_cells_never_exceed_excels_limit():
    from perfxl.safety import EXCEL_CELL_CHARS, clean_text

    text = clean_text("原因" * 20_000)
    assert len(text.encode("utf-16-le")) // 2 == EXCEL_CELL_CHARS and text.endswith("已截断）")
    emoji = clean_text("😀" * 20_000)  # two UTF-16 units each
    assert len(emoji.encode("utf-16-le")) // 2 <= EXCEL_CELL_CHARS
    assert clean_text("短文本") == "短文本"


# --- 21, 22, 23: messages ------------------------------------------------------------------------------


def test_21_finalize_o_existing_file(form_book, tmp_path, capsys):
    existing = tmp_path / "已有.txt"
    existing.write_text("x")
    assert main(["finalize", str(form_book), "-o", str(existing), "--force"]) == 2
    err = capsys.readouterr().err
    assert "输出文件夹" in err and "内部错误" not in err and existing.read_text() == "x"


def test_21_no_libreoffice(form_book, tmp_path):
    env = {**ENV, "PATH": str(tmp_path / "empty"), "PERFXL_HOME": str(tmp_path / ".perfxl")}
    proc = subprocess.run([sys.executable, "-m", "perfxl.cli", "finalize", str(form_book), "-o",
                           str(tmp_path / "out"), "--pdf", "--force"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 2
    assert "未找到 LibreOffice" in proc.stderr and "内部错误" not in proc.stderr


def test_22_argparse_speaks_chinese(capsys):
    with pytest.raises(SystemExit) as e:
        main(["check"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "缺少必需的参数" in err and "错误" in err and "error:" not in err and "usage:" not in err
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "用法：" in out and "显示本帮助并退出" in out and "show this help" not in out


def test_22_library_warnings_go_to_the_log(form_book, tmp_path):
    book = _with_sheet_ext(form_book, tmp_path / "a.xlsx", _X14_DV)
    proc = _run(["score", str(book), "-o", str(tmp_path / "b.xlsx")], tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert "extension is not supported" not in proc.stderr and "UserWarning" not in proc.stderr
    assert "extension is not supported" in (tmp_path / ".perfxl" / "perfxl.log").read_text(encoding="utf-8")


@pytest.mark.parametrize("reader", ["head -1", "true"])
def test_23_explain_into_a_closed_pipe_is_quiet(tmp_path, reader):
    proc = subprocess.run(f"{sys.executable} -m perfxl.cli explain | {reader}; exit ${{PIPESTATUS[0]}}",
                          shell=True, executable="/bin/bash", cwd=tmp_path, capture_output=True, text=True,
                          env={**ENV, "PERFXL_HOME": str(tmp_path)}, timeout=60)
    assert proc.stderr == "" and proc.returncode == 0
    assert proc.stdout.count("\n") == (1 if reader.startswith("head") else 0)


# --- a full disk, a read-only folder: every command that writes ------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 32 MB tmpfs (cleaned up afterwards): a disk that can really fill up."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (the CI container runs as root)")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(disk: Path) -> None:
    with open(disk / "填满", "wb", buffering=0) as fh:
        for size in (1 << 20, 65536, 4096, 512, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "填满"}


def _writers(src_json: Path, book: Path, disk: Path) -> dict[str, list[str]]:
    """Every command that writes, each writing into ``disk``."""
    return {
        "score": ["score", str(disk / "自评.xlsx")],
        "import": ["import", str(src_json), "-o", str(disk / "导入.xlsx")],
        "export": ["export", str(book), "-o", str(disk / "导出.json")],
        "carry": ["carry", str(book), "--next-year", "-o", str(disk / "申报.xlsx")],
        "finalize": ["finalize", str(book), "-o", str(disk / "定稿"), "--force"],
        "summary": ["summary", str(book), "-o", str(disk / "汇总.xlsx")],
        "new": ["new", "declaration", "--year", "2027", "-o", str(disk / "空白.xlsx")],
        "template": ["template", "build", "--dir", str(disk / "templates")],
        "demo": ["demo", "-o", str(disk / "demo")],
    }


def test_disk_full_leaves_outputs_and_backups_intact(form_book, small_disk, tmp_path, capsys):
    src_json = _project_json(tmp_path / "p.json")
    book = _copy(form_book, tmp_path / "自评.xlsx")
    _copy(form_book, small_disk / "自评.xlsx")
    commands = _writers(src_json, book, small_disk)
    for args in commands.values():  # twice: an output and its backup exist before the disk fills
        for _ in range(2):
            assert main(args) in (0, 1), (args, capsys.readouterr().err)
    capsys.readouterr()
    _clear_a_formula(small_disk / "自评.xlsx")  # so that score has something to write (no 无变化)
    before = _snapshot(small_disk)
    assert any(name.endswith(".bak.xlsx") for name in before)
    _fill(small_disk)
    for name, args in commands.items():
        status = main(args)
        err = capsys.readouterr().err
        assert status == 2, (name, err)
        assert "磁盘已满" in err and "内部错误" not in err, (name, err)
        assert _snapshot(small_disk) == before, name
    assert not [p for p in small_disk.rglob(".~perfxl-*")]


def test_14_disk_full_during_finalize_prints_no_python_noise(form_book, small_disk, tmp_path):
    _fill(small_disk)
    proc = _run(["finalize", str(form_book), "-o", str(small_disk), "--force"], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("错误：W732") and "磁盘已满" in proc.stderr
    assert "Exception ignored" not in proc.stderr and "Traceback" not in proc.stderr


def test_21_read_only_folder(form_book, tmp_path):
    ro = tmp_path / "只读"
    ro.mkdir()
    if os.geteuid() != 0:
        pytest.skip("a read-only mount needs root")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(ro)], check=True)
    try:
        proc = _run(["summary", str(form_book), "-o", str(ro / "汇总.xlsx")], tmp_path)
    finally:
        subprocess.run(["umount", "-l", str(ro)], check=False)
    assert proc.returncode == 2
    assert "只读" in proc.stderr and "内部错误" not in proc.stderr and "Errno" not in proc.stderr


def test_11_finalize_pdf_onto_another_filesystem(form_book, small_disk, tmp_path):
    proc = _run(["finalize", str(form_book), "-o", str(small_disk), "--pdf", "--email", "--force"], tmp_path,
                timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    names = sorted(p.suffix for p in small_disk.iterdir())
    assert names == [".eml", ".pdf", ".xlsx"]
    assert next(small_disk.glob("*.pdf")).read_bytes().startswith(b"%PDF")


# --- 15: Ctrl-C ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["summary", "check"])
def test_15_ctrl_c_in_a_large_batch_is_one_line(form_book, tmp_path, command):
    import signal

    folder = tmp_path / "收到"
    for i in range(200):  # enough that the workers are busy when the signal comes
        _copy(form_book, folder / f"单位{i:03d}.xlsx")
    args = [command, str(folder)] + (["-o", str(tmp_path / "汇总.xlsx")] if command == "summary" else [])
    proc = subprocess.Popen([sys.executable, "-m", "perfxl.cli", *args], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**ENV, "PERFXL_HOME": str(tmp_path / ".perfxl")})
    if command == "summary":
        assert proc.stderr.readline().startswith("[1/200]")  # reading, in the pool
    else:
        assert proc.stdout.readline().startswith("==")
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    lines = [ln for ln in err.splitlines() if not ln.startswith("[")]
    assert lines == ["已中断。"]
    assert not list(tmp_path.glob(".~perfxl-*")) and not (tmp_path / "汇总.xlsx").exists()


# --- 24: no LibreOffice outlives finalize ------------------------------------------------------------


def _processes_with(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = (entry / "stat").read_text().split(") ", 1)[1][:1]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def _wait_for(predicate, timeout: float = 60.0) -> bool:
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_24_killing_finalize_pdf_ends_libreoffice(form_book, tmp_path, sig):
    import signal
    import tempfile

    from perfxl.libreoffice import remove_stale_profiles

    proc = subprocess.Popen([sys.executable, "-m", "perfxl.cli", "finalize", str(form_book), "-o",
                             str(tmp_path / "out"), "--pdf", "--force"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**ENV, "PERFXL_HOME": str(tmp_path)})
    profile = f"perfxl-lo-{proc.pid}-"
    assert _wait_for(lambda: _processes_with(profile)), "soffice never started"
    proc.send_signal(getattr(signal, sig))
    out, err = proc.communicate(timeout=60)
    assert _wait_for(lambda: not _processes_with(profile), 20), "soffice outlived perfxl"
    left = lambda: list(Path(tempfile.gettempdir()).glob(profile + "*"))  # noqa: E731
    if sig == "SIGTERM":
        assert proc.returncode == 130 and err.strip().endswith("已中断。") and "Traceback" not in err
    else:
        remove_stale_profiles()  # what the next conversion does first
    assert left() == []


# --- SIGKILL at random moments of score, finalize and summary (20 runs each) ------------------------

_STAGES = ("written", "synced", "backed-up", "replaced", None)  # None: the run completes


def _complete(path: Path, sheet: str | None = None) -> bool:
    wb = openpyxl.load_workbook(path, read_only=True)
    ok = sheet is None or sheet in wb.sheetnames
    wb.close()
    return ok


@pytest.mark.parametrize("command", ["score", "finalize", "summary"])
def test_kill_at_random_moments(form_book, tmp_path, command):
    import random

    rng = random.Random(f"issue16-{command}")
    folder = tmp_path / "收到"
    book = _copy(form_book, folder / "自评.xlsx")
    if command == "score":
        args, target, sheet = ["score", str(book)], book, "perfxl设置"
    elif command == "finalize":
        outdir = tmp_path / "定稿"
        args, sheet = ["finalize", str(book), "-o", str(outdir), "--force"], "perfxl设置"
        assert main(args) in (0, 1)
        target = next(outdir.glob("*.xlsx"))
    else:
        target = folder / "汇总.xlsx"
        args, sheet = ["summary", str(folder), "-o", str(target)], "项目对照"
    killed = 0
    for _ in range(20):
        stage = rng.choice(_STAGES)
        if command == "score":
            _clear_a_formula(book)  # an edit since the last run, so that score writes (no 无变化)
        before = target.read_bytes() if target.exists() else None
        # finalize without LibreOffice's recalculation: the save, not the recalculation, is under test
        env = {**ENV, "PERFXL_HOME": str(tmp_path / ".perfxl"), "PERFXL_SOFFICE": ""}
        if stage:
            env["PERFXL_TEST_KILL_AT"] = stage
        proc = _run(args, tmp_path, env=env)
        if stage == "backed-up" and before is None:
            stage = None  # nothing to back up yet: the save runs through
        if stage:
            killed += 1
            assert proc.returncode == -9, proc.stderr
        else:
            assert proc.returncode in (0, 1) and "未汇总" not in proc.stderr, proc.stderr  # leftovers ignored
        if target.exists():
            assert target.read_bytes() == before or _complete(target, sheet)
            assert _complete(target, sheet)
        else:
            assert before is None and stage is not None
        bak = target.with_name(f"{target.stem}.bak.xlsx")
        if bak.exists():
            assert _complete(bak)
    assert killed >= 10
    proc = _run(["summary", str(folder), "--json"], tmp_path)  # the dead runs' temp files are no input
    result = json.loads(proc.stdout)
    assert [s for s in result["skipped"] if Path(s["file"]) != target] == []
    assert len(result["self_evaluations"]) == 1
