"""Generate N realistic perfxl workbooks for the benchmark.

Every workbook is written by perfxl's own writer (``perfxl.forms.workbook.write_projects``), so
the files are exactly what users get from the templates. Projects are built from the seed
projects (``perfxl/data/seeds``): names, units and amounts vary; each project has 5–40
indicators sampled (and, past the seed's size, duplicated under varied names) from the seed
indicators of its form, with varied actual values and consistent scores; some projects carry
the problems real returns have (a score below its weight with no reason, a score above its
weight, an unreadable target, a duplicated-character typo).

Deterministic: workbook *i* depends only on ``(seed, i)``, so the first 100 files of a
1,000-file set are the 100-file set. A generated set is cached in its directory with a
``manifest.json``; it is regenerated when the seed, the generator or perfxl's writer changes.

    python benchmarks/generate.py --n 200 --out benchmarks/_work/set
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
import time
import zipfile
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from perfxl.demo import seed_dir  # noqa: E402
from perfxl.model import (  # noqa: E402
    Declaration,
    DeclarationFunds,
    FundRow,
    Indicator,
    ProjectFile,
    SelfEvaluation,
    SelfEvaluationFunds,
)

GENERATOR_VERSION = 2
SEED_DIR = seed_dir()
SEED_FILES = {
    "self_evaluation": SEED_DIR / "self_evaluation_2023.json",
    "declaration": SEED_DIR / "declaration_2026.json",
}

CENT = Decimal("0.01")
UNITS = [
    ("上海市绿化和市容管理局", "上海市绿化和市容管理局行政服务中心"),
    ("上海市绿化和市容管理局", "上海市林业总站"),
    ("上海市绿化和市容管理局", "上海市绿化管理指导站"),
    ("上海市绿化和市容管理局", "上海市市容环境卫生管理事务中心"),
    ("浦东新区生态环境局", "浦东新区环境卫生管理所"),
    ("徐汇区绿化和市容管理局", "徐汇区绿化管理所"),
    ("黄浦区绿化和市容管理局", "黄浦区市容环境监测中心"),
    ("闵行区绿化和市容管理局", "闵行区林业站"),
    ("静安区绿化和市容管理局", "静安区公园管理所"),
    ("嘉定区绿化和市容管理局", "嘉定区城市管理服务中心"),
]
PLACES = ["浦东", "徐汇", "黄浦", "闵行", "静安", "嘉定", "宝山", "松江", "青浦", "奉贤", "金山", "崇明"]
NAME_SUFFIXES = ["", "经费", "专项", "（二期）", "运行维护", "工作经费", "服务采购"]
INDICATOR_QUALIFIERS = ["", "（市级）", "（区级）", "（一季度）", "（下半年）", "（重点区域）", "（专项）"]
QUALITATIVE_LEVELS = [  # (wording, band top as a fraction of the weight) — domain.md R5
    ("达成指标", Decimal("1")),
    ("达成年度指标", Decimal("1")),
    ("部分达成指标并具有一定效果", Decimal("0.8")),
    ("部分达成年度指标并具有一定效果", Decimal("0.8")),
    ("未达成指标且效果较差", Decimal("0.5")),
]
UNREADABLE_TARGETS = ["约九成以上", "较上年有所提高（具体见附件）", "≥ 若干(次)", "90%左右", "按合同约定"]
REASONS = [
    "偏差原因：项目实施过程中服务需求有所变化。改进措施：加强年初测算，动态调整目标值。",
    "偏差原因：部分采购流程延后，影响执行进度。改进措施：提前启动采购，加强进度跟踪。",
    "偏差原因：受外部因素影响，实际完成量低于预期。改进措施：完善应急预案，合理设置指标。",
]
TOKEN_PREFIX = "B"
LEVEL1_ORDER = {"成本指标": 0, "产出指标": 1, "效益指标": 2, "满意度指标": 3}
TARGET_RE = re.compile(r"^\s*(≥|≤|=|>=|<=|>|<)\s*([0-9]+(?:\.[0-9]+)?)\s*(.*)$")


# --- seeds -------------------------------------------------------------------------------------


def load_seeds() -> dict[str, ProjectFile]:
    return {form: ProjectFile.model_validate_json(p.read_text("utf-8")) for form, p in SEED_FILES.items()}


def _pools(seeds: dict[str, ProjectFile]) -> dict[str, list[Indicator]]:
    return {form: [ind for p in pf.projects for ind in p.indicators] for form, pf in seeds.items()}


# --- one project -------------------------------------------------------------------------------


def _money(x: float) -> Decimal:
    return Decimal(str(x)).quantize(CENT)


def _trunc(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_DOWN)


def _spread(total: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """Split ``total`` in proportion to ``shares`` into 2-decimal parts that add up exactly."""
    s = sum(shares)
    parts = [_trunc(total * w / s) for w in shares]
    parts[-1] += total - sum(parts)
    return parts


def _varied_indicators(rng: random.Random, pool: list[Indicator], k: int) -> list[Indicator]:
    picked: list[Indicator] = []
    seen: set[str] = set()
    while len(picked) < k:
        base = rng.choice(pool)
        name = base.name
        while name in seen:  # duplicates get a varied name, as a project with more rows has
            name = base.name + rng.choice(INDICATOR_QUALIFIERS[1:]) + (str(rng.randint(2, 99)) if rng.random() < 0.5 else "")
        seen.add(name)
        picked.append(base.model_copy(update={"name": name}, deep=True))
    # rows grouped as on the form: by first level, then second level (stable within a group)
    picked.sort(key=lambda i: (LEVEL1_ORDER.get(i.level1, 9), i.level2))
    return picked


def _vary_target(rng: random.Random, target: str) -> tuple[str, str | None, Decimal | None]:
    """A varied target, its comparator and its number (None for a qualitative target)."""
    m = TARGET_RE.match(target)
    if not m:
        return target, None, None
    op, num, rest = m.groups()
    if _is_percent(rest):
        value = Decimal(num)  # percentages stay where they are
    else:
        decimals = len(num.split(".")[1]) if "." in num else 0
        value = Decimal(num) * Decimal(str(rng.uniform(0.5, 2.0)))
        if "元" not in rest:  # counts stay whole numbers, written as the seed writes them
            value = max(Decimal(1), value.quantize(Decimal(1)))
        value = value.quantize(Decimal(1).scaleb(-decimals))
        if value <= 0:
            value = Decimal(num)
    return f"{op}{value}{rest}", op, value


def _is_percent(unit: str) -> bool:
    return "%" in unit or "百分比" in unit


def _self_evaluation_indicators(rng: random.Random, inds: list[Indicator], problems: set[str]) -> None:
    weights = _spread(Decimal(90), [i.weight or Decimal(6) for i in inds])
    for ind, w in zip(inds, weights):
        target, op, value = _vary_target(rng, ind.target)
        ind.target = target
        ind.weight = w
        ind.reason = None
        if op is None:  # qualitative (R5)
            level, top = rng.choices(QUALITATIVE_LEVELS, weights=[5, 3, 2, 1, 0.3])[0]
            ind.actual = level
            ind.score = _trunc(w * top)
        else:
            unit = TARGET_RE.match(target).group(3)
            lower_is_better = op in ("≤", "<=", "<")
            factor = Decimal(str(rng.choice([1, 1, 1, rng.uniform(0.8, 1.0), rng.uniform(1.0, 1.5)])))
            if lower_is_better:
                factor = Decimal(str(rng.uniform(0.7, 1.0))) if rng.random() < 0.9 else Decimal("1.05")
            actual = (value * factor).quantize(CENT)
            if _is_percent(unit):
                actual = min(actual, Decimal(100)).quantize(CENT)
            elif "元" not in unit:
                actual = actual.quantize(Decimal(1)).quantize(CENT)
            ind.actual = f"{actual}{unit}"
            if lower_is_better:
                ind.score = w if actual <= value else _trunc(w * max(Decimal(0), 1 - (actual - value) / value))
            else:
                ind.score = w if actual >= value or value == 0 else _trunc(w * actual / value)
        if ind.score < w:
            ind.reason = rng.choice(REASONS)
    scorable = [i for i in inds if i.score is not None and i.weight]
    if "missing_reason" in problems:  # R7: below the weight and no reason
        for ind in rng.sample(scorable, min(len(scorable), rng.randint(1, 2))):
            ind.score = _trunc(ind.weight * Decimal("0.8"))
            ind.reason = None
    if "score_above_weight" in problems:
        ind = rng.choice(scorable)
        ind.score = ind.weight + Decimal(1)
        ind.reason = None


def make_project(rng: random.Random, form: str, seeds: dict[str, ProjectFile], pools, index: int):
    base = rng.choice(seeds[form].projects)
    department, unit = rng.choice(UNITS)
    name = f"{rng.choice(PLACES)}{base.name}{rng.choice(NAME_SUFFIXES)}"
    token = f"（{TOKEN_PREFIX}{index:05d}）"  # 项目编号: lets a copy get its own names (see derive)
    name = name[: 31 - len(token)] + token  # ≤ 31: the sheet title is the whole name
    k = rng.randint(5, 40)
    inds = _varied_indicators(rng, pools[form], k)
    problems = {
        p
        for p, prob in [
            ("missing_reason", 0.25),
            ("score_above_weight", 0.08),
            ("unreadable_target", 0.10),
            ("typo", 0.05),
        ]
        if rng.random() < prob
    }
    if form == "declaration":  # no scores on a declaration
        problems -= {"missing_reason", "score_above_weight"}
    if form == "self_evaluation":
        _self_evaluation_indicators(rng, inds, problems)
    else:
        for ind in inds:
            ind.target = _vary_target(rng, ind.target)[0]
            ind.actual = ind.weight = ind.score = ind.reason = None
    if "unreadable_target" in problems:
        rng.choice(inds).target = rng.choice(UNREADABLE_TARGETS)
    if "typo" in problems:  # seed 2026: 防汛防汛 — a duplicated phrase
        ind = rng.choice(inds)
        if len(ind.name) >= 4:
            ind.name = ind.name[:4] + ind.name[2:]
        else:
            problems.discard("typo")
    scale = rng.uniform(0.2, 4.0)
    if form == "self_evaluation":
        year = rng.choice([2023, 2023, 2024])
        budget = _money(float(base.funds.total.budget or 100) * scale)
        initial = (budget * Decimal(str(rng.uniform(0.95, 1.05)))).quantize(CENT)
        rate = Decimal(str(rng.choice([1, rng.uniform(0.95, 1.0), rng.uniform(0.6, 1.0)])))
        executed = (budget * rate).quantize(CENT)
        carry = (budget * Decimal(str(rng.choice([0, 0, 0, 0.1])))).quantize(CENT)

        def row(i, b, e):
            return FundRow(initial_budget=i, budget=b, executed=e)

        funds = SelfEvaluationFunds(
            total=row(initial, budget, executed),
            fiscal=row(initial - carry, budget - carry, executed - min(carry, executed)),
            carryover=row(carry, carry, min(carry, executed)),
            other=row(Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
            weight=Decimal("10.00"),
        )
        return SelfEvaluation(
            name=name, year=year, department=department, unit=unit, indicators=inds, funds=funds,
            expected_goal=base.expected_goal, achieved_goal=base.achieved_goal,
        ), problems
    year = rng.choice([2025, 2026, 2026])
    total = _money(float(base.funds.annual_total or 500000) * scale).quantize(Decimal(1))
    funds = DeclarationFunds(
        project_total=total, project_fiscal=total, project_other=Decimal(0),
        annual_total=total, annual_fiscal=total, annual_carryover=Decimal(0), annual_other=Decimal(0),
    )
    return Declaration(
        name=name, year=year, department=department, unit=unit, indicators=inds, funds=funds,
        nature=base.nature or "经常性项目", category=base.category or "专项业务费",
        start_date=base.start_date, end_date=base.end_date,
        overall_goal=base.overall_goal, annual_goal=base.annual_goal,
    ), problems


def make_workbook_spec(seed: int, index: int, seeds=None, pools=None) -> tuple[ProjectFile, dict]:
    """The ProjectFile of workbook ``index``: one form, 1–3 projects (mostly 1)."""
    seeds = seeds or load_seeds()
    pools = pools or _pools(seeds)
    rng = random.Random(f"perfxl-bench:{seed}:{index}")
    form = rng.choice(["self_evaluation", "declaration"])
    count = rng.choices([1, 2, 3], weights=[80, 15, 5])[0]
    projects, problems = [], set()
    for j in range(count):
        p, probs = make_project(rng, form, seeds, pools, index)
        if j:
            p.name = p.name.replace(f"（{TOKEN_PREFIX}", f"（{j}-{TOKEN_PREFIX}")[-31:]
        projects.append(p)
        problems |= probs
    pf = ProjectFile(settings=seeds[form].settings.model_copy(), projects=projects)
    info = {
        "form": form,
        "projects": count,
        "indicators": sum(len(p.indicators) for p in projects),
        "problems": sorted(problems),
    }
    return pf, info


# --- the set on disk ----------------------------------------------------------------------------


def writer_fingerprint() -> str:
    """A hash of everything that shapes the files: this generator, the writer, the templates."""
    h = hashlib.sha256(f"gen{GENERATOR_VERSION}".encode())
    paths = [Path(__file__), *sorted((ROOT / "perfxl" / "forms").glob("*.py"))]
    paths += sorted((ROOT / "templates").glob("*.xlsx")) if (ROOT / "templates").is_dir() else []
    paths += list(SEED_FILES.values())
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def workbook_name(index: int) -> str:
    return f"wb_{index:05d}.xlsx"


def derive(base: Path, base_index: int, index: int, out: Path) -> None:
    """Workbook ``index`` as a copy of workbook ``base_index`` whose project names carry
    ``index``'s token instead: the same template, layout and values, its own projects."""
    old = f"{TOKEN_PREFIX}{base_index:05d}".encode()
    new = f"{TOKEN_PREFIX}{index:05d}".encode()
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith(".xml") or info.filename.endswith(".rels"):
                data = data.replace(old, new)
            zout.writestr(info, data, compress_type=info.compress_type)


def generate(n: int, out: Path, seed: int = 7, verbose: bool = True, unique: int = 50) -> dict:
    """Make sure ``out`` holds workbooks 0..n-1 of set ``seed``; return the manifest.

    Workbooks 0..unique-1 are written by ``write_projects`` (about 0.5 s each); workbook ``i``
    beyond them is :func:`derive`-d from workbook ``i % unique`` (a few ms), so a 1,000-file set
    has ``unique`` distinct contents under 1,000 distinct project names.
    """
    from perfxl.forms.workbook import write_projects

    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    fp = writer_fingerprint()
    manifest = {"seed": seed, "fingerprint": fp, "unique": unique, "files": {}}
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text("utf-8"))
        if old.get("seed") == seed and old.get("fingerprint") == fp and old.get("unique") == unique:
            manifest = old
    seeds = load_seeds()
    pools = _pools(seeds)
    t0 = time.perf_counter()
    made = 0
    for i in range(n):
        name = workbook_name(i)
        if name in manifest["files"] and (out / name).exists():
            continue
        tmp = out / f".{name}.tmp.xlsx"
        if i < unique:
            pf, info = make_workbook_spec(seed, i, seeds, pools)
            write_projects(pf, tmp)
        else:
            b = i % unique
            base_name = workbook_name(b)
            if base_name not in manifest["files"]:  # n < unique never gets here
                raise RuntimeError(f"base workbook {base_name} missing")
            derive(out / base_name, b, i, tmp)
            info = dict(manifest["files"][base_name], derived_from=b)
        os.replace(tmp, out / name)
        manifest["files"][name] = info
        made += 1
        if verbose and made % 100 == 0:
            print(f"  generated {made} workbooks ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    if made:
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
    if verbose:
        dt = time.perf_counter() - t0
        print(f"workbook set {out}: {n} files ({made} new, {dt:.1f} s)", file=sys.stderr)
    return manifest


def seed_workbook(out: Path, form: str = "self_evaluation") -> Path:
    """The seed projects of ``form`` written as one workbook (4 projects) — what ``score`` times."""
    from perfxl.forms.workbook import write_projects

    path = out / f"seed_{form}.xlsx"
    fp = writer_fingerprint()
    stamp = out / f"seed_{form}.fingerprint"
    if not path.exists() or not stamp.exists() or stamp.read_text() != fp:
        out.mkdir(parents=True, exist_ok=True)
        write_projects(load_seeds()[form], path)
        stamp.write_text(fp)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--unique", type=int, default=50, help="workbooks written by write_projects")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "_work" / "set")
    args = ap.parse_args(argv)
    generate(args.n, args.out, args.seed, unique=args.unique)
    return 0


if __name__ == "__main__":
    sys.exit(main())
