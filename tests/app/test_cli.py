"""The command line's contract: JSON shapes, exit statuses, Chinese messages."""

from __future__ import annotations

import json
import shutil

import pytest

from perfxl.cli import main
from tests.conftest import SEEDS


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_schema_is_json_schema_of_project_file(capsys):
    code, out, _ = run(capsys, "schema")
    schema = json.loads(out)
    assert code == 0
    assert set(schema["properties"]) == {"schema_version", "settings", "projects"}
    assert {"Declaration", "SelfEvaluation", "Indicator"} <= set(schema["$defs"])


def test_score_json_reproduces_published_numbers(capsys, published):
    code, out, _ = run(capsys, "score", str(SEEDS / "self_evaluation_2023.json"), "--json")
    data = json.loads(out)
    assert code == 1  # the seeds contain real errors (unexplained scores below weight)
    got = [
        (p["name"], p["execution_rate"], p["execution_score"], p["total"], p["grade"])
        for p in data["projects"]
    ]
    want = [
        (p["name"], p["execution_rate"], p["execution_score"], p["total"], p["grade"])
        for p in published
    ]
    assert [(n, r, s, g) for n, r, s, _, g in got] == [(n, r, s, g) for n, r, s, _, g in want]
    from decimal import Decimal

    assert [Decimal(t) for *_, t, _ in got] == [Decimal(t) for *_, t, _ in want]
    first = data["projects"][0]
    assert set(first) == {
        "name", "form", "year", "execution_rate", "execution_score", "total", "grade", "indicators",
    }
    assert first["form"] == "self_evaluation" and first["year"] == 2023
    tuidan = next(i for i in first["indicators"] if i["name"] == "退单")
    assert tuidan["weight"] == "6.00" and Decimal(tuidan["score"]) == 5
    assert Decimal(tuidan["suggested"]) < 6  # 10518 of 12000: proportional (R2)
    finding = data["findings"][0]
    assert set(finding) == {"code", "severity", "sheet", "cell", "message"}
    assert all(isinstance(v, str) for v in finding.values())


def test_declaration_has_no_total(capsys):
    code, out, _ = run(capsys, "score", str(SEEDS / "declaration_2026.json"), "--json")
    project = json.loads(out)["projects"][0]
    assert project["form"] == "declaration"
    assert project["total"] is None and project["grade"] is None
    assert project["execution_rate"] is None


def test_check_json_exit_status_follows_errors(capsys, tmp_path, self_evaluations):
    code, out, _ = run(capsys, "check", str(SEEDS / "self_evaluation_2023.json"), "--json")
    findings = json.loads(out)["findings"]
    assert code == 1 and any(f["severity"] == "error" for f in findings)
    # Keep only one clean indicator: no errors left -> exit 0.
    pf = self_evaluations
    project = pf.projects[3]  # 行政服务: 行政派遣人员数量 =6 of 6, full marks
    project.indicators = [project.indicators[0]]
    project.indicators[0].weight = project.indicators[0].score = __import__("decimal").Decimal(90)
    pf.projects = [project]
    clean = tmp_path / "clean.json"
    clean.write_text(pf.model_dump_json(), encoding="utf-8")
    code, out, _ = run(capsys, "check", str(clean), "--json")
    errors = [f for f in json.loads(out)["findings"] if f["severity"] == "error"]
    assert errors == [] and code == 0


@pytest.mark.parametrize(
    "content, name, needle",
    [
        ("{not json", "bad.json", "不是有效的项目 JSON"),
        ('{"projects": [{"form": "self_evaluation"}]}', "missing.json", "projects.0"),
        ("x", "file.csv", "不支持的文件类型"),
    ],
)
def test_unreadable_input_exits_2_with_chinese_message(capsys, tmp_path, content, name, needle):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "check", str(path))
    assert code == 2 and needle in err and "Traceback" not in err


def test_missing_file_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "score", str(tmp_path / "nope.json"))
    assert code == 2 and "找不到文件" in err


def test_export_json_round_trip(capsys, tmp_path):
    src = tmp_path / "in.json"
    shutil.copy(SEEDS / "declaration_2026.json", src)
    out_path = tmp_path / "out.json"
    code, _, _ = run(capsys, "export", str(src), "-o", str(out_path))
    assert code in (0, 1)
    assert json.loads(out_path.read_text(encoding="utf-8")) == json.loads(src.read_text("utf-8"))


def test_explain_every_code_and_unknown(capsys):
    code, out, _ = run(capsys, "explain")
    codes = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert code == 0 and len(codes) >= 10
    for c in codes:
        code, text, _ = run(capsys, "explain", c)
        assert code == 0 and "依据" in text
    code, _, err = run(capsys, "explain", "ZZ999")
    assert code == 2 and "没有规则" in err


def test_internal_error_is_logged_not_shown(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PERFXL_HOME", str(tmp_path))
    import perfxl.cli as cli

    def boom(args):
        raise RuntimeError("模拟故障")

    monkeypatch.setattr(cli, "build_parser", _parser_with(cli.build_parser, boom))
    code = cli.main(["schema"])
    _, err = capsys.readouterr()
    assert code == 2 and "内部错误" in err and "Traceback" not in err
    assert "RuntimeError" in (tmp_path / "perfxl.log").read_text(encoding="utf-8")


def _parser_with(build, func):
    def patched():
        parser = build()
        sub = parser._subparsers._group_actions[0]
        sub.choices["schema"].set_defaults(func=func)
        return parser

    return patched


def test_atomic_save_keeps_mode_and_backup(tmp_path):
    import os
    import stat

    from perfxl.atomic import atomic_write_text, backup_path

    target = tmp_path / "a.json"
    atomic_write_text(target, "1")
    assert stat.S_IMODE(target.stat().st_mode) & 0o044  # readable by others, like open() gives
    os.chmod(target, 0o640)
    atomic_write_text(target, "2", backup=True)
    assert target.read_text() == "2" and backup_path(target).read_text() == "1"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.parametrize(
    "seed_text, fixture",
    [
        ("published_self_evaluation_2023.txt", "self_evaluation_2023.json"),
        ("published_declaration_2026.txt", "declaration_2026.json"),
    ],
)
def test_import_published_text_to_workbook_and_export_back(capsys, tmp_path, seed_text, fixture):
    """Seed text → workbook → JSON equals the hand-transcribed projects → workbook → JSON
    exactly (a v2 workbook spells targets and actuals its own way: ≥9.00(人), 达成)."""
    text = SEEDS / seed_text
    book, exported = tmp_path / "imported.xlsx", tmp_path / "exported.json"
    assert main(["import", str(text), "-o", str(book)]) == 0
    assert "已导入 4 个项目" in capsys.readouterr().out
    assert main(["export", str(book), "-o", str(exported)]) == 0
    book2, exported2 = tmp_path / "from_json.xlsx", tmp_path / "from_json.json"
    assert main(["import", str(SEEDS / fixture), "-o", str(book2)]) == 0
    assert main(["export", str(book2), "-o", str(exported2)]) == 0
    assert json.loads(exported.read_text("utf-8")) == json.loads(exported2.read_text("utf-8"))
