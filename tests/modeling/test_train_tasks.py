"""The case-escalation task end to end, and the verify gate refusing identifiable notes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from casenotes.errors import InputError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def oracle_corpus(raw_corpus, tmp_path_factory):
    """The raw corpus with every gold PII span replaced by its label (an oracle de-identifier)."""
    from casenotes.io import read_notes, write_notes

    def scrubbed(notes):
        for note in notes:
            text, pieces, last = note.text, [], 0
            for span in sorted(note.pii or (), key=lambda s: s.start):
                pieces += [text[last : span.start], f"[{span.label.value}]"]
                last = span.end
            pieces.append(text[last:])
            yield dataclasses.replace(note, text="".join(pieces), pii=(), mentions=None)

    path = tmp_path_factory.mktemp("oracle") / "notes.jsonl"
    write_notes(path, scrubbed(located.note for located in read_notes(raw_corpus)))
    return path


def test_case_escalation_trains_on_early_notes_of_each_case(oracle_corpus, tmp_path):
    from casenotes.modeling.config import TrainConfig
    from casenotes.modeling.train import train

    config = TrainConfig.model_validate(
        {
            "task": "case_escalation",
            "synthetic": True,
            "out": str(tmp_path),
            # Oracle text still holds what the PII detector wrongly flags (typos, brand names);
            # `casenotes deidentify` output would have those replaced, so 5% would do there.
            "privacy": {
                "deidentify": "verify",
                "verify_sample": 100,
                "max_identifiable_share": 0.4,
                "min_cases": 3,
            },
            "case": {"observation_days": 150},
            "evaluation": {"n_boot": 100},
            "fairness": {"n_boot": 100},
            "explain": {"examples": 2, "deletion_notes": 20},
            "models": [{"name": "mentions_lr", "kind": "mention_linear"}],
        }
    )
    result = train(config, oracle_corpus, log_to_mlflow=False)
    assert result.gate["mode"] == "verify" and result.gate["sampled"] == 100
    n_cases = len({json.loads(line)["case_id"] for line in oracle_corpus.open()})
    split = result.split
    assert split["train"] + split["validation"] + split["test"] <= n_cases
    assert split["cases"]["test"] == split["test"]  # one example per case
    model = result.models[0]
    assert list(model.evaluation["labels"]) == ["escalated"]
    test = model.evaluation["labels"]["escalated"]["test"]
    assert test["auroc"]["value"] is not None
    fairness = model.fairness["escalated"]
    assert {"sex", "ethnicity"} <= set(fairness["attributes"])
    assert "cases" in fairness["settings"]["unit"]
    page = (result.out_dir / "mentions_lr" / "reports" / "evaluation.html").read_text()
    assert "escalated" in page


def test_verify_gate_refuses_raw_notes_naming_them(raw_corpus, tmp_path):
    from casenotes.modeling.config import TrainConfig
    from casenotes.modeling.train import train

    config = TrainConfig.model_validate(
        {
            "out": str(tmp_path),
            "privacy": {"deidentify": "verify", "verify_sample": 60},
            "models": [{"name": "mentions_lr", "kind": "mention_linear"}],
        }
    )
    with pytest.raises(InputError, match=r"refusing to train: \d+ of 60 sampled notes") as error:
        train(config, raw_corpus, log_to_mlflow=False)
    message = str(error.value)
    assert "First notes: C" in message and "PERSON" in message
    first_note_text = json.loads(raw_corpus.open().readline())["text"]
    assert first_note_text[:30] not in message
