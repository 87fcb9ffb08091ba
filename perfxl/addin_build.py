"""``perfxl addin build`` and ``perfxl addin install``: the Excel add-in ``workbook/perfxl.xlam``.

The add-in lives in ``macros/`` as text (design.md §3):

- ``customUI14.xml`` — the 绩效 ribbon tab;
- ``PerfxlRibbon.bas`` — one callback ``Sub`` per button, each ``RunPython`` into
  :mod:`perfxl.addin`;
- ``xlwings.bas`` — xlwings' official custom-add-in module (``xlwings_custom_addin.bas`` shipped
  in the pinned xlwings wheel, with ``PROJECT_NAME = "perfxl"``), ``Dictionary.cls`` for macOS.

Only Excel can compile VBA into ``vbaProject.bin``, so ``build`` needs Windows with Excel (and
"Trust access to the VBA project object model" switched on): Excel imports the modules into a
fresh add-in shell and saves it as ``.xlam``; the ribbon XML is then injected into the zip
directly. An add-in is never opened with openpyxl, which would drop the ribbon and the macros.

``install`` copies the add-in into Excel's XLSTART folder (a trusted location that also loads
it at start-up) and writes the interpreter setting to ``%USERPROFILE%\\.perfxl\\perfxl.conf``,
the user config file the xlwings module reads (``GetConfigFilePath``).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from perfxl.atomic import atomic_save

ROOT = Path(__file__).resolve().parent.parent
MACROS = ROOT / "macros"
RIBBON_XML = "customUI14.xml"
OUTPUT = ROOT / "workbook" / "perfxl.xlam"
PROJECT_NAME = "perfxl"
UDF_MODULES = "perfxl.udfs"

RIBBON_PART = "customUI/customUI14.xml"
RIBBON_REL_TYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
XL_OPENXML_ADDIN = 55  # XlFileFormat.xlOpenXMLAddIn

NEEDS_WINDOWS = (
    "“perfxl addin {cmd}”需要在装有 Microsoft Excel 的 Windows 电脑上运行：只有 Excel 能把 "
    "macros/ 中的 VBA 代码编译进加载项（.xlam）并安装到 Excel。\n"
    "当前系统（{platform}）没有 Excel。请在 Windows 电脑上安装 Python 与 perfxl 后运行此命令；"
    "在本机仍可使用命令行（perfxl check / score 等）与模板中的原生公式。"
)


class AddinError(Exception):
    """The add-in could not be built or installed; the message is Chinese and says what to do."""


def needs_windows_message(cmd: str) -> str:
    return NEEDS_WINDOWS.format(cmd=cmd, platform=sys.platform)


def on_windows() -> bool:
    return sys.platform.startswith("win")


# --- pieces that work everywhere --------------------------------------------------------------


def vba_modules(macros: Path = MACROS) -> list[Path]:
    """The VBA modules to import, in a stable order (xlwings first: the ribbon module calls it)."""
    files = sorted(p for p in macros.iterdir() if p.suffix.lower() in (".bas", ".cls"))
    return sorted(files, key=lambda p: (p.stem.lower() != "xlwings", p.name.lower()))


def vba_module_version(path: Path = MACROS / "xlwings.bas") -> str:
    """The xlwings version the VBA module belongs to (its ``XLWINGS_VERSION`` constant)."""
    text = path.read_text(encoding="ascii")
    match = re.search(r'^Public Const XLWINGS_VERSION As String = "([^"]+)"', text, re.M)
    if not match:
        raise AddinError(f"{path} 中找不到 XLWINGS_VERSION")
    return match.group(1)


def pinned_xlwings_version(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The xlwings version pinned in pyproject.toml (``xlwings==X.Y.Z``)."""
    match = re.search(r'"xlwings==([^"]+)"', pyproject.read_text(encoding="utf-8"))
    if not match:
        raise AddinError("pyproject.toml 中没有固定 xlwings 版本（应为 xlwings==X.Y.Z）")
    return match.group(1)


def inject_ribbon(src: Path, dst: Path, ribbon_xml: bytes) -> Path:
    """Copy the add-in zip ``src`` to ``dst`` with ``ribbon_xml`` as its customUI14 part.

    Every other part is copied byte for byte (``vbaProject.bin`` included); an existing ribbon
    part is replaced and the package relationship to it added once.
    """
    with zipfile.ZipFile(src) as zin:
        names = zin.namelist()
        if "_rels/.rels" not in names:
            raise AddinError(f"{src} 不是有效的 Office 文件（缺少 _rels/.rels）")
        rels = zin.read("_rels/.rels").decode("utf-8")
        rels = _with_ribbon_relationship(rels)

        def write(tmp: Path) -> None:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
                for info in zin.infolist():
                    if info.filename in (RIBBON_PART, "_rels/.rels"):
                        continue
                    zout.writestr(info, zin.read(info.filename))
                zout.writestr("_rels/.rels", rels)
                zout.writestr(RIBBON_PART, ribbon_xml)

        return atomic_save(dst, write)


def _with_ribbon_relationship(rels: str) -> str:
    # Drop any relationship to a customUI14 part, then add ours with a fresh id.
    rels = re.sub(
        r'<Relationship\b[^>]*Target="/?customUI/customUI14\.xml"[^>]*/>', "", rels
    )
    ids = {int(n) for n in re.findall(r'Id="rId(\d+)"', rels)}
    new_id = f"rId{max(ids, default=0) + 1}"
    rel = f'<Relationship Id="{new_id}" Type="{RIBBON_REL_TYPE}" Target="{RIBBON_PART}"/>'
    if "</Relationships>" not in rels:
        raise AddinError("_rels/.rels 格式无法识别")
    return rels.replace("</Relationships>", rel + "</Relationships>")


def config_lines(interpreter: str) -> str:
    """The user config file the xlwings module reads: ``"KEY","VALUE"`` per line."""
    return f'"INTERPRETER_WIN","{interpreter}"\r\n"UDF_MODULES","{UDF_MODULES}"\r\n'


# --- Windows + Excel ----------------------------------------------------------------------------


def build(output: Path = OUTPUT, macros: Path = MACROS) -> Path:
    """Compile the add-in with Excel (Windows only) and inject the ribbon."""
    if not on_windows():
        raise AddinError(needs_windows_message("build"))
    pinned, module = pinned_xlwings_version(), vba_module_version(macros / "xlwings.bas")
    if pinned != module:
        raise AddinError(
            f"macros/xlwings.bas 属于 xlwings {module}，而 pyproject.toml 固定的是 {pinned}；"
            "请先用已安装的 xlwings 包中的 xlwings_custom_addin.bas 更新 macros/xlwings.bas。"
        )
    import xlwings as xw

    with tempfile.TemporaryDirectory() as tmpdir:
        shell = Path(tmpdir) / "perfxl_shell.xlam"
        app = xw.App(visible=False, add_book=False)
        try:
            app.display_alerts = False
            book = app.books.add()
            try:
                components = book.api.VBProject.VBComponents
            except Exception as exc:  # the "trust access to the VBA project" switch is off
                raise AddinError(
                    "Excel 拒绝导入 VBA 代码。请在 Excel 中打开 文件 → 选项 → 信任中心 → "
                    "信任中心设置 → 宏设置，勾选“信任对 VBA 工程对象模型的访问”，然后重试。"
                ) from exc
            for module in vba_modules(macros):
                components.Import(str(module))
            conf = book.sheets[0]
            conf.name = f"{PROJECT_NAME}.conf"
            conf["A1"].value = [["UDF_MODULES", UDF_MODULES]]
            book.api.IsAddin = True
            book.api.SaveAs(str(shell), FileFormat=XL_OPENXML_ADDIN)
            book.close()
        finally:
            app.quit()
        ribbon = (macros / RIBBON_XML).read_bytes()
        return inject_ribbon(shell, output, ribbon)


def xlstart_dir() -> Path:
    appdata = os.environ.get("APPDATA")
    if not appdata:
        raise AddinError("找不到 %APPDATA% 目录，无法确定 Excel 的启动文件夹（XLSTART）。")
    return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"


def user_config_path() -> Path:
    return Path(os.environ.get("USERPROFILE") or Path.home()) / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf"


def install(addin: Path = OUTPUT, interpreter: str | None = None) -> tuple[Path, Path]:
    """Copy the add-in to XLSTART and write the interpreter setting (Windows only)."""
    if not on_windows():
        raise AddinError(needs_windows_message("install"))
    if not addin.exists():
        raise AddinError(f"找不到加载项 {addin}；请先运行 perfxl addin build。")
    target = xlstart_dir() / addin.name
    atomic_save(target, lambda tmp: shutil.copyfile(addin, tmp))
    conf = user_config_path()
    interpreter = interpreter or sys.executable
    atomic_save(conf, lambda tmp: tmp.write_text(config_lines(interpreter), encoding="mbcs" if on_windows() else "utf-8"))
    return target, conf
