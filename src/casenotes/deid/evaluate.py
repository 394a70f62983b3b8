"""How well de-identification works on a gold corpus: what it found, what it missed, what it leaked.

Figures, per label and overall:

- **span level** — a gold span counts as found when a predicted span of the same label overlaps it
  (``by_label``), or of any label (``any_label``: for privacy, a name redacted as an organisation is
  still redacted); precision is the share of predicted spans that overlap a gold span likewise.
  F2 weighs recall twice as much as precision, as missing an identifier costs more than
  over-redacting a word.
- **token level** — the same on word tokens inside the spans.
- **leak rate** — the share of gold direct-identifier characters that no predicted span covers,
  i.e. that are still in the output text.
- **over-redaction** — how often allow-listed words that must stay (Mum, SW, YP, CAMHS, Police,
  Section 47, Children Act 1989, weekdays) were covered by a prediction.

Inputs are plain ``(text, gold spans, predicted spans)`` per note, so the same code scores any
system (ours, vanilla Presidio) on any corpus (ours, presidio-research's). Only counts come out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from casenotes.records import DIRECT_IDENTIFIERS

TOKEN = re.compile(r"\w+")
MUST_STAY = re.compile(
    r"\b(?:Mum|Dad|Nan|SW|YP|HV|DSL|CAMHS|GP|Police|Children's Services|Early Help|"
    r"Section \d+|s\d{2}|Children Act 1989|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
    r"Sunday)\b"
)
DIRECT_LABELS = frozenset(label.value for label in DIRECT_IDENTIFIERS)


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    label: str


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _f(precision: float, recall: float, beta: float) -> float:
    if precision == 0 and recall == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


@dataclass
class _Tally:
    tp_gold: int = 0  # gold spans found
    gold: int = 0
    tp_pred: int = 0  # predicted spans that hit gold
    pred: int = 0

    def figures(self) -> dict[str, float | int]:
        recall = self.tp_gold / self.gold if self.gold else 0.0
        precision = self.tp_pred / self.pred if self.pred else 0.0
        return {
            "gold": self.gold,
            "predicted": self.pred,
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(_f(precision, recall, 1.0), 4),
            "f2": round(_f(precision, recall, 2.0), 4),
        }


@dataclass
class DeidScorer:
    """Accumulates figures note by note; :meth:`report` gives the tables."""

    labels: Sequence[str] | None = None  # restrict scoring to these gold/predicted labels
    span_by_label: dict[str, _Tally] = field(default_factory=dict)
    span_any: dict[str, _Tally] = field(default_factory=dict)
    token_by_label: dict[str, _Tally] = field(default_factory=dict)
    direct_chars: int = 0
    leaked_chars: int = 0
    must_stay: int = 0
    over_redacted: int = 0
    notes: int = 0

    def add(self, text: str, gold: Iterable[Span], predicted: Iterable[Span]) -> None:
        keep = set(self.labels) if self.labels else None
        gold = [g for g in gold if keep is None or g.label in keep]
        predicted = [p for p in predicted if keep is None or p.label in keep]
        self.notes += 1
        for name in {g.label for g in gold} | {p.label for p in predicted} | {"ALL"}:
            self.span_by_label.setdefault(name, _Tally())
            self.span_any.setdefault(name, _Tally())
            self.token_by_label.setdefault(name, _Tally())
        for g in gold:
            hit_same = any(_overlaps(g, p) and p.label == g.label for p in predicted)
            hit_any = any(_overlaps(g, p) for p in predicted)
            for tally, hit in ((self.span_by_label, hit_same), (self.span_any, hit_any)):
                for name in (g.label, "ALL"):
                    tally[name].gold += 1
                    tally[name].tp_gold += hit
        for p in predicted:
            hit_same = any(_overlaps(g, p) and p.label == g.label for g in gold)
            hit_any = any(_overlaps(g, p) for g in gold)
            for tally, hit in ((self.span_by_label, hit_same), (self.span_any, hit_any)):
                for name in (p.label, "ALL"):
                    tally[name].pred += 1
                    tally[name].tp_pred += hit
        self._tokens(text, gold, predicted)
        self._leaks(gold, predicted)
        for match in MUST_STAY.finditer(text):
            span = Span(match.start(), match.end(), "")
            if any(_overlaps(span, g) for g in gold):
                continue  # part of real personal data ("Dr Shah's surgery")
            self.must_stay += 1
            self.over_redacted += any(_overlaps(span, p) for p in predicted)

    def _tokens(self, text: str, gold: list[Span], predicted: list[Span]) -> None:
        def label_of(start: int, end: int, spans: list[Span]) -> str | None:
            for span in spans:
                if span.start <= start and end <= span.end:
                    return span.label
            return None

        for match in TOKEN.finditer(text):
            start, end = match.span()
            truth, guess = label_of(start, end, gold), label_of(start, end, predicted)
            if truth:
                for name in (truth, "ALL"):
                    self.token_by_label[name].gold += 1
                    self.token_by_label[name].tp_gold += guess == truth or (
                        name == "ALL" and guess is not None
                    )
            if guess:
                for name in (guess, "ALL"):
                    self.token_by_label.setdefault(name, _Tally())
                    self.token_by_label[name].pred += 1
                    self.token_by_label[name].tp_pred += truth == guess or (
                        name == "ALL" and truth is not None
                    )

    def _leaks(self, gold: list[Span], predicted: list[Span]) -> None:
        for g in gold:
            if g.label not in DIRECT_LABELS:
                continue
            covered = [0] * (g.end - g.start)
            for p in predicted:
                for i in range(max(p.start, g.start), min(p.end, g.end)):
                    covered[i - g.start] = 1
            self.direct_chars += len(covered)
            self.leaked_chars += len(covered) - sum(covered)

    def report(self) -> dict[str, Any]:
        def table(tallies: dict[str, _Tally]) -> dict[str, dict]:
            return {name: tallies[name].figures() for name in sorted(tallies)}

        direct = _Tally()
        for name, tally in self.span_any.items():
            if name in DIRECT_LABELS:
                direct.gold += tally.gold
                direct.tp_gold += tally.tp_gold
                direct.pred += tally.pred
                direct.tp_pred += tally.tp_pred
        return {
            "notes": self.notes,
            "span_by_label": table(self.span_by_label),
            "span_any_label": table(self.span_any),
            "token_by_label": table(self.token_by_label),
            "direct_identifier_recall": round(direct.tp_gold / direct.gold, 4)
            if direct.gold
            else None,
            # of the spans given a direct-identifier label, the share on personal data of any kind
            "direct_identifier_precision": round(direct.tp_pred / direct.pred, 4)
            if direct.pred
            else None,
            "leak_rate": round(self.leaked_chars / self.direct_chars, 5)
            if self.direct_chars
            else None,
            "over_redaction": {
                "occurrences": self.must_stay,
                "redacted": self.over_redacted,
                "rate": round(self.over_redacted / self.must_stay, 4) if self.must_stay else None,
            },
        }


def markdown(reports: dict[str, dict[str, Any]], title: str) -> str:
    """Side-by-side Markdown of several systems' reports on one corpus."""
    systems = list(reports)
    lines = [f"# {title}", ""]
    header = "| figure | " + " | ".join(systems) + " |"
    rule = "| --- |" + " ---: |" * len(systems)
    lines += ["## Headline", "", header, rule]
    for key, pick in (
        ("direct-identifier recall (any label)", lambda r: r["direct_identifier_recall"]),
        ("direct-identifier precision (any label)", lambda r: r["direct_identifier_precision"]),
        ("leak rate (direct identifier chars)", lambda r: r["leak_rate"]),
        (
            "precision, all labels (span, same label)",
            lambda r: r["span_by_label"].get("ALL", {}).get("precision"),
        ),
        (
            "recall, all labels (span, same label)",
            lambda r: r["span_by_label"].get("ALL", {}).get("recall"),
        ),
        (
            "F2, all labels (span, same label)",
            lambda r: r["span_by_label"].get("ALL", {}).get("f2"),
        ),
        ("F2, all labels (span, any label)", lambda r: r["span_any_label"]["ALL"]["f2"]),
        (
            "P / R / F2, tokens, any label (presidio-research's PII measure)",
            lambda r: " / ".join(
                str(r["token_by_label"]["ALL"][key]) for key in ("precision", "recall", "f2")
            ),
        ),
        ("over-redaction of allow-listed words", lambda r: r["over_redaction"]["rate"]),
    ):
        lines.append(f"| {key} | " + " | ".join(str(pick(reports[s])) for s in systems) + " |")
    labels = sorted({label for r in reports.values() for label in r["span_by_label"]})
    lines += ["", "## Per label (span overlap, same label): P / R / F2", "", header, rule]
    for label in labels:
        cells = []
        for system in systems:
            row = reports[system]["span_by_label"].get(label)
            cells.append(
                f"{row['precision']:.3f} / {row['recall']:.3f} / {row['f2']:.3f} (n={row['gold']})"
                if row
                else "-"
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "## Per label (tokens): P / R / F2", "", header, rule]
    for label in labels:
        cells = []
        for system in systems:
            row = reports[system]["token_by_label"].get(label)
            cells.append(
                f"{row['precision']:.3f} / {row['recall']:.3f} / {row['f2']:.3f}" if row else "-"
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def label_counts(spans: Iterable[Span]) -> Counter:
    return Counter(span.label for span in spans)


def score_corpus(
    notes: Iterable,
    config,
    *,
    vanilla: bool = True,
    labels: Sequence[str] | None = None,
    relabel: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Score ours (and vanilla Presidio) on gold notes (with ``pii``); one report per system.

    ``relabel`` maps our predicted labels onto a gold set that lacks them (presidio-research
    marks a date of birth as a date: ``{"DATE_OF_BIRTH": "DATE"}``).
    """
    relabel = relabel or {}
    from casenotes.deid.baseline import to_contract, vanilla_analyzer
    from casenotes.deid.engine import Analyzer
    from casenotes.parallel import batches

    ours = Analyzer(config)
    baseline = vanilla_analyzer(config.model) if vanilla else None
    scorers = {"casenotes": DeidScorer(labels)}
    if baseline is not None:
        scorers["presidio_vanilla"] = DeidScorer(labels)
    for batch in batches(notes, config.batch_size):
        found = ours.analyze(batch)
        for note, detections in zip(batch, found, strict=True):
            gold = [Span(p.start, p.end, p.label.value) for p in note.pii or ()]
            predicted = [Span(d.start, d.end, relabel.get(d.label, d.label)) for d in detections]
            scorers["casenotes"].add(note.text, gold, predicted)
            if baseline is not None:
                results = baseline.analyze(note.text, language="en")
                mapped = [
                    Span(r.start, r.end, label)
                    for r in results
                    if (label := to_contract(r.entity_type)) is not None
                ]
                scorers["presidio_vanilla"].add(note.text, gold, mapped)
    return {name: scorer.report() for name, scorer in scorers.items()}
