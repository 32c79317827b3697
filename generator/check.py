"""``sitrep check``: what needs attention now. Exit 1 when anything is overdue, 0 otherwise.

Four things can be overdue:

- ``update``: an active incident whose last update plus ``update_every`` has passed;
- ``eta``: an active incident past its ETA (maintenance: past the end of its window);
- ``review``: a major or critical incident resolved more than ``review_within`` ago whose
  ``review:`` block has no ``held_on`` (only those resolved within ``history_days``: older
  incidents, such as an imported history, are history, not reviews to chase);
- ``action``: a review action past its due date and not done.

Drills count like real incidents, reviews included: a drill exists to test the procedure, and
its review is where the procedure improves.

Each overdue thing has a period, which starts at the last update (update), the ETA (eta) or the
due time (review, action): a new update or a new ETA starts a new period, and
``--notify-staff`` (``generator/staff_texts.py``) texts the staff once per period.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .config import Settings
from .errors import Problem, StopRun
from .model import Catalogue, Incident, ReviewAction
from .times import clock, day_and_clock, iso, span

KINDS = ("update", "eta", "review", "action")
KIND_WORDS = {"update": "update", "eta": "ETA", "review": "review", "action": "action"}
REVIEWED_SEVERITIES = ("critical", "major")


@dataclass(frozen=True)
class Overdue:
    """One thing past its time, with where it is written and what to do about it."""

    kind: str  # one of KINDS
    incident: Incident
    since: datetime  # when it became overdue
    period: datetime  # when its overdue period started: a new one means a new text to staff
    line: int
    message: str
    hint: str
    subject: str = ""  # the action, for kind ``action``

    @property
    def key(self) -> str:
        """What the staff are texted about once: ``check/<incident>/<kind>/<period start>``."""
        key = f"check/{self.incident.id}/{self.kind}/{self.period.astimezone(UTC):%Y%m%dT%H%MZ}"
        if self.subject:
            key += "/" + hashlib.sha256(self.subject.encode()).hexdigest()[:8]
        return key

    @property
    def problem(self) -> Problem:
        """As printed: ``path:line: message (hint)``."""
        return Problem(self.incident.path, self.line, self.message, self.hint)

    def to_json(self, now: datetime) -> dict[str, Any]:
        """Plain data for ``--json``."""
        overdue = int((now - self.since).total_seconds())
        return {"kind": self.kind, "incident": self.incident.id, "path": self.incident.path,
                "line": self.line, "since": iso(self.since), "overdue_seconds": overdue,
                "drill": self.incident.drill, "message": self.message, "hint": self.hint, "key": self.key}


def needs_review(incident: Incident) -> bool:
    """Major and critical incidents get a review once resolved; drills of them too."""
    return incident.severity in REVIEWED_SEVERITIES and incident.is_resolved


def review_held(incident: Incident) -> bool:
    """True when the ``review:`` block says when the review was held."""
    return incident.review is not None and incident.review.held_on is not None


def review_due(incident: Incident, settings: Settings) -> datetime | None:
    """When the review is due (``review_within`` after resolution); None when none is needed."""
    if not needs_review(incident) or incident.resolved_at is None:
        return None
    return incident.resolved_at + settings.review_within


def find_overdue(catalogue: Catalogue, settings: Settings, now: datetime) -> list[Overdue]:
    """Everything overdue at ``now``: by kind, then longest overdue first."""
    found: list[Overdue] = []
    for incident in catalogue.incidents:
        found += [o for o in (_update(incident, settings, now), _eta(incident, settings, now),
                              _review(incident, settings, now)) if o is not None]
        found += _actions(incident, settings, now)
    return sorted(found, key=lambda o: (KINDS.index(o.kind), o.since, o.incident.id))


def _when(moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    same_day = moment.astimezone(zone).date() == now.astimezone(zone).date()
    return clock(moment, zone) if same_day else day_and_clock(moment, zone)


def _update(incident: Incident, settings: Settings, now: datetime) -> Overdue | None:
    latest = incident.latest
    due = latest.at + settings.update_every
    if not incident.is_active(now) or due >= now:
        return None
    return Overdue("update", incident, due, latest.at, latest.line,
                   f"update overdue: the next update was due by {_when(due, now, settings.timezone)}, "
                   f"{span(now - due)} ago",
                   f"post one: sitrep update {incident.id} --status {incident.status} --message '...'")


def _eta(incident: Incident, settings: Settings, now: datetime) -> Overdue | None:
    eta = incident.eta
    if eta is None or eta >= now or not incident.is_active(now):
        return None
    shown, ago, line = _when(eta, now, settings.timezone), span(now - eta), incident.line_of("eta")
    if incident.is_maintenance:
        return Overdue("eta", incident, eta, eta, line,
                       f"ETA passed: the maintenance window ended at {shown}, {ago} ago",
                       f"complete it: sitrep resolve {incident.id} --message '...', or give a new end "
                       "with sitrep update --eta")
    return Overdue("eta", incident, eta, eta, line,
                   f"ETA passed: the estimated fix was {shown}, {ago} ago, and it is still {incident.status}",
                   f"give a new ETA: sitrep update {incident.id} --status {incident.status} --eta HH:MM "
                   "--message '...', or resolve it")


def review_pending(incident: Incident, settings: Settings, now: datetime) -> bool:
    """A review is needed and not held, and the incident was resolved within ``history_days``."""
    resolved = incident.resolved_at
    recent = resolved is not None and resolved >= now - timedelta(days=settings.history_days)
    return recent and needs_review(incident) and not review_held(incident)


def _review(incident: Incident, settings: Settings, now: datetime) -> Overdue | None:
    due = review_due(incident, settings)
    if due is None or incident.resolved_at is None or due >= now:
        return None
    if not review_pending(incident, settings, now):
        return None
    zone = settings.timezone
    what = f"drill of a {incident.severity} incident" if incident.drill else f"{incident.severity} incident"
    return Overdue("review", incident, due, due, incident.line_of("review"),
                   f"review overdue: {what} resolved {day_and_clock(incident.resolved_at, zone)}, "
                   f"review due by {day_and_clock(due, zone)}, {span(now - due)} ago",
                   "hold it, then add review: with held_on, attendees, went_well, to_improve and actions")


def _actions(incident: Incident, settings: Settings, now: datetime) -> list[Overdue]:
    if incident.review is None:
        return []
    return [_action(incident, action, action.due, settings, now) for action in incident.review.actions
            if not action.done and action.due is not None and action.due < now]


def _action(incident: Incident, action: ReviewAction, due: datetime, settings: Settings,
            now: datetime) -> Overdue:
    owner = f" ({action.owner})" if action.owner else ""
    return Overdue("action", incident, due, due, incident.line_of("review"),
                   f"action overdue: {action.action!r}{owner} was due {day_and_clock(due, settings.timezone)}"
                   f", {span(now - due)} ago", "do it, then set done: true under the action", action.action)


def summary(items: list[Overdue], now: datetime, zone: ZoneInfo) -> str:
    """``3 overdue: 1 update, 1 ETA, 1 review (at Thu 3 Dec 2026, 09:00 GMT)``."""
    at = f"(at {day_and_clock(now, zone)})"
    if not items:
        return f"nothing overdue {at}"
    counts = [f"{n} {KIND_WORDS[k]}{'s' * (n != 1)}" for k in KINDS
              if (n := sum(1 for i in items if i.kind == k))]
    return f"{len(items)} overdue: {', '.join(counts)} {at}"


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """``sitrep check [--notify-staff] [--json]``: exit 1 when anything is overdue."""
    # Imported here: the site's pages import this module for the review rules.
    from .site import build_clock
    from .staff_texts import StaffTexts, notify_staff
    from .validate import validate

    now = build_clock()
    catalogue, problems = validate(settings, now=now)
    errors = [p for p in problems if not p.warning]
    for problem in errors:  # a broken file must not silence the rest: check what loaded
        print(problem, file=sys.stderr)
    items = find_overdue(catalogue, settings, now)
    texts: StaffTexts | None = None
    if args.notify_staff:
        texts = notify_staff(settings, catalogue, items, now)
    if args.json:
        data: dict[str, Any] = {"now": iso(now), "overdue": [i.to_json(now) for i in items],
                                "problems": [str(p) for p in errors]}
        data["staff_texts"] = texts.to_json() if texts else None
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        lines = [str(i.problem) for i in items] + [summary(items, now, settings.timezone)]
        print("\n".join(lines + (texts.lines() if texts else [])))
    if texts is not None and texts.stopped:
        raise StopRun(texts.stopped)
    return 1 if items or errors else 0
