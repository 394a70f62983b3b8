"""spaCy components: the risk-factor matcher and the ConText qualifier.

``RiskMatcher`` finds risk mentions with a PhraseMatcher on NORM (case-insensitive lexicon, plain
token patterns expanded to phrases), a second one on ORTH for case-sensitive abbreviations, and the
remaining token patterns from their first word (:mod:`casenotes.extract.patterns`; spaCy's token
Matcher only for patterns without a fixed first word). First it writes the lexicon word to
``token.norm_`` of tokens one typo away from it ("dometic"). It drops matches inside service and
role names (``exclude`` rules) and section headings ("Alcohol:"), keeps the longest of overlapping
matches, joins same-label mentions linked only by connectors ("depression and anxiety"), drops a
mention ending in a preposition whose object is another label's mention ("known to police for DV")
and writes them to ``doc.spans["risks"]`` with ``span._.risk_rule`` naming the rule. In notes typed
without capitals, all-capitals abbreviations also match in lower case ("flagged cce").

``ContextQualifier`` sets ``span._.negated``, ``span._.subject``, ``span._.temporality`` and
``span._.certainty`` on those spans with ConText: each trigger sets its category's qualifier on the
mentions within its scope (``max_scope`` words in its direction, inside one sentence or line, and
not across a terminator); the nearest trigger wins per qualifier. Subject comes from the rule's own
subject ("open to CAMHS" is the child's), then subject triggers, then the nearest person word in the
clause (pronouns resolved to the last compatible singular person word; names only when the note
gives their role, "Mum (Sarah)", "Jack's mum", "his mum", or an earlier note of the same case
gave it: ``doc.user_data[CASE_KEY]`` names the case, and :meth:`ContextQualifier.forget` starts a
new chunk), then the clause before when the mention's own has no subject ("and is now on bail"),
then the rule's or the label's default. People in a bracket closed before the mention ("Dean
(father of Mason) is serving ...") and companions ("drank vodka with Keeley") are not its
subject. Neither component needs a parser, NER or a sentencizer: sentences are split by rule
(line breaks, ". ", "! ", "? ").

Both get their rules in ``initialize()`` (the packaged files by default) and save them with
``to_disk`` so a pipeline saved with ``nlp.to_disk`` carries its exact rules.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.attrs import (
    IS_ALPHA,
    IS_LOWER,
    IS_PUNCT,
    IS_SPACE,
    IS_TITLE,
    LENGTH,
    LOWER,
    NORM,
    ORTH,
    SPACY,
)
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span, SpanGroup
from spacy.util import filter_spans

from casenotes.extract.fuzzy import TypoIndex
from casenotes.extract.patterns import AnchoredMatcher, compile_pattern
from casenotes.extract.rules import (
    ContextRule,
    ContextRuleSet,
    LoadedRules,
    RiskRule,
    RiskRuleSet,
    SubjectRuleSet,
    load_context_rules,
    load_risk_rules,
    load_subject_rules,
    parse_rules,
)
from casenotes.parallel import CaseStore
from casenotes.records import Certainty, RiskLabel, Subject, Temporality

SPANS_KEY = "risks"
RULE_ATTR = "risk_rule"
QUALIFIER_ATTRS: dict[str, Any] = {
    "negated": False,
    "subject": None,
    "temporality": Temporality.CURRENT.value,
    "certainty": Certainty.AFFIRMED.value,
}
RULES_FILE_NAME = "rules.json"
CONTEXT_TYPO_MIN_LENGTH = 4  # "taht", "riisk", "deies", "hwever", "whethher", "suspcets"
WEIGHTS_KEY = "casenotes_scope_weights"
SEGMENTS_KEY = "casenotes_segments"
DEPTHS_KEY = "casenotes_bracket_depths"
LIST_WORDS = frozenset({"and", "or", "nor", "&", "/"})
CONDITIONALS = frozenset({"if", "unless"})  # a backward trigger does not reach across these
HEADING_MARKS = frozenset({":"})
TITLE_DASHES = frozenset({"-", "–", "—"})
DANGLING_WORDS = frozenset({"for", "of", "with", "about"})
LOWER_CASE_MIN_SENTENCES = 3
LOWER_CASE_SHARE = 0.8
TRIM_WORDS = frozenset({"in", "at", "when", "where", "which", "that", "was"})
NEWLINE = "\n"
PLACEHOLDER = re.compile(r"^(?:PERSON|NAME)_?\d*$")
PLACEHOLDER_WORDS = ("PERSON", "NAME")  # a text without them has no placeholder
NAME_FOLLOWERS = frozenset(
    {
        "is",
        "was",
        "has",
        "had",
        "'s",
        "and",
        "said",
        "says",
        "reports",
        "confirmed",
        "confirms",
        "denies",
        "denied",
        "admits",
        "admitted",
        "agreed",
        "agrees",
        "told",
        "disclosed",
        "reported",
        "(",
        ",",
        "stated",
        "shared",
        "explained",
        "appeared",
        "presented",
        "seemed",
        "attended",
        "remains",
        "continues",
        "may",
        "might",
        "could",
        "will",
        "would",
        "did",
        "does",
        "have",
    }
)
# a parent or other person "reported", "is concerned"... is speaking about someone else's risk;
# a child who "disclosed" is usually speaking about their own
SPEAKER_CATEGORIES = frozenset({"parent", "other"})
ROLES = frozenset({"parent", "child", "other"})
COMPANION_WORDS = frozenset({"with"})
RELATIVES = frozenset({"who", "whose", "which", "that"})
AUXILIARIES = frozenset({"is", "was", "are", "were", "has", "had", "have", "also", "then"})
SENTENCE_ENDS = frozenset({".", "!", "?", "...", "…"})
# adverbs that end a qualifier's scope but not the clause: "YP is currently sofa surfing"
CLAUSE_ADVERBS = frozenset({"now", "currently", "still"})
COORDINATORS = frozenset({"but", "and", "&", "yet"})
PREPOSITIONS = frozenset(
    {"in", "at", "on", "to", "from", "with", "for", "of", "by", "about", "into", "near", "over"}
    | {"under", "after", "before", "around", "outside", "inside", "towards", "against"}
)
DETERMINERS = frozenset(
    {"the", "a", "an", "this", "that", "these", "those", "his", "her", "their", "its", "our"}
    | {"my", "your", "no", "any", "some", "there", "it"}
)
ADULT_AGE = 18
UNKNOWN = "unknown"  # a name the note gives no role: an antecedent, but nobody's risk
CASE_KEY = "casenotes_case_id"  # doc.user_data: the case a note belongs to, for role memory
DATE_KEY = "casenotes_note_date"  # doc.user_data: the note's date, for dated chronology entries
ENTRY_DATES_KEY = "casenotes_entry_dates"
# a chronology's entry opens a line, or a sentence of a chronology run on in one paragraph
# ("... NFA. 02/02/19 - Mr Barrett convicted ...")
DATED_ENTRY = re.compile(
    r"(?:^|(?<=[.;:] ))[ \t>*•-]*(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})[ \t]*(?:[-–—|:]|\t)",
    re.MULTILINE,
)


def _closed_condition(doc: Doc, segment: list[int], trigger: int, mention: int) -> bool:
    """True when the trigger at ``trigger`` sits in an "if" or "unless" clause of its sentence
    that a comma closes before the mention at ``mention``."""
    if not any(doc[i].text == "," for i in range(trigger, mention)):
        return False
    seg = segment[trigger]
    i = trigger - 1
    while i >= 0 and segment[i] == seg and doc[i].text != ",":
        if doc[i].lower_ in CONDITIONALS:
            return True
        i -= 1
    return False


def register_extensions() -> None:
    """Add the span attributes the components write (idempotent; run when a component is built)."""
    if not Span.has_extension(RULE_ATTR):
        Span.set_extension(RULE_ATTR, default=None)
    for name, default in QUALIFIER_ATTRS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)


def _variants(phrase: str) -> list[str]:
    """A phrase and its hyphen variants: "sofa-surfing" → also "sofa surfing", "sofasurfing"."""
    out = [phrase]
    if "-" in phrase:
        out += [phrase.replace("-", " "), phrase.replace("-", "")]
    return list(dict.fromkeys(out))


MAX_PATTERN_PHRASES = 20_000


def _as_phrases(pattern: list[dict[str, Any]]) -> list[list[str]] | None:
    """Every word sequence a pattern of plain ``LOWER`` tokens (``IN`` lists, ``OP: "?"``) matches.

    Such patterns go to the PhraseMatcher (hash lookups) instead of the token Matcher, which tries
    every pattern at every token. None when the pattern uses anything else.
    """
    sequences: list[list[str]] = [[]]
    for token in pattern:
        keys = set(token) - {"OP"}
        if keys != {"LOWER"} or token.get("OP", "?") != "?":
            return None
        value = token["LOWER"]
        if isinstance(value, str):
            words = [value.lower()]
        elif isinstance(value, dict) and set(value) == {"IN"}:
            words = [str(word).lower() for word in value["IN"]]
        else:
            return None
        optional = token.get("OP") == "?"
        sequences = [[*seq, w] for seq in sequences for w in words] + (
            sequences if optional else []
        )
        if len(sequences) > MAX_PATTERN_PHRASES:
            return None
    return [seq for seq in sequences if seq]


def _expand(pattern: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Split a pattern whose first token is ``{LOWER: {IN: [...]}}`` into one pattern per word.

    Set predicates run in Python on every token, plain attribute values in C: the split keeps the
    matcher fast (the first token is tried at every position; later ones only after a match).
    """
    first = pattern[0] if pattern else {}
    value = first.get("LOWER")
    if set(first) == {"LOWER"} and isinstance(value, dict) and set(value) == {"IN"}:
        return [[{"LOWER": word}, *pattern[1:]] for word in value["IN"]]
    return [list(pattern)]


class _RuleMatcher:
    """Phrase (case-insensitive on NORM, and exact) and token-pattern matching of rules."""

    def __init__(self, nlp: Language, rules: Iterable[Any]) -> None:
        self.lower = PhraseMatcher(nlp.vocab, attr="NORM")
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.tokens = Matcher(nlp.vocab)
        self.anchored = AnchoredMatcher()
        self.rules: dict[str, Any] = {}
        for rule in rules:
            self.rules[rule.id] = rule
            if rule.phrases:
                phrases = [v for phrase in rule.phrases for v in _variants(phrase)]
                docs = [nlp.make_doc(phrase) for phrase in phrases]
                (self.exact if rule.case_sensitive else self.lower).add(rule.id, docs)
            token_patterns = []
            for pattern in rule.patterns:
                sequences = _as_phrases(pattern)
                compiled = compile_pattern(pattern) if sequences is None else None
                if sequences is not None:
                    self.lower.add(rule.id, [Doc(nlp.vocab, words=words) for words in sequences])
                elif compiled is not None:
                    self.anchored.add(rule.id, compiled)
                else:
                    token_patterns += _expand(pattern)
            if token_patterns:
                self.tokens.add(rule.id, token_patterns)
        self._active = [m for m in (self.lower, self.exact, self.tokens) if len(m)]

    def __call__(self, doc: Doc) -> list[tuple[Any, int, int]]:
        """(rule, start, end) for every match, in no particular order."""
        vocab = doc.vocab.strings
        found = []
        for matcher in self._active:
            for match_id, start, end in matcher(doc):
                found.append((self.rules[vocab[match_id]], start, end))
        if len(self.anchored):
            found += [(self.rules[key], start, end) for key, start, end in self.anchored(doc)]
        return found


AGE_WORDS = frozenset({"aged", "age"})
AGE_ENDS = frozenset({")", ",", ";", "yrs", "yo", "years", "year", "y/o"})


def _aged_under(doc: Doc, end: int, limit: int) -> bool:
    """True when an age under ``limit`` follows the name ending at ``end``: "[PERSON_21] (11)",
    "Kai (15, care leaver)", "Kai, 15,", "(Nia 15)", "Kai, aged 15". A bare number must end there
    ("Kai 15)"), so "Kai 3 times" is not an age."""
    k = end + 1 if end < len(doc) and doc[end].text == "]" else end
    if k < len(doc) and doc[k].text in ("(", ","):
        k += 1
    if k + 1 < len(doc) and doc[k].lower_ in AGE_WORDS:  # "Kai Morgan, aged 15"
        return doc[k + 1].text.isdecimal() and int(doc[k + 1].text) < limit
    if k >= len(doc) or not doc[k].text.isdecimal() or int(doc[k].text) >= limit:
        return False
    bracketed = doc[k - 1].text == "("
    after = doc[k + 1].text if k + 1 < len(doc) else "\n"
    return bracketed or after in AGE_ENDS or NEWLINE in after


def _segments(doc: Doc) -> list[int]:
    """A segment (sentence) number per token, by rule: a new segment after a line break and after
    ".", "!" or "?" followed by a space ("?cannabis use" is a query, not the end of a sentence).
    Both components need them: they are kept in ``doc.user_data`` for the doc's length.
    """
    cached = doc.user_data.get(SEGMENTS_KEY)
    if cached is not None and len(cached) == len(doc):
        return cached
    strings = doc.vocab.strings
    ends = {strings.add(mark) for mark in SENTENCE_ENDS}
    segment, out, after_break = 0, [], False
    for orth, space in doc.to_array([ORTH, SPACY]).tolist():
        if after_break:
            segment += 1
        out.append(segment)
        after_break = (orth in ends and bool(space)) or (
            orth not in ends and NEWLINE in strings[orth] and not strings[orth].strip()
        )
    doc.user_data[SEGMENTS_KEY] = out
    return out


def _bracket_depths(doc: Doc) -> list[int]:
    """How many brackets are open at each token ("(" and ")" themselves count as inside); kept
    in ``doc.user_data`` for the doc's length."""
    cached = doc.user_data.get(DEPTHS_KEY)
    if cached is not None and len(cached) == len(doc):
        return cached
    strings = doc.vocab.strings
    opening, closing = strings.add("("), strings.add(")")
    depths, depth = [], 0
    for orth in doc.to_array([ORTH]).tolist():
        if orth == opening:
            depth += 1
        depths.append(depth)
        if orth == closing and depth:
            depth -= 1
    doc.user_data[DEPTHS_KEY] = depths
    return depths


def correct_typos(doc: Doc, typos: TypoIndex) -> None:
    """Write the lexicon word to ``token.norm_`` of tokens one typo away from it."""
    strings = doc.vocab.strings
    for i, (lower, norm) in enumerate(doc.to_array([LOWER, NORM]).tolist()):
        if lower != norm:
            continue  # already corrected, or a tokenizer norm ("n't")
        corrected = typos.correct_id(lower, strings)
        if corrected is not None:
            doc[i].norm_ = corrected


TITLE_MAX_TOKENS = 12
NAME_JOINERS = frozenset({"and", "of", "for", "&"})  # small words inside a service's name


def _is_heading(doc: Doc, start: int, end: int) -> bool:
    """True for a match that starts a line or sentence and is followed by a colon ("Alcohol:"),
    or that is in the note's title: a short first line followed by more lines, with no sentence
    end, a dash or a bracket, and capitals on at least half its words ("POLICE NOTIFICATION -
    MISSING PERSON", "Strategy Meeting (Exploitation) - Connor", "Referral Order - closing
    summary"; not "hv to jade - mum drinking again")."""
    if end < len(doc) and doc[end].text in HEADING_MARKS:
        if start == 0:
            return True
        before = doc[start - 1].text
        return NEWLINE in before or before in {"-", "*", "•", "."}
    if start >= TITLE_MAX_TOKENS:
        return False
    first_tokens = range(min(len(doc), TITLE_MAX_TOKENS + 1))
    line_end = next((i for i in first_tokens if NEWLINE in doc[i].text), None)
    if line_end is None or not end <= line_end < len(doc) - 1:
        return False
    line = doc[:line_end]
    words = [t.text for t in line if t.is_alpha]
    return (
        not any(t.text in SENTENCE_ENDS for t in line)
        and any(t.text in TITLE_DASHES or t.text == "(" for t in line)
        and 2 * sum(w[0].isupper() for w in words) >= len(words)
    )


def _written_in_lower_case(doc: Doc) -> bool:
    """True for a note whose sentences mostly start in lower case (at least three of them)."""
    segment = _segments(doc)
    starts = lower = 0
    previous = -1
    flags = doc.to_array([IS_ALPHA, IS_LOWER]).tolist()
    for seg, (alpha, is_lower) in zip(segment, flags, strict=True):
        if alpha and seg != previous:
            starts += 1
            lower += is_lower
        previous = seg
    return starts >= LOWER_CASE_MIN_SENTENCES and lower >= LOWER_CASE_SHARE * starts


def _drop_dangling(spans: list[Span]) -> list[Span]:
    """Drop a mention ending in a preposition whose object is a mention of another label: in
    "known to police for DV" the risk is the domestic abuse, not an offence."""
    out = []
    for k, span in enumerate(spans):
        following = spans[k + 1] if k + 1 < len(spans) else None
        if (
            span[-1].lower_ in DANGLING_WORDS
            and following is not None
            and following.start == span.end
            and following.label_ != span.label_
        ):
            continue
        out.append(span)
    return out


class RiskMatcher:
    """Find risk-factor mentions from the risk rule file; see the module docstring."""

    def __init__(self, nlp: Language, name: str, spans_key: str = SPANS_KEY) -> None:
        register_extensions()
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.rules: LoadedRules | None = None
        self._raw: bytes | None = None
        self._matcher: _RuleMatcher | None = None

    # ----------------------------------------------------------------------------- rules
    def initialize(
        self,
        get_examples: Any = None,
        *,
        nlp: Language | None = None,
        rules_path: str | None = None,
    ) -> None:
        """Load the rules: the packaged lexicon, or ``rules_path``."""
        self.set_rules(load_risk_rules(rules_path))

    def set_rules(self, rules: LoadedRules) -> None:
        if not isinstance(rules.data, RiskRuleSet):
            raise TypeError("RiskMatcher needs a risk rule set")
        self.rules = rules
        self._matcher = _RuleMatcher(self.nlp, rules.data.rules)
        words = {
            word
            for rule in rules.data.rules
            if rule.kind == "mention" and not rule.case_sensitive
            for phrase in rule.phrases
            for word in phrase.lower().split()
        }
        self._typos = TypoIndex(words, rules.data.fuzzy_min_length, rules.data.fuzzy_ignore)
        # notes typed without capitals ("police have submitted nrm") spell abbreviations in lower
        # case: there, the all-capitals phrases also match in lower case
        self._lowered = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        never = {w.lower() for w in rules.data.lower_case_ignore}
        for rule in rules.data.rules:
            if rule.kind == "mention" and rule.case_sensitive:
                phrases = [p for p in rule.phrases if p.isupper() and p.lower() not in never]
                if phrases:
                    self._lowered.add(rule.id, [self.nlp.make_doc(p.lower()) for p in phrases])
        self._connectors = frozenset(c.lower() for c in rules.data.connectors)
        self._max_gap = rules.data.max_connector_gap
        self._service_nouns = frozenset(w.lower() for w in rules.data.service_nouns)

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule in self.rules.data.rules] if self.rules else []

    # ----------------------------------------------------------------------------- matching
    def __call__(self, doc: Doc) -> Doc:
        if self._matcher is None:
            self.initialize()
        assert self._matcher is not None
        correct_typos(doc, self._typos)
        matches = self._matcher(doc)
        if len(self._lowered) and _written_in_lower_case(doc):
            rules = self._matcher.rules
            strings = doc.vocab.strings
            matches += [(rules[strings[i]], s, e) for i, s, e in self._lowered(doc)]
        excluded = [(s, e) for rule, s, e in matches if rule.kind == "exclude"]
        excluded += [(s, e) for _, s, e in matches if _is_heading(doc, s, e)]
        excluded += [(s, e) for _, s, e in matches if self._names_a_service(doc, s, e)]
        spans, rules_of = [], {}
        for rule, start, end in matches:
            if rule.kind == "exclude":
                continue
            while end - start > 1 and (doc[end - 1].is_punct or doc[end - 1].lower_ in TRIM_WORDS):
                end -= 1  # a pattern may need the next word ("the domestic in 2019"); the span not
            if any(s < end and start < e for s, e in excluded):
                continue
            span = Span(doc, start, end, label=rule.label.value)
            spans.append(span)
            # the first rule wins for identical spans; filter_spans keeps one of them
            rules_of.setdefault((start, end, rule.label.value), rule.id)
        kept = self._join(sorted(filter_spans(spans), key=lambda s: s.start), rules_of)
        kept = _drop_dangling(kept)
        group = SpanGroup(doc, name=self.spans_key, spans=kept)
        doc.spans[self.spans_key] = group
        for span in group:
            span._.set(RULE_ATTR, rules_of[(span.start, span.end, span.label_)])
        return doc

    def _names_a_service(self, doc: Doc, start: int, end: int) -> bool:
        """True for a match written as a name ("Substance Misuse", "Drug and Alcohol") followed by
        a service noun ("Service", "team"): part of the name of a service, not a mention."""
        if end >= len(doc) or doc[end].lower_ not in self._service_nouns:
            return False
        words = [t for t in doc[start:end] if t.is_alpha and t.lower_ not in NAME_JOINERS]
        return bool(words) and all(t.is_title or t.is_upper for t in words)

    def _join(self, spans: list[Span], rules_of: dict[tuple[int, int, str], str]) -> list[Span]:
        """Join same-label mentions linked only by connectors ("depression and anxiety")."""
        out: list[Span] = []
        for span in spans:
            if out:
                last = out[-1]
                gap = span.doc[last.end : span.start]
                if (
                    last.label_ == span.label_
                    and len(gap) <= self._max_gap
                    and all(t.lower_ in self._connectors for t in gap)
                ):
                    joined = Span(span.doc, last.start, span.end, label=span.label_)
                    rules_of[(joined.start, joined.end, joined.label_)] = rules_of[
                        (last.start, last.end, last.label_)
                    ]
                    out[-1] = joined
                    continue
            out.append(span)
        return out

    # ----------------------------------------------------------------------------- serialisation
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        _save_rules(path, self.rules)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> RiskMatcher:
        self.set_rules(_load_saved(path, RiskRuleSet))
        return self


def _save_rules(path: str | Path, *rule_sets: LoadedRules | None) -> None:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    payload = [
        {
            "name": r.name,
            "source": r.source,
            "digest": r.digest,
            "data": r.data.model_dump(mode="json"),
        }
        for r in rule_sets
        if r is not None
    ]
    (path / RULES_FILE_NAME).write_text(json.dumps(payload, indent=1) + "\n")


def _load_saved(path: str | Path, *models: type) -> Any:
    entries = json.loads((Path(path) / RULES_FILE_NAME).read_text())
    if len(entries) != len(models):
        raise ValueError(f"{path}: expected {len(models)} rule sets, found {len(entries)}")
    loaded = []
    for entry, model in zip(entries, models, strict=True):
        raw = json.dumps(entry["data"]).encode()
        rules = parse_rules(raw, model, entry["source"])
        # keep the digest of the original file, so logs match the packaged rules
        loaded.append(rules.model_copy(update={"digest": entry["digest"]}))
    return loaded[0] if len(loaded) == 1 else tuple(loaded)


# --------------------------------------------------------------------------------------------
# Context


@dataclass(frozen=True, slots=True)
class _Trigger:
    rule: ContextRule
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Person:
    start: int
    end: int
    category: str  # parent | child | other | reset
    speaker: bool = False


def _possessed_by_others(
    doc: Doc, people: list[tuple[str, str | None, int, int]]
) -> list[tuple[str, str | None, int, int]]:
    """A person word right after another person's possessive takes that person's category when it
    is ``other``: "the neighbour's son" is not the child of the case, "a friend's dad" no parent.
    """
    out = list(people)
    for k in range(1, len(out)):
        category, gender, start, end = out[k]
        owner = out[k - 1]
        if (
            owner[0] == "other"
            and category in ("parent", "child")
            and owner[3] + 1 == start
            and doc[owner[3]].lower_ in ("'s", "'")
        ):
            out[k] = ("other", gender, start, end)
    return out


class ContextQualifier:
    """Set the four qualifiers of ``doc.spans["risks"]``; see the module docstring."""

    def __init__(self, nlp: Language, name: str, spans_key: str = SPANS_KEY) -> None:
        register_extensions()
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.context_rules: LoadedRules | None = None
        self.subject_rules: LoadedRules | None = None
        self.label_subjects: dict[str, Subject] = {}
        # per case, the roles of names that earlier notes gave ("Mum (Chantelle)"): a later
        # note of the case that only says "Chantelle" still knows she is a parent
        self._case_roles: CaseStore[dict[str, str]] = CaseStore(dict)

    def initialize(
        self,
        get_examples: Any = None,
        *,
        nlp: Language | None = None,
        context_rules_path: str | None = None,
        subject_rules_path: str | None = None,
        label_subjects: dict[str, str] | None = None,
    ) -> None:
        """Load the context and subject rules (packaged files unless paths are given).

        ``label_subjects`` maps risk-rule ids to a subject that overrides the label default (the
        risk matcher's ``subject`` field); :func:`casenotes.extract.pipeline.build_pipeline` passes
        it from the matcher's rules; by default it comes from the packaged risk rules.
        """
        if label_subjects is None:
            label_subjects = rule_subjects(load_risk_rules())
        self.set_rules(
            load_context_rules(context_rules_path),
            load_subject_rules(subject_rules_path),
            label_subjects,
        )

    def set_rules(
        self, context: LoadedRules, subject: LoadedRules, rule_subjects: dict[str, str]
    ) -> None:
        if not isinstance(context.data, ContextRuleSet) or not isinstance(
            subject.data, SubjectRuleSet
        ):
            raise TypeError("ContextQualifier needs a context and a subject rule set")
        self.context_rules, self.subject_rules = context, subject
        self.rule_subjects = {k: Subject(v) for k, v in rule_subjects.items()}
        self._triggers = _RuleMatcher(self.nlp, context.data.rules)
        trigger_words = {
            word
            for rule in context.data.rules
            for phrase in rule.phrases
            for word in phrase.lower().split()
        }
        person_words = {
            word.lower()
            for rule in subject.data.rules
            for phrase in rule.phrases
            for word in phrase.split()
        }
        real_words = (
            person_words
            | {w.lower() for w in subject.data.not_names}
            | {w.lower() for w in subject.data.speech_verbs}
            | {w.lower() for w in context.data.fuzzy_ignore}
        )  # "mother" is not a typo of "other", nor "three" of "there"
        self._typos = TypoIndex(
            trigger_words, min_length=CONTEXT_TYPO_MIN_LENGTH, ignore=real_words, fixed_ends=True
        )
        self._people = _RuleMatcher(self.nlp, subject.data.rules)
        self._categories = context.data.categories
        self._pseudo = context.data.pseudo_category
        self._terminate = context.data.terminate_category
        self._defaults = dict(subject.data.defaults)
        self._rule_defaults = dict(subject.data.rule_defaults)
        self._history_days = context.data.dated_entry_history_days
        self._speech = frozenset(v.lower() for v in subject.data.speech_verbs)
        self._ignore = dict(subject.data.ignore)
        self._not_names = frozenset(w.lower() for w in subject.data.not_names) | person_words
        self._not_name_ids: frozenset[int] | None = None  # their string ids, on first use
        name_default = subject.data.name_default
        self._name_default = name_default.value if name_default else None

    def forget(self) -> None:
        """Drop the roles remembered per case; callers do so at the start of each chunk of notes,
        so a note's qualifiers depend only on the earlier notes of its chunk."""
        self._case_roles.clear()

    def _remembered(self, doc: Doc) -> dict[str, str] | None:
        """The roles remembered for the doc's case (``doc.user_data[CASE_KEY]``), if it has one."""
        case_id = doc.user_data.get(CASE_KEY)
        if case_id is None:
            return None
        return self._case_roles.of(str(case_id))

    @property
    def rule_ids(self) -> list[str]:
        if self.context_rules is None or self.subject_rules is None:
            return []
        return [r.id for r in self.context_rules.data.rules] + [
            r.id for r in self.subject_rules.data.rules
        ]

    # ----------------------------------------------------------------------------- matching
    def _find_triggers(self, doc: Doc) -> tuple[list[_Trigger], list[bool]]:
        terminal = [False] * len(doc)
        candidates = []
        for rule, start, end in self._triggers(doc):
            if rule.category == self._terminate:
                for i in range(start, end):
                    terminal[i] = True
            else:
                candidates.append(_Trigger(rule, start, end))
        # Longest wins among overlapping triggers; pseudo-triggers win and then vanish.
        # Overlaps are settled per direction, longest first: "is suspected" (backward) and
        # "suspected" (forward) both stay, "no concerns about" beats "concerns about". A
        # pseudo-trigger takes part in every direction and wins ties, then is dropped.
        candidates.sort(
            key=lambda t: (-(t.end - t.start), t.rule.category != self._pseudo, t.start)
        )
        kept = []
        for direction in ("forward", "backward", "bidirectional"):
            taken = [False] * len(doc)
            for trigger in candidates:
                is_pseudo = trigger.rule.category == self._pseudo
                if not is_pseudo and trigger.rule.direction != direction:
                    continue
                if any(taken[i] for i in range(trigger.start, trigger.end)):
                    continue
                for i in range(trigger.start, trigger.end):
                    taken[i] = True
                if not is_pseudo:
                    kept.append(trigger)
        for trigger in kept:  # a trigger word is not also a terminator ("not yet" vs "yet")
            for i in range(trigger.start, trigger.end):
                terminal[i] = False
        return sorted(kept, key=lambda t: t.start), terminal

    def _find_people(
        self, doc: Doc, triggers: list[_Trigger], spans: Any, segment: list[int]
    ) -> list[_Person]:
        # person words inside a trigger ("before the children were born") or a mention
        # ("staying with friends") say nothing about whose risk it is
        in_trigger = [False] * len(doc)
        for item in [*triggers, *spans]:
            for i in range(item.start, item.end):
                in_trigger[i] = True
        matches = [(r, s, e) for r, s, e in self._people(doc) if not any(in_trigger[s:e])]
        matches.sort(key=lambda m: (-(m[2] - m[1]), m[1]))
        taken = [False] * len(doc)
        chosen: list[tuple[str, str | None, int, int]] = []
        plural: set[int] = set()  # starts of plural person words ("parents", "mates")
        for rule, start, end in matches:
            if any(taken[i] for i in range(start, end)):
                continue
            for i in range(start, end):
                taken[i] = True
            chosen.append((rule.category, rule.gender, start, end))
            if rule.plural:
                plural.add(start)
        remembered = self._remembered(doc)
        chosen += self._find_names(doc, taken, chosen, plural, remembered)
        chosen.sort(key=lambda m: m[2])
        chosen = _possessed_by_others(doc, chosen)
        # a role the note reveals late ("... her dad" after "Nia was seen following her
        # overdose") holds for the whole note: learn the roles first, then resolve with them
        _, learned = self._resolve(doc, chosen, plural, segment, {})
        people, learned = self._resolve(doc, chosen, plural, segment, learned)
        for name, category in learned.items() if remembered is not None else ():
            remembered.setdefault(name, category)
        return people

    def _resolve(
        self,
        doc: Doc,
        chosen: list[tuple[str, str | None, int, int]],
        plural: set[int],
        segment: list[int],
        known: dict[str, str],
    ) -> tuple[list[_Person], dict[str, str]]:
        """Each person word with its category, pronouns resolved to their antecedents; and the
        roles of names learned on the way (``known`` seeds them).

        Someone brought in by an indefinite article inside a sentence ("went to see a mate") is
        not who a pronoun in a later sentence stands for ("He smokes cannabis most days")."""
        people: list[_Person] = []
        # [category, gender, plural, name, segment or None] of the person words so far; the
        # segment is set only for an indefinite person word inside its sentence
        antecedents: list[list[Any]] = []
        learned = dict(known)  # names whose role "his mum" revealed
        default = self.subject_rules.data.pronoun_default if self.subject_rules else None
        for k, (category, gender, start, end) in enumerate(chosen):
            name = doc[start].lower_ if category == UNKNOWN else None
            category = learned.get(name, category) if name else category
            if category == "pronoun":
                antecedent = next(
                    (
                        a
                        for a in reversed(antecedents)
                        if not a[2] and a[1] in (None, gender) and a[4] in (None, segment[start])
                    ),
                    None,
                )
                category = antecedent[0] if antecedent else default.value if default else None
                # "his mum", "her dad": whoever "his" stands for is a child of the case
                after = chosen[k + 1] if k + 1 < len(chosen) else None
                owner = category in (UNKNOWN, None)
                if owner and after and after[2] == end and after[0] == "parent":
                    category = "child"
                    if antecedent is not None:
                        antecedent[0] = "child"
                        if antecedent[3]:
                            learned[antecedent[3]] = "child"
                if category is None:
                    continue
            elif category != "reset":
                article = start if doc[start].lower_ in ("a", "an") else start - 1
                indefinite = (
                    article > 0
                    and doc[article].lower_ in ("a", "an")
                    and segment[article - 1] == segment[start]
                )
                where = segment[start] if indefinite else None
                antecedents.append([category, gender, start in plural, name, where])
            after = end + 1 if end + 1 < len(doc) and doc[end].lower_ in AUXILIARIES else end
            speaker = (
                category in SPEAKER_CATEGORIES
                and after < len(doc)
                and doc[after].lower_ in self._speech
            )
            people.append(_Person(start, end, category, speaker))
        return people, learned

    def _is_name(self, doc: Doc, rows: list[list[int]], i: int, placeholders: bool) -> bool:
        """True when a name starts at token ``i``; ``rows`` holds each token's IS_ALPHA,
        IS_TITLE, LENGTH and LOWER, and ``placeholders`` whether the text can hold any."""
        alpha, title, length, lower = rows[i]
        if not (alpha and title and length > 1):
            return placeholders and PLACEHOLDER.match(doc[i].text) is not None
        if lower in self._not_name_ids:
            return False
        if i == 0 or doc[i - 1].text in SENTENCE_ENDS or NEWLINE in doc[i - 1].text:
            # sentence-initial capitals are names only when followed by a name-like continuation
            return i + 1 < len(doc) and doc[i + 1].lower_ in NAME_FOLLOWERS
        return True

    def _find_names(
        self,
        doc: Doc,
        taken: list[bool],
        people: list[tuple[str, str | None, int, int]],
        plural: set[int],
        remembered: dict[str, str] | None,
    ) -> list[tuple[str, str | None, int, int]]:
        """Names, with the role the note gives them, else the one an earlier note of the case
        gave (``remembered``, which learns this note's roles), else the configured default."""
        if self._not_name_ids is None:
            strings = doc.vocab.strings
            self._not_name_ids = frozenset(strings.add(word) for word in self._not_names)
        rows = doc.to_array([IS_ALPHA, IS_TITLE, LENGTH, LOWER]).tolist()
        placeholders = any(word in doc.text for word in PLACEHOLDER_WORDS)
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(rows):
            if not taken[i] and self._is_name(doc, rows, i, placeholders):
                j = i + 1
                while j < len(rows) and not taken[j] and rows[j][1] and rows[j][0]:
                    j += 1
                spans.append((i, j))
                i = j
            else:
                i += 1
        if not spans:
            return []
        role_at = {start: cat for cat, _, start, _ in people if cat in ROLES}
        # a group word gives no one name its role ("Family: Kai lives with his mother")
        role_end = {end: cat for cat, _, s, end in people if cat in ROLES and s not in plural}
        alias: dict[str, str] = {}
        for start, end in spans:
            key = doc[start].lower_
            # "Mum (Sarah)" / "Mum Sarah" / "Mr Jones" / "Pupil: Leon Carter"
            before = role_end.get(start) or (
                role_end.get(start - 1) if doc[start - 1].text in ("(", ":") else None
            )
            # "Sarah (mum)"
            after = role_at.get(end + 1) if end + 1 < len(doc) and doc[end].text == "(" else None
            # "Jack's mum": Jack is the child
            owner = (
                "child"
                if end + 1 < len(doc) and doc[end].text == "'s" and role_at.get(end + 1) == "parent"
                else None
            )
            aged = "child" if _aged_under(doc, end, ADULT_AGE) else None
            role = before or after or owner or aged
            if role and key not in alias:
                alias[key] = role
        if remembered is None:
            remembered = {}
        else:
            for key, role in alias.items():
                remembered.setdefault(key, role)
        default = self._name_default
        # a name of unknown role is still an antecedent: "she" after it is not the earlier "Mum"
        return [
            (alias.get(key) or remembered.get(key) or default or UNKNOWN, None, s, e)
            for s, e in spans
            for key in (doc[s].lower_,)
        ]

    def __call__(self, doc: Doc) -> Doc:
        if self.context_rules is None:
            self.initialize()
        spans = doc.spans.get(self.spans_key) or ()
        if not spans and doc.user_data.get(CASE_KEY) is None:
            return doc  # (a note of a case is read for the roles it gives, mentions or not)
        segment = _segments(doc)
        correct_typos(doc, self._typos)
        triggers, terminal = self._find_triggers(doc)
        people = self._find_people(doc, triggers, spans, segment)
        for span in spans:
            self._qualify(span, segment, triggers, terminal, people)
        return doc

    def _qualify(
        self,
        span: Span,
        segment: list[int],
        triggers: list[_Trigger],
        terminal: list[bool],
        people: list[_Person],
    ) -> None:
        seg = segment[span.start]
        label = span.label_
        weight = self._weights(span.doc)
        best: dict[str, tuple[int, Any, str]] = {}
        for trigger in triggers:
            rule = trigger.rule
            if segment[trigger.start] != seg:
                continue
            # a trigger inside a mention ("not in education") says nothing about it; one that
            # starts before it and runs into it ("could lose" + "lose the tenancy") does
            leading = trigger.start < span.start < trigger.end <= span.end
            inner = span.start <= trigger.start and trigger.end <= span.end and rule.inside
            if trigger.start < span.end and span.start < trigger.end and not (leading or inner):
                continue
            if leading and self._sets_negation(rule):
                continue  # "was not" + "not meeting their needs": the "not" is the mention's own
            if rule.labels and label not in rule.labels:
                continue
            distance = None
            if inner or (leading and rule.direction in ("forward", "bidirectional")):
                distance = 0
            elif trigger.end <= span.start and rule.direction in ("forward", "bidirectional"):
                gap = sum(weight[trigger.end : span.start])
                if (
                    gap < rule.max_scope
                    and not any(terminal[trigger.end : span.start])
                    and not (
                        self._sets_negation(rule)
                        and _closed_condition(span.doc, segment, trigger.start, span.start)
                    )
                ):  # "if the arrears are not cleared, he is at risk of eviction": not negated
                    distance = gap
            elif span.end <= trigger.start and rule.direction in ("backward", "bidirectional"):
                gap = sum(weight[span.end : trigger.start])
                between = span.doc[span.end : trigger.start]
                if (
                    gap < rule.max_scope
                    and not any(terminal[span.end : trigger.start])
                    and not any(t.lower_ in CONDITIONALS for t in between)
                ):  # "a risk of homelessness if a property is not found": not a negation of it
                    distance = gap
            if distance is None:
                continue
            for category in (rule.category, *rule.also):
                setting = self._categories[category]
                if setting.qualifier not in best or distance < best[setting.qualifier][0]:
                    best[setting.qualifier] = (distance, setting.value, category)
        found = {qualifier: value for qualifier, (_, value, _) in best.items()}
        for qualifier, (_, _, category) in best.items():
            unless = self._categories[category].unless
            if any(found.get(q) == v for q, v in unless.items()):
                del found[qualifier]
        span._.negated = bool(found.get("negated", False))
        if "temporality" not in found and self._in_old_entry(span):
            found["temporality"] = Temporality.HISTORICAL.value
        span._.temporality = found.get("temporality", Temporality.CURRENT.value)
        span._.certainty = found.get("certainty", Certainty.AFFIRMED.value)
        override = self.rule_subjects.get(span._.get(RULE_ATTR) or "")
        if override is not None:
            span._.subject = override.value
        elif "subject" in found:
            span._.subject = found["subject"]
        else:
            span._.subject = self._subject_from_people(span, segment, terminal, people)

    def _in_old_entry(self, span: Span) -> bool:
        """True when the mention is on a chronology line dated more than
        ``dated_entry_history_days`` before the note's date (``doc.user_data[DATE_KEY]``)."""
        doc = span.doc
        note_date = doc.user_data.get(DATE_KEY)
        if not self._history_days or not isinstance(note_date, dt.date):
            return False
        entries = doc.user_data.get(ENTRY_DATES_KEY)
        if entries is None:
            entries = {}
            for match in DATED_ENTRY.finditer(doc.text):
                day, month, year = (int(g) for g in match.groups())
                try:
                    entries[match.start()] = dt.date(
                        year + 2000 if year < 100 else year, month, day
                    )
                except ValueError:
                    continue  # not a date ("31/02/23")
            doc.user_data[ENTRY_DATES_KEY] = entries
        if not entries:
            return False
        # the entry the mention is in: the last one opened before it on its line
        line_start = doc.text.rfind("\n", 0, span.start_char) + 1
        opened = [at for at in entries if line_start <= at <= span.start_char]
        if not opened:
            return False
        return (note_date - entries[max(opened)]).days > self._history_days

    def _sets_negation(self, rule: ContextRule) -> bool:
        return any(self._categories[c].qualifier == "negated" for c in (rule.category, *rule.also))

    def _weights(self, doc: Doc) -> list[int]:
        """How much each token counts towards a scope: words 1; spaces, punctuation and list
        words ("and", "or", "nor") 0, so "no wheezes, rales, or rhonchi" stays in one scope."""
        cached = doc.user_data.get(WEIGHTS_KEY)
        if cached is None or len(cached) != len(doc):
            strings = doc.vocab.strings
            listed = {strings.add(word) for word in LIST_WORDS}
            cached = [
                0 if (space or punct or lower in listed) else 1
                for space, punct, lower in doc.to_array([IS_SPACE, IS_PUNCT, LOWER]).tolist()
            ]
            doc.user_data[WEIGHTS_KEY] = cached
        return cached

    def _subject_from_people(
        self, span: Span, segment: list[int], terminal: list[bool], people: list[_Person]
    ) -> str:
        doc = span.doc
        seg = segment[span.start]
        default = self._rule_defaults.get(span._.get(RULE_ATTR) or "")
        default = (default or self._defaults[RiskLabel(span.label_)]).value
        ignored = (*self._ignore.get(RiskLabel(span.label_), ()), UNKNOWN)
        depths = _bracket_depths(doc)
        # not whose risk it is: someone in a bracket closed before the mention ("Dean (father of
        # Ellie and Mason) is serving a sentence"), or a companion ("drank vodka with Keeley")
        # unless a relative clause follows ("lives with dad, who drinks")
        people = [
            p
            for p in people
            if not (p.end <= span.start and depths[p.start] > depths[span.start])
            and not (
                p.start > 0
                and doc[p.start - 1].lower_ in COMPANION_WORDS
                and not any(t.lower_ in RELATIVES for t in doc[p.end : span.start])
            )
        ]
        anyone_before = [p for p in people if p.end <= span.start and segment[p.start] == seg]
        before = [p for p in anyone_before if p.category != UNKNOWN]
        people = [p for p in people if p.category != UNKNOWN]
        found = self._person_before(span, before, terminal, ignored, across=False)
        if found == "reset":
            # a professional acting on someone named straight after: "Police arrested the
            # upstairs neighbour", "police have charged him"
            after = self._object_after(span, people, ignored)
            return default if after is None else after
        if found is not None:
            return found
        if self._elliptical(span, segment, terminal, anyone_before):
            found = self._person_before(span, before, terminal, ignored, across=True)
            if found is not None:
                return default if found == "reset" else found
        window = self.subject_rules.data.following_window if self.subject_rules else 0
        for person in people:
            if person.start < span.end or segment[person.start] != seg:
                continue
            if person.start - span.end >= window or any(terminal[span.end : person.start]):
                break
            if person.category in ignored:
                continue
            if person.start > 0 and doc[person.start - 1].lower_ == "by":
                break  # the agent of a passive ("reported missing by the carers") is not it
            if person.category in ("parent", "child", "other") and not person.speaker:
                return person.category
            break
        return default

    @staticmethod
    def _object_after(span: Span, people: list[_Person], ignored: Any) -> str | None:
        """The category of a person word at most two words after the mention, with no
        punctuation or preposition between ("arrested the upstairs neighbour"); else None."""
        doc = span.doc
        for person in people:
            if person.start < span.end:
                continue
            gap = doc[span.end : person.start]
            if len(gap) > 2 or any(
                t.is_punct or t.is_space or t.lower_ in PREPOSITIONS for t in gap
            ):
                return None  # not "noted black mould in the children's bedroom"
            if person.speaker or person.category in ignored or person.category == "reset":
                return None
            return person.category
        return None

    @staticmethod
    def _elliptical(
        span: Span, segment: list[int], terminal: list[bool], anyone_before: list[_Person]
    ) -> bool:
        """True when the mention's clause has no subject of its own and continues the one before:
        it follows an adverb that ends scopes but not clauses ("YP is currently sofa surfing"),
        begins with an auxiliary ("Dad was arrested and is now on bail") or with a lower-case
        word that is no determiner after "but" or "and" ("admits drinking but denies drug use"),
        with no person word, speaker or name between that point and the mention."""
        doc = span.doc
        seg = segment[span.start]
        cut = next(
            (i for i in range(span.start - 1, -1, -1) if segment[i] != seg or terminal[i]), -1
        )
        if cut < 0 or segment[cut] != seg or any(p.end > cut for p in anyone_before):
            return False
        after = doc[cut + 1] if cut + 1 < span.start else None
        return doc[cut].lower_ in CLAUSE_ADVERBS or (
            after is not None
            and (
                after.lower_ in AUXILIARIES
                # "admits drinking but denies drug use": a verb straight after "but"
                or (
                    doc[cut].lower_ in COORDINATORS
                    and after.is_lower
                    and after.is_alpha
                    and after.lower_ not in DETERMINERS
                )
            )
        )

    @staticmethod
    def _person_before(
        span: Span, before: list[_Person], terminal: list[bool], ignored: Any, *, across: bool
    ) -> str | None:
        """The category of the nearest usable person word before the mention: within its clause,
        or (``across``) past terminators too; None when there is none."""
        doc = span.doc
        for person in reversed(before):
            if not across and any(terminal[person.end : span.start]):
                return None
            if person.speaker and across:
                return None  # "X, however Mum said ...": not the earlier clause's person either
            if person.speaker or person.category in ignored:
                continue
            by_agent = person.start > 0 and doc[person.start - 1].lower_ == "by"
            if person.category == "reset" and by_agent:
                continue  # "found by police": the agent is not whose risk it is
            return person.category
        return None

    # ----------------------------------------------------------------------------- serialisation
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        _save_rules(path, self.context_rules, self.subject_rules)
        (Path(path) / "rule_subjects.json").write_text(
            json.dumps({k: v.value for k, v in self.rule_subjects.items()}) + "\n"
        )

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> ContextQualifier:
        context, subject = _load_saved(path, ContextRuleSet, SubjectRuleSet)
        subjects = json.loads((Path(path) / "rule_subjects.json").read_text())
        self.set_rules(context, subject, subjects)
        return self


def rule_subjects(rules: LoadedRules) -> dict[str, str]:
    """Risk-rule id → subject, for rules that override their label's default subject."""
    data: RiskRuleSet = rules.data  # type: ignore[assignment]
    return {r.id: r.subject.value for r in data.rules if isinstance(r, RiskRule) and r.subject}


class SpansToEnts:
    """Set ``doc.ents`` to the risk spans (they never overlap), for ent-based components."""

    def __init__(self, spans_key: str = SPANS_KEY) -> None:
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        doc.ents = list(doc.spans.get(self.spans_key, ()))
        return doc
