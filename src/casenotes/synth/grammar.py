"""A tiny template grammar that keeps track of where every annotated span lands.

Templates are plain strings with two kinds of markup:

- ``[a|b|c]`` — a choice, made with the caller's ``random.Random``; ``[a|]`` makes ``a`` optional.
  Choices nest: ``arrears [of £[450|800]|]``.
- ``{slot}`` — a slot, filled by a resolver that returns a :class:`Piece`: text plus the spans (with
  labels) inside it, relative to the piece.

:class:`TextBuilder` appends literal text and pieces, shifting every span to its offset in the whole
note, so a gold annotation is right by construction; :func:`verify_spans` checks it anyway.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

SLOT_PATTERN = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled span relative to the text that holds it. ``kind`` is ``"pii"`` or ``"risk"``."""

    start: int
    end: int
    kind: str
    label: str
    attrs: tuple[tuple[str, Any], ...] = ()

    def shifted(self, offset: int) -> Span:
        return Span(self.start + offset, self.end + offset, self.kind, self.label, self.attrs)


@dataclass(frozen=True, slots=True)
class Piece:
    """Generated text with the spans it contains."""

    text: str
    spans: tuple[Span, ...] = ()

    @classmethod
    def plain(cls, text: str) -> Piece:
        return cls(text)

    @classmethod
    def whole(cls, text: str, kind: str, label: str, **attrs: Any) -> Piece:
        """A piece whose entire text is one span."""
        return cls(text, (Span(0, len(text), kind, label, tuple(sorted(attrs.items()))),))

    def capitalised(self) -> Piece:
        """Upper-case the first character (sentence start) without moving any span."""
        if not self.text or not self.text[0].islower():
            return self
        return Piece(self.text[0].upper() + self.text[1:], self.spans)


def _split_alternatives(body: str) -> list[str]:
    """Split the inside of a ``[...]`` group on top-level ``|``."""
    parts, depth, current = [], 0, []
    for char in body:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "|" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def expand_choices(template: str, rng: random.Random) -> str:
    """Resolve every ``[a|b]`` group (nested ones included), leaving ``{slots}`` in place."""
    out: list[str] = []
    i = 0
    while i < len(template):
        char = template[i]
        if char != "[":
            if char == "]":
                raise ValueError(f"unbalanced ']' at {i} in template {template!r}")
            out.append(char)
            i += 1
            continue
        depth, j = 1, i + 1
        while j < len(template) and depth:
            depth += {"[": 1, "]": -1}.get(template[j], 0)
            j += 1
        if depth:
            raise ValueError(f"unbalanced '[' at {i} in template {template!r}")
        choice = rng.choice(_split_alternatives(template[i + 1 : j - 1]))
        out.append(expand_choices(choice, rng))
        i = j
    return "".join(out)


def count_expansions(template: str) -> int:
    """How many distinct strings the choices of ``template`` can produce (slots count as one)."""
    total, i = 1, 0
    while i < len(template):
        if template[i] != "[":
            i += 1
            continue
        depth, j = 1, i + 1
        while depth:
            depth += {"[": 1, "]": -1}.get(template[j], 0)
            j += 1
        total *= sum(count_expansions(alt) for alt in _split_alternatives(template[i + 1 : j - 1]))
        i = j
    return total


def all_expansions(template: str) -> list[str]:
    """Every string the choices of ``template`` can produce (for validating small templates)."""
    start = template.find("[")
    if start < 0:
        return [template]
    depth, end = 1, start + 1
    while depth:
        depth += {"[": 1, "]": -1}.get(template[end], 0)
        end += 1
    head, tail = template[:start], template[end:]
    return [
        head + middle + rest
        for alternative in _split_alternatives(template[start + 1 : end - 1])
        for middle in all_expansions(alternative)
        for rest in all_expansions(tail)
    ]


def slots_of(template: str) -> set[str]:
    return set(SLOT_PATTERN.findall(template))


Resolver = Callable[[str], Piece]


def render(
    template: str,
    rng: random.Random,
    resolve: Resolver,
    literal: Callable[[str], str] | None = None,
) -> Piece:
    """Expand choices, rewrite literal text with ``literal`` (abbreviations, typos), fill slots."""
    expanded = expand_choices(template, rng)
    builder = TextBuilder()
    position = 0
    for match in SLOT_PATTERN.finditer(expanded):
        text = expanded[position : match.start()]
        builder.add_text(literal(text) if literal else text)
        builder.add(resolve(match.group(1)))
        position = match.end()
    tail = expanded[position:]
    builder.add_text(literal(tail) if literal else tail)
    return builder.piece()


@dataclass(slots=True)
class TextBuilder:
    """Accumulates text and spans; offsets are absolute in the text built so far."""

    parts: list[str] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    length: int = 0

    def add_text(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.length += len(text)

    def add(self, piece: Piece) -> None:
        self.spans.extend(span.shifted(self.length) for span in piece.spans)
        self.add_text(piece.text)

    def piece(self) -> Piece:
        return Piece("".join(self.parts), tuple(self.spans))

    @classmethod
    def join(cls, *pieces: Piece) -> Piece:
        """Concatenate pieces, shifting their spans."""
        builder = cls()
        for piece in pieces:
            builder.add(piece)
        return builder.piece()


def verify_spans(text: str, spans: Iterable[Span]) -> list[str]:
    """Problems with a note's gold spans: out of range, untrimmed or overlapping; empty if sound."""
    problems: list[str] = []
    ordered = sorted(spans, key=lambda span: (span.start, span.end))
    for span in ordered:
        if not 0 <= span.start < span.end <= len(text):
            problems.append(f"{span.kind} {span.label} span {span.start}-{span.end} out of range")
            continue
        value = text[span.start : span.end]
        if value != value.strip():
            problems.append(f"{span.kind} {span.label} span {span.start}-{span.end} not trimmed")
    for left, right in itertools.pairwise(ordered):
        if right.start < left.end:
            problems.append(
                f"{left.kind} {left.label} {left.start}-{left.end} overlaps "
                f"{right.kind} {right.label} {right.start}-{right.end}"
            )
    return problems
