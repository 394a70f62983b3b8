"""The de-identification scorer on hand-made spans: every figure the evaluation reports."""

import pytest

from casenotes.deid.evaluate import DeidScorer, Span, markdown

TEXT = "Jayden Smith lives at 12 Station Road. Mum spoke to the SW on Monday."
NAME = Span(0, 12, "PERSON")
ADDRESS = Span(22, 37, "ADDRESS")


def report(gold, predicted, text=TEXT, labels=None):
    scorer = DeidScorer(labels)
    scorer.add(text, gold, predicted)
    return scorer.report()


def test_a_perfect_answer_scores_one_and_leaks_nothing():
    figures = report([NAME, ADDRESS], [NAME, ADDRESS])
    assert figures["span_by_label"]["ALL"]["precision"] == 1.0
    assert figures["span_by_label"]["ALL"]["recall"] == 1.0
    assert figures["token_by_label"]["ALL"]["f2"] == 1.0
    assert figures["direct_identifier_recall"] == 1.0
    assert figures["direct_identifier_precision"] == 1.0
    assert figures["leak_rate"] == 0.0
    assert figures["over_redaction"] == {"occurrences": 3, "redacted": 0, "rate": 0.0}


def test_a_partly_covered_name_is_found_but_leaks_its_uncovered_characters():
    figures = report([NAME], [Span(0, 6, "PERSON")])
    assert figures["span_by_label"]["PERSON"]["recall"] == 1.0  # span overlap
    assert figures["leak_rate"] == pytest.approx(6 / 12, abs=1e-4)  # " Smith" is still there
    assert figures["token_by_label"]["PERSON"]["recall"] == 0.5  # "Smith" missed


def test_a_wrong_label_counts_for_any_label_figures_only():
    figures = report([NAME], [Span(0, 12, "ORGANIZATION")])
    assert figures["span_by_label"]["PERSON"]["recall"] == 0.0
    assert figures["span_by_label"]["ORGANIZATION"]["precision"] == 0.0
    assert figures["span_any_label"]["ALL"]["recall"] == 1.0
    assert figures["token_by_label"]["ALL"]["recall"] == 1.0  # presidio-research's PII measure
    assert figures["direct_identifier_recall"] == 1.0
    assert figures["leak_rate"] == 0.0


def test_missing_everything_and_redacting_role_words():
    figures = report([NAME, ADDRESS], [Span(39, 42, "PERSON")])  # "Mum"
    assert figures["direct_identifier_recall"] == 0.0
    assert figures["direct_identifier_precision"] == 0.0  # "Mum" is no one's name
    assert figures["leak_rate"] == 1.0
    assert figures["span_by_label"]["ALL"]["precision"] == 0.0
    assert figures["over_redaction"]["redacted"] == 1


def test_labels_restrict_the_comparison_to_shared_types():
    figures = report([NAME, ADDRESS], [NAME], labels=["PERSON"])
    assert set(figures["span_by_label"]) == {"PERSON", "ALL"}
    assert figures["span_by_label"]["ALL"]["recall"] == 1.0


def test_markdown_sets_systems_side_by_side():
    ours = report([NAME, ADDRESS], [NAME, ADDRESS])
    theirs = report([NAME, ADDRESS], [NAME])
    text = markdown({"casenotes": ours, "presidio_vanilla": theirs}, "Toy corpus")
    assert "| figure | casenotes | presidio_vanilla |" in text
    assert "tokens, any label (presidio-research's PII measure) | 1.0 / 1.0 / 1.0 |" in text
    assert "| ADDRESS | 1.000 / 1.000 / 1.000 (n=1) | 0.000 / 0.000 / 0.000 (n=1) |" in text
