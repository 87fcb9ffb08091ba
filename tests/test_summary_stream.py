"""The streaming summary writer (perfxl summary) writes the same cells as the in-workbook one."""

from __future__ import annotations

import random
from pathlib import Path

from openpyxl import Workbook, load_workbook

from perfxl.demo import seed_dir
from perfxl.summary import build_summary
from perfxl.summary.matching import ProjectLink, match_projects, name_similarity
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
