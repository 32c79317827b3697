"""What a notify run did, per commit, incident and recipient: as text for people, as JSON for tools.

Numbers and addresses appear masked (``+44791•••456``, ``f•••@example.com``) and message texts
not at all: a text holds the incident's secret link, and CI logs are read by more people than
the incident is for.
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

    recipient: str  # masked number or address
    group: str
    status: str = "pending"  # sent, failed, unknown, retry, skipped, would send
    detail: str = ""
    channel: str = "sms"  # or email


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

    def incident(self, incident: str, events: tuple[str, ...], skipped: str) -> IncidentReport:
        """The report of one incident file, made on first mention (each channel's pass adds to it)."""
        for item in self.incidents:
            if item.incident == incident:
                return item
        self.incidents.append(IncidentReport(incident, events, skipped))
        return self.incidents[-1]


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
    email_provider: str = ""  # empty when nobody has an email address
    email_recipients: int = 0

    def commit(self, commit: Commit) -> CommitReport:
        """The report of one commit, made on first mention (each channel's pass adds to it)."""
        for report in self.commits:
            if report.commit.sha == commit.sha:
                return report
        self.commits.append(CommitReport(commit))
        return self.commits[-1]

    def stop(self, reason: str) -> None:
        """Note why a pass stopped; SMS and email may each have stopped."""
        self.stopped = f"{self.stopped}; {reason}" if self.stopped else reason

    def deliveries(self, channel: str = "") -> list[Delivery]:
        """Every delivery of every commit (on ``channel`` only, if given)."""
        return [d for c in self.commits for i in c.incidents for d in i.deliveries
                if not channel or d.channel == channel]

    def counts(self, channel: str = "") -> Counter[str]:
        """How many deliveries ended in each status."""
        return Counter(d.status for d in self.deliveries(channel))

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
            "email": ({"provider": self.email_provider, "recipients": self.email_recipients,
                       "counts": dict(self.counts("email"))} if self.email_provider else None),
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


def _channels(deliveries: list[Delivery]) -> str:
    """``3 sent`` for SMS alone; ``SMS: 3 sent; email: 2 sent`` once email is involved."""
    sms = [d for d in deliveries if d.channel == "sms"]
    email = [d for d in deliveries if d.channel == "email"]
    if not email:
        return _tally(sms)
    return "; ".join([*([f"SMS: {_tally(sms)}"] if sms else []), f"email: {_tally(email)}"])


def _incident_lines(item: IncidentReport) -> list[str]:
    if item.skipped:
        return [f"  {item.incident}: nothing sent ({item.skipped})"]
    size = f" [{item.encoding}, {item.segments} segment{'s' * (item.segments != 1)}]" if item.segments else ""
    lines = [f"  {item.incident}: {', '.join(item.events)}{size} → {_channels(item.deliveries)}"]
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
        lines.append("  (the provider cannot say whether these went: check its log (for email, the mail "
                     "server's, by Message-ID), then run sitrep notify --decide-unknown sent, or resend)")
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
    verb = "dry run: " if report.dry_run else ""
    lines.append(f"{verb}{len(report.commits)} commit(s), {report.recipients} recipient(s), provider "
                 f"{report.provider or '-'}: {_counted(report.counts('sms'))}" + _email_summary(report))
    if report.stopped:
        lines.append(f"stopped: {report.stopped}")
    return "\n".join(lines)


def _counted(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no messages due"


def _email_summary(report: RunReport) -> str:
    if not report.email_provider:
        return ""
    return (f"; email via {report.email_provider} to {report.email_recipients} address(es): "
            f"{_counted(report.counts('email'))}")
