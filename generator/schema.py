"""The incident front-matter schema, declared once: one line per field, read everywhere."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .model import INCIDENT_STATUSES, MAINTENANCE_STATUSES, SEVERITIES
from .times import EXAMPLE, TimeError, parse_time


class FieldError(ValueError):
    """A value of the wrong shape; ``hint`` says how to write it.

    The message follows the field's name (``title`` + ``is empty``) unless ``whole`` says
    it names the field itself (``unknown severity 'majr'``).
    """

    def __init__(self, message: str, hint: str, whole: bool = False) -> None:
        super().__init__(message)
        self.hint = hint
        self.whole = whole


def text_line(value: Any) -> str:
    """Non-empty text; YAML's numbers and true/false are refused, as they do not read back as typed."""
    if value is not None and not isinstance(value, str):
        raise FieldError(*_not_text(value))
    text = (value or "").strip()
    if not text:
        raise FieldError("is empty", "write a short line of text")
    return text


def _not_text(value: Any) -> tuple[str, str]:
    """Message and hint for a value YAML read as something other than text."""
    if isinstance(value, bool | int | float):
        return (f"is read as {type_name(value)}, not text",
                "put it in quotes so that YAML keeps it as written")
    return f"must be text, not {type_name(value)}", "write the text on the same line, after the ':'"


MAX_TITLE = 100


def title(value: Any) -> str:
    """One line of at most MAX_TITLE characters: it leads every SMS."""
    text = text_line(value)
    if "\n" in text or "\r" in text:
        raise FieldError("has a line break", "write the title on one line; put the detail in the body")
    if len(text) > MAX_TITLE:
        raise FieldError(f"is {len(text)} characters long",
                         f"shorten it to {MAX_TITLE}; put the detail in the body")
    return text


def _ids(value: Any, key: str, what: str, example: str) -> tuple[str, ...]:
    """A non-empty id or list of non-empty ids, each as text."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise FieldError("is an empty list", f"name at least one, e.g. {example}")
    for item in items:
        if item is None:
            raise FieldError("is empty", f"e.g. {example}")
        if isinstance(item, bool):
            raise FieldError(f"is read as {type_name(item)}, not {what}",
                             f"YAML reads no, yes, on and off as false or true; quote the id: {key}: 'no'")
        if not isinstance(item, str) or not item.strip():
            raise FieldError(f"must be {what} or a list of them, not {type_name(item)}",
                             f"e.g. {example}")
    return tuple(item.strip() for item in items)


def client_ids(value: Any) -> tuple[str, ...]:
    """A client id, a list of them, or ``public``."""
    return _ids(value, "client", "a client id", "client: dlca, or client: [dlca, hbs], or client: public")


def id_list(value: Any) -> tuple[str, ...]:
    """A list of ids (a single id is accepted as a list of one)."""
    return _ids(value, "components", "a component id", "components: [remote-access, email]")


def severity(value: Any) -> str:
    """One of SEVERITIES."""
    if not isinstance(value, str):
        raise FieldError(f"must be {one_of(SEVERITIES)}, not {type_name(value)}", "write severity: major")
    if value not in SEVERITIES:
        hint = suggestion(value, SEVERITIES).removeprefix("; ") or f"use {one_of(SEVERITIES)}"
        raise FieldError(f"unknown severity {short_repr(value)}", hint, whole=True)
    return value


def moment(value: Any) -> datetime:
    """An ISO 8601 time with a UTC offset."""
    try:
        return parse_time(value)
    except TimeError as exc:
        raise FieldError(exc.predicate, exc.hint) from exc


def flag(value: Any) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise FieldError(f"must be true or false, not {short_repr(value)}",
                         "write drill: true, or remove the line")
    return value


def updates_list(value: Any) -> list[Any]:
    """A non-empty list (its items are checked one by one by the loader)."""
    if not isinstance(value, list):
        raise FieldError(f"must be a list of updates, not {type_name(value)}",
                         "write '- at: …' items with status and message under updates:")
    if not value:
        raise FieldError("is empty", "add at least one update with at, status and message")
    return value


def mapping(value: Any) -> dict[str, Any]:
    """A mapping of named fields."""
    if not isinstance(value, dict):
        raise FieldError(f"must be a mapping, not {type_name(value)}",
                         "write held_on, attendees, went_well, to_improve and actions under it")
    return value


@dataclass(frozen=True)
class Field:
    """One front-matter field: how its value is read, and what to add when a required one is missing."""

    read: Callable[[Any], Any]
    missing: str = ""  # the hint when absent; a field with one is required

    @property
    def required(self) -> bool:
        """Whether every incident (or update) must have this field."""
        return bool(self.missing)


INCIDENT_FIELDS: dict[str, Field] = {
    "title": Field(title, missing="add title: one line saying what is broken"),
    "client": Field(client_ids, missing="add client: an id from incidents/clients.yml, or public"),
    "severity": Field(severity, missing="add severity: critical, major, minor or maintenance"),
    "components": Field(id_list),
    "started": Field(moment, missing=f"add started: {EXAMPLE}"),
    "eta": Field(moment),
    "drill": Field(flag),
    "updates": Field(updates_list, missing="add updates: with a '- at: …' item, its status and message"),
    "review": Field(mapping),
}

UPDATE_FIELDS: dict[str, Field] = {
    "at": Field(moment, missing="add at: 2017-08-14T08:20:00+01:00"),
    "status": Field(text_line, missing="add status: investigating, identified, monitoring or resolved "
                    "(maintenance: scheduled, in_progress or completed)"),
    "message": Field(text_line, missing="add message: what stakeholders should know"),
}

REVIEW_FIELDS = ("held_on", "attendees", "went_well", "to_improve", "actions")
ACTION_FIELDS = ("action", "owner", "due", "done")


def statuses_for(severity_value: str) -> tuple[str, ...]:
    """The statuses an update may have for an incident of this severity."""
    return MAINTENANCE_STATUSES if severity_value == "maintenance" else INCIDENT_STATUSES


def suggestion(word: Any, choices: Any) -> str:
    """``; did you mean 'x'?`` when ``word`` is close to one of ``choices``, else ``''``."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def one_of(choices: tuple[str, ...]) -> str:
    """``a, b or c``: the choices as a sentence."""
    return ", ".join(choices[:-1]) + " or " + choices[-1] if len(choices) > 1 else choices[0]


def short_repr(value: Any) -> str:
    """The value as YAML showed it, cut to a readable length."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def type_name(value: Any) -> str:
    """How a YAML user would call this value's type."""
    if value is None:
        return "nothing"
    names = {bool: f"{str(value).lower()}", int: "a number", float: "a number", str: "text",
             list: "a list", dict: "a mapping"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__
