"""The leak gate: no protected text, secret or key in any file of the built site.

What it looks for, in every file under the site directory (``.gz`` files decompressed):
each protected incident's title, update messages, body sentences and lines, review notes
and times; each protected client's name and component names (every such string of 12
characters or more that no public source also holds); the site secret, the passphrases and
every derived key; and the build's canary, planted in every protected page before
encryption, so a page that escapes encryption whole is caught even if it holds no other
known string. Matching ignores case and runs of whitespace, and also tries each string as
HTML, JSON and URL encoding would write it.

Speed: one pass per file. Each needle is filed under one of its words (one enclosed by
separators inside the needle, so it is a whole word wherever the needle appears); a file's
words come from ``bytes.translate`` + ``split`` (C speed, about twice as fast as a ``\\w+``
regex), and only needles whose word the file holds are checked with ``in``. At 1,000
incidents (11,000 needles, 21 MB of site) the gate takes about a second on one core.
"""

from __future__ import annotations

import contextlib
import gzip
import html
import json
import re
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from . import keys
from .errors import SitrepError, display_path
from .model import PUBLIC, Catalogue, Incident

if TYPE_CHECKING:
    from .secrets import Secrets
    from .site import SiteBuild

MIN_LENGTH = 12
# A needle whose rarest word this many needles hold is filed under a pair of words instead.
CROWDED = 256
SHOWN = 24  # characters of a leaked string shown in the error: enough to find it, no more
MAX_REPORTED = 20
# Words are runs of ASCII letters, digits and _ (text is lowered first) and of any non-ASCII
# byte, so UTF-8 letters stay inside words; every other byte separates words.
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_") | frozenset(range(128, 256))
_SEPARATE = bytes(c if c in _WORD_BYTES else 0x20 for c in range(256))
# What a needle is filed under: a word, or two words side by side.
Key = bytes | tuple[bytes, bytes]
# Where prose splits into pieces that survive rendering whole: line starts of lists, quotes
# and headings, sentence ends, and inline Markdown or HTML markup.
_LINE_MARK = re.compile(r"^\s*(?:#+|>|[-*+]|\d+[.)]|\|)\s*")
_PIECE_SPLIT = re.compile(r"(?<=[.!?])\s+|[*_`~\[\]()<>|{}]+|\s:\s")
# Section headings every incident may have (DESIGN.md): structure, not content.
BOILERPLATE = ("Plan of action", "Review", "Review record")


class LeakError(SitrepError):
    """Protected text, a secret or a key was found in a built file."""


@dataclass(frozen=True)
class Needle:
    """One string that must not appear: its search form, and how an error names it."""

    text: bytes  # normalised
    what: str
    shown: str  # "" for secrets and keys, which an error never prints


def lowered(text: str) -> bytes:
    """Text in lower case as UTF-8: the form files are searched in."""
    return text.lower().encode("utf-8", errors="replace")


def normalise(text: str) -> bytes:
    """The form needles take: lower case, UTF-8, runs of whitespace as one space."""
    return b" ".join(lowered(text).split())


def words(data: bytes) -> list[bytes]:
    """The words of lowered text."""
    return data.translate(_SEPARATE).split()


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


class PublicText:
    """The normalised public text, indexed by pairs of words, so that asking whether it holds a
    needle does not search all of it: at 10,000 incidents (1.5 MB of public text, 130,000
    needles made of common words) plain searches took a minute, growing with the square of N.
    """

    def __init__(self, text: bytes) -> None:
        self.text = text
        found = [(m.group(), m.start()) for m in re.finditer(rb"[^ ]+", text.translate(_SEPARATE))]
        self.vocabulary = {word for word, _ in found}
        self.starts = [start for _, start in found]
        self.at: dict[tuple[bytes, ...], list[int]] = {}
        for index, (word, _) in enumerate(found):
            self.at.setdefault((word,), []).append(index)
            if index + 1 < len(found):
                self.at.setdefault((word, found[index + 1][0]), []).append(index)

    def holds(self, needle: bytes) -> bool:
        """``needle in text``, looked for only where the needle's inner words stand in a row."""
        inner = words(needle)[1:-1]  # whole words wherever the needle is, in this order
        if not inner:
            return needle in self.text
        if not self.vocabulary.issuperset(inner):
            return False
        shift, fewest = 0, self.at.get((inner[0],), [])
        for index in range(len(inner) - 1):
            positions = self.at.get((inner[index], inner[index + 1]))
            if positions is None:
                return False
            if index == 0 or len(positions) < len(fewest):
                shift, fewest = index, positions
        for place in fewest:
            if place >= shift:
                # The needle starts at most its length before its first inner word.
                start = self.starts[place - shift]
                if needle in self.text[max(0, start - len(needle)) : start + len(needle)]:
                    return True
        return False


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


def key_word(needle: bytes, common: frozenset[Key] = frozenset(),
             counts: Mapping[Key, int] | None = None) -> bytes:
    """The word a needle is filed under: one enclosed by separators inside it.

    Such a word is a whole word in any text that holds the needle. Words of the theme's own
    chrome and assets (``common``: "data", "header"…) are avoided: every page holds them, so
    filing a needle under one would check it in every file. Of the rest, the one fewest needles
    hold (``counts``), else the longest: filed under "restore" or "the", thousands of needles
    would be checked in every page and script holding that word (at 1,000 incidents the gate
    took three times as long, growing with the square of the number of incidents). A needle of
    one or two words is filed under one of its words, which misses it only when it is glued to
    letters in the file (``xTitle``); the canary is checked on its own for that reason.
    """
    pool = key_words(needle)
    if counts is None:
        usable = [w for w in pool if w not in common] or pool
        return max(usable, key=len, default=b"")
    word = pick_key(pool, common, counts)
    assert isinstance(word, bytes)
    return word


def pick_key(pool: Sequence[Key], common: frozenset[Key], counts: Mapping[Key, int]) -> Key:
    """Of a needle's possible keys, the one fewest needles hold (the longest of those), avoiding
    ``common`` ones."""
    usable = [k for k in pool if k not in common] or pool
    fewest = min((counts.get(k, 0) for k in usable), default=0)
    return max((k for k in usable if counts.get(k, 0) == fewest), key=_length, default=b"")


def _length(key: Key) -> int:
    return len(key) if isinstance(key, bytes) else len(key[0]) + len(key[1]) + 1


def key_words(needle: bytes) -> list[bytes]:
    """The words a needle may be filed under: those enclosed by separators, else all of them."""
    return enclosed_words(needle) or words(needle)


def enclosed_words(needle: bytes) -> list[bytes]:
    """Up to 16 words of a needle that are whole words in any text holding it."""
    found = words(needle)
    inner = found[1:-1]
    if found and _SEPARATE[needle[0]] == 0x20:
        inner.append(found[0])
    if found and _SEPARATE[needle[-1]] == 0x20:
        inner.append(found[-1])
    return inner[:16]  # any enclosed word will do: no need to weigh them all


def key_pairs(needle: bytes) -> list[tuple[bytes, bytes]]:
    """Adjacent enclosed words of a needle: side by side in any text that holds it."""
    found = words(needle)
    start = 0 if found and _SEPARATE[needle[0]] == 0x20 else 1
    end = len(found) if found and _SEPARATE[needle[-1]] == 0x20 else len(found) - 1
    run = found[start:end][:17]
    return list(pairwise(run))


class NeedleIndex:
    """Needles filed under a word or a pair of words, so a file is read once whatever their number."""

    def __init__(self, needles: Iterable[Needle], canary: str | None,
                 common: frozenset[Key] = frozenset()) -> None:
        needles = list(needles)
        # Words are found twice rather than kept: at 10,000 incidents, keeping them for 450,000
        # needles took 200 MB.
        counts: Counter[Key] = Counter(word for needle in needles for word in set(key_words(needle.text)))
        self.by_key: dict[Key, list[Needle]] = {}
        crowded = []
        for needle in needles:
            word = pick_key(key_words(needle.text), common, counts)
            pool = key_pairs(needle.text) if counts[word] > CROWDED else []
            if pool:
                crowded.append((needle, word, pool))
            else:
                self.by_key.setdefault(word, []).append(needle)
        # Generic sentences ("14:05 Service is partly restored at the depot") share every word
        # with thousands of others; a pair of their words ("05 service") is far rarer.
        pairs: Counter[Key] = Counter(pair for _, _, pool in crowded for pair in set(pool))
        for needle, word, pool in crowded:
            pair = pick_key(pool, common, pairs)
            self.by_key.setdefault(pair if pairs[pair] < counts[word] else word, []).append(needle)
        self.keys = frozenset(self.by_key)
        self.canary = Needle(normalise(canary), "the canary planted in every protected page before "
                             "encryption: a protected page was written in clear", canary) if canary else None

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_key.values()) + (self.canary is not None)

    def scan(self, text: str) -> list[Needle]:
        """The needles found in ``text``."""
        # Needles have single spaces, so whatever the raw text holds, the collapsed one does.
        low = b" ".join(lowered(text).split())
        found = words(low)
        keys = self.keys.intersection(found) | self.keys.intersection(pairwise(found))
        hits = [needle for key in keys for needle in self.by_key[key] if needle.text in low]
        # The canary is also checked directly: it is the last line of defence.
        if self.canary and self.canary.text in low and self.canary not in hits:
            hits.append(self.canary)
        return hits


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
