"""MkDocs hooks for sitrep: they only wire MkDocs events to the ``generator`` package."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort
from mkdocs.structure.files import File, Files

from generator import site
from generator.errors import SitrepError

_build: site.SiteBuild | None = None
Hook = TypeVar("Hook", bound=Callable[..., Any])


def _stops_build(hook: Hook) -> Hook:
    """A SitrepError in ``hook`` stops the build with its message, not a traceback."""

    @wraps(hook)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return hook(*args, **kwargs)
        except SitrepError as exc:
            raise Abort(f"sitrep: the site was not built:\n{exc}") from None

    return run  # type: ignore[return-value]


@_stops_build
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Load settings, secrets and incidents; a problem in any of them stops the build."""
    global _build
    _build = site.start_build(dict(config), Path(config.config_file_path))
    return config


@_stops_build
def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated overview and incident pages (never written into docs_dir)."""
    assert _build is not None
    for page in site.generated_pages(_build):
        files.append(File.generated(config, page.src_uri, content=page.markdown))
    return files


def on_env(env: Any, config: MkDocsConfig, files: Files) -> Any:
    """Keep the theme's templates: protected pages are filled into shells rendered from them."""
    assert _build is not None
    site.theme_env(_build, env)
    return env


@_stops_build
def on_page_context(context: Any, page: Any, config: MkDocsConfig, nav: Any) -> Any:
    """A protected page's document from its shell (and the leak gate told the theme is written)."""
    assert _build is not None
    return site.page_context(_build, page, context, Path(config.site_dir))


def on_page_markdown(markdown: str, page: Any, config: MkDocsConfig, files: Files) -> str:
    """Mark protected pages for the theme and plant the leak gate's canary in them."""
    assert _build is not None
    return site.page_markdown(_build, page, markdown)


@_stops_build
def on_page_content(html: str, page: Any, config: MkDocsConfig, files: Files) -> str:
    """Put sitrep's HTML back into the rendered page, then encrypt it if it is protected."""
    assert _build is not None
    return site.page_content(_build, page, html)


@_stops_build
def on_post_build(config: MkDocsConfig) -> None:
    """Write the machine-readable files, then run the leak gate over the whole site."""
    assert _build is not None
    site.finish_build(_build, Path(config.site_dir))


def on_build_error(error: Exception) -> None:
    """Stop the background work of a build that failed (key derivations, the leak gate)."""
    if _build is not None:
        site.abandon_build(_build)
