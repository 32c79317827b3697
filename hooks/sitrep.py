"""MkDocs hooks for sitrep: they only wire MkDocs events to the ``generator`` package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort
from mkdocs.structure.files import File, Files

from generator import site
from generator.errors import SitrepError

_build: site.SiteBuild | None = None


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Load settings, secrets and incidents; a problem in any of them stops the build."""
    global _build
    try:
        _build = site.start_build(dict(config), Path(config.config_file_path))
    except SitrepError as exc:
        raise Abort(f"sitrep: the site was not built:\n{exc}") from None
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated overview and incident pages (never written into docs_dir)."""
    assert _build is not None
    for page in site.generated_pages(_build):
        files.append(File.generated(config, page.src_uri, content=page.markdown))
    return files


def on_page_markdown(markdown: str, page: Any, config: MkDocsConfig, files: Files) -> str:
    """Mark protected pages for the theme and plant the leak gate's canary in them."""
    assert _build is not None
    return site.page_markdown(_build, page, markdown)


def on_page_content(html: str, page: Any, config: MkDocsConfig, files: Files) -> str:
    """Encrypt the body of every protected page (and drop its table of contents)."""
    assert _build is not None
    return site.page_content(_build, page, html)


def on_post_build(config: MkDocsConfig) -> None:
    """Write the machine-readable files, then run the leak gate over the whole site."""
    assert _build is not None
    try:
        site.finish_build(_build, Path(config.site_dir))
    except SitrepError as exc:
        raise Abort(f"sitrep: {exc}") from None


def on_build_error(error: Exception) -> None:
    """Stop the background key derivations of a build that failed."""
    if _build is not None:
        site.abandon_build(_build)
