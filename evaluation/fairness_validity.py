"""Does the fairness report find a bias that is really there, and only then?

Two synthetic corpora from the same seed and size differ only in the generator's bias switches
(``configs/synth_biased.toml``):

- *under-recording*: half the risks of Black children's families are never written down, so a
  model reading the notes misses more of the Black children whose cases escalated;
- *over-labelling*: 15% of disabled children's non-escalated cases are recorded as escalated, and
  nothing in their notes supports it, so the model misses more of the disabled children "escalated".

Each corpus is de-identified by replacing its gold PII spans with placeholders (an oracle: this
experiment tests the fairness report, not de-identification), then ``casenotes train`` runs the
``case_escalation`` task exactly as a user would (``verify`` gate, time + case split, threshold on
validation) with the linear models. The checks, per model:

1. biased corpus: the missed-share (FNR) gap of *Black vs White* and of *disability yes vs no*
   is positive and its 95% interval excludes zero (the bias is detected);
2. unbiased corpus: the same two intervals include zero (no bias is claimed where none was put).

Usage (from the project root)::

    .venv/bin/python evaluation/fairness_validity.py [--notes 60000] [--seed 11]

Writes ``evaluation/results/fairness_validity.{json,md}``.
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
CHECKS = (("ethnicity", "Black", "White"), ("disability", "yes", "no"))


def oracle_deidentified(notes):
    """Each note with its gold PII spans replaced by ``[LABEL]`` (mentions dropped)."""
    import dataclasses

    for note in notes:
        text, pieces, last = note.text, [], 0
        for span in sorted(note.pii or (), key=lambda s: s.start):
            if span.start < last:
                continue
            pieces += [text[last : span.start], f"[{span.label.value}]"]
            last = span.end
        pieces.append(text[last:])
        yield dataclasses.replace(note, text="".join(pieces), pii=(), mentions=None)


def corpus(path: Path, notes: int, seed: int, biased: bool) -> Path:
    from casenotes.config import BiasConfig, SynthConfig, load_config
    from casenotes.io import write_notes
    from casenotes.synth.generator import generate

    config = load_config(ROOT / "configs" / "synth_biased.toml", SynthConfig)
    config = config.model_copy(update={"notes": notes, "seed": seed})
    if not biased:
        config = config.model_copy(update={"bias": BiasConfig()})
    write_notes(path, oracle_deidentified(generate(config)))
    return path


def gap(report: dict, attribute: str, group: str, reference: str) -> dict | None:
    for entry in report["gaps"].get(attribute, []):
        if entry["metric"] == "fnr" and entry["group"] == group:
            if entry["reference"] != reference:
                return {"error": f"reference was {entry['reference']}, expected {reference}"}
            return {
                "difference": entry["difference"],
                "excludes_zero": entry["excludes_zero"],
                "unreliable": entry["unreliable"],
                "group_value": entry.get("group_value"),
                "reference_value": entry.get("reference_value"),
            }
    return None


def run_one(path: Path, out: Path, seed: int) -> dict:
    from casenotes.modeling.config import TrainConfig
    from casenotes.modeling.train import train

    config = TrainConfig.model_validate(
        {
            "task": "case_escalation",
            "synthetic": True,
            "seed": seed,
            "out": str(out),
            # Oracle text keeps the PII detector's false positives (typos, brand names), which
            # `casenotes deidentify` would have replaced: the verify limit is raised for it.
            "privacy": {
                "deidentify": "verify",
                "verify_sample": 300,
                "max_identifiable_share": 0.4,
            },
            "split": {"validation_share": 0.2, "test_share": 0.3},
            "fairness": {"n_boot": 1000, "intersections": []},
            "explain": {"examples": 0, "deletion_notes": 50},
            "models": [
                {"name": "mentions_lr", "kind": "mention_linear"},
                {"name": "tfidf_lr", "kind": "tfidf_logistic"},
            ],
        }
    )
    started = time.perf_counter()
    result = train(config, path, log_to_mlflow=False)
    models = {}
    for model in result.models:
        report = model.fairness["escalated"]
        models[model.name] = {
            "auroc": model.evaluation["labels"]["escalated"]["test"]["auroc"],
            "gaps": {f"{a}:{g}-{r}": gap(report, a, g, r) for a, g, r in CHECKS},
        }
    return {
        "split": result.split,
        "seconds": round(time.perf_counter() - started, 1),
        "models": models,
    }


def verdicts(results: dict) -> list[dict]:
    rows = []
    for corpus_name, expect_detected in (("biased", True), ("unbiased", False)):
        for model, entry in results[corpus_name]["models"].items():
            for name, found in entry["gaps"].items():
                ok = False
                if found and "difference" in found:
                    low, high = found["difference"]["low"], found["difference"]["high"]
                    detected = low is not None and (low > 0 or high < 0)
                    ok = (detected and low > 0) if expect_detected else not detected
                rows.append(
                    {
                        "corpus": corpus_name,
                        "model": model,
                        "gap": name,
                        "expected": "detected" if expect_detected else "interval includes zero",
                        "pass": ok,
                        "found": found,
                    }
                )
    return rows


def markdown(payload: dict) -> str:
    lines = [
        "# Fairness validity on the generator's bias switches",
        "",
        f"{payload['notes']:,} notes per corpus, seed {payload['seed']}; task case_escalation; "
        "missed share (FNR) of the group minus that of the reference group, 95% bootstrap "
        "interval over cases.",
        "",
        "| corpus | model | gap (group − reference) | difference (95% CI) | expected | pass |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in payload["verdicts"]:
        found = row["found"] or {}
        diff = found.get("difference") or {}
        figure = (
            f"{diff['value']:+.3f} ({diff['low']:+.3f} to {diff['high']:+.3f})"
            if diff.get("value") is not None and diff.get("low") is not None
            else "n/a"
        )
        lines.append(
            f"| {row['corpus']} | {row['model']} | {row['gap']} | {figure} | {row['expected']} "
            f"| {'yes' if row['pass'] else 'NO'} |"
        )
    lines += ["", f"All checks pass: **{payload['all_pass']}**.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=int, default=60000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for name, biased in (("biased", True), ("unbiased", False)):
            path = corpus(tmp / f"{name}.jsonl", args.notes, args.seed, biased)
            results[name] = run_one(path, tmp / f"models-{name}", args.seed)
    rows = verdicts(results)
    payload = {
        "notes": args.notes,
        "seed": args.seed,
        "results": results,
        "verdicts": rows,
        "all_pass": all(row["pass"] for row in rows),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fairness_validity.json").write_text(json.dumps(payload, indent=2, default=str))
    (RESULTS / "fairness_validity.md").write_text(markdown(payload))
    print(markdown(payload))
    return 0 if payload["all_pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
