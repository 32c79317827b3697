"""The incident model: clients, incidents and their updates, as every other module reads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

SEVERITIES = ("critical", "major", "minor", "maintenance")
INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved")
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "completed")
FINAL_STATUSES = ("resolved", "completed")
PUBLIC = "public"


@dataclass(frozen=True)
class Client:
    """A client of the provider and the components of theirs that incidents can affect."""

    id: str
    name: str
    components: dict[str, str] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class Update:
    """One entry of an incident's timeline."""

    at: datetime
    status: str
    message: str
    line: int = 0


@dataclass(frozen=True)
class ReviewAction:
    """A follow-up agreed at the incident review."""

    action: str
    owner: str = ""
    due: datetime | None = None
    done: bool = False


@dataclass(frozen=True)
class Review:
    """The structured outcome of the Major Incident review."""

    held_on: datetime | None = None
    attendees: tuple[str, ...] = ()
    went_well: tuple[str, ...] = ()
    to_improve: tuple[str, ...] = ()
    actions: tuple[ReviewAction, ...] = ()


@dataclass(frozen=True)
class Incident:
    """One incident file, loaded and normalised: times are aware, lists are tuples."""

    id: str
    path: str
    title: str
    clients: tuple[str, ...]
    severity: str
    started: datetime
    updates: tuple[Update, ...]
    components: tuple[str, ...] = ()
    eta: datetime | None = None
    drill: bool = False
    body: str = ""
    review: Review | None = None
    # Line of each front-matter field, so later checks can point at it.
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, key: str) -> int:
        """The line where ``key`` is written (1, the front matter, when absent)."""
        return self.lines.get(key, 1)

    @cached_property
    def latest(self) -> Update:
        """The newest update: it decides the incident's status."""
        # Asked for hundreds of thousands of times in a large build: worked out once.
        # sorted() is stable: of two updates at the same minute, the later line wins.
        return sorted(self.updates, key=lambda u: u.at)[-1]

    @property
    def status(self) -> str:
        """The status of the latest update."""
        return self.latest.status

    @property
    def is_maintenance(self) -> bool:
        """Scheduled work rather than a failure."""
        return self.severity == "maintenance"

    @property
    def is_resolved(self) -> bool:
        """Resolved (or, for maintenance, completed)."""
        return self.status in FINAL_STATUSES

    @property
    def resolved_at(self) -> datetime | None:
        """When the latest update resolved it, or None while it is open."""
        return self.latest.at if self.is_resolved else None

    @property
    def is_public(self) -> bool:
        """Published in the clear rather than encrypted for its clients."""
        return self.clients == (PUBLIC,)

    def is_upcoming(self, now: datetime) -> bool:
        """Maintenance that is scheduled and has not started yet."""
        return self.is_maintenance and self.status == "scheduled" and self.started > now

    def is_active(self, now: datetime) -> bool:
        """Open and affecting service now (scheduled maintenance counts once its window opens)."""
        if self.is_resolved:
            return False
        return not (self.is_maintenance and self.status == "scheduled" and self.started > now)

    def duration(self, now: datetime) -> timedelta:
        """From start to resolution, or to ``now`` while open."""
        end = self.resolved_at or now
        return max(end - self.started, timedelta(0))


@dataclass(frozen=True)
class Catalogue:
    """Every client and incident of a repository, loaded together."""

    clients: dict[str, Client]
    incidents: tuple[Incident, ...]

    def incident(self, incident_id: str) -> Incident | None:
        """The incident with this id, if any."""
        return next((i for i in self.incidents if i.id == incident_id), None)

    def for_client(self, client_id: str) -> list[Incident]:
        """The incidents that concern ``client_id``, newest first."""
        found = [i for i in self.incidents if client_id in i.clients]
        return sorted(found, key=lambda i: i.started, reverse=True)
