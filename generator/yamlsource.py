"""YAML that remembers where each key and item came from, so every problem can name its line."""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator
from typing import Any

import yaml

from .errors import InputError, Problem

# The C parser is five times faster; fall back to pure Python where libyaml is missing.
_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"

# Front matter needs four levels; libyaml's composer recurses in C and crashes the process
# (no exception) somewhere past ten thousand, so deeper input is refused before composing.
MAX_DEPTH = 50

MAX_INT_BITS = 128

_DEFAULT_HINT = "check the indentation; quote text that contains ': ' or starts with a symbol"


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


class TooDeep(yaml.YAMLError):
    """Nesting deeper than any incident file needs (and than the parser can survive)."""

    def __init__(self, line: int) -> None:
        super().__init__(f"nested more than {MAX_DEPTH} levels deep")
        self.line = line


class LineLoader(_BaseLoader):  # type: ignore[misc]
    """Safe loader that builds LinedDict/LinedList and leaves timestamps as text.

    Times stay strings so that one parser (``times.parse_time``) decides what is valid
    and says so with the same words wherever a time is written.
    """

    yaml_implicit_resolvers = {  # noqa: RUF012 - the class attribute PyYAML reads
        first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }

    # The composer (in C) calls these three for every node; PyYAML's versions do bookkeeping for
    # path resolvers, which no sitrep loader has, and build a new list per scalar.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Nothing to do without path resolvers."""

    def ascend_resolver(self) -> None:
        """Nothing to do without path resolvers."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        """PyYAML's ``BaseResolver.resolve`` for a loader with neither wildcard nor path resolvers."""
        if kind is yaml.ScalarNode and implicit[0]:
            for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                if regexp.match(value):
                    return str(tag)
            return str(self.DEFAULT_SCALAR_TAG)
        return str(super().resolve(kind, value, implicit))

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """PyYAML's, with the errors some values raise (``!!int x``, 5000 digits) given a line."""
        try:
            value = super().construct_object(node, deep=deep)
        except (ValueError, KeyError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {_short(node.value)!r} as {_tag_name(node.tag)}",
                node.start_mark) from exc
        # Python refuses to print an int of over 4,300 digits; no field needs one of 40.
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {_short(node.value)!r} as {_tag_name(node.tag)}",
                node.start_mark)
        return value


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _tag_name(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _expect(node: yaml.Node, kind: type[yaml.Node], what: str) -> None:
    """An explicit tag (``!!seq x``) can put a scalar where a collection is built."""
    if not isinstance(node, kind):
        raise yaml.constructor.ConstructorError(None, None, f"cannot read this as {what}", node.start_mark)


def _construct_map(loader: Any, node: yaml.MappingNode) -> Iterator[LinedDict]:
    _expect(node, yaml.MappingNode, "a mapping")
    data = LinedDict()
    data.line = node.start_mark.line + 1
    yield data
    explicit = sum(1 for key_node, _ in node.value if key_node.tag != _MERGE)
    loader.flatten_mapping(node)
    # Merged keys (``<<: *base``) come first and may be overridden; written keys may not repeat.
    merged = len(node.value) - explicit
    written: set[Any] = set()
    for index, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain word", key_node.start_mark
            )
        line = key_node.start_mark.line + 1
        if key in written:
            raise DuplicateKey(str(key), line, data.lines[key])
        if index >= merged:
            written.add(key)
        data[key] = loader.construct_object(value_node, deep=True)
        data.lines[key] = line


def _construct_seq(loader: Any, node: yaml.SequenceNode) -> Iterator[LinedList]:
    _expect(node, yaml.SequenceNode, "a list")
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


def _check_depth(text: str) -> None:
    """Raise TooDeep when collections nest deeper than MAX_DEPTH (events only: no recursion)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=LineLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise TooDeep(event.start_mark.line + 1 if event.start_mark else 1)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        # PyYAML 6.0.4 has a nesting limit of its own; say it in our words, not its.
        if "nesting depth" in str(exc.problem) and not isinstance(exc, TooDeep):
            raise TooDeep(exc.problem_mark.line + 1 if exc.problem_mark else 1) from exc
        raise


def load_yaml(text: str, path: str, first_line: int = 1) -> Any:
    """Parse ``text`` (which starts at ``first_line`` of ``path``) or raise InputError."""
    # Leading newlines make every mark a line number of the whole file.
    padded = "\n" * (first_line - 1) + text
    try:
        if not _plainly_shallow(padded):
            _check_depth(padded)
        return _load(padded)
    except yaml.YAMLError as exc:
        raise InputError([_yaml_problem(exc, padded, path, first_line)]) from exc


# Anchors, aliases, document markers and directives (see below), line breaks other than "\n",
# which YAML also honours, and a byte-order mark, which takes no column, keep the event pass.
_KEEP_PASS = ("&", "*", "\n---", "\n...", "\n%", "\r", "\x85", "\u2028", "\u2029", "\ufeff")
# What can start a block collection before a line's content: indentation, the indicators
# '- ', '? ', ': ' of compact notation, and an anchor or tag in front of a key.
_LEADING = re.compile(r"^[ \t]*(?:(?:[-?:]|[&!]\S*)(?:[ \t]+|$))*", re.MULTILINE)
# A line whose leading run may hold an anchor or tag; the characters any other run is made of.
_LEAD_MARK = re.compile(r"\n[ \t\-?:]*[&!]")
_LEAD_CHARS = re.compile(r"\n([ \t\-?:]*)")


def _plainly_shallow(text: str) -> bool:
    """True when ``text`` cannot nest deeper than MAX_DEPTH, so the event pass can be skipped.

    The pass costs as much as parsing again. Each block collection starts at its own column
    (an indentless list shares its mapping's), never right of a line's leading run, so block
    nesting is at most twice the widest run plus one; each flow level needs a bracket. Anchors,
    aliases and document markers keep the pass: with them the composer could report another
    error first than the parser would.
    """
    probe = "\n" + text  # a marker on the first line too
    if any([mark in probe for mark in _KEEP_PASS]):  # a list: cheaper than a generator here
        return False
    return 2 * (_widest_lead(probe) + 1) + text.count("[") + text.count("{") <= MAX_DEPTH


def _widest_lead(probe: str) -> int:
    """At least the longest ``_LEADING`` run of any line of ``probe`` (which starts with a newline)."""
    if _LEAD_MARK.search(probe):
        return max((len(m) for m in _LEADING.findall(probe)), default=0)
    # With no anchor or tag in front, every character of a run is one of these; counting them
    # up to the first other character gives a run at least as wide, found by two searches that
    # jump from newline to newline, instead of a regex tried at every position (12 % of loading
    # a file).
    return max(map(len, _LEAD_CHARS.findall(probe)))


def _load(text: str) -> Any:
    """``yaml.load`` with LineLoader, built without PyYAML's generic constructor where it can."""
    loader = LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        # An alias (``*name``) shares a node between places, which only the general path handles.
        if "*" not in text:
            try:
                return _build(loader, node)
            except _Unusual:
                pass
        # Merge keys, tags, duplicates, odd values: the general path, with its errors.
        return loader.construct_document(node)
    finally:
        loader.dispose()


class _Unusual(Exception):
    """A node the direct builder leaves to PyYAML's constructor."""


_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null"))
_STR, _MAP, _SEQ = (f"tag:yaml.org,2002:{t}" for t in ("str", "map", "seq"))


def _build(loader: Any, node: yaml.Node) -> Any:
    """What ``construct_document`` gives for plain data (maps, lists, scalars), about 3x faster."""
    if type(node) is yaml.ScalarNode:
        return node.value if node.tag == _STR else _scalar(loader, node)
    if type(node) is yaml.MappingNode and node.tag == _MAP:
        data = LinedDict()
        data.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            # Merge ('<<') and value ('=') keys have tags of their own, so they are unusual too.
            if type(key_node) is not yaml.ScalarNode:
                raise _Unusual
            key = key_node.value if key_node.tag == _STR else _scalar(loader, key_node)
            if key in data:
                raise _Unusual
            data[key] = _build(loader, value_node)
            data.lines[key] = key_node.start_mark.line + 1
        return data
    if type(node) is yaml.SequenceNode and node.tag == _SEQ:
        items = LinedList()
        items.line = node.start_mark.line + 1
        items.extend(_build(loader, item) for item in node.value)
        items.lines.extend(item.start_mark.line + 1 for item in node.value)
        return items
    raise _Unusual


def _scalar(loader: Any, node: yaml.ScalarNode) -> Any:
    if node.tag not in _SCALAR_TAGS:
        raise _Unusual
    try:
        value = loader.yaml_constructors[node.tag](loader, node)
    except Exception as exc:
        raise _Unusual from exc
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise _Unusual
    return value


def _yaml_problem(exc: yaml.YAMLError, text: str, path: str, first_line: int) -> Problem:
    if isinstance(exc, DuplicateKey):
        return Problem(path, exc.line, f"duplicate key {exc.key!r}",
                       f"it is already set at line {exc.first}; keep one")
    if isinstance(exc, TooDeep):
        return Problem(path, exc.line, f"invalid YAML: nested more than {MAX_DEPTH} levels deep",
                       "incident fields nest at most four levels; check the brackets and indentation")
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character or "\0")
        return Problem(path, line, f"invalid YAML: control character U+{char:04X} in the text",
                       "delete it; it may have come from copying and pasting")
    if isinstance(exc, yaml.MarkedYAMLError):
        return _marked_problem(exc, text, path)
    return Problem(path, first_line, f"invalid YAML: {exc}", _DEFAULT_HINT)


# (words of PyYAML's problem, a clearer message or None to keep PyYAML's, how to fix it)
_EXPLAINED: tuple[tuple[str, str | None, str], ...] = (
    ("mapping values are not allowed", "a ': ' where none is expected",
     "quote text that contains ': ', or check the indentation of this line"),
    ("found unexpected end of stream", "a quoted text is not closed",
     "end it with the same quote mark it starts with"),
    ("did not find expected ',' or ']'", "a '[' list is not closed",
     "close it with ']', or quote text that starts with '['"),
    ("did not find expected ',' or '}'", "a '{' mapping is not closed",
     "close it with '}', or quote text that starts with '{'"),
    ("did not find expected node content", "a value is missing",
     "write a value, or quote text that starts with a symbol"),
    ("did not find expected key", "this line is not in line with the fields above it",
     "fields of one mapping start in the same column; indent the lines of a long text further"),
    ("did not find expected '-' indicator", "this line is not in line with the list above it",
     "items of a list start with '-' in the same column"),
    ("cannot read", None, "quote it to keep it as text, or remove the !! tag"),
    ("expected a", None, "remove the !! tag, or write the value the tag asks for"),
    ("could not find expected ':'", "a line is neither 'name: value' nor part of a text",
     "write name: value, or quote text that spans lines"),
    ("tab character", "a tab in the indentation", "indent with spaces, not tabs"),
    ("undefined alias", "'*' refers to an anchor that is not defined",
     "quote text that starts with '*'"),
    ("recursive node", "an alias refers to itself", "remove the anchor (&) or the alias (*)"),
    ("a key must be a plain word", None, "write keys as plain words followed by ':'"),
)


def _marked_problem(exc: yaml.MarkedYAMLError, text: str, path: str) -> Problem:
    problem = (exc.problem or "not valid YAML").strip()
    context = exc.context or ""
    # Where an opening bracket or quote is never closed, the start is what the user must find.
    use_context = context.startswith(("while scanning a quoted", "while parsing a flow",
                                       "while scanning a simple key"))
    mark = (exc.context_mark if use_context else None) or exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    if "cannot start any token" in problem and mark is not None:
        return _bad_start(text, exc.problem_mark or mark, path, line)
    if "could not determine a constructor" in problem:
        tag = problem.rsplit(" ", 1)[-1].strip("'").replace("tag:yaml.org,2002:", "!!")
        return Problem(path, line, f"invalid YAML: the tag {tag} is not allowed",
                       "remove it; incident files hold plain text, numbers, lists and mappings")
    for words, message, hint in _EXPLAINED:
        if words in problem:
            return Problem(path, line, f"invalid YAML: {message or problem}", hint)
    return Problem(path, line, f"invalid YAML: {problem}", _DEFAULT_HINT)


def _bad_start(text: str, mark: Any, path: str, line: int) -> Problem:
    char = text[mark.index] if 0 <= mark.index < len(text) else ""
    if char == "\t":
        return Problem(path, line, "invalid YAML: a tab in the indentation", "indent with spaces, not tabs")
    return Problem(path, line, f"invalid YAML: a value cannot start with {char!r}",
                   "put the text in quotes")
