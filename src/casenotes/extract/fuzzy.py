"""One-typo tolerance for lexicon words (SymSpell-style deletion index, no dictionary needed).

Practitioners type fast: "dometic violence", "anxeity", "overcrowdng". For every lexicon word of at
least ``min_length`` letters, :class:`TypoIndex` finds tokens one edit away (a letter deleted or
added, or two neighbours swapped) and returns the lexicon word, which the risk matcher
writes to ``token.norm_`` before matching on NORM. Short words are never corrected (too many real
words are one edit from "damp" or "drunk"), nor are the ``ignore`` words (real words one edit from a
lexicon word, such as "repressed").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

CACHE_SIZE = 100_000  # words remembered per index: memory stays flat however large the archive


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def within_one_edit(a: str, b: str) -> bool:
    """One letter dropped, added, or two neighbours swapped. A changed letter does not count:
    it turns real words into each other too often ("changes"/"charges", "reminded"/"remanded").
    """
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


class TypoIndex:
    """Map a misspelt token to the lexicon word it is one edit away from, if any."""

    def __init__(
        self,
        words: Iterable[str],
        min_length: int = 7,
        ignore: Iterable[str] = (),
        *,
        fixed_ends: bool = False,
    ):
        self.min_length = min_length
        # short trigger words ("ever", "will", "past") are one edit from many real words ("every",
        # "ill", "pasta"); with ``fixed_ends`` a typo keeps the word's first letter, and its last
        # one too unless two letters were swapped ("taht"), which real-word neighbours mostly do not
        self.fixed_ends = fixed_ends
        words = frozenset(words)
        self.words = frozenset(w for w in words if len(w) >= min_length and w.isalpha())
        # any word of the lexicon, however short, is itself and never a typo ("county")
        self.ignore = frozenset(ignore) | words
        self.index: dict[str, set[str]] = {}
        for word in self.words:
            for key in {word, *_deletes(word)}:
                self.index.setdefault(key, set()).add(word)
        self._cache: dict[str, str | None] = {}
        self._by_id: dict[int, str | None] = {}

    def correct(self, token: str) -> str | None:
        """The lexicon word ``token`` (lower case) is a typo of, or None."""
        if token in self._cache:
            return self._cache[token]
        result = None
        if len(token) >= self.min_length - 1 and token.isalpha() and token not in self.ignore:
            found: set[str] = set(self.index.get(token, ()))
            for key in _deletes(token):
                found |= self.index.get(key, set())
            matches = sorted(w for w in found if within_one_edit(token, w))
            # a plural is not a typo ("hostels" is not "hostel"), and ambiguity is no match
            matches = [w for w in matches if token not in (w + "s", w + "d") and w != token + "s"]
            if self.fixed_ends:  # a swap keeps the first letter; a letter dropped or added, both
                matches = [
                    w
                    for w in matches
                    if w[0] == token[0] and (len(w) == len(token) or w[-1] == token[-1])
                ]
            if len(matches) > 1:  # "riks": a swap ("risk") beats a dropped letter ("risks")
                matches = [w for w in matches if len(w) == len(token)]
            result = matches[0] if len(matches) == 1 else None
        if len(self._cache) < CACHE_SIZE:
            self._cache[token] = result
        return result

    def correct_id(self, key: int, strings: Any) -> str | None:
        """:meth:`correct` for a word given by its id in a spaCy ``StringStore`` (a token's
        ``lower``): a dictionary lookup for words seen before, without fetching the string."""
        if key in self._by_id:
            return self._by_id[key]
        result = self.correct(strings[key])
        if len(self._by_id) < CACHE_SIZE:
            self._by_id[key] = result
        return result
