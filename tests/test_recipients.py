"""Recipients from ``SITREP_RECIPIENTS``: numbers checked at load, bad ones skipped with their line."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from generator.config import Settings
from generator.errors import InputError, StopRun
from generator.load import load_incident
from generator.recipients import check_email, check_phone, load_recipients, mask, mask_email, parse_recipients

TEXT = """\
staff:
  - {name: Priya Shah, phone: "+447911123456"}
  - name: Alan Reid
    phone: +14155550100
clients:
  dlca:
    - {name: Fiona Drummond, phone: "+447911123457"}
    - {name: Wrong Number, phone: "+447700900123"}
    - {name: Priya Shah, phone: "+44 7911 123456"}
  hbs:
    - {name: Local Format, phone: "07911 123458"}
    - {name: Hannah Bay, phone: "+447911123458"}
"""


def incident(name: str) -> object:
    found, _ = load_incident(ROOT / "incidents" / f"{name}.md")
    return found


def test_parse_checks_every_number_and_skips_bad_ones() -> None:
    recipients = parse_recipients(TEXT, "recipients.yml", known_clients=["dlca", "hbs"])
    assert [str(p) for p in recipients.problems] == [
        "recipients.yml:8: phone +44770•••123 is not a valid number for Wrong Number in clients.dlca; "
        "skipped (write it as '+447911123456' (E.164: + and the country code, in quotes))",
        "recipients.yml:11: phone is not an international number for Local Format in clients.hbs; "
        "skipped (write it as '+447911123456' (E.164: + and the country code, in quotes))",
    ]
    assert [p.phone for p in recipients.staff] == ["+447911123456", "+14155550100"]
    assert [(p.name, p.phone, p.line) for p in recipients.clients["dlca"]] == [
        ("Fiona Drummond", "+447911123457", 7), ("Priya Shah", "+447911123456", 9)]


def test_staff_get_everything_and_a_number_listed_twice_gets_one_message() -> None:
    recipients = parse_recipients(TEXT, "recipients.yml")
    dlca = recipients.for_incident(incident("2017-08-14-dlca-remote-access"))  # type: ignore[arg-type]
    assert [(p.phone, p.group) for p in dlca] == [
        ("+447911123456", "staff"), ("+14155550100", "staff"), ("+447911123457", "dlca")]
    hbs = recipients.for_incident(incident("2026-10-07-hbs-clinical-system-drill"))  # type: ignore[arg-type]
    assert [p.phone for p in hbs] == ["+447911123456", "+14155550100", "+447911123458"]
    public = recipients.for_incident(incident("2026-11-29-service-desk-phone-maintenance"))  # type: ignore[arg-type]
    assert len(public) == len(recipients.everyone()) == 4


def test_unknown_client_and_key_are_reported() -> None:
    recipients = parse_recipients("staf: []\nclients:\n  dcla: []\n", "r.yml", known_clients=["dlca"])
    assert [str(p) for p in recipients.problems] == [
        "r.yml:1: unknown key 'staf' (use staff: and clients:; did you mean 'staff'?)",
        "r.yml:3: warning: client 'dcla' is not in incidents/clients.yml "
        "(check the id; did you mean 'dlca'?)",
    ]


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(InputError, match=r"r.yml:\d: invalid YAML"):
        parse_recipients("staff:\n  - {name: x, phone: \n", "r.yml")


@pytest.mark.parametrize(("value", "e164"), [
    ("+447911123456", "+447911123456"), ("+44 7911 123456", "+447911123456"),
    (447911123456, "+447911123456"), ("+1 (415) 555-0100", "+14155550100"),
])
def test_check_phone(value: object, e164: str) -> None:
    assert check_phone(value) == e164


@pytest.mark.parametrize("value", ["+447700900123", "07911123456", "hello", None, True, "+1555"])
def test_check_phone_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        check_phone(value)


def test_mask() -> None:
    assert mask("+447911123456") == "+44791•••456"
    assert mask("+123") == "••••"


def test_sources(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path)
    with pytest.raises(StopRun, match="SITREP_RECIPIENTS is not set"):
        load_recipients(settings, {"CI": "true"})
    with pytest.raises(StopRun, match="cannot read the recipients file"):
        load_recipients(settings, {"SITREP_RECIPIENTS": str(tmp_path / "missing.yml")})
    nobody = load_recipients(settings, {})
    assert nobody.everyone() == [] and nobody.problems[0].warning
    assert "nobody will be texted" in str(nobody.problems[0])
    local = tmp_path / ".sitrep" / "recipients.yml"
    local.parent.mkdir()
    local.write_text(TEXT)
    assert len(load_recipients(settings, {}).everyone()) == 4


EMAILS = """\
staff:
  - {name: Priya Shah, phone: "+447911123456", email: priya@Northbridge.Example}
clients:
  dlca:
    - {name: Fiona Drummond, email: fiona@dlca.example}
    - name: Alan Reid
      phone: "+447700900123"
      email: alan@dlca.example
    - {name: Typo, email: "typo@dlca..example"}
    - {name: Nobody}
    - {name: Priya Shah, email: PRIYA@northbridge.example, mobile: "+447911123456"}
"""


def test_emails_are_checked_at_load_and_each_channel_is_a_delivery_of_its_own() -> None:
    recipients = parse_recipients(EMAILS, "recipients.yml", known_clients=["dlca"])
    assert [str(p) for p in recipients.problems] == [
        "recipients.yml:7: phone +44770•••123 is not a valid number for Alan Reid in clients.dlca; "
        "skipped (write it as '+447911123456' (E.164: + and the country code, in quotes))",
        "recipients.yml:9: email t•••@dlca..example is not a valid address for Typo in clients.dlca; "
        "skipped (write it as name@example.com)",
        "recipients.yml:10: no phone and no email for Nobody in clients.dlca; skipped "
        "(add phone: '+447911123456' (E.164: + and the country code, in quotes) or email: name@example.com)",
        "recipients.yml:11: warning: unknown key 'mobile' for Priya Shah in clients.dlca "
        "(use name, phone and email)",
    ]
    people = recipients.everyone()
    assert [(p.name, p.phone, p.email) for p in people] == [
        ("Priya Shah", "+447911123456", "priya@northbridge.example"),
        ("Fiona Drummond", "", "fiona@dlca.example"), ("Alan Reid", "", "alan@dlca.example")]
    assert [c.masked for c in recipients.contacts("sms")] == ["+44791•••456"]
    assert [c.masked for c in recipients.contacts("email")] == [
        "p•••@northbridge.example", "f•••@dlca.example", "a•••@dlca.example"]


@pytest.mark.parametrize(("value", "address"), [
    ("fiona@dlca.example", "fiona@dlca.example"),
    (" Fiona.D+status@DLCA.Example ", "Fiona.D+status@dlca.example"),
])
def test_check_email(value: str, address: str) -> None:
    assert check_email(value) == address


@pytest.mark.parametrize("value", ["fiona", "fiona@dlca", "Fiona <f@dlca.example>", "f@@dlca.example",
                                   "jürgen@dlca.example", "f@dlca.example\nBcc: x@y.example", 42, None])
def test_check_email_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        check_email(value)


def test_mask_email() -> None:
    assert mask_email("fiona@dlca.example") == "f•••@dlca.example"
    assert mask_email("nonsense") == "n•••"
