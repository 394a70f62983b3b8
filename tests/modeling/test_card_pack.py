"""Model card and review pack from a real training run: schema-complete, logged back to the run,
and the pack read the way a panel member sees it — rendered in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from casenotes.review.card import CARD_JSON, generate_card
from casenotes.review.config import load_card_settings
from casenotes.review.pack import write_pack
from casenotes.review.records import CARD_SCHEMA, TAG_CARD_DIGEST, card_digest, validate

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "ethics" / "schema"
SECTIONS = (
    "summary",
    "purpose",
    "performance",
    "fairness",
    "explanations",
    "data-privacy",
    "risks",
    "decision",
)


@pytest.fixture(scope="module")
def settings():
    return load_card_settings(ROOT / "configs" / "card.toml")


@pytest.fixture(scope="module")
def store(run):
    from casenotes.tracking import RunStore

    return RunStore(run["uri"])


@pytest.mark.parametrize("model", ["tfidf_lr", "mentions_lr"])
def test_card_is_complete_valid_and_logged(run, store, settings, tmp_path, model):
    run_id = next(m.run_id for m in run["result"].models if m.name == model)
    files = generate_card(run_id, store, settings, tmp_path, schemas=SCHEMAS)
    card = json.loads((tmp_path / CARD_JSON).read_text())
    validate(card, CARD_SCHEMA, SCHEMAS)
    schema = json.loads((SCHEMAS / CARD_SCHEMA).read_text())
    assert set(schema["required"]) <= set(card)
    assert card["purpose"]["automated_decisions_prohibited"] is True
    assert (
        card["identity"]["bundle_sha256"]
        == store.run(run_id)["tags"]["casenotes.model.bundle_sha256"]
    )
    assert card["sign_off"] == {"state": "pending", "decision_record": None, "expires": None}
    labels = card["evaluation"]["labels"]
    assert set(labels) == set(run["result"].models[0].evaluation["labels"])
    for entry in labels.values():
        assert {"prevalence", "rules_only"} <= set(entry["baselines"])
        assert entry["metrics"]["auroc"]["low"] <= entry["metrics"]["auroc"]["value"]
    assert card["data"]["deidentification"]["leak_rate"]["value"] is not None
    assert files.digest == card_digest(card)
    assert store.run(run_id)["tags"][TAG_CARD_DIGEST] == files.digest
    logged = store.download(run_id, f"card/{CARD_JSON}", tmp_path / "logged")
    assert json.loads(logged.read_text()) == card
    for name in ("model_card.md", "model_card.html", "atrs_tier1.json", "atrs_tier2.json"):
        assert (tmp_path / name).stat().st_size > 200
    assert "atrs" not in card
    tier2 = json.loads((tmp_path / "atrs_tier2.json").read_text())
    assert tier2["tool_specification"]["bundle_sha256"] == card["identity"]["bundle_sha256"]


def test_a_card_missing_a_section_does_not_validate(run, store, settings, tmp_path):
    from casenotes.errors import InputError
    from casenotes.review.card import build_card, gather

    run_id = run["result"].models[0].run_id
    card = build_card(gather(run_id, store, tmp_path), settings)
    del card["fairness"]
    with pytest.raises(InputError, match="'fairness' is a required property"):
        validate(card, CARD_SCHEMA, SCHEMAS)


@pytest.fixture(scope="module")
def pack(run, store, settings, tmp_path_factory) -> Path:
    run_id = next(m.run_id for m in run["result"].models if m.name == "tfidf_lr")
    out = tmp_path_factory.mktemp("pack") / "review_pack.html"
    write_pack(run_id, store, settings, out)
    return out


def test_pack_is_self_contained(pack):
    page = pack.read_text()
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<svg" in page  # charts are inline


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_pack_renders_in_headless_chromium(pack, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CASENOTES_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required here (CASENOTES_REQUIRE_CHROMIUM is set)")
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    profile = tmp_path / "profile"
    common = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run(
        [*common, "--dump-dom", pack.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    for section in SECTIONS:
        assert f'id="{section}"' in dom
    assert "Ethics review pack" in dom and "What you are asked to decide" in dom
    assert dom.count("<svg") >= 2
    shot = ROOT / "out" / "test-screenshots" / "review_pack.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1280,2400", pack.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 20_000  # a real page, not a blank one
