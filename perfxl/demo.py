"""``perfxl demo``: the main job on the bundled seed data.

Builds the seed projects' declaration and self-evaluation workbooks from the bundled project
JSON, scores them and prints a short table with the findings per project.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from perfxl.model import ProjectFile

SEED_FILES = {
    "2026年度_绩效目标申报表.xlsx": "declaration_2026.json",
    "2023年度_绩效自评表.xlsx": "self_evaluation_2023.json",
}


def seed_dir() -> Path:
    """The bundled seed data: the real 2023 self-evaluations and 2026 declarations of four
    projects as project JSON (hand-transcribed from the published forms; also the tests' fixtures)."""
    return Path(str(resources.files("perfxl.data.seeds")))


def seed_projects(name: str) -> ProjectFile:
    """One of the bundled seed files, e.g. ``self_evaluation_2023.json``."""
    return ProjectFile.model_validate_json((seed_dir() / name).read_text(encoding="utf-8"))


def run_demo(outdir: Path) -> int:
    from perfxl.adapters.file import apply_patch, save
    from perfxl.findings import Severity
    from perfxl.forms.workbook import projects_workbook, store_results
    from perfxl.model import sheet_of
    from perfxl.pipeline import score_book
    from perfxl.report import score_table

    outdir.mkdir(parents=True, exist_ok=True)
    for filename, seed in SEED_FILES.items():
        path = outdir / filename
        wb = projects_workbook(seed_projects(seed))
        checked, patch = score_book(wb, "workbook")  # scored and checked before the one write
        apply_patch(wb, patch)
        store_results(save(wb, path, backup=False), patch)  # a fresh output: no .bak
        print(f"\n{path}")
        print(score_table(checked.scores))
        for project in checked.file.projects:
            mine = [f for f in checked.findings if f.sheet == sheet_of(project)]
            counts = "，".join(
                f"{sev.label} {n}" for sev in Severity if (n := sum(f.severity is sev for f in mine))
            )
            print(f"  {project.name}：{counts or '未发现问题'}")
    print("\n完成。运行 `perfxl check 文件` 查看每个问题的位置与原因。")
    return 0
