"""Theme shells: Material renders one protected page of each kind; the others are filled in.

Rendering Material's templates cost about 2 ms a page, a fifth of a build. A protected page
shows nothing of its own but its encrypted body, so two protected incident pages differ only
in that body and in their addresses. A protected page therefore names ``TEMPLATE`` in its
meta; when MkDocs builds it, ``Shells.document`` renders the real template for the first page
of its kind and cuts that page's own strings (body, canonical URL, URL, file names) out of the
result: the shell. Every other page of that kind is the shell filled with its own strings. A
page whose kind differs in anything else the theme reads (title, meta, place in the
navigation) gets a shell of its own. ``verify=True`` renders every page with the theme as well
and stops the build on any difference (the tests build that way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jinja2

from .errors import SitrepError

TEMPLATE = "sitrep-shell.html"  # in overrides/: prints the document handed to it
REAL_TEMPLATE = "main.html"

# A page's own strings, longest first where one may hold another (the canonical URL holds the
# URL; the body names the URL it is encrypted for): cut in this order.
FIELDS: dict[str, Callable[[Any], str | None]] = {
    "content": lambda page: page.content,
    "canonical_url": lambda page: page.canonical_url,
    "abs_url": lambda page: page.abs_url,
    "dest_uri": lambda page: page.file.dest_uri,
    "src_uri": lambda page: page.file.src_uri,
    "url": lambda page: page.url,
}


@dataclass(frozen=True)
class Shell:
    """A rendered page as literal text and the names of the page's own strings between it."""

    parts: tuple[tuple[str, bool], ...]  # (text, True) literal; (field name, False) a hole

    def fill(self, page: Any) -> str:
        """The document of ``page``."""
        return "".join(text if literal else (FIELDS[text](page) or "") for text, literal in self.parts)


def cut(document: str, page: Any) -> Shell:
    """``document`` (rendered for ``page``) with each of the page's own strings made a hole."""
    parts: list[tuple[str, bool]] = [(document, True)]
    for name, field_of in FIELDS.items():
        value = field_of(page)
        if not value:
            continue
        # Only the literal text is cut further: the body (cut first) may name the URL itself.
        parts = [piece for text, literal in parts
                 for piece in (_split(text, value, name) if literal else [(text, literal)])]
    return Shell(tuple(parts))


def _split(text: str, value: str, name: str) -> list[tuple[str, bool]]:
    chunks = text.split(value)
    out: list[tuple[str, bool]] = [(chunks[0], True)]
    for chunk in chunks[1:]:
        out += [(name, False), (chunk, True)]
    return out


def kind_of(page: Any) -> tuple[object, ...]:
    """What, besides the page's own strings, decides how the theme renders ``page``."""
    url = page.url or ""
    return (url.split("/", 1)[0], url.count("/"), page.title, repr(sorted(page.meta.items())),
            page.canonical_url is None, page.edit_url, page.previous_page is None,
            page.next_page is None, page.parent is None, bool(page.toc.items), page.is_homepage)


class Shells:
    """The shells of one build, by kind of page."""

    def __init__(self, verify: bool = False) -> None:
        self.env: jinja2.Environment | None = None
        self.verify = verify
        self._shells: dict[tuple[object, ...], Shell] = {}
        self.rendered = 0  # pages the theme rendered (the others were filled in)

    def document(self, page: Any, context: dict[str, Any]) -> str:
        """The HTML document of ``page``, from its kind's shell or rendered by the theme."""
        kind = kind_of(page)
        shell = self._shells.get(kind)
        if shell is not None and not self.verify:
            return shell.fill(page)
        real = self._render(context)
        if shell is None:
            self._shells[kind] = cut(real, page)
        elif shell.fill(page) != real:
            raise SitrepError(f"{page.url}: the page filled into its theme shell differs from the page "
                              "the theme renders (a template reads something of the page that sitrep "
                              "does not know of: report it with your overrides)")
        return real

    def _render(self, context: dict[str, Any]) -> str:
        if self.env is None:
            raise SitrepError("the theme's shells were asked for before MkDocs gave its templates")
        self.rendered += 1
        return self.env.get_template(REAL_TEMPLATE).render(context)
