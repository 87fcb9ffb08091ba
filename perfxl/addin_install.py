"""``perfxl addin install`` and ``perfxl addin doctor``.

``install`` (Windows) writes the add-in into Excel's XLSTART folder — a trusted location, so its
macros are not blocked, and Excel loads it at start-up — and the interpreter setting into
``%USERPROFILE%\\.perfxl\\perfxl.conf``, the user config file xlwings.bas reads
(``GetConfigFilePath``). No Excel automation: the add-in is the file ``perfxl addin build``
writes (byte-identical to ``workbook/perfxl.xlam``), or a given copy of it.

``doctor`` checks what breaks the xlwings add-in in the field, each with the one fix:
"Could not activate Python COM server" (pywin32 / xlwings not importable by the configured
interpreter), an interpreter that does not exist, xlwings DLLs missing beside ``pythonw.exe`` or
of another version than the VBA module, Excel and Python of different bitness, the Microsoft
Store build of Excel. The facts come from :func:`gather_facts` (registry, files, a subprocess);
the checks are pure functions of them, so each Windows branch is tested with injected facts.
"""

from __future__ import annotations

import locale
import os
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from perfxl import addin_build
from perfxl.addin_build import PROJECT_NAME, UDF_MODULES, AddinError
from perfxl.atomic import atomic_save

NOT_WINDOWS = (
    "“perfxl addin install”只能在 Windows 上运行：它把加载项复制到 Windows 版 Excel 的启动文件夹"
    "（XLSTART），并写入 Excel 调用 Python 的设置；当前系统（{platform}）没有 Windows 版 Excel。\n"
    "请在使用 Excel 的 Windows 电脑上安装 Python 与 perfxl 后运行此命令。"
    "在本机仍可用 perfxl addin build 生成加载项文件，并使用命令行（perfxl check / score 等）。"
)
REINSTALL = "重新安装 perfxl：在 perfxl 源代码目录中运行 python -m pip install --force-reinstall ."
WINDOWS_ONLY_CHECKS = [
    "Excel 是否为 Microsoft Store 版（xlwings 不支持）",
    "Excel 与 Python 的位数（32/64 位）是否一致",
    "加载项设置中的 Python 解释器是否存在",
    "xlwings 的 DLL 是否在 pythonw.exe 旁且版本与 VBA 模块一致",
    "Python COM 服务能否启动（pywin32 与 xlwings 能否被该解释器导入）",
]


def on_windows(platform: str | None = None) -> bool:
    return (platform or sys.platform).startswith("win")


# --- install -------------------------------------------------------------------------------------------


def xlstart_dir() -> Path:
    appdata = os.environ.get("APPDATA")
    if not appdata:
        raise AddinError("找不到 %APPDATA% 目录，无法确定 Excel 的启动文件夹（XLSTART）。")
    return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"


def user_config_path() -> Path:
    return Path(os.environ.get("USERPROFILE") or Path.home()) / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf"


def config_lines(interpreter: str) -> str:
    """The user config file the xlwings module reads: ``"KEY","VALUE"`` per line."""
    return f'"INTERPRETER_WIN","{interpreter}"\r\n"UDF_MODULES","{UDF_MODULES}"\r\n'


def default_interpreter(executable: str | None = None) -> str:
    """``pythonw.exe`` beside the running Python (no console window), else the Python itself."""
    exe = Path(executable or sys.executable)
    windowless = exe.with_name("pythonw.exe")
    return str(windowless if windowless.exists() else exe)


def ansi_encoding() -> str:
    """The system's ANSI code page (cp936 on Chinese Windows), in which VBA reads text files."""
    return locale.getpreferredencoding(False)


def install(addin: Path | None = None, interpreter: str | None = None) -> tuple[Path, Path]:
    """Write the add-in into XLSTART and the interpreter setting (Windows only)."""
    if not on_windows():
        raise AddinError(NOT_WINDOWS.format(platform=sys.platform))
    if addin is not None and not addin.is_file():
        raise AddinError(f"找不到加载项文件 {addin}。不指定文件时，perfxl 会直接写入它自带的加载项。")
    data = addin.read_bytes() if addin is not None else addin_build.addin_bytes()
    target = xlstart_dir() / addin_build.ADDIN_NAME
    atomic_save(target, lambda tmp: tmp.write_bytes(data))
    conf = user_config_path()
    text = config_lines(interpreter or default_interpreter())
    # the VBA module reads the file in the system's ANSI code page
    atomic_save(conf, lambda tmp: tmp.write_text(text, encoding=ansi_encoding()))
    return target, conf


# --- doctor ------------------------------------------------------------------------------------------


@dataclass
class Facts:
    """What the checks look at. ``None`` means unknown (not looked at, or not found out)."""

    platform: str
    python_bits: int
    xlwings_version: str | None
    vba_version: str | None
    package_data: dict[str, bool] = field(default_factory=dict)
    addin_problem: str | None = None  # why the add-in cannot be built, or None
    # Windows only
    excel_path: str | None = None  # from the registry's App Paths
    excel_bits: int | None = None
    interpreter: str | None = None  # INTERPRETER_WIN of the user config file
    interpreter_exists: bool | None = None
    dlls: list[str] | None = None  # xlwings*.dll files where the VBA module looks for them
    com_error: str | None = None  # "import pythoncom, xlwings" run by the interpreter failed


@dataclass
class Problem:
    what: str
    fix: str


def check(facts: Facts) -> list[Problem]:
    """Every problem the facts show, each with its one fix (Chinese)."""
    problems = []
    for name, present in facts.package_data.items():
        if not present:
            problems.append(Problem(f"perfxl 安装不完整：缺少 {name}/ 文件夹",
                                    REINSTALL))
    if facts.addin_problem:
        problems.append(Problem(f"无法生成加载项：{facts.addin_problem}",
                                REINSTALL))
    if facts.xlwings_version is None:
        problems.append(Problem("没有安装 xlwings", f"python -m pip install xlwings=={facts.vba_version}"))
    elif facts.vba_version and facts.xlwings_version != facts.vba_version:
        problems.append(Problem(
            f"已安装的 xlwings {facts.xlwings_version} 与加载项的 VBA 模块（xlwings {facts.vba_version}）版本不同，"
            "Excel 将找不到对应版本的 xlwings DLL",
            f"python -m pip install xlwings=={facts.vba_version}"))
    if not on_windows(facts.platform):
        return problems
    if facts.excel_path is None:
        problems.append(Problem("没有找到 Windows 版 Excel（注册表 App Paths 中没有 excel.exe）",
                                "安装桌面版 Microsoft Excel（Microsoft 365 或 Office 2016 及以上）"))
    elif "\\windowsapps\\" in facts.excel_path.lower():
        problems.append(Problem(
            "Excel 是 Microsoft Store 版，xlwings 不支持（无法调用 Python）",
            "卸载 Store 版 Office，从 office.com 安装桌面版（“即点即用”）Office"))
    if facts.excel_bits and facts.excel_bits != facts.python_bits:
        problems.append(Problem(
            f"Excel 是 {facts.excel_bits} 位，Python 是 {facts.python_bits} 位；xlwings 要求两者位数相同",
            f"卸载当前 Python，安装 {facts.excel_bits} 位的 Python 3.11 后重新运行 "
            "pip install perfxl 与 perfxl addin install"))
    if facts.interpreter is None:
        problems.append(Problem(f"没有加载项设置文件 {user_config_path()}（Excel 不知道用哪个 Python）",
                                "运行 perfxl addin install"))
    elif facts.interpreter_exists is False:
        problems.append(Problem(f"加载项设置中的 Python 解释器不存在：{facts.interpreter}",
                                "用要使用的 Python 运行 perfxl addin install（会重写解释器设置）"))
    same_bits = facts.excel_bits in (None, facts.python_bits)  # else the DLL is moot
    if facts.interpreter and facts.interpreter_exists and facts.dlls is not None and same_bits:
        wanted = f"xlwings{facts.python_bits}-{facts.vba_version}.dll"
        if wanted not in facts.dlls:
            found = "、".join(facts.dlls) if facts.dlls else "没有任何 xlwings DLL"
            problems.append(Problem(
                f"Python 解释器旁缺少 {wanted}（找到：{found}），Excel 会报“Could not load xlwings…dll”",
                f"用该解释器重新安装 xlwings：\"{facts.interpreter}\" -m pip install --force-reinstall "
                f"xlwings=={facts.vba_version}"))
    if facts.com_error:
        problems.append(Problem(
            "Excel 将报“Could not activate Python COM server”：该解释器无法导入 pywin32 或 xlwings"
            f"（{facts.com_error}）",
            "用该解释器安装 pywin32 与 xlwings：python -m pip install --force-reinstall pywin32 "
            f"xlwings=={facts.vba_version}"))
    return problems


def _config_interpreter(conf: Path) -> str | None:
    try:
        text = conf.read_text(encoding=ansi_encoding())
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        parts = [p.strip().strip('"') for p in line.split('","')]
        if len(parts) == 2 and parts[0].upper() == "INTERPRETER_WIN":
            return parts[1]
    return None


_EXCEL_PATH_KEY = r"SOFTWARE\Microsoft\Windows\CurrentVersion\App Paths\excel.exe"
# Office's bitness: Click-to-Run installs, then MSI installs of Office 2016+
_BITNESS_KEYS = ((r"SOFTWARE\Microsoft\Office\ClickToRun\Configuration", "Platform"),
                 (r"SOFTWARE\Microsoft\Office\16.0\Outlook", "Bitness"))


def _excel_facts() -> tuple[str | None, int | None]:
    """(excel.exe path, Excel bitness) from the registry."""
    import winreg

    path = bits = None
    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, _EXCEL_PATH_KEY) as key:
            path = winreg.QueryValue(key, None)
    except OSError:
        pass
    for sub, name in _BITNESS_KEYS:
        try:
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, sub) as key:
                bits = 64 if str(winreg.QueryValueEx(key, name)[0]).lower() == "x64" else 32
                break
        except OSError:
            continue
    return path, bits


def gather_facts() -> Facts:
    """Look at this computer."""
    from importlib import metadata

    try:
        xlwings_version = metadata.version("xlwings")
    except metadata.PackageNotFoundError:
        xlwings_version = None
    package_data = {}
    for name in ("macros", "templates"):
        try:
            addin_build.data_dir(name)
            package_data[name] = True
        except AddinError:
            package_data[name] = False
    vba_version = addin_problem = None
    if package_data["macros"]:
        try:
            vba_version = addin_build.vba_module_version()
            addin_build.check_package(addin_build.addin_bytes())
        except (AddinError, OSError) as exc:
            addin_problem = str(exc)
    facts = Facts(sys.platform, struct.calcsize("P") * 8, xlwings_version, vba_version,
                  package_data, addin_problem)
    if on_windows():
        excel_path, excel_bits = _excel_facts()
        windows_facts(facts, excel_path, excel_bits, user_config_path())
    return facts


def windows_facts(facts: Facts, excel_path: str | None, excel_bits: int | None, conf: Path) -> Facts:
    """Fill in the Windows facts: Excel (from the registry), the interpreter of the user config
    file ``conf``, the xlwings DLLs where xlwings.bas looks for them, and whether that
    interpreter can start the COM server (import pythoncom and xlwings)."""
    facts.excel_path, facts.excel_bits = excel_path, excel_bits
    facts.interpreter = _config_interpreter(conf)
    if not facts.interpreter:
        return facts
    exe = Path(facts.interpreter)
    facts.interpreter_exists = exe.is_file() or shutil.which(facts.interpreter) is not None
    if not facts.interpreter_exists:
        return facts
    # xlwings.bas loads the DLL beside the interpreter, or one folder up (a venv's Scripts)
    folders = [exe.parent, exe.parent.parent]
    facts.dlls = sorted({p.name for d in folders for p in d.glob("xlwings*.dll")})
    try:
        proc = subprocess.run([facts.interpreter, "-c", "import pythoncom, xlwings"],
                              capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        facts.com_error = f"{type(exc).__name__}: {exc}"
        return facts
    if proc.returncode != 0:
        lines = (proc.stderr or "").strip().splitlines()
        facts.com_error = lines[-1] if lines else f"退出码 {proc.returncode}"
    return facts


def report(facts: Facts, problems: list[Problem]) -> str:
    """The doctor's Chinese report."""
    lines = [f"xlwings：已安装 {facts.xlwings_version or '无'}，加载项 VBA 模块 {facts.vba_version or '未知'}；"
             f"Python {facts.python_bits} 位"]
    if on_windows(facts.platform):
        lines.append(f"Excel：{facts.excel_path or '未找到'}"
                     + (f"（{facts.excel_bits} 位）" if facts.excel_bits else ""))
        lines.append(f"加载项使用的 Python：{facts.interpreter or '未设置'}")
    for i, p in enumerate(problems, 1):
        lines += [f"问题 {i}：{p.what}", f"  解决：{p.fix}"]
    if not problems:
        lines.append("未发现问题。")
    if not on_windows(facts.platform):
        lines.append(f"以下检查需要在 Windows 上运行 perfxl addin doctor（当前系统：{facts.platform}）：")
        lines += [f"  - {c}" for c in WINDOWS_ONLY_CHECKS]
    return "\n".join(lines)


def doctor(facts: Facts | None = None) -> tuple[str, list[Problem]]:
    facts = facts or gather_facts()
    problems = check(facts)
    return report(facts, problems), problems
