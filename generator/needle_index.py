"""The leak gate's indexes: needles filed under rare words, and public text by pairs of words.

Speed: one pass per file. Each needle is filed under one of its words (one enclosed by
separators inside the needle, so it is a whole word wherever the needle appears); a file's
words come from ``bytes.translate`` + ``split`` (C speed, about twice as fast as a ``\\w+``
regex), and only needles whose word the file holds are checked with ``in``. Which key a needle
is filed under never changes what is found, only how fast.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

# A needle whose rarest word this many needles hold is filed under a pair of words instead.
CROWDED = 256

# Words are runs of ASCII letters, digits and _ (text is lowered first) and of any non-ASCII
# byte, so UTF-8 letters stay inside words; every other byte separates words.
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_") | frozenset(range(128, 256))
_SEPARATE = bytes(c if c in _WORD_BYTES else 0x20 for c in range(256))
# What a needle is filed under: a word, or two words side by side.
Key = bytes | tuple[bytes, bytes]

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
