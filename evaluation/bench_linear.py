"""Benchmark of the two linear classifiers: fit time, prediction speed, memory, exactness.

50,000 synthetic notes (seed 20261130) with ten note-level targets — an affirmed, current,
non-negated gold mention of each risk category — train each model multi-label on all ten labels.
Each model runs in its own child process (so its peak RSS is its own) and is measured on:

- ``fit_seconds``: ``fit`` on the 50,000 notes (features, ten logistic regressions, calibration);
- prediction speed: ``predict_scores`` on 5,000 held-out notes (seed 20261131);
- explanation error: the largest ``|base + Σ token weights − output|`` and the largest
  ``|output − decision_function|`` over 200 held-out notes and all ten labels;
- quality for context: ROC AUC and average precision per label on the held-out notes, and the
  deletion test (top-5 spans against 5 random ones) per label on the same 200 notes.

Targets: fit < 120 s and explanation error <= 1e-6. The machine is shared, so the load average
before and after each run is recorded next to the figures.

    .venv/bin/python evaluation/bench_linear.py [--notes 50000] [--n-jobs 1]

Generated notes are cached in ``out/bench/`` (JSONL); results go to
``evaluation/results/bench_linear.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "evaluation" / "results"
CACHE = ROOT / "out" / "bench"
SEED = 20261130
HELD_OUT_SEED = 20261131
HELD_OUT_NOTES = 5000
EXPLAIN_NOTES = 200
FIT_TARGET_SECONDS = 120.0
ERROR_TARGET = 1e-6
MODELS = ("tfidf_logistic", "mention_linear")


def corpus(notes: int, seed: int) -> Path:
    """The cached JSONL of ``notes`` synthetic notes for ``seed`` (generated once)."""
    from casenotes.config import SynthConfig
    from casenotes.io import write_notes
    from casenotes.synth.generator import generate

    path = CACHE / f"synth_{seed}_{notes}.jsonl"
    if not path.exists():
        start = time.perf_counter()
        write_notes(path, generate(SynthConfig(notes=notes, seed=seed)))
        print(f"generated {notes:,} notes (seed {seed}) in {time.perf_counter() - start:.0f}s")
    return path


def load(path: Path) -> tuple[list[str], list[list[int]]]:
    """Texts and the ten note-level 0/1 targets (affirmed, current, non-negated gold mention)."""
    from casenotes.io import read_notes
    from casenotes.records import RiskLabel

    texts, targets = [], []
    for located in read_notes(path):
        note = located.note
        present = {m.label for m in note.mentions or () if m.is_affirmed_current}
        texts.append(note.text)
        targets.append([int(label in present) for label in RiskLabel])
    return texts, targets


# ---------------------------------------------------------------- the child process
def measure(model_name: str, notes: int, n_jobs: int | None) -> dict:
    import numpy as np
    from sklearn.metrics import average_precision_score, roc_auc_score

    from casenotes.modeling.deletion import deletion_test
    from casenotes.modeling.linear import MentionLinearClassifier, TfidfLogisticClassifier
    from casenotes.records import RiskLabel

    labels = tuple(label.value for label in RiskLabel)
    texts, targets = load(corpus(notes, SEED))
    held_texts, held_targets = load(corpus(HELD_OUT_NOTES, HELD_OUT_SEED))
    y, held_y = np.asarray(targets, dtype=np.int8), np.asarray(held_targets, dtype=np.int8)
    del targets, held_targets
    cls = TfidfLogisticClassifier if model_name == "tfidf_logistic" else MentionLinearClassifier
    model = cls(label_names=labels, n_jobs=n_jobs)

    start, cpu = time.perf_counter(), time.process_time()
    model.fit(texts, y)
    fit_seconds, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    del texts

    start = time.perf_counter()
    scores = model.predict_scores(held_texts)
    predict_seconds = time.perf_counter() - start

    sample = held_texts[:EXPLAIN_NOTES]
    margins = model.decision_function(sample)
    max_error = max_gap = 0.0
    start = time.perf_counter()
    for j, label in enumerate(labels):
        for explanation, margin in zip(model.explain(sample, label), margins[:, j], strict=True):
            max_error = max(max_error, explanation.completeness_error)
            max_gap = max(max_gap, abs(explanation.output - margin))
    explain_seconds = time.perf_counter() - start

    quality = {}
    for j, label in enumerate(labels):
        deletion = deletion_test(model, sample, label, k=5, n_random=5, seed=0)
        quality[label] = {
            "held_out_positives": int(held_y[:, j].sum()),
            "roc_auc": round(float(roc_auc_score(held_y[:, j], scores[:, j])), 4),
            "average_precision": round(
                float(average_precision_score(held_y[:, j], scores[:, j])), 4
            ),
            "deletion_notes": deletion.n,
            "deletion_share_top_beats_random": round(deletion.share_top_beats_random, 3),
            "deletion_mean_drop_top": round(deletion.mean_drop_top, 4),
            "deletion_mean_drop_random": round(deletion.mean_drop_random, 4),
            "deletion_passed": deletion.passed,
        }

    import joblib

    size_path = CACHE / f".{model_name}.joblib"
    joblib.dump(model, size_path)
    size_mb = size_path.stat().st_size / 2**20
    size_path.unlink()
    return {
        "model": model_name,
        "params": {k: v for k, v in model.get_params().items() if k != "label_names"},
        "train_notes": notes,
        "labels": len(labels),
        "features": int(model.n_features_),
        "solver_iterations": [int(n) for n in model.n_iter_],
        "fit_seconds": round(fit_seconds, 2),
        "fit_cpu_seconds": round(fit_cpu, 2),
        "predict_notes": len(held_texts),
        "predict_notes_per_second": round(len(held_texts) / predict_seconds, 1),
        "explain_notes": len(sample),
        "explain_seconds_all_labels": round(explain_seconds, 2),
        "max_completeness_error": max_error,
        "max_output_vs_decision_function": max_gap,
        "model_file_mb": round(size_mb, 1),
        "quality": quality,
    }


# ---------------------------------------------------------------- orchestration
def run_child(model_name: str, notes: int, n_jobs: int | None) -> dict:
    """One model in a child process: its figures, and its own peak RSS from ``wait4``."""
    command = [sys.executable, __file__, "--worker", model_name, "--notes", str(notes)]
    if n_jobs is not None:
        command += ["--n-jobs", str(n_jobs)]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{model_name} failed:\n{err.read().decode()[-3000:]}")
        result = json.loads(out.read().decode().strip().splitlines()[-1])
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux reports KiB
    result["load_average_before"] = round(load_before, 2)
    result["load_average_after"] = round(os.getloadavg()[0], 2)
    result["fit_target_met"] = result["fit_seconds"] < FIT_TARGET_SECONDS
    result["error_target_met"] = result["max_completeness_error"] <= ERROR_TARGET
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=50_000)
    parser.add_argument("--n-jobs", type=int, default=None, help="threads for the label fits")
    parser.add_argument("--worker", choices=MODELS, help=argparse.SUPPRESS)
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    args = parser.parse_args()
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    if args.worker:
        print(json.dumps(measure(args.worker, args.notes, args.n_jobs)))
        return

    corpus(args.notes, SEED)  # generated (or found) once, outside the timed children
    corpus(HELD_OUT_NOTES, HELD_OUT_SEED)
    runs = []
    for name in args.models:
        result = run_child(name, args.notes, args.n_jobs)
        runs.append(result)
        print(
            f"{name:15} fit {result['fit_seconds']:6.1f}s  predict "
            f"{result['predict_notes_per_second']:8,.0f} notes/s  peak {result['peak_rss_mb']} MB  "
            f"max error {result['max_completeness_error']:.1e}  "
            f"load {result['load_average_before']}"
        )
    write(runs, args)


def write(runs: list[dict], args: argparse.Namespace) -> None:
    summary = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "seed": SEED,
        "held_out_seed": HELD_OUT_SEED,
        "targets": {"fit_seconds_below": FIT_TARGET_SECONDS, "max_error_at_most": ERROR_TARGET},
        "runs": runs,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_linear.json").write_text(json.dumps(summary, indent=2) + "\n")
    jobs = "" if args.n_jobs is None else f" --n-jobs {args.n_jobs}"

    def mark(ok: bool) -> str:
        return "pass" if ok else "FAIL"

    lines = [
        "# Linear classifiers benchmark",
        "",
        f"`python evaluation/bench_linear.py --notes {args.notes}{jobs}` on {os.cpu_count()} "
        f"CPUs (shared), Python {platform.python_version()}. Training: {args.notes:,} synthetic "
        f"notes (seed {SEED}), ten labels, multi-label; held out: {HELD_OUT_NOTES:,} notes "
        f"(seed {HELD_OUT_SEED}). Each model in its own process.",
        "",
        "| model | fit (s) | target < 120 s | fit CPU (s) | predict (notes/s) | peak RSS (MB) | "
        "max explanation error | target <= 1e-6 | features | model file (MB) | load avg |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |",
        *(
            f"| {r['model']} | {r['fit_seconds']} | {mark(r['fit_target_met'])} | "
            f"{r['fit_cpu_seconds']} | "
            f"{r['predict_notes_per_second']:,.0f} | {r['peak_rss_mb']} | "
            f"{r['max_completeness_error']:.1e} | {mark(r['error_target_met'])} | "
            f"{r['features']:,} | {r['model_file_mb']} | "
            f"{r['load_average_before']} → {r['load_average_after']} |"
            for r in runs
        ),
        "",
        "Explanation error: the largest `|base + Σ token weights − output|` over "
        f"{EXPLAIN_NOTES} held-out notes × 10 labels; the explanations' `output` also matches "
        "`decision_function` to "
        + ", ".join(f"{r['max_output_vs_decision_function']:.1e} ({r['model']})" for r in runs)
        + ". Fit time includes the features (for mention_linear: running the extractor on every "
        "note), ten logistic regressions and their 3-fold calibration. Fit CPU is the process's "
        "CPU time during fit: on a shared machine it is what the fit would take with a core to "
        "itself (one thread unless --n-jobs is given).",
        "",
        "## Held-out quality and the deletion test (for context, not a target)",
        "",
        "ROC AUC / average precision on the held-out notes. Deletion test on the first "
        f"{EXPLAIN_NOTES} of them: the share of the notes with a positively weighted span (how "
        "many in brackets) where blanking the top-5 spans lowered the score more than 5 random "
        "spans of the same explanation; pass = sign test p < 0.05. For mention_linear the spans "
        "are the note's mentions, so a note whose mentions are all positive ties (top = random) "
        "and counts as not beating.",
        "",
        "| label | positives | "
        + " | ".join(f"{r['model']} AUC | AP | deletion" for r in runs)
        + " |",
        "| --- | ---: | " + " | ".join("---: | ---: | ---" for _ in runs) + " |",
    ]
    for label in runs[0]["quality"]:
        cells = []
        for r in runs:
            q = r["quality"][label]
            cells.append(
                f"{q['roc_auc']:.3f} | {q['average_precision']:.3f} | "
                f"{q['deletion_share_top_beats_random']:.0%} ({q['deletion_notes']}) "
                f"{'pass' if q['deletion_passed'] else 'FAIL'}"
            )
        positives = runs[0]["quality"][label]["held_out_positives"]
        lines.append(f"| {label} | {positives} | " + " | ".join(cells) + " |")
    lines.append("")
    (RESULTS / "bench_linear.md").write_text("\n".join(lines))
    print(f"results in {RESULTS}")


if __name__ == "__main__":
    main()
