"""``sitrep notify``: the SMS and emails for each new commit, exactly once, with the ledger as the memory.

A run makes one pass per channel (SMS, then email if anyone has an address; see
``channels.py``). A pass settles claims that a dead run left open, finds the commits not yet
notified on that channel, and for each commit (oldest first) claims its messages in the ledger,
sends them, and records the outcomes with the next claims (one push per commit or batch, plus
one at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import git

from .changes import (
    CommitChanges,
    IncidentChange,
    commits_since,
    first_parent_history,
    notifiable_state,
    open_repo,
    read_changes,
    resolve,
    select,
)
from .channels import Batch, batches, email_batch, make_email_provider, namespace, sms_batch, unaddressed
from .config import Settings
from .email_message import check_subject, message_id
from .errors import ConfigError, InputError, StopRun
from .keys import incident_slug, secure_link
from .ledger import Change, Entry, Ledger, lease_until, now_utc, recipient_id, with_status
from .load import load_clients
from .message import check_templates
from .providers import Message, Outcome, Provider, Stamped, make_provider, new_session
from .recipients import EMAIL, SMS, Contact, Recipients, load_recipients
from .report import CommitReport, Delivery, RunReport, render_text
from .secrets import Secrets, load_secrets
from .site import build_clock

DEFAULT_LEASE = 600.0


@dataclass(frozen=True)
class Options:
    """What ``sitrep notify`` was asked to do."""

    from_rev: str | None = None
    to_rev: str = "HEAD"
    dry_run: bool = False
    max_age: timedelta = timedelta(hours=24)
    lease: float = DEFAULT_LEASE
    decide_unknown: str = ""  # "sent" or "resend": a person's verdict on messages that may have gone


def parse_age(text: str) -> timedelta:
    """``24h``, ``90m``, ``2d`` (or a number of hours) as a duration."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhd]?)\s*", text)
    if not match:
        raise ConfigError(f"--max-age {text!r} is not a duration (write 24h, 90m or 2d)")
    unit = {"m": "minutes", "h": "hours", "d": "days", "": "hours"}[match.group(2)]
    return timedelta(**{unit: float(match.group(1))})


@dataclass
class _Planned:
    """One message of a commit, with where it will be reported."""

    delivery: Delivery
    message: Message
    claim: Change


@dataclass
class Run:
    """One notify run: its inputs, its ledger and what it has done so far."""

    settings: Settings
    options: Options
    repo: git.Repo
    recipients: Recipients
    secrets: Secrets
    ledger: Ledger
    provider: Provider | None
    report: RunReport
    env: Mapping[str, str]
    pending: list[Change] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    horizon: datetime | None = None
    deferred: bool = False  # another live run holds claims in this range
    channel: str = SMS
    batch: Batch | None = None  # how a batch is sent; None: SMS at sms_rate

    def rcpt(self, contact: Contact) -> str:
        """The ledger's id for ``contact`` (its number or address, keyed)."""
        return recipient_id(self.secrets.site_secret, contact.identity)

    def send(self, messages: list[Message], deadline: float) -> tuple[dict[str, Outcome], StopRun | None]:
        """Send a batch the channel's way."""
        assert self.provider is not None
        batch = self.batch or sms_batch(self.provider, self.settings.sms_rate)
        return batch(messages, deadline)


def start(settings: Settings, options: Options, env: Mapping[str, str] | None = None) -> Run:
    """Everything a run needs, checked before anything is sent."""
    env = os.environ if env is None else env
    problems = check_templates(settings.templates) + check_subject(settings.email_subject)
    if problems:
        raise InputError(problems)
    repo = open_repo(settings.root)
    clients, _ = load_clients(settings.clients_path)
    recipients = load_recipients(settings, env, clients)
    try:
        secrets = load_secrets(settings.state_dir, clients, env)
    except ConfigError as exc:
        raise StopRun(str(exc)) from exc
    provider_name = env.get("SITREP_SMS_PROVIDER", "").strip() or "outbox"
    ledger = Ledger(_toplevel(repo), namespace(SMS, provider_name))
    provider = None if options.dry_run else Stamped(make_provider(settings, new_session(), env))
    report = RunReport(provider_name, len(recipients.contacts(SMS)), list(recipients.problems),
                       dry_run=options.dry_run)
    run = Run(settings, options, repo, recipients, secrets, ledger, provider, report, env)
    _fetch(run)
    return run


def _toplevel(repo: git.Repo) -> Path:
    return Path(repo.working_tree_dir or repo.git_dir)


def _fetch(run: Run) -> None:
    try:
        run.ledger.fetch()
    except StopRun as exc:
        if not run.options.dry_run:
            raise
        run.ledger.use_local()
        run.report.notes.append(f"ledger not fetched ({exc}); using the local copy")


def email_run(sms: Run) -> Run | None:
    """The email pass, sharing the SMS pass's repository, recipients and report; None if no addresses."""
    addresses = sms.recipients.contacts(EMAIL)
    if not addresses:
        return None
    provider, smtp = make_email_provider(sms.settings, sms.env)
    sms.report.email_provider, sms.report.email_recipients = provider.name, len(addresses)
    ledger = Ledger(_toplevel(sms.repo), namespace(EMAIL, provider.name))
    stamped = None if sms.options.dry_run else Stamped(provider)
    run = Run(sms.settings, sms.options, sms.repo, sms.recipients, sms.secrets, ledger, stamped, sms.report,
              sms.env, channel=EMAIL, batch=email_batch(stamped or provider, smtp))
    _fetch(run)
    return run


def notify(settings: Settings, options: Options, env: Mapping[str, str] | None = None) -> RunReport:
    """One run of ``sitrep notify``; a StopRun is recorded in the report, not raised."""
    report = RunReport("", 0, [], dry_run=options.dry_run)
    run = None
    try:
        run = start(settings, options, env)
        report = run.report
        deliver(run)
        try:  # email stopping (no server, bad credentials) loses nothing SMS did
            email = email_run(run)
            if email is not None:
                deliver(email)
        except StopRun as exc:
            report.stop(f"email: {exc}")
    except StopRun as exc:
        report.stop(str(exc))
    finally:
        if run is not None:
            run.repo.close()
    return report


def deliver(run: Run) -> None:
    """One channel's pass: settle, then every commit not yet notified on it, oldest first."""
    retry = settle(run) if run.provider else _retry_commits(run)
    for commit in read_changes(run.repo, pending_commits(run, retry), run.settings.incidents_dir):
        if not process(run, commit):
            break
    flush(run)


def settle(run: Run) -> set[str]:
    """Settle claims left by runs that died; returns the commits with messages to retry."""
    now = now_utc()
    people = {run.rcpt(c): c for c in run.recipients.contacts(run.channel)}
    changes, retry = [], set()
    for state, incident, rcpt, entry in run.ledger.open_records():
        if entry.status == "claimed" and not entry.lease_expired(now):
            continue  # its run may still be sending
        if entry.status == "retry":
            retry.add(entry.commit)
            continue
        settled = _settled_status(run, people.get(rcpt), state, rcpt, entry)
        if settled == "unknown" and run.options.decide_unknown:
            settled = "sent" if run.options.decide_unknown == "sent" else "retry"
        if settled == "retry":
            retry.add(entry.commit)
        label = people[rcpt].masked if rcpt in people else f"recipient {rcpt[:8]} (no longer listed)"
        run.report.settled.append({"incident": incident, "recipient": label, "was": entry.status,
                                   "now": settled, "commit": entry.commit[:7], "channel": run.channel})
        if settled != entry.status:
            detail = (f"a person decided: {run.options.decide_unknown}" if entry.status == "unknown"
                      else "found at the provider" if settled == "sent" else "not at the provider")
            changes.append(Change(state, incident, rcpt, with_status(entry, settled, error=detail),
                                  "settle", entry))
    run.ledger.write(changes, note="sitrep notify: settle claims left by a stopped run")
    return retry


def _settled_status(run: Run, contact: Contact | None, state: str, rcpt: str, entry: Entry) -> str:
    """``sent`` if the provider has the message, ``retry`` if it certainly has not, else ``unknown``."""
    assert run.provider is not None
    if contact is None or entry.provider != run.provider.name:
        return "unknown"  # a person must decide: the number or the provider used is gone
    since = datetime.fromisoformat(entry.at)
    found = run.provider.look_up(contact.address, f"{state}.{rcpt}", entry.body, since)
    return "unknown" if found is None else "sent" if found else "retry"


def _retry_commits(run: Run) -> set[str]:
    return {e.commit for _, _, _, e in run.ledger.open_records() if e.status == "retry"}


def pending_commits(run: Run, retry: set[str]) -> list[str]:
    """The commits to examine, oldest first: new ones, and older ones with messages to retry."""
    to = resolve(run.repo, run.options.to_rev)
    history = first_parent_history(run.repo, to)
    now = build_clock(dict(run.env))
    horizon = run.ledger.horizon()
    if horizon is None:
        run.horizon = horizon = now - run.options.max_age
    if run.options.from_rev and run.options.from_rev.strip("0"):
        since = resolve(run.repo, run.options.from_rev)
        shas = commits_since(run.repo, since, to)[::-1]
    else:
        done = run.ledger.done()
        shas, reached = select(history, done, horizon)
        if not reached and done:
            run.report.notes.append("no notified commit is on this branch any more (history rewritten?): "
                                    "only commits newer than --max-age are examined")
            shas, _ = select(history, done, max(horizon, now - run.options.max_age))
    order = {sha: index for index, (sha, _) in enumerate(reversed(history))}
    extra = [sha for sha in retry if sha in order and sha not in shas]
    for sha in sorted(retry - order.keys()):
        run.report.notes.append(f"messages of {sha[:7]} are to be retried but it is no longer on this "
                                f"branch: run sitrep notify --from REV to examine its replacement")
    return sorted({*shas, *extra}, key=order.__getitem__)


def process(run: Run, changes: CommitChanges) -> bool:
    """Claim, send and record one commit's messages; False when the pass must not go further."""
    report = run.report.commit(changes.commit)
    planned = [p for change in changes.changes for p in _plan(run, change, report)]
    if run.deferred and not planned:
        return _defer(run, changes)
    if run.options.dry_run or not planned:
        run.done.append(changes.commit.sha)
        return True
    lost = False
    for batch in batches(run.channel, planned):
        # Counted from before the claims are pushed, and short of the lease: once it has run out,
        # another run may settle these claims, so this one must have stopped sending.
        deadline = time.monotonic() + run.options.lease * 0.8
        owned, lost_some = _claim_all(run, batch, changes)
        lost = lost or lost_some
        outcomes, stopped = run.send([p.message for p in owned], deadline)
        for item in owned:
            _record(run, item, outcomes[item.message.key])
        if stopped:
            run.report.stop(str(stopped) if run.channel == SMS else f"email: {stopped}")
            return False
    if lost or run.deferred:
        return _defer(run, changes)
    run.done.append(changes.commit.sha)
    return True


def _claim_all(run: Run, planned: list[_Planned], changes: CommitChanges) -> tuple[list[_Planned], bool]:
    """Push the claims (with the previous commit's outcomes); the messages this run now owns."""
    lost = run.ledger.write([*run.pending, *(p.claim for p in planned)], run.done, run.horizon,
                            f"sitrep notify: claim {changes.commit.short}")
    run.pending, run.done, run.horizon = [], [], None
    owned = []
    for item in planned:
        if (item.claim.state, item.claim.recipient) in lost:
            item.delivery.status, item.delivery.detail = "skipped", "being sent by another run"
        else:
            owned.append(item)
    return owned, bool(lost)


def _defer(run: Run, changes: CommitChanges) -> bool:
    # Another live run is sending this range: sending later commits too could reach a
    # phone before that run's earlier ones. Leave the rest of the range to it.
    run.report.notes.append(f"another run is sending {changes.commit.short}; the commits after it "
                            "are left to that run")
    return False


def _record(run: Run, item: _Planned, outcome: Outcome) -> None:
    item.delivery.status, item.delivery.detail = outcome.status, outcome.error
    accepted = run.provider.accepted.get(item.message.key, "") if isinstance(run.provider, Stamped) else ""
    entry = with_status(item.claim.entry, outcome.status, ref=outcome.ref, error=outcome.error,
                        accepted=accepted)
    run.pending.append(Change(item.claim.state, item.claim.incident, item.claim.recipient, entry, "outcome"))


def flush(run: Run) -> None:
    """Write what is still only in memory: the last outcomes, commits done, the horizon."""
    if run.options.dry_run:
        return
    run.ledger.write(run.pending, run.done, run.horizon, "sitrep notify: outcomes")
    run.pending, run.done, run.horizon = [], [], None


def _plan(run: Run, change: IncidentChange, report: CommitReport) -> list[_Planned]:
    item = report.incident(change.incident_id, change.events, change.skipped)
    if change.skipped or change.incident is None:
        return []
    incident = change.incident
    secret = run.secrets.site_secret
    link = secure_link(run.settings.site_url, secret, incident.id)
    template, composed = unaddressed(run.channel, change.kind, incident, change.before, run.settings, link,
                                     incident_slug(secret, incident.id))
    if composed is not None:
        item.segments, item.encoding = composed.info.segments, composed.info.encoding
    state = notifiable_state(incident)
    records = run.ledger.records([state])[state]
    planned = []
    for contact in run.recipients.contacts_for(incident, run.channel):
        rcpt = run.rcpt(contact)
        delivery = Delivery(contact.masked, contact.person.group, channel=run.channel)
        item.deliveries.append(delivery)
        current = records.get(rcpt)
        if current is not None and current.status != "retry":
            ours = current.run == run.ledger.run
            delivery.status, delivery.detail = _already(run, current, ours, f"{state}.{rcpt}")
            run.deferred = run.deferred or (current.status == "claimed" and not ours)
            continue
        if run.options.dry_run:
            delivery.status = "would send"
            continue
        message = replace(template, key=f"{state}.{rcpt}", to=contact.address)
        planned.append(_claim(run, message, state, incident.id, rcpt, delivery, report.commit.sha))
    return planned


def _already(run: Run, entry: Entry, ours: bool, key: str) -> tuple[str, str]:
    if entry.status == "sent":
        return "skipped", "already sent"
    if ours:
        return "skipped", "same content as an earlier commit of this run"
    if entry.status == "failed":
        what = "number" if run.channel == SMS else "address"
        return "skipped", f"failed in an earlier run ({entry.error}); fix the {what} to send again"
    if entry.status == "claimed":
        return "skipped", "being sent by another run"
    return "unknown", (f"an earlier send may have gone through: {_where_to_look(run, key)}, then run "
                       "sitrep notify --decide-unknown sent (or resend)")


def _where_to_look(run: Run, key: str) -> str:
    if run.channel == SMS:
        return "check the provider's log"
    sender = run.env.get("SITREP_EMAIL_FROM", "").strip()
    return f"search the mail server's log for Message-ID {message_id(key, sender)}"


def _claim(run: Run, message: Message, state: str, incident: str, rcpt: str, delivery: Delivery,
           commit: str) -> _Planned:
    assert run.provider is not None
    entry = Entry("claimed", run.ledger.run, now_utc().isoformat(), commit=commit, body=message.body_sha,
                  provider=run.provider.name, lease=lease_until(run.options.lease))
    return _Planned(delivery, message, Change(state, incident, rcpt, entry, "claim"))


def cmd_notify(args: argparse.Namespace, settings: Settings) -> int:
    """``sitrep notify``: the summary on stdout (or JSON), the exit status from the report."""
    options = Options(args.from_rev, args.to_rev, args.dry_run, parse_age(args.max_age), args.claim_lease,
                      args.decide_unknown or "")
    report = notify(settings, options)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print(render_text(report))
    if report.stopped:
        raise StopRun(report.stopped)
    return report.exit_code
