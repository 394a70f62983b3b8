"""Outside benchmark: the casenotes context component on the NegEx/ConText test set.

Runs ``casenotes_context_v1`` exactly as packaged (the same rules used on case notes; no clinical
rule set) on the 2,376 annotated sentences of Chapman et al. / Harkema et al. (file and format:
``../shared/data/external/README.md``). The condition phrase written in CAPITALS in each sentence
is the target span. Reports negation precision/recall/F1, historical and hypothetical ("Not
particular") F1 and experiencer accuracy, next to negspacy's NegEx run in the same script (its
default clinical termset, on the same spans) and the published NegEx figures.

Mapping of our qualifiers: ``temporality`` historical → Historical, hypothetical → Not particular,
current → Recent; ``subject`` child (the person the record is about) → Patient, parent or other →
Other. The target span is given the label ``offending``, whose default subject is the child and
which no label-specific context rule touches. (Until 2026-11-30 it was ``neet``, which by design
ignores parent words, since a parent who is NEET is the case's young person; that hid every family
member's condition and scored experiencer "Other" at 0. Negation and temporality are the same
under either label.)

Usage (from the project root): ``.venv/bin/python evaluation/eval_negex.py``
Writes ``evaluation/results/negex_eval.json`` and ``.md``. Skips cleanly if the data is absent.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "external" / "negex_rsAnnotations-1-120-random.txt"
RESULTS = ROOT / "evaluation" / "results"
TARGET_LABEL = "offending"
CAVEAT = (
    "Not a blind test: during development the errors on this set were read once, and general "
    "changes followed (scope counted in words, not tokens or spaces; a colon ends a scope; "
    "'rule out' hedges; 'History:' headings; 'do not know' is not a negation). They were "
    "read a second time for temporality, and four bugs that case notes share were fixed: a "
    "hyphenated age ('the 14-year-old') read as the past, as did 'once a week', 'as previously "
    "noted' and a duration ('a six-month history of'). The only "
    "clinical words in the rules are 'medical history:' among history headings and 'r/o'. "
    "Historical and hypothetical are far below negation: clinical history sections "
    "('PAST MEDICAL HISTORY:' lists, 'status post') are not social-work language."
)
PUBLISHED = {
    "NegEx (Chapman et al. 2001)": {"precision": 0.845, "recall": 0.778},
    "GenNegEx": {"f1": 0.946},
}


def read_rows(path: Path) -> list[dict[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 7:
            continue
        rows.append(
            {
                "id": parts[0],
                "phrase": parts[2],
                "sentence": parts[3],
                "negation": parts[4].strip(),
                "temporality": parts[5].strip(),
                "experiencer": parts[6].strip(),
            }
        )
    return rows


def target_offsets(sentence: str, phrase: str) -> tuple[int, int] | None:
    """Where the condition phrase is in the sentence (whitespace-flexible, case-insensitive)."""
    words = phrase.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    match = re.search(pattern, sentence, flags=re.IGNORECASE)
    return (match.start(), match.end()) if match else None


def bare_phrase(sentence: str, phrase: str) -> bool:
    """The sentence is the condition phrase alone ("HYPERTENSION."): its section is not given."""

    def squash(text: str) -> str:
        return re.sub(r"[\s.]+", " ", text).strip().lower()

    return squash(sentence) == squash(phrase)


def f1(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def binary(gold: list[bool], pred: list[bool]) -> dict[str, float]:
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    return f1(tp, fp, fn)


def main() -> int:
    if not DATA.exists():
        print(f"skipped: {DATA} not found")
        return 0
    import negspacy.negation  # noqa: F401  (registers "negex")
    import spacy
    from spacy.tokens import Span

    from casenotes.extract import factories
    from casenotes.extract.rules import load_context_rules, load_subject_rules

    rows = read_rows(DATA)
    nlp = spacy.blank("en")
    context = nlp.add_pipe(factories.CONTEXT)
    context.initialize()
    neg_nlp = spacy.blank("en")
    neg_nlp.add_pipe("sentencizer")
    negex = neg_nlp.add_pipe("negex")

    ours = {"negated": [], "temporality": [], "experiencer": []}
    theirs: list[bool] = []
    gold = {"negated": [], "temporality": [], "experiencer": []}
    bare: list[bool] = []
    skipped = 0
    start = time.perf_counter()
    for row in rows:
        where = target_offsets(row["sentence"], row["phrase"])
        if where is None:
            skipped += 1
            continue
        doc = nlp.make_doc(row["sentence"])
        span = doc.char_span(*where, label=TARGET_LABEL, alignment_mode="expand")
        if span is None:
            skipped += 1
            continue
        doc.spans["risks"] = [span]
        context(doc)
        result = doc.spans["risks"][0]
        ours["negated"].append(bool(result._.negated))
        ours["temporality"].append(result._.temporality)
        ours["experiencer"].append("Patient" if result._.subject == "child" else "Other")
        neg_doc = neg_nlp.make_doc(row["sentence"])
        for _, component in neg_nlp.pipeline[:1]:
            neg_doc = component(neg_doc)
        neg_doc.ents = [Span(neg_doc, span.start, span.end, label="CONDITION")]
        neg_doc = negex(neg_doc)
        theirs.append(bool(neg_doc.ents[0]._.negex))
        bare.append(bare_phrase(row["sentence"], row["phrase"]))
        gold["negated"].append(row["negation"] == "Negated")
        gold["temporality"].append(row["temporality"])
        gold["experiencer"].append("Patient" if row["experiencer"] == "Patient" else "Other")
    elapsed = time.perf_counter() - start

    n = len(gold["negated"])
    experiencer_acc = sum(
        g == p for g, p in zip(gold["experiencer"], ours["experiencer"], strict=True)
    ) / max(n, 1)
    report = {
        "data": str(DATA.relative_to(ROOT.parent)),
        "sentences": len(rows),
        "scored": n,
        "skipped_target_not_found": skipped,
        "rule_sets": [load_context_rules().describe(), load_subject_rules().describe()],
        "casenotes_context": {
            "negation": binary(gold["negated"], ours["negated"]),
            "historical": binary(
                [t == "Historical" for t in gold["temporality"]],
                [t == "historical" for t in ours["temporality"]],
            ),
            "historical_without_bare_phrases": binary(
                [
                    t == "Historical"
                    for t, b in zip(gold["temporality"], bare, strict=True)
                    if not b
                ],
                [
                    t == "historical"
                    for t, b in zip(ours["temporality"], bare, strict=True)
                    if not b
                ],
            ),
            "hypothetical_vs_not_particular": binary(
                [t == "Not particular" for t in gold["temporality"]],
                [t == "hypothetical" for t in ours["temporality"]],
            ),
            "experiencer_accuracy": round(experiencer_acc, 4),
            "experiencer_other": binary(
                [e == "Other" for e in gold["experiencer"]],
                [e == "Other" for e in ours["experiencer"]],
            ),
        },
        "bare_phrase_sentences": {
            "count": sum(bare),
            "historical": sum(
                b and t == "Historical" for t, b in zip(gold["temporality"], bare, strict=True)
            ),
        },
        "negspacy_negex": {"negation": binary(gold["negated"], theirs)},
        "published": PUBLISHED,
        "caveat": CAVEAT,
        "seconds": round(elapsed, 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "negex_eval.json").write_text(json.dumps(report, indent=2) + "\n")
    ours_neg, neg = report["casenotes_context"]["negation"], report["negspacy_negex"]["negation"]
    c = report["casenotes_context"]
    lines = [
        "# NegEx/ConText test set: casenotes context rules as packaged",
        "",
        f"{n} of {len(rows)} sentences scored ({skipped} skipped: target not found). "
        "Same rules as used on case notes; no clinical rule set.",
        "",
        "| system | negation P | R | F1 |",
        "| --- | --- | --- | --- |",
        f"| casenotes context | {ours_neg['precision']:.3f} | {ours_neg['recall']:.3f} "
        f"| {ours_neg['f1']:.3f} |",
        f"| negspacy NegEx (en_clinical termset) | {neg['precision']:.3f} | {neg['recall']:.3f} "
        f"| {neg['f1']:.3f} |",
        "| NegEx, published | 0.845 | 0.778 | 0.810 |",
        "| GenNegEx, published | | | 0.946 |",
        "",
        "| casenotes context | P | R | F1 |",
        "| --- | --- | --- | --- |",
    ]
    for name in (
        "historical",
        "historical_without_bare_phrases",
        "hypothetical_vs_not_particular",
        "experiencer_other",
    ):
        m = c[name]
        lines.append(f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} |")
    b = report["bare_phrase_sentences"]
    lines += [
        "",
        f"{b['count']} sentences are the condition phrase alone ('HYPERTENSION.'), lifted from a "
        f"list; {b['historical']} of them are gold Historical, the rest Recent. Their temporality "
        "came from the section heading the sentence was taken from, which the set does not give, "
        "so no rule on the sentence can tell them apart. The second historical row leaves them "
        "out.",
    ]
    lines += ["", f"Experiencer accuracy (Patient vs Other): {c['experiencer_accuracy']:.3f}", ""]
    lines += [CAVEAT, ""]
    (RESULTS / "negex_eval.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
