"""Scoring extraction against gold mentions: plain dicts, ready for JSON and Markdown.

Concepts
--------
**Mention match.** A predicted and a gold mention match when their character spans overlap and
their labels are equal; pairs are matched one-to-one, largest overlap first. Precision, recall and
F1 per category and over all (micro).

**Qualifiers.** On matched pairs only: accuracy of each qualifier, and F1 of each value (one
value against the rest), so a system that never says "historical" shows F1 0 there.

**Note level.** A note's categories are those with at least one affirmed, current, non-negated
mention; F1 per category and micro over notes × categories. **Toxic trio**: F1 of the note-level
flag (DOMAIN.md definition, :func:`casenotes.extract.summaries.counts_towards_trio`).

**Systems.** ``casenotes`` (matcher + context), ``keyword`` (the same matcher; every mention
affirmed, current, not negated, default subject) and ``negspacy`` (the same matches as ``doc.ents``
with negspacy's NegEx setting ``negated``; the rest as the keyword baseline).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from casenotes.extract.summaries import note_risks
from casenotes.records import Certainty, Mention, Note, RiskLabel, Subject, Temporality

QUALIFIERS: dict[str, list[Any]] = {
    "negated": [True, False],
    "subject": [s.value for s in Subject],
    "temporality": [t.value for t in Temporality],
    "certainty": [c.value for c in Certainty],
}
SYSTEMS = ("casenotes", "keyword", "negspacy")
DIGITS = 4


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, DIGITS),
        "recall": round(r, DIGITS),
        "f1": round(f, DIGITS),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def match_mentions(
    gold: Sequence[Mention], pred: Sequence[Mention]
) -> list[tuple[Mention, Mention]]:
    """One-to-one (gold, predicted) pairs: same label, overlapping spans, largest overlap first."""
    pairs = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            overlap = min(g.end, p.end) - max(g.start, p.start)
            if overlap > 0 and g.label == p.label:
                pairs.append((overlap, gi, pi))
    pairs.sort(key=lambda x: (-x[0], x[1], x[2]))
    used_g, used_p, out = set(), set(), []
    for _, gi, pi in pairs:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        out.append((gold[gi], pred[pi]))
    return out


def _value(mention: Mention, qualifier: str) -> Any:
    value = getattr(mention, qualifier)
    return value if isinstance(value, bool) else value.value


class Scorer:
    """Accumulates one system's counts note by note; :meth:`report` gives the figures."""

    def __init__(self) -> None:
        self.mention: dict[str, Counter] = {label.value: Counter() for label in RiskLabel}
        self.qual_total = 0
        self.qual_correct: Counter = Counter()
        self.qual_values: dict[str, Counter] = {q: Counter() for q in QUALIFIERS}
        self.note: dict[str, Counter] = {label.value: Counter() for label in RiskLabel}
        self.trio: Counter = Counter()
        self.notes = 0

    def add(self, gold: Sequence[Mention], pred: Sequence[Mention]) -> None:
        self.notes += 1
        pairs = match_mentions(gold, pred)
        matched = Counter(g.label.value for g, _ in pairs)
        for label in RiskLabel:
            tp = matched[label.value]
            self.mention[label.value]["tp"] += tp
            self.mention[label.value]["fp"] += sum(p.label is label for p in pred) - tp
            self.mention[label.value]["fn"] += sum(g.label is label for g in gold) - tp
        for g, p in pairs:
            self.qual_total += 1
            for q in QUALIFIERS:
                gv, pv = _value(g, q), _value(p, q)
                self.qual_correct[q] += gv == pv
                for value in QUALIFIERS[q]:
                    if gv == value and pv == value:
                        self.qual_values[q][(value, "tp")] += 1
                    elif pv == value:
                        self.qual_values[q][(value, "fp")] += 1
                    elif gv == value:
                        self.qual_values[q][(value, "fn")] += 1
        gold_risks, pred_risks = note_risks(gold), note_risks(pred)
        for label in RiskLabel:
            inside_g, inside_p = label in gold_risks.categories, label in pred_risks.categories
            key = "tp" if inside_g and inside_p else "fp" if inside_p else "fn" if inside_g else ""
            if key:
                self.note[label.value][key] += 1
        key = {(True, True): "tp", (False, True): "fp", (True, False): "fn"}.get(
            (gold_risks.toxic_trio, pred_risks.toxic_trio)
        )
        if key:
            self.trio[key] += 1

    def report(self) -> dict[str, Any]:
        def table(counts: dict[str, Counter]) -> dict[str, Any]:
            out = {k: prf(c["tp"], c["fp"], c["fn"]) for k, c in counts.items()}
            total = Counter()
            for c in counts.values():
                total.update(c)
            out["ALL"] = prf(total["tp"], total["fp"], total["fn"])
            return out

        qualifiers = {}
        for q, values in QUALIFIERS.items():
            counts = self.qual_values[q]
            qualifiers[q] = {
                "accuracy": round(self.qual_correct[q] / self.qual_total, DIGITS)
                if self.qual_total
                else 0.0,
                "per_value": {
                    str(v).lower(): prf(counts[(v, "tp")], counts[(v, "fp")], counts[(v, "fn")])
                    for v in values
                },
            }
        return {
            "notes": self.notes,
            "matched_mentions": self.qual_total,
            "mentions": table(self.mention),
            "qualifiers": qualifiers,
            "note_categories": table(self.note),
            "toxic_trio": prf(self.trio["tp"], self.trio["fp"], self.trio["fn"]),
        }


def keyword_mentions(mentions: Iterable[Mention]) -> tuple[Mention, ...]:
    """The keyword baseline's view of the same matches: no context at all."""
    from casenotes.extract.pipeline import default_subject

    return tuple(
        Mention(m.start, m.end, m.label, subject=default_subject(m.label.value)) for m in mentions
    )


def negspacy_pipeline() -> Any:
    """Matcher + negspacy NegEx (its default clinical termset) on the matches set as ents."""
    from casenotes.extract.pipeline import build_pipeline

    nlp = build_pipeline(context=False)
    nlp.add_pipe("sentencizer", first=True)  # negspacy reads doc.sents
    nlp.add_pipe("casenotes_spans_to_ents_v1")
    import negspacy.negation  # noqa: F401  (registers the "negex" factory)

    nlp.add_pipe("negex")
    return nlp


def negspacy_mentions(doc: Any) -> tuple[Mention, ...]:
    from casenotes.extract.pipeline import default_subject

    return tuple(
        Mention(
            e.start_char,
            e.end_char,
            e.label_,
            negated=bool(e._.negex),
            subject=default_subject(e.label_),
        )
        for e in doc.ents
    )


def score_corpus(
    notes: Iterable[Note], settings: Any = None, systems: Sequence[str] = SYSTEMS
) -> dict[str, Any]:
    """Score every system on gold notes (those with a ``mentions`` field)."""
    from casenotes.extract.config import ExtractConfig
    from casenotes.extract.pipeline import build_pipeline, note_mentions, rule_sets

    chunk_size = (settings or ExtractConfig()).batch_size

    nlp = build_pipeline(settings)
    neg = negspacy_pipeline() if "negspacy" in systems else None
    scorers = {name: Scorer() for name in systems}
    batch: list[Note] = []

    def flush() -> None:
        # chunked as `casenotes extract` chunks, so the scores are those of its output
        found = list(note_mentions(nlp, batch, chunk_size))
        texts = [n.text for n in batch]
        neg_docs = list(neg.pipe(texts)) if neg is not None else [None] * len(batch)
        for note, predicted, neg_doc in zip(batch, found, neg_docs, strict=True):
            gold = note.mentions or ()
            if "casenotes" in scorers:
                scorers["casenotes"].add(gold, predicted)
            if "keyword" in scorers:
                scorers["keyword"].add(gold, keyword_mentions(predicted))
            if neg_doc is not None:
                scorers["negspacy"].add(gold, negspacy_mentions(neg_doc))
        batch.clear()

    for note in notes:
        if note.mentions is None:
            continue
        batch.append(note)
        if len(batch) >= chunk_size:
            flush()
    if batch:
        flush()
    return {"rule_sets": rule_sets(nlp), "systems": {k: s.report() for k, s in scorers.items()}}


def markdown(result: dict[str, Any], title: str) -> str:
    """A Markdown report: headline table, then per-category and per-qualifier tables."""
    systems = result["systems"]
    names = list(systems)
    lines = [f"# {title}", ""]
    lines += [
        "Rule sets: "
        + ", ".join(f"{r['name']} v{r['version']} ({r['digest']})" for r in result["rule_sets"]),
        "",
        "## Headline",
        "",
        "| measure | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    trio = systems[names[0]]["toxic_trio"]
    no_trio_cases = trio["tp"] + trio["fn"] == 0
    rows = [
        ("mention F1", lambda s: s["mentions"]["ALL"]["f1"]),
        ("mention precision", lambda s: s["mentions"]["ALL"]["precision"]),
        ("mention recall", lambda s: s["mentions"]["ALL"]["recall"]),
        *[(f"{q} accuracy", lambda s, q=q: s["qualifiers"][q]["accuracy"]) for q in QUALIFIERS],
        ("note-level category F1", lambda s: s["note_categories"]["ALL"]["f1"]),
        # with no toxic-trio note in the gold set an F1 of 0 would read as a failure
        ("toxic-trio flag F1", lambda s: s["toxic_trio"]["f1"] if not no_trio_cases else None),
    ]
    for name, get in rows:
        cells = (get(systems[n]) for n in names)
        lines.append(
            f"| {name} | " + " | ".join("n/a" if v is None else f"{v:.3f}" for v in cells) + " |"
        )
    if no_trio_cases:
        flagged = ", ".join(f"{n} {systems[n]['toxic_trio']['fp']}" for n in names)
        lines += ["", f"No note in the gold set has the toxic trio; notes flagged: {flagged}."]
    main = systems[names[0]]
    lines += ["", f"## Per category ({names[0]})", "", "| category | mention P | R | F1 | gold |"]
    lines += ["| --- | --- | --- | --- | --- |"]
    for label, f in main["mentions"].items():
        gold = f["tp"] + f["fn"]
        lines.append(
            f"| {label} | {f['precision']:.3f} | {f['recall']:.3f} | {f['f1']:.3f} | {gold} |"
        )
    lines += ["", "| category | note-level P | R | F1 |", "| --- | --- | --- | --- |"]
    for label, f in main["note_categories"].items():
        lines.append(f"| {label} | {f['precision']:.3f} | {f['recall']:.3f} | {f['f1']:.3f} |")
    lines += ["", "## Qualifier values (F1 on matched mentions)", ""]
    lines += ["| qualifier | value | " + " | ".join(names) + " |"]
    lines += ["| --- | --- |" + " --- |" * len(names)]
    for q in QUALIFIERS:
        for value in main["qualifiers"][q]["per_value"]:
            cells = " | ".join(
                f"{systems[n]['qualifiers'][q]['per_value'][value]['f1']:.3f}" for n in names
            )
            lines.append(f"| {q} | {value} | {cells} |")
    lines.append("")
    return "\n".join(lines)
