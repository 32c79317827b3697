"""Twilio's Messages API over plain HTTP: send, classify every answer, reconcile the uncertain.

Twilio has no idempotency key, so a request that may have reached it (5xx, read timeout,
connection reset) is never retried blindly: the message list is searched for the body first.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from .errors import StopRun
from .providers import MAX_ATTEMPTS, TIMEOUT, Message, Outcome, body_digest, never_reached, retry_after, scrub

VALIDITY = 3600  # seconds: a queued alert must not arrive hours late
MAX_PAGES = 20
PER_NUMBER = {
    21211: "invalid 'To' number",
    21610: "recipient replied STOP",
    21408: "sending to this region is not enabled",
    21614: "not a mobile number",
    21612: "no route to this number",
}
BAD_SENDER = (21212, 21606)
BAD_CREDENTIALS = 20003
TOO_MANY = 20429


class Twilio:
    """Sends through ``{base}/2010-04-01/Accounts/{sid}/Messages.json`` with HTTP Basic auth."""

    name = "twilio"

    def __init__(self, session: requests.Session, base_url: str, sid: str, token: str, *,
                 sender: str = "", service: str = "", timeout: tuple[float, float] = TIMEOUT,
                 max_wait: float = 60.0, backoff: float = 1.0) -> None:
        self.session, self._auth = session, (sid, token)
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
        self.base_url = base_url.rstrip("/")
        self.sender, self.service = sender, service
        self.timeout, self.max_wait, self.backoff = timeout, max_wait, backoff

    def _form(self, message: Message) -> dict[str, str]:
        form = {"To": message.to, "Body": message.body, "ValidityPeriod": str(VALIDITY)}
        if self.service:
            form["MessagingServiceSid"] = self.service
        else:
            form["From"] = self.sender
        return form

    def send(self, message: Message, deadline: float) -> Outcome:
        """POST the message; classify the answer; reconcile when it may have been sent."""
        started = datetime.now().astimezone()
        for _ in range(MAX_ATTEMPTS):
            if time.monotonic() > deadline:
                return Outcome("retry", error="claim expired before sending")
            try:
                response = self.session.post(self.url, data=self._form(message), auth=self._auth,
                                             timeout=self.timeout)
            except requests.RequestException as exc:
                if never_reached(exc):  # refused or connect timeout: Twilio never saw it
                    time.sleep(self.backoff)
                    continue
                return self._reconcile(message, started, f"no answer ({type(exc).__name__})")
            code = _code(response)
            if response.status_code == 429 or code == TOO_MANY:
                wait = retry_after(response)
                if wait > self.max_wait or time.monotonic() + wait > deadline:
                    return Outcome("retry", error=f"rate-limited for {wait:.0f} s")
                time.sleep(wait)
                continue
            return self._classify(response, code, message, started)
        return Outcome("retry", error="Twilio unreachable or rate-limited; will retry")

    def _classify(self, response: requests.Response, code: int | None, message: Message,
                  started: datetime) -> Outcome:
        status = response.status_code
        if status == 401 or code == BAD_CREDENTIALS:
            raise StopRun("Twilio rejected the credentials (HTTP 401, code 20003): check "
                          "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        if code in BAD_SENDER:
            raise StopRun(f"Twilio rejected the sender (code {code}): check TWILIO_FROM or "
                          "TWILIO_MESSAGING_SERVICE_SID")
        if status in (200, 201):
            return Outcome("sent", ref=str(_json(response).get("sid", "")))
        if status >= 500:
            return self._reconcile(message, started, f"HTTP {status} from Twilio")
        words = PER_NUMBER.get(code or 0) or scrub(str(_json(response).get("message", "")))
        return Outcome("failed", error=f"{code or status} {words}".strip())

    def _reconcile(self, message: Message, started: datetime, why: str) -> Outcome:
        try:
            found = self._find(message.to, message.body_sha, started)
        except (requests.RequestException, ValueError):
            found = None
        if found:
            return Outcome("sent", ref=found, error=f"{why}; found in Twilio's message list")
        return Outcome("unknown", error=f"{why}; not in Twilio's message list yet")

    def look_up(self, to: str, key: str, body_sha: str, since: datetime) -> bool | None:
        """Whether Twilio has a message with this body to this number since ``since``."""
        try:
            return bool(self._find(to, body_sha, since))
        except (requests.RequestException, ValueError):
            return None

    def _find(self, to: str, body_sha: str, since: datetime) -> str:
        # Not filtered by DateSent: a message Twilio still has queued has no date_sent, and a
        # resend of it is exactly what reconciling must prevent. The list is newest first, so
        # it is read back to a day before the claim (clocks differ) and no further.
        params: dict[str, str] | None = {"To": to, "PageSize": "100"}
        oldest = since - timedelta(days=1)
        url = self.url
        for _ in range(MAX_PAGES):
            response = self.session.get(url, params=params, auth=self._auth, timeout=self.timeout)
            if response.status_code == 401:
                raise StopRun("Twilio rejected the credentials (HTTP 401): check TWILIO_ACCOUNT_SID "
                              "and TWILIO_AUTH_TOKEN")
            response.raise_for_status()
            page = _json(response)
            for item in page.get("messages") or []:
                if _created(item) < oldest:
                    return ""
                if body_digest(str(item.get("body", ""))) == body_sha:
                    return str(item.get("sid") or "found")
            next_uri = page.get("next_page_uri")
            if not next_uri:
                return ""
            url, params = self.base_url + str(next_uri), None
        return ""


def _created(item: dict[str, Any]) -> datetime:
    """When Twilio created a listed message (RFC 2822 text); the far future if unreadable,
    so that an odd entry never ends the search early."""
    try:
        return parsedate_to_datetime(str(item.get("date_created")))
    except (TypeError, ValueError):
        return datetime.max.replace(tzinfo=UTC)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _code(response: requests.Response) -> int | None:
    value = _json(response).get("code")
    return value if isinstance(value, int) else None
