"""``sitrep drill report``: every figure of a drill whose commits and ledger records have known times,
the same report as a staff-only page of a real build, and the report after a real notify run."""

from __future__ import annotations

import contextlib
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import git as gitpython
import pytest
from conftest import TEST_SECRETS, copy_repo, mkdocs_build, read_page, site_env
from gitrepo import commit, git, incident_text, push, write_incident
from notify_harness import ALAN, FIONA, HANNAH, INCIDENT, STAFF, Stage, environ
from twilio_server import FakeTwilio

from generator import keys, protect
from generator.changes import notifiable_state, read_incident_at
from generator.cli import main
from generator.drill_report import sms_figures
from generator.ledger import Change, Entry, Ledger, recipient_id

SECRET = TEST_SECRETS["SITREP_SITE_SECRET"]
DRILL = "2026-11-26-dlca-failover-drill"
PATH = f"incidents/{DRILL}.md"
TITLE = "Remote access failover drill"


def utc(hour: int, minute: int, second: int = 0, day: int = 26) -> datetime:
    """A time on the day of the drill, Thursday 26 November 2026 (GMT, so UTC)."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


STARTED = utc(10, 0)
UPDATES = [(utc(10, 5), "investigating", "Remote access is down. Use webmail."),
           (utc(10, 35), "identified", "Failing over to the standby server."),
           (utc(11, 10), "resolved", "Exercise complete, the failover worked.")]
ETAS = [utc(11, 30), utc(11, 15), utc(11, 15)]
COMMITTED = [utc(10, 6), utc(10, 37), utc(11, 11)]


def repository(base: Path) -> Path:
    """The example repository in git with a bare remote, then the drill in three dated commits."""
    work, remote = copy_repo(base / "work"), base / "remote.git"
    git(base, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    git(work, "init", "--quiet", "--initial-branch=main")
    (work / ".gitignore").write_text("/.sitrep/\n/site/\n", encoding="utf-8")
    git(work, "remote", "add", "origin", str(remote))
    commit(work, "The example status repository", utc(9, 0, day=20), paths=["."])
    for count in range(1, 4):
        write_incident(work, DRILL, incident_text(TITLE, UPDATES[:count], client="dlca", severity="critical",
                                                  started=STARTED, eta=ETAS[count - 1], drill=True))
        commit(work, f"Drill: {UPDATES[count - 1][1]}", COMMITTED[count - 1])
    push(work)
    return work


def shas(work: Path) -> list[str]:
    """The three drill commits, oldest first."""
    return git(work, "log", "--format=%H", "--reverse", "-3").split()


def entry(status: str, accepted: datetime | None, at: datetime, sha: str) -> Entry:
    return Entry(status, "test-run", at.isoformat(), commit=sha, body="0" * 64, provider="twilio",
                 accepted=accepted.isoformat() if accepted else "")


# Who got what, per commit: (status, accepted at). STAFF's first outcome was recorded late
# (settled after a crash), so only its accepted-at time can make it the first SMS.
RECORDS = {
    STAFF: [("sent", utc(10, 8)), ("sent", utc(10, 39)), ("sent", utc(11, 13))],
    HANNAH: [("sent", utc(10, 9, 30)), ("sent", utc(10, 39)), ("unknown", None)],
    FIONA: [("failed", None), ("sent", utc(10, 39)), ("sent", utc(11, 13))],
    ALAN: [("failed", None), ("failed", None), ("failed", None)],
}


def plant_ledger(work: Path) -> None:
    """Ledger records with known times, written through the ledger's own API."""
    states = [_state(work, sha, PATH) for sha in shas(work)]
    sms, outbox = Ledger(work, "sms"), Ledger(work, "outbox")
    sms.fetch()
    changes = []
    for phone, outcomes in RECORDS.items():
        for (status, accepted), state, sha in zip(outcomes, states, shas(work), strict=True):
            recorded = utc(10, 20) if phone == STAFF and state == states[0] else (accepted or utc(11, 30))
            changes.append(Change(state, DRILL, recipient_id(SECRET, phone),
                                  entry(status, accepted, recorded, sha), "claim"))
    # Another incident's SMS, earlier than the drill's: not the drill's first message.
    changes.append(Change("f" * 32, "another-incident", recipient_id(SECRET, STAFF),
                          entry("sent", utc(10, 1), utc(10, 1), "a" * 40), "claim"))
    sms.write(changes, note="test: plant records")
    outbox.fetch()
    # A developer's outbox run is never mistaken for the real sends.
    outbox.write([Change(states[0], DRILL, recipient_id(SECRET, STAFF), entry("sent", utc(10, 2), utc(10, 2),
                                                                             shas(work)[0]), "claim")])


def _state(work: Path, sha: str, path: str) -> str:
    """The ledger state of the incident as commit ``sha`` left it."""
    with gitpython.Repo(work) as repo:
        incident = read_incident_at(repo, sha, path)
    assert incident is not None
    return notifiable_state(incident)


@pytest.fixture(scope="module")
def drill_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = repository(tmp_path_factory.mktemp("drill"))
    plant_ledger(work)
    return work


def run_cli(work: Path, *args: str, **env: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    full = site_env(**{"SITREP_SMS_PROVIDER": "twilio", **env})
    with environ(full), contextlib.chdir(work), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        code = main(["drill", "report", *args])
    return code, out.getvalue(), err.getvalue()


def test_every_figure_of_the_drill_report(drill_repo: Path) -> None:
    c1, c2, c3 = (sha[:7] for sha in shas(drill_repo))
    code, out, err = run_cli(drill_repo, DRILL)
    assert code == 0, err
    assert out == f"""\
# Drill report: {TITLE}

`{DRILL}` · Drummond Laurie Chartered Accountants · Critical · drill · resolved

## Timings

| | When | After the start |
|---|---|---|
| Started | Thu 26 Nov 2026, 10:00 GMT |  |
| First commit | 10:06 GMT ({c1}) | 6 minutes |
| First update in the file | 10:05 GMT | 5 minutes |
| First SMS accepted by the provider | 10:08 GMT | 8 minutes |
| Resolved | 11:10 GMT | 1 h 10 min |

**Time to first message: 8 minutes**, from the start to the first SMS accepted by the provider; \
2 minutes after the first commit.

## Updates against the promise (every 30 minutes)

| # | Status | Posted | Reached the branch | Gap | Promise |
|---|---|---|---|---|---|
| 1 | Investigating | 10:05 GMT | 10:06 GMT ({c1}) | 5 minutes after the start | - |
| 2 | Identified | 10:35 GMT | 10:37 GMT ({c2}) | 30 minutes | kept |
| 3 | Resolved | 11:10 GMT | 11:11 GMT ({c3}) | 35 minutes | late by 5 minutes |

Promise kept for 1 of 2 gaps; longest gap 35 minutes.

## ETAs against the resolution

| ETA | Given (reached the branch) | Against the resolution |
|---|---|---|
| 11:30 GMT | 10:06 GMT ({c1}) | met, 20 minutes early |
| 11:15 GMT | 10:37 GMT ({c2}) | met, 5 minutes early |

## Stakeholders

- Texted: 4 stakeholders
- Reached: 3 (at least one SMS accepted by the provider)
- Failed: 3 (at least one SMS rejected by the provider or not confirmed)
- SMS: 7 accepted, 4 rejected, 1 not confirmed

## Review

Not held yet: due by Tue 1 Dec 2026, 11:10 GMT, overdue by 1 day 21 h.

## Sources

- Times are Europe/London time.
- Started, updates, ETAs and resolution: the incident file {PATH}.
- First commit: the committer time of {c1}, the first commit on the branch that added {PATH}. \
Git records when a commit was made, not when it was pushed.
- SMS: the ledger, branch sitrep-ledger on origin, sms records (SITREP_SMS_PROVIDER=twilio).
"""


def test_the_outbox_ledger_is_read_only_for_outbox_runs(drill_repo: Path) -> None:
    code, out, _ = run_cli(drill_repo, DRILL, SITREP_SMS_PROVIDER="outbox")
    assert code == 0
    assert "| First SMS accepted by the provider | 10:02 GMT | 2 minutes |" in out
    assert "- Texted: 1 stakeholder\n" in out
    assert "outbox records (SITREP_SMS_PROVIDER=outbox)" in out


def test_an_unreachable_ledger_falls_back_to_the_fetched_copy(drill_repo: Path, tmp_path: Path) -> None:
    url = git(drill_repo, "remote", "get-url", "origin")
    git(drill_repo, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    try:
        code, out, _ = run_cli(drill_repo, DRILL)
    finally:
        git(drill_repo, "remote", "set-url", "origin", url)
    assert code == 0
    assert "| First SMS accepted by the provider | 10:08 GMT | 8 minutes |" in out
    assert ("- SMS: the last fetched copy of the ledger (branch sitrep-ledger; origin could not be "
            "reached)") in out


def test_an_unknown_incident_is_one_line_without_traceback(drill_repo: Path) -> None:
    code, out, err = run_cli(drill_repo, "no-such-drill")
    assert (code, out) == (1, "")
    assert err == ("sitrep: no valid incident 'no-such-drill' in incidents/ (check the id with ls "
                   "incidents/, and sitrep validate)\n")


def test_a_record_without_accepted_time_says_its_time_is_when_it_was_recorded() -> None:
    records = {"s1": {"r1": Entry("sent", "run", utc(10, 9).isoformat()),
                      "r2": Entry("sent", "run", utc(10, 12).isoformat(), accepted=utc(10, 11).isoformat())}}
    figures = sms_figures(records, "ledger")
    assert (figures.first_accepted, figures.recorded_only) == (utc(10, 9), True)
    records["s1"]["r1"] = Entry("sent", "run", utc(10, 15).isoformat())
    assert (sms_figures(records, "ledger").first_accepted, sms_figures(records, "ledger").recorded_only) == (
        utc(10, 11), False)


# The same report on the site, for staff only -----------------------------------------------

def cells(html: str) -> list[list[str]]:
    """Every table row of a page as its cells' text."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh]>(.*?)</t[dh]>", row, re.S)]
            for row in rows]


@pytest.fixture(scope="module")
def drill_site(drill_repo: Path) -> Path:
    result = mkdocs_build(drill_repo, site_env(), site_dir=drill_repo.parent / "site")
    assert result.returncode == 0, result.stderr
    return drill_repo.parent / "site"


def report_url(incident_id: str) -> str:
    return f"{keys.staff_path(SECRET)}r/{keys.slug(SECRET, 'report', incident_id)}/"


def test_the_report_page_shows_git_times_and_says_where_the_sms_figures_are(drill_site: Path,
                                                                              drill_repo: Path) -> None:
    c1, c2, c3 = (sha[:7] for sha in shas(drill_repo))
    html = read_page(drill_site, report_url(DRILL))
    assert cells(html) == [
        ["", "When", "After the start"],
        ["Started", "Thu 26 Nov 2026, 10:00 GMT", ""],
        ["First commit", f"10:06 GMT ({c1})", "6 minutes"],
        ["First update in the file", "10:05 GMT", "5 minutes"],
        ["First SMS accepted by the provider", "not known (see Sources)", ""],
        ["Resolved", "11:10 GMT", "1 h 10 min"],
        ["#", "Status", "Posted", "Reached the branch", "Gap", "Promise"],
        ["1", "Investigating", "10:05 GMT", f"10:06 GMT ({c1})", "5 minutes after the start", "-"],
        ["2", "Identified", "10:35 GMT", f"10:37 GMT ({c2})", "30 minutes", "kept"],
        ["3", "Resolved", "11:10 GMT", f"11:11 GMT ({c3})", "35 minutes", "late by 5 minutes"],
        ["ETA", "Given (reached the branch)", "Against the resolution"],
        ["11:30 GMT", f"10:06 GMT ({c1})", "met, 20 minutes early"],
        ["11:15 GMT", f"10:37 GMT ({c2})", "met, 5 minutes early"],
    ]
    text = re.sub(r"<[^>]+>", "", html)
    assert "Time to first message: 5 minutes, from the start to the first update in the file" in text
    assert (f"SMS: the ledger (branch sitrep-ledger), which the site build does not read: run sitrep drill "
            f"report {DRILL} for the first SMS accepted and the stakeholders reached and failed.") in text


def test_the_report_page_is_for_staff_only_and_listed_on_the_staff_overview(drill_site: Path) -> None:
    data = protect.payload_of((drill_site / report_url(DRILL) / "index.html").read_text(encoding="utf-8"))
    assert data is not None
    assert TITLE in protect.open_payload(data, keys.staff_key(SECRET))
    with pytest.raises(protect.ProtectError):
        protect.open_payload(data, keys.client_key(SECRET, "dlca"))
    overview = read_page(drill_site, keys.staff_path(SECRET))
    listed = re.search(r'<section class="sitrep-section sitrep-reports">.*?</section>', overview, re.S)
    assert listed is not None
    link = f'href="r/{keys.slug(SECRET, "report", DRILL)}/">{TITLE}</a>'
    assert link in listed.group(0)
    row = next(li for li in re.findall(r"<li>.*?</li>", listed.group(0)) if TITLE in li)
    expected = [*TITLE.split(), "Critical", "Exercise", "review", "overdue"]
    assert re.sub(r"<[^>]+>", "", row).split() == expected
    assert 'href="stats/">Statistics by client and month</a>' in listed.group(0)


def test_without_git_history_the_page_says_so(example_site: Path) -> None:
    html = read_page(example_site, report_url("2026-10-07-hbs-clinical-system-drill"))
    text = re.sub(r"<[^>]+>", "", html)
    assert ["First commit", "not known (no git history)", ""] in cells(html)
    assert "Commits: no git history here (not a repository, or a shallow clone: fetch-depth: 0)." in text


# After a real notify run against the Twilio-speaking server ---------------------------------

def test_after_a_real_notify_run_the_report_has_accepted_times(tmp_path: Path, twilio: FakeTwilio) -> None:
    stage = Stage(tmp_path, twilio)
    twilio.invalid = {ALAN}
    stage.change("investigating", "Staff cannot connect from home.", drill=True, severity="critical")
    stage.change("resolved", "Exercise complete.", drill=True, severity="critical")
    stage.push()
    before = datetime.now(UTC).replace(microsecond=0)
    assert stage.notify().code == 1  # ALAN's number is refused: one failure per message
    after = datetime.now(UTC)
    ledger = Ledger(stage.repo, "sms")
    ledger.fetch()
    states = [_state(stage.repo, sha, f"incidents/{INCIDENT}.md")
              for sha in git(stage.repo, "log", "--format=%H", "-2").split()]
    sent = [e for r in ledger.records(states).values() for e in r.values() if e.status == "sent"]
    assert len(sent) == 4 and all(before <= datetime.fromisoformat(e.accepted) <= after for e in sent)
    first = min(datetime.fromisoformat(e.accepted) for e in sent)
    # Twilio's own record of the first acceptance agrees to the second.
    assert abs(min(m.created for m in twilio.messages) - first) < timedelta(seconds=2)
    out = io.StringIO()
    with environ(stage.env(SITREP_NOW=stage.clock.isoformat())), contextlib.chdir(stage.repo), \
            contextlib.redirect_stdout(out):
        assert main(["drill", "report", INCIDENT]) == 0
    report = out.getvalue()
    assert "- Texted: 3 stakeholders\n- Reached: 2 (" in report
    assert "- Failed: 1 (" in report and "- SMS: 4 accepted, 2 rejected, 0 not confirmed" in report
    local = first.astimezone(ZoneInfo("Europe/London"))
    assert f"| First SMS accepted by the provider | {local:%H:%M} {local.tzname()} |" in report
    assert FIONA not in report and STAFF not in report
