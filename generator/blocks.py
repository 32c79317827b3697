"""Page blocks: sitrep's own HTML kept out of Python-Markdown, the engineer's prose left in it.

A generated page is a list of blocks. Most are HTML that sitrep wrote (headers, facts,
timelines, overviews); parsing it again as Markdown cost about 7 ms a page, half of a whole
build. So the Markdown handed to MkDocs holds a placeholder paragraph for each HTML block, and
only the engineer's prose (``Prose``) as Markdown. After MkDocs has rendered a page,
``restore`` swaps the blocks back in, before the page is encrypted.

Placeholders carry a random nonce of the build, so no incident text can forge one.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from .errors import SitrepError


@dataclass(frozen=True)
class Prose:
    """Markdown written by an engineer, rendered by MkDocs inside a ``<div class="...">``."""

    markdown: str
    css: str = "sitrep-prose"


@dataclass(frozen=True)
class Markdown:
    """Markdown for MkDocs to render as it is (a report that is also printed as Markdown)."""

    text: str


# HTML that sitrep wrote, or Markdown for MkDocs to render.
Block = str | Prose | Markdown


@dataclass(frozen=True)
class PageSource:
    """A generated page before MkDocs sees it: its front matter and its blocks, in order."""

    head: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Lifted:
    """A page's Markdown with placeholders, and the HTML blocks they stand for."""

    markdown: str
    html: tuple[str, ...]


def new_nonce() -> str:
    """A fresh placeholder nonce (one per build)."""
    return secrets.token_hex(8)


def placeholder(nonce: str, number: int) -> str:
    """The paragraph text standing for HTML block ``number``: letters, digits and hyphens only."""
    return f"sitrep-block-{nonce}-{number}"


def lift(source: PageSource, nonce: str) -> Lifted:
    """The page as Markdown with a placeholder for each non-empty HTML block."""
    parts: list[str] = []
    html: list[str] = []

    def hold(fragment: str) -> None:
        parts.append(placeholder(nonce, len(html)))
        html.append(fragment)

    for block in source.blocks:
        if isinstance(block, Markdown):
            parts.append(block.text.strip())
        elif isinstance(block, Prose):
            if block.markdown.strip():
                hold(f'<div class="{block.css}">')
                parts.append(block.markdown.strip())
                hold("</div>")
        elif block:
            hold(block)
    return Lifted(source.head + "\n" + "\n\n".join(p for p in parts if p) + "\n", tuple(html))


def restore(rendered: str, nonce: str, html: tuple[str, ...], where: str) -> str:
    """``rendered`` with every placeholder replaced by its HTML block.

    A placeholder is normally a paragraph of its own; prose that leaves a raw HTML element open
    can swallow the ones after it as bare text, so bare ones are replaced too. Every block must
    come back exactly once: anything else means a Markdown extension mangled the page, and the
    build stops rather than publish a page with parts missing.
    """
    if not html:
        return rendered
    seen = [0] * len(html)

    def swap(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number >= len(html):  # not one of this page's: left as it is
            return match.group(0)
        seen[number] += 1
        return html[number]

    pattern = re.compile(rf"(?:<p>)?sitrep-block-{re.escape(nonce)}-(\d+)(?:</p>)?")
    out = pattern.sub(swap, rendered)
    if any(count != 1 for count in seen):
        lost = [n for n, count in enumerate(seen) if count != 1]
        raise SitrepError(f"{where}: blocks {lost} of the generated page did not survive Markdown "
                          "(a Markdown extension in mkdocs.yml rewrote them: report this with "
                          "the list of extensions)")
    return out
