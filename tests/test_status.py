"""Banner, component status, availability and history math, on incidents built in the test."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from generator import status
from generator.model import Client, Incident, Update

LONDON = ZoneInfo("Europe/London")
NOW = datetime.fromisoformat("2026-12-03T09:00:00+00:00")
CLIENT = Client("acme", "Acme Ltd", {"email": "Email", "vpn": "VPN", "wifi": "Wi-Fi"})


def incident(severity: str = "major", started: str = "2026-12-03T08:00:00+00:00",
             resolved: str | None = None, components: tuple[str, ...] = ("email",),
             drill: bool = False, clients: tuple[str, ...] = ("acme",), status_now: str = "") -> Incident:
    """An incident opened at ``started`` and, if ``resolved`` is given, closed then."""
    start = datetime.fromisoformat(started)
    first = "scheduled" if severity == "maintenance" else "investigating"
    updates = [Update(start, status_now or first, "Looking into it.")]
    if resolved:
        final = "completed" if severity == "maintenance" else "resolved"
        updates.append(Update(datetime.fromisoformat(resolved), final, "Fixed."))
    return Incident(id=f"i-{started}-{severity}", path="x.md", title="Something broke", clients=clients,
                    severity=severity, started=start, updates=tuple(updates), components=components,
                    drill=drill)


# Banner and component status ---------------------------------------------------------------

@pytest.mark.parametrize(("severity", "level", "banner"), [
    ("critical", "major", "Major outage"),
    ("major", "partial", "Partial outage"),
    ("minor", "degraded", "Degraded performance"),
])
def test_banner_follows_the_worst_active_severity(severity: str, level: str, banner: str) -> None:
    found = status.banner_level([incident(severity)], NOW)
    assert found == level
    assert status.BANNERS[found] == banner


def test_no_incidents_is_all_operational() -> None:
    assert status.BANNERS[status.banner_level([], NOW)] == "All systems operational"


def test_worst_of_several_active_incidents_wins() -> None:
    found = [incident("minor"), incident("critical", components=("vpn",)), incident("major")]
    assert status.banner_level(found, NOW) == "major"


def test_resolved_incidents_leave_the_banner_operational() -> None:
    closed = incident("critical", started="2026-12-03T06:00:00+00:00", resolved="2026-12-03T07:00:00+00:00")
    assert status.banner_level([closed], NOW) == "operational"


def test_maintenance_in_progress_shows_maintenance_and_upcoming_does_not() -> None:
    running = incident("maintenance", started="2026-12-03T08:00:00+00:00", status_now="in_progress")
    planned = incident("maintenance", started="2026-12-10T08:00:00+00:00")
    assert status.banner_level([running], NOW) == "maintenance"
    assert status.banner_level([planned], NOW) == "operational"
    assert status.upcoming([planned, running], NOW) == [planned]


def test_an_outage_outranks_maintenance() -> None:
    running = incident("maintenance", status_now="in_progress")
    assert status.banner_level([running, incident("minor")], NOW) == "degraded"


def test_an_active_drill_changes_no_banner_and_no_component() -> None:
    drill = incident("critical", drill=True)
    assert status.banner_level([drill], NOW) == "operational"
    assert status.component_levels(CLIENT, [drill], NOW) == dict.fromkeys(CLIENT.components, "operational")
    # It is still listed as active, so the people taking part can follow it.
    assert status.active([drill], NOW) == [drill]


def test_component_status_comes_from_its_own_active_incidents() -> None:
    found = [incident("major", components=("email",)), incident("minor", components=("email", "vpn")),
             incident("critical", components=("wifi",), clients=("someone-else",))]
    assert status.component_levels(CLIENT, found, NOW) == {
        "email": "partial", "vpn": "degraded", "wifi": "operational"}


def test_active_lists_worst_first_then_newest() -> None:
    old_minor = incident("minor", started="2026-12-03T07:00:00+00:00")
    new_minor = incident("minor", started="2026-12-03T08:30:00+00:00")
    critical = incident("critical", started="2026-12-03T06:00:00+00:00")
    assert status.active([old_minor, critical, new_minor], NOW) == [critical, new_minor, old_minor]


# Availability -------------------------------------------------------------------------------

def bars(*incidents: Incident, component: str = "email") -> status.Availability:
    return status.availability(component, incidents, NOW, LONDON, 90)


def day(found: status.Availability, which: date) -> status.DayStatus:
    return next(d for d in found.days if d.day == which)


def test_ninety_bars_ending_today_in_the_display_zone() -> None:
    found = bars()
    assert len(found.days) == 90
    assert found.days[-1].day == date(2026, 12, 3)
    assert found.days[0].day == date(2026, 9, 5)
    assert {d.level for d in found.days} == {"operational"}
    assert status.uptime_text(found.uptime) == "100.00 % uptime"


def test_an_outage_colours_its_day_and_costs_uptime() -> None:
    found = bars(incident("critical", started="2026-11-18T05:40:00+00:00",
                          resolved="2026-11-18T07:45:00+00:00"))
    assert day(found, date(2026, 11, 18)) == status.DayStatus(date(2026, 11, 18), "major",
                                                              down=timedelta(hours=2, minutes=5))
    assert day(found, date(2026, 11, 17)).level == "operational"
    # 125 minutes down out of 5 Sep 00:00 BST .. 3 Dec 09:00 GMT (128,760 minutes).
    assert found.uptime == pytest.approx(100 * (1 - 125 / 128_760))
    assert status.uptime_text(found.uptime) == "99.90 % uptime"


def test_overlapping_outages_count_once() -> None:
    found = bars(incident("critical", started="2026-11-10T10:00:00+00:00",
                          resolved="2026-11-10T12:00:00+00:00"),
                 incident("major", started="2026-11-10T11:00:00+00:00", resolved="2026-11-10T13:00:00+00:00"))
    assert day(found, date(2026, 11, 10)).down == timedelta(hours=3)
    assert day(found, date(2026, 11, 10)).level == "major"


def test_degraded_service_is_not_downtime() -> None:
    found = bars(incident("minor", started="2026-11-24T13:10:00+00:00", resolved="2026-11-24T14:05:00+00:00"))
    assert day(found, date(2026, 11, 24)).level == "degraded"
    assert day(found, date(2026, 11, 24)).degraded == timedelta(minutes=55)
    assert found.uptime == 100.0


def test_maintenance_is_maintenance_not_downtime() -> None:
    found = bars(incident("maintenance", started="2026-11-29T07:00:00+00:00",
                          resolved="2026-11-29T07:40:00+00:00"))
    assert day(found, date(2026, 11, 29)).level == "maintenance"
    assert day(found, date(2026, 11, 29)).maintenance == timedelta(minutes=40)
    assert found.uptime == 100.0


def test_drills_never_reach_the_bars() -> None:
    found = bars(incident("critical", started="2026-10-07T07:30:00+01:00",
                          resolved="2026-10-07T08:40:00+01:00", drill=True))
    assert {d.level for d in found.days} == {"operational"}
    assert found.uptime == 100.0


def test_an_outage_over_midnight_is_split_between_local_days() -> None:
    found = bars(incident("major", started="2026-11-20T23:00:00+00:00", resolved="2026-11-21T01:30:00+00:00"))
    assert day(found, date(2026, 11, 20)).down == timedelta(hours=1)
    assert day(found, date(2026, 11, 21)).down == timedelta(hours=1, minutes=30)


def test_local_days_follow_the_display_zone_not_utc() -> None:
    # 23:30 UTC on 30 Sep is 00:30 BST on 1 Oct.
    found = bars(incident("major", started="2026-09-30T23:30:00+00:00", resolved="2026-10-01T00:00:00+00:00"))
    assert day(found, date(2026, 10, 1)).down == timedelta(minutes=30)
    assert day(found, date(2026, 9, 30)).level == "operational"


def test_the_day_the_clocks_go_back_has_25_hours() -> None:
    start, end = status.day_bounds(date(2026, 10, 25), LONDON)
    assert end - start == timedelta(hours=25)


def test_an_open_outage_counts_until_now_only() -> None:
    found = bars(incident("critical", started="2026-12-03T07:00:00+00:00"))
    assert day(found, date(2026, 12, 3)).down == timedelta(hours=2)


def test_other_components_are_untouched() -> None:
    found = bars(incident("critical", started="2026-11-18T05:40:00+00:00",
                          resolved="2026-11-18T07:45:00+00:00", components=("vpn",)))
    assert found.uptime == 100.0


@pytest.mark.parametrize(("uptime", "text"), [(100.0, "100.00 % uptime"), (99.9999, "99.99 % uptime"),
                                              (99.905, "99.90 % uptime"), (0.0, "0.00 % uptime")])
def test_uptime_is_rounded_down(uptime: float, text: str) -> None:
    assert status.uptime_text(uptime) == text


def test_covered_merges_and_clips() -> None:
    t = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    h = timedelta(hours=1)
    spans = [(t - h, t + h), (t + 3 * h, t + 5 * h), (t + 4 * h, t + 6 * h)]
    assert status.covered(spans, t, t + 5 * h) == 3 * h


# History ------------------------------------------------------------------------------------

def test_history_lists_every_month_of_the_period_newest_first() -> None:
    months = status.history([], NOW, LONDON, 90)
    assert [m.first_day for m in months] == [date(2026, 12, 1), date(2026, 11, 1), date(2026, 10, 1),
                                             date(2026, 9, 1)]
    assert all(not m.incidents for m in months)


def test_history_counts_real_incidents_only() -> None:
    outage = incident("critical", started="2026-11-18T05:40:00+00:00", resolved="2026-11-18T07:45:00+00:00")
    slow = incident("minor", started="2026-11-24T13:10:00+00:00", resolved="2026-11-24T14:05:00+00:00")
    work = incident("maintenance", started="2026-11-29T07:00:00+00:00", resolved="2026-11-29T07:40:00+00:00")
    drill = incident("critical", started="2026-11-20T07:30:00+00:00", resolved="2026-11-20T08:40:00+00:00",
                     drill=True)
    november = status.history([outage, slow, work, drill], NOW, LONDON, 90)[1]
    assert november.incidents == (work, slow, drill, outage)
    assert november.counted == [slow, outage]
    assert november.downtime == timedelta(hours=3)


def test_open_and_old_incidents_stay_out_of_history() -> None:
    open_now = incident("minor")
    old = incident("major", started="2017-08-14T08:05:00+01:00", resolved="2017-08-14T11:10:00+01:00")
    months = status.history([open_now, old], NOW, LONDON, 90)
    assert all(not m.incidents for m in months)
    assert status.earlier([open_now, old], NOW, 90) == [old]


def test_history_months_are_months_in_the_display_zone() -> None:
    # 02:00 UTC on 1 Dec is still 30 Nov in New York.
    late = incident("minor", started="2026-12-01T02:00:00+00:00", resolved="2026-12-01T03:00:00+00:00")
    months = status.history([late], NOW, ZoneInfo("America/New_York"), 90)
    assert {m.first_day: m.incidents for m in months}[date(2026, 11, 1)] == (late,)


def test_an_outage_on_the_long_day_counts_its_extra_hour() -> None:
    # 25 October 2026, 00:00 BST to 26 October 00:00 GMT: 25 hours.
    found = bars(incident("critical", started="2026-10-24T23:00:00+00:00",
                          resolved="2026-10-26T00:00:00+00:00"))
    assert day(found, date(2026, 10, 25)).down == timedelta(hours=25)
