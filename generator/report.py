"""What a notify run did, per commit, incident and recipient: as text for people, as JSON for tools.

Numbers appear masked (``+44791•••456``) and message texts not at all: a text holds the
incident's secret link, and CI logs are read by more people than the incident is for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .changes import Commit
from .errors import Problem

FAILED = ("failed", "unknown", "retry", "pending")


@dataclass
class Delivery:
    """One message to one recipient and what became of it."""

    recipient: str  # masked number
    group: str
    status: str = "pending"  # sent, failed, unknown, retry, skipped, would send
    detail: str = ""


@dataclass
class IncidentReport:
    """One incident file of a commit."""

    incident: str
    events: tuple[str, ...]
    skipped: str
    encoding: str = ""
    segments: int = 0
    deliveries: list[Delivery] = field(default_factory=list)


@dataclass
class CommitReport:
    """One commit examined."""

    commit: Commit
    incidents: list[IncidentReport] = field(default_factory=list)


@dataclass
class RunReport:
    """Everything one run did; ``exit_code`` is 0 all sent, 1 some not, 2 stopped."""

    provider: str
    recipients: int
    problems: list[Problem]
    dry_run: bool = False
    commits: list[CommitReport] = field(default_factory=list)
    settled: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped: str = ""

    def deliveries(self) -> list[Delivery]:
        """Every delivery of every commit."""
        return [d for c in self.commits for i in c.incidents for d in i.deliveries]

    def counts(self) -> Counter[str]:
        """How many deliveries ended in each status."""
        return Counter(d.status for d in self.deliveries())

    @property
    def exit_code(self) -> int:
        """2 when stopped; 1 when a message failed, may not have gone, or a number was bad."""
        if self.stopped:
            return 2
        unsettled = any(s["now"] == "unknown" for s in self.settled)
        bad = any(not p.warning for p in self.problems)
        return 1 if unsettled or bad or any(self.counts()[s] for s in FAILED) else 0

    def to_json(self) -> dict[str, Any]:
        """The report as plain data for ``--json``."""
        return {
            "provider": self.provider, "recipients": self.recipients, "dry_run": self.dry_run,
            "exit_code": self.exit_code, "stopped": self.stopped or None, "notes": self.notes,
            "problems": [str(p) for p in self.problems], "settled": self.settled,
            "counts": dict(self.counts()),
            "commits": [{
                "sha": c.commit.sha, "subject": c.commit.subject, "silenced": c.commit.silenced,
                "incidents": [{
                    "id": i.incident, "events": list(i.events), "skipped": i.skipped or None,
                    "encoding": i.encoding or None, "segments": i.segments or None,
                    "deliveries": [vars(d) for d in i.deliveries],
                } for i in c.incidents],
            } for c in self.commits],
        }


def _tally(deliveries: list[Delivery]) -> str:
    counts = Counter(d.status for d in deliveries)
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nobody to text"


def _incident_lines(item: IncidentReport) -> list[str]:
    if item.skipped:
        return [f"  {item.incident}: nothing sent ({item.skipped})"]
    size = f" [{item.encoding}, {item.segments} segment{'s' * (item.segments != 1)}]" if item.segments else ""
    lines = [f"  {item.incident}: {', '.join(item.events)}{size} → {_tally(item.deliveries)}"]
    for d in item.deliveries:
        if d.status in FAILED or (d.status == "skipped" and d.detail != "already sent"):
            lines.append(f"    {d.status:<8} {d.recipient} ({d.group}) {d.detail}".rstrip())
    return lines


def render_text(report: RunReport) -> str:
    """The summary people read in the CI log."""
    lines = [str(p) for p in report.problems]
    lines += [f"note: {n}" for n in report.notes]
    for s in report.settled:
        lines.append(f"settled {s['incident']} {s['recipient']} (claimed in {s['commit']}): "
                     f"{s['was']} → {s['now']}")
    if any(s["now"] == "unknown" for s in report.settled):
        lines.append("  (the provider cannot say whether these went: check its log, then run "
                     "sitrep notify --decide-unknown sent, or resend)")
    if not report.commits:
        lines.append("no commit to notify")
    for c in report.commits:
        if c.incidents:
            quiet = " (Sitrep-Notify: no)" if c.commit.silenced else ""
            lines.append(f"{c.commit.short} {c.commit.subject}{quiet}")
            lines += [line for item in c.incidents for line in _incident_lines(item)]
    untouched = sum(1 for c in report.commits if not c.incidents)
    if untouched:
        lines.append(f"{untouched} commit(s) changed no incident")
    counts = report.counts()
    verb = "dry run: " if report.dry_run else ""
    lines.append(f"{verb}{len(report.commits)} commit(s), {report.recipients} recipient(s), provider "
                 f"{report.provider or '-'}: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
                                                  or "no messages due"))
    if report.stopped:
        lines.append(f"stopped: {report.stopped}")
    return "\n".join(lines)
