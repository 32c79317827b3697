"""Encryption of protected pages: AES-256-GCM, each page bound to its URL.

Keys (all derived from the site secret by ``keys``; none is ever written to disk):

* page key: an incident page's key is ``keys.incident_key`` (the one its secure link
  carries); an overview page has its own ``keys.page_key``;
* client key / staff key: each page key is wrapped (AES-GCM) under the client key of every
  client allowed to read it and under the staff key;
* passphrase key: PBKDF2 of a passphrase wraps that client's (or staff's) key in
  ``keyring.json``, with the overview URL it leads to.

A sealed blob is ``nonce (12 bytes) || ciphertext || tag``; the associated data names what
the blob is and, for pages, the page's URL, so a blob moved elsewhere does not open.
``docs/assets/sitrep-protect.js`` does the same with WebCrypto and must stay in step.
"""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import re
import secrets as random_source
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import keys
from .errors import SitrepError
from .model import PUBLIC

if TYPE_CHECKING:
    from .pages import GeneratedPage
    from .secrets import Secrets
    from .site import SiteBuild

FORMAT = 1
NONCE_LENGTH = 12
KEYRING_FILE = "keyring.json"
PAYLOAD_ID = "sitrep-payload"
STAFF = None  # the staff's entry among the passphrase owners, which are otherwise client ids
_PAYLOAD_RE = re.compile(
    r'<script type="application/json" id="' + PAYLOAD_ID + r'">(?P<json>[^<]*)</script>')


class ProtectError(SitrepError):
    """A sealed blob did not open: wrong key, another page's blob, or changed bytes."""


# The associated data of each kind of blob; sitrep-protect.js builds the same strings.
def page_aad(url: str) -> bytes:
    """Associated data of a page body: its site-relative URL (``i/<slug>/``)."""
    return f"sitrep/{FORMAT}/page:{url}".encode()


def wrap_aad(url: str) -> bytes:
    """Associated data of a page key wrapped for one reader: the same URL."""
    return f"sitrep/{FORMAT}/wrap:{url}".encode()


KEYRING_AAD = f"sitrep/{FORMAT}/keyring".encode()
OVERVIEW_AAD = f"sitrep/{FORMAT}/overview".encode()


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM with a fresh random nonce: ``nonce || ciphertext || tag``."""
    nonce = os.urandom(NONCE_LENGTH)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """The plaintext of ``seal``; ``ProtectError`` when the key, the data or the bytes differ."""
    try:
        return AESGCM(key).decrypt(blob[:NONCE_LENGTH], blob[NONCE_LENGTH:], aad)
    except (InvalidTag, ValueError) as exc:
        raise ProtectError("the encrypted data did not open with this key") from exc


def b64(data: bytes) -> str:
    """Standard base64, as ``atob`` reads it in the browser."""
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    """The bytes of ``b64``."""
    return base64.b64decode(text)


class PassphraseKeys:
    """PBKDF2 of every passphrase, started at build start in worker processes.

    ``cryptography``'s PBKDF2 holds the GIL (8 derivations: 1.0 s in one thread, 1.1-1.3 s in
    two), so threads would only slow the build down; worker processes run beside MkDocs'
    single-threaded rendering. Each distinct passphrase is derived once per build, the
    results stay in memory, and the passphrases travel to the workers over a pipe. Where
    processes cannot start, the derivations run in the build's own process instead.
    """

    def __init__(self, secrets: Secrets) -> None:
        self.salt = keys.passphrase_salt(secrets.site_secret)
        self._owners: dict[str | None, str] = {STAFF: secrets.staff_passphrase}
        self._owners.update(secrets.client_passphrases)
        self._distinct = sorted(set(self._owners.values()))
        # As many workers as cores: on a small site the derivations are the longest part of
        # the build (21 passphrases take 2.5 s on one core); on a large one they end long
        # before the pages whichever way the cores are shared.
        workers = max(1, min(len(self._distinct), os.cpu_count() or 2))
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[str, Future[bytes]] = {}
        try:
            # spawn, not fork: ``mkdocs serve`` has threads, and forking them can hang.
            self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            self._futures = {p: self._pool.submit(keys.passphrase_key, p, self.salt) for p in self._distinct}
        except (OSError, NotImplementedError):
            self.close()

    def get(self) -> dict[str | None, bytes]:
        """Owner (a client id, or ``STAFF``) -> passphrase key; waits for the workers."""
        try:
            derived = {p: f.result() for p, f in self._futures.items()}
        except (BrokenProcessPool, OSError):
            derived = {}
        finally:
            self.close()
        for passphrase in self._distinct:
            if passphrase not in derived:
                derived[passphrase] = keys.passphrase_key(passphrase, self.salt)
        return {owner: derived[p] for owner, p in self._owners.items()}

    def close(self) -> None:
        """Stop the workers (a build that failed before it needed them)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


@dataclass
class Protection:
    """What one build's protection needs: the canary and the passphrase keys in progress."""

    passphrase_keys: PassphraseKeys
    # Random per build: it is planted in every protected page before encryption, and the
    # leak gate fails the build if it is found in any file of the site.
    canary: str = field(default_factory=lambda: "sitrepcanary" + random_source.token_hex(16))


def start(secrets: Secrets) -> Protection:
    """Start the build's protection: the PBKDF2 derivations run from here on."""
    return Protection(PassphraseKeys(secrets))


def page_key(secret: str, page: GeneratedPage) -> bytes:
    """The key of a protected page: an incident's link key, or the overview's own key."""
    if page.kind == "incident" and page.incident_id is not None:
        return keys.incident_key(secret, page.incident_id)
    return keys.page_key(secret, page.url)


def reader_keys(secret: str, page: GeneratedPage) -> list[bytes]:
    """The keys that may open ``page``: staff, and each of its clients."""
    clients = [c for c in page.client_ids if c != PUBLIC]
    return [keys.staff_key(secret), *(keys.client_key(secret, c) for c in clients)]


def payload(secret: str, page: GeneratedPage, html: str) -> dict[str, object]:
    """The encrypted page: its body under its page key, that key wrapped for each reader."""
    key = page_key(secret, page)
    # Sorted random bytes: the order says nothing about which wrap is staff's.
    wraps = sorted(seal(k, key, wrap_aad(page.url)) for k in reader_keys(secret, page))
    return {"v": FORMAT, "u": page.url, "c": b64(seal(key, html.encode(), page_aad(page.url))),
            "w": [b64(w) for w in wraps]}


def protect_content(build: SiteBuild, page: GeneratedPage, html: str) -> str:
    """The page body replaced by its ciphertext (a JSON script element the browser reads)."""
    data = json.dumps(payload(build.secrets.site_secret, page, html), separators=(",", ":"))
    return f'<script type="application/json" id="{PAYLOAD_ID}">{data}</script>'


def canary_comment(canary: str) -> str:
    """The canary as it is planted in a protected page's Markdown (an HTML comment)."""
    return f"\n\n<!-- {canary} -->\n"


def keyring(secrets: Secrets, passphrase_keys: Mapping[str | None, bytes]) -> dict[str, object]:
    """What a passphrase opens: for each reader, its key under the passphrase key and its URL.

    Nothing names a client: the browser tries every entry with the key it derived.
    """
    secret = secrets.site_secret
    entries = []
    for owner, pkey in passphrase_keys.items():
        own = keys.staff_key(secret) if owner is STAFF else keys.client_key(secret, owner)
        url = keys.staff_path(secret) if owner is STAFF else keys.client_path(secret, owner)
        entries.append((seal(pkey, own, KEYRING_AAD), seal(own, url.encode(), OVERVIEW_AAD)))
    entries.sort()
    return {"v": FORMAT, "s": b64(keys.passphrase_salt(secret)), "i": keys.PBKDF2_ITERATIONS,
            "e": [{"p": b64(p), "u": b64(u)} for p, u in entries]}


def write_keyring(build: SiteBuild, protection: Protection, site_dir: Path) -> None:
    """``keyring.json`` at the site root, once every passphrase key is derived."""
    data = keyring(build.secrets, protection.passphrase_keys.get())
    (site_dir / KEYRING_FILE).write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")


def open_payload(data: Mapping[str, object], reader_key: bytes, url: str | None = None) -> str:
    """The page HTML from a payload, for a reader key (staff or client) that may open it.

    ``url`` is where the page was found (its own URL by default): like the browser, which
    uses its address bar, a payload copied to another URL does not open.
    """
    url = str(data["u"]) if url is None else url
    wraps = data["w"]
    if not isinstance(wraps, list):
        raise ProtectError("not a sitrep payload (no wrapped keys)")
    for wrapped in wraps:
        try:
            key = unseal(reader_key, unb64(str(wrapped)), wrap_aad(url))
        except ProtectError:
            continue
        return unseal(key, unb64(str(data["c"])), page_aad(url)).decode()
    raise ProtectError(f"no key of this reader opens the page {url}")


def payload_of(html: str) -> dict[str, object] | None:
    """The parsed payload of a built page, or None when the page is not protected."""
    found = _PAYLOAD_RE.search(html)
    if found is None:
        return None
    data: dict[str, object] = json.loads(found["json"])
    return data


def reveal(html: str, site_secret: str) -> str:
    """A built page as staff see it once unlocked (for tests and debugging)."""
    data = payload_of(html)
    if data is None:
        return html
    body = open_payload(data, keys.staff_key(site_secret))
    # A function, not a replacement string: the body may hold backslashes.
    return _PAYLOAD_RE.sub(lambda _m: body, html, count=1)


def open_with_page_key(data: Mapping[str, object], key: bytes, url: str | None = None) -> str:
    """The page HTML for a page key, as a secure link's fragment carries it."""
    url = str(data["u"]) if url is None else url
    return unseal(key, unb64(str(data["c"])), page_aad(url)).decode()
