"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records every message it accepts.

It can require AUTH (``auth``), refuse addresses at RCPT with 550 (``refuse``) or once with
450 (``greylist``, as greylisting servers do), accept a
message and then never answer (``hang``: the client is left waiting after DATA, as when a run
dies after the server took the message), and speak TLS: STARTTLS (``starttls``) or from the
first byte (``implicit_tls``) with a self-signed certificate for 127.0.0.1 that the client
trusts through ``SSL_CERT_FILE``.
"""

from __future__ import annotations

import asyncio
import datetime
import email
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USER, PASSWORD = "relay-user", "smtp-pass-word"


@dataclass
class Received:
    """One message the server accepted."""

    rcpts: list[str]
    message: EmailMessage

    def part(self, subtype: str) -> str:
        """The text of the ``text/<subtype>`` part."""
        found = self.message.get_body(preferencelist=(subtype,))
        assert found is not None and found.get_content_type() == f"text/{subtype}"
        return str(found.get_content())


@dataclass
class Handler:
    """The server's state and aiosmtpd's handler hooks."""

    refuse: set[str] = field(default_factory=set)
    greylist: set[str] = field(default_factory=set)
    hang: set[str] = field(default_factory=set)
    messages: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    accepted: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address.casefold() in {a.casefold() for a in self.refuse}:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if address in self.greylist:
            self.greylist.discard(address)
            return "450 4.2.0 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(Received(list(envelope.rcpt_tos), parsed))
        self.accepted.set()
        if set(envelope.rcpt_tos) & self.hang:
            await asyncio.sleep(60)  # taken, never answered: the client cannot know it went
        return "250 2.0.0 Ok: queued"


@dataclass
class FakeSmtp:
    """An SMTP server in a thread; ``url`` is what SITREP_SMTP_URL would say."""

    auth: bool = False
    starttls: bool = False
    implicit_tls: bool = False
    cert_dir: Path | None = None
    handler: Handler = field(default_factory=Handler)
    controller: Controller | None = None
    port: int = 0

    def start(self) -> FakeSmtp:
        """Serve on a free port of 127.0.0.1."""
        self.port = _free_port()
        kwargs: dict[str, Any] = {"auth_require_tls": False}
        if self.auth:
            kwargs.update(authenticator=self._authenticate, auth_required=True)
        context = self._tls() if self.starttls or self.implicit_tls else None
        if self.starttls:
            kwargs.update(tls_context=context, require_starttls=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     ssl_context=context if self.implicit_tls else None, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self.controller is not None:
            self.controller.stop()

    def url(self, user: str = "", password: str = "") -> str:
        """``smtp://[user:password@]127.0.0.1:PORT`` (``smtps://`` for implicit TLS)."""
        login = f"{user}:{password}@" if user else ""
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{login}127.0.0.1:{self.port}"

    @property
    def cert_file(self) -> str:
        """The certificate the client must trust (SSL_CERT_FILE)."""
        assert self.cert_dir is not None
        return str(self.cert_dir / "cert.pem")

    def received(self) -> dict[str, list[Received]]:
        """Every accepted message, by envelope recipient, in order."""
        with self.handler.lock:
            found: dict[str, list[Received]] = {}
            for item in self.handler.messages:
                for rcpt in item.rcpts:
                    found.setdefault(rcpt, []).append(item)
            return found

    def subjects(self) -> dict[str, list[str]]:
        """The subjects each address received, in order."""
        return {rcpt: [str(m.message["Subject"]) for m in items] for rcpt, items in self.received().items()}

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
              and auth_data.password == PASSWORD.encode())
        self.handler.logins.append("ok" if ok else "refused")
        return AuthResult(success=ok, handled=False)

    def _tls(self) -> ssl.SSLContext:
        assert self.cert_dir is not None, "TLS needs cert_dir"
        cert, key = _self_signed(self.cert_dir)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        return context


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key, written into ``folder``."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
