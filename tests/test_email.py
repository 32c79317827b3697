"""Email beside SMS, end to end: real git repositories, a Twilio server and an SMTP server on 127.0.0.1.

Every scenario asserts exactly which messages each address (and number) received.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import TEST_SECRETS
from gitrepo import git, ledger_files, now
from notify_harness import ALAN, INCIDENT, STAFF, TITLE, Stage, environ, link
from smtp_server import PASSWORD, USER, FakeSmtp
from twilio_server import FakeTwilio

from generator.cli import main
from generator.config import Settings
from generator.email_message import check_subject, compose_email, mime
from generator.keys import incident_slug
from generator.model import Incident, Update
from generator.providers import Message

PRIYA, FIONA, ALAN_MAIL = "priya@northbridge.example", "fiona@dlca.example", "alan@dlca.example"
HANNAH = "hannah@hbs.example"
DLCA = (PRIYA, FIONA, ALAN_MAIL)
SENDER = "status@northbridge.example"
RECIPIENTS = f"""\
staff:
  - {{name: Priya Shah, phone: "{STAFF}", email: {PRIYA}}}
clients:
  dlca:
    - {{name: Fiona Drummond, email: {FIONA}}}
    - {{name: Alan Reid, phone: "{ALAN}", email: {ALAN_MAIL}}}
    - {{name: Priya Shah, phone: "{STAFF}", email: PRIYA@Northbridge.example}}
  hbs:
    - {{name: Hannah Bay, email: {HANNAH}}}
"""
REF = incident_slug(TEST_SECRETS["SITREP_SITE_SECRET"], INCIDENT)[:6]
# AUTH over plain SMTP is what these tests do on 127.0.0.1; the TLS test covers the real case.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@dataclass
class MailStage(Stage):
    """A notifier stage whose recipients have addresses, with an SMTP server beside Twilio."""

    smtp: FakeSmtp | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.recipients.write_text(RECIPIENTS, encoding="utf-8")

    def env(self, **extra: str) -> dict[str, str]:
        """The CI environment, with the SMTP server and sender."""
        assert self.smtp is not None
        mail = {"SITREP_SMTP_URL": self.smtp.url(USER, PASSWORD) if self.smtp.auth else self.smtp.url(),
                "SITREP_EMAIL_FROM": SENDER}
        if self.smtp.cert_dir is not None:
            mail["SSL_CERT_FILE"] = self.smtp.cert_file
        return super().env(**{**mail, **extra})

    def subjects(self) -> dict[str, list[str]]:
        """The subjects each address received, in order."""
        assert self.smtp is not None
        return self.smtp.subjects()


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    server = FakeSmtp(auth=True).start()
    yield server
    server.stop()


@pytest.fixture
def stage(tmp_path: Path, twilio: FakeTwilio, smtp: FakeSmtp) -> MailStage:
    return MailStage(tmp_path, twilio, smtp=smtp)


def subject(status: str) -> str:
    return f"Major incident \u2014 {status} (ref {REF})"


THREE = (subject("Investigating"), subject("Identified"), subject("Resolved"))


def each(addresses: tuple[str, ...] | list[str], *subjects: str) -> dict[str, list[str]]:
    """Every address receiving exactly ``subjects``, in order."""
    return {address: list(subjects) for address in addresses}


def three_commits(stage: Stage) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    stage.change("identified", "The system disk has failed.", eta=stage.clock + timedelta(hours=2))
    stage.change("resolved", "Remote Access is back.", eta=stage.clock + timedelta(hours=1))
    stage.push()


def email_ledger(stage: Stage) -> str:
    return git(stage.base / "remote.git", "log", "-p", "sitrep-ledger", "--", "email/")


def test_three_commits_email_each_address_three_times_in_order_then_a_rerun_sends_none(
        stage: MailStage, smtp: FakeSmtp) -> None:
    three_commits(stage)
    result = stage.notify()
    assert result.code == 0, result.out + result.err
    assert stage.subjects() == each(DLCA, *THREE)
    # Priya is listed with a phone and an address (twice, in two cases): one SMS and one email each.
    assert {n: len(b) for n, b in stage.received().items()} == {STAFF: 3, ALAN: 3}
    assert smtp.handler.logins == ["ok"] * 3  # one connection per commit's batch, not per message
    updates = ["Staff cannot connect from home.", "The system disk has failed.", "Remote Access is back."]
    for address in DLCA:
        for item, update in zip(smtp.received()[address], updates, strict=True):
            assert item.rcpts == [address] and item.message["To"] == address
            for part in (item.part("plain"), item.part("html")):
                assert link() in part and update in part and TITLE in part
                assert "Northbridge IT Services" in part
    assert "Next update by" in smtp.received()[FIONA][0].part("plain")
    assert "Next update by" not in smtp.received()[FIONA][2].part("plain")
    ledger = git(stage.base / "remote.git", "log", "-p", "--format=", "sitrep-ledger")
    assert "email/r/" in ledger and not any(a in ledger.lower() for a in DLCA)  # only as keyed hashes
    again = stage.notify()
    assert again.code == 0, again.out
    base = git(stage.repo, "rev-list", "--max-parents=0", "HEAD")
    assert stage.notify("--from", base).code == 0
    assert {a: len(s) for a, s in stage.subjects().items()} == dict.fromkeys(DLCA, 3)
    assert stage.twilio.posts == 6


def test_headers_say_nothing_of_the_incident_but_a_neutral_subject(stage: MailStage, smtp: FakeSmtp) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    assert stage.notify().code == 0
    sent = smtp.received()[FIONA][0].message
    headers = "\n".join(f"{k}: {v}" for k, v in sent.items())
    for secret in (TITLE, "DLCA", "dlca", INCIDENT, link(), "Staff cannot connect"):
        assert secret not in headers.replace(FIONA, "")
    assert sent["Auto-Submitted"] == "auto-generated"
    assert str(sent["From"]) == f"Northbridge IT Services <{SENDER}>"
    ids = [m.message["Message-ID"] for items in smtp.received().values() for m in items]
    assert len(set(ids)) == 3 and all(i.endswith("@northbridge.example>") for i in ids)


def test_refused_address_fails_alone_and_the_others_get_theirs(stage: MailStage, smtp: FakeSmtp) -> None:
    smtp.handler.refuse = {FIONA}
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    result = stage.notify()
    assert result.code == 1, result.out
    assert ("failed   f•••@dlca.example (dlca) 550 5.1.1 <f•••@dlca.example>: Recipient address "
            "rejected") in result.out
    assert FIONA not in result.out + result.err
    assert sorted(stage.subjects()) == sorted([PRIYA, ALAN_MAIL])
    assert {n: len(b) for n, b in stage.received().items()} == {STAFF: 1, ALAN: 1}
    again = stage.notify()  # a refusal is for good: fix the address, not resend
    assert again.code == 0, again.out
    assert {a: len(s) for a, s in stage.subjects().items()} == {PRIYA: 1, ALAN_MAIL: 1}


def test_greylisted_address_is_retried_by_the_next_run(stage: MailStage, smtp: FakeSmtp) -> None:
    smtp.handler.greylist = {FIONA}
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    result = stage.notify()
    assert result.code == 1, result.out
    assert "retry    f•••@dlca.example (dlca) 450 4.2.0 Greylisted" in result.out
    assert sorted(stage.subjects()) == sorted([PRIYA, ALAN_MAIL])
    again = stage.notify()
    assert again.code == 0, again.out
    assert stage.subjects() == each(DLCA, subject("Investigating"))


def test_bad_smtp_credentials_stop_email_only_and_nothing_is_marked_sent(stage: MailStage,
                                                                          smtp: FakeSmtp) -> None:
    three_commits(stage)
    result = stage.notify(SITREP_SMTP_URL=smtp.url(USER, "wrong-pass-word"))
    assert result.code == 2
    assert (f"email: the SMTP server smtp://127.0.0.1:{smtp.port} rejected the user name or password"
            in result.err)
    assert "wrong-pass-word" not in result.out + result.err and USER not in result.out + result.err
    assert stage.subjects() == {}
    assert {n: len(b) for n, b in stage.received().items()} == {STAFF: 3, ALAN: 3}  # SMS went
    ledger = email_ledger(stage)
    assert '"status": "retry"' in ledger and '"status": "sent"' not in ledger
    fixed = stage.notify()
    assert fixed.code == 0, fixed.out
    assert stage.subjects() == each(DLCA, *THREE)
    assert stage.twilio.posts == 6


def test_bad_sms_credentials_stop_sms_only(stage: MailStage) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    result = stage.notify(TWILIO_AUTH_TOKEN="wrong")
    assert result.code == 2
    assert "Twilio rejected the credentials" in result.err
    assert stage.received() == {}
    assert stage.subjects() == each(DLCA, subject("Investigating"))


def test_unreachable_server_and_missing_url_stop_email_with_sms_sent(stage: MailStage) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    closed = FakeSmtp().start()
    closed.stop()
    result = stage.notify(SITREP_SMTP_URL=closed.url())
    assert result.code == 2
    assert f"email: cannot talk to the SMTP server smtp://127.0.0.1:{closed.port}" in result.err
    assert {n: len(b) for n, b in stage.received().items()} == {STAFF: 1, ALAN: 1}
    missing = stage.notify(SITREP_SMTP_URL="")
    assert missing.code == 2
    assert "SITREP_SMTP_URL is not set" in missing.err
    assert stage.subjects() == {}
    assert stage.notify().code == 0
    assert stage.subjects() == each(DLCA, subject("Investigating"))
    assert stage.twilio.posts == 2


def test_killed_after_the_server_accepted_a_message_is_unknown_not_resent(stage: MailStage,
                                                                         smtp: FakeSmtp) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    smtp.handler.hang = {ALAN_MAIL}  # the last in turn: taken, then never answered
    child = stage.spawn("--claim-lease", "2")
    deadline = time.monotonic() + 20
    while len(smtp.handler.messages) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    _, err = child.communicate()
    assert len(smtp.handler.messages) == 3, err
    smtp.handler.hang = set()
    time.sleep(2.1)  # the dead run's claims expire
    result = stage.notify()
    assert result.code == 1, result.out + result.err
    assert result.out.count("claimed → unknown") == 3
    assert "search the mail server's log for Message-ID <" in result.out
    assert stage.subjects() == each(DLCA, subject("Investigating"))
    decided = stage.notify("--decide-unknown", "sent")
    assert decided.code == 0, decided.out
    assert stage.notify().code == 0
    assert stage.subjects() == each(DLCA, subject("Investigating"))
    assert {n: len(b) for n, b in stage.received().items()} == {STAFF: 1, ALAN: 1}


@pytest.mark.parametrize("mode", ["starttls", "implicit_tls"])
def test_tls_with_a_verified_certificate(tmp_path: Path, twilio: FakeTwilio, mode: str) -> None:
    server = FakeSmtp(auth=True, cert_dir=tmp_path / "tls", **{mode: True}).start()
    try:
        (tmp_path / "stage").mkdir()
        stage = MailStage(tmp_path / "stage", twilio, smtp=server)
        stage.change("investigating", "Staff cannot connect from home.")
        stage.push()
        untrusted = stage.notify(SSL_CERT_FILE=str(tmp_path / "none.pem"))
        assert untrusted.code == 2 and "CERTIFICATE_VERIFY_FAILED" in untrusted.err
        result = stage.notify()
        assert result.code == 0, result.out + result.err
        assert server.subjects() == each(DLCA, subject("Investigating"))
    finally:
        server.stop()


def test_a_long_list_is_claimed_and_sent_in_batches(stage: MailStage, smtp: FakeSmtp) -> None:
    extra = [f"reader{n}@dlca.example" for n in range(9)]
    stage.recipients.write_text(RECIPIENTS.replace("  hbs:\n", "".join(
        f"    - {{name: Reader {n}, email: {a}}}\n" for n, a in enumerate(extra)) + "  hbs:\n"))
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    result = stage.notify()
    assert result.code == 0, result.out
    assert stage.subjects() == each([*DLCA, *extra], subject("Investigating"))
    assert smtp.handler.logins == ["ok", "ok"]  # 12 addresses: two batches of at most ten
    claims = git(stage.base / "remote.git", "log", "--format=%s", "sitrep-ledger")
    assert claims.count("sitrep notify: claim") == 3  # one SMS claim, two email claims


def test_json_summary_and_preview_count_each_channel(stage: MailStage,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    result = stage.notify("--json")
    data = json.loads(result.out)
    assert data["exit_code"] == 0 and data["counts"] == {"sent": 5}
    assert data["email"] == {"provider": "smtp", "recipients": 4, "counts": {"sent": 3}}
    deliveries = data["commits"][-1]["incidents"][0]["deliveries"]
    assert [(d["channel"], d["recipient"]) for d in deliveries] == [
        ("sms", "+44791•••456"), ("sms", "+44791•••457"), ("email", "p•••@northbridge.example"),
        ("email", "f•••@dlca.example"), ("email", "a•••@dlca.example")]
    assert not any(a in result.out for a in DLCA) and link() not in result.out
    text = stage.notify()
    assert "email via smtp to 4 address(es): no messages due" in text.out
    with environ(stage.env()):
        code = main(["-f", str(stage.repo / "mkdocs.yml"), "preview", INCIDENT])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[3:] == ["recipients: 3 (1 staff, 2 dlca): 2 by SMS, 3 by email",
                       f"email subject: {subject('Investigating')}"]


def test_dry_run_sends_and_connects_to_nothing(stage: MailStage, smtp: FakeSmtp) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    result = stage.notify("--dry-run")
    assert result.code == 0, result.out
    assert "SMS: 2 would send; email: 3 would send" in result.out
    assert stage.subjects() == {} and smtp.handler.logins == []


def test_outbox_takes_emails_when_nothing_real_is_configured(stage: MailStage) -> None:
    stage.change("investigating", "Staff cannot connect from home.")
    stage.push()
    outbox = stage.base / "outbox.jsonl"
    result = stage.notify(SITREP_SMS_PROVIDER="outbox", SITREP_SMTP_URL="", SITREP_OUTBOX=str(outbox))
    assert result.code == 0, result.out
    lines = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert sorted(line["to"] for line in lines if "subject" in line) == sorted(DLCA)
    assert any(f.startswith("email-outbox/") for f in ledger_files(stage.repo))
    # The real run afterwards still emails everyone: an outbox run hides nothing.
    assert stage.notify().code == 0
    assert stage.subjects() == each(DLCA, subject("Investigating"))


def _incident(drill: bool = False) -> Incident:
    at = now()
    return Incident("2026-12-03-dlca-vpn", "incidents/x.md", "VPN down \u2013 all sites", ("dlca",), "major",
                    at, (Update(at, "investigating", "Staff <b>cannot</b> connect."),), drill=drill)


def test_subject_privacy_default_opt_in_drill_prefix_and_encoding(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path, organisation="Northbridge IT Services")
    private = compose_email(_incident(), settings, "https://s.example/i/x/#k", "abcdefgh")
    assert private.subject == "Major incident \u2014 Investigating (ref abcdef)"
    opted = Settings(root=tmp_path, email_subject="{label}: {client} {title} \u2014 {status}")
    drill = compose_email(_incident(drill=True), opted, "https://s.example/i/x/#k", "abcdefgh")
    assert drill.subject == "EXERCISE: Major incident: DLCA VPN down \u2013 all sites \u2014 Investigating"
    assert drill.text.startswith("EXERCISE: Major incident: DLCA VPN down")
    assert "Staff &lt;b&gt;cannot&lt;/b&gt; connect." in drill.html
    sent = mime(Message("k.r", FIONA, drill.text, drill.subject, drill.html), SENDER, "Northbridge")
    wire = sent.as_bytes()
    assert wire.isascii() and b"=?utf-8?" in wire  # the dashes travel encoded (RFC 2047)
    problems = check_subject("{label} {titel}")
    assert len(problems) == 1 and "unknown {titel}" in str(problems[0])
    assert "did you mean 'title'" in str(problems[0])
