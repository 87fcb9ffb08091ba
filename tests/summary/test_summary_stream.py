"""The streaming summary writer (perfxl summary) writes the same cells as the in-workbook one."""

from __future__ import annotations

import gc
import random
import re
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import Workbook, load_workbook

from perfxl import batch
from perfxl.demo import seed_dir
from perfxl.model import ProjectFile
from perfxl.rules.targets import same_unit
from perfxl.summary import build_summary, sheets
from perfxl.summary.matching import (
    MAPPING_SHEET,
    ProjectLink,
    _unit,
    indicator_similarity,
    mapping_from_rows,
    match_indicators,
    match_projects,
    name_similarity,
    read_mapping,
)
from perfxl.summary.sheets import save_summary, write_summary

SEEDS = seed_dir()


def _cells(path: Path) -> dict:
    wb = load_workbook(path)
    out = {"sheets": wb.sheetnames}
    for ws in wb:
        out[ws.title, "tables"] = sorted((t.displayName, t.ref, tuple(c.name for c in t.tableColumns))
                                         for t in ws.tables.values())
        out[ws.title, "charts"] = len(ws._charts)
        out[ws.title, "widths"] = {k: v.width for k, v in ws.column_dimensions.items()}
        for row in ws.iter_rows():
            for c in row:
                link = (c.hyperlink.target, c.hyperlink.location) if c.hyperlink else None
                out[ws.title, c.coordinate] = (c.value, c.number_format, repr(c.font), repr(c.alignment),
                                               c.quotePrefix, link)
    return out


def test_streamed_workbook_equals_in_memory_workbook(tmp_path) -> None:
    res = build_summary([SEEDS / "self_evaluation_2023.json", SEEDS / "declaration_2026.json"], None)
    t = res.tables
    t.skipped.append({"file": "坏.xlsx", "reason": "a <b> & c"})
    t.findings.append({"file": "x", "code": "=1+1", "severity": "#N/A", "sheet": " s ", "cell": "A1", "message": ""})
    t.deviations[0]["_path"] = str(tmp_path / "src.xlsx")
    t.deviations[0]["_link"] = "表1!I12"
    wb = Workbook()
    wb.remove(wb.active)
    write_summary(wb, t, out_dir=tmp_path)
    wb.save(tmp_path / "old.xlsx")
    save_summary(tmp_path / "new.xlsx", t, out_dir=tmp_path)
    old, new = _cells(tmp_path / "old.xlsx"), _cells(tmp_path / "new.xlsx")
    assert old == new
    # each table sheet states its size, as openpyxl's own writer does (read-only readers need it)
    old_xml, new_xml = _parts(tmp_path / "old.xlsx"), _parts(tmp_path / "new.xlsx")
    tables = [i for i, title in enumerate(new["sheets"], 1) if new[title, "tables"]]
    assert len(tables) == 8
    for i in tables:
        dims = [re.search(r"<dimension [^>]*>", xml[f"xl/worksheets/sheet{i}.xml"].decode()) for xml in (old_xml, new_xml)]
        assert dims[1] is not None and dims[0].group() == dims[1].group()
    assert new["偏差明细", "L2"][5] == ("src.xlsx", "'表1'!I12")
    assert new["问题清单", "B" + str(len(t.findings) + 1)][0] == "=1+1"  # text, quote-prefixed
    assert new["问题清单", "B" + str(len(t.findings) + 1)][4] is True


def test_project_matching_many_similar_names() -> None:
    prev = [(2024, f"绿化市容行政服务工作经费（B{i:05d}）") for i in range(40)]
    cur = [(2026, f"绿化市容行政服务工作（B{i:05d}）") for i in range(0, 80, 2)] + [(2026, "无关项目")]
    links = match_projects(prev, cur)
    matched = [(link.prev_name, link.cur_name) for link in links if link.matched]
    # every previous project finds a successor, one to one, the closest names first
    assert len(matched) == 40 and len({c for _, c in matched}) == 40
    assert ("绿化市容行政服务工作经费（B00000）", "绿化市容行政服务工作（B00000）") in matched
    assert any(link.cur_name == "无关项目" and link.prev_name is None for link in links)


def _greedy_reference(prev, cur, threshold=0.75):
    """The matching as specified: every pair's name_similarity, best first, one to one."""
    pairs = []
    for pi, (_, pn) in enumerate(prev):
        for ci, (_, cn) in enumerate(cur):
            sim, method = name_similarity(pn, cn)
            if sim >= threshold:
                pairs.append((sim, pi, ci, method))
    pairs.sort(key=lambda c: (-c[0], c[1], c[2]))
    taken_p, taken_c, out = set(), set(), []
    for sim, pi, ci, method in pairs:
        if pi not in taken_p and ci not in taken_c:
            taken_p.add(pi)
            taken_c.add(ci)
            out.append(ProjectLink(prev[pi][0], prev[pi][1], cur[ci][0], cur[ci][1], method, round(sim, 2)))
    return out


def test_lazy_matching_equals_sorting_every_pair() -> None:
    rng = random.Random(7)
    bases = ["热线服务保障", "绿化市容行政服务工作", "行业信访、安全及保障稳定的应急工作", "林业诉求处置督查督办",
             "环卫", "市容", "AB", "绿化"]
    suffixes = ["", "经费", "项目", "专项资金", "（二期）", "服务采购", "运行维护"]

    def name() -> str:
        return rng.choice(["", "宝山", "浦东"]) + rng.choice(bases) + rng.choice(suffixes) + rng.choice(
            ["", f"（B{rng.randrange(30):05d}）", "Ω"])

    for _ in range(20):
        prev = [(2024, name()) for _ in range(rng.randrange(1, 40))]
        cur = [(2026, name()) for _ in range(rng.randrange(1, 40))]
        prev, cur = list(dict.fromkeys(prev)), list(dict.fromkeys(cur))
        links = [link for link in match_projects(prev, cur) if link.matched]
        assert links == _greedy_reference(prev, cur)


@pytest.fixture(scope="module")
def many_inputs(tmp_path_factory):
    """Seed workbooks and copies with renamed projects (the same project in two files is
    counted once, W734), the JSON files and a corrupt file."""
    from perfxl.forms import workbook

    folder = tmp_path_factory.mktemp("inputs")
    for src, name in ((SEEDS / "self_evaluation_2023.json", "自评"), (SEEDS / "declaration_2026.json", "申报")):
        for i in (0, 1, 2, 3):
            pf = ProjectFile.model_validate_json(src.read_text(encoding="utf-8"))
            for project in pf.projects:
                project.name += "" if i == 0 else f"（副本{i}）"
            if i == 3:
                (folder / src.name).write_text(pf.model_dump_json(), encoding="utf-8")
            else:
                workbook.write_projects(pf, folder / f"{name}_{i}.xlsx")
    (folder / "损坏.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    return folder


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # core: a timestamp


def test_build_summary_writes_what_one_save_writes(many_inputs, tmp_path, monkeypatch) -> None:
    """build_summary (one process, or two workers that also compute the cross-year view while
    the first sheets are written) writes the same workbook, byte for byte, as save_summary of
    the finished tables; the JSON is the same too."""
    monkeypatch.setattr(batch, "POOL_MIN_FILES", 2)
    results = {jobs: build_summary([many_inputs], tmp_path / f"jobs{jobs}.xlsx", jobs=jobs) for jobs in (1, 2)}
    save_summary(tmp_path / "once.xlsx", results[1].tables, out_dir=tmp_path)
    once = _parts(tmp_path / "once.xlsx")
    assert _parts(tmp_path / "jobs1.xlsx") == once == _parts(tmp_path / "jobs2.xlsx")
    assert results[1].as_json() | {"output": ""} == results[2].as_json() | {"output": ""}
    t = results[1].tables
    assert len(t.self_evaluations) == 4 * 4 and len(t.declarations) == 4 * 4 and len(t.skipped) == 1
    assert t.cross_year
    linked = [d for d in t.deviations if d["_link"]]
    assert linked and len(linked) < len(t.deviations)  # workbooks link back, JSON files don't
    ws = load_workbook(tmp_path / "jobs2.xlsx")["偏差明细"]
    assert sum(c.hyperlink is not None for c in ws["L"]) == len(linked)


def test_lazy_indicator_matching_equals_sorting_every_pair() -> None:
    rng = random.Random(11)
    names = ["热线受理值班时长", "前端诉件受理", "前端诉件受理、甄别分类", "群众满意度", "满意度", "办结率",
             "督查督办及时率", "成本控制", "AB"]
    targets = ["≥95%", "≥95百分比", "=17520小时", "≤72万元", "好", "逐步提高", "≥90个"]

    def indicator():
        return SimpleNamespace(name=rng.choice(names) + rng.choice(["", "情况", "（季度）"]), target=rng.choice(targets))

    for _ in range(30):
        prev = [indicator() for _ in range(rng.randrange(0, 25))]
        cur = [indicator() for _ in range(rng.randrange(0, 25))]
        ranked = sorted(
            ((indicator_similarity(p.name, c.name), a, b) for a, p in enumerate(prev) for b, c in enumerate(cur)
             if _unit(p.target)[0] == _unit(c.target)[0]
             and (not _unit(p.target)[0] or same_unit(_unit(p.target)[1], _unit(c.target)[1]))),
            key=lambda t: (-t[0], t[1], t[2]),
        )
        by_cur, used = {}, set()
        for sim, a, b in ranked:
            if sim >= 0.6 and a not in used and b not in by_cur:
                by_cur[b] = (a, sim)
                used.add(a)
        pairs, gone, new = match_indicators(prev, cur)
        assert pairs == [(prev[by_cur[b][0]], cur[b], by_cur[b][1]) for b in sorted(by_cur)]
        assert gone == [p for a, p in enumerate(prev) if a not in used]
        assert new == [c for b, c in enumerate(cur) if b not in by_cur]


def test_read_mapping_reads_the_sheet_as_openpyxl_does(tmp_path) -> None:
    wb = Workbook()
    wb.active.title = "其他"
    ws = wb.create_sheet(MAPPING_SHEET)
    ws.append(["上年年度", "上年项目名称", "本年年度", "本年项目名称", "对照方式", "相似度", None, "说明"])
    ws.append([2024, "甲项目", 2026, "甲项目（新）", "名称近似", 0.88])
    ws.append([2024, "乙项目", 2026, None, "按对照表"])  # no successor
    ws.append([None, "丙项目", None, 2026.5])  # no year; a number typed as the name
    ws.append([2024, 123, 2026, "  丁项目 "])
    ws.append([2024, None, 2026, "无上年"])
    wb.save(tmp_path / "old.xlsx")
    expected = mapping_from_rows(load_workbook(tmp_path / "old.xlsx")[MAPPING_SHEET].iter_rows(values_only=True))
    assert read_mapping(tmp_path / "old.xlsx") == expected == {
        (2024, "甲项目"): "甲项目（新）", (2024, "乙项目"): None, (None, "丙项目"): "2026.5", (2024, "123"): "丁项目"}


def test_writer_closed_without_saving_cleans_up(monkeypatch) -> None:
    """A summary that stops before saving (an error, Ctrl+C) leaves no noise or open sheet."""
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    res = build_summary([SEEDS / "self_evaluation_2023.json"], None)
    with pytest.raises(RuntimeError), sheets.SummaryWriter() as writer:
        def stop():
            raise RuntimeError("stopped")
        writer.save(Path("/nonexistent/never.xlsx"), res.tables, stop)  # stops half-way
    del writer
    gc.collect()
    assert unraisable == []


def test_hyperlink_targets_resolve_as_the_in_memory_writer_does(tmp_path) -> None:
    """The streamed sheets resolve each source folder once (a file that is a symbolic link
    fully): the targets equal Path.resolve()'s, relative to the output folder or as a URI."""
    import os

    out_dir = tmp_path / "out"
    (out_dir / "子目录").mkdir(parents=True)
    other = tmp_path / "别处"
    other.mkdir()
    for p in (out_dir / "a.xlsx", out_dir / "子目录" / "b c&d.xlsx", other / "e.xlsx"):
        p.write_bytes(b"")
    os.symlink(other / "e.xlsx", out_dir / "link.xlsx")  # a file that is a link: its target
    os.symlink(other, out_dir / "linked_dir")  # a folder that is a link
    paths = [out_dir / "a.xlsx", out_dir / "子目录" / "b c&d.xlsx", other / "e.xlsx",
             out_dir / "link.xlsx", out_dir / "linked_dir" / "e.xlsx",
             out_dir / "子目录" / ".." / "a.xlsx", Path(os.path.relpath(out_dir / "a.xlsx"))]
    cells = sheets._TableCells(Workbook(write_only=True).create_sheet(), "deviations", out_dir)

    def reference(p: Path) -> str:
        try:
            return p.resolve().relative_to(out_dir.resolve()).as_posix()
        except ValueError:
            return p.resolve().as_uri()

    for p in paths:
        assert cells.target(str(p)) == reference(p), p
    assert cells.target(str(out_dir / "link.xlsx")).startswith("file://")
