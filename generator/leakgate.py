"""The leak gate: no protected text, secret or key in any file of the built site.

What it looks for, in every file under the site directory (``.gz`` files decompressed):
each protected incident's title, update messages, body sentences and lines, review notes
and times; each protected client's name and component names (every such string of 12
characters or more that no public source also holds); the site secret, the passphrases and
every derived key; and the build's canary, planted in every protected page before
encryption, so a page that escapes encryption whole is caught even if it holds no other
known string. Matching ignores case and runs of whitespace, and also tries each string as
HTML, JSON and URL encoding would write it.

Speed: one pass per file, through the indexes of ``needle_index``. At 1,000 incidents
(50,000 needles, 23 MB of site) gathering and filing the needles take about 2.4 s on one core
and the scan 0.8 s; ``leakgate_child`` runs the gate beside MkDocs.
"""

from __future__ import annotations

import contextlib
import gzip
import html
import json
import re
import urllib.parse
from collections.abc import Iterable, Iterator
from datetime import UTC
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from . import keys
from .errors import SitrepError, display_path
from .model import PUBLIC, Catalogue, Incident
from .needle_index import Key, Needle, NeedleIndex, PublicText, key_word, lowered, normalise, words

if TYPE_CHECKING:
    from .secrets import Secrets
    from .site import SiteBuild

MIN_LENGTH = 12
SHOWN = 24  # characters of a leaked string shown in the error: enough to find it, no more
MAX_REPORTED = 20
# Where prose splits into pieces that survive rendering whole: line starts of lists, quotes
# and headings, sentence ends, and inline Markdown or HTML markup.
_LINE_MARK = re.compile(r"^\s*(?:#+|>|[-*+]|\d+[.)]|\|)\s*")
_PIECE_SPLIT = re.compile(r"(?<=[.!?])\s+|[*_`~\[\]()<>|{}]+|\s:\s")
# Section headings every incident may have (DESIGN.md): structure, not content.
BOILERPLATE = ("Plan of action", "Review", "Review record")


class LeakError(SitrepError):
    """Protected text, a secret or a key was found in a built file."""


def pieces(prose: str) -> Iterator[str]:
    """Each paragraph, line, and sentence or run between markup: what a page keeps whole."""
    for paragraph in re.split(r"\n\s*\n", prose):
        yield " ".join(paragraph.split())
    for line in prose.splitlines():
        line = _LINE_MARK.sub("", line)
        yield line.strip()
        for piece in _PIECE_SPLIT.split(line):
            yield piece.strip(" \t,;:.!?")


def encodings(text: str, in_urls: bool, normalised: bytes | None = None) -> set[bytes]:
    """``text`` as HTML (both quote styles), JSON and, for names and titles, a URL would write it.

    ``normalised`` is ``normalise(text)`` when the caller has it already.
    """
    special = not text.isascii() or any(c in text for c in "&<>\"'\\")
    if not special and not in_urls:  # most texts: every encoding writes them as they are
        return {normalised if normalised is not None else normalise(text)}
    forms = {text}
    if special:
        escaped = html.escape(text, quote=True)
        forms |= {html.escape(text, quote=False), escaped,
                  escaped.replace("&#x27;", "&#39;").replace("&quot;", "&#34;"),
                  json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    if in_urls:
        forms.add(urllib.parse.quote(text))
    return {normalise(f) for f in forms}


def _times(incident: Incident) -> Iterator[str]:
    moments = [incident.started, incident.eta, *(u.at for u in incident.updates)]
    if incident.review is not None:
        moments += [incident.review.held_on, *(a.due for a in incident.review.actions)]
    for moment in moments:
        if moment is not None:
            # To the minute, in the file's offset and in UTC: how pages write machine times.
            yield moment.isoformat()[:16]
            yield moment.astimezone(UTC).isoformat()[:16]


def incident_texts(incident: Incident) -> Iterator[tuple[str, str]]:
    """(text, what it is) for everything of an incident a reader without its key must not see."""
    yield incident.title, f"title of {incident.id}"
    for update in incident.updates:
        for piece in pieces(update.message):
            yield piece, f"update of {incident.id}"
    for piece in pieces(incident.body):
        yield piece, f"body of {incident.id}"
    review = incident.review
    if review is not None:
        notes = [*review.attendees, *review.went_well, *review.to_improve,
                 *(a.action for a in review.actions), *(a.owner for a in review.actions)]
        for note in notes:
            for piece in pieces(note):
                yield piece, f"review of {incident.id}"
    for moment in _times(incident):
        yield moment, f"time of {incident.id}"


def protected_texts(catalogue: Catalogue) -> Iterator[tuple[str, str]]:
    """Every protected incident's and client's strings, with what each is."""
    for incident in catalogue.incidents:
        if not incident.is_public:
            yield from incident_texts(incident)
    for client in catalogue.clients.values():
        if client.id != PUBLIC:
            yield client.name, f"name of client {client.id}"
            for name in client.components.values():
                yield name, f"component of client {client.id}"


def public_text(catalogue: Catalogue, extra: Iterable[str]) -> bytes:
    """Everything public sources hold (public incidents, site settings, docs), normalised."""
    parts = [*extra, *BOILERPLATE]
    for incident in catalogue.incidents:
        if incident.is_public:
            parts += [text for text, _what in incident_texts(incident)]
    return normalise("\n".join(parts))


def secret_needles(secrets: Secrets, catalogue: Catalogue) -> Iterator[Needle]:
    """The site secret, the passphrases and every derived key, never shown in an error."""
    secret = secrets.site_secret
    yield Needle(normalise(secret), "SITREP_SITE_SECRET", "")
    passes = {"SITREP_STAFF_PASSPHRASE": secrets.staff_passphrase,
              **{f"SITREP_CLIENT_PASSPHRASES[{c}]": p for c, p in secrets.client_passphrases.items()}}
    for name, value in passes.items():
        if len(value) >= 8:  # shorter ones would match ordinary text; they are weak anyway
            yield Needle(normalise(value), name, "")
    derived = {"the staff key": keys.staff_key(secret)}
    for client_id in catalogue.clients:
        derived[f"the key of client {client_id}"] = keys.client_key(secret, client_id)
    for incident in catalogue.incidents:
        derived[f"the page key of {incident.id}"] = keys.incident_key(secret, incident.id)
        derived[f"the secure-link secret of {incident.id}"] = keys.link_secret(secret, incident.id)
    for what, key in derived.items():
        yield Needle(normalise(keys.b64url(key)), what, "")


def text_needles(catalogue: Catalogue, public: bytes) -> Iterator[Needle]:
    """Protected strings of 12 characters or more that public sources do not also hold."""
    seen: set[str] = set()
    index = PublicText(public)
    for text, what in protected_texts(catalogue):
        plain = " ".join(text.split())
        if len(plain) < MIN_LENGTH or plain in seen:
            continue
        seen.add(plain)
        needle = normalise(plain)
        if index.holds(needle) and key_word(needle) in index.vocabulary:
            continue
        shown = plain if len(plain) <= SHOWN else plain[: SHOWN - 1] + "…"
        for form in encodings(plain, what.startswith(("title", "name", "component")), needle):
            yield Needle(form, what, shown)


def gather_needles(build: SiteBuild) -> list[Needle]:
    """Every needle of this build: protected texts not also public, secrets and keys."""
    # The build's own clock is printed on public pages ("built at …") and in status.json.
    clock = [build.now.isoformat()[:16], build.now.astimezone(UTC).isoformat()[:16]]
    public = public_text(build.catalogue, [*build.public_sources, *clock])
    return [*text_needles(build.catalogue, public), *secret_needles(build.secrets, build.catalogue)]


def build_index(build: SiteBuild, canary: str | None, common: frozenset[Key] = frozenset()) -> NeedleIndex:
    """Every needle of this build, filed away from the ``common`` words of the theme."""
    return NeedleIndex(gather_needles(build), canary, common)


def read_text(path: Path) -> str:
    """A built file as text: gzip unpacked, bytes that are not UTF-8 replaced."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        # Not really gzip: scan the bytes as they are.
        with contextlib.suppress(OSError, EOFError):
            data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def find_leaks(site_dir: Path, index: NeedleIndex) -> list[tuple[Path, Needle]]:
    """Every (file, needle) hit under ``site_dir``."""
    found = []
    for path in sorted(p for p in site_dir.rglob("*") if p.is_file()):
        found += [(path, needle) for needle in index.scan(read_text(path))]
    return found


def describe(hits: list[tuple[Path, Needle]]) -> str:
    """The error: each leaked string (truncated; secrets only named) and where, canary first."""
    where: dict[tuple[str, str], list[Path]] = {}
    for path, needle in hits:
        where.setdefault((needle.what, needle.shown), []).append(path)
    order = sorted(where, key=lambda k: ("canary" not in k[0], min(where[k])))
    lines = []
    for what, shown in order[:MAX_REPORTED]:
        paths = sorted(set(where[(what, shown)]))
        label = f"'{shown}' ({what})" if shown else what
        others = f" and {len(paths) - 1} other file{'s' * (len(paths) > 2)}" if len(paths) > 1 else ""
        lines.append(f"  {display_path(paths[0])}{others}: {label}")
    if len(order) > MAX_REPORTED:
        lines.append(f"  … and {len(order) - MAX_REPORTED} more strings")
    return ("the leak gate found protected text in the built site, so the build is stopped:\n"
            + "\n".join(lines)
            + "\n(a theme override, template or page generator wrote it in clear: remove it there; "
              "text meant to be public belongs in a client: public incident)")


def theme_words(site_dir: Path) -> frozenset[Key]:
    """Words, and pairs of words, of the theme's chrome (the 404 page holds nothing else) and assets.

    A needle filed under one of them is checked in every page, or in a megabyte of JavaScript
    source map for each needle: at 1,000 incidents that was half the scan. Which key a needle
    is filed under never changes what is found, only how fast.
    """
    found: set[Key] = set()
    for path in [site_dir / "404.html", *sorted((site_dir / "assets").rglob("*"))]:
        if path.is_file():
            text = words(lowered(read_text(path)))
            found.update(text)
            found.update(pairwise(text))
    return frozenset(found)


def check_for_leaks(build: SiteBuild, site_dir: Path, canary: str | None = None) -> None:
    """Fail the build when a protected string appears in any file under ``site_dir``."""
    hits = find_leaks(site_dir, build_index(build, canary, theme_words(site_dir)))
    if hits:
        raise LeakError(describe(hits))
