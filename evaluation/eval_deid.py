"""De-identification evaluation: ours vs vanilla Presidio, on two corpora, in one run.

1. A held-out synthetic test set (``casenotes synth`` with a seed never used in development,
   20261129) — per-label precision/recall/F2 (span and token level), direct-identifier recall,
   leak rate, over-redaction of allow-listed words.
2. presidio-research's ``synth_dataset_v2.json`` (read from ../shared/data/external; skipped when
   absent), its labels mapped to ours and scored on the label types both share.

    .venv/bin/python evaluation/eval_deid.py [--notes 2000] [--no-vanilla]

Writes evaluation/results/deid_eval.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from casenotes.config import DeidConfig, SynthConfig, load_config
from casenotes.deid.evaluate import markdown, score_corpus
from casenotes.records import Note, PiiSpan
from casenotes.synth.generator import generate

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "evaluation" / "results"
EXTERNAL = ROOT.parent / "shared" / "data" / "external" / "presidio_research_synth_dataset_v2.json"
HELD_OUT_SEED = 20261129
# presidio-research entity types -> our labels; the rest (credit cards, IBAN, US SSN, NRP, titles,
# IP addresses...) have no counterpart in the contract and are left out of the comparison.
PRESIDIO_RESEARCH_TO_CONTRACT = {
    "PERSON": "PERSON",
    "STREET_ADDRESS": "ADDRESS",
    "GPE": "LOCATION",
    "LOCATION": "LOCATION",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "DATE_TIME": "DATE",
    "ORGANIZATION": "ORGANIZATION",
    "AGE": "AGE",
    "ZIP_CODE": "POSTCODE",
}


# Their DATE_TIME includes dates of birth, which we label apart
PRESIDIO_RESEARCH_RELABEL = {"DATE_OF_BIRTH": "DATE"}


def presidio_research_notes(path: Path):
    records = json.loads(path.read_text(encoding="utf-8"))
    for index, record in enumerate(records):
        text = record["full_text"]
        spans = []
        for span in record.get("spans", []):
            label = PRESIDIO_RESEARCH_TO_CONTRACT.get(span["entity_type"])
            if label is not None:
                spans.append(PiiSpan(span["start_position"], span["end_position"], label))
        yield Note(note_id=f"pr-{index}", text=text, pii=tuple(spans))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--no-vanilla", action="store_true")
    args = parser.parse_args()
    config = load_config(ROOT / "configs" / "deid.toml", DeidConfig)
    summary: dict = {"held_out_seed": HELD_OUT_SEED, "corpora": {}}
    sections = []

    start = time.perf_counter()
    synthetic = generate(SynthConfig(notes=args.notes, seed=HELD_OUT_SEED))
    reports = score_corpus(synthetic, config, vanilla=not args.no_vanilla)
    summary["corpora"]["synthetic_held_out"] = {"notes": args.notes, "systems": reports}
    sections.append(
        markdown(reports, f"Held-out synthetic notes (seed {HELD_OUT_SEED}, {args.notes} notes)")
    )
    print(f"synthetic: {time.perf_counter() - start:.0f}s")

    if EXTERNAL.exists():
        start = time.perf_counter()
        labels = sorted(set(PRESIDIO_RESEARCH_TO_CONTRACT.values()))
        reports = score_corpus(
            presidio_research_notes(EXTERNAL),
            config,
            vanilla=not args.no_vanilla,
            labels=labels,
            relabel=PRESIDIO_RESEARCH_RELABEL,
        )
        summary["corpora"]["presidio_research_synth_v2"] = {"labels": labels, "systems": reports}
        sections.append(
            markdown(reports, "presidio-research synth_dataset_v2 (shared label types)")
        )
        print(f"presidio-research: {time.perf_counter() - start:.0f}s")
    else:
        print(f"skipped presidio-research: {EXTERNAL} not found")

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "deid_eval.json").write_text(json.dumps(summary, indent=2) + "\n")
    (RESULTS / "deid_eval.md").write_text(
        "Reproduce: `.venv/bin/python evaluation/eval_deid.py "
        f"--notes {args.notes}{' --no-vanilla' if args.no_vanilla else ''}`\n\n"
        + "\n".join(sections)
    )
    for name, corpus in summary["corpora"].items():
        for system, report in corpus["systems"].items():
            overall = report["span_by_label"].get("ALL", {})
            print(
                f"{name:28} {system:18} recall(direct) {report['direct_identifier_recall']} "
                f"leak {report['leak_rate']} P {overall.get('precision')} "
                f"R {overall.get('recall')} F2 {overall.get('f2')}"
            )


if __name__ == "__main__":
    main()
