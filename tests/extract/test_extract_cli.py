"""End to end: `casenotes extract`, `show` and `evaluate extract` on a handful of synthetic notes.

Each command runs in a subprocess; creating a spaCy pipeline loads every installed spaCy entry
point (presidio's pulls in transformers), a few seconds per process, so the extra runs are `slow`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "casenotes.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("extract_cli")
    path = folder / "notes.jsonl"
    done = _run("synth", "--notes", "12", "--seed", "5", "--out", str(path))
    assert done.returncode == 0, done.stderr
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"note_id": "no-text"}\n')  # a bad record, to be rejected
    return path


def _leaks(output: str, notes: list[dict]) -> list[str]:
    """Pieces of note text (15-character windows, or mention values) found in the output."""
    found = []
    for note in notes:
        text = note.get("text") or ""
        for i in range(0, max(len(text) - 15, 0), 5):
            window = text[i : i + 15]
            if window.strip() and window in output:
                found.append(window)
        for m in note.get("mentions") or []:
            value = text[m["start"] : m["end"]]
            if len(value) >= 6 and value in output:
                found.append(value)
    return found


def test_extract_end_to_end(corpus):
    out = corpus.with_name("tagged.jsonl")
    cases = corpus.with_name("cases.jsonl")
    done = _run("extract", str(corpus), "--out", str(out), "--cases", str(cases))
    assert done.returncode == 0, done.stderr
    assert "read 13, wrote 12" in " ".join(done.stderr.split())
    assert "rejected 1" in done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 12
    assert all({"mentions", "risks", "style"} <= set(row) for row in rows)  # columns pass through
    assert sum(len(row["mentions"]) for row in rows) > 0
    for row in rows:
        for m in row["mentions"]:
            assert set(m) == {"start", "end", "label", "negated", "subject", "temporality",
                              "certainty"}  # fmt: skip
    rejects = [json.loads(line) for line in corpus.with_name("tagged.rejects.jsonl").open()]
    assert [r["note_id"] for r in rejects] == ["no-text"]
    summaries = [json.loads(line) for line in cases.read_text().splitlines()]
    assert {s["case_id"] for s in summaries} == {row["case_id"] for row in rows}
    notes = [json.loads(line) for line in corpus.read_text().splitlines()]
    assert _leaks(done.stdout + done.stderr, notes) == []


@pytest.mark.slow
def test_extract_in_two_processes_gives_the_same_output(corpus):
    one, two = corpus.with_name("one.jsonl"), corpus.with_name("two.jsonl")
    assert _run("extract", str(corpus), "--out", str(one)).returncode == 0
    assert _run("extract", str(corpus), "--out", str(two), "--processes", "2").returncode == 0
    assert one.read_text() == two.read_text()


def test_show_writes_an_html_page_and_warns(corpus):
    notes = [json.loads(line) for line in corpus.read_text().splitlines()][:-1]
    note = next(n for n in notes if n["mentions"])
    page = corpus.with_name("note.html")
    done = _run("show", str(corpus), "--id", note["note_id"], "--out", str(page))
    assert done.returncode == 0, done.stderr
    assert "synthetic or de-identified notes only" in done.stderr
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "<mark" in html
    assert _leaks(done.stdout + done.stderr, notes) == []


def test_show_labels_a_note_as_extract_does_after_the_earlier_notes_of_its_case(tmp_path):
    path = tmp_path / "case.jsonl"
    rows = [
        {"note_id": "n1", "case_id": "C1", "text": "Kian (14) seen at school."},
        {"note_id": "n2", "case_id": "C1", "text": "Kian says he has depression."},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "case.risks.jsonl"
    assert _run("extract", str(path), "--out", str(out)).returncode == 0
    extracted = json.loads(out.read_text().splitlines()[1])["mentions"]
    assert [m["subject"] for m in extracted] == ["child"]  # the role note n1 gave Kian
    page = tmp_path / "n2.html"
    assert _run("show", str(path), "--id", "n2", "--out", str(page)).returncode == 0
    assert "mental_health · child · current · affirmed" in page.read_text()


@pytest.mark.slow
def test_show_unknown_id_is_bad_input(corpus):
    done = _run("show", str(corpus), "--id", "nope", "--out", str(corpus.with_name("x.html")))
    assert done.returncode == 3


@pytest.mark.slow
def test_evaluate_extract_writes_reports(corpus):
    out = corpus.parent / "eval"
    done = _run("evaluate", "extract", str(corpus), "--out", str(out))
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "extract_eval.json").read_text())
    assert set(report["systems"]) == {"casenotes", "keyword", "negspacy"}
    assert "| mention F1 |" in (out / "extract_eval.md").read_text()
