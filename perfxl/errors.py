"""Exceptions that several layers raise or catch; this module imports nothing of perfxl.

An input that cannot be read at all, or an output refused before anything is written, is an
:class:`InputError` (CLI exit status 2) whose message is Chinese and names the file and the rule
code; a problem inside a readable input is a finding (:mod:`perfxl.findings`), never an exception.
"""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """The input could not be read at all; the message is Chinese and names the file."""


class HostileFileError(InputError):
    """An input refused by the safety gate (:mod:`perfxl.safety`), or an output another program
    holds open (:func:`perfxl.outputs.check_unlocked`); ``code`` is its H95x rule."""

    def __init__(self, code: str, path: Path | str, detail: str):
        self.code = code
        self.path = str(path)
        super().__init__(f"{code} {detail}：{path}")
