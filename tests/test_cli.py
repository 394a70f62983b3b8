"""End to end: the ``casenotes`` command as a user runs it, in a subprocess."""

import json
import subprocess
import sys

import pytest

from casenotes.errors import ExitCode

SECRET_TEXT = "Jolene Wexford-Quist said the dog bit her"


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "casenotes.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_version_and_help_on_every_command():
    version = run("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("casenotes ")
    for command in ("synth", "stats", "validate"):
        shown = run(command, "--help")
        assert shown.returncode == 0, shown.stderr
        assert "Usage" in shown.stdout


def test_synth_then_validate_then_stats(tmp_path):
    out = tmp_path / "notes.jsonl"
    made = run("synth", "--notes", 60, "--seed", 7, "--out", out, "--stats", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "wrote 60 notes" in made.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 60
    first = json.loads(lines[0])
    assert {"note_id", "case_id", "date", "text", "pii", "mentions", "escalated"} <= set(first)
    figures = json.loads((tmp_path / "notes.stats.json").read_text())
    assert figures["notes"] == 60
    assert figures["input"] == {"source": str(out), "read": 60, "written": 60, "rejected": 0}

    checked = run("validate", out)
    assert checked.returncode == 0, checked.stderr
    assert "60 valid, 0 rejected" in checked.stdout

    shown = run("stats", out)
    assert shown.returncode == 0
    assert json.loads(shown.stdout)["mentions"] == figures["mentions"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_synth_writes_every_format_and_reads_it_back(tmp_path, suffix):
    out = tmp_path / f"notes{suffix}"
    assert run("synth", "--notes", 25, "--seed", 2, "--out", out, cwd=tmp_path).returncode == 0
    checked = run("validate", out)
    assert checked.returncode == 0, checked.stderr
    assert "25 valid" in checked.stdout


def test_broken_input_gives_rejects_and_exit_code_3_without_leaking_text(tmp_path):
    good = {"note_id": "a1", "text": "Visit completed.", "case_id": "c1"}
    overlapping = {
        "note_id": "a2",
        "text": SECRET_TEXT,
        "pii": [{"start": 0, "end": 6, "label": "PERSON"}],
        "mentions": [{"start": 3, "end": 10, "label": "neglect"}],
    }
    path = tmp_path / "broken.jsonl"
    path.write_bytes(
        b"\n".join(
            [
                json.dumps(good).encode(),
                b'{"note_id": "a3", "text": "' + SECRET_TEXT.encode() + b' \xff\xfe"}',
                b'{"note_id": "a4", "text": ',
                json.dumps({"note_id": "a5"}).encode(),
                json.dumps(overlapping).encode(),
            ]
        )
        + b"\n"
    )
    checked = run("validate", path)
    assert checked.returncode == ExitCode.BAD_INPUT
    assert "read 5 records: 1 valid, 4 rejected" in checked.stdout
    rejects_path = tmp_path / "broken.rejects.jsonl"
    rejects = [json.loads(line) for line in rejects_path.read_text().splitlines()]
    assert [(r["line"], r["note_id"]) for r in rejects] == [
        (2, "a3"),
        (3, "a4"),  # malformed JSON: the id is salvaged when it is plainly there
        (4, "a5"),
        (5, "a2"),
    ]
    assert "UTF-8" in rejects[0]["reason"]
    assert "missing text" in rejects[2]["reason"]
    assert "overlaps" in rejects[3]["reason"]
    for output in (checked.stdout, checked.stderr, rejects_path.read_text()):
        assert "Jolene" not in output and "dog bit" not in output


def test_missing_input_and_bad_config_have_their_own_exit_codes(tmp_path):
    missing = run("validate", tmp_path / "nope.jsonl")
    assert missing.returncode == ExitCode.BAD_INPUT
    assert "nope.jsonl" in missing.stderr

    config = tmp_path / "synth.toml"
    config.write_text("seed = 1\nnotse = 5\n")
    bad = run("synth", "--config", config, "--out", tmp_path / "x.jsonl")
    assert bad.returncode == ExitCode.BAD_CONFIG
    assert "unknown key 'notse'" in bad.stderr
    assert not (tmp_path / "x.jsonl").exists()

    usage = run("synth")
    assert usage.returncode == ExitCode.USAGE_ERROR
