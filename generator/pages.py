"""The pages of the site, as Markdown handed to MkDocs: landing, overviews and incidents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import keys

if TYPE_CHECKING:
    from .site import SiteBuild


@dataclass(frozen=True)
class GeneratedPage:
    """One generated page and who may read it."""

    src_uri: str
    markdown: str
    kind: str  # landing | staff | client | incident
    protected: bool
    incident_id: str | None = None
    client_ids: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        """The site-relative URL (``i/<slug>/``)."""
        return self.src_uri.removesuffix("index.md")


def build_pages(build: SiteBuild) -> list[GeneratedPage]:
    """Every generated page of the site."""
    secret = build.secrets.site_secret
    pages = [GeneratedPage("index.md", "# Service status\n", "landing", False)]
    for incident in build.catalogue.incidents:
        md = f"---\ntitle: Incident\n---\n# {incident.title}\n\n{incident.body}\n"
        pages.append(GeneratedPage(keys.incident_path(secret, incident.id) + "index.md", md,
                                   "incident", not incident.is_public, incident.id,
                                   incident.clients))
    return pages
