"""``sitrep preview ID``: the exact SMS for an incident's latest event, before anyone gets it.

Once anyone has an email address, it also says how many get it by SMS and by email, and shows
the email's subject: the one part of an email that mail servers log.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import git

from .changes import events_between, read_incident_at
from .config import Settings
from .email_message import subject
from .errors import ConfigError, SitrepError, StopRun
from .keys import incident_slug, secure_link
from .load import load_clients, load_incident
from .message import Composed, compose
from .model import Incident
from .recipients import EMAIL, SMS, Recipients, load_recipients
from .secrets import load_secrets
from .validate import validate

HISTORY_LIMIT = 200  # commits of the file searched for its latest notifiable change


def latest_event(root: Path, incident: Incident, path: Path) -> tuple[str, Incident | None, str]:
    """The kind of the incident's latest notifiable event, the state before it, and where it is."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
        rel = path.resolve().relative_to(Path(repo.working_tree_dir or root).resolve()).as_posix()
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return "new", None, "no git history"
    at_head = read_incident_at(repo, "HEAD", rel)
    if at_head is not None and (events := events_between(at_head, incident)):
        return events[0], at_head, "not committed yet"
    if at_head is None:
        return "new", None, "not committed yet"
    shas = repo.git.log("--first-parent", f"-n{HISTORY_LIMIT}", "--format=%H", "--", rel).split()
    for sha in shas:
        after, before = read_incident_at(repo, sha, rel), read_incident_at(repo, f"{sha}^", rel)
        if after is not None and (events := events_between(before, after)):
            return events[0], before, f"commit {sha[:7]}"
    return "new", None, "no notifiable commit found"


def _incident(settings: Settings, incident_id: str) -> tuple[Incident, Path]:
    catalogue, _ = validate(settings)
    found = catalogue.incident(incident_id)
    if found is None:
        raise SitrepError(f"no valid incident {incident_id!r} in {settings.incidents_dir}/ "
                          "(check the id with ls incidents/, and sitrep validate)")
    path = Path(found.path)
    incident, _ = load_incident(path)
    return incident or found, path


# Pull-request jobs have no secrets: a placeholder gives a link of the real length.
_PLACEHOLDER_SECRET = "preview-placeholder-secret-with-no-value-0123456789"


def _site_secret(settings: Settings, clients: list[str]) -> str:
    try:
        return load_secrets(settings.state_dir, clients).site_secret
    except ConfigError:
        print("note: no SITREP_SITE_SECRET here, so the link holds a placeholder key of the "
              "same length", file=sys.stderr)
        return _PLACEHOLDER_SECRET


def describe(composed: Composed) -> str:
    """``GSM-7, 131 septets, 1 segment``."""
    info = composed.info
    unit = "septets" if info.encoding == "GSM-7" else "UTF-16 units"
    return f"{info.encoding}, {info.units} {unit}, {info.segments} segment{'s' * (info.segments != 1)}"


def _recipients(settings: Settings, clients: list[str]) -> Recipients | str:
    try:
        recipients = load_recipients(settings, known_clients=clients)
    except StopRun as exc:
        # A pull request's preview has no recipients file; the text is what matters there.
        return f"unknown ({exc})"
    for problem in recipients.problems:
        print(problem)
    return recipients


def _recipients_line(recipients: Recipients, incident: Incident) -> str:
    """``3 (1 staff, 2 dlca)``, then ``: 3 by SMS, 2 by email`` once anyone has an address."""
    people = recipients.for_incident(incident)
    groups = Counter(person.group for person in people)
    detail = ", ".join(f"{n} {g}" for g, n in groups.items())
    line = f"{len(people)} ({detail})" if detail else str(len(people))
    if not recipients.contacts(EMAIL):
        return line
    sms, emails = (len(recipients.contacts_for(incident, channel)) for channel in (SMS, EMAIL))
    return f"{line}: {sms} by SMS, {emails} by email"


def cmd_preview(args: argparse.Namespace, settings: Settings) -> int:
    """Print the SMS text, its encoding and size, and who would get it."""
    incident, path = _incident(settings, args.id)
    clients = list(load_clients(settings.clients_path)[0])
    kind, before, where = latest_event(settings.root, incident, path)
    secret = _site_secret(settings, clients)
    composed = compose(kind, incident, before, settings, secure_link(settings.site_url, secret, incident.id))
    print(composed.text)
    print(f"event: {kind} ({where})")
    print(f"encoding: {describe(composed)}")
    recipients = _recipients(settings, clients)
    if isinstance(recipients, str):
        print(f"recipients: {recipients}")
        return 0
    print(f"recipients: {_recipients_line(recipients, incident)}")
    if recipients.contacts(EMAIL):
        print(f"email subject: {subject(incident, settings, incident_slug(secret, incident.id))}")
    return 0

