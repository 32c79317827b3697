"""``sitrep check --notify-staff``: one SMS to each member of staff per overdue period, exactly once.

SMS only: staff listed with just an email address are not texted (email is for incident updates).

The same providers and ledger as ``sitrep notify``, in a namespace of their own (``check``;
``check-outbox`` for the outbox, so a developer's run never hides a real text), keyed by the
overdue thing's period (``check/<incident>/<kind>/<period start>``): a re-run, a crash or two
runs at once text nobody twice, and claims left by a run that died are settled by notify's
own ``settle`` before anything new is sent.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import git

from .check import Overdue
from .config import Settings
from .errors import ConfigError, StopRun
from .keys import secure_link
from .ledger import Change, Entry, Ledger, lease_until, now_utc, with_status
from .message import client_label, fit, to_gsm
from .model import Catalogue
from .notify import DEFAULT_LEASE, Options, Run, settle
from .providers import Message, Outcome, Stamped, make_provider, new_session, send_all
from .recipients import SMS, Contact, contacts, load_recipients
from .report import RunReport
from .secrets import load_secrets

TEMPLATES = {
    "update": "Update overdue: {client} {title}. Next update was due by {due}. {link}",
    "eta": "ETA passed: {client} {title}. ETA was {due}, still {status}. {link}",
    "window": "Maintenance overrunning: {client} {title}. Window ended {due}. {link}",
    "review": "Review overdue: {client} {title}. Review was due by {due}. {link}",
    "action": "Review action overdue: {client} {title}. Due {due}: {action} {link}",
}


@dataclass
class Text:
    """One text to one member of staff about one overdue thing."""

    key: str
    recipient: str  # masked number
    status: str  # sent, failed, unknown, retry, skipped
    detail: str = ""


@dataclass
class StaffTexts:
    """What one ``--notify-staff`` run did."""

    provider: str
    texts: list[Text] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    settled: list[dict[str, str]] = field(default_factory=list)
    stopped: str = ""

    def counts(self) -> Counter[str]:
        """How many texts ended in each status."""
        return Counter(t.status for t in self.texts)

    def lines(self) -> list[str]:
        """The summary people read in the CI log: numbers masked, texts not shown (they hold links)."""
        lines = [f"note: {n}" for n in self.notes]
        lines += [f"settled {s['recipient']}: {s['was']} → {s['now']}" for s in self.settled]
        lines += [f"  {t.status:<8} {t.recipient} {t.detail}".rstrip() for t in self.texts
                  if t.status not in ("sent", "skipped")]
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts().items())) or "nothing to send"
        lines.append(f"staff texts (provider {self.provider}): {counts}")
        if self.stopped:
            lines.append(f"stopped: {self.stopped}")
        return lines

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {"provider": self.provider, "counts": dict(self.counts()), "notes": self.notes,
                "settled": self.settled, "stopped": self.stopped or None,
                "texts": [vars(t) for t in self.texts]}


def namespace(provider: str) -> str:
    """The ledger namespace of staff texts sent through ``provider``."""
    return "check-outbox" if provider == "outbox" else "check"


def state_of(item: Overdue) -> str:
    """The ledger's name for an overdue period (its key, hashed: keys hold slashes)."""
    return hashlib.sha256(item.key.encode()).hexdigest()[:32]


def _short(moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return f"{local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def staff_text(item: Overdue, settings: Settings, link: str, now: datetime) -> str:
    """The SMS about ``item``: one segment where possible, the title shortened, never the link."""
    incident = item.incident
    kind = "window" if item.kind == "eta" and incident.is_maintenance else item.kind
    values = {"client": client_label(incident), "title": incident.title, "link": link,
              "due": _short(item.since, now, settings.timezone), "status": incident.status.replace("_", " "),
              "action": item.subject}
    prefix = to_gsm(settings.drill_prefix) if incident.drill else ""
    return fit(TEMPLATES[kind], values, prefix)


def notify_staff(settings: Settings, catalogue: Catalogue, items: list[Overdue], now: datetime,
                 env: Mapping[str, str] | None = None) -> StaffTexts:
    """Text each member of staff about each overdue period not texted yet; StopRun is recorded."""
    env = os.environ if env is None else env
    provider_name = env.get("SITREP_SMS_PROVIDER", "").strip() or "outbox"
    report = StaffTexts(provider_name)
    if not items:
        return report
    run = None
    try:
        run = _start(settings, catalogue, env, provider_name, report)
        if run is not None:
            settle(run)  # claims of a run that died: sent, to retry, or for a person to decide
            report.settled = run.report.settled
            _send(run, items, now, report)
    except StopRun as exc:
        report.stopped = str(exc)
    finally:
        if run is not None:
            run.repo.close()
    return report


def _start(settings: Settings, catalogue: Catalogue, env: Mapping[str, str], provider_name: str,
           report: StaffTexts) -> Run | None:
    recipients = load_recipients(settings, env, catalogue.clients)
    report.notes += [str(p) for p in recipients.problems]
    if not contacts(recipients.staff, SMS):
        report.notes.append("no staff with a phone number in the recipients file: nobody was texted "
                            "(add them under staff: with phone:)")
        return None
    try:
        secrets = load_secrets(settings.state_dir, catalogue.clients, env)
        repo = git.Repo(settings.root, search_parent_directories=True)
    except ConfigError as exc:
        raise StopRun(str(exc)) from exc
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise StopRun(f"{settings.root}: not a git repository (staff texts are recorded on the branch "
                      "sitrep-ledger of the status repository)") from exc
    ledger = Ledger(Path(repo.working_tree_dir or settings.root), namespace(provider_name))
    ledger.fetch()
    provider = Stamped(make_provider(settings, new_session(), env))
    run_report = RunReport(provider_name, len(recipients.staff), list(recipients.problems))
    return Run(settings, Options(), repo, recipients, secrets, ledger, provider, run_report, env)


@dataclass
class _Planned:
    text: Text
    message: Message
    claim: Change


def _send(run: Run, items: list[Overdue], now: datetime, report: StaffTexts) -> None:
    states = {item.key: state_of(item) for item in items}
    records = run.ledger.records(states.values())
    planned: list[_Planned] = []
    for item in items:
        link = secure_link(run.settings.site_url, run.secrets.site_secret, item.incident.id)
        body = staff_text(item, run.settings, link, now)
        for contact in contacts(run.recipients.staff, SMS):  # a number listed twice gets one text
            planned += _plan(run, item, states[item.key], records[states[item.key]], contact, body, report)
    if not planned:
        return
    deadline = time.monotonic() + DEFAULT_LEASE * 0.8  # stop sending well before the lease runs out
    lost = run.ledger.write([p.claim for p in planned], note="sitrep check: claim staff texts")
    owned = []
    for p in planned:
        if (p.claim.state, p.claim.recipient) in lost:  # whoever pushed its claim first sends
            p.text.status, p.text.detail = "skipped", "being sent by another run"
        else:
            owned.append(p)
    assert run.provider is not None
    outcomes, stopped = send_all(run.provider, [p.message for p in owned], run.settings.sms_rate, deadline)
    run.ledger.write([_outcome(run, p, outcomes[p.message.key]) for p in owned],
                     note="sitrep check: outcomes of staff texts")
    if stopped:
        raise stopped


def _plan(run: Run, item: Overdue, state: str, records: Mapping[str, Entry], contact: Contact, body: str,
          report: StaffTexts) -> list[_Planned]:
    rcpt = run.rcpt(contact)
    text = Text(item.key, contact.masked, "pending")
    report.texts.append(text)
    current = records.get(rcpt)
    if current is not None and current.status != "retry":
        text.status = "skipped"
        text.detail = "already texted" if current.status == "sent" else f"earlier text {current.status}"
        return []
    assert run.provider is not None
    message = Message(f"{state}.{rcpt}", contact.address, body)
    entry = Entry("claimed", run.ledger.run, now_utc().isoformat(), body=message.body_sha,
                  provider=run.provider.name, lease=lease_until(DEFAULT_LEASE))
    return [_Planned(text, message, Change(state, item.incident.id, rcpt, entry, "claim"))]


def _outcome(run: Run, item: _Planned, outcome: Outcome) -> Change:
    item.text.status, item.text.detail = outcome.status, outcome.error
    accepted = run.provider.accepted.get(item.message.key, "") if isinstance(run.provider, Stamped) else ""
    entry = with_status(item.claim.entry, outcome.status, ref=outcome.ref, error=outcome.error,
                        accepted=accepted)
    return Change(item.claim.state, item.claim.incident, item.claim.recipient, entry, "outcome")
