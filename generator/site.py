"""One MkDocs build of the status site: what the hooks in ``hooks/`` delegate to."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mkdocs.structure.toc import TableOfContents

from . import page_shells, protect
from .config import Settings, settings_from
from .errors import ConfigError, InputError, SitrepError
from .feeds import write_public_files
from .leakgate import check_for_leaks
from .leakgate_child import GateChild, can_fork
from .model import PUBLIC, Catalogue
from .pages import GeneratedPage, build_pages
from .secrets import Secrets, is_ci, load_secrets
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
    # None only in a benchmark's unprotected build (``UNPROTECTED_BENCHMARK``).
    protection: protect.Protection | None = None
    # Text the site publishes by design (its names): not a leak when found.
    public_sources: list[str] = field(default_factory=list)
    # The leak gate working beside MkDocs; None where it runs at the end, in this process.
    gate: GateChild | None = None
    # Protected pages filled into their kind's theme shell (None: every page rendered).
    shells: page_shells.Shells | None = None


# Builds the same pages without encryption or leak gate, so bench/bench_protect.py can measure
# what protection costs. Refused under CI; announced loudly wherever it is honoured.
UNPROTECTED_BENCHMARK = "SITREP_BENCH_UNPROTECTED"
# Renders every protected page with the theme too and stops on any difference from its shell.
VERIFY_SHELLS = "SITREP_VERIFY_SHELLS"


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
    build = SiteBuild(settings, secrets, catalogue, now,
                      public_sources=public_sources(mkdocs_config, settings))
    if unprotected_benchmark(os.environ):
        return build
    build.gate = start_gate(build)
    build.protection = protect.start(secrets)
    build.shells = page_shells.Shells(verify=bool(os.environ.get(VERIFY_SHELLS)))
    return build


def start_gate(build: SiteBuild) -> GateChild | None:
    """The leak gate in a forked child, or None where forking is unsafe or impossible (the gate
    then runs at the end, in this process)."""
    if not can_fork():
        return None
    try:
        return GateChild(build)
    except OSError:
        return None


def unprotected_benchmark(env: Mapping[str, str]) -> bool:
    """True when a benchmark asked for an unprotected build (never under CI)."""
    if not env.get(UNPROTECTED_BENCHMARK):
        return False
    if is_ci(env):
        raise ConfigError(f"{UNPROTECTED_BENCHMARK} is set under CI=true "
                          "(unset it: it builds a site without protection, for benchmarks only)")
    sys.stderr.write(f"\n!!! sitrep: {UNPROTECTED_BENCHMARK} is set: this build is NOT PROTECTED "
                     "(no encryption, no leak gate). For benchmarks only; never publish it. !!!\n\n")
    return True


def public_sources(mkdocs_config: Mapping[str, Any], settings: Settings) -> list[str]:
    """What the site publishes by design: its names (not docs/, which could hold a pasted leak)."""
    names = [mkdocs_config.get(k) for k in ("site_name", "site_description", "copyright")]
    return [str(n) for n in names if n] + [settings.organisation]


def generated_pages(build: SiteBuild) -> list[GeneratedPage]:
    """Every page the site is made of: landing, staff and client overviews, incidents."""
    pages = build_pages(build)
    build.pages = {page.src_uri: page for page in pages}
    return pages


def _protected(build: SiteBuild, page: Any) -> GeneratedPage | None:
    generated = build.pages.get(page.file.src_uri)
    if generated is None or not generated.protected or build.protection is None:
        return None
    return generated


def theme_env(build: SiteBuild, env: Any) -> None:
    """The theme's templates, for the shells of protected pages."""
    if build.shells is not None:
        build.shells.env = env


def page_context(build: SiteBuild, page: Any, context: dict[str, Any], site_dir: Path) -> dict[str, Any]:
    """Before a page is rendered: a protected page's document from its shell.

    By now MkDocs has written the theme (assets, 404 page), which the leak gate was waiting for.
    """
    if build.gate is not None and build.protection is not None:
        build.gate.theme_written(site_dir, build.protection.canary)
    if build.shells is not None and page.meta.get("template") == page_shells.TEMPLATE:
        context["sitrep_document"] = build.shells.document(page, context)
    return context


def page_markdown(build: SiteBuild, page: Any, markdown: str) -> str:
    """Mark a protected page for the theme, drop what it would show, and plant the canary."""
    if _protected(build, page) is None or build.protection is None:
        return markdown
    # Read by overrides/ (protected layout, sitemap): set before any template renders.
    page.meta["sitrep_protected"] = True
    for key in ("description", "author", "tags", "keywords"):
        page.meta.pop(key, None)
    return markdown + protect.canary_comment(build.protection.canary)


def page_content(build: SiteBuild, page: Any, html: str) -> str:
    """The HTML body MkDocs rendered for ``page``, with its blocks back, encrypted when protected."""
    own = build.pages.get(page.file.src_uri)
    if own is not None:
        html = own.restore(html)
    generated = _protected(build, page)
    if generated is None:
        return html
    # The theme renders page.toc in clear beside the content; the browser rebuilds it.
    page.toc = TableOfContents([])
    if build.shells is not None:
        page.meta["template"] = page_shells.TEMPLATE
    return protect.protect_content(build, generated, html)


def finish_build(build: SiteBuild, site_dir: Path) -> None:
    """Public feeds, the passphrase keyring, then the leak gate over everything written."""
    write_public_files(build, site_dir)
    if build.protection is None:
        return
    protect.write_keyring(build, build.protection, site_dir)
    if build.gate is not None:
        build.gate.check(site_dir, build.protection.canary)
    else:
        check_for_leaks(build, site_dir, build.protection.canary)


def abandon_build(build: SiteBuild) -> None:
    """Stop a failed build's background work (the PBKDF2 workers, the leak gate)."""
    if build.protection is not None:
        build.protection.passphrase_keys.close()
    if build.gate is not None:
        build.gate.close()
