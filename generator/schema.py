"""The incident front-matter schema, declared once: one line per field, read everywhere."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .model import INCIDENT_STATUSES, MAINTENANCE_STATUSES, SEVERITIES
from .times import TimeError, parse_time


class FieldError(ValueError):
    """A value of the wrong shape; ``hint`` says how to write it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def text_line(value: Any) -> str:
    """One line of non-empty text (numbers are accepted as text)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldError(f"must be text, not {type_name(value)}", "write it on one line")
    text = str(value).strip()
    if not text:
        raise FieldError("is empty", "write a short line of text")
    return text


MAX_TITLE = 100


def title(value: Any) -> str:
    """One line of at most MAX_TITLE characters: it leads every SMS."""
    text = text_line(value)
    if "\n" in text:
        raise FieldError("has a line break", "write the title on one line")
    if len(text) > MAX_TITLE:
        raise FieldError(f"is {len(text)} characters long",
                         f"shorten it to {MAX_TITLE}; put the detail in the body")
    return text


def client_ids(value: Any) -> tuple[str, ...]:
    """A client id, a list of them, or ``public``."""
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) and v.strip() for v in items):
        raise FieldError(f"must be a client id or a list of them, not {type_name(value)}",
                         "e.g. client: dlca (quote ids such as 'no' or 'on')")
    return tuple(v.strip() for v in items)


def severity(value: Any) -> str:
    """One of SEVERITIES."""
    if value not in SEVERITIES:
        raise FieldError(f"unknown severity {value!r}", "use one of: " + ", ".join(SEVERITIES)
                         + suggestion(value, SEVERITIES))
    return str(value)


def id_list(value: Any) -> tuple[str, ...]:
    """A list of ids (a single id is accepted as a list of one)."""
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) and v.strip() for v in items):
        raise FieldError(f"must be a list of component ids, not {type_name(value)}",
                         "e.g. components: [remote-access, email]")
    return tuple(v.strip() for v in items)


def moment(value: Any) -> datetime:
    """An ISO 8601 time with a UTC offset."""
    try:
        return parse_time(value)
    except TimeError as exc:
        raise FieldError(str(exc), exc.hint) from exc


def flag(value: Any) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise FieldError(f"must be true or false, not {value!r}", "write drill: true")
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
        raise FieldError(f"must be a mapping, not {type_name(value)}", "see the README for review:")
    return value


@dataclass(frozen=True)
class Field:
    """One front-matter field: whether it is required and how its value is read."""

    read: Callable[[Any], Any]
    required: bool = False


INCIDENT_FIELDS: dict[str, Field] = {
    "title": Field(title, required=True),
    "client": Field(client_ids, required=True),
    "severity": Field(severity, required=True),
    "components": Field(id_list),
    "started": Field(moment, required=True),
    "eta": Field(moment),
    "drill": Field(flag),
    "updates": Field(updates_list, required=True),
    "review": Field(mapping),
}

UPDATE_FIELDS: dict[str, Field] = {
    "at": Field(moment, required=True),
    "status": Field(text_line, required=True),
    "message": Field(text_line, required=True),
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


def type_name(value: Any) -> str:
    """How a YAML user would call this value's type."""
    if value is None:
        return "nothing"
    names = {bool: "true/false", int: "a number", float: "a number", str: "text",
             list: "a list", dict: "a mapping"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__
