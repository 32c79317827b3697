"""Everything derived from the site secret: opaque slugs, per-page keys and secure links.

Derivation (not storage) is what keeps a link valid across builds: the same secret and
incident id always give the same slug and key, and nothing derived is written to disk.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

SLUG_LENGTH = 10  # 50 bits of base32: unique across any real history, short in an SMS


def _mac(secret: str, label: str) -> bytes:
    return hmac.new(secret.encode(), label.encode(), hashlib.sha256).digest()


def slug(secret: str, kind: str, name: str) -> str:
    """An opaque, stable URL segment for ``kind`` (incident, client, staff) and ``name``."""
    digest = _mac(secret, f"sitrep/slug/{kind}/{name}")
    return base64.b32encode(digest).decode().lower()[:SLUG_LENGTH]


def incident_slug(secret: str, incident_id: str) -> str:
    """The slug of an incident page, ``i/<slug>/``."""
    return slug(secret, "incident", incident_id)


def client_slug(secret: str, client_id: str) -> str:
    """The slug of a client's overview page, ``c/<slug>/``."""
    return slug(secret, "client", client_id)


def staff_slug(secret: str) -> str:
    """The slug of the staff overview, ``s/<slug>/``."""
    return slug(secret, "staff", "all")


def incident_path(secret: str, incident_id: str) -> str:
    """The site-relative URL of an incident page."""
    return f"i/{incident_slug(secret, incident_id)}/"


def client_path(secret: str, client_id: str) -> str:
    """The site-relative URL of a client overview."""
    return f"c/{client_slug(secret, client_id)}/"


def staff_path(secret: str) -> str:
    """The site-relative URL of the staff overview."""
    return f"s/{staff_slug(secret)}/"


def derive_key(secret: str, label: str) -> bytes:
    """A 256-bit key for ``label`` (HKDF-SHA256 of the site secret)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sitrep/v1",
                info=label.encode())
    return hkdf.derive(secret.encode())


# The secure link carries a 128-bit link secret rather than the 256-bit page key itself:
# 22 characters instead of 43 keep the usual alert within one 160-character SMS. The page
# key (AES-256) is derived from it with HKDF, here and in the browser alike.
LINK_SECRET_LENGTH = 16
LINK_KEY_INFO = b"sitrep/1/link-page-key"


def link_secret(secret: str, incident_id: str) -> bytes:
    """The 128-bit secret a secure link carries for one incident."""
    return derive_key(secret, f"incident/{incident_id}")[:LINK_SECRET_LENGTH]


def key_from_link_secret(link: bytes) -> bytes:
    """The AES-256 page key a link secret opens (HKDF-SHA256, as sitrep-protect.js does)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sitrep/v1", info=LINK_KEY_INFO)
    return hkdf.derive(link)


def incident_key(secret: str, incident_id: str) -> bytes:
    """The key that encrypts one incident page; its secure link carries the secret behind it."""
    return key_from_link_secret(link_secret(secret, incident_id))


def b64url(data: bytes) -> str:
    """URL-safe base64 without padding, as used in fragments."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def secure_link(site_url: str, secret: str, incident_id: str) -> str:
    """``<site>/i/<slug>/#<key>``: opens that one incident; the key never reaches a server."""
    base = site_url.rstrip("/") + "/"
    return f"{base}{incident_path(secret, incident_id)}#{b64url(link_secret(secret, incident_id))}"


# Everything below serves protect.py: the keys that wrap page keys, and the passphrase keys
# that wrap those. None of it is ever written to disk; only wrapped (encrypted) forms are.

PBKDF2_ITERATIONS = 600_000  # OWASP 2023 for PBKDF2-SHA256; the browser must use the same
SALT_LENGTH = 16


def page_key(secret: str, page_url: str) -> bytes:
    """The key of an overview page (client or staff), which no secure link carries."""
    return derive_key(secret, f"page/{page_url}")


def client_key(secret: str, client_id: str) -> bytes:
    """The key that opens every page of one client; its passphrase unwraps it."""
    return derive_key(secret, f"client/{client_id}")


def staff_key(secret: str) -> bytes:
    """The key that opens every protected page; the staff passphrase unwraps it."""
    return derive_key(secret, "staff")


def passphrase_salt(secret: str) -> bytes:
    """The site's PBKDF2 salt: one per site, so the browser derives once whoever types."""
    return _mac(secret, "sitrep/passphrase-salt")[:SALT_LENGTH]


def passphrase_form(passphrase: str) -> str:
    """The passphrase as derived: phones add spaces and compose accents in either form."""
    # sitrep-protect.js does the same: passphrase.normalize("NFC").trim().
    return unicodedata.normalize("NFC", passphrase.strip())


def passphrase_key(passphrase: str, salt: bytes) -> bytes:
    """PBKDF2-SHA256 (600,000 iterations) of a passphrase: the key that wraps a client's key."""
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt,
                     iterations=PBKDF2_ITERATIONS)
    return kdf.derive(passphrase_form(passphrase).encode())
