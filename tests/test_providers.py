"""Providers against real HTTP servers on 127.0.0.1: every answer classified, nothing sent twice."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer
from twilio_server import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from werkzeug import Request, Response

from generator.config import Settings
from generator.errors import StopRun
from generator.providers import Message, Outbox, Webhook, make_provider, new_session, scrub, send_all
from generator.twilio import VALIDITY, Twilio

TO = "+447911123456"
FOREVER = time.monotonic() + 3600


def message(n: int = 0, to: str = TO) -> Message:
    return Message(f"key{n}", to, f"Major incident: DLCA VPN down. Investigating. https://x/i/a/#k{n}")


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with new_session() as s:
        yield s


def client(server: FakeTwilio, session: requests.Session, **kwargs: object) -> Twilio:
    return Twilio(session, server.url, ACCOUNT_SID, AUTH_TOKEN, sender="+14155550199",
                  backoff=0.01, **kwargs)  # type: ignore[arg-type]


def test_twilio_sends_with_validity_period(twilio: FakeTwilio, session: requests.Session) -> None:
    outcome = client(twilio, session).send(message(), FOREVER)
    assert outcome.status == "sent" and outcome.ref.startswith("SM")
    [accepted] = twilio.messages
    assert (accepted.to, accepted.sender, accepted.validity) == (TO, "+14155550199", str(VALIDITY))


def test_twilio_messaging_service(twilio: FakeTwilio, session: requests.Session) -> None:
    provider = Twilio(session, twilio.url, ACCOUNT_SID, AUTH_TOKEN, service="MG123")
    assert provider.send(message(), FOREVER).status == "sent"
    assert twilio.messages[0].sender == "MG123"


@pytest.mark.parametrize(("code", "words"), [
    ("21211", "21211 invalid 'To' number"), ("21610", "21610 recipient replied STOP"),
    ("21408", "21408 sending to this region is not enabled"), ("21614", "21614 not a mobile number"),
    ("21612", "21612 no route to this number"),
])
def test_per_number_errors_fail_that_message_only(twilio: FakeTwilio, session: requests.Session,
                                                  code: str, words: str) -> None:
    twilio.plan = [code]
    outcome = client(twilio, session).send(message(), FOREVER)
    assert (outcome.status, outcome.error) == ("failed", words)
    assert TO not in outcome.error


def test_429_waits_for_retry_after_then_sends_once(twilio: FakeTwilio, session: requests.Session) -> None:
    twilio.plan, twilio.retry_after = ["429", "429"], "0.2"
    started = time.monotonic()
    assert client(twilio, session).send(message(), FOREVER).status == "sent"
    assert time.monotonic() - started >= 0.4
    assert twilio.posts == 3 and len(twilio.messages) == 1


def test_429_longer_than_allowed_is_left_for_a_retry(twilio: FakeTwilio, session: requests.Session) -> None:
    twilio.plan, twilio.retry_after = ["429"], "120"
    outcome = client(twilio, session).send(message(), FOREVER)
    assert outcome.status == "retry" and twilio.messages == []


def test_500_is_not_retried_blindly(twilio: FakeTwilio, session: requests.Session) -> None:
    twilio.plan = ["500"]
    outcome = client(twilio, session).send(message(), FOREVER)
    assert outcome.status == "unknown" and "HTTP 500" in outcome.error
    assert twilio.posts == 1


def test_dropped_connection_after_accept_is_found_in_the_list(twilio: FakeTwilio,
                                                              session: requests.Session) -> None:
    twilio.plan = ["drop"]
    outcome = client(twilio, session).send(message(), FOREVER)
    assert outcome.status == "sent" and "found in Twilio's message list" in outcome.error
    assert twilio.posts == 1 and len(twilio.messages) == 1


def test_read_timeout_is_unknown_until_the_list_shows_it(twilio: FakeTwilio,
                                                         session: requests.Session) -> None:
    twilio.plan, twilio.slow_seconds = ["slow"], 0.5
    provider = client(twilio, session, timeout=(1.0, 0.2))
    outcome = provider.send(message(), FOREVER)
    assert outcome.status == "unknown" and "ReadTimeout" in outcome.error
    time.sleep(0.5)
    since = datetime.now(UTC)
    assert provider.look_up(TO, "key0", message().body_sha, since) is True
    assert provider.look_up(TO, "key1", message(1).body_sha, since) is False
    assert len(twilio.messages) == 1


def test_slow_answer_within_the_timeout_is_sent(twilio: FakeTwilio, session: requests.Session) -> None:
    twilio.plan, twilio.slow_seconds = ["slow"], 0.2
    assert client(twilio, session).send(message(), FOREVER).status == "sent"


def test_a_message_still_queued_is_found_not_sent_again(twilio: FakeTwilio,
                                                        session: requests.Session) -> None:
    # Twilio accepted it but the answer was lost; it has no date_sent yet (a busy sender).
    twilio.plan, twilio.hold_in_queue = ["drop"], True
    outcome = client(twilio, session).send(message(), FOREVER)
    assert outcome.status == "sent" and "found in Twilio's message list" in outcome.error
    assert client(twilio, session).look_up(TO, "key0", message().body_sha, datetime.now(UTC)) is True
    assert twilio.posts == 1 and len(twilio.messages) == 1


def test_look_up_stops_at_messages_older_than_the_claim(twilio: FakeTwilio,
                                                         session: requests.Session) -> None:
    twilio.accept({"To": TO, "Body": message(0).body})
    twilio.messages[0].created -= timedelta(days=3)
    assert client(twilio, session).look_up(TO, "key0", message(0).body_sha, datetime.now(UTC)) is False


def test_look_up_follows_pages(twilio: FakeTwilio, session: requests.Session) -> None:
    provider = client(twilio, session)
    for n in range(120):
        twilio.accept({"To": TO, "Body": message(n).body})
    # The oldest message is on the second page of 100, newest first.
    assert provider.look_up(TO, "key0", message(0).body_sha, datetime.now(UTC)) is True


def test_bad_credentials_stop_the_run(twilio: FakeTwilio, session: requests.Session) -> None:
    provider = Twilio(session, twilio.url, ACCOUNT_SID, "wrong", sender="+14155550199")
    with pytest.raises(StopRun, match="TWILIO_AUTH_TOKEN"):
        provider.send(message(), FOREVER)


@pytest.mark.parametrize("code", ["21212", "21606"])
def test_bad_sender_stops_the_run(twilio: FakeTwilio, session: requests.Session, code: str) -> None:
    twilio.plan = [code]
    with pytest.raises(StopRun, match="TWILIO_FROM"):
        client(twilio, session).send(message(), FOREVER)


def test_connection_refused_is_retried_then_left_for_later(session: requests.Session) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = Twilio(session, f"http://127.0.0.1:{port}", ACCOUNT_SID, AUTH_TOKEN, sender="+1", backoff=0.01)
    assert provider.send(message(), FOREVER).status == "retry"


def test_expired_claim_is_not_sent(twilio: FakeTwilio, session: requests.Session) -> None:
    assert client(twilio, session).send(message(), time.monotonic() - 1).status == "retry"
    assert twilio.posts == 0


def test_sending_is_concurrent_up_to_the_rate(twilio: FakeTwilio, session: requests.Session) -> None:
    twilio.latency = 0.1
    started = time.monotonic()
    outcomes, stopped = send_all(client(twilio, session), [message(n) for n in range(20)], 50, FOREVER)
    elapsed = time.monotonic() - started
    assert stopped is None and {o.status for o in outcomes.values()} == {"sent"}
    assert 0.38 <= elapsed < 1.5  # 20 starts at 50/s; one by one would take 2 s
    assert len(twilio.messages) == 20


def test_stop_run_stops_the_others(twilio: FakeTwilio, session: requests.Session) -> None:
    provider = Twilio(session, twilio.url, ACCOUNT_SID, "wrong", sender="+14155550199")
    outcomes, stopped = send_all(provider, [message(n) for n in range(10)], 20, FOREVER)
    assert isinstance(stopped, StopRun)
    assert {o.status for o in outcomes.values()} == {"retry"} and twilio.messages == []


def test_outbox_appends_and_can_be_asked(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "sub" / "outbox.jsonl")
    assert outbox.send(message(1), FOREVER).status == "sent"
    line = json.loads((tmp_path / "sub" / "outbox.jsonl").read_text())
    assert (line["key"], line["to"]) == ("key1", TO)
    assert outbox.look_up(TO, "key1", "", datetime.now(UTC)) is True
    assert outbox.look_up(TO, "key2", "", datetime.now(UTC)) is False


def test_webhook_signs_the_body_with_an_idempotency_key(httpserver: HTTPServer,
                                                        session: requests.Session) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response("{}", status=202)

    httpserver.expect_request("/sms", method="POST").respond_with_handler(handler)
    webhook = Webhook(session, httpserver.url_for("/sms"), "hook-secret")
    assert webhook.send(message(3), FOREVER).status == "sent"
    [request] = seen
    digest = hmac.new(b"hook-secret", request.get_data(), hashlib.sha256).hexdigest()
    assert request.headers["X-Sitrep-Signature"] == f"sha256={digest}"
    assert request.headers["Idempotency-Key"] == "key3"
    assert json.loads(request.get_data()) == {"key": "key3", "to": TO, "body": message(3).body}
    assert webhook.look_up(TO, "key3", "", datetime.now(UTC)) is None


@pytest.mark.parametrize(("status", "outcome"), [(500, "unknown"), (422, "failed")])
def test_webhook_errors(httpserver: HTTPServer, session: requests.Session, status: int, outcome: str) -> None:
    httpserver.expect_request("/sms").respond_with_data("no", status=status)
    assert Webhook(session, httpserver.url_for("/sms"), "s").send(message(), FOREVER).status == outcome


def test_webhook_refusing_the_signature_stops_the_run(httpserver: HTTPServer,
                                                      session: requests.Session) -> None:
    httpserver.expect_request("/sms").respond_with_data("bad signature", status=401)
    with pytest.raises(StopRun, match="SITREP_WEBHOOK_SECRET"):
        Webhook(session, httpserver.url_for("/sms"), "s").send(message(), FOREVER)


def test_make_provider(tmp_path: Path, session: requests.Session) -> None:
    settings = Settings(root=tmp_path)
    outbox = make_provider(settings, session, {})
    assert isinstance(outbox, Outbox) and outbox.path == tmp_path / ".sitrep" / "outbox.jsonl"
    with pytest.raises(StopRun, match="missing TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN"):
        make_provider(settings, session, {"SITREP_SMS_PROVIDER": "twilio"})
    with pytest.raises(StopRun, match="TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID"):
        make_provider(settings, session, {"SITREP_SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": "AC",
                                          "TWILIO_AUTH_TOKEN": "t"})
    with pytest.raises(StopRun, match="did you mean 'twilio'"):
        make_provider(settings, session, {"SITREP_SMS_PROVIDER": "twillio"})


def test_scrub_hides_numbers() -> None:
    assert scrub("The 'To' number +447911123456 is not valid") == "The 'To' number ••• is not valid"
