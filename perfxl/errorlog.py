"""Where unexpected errors go: a log file the user can send, never a traceback on screen."""

from __future__ import annotations

import datetime as dt
import os
import traceback
from pathlib import Path


def log_path() -> Path:
    base = os.environ.get("PERFXL_HOME") or Path.home() / ".perfxl"
    return Path(base) / "perfxl.log"


def log_exception(exc: BaseException) -> Path:
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"\n=== {dt.datetime.now().isoformat(timespec='seconds')}\n")
            fh.write("".join(traceback.format_exception(exc)))
    except OSError:
        pass
    return path


def log_text(text: str) -> Path:
    """Append one line (a library warning, an ignored exception) to the log."""
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"{dt.datetime.now().isoformat(timespec='seconds')} {text}\n")
    except OSError:
        pass
    return path
