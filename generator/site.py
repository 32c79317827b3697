"""One MkDocs build of the status site: what the hooks in ``hooks/`` delegate to."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .config import Settings, settings_from
from .errors import InputError, SitrepError
from .feeds import write_public_files
from .leakgate import check_for_leaks
from .model import PUBLIC, Catalogue
from .pages import GeneratedPage, build_pages
from .protect import protect_content
from .secrets import Secrets, load_secrets
from .times import TimeError, parse_time
from .validate import validate


@dataclass
class SiteBuild:
    """Everything one build knows: settings, secrets, the incidents, and the build's clock."""

    settings: Settings
    secrets: Secrets
    catalogue: Catalogue
    now: datetime
    # Filled as pages are generated: src_uri -> the page, for protection and the leak gate.
    pages: dict[str, GeneratedPage] = field(default_factory=dict)


def build_clock(env: dict[str, str] | None = None) -> datetime:
    """Now, or ``SITREP_NOW`` when set (reproducible builds, tests and drill rehearsals)."""
    value = (env if env is not None else os.environ).get("SITREP_NOW")
    if not value:
        return datetime.now(UTC)
    try:
        return parse_time(value)
    except TimeError as exc:
        raise SitrepError(f"SITREP_NOW: {exc} ({exc.hint})") from exc


def start_build(mkdocs_config: dict[str, Any], config_file: Path) -> SiteBuild:
    """Settings, secrets and validated incidents for a build; any problem stops it."""
    settings = settings_from(mkdocs_config, config_file.parent.resolve(), config_file.name)
    now = build_clock()
    catalogue, problems = validate(settings, now=now)
    errors = [p for p in problems if not p.warning]
    if errors:
        raise InputError(errors)
    client_ids = [c for c in catalogue.clients if c != PUBLIC]
    secrets = load_secrets(settings.state_dir, client_ids)
    return SiteBuild(settings, secrets, catalogue, now)


def generated_pages(build: SiteBuild) -> list[GeneratedPage]:
    """Every page the site is made of: landing, staff and client overviews, incidents."""
    pages = build_pages(build)
    build.pages = {page.src_uri: page for page in pages}
    return pages


def page_content(build: SiteBuild, page: Any, html: str) -> str:
    """The HTML body MkDocs rendered for ``page``, encrypted when the page is protected."""
    generated = build.pages.get(page.file.src_uri)
    if generated is None or not generated.protected:
        return html
    return protect_content(build, generated, html)


def finish_build(build: SiteBuild, site_dir: Path) -> None:
    """Public feeds and status files, then the leak gate over everything written."""
    write_public_files(build, site_dir)
    check_for_leaks(build, site_dir)
