"""Held-out evaluation of risk-factor extraction on synthetic notes, plus speed.

The test set is generated with a seed never used while developing the rules (development used
seeds below 1000; this script uses 424242 by default), with the project's synth settings
(``configs/synth.toml``) otherwise. Three systems are scored on the same notes (see
:mod:`casenotes.extract.evaluate`): casenotes (matcher + context), the keyword baseline (same
matches, no context) and negspacy NegEx on the same matches. Speed is extraction alone
(``nlp.pipe`` + converting spans to mentions) in one process, best of two passes.

Usage (from the project root)::

    .venv/bin/python evaluation/eval_extract.py [--notes 3000] [--seed 424242]

Writes ``evaluation/results/extract_heldout.json`` and ``.md``. The generated notes are written to
a temporary folder and deleted; rerun with the same seed to get the same notes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "evaluation" / "results"
HELD_OUT_SEED = 424242


def speed(texts: list[str], repeats: int = 2) -> dict[str, float]:
    from casenotes.extract.pipeline import build_pipeline, doc_mentions

    nlp = build_pipeline()
    list(nlp.pipe(texts[:100]))  # warm up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for doc in nlp.pipe(texts, batch_size=256):
            doc_mentions(doc)
        best = min(best, time.perf_counter() - start)
    words = sum(len(t.split()) for t in texts) / max(len(texts), 1)
    return {
        "notes": len(texts),
        "mean_words_per_note": round(words, 1),
        "seconds": round(best, 3),
        "notes_per_second": round(len(texts) / best, 1),
        "processes": 1,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    parser.add_argument("--name", default="extract_heldout")
    args = parser.parse_args()
    if args.seed < 1000:
        print("warning: seeds below 1000 were used to develop the rules; not a held-out set")

    from casenotes.config import SynthConfig, load_config
    from casenotes.extract.evaluate import markdown, score_corpus
    from casenotes.io import open_writer, read_notes
    from casenotes.synth.generator import generate
    from casenotes.synth.lexicon import load_grammar

    synth_config = ROOT / "configs" / "synth.toml"
    settings = load_config(synth_config, SynthConfig) if synth_config.exists() else SynthConfig()
    settings = SynthConfig.model_validate(
        {**settings.model_dump(), "notes": args.notes, "seed": args.seed}
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "heldout.jsonl"
        with open_writer(path) as writer:
            for note in generate(settings):
                writer.write(note)
        notes = [item.note for item in read_notes(path)]
    result = score_corpus(notes)
    figures = speed([n.text for n in notes])
    payload = {
        "test_set": {
            "generator": "casenotes synth",
            "seed": args.seed,
            "notes": len(notes),
            "gold_mentions": sum(len(n.mentions or ()) for n in notes),
            "grammar_digest": load_grammar().digest,
        },
        "speed_extraction_only": figures,
        **result,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    title = f"Extraction on held-out synthetic notes (seed {args.seed}, {len(notes)} notes)"
    report = markdown(result, title)
    report += (
        f"\n## Speed (extraction alone, 1 process)\n\n{figures['notes_per_second']:,.0f} notes/s "
        f"on {figures['notes']} notes of {figures['mean_words_per_note']} words on average "
        f"({figures['seconds']} s, best of 2).\n"
    )
    (RESULTS / f"{args.name}.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
