"""The whole tagging pipeline as an MLflow pyfunc: logged without key or text, loaded, applied
with pandas and as a Spark UDF, it gives what the Tagger gives (real MLflow store, real Spark)."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from casenotes import tracking
from casenotes.batch.config import TagConfig
from casenotes.batch.tagger import REASON_BLANK, REASON_NUL, Tagger, tag_settings
from casenotes.config import SynthConfig
from casenotes.errors import ConfigError, InputError, RecordError
from casenotes.records import DIRECT_IDENTIFIERS, Note

pytestmark = [pytest.mark.spark, pytest.mark.slow]

KEY = "5f0c2b7e9a41d6838e12f4a0c7b95d26"  # a test key: never a real one
KEY_ENV = "CASENOTES_TEST_TAG_KEY"
REQUIREMENTS = ["spacy==3.8.18", "presidio-analyzer==2.2.366"]  # only recorded: loaded locally
BAD_ROWS = [  # rows that are not notes, or that the tagger refuses
    {"note_id": "bad-no-text", "text": None, "case_id": "C9", "date": "2024-02-01"},
    {"note_id": None, "text": "Seen at home with Mum.", "case_id": "C9", "date": None},
    {"note_id": "bad-date", "text": "Seen at home.", "case_id": None, "date": "2024-13-45"},
    {"note_id": "blank", "text": "   ", "case_id": "C9", "date": None},
    {"note_id": "nul", "text": "Seen\x00 at home.", "case_id": None, "date": None},
]


@pytest.fixture(scope="module")
def key_in_environment():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, KEY)
        yield


@pytest.fixture(scope="module")
def settings():
    """Keyed pseudonyms, so the model must find the key where it is loaded."""
    settings = tag_settings(TagConfig(mode="pseudonym"), key=KEY.encode())
    return dataclasses.replace(settings, deid=settings.deid.model_copy(update={"key_env": KEY_ENV}))


@pytest.fixture(scope="module")
def notes() -> list[Note]:
    from casenotes.synth.generator import generate

    return list(generate(SynthConfig(notes=16, seed=41)))


@pytest.fixture(scope="module")
def frame(notes) -> pd.DataFrame:
    rows = [
        {
            "note_id": note.note_id,
            "text": note.text,
            "case_id": note.case_id,
            "date": note.date.isoformat() if note.date else None,
        }
        for note in notes
    ]
    for offset, row in enumerate(BAD_ROWS):
        rows.insert(3 * offset + 1, row)
    return pd.DataFrame(rows, columns=list(tracking.TAGGING_INPUTS))


@pytest.fixture(scope="module")
def store(tmp_path_factory, settings, key_in_environment):
    """A tracking store holding one logged tagging model: (folder, model URI)."""
    folder = tmp_path_factory.mktemp("tag-pyfunc")
    path = tracking.write_tagging_settings(settings, folder / "tag_settings.json")
    tracker = tracking.Tracker(f"sqlite:///{folder}/mlflow.db", "t")
    with tracker.run("tag"):
        uri = tracker.log_tagging_pyfunc(path, REQUIREMENTS)
    return folder, uri


def activate(store) -> str:
    """Point MLflow at the store again (a model URI is resolved through the global tracking
    URI, which another test's Tracker may have moved); returns the model URI."""
    folder, uri = store
    tracking.Tracker(f"sqlite:///{folder}/mlflow.db", "t")
    return uri


@pytest.fixture(scope="module")
def expected(frame, settings) -> list[dict]:
    """What the Tagger makes of the same rows, in one call, in the output's shape."""
    parsed = []
    for row in frame.to_dict("records"):
        record = {k: v for k, v in row.items() if v is not None and not pd.isna(v)}
        try:
            parsed.append(Note.from_record(record))
        except RecordError as error:
            parsed.append(error)
    results = iter(Tagger(settings)([item for item in parsed if isinstance(item, Note)]))
    rows = []
    for row, item in zip(frame.to_dict("records"), parsed, strict=True):
        result = next(results) if isinstance(item, Note) else item
        if isinstance(result, RecordError):
            note_id = row["note_id"] if isinstance(row["note_id"], str) else ""
            rows.append({"note_id": note_id, "rejected": str(result), "text": ""})
            continue
        record = result.to_record()
        rows.append(
            {
                "note_id": record["note_id"],
                "rejected": "",
                "text": record["text"],
                "pii": record["pii"],
                "mentions": record["mentions"],
                "risks": record["risks"],
                "toxic_trio": record["risks"]["toxic_trio"],
            }
        )
    return rows


@pytest.fixture(scope="module")
def predicted(store, frame) -> pd.DataFrame:
    model = tracking.load_pyfunc(activate(store))
    return model.predict(frame)


def comparable(output: pd.DataFrame) -> list[dict]:
    """The output rows with their JSON columns parsed, in the shape of ``expected``."""
    rows = []
    for row in output.to_dict("records"):
        if row["rejected"]:
            rows.append({"note_id": row["note_id"], "rejected": row["rejected"], "text": ""})
            assert (row["pii"], row["mentions"], row["risks"]) == ("null",) * 3
            assert not row["toxic_trio"]
            continue
        rows.append(
            {
                "note_id": row["note_id"],
                "rejected": "",
                "text": row["text"],
                "pii": json.loads(row["pii"]),
                "mentions": json.loads(row["mentions"]),
                "risks": json.loads(row["risks"]),
                "toxic_trio": bool(row["toxic_trio"]),
            }
        )
    return rows


def test_settings_round_trip_and_the_key_comes_from_the_environment(
    tmp_path, settings, monkeypatch
):
    path = tracking.write_tagging_settings(settings, tmp_path / "settings.json")
    assert KEY not in path.read_text() and "clearance" not in path.read_text()

    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ConfigError, match=f"set the environment variable {KEY_ENV}"):
        tracking.read_tagging_settings(path)
    monkeypatch.setenv(KEY_ENV, KEY)
    assert tracking.read_tagging_settings(path) == settings

    placeholders = dataclasses.replace(settings, tag=TagConfig(mode="placeholder"), key=None)
    monkeypatch.delenv(KEY_ENV)
    read = tracking.read_tagging_settings(
        tracking.write_tagging_settings(placeholders, tmp_path / "plain.json")
    )
    assert read == placeholders and read.key is None


def test_the_logged_model_holds_no_key_and_no_note_text(store, notes):
    folder, _ = store
    stored = b"".join(path.read_bytes() for path in folder.rglob("*") if path.is_file())
    assert b"tag_settings.json" in stored  # the settings are there, as a file of the model
    assert KEY.encode() not in stored
    identifiers = {label.value for label in DIRECT_IDENTIFIERS}
    for note in notes:
        assert note.text.encode() not in stored
        for span in note.pii or ():
            value = note.text[span.start : span.end]
            if span.label.value in identifiers and len(value) >= 8:
                assert value.encode() not in stored, (note.note_id, span.label.value)


def test_the_pyfunc_tags_like_the_tagger(predicted, expected, frame):
    assert list(predicted.columns) == list(tracking.TAGGING_OUTPUTS)
    assert predicted["toxic_trio"].dtype == bool
    assert comparable(predicted) == expected
    rejected = dict(zip(predicted["note_id"], predicted["rejected"], strict=True))
    assert rejected["bad-no-text"] == "missing text" and rejected[""] == "missing note_id"
    assert rejected["bad-date"].startswith("date is not") and rejected["blank"] == REASON_BLANK
    assert rejected["nul"] == REASON_NUL
    assert sum(1 for reason in predicted["rejected"] if reason) == len(BAD_ROWS)


def test_missing_columns_are_an_input_error():
    with pytest.raises(InputError, match="no column note_id"):
        tracking.tag_frame(None, pd.DataFrame({"text": ["Seen at home."]}))


def test_the_spark_udf_gives_the_same_rows(store, frame, predicted):
    from pyspark.sql import functions as F

    from casenotes.batch.spark import start_session

    # One partition, one Arrow batch: one predict call, as in the pandas test above.
    spark = start_session(
        "local[2]",
        app_name="casenotes-test-tag-pyfunc",
        config={"spark.sql.execution.arrow.maxRecordsPerBatch": "10000"},
    )
    try:
        tag = tracking.tagging_udf(spark, activate(store), extra_env={KEY_ENV: KEY})
        notes = spark.createDataFrame(frame.assign(order=range(len(frame)))).coalesce(1)
        # as in the README: a date column cast to a string, the raw text dropped
        date = F.col("date").cast("string").alias("date")
        inputs = F.struct("note_id", "text", "case_id", date)
        tagged = notes.withColumn("tagged", tag(inputs)).drop("text")
        on_spark = tagged.select("order", "tagged.*").toPandas()
        on_spark = on_spark.sort_values("order").drop(columns="order")
    finally:
        spark.stop()
    assert on_spark["note_id"].tolist() == predicted["note_id"].tolist()
    assert comparable(on_spark.reset_index(drop=True)) == comparable(predicted)


def test_rule_files_travel_with_the_model(tmp_path, settings, key_in_environment):
    from importlib import resources

    rules = tmp_path / "my_risk_rules.yaml"
    rules.write_bytes(
        (resources.files("casenotes.resources.extract") / "risk_rules.yaml").read_bytes()
    )
    custom = dataclasses.replace(
        settings, extract=settings.extract.model_copy(update={"risk_rules": rules})
    )
    path = tracking.write_tagging_settings(custom, tmp_path / "settings.json")
    tracker = tracking.Tracker(f"sqlite:///{tmp_path}/mlflow.db", "t")
    with tracker.run("tag"):
        tracker.log_tagging_pyfunc(path, [])
    logged = [p for p in (tmp_path / "mlartifacts").rglob("my_risk_rules.yaml")]
    assert len(logged) == 1 and logged[0].read_bytes() == rules.read_bytes()
    read = tracking.read_tagging_settings(path, {"risk_rules": logged[0]})
    assert read.extract.risk_rules == logged[0]

    rules.unlink()
    with pytest.raises(ConfigError, match=r"extract\.risk_rules"), tracker.run("tag again"):
        tracker.log_tagging_pyfunc(path, [])


def test_missing_key_is_a_clear_error_when_the_model_loads(store, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(ConfigError, match=KEY_ENV):
        tracking.load_pyfunc(activate(store))
