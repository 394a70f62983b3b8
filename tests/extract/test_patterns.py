"""The anchored token-pattern matcher gives exactly spaCy's Matcher's matches."""

from __future__ import annotations

import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.matcher import Matcher

from casenotes.extract.patterns import AnchoredMatcher, compile_pattern

PATTERNS = {
    "optional_gap": [{"LOWER": "a"}, {"IS_ALPHA": True, "OP": "?"}, {"LOWER": "b", "OP": "?"}],
    "two_wildcards": [{"LOWER": "a"}, {"OP": "?"}, {"OP": "?"}, {"LOWER": "b"}],
    "in_anchor": [{"LOWER": {"IN": ["x", "y"]}}, {"LOWER": {"IN": ["b", "c"]}}],
    "regex": [{"LOWER": "c"}, {"LOWER": {"REGEX": r"^x\d+$"}}],
    "shape": [{"SHAPE": "dddd"}, {"LOWER": {"IN": ["b", "report"]}}],
    "not_punct": [
        {"LOWER": "b"},
        {"IS_PUNCT": False, "IS_SPACE": False, "OP": "?"},
        {"LOWER": "c"},
    ],
    "negated": [{"ORTH": "A"}, {"LOWER": "b", "OP": "!"}],
    "not_in": [{"LOWER": "y"}, {"LOWER": {"NOT_IN": ["a", "b"]}}],
    "like_num": [{"LOWER": "x"}, {"LIKE_NUM": True}],
}
WORDS = ["a", "A", "b", "c", "x", "y", "x12", "2019", "report", ",", ".", "\n", "two", "7"]


@pytest.fixture(scope="module")
def matchers():
    nlp = spacy.blank("en")
    reference = Matcher(nlp.vocab)
    anchored = AnchoredMatcher()
    for key, pattern in PATTERNS.items():
        reference.add(key, [pattern])
        compiled = compile_pattern(pattern)
        assert compiled is not None, key
        anchored.add(key, compiled)
    return nlp, reference, anchored


def _both(matchers, words: list[str]) -> tuple[set, set]:
    nlp, reference, anchored = matchers
    doc = spacy.tokens.Doc(nlp.vocab, words=words)
    expected = {(nlp.vocab.strings[k], s, e) for k, s, e in reference(doc)}
    return expected, set(anchored(doc))


def test_every_way_of_matching_is_returned_once(matchers):
    expected, got = _both(matchers, ["a", "x", "b", "a", "b", "b"])
    assert got == expected
    assert {m for m in got if m[0] == "optional_gap"} == {
        ("optional_gap", 0, 1),
        ("optional_gap", 0, 2),
        ("optional_gap", 0, 3),
        ("optional_gap", 3, 4),
        ("optional_gap", 3, 5),
        ("optional_gap", 3, 6),
    }


@pytest.mark.parametrize(
    ("words", "key", "hit"),
    [
        (["c", "x12"], "regex", True),
        (["c", "x"], "regex", False),  # near miss: no digits
        (["2019", "report"], "shape", True),
        (["201", "report"], "shape", False),  # near miss: three digits
        (["b", "then", "c"], "not_punct", True),
        (["b", ",", "c"], "not_punct", False),  # near miss: punctuation in the gap
        (["A", "c"], "negated", True),
        (["A", "b"], "negated", False),
        (["a", "c"], "negated", False),  # ORTH is case-sensitive
        (["x", "two"], "like_num", True),
        (["x", "c"], "like_num", False),
    ],
)
def test_token_tests(matchers, words, key, hit):
    expected, got = _both(matchers, words)
    assert got == expected
    assert any(m[0] == key for m in got) is hit


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(WORDS), max_size=30))
def test_same_matches_as_spacy_on_any_sequence(matchers, words):
    expected, got = _both(matchers, words)
    assert got == expected


@pytest.mark.parametrize(
    "pattern",
    [
        [{"LOWER": "a", "OP": "?"}, {"LOWER": "b"}],  # optional first token
        [{"IS_ALPHA": True}, {"LOWER": "b"}],  # no fixed first word
        [{"LOWER": "a"}, {"LOWER": "b", "OP": "+"}],  # repetition
        [{"LOWER": "a"}, {"POS": "NOUN"}],  # an attribute needing a tagger
        [{"LOWER": {"FUZZY": "abc"}}],
    ],
)
def test_patterns_it_cannot_take_are_left_to_spacy(pattern):
    assert compile_pattern(pattern) is None


def test_the_packaged_rules_need_no_token_matcher(nlp):
    """Every token pattern of the packaged rules is anchored: spaCy's Matcher, which tries each
    pattern at every token, is not run at all."""
    for _, component in nlp.pipeline:
        for matcher in (getattr(component, a, None) for a in ("_matcher", "_triggers", "_people")):
            if matcher is not None:
                assert len(matcher.tokens) == 0
