"""Reading incident files and clients.yml into the model, with every problem found on the way."""

from __future__ import annotations

import errno
import os
import re
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import InputError, Problem, display_path
from .model import (
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
    PUBLIC,
    SEVERITIES,
    Client,
    Incident,
    Review,
    ReviewAction,
    Update,
)
from .schema import (
    ACTION_FIELDS,
    INCIDENT_FIELDS,
    REVIEW_FIELDS,
    UPDATE_FIELDS,
    Field,
    FieldError,
    moment,
    one_of,
    short_repr,
    statuses_for,
    suggestion,
    type_name,
)
from .yamlsource import LinedDict, LinedList, load_yaml

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID = 80


# A line that closes front matter: '---' or '...', then only whitespace (what str.rstrip drops).
_CLOSING = re.compile(r"\n(?:---|\.\.\.)[^\S\n]*(?=\n|\Z)")


def front_matter_bounds(text: str) -> tuple[str, str, int]:
    """Front matter, body, and the line of the closing ``---``; ValueError when a line is missing.

    The same as splitting the text into lines and looking for the first line after the first
    that is '---' or '...' once stripped, by one regex search from newline to newline. Not
    python-frontmatter's split: its boundary regex may swallow a blank line after the opening
    ``---``, which would shift every reported line by one.
    """
    first_end = text.find("\n")
    if text[: first_end if first_end >= 0 else len(text)].rstrip() != "---":
        raise ValueError("no opening ---")
    closing = _CLOSING.search(text, first_end) if first_end >= 0 else None
    if closing is None:
        raise ValueError("no closing ---")
    after = closing.end() + 1  # past the newline that ends the closing line, if any
    line = text.count("\n", 0, closing.start()) + 2
    return text[first_end + 1 : closing.start()], text[after:], line



def read_text(path: Path, shown: str) -> str:
    """The file as UTF-8 text, or InputError naming the line of the first bad byte."""
    # Reading a named pipe or a device would wait, or read, for ever. One stat: a path that
    # cannot be stat'ed is left to read_bytes, whose error says why.
    try:
        mode: int | None = path.stat().st_mode
    except OSError:
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise InputError([Problem(shown, 0, "not a regular file", "give the path of an incident file")])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([_unreadable(path, shown, exc)]) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError([Problem(shown, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x})",
                                  "save the file as UTF-8 in your editor")]) from exc


def _unreadable(path: Path, shown: str, exc: OSError) -> Problem:
    """Why a file cannot be read, in words, with what to do about it."""
    if exc.errno == errno.ENOENT and path.is_symlink():
        return Problem(shown, 0, "a symbolic link to a file that does not exist",
                       "point it at an incident file, or delete it")
    reasons = {
        errno.ENOENT: ("no such file", "check the path; incident files are incidents/<id>.md"),
        errno.EISDIR: ("a folder, not a file", "give the path of an incident file"),
        errno.ELOOP: ("a symbolic link that points back to itself", "replace it with the file"),
        errno.EACCES: ("cannot be read: permission denied", f"make it readable: chmod a+r {shown}"),
    }
    message, hint = reasons.get(exc.errno or 0, (f"cannot be read ({exc.strerror})",
                                                "check the file and its permissions"))
    return Problem(shown, 0, message, hint)


def split_front_matter(text: str, shown: str) -> tuple[str, str, int]:
    """Front matter, body and the line of the closing ``---``."""
    if not text.strip():
        raise InputError([Problem(shown, 1, "the file is empty",
                                  "start it with front matter, or write it with sitrep new")])
    text = text.removeprefix("\ufeff")
    try:
        fm, body, closing = front_matter_bounds(text)
    except ValueError as exc:
        if text.split("\n", 1)[0].rstrip() != "---":
            problem = Problem(shown, 1, "no front matter",
                              "the first line must be '---', then the fields, then '---'")
        else:
            problem = Problem(shown, 1, "front matter is not closed",
                              "end the fields with a line '---' before the text")
        raise InputError([problem]) from exc
    return fm, body, closing


def _read_fields(data: LinedDict, spec: dict[str, Field], shown: str, prefix: str,
                 problems: list[Problem]) -> dict[str, Any]:
    """Each known field read through the schema; unknown and missing ones reported."""
    values: dict[str, Any] = {}
    for key, raw in data.items():
        line = data.line_of(key)
        if key not in spec:
            hint = suggestion(key, spec).removeprefix("; ")
            problems.append(Problem(shown, line, f"{prefix}unknown field {short_repr(key)}",
                                    hint or "known fields: " + ", ".join(spec)))
            continue
        try:
            values[key] = spec[key].read(raw)
        except FieldError as exc:
            problems.append(Problem(shown, line, f"{prefix}{'' if exc.whole else f'{key} '}{exc}", exc.hint))
    for key, rule in spec.items():
        if rule.required and key not in data:
            problems.append(Problem(shown, data.line, f"{prefix}missing required field {key!r}",
                                    rule.missing))
    return values


def _read_updates(raw: LinedList, severity: str | None, shown: str,
                  problems: list[Problem]) -> list[Update]:
    updates = []
    for index, item in enumerate(raw):
        line, prefix = raw.line_of(index), f"update {index + 1}: "
        if not isinstance(item, LinedDict):
            problems.append(Problem(shown, line, f"update {index + 1} must be a mapping, "
                                    f"not {type_name(item)}", "write '- at: …' with status "
                                    "and message on the lines below, indented"))
            continue
        values = _read_fields(item, UPDATE_FIELDS, shown, prefix, problems)
        status = values.get("status")
        if status is not None and (problem := _status_problem(status, severity)):
            problems.append(Problem(shown, item.line_of("status"), prefix + problem[0], problem[1]))
            continue
        if len(values) == len(UPDATE_FIELDS):
            updates.append(Update(values["at"], str(status), values["message"], line))
    return updates


def _status_problem(status: str, severity: str | None) -> tuple[str, str] | None:
    """Message and hint when ``status`` does not fit an incident of ``severity``."""
    known = INCIDENT_STATUSES + MAINTENANCE_STATUSES
    allowed = statuses_for(severity or "")
    # With no valid severity (reported already), only a status nothing can have is wrong.
    if status in allowed or (severity not in SEVERITIES and status in known):
        return None
    if status in known:
        other = "incidents" if severity == "maintenance" else "maintenance"
        return f"status {status!r} is for {other}", f"this is severity: {severity}; use {one_of(allowed)}"
    return (f"unknown status {short_repr(status)}",
            suggestion(status, allowed).removeprefix("; ") or f"use {one_of(allowed)}")


def _read_review(raw: LinedDict, shown: str, problems: list[Problem]) -> Review:
    for key in raw:
        if key not in REVIEW_FIELDS:
            problems.append(Problem(shown, raw.line_of(key), f"review: unknown field {short_repr(key)}",
                                    suggestion(key, REVIEW_FIELDS).removeprefix("; ")
                                    or "known fields: " + ", ".join(REVIEW_FIELDS)))
    return Review(
        held_on=_optional_time(raw, "held_on", "review: ", shown, problems),
        attendees=_texts(raw.get("attendees")),
        went_well=_texts(raw.get("went_well")),
        to_improve=_texts(raw.get("to_improve")),
        actions=_read_actions(raw, shown, problems),
    )


def _read_actions(review: LinedDict, shown: str, problems: list[Problem]) -> tuple[ReviewAction, ...]:
    raw = review.get("actions")
    if raw is None:
        return ()
    if not isinstance(raw, LinedList):
        problems.append(Problem(shown, review.line_of("actions"),
                                f"review: actions must be a list, not {type_name(raw)}",
                                "write '- action: …' items with owner, due and done"))
        return ()
    actions = []
    for index, item in enumerate(raw):
        prefix = f"review action {index + 1}: "
        if not isinstance(item, LinedDict) or item.get("action") is None:
            problems.append(Problem(shown, raw.line_of(index), f"{prefix}missing required field 'action'",
                                    "write '- action: …' with owner, due and done"))
            continue
        for key in item:
            if key not in ACTION_FIELDS:
                problems.append(Problem(shown, item.line_of(key), f"{prefix}unknown field "
                                        f"{short_repr(key)}", "known fields: " + ", ".join(ACTION_FIELDS)))
        due = _optional_time(item, "due", prefix, shown, problems)
        actions.append(ReviewAction(str(item["action"]), str(item.get("owner") or ""), due,
                                    item.get("done") is True))
    return tuple(actions)


def _optional_time(data: LinedDict, key: str, prefix: str, shown: str,
                   problems: list[Problem]) -> datetime | None:
    if data.get(key) is None:
        return None
    try:
        return moment(data[key])
    except FieldError as exc:
        problems.append(Problem(shown, data.line_of(key), f"{prefix}{key} {exc}", exc.hint))
        return None


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(str(v) for v in items)


def check_id(path: Path, shown: str) -> list[Problem]:
    """Problems with the file name, which is the incident's id."""
    stem = path.stem
    if ID_PATTERN.match(stem) and len(stem) <= MAX_ID:
        return []
    fixed = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:MAX_ID].strip("-") or "incident"
    return [Problem(shown, 1, f"file name {path.name!r} is not a valid incident id",
                    f"rename it to lowercase letters, digits and hyphens, at most {MAX_ID} "
                    f"characters, e.g. {fixed}.md")]


def parse_incident(path: Path, text: str, shown: str | None = None) -> tuple[Incident | None,
                                                                             list[Problem]]:
    """One incident from its text, or None and the problems that prevent reading it."""
    shown = shown or display_path(path)
    # A bad file name is reported, but the content is still read and checked.
    id_problems = check_id(path, shown)
    try:
        fm, body, _ = split_front_matter(text, shown)
        data = load_yaml(fm, shown, first_line=2)
    except InputError as exc:
        return None, id_problems + exc.problems
    if not isinstance(data, LinedDict):
        return None, [*id_problems, _not_fields(data, shown)]
    problems: list[Problem] = []
    values = _read_fields(data, INCIDENT_FIELDS, shown, "", problems)
    updates: list[Update] = []
    if isinstance(data.get("updates"), LinedList):
        updates = _read_updates(data["updates"], values.get("severity"), shown, problems)
    review = None
    if isinstance(values.get("review"), LinedDict):
        review = _read_review(values["review"], shown, problems)
    if problems or not updates:
        return None, id_problems + problems
    incident = Incident(
        id=path.stem, path=shown, title=values["title"], clients=values["client"],
        severity=values["severity"], started=values["started"], updates=tuple(updates),
        components=values.get("components", ()), eta=values.get("eta"),
        drill=values.get("drill", False), body=body.strip("\n"), review=review,
        lines={str(key): line for key, line in data.lines.items()},
    )
    return incident, id_problems


def _not_fields(data: Any, shown: str) -> Problem:
    if data is None:
        return Problem(shown, 2, "front matter is empty",
                       "write title, client, severity, started and updates between the '---' lines")
    return Problem(shown, 2, f"front matter is {type_name(data)}, not a set of fields",
                   "write the fields as 'name: value' lines between the '---' lines")


def load_incident(path: Path, shown: str | None = None) -> tuple[Incident | None, list[Problem]]:
    """One incident file from disk."""
    shown = shown or display_path(path)
    try:
        text = read_text(path, shown)
    except InputError as exc:
        return None, check_id(path, shown) + exc.problems
    return parse_incident(path, text, shown)


def parse_clients(text: str, shown: str) -> tuple[dict[str, Client], list[Problem]]:
    """Clients and their components from the text of clients.yml."""
    try:
        data = load_yaml(text, shown)
    except InputError as exc:
        return {}, exc.problems
    if data is None:
        return {}, []
    if not isinstance(data, LinedDict):
        return {}, [Problem(shown, 1, f"clients.yml must map client ids to clients, not {type_name(data)}",
                            "write 'dlca:' then an indented 'name:' and 'components:'")]
    clients: dict[str, Client] = {}
    problems: list[Problem] = []
    for client_id, entry in data.items():
        client = _read_client(client_id, entry, data.line_of(client_id), shown, problems)
        if client:
            clients[client.id] = client
    return clients, problems


def _read_client(client_id: Any, entry: Any, line: int, shown: str,
                 problems: list[Problem]) -> Client | None:
    if problem := _client_id_problem(client_id, shown, line):
        problems.append(problem)
        return None
    name = entry.get("name") if isinstance(entry, LinedDict) else None
    if not isinstance(entry, LinedDict) or not isinstance(name, str) or not name.strip():
        problems.append(Problem(shown, line, f"client {client_id!r} has no name",
                                f"write '  name: Full name of {client_id}' under it"))
        return None
    for key in entry:
        if key not in ("name", "components"):
            hint = suggestion(key, ("name", "components")).removeprefix("; ")
            problems.append(Problem(shown, entry.line_of(key), f"client {client_id!r}: unknown field "
                                    f"{short_repr(key)}", hint or "known fields: name, components"))
    return Client(client_id, name.strip(), _read_components(client_id, entry, shown, problems), line)


def _client_id_problem(client_id: Any, shown: str, line: int) -> Problem | None:
    if isinstance(client_id, bool | int | float) or client_id is None:
        return Problem(shown, line, f"client id is read as {type_name(client_id)}, not text",
                       "YAML reads no, yes, on, off and numbers as values; quote the id, e.g. 'no':")
    if not isinstance(client_id, str) or not ID_PATTERN.match(client_id):
        return Problem(shown, line, f"client id {short_repr(client_id)} is not valid",
                       "use lowercase letters, digits and hyphens, e.g. dlca or harbour-bay")
    if client_id == PUBLIC:
        return Problem(shown, line, "'public' is reserved for incidents everyone may read",
                       "choose another client id")
    return None


def _read_components(client_id: str, entry: LinedDict, shown: str,
                     problems: list[Problem]) -> dict[str, str]:
    raw = entry.get("components")
    if raw is None:
        return {}
    if not isinstance(raw, LinedDict):
        problems.append(Problem(shown, entry.line_of("components"),
                                f"client {client_id!r}: components must map ids to names, "
                                f"not {type_name(raw)}", "write '    remote-access: Remote Access server'"))
        return {}
    components = {}
    for key, name in raw.items():
        if not isinstance(key, str) or not ID_PATTERN.match(key):
            problems.append(Problem(shown, raw.line_of(key), f"client {client_id!r}: component id "
                                    f"{short_repr(key)} is not valid",
                                    "use lowercase letters, digits and hyphens, e.g. remote-access"))
        elif not isinstance(name, str) or not name.strip():
            problems.append(Problem(shown, raw.line_of(key), f"client {client_id!r}: component "
                                    f"{key!r} has no name", f"write '    {key}: Name people know it by'"))
        else:
            components[key] = name.strip()
    return components


def load_clients(path: Path) -> tuple[dict[str, Client], list[Problem]]:
    """clients.yml from disk; a missing file means no clients (only public incidents)."""
    shown = display_path(path)
    if not path.exists():
        return {}, []
    try:
        text = read_text(path, shown)
    except InputError as exc:
        return {}, exc.problems
    return parse_clients(text, shown)


def incident_files(folder: Path) -> list[Path]:
    """Every incident file under ``folder`` (subfolders such as years included), sorted."""
    # Anything named *.md that is not a folder: a broken link or an unreadable file is
    # reported when it is read, rather than silently left out of the site. The same list as
    # ``folder.rglob("*.md")`` without folders gives, from one scandir per folder whose entries
    # know their type (rglob scanned each folder twice and stat'ed every file again).
    found: list[Path] = []
    _collect(folder, found)
    return sorted(found)


def _collect(directory: Path, found: list[Path]) -> None:
    try:
        with os.scandir(directory) as scan:
            entries = list(scan)
    except PermissionError:
        return
    for entry in entries:
        try:
            is_dir = entry.is_dir()  # follows a symbolic link, as Path.is_dir does
        except OSError:
            is_dir = False
        if is_dir and not entry.is_symlink():  # rglob does not descend through links
            _collect(directory / entry.name, found)
        if not is_dir and os.path.normcase(entry.name).endswith(".md"):
            found.append(directory / entry.name)
