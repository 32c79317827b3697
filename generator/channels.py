"""What differs between the channels, SMS and email: provider, ledger namespace, batch, wording.

Each channel has its own pass of ``sitrep notify`` and its own ledger namespace on the branch
``sitrep-ledger`` (``sms`` or ``outbox``; ``email`` or ``email-outbox``), so one channel that
stops (bad credentials, a server unreachable) never holds back or loses the other's messages,
and a developer's outbox run never hides a real message on either channel. SMS go out
concurrently at ``sms_rate``; emails one after another over one SMTP connection per batch, in
batches of ``EMAIL_BATCH`` claimed at a time: SMTP cannot be asked what it accepted, so a run
that dies leaves at most one batch for a person to decide.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from .config import Settings
from .email_message import as_message as email_as_message
from .email_message import compose_email
from .errors import StopRun
from .message import Composed, compose
from .model import Incident
from .providers import Message, Outbox, Outcome, Provider, send_all
from .recipients import EMAIL, SMS
from .smtp import Smtp, parse_url, send_in_turn, sender_from

EMAIL_BATCH = 10
T = TypeVar("T")

Batch = Callable[[Sequence[Message], float], tuple[dict[str, Outcome], StopRun | None]]


def namespace(channel: str, provider: str) -> str:
    """The ledger namespace of ``channel`` sent through ``provider``."""
    if channel == SMS:
        return "outbox" if provider == "outbox" else "sms"
    return "email-outbox" if provider == "outbox" else "email"


def email_provider_name(env: Mapping[str, str]) -> str:
    """``smtp`` with SITREP_SMTP_URL; ``outbox`` when SMS go to the outbox too; else StopRun."""
    if env.get("SITREP_SMTP_URL", "").strip():
        return "smtp"
    if (env.get("SITREP_SMS_PROVIDER", "").strip() or "outbox") == "outbox":
        return "outbox"
    raise StopRun("recipients have email addresses but SITREP_SMTP_URL is not set (set it and "
                  "SITREP_EMAIL_FROM in the CI secrets, or remove email: from the recipients file)")


def make_email_provider(settings: Settings, env: Mapping[str, str]) -> tuple[Provider, Smtp | None]:
    """The email provider, and the SMTP connection to close after each batch (None for the outbox)."""
    if email_provider_name(env) == "outbox":
        return Outbox(Path(env.get("SITREP_OUTBOX") or settings.state_dir / "outbox.jsonl")), None
    smtp = Smtp(parse_url(env["SITREP_SMTP_URL"]), sender_from(env), settings.organisation)
    return smtp, smtp


def sms_batch(provider: Provider, rate: float) -> Batch:
    """Send a batch of SMS concurrently at ``rate`` per second."""
    return lambda messages, deadline: send_all(provider, messages, rate, deadline)


def email_batch(provider: Provider, smtp: Smtp | None) -> Batch:
    """Send a batch of emails in turn over one connection, closed after the batch."""
    def send(messages: Sequence[Message], deadline: float) -> tuple[dict[str, Outcome], StopRun | None]:
        """The batch in turn; the connection closed whatever happened."""
        try:
            return send_in_turn(provider, messages, deadline)
        finally:
            if smtp is not None:
                smtp.close()
    return send


def batches(channel: str, items: list[T]) -> list[list[T]]:
    """How a commit's messages are claimed: SMS all at once, email ``EMAIL_BATCH`` at a time."""
    size = EMAIL_BATCH if channel == EMAIL else max(1, len(items))
    return [items[start : start + size] for start in range(0, len(items), size)]


def unaddressed(channel: str, kind: str, incident: Incident, before: Incident | None, settings: Settings,
                link: str, ref: str) -> tuple[Message, Composed | None]:
    """What every recipient of the change gets on ``channel``, before it is addressed; and the SMS."""
    if channel == EMAIL:
        return email_as_message(compose_email(incident, settings, link, ref)), None
    composed = compose(kind, incident, before, settings, link)
    return Message("", "", composed.text), composed
