"""Batch tagging speed and memory: ``casenotes tag`` as an analyst runs it, engine against engine.

Every configuration is a separate ``casenotes tag`` process on the same synthetic archive (seed
4242, never used in development), written as JSONL, output Parquet, no MLflow logging:

- speed (``--part speed``): the local engine with 1 and 2 processes and Spark ``local[2]`` on the
  same 20,000 notes. The headline rate is the steady one: input records per second between the
  4th part written and the last (from the manifest's timeline), once every worker has loaded its
  models (one-off costs of 10-20 s that do not grow with the archive). The end-to-end rate (all
  records over the whole tagging time, model loading included) and the wall-clock overhead
  (process and Spark start-up, the final checks and summary) are reported beside it;
- memory (``--part memory``): peak resident memory of the whole process tree (the command, its
  worker processes or Spark's JVM and Python workers, summed and sampled every 0.25 s) at 10,000
  and at 100,000 notes with 2 processes;
- projections: hours for 1 and 10 million notes from the measured one-process rate per core and
  the measured two-process scaling.

    .venv/bin/python evaluation/bench_tag.py [--part speed|memory|all] [--notes 20000]

Writes evaluation/results/bench_tag.{json,md} (a part run alone keeps the other part's figures).
Targets (issue 6): two processes ≥ 1.7× one; peak memory at 100,000 notes within 10% of that at
10,000; Spark local[2] within 70% of the local engine's two-process rate.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]
SEED = 4242
SAMPLE_SECONDS = 0.25
STEADY_FROM_PART = 3  # the steady rate is measured from the 4th part written to the last


def make_archive(path: Path, notes: int) -> Path:
    from casenotes.config import SynthConfig
    from casenotes.io import write_notes
    from casenotes.synth.generator import generate

    if not path.exists():
        write_notes(path, generate(SynthConfig(notes=notes, seed=SEED)))
    return path


class TreeMemory:
    """Peak of the summed RSS of a process and all its descendants, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.peak = max(self.peak, total)
            time.sleep(SAMPLE_SECONDS)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


def run_tag(archive: Path, work: Path, name: str, *args: str) -> dict:
    out = work / name
    shutil.rmtree(out, ignore_errors=True)
    command = [
        sys.executable, "-m", "casenotes.cli", "tag", str(archive), "--out", str(out),
        "--no-mlflow", *args,
    ]  # fmt: skip
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    memory = TreeMemory(process.pid)
    _, err = process.communicate()
    wall = time.perf_counter() - start
    peak = memory.stop()
    if process.returncode != 0:
        raise SystemExit(f"{name} failed ({process.returncode}):\n{err[-3000:]}")
    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["counts"]
    tagging = manifest["tagging_seconds"]
    timeline = manifest["timeline"]
    steady = None
    if len(timeline) > STEADY_FROM_PART + 1:
        (start_pos, start_t), (end_pos, end_t) = timeline[STEADY_FROM_PART], timeline[-1]
        steady = round((end_pos - start_pos) / (end_t - start_t), 2)
    result = {
        "name": name,
        "args": list(args),
        "notes": counts["written"],
        "read": counts["read"],
        "rejected": counts["rejected"],
        "tagging_seconds": round(tagging, 1),
        "wall_seconds": round(wall, 1),
        "overhead_seconds": round(wall - tagging, 1),
        "notes_per_second_end_to_end": round(counts["read"] / tagging, 2),
        "notes_per_second": steady,
        "peak_rss_mb": round(peak, 1),
    }
    print(json.dumps(result), flush=True)
    shutil.rmtree(out, ignore_errors=True)
    return result


def speed(work: Path, notes: int) -> dict:
    archive = make_archive(work / f"archive-{notes}.jsonl", notes)
    runs = {
        "local_1": run_tag(archive, work, "local_1", "--processes", "1"),
        "local_2": run_tag(archive, work, "local_2", "--processes", "2"),
        "spark_local_2": run_tag(
            archive, work, "spark_local_2", "--engine", "spark", "--master", "local[2]"
        ),
    }
    one, two = runs["local_1"]["notes_per_second"], runs["local_2"]["notes_per_second"]
    spark = runs["spark_local_2"]["notes_per_second"]
    scaling = two / one
    projections = {}
    for total in (1_000_000, 10_000_000):
        projections[f"{total:,}"] = {
            f"{cores} core(s)": round(total / (one * cores * (scaling / 2 if cores > 1 else 1))
                                      / 3600, 1)
            for cores in (1, 2, 8, 32)
        }  # fmt: skip
    return {
        "notes": notes,
        "runs": runs,
        "ratios": {
            "local_two_vs_one_process": round(scaling, 3),
            "spark_local2_vs_local_two_process": round(spark / two, 3),
        },
        "per_core_rate": one,
        "projected_hours": projections,
        "projection_rule": (
            "hours = notes / (one-process rate × cores × efficiency), where efficiency is the "
            "measured two-process speed-up divided by 2 (1 for one core); assumes the archive "
            "is read as fast as it is tagged and that efficiency holds beyond two cores"
        ),
    }


def memory(work: Path, sizes: tuple[int, int]) -> dict:
    runs = {}
    for size in sizes:
        archive = make_archive(work / f"archive-{size}.jsonl", size)
        runs[str(size)] = run_tag(archive, work, f"memory_{size}", "--processes", "2")
    small, large = (runs[str(s)]["peak_rss_mb"] for s in sizes)
    return {"runs": runs, "ratio_large_vs_small": round(large / small, 3)}


def markdown(results: dict) -> str:
    lines = ["# Batch tagging benchmark", ""]
    lines.append(
        f"`.venv/bin/python evaluation/bench_tag.py`: synthetic notes (seed {SEED}), "
        f"{results['machine']['cpus']} CPUs, Python {results['machine']['python']}; every run a "
        "separate `casenotes tag` process (de-identify + extract, Parquet parts, no MLflow)."
    )
    if "speed" in results:
        part = results["speed"]
        lines += ["", f"## Speed on the same {part['notes']:,} notes", ""]
        lines += [
            "| engine | notes/s (steady) | notes/s (end to end) | tagging s | other wall s "
            "| peak RSS (MB) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, run in part["runs"].items():
            lines.append(
                f"| {name} | {run['notes_per_second']} | {run['notes_per_second_end_to_end']} | "
                f"{run['tagging_seconds']} | {run['overhead_seconds']} | {run['peak_rss_mb']} |"
            )
        ratios = part["ratios"]
        lines += [
            "",
            f"- two processes vs one: **{ratios['local_two_vs_one_process']}×** (target ≥ 1.7)",
            f"- Spark local[2] vs local two processes: "
            f"**{ratios['spark_local2_vs_local_two_process']:.0%}** (target ≥ 70%)",
            "",
            f"Projected hours ({part['projection_rule']}):",
            "",
            "| notes | " + " | ".join(next(iter(part["projected_hours"].values()))) + " |",
            "| --- |" + " ---: |" * len(next(iter(part["projected_hours"].values()))),
        ]
        for total, hours in part["projected_hours"].items():
            lines.append(f"| {total} | " + " | ".join(str(h) for h in hours.values()) + " |")
    if "memory" in results:
        part = results["memory"]
        lines += ["", "## Peak memory against archive size (two processes)", ""]
        lines += [
            "| notes | peak RSS of the process tree (MB) | notes/s |",
            "| ---: | ---: | ---: |",
        ]
        for size, run in part["runs"].items():
            lines.append(f"| {int(size):,} | {run['peak_rss_mb']} | {run['notes_per_second']} |")
        lines += [
            "",
            f"- 100,000 vs 10,000 notes: **{part['ratio_large_vs_small']}×** (target ≤ 1.10)",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("speed", "memory", "all"), default="all")
    parser.add_argument("--notes", type=int, default=20_000, help="notes for the speed runs")
    parser.add_argument("--memory-sizes", type=int, nargs=2, default=(10_000, 100_000))
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: temp)")
    args = parser.parse_args()
    for key, value in {
        "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "HF_HUB_OFFLINE": "1",
    }.items():
        os.environ.setdefault(key, value)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "bench_tag.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        if args.part in ("memory", "all"):
            results["memory"] = memory(work, tuple(args.memory_sizes))
        if args.part in ("speed", "all"):
            results["speed"] = speed(work, args.notes)
    path.write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "bench_tag.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
