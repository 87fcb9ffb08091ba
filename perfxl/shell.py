"""What the command line does around a command: every message a user sees is
Chinese, nothing hangs on a signal, nothing prints a traceback.

* :class:`ChineseArgumentParser` — argparse's own messages (usage errors, ``-h``) in Chinese;
* :func:`quiet_libraries` — library warnings (openpyxl's "Data Validation extension is not
  supported…", matplotlib's font warnings) and exceptions Python could only ignore
  ("Exception ignored in ZipFile.__del__" after a full disk) go to ``~/.perfxl/perfxl.log``;
* :func:`handle_termination` — SIGTERM/SIGHUP unwind like Ctrl-C (children ended, temp folders
  removed) instead of killing the process where it stands;
* :func:`exit_message` — the Chinese line and exit status for an exception that ends a command.
"""

from __future__ import annotations

import argparse
import gettext
import signal
import sys

EXIT_UNREADABLE, EXIT_INTERRUPTED = 2, 130

_ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的 %(type)s 值：%(value)r",
    "expected one argument": "需要一个参数",
    "expected at least one argument": "至少需要一个参数",
    "expected at most one argument": "最多只能有一个参数",
    "ambiguous option: %(option)s could match %(matches)s": "有歧义的选项 %(option)s，可能是 %(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ignored explicit argument %r": "忽略了显式参数 %r",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
}


class _Chinese(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return _ARGPARSE_ZH.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


def install_argparse_chinese() -> None:
    """argparse looks its messages up through ``gettext`` at call time: answer in Chinese."""
    zh = _Chinese()
    argparse._ = zh.gettext  # type: ignore[attr-defined]
    argparse.ngettext = zh.ngettext  # type: ignore[attr-defined]


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose own messages (usage errors, ``-h``) are Chinese; usage errors
    exit with status 2 (argparse's own status for them)."""

    def __init__(self, *args, **kwargs):
        install_argparse_chinese()
        super().__init__(*args, **kwargs)


def quiet_libraries() -> None:
    """Library warnings and unraisable exceptions go to the log file, not the screen."""
    import logging
    import warnings

    from perfxl.errorlog import log_text

    def showwarning(message, category, filename, lineno, file=None, line=None):
        log_text(f"{category.__name__}: {message} ({filename}:{lineno})")

    warnings.showwarning = showwarning
    logging.captureWarnings(False)
    for name in ("matplotlib", "matplotlib.font_manager", "openpyxl", "fontTools", "PIL"):
        logging.getLogger(name).setLevel(logging.ERROR)

    def unraisable(hook_args):
        exc = hook_args.exc_value
        log_text(f"ignored in {hook_args.object!r}: {type(exc).__name__}: {exc}")

    sys.unraisablehook = unraisable


class Terminated(BaseException):
    """SIGTERM/SIGHUP: raised where the process is, so ``finally`` blocks run."""


def handle_termination() -> None:
    def raise_terminated(signum, frame):
        raise Terminated(signum)

    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            try:
                signal.signal(sig, raise_terminated)
            except (ValueError, OSError):  # not the main thread
                pass


def silence_broken_pipe() -> None:
    """stdout's reader went away (``perfxl explain | head -1``): stop writing, quietly."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def exit_message(exc: BaseException) -> tuple[str, int] | None:
    """The Chinese line and exit status for ``exc``, or None for an unexpected error."""
    if isinstance(exc, (KeyboardInterrupt, Terminated)):
        return "已中断。", EXIT_INTERRUPTED
    from perfxl.libreoffice import LibreOfficeError

    if isinstance(exc, LibreOfficeError):
        return f"错误：{exc}", EXIT_UNREADABLE
    if isinstance(exc, OSError):
        from perfxl.outputs import os_error_text

        return f"错误：{os_error_text(exc)}", EXIT_UNREADABLE
    return None
