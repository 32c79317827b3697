"""The email for an event: a subject that mail logs may read, and a plain-text and HTML body.

Mail servers log subjects (Exchange message tracking, Postfix with header checks), and those
logs are far less private than the encrypted site, so the default subject names no client and
no title: ``Major incident — Investigating (ref 3kq7vd)``, the reference being the start of the
incident's opaque page slug, enough to tell two incidents apart. ``extra.status.email_subject``
may opt in to more with placeholders ``{label}`` ``{status}`` ``{ref}`` ``{severity}``
``{client}`` ``{title}`` ``{organisation}``. The body, which servers store but do not log,
carries the title, the latest update, the status, the ETA, the next update and the secure link.
"""

from __future__ import annotations

import html
import re
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from .config import Settings
from .errors import Problem
from .message import client_label, placeholders
from .model import Incident
from .providers import Message
from .schema import suggestion
from .times import day_and_clock

DEFAULT_SUBJECT = "{label} \u2014 {status} (ref {ref})"
SUBJECT_PLACEHOLDERS = ("label", "status", "ref", "severity", "client", "title", "organisation")
REF_LENGTH = 6


@dataclass(frozen=True)
class EmailContent:
    """One email's words, before it is addressed."""

    subject: str
    text: str
    html: str


def check_subject(template: str, path: str = "mkdocs.yml") -> list[Problem]:
    """Problems with ``extra.status.email_subject``: unknown placeholders or bad braces."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        return [Problem(path, 0, f"email_subject is not valid ({exc})",
                        "write placeholders as {status}; double a literal brace: {{")]
    return [Problem(path, 0, f"email_subject uses unknown {{{name}}}",
                    "use: " + ", ".join(SUBJECT_PLACEHOLDERS) + suggestion(name, SUBJECT_PLACEHOLDERS))
            for name in names if name not in SUBJECT_PLACEHOLDERS]


def subject(incident: Incident, settings: Settings, ref: str) -> str:
    """The subject line: one line whatever the title holds, the drill prefix first."""
    template = settings.email_subject or DEFAULT_SUBJECT
    text = re.sub(r"\s+", " ", template.format_map(_values(incident, settings, ref))).strip()
    return (settings.drill_prefix if incident.drill else "") + text


def _values(incident: Incident, settings: Settings, ref: str) -> dict[str, str]:
    shown = placeholders(incident, None, settings, "")
    return {"label": shown["label"], "status": shown["status"], "severity": incident.severity,
            "client": client_label(incident), "title": incident.title, "ref": ref[:REF_LENGTH],
            "organisation": settings.organisation}


def compose_email(incident: Incident, settings: Settings, link: str, ref: str) -> EmailContent:
    """The email about ``incident`` as it now is: subject, plain text and HTML, both with the link."""
    facts = _facts(incident, settings)
    heading = _heading(incident, settings)
    latest = incident.latest
    when = day_and_clock(latest.at, settings.timezone)
    text = "\n".join([heading, "", *(f"{k}: {v}" for k, v in facts), "", f"Latest update, {when}:",
                      latest.message, "", "Read the incident and its history:", link, "", _WARNING,
                      "", "-- ", settings.organisation, ""])
    return EmailContent(subject(incident, settings, ref), text,
                        _html(heading, facts, when, latest.message, link, settings.organisation))


_WARNING = "This link opens the incident without a passphrase: please do not forward it."


def _heading(incident: Incident, settings: Settings) -> str:
    values = placeholders(incident, None, settings, "")
    client = f"{values['client']} " if values["client"] else ""
    prefix = settings.drill_prefix if incident.drill else ""
    return f"{prefix}{values['label']}: {client}{incident.title}"


def _facts(incident: Incident, settings: Settings) -> list[tuple[str, str]]:
    """Status, ETA (or the end of a maintenance window) and the next update, where known."""
    zone = settings.timezone
    facts = [("Status", placeholders(incident, None, settings, "")["status"])]
    if incident.eta is not None and not incident.is_resolved:
        facts.append(("Window ends" if incident.is_maintenance else "ETA", day_and_clock(incident.eta, zone)))
    if incident.is_maintenance and incident.status == "scheduled":
        facts.append(("Starts", day_and_clock(incident.started, zone)))
    elif not incident.is_resolved:
        facts.append(("Next update by", day_and_clock(incident.latest.at + settings.update_every, zone)))
    return facts


def _html(heading: str, facts: list[tuple[str, str]], when: str, update: str, link: str,
          organisation: str) -> str:
    e = html.escape
    rows = "<br>\n".join(f"<strong>{e(k)}:</strong> {e(v)}" for k, v in facts)
    return (
        "<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif; line-height: 1.4\">\n"
        f"<h2 style=\"margin: 0 0 0.5em\">{e(heading)}</h2>\n<p>{rows}</p>\n"
        f"<p><strong>Latest update, {e(when)}</strong><br>\n{e(update)}</p>\n"
        f"<p><a href=\"{e(link)}\">Read the incident and its history</a><br>\n"
        f"<small>{e(link)}</small></p>\n"
        f"<p style=\"color: #555; font-size: 90%\">{e(_WARNING)}<br>\n{e(organisation)}</p>\n"
        "</body></html>\n"
    )


def as_message(content: EmailContent) -> Message:
    """The content as a provider message, addressed later (``key`` and ``to`` empty)."""
    return Message("", "", content.text, subject=content.subject, html=content.html)


def mime(message: Message, sender: str, organisation: str) -> EmailMessage:
    """The message as sent: the headers a mail log may record hold nothing of the incident but the subject."""
    mail = EmailMessage(policy=SMTP)
    mail["Subject"] = message.subject
    mail["From"] = Address(display_name=" ".join(organisation.split()), addr_spec=sender)
    mail["To"] = message.to
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = message_id(message.key, sender)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a status alert
    # Quoted-printable keeps the message 7-bit: no relay needs 8BITMIME for an accented name.
    mail.set_content(message.body, cte="quoted-printable")
    mail.add_alternative(message.html, subtype="html", cte="quoted-printable")
    return mail


def message_id(key: str, sender: str) -> str:
    """``<state.recipient@sender-domain>``: the same for every attempt, so a log search finds it."""
    return f"<{key}@{sender.rpartition('@')[2].lower()}>"
