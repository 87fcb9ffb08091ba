"""The one pipeline (perfxl.pipeline): every command and ribbon handler gets checked projects
through it, and each project is scored exactly once per run, whatever the entry point."""

from __future__ import annotations

from collections import Counter

import pytest

from perfxl import addin, pipeline
from perfxl.cli import main
from perfxl.findings import Severity
from perfxl.forms.workbook import write_projects
from perfxl.model import sheet_of
from tests.app.test_addin_support import remote, remote_book  # noqa: F401

_ORDER = [Severity.ERROR, Severity.WARNING, Severity.INFO]


@pytest.fixture
def scored(monkeypatch):
    """Counts the scoring of each project (by form and name): the one scoring function is
    replaced by a counting wrapper in every perfxl module that holds it, so a second scoring
    through any import is counted too."""
    import importlib
    import sys

    from perfxl.rules import scoring

    for name in ("perfxl.cli", "perfxl.addin", "perfxl.demo", "perfxl.finalize", "perfxl.email_draft",
                 "perfxl.stored_values", "perfxl.summary.build", "perfxl.forms.workbook",
                 "perfxl.rules.printed", "perfxl.rules.checks", "perfxl.report", "perfxl.udfs"):
        importlib.import_module(name)
    calls: Counter[tuple[str, str]] = Counter()
    real = scoring.score_project

    def counting(project, settings):
        calls[(project.form.value, project.name)] += 1
        return real(project, settings)

    holders = [m for n, m in list(sys.modules.items())
               if n.startswith("perfxl") and getattr(m, "score_project", None) is real]
    assert scoring in holders and len(holders) > 2
    for module in holders:
        monkeypatch.setattr(module, "score_project", counting)
    return calls


def _stdout(capsys, argv: list[str]) -> str:
    capsys.readouterr()
    main(argv)
    return capsys.readouterr().out


def _once(calls: Counter, pf) -> None:
    assert calls == Counter((p.form.value, p.name) for p in pf.projects), calls


# --- what load returns ---------------------------------------------------------------------------


def test_load_scores_every_project_and_sorts_the_findings(tmp_path, self_evaluations, scored):
    path = write_projects(self_evaluations, tmp_path / "se.xlsx")
    checked = pipeline.load(path)
    assert checked.source == "workbook"
    assert [s.project.name for s in checked.scores] == [p.name for p in self_evaluations.projects]
    # domain.md §4: the four 2023 totals
    assert [format(s.total, "f") for s in checked.scores] == ["90.98", "92.00", "90.91", "92.00"]
    severities = [f.severity for f in checked.findings]
    assert set(severities) == {Severity.ERROR, Severity.WARNING, Severity.INFO}
    assert severities == sorted(severities, key=_ORDER.index)
    _once(scored, self_evaluations)


def test_the_source_kind_follows_the_input(tmp_path, self_evaluations):
    from perfxl.demo import seed_dir
    from perfxl.sources import dump_json

    json_path = tmp_path / "se.json"
    json_path.write_text(dump_json(self_evaluations), encoding="utf-8")
    assert pipeline.load(json_path).source == "json"
    assert pipeline.load(seed_dir() / "published_self_evaluation_2023.txt").source == "text"


def test_with_findings_keeps_the_one_order(self_evaluations):
    from perfxl.findings import finding

    checked = pipeline.check(self_evaluations, [], "json")
    extra = finding("W733", "", "", "文件名")
    more = checked.with_findings(extra)
    assert extra in more.findings and len(more.findings) == len(checked.findings) + 1
    severities = [f.severity for f in more.findings]
    assert severities == sorted(severities, key=_ORDER.index)
    assert more.scores is checked.scores


# --- each entry point scores each project once ----------------------------------------------------


def test_cli_check_and_score_score_each_project_once(tmp_path, self_evaluations, scored, capsys):
    path = write_projects(self_evaluations, tmp_path / "se.xlsx")
    assert main(["check", str(path)]) == 1
    _once(scored, self_evaluations)
    scored.clear()
    assert main(["score", str(path), "-o", str(tmp_path / "out.xlsx")]) == 1
    _once(scored, self_evaluations)
    capsys.readouterr()


def test_summary_and_finalize_score_each_project_once(tmp_path, self_evaluations, scored, capsys):
    import json

    path = write_projects(self_evaluations, tmp_path / "in" / "se.xlsx")
    capsys.readouterr()
    assert main(["summary", "--json", str(path.parent)]) == 1
    _once(scored, self_evaluations)
    # the file's findings in the pipeline's one order (errors first), as `check --json` lists them
    rows = json.loads(capsys.readouterr().out)["findings"]
    listed = json.loads(_stdout(capsys, ["check", "--json", str(path)]))["findings"]
    assert [(r["code"], r["severity"], r["cell"]) for r in rows] == [
        (f["code"], f["severity"], f["cell"]) for f in listed]
    assert {r["severity"] for r in rows} == {"error", "warning", "info"}
    scored.clear()
    assert main(["finalize", "--force", str(path), "-o", str(tmp_path / "final")]) == 1
    _once(scored, self_evaluations)
    capsys.readouterr()


@pytest.mark.parametrize("handler", ["score", "check", "summary"])
def test_ribbon_handler_scores_each_project_once(remote, tmp_path, self_evaluations, scored, handler):  # noqa: F811
    path = write_projects(self_evaluations, tmp_path / "book.xlsx")
    remote_book(path)
    message = getattr(addin, handler)()
    assert message.startswith({"score": "评分完成", "check": "校验完成", "summary": "汇总完成"}[handler]), message
    _once(scored, self_evaluations)


def test_the_score_button_reports_the_pipelines_findings(remote, tmp_path, self_evaluations):  # noqa: F811
    """评分's message counts exactly the findings `perfxl check` lists for the same workbook."""
    path = write_projects(self_evaluations, tmp_path / "book.xlsx")
    expected = Counter(f.severity for f in pipeline.load(path).findings)
    remote_book(path)
    message = addin.score()
    shown = "，".join(f"{sev.label} {expected[sev]} 项" for sev in _ORDER if expected[sev])
    assert f"校验：{shown}。" in message, message


# --- the demo -----------------------------------------------------------------------------------


def test_demo_writes_each_workbook_once_and_leaves_no_backups(tmp_path, scored, capsys):
    from perfxl.demo import SEED_FILES, seed_projects

    out = tmp_path / "demo"
    for _ in range(2):  # the second run replaces finished files: still no .bak/.orig
        scored.clear()
        assert main(["demo", "-o", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(SEED_FILES), names
    assert not [n for n in names if ".bak" in n or ".orig" in n or n.startswith((".", "~"))]
    projects = [p for seed in SEED_FILES.values() for p in seed_projects(seed).projects]
    assert scored == Counter((p.form.value, p.name) for p in projects), scored
    # what the demo printed is what `perfxl check` finds in the files it wrote
    printed = capsys.readouterr().out
    for name in SEED_FILES:
        checked = pipeline.load(out / name)
        section = printed.rsplit(f"\n{out / name}\n", 1)[1].split("\n\n")[0].splitlines()
        for project in checked.file.projects:
            n = sum(f.sheet == sheet_of(project) and f.severity is Severity.ERROR for f in checked.findings)
            line = next(line for line in section if line.startswith(f"  {project.name}："))
            assert (f"错误 {n}" in line) == (n > 0), line
