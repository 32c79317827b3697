"""Email over SMTP with the standard library: one connection per batch, every answer classified.

``SITREP_SMTP_URL`` names the server: ``smtp://user:password@host:587`` (STARTTLS),
``smtps://user:password@host:465`` (TLS from the first byte), ``smtp://127.0.0.1:2525`` (plain,
allowed only to this machine: every message holds a secret link). ``SITREP_EMAIL_FROM`` is the
sender. SMTP cannot be asked whether a message went, so a message that may have reached the
server (the connection lost during DATA) is ``unknown``, never resent blindly; its Message-ID is
deterministic, so a person can search the server's log for it.
"""

from __future__ import annotations

import ipaddress
import re
import smtplib
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote, urlsplit

from .email_message import message_id, mime
from .errors import StopRun
from .providers import Message, Outcome, Provider
from .recipients import check_email, mask_email

TIMEOUT = 30.0  # seconds per socket operation; a timeout during DATA means "maybe sent"
PORTS = {"smtp": 587, "smtps": 465}
_URL_HINT = "write smtp://user:password@smtp.example.com:587 or smtps://user:password@host:465"


@dataclass(frozen=True)
class Server:
    """Where and how to connect; the password is never part of what is printed."""

    scheme: str
    host: str
    port: int
    user: str = ""
    password: str = field(default="", repr=False)

    @property
    def shown(self) -> str:
        """``smtp://host:587``: enough to recognise the server, no credentials."""
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def loopback(self) -> bool:
        """True for this machine, the one place a message may travel without TLS."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_url(url: str) -> Server:
    """The server ``SITREP_SMTP_URL`` names; StopRun saying what is wrong (never echoing the URL)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in PORTS:
        raise StopRun(f"SITREP_SMTP_URL must start with smtp:// or smtps:// ({_URL_HINT})")
    try:
        port = parts.port or PORTS[parts.scheme]
    except ValueError as exc:
        raise StopRun(f"SITREP_SMTP_URL has a port that is not a number ({_URL_HINT})") from exc
    if not parts.hostname:
        raise StopRun(f"SITREP_SMTP_URL names no host ({_URL_HINT})")
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    if bool(user) != bool(password):
        raise StopRun("SITREP_SMTP_URL has a user name without a password, or the reverse "
                      f"({_URL_HINT}; percent-encode @ : / in the password)")
    return Server(parts.scheme, parts.hostname, port, user, password)


def sender_from(env: Mapping[str, str]) -> str:
    """``SITREP_EMAIL_FROM``, checked; StopRun when it is missing or not an address."""
    value = env.get("SITREP_EMAIL_FROM", "").strip()
    if not value:
        raise StopRun("SITREP_EMAIL_FROM is not set (the sender's address, e.g. status@example.com)")
    try:
        return check_email(value)
    except ValueError as exc:
        raise StopRun(f"SITREP_EMAIL_FROM: {exc} (write it as status@example.com)") from exc


def scrub_addresses(text: str) -> str:
    """Server words with any address masked, cut short for a summary line."""
    return re.sub(r"[^\s<>()\[\]]+@[^\s<>()\[\]]+", lambda m: mask_email(m.group(0)), text)[:160]


class _Lost(Exception):
    """The connection failed before the message was handed over: the server took nothing."""


class Smtp:
    """Sends through one SMTP connection, opened at the first message and kept until ``close``."""

    name = "smtp"

    def __init__(self, server: Server, sender: str, organisation: str, *, timeout: float = TIMEOUT) -> None:
        self.server, self.sender, self.organisation, self.timeout = server, sender, organisation, timeout
        self._conn: smtplib.SMTP | None = None

    def send(self, message: Message, deadline: float) -> Outcome:
        """Send one message; reconnect once if the connection was lost before it was handed over."""
        data = mime(message, self.sender, self.organisation).as_bytes()
        try:
            return self._attempt(message, data, deadline)
        except _Lost:
            self._drop()  # the server may have dropped a connection left idle during a ledger push
        try:
            return self._attempt(message, data, deadline)
        except _Lost as exc:
            self._drop()
            return Outcome("retry", error=f"connection lost before sending ({exc})")

    def _attempt(self, message: Message, data: bytes, deadline: float) -> Outcome:
        if time.monotonic() > deadline:
            return Outcome("retry", error="claim expired before sending")
        return self._transact(self._connect(), message, data)

    def look_up(self, to: str, key: str, body_sha: str, since: datetime) -> bool | None:
        """SMTP keeps no list to ask: a person decides (searching the log for the Message-ID)."""
        return None

    def close(self) -> None:
        """End the conversation politely, or drop the connection if the server is gone."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()

    def _drop(self) -> None:
        """Drop a connection that failed: no QUIT, which could wait another timeout."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _connect(self) -> smtplib.SMTP:
        if self._conn is not None:
            return self._conn
        server = self.server
        try:
            conn = self._open()
            if server.user:
                conn.login(server.user, server.password)
        except StopRun:
            self.close()
            raise
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise StopRun(f"the SMTP server {server.shown} rejected the user name or password "
                          f"({exc.smtp_code}): check SITREP_SMTP_URL") from exc
        except smtplib.SMTPNotSupportedError as exc:
            self.close()
            raise StopRun(f"the SMTP server {server.shown} offers no AUTH here: check the port "
                          "and scheme of SITREP_SMTP_URL") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise StopRun(f"cannot talk to the SMTP server {server.shown} ({_why(exc)}): check "
                          "SITREP_SMTP_URL, and that this machine may connect to it") from exc
        return conn

    def _open(self) -> smtplib.SMTP:
        server, context = self.server, ssl.create_default_context()
        conn = (smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout, context=context)
                if server.scheme == "smtps" else smtplib.SMTP(server.host, server.port, timeout=self.timeout))
        self._conn = conn  # from here on, a failure closes it
        conn.ehlo()
        if server.scheme == "smtps":
            return conn
        if conn.has_extn("starttls"):
            conn.starttls(context=context)
            conn.ehlo()
        elif not server.loopback:
            raise StopRun(f"the SMTP server {server.shown} offers no STARTTLS, and every message holds "
                          "a secret link: use smtps://…:465 or a server that offers STARTTLS")
        return conn

    def _transact(self, conn: smtplib.SMTP, message: Message, data: bytes) -> Outcome:
        try:
            code, reply = conn.mail(self.sender)
            if code != 250:
                return self._refused(conn, code, reply, sender=True)
            code, reply = conn.rcpt(message.to)
            if code not in (250, 251):
                return self._refused(conn, code, reply)
        except (OSError, smtplib.SMTPException) as exc:
            raise _Lost(_why(exc)) from exc
        return self._data(conn, message, data)

    def _data(self, conn: smtplib.SMTP, message: Message, data: bytes) -> Outcome:
        try:
            code, reply = conn.data(data)
        except smtplib.SMTPDataError as exc:  # DATA itself refused: nothing was handed over
            return self._refused(conn, exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            found = message_id(message.key, self.sender)
            return Outcome("unknown", error=f"connection lost while handing the message over ({_why(exc)}); "
                           f"search the mail server's log for Message-ID {found}")
        if code == 250:
            return Outcome("sent", ref=message_id(message.key, self.sender))
        return self._refused(conn, code, reply)

    def _refused(self, conn: smtplib.SMTP, code: int, reply: bytes | str, sender: bool = False) -> Outcome:
        """A refusal: the sender's stops the run, a recipient's fails that one; 4xx is to retry."""
        words = f"{code} {scrub_addresses(_text(reply))}".strip()
        try:
            conn.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()
        if code == 530:
            raise StopRun(f"the SMTP server {self.server.shown} wants a login ({words}): put "
                          "user:password in SITREP_SMTP_URL")
        if sender and code >= 500:
            raise StopRun(f"the SMTP server {self.server.shown} refused the sender ({words}): check "
                          "SITREP_EMAIL_FROM, and that the account may send as it")
        return Outcome("retry" if 400 <= code < 500 else "failed", error=words)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _why(exc: BaseException) -> str:
    """An error's kind and words, with any address masked (never a password: none is in them)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {scrub_addresses(_text(exc.smtp_error))}"
    words = scrub_addresses(str(exc))
    return f"{type(exc).__name__}: {words}" if words else type(exc).__name__


def send_in_turn(provider: Provider, messages: Sequence[Message],
                 deadline: float) -> tuple[dict[str, Outcome], StopRun | None]:
    """One message after another (SMTP is one conversation, not a pool); stop early on StopRun."""
    outcomes: dict[str, Outcome] = {}
    stopped: StopRun | None = None
    for message in messages:
        if stopped is None:
            try:
                outcomes[message.key] = provider.send(message, deadline)
                continue
            except StopRun as exc:
                stopped = exc
        outcomes[message.key] = Outcome("retry", error="not sent: the run stopped")
    return outcomes, stopped
