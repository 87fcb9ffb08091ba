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
    return _append(f"\n=== {dt.datetime.now().isoformat(timespec='seconds')}\n"
                   + "".join(traceback.format_exception(exc)))


def log_text(text: str) -> Path:
    """Append one line (a library warning, an ignored exception) to the log."""
    return _append(f"{dt.datetime.now().isoformat(timespec='seconds')} {text}\n")


def _append(text: str) -> Path:
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError:
        pass
    return path
