"""``sitrep drill report ID``: the timings of a drill, or of a real incident as the start of its review.

Where each figure comes from:

- started, updates, ETAs and resolution: the incident file;
- the first commit, and when each update and ETA reached the branch: git history
  (``history.py``), in committer time: git records when a commit was made, not when it was pushed;
- the first SMS accepted by the provider, stakeholders reached and failed: the ledger (branch
  ``sitrep-ledger``). Its records of an incident are found through the notifiable state of each
  version in the history; ``accepted`` is when ``sitrep notify`` got the provider's acceptance.

The same Markdown is a staff-only page of the site (``report_page.py``), where the build knows
the git history at best and never the ledger, and says so.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .changes import notifiable_state
from .check import needs_review, review_due, review_held
from .config import Settings
from .errors import SitrepError, StopRun
from .history import History, Version, read_history
from .ledger import BRANCH, Entry, Ledger
from .markup import SEVERITY_LABELS, status_label
from .model import Incident
from .times import clock, day_and_clock, span

NOT_CONFIRMED = ("unknown", "retry", "claimed")
EMPTY = "-"  # an empty table cell
Escape = Callable[[str], str]


@dataclass(frozen=True)
class SmsFigures:
    """What the ledger holds about the messages of one incident."""

    source: str
    statuses: Counter[str]  # messages by ledger status
    recipients: int
    reached: int  # at least one SMS accepted
    failed: int  # at least one SMS rejected or not confirmed
    first_accepted: datetime | None
    recorded_only: bool = False  # no accepted-at in the ledger: the time the outcome was recorded


@dataclass(frozen=True)
class Report:
    """Everything one report shows."""

    incident: Incident
    client_names: list[str]
    settings: Settings
    now: datetime
    versions: list[Version] | None  # None without git history
    sms: SmsFigures | None
    sms_note: str  # where the SMS figures come from, or why there are none


def sms_figures(records: Mapping[str, Mapping[str, Entry]], source: str) -> SmsFigures:
    """Counts and the first acceptance from the ledger records of one incident's states."""
    statuses: Counter[str] = Counter()
    by_recipient: dict[str, set[str]] = {}
    accepted: list[tuple[datetime, bool]] = []
    for entries in records.values():
        for rcpt, entry in entries.items():
            statuses[entry.status] += 1
            by_recipient.setdefault(rcpt, set()).add(entry.status)
            if entry.status == "sent":
                stamp = entry.accepted or entry.at
                accepted.append((datetime.fromisoformat(stamp).astimezone(UTC), not entry.accepted))
    first = min(accepted) if accepted else None
    reached = sum(1 for s in by_recipient.values() if "sent" in s)
    failed = sum(1 for s in by_recipient.values() if s & {"failed", *NOT_CONFIRMED})
    return SmsFigures(source, statuses, len(by_recipient), reached, failed,
                      first[0] if first else None, bool(first and first[1]))


def ledger_figures(history: History | None, incident_id: str,
                   env: Mapping[str, str] | None = None) -> tuple[SmsFigures | None, str]:
    """The SMS figures from the ledger ``sitrep notify`` wrote with this environment's provider."""
    env = os.environ if env is None else env
    if history is None:
        return None, ("no git history here (not a repository, or a shallow clone: fetch-depth: 0), so "
                      "the ledger's records cannot be matched to this incident")
    provider = env.get("SITREP_SMS_PROVIDER", "").strip() or "outbox"
    namespace = "outbox" if provider == "outbox" else "sms"
    ledger = Ledger(history.root, namespace)
    where = f"the ledger, branch {BRANCH} on origin"
    try:
        ledger.fetch()
    except StopRun:
        ledger.use_local()
        where = f"the last fetched copy of the ledger (branch {BRANCH}; origin could not be reached)"
    states = {notifiable_state(v.incident) for v in history.of(incident_id) if v.incident is not None}
    records = {s: r for s, r in ledger.records(states).items() if r}
    source = f"{where}, {namespace} records (SITREP_SMS_PROVIDER={provider})"
    if not records:
        return None, f"no SMS of this incident in {source}"
    return sms_figures(records, source), source


# Markdown ----------------------------------------------------------------------------------

def plain(text: str) -> str:
    """Text for a Markdown table cell read in a terminal."""
    return " ".join(text.split()).replace("|", "\\|")


def report_markdown(report: Report, escape: Escape = plain) -> str:
    """The report as Markdown, headed by the incident's title."""
    incident = report.incident
    kind = "Drill report" if incident.drill else "Incident timings"
    facts = [f"`{incident.id}`", escape(", ".join(report.client_names)), SEVERITY_LABELS[incident.severity],
             "drill" if incident.drill else "real incident", status_label(incident.status).lower()]
    blocks = [f"# {kind}: {escape(incident.title)}", " · ".join(facts), *_timings(report),
              *_updates(report), *_etas(report), *_stakeholders(report), *_review(report),
              *_sources(report)]
    return "\n\n".join(blocks) + "\n"


def _at(report: Report, moment: datetime) -> str:
    zone = report.settings.timezone
    same_day = moment.astimezone(zone).date() == report.incident.started.astimezone(zone).date()
    return clock(moment, zone) if same_day else day_and_clock(moment, zone)


def _after(delta: timedelta) -> str:
    return f"{span(-delta)} before the start" if delta < timedelta(0) else span(delta)


def first_commit(report: Report) -> Version | None:
    """The first commit that added the incident file, if git history knows it."""
    return report.versions[0] if report.versions else None


def first_update(incident: Incident) -> datetime:
    """When the first update was posted (the incident file's own time)."""
    return min(u.at for u in incident.updates)


def _timings(report: Report) -> list[str]:
    incident, started = report.incident, report.incident.started
    commit, sms = first_commit(report), report.sms
    rows = [("Started", day_and_clock(started, report.settings.timezone), "")]
    if commit is not None:
        rows.append(("First commit", f"{_at(report, commit.committed)} ({commit.short})",
                     _after(commit.committed - started)))
    else:
        rows.append(("First commit", "not known (no git history)" if report.versions is None
                     else "not committed yet", ""))
    rows.append(("First update in the file", _at(report, first_update(incident)),
                 _after(first_update(incident) - started)))
    if sms is not None and sms.first_accepted is not None:
        rows.append(("First SMS accepted by the provider", _at(report, sms.first_accepted),
                     _after(sms.first_accepted - started)))
    else:
        rows.append(("First SMS accepted by the provider", "not known (see Sources)", ""))
    resolved = incident.resolved_at
    rows.append(("Resolved", _at(report, resolved) if resolved else "not yet",
                 _after(resolved - started) if resolved else ""))
    table = ["| | When | After the start |", "|---|---|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows)]
    return ["## Timings", "\n".join(table), _first_message(report)]


def _first_message(report: Report) -> str:
    started, sms, commit = report.incident.started, report.sms, first_commit(report)
    if sms is not None and sms.first_accepted is not None:
        text = (f"**Time to first message: {_after(sms.first_accepted - started)}**, from the start to "
                "the first SMS accepted by the provider")
        if commit is not None:
            text += f"; {_after(sms.first_accepted - commit.committed)} after the first commit"
        return text + "."
    return (f"**Time to first message: {_after(first_update(report.incident) - started)}**, from the "
            "start to the first update in the file (the ledger's SMS times are not known here).")


def _reached_branch(report: Report) -> dict[tuple[datetime, str], Version]:
    found: dict[tuple[datetime, str], Version] = {}
    for version in report.versions or []:
        for update in version.incident.updates if version.incident else ():
            found.setdefault((update.at, update.status), version)
    return found


def _updates(report: Report) -> list[str]:
    incident, every = report.incident, report.settings.update_every
    updates = sorted(incident.updates, key=lambda u: u.at)
    reached = _reached_branch(report)
    rows, gaps, kept = [], [], 0
    for number, update in enumerate(updates, 1):
        version = reached.get((update.at, update.status))
        branch = f"{_at(report, version.committed)} ({version.short})" if version else EMPTY
        if number == 1:
            gap, verdict = f"{_after(update.at - incident.started)} after the start", EMPTY
        else:
            previous = updates[number - 2]
            delta = update.at - previous.at
            gap, verdict = span(delta), EMPTY
            if previous.status != "scheduled":  # a promise runs from an update of work under way
                gaps.append(delta)
                kept += delta <= every
                verdict = "kept" if delta <= every else f"late by {span(delta - every)}"
        rows.append(f"| {number} | {status_label(update.status)} | {_at(report, update.at)} | {branch} "
                    f"| {gap} | {verdict} |")
    head = "| # | Status | Posted | Reached the branch | Gap | Promise |\n|---|---|---|---|---|---|"
    table = [head, *rows]
    verdict = (f"Promise kept for {kept} of {len(gaps)} gap{'s' * (len(gaps) != 1)}; longest gap "
               f"{span(max(gaps))}." if gaps else "No gap between updates to hold to the promise.")
    return [f"## Updates against the promise (every {span(every)})", "\n".join(table), verdict]


def _eta_history(report: Report) -> list[tuple[datetime, Version | None]]:
    found: dict[datetime, Version | None] = {}
    for version in report.versions or []:
        eta = version.incident.eta if version.incident else None
        if eta is not None:
            found.setdefault(eta, version)
    if report.incident.eta is not None:
        found.setdefault(report.incident.eta, None)  # not committed yet, or no history
    return list(found.items())


def _against(report: Report, eta: datetime) -> str:
    resolved = report.incident.resolved_at
    if resolved is None:
        passed = report.now - eta
        return f"passed {span(passed)} ago, not resolved" if passed > timedelta(0) else "not resolved yet"
    if resolved <= eta:
        return "met, on time" if span(eta - resolved) == "0 minutes" else f"met, {span(eta - resolved)} early"
    return f"missed by {span(resolved - eta)}"


def _etas(report: Report) -> list[str]:
    found = _eta_history(report)
    what = "window end" if report.incident.is_maintenance else "ETA"
    if not found:
        return [f"## {what}s against the resolution", f"No {what} was given."]
    rows = [f"| {_at(report, eta)} | {_at(report, v.committed) + f' ({v.short})' if v else EMPTY} | "
            f"{_against(report, eta)} |" for eta, v in found]
    table = [f"| {what} | Given (reached the branch) | Against the resolution |", "|---|---|---|", *rows]
    return [f"## {what}s against the resolution", "\n".join(table)]


def _stakeholders(report: Report) -> list[str]:
    sms = report.sms
    if sms is None:
        return ["## Stakeholders", "Not known here (see Sources)."]
    counts = sms.statuses
    unconfirmed = sum(counts[s] for s in NOT_CONFIRMED)
    lines = [f"- Texted: {sms.recipients} stakeholder{'s' * (sms.recipients != 1)}",
             f"- Reached: {sms.reached} (at least one SMS accepted by the provider)",
             f"- Failed: {sms.failed} (at least one SMS rejected by the provider or not confirmed)",
             f"- SMS: {counts['sent']} accepted, {counts['failed']} rejected, {unconfirmed} not confirmed"]
    return ["## Stakeholders", "\n".join(lines)]


def _review(report: Report) -> list[str]:
    incident, zone = report.incident, report.settings.timezone
    review = incident.review
    if review_held(incident) and review is not None and review.held_on is not None:
        open_actions = sum(1 for a in review.actions if not a.done)
        late = sum(1 for a in review.actions if not a.done and a.due is not None and a.due < report.now)
        text = (f"Held {day_and_clock(review.held_on, zone)}; {len(review.actions)} action"
                f"{'s' * (len(review.actions) != 1)}, {open_actions} open, {late} overdue.")
    elif not needs_review(incident):
        text = ("Due once it is resolved." if incident.severity in ("critical", "major")
                else f"Not needed for a {incident.severity} incident.")
    else:
        due = review_due(incident, report.settings)
        assert due is not None
        overdue = f", overdue by {span(report.now - due)}" if due < report.now else ""
        text = f"Not held yet: due by {day_and_clock(due, zone)}{overdue}."
    return ["## Review", text]


def _sources(report: Report) -> list[str]:
    incident, commit = report.incident, first_commit(report)
    lines = [f"- Times are {report.settings.timezone.key} time.",
             f"- Started, updates, ETAs and resolution: the incident file {incident.path}."]
    if commit is not None:
        lines.append(f"- First commit: the committer time of {commit.short}, the first commit on the branch "
                     f"that added {commit.path}. Git records when a commit was made, not when it was pushed.")
    elif report.versions is None:
        lines.append("- Commits: no git history here (not a repository, or a shallow clone: fetch-depth: 0).")
    sms_source = report.sms.source if report.sms else report.sms_note
    lines.append(f"- SMS: {sms_source}.")
    if report.sms is not None and report.sms.recorded_only:
        lines.append("- The first SMS has no accepted-at time in the ledger (sent before sitrep recorded "
                     "it): its time is when the outcome was recorded.")
    return ["## Sources", "\n".join(lines)]


def cmd_drill_report(args: argparse.Namespace, settings: Settings) -> int:
    """``sitrep drill report ID``: the report as Markdown on stdout."""
    from .site import build_clock
    from .validate import validate

    now = build_clock()
    catalogue, _ = validate(settings, now=now)
    incident = catalogue.incident(args.id)
    if incident is None:
        raise SitrepError(f"no valid incident {args.id!r} in {settings.incidents_dir}/ "
                          "(check the id with ls incidents/, and sitrep validate)")
    history = read_history(settings.root, settings.incidents_path, only=Path(incident.path))
    sms, note = ledger_figures(history, incident.id)
    names = [catalogue.clients[c].name if c in catalogue.clients else "All clients" for c in incident.clients]
    report = Report(incident, names, settings, now, history.of(incident.id) if history else None, sms, note)
    print(report_markdown(report), end="")
    return 0
