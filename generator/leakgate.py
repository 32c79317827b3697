"""The leak gate: no protected text in any built file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .site import SiteBuild


def check_for_leaks(build: SiteBuild, site_dir: Path) -> None:
    """Fail the build when a protected string appears in any file under ``site_dir``."""
