"""Shared machinery for the UK regex recognizers: rules as data, value groups, context in the text.

Presidio's :class:`~presidio_analyzer.PatternRecognizer` marks the whole regex match and boosts
scores with context found in spaCy lemmas. Case notes need three things it does not give:

- **value-only spans**: "aged {14}", "snap: {jaybaby07}", "CAD {1234 12/03/24}". A rule's regex may
  hold a named group ``value``; when it takes part in the match, only that group is marked.
- **context that decides**, not only lifts: a bare seven-digit number is a Mosaic id only after
  "Mosaic ID"; an outward code ("M14") is a postcode only near "area" or "postcode". Context is
  looked up in the raw text just before the value (multi-word phrases, whole words, lower case),
  so it does not depend on the NLP engine's tokens or stop-word list.
- **traceability**: every result's ``recognition_metadata`` names the recognizer
  (``recognizer_name``, a stable name such as ``uk_nhs``) and the rule (``pattern_name``), and its
  ``analysis_explanation`` carries both plus the supporting context word.

Because context is applied here, every result is flagged ``is_score_enhanced_by_context`` so that
Presidio's lemma enhancer does not lift it a second time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts

PATTERN_NAME_KEY = "pattern_name"
CONTEXT_BOOST = 0.35  # Presidio's context_similarity_factor
MIN_SCORE_WITH_CONTEXT = 0.4  # Presidio's min_score_with_context_similarity


@dataclass(frozen=True, slots=True)
class Rule:
    """One regular expression of a recognizer.

    ``regex`` is compiled once, at class definition. If it has a ``value`` group that took part in
    the match, the group is the span; otherwise the whole match. ``validate`` runs the
    recognizer's :meth:`UkRecognizer.validate_result` on the value (check digits, format rules).
    ``context`` words (lower case, may be phrases) found just before the value lift the score;
    with ``require_context`` a match without them is dropped. ``prefilter`` is a cheap test that
    every text the regex can match passes (a necessary condition): texts that fail it are not
    searched. It is for regexes that are slow to fail on ordinary prose.
    """

    name: str
    regex: re.Pattern[str]
    score: float
    entity: str | None = None
    validate: bool = False
    context: tuple[str, ...] = ()
    require_context: bool = False
    prefilter: Callable[[str], bool] | None = None


def containing(*literals: str, any_case: bool = False) -> Callable[[str], bool]:
    """A prefilter: the text holds one of ``literals`` (lower-case literals with ``any_case``)."""
    if any_case:
        return lambda text: any(literal in text.lower() for literal in literals)
    return lambda text: any(literal in text for literal in literals)


def finding(pattern: str) -> Callable[[str], bool]:
    """A prefilter: ``pattern`` is found in the text."""
    search = re.compile(pattern).search
    return lambda text: search(text) is not None


def context_regex(words: Sequence[str]) -> re.Pattern[str] | None:
    """A whole-word, case-insensitive search for any of ``words`` (longest first)."""
    if not words:
        return None
    # Grouped, so that both word boundaries apply to every alternative (not only to the first
    # and the last), and in a fixed order (longest first, then alphabetical) whatever the
    # process's string hashing.
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    alternatives = "|".join(re.escape(w) for w in ordered)
    return re.compile(rf"(?<![\w])(?:{alternatives})(?![\w])", re.IGNORECASE)


def outermost(results: list[RecognizerResult]) -> list[RecognizerResult]:
    """Drop results nested in a longer one of the same entity; the outer keeps the higher score.

    Presidio's ``remove_duplicates`` keeps a nested result that scores higher, which would split
    "Flat 3, Brunel House, 12 Station Road" into pieces.
    """
    results = sorted(results, key=lambda r: (r.start, -r.end, -r.score))
    kept: list[RecognizerResult] = []
    for result in results:
        outer = next(
            (
                k
                for k in kept
                if k.entity_type == result.entity_type
                and k.start <= result.start
                and result.end <= k.end
            ),
            None,
        )
        if outer is None:
            kept.append(result)
        elif result.score > outer.score:
            outer.score = result.score
    return kept


class UkRecognizer(EntityRecognizer):
    """Base class: subclasses set ``NAME``, ``ENTITIES``, ``RULES`` and ``CONTEXT`` as class data.

    ``CONTEXT`` holds words that lift every rule's score; a rule's own ``context`` adds to them.
    ``CONTEXT_WINDOW`` is how many characters before the value are searched for context.
    Subclasses refine a match in :meth:`accept` (return the entity to emit, or ``None`` to drop).
    """

    NAME: ClassVar[str] = "uk_base"
    ENTITIES: ClassVar[tuple[str, ...]] = ()
    RULES: ClassVar[tuple[Rule, ...]] = ()
    CONTEXT: ClassVar[tuple[str, ...]] = ()
    CONTEXT_WINDOW: ClassVar[int] = 40
    PREFILTER: ClassVar[re.Pattern[str] | None] = None  # skip the text unless this is found

    def __init__(self, supported_language: str = "en") -> None:
        rules = self.rules()
        self._rules = rules
        self._context_res = {
            rule.name: context_regex((*self.CONTEXT, *rule.context)) for rule in rules
        }
        super().__init__(
            supported_entities=list(self.ENTITIES),
            name=self.NAME,
            supported_language=supported_language,
            context=list(self.CONTEXT),
        )

    def rules(self) -> tuple[Rule, ...]:
        """The rules to run; class data by default, built from config in some subclasses."""
        return self.RULES

    def load(self) -> None:  # nothing to load: the regexes are compiled at import
        pass

    def validate_result(self, pattern_text: str) -> bool | None:
        """Check digits or format rules of a value; ``None`` when a recognizer has none."""
        return None

    def accept(
        self, text: str, match: re.Match[str], rule: Rule, start: int, end: int
    ) -> str | None:
        """The entity to emit for this match, or ``None`` to drop it. Default: the rule's entity."""
        return rule.entity or self.ENTITIES[0]

    def find_context(self, text: str, start: int, rule: Rule) -> str | None:
        """The first context word of ``rule`` in the window before ``start``, if any."""
        pattern = self._context_res[rule.name]
        if pattern is None:
            return None
        found = pattern.search(text, max(0, start - self.CONTEXT_WINDOW), start)
        return found.group(0).lower() if found else None

    def analyze(
        self,
        text: str,
        entities: list[str] | None = None,
        nlp_artifacts: NlpArtifacts | None = None,
    ) -> list[RecognizerResult]:
        if entities is not None and not set(entities) & set(self.supported_entities):
            return []
        if self.PREFILTER is not None and self.PREFILTER.search(text) is None:
            return []
        results: list[RecognizerResult] = []
        for rule in self._rules:
            if rule.prefilter is not None and not rule.prefilter(text):
                continue
            for match in rule.regex.finditer(text):
                result = self._result(text, match, rule)
                if result is not None:
                    results.append(result)
        if entities is not None:
            results = [r for r in results if r.entity_type in entities]
        return outermost(results)

    def span(self, text: str, match: re.Match[str], rule: Rule) -> tuple[int, int] | None:
        """Where the value is: the ``value`` group if it matched, else the whole match."""
        if "value" in rule.regex.groupindex and match.start("value") >= 0:
            return match.span("value")
        return match.span()

    def _result(self, text: str, match: re.Match[str], rule: Rule) -> RecognizerResult | None:
        found = self.span(text, match, rule)
        if found is None or found[0] >= found[1]:
            return None
        start, end = found
        validation: bool | None = None
        if rule.validate:
            validation = bool(self.validate_result(text[start:end]))
            if not validation:
                return None
        entity = self.accept(text, match, rule, start, end)
        if entity is None:
            return None
        score = rule.score
        word = self.find_context(text, start, rule)
        if word is None and rule.require_context:
            return None
        if word is not None:
            score = min(1.0, max(score + CONTEXT_BOOST, MIN_SCORE_WITH_CONTEXT))
        explanation = AnalysisExplanation(
            recognizer=self.name,
            original_score=rule.score,
            pattern_name=rule.name,
            pattern=rule.regex.pattern,
            validation_result=validation,
            textual_explanation=f"Detected by `{self.name}` using pattern `{rule.name}`",
        )
        if word is not None:
            explanation.set_supportive_context_word(word)
            explanation.set_improved_score(score)
        return RecognizerResult(
            entity_type=entity,
            start=start,
            end=end,
            score=score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                PATTERN_NAME_KEY: rule.name,
                RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
            },
        )
