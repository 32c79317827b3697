"""Wording and pieces of the pages: relative times, body splitting, links, front matter."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from generator import markup, times
from generator.incident_page import split_body
from generator.view import href

LONDON = ZoneInfo("Europe/London")
NOW = datetime.fromisoformat("2017-08-14T10:20:00+01:00")


@pytest.mark.parametrize("minutes", [-1500, -70, -10, -1, 0, 1, 40, 61, 60 * 27])
def test_eta_wording_is_the_reader_wording_of_times(minutes: int) -> None:
    eta = NOW + timedelta(minutes=minutes)
    label = times.clock(eta, LONDON)
    assert markup.relative_text("eta", eta, NOW, label) == times.eta_phrase(eta, NOW, LONDON)


def test_eta_reads_like_the_issue_asks() -> None:
    assert markup.relative_text("eta", NOW + timedelta(minutes=40), NOW, "11:00 BST") == \
        "estimated fix 11:00 BST, in 40 minutes"
    assert markup.relative_text("eta", NOW - timedelta(minutes=10), NOW, "10:10 BST") == \
        "ETA passed 10 minutes ago (was 10:10 BST)"


@pytest.mark.parametrize(("kind", "minutes", "text"), [
    ("due", 15, "in 15 minutes"), ("due", -75, "overdue by 1 h 15 min"),
    ("when", 0, "just now"), ("when", -120, "2 h ago"), ("when", 60 * 24 * 9, "in 9 days"),
    ("for", -60 * 26, "1 day 2 h"),
])
def test_relative_kinds(kind: str, minutes: int, text: str) -> None:
    assert markup.relative_text(kind, NOW + timedelta(minutes=minutes), NOW) == text


def test_relative_marks_the_phrase_for_the_live_script() -> None:
    html = markup.eta(NOW - timedelta(minutes=10), NOW, LONDON)
    assert html == ('<span class="sitrep-rel" data-rel="eta" data-at="2017-08-14T10:10:00+01:00" '
                    'data-label="10:10 BST" data-past="true">'
                    "ETA passed 10 minutes ago (was 10:10 BST)</span>")


def test_unknown_relative_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown relative kind"):
        markup.relative_text("soon", NOW, NOW)


def test_split_body_keeps_the_summary_apart_from_the_sections() -> None:
    body = "Summary line.\n\n## Plan of action\n\n1. Do it.\n\n## Review\n\nDone."
    assert split_body(body) == ("Summary line.", "## Plan of action\n\n1. Do it.\n\n## Review\n\nDone.")


def test_split_body_ignores_headings_in_code_and_handles_no_heading() -> None:
    body = "Look:\n\n```\n# not a heading\n```\n\nStill summary."
    assert split_body(body) == (body, "")
    assert split_body("## Only a section\n\nText") == ("", "## Only a section\n\nText")


@pytest.mark.parametrize(("start", "target", "link"), [
    ("c/abc/", "i/xyz/", "../../i/xyz/"), ("", "i/xyz/", "i/xyz/"), ("i/xyz/", "", "../../"),
    ("s/q/", "c/abc/", "../../c/abc/"),
])
def test_links_between_pages_are_relative(start: str, target: str, link: str) -> None:
    assert href(start, target) == link


def test_front_matter_survives_any_title() -> None:
    title = 'Email: "delays" #2 — ünïcode'
    text = markup.front_matter(title)
    assert yaml.safe_load(text.strip().strip("-"))["title"] == title


def test_text_is_escaped_and_flattened() -> None:
    assert markup.esc('<b>"x"</b>\nnext') == "&lt;b&gt;&quot;x&quot;&lt;/b&gt; next"


def test_window_shows_one_date_for_a_same_day_window() -> None:
    start = datetime.fromisoformat("2026-12-12T08:00:00+00:00")
    text = markup.window(start, start + timedelta(hours=4), LONDON)
    assert ">Sat 12 Dec 2026, 08:00</time> &#8211; <time" in text and ">12:00 GMT</time>" in text
