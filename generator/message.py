"""The SMS text for an event: templates, GSM-7 clean-up, segment counting, fitting to one SMS.

Placeholders a template may use (``extra.status.templates`` in mkdocs.yml overrides any kind):
``{label}`` Major incident · ``{client}`` DLCA · ``{title}`` · ``{status}`` Investigating ·
``{previous_status}`` · ``{severity}`` major · ``{previous_severity}`` · ``{eta}`` 11:00 ·
``{next}`` Next update by 08:50. · ``{message}`` the latest update · ``{link}`` the secure link.
Empty placeholders leave no double spaces: runs of white space are collapsed after rendering.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .config import Settings
from .errors import InputError, Problem
from .model import PUBLIC, Incident
from .schema import suggestion

# Event kinds, most important first: a commit with several events is told by the first.
EVENT_KINDS = ("new", "resolved", "severity", "status", "eta", "update")

DEFAULT_TEMPLATES = {
    "new": "{label}: {client} {title}. {status}. {next} {link}",
    "resolved": "{status}: {client} {title}. {link}",
    "severity": "Now {severity}: {client} {title}. {status}. {next} {link}",
    "status": "{label}: {client} {title}. {status}. {next} {link}",
    "eta": "{label}: {client} {title}. New ETA {eta}. {next} {link}",
    "update": "Update: {client} {title}. {status}. {next} {link}",
}
PLACEHOLDERS = ("label", "client", "title", "status", "previous_status", "severity",
                "previous_severity", "eta", "next", "message", "link")

_LABELS = {"critical": "Critical incident", "major": "Major incident",
           "minor": "Minor incident", "maintenance": "Maintenance"}

# GSM 03.38: the basic table (one septet each) and the extension table (escape + char: two).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
SMS_SEPTETS, PART_SEPTETS = 160, 153
UCS2_UNITS, UCS2_PART_UNITS = 70, 67
MIN_TITLE = 12  # below this a shortened title says nothing; let the SMS take two parts

# What editors and phones put in text that GSM-7 lacks; one of them makes the SMS UCS-2.
_REPLACEMENTS = {
    # curly, low and prime single quotes, backtick and acute accent
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032`\u00b4", "'"),
    # curly, low and prime double quotes, guillemets
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    # hyphens, figure dash, en and em dashes, horizontal bar, minus sign
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    "\u2026": "...", "\u2022": "-", "\u00b7": "-", "\u00d7": "x", "\u2044": "/",
    # no-break, figure, narrow, thin, hair, en and em spaces, tab
    **dict.fromkeys("\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\t", " "),
    **dict.fromkeys("\u200b\u200c\u200d\ufeff", ""),  # zero-width characters
}


@dataclass(frozen=True)
class SmsInfo:
    """How a text travels: its encoding, its length in that encoding, and how many parts."""

    encoding: str  # GSM-7 or UCS-2
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


@dataclass(frozen=True)
class Composed:
    """One SMS ready to send, and what it is about."""

    kind: str
    text: str
    info: SmsInfo


def to_gsm(text: str) -> str:
    """``text`` with every character outside GSM-7 replaced or transliterated (é stays, ê → e)."""
    out = []
    for char in text:
        if char in GSM_BASIC or char in GSM_EXTENDED:
            out.append(char)
        elif char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        else:
            out.append(_transliterate(char))
    return "".join(out)


def _transliterate(char: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    plain = "".join(_REPLACEMENTS.get(c, c) for c in plain)
    return plain if plain and all(c in GSM_BASIC or c in GSM_EXTENDED for c in plain) else "?"


def septets(text: str) -> int:
    """Length of GSM-7 text in septets: extension characters count two."""
    return sum(2 if c in GSM_EXTENDED else 1 for c in text)


def is_gsm(text: str) -> bool:
    """True when every character is in the GSM-7 tables."""
    return all(c in GSM_BASIC or c in GSM_EXTENDED for c in text)


def sms_info(text: str) -> SmsInfo:
    """Encoding, length and segment count of ``text`` as a phone network sends it."""
    if is_gsm(text):
        units = septets(text)
        return SmsInfo("GSM-7", units, 1 if units <= SMS_SEPTETS else math.ceil(units / PART_SEPTETS))
    units = len(text.encode("utf-16-le")) // 2
    return SmsInfo("UCS-2", units, 1 if units <= UCS2_UNITS else math.ceil(units / UCS2_PART_UNITS))


def check_templates(templates: dict[str, str], path: str = "mkdocs.yml") -> list[Problem]:
    """Problems with overriding templates: unknown kinds or placeholders, or no link."""
    problems = []
    for kind, template in templates.items():
        if kind not in DEFAULT_TEMPLATES:
            problems.append(Problem(path, 0, f"unknown SMS template {kind!r} in extra.status.templates",
                                    "use one of: " + ", ".join(EVENT_KINDS) + suggestion(kind, EVENT_KINDS)))
            continue
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
        except ValueError as exc:
            problems.append(Problem(path, 0, f"SMS template {kind!r} is not valid ({exc})",
                                    "write placeholders as {title}; double a literal brace: {{"))
            continue
        for name in names:
            if name not in PLACEHOLDERS:
                problems.append(Problem(path, 0, f"SMS template {kind!r} uses unknown {{{name}}}",
                                        "use: " + ", ".join(PLACEHOLDERS) + suggestion(name, PLACEHOLDERS)))
        if "link" not in names:
            problems.append(Problem(path, 0, f"SMS template {kind!r} has no {{link}}",
                                    "every SMS carries the secure link; add {link}"))
    return problems


def client_label(incident: Incident) -> str:
    """The clients' short names: ids upper-cased (clients.yml has no short name), none if public."""
    return "/".join(c.upper() for c in incident.clients if c != PUBLIC)


def _status_word(status: str) -> str:
    return status.replace("_", " ").capitalize()


def _clock(moment: datetime, reference: datetime, zone: ZoneInfo) -> str:
    local, ref = moment.astimezone(zone), reference.astimezone(zone)
    return f"{local:%H:%M}" if local.date() == ref.date() else f"{local:%a} {local.day} {local:%b %H:%M}"


def next_phrase(incident: Incident, settings: Settings) -> str:
    """``Next update by 08:50.``; the start of scheduled maintenance; nothing once resolved."""
    if incident.is_resolved:
        return ""
    latest = incident.latest.at
    if incident.is_maintenance and incident.status == "scheduled":
        return f"Starts {_clock(incident.started, latest, settings.timezone)}."
    due = latest + settings.update_every
    return f"Next update by {_clock(due, latest, settings.timezone)}."


def placeholders(incident: Incident, before: Incident | None, settings: Settings,
                 link: str) -> dict[str, str]:
    """The values a template is filled with, for ``incident`` as it is after the change."""
    zone, latest = settings.timezone, incident.latest.at
    return {
        "label": _LABELS.get(incident.severity, "Incident"),
        "client": client_label(incident),
        "title": incident.title,
        "status": _status_word(incident.status),
        "previous_status": _status_word(before.status) if before else "",
        "severity": incident.severity,
        "previous_severity": before.severity if before else "",
        "eta": _clock(incident.eta, latest, zone) if incident.eta else "to be confirmed",
        "next": next_phrase(incident, settings),
        "message": incident.latest.message,
        "link": link,
    }


def render(template: str, values: dict[str, str]) -> str:
    """``template`` filled in, cleaned to GSM-7, with white space collapsed."""
    text = re.sub(r"\s+", " ", to_gsm(template.format_map(values))).strip()
    return text.replace("....", "...")  # a shortened title ends in ... before the template's .


def shorten(title: str, length: int) -> str:
    """``title`` cut to about ``length`` characters at a word boundary, ending in ``...``."""
    cut = title[:length]
    space = cut.rfind(" ")
    if space >= length - 12 and space > 0:  # a whole word, unless that loses too much
        cut = cut[:space]
    return cut.rstrip(" .,;:-") + "..."


def fit(template: str, values: dict[str, str], prefix: str = "") -> str:
    """The rendered text, its title shortened (never the link) until it fits one SMS."""
    text = prefix + render(template, values)
    original = to_gsm(values["title"]).strip()
    shortest = prefix + render(template, {**values, "title": shorten(original, MIN_TITLE)})
    if sms_info(shortest).segments > 1:
        return text  # the rest alone needs two parts: a mutilated title would buy nothing
    length = len(original)
    while sms_info(text).segments > 1 and length > MIN_TITLE:
        # Septets, not characters: an extension character in the title costs two.
        length = max(MIN_TITLE, length - max(sms_info(text).units - SMS_SEPTETS, 1))
        text = prefix + render(template, {**values, "title": shorten(original, length)})
    return text


def compose(kind: str, incident: Incident, before: Incident | None, settings: Settings,
            link: str) -> Composed:
    """The SMS for an event of ``kind`` that brought ``incident`` to its current state."""
    template = settings.templates.get(kind) or DEFAULT_TEMPLATES[kind]
    problems = check_templates({kind: template})
    if problems:
        raise InputError(problems)
    prefix = to_gsm(settings.drill_prefix) if incident.drill else ""
    text = fit(template, placeholders(incident, before, settings, link), prefix)
    return Composed(kind, text, sms_info(text))
