"""Shared by every test.

Every test runs offline, as the CLI does: the same environment defaults, set before any test
module imports huggingface_hub, presidio or mlflow (they read these when first imported). A
synthetic corpus with gold PII, and the gold values a privacy check searches for, are built once
per session."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from casenotes.cli import OFFLINE_ENVIRONMENT
from casenotes.config import SynthConfig
from casenotes.records import DIRECT_IDENTIFIERS

for _key, _value in OFFLINE_ENVIRONMENT.items():
    os.environ.setdefault(_key, _value)


@pytest.fixture(scope="session")
def raw_corpus(tmp_path_factory) -> Path:
    """1,000 raw synthetic notes (with gold PII and mentions) as JSONL."""
    from casenotes.io import write_notes
    from casenotes.synth.generator import generate

    path = tmp_path_factory.mktemp("corpus") / "notes.jsonl"
    write_notes(path, generate(SynthConfig(notes=1000, seed=31)))
    return path


@pytest.fixture(scope="session")
def gold_values(raw_corpus) -> set[str]:
    """Gold direct-identifier values (4+ characters) that can only have come from the PII.

    A value that also occurs anywhere else — in the corpus with every PII span blanked (a surname
    "Black" is also an ethnicity group; a first name "Erin" is inside "referring") or in the
    casenotes source that a logged model carries — would be found in the store whether or not it
    leaked, so it cannot show a leak and is left out.
    """
    import casenotes

    values, background = set(), []
    identifiers = {label.value for label in DIRECT_IDENTIFIERS}
    for line in raw_corpus.read_text().splitlines():
        record = json.loads(line)
        chars = list(record["text"])
        for span in record.get("pii") or []:
            if span["label"] in identifiers:
                value = record["text"][span["start"] : span["end"]]
                if len(value) >= 4:
                    values.add(value)
            chars[span["start"] : span["end"]] = " " * (span["end"] - span["start"])
        background.append(json.dumps({**record, "text": "".join(chars), "pii": []}))
    package = Path(casenotes.__file__).parent
    background += [p.read_text() for p in package.rglob("*") if p.suffix in {".py", ".yaml", ".j2"}]
    text = "\n".join(background)
    return {value for value in values if value not in text}
