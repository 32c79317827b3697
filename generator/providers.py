"""SMS providers behind one small interface, and sending many messages at a steady rate.

``outbox`` (the default) appends JSON lines to a file, ``twilio`` speaks Twilio's Messages API
with plain ``requests``, ``webhook`` POSTs signed JSON. A provider answers each message with an
``Outcome``: sent, failed (this number only), unknown (it may have been sent: never resend
blindly) or retry (certainly not sent). Whole-run errors such as bad credentials raise StopRun.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError

from .config import Settings
from .errors import StopRun
from .schema import suggestion

PROVIDERS = ("outbox", "twilio", "webhook")
TIMEOUT = (5.0, 20.0)  # connect, read: a read timeout means "maybe sent", so not too short
MAX_ATTEMPTS = 5
MAX_WORKERS = 32


@dataclass(frozen=True)
class Message:
    """One SMS or email to one recipient; ``key`` identifies it across runs (ledger and idempotency key)."""

    key: str
    to: str
    body: str  # an email's plain-text part
    subject: str = ""  # email only
    html: str = ""  # email only

    @property
    def body_sha(self) -> str:
        """What the ledger keeps of the body: it holds a secret link, so never the text itself."""
        return body_digest(self.body)


@dataclass(frozen=True)
class Outcome:
    """What became of one message: ``sent``, ``failed``, ``unknown`` or ``retry``."""

    status: str
    ref: str = ""  # the provider's id for the message
    error: str = ""  # code and words; never a phone number


class Provider(Protocol):
    """What the notifier needs from a way of sending SMS."""

    name: str

    def send(self, message: Message, deadline: float) -> Outcome:
        """Send one message unless ``time.monotonic()`` has passed ``deadline``."""

    def look_up(self, to: str, key: str, body_sha: str, since: datetime) -> bool | None:
        """Whether the message was accepted since ``since``; None when the provider cannot say."""


def body_digest(body: str) -> str:
    """SHA-256 of a message body, hex."""
    return hashlib.sha256(body.encode()).hexdigest()


def scrub(text: str) -> str:
    """Provider words with any phone number hidden, cut short for a summary line."""
    return re.sub(r"\+?\d[\d ]{6,}\d", "•••", text)[:160]


def never_reached(exc: requests.RequestException) -> bool:
    """True when the request certainly did not reach the server (refused, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    return isinstance(reason, MaxRetryError) and isinstance(reason.reason, NewConnectionError)


def retry_after(response: requests.Response, default: float = 1.0) -> float:
    """Seconds to wait from ``Retry-After`` (a number of seconds), else ``default``."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", default)))
    except ValueError:
        return default


class Outbox:
    """Appends one JSON line per message to a file: for developers, drills and tests."""

    name = "outbox"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, message: Message, deadline: float) -> Outcome:
        """Append the message as a JSON line."""
        if time.monotonic() > deadline:
            return Outcome("retry", error="claim expired before sending")
        fields = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "key": message.key,
                  "to": message.to, **({"subject": message.subject} if message.subject else {}),
                  "body": message.body}
        line = json.dumps(fields, ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
        return Outcome("sent", ref=message.key)

    def look_up(self, to: str, key: str, body_sha: str, since: datetime) -> bool | None:
        """Whether a line with this key is in the outbox."""
        if not self.path.exists():
            return False
        with self.path.open(encoding="utf-8") as lines:
            return any(json.loads(line).get("key") == key for line in lines if line.strip())


class Webhook:
    """POSTs ``{key, to, body}`` as JSON, signed with HMAC-SHA256, with an idempotency key."""

    name = "webhook"

    def __init__(self, session: requests.Session, url: str, secret: str, *,
                 timeout: tuple[float, float] = TIMEOUT, max_wait: float = 60.0,
                 backoff: float = 1.0) -> None:
        self.session, self.url, self._secret = session, url, secret.encode()
        self.timeout, self.max_wait, self.backoff = timeout, max_wait, backoff

    def send(self, message: Message, deadline: float) -> Outcome:
        """POST the message; 2xx is sent, 429 waits, 5xx or no answer is unknown."""
        payload = json.dumps({"key": message.key, "to": message.to, "body": message.body}).encode()
        signature = hmac.new(self._secret, payload, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.key,
                   "X-Sitrep-Signature": f"sha256={signature}"}
        for _ in range(MAX_ATTEMPTS):
            if time.monotonic() > deadline:
                return Outcome("retry", error="claim expired before sending")
            try:
                response = self.session.post(self.url, data=payload, headers=headers, timeout=self.timeout)
            except requests.RequestException as exc:
                if never_reached(exc):
                    time.sleep(self.backoff)
                    continue
                return Outcome("unknown", error=f"no answer from the webhook ({type(exc).__name__})")
            status = response.status_code
            if status == 429 and retry_after(response) <= self.max_wait:
                time.sleep(retry_after(response))
                continue
            if status in (401, 403):
                raise StopRun(f"the webhook refused the signature (HTTP {status}): check "
                              "SITREP_WEBHOOK_SECRET")
            if 200 <= status < 300:
                return Outcome("sent", ref=message.key)
            if status >= 500:
                return Outcome("unknown", error=f"HTTP {status} from the webhook")
            return Outcome("failed", error=f"HTTP {status}: {scrub(response.text)}")
        return Outcome("retry", error="webhook unreachable or rate-limited; will retry")

    def look_up(self, to: str, key: str, body_sha: str, since: datetime) -> bool | None:
        """A webhook cannot be asked: a person decides."""
        return None


class Stamped:
    """A provider that notes when it accepted each message: the ledger's ``accepted`` time."""

    def __init__(self, provider: Provider) -> None:
        self.provider, self.name = provider, provider.name
        self.accepted: dict[str, str] = {}  # message key -> ISO time; one writer per key

    def send(self, message: Message, deadline: float) -> Outcome:
        """Send through the provider; stamp the time of a ``sent`` outcome."""
        outcome = self.provider.send(message, deadline)
        if outcome.status == "sent":
            self.accepted[message.key] = datetime.now(UTC).replace(microsecond=0).isoformat()
        return outcome

    def look_up(self, to: str, key: str, body_sha: str, since: datetime) -> bool | None:
        """The provider's own look-up."""
        return self.provider.look_up(to, key, body_sha, since)


def send_all(provider: Provider, messages: Sequence[Message], rate: float,
             deadline: float) -> tuple[dict[str, Outcome], StopRun | None]:
    """Send concurrently, starting at most ``rate`` messages per second; stop early on StopRun."""
    limiter = RateLimiter(rate)
    stopped: list[StopRun] = []

    def one(message: Message) -> Outcome:
        """Send one message in its turn, unless the run has stopped."""
        if not stopped:
            limiter.wait()
        if stopped:
            return Outcome("retry", error="not sent: the run stopped")
        try:
            return provider.send(message, deadline)
        except StopRun as exc:
            stopped.append(exc)
            return Outcome("retry", error="not sent: the run stopped")

    workers = max(1, min(len(messages), MAX_WORKERS, math.ceil(rate)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sms") as pool:
        outcomes = list(pool.map(one, messages))
    return {m.key: o for m, o in zip(messages, outcomes, strict=True)}, (stopped[0] if stopped else None)


class RateLimiter:
    """Hands out start times ``1/rate`` apart, so throughput follows the rate, not the latency."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Sleep until this caller's slot."""
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


def new_session(pool: int = MAX_WORKERS) -> requests.Session:
    """A session whose connection pool matches the number of concurrent senders."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _need(env: Mapping[str, str], *names: str) -> list[str]:
    missing = [n for n in names if not env.get(n)]
    if missing:
        provider = env.get("SITREP_SMS_PROVIDER")
        raise StopRun(f"missing {', '.join(missing)} for SITREP_SMS_PROVIDER={provider} "
                      "(set them in the CI secrets)")
    return [env[n] for n in names]


def make_provider(settings: Settings, session: requests.Session,
                  env: Mapping[str, str] | None = None) -> Provider:
    """The provider ``SITREP_SMS_PROVIDER`` names (outbox by default), configured from the environment."""
    from .twilio import Twilio

    env = os.environ if env is None else env
    name = env.get("SITREP_SMS_PROVIDER", "").strip() or "outbox"
    if name == "outbox":
        return Outbox(Path(env.get("SITREP_OUTBOX") or settings.state_dir / "outbox.jsonl"))
    if name == "twilio":
        sid, token = _need(env, "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")
        sender, service = env.get("TWILIO_FROM", ""), env.get("TWILIO_MESSAGING_SERVICE_SID", "")
        if not (sender or service):
            raise StopRun("missing TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID (the sender of the SMS)")
        base = env.get("TWILIO_API_URL") or "https://api.twilio.com"
        return Twilio(session, base, sid, token, sender=sender, service=service)
    if name == "webhook":
        url, secret = _need(env, "SITREP_WEBHOOK_URL", "SITREP_WEBHOOK_SECRET")
        return Webhook(session, url, secret)
    raise StopRun(f"unknown SITREP_SMS_PROVIDER {name!r} (use {', '.join(PROVIDERS)}"
                  f"{suggestion(name, PROVIDERS)})")
