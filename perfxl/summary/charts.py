"""PNG export of the summary charts (for reports), drawn with matplotlib.

The same charts as the workbook's native ones, for each year: total score by project, execution
rate by project, grade distribution (``2023年度_各项目自评总分.png`` …). Chinese text uses WenQuanYi Micro Hei (or any CJK font found).
"""

from __future__ import annotations

from pathlib import Path

from perfxl.summary.tables import SummaryTables

_CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)


def _font():
    from matplotlib import font_manager

    for path in _CJK_FONTS:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path)
    for name in ("WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "Noto Sans CJK SC"):
        try:
            return font_manager.FontProperties(
                fname=font_manager.findfont(name, fallback_to_default=False)
            )
        except ValueError:
            continue
    return None


def _short(name: str, n: int = 10) -> str:
    return name if len(name) <= n else name[: n - 1] + "…"


def export_pngs(tables: SummaryTables, outdir: Path) -> list[Path]:
    """Write each year's three charts as PNG to ``outdir``; returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outdir.mkdir(parents=True, exist_ok=True)
    font = _font()
    kw = {"fontproperties": font} if font is not None else {}
    grades = ("优", "良", "中", "差")
    specs = []
    for year in tables.years():  # one year at a time: titles and file names carry the year
        rows = [r for r in tables.self_evaluations if r["year"] == year]
        names = [_short(r["name"], 24) for r in rows]
        specs += [
            (f"{year}年度 各项目自评总分", "总分", names, [float(r["total"] or 0) for r in rows], 100, True),
            (f"{year}年度 各项目预算执行率", "执行率（％）", names,
             [float(r["execution_rate"] or 0) for r in rows], 110, True),
            (f"{year}年度 评分等级分布", "项目数", list(grades),
             [sum(r["grade"] == g for r in rows) for g in grades], None, False),
        ]
    written = []
    for title, label, cats, values, vmax, horizontal in specs:
        height = max(3.0, 0.45 * len(cats) + 1.5) if horizontal else 4.0
        fig, ax = plt.subplots(figsize=(8, height), dpi=150)
        pos = list(range(len(cats)))
        if horizontal:
            bars = ax.barh(pos, values, color="#4472C4")
            ax.set_yticks(pos)
            ax.set_yticklabels(cats, **kw)
            ax.invert_yaxis()  # first project on top, as in the table
            ax.set_xlabel(label, **kw)
            if vmax:
                ax.set_xlim(0, vmax)
            for b, v in zip(bars, values):
                ax.annotate(f"{v:.2f}", (b.get_width(), b.get_y() + b.get_height() / 2),
                            xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        else:
            bars = ax.bar(pos, values, color="#4472C4")
            ax.set_xticks(pos)
            ax.set_xticklabels(cats, **kw)
            ax.set_ylabel(label, **kw)
            ax.yaxis.get_major_locator().set_params(integer=True)
            for b, v in zip(bars, values):
                ax.annotate(f"{v:g}", (b.get_x() + b.get_width() / 2, b.get_height()),
                            ha="center", va="bottom", fontsize=8)
        ax.set_title(title, **kw)
        fig.tight_layout()
        path = outdir / f"{title.replace(' ', '_')}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written
