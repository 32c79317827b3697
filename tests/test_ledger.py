"""The ledger branch: claims that race, merges after a rejected push, settling what a dead run left."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import git as gitpython
import pytest
from conftest import TEST_SECRETS
from gitrepo import clone, git, init_repo
from notify_harness import ALAN, DLCA, FIONA, INCIDENT, STAFF, Stage
from pytest_httpserver import HTTPServer
from twilio_server import FakeTwilio

from generator.changes import notifiable_state, read_incident_at
from generator.errors import StopRun
from generator.ledger import Change, Entry, Ledger, lease_until, recipient_id

SECRET = TEST_SECRETS["SITREP_SITE_SECRET"]


def claim(ledger: Ledger, state: str, rcpt: str, lease: float = 600) -> Change:
    entry = Entry("claimed", ledger.run, datetime.now(UTC).isoformat(), commit="c" * 40, body="b",
                  provider="twilio", lease=lease_until(lease))
    return Change(state, "incident-a", rcpt, entry, "claim")


@pytest.fixture
def clones(tmp_path: Path) -> tuple[Path, Path]:
    first = init_repo(tmp_path)
    return first, clone(tmp_path / "remote.git", tmp_path / "second")


def test_first_claim_wins_and_the_loser_merges_after_a_rejected_push(clones: tuple[Path, Path]) -> None:
    a, b = Ledger(clones[0]), Ledger(clones[1])
    a.fetch()
    b.fetch()  # both read the ledger before either writes
    assert a.write([claim(a, "s1", "r1"), claim(a, "s1", "r2")]) == set()
    # b's push is rejected; it fetches, merges record by record and pushes its other claim.
    assert b.write([claim(b, "s1", "r1"), claim(b, "s2", "r1")]) == {("s1", "r1")}
    a.fetch()
    records = a.records(["s1", "s2"])
    assert {r: e.run for r, e in records["s1"].items()} == {"r1": a.run, "r2": a.run}
    assert records["s2"]["r1"].run == b.run
    assert [s for s, _, _, _ in a.open_records()] == ["s1", "s1", "s2"]


def test_outcome_closes_the_record_and_done_marks_the_commit(clones: tuple[Path, Path]) -> None:
    ledger = Ledger(clones[0])
    ledger.fetch()
    change = claim(ledger, "s1", "r1")
    ledger.write([change])
    sent = Change("s1", "incident-a", "r1", Entry("sent", ledger.run, "now", ref="SM1"), "outcome")
    ledger.write([sent], done=["d" * 40], horizon=datetime(2026, 12, 3, tzinfo=UTC))
    fresh = Ledger(clones[1])
    fresh.fetch()
    assert fresh.records(["s1"])["s1"]["r1"].status == "sent"
    assert fresh.open_records() == []
    assert fresh.done() == {"d" * 40}
    assert fresh.horizon() == datetime(2026, 12, 3, tzinfo=UTC)


def test_writing_never_touches_the_working_tree_index_or_head(clones: tuple[Path, Path]) -> None:
    repo = clones[0]
    (repo / "incidents" / "draft.md").write_text("work in progress\n")
    git(repo, "add", "incidents/draft.md")
    (repo / "mkdocs.yml").write_text((repo / "mkdocs.yml").read_text() + "# edited\n")
    before = (git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD"),
              git(repo, "diff", "--cached"))
    ledger = Ledger(repo)
    ledger.fetch()
    ledger.write([claim(ledger, "s1", "r1")], done=["d" * 40])
    after = (git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD"),
             git(repo, "diff", "--cached"))
    assert after == before
    assert git(repo, "symbolic-ref", "HEAD") == "refs/heads/main"


def test_an_unchanged_ledger_is_not_committed_again(clones: tuple[Path, Path]) -> None:
    ledger = Ledger(clones[0])
    ledger.fetch()
    ledger.write([], done=["d" * 40])
    tip = ledger.tip
    ledger.write([], done=["d" * 40])
    assert ledger.tip == tip


def test_unreachable_remote_stops_the_run(clones: tuple[Path, Path], tmp_path: Path) -> None:
    git(clones[0], "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    with pytest.raises(StopRun, match="unreachable"):
        Ledger(clones[0]).fetch()


def test_recipient_id_is_an_hmac_not_the_number() -> None:
    rid = recipient_id(SECRET, STAFF)
    assert rid == recipient_id(SECRET, STAFF) != recipient_id("another-secret-of-32-characters!!", STAFF)
    assert "7911" not in rid and len(rid) == 24


def test_no_number_or_message_text_in_the_ledger(tmp_path: Path, twilio: FakeTwilio) -> None:
    stage = Stage(tmp_path, twilio)
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    assert stage.notify().code == 0
    remote = tmp_path / "remote.git"
    dump = git(remote, "log", "-p", "sitrep-ledger")
    assert "sms/r/" in dump
    for number in DLCA:
        assert number[1:] not in dump and number[-6:] not in dump
    assert "#" not in dump.split("README.md")[-1]  # no link, so no key


def plant_claim(stage: Stage, phone: str, status: str = "claimed", lease: float = -1, run: str = "dead",
                provider: str = "twilio") -> None:
    """A record as a run that died would leave it, for the incident at HEAD."""
    with gitpython.Repo(stage.repo) as repo:
        incident = read_incident_at(repo, "HEAD", f"incidents/{INCIDENT}.md")
    assert incident is not None
    ledger = Ledger(stage.repo, "sms")
    ledger.fetch()
    entry = Entry(status, run, (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
                  commit=git(stage.repo, "rev-parse", "HEAD"), body="0" * 64, provider=provider,
                  lease=lease_until(lease))
    ledger.write([Change(notifiable_state(incident), INCIDENT, recipient_id(SECRET, phone), entry, "claim")])


def test_live_claim_of_another_run_is_left_to_it(tmp_path: Path, twilio: FakeTwilio) -> None:
    stage = Stage(tmp_path, twilio)
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    plant_claim(stage, FIONA, lease=600, run="alive")
    result = stage.notify()
    assert result.code == 0, result.out
    assert "+14155•••100 (dlca) being sent by another run" in result.out
    assert sorted(stage.received()) == sorted([STAFF, ALAN])


def test_dead_twilio_claim_not_in_the_list_is_sent_again(tmp_path: Path, twilio: FakeTwilio) -> None:
    stage = Stage(tmp_path, twilio)
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    plant_claim(stage, FIONA)
    result = stage.notify()
    assert result.code == 0, result.out
    assert "claimed → retry" in result.out
    assert {n: len(b) for n, b in stage.received().items()} == dict.fromkeys(DLCA, 1)


def test_webhook_claim_of_a_dead_run_is_unknown_for_a_person(tmp_path: Path, twilio: FakeTwilio,
                                                             httpserver: HTTPServer) -> None:
    httpserver.expect_request("/sms", method="POST").respond_with_data("{}", status=202)
    stage = Stage(tmp_path, twilio)
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    plant_claim(stage, FIONA, provider="webhook")
    hook = {"SITREP_SMS_PROVIDER": "webhook", "SITREP_WEBHOOK_URL": httpserver.url_for("/sms"),
            "SITREP_WEBHOOK_SECRET": "hook-secret"}
    first = stage.notify(**hook)
    assert first.code == 1
    assert "claimed → unknown" in first.out
    assert "unknown  +14155•••100 (dlca) an earlier send may have gone through" in first.out
    assert sorted(json.loads(r.get_data())["to"] for r, _ in httpserver.log) == sorted([STAFF, ALAN])
    again = stage.notify(**hook)
    assert again.code == 1  # still for a person to decide; never silently resent
    assert "--decide-unknown" in again.out
    assert len(httpserver.log) == 2
    decided = stage.notify("--decide-unknown", "resend", **hook)
    assert decided.code == 0, decided.out
    assert "unknown → retry" in decided.out
    assert sorted(json.loads(r.get_data())["to"] for r, _ in httpserver.log) == sorted(DLCA)
    assert stage.notify(**hook).code == 0
