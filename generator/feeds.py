"""Public outputs: the Atom feed and status.json of public incidents."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .site import SiteBuild


def write_public_files(build: SiteBuild, site_dir: Path) -> None:
    """Write the feed and status.json for public incidents only."""
