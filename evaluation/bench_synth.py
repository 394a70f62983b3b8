"""Benchmark of the synthetic generator: notes per second and peak memory against corpus size.

Runs ``casenotes synth`` in a fresh process for each size (so each peak RSS is that run's own),
writing JSONL, and records wall time, notes/s and the child's peak resident memory. The claim under
test is that generation streams: peak memory at 100,000 notes stays within 10% of that at 10,000.
Also records the corpus's diversity figures at the largest size.

    .venv/bin/python evaluation/bench_synth.py [--sizes 10000 100000] [--seed 7]

Results: evaluation/results/bench_synth.json and .md (machine noise moves absolute times; the
ratios are what to compare).
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

RESULTS = Path(__file__).resolve().parent / "results"


def run_synth(notes: int, seed: int, out: Path, stats: bool) -> dict:
    """One ``casenotes synth`` run in a child process: wall time and the child's peak RSS."""
    command = [
        sys.executable,
        "-m",
        "casenotes.cli",
        "synth",
        "--notes",
        str(notes),
        "--seed",
        str(seed),
        "--out",
        str(out),
    ]
    if stats:
        command.append("--stats")
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"synth failed: {process.stderr.read().decode()[-2000:]}")
    return {
        "notes": notes,
        "seconds": round(elapsed, 2),
        "notes_per_second": round(notes / elapsed, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        "output_mb": round(out.stat().st_size / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            out = Path(folder) / f"synth_{size}.jsonl"
            result = run_synth(size, args.seed, out, stats=False)
            runs.append(result)
            print(
                f"{size:>9,} notes  {result['seconds']:>7.1f}s  "
                f"{result['notes_per_second']:>8,.0f} notes/s  peak {result['peak_rss_mb']} MB"
            )
        # Diversity figures of the largest corpus, in a separate process, so that the statistics'
        # own memory (skeleton hashes, vocabulary) is not counted as the generator's.
        figures = Path(folder) / "stats.json"
        subprocess.run(
            [sys.executable, "-m", "casenotes.cli", "stats", str(out), "--out", str(figures)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stats = json.loads(figures.read_text())

    smallest, largest = runs[0], runs[-1]
    memory_ratio = largest["peak_rss_mb"] / smallest["peak_rss_mb"]
    summary = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "seed": args.seed,
        "runs": runs,
        "peak_memory_ratio_largest_vs_smallest": round(memory_ratio, 3),
        "streams_within_10_percent": memory_ratio <= 1.10,
        "diversity_at_largest": {
            key: stats[key]
            for key in (
                "skeleton_ratio",
                "distinct_sentence_skeletons",
                "sentences",
                "vocabulary",
                "type_token_ratio",
                "type_token_ratio_first_10000",
                "surface_forms_per_category",
                "qualifier_shares",
                "subject_shares",
                "notes_without_pii",
                "notes_without_mentions",
                "escalated_share",
            )
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_synth.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = [
        "# Synthetic generator benchmark",
        "",
        f"`python evaluation/bench_synth.py --sizes {' '.join(map(str, args.sizes))} "
        f"--seed {args.seed}` on {os.cpu_count()} CPUs, Python {platform.python_version()}.",
        "",
        "| notes | seconds | notes/s | peak RSS (MB) | output (MB) |",
        "| ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {r['notes']:,} | {r['seconds']} | {r['notes_per_second']:,.0f} | "
            f"{r['peak_rss_mb']} | {r['output_mb']} |"
            for r in runs
        ),
        "",
        f"Peak memory, largest vs smallest run: x{memory_ratio:.3f} "
        f"({'within' if memory_ratio <= 1.10 else 'NOT within'} 10%).",
        "",
        f"Diversity at {largest['notes']:,} notes: skeleton ratio "
        f"{stats['skeleton_ratio']}, vocabulary {stats['vocabulary']:,}, TTR (first 10k words) "
        f"{stats['type_token_ratio_first_10000']}; qualifier shares "
        f"{json.dumps(stats['qualifier_shares'])}.",
        "",
    ]
    (RESULTS / "bench_synth.md").write_text("\n".join(lines))
    print(f"peak memory ratio x{memory_ratio:.3f}; results in {RESULTS}")


if __name__ == "__main__":
    main()
