import itertools
from collections import Counter

import pytest

from casenotes.config import SynthConfig, validate_config
from casenotes.identifiers import is_valid_nhs, is_valid_nino, is_valid_postcode, is_valid_upn
from casenotes.records import PiiLabel, RiskLabel, Temporality
from casenotes.synth.generator import AGE_BANDS, ETHNICITY_WEIGHTS, generate
from casenotes.synth.grammar import Span, verify_spans
from casenotes.synth.stats import corpus_stats


@pytest.fixture(scope="module")
def corpus():
    return list(generate(SynthConfig(notes=1500, seed=101)))


def _spans(note):
    spans = [Span(s.start, s.end, "pii", s.label.value) for s in note.pii]
    return spans + [Span(m.start, m.end, "risk", m.label.value) for m in note.mentions]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_gold_span_is_in_place_trimmed_and_disjoint(seed):
    for note in generate(SynthConfig(notes=300, seed=seed)):
        assert verify_spans(note.text, _spans(note)) == [], note.note_id
        for span in _spans(note):
            value = note.text[span.start : span.end]
            assert value and value == value.strip()


def test_mentions_never_contain_a_name_and_cues_stay_outside(corpus):
    cues = ("denies", "concerns that", "may be", "at risk of", "history of", "previously")
    for note in corpus:
        for mention in note.mentions:
            text = note.text[mention.start : mention.end].lower()
            assert not any(text.startswith(cue) for cue in cues), (note.note_id, mention)
            if text.startswith(("no ", "not ")):  # a risk stated as an absence: never negated
                assert not mention.negated, (note.note_id, mention)
            for pii in note.pii:
                assert pii.end <= mention.start or pii.start >= mention.end


def test_same_seed_same_corpus_and_smaller_is_a_prefix():
    small = [n.to_record() for n in generate(SynthConfig(notes=40, seed=9))]
    again = [n.to_record() for n in generate(SynthConfig(notes=40, seed=9))]
    larger = [n.to_record() for n in generate(SynthConfig(notes=90, seed=9))]
    other = [n.to_record() for n in generate(SynthConfig(notes=40, seed=10))]
    assert small == again
    assert larger[:40] == small
    assert other != small


def test_generation_is_lazy():
    huge = SynthConfig(notes=10**9, seed=3)
    first = list(itertools.islice(generate(huge), 5))
    assert len(first) == 5


def test_note_ids_unique_and_cases_dated_in_order(corpus):
    assert len({n.note_id for n in corpus}) == len(corpus)
    by_case: dict[str, list] = {}
    for note in corpus:
        by_case.setdefault(note.case_id, []).append(note.date)
    assert len(by_case) > 100
    assert all(dates == sorted(dates) for dates in by_case.values())
    assert any(len(dates) >= 8 for dates in by_case.values())


def test_qualifier_mix_defeats_a_keyword_matcher(corpus):
    shares = corpus_stats(corpus)["qualifier_shares"]
    assert shares["negated"] >= 0.20
    assert shares["historical"] >= 0.15
    assert shares["hypothetical"] >= 0.08
    assert shares["possible"] >= 0.15
    subjects = Counter(m.subject.value for n in corpus for m in n.mentions)
    assert subjects["child"] > 0.1 * sum(subjects.values())
    assert subjects["other"] > 0.03 * sum(subjects.values())


def test_every_category_and_pii_label_occurs(corpus):
    labels = {m.label for n in corpus for m in n.mentions}
    assert labels == set(RiskLabel)
    pii = {p.label for n in corpus for p in n.pii}
    assert pii == set(PiiLabel)
    assert any(not n.pii for n in corpus)
    assert any(not n.mentions for n in corpus)
    temporalities = {m.temporality for n in corpus for m in n.mentions}
    assert temporalities == set(Temporality)


@pytest.mark.parametrize(
    "label, check",
    [
        (PiiLabel.UK_NHS, is_valid_nhs),
        (PiiLabel.UK_NINO, is_valid_nino),
        (PiiLabel.UK_UPN, is_valid_upn),
        (PiiLabel.POSTCODE, is_valid_postcode),
    ],
)
def test_identifier_values_carry_valid_check_digits(corpus, label, check):
    values = [n.text[p.start : p.end] for n in corpus for p in n.pii if p.label is label]
    assert values
    assert all(check(value) for value in values), [v for v in values if not check(v)][:3]


def test_demographics_and_outcome_columns(corpus):
    bands = {band for _, _, band in AGE_BANDS}
    for note in corpus:
        extra = note.extra
        assert extra["sex"] in {"female", "male"}
        assert extra["ethnicity"] in ETHNICITY_WEIGHTS
        assert extra["age_band"] in bands
        assert extra["disability"] in {"yes", "no"}
        assert extra["deprivation_quintile"] in range(1, 6)
        assert isinstance(extra["escalated"], bool)
    share = sum(n.extra["escalated"] for n in corpus) / len(corpus)
    assert 0.03 < share < 0.4


def test_escalation_follows_recorded_risk(corpus):
    """Notes of escalated cases mention more affirmed current risks: the outcome is learnable."""

    def mean_affirmed(notes):
        return sum(sum(m.is_affirmed_current for m in n.mentions) for n in notes) / len(notes)

    escalated = [n for n in corpus if n.extra["escalated"]]
    other = [n for n in corpus if not n.extra["escalated"]]
    assert mean_affirmed(escalated) > 1.2 * mean_affirmed(other)


def generate_list(data, model):
    return list(generate(validate_config(data, model)))


def _group_rates(notes, attribute, value):
    inside = [n for n in notes if str(n.extra[attribute]) == value]
    affirmed = sum(sum(m.is_affirmed_current for m in n.mentions) for n in inside) / len(inside)
    escalated = sum(n.extra["escalated"] for n in inside) / len(inside)
    return affirmed, escalated


def test_bias_switches_change_only_their_group():
    base = {"notes": 3000, "seed": 5}
    plain = list(generate(SynthConfig(**base)))
    under = generate_list(
        {
            **base,
            "bias": {
                "under_recording": {
                    "group": {"attribute": "ethnicity", "value": "Black"},
                    "rate": 0.9,
                }
            },
        },
        SynthConfig,
    )
    over = generate_list(
        {
            **base,
            "bias": {
                "over_labelling": {"group": {"attribute": "sex", "value": "female"}, "rate": 0.5}
            },
        },
        SynthConfig,
    )
    plain_black, _ = _group_rates(plain, "ethnicity", "Black")
    under_black, _ = _group_rates(under, "ethnicity", "Black")
    assert under_black < 0.5 * plain_black
    plain_white, _ = _group_rates(plain, "ethnicity", "White")
    under_white, _ = _group_rates(under, "ethnicity", "White")
    assert under_white == pytest.approx(plain_white)

    _, plain_female = _group_rates(plain, "sex", "female")
    _, over_female = _group_rates(over, "sex", "female")
    _, plain_male = _group_rates(plain, "sex", "male")
    _, over_male = _group_rates(over, "sex", "male")
    assert over_female > plain_female + 0.1
    assert over_male == pytest.approx(plain_male)
