"""Explanations shared by every classifier: per-note token attributions and their checks.

An :class:`Explanation` says how a model's raw output for one text and one label splits into a
``base`` value (the intercept of a linear model, or the output at the integrated-gradients
baseline) plus one weight per token span. For a linear model the split is exact; for integrated
gradients it is an approximation whose *completeness error* (``|base + Σ weights − output|``) is
measured, never assumed. Spans are character offsets into the text the model was given, so a
renderer can highlight them without ever copying the text into a report.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TokenAttribution:
    """How much one token span of the input pushed the output up (positive) or down."""

    start: int
    end: int
    weight: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """One text's raw output for one label, split into a base value and token attributions."""

    label: str
    base: float
    output: float
    tokens: tuple[TokenAttribution, ...]

    @property
    def total(self) -> float:
        """Sum of the token weights."""
        return float(sum(token.weight for token in self.tokens))

    @property
    def completeness_error(self) -> float:
        """``|base + Σ weights − output|``: zero for an exact explanation."""
        return abs(self.base + self.total - self.output)

    @property
    def relative_completeness_error(self) -> float:
        """The completeness error as a share of ``|output − base|`` (what IG promises to split)."""
        gap = abs(self.output - self.base)
        return self.completeness_error / gap if gap > 0 else self.completeness_error
