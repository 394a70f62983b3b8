"""Token patterns matched from their first word: the same matches as spaCy's ``Matcher``, faster.

spaCy's token ``Matcher`` starts every pattern at every token of a note, so its cost grows with the
number of patterns even when a note holds none of their first words: the ~90 token patterns of the
packaged rules took ~40% of extraction time. Most patterns start with a fixed word ("arguing",
"reported", "missed") or a fixed shape ("dddd"). :class:`AnchoredMatcher` looks those up with one
array comparison per note and tries a pattern only where its first token is found, so a note costs
little more than its length.

It takes the subset of spaCy's pattern language the rule files use, and gives the same matches:
every ``(key, start, end)`` any way of matching produces, each once. A token spec may test
``ORTH``, ``LOWER``, ``NORM``, ``SHAPE`` (a value, ``IN``, ``NOT_IN`` or ``REGEX``) and the flags
in :data:`FLAGS`; ``OP`` may be absent, ``"?"`` or ``"!"``; ``{}`` is any one token. The first
token needs a plain ``ORTH``, ``LOWER``, ``NORM`` or ``SHAPE`` value or ``IN`` list and no ``OP``.
:func:`compile_pattern` returns None for anything else, and the caller keeps spaCy's ``Matcher``
for those patterns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from spacy.attrs import LOWER, NORM, ORTH, SHAPE
from spacy.tokens import Doc, Token

TEXT_ATTRS = {"ORTH": "orth_", "LOWER": "lower_", "NORM": "norm_", "SHAPE": "shape_"}
ANCHOR_ATTRS = {"ORTH": ORTH, "LOWER": LOWER, "NORM": NORM, "SHAPE": SHAPE}
FLAGS = {
    "IS_ALPHA": "is_alpha",
    "IS_ASCII": "is_ascii",
    "IS_DIGIT": "is_digit",
    "IS_LOWER": "is_lower",
    "IS_UPPER": "is_upper",
    "IS_TITLE": "is_title",
    "IS_PUNCT": "is_punct",
    "IS_SPACE": "is_space",
    "IS_STOP": "is_stop",
    "LIKE_NUM": "like_num",
    "LIKE_URL": "like_url",
    "LIKE_EMAIL": "like_email",
}
OPS = {None, "?", "!"}

Predicate = Callable[[Token], bool]
# a compiled token: (test, optional, negated)
Step = tuple[Predicate, bool, bool]


def _text_test(attr: str, value: Any) -> Predicate | None:
    name = TEXT_ATTRS[attr]
    if isinstance(value, str):
        return lambda token: getattr(token, name) == value
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((how, arg),) = value.items()
    if how == "IN" and isinstance(arg, list):
        members = frozenset(arg)
        return lambda token: getattr(token, name) in members
    if how == "NOT_IN" and isinstance(arg, list):
        banned = frozenset(arg)
        return lambda token: getattr(token, name) not in banned
    if how == "REGEX" and isinstance(arg, str):
        search = re.compile(arg).search
        return lambda token: search(getattr(token, name)) is not None
    return None


def _step(spec: dict[str, Any]) -> Step | None:
    op = spec.get("OP")
    if op not in OPS:
        return None
    tests: list[Predicate] = []
    for attr, value in spec.items():
        if attr == "OP":
            continue
        if attr in TEXT_ATTRS:
            test = _text_test(attr, value)
            if test is None:
                return None
            tests.append(test)
        elif attr in FLAGS and isinstance(value, bool):
            flag, wanted = FLAGS[attr], value
            tests.append(lambda token, f=flag, w=wanted: getattr(token, f) is w)
        else:
            return None
    if not tests:
        test: Predicate = _any_token
    elif len(tests) == 1:
        test = tests[0]
    else:
        test = lambda token: all(t(token) for t in tests)  # noqa: E731 - a closure over tests
    return test, op == "?", op == "!"


def _any_token(token: Token) -> bool:
    return True


def _anchor(spec: dict[str, Any]) -> tuple[str, tuple[str, ...]] | None:
    """The attribute and the values a first token must have, when it is a plain lookup."""
    if "OP" in spec or len(spec) != 1:
        return None
    ((attr, value),) = spec.items()
    if attr not in ANCHOR_ATTRS:
        return None
    if isinstance(value, str):
        return attr, (value,)
    if isinstance(value, dict) and set(value) == {"IN"} and isinstance(value["IN"], list):
        return attr, tuple(str(v) for v in value["IN"])
    return None


def compile_pattern(
    pattern: list[dict[str, Any]],
) -> tuple[str, tuple[str, ...], list[Step]] | None:
    """(anchor attribute, anchor values, steps after the first token), or None when the pattern
    needs spaCy's Matcher."""
    if not pattern:
        return None
    anchor = _anchor(pattern[0])
    if anchor is None:
        return None
    steps = [_step(spec) for spec in pattern[1:]]
    if any(step is None for step in steps):
        return None
    return anchor[0], anchor[1], steps  # type: ignore[return-value]


def _ends(doc: Doc, steps: list[Step], k: int, i: int) -> Iterator[int]:
    """Every end position of ``steps[k:]`` matched from token ``i``."""
    if k == len(steps):
        yield i
        return
    test, optional, negated = steps[k]
    if optional:
        yield from _ends(doc, steps, k + 1, i)
    if i < len(doc) and test(doc[i]) is not negated:
        yield from _ends(doc, steps, k + 1, i + 1)


class AnchoredMatcher:
    """Match compiled patterns at the tokens where their first token is found."""

    def __init__(self) -> None:
        # anchor attribute → anchor value → [(key, steps)]
        self._index: dict[str, dict[str, list[tuple[str, list[Step]]]]] = {}
        self._hashes: dict[str, np.ndarray] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, key: str, compiled: tuple[str, tuple[str, ...], list[Step]]) -> None:
        attr, values, steps = compiled
        table = self._index.setdefault(attr, {})
        for value in values:
            table.setdefault(value, []).append((key, steps))
        self._count += 1
        self._hashes.pop(attr, None)

    def __call__(self, doc: Doc) -> list[tuple[str, int, int]]:
        """(key, start, end) for every match, each once, in no particular order."""
        found: set[tuple[str, int, int]] = set()
        strings = doc.vocab.strings
        for attr, table in self._index.items():
            hashes = self._hashes.get(attr)
            if hashes is None:
                hashes = np.sort(np.array([strings.add(v) for v in table], dtype=np.uint64))
                self._hashes[attr] = hashes
            column = doc.to_array(ANCHOR_ATTRS[attr])
            # membership by binary search: np.isin costs ~100x more on a note-sized array
            where = np.minimum(np.searchsorted(hashes, column), len(hashes) - 1)
            for i in np.flatnonzero(hashes[where] == column).tolist():
                for key, steps in table[strings[int(column[i])]]:
                    for end in _ends(doc, steps, 0, i + 1):
                        found.add((key, i, end))
        return list(found)
