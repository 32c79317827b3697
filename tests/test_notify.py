"""``sitrep notify`` end to end: real git repositories, a bare remote, and a Twilio server on 127.0.0.1.

Every scenario asserts exactly which messages each number received.
"""

from __future__ import annotations

import json
import signal
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from gitrepo import clone, commit, git, incident_text, ledger_files, now
from notify_harness import ALAN, BAD, DLCA, FIONA, HANNAH, INCIDENT, STAFF, TITLE, Stage, environ, link
from twilio_server import FakeTwilio

from generator.cli import main


@pytest.fixture
def stage(tmp_path: Path, twilio: FakeTwilio) -> Stage:
    return Stage(tmp_path, twilio)


def expected(text: str) -> str:
    return f"{text} {link()}"


def three_commits(stage: Stage) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    stage.change("identified", "The system disk has failed.", eta=stage.clock + timedelta(hours=2))
    stage.change("resolved", "Remote Access is back.", eta=stage.clock + timedelta(hours=1))
    stage.push()


def test_three_commits_send_three_messages_per_recipient_in_order(stage: Stage) -> None:
    first = (stage.tick(0) + timedelta(minutes=10)).astimezone(ZoneInfo("Europe/London"))
    three_commits(stage)
    result = stage.notify()
    assert result.code == 0, result.out + result.err
    texts = [
        expected(f"Major incident: DLCA {TITLE}. Investigating. Next update by "
                 f"{first + timedelta(minutes=30):%H:%M}."),
        expected(f"Major incident: DLCA {TITLE}. Identified. Next update by "
                 f"{first + timedelta(minutes=40):%H:%M}."),
        expected(f"Resolved: DLCA {TITLE}."),
    ]
    assert stage.received() == dict.fromkeys(DLCA, texts)
    assert HANNAH not in stage.received()
    assert "3 sent" in result.out and STAFF not in result.out + result.err


def test_body_edit_and_silenced_commit_send_nothing(stage: Stage) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    assert stage.notify().code == 0
    updates = stage.updates[INCIDENT]
    stage.edit(incident_text(TITLE, updates, body="Staff cannot connect from home (typo fixed)."),
               "Fix a typo in the summary")
    stage.change("identified", "Disk failed.", commit_message="Add an update\n\nSitrep-Notify: no")
    stage.push()
    result = stage.notify()
    assert result.code == 0, result.out
    assert "no change that matters to readers" in result.out
    assert "Sitrep-Notify: no" in result.out
    assert all(len(bodies) == 1 for bodies in stage.received().values())


def test_rerun_of_the_same_range_sends_nothing(stage: Stage) -> None:
    three_commits(stage)
    assert stage.notify().code == 0
    assert stage.notify().code == 0
    base = git(stage.repo, "rev-list", "--max-parents=0", "HEAD")
    again = stage.notify("--from", base)
    assert again.code == 0
    assert "already sent" not in again.out  # counted, not listed one by one
    assert all(len(bodies) == 3 for bodies in stage.received().values())
    assert stage.twilio.posts == 9


def test_killed_after_the_provider_accepted_a_message(stage: Stage) -> None:
    three_commits(stage)
    # The second POST is accepted and then never answered; the run is killed meanwhile.
    stage.twilio.plan = ["ok", "hang"]
    child = stage.spawn("--claim-lease", "1")
    deadline = time.monotonic() + 20
    while len(stage.twilio.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    _, err = child.communicate()
    assert len(stage.twilio.messages) >= 2, err
    stage.twilio.plan = []
    time.sleep(1.1)  # the dead run's claims expire
    result = stage.notify()
    assert result.code == 0, result.out + result.err
    assert "settled" in result.out
    received = stage.received()
    assert sorted(received) == sorted(DLCA)
    assert all(len(bodies) == 3 and len(set(bodies)) == 3 for bodies in received.values())


def test_two_runs_at_the_same_moment_send_no_duplicate(stage: Stage) -> None:
    three_commits(stage)
    stage.twilio.latency = 0.05
    runs = [stage.spawn(), stage.spawn()]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert stage.received() == {n: stage.received()[STAFF] for n in DLCA}
    assert len(stage.received()[STAFF]) == 3
    assert stage.twilio.posts == 9


def test_force_push_with_the_same_content_sends_nothing(stage: Stage) -> None:
    three_commits(stage)
    assert stage.notify().code == 0
    # Squash the last two commits and reword: new SHAs, same incident content.
    git(stage.repo, "reset", "--soft", "HEAD~2")
    commit(stage.repo, "Identified and resolved (squashed)", now())
    stage.push(force=True)
    result = stage.notify()
    assert result.code == 0, result.out
    assert all(len(bodies) == 3 for bodies in stage.received().values())
    assert stage.twilio.posts == 9


def test_bad_number_among_good_ones(stage: Stage) -> None:
    text = stage.recipients.read_text() + f'    - {{name: Wrong Number, phone: "{BAD}"}}\n'
    stage.recipients.write_text(text)
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    result = stage.notify()
    assert result.code == 1
    assert "recipients.yml:10: phone +44770•••123 is not a valid number for Wrong Number" in result.out
    assert BAD not in result.out + result.err
    assert sorted(stage.received()) == sorted(DLCA)


def test_number_refused_by_twilio_is_reported_and_the_rest_sent(stage: Stage) -> None:
    stage.twilio.invalid = {FIONA}
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    result = stage.notify()
    assert result.code == 1
    assert "failed   +14155•••100 (dlca) 21211 invalid 'To' number" in result.out
    assert sorted(stage.received()) == sorted([STAFF, ALAN])


def test_rate_limited_then_accepted_sends_one_message(stage: Stage) -> None:
    stage.twilio.plan = ["429"]
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    result = stage.notify()
    assert result.code == 0, result.out
    assert {n: len(b) for n, b in stage.received().items()} == dict.fromkeys(DLCA, 1)
    assert stage.twilio.posts == 4


def test_bad_credentials_stop_the_run_and_nothing_is_marked_sent(stage: Stage) -> None:
    three_commits(stage)
    result = stage.notify(TWILIO_AUTH_TOKEN="wrong")
    assert result.code == 2
    assert "Twilio rejected the credentials" in result.err
    assert "wrong" not in result.out + result.err
    assert stage.received() == {}
    ledger = git(stage.base / "remote.git", "log", "-p", "sitrep-ledger")
    assert '"status": "retry"' in ledger and '"status": "sent"' not in ledger
    fixed = stage.notify()
    assert fixed.code == 0, fixed.out
    assert all(len(bodies) == 3 for bodies in stage.received().values())


def test_connection_dropped_after_accept_is_reconciled_not_resent(stage: Stage) -> None:
    stage.twilio.plan = ["drop"]
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    result = stage.notify()
    assert result.code == 0, result.out
    assert {n: len(b) for n, b in stage.received().items()} == dict.fromkeys(DLCA, 1)
    assert stage.twilio.posts == 3


def test_server_error_is_unknown_then_retried_after_checking(stage: Stage) -> None:
    stage.twilio.plan = ["500"]
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    first = stage.notify()
    assert first.code == 1
    assert "unknown" in first.out
    assert sum(len(b) for b in stage.received().values()) == 2
    second = stage.notify()
    assert second.code == 0, second.out
    assert {n: len(b) for n, b in stage.received().items()} == dict.fromkeys(DLCA, 1)


def test_first_run_skips_history_older_than_max_age(stage: Stage) -> None:
    stage.clock = now() - timedelta(days=3)
    stage.change("investigating", "Old news.", incident_id="2026-11-30-dlca-old")
    stage.clock = now() - timedelta(minutes=30)
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    result = stage.notify()
    assert result.code == 0, result.out
    assert "2026-11-30-dlca-old" not in result.out
    assert {n: len(b) for n, b in stage.received().items()} == dict.fromkeys(DLCA, 1)


def test_shallow_clone_names_fetch_depth(stage: Stage, tmp_path: Path) -> None:
    three_commits(stage)
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{tmp_path / 'remote.git'}", str(shallow))
    stage.repo = shallow
    result = stage.notify()
    assert result.code == 2
    assert "fetch-depth: 0" in result.err


def test_deleted_incident_sends_nothing(stage: Stage) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    assert stage.notify().code == 0
    git(stage.repo, "rm", "--quiet", f"incidents/{INCIDENT}.md")
    commit(stage.repo, "Remove a test incident", stage.tick())
    stage.push()
    result = stage.notify()
    assert result.code == 0
    assert "deleted" in result.out
    assert all(len(b) == 1 for b in stage.received().values())


def test_dry_run_sends_nothing_and_writes_no_ledger(stage: Stage) -> None:
    three_commits(stage)
    result = stage.notify("--dry-run")
    assert result.code == 0, result.out
    assert "would send" in result.out
    assert stage.received() == {}
    with pytest.raises(RuntimeError):
        ledger_files(stage.repo)


def test_json_summary_and_untouched_working_tree(stage: Stage) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    head = git(stage.repo, "rev-parse", "HEAD")
    result = stage.notify("--json")
    data = json.loads(result.out)
    assert data["exit_code"] == 0 and data["counts"] == {"sent": 3}
    delivery = data["commits"][-1]["incidents"][0]["deliveries"][0]
    assert delivery == {"recipient": "+44791•••456", "group": "staff", "status": "sent", "detail": "",
                        "channel": "sms"}
    assert link() not in result.out  # the secret link never reaches a CI log
    assert git(stage.repo, "status", "--porcelain") == ""
    assert git(stage.repo, "rev-parse", "HEAD") == head
    assert git(stage.repo, "symbolic-ref", "HEAD") == "refs/heads/main"


def test_outbox_provider_writes_json_lines_in_its_own_namespace(stage: Stage) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    outbox = stage.base / "outbox.jsonl"
    result = stage.notify(SITREP_SMS_PROVIDER="outbox", SITREP_OUTBOX=str(outbox))
    assert result.code == 0, result.out
    lines = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert sorted(line["to"] for line in lines) == sorted(DLCA)
    assert any(f.startswith("outbox/") for f in ledger_files(stage.repo))
    # A developer's outbox run never hides a real message from the SMS provider.
    assert stage.notify().code == 0
    assert sorted(stage.received()) == sorted(DLCA)


def test_missing_recipients_in_ci_stops_the_run(stage: Stage) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    result = stage.notify(SITREP_RECIPIENTS="")
    assert result.code == 2
    assert "SITREP_RECIPIENTS is not set" in result.err


def test_ledger_unreachable_stops_the_run(stage: Stage) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    git(stage.repo, "remote", "set-url", "origin", str(stage.base / "nowhere.git"))
    result = stage.notify()
    assert result.code == 2
    assert "ledger" in result.err and "unreachable" in result.err
    assert stage.received() == {}


def test_fresh_clone_of_ci_continues_where_the_last_run_stopped(stage: Stage, tmp_path: Path) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    assert stage.notify().code == 0
    stage.change("identified", "The system disk has failed.")
    stage.push()
    stage.repo = clone(tmp_path / "remote.git", tmp_path / "ci")
    result = stage.notify()
    assert result.code == 0, result.out
    assert all(len(b) == 2 for b in stage.received().values())


def test_preview_prints_text_encoding_and_recipients(stage: Stage,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    with environ(stage.env()):
        code = main(["-f", str(stage.repo / "mkdocs.yml"), "preview", INCIDENT])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].startswith(f"Major incident: DLCA {TITLE}. Investigating. Next update by ")
    assert out[0].endswith(link())
    assert out[1:] == ["event: new (commit " + git(stage.repo, "rev-parse", "--short=7", "HEAD") + ")",
                       f"encoding: GSM-7, {len(out[0])} septets, 1 segment",
                       "recipients: 3 (1 staff, 2 dlca)"]
