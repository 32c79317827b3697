"""YAML that remembers where each key and item came from, so every problem can name its line."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

import yaml

from .errors import InputError, Problem

# The C parser is five times faster; fall back to pure Python where libyaml is missing.
_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class LinedDict(dict[Any, Any]):
    """A mapping with ``line`` (where it starts) and ``lines`` (the line of each key)."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        """The line of ``key``, or of the mapping itself when the key is absent."""
        return self.lines.get(key, self.line)


class LinedList(list[Any]):
    """A sequence with ``line`` and the line of each item in ``lines``."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []

    def line_of(self, index: int) -> int:
        """The line of item ``index``."""
        return self.lines[index] if index < len(self.lines) else self.line


class DuplicateKey(yaml.YAMLError):
    """YAML silently keeps the last of two equal keys; a status file must not."""

    def __init__(self, key: str, line: int, first: int) -> None:
        super().__init__(f"duplicate key {key!r} (first at line {first})")
        self.key, self.line, self.first = key, line, first


class LineLoader(_BaseLoader):  # type: ignore[misc]
    """Safe loader that builds LinedDict/LinedList and leaves timestamps as text.

    Times stay strings so that one parser (``times.parse_time``) decides what is valid
    and says so with the same words wherever a time is written.
    """

    yaml_implicit_resolvers = {  # noqa: RUF012 - the class attribute PyYAML reads
        first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }


def _construct_map(loader: Any, node: yaml.MappingNode) -> Iterator[LinedDict]:
    data = LinedDict()
    data.line = node.start_mark.line + 1
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain word", key_node.start_mark
            )
        line = key_node.start_mark.line + 1
        if key in data:
            raise DuplicateKey(str(key), line, data.lines[key])
        data[key] = loader.construct_object(value_node, deep=True)
        data.lines[key] = line


def _construct_seq(loader: Any, node: yaml.SequenceNode) -> Iterator[LinedList]:
    data = LinedList()
    data.line = node.start_mark.line + 1
    yield data
    for item in node.value:
        data.append(loader.construct_object(item, deep=True))
        data.lines.append(item.start_mark.line + 1)


def _construct_timestamp_as_text(loader: Any, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
LineLoader.add_constructor(_TIMESTAMP, _construct_timestamp_as_text)


def load_yaml(text: str, path: str, first_line: int = 1) -> Any:
    """Parse ``text`` (which starts at ``first_line`` of ``path``) or raise InputError."""
    # Leading newlines make every mark a line number of the whole file.
    padded = "\n" * (first_line - 1) + text
    try:
        return yaml.load(padded, Loader=LineLoader)
    except DuplicateKey as exc:
        raise InputError(
            [Problem(path, exc.line, f"duplicate key {exc.key!r}",
                     f"it is already set at line {exc.first}; keep one")]
        ) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1) if mark else first_line
        what = (exc.problem or "not valid YAML").strip()
        raise InputError(
            [Problem(path, line, f"invalid YAML: {what}",
                     "check the indentation; quote text containing ': ' or starting with a symbol")]
        ) from exc
    except yaml.YAMLError as exc:
        raise InputError(
            [Problem(path, first_line, f"invalid YAML: {exc}", "fix the YAML syntax")]
        ) from exc
