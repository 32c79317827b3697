"""``sitrep check``: exactly the overdue updates, passed ETAs, missing reviews and late actions of a
fixture set at a fixed clock; and ``--notify-staff`` texting staff once per overdue period through
the ledger, against a Twilio-speaking server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import TEST_SECRETS
from gitrepo import commit, incident_text, init_repo, ledger_files, write_incident
from notify_harness import ALAN, FIONA, INCIDENT, STAFF, Stage, environ, link
from twilio_server import FakeTwilio

from generator.cli import main

NOW = "2026-12-03T09:00:00+00:00"

# Each file: what it is, and whether check must report it.
FIXTURES = {
    # Active, last update 45 minutes ago (promise: 30) and its ETA 10 minutes past: two items.
    "2026-12-03-dlca-vpn-down": """\
title: VPN down
client: dlca
severity: major
started: 2026-12-03T08:10:00+00:00
eta: 2026-12-03T08:50:00+00:00
updates:
  - at: 2026-12-03T08:15:00+00:00
    status: investigating
    message: Staff cannot connect from home.
""",
    # Active, updated 20 minutes ago, ETA ahead: nothing.
    "2026-12-03-hbs-phones": """\
title: Calls dropping
client: hbs
severity: minor
started: 2026-12-03T08:30:00+00:00
eta: 2026-12-03T10:00:00+00:00
updates:
  - at: 2026-12-03T08:40:00+00:00
    status: investigating
    message: Some calls drop after 30 seconds.
""",
    # Critical, resolved six days ago, no review: missing review.
    "2026-11-27-mwl-warehouse": """\
title: Warehouse system down
client: mwl
severity: critical
started: 2026-11-27T08:00:00+00:00
updates:
  - at: 2026-11-27T08:10:00+00:00
    status: investigating
    message: Scanners cannot reach the warehouse system.
  - at: 2026-11-27T10:00:00+00:00
    status: resolved
    message: Scanners are working again.
""",
    # Reviewed; one action late, one done late (fine), one not yet due (fine).
    "2026-11-20-dlca-disk": """\
title: File server disk failure
client: dlca
severity: major
started: 2026-11-20T09:00:00+00:00
updates:
  - at: 2026-11-20T09:10:00+00:00
    status: investigating
    message: The file server is not responding.
  - at: 2026-11-20T12:00:00+00:00
    status: resolved
    message: Restored from backup.
review:
  held_on: 2026-11-23T14:00:00+00:00
  attendees: [Priya Shah, Alan Reid]
  actions:
    - action: Alert on disk errors
      owner: Priya Shah
      due: 2026-12-01T17:00:00+00:00
      done: false
    - action: Update the runbook
      due: 2026-11-25T17:00:00+00:00
      done: true
    - action: Replace the switch
      due: 2026-12-10T17:00:00+00:00
""",
    # Major, resolved two days ago: its review is not due yet.
    "2026-12-01-hbs-wifi": """\
title: Patient Wi-Fi down
client: hbs
severity: major
started: 2026-12-01T08:00:00+00:00
updates:
  - at: 2026-12-01T08:05:00+00:00
    status: investigating
    message: Patient Wi-Fi is down.
  - at: 2026-12-01T09:00:00+00:00
    status: resolved
    message: Back.
""",
    # Minor, resolved long ago, no review: none needed.
    "2026-11-10-dlca-email": """\
title: Email delays
client: dlca
severity: minor
started: 2026-11-10T13:00:00+00:00
updates:
  - at: 2026-11-10T13:10:00+00:00
    status: investigating
    message: Inbound email is delayed.
  - at: 2026-11-10T14:00:00+00:00
    status: resolved
    message: Delivered.
""",
    # A drill of a critical incident: its review is due like a real one's; planned, not held.
    "2026-11-26-hbs-drill": """\
title: Clinical system drill
client: hbs
severity: critical
drill: true
started: 2026-11-26T10:00:00+00:00
updates:
  - at: 2026-11-26T10:05:00+00:00
    status: investigating
    message: The clinical system is down.
  - at: 2026-11-26T11:10:00+00:00
    status: resolved
    message: Exercise complete.
review:
  attendees: [Priya Shah, practice manager]
""",
    # Maintenance in progress, updated 20 minutes ago, past the end of its window.
    "2026-12-03-public-phones": """\
title: Service desk line maintenance
client: public
severity: maintenance
started: 2026-12-03T08:00:00+00:00
eta: 2026-12-03T08:55:00+00:00
updates:
  - at: 2026-11-30T10:00:00+00:00
    status: scheduled
    message: Planned for Thursday morning.
  - at: 2026-12-03T08:40:00+00:00
    status: in_progress
    message: Work has started.
""",
    # Critical, resolved four months ago (beyond history_days) without a review: history, not chased.
    "2026-08-01-mwl-old-outage": """\
title: Old outage
client: mwl
severity: critical
started: 2026-08-01T08:00:00+00:00
updates:
  - at: 2026-08-01T08:10:00+00:00
    status: investigating
    message: Down.
  - at: 2026-08-01T09:00:00+00:00
    status: resolved
    message: Up.
""",
    # Scheduled for next week: not active, nothing due.
    "2026-12-12-dlca-upgrade": """\
title: File server upgrade
client: dlca
severity: maintenance
started: 2026-12-12T08:00:00+00:00
eta: 2026-12-12T12:00:00+00:00
updates:
  - at: 2026-11-30T10:00:00+00:00
    status: scheduled
    message: Planned for Saturday.
""",
}


def fixture_repo(base: Path, names: list[str] | None = None) -> Path:
    """A status repository with the fixture incidents (all, or ``names``)."""
    repo = init_repo(base, datetime(2026, 11, 1, tzinfo=UTC))
    for name in names or list(FIXTURES):
        write_incident(repo, name, f"---\n{FIXTURES[name]}---\nSummary.\n")
    return repo


def line(repo: Path, name: str, text: str) -> int:
    """The line of ``text`` in an incident file."""
    lines = (repo / "incidents" / f"{name}.md").read_text(encoding="utf-8").splitlines()
    return next(n for n, found in enumerate(lines, 1) if found.startswith(text))


def check(repo: Path, *args: str, env: dict[str, str] | None = None, now: str = NOW) -> tuple[int, str, str]:
    """``sitrep check`` in ``repo`` at ``now``."""
    out, err = io.StringIO(), io.StringIO()
    full = env or {k: v for k, v in TEST_SECRETS.items()} | {"PATH": "/usr/bin:/bin", "CI": "true"}
    with environ({**full, "SITREP_NOW": now}), contextlib.chdir(repo), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        code = main(["check", *args])
    return code, out.getvalue(), err.getvalue()


def test_check_lists_exactly_what_is_overdue(tmp_path: Path) -> None:
    repo = fixture_repo(tmp_path)
    code, out, err = check(repo)
    vpn, drill, warehouse = "2026-12-03-dlca-vpn-down", "2026-11-26-hbs-drill", "2026-11-27-mwl-warehouse"
    phones = "2026-12-03-public-phones"
    review_hint = "(hold it, then add review: with held_on, attendees, went_well, to_improve and actions)"
    assert out.splitlines() == [
        f"incidents/{vpn}.md:{line(repo, vpn, '  - at: 2026-12-03T08:15')}: update overdue: the next update "
        f"was due by 08:45 GMT, 15 minutes ago (post one: sitrep update {vpn} --status investigating "
        "--message '...')",
        f"incidents/{vpn}.md:{line(repo, vpn, 'eta:')}: ETA passed: the estimated fix was 08:50 GMT, "
        f"10 minutes ago, and it is still investigating (give a new ETA: sitrep update {vpn} "
        "--status investigating --eta HH:MM --message '...', or resolve it)",
        f"incidents/{phones}.md:{line(repo, phones, 'eta:')}: ETA passed: "
        "the maintenance window ended at 08:55 GMT, 5 minutes ago (complete it: sitrep resolve "
        "2026-12-03-public-phones --message '...', or give a new end with sitrep update --eta)",
        f"incidents/{drill}.md:{line(repo, drill, 'review:')}: review overdue: drill of a critical incident "
        "resolved Thu 26 Nov 2026, 11:10 GMT, review due by Tue 1 Dec 2026, 11:10 GMT, 1 day 21 h ago "
        + review_hint,
        f"incidents/{warehouse}.md:1: review overdue: critical incident resolved Fri 27 Nov 2026, 10:00 GMT, "
        "review due by Wed 2 Dec 2026, 10:00 GMT, 23 h ago " + review_hint,
        f"incidents/2026-11-20-dlca-disk.md:{line(repo, '2026-11-20-dlca-disk', 'review:')}: action overdue: "
        "'Alert on disk errors' (Priya Shah) was due Tue 1 Dec 2026, 17:00 GMT, 1 day 16 h ago "
        "(do it, then set done: true under the action)",
        "6 overdue: 1 update, 2 ETAs, 2 reviews, 1 action (at Thu 3 Dec 2026, 09:00 GMT)",
    ]
    assert (code, err) == (1, "")


def test_nothing_overdue_exits_0(tmp_path: Path) -> None:
    repo = fixture_repo(tmp_path, ["2026-12-03-hbs-phones", "2026-12-01-hbs-wifi", "2026-11-10-dlca-email",
                                   "2026-12-12-dlca-upgrade"])
    assert check(repo) == (0, "nothing overdue (at Thu 3 Dec 2026, 09:00 GMT)\n", "")
    # A minute after the promise of the active incident, it is overdue.
    code, out, _ = check(repo, now="2026-12-03T09:11:00+00:00")
    assert code == 1 and out.endswith("1 overdue: 1 update (at Thu 3 Dec 2026, 09:11 GMT)\n")


def test_json_names_each_item_and_its_period(tmp_path: Path) -> None:
    repo = fixture_repo(tmp_path)
    code, out, _ = check(repo, "--json")
    data = json.loads(out)
    assert code == 1 and data["now"] == NOW and data["staff_texts"] is None
    found = [(i["kind"], i["incident"], i["overdue_seconds"], i["drill"]) for i in data["overdue"]]
    assert found == [("update", "2026-12-03-dlca-vpn-down", 900, False),
                     ("eta", "2026-12-03-dlca-vpn-down", 600, False),
                     ("eta", "2026-12-03-public-phones", 300, False),
                     ("review", "2026-11-26-hbs-drill", 165000, True),
                     ("review", "2026-11-27-mwl-warehouse", 82800, False),
                     ("action", "2026-11-20-dlca-disk", 144000, False)]
    assert data["overdue"][0]["key"] == "check/2026-12-03-dlca-vpn-down/update/20261203T0815Z"


def test_a_broken_file_is_reported_and_the_rest_still_checked(tmp_path: Path) -> None:
    repo = fixture_repo(tmp_path, ["2026-12-03-dlca-vpn-down"])
    (repo / "incidents" / "2026-12-03-broken.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    code, out, err = check(repo)
    assert code == 1 and "2 overdue: 1 update, 1 ETA" in out
    assert err.startswith("incidents/2026-12-03-broken.md:2: missing required field")
    assert "Traceback" not in err


# --notify-staff --------------------------------------------------------------------------------

T = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def at(minutes: int) -> str:
    """``T`` plus ``minutes``, as SITREP_NOW."""
    return (T + timedelta(minutes=minutes)).isoformat()


def declare(stage: Stage, updates: list[tuple[datetime, str, str]]) -> None:
    """The VPN incident with ``updates`` and an ETA of T+2h, committed and pushed."""
    write_incident(stage.repo, INCIDENT, incident_text("VPN down", updates, eta=T + timedelta(hours=2)))
    commit(stage.repo, f"VPN: {updates[-1][1]}", updates[-1][0])
    stage.push()


def staff_check(stage: Stage, minutes: int) -> tuple[int, str]:
    code, out, err = check(stage.repo, "--notify-staff", env=stage.env(), now=at(minutes))
    assert "Traceback" not in err
    return code, out


def test_staff_are_texted_once_per_overdue_period(tmp_path: Path, twilio: FakeTwilio) -> None:
    stage = Stage(tmp_path, twilio)
    declare(stage, [(T, "investigating", "Staff cannot connect from home.")])
    code, out = staff_check(stage, 45)
    assert code == 1 and out.endswith("staff texts (provider twilio): 1 sent\n")
    assert STAFF not in out
    code, out = staff_check(stage, 50)  # the same period: nobody is texted again
    assert code == 1 and out.endswith("staff texts (provider twilio): 1 skipped\n")
    declare(stage, [(T, "investigating", "Staff cannot connect from home."),
                    (T + timedelta(minutes=55), "identified", "The disk failed.")])
    assert staff_check(stage, 70) == (0, "nothing overdue (at Thu 3 Dec 2026, 09:10 GMT)\n"
                                         "staff texts (provider twilio): nothing to send\n")
    staff_check(stage, 90)  # the new update's promise lapsed: a new period
    staff_check(stage, 125)  # and the ETA passed: one text about it, none again about the update
    staff_check(stage, 130)
    assert stage.received() == {STAFF: [
        f"Update overdue: DLCA VPN down. Next update was due by 08:30. {link()}",
        f"Update overdue: DLCA VPN down. Next update was due by 09:25. {link()}",
        f"ETA passed: DLCA VPN down. ETA was 10:00, still identified. {link()}",
    ]}
    assert FIONA not in stage.received() and ALAN not in stage.received()
    files = ledger_files(stage.repo)
    assert any(f.startswith("check/r/") for f in files)
    assert not any(f.startswith(("sms/", "outbox/")) for f in files)


def test_a_text_that_may_not_have_gone_is_looked_up_then_sent(tmp_path: Path, twilio: FakeTwilio) -> None:
    stage = Stage(tmp_path, twilio)
    declare(stage, [(T, "investigating", "Staff cannot connect from home.")])
    twilio.plan = ["500"]  # an error that may hide an accepted message: never resend blindly
    _, out = staff_check(stage, 45)
    assert "unknown  +44791•••456 HTTP 500 from Twilio; not in Twilio's message list yet" in out
    assert twilio.messages == []
    _, out = staff_check(stage, 50)  # the look-up finds nothing: now it is sent, once
    assert "settled +44791•••456: unknown → retry" in out
    assert out.endswith("staff texts (provider twilio): 1 sent\n")
    staff_check(stage, 55)
    text = f"Update overdue: DLCA VPN down. Next update was due by 08:30. {link()}"
    assert stage.received() == {STAFF: [text]}
    assert twilio.posts == 2


def test_a_drill_text_carries_the_exercise_prefix(tmp_path: Path, twilio: FakeTwilio) -> None:
    stage = Stage(tmp_path, twilio)
    write_incident(stage.repo, INCIDENT, incident_text("VPN down", [(T, "investigating", "Declared.")],
                                                       drill=True))
    commit(stage.repo, "Drill", T)
    stage.push()
    staff_check(stage, 45)
    assert stage.received() == {
        STAFF: [f"EXERCISE: Update overdue: DLCA VPN down. Next update was due by 08:30. {link()}"]}


def test_bad_credentials_stop_the_run_and_the_next_run_sends_once(tmp_path: Path, twilio: FakeTwilio) -> None:
    stage = Stage(tmp_path, twilio)
    declare(stage, [(T, "investigating", "Staff cannot connect from home.")])
    env = stage.env(TWILIO_AUTH_TOKEN="wrong")
    code, out, err = check(stage.repo, "--notify-staff", env=env, now=at(45))
    assert code == 2 and out.splitlines()[-1].startswith("stopped: Twilio rejected the credentials")
    assert err == ("sitrep: Twilio rejected the credentials (HTTP 401, code 20003): check TWILIO_ACCOUNT_SID "
                   "and TWILIO_AUTH_TOKEN\n")
    assert "wrong" not in out + err and twilio.messages == []
    assert staff_check(stage, 50)[1].endswith("staff texts (provider twilio): 1 sent\n")
    staff_check(stage, 55)
    assert len(stage.received()[STAFF]) == 1
