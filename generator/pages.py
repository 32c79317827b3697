"""The pages of the site, as Markdown handed to MkDocs: landing, overviews and incidents.

Each page's own HTML rides beside its Markdown (``blocks``): MkDocs renders only placeholders
and the engineers' prose, and ``site.page_content`` swaps the HTML back in.

Protected pages carry a neutral title in their front matter; everything a reader must not see
without a key (titles, client names, components, times, messages) is in the Markdown body,
which the protection step encrypts once MkDocs has rendered it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import maintenance_calendar, status, status_api
from .blocks import Lifted, PageSource, lift, new_nonce, restore
from .incident_page import incident_source
from .markup import banner, built_note
from .overview_page import client_source, header, history, lists, page, staff_source
from .report_page import report_pages
from .stats_page import stats_page
from .view import PageContext

if TYPE_CHECKING:
    from .site import SiteBuild

# The protection step puts its passphrase box here; the landing page leaves it empty.
UNLOCK_PLACEHOLDER = '<div id="sitrep-unlock"></div>'


@dataclass(frozen=True)
class GeneratedPage:
    """One generated page and who may read it."""

    src_uri: str
    source: Lifted  # the Markdown MkDocs renders, and the HTML blocks its placeholders stand for
    kind: str  # landing | staff | client | incident
    protected: bool
    incident_id: str | None = None
    client_ids: tuple[str, ...] = ()
    nonce: str = ""  # of the placeholders in ``source``

    @property
    def markdown(self) -> str:
        """The Markdown handed to MkDocs."""
        return self.source.markdown

    def restore(self, rendered: str) -> str:
        """The page as MkDocs rendered it, with its HTML blocks back in place."""
        return restore(rendered, self.nonce, self.source.html, self.src_uri)

    @property
    def url(self) -> str:
        """The site-relative URL (``i/<slug>/``)."""
        return self.src_uri.removesuffix("index.md")


def build_pages(build: SiteBuild) -> list[GeneratedPage]:
    """Every generated page of the site."""
    ctx = PageContext(build.settings, build.catalogue, build.secrets.site_secret, build.now)
    nonce = new_nonce()

    def generated(url: str, source: PageSource, kind: str, protected: bool, incident_id: str | None = None,
                  client_ids: tuple[str, ...] = ()) -> GeneratedPage:
        return GeneratedPage(url + "index.md", lift(source, nonce), kind, protected, incident_id, client_ids,
                             nonce)

    pages = [generated("", landing_source(ctx), "landing", False)]
    staff_url = ctx.staff_url()
    # No client ids: only the staff passphrase opens the staff overview.
    pages.append(generated(staff_url, staff_source(ctx, staff_url), "staff", True))
    for client in ctx.catalogue.clients.values():
        url = ctx.client_url(client.id)
        pages.append(generated(url, client_source(ctx, client, url), "client", True, client_ids=(client.id,)))
    for incident in ctx.catalogue.incidents:
        url = ctx.incident_url(incident.id)
        pages.append(generated(url, incident_source(ctx, incident, url), "incident", not incident.is_public,
                               incident.id, incident.clients))
    for url, source in [*report_pages(ctx), stats_page(ctx)]:
        # Staff only, like the staff overview: no client id.
        pages.append(generated(url, source, "staff", True))
    return pages


def landing_source(ctx: PageContext) -> PageSource:
    """The public front page: the organisation, public incidents, and room for the passphrase box.

    It names no client and no protected incident: only ``client: public`` incidents appear.
    """
    public = ctx.public_incidents()
    level = status.banner_level(public, ctx.now)
    text = "No incidents affecting all clients" if level == "operational" else status.BANNERS[level]
    blocks = [
        header("Service status", ctx.settings.organisation),
        banner(level, text),
        f"<!-- sitrep-unlock: the passphrase box of the protection step goes here -->\n{UNLOCK_PLACEHOLDER}",
        *lists(ctx, public, ""),
        history(ctx, public, ""),
        status_api.landing_links(ctx, maintenance_calendar.PUBLIC_FILE),
        built_note(ctx.now, ctx.zone),
    ]
    return page(ctx.settings.organisation, blocks)
