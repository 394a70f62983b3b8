"""``casenotes tag`` end to end, as analysts run it: the real de-identifier and extractor, a real
MLflow store, a real SIGKILL of the process and a resume, and the Spark engine against the local
one. Subprocesses run from the repository root so the packaged configs are used."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from casenotes.batch.runner import MANIFEST_NAME, Manifest
from casenotes.errors import InputError
from casenotes.io import read_notes

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHUNK = "100"
BAD_LINES = [
    b'{"note_id": "BAD-UTF8", "text": "caf\xe9"}',
    b'{"note_id": "BAD-JSON", "text": ',
    b'{"note_id": "EMPTY", "text": ""}',
    b'{"note_id": "JUNK", "text": "' + b"\\u0001\\u0002zz" * 40 + b'"}',
]


def _casenotes(*args: str, tracking: Path | None = None, **kwargs) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    command = [sys.executable, "-m", "casenotes.cli", *args]
    if tracking is not None:
        command += ["--tracking-uri", f"sqlite:///{tracking}"]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )


def _finish(process: subprocess.Popen, timeout: float = 900) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out.decode() + err.decode()


@pytest.fixture(scope="session")
def archive(raw_corpus, tmp_path_factory) -> Path:
    """The 1,000-note synthetic corpus with bad records spread through it."""
    lines = raw_corpus.read_bytes().splitlines()
    for offset, bad in zip((50, 333, 640, 999), BAD_LINES, strict=True):
        lines.insert(offset, bad)
    path = tmp_path_factory.mktemp("tag_archive") / "archive.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture(scope="session")
def tagged(archive, tmp_path_factory) -> dict:
    """One uninterrupted run, one process, logged to a fresh MLflow store."""
    folder = tmp_path_factory.mktemp("tagged")
    out, store = folder / "out", folder / "mlflow.db"
    code, log = _finish(
        _casenotes(
            "tag", str(archive), "--out", str(out), "--checkpoint-notes", CHUNK,
            "--group-by", "ethnicity", tracking=store,
        )
    )  # fmt: skip
    assert code == 0, log
    return {"out": out, "store": store, "log": log, "folder": folder}


def _records(out: Path) -> list[dict]:
    return [item.note.to_record() for item in read_notes(out / "notes")]


def _valid_ids(archive: Path) -> list[str]:
    ids = []
    for line in archive.read_bytes().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("text") and "\\u0001" not in line.decode():
            ids.append(record["note_id"])
    return ids


def test_every_valid_note_is_tagged_once_and_every_bad_one_rejected(tagged, archive):
    out = tagged["out"]
    records = _records(out)
    ids = [r["note_id"] for r in records]
    assert ids == _valid_ids(archive) and len(ids) == 1000
    rejects = [json.loads(x) for x in (out / "rejects.jsonl").read_text().splitlines()]
    assert [r["note_id"] for r in rejects] == ["BAD-UTF8", "BAD-JSON", "EMPTY", "JUNK"]
    assert "read 1,004 = written 1,000 + rejected 4" in tagged["log"]
    # Notes are de-identified and tagged.
    assert all(r["pii"] is not None and r["mentions"] is not None for r in records)
    assert any("[PERSON_" in r["text"] for r in records)
    assert all("risks" in r for r in records)


def test_no_gold_identifier_or_note_text_reaches_the_store_summary_or_log(
    tagged, gold_values, raw_corpus
):
    assert len(gold_values) > 200
    sentences = set()
    for line in raw_corpus.read_text().splitlines()[:200]:
        text = json.loads(line)["text"]
        sentences.update(s.strip() for s in text.split(".") if len(s.strip()) > 40)
    folder = tagged["folder"]
    searched = [tagged["store"], *(folder / "mlartifacts").rglob("*")]
    searched += [tagged["out"] / name for name in ("summary.json", "summary.md", "summary.html")]
    files = [p for p in searched if p.is_file()]
    assert any(p.name == "summary.html" for p in files) and len(files) > 5
    for path in files:
        content = path.read_bytes()
        assert not [v for v in gold_values if v.encode() in content], path
        assert not [s for s in sentences if s.encode() in content], path
    assert not [v for v in gold_values if v in tagged["log"]]


def test_the_run_is_logged_with_counts_rules_and_the_pipeline_model(tagged):
    with sqlite3.connect(tagged["store"]) as db:
        metrics = dict(db.execute("select key, value from metrics").fetchall())
        tags = dict(db.execute("select key, value from tags").fetchall())
        params = dict(db.execute("select key, value from params").fetchall())
    assert metrics["read"] == 1004 and metrics["written"] == 1000 and metrics["rejected"] == 4
    assert metrics["notes_per_second"] > 0
    assert tags["casenotes.command"] == "tag" and tags["casenotes.engine"] == "local"
    rules = {"casenotes.rules.risk_rules.yaml.version", "casenotes.rules.context_rules.yaml.digest"}
    assert rules <= set(tags)
    assert params["summary.group_by"] == "['ethnicity']"
    artifacts = {p.name for p in (tagged["folder"] / "mlartifacts").rglob("*")}
    assert {"summary.html", "summary.json", "rejects_by_reason.json", "MLmodel"} <= artifacts


def test_summary_suppresses_small_counts_in_every_file(tagged):
    summary = json.loads((tagged["out"] / "summary.json").read_text())
    shown = []

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif key in ("n", "count") and isinstance(value, int):
            shown.append(value)

    walk(summary["tables"])
    assert shown and min(shown) >= 10


def test_sigkill_mid_run_then_resume_loses_and_duplicates_nothing(tagged, archive, tmp_path):
    out = tmp_path / "out"
    args = ["tag", str(archive), "--out", str(out), "--checkpoint-notes", CHUNK]
    args += ["--group-by", "ethnicity", "--no-mlflow"]
    process = _casenotes(*args, "--processes", "2")
    manifest_path = out / MANIFEST_NAME
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:
        if manifest_path.exists():
            with contextlib.suppress(InputError):
                if Manifest.load(manifest_path).parts >= 3:
                    break
        time.sleep(0.2)
    assert process.poll() is None, "the run ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    stopped = Manifest.load(manifest_path)
    assert not stopped.complete and 300 <= stopped.position < 1004
    assert not (out / "rejects.jsonl").exists()

    code, log = _finish(_casenotes(*args))
    assert code == 3 and "--resume" in log  # refuses to start over silently

    code, log = _finish(_casenotes(*args, "--resume"))
    assert code == 0, log
    assert "resuming" in log and "read 1,004 = written 1,000 + rejected 4" in log
    records = _records(out)
    ids = [r["note_id"] for r in records]
    assert ids == _valid_ids(archive) and len(set(ids)) == len(ids)
    # Chunks are the unit of work: two processes, a kill and a resume write what one process
    # wrote in one go, byte for byte in every record.
    assert records == _records(tagged["out"])
    assert (out / "rejects.jsonl").read_text() == (tagged["out"] / "rejects.jsonl").read_text()
    assert (
        json.loads((out / "summary.json").read_text())["tables"]
        == json.loads((tagged["out"] / "summary.json").read_text())["tables"]
    )
    assert Manifest.load(manifest_path).attempts == 2


@pytest.mark.spark
def test_spark_engine_writes_the_same_records_as_the_local_engine(archive, tmp_path):
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"\n".join(archive.read_bytes().splitlines()[:130]) + b"\n")
    outputs = {}
    for engine in ("local", "spark"):
        out = tmp_path / engine
        args = ["tag", str(small), "--out", str(out), "--checkpoint-notes", "30", "--no-mlflow"]
        extra = ["--master", "local[2]"] if engine == "spark" else []
        code, log = _finish(_casenotes(*args, "--engine", engine, *extra))
        assert code == 0, log
        outputs[engine] = (_records(out), (out / "rejects.jsonl").read_text())
    assert len(outputs["local"][0]) == 129
    assert outputs["spark"] == outputs["local"]
