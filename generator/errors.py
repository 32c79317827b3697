"""Problems a user can cause, and the exceptions that carry them to the one place that exits."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one file: printed as ``path:line: message (hint)``."""

    path: str
    line: int
    message: str
    hint: str = ""
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {'warning: ' if self.warning else ''}{self.message}"
        return f"{text} ({self.hint})" if self.hint else text


def display_path(path: Path | str) -> str:
    """The path as a user typed it: relative to the working directory when inside it."""
    # Plain string work: resolving every path cost a fifth of validating 1,000 files.
    text = os.fspath(path)
    if not os.path.isabs(text):
        return text
    cwd = os.getcwd()
    return text[len(cwd) + 1 :] if text.startswith(cwd + os.sep) else text


class SitrepError(Exception):
    """Base of every error sitrep raises on purpose; never shown with a traceback."""

    exit_code = 1


class InputError(SitrepError):
    """One or more problems in files the user wrote."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(SitrepError):
    """Settings or secrets are missing or wrong; the message names what to set."""


class StopRun(SitrepError):
    """A whole run must stop (bad credentials, ledger unreachable): exit status 2."""

    exit_code = 2
