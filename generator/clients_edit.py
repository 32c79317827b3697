"""Adding components to a client in clients.yml, leaving every other line (and comment) as it was."""

from __future__ import annotations

import json
import re

import yaml

from .errors import SitrepError
from .load import parse_clients
from .yamlsource import LinedDict, LineLoader, load_yaml

_BLOCK_KEY = re.compile(r"^\s*components:\s*(#.*)?$")


def scalar(text: str) -> str:
    """``text`` as a YAML value: plain where it reads back unchanged, else double-quoted."""
    try:
        plain = text == text.strip() and "\n" not in text and yaml.load(text, Loader=LineLoader) == text
    except yaml.YAMLError:
        plain = False
    # JSON's double-quoted strings are valid YAML, escapes included.
    return text if plain else json.dumps(text, ensure_ascii=False)


def component_lines(components: dict[str, str], indent: int = 4) -> list[str]:
    """``id: name`` lines as they stand under ``components:`` in clients.yml."""
    # An id such as 'on' or 'no' must be quoted, or YAML reads it as true or false.
    return [f"{' ' * indent}{scalar(cid)}: {scalar(name)}" for cid, name in components.items()]


def add_components(text: str, client_id: str, new: dict[str, str], shown: str) -> str:
    """The text of clients.yml with ``new`` components added under ``client_id``."""
    data = load_yaml(text, shown)
    entry = data.get(client_id) if isinstance(data, LinedDict) else None
    if not isinstance(entry, LinedDict):
        raise SitrepError(f"{shown}: no client {client_id!r} to add components to "
                          "(add the client with its name first)")
    lines = text.split("\n")
    key_indent = _indent(lines[entry.line - 1])
    if "components" not in entry:
        client_row = data.line_of(client_id) - 1
        at = _block_end(lines, client_row, _indent(lines[client_row]))
        added = [" " * key_indent + "components:", *component_lines(new, key_indent + 2)]
    else:
        row = entry.line_of("components") - 1
        if not _BLOCK_KEY.match(lines[row]):
            raise SitrepError(f"{shown}:{row + 1}: the components of {client_id!r} are written on one "
                              "line (write one per line, e.g. '    email: Email', or add them by hand)")
        existing = entry["components"]
        indent = _indent(lines[existing.line - 1]) if isinstance(existing, LinedDict) and existing \
            else key_indent + 2
        at = _block_end(lines, row, key_indent)
        added = component_lines(new, indent)
    result = "\n".join(lines[:at] + added + lines[at:])
    _check(result, client_id, new, shown)
    return result


def _check(text: str, client_id: str, new: dict[str, str], shown: str) -> None:
    """Refuse to write a clients.yml that does not read back with the new components."""
    clients, problems = parse_clients(text, shown)
    client = clients.get(client_id)
    if problems or client is None or any(client.components.get(c) != n for c, n in new.items()):
        raise SitrepError(f"{shown}: could not add the components safely; add these lines by hand "
                          f"under the components of {client_id!r}:\n" + "\n".join(component_lines(new)))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """The index after the last line below ``start`` that is indented deeper than ``indent``."""
    end = start + 1
    for index in range(start + 1, len(lines)):
        if not lines[index].strip():
            continue
        if _indent(lines[index]) <= indent:
            break
        end = index + 1
    return end
