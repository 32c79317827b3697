"""Page blocks: sitrep's HTML rides beside the Markdown and comes back whole after rendering."""

from __future__ import annotations

import markdown
import pytest

from generator.blocks import Markdown, PageSource, Prose, lift, placeholder, restore
from generator.errors import SitrepError

EXTENSIONS = ["admonition", "attr_list", "md_in_html", "tables", "toc"]  # as the example mkdocs.yml
NONCE = "0123456789abcdef"


def render(text: str) -> str:
    """What MkDocs' Markdown makes of a page body (front matter already taken off)."""
    return markdown.markdown(text, extensions=EXTENSIONS)


def test_html_blocks_are_placeholders_and_prose_stays_markdown() -> None:
    source = PageSource("---\ntitle: T\n---\n", ("<header>H &amp; co</header>", "", Prose("**Plan**"),
                                                 Markdown("# Report"), "<footer>F</footer>"))
    lifted = lift(source, NONCE)
    assert lifted.html == ("<header>H &amp; co</header>", '<div class="sitrep-prose">', "</div>",
                           "<footer>F</footer>")
    assert "<header>" not in lifted.markdown and "**Plan**" in lifted.markdown
    assert lifted.markdown.startswith("---\ntitle: T\n---\n")
    assert placeholder(NONCE, 3) in lifted.markdown


def test_rendered_page_gets_every_block_back_in_order() -> None:
    source = PageSource("", ('<dl class="facts"><dt>ETA</dt><dd>11:00</dd></dl>',
                             Prose("Partners *cannot* log in.\n\n## Plan of action\n\n1. Restore\n2. Test"),
                             '<ol class="sitrep-timeline"><li>Investigating</li></ol>'))
    lifted = lift(source, NONCE)
    html = restore(render(lifted.markdown), NONCE, lifted.html, "i/x/index.md")
    assert "sitrep-block" not in html
    facts, prose, timeline = (html.index(s) for s in ('<dl class="facts">', '<div class="sitrep-prose">',
                                                      '<ol class="sitrep-timeline">'))
    assert facts < prose < timeline
    assert "<em>cannot</em>" in html and '<h2 id="plan-of-action">Plan of action</h2>' in html
    assert "<li>Restore</li>" in html


def test_same_html_as_parsing_it_with_the_prose() -> None:
    """The lifted page renders to what Markdown made of the whole page, but for blank lines."""
    header = '<header class="sitrep-head">\n<h1 class="sitrep-title">Remote access</h1>\n</header>'
    prose = "Staff could not log in.\n\n- VPN down\n- webmail works"
    whole = render(f'{header}\n\n<div class="sitrep-prose" markdown="1">\n\n{prose}\n\n</div>')
    lifted = lift(PageSource("", (header, Prose(prose))), NONCE)
    restored = restore(render(lifted.markdown), NONCE, lifted.html, "p")
    assert restored.replace("\n", "") == whole.replace("\n", "")


def test_prose_that_leaves_html_open_loses_no_block() -> None:
    # Markdown swallows what follows an unclosed raw <div> as raw HTML: bare placeholders.
    lifted = lift(PageSource("", (Prose("<div>\nunclosed"), "<footer>built 09:00</footer>")), NONCE)
    html = restore(render(lifted.markdown), NONCE, lifted.html, "p")
    assert "<footer>built 09:00</footer>" in html and "sitrep-block" not in html


def test_a_lost_block_stops_the_build_naming_the_page() -> None:
    lifted = lift(PageSource("", ("<p>one</p>", "<p>two</p>")), NONCE)
    eaten = render(lifted.markdown).replace(placeholder(NONCE, 1), "")
    with pytest.raises(SitrepError, match=r"^i/abc/index.md: blocks \[1\]"):
        restore(eaten, NONCE, lifted.html, "i/abc/index.md")


def test_prose_cannot_forge_a_placeholder_without_the_nonce() -> None:
    forged = placeholder("ffffffffffffffff", 0)
    lifted = lift(PageSource("", ("<p>secret block</p>", Prose(forged))), NONCE)
    html = restore(render(lifted.markdown), NONCE, lifted.html, "p")
    assert html.count("secret block") == 1 and forged in html
