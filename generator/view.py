"""What every page renderer needs: the build's clock and zone, client names and links between pages."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from . import keys
from .config import Settings
from .model import PUBLIC, Catalogue, Incident


@dataclass(frozen=True)
class PageContext:
    """One build as the pages see it."""

    settings: Settings
    catalogue: Catalogue
    secret: str
    now: datetime

    @property
    def zone(self) -> ZoneInfo:
        """The display time zone."""
        return self.settings.timezone

    def incident_url(self, incident_id: str) -> str:
        """The site-relative URL of an incident page."""
        return keys.incident_path(self.secret, incident_id)

    def client_url(self, client_id: str) -> str:
        """The site-relative URL of a client overview."""
        return keys.client_path(self.secret, client_id)

    def staff_url(self) -> str:
        """The site-relative URL of the staff overview."""
        return keys.staff_path(self.secret)

    def client_name(self, client_id: str) -> str:
        """The client's name from clients.yml (``All clients`` for public incidents)."""
        if client_id == PUBLIC:
            return "All clients"
        client = self.catalogue.clients.get(client_id)
        return client.name if client else client_id

    def component_names(self, incident: Incident) -> list[str]:
        """Names of the incident's components, looked up in each of its clients, each once."""
        names: list[str] = []
        for component in incident.components:
            for client_id in incident.clients:
                client = self.catalogue.clients.get(client_id)
                if client and component in client.components:
                    names.append(client.components[component])
                    break
            else:
                names.append(component)
        return list(dict.fromkeys(names))

    def shown_title(self, incident: Incident) -> str:
        """The title as readers see it in feeds and calendars, a drill marked with ``drill_prefix``."""
        return f"{self.settings.drill_prefix}{incident.title}" if incident.drill else incident.title

    def next_update_due(self, incident: Incident) -> datetime:
        """When the update policy promises the next update of an open incident."""
        return incident.latest.at + self.settings.update_every

    def public_incidents(self) -> list[Incident]:
        """Incidents published in the clear, newest first."""
        return self.catalogue.for_client(PUBLIC)


def href(from_url: str, to_url: str) -> str:
    """A relative link between two directory URLs (``c/x/`` to ``i/y/`` is ``../../i/y/``)."""
    rel = posixpath.relpath(to_url or ".", from_url or ".")
    return "./" if rel == "." else rel + "/"
