"""The deletion test tells a faithful explanation from a random or inverted one."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from casenotes.config import SynthConfig
from casenotes.modeling.deletion import DeletionResult, blank_spans, deletion_test
from casenotes.modeling.explain import Explanation, TokenAttribution
from casenotes.modeling.linear import MentionLinearClassifier, TfidfLogisticClassifier

LABEL = "domestic_abuse"


@pytest.fixture(scope="module")
def notes():
    from casenotes.synth.generator import generate

    notes = list(generate(SynthConfig(notes=500, seed=11)))
    targets = np.array(
        [any(m.label.value == LABEL and m.is_affirmed_current for m in n.mentions) for n in notes],
        dtype=int,
    )
    return [n.text for n in notes], targets


@pytest.fixture(scope="module")
def model(notes):
    texts, y = notes
    return TfidfLogisticClassifier(label_names=(LABEL,)).fit(texts[:350], y[:350])


@pytest.fixture(scope="module")
def held_out(notes):
    return notes[0][350:]


class _Rewired:
    """The same model with its explanations' weights replaced: a deliberately broken explainer."""

    def __init__(self, model, reweigh):
        self.model, self.reweigh = model, reweigh
        self.labels_ = model.labels_

    def predict_scores(self, texts):
        return self.model.predict_scores(texts)

    def explain(self, texts, label=None):
        out = []
        for e in self.model.explain(texts, label):
            weights = self.reweigh(np.array([t.weight for t in e.tokens]))
            tokens = tuple(
                TokenAttribution(t.start, t.end, float(w))
                for t, w in zip(e.tokens, weights, strict=True)
            )
            out.append(Explanation(e.label, e.base, e.output, tokens))
        return out


def test_blank_spans_keeps_length_and_other_offsets():
    text = "Mum drinks. Dad [PERSON_1] is calm."
    spans = [TokenAttribution(4, 10, 1.0), TokenAttribution(16, 26, 0.5)]
    blanked = blank_spans(text, spans)
    assert len(blanked) == len(text)
    assert blanked == "Mum       . Dad            is calm."


def test_top_tokens_of_a_linear_model_matter_more_than_random_ones(model, held_out):
    result = deletion_test(model, held_out, LABEL, k=5, n_random=5, seed=0)
    assert isinstance(result, DeletionResult)
    assert result.n + result.n_skipped == len(held_out)
    assert result.n > 100
    assert result.mean_drop_top > 3 * result.mean_drop_random
    assert result.share_top_beats_random > 0.8
    assert result.passed
    assert "picks out" in result.reading and "does not" not in result.reading


def test_random_attributions_do_not_pass(model, held_out):
    rng = np.random.default_rng(5)
    broken = _Rewired(model, lambda w: rng.normal(size=len(w)))
    result = deletion_test(broken, held_out, LABEL, k=5, n_random=5, seed=0)
    assert not result.passed
    assert result.p_value > 0.05
    assert "does not reliably pick out" in result.reading


def test_inverted_attributions_do_not_pass(model, held_out):
    result = deletion_test(_Rewired(model, lambda w: -w), held_out, LABEL, k=5, seed=0)
    assert not result.passed
    assert result.mean_drop_top < result.mean_drop_random


def test_glass_box_mentions_pass(notes):
    texts, y = notes
    glass = MentionLinearClassifier(label_names=(LABEL,)).fit(texts[:350], y[:350])
    result = deletion_test(glass, texts[350:], LABEL, k=1, n_random=5, seed=0)
    assert result.passed
    assert result.n_skipped > 0  # notes without a positively weighted mention are skipped


def test_same_seed_same_result_and_plain_record(model, held_out):
    first = deletion_test(model, held_out[:40], LABEL, k=3, n_random=2, seed=7)
    assert first == deletion_test(model, held_out[:40], LABEL, k=3, n_random=2, seed=7)
    record = first.to_dict()
    json.dumps(record)  # plain values only
    assert record["passed"] == first.passed
    assert set(record) >= {"mean_drop_top", "mean_drop_random", "share_top_beats_random", "n"}
    assert not any(text[:30] in first.reading for text in held_out[:40] if text)


def test_texts_without_positive_spans_are_skipped(model):
    result = deletion_test(model, ["", "   "], LABEL)
    assert result.n == 0 and result.n_skipped == 2
    assert not result.passed and math.isnan(result.mean_drop_top)
    assert "could not be tested" in result.reading


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": 0}, "k must be a positive integer"),
        ({"n_random": 0}, "n_random must be a positive integer"),
        ({"label": "housing"}, "has no label 'housing'"),
    ],
)
def test_bad_arguments_are_named(model, kwargs, match):
    options = {"label": LABEL, **kwargs}
    with pytest.raises(ValueError, match=match):
        deletion_test(model, ["text"], **options)
