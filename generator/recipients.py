"""Who gets a message: staff and each client's stakeholders from ``SITREP_RECIPIENTS``.

The file is never committed and its numbers and addresses are never printed in full. Each
person has a phone number (SMS), an email address, or both; each is a separate delivery::

    staff:
      - {name: Priya Shah, phone: "+447911123456", email: priya@northbridge.example}
    clients:
      dlca:
        - {name: Fiona Drummond, phone: "+447911123457"}
        - {name: Alan Reid, email: alan@dlca.example}
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path
from typing import Any

import phonenumbers

from .config import Settings
from .errors import InputError, Problem, StopRun, display_path
from .model import PUBLIC, Incident
from .schema import suggestion
from .secrets import is_ci
from .yamlsource import LinedDict, LinedList, load_yaml

LOCAL_FILE = "recipients.yml"
_EXAMPLE = "'+447911123456' (E.164: + and the country code, in quotes)"
SMS, EMAIL = "sms", "email"  # the channels: a phone number is texted, an address emailed
_FIELDS = ("name", "phone", "email")
_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")


@dataclass(frozen=True)
class Person:
    """One recipient; ``group`` is ``staff`` or the client id they were listed under."""

    name: str
    phone: str  # E.164, or empty when the person has only an email address
    group: str
    line: int = 0
    email: str = ""

    @property
    def masked(self) -> str:
        """The number (or else the address) as it may be printed: ``+44791•••456``."""
        return mask(self.phone) if self.phone else mask_email(self.email)

    def contact(self, channel: str) -> Contact | None:
        """How to reach this person on ``channel``, if they can be."""
        address = self.phone if channel == SMS else self.email
        return Contact(channel, address, self) if address else None


@dataclass(frozen=True)
class Contact:
    """One way of reaching one person: a number (``sms``) or an address (``email``)."""

    channel: str
    address: str
    person: Person

    @property
    def identity(self) -> str:
        """What makes two contacts one delivery: the number, or the address in any case."""
        # The number alone, as before email existed, so the ledger's SMS keys stay the same.
        return self.address if self.channel == SMS else f"mailto:{self.address.casefold()}"

    @property
    def masked(self) -> str:
        """As it may be printed: ``+44791•••456`` or ``f•••@example.com``."""
        return mask(self.address) if self.channel == SMS else mask_email(self.address)


@dataclass(frozen=True)
class Recipients:
    """Everyone who may be texted, and the entries that were skipped (as problems)."""

    staff: tuple[Person, ...] = ()
    clients: Mapping[str, tuple[Person, ...]] = field(default_factory=dict)
    source: str = ""
    problems: tuple[Problem, ...] = ()

    def for_incident(self, incident: Incident) -> list[Person]:
        """Staff, then the incident's clients' stakeholders (every client's if public), each number once."""
        groups = list(self.clients) if PUBLIC in incident.clients else incident.clients
        people = [*self.staff, *(p for g in groups for p in self.clients.get(g, ()))]
        return unique(people)

    def everyone(self) -> list[Person]:
        """Every recipient once."""
        return unique([*self.staff, *(p for group in self.clients.values() for p in group)])

    def contacts_for(self, incident: Incident, channel: str) -> list[Contact]:
        """Who gets the incident's messages on ``channel``, each number or address once."""
        return contacts(self.for_incident(incident), channel)

    def contacts(self, channel: str) -> list[Contact]:
        """Every number (``sms``) or address (``email``) once."""
        return contacts(self.everyone(), channel)


def unique(people: Iterable[Person]) -> list[Person]:
    """The first entry of each number and address: listed twice, a person gets one message."""
    seen: set[str] = set()
    kept = []
    for person in people:
        found = {c.identity for c in (person.contact(SMS), person.contact(EMAIL)) if c is not None}
        if not found <= seen:
            kept.append(person)
        seen |= found
    return kept


def contacts(people: Iterable[Person], channel: str) -> list[Contact]:
    """The people's numbers (``sms``) or addresses (``email``), each once, in order."""
    found: dict[str, Contact] = {}
    for person in people:
        contact = person.contact(channel)
        if contact is not None:
            found.setdefault(contact.identity, contact)
    return list(found.values())


def mask(phone: str) -> str:
    """A number with its middle hidden, enough to recognise it and not to dial it."""
    if len(phone) <= 7:
        return "•" * len(phone)
    return f"{phone[:6]}•••{phone[-3:]}"


def mask_email(address: str) -> str:
    """An address with its local part hidden but its first letter: ``f•••@example.com``."""
    local, at, domain = address.rpartition("@")
    if not at:
        return address[:1] + "•••"
    return f"{local[:1]}•••@{domain}"


def check_email(value: Any) -> str:
    """The address with its domain in lower case, or ValueError saying what is wrong."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("email must be text")
    text = value.strip()
    if not text.isascii():
        # Non-ASCII addresses need SMTPUTF8, which many relays refuse.
        raise ValueError(f"email {mask_email(text)} is not plain ASCII")
    try:
        address = Address(addr_spec=text)
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise ValueError(f"email {mask_email(text)} is not a valid address") from exc
    domain = address.domain.lower()
    if not address.username or not _DOMAIN.fullmatch(domain):
        raise ValueError(f"email {mask_email(text)} is not a valid address")
    return Address(username=address.username, domain=domain).addr_spec


def check_phone(value: Any) -> str:
    """The number in E.164, or ValueError saying what is wrong (without repeating the number)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("phone must be text")
    # Unquoted, YAML reads +447911123456 as a number and drops the '+'.
    text = f"+{value}" if isinstance(value, int) else value.strip()
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("phone is not an international number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"phone {mask(text)} is not a valid number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _people(items: Any, group: str, shown: str, line: int, problems: list[Problem]) -> list[Person]:
    where = "staff" if group == "staff" else f"clients.{group}"
    if items is None:
        return []
    if not isinstance(items, LinedList):
        problems.append(Problem(shown, line, f"{where} must be a list of people",
                                "write '- {name: …, phone: …}' items under it"))
        return []
    people = []
    for index, entry in enumerate(items):
        at = items.line_of(index)
        if not isinstance(entry, LinedDict) or not isinstance(entry.get("name"), str | int):
            problems.append(Problem(shown, at, f"an entry of {where} needs a name and a phone or an email",
                                    "write {name: Fiona Drummond, phone: '+447911123456'}"))
            continue
        person = _person(entry, group, f"for {str(entry['name']).strip()} in {where}", shown, at, problems)
        if person is not None:
            people.append(person)
    return people


def _person(entry: LinedDict, group: str, who: str, shown: str, at: int,
            problems: list[Problem]) -> Person | None:
    for key in entry:
        if key not in _FIELDS:
            hint = "use name, phone and email" + suggestion(str(key), _FIELDS)
            problems.append(Problem(shown, entry.line_of(key), f"unknown key {key!r} {who}", hint,
                                    warning=True))
    if entry.get("phone") is None and entry.get("email") is None:
        problems.append(Problem(shown, at, f"no phone and no email {who}; skipped",
                                f"add phone: {_EXAMPLE} or email: name@example.com"))
        return None
    phone = _checked(entry, "phone", check_phone, who, shown, problems, f"write it as {_EXAMPLE}")
    email = _checked(entry, "email", check_email, who, shown, problems, "write it as name@example.com")
    if not phone and not email:
        return None
    return Person(str(entry["name"]).strip(), phone, group, at, email)


def _checked(entry: LinedDict, key: str, check: Callable[[Any], str], who: str, shown: str,
             problems: list[Problem], hint: str) -> str:
    """The checked value of ``key``; empty when absent, or when wrong (and then a problem)."""
    if entry.get(key) is None:
        return ""
    try:
        return check(entry[key])
    except ValueError as exc:
        problems.append(Problem(shown, entry.line_of(key), f"{exc} {who}; skipped", hint))
        return ""


def parse_recipients(text: str, shown: str, known_clients: Collection[str] = ()) -> Recipients:
    """Recipients from the text of the file; a bad entry is a problem and is skipped, not fatal."""
    data = load_yaml(text, shown)
    problems: list[Problem] = []
    if data is None:
        return Recipients(source=shown)
    if not isinstance(data, LinedDict):
        raise InputError([Problem(shown, 1, "recipients must be a mapping with staff: and clients:",
                                  "see the example at the top of generator/recipients.py")])
    for key in data:
        if key not in ("staff", "clients"):
            problems.append(Problem(shown, data.line_of(key), f"unknown key {key!r}",
                                    "use staff: and clients:" + suggestion(key, ("staff", "clients"))))
    staff = _people(data.get("staff"), "staff", shown, data.line_of("staff"), problems)
    clients: dict[str, tuple[Person, ...]] = {}
    raw = data.get("clients") or LinedDict()
    if not isinstance(raw, LinedDict):
        problems.append(Problem(shown, data.line_of("clients"), "clients must map client ids to lists",
                                "write 'dlca:' then '- {name: …, phone: …}' items"))
        raw = LinedDict()
    for client_id, items in raw.items():
        if known_clients and client_id not in known_clients:
            hint = "check the id" + suggestion(client_id, known_clients)
            problems.append(Problem(shown, raw.line_of(client_id), f"client {client_id!r} is not in "
                                    "incidents/clients.yml", hint, warning=True))
        clients[str(client_id)] = tuple(_people(items, str(client_id), shown, raw.line_of(client_id),
                                                problems))
    return Recipients(tuple(staff), clients, shown, tuple(problems))


def recipients_path(settings: Settings, env: Mapping[str, str] | None = None) -> Path | None:
    """``SITREP_RECIPIENTS``, or ``.sitrep/recipients.yml`` on a developer's machine if it exists."""
    env = os.environ if env is None else env
    if env.get("SITREP_RECIPIENTS"):
        return Path(env["SITREP_RECIPIENTS"])
    if is_ci(env):
        raise StopRun("SITREP_RECIPIENTS is not set (in CI, write the recipients file from a "
                      "secret and set SITREP_RECIPIENTS to its path)")
    local = settings.state_dir / LOCAL_FILE
    return local if local.exists() else None


def load_recipients(settings: Settings, env: Mapping[str, str] | None = None,
                    known_clients: Collection[str] = ()) -> Recipients:
    """The recipients for this run; on a developer's machine with no file, nobody (and a warning)."""
    path = recipients_path(settings, env)
    if path is None:
        hint = f"set SITREP_RECIPIENTS, or write {display_path(settings.state_dir / LOCAL_FILE)}"
        return Recipients(problems=(Problem("SITREP_RECIPIENTS", 0, "not set: nobody will be texted",
                                            hint, warning=True),))
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StopRun(f"{shown}: cannot read the recipients file ({exc.strerror}; check "
                      "SITREP_RECIPIENTS)") from exc
    return parse_recipients(text, shown, known_clients)
