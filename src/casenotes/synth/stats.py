"""Diversity and composition figures for an annotated corpus, computed in one streaming pass.

A classifier trained on a synthetic corpus learns something about real notes only if the corpus is
varied enough that it cannot memorise templates. These figures say how varied it is:

- **sentence skeletons**: each sentence with its annotated spans replaced by their labels, digits
  folded and case ignored; the share of distinct skeletons among all sentences;
- **surface forms per category**: distinct (lower-cased) texts of the mentions of each risk;
- **type/token ratio**: vocabulary over word count, for the whole corpus and over the first
  10,000 words (TTR falls with corpus size, so the fixed-window figure compares across sizes);
- **qualifier mix**: the shares of negated, historical, hypothetical and possible mentions and of
  each subject — what a plain keyword matcher gets wrong.

Only counts leave this module; no note text does (skeleton hashes are kept, never the sentences).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from casenotes.records import Certainty, Note, Temporality

SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
WORD = re.compile(r"[A-Za-z][A-Za-z'&/-]*")
DIGITS = re.compile(r"\d")
TTR_WINDOW = 10_000


def _skeleton(text: str, spans: list[tuple[int, int, str]]) -> str:
    parts, position = [], 0
    for start, end, label in sorted(spans):
        if start < position:
            continue
        parts.append(text[position:start])
        parts.append(f"<{label}>")
        position = end
    parts.append(text[position:])
    return DIGITS.sub("0", "".join(parts).lower())


def corpus_stats(notes: Iterable[Note]) -> dict[str, Any]:
    """Composition and diversity figures of an annotated corpus (one pass, bounded memory)."""
    n_notes = 0
    cases: Counter[str] = Counter()
    words_per_note: list[int] = []
    skeletons: set[int] = set()
    n_sentences = 0
    vocabulary: set[str] = set()
    window_vocabulary: set[str] = set()
    n_words = 0
    forms: dict[str, set[str]] = defaultdict(set)
    mention_counts: Counter[str] = Counter()
    qualifiers: Counter[str] = Counter()
    subjects: Counter[str] = Counter()
    pii_counts: Counter[str] = Counter()
    styles: Counter[str] = Counter()
    notes_without_pii = notes_without_mentions = escalated = 0

    for note in notes:
        n_notes += 1
        if note.case_id:
            cases[note.case_id] += 1
        styles[str(note.extra.get("style", "unknown"))] += 1
        escalated += bool(note.extra.get("escalated"))
        pii = note.pii or ()
        mentions = note.mentions or ()
        notes_without_pii += not pii
        notes_without_mentions += not mentions
        for span in pii:
            pii_counts[span.label.value] += 1
        for mention in mentions:
            label = mention.label.value
            mention_counts[label] += 1
            forms[label].add(note.text[mention.start : mention.end].lower())
            qualifiers["negated"] += mention.negated
            qualifiers["historical"] += mention.temporality is Temporality.HISTORICAL
            qualifiers["hypothetical"] += mention.temporality is Temporality.HYPOTHETICAL
            qualifiers["possible"] += mention.certainty is Certainty.POSSIBLE
            qualifiers["affirmed_current"] += mention.is_affirmed_current
            subjects[mention.subject.value] += 1

        spans = [(s.start, s.end, s.label.value) for s in pii]
        spans += [(m.start, m.end, "RISK") for m in mentions]
        for sentence in SENTENCE_SPLIT.split(_skeleton(note.text, spans)):
            if sentence.strip():
                n_sentences += 1
                skeletons.add(hash(sentence.strip()))
        words = WORD.findall(note.text)
        words_per_note.append(len(words))
        for word in words:
            lowered = word.lower()
            vocabulary.add(lowered)
            if n_words < TTR_WINDOW:
                window_vocabulary.add(lowered)
            n_words += 1

    total_mentions = sum(mention_counts.values())

    def share(count: int) -> float:
        return round(count / total_mentions, 4) if total_mentions else 0.0

    return {
        "notes": n_notes,
        "cases": len(cases),
        "notes_per_case": _summary(list(cases.values())),
        "words_per_note": _summary(words_per_note),
        "sentences": n_sentences,
        "distinct_sentence_skeletons": len(skeletons),
        "skeleton_ratio": round(len(skeletons) / n_sentences, 4) if n_sentences else 0.0,
        "words": n_words,
        "vocabulary": len(vocabulary),
        "type_token_ratio": round(len(vocabulary) / n_words, 4) if n_words else 0.0,
        f"type_token_ratio_first_{TTR_WINDOW}": round(
            len(window_vocabulary) / min(n_words, TTR_WINDOW), 4
        )
        if n_words
        else 0.0,
        "mentions": total_mentions,
        "mentions_per_category": dict(sorted(mention_counts.items())),
        "surface_forms_per_category": {k: len(v) for k, v in sorted(forms.items())},
        "qualifier_shares": {k: share(v) for k, v in sorted(qualifiers.items())},
        "subject_shares": {k: share(v) for k, v in sorted(subjects.items())},
        "pii_spans": sum(pii_counts.values()),
        "pii_per_label": dict(sorted(pii_counts.items())),
        "notes_without_pii": notes_without_pii,
        "notes_without_mentions": notes_without_mentions,
        "escalated_share": round(escalated / n_notes, 4) if n_notes else 0.0,
        "styles": dict(sorted(styles.items())),
    }


def _summary(values: list[int]) -> dict[str, float]:
    if not values:
        return {"min": 0, "median": 0, "mean": 0, "max": 0}
    return {
        "min": min(values),
        "median": statistics.median(values),
        "mean": round(statistics.fmean(values), 2),
        "max": max(values),
    }
