"""Does the fairness report find a bias that is really there, and only then?

Two synthetic corpora from the same seed and size differ only in the generator's bias switches
(``configs/synth_biased.toml``):

- *under-recording*: half the risks of Black children's families are never written down, so a
  model reading the notes misses more of the Black children whose cases escalated;
- *over-labelling*: 15% of disabled children's non-escalated cases are recorded as escalated, and
  nothing in their notes supports it, so disabled children's recorded outcome runs ahead of what
  their notes predict.

Each corpus is de-identified by replacing its gold PII spans with placeholders (an oracle: this
experiment tests the fairness report, not de-identification), then ``casenotes train`` runs the
``case_escalation`` task exactly as a user would (``verify`` gate, time + case split, threshold on
validation) with the linear models. The checks, per model:

1. biased corpus: the gap of the figure each bias should move is positive and its 95% interval
   excludes zero (the bias is detected): the missed share (FNR) of *Black vs White* children for
   under-recording, and observed − predicted (the share escalated minus the mean score) of
   *disabled vs not disabled* children for over-labelling;
2. unbiased corpus: the same two intervals include zero (no bias is claimed where none was put).

Why a different figure for each bias. Under-recording hides risks from the model, so it scores
the group's escalated cases lower and misses more of them. Over-labelling adds "escalated" cases
whose notes look like any other non-escalated case's. The model flags them no more than the rest,
so the missed share rises only by the share of such cases that fall below the threshold (about 4
points at 15% over-labelling, a gap a few thousand test cases cannot tell from chance; an earlier
version of this experiment needed a 50% rate to try). What over-labelling moves directly is the
group's recorded outcome rate while its scores stay put: observed − predicted, the
calibration-in-the-large gap, which the fairness report shows for every group with a bootstrap
interval.

Both biases stay at the config's rates (under-recording 50%, over-labelling 15%);
``--over-labelling-rate`` overrides the second. Every figure of the two groups is saved too, so the
other gaps can be read. With 2 models × 2 checks per seed, a 95% interval excludes zero by chance
about once in 20 comparisons; ``--seeds`` repeats the experiment on several seeds.

Usage (from the project root)::

    .venv/bin/python evaluation/fairness_validity.py [--notes 300000] [--seeds 21 22 23] [--name N]

Writes ``evaluation/results/fairness_validity.{json,md}`` (or ``N.{json,md}``).
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
# (attribute, group, reference, the figure the bias should move)
CHECKS = (
    ("ethnicity", "Black", "White", "fnr"),
    ("disability", "yes", "no", "observed_minus_predicted"),
)
ALL_FIGURES = ("fnr", "fpr", "precision", "selection_rate", "observed_minus_predicted")


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


def corpus(path: Path, notes: int, seed: int, biased: bool, over_rate: float | None) -> Path:
    from casenotes.config import BiasConfig, SynthConfig, load_config
    from casenotes.io import write_notes
    from casenotes.synth.generator import generate

    config = load_config(ROOT / "configs" / "synth_biased.toml", SynthConfig)
    config = config.model_copy(update={"notes": notes, "seed": seed})
    if biased and over_rate is not None:
        over = config.bias.over_labelling.model_copy(update={"rate": over_rate})
        config = config.model_copy(
            update={"bias": config.bias.model_copy(update={"over_labelling": over})}
        )
    elif not biased:
        config = config.model_copy(update={"bias": BiasConfig()})
    write_notes(path, oracle_deidentified(generate(config)))
    return path


def gap(report: dict, attribute: str, group: str, reference: str, metric: str) -> dict | None:
    for entry in report["gaps"].get(attribute, []):
        if entry["metric"] == metric and entry["group"] == group:
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
            "gaps": {f"{a}:{g}-{r}:{m}": gap(report, a, g, r, m) for a, g, r, m in CHECKS},
            "all_figures": {
                f"{a}:{g}-{r}:{figure}": gap(report, a, g, r, figure)
                for a, g, r, _ in CHECKS
                for figure in ALL_FIGURES
            },
        }
    return {
        "split": result.split,
        "seconds": round(time.perf_counter() - started, 1),
        "models": models,
    }


def verdicts(results: dict, seed: int) -> list[dict]:
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
                        "seed": seed,
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
        f"{payload['notes']:,} notes per corpus, seeds {', '.join(map(str, payload['seeds']))}; "
        f"under-recording {payload['under_recording_rate']} (Black), over-labelling "
        f"{payload['over_labelling_rate']} (disabled); task case_escalation; difference of the "
        "named figure (fnr = missed share, selection_rate = share flagged, "
        "observed_minus_predicted = share escalated minus mean score) between the group and the "
        "reference group, 95% bootstrap interval over cases.",
        "",
        "| seed | corpus | model | gap (group − reference : figure) | difference (95% CI) "
        "| expected | pass |",
        "| --- | --- | --- | --- | --- | --- | --- |",
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
            f"| {row['seed']} | {row['corpus']} | {row['model']} | {row['gap']} | {figure} "
            f"| {row['expected']} | {'yes' if row['pass'] else 'NO'} |"
        )
    lines += ["", f"All checks pass: **{payload['all_pass']}**.", ""]
    lines += [
        "Every figure for the same groups (difference, 95% CI, interval excludes zero):",
        "",
        "| seed | corpus | model | gap | difference (95% CI) | excludes 0 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for seed, by_corpus in payload["results"].items():
        for corpus_name, result in by_corpus.items():
            for model, entry in result["models"].items():
                for name, found in entry["all_figures"].items():
                    if not found or "difference" not in found:
                        continue
                    diff = found["difference"]
                    if diff.get("value") is None or diff.get("low") is None:
                        continue
                    lines.append(
                        f"| {seed} | {corpus_name} | {model} | {name} | {diff['value']:+.3f} "
                        f"({diff['low']:+.3f} to {diff['high']:+.3f}) | "
                        f"{'yes' if found['excludes_zero'] else 'no'} |"
                    )
    lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # 300,000 notes give about 11,000 test cases, of which some 1,200 are Black children: with
    # 60,000 the missed-share gap of under-recording was missed in half the seeds, with 150,000
    # in one of six model-seed pairs (an interval about 0.09 wide each side); at 300,000 it was
    # found in all six, on fresh seeds
    parser.add_argument("--notes", type=int, default=300000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[11])
    parser.add_argument(
        "--over-labelling-rate", type=float, default=None, help="default: the config's rate"
    )
    parser.add_argument(
        "--name", default="fairness_validity", help="results file stem under evaluation/results/"
    )
    args = parser.parse_args()
    from casenotes.config import SynthConfig, load_config

    bias = load_config(ROOT / "configs" / "synth_biased.toml", SynthConfig).bias
    over_rate = args.over_labelling_rate
    results: dict[int, dict] = {}
    rows: list[dict] = []
    for seed in args.seeds:
        results[seed] = {}
        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder)
            for name, biased in (("biased", True), ("unbiased", False)):
                path = corpus(tmp / f"{name}.jsonl", args.notes, seed, biased, over_rate)
                results[seed][name] = run_one(path, tmp / f"models-{name}", seed)
        rows += verdicts(results[seed], seed)
    payload = {
        "notes": args.notes,
        "seeds": args.seeds,
        "under_recording_rate": bias.under_recording.rate,
        "over_labelling_rate": bias.over_labelling.rate if over_rate is None else over_rate,
        "results": results,
        "verdicts": rows,
        "all_pass": all(row["pass"] for row in rows),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(payload, indent=2, default=str))
    (RESULTS / f"{args.name}.md").write_text(markdown(payload))
    print(markdown(payload))
    return 0 if payload["all_pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
