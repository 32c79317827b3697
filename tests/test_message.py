"""SMS text: GSM-7 clean-up, segment counting, one segment by shortening the title, templates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from conftest import ROOT

from generator.config import Settings
from generator.errors import InputError
from generator.load import load_incident
from generator.message import (
    check_templates,
    compose,
    fit,
    next_phrase,
    septets,
    shorten,
    sms_info,
    to_gsm,
)
from generator.model import Incident, Update

SETTINGS = Settings(root=ROOT, site_url="https://status.example.com/")
LINK = "https://status.example.com/i/hw5gt6orru/#2woOTi-IYzlW85_dRE0EdfIiXpzWZQ_bXyGY1bDHU9s"
SHORT_LINK = "https://st.example/i/abc/#k"


def example(name: str = "2017-08-14-dlca-remote-access") -> Incident:
    incident, problems = load_incident(ROOT / "incidents" / f"{name}.md")
    assert incident is not None, problems
    return incident


def first_update(incident: Incident) -> Incident:
    return replace(incident, updates=incident.updates[:1])


@pytest.mark.parametrize(("text", "gsm"), [
    ("\u201cQuoted\u201d and \u2018single\u2019", '"Quoted" and \'single\''),  # curly quotes
    ("8:00 \u2013 9:00 \u2014 done\u2026", "8:00 - 9:00 - done..."),  # en and em dash, ellipsis
    ("no\u00a0break\u202fspace", "no break space"),
    ("café à Zoë naïve ça", "café à Zoe naive ca"),  # é and à are GSM-7; ë, ï, ç are not
    ("Ünïcödé ß €5 {x}", "Ünicödé ß €5 {x}"),
    ("½ day `code`", "1/2 day 'code'"),
    ("fire 🔥", "fire ?"),
])
def test_to_gsm(text: str, gsm: str) -> None:
    assert to_gsm(text) == gsm
    assert sms_info(to_gsm(text)).encoding == "GSM-7"


def test_extension_characters_count_two_septets() -> None:
    assert septets("[]{}|^~\\€") == 18
    assert septets("abc") == 3
    assert sms_info("€" * 80) == sms_info("a" * 160)
    assert sms_info("€" * 81).segments == 2


@pytest.mark.parametrize(("text", "encoding", "units", "segments"), [
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("\u2013" * 70, "UCS-2", 70, 1),  # one en dash makes it all UCS-2
    ("a" * 70 + "\u2013", "UCS-2", 71, 2),
    ("😀" * 35, "UCS-2", 70, 1),  # outside the BMP: two UTF-16 units each
])
def test_segments(text: str, encoding: str, units: int, segments: int) -> None:
    info = sms_info(text)
    assert (info.encoding, info.units, info.segments) == (encoding, units, segments)


def test_the_first_message_of_an_incident() -> None:
    composed = compose("new", first_update(example()), None, replace(SETTINGS, site_url="https://st.example/"),
                       SHORT_LINK)
    assert composed.text == ("Major incident: DLCA Remote Access server failure. Investigating. "
                             f"Next update by 08:50. {SHORT_LINK}")


def test_a_long_link_shortens_the_title_never_the_link() -> None:
    composed = compose("new", first_update(example()), None, SETTINGS, LINK)
    assert composed.text == ("Major incident: DLCA Remote Access... Investigating. Next update by 08:50. "
                             f"{LINK}")
    assert composed.info.segments == 1 and composed.info.encoding == "GSM-7"


def test_shortening_counts_extension_characters() -> None:
    values = {"title": "Backup [nightly] {all sites} | €" * 3, "link": LINK}
    text = fit("{title}. {link}", values)
    assert text.endswith(LINK) and sms_info(text).segments == 1
    assert sms_info(text).units >= 150


def test_a_link_too_long_for_one_segment_is_kept_whole() -> None:
    link = "https://status.example.com/" + "x" * 200
    text = fit("{title}. {link}", {"title": "Remote Access server failure", "link": link})
    assert text == f"Remote Access server failure. {link}"
    assert sms_info(text).segments == 2


def test_shorten_prefers_a_word_boundary() -> None:
    assert shorten("Remote Access server failure", 20) == "Remote Access..."
    assert shorten("Supercalifragilisticexpialidocious", 15) == "Supercalifragil..."


def test_resolved_and_drill_prefix() -> None:
    drill = example("2026-10-07-hbs-clinical-system-drill")
    composed = compose("resolved", drill, None, SETTINGS, SHORT_LINK)
    assert composed.text == f"EXERCISE: Resolved: HBS Clinical system unavailable at reception. {SHORT_LINK}"


def test_severity_eta_and_update_templates() -> None:
    incident = example()
    before = replace(incident, updates=incident.updates[:1])
    second = replace(incident, updates=incident.updates[:2])
    assert compose("severity", replace(second, severity="critical"), before, SETTINGS, SHORT_LINK).text == (
        f"Now critical: DLCA Remote Access server failure. Identified. Next update by 09:20. {SHORT_LINK}")
    assert compose("eta", second, before, SETTINGS, SHORT_LINK).text == (
        "Major incident: DLCA Remote Access server failure. New ETA 11:00. Next update by 09:20. "
        f"{SHORT_LINK}")
    assert compose("update", second, before, SETTINGS, SHORT_LINK).text == (
        f"Update: DLCA Remote Access server failure. Identified. Next update by 09:20. {SHORT_LINK}")


def test_next_update_is_in_the_display_zone_and_absent_once_resolved() -> None:
    incident = first_update(example())  # 08:20 BST
    every_45 = replace(SETTINGS, update_every=timedelta(minutes=45))
    assert next_phrase(incident, every_45) == "Next update by 09:05."
    assert next_phrase(example(), SETTINGS) == ""
    late = replace(incident, updates=(Update(datetime(2026, 12, 3, 23, 50, tzinfo=UTC), "identified", "x"),))
    assert next_phrase(late, SETTINGS) == "Next update by Fri 4 Dec 00:20."


def test_scheduled_maintenance_says_when_it_starts() -> None:
    maintenance = first_update(example("2026-11-29-service-desk-phone-maintenance"))
    composed = compose("new", maintenance, None, SETTINGS, SHORT_LINK)
    assert composed.text == ("Maintenance: Service desk telephone line maintenance. Scheduled. "
                             f"Starts Sun 29 Nov 07:00. {SHORT_LINK}")


def test_templates_can_be_overridden() -> None:
    settings = replace(SETTINGS, templates={"new": "{client} \u2013 {title} ({status}) {link}"})
    composed = compose("new", first_update(example()), None, settings, SHORT_LINK)
    assert composed.text == f"DLCA - Remote Access server failure (Investigating) {SHORT_LINK}"


def test_bad_templates_are_reported() -> None:
    problems = check_templates({"nwe": "{link}", "update": "{titel} {link}", "eta": "{title}"})
    assert [p.message for p in problems] == [
        "unknown SMS template 'nwe' in extra.status.templates",
        "SMS template 'update' uses unknown {titel}",
        "SMS template 'eta' has no {link}",
    ]
    assert "did you mean 'new'?" in problems[0].hint
    with pytest.raises(InputError):
        compose("eta", example(), None, replace(SETTINGS, templates={"eta": "{title}"}), SHORT_LINK)

