"""Scoring: matching, qualifier accuracy, note-level F1, and the baselines on a tiny corpus."""

from __future__ import annotations

from casenotes.extract.evaluate import Scorer, keyword_mentions, match_mentions, prf
from casenotes.records import Mention


def test_prf():
    assert prf(1, 1, 0)["precision"] == 0.5
    assert prf(1, 1, 0)["recall"] == 1.0
    assert prf(0, 0, 0)["f1"] == 0.0


def test_match_needs_overlap_and_same_label():
    gold = [Mention(0, 10, "housing"), Mention(20, 30, "neet")]
    pred = [Mention(5, 12, "housing"), Mention(20, 30, "missing"), Mention(40, 45, "neet")]
    pairs = match_mentions(gold, pred)
    assert [(g.start, p.start) for g, p in pairs] == [(0, 5)]


def test_matching_is_one_to_one():
    gold = [Mention(0, 10, "housing")]
    pred = [Mention(0, 4, "housing"), Mention(5, 10, "housing")]
    assert len(match_mentions(gold, pred)) == 1


def test_scorer_counts_qualifiers_on_matched_pairs():
    scorer = Scorer()
    gold = [Mention(0, 5, "substance_misuse", negated=True), Mention(6, 9, "housing")]
    pred = [Mention(0, 5, "substance_misuse", negated=False), Mention(6, 9, "housing")]
    scorer.add(gold, pred)
    report = scorer.report()
    assert report["mentions"]["ALL"]["f1"] == 1.0
    assert report["qualifiers"]["negated"]["accuracy"] == 0.5
    assert report["qualifiers"]["negated"]["per_value"]["true"]["recall"] == 0.0
    # the predicted note states substance misuse, the gold note does not
    assert report["note_categories"]["substance_misuse"]["fp"] == 1


def test_keyword_baseline_drops_all_context():
    mentions = keyword_mentions([Mention(0, 5, "neet", negated=True, temporality="historical")])
    assert mentions[0].negated is False
    assert mentions[0].temporality.value == "current"
    assert mentions[0].subject.value == "child"  # the label's default


def test_score_corpus_has_three_systems_and_context_beats_keyword():
    from casenotes.extract.evaluate import score_corpus
    from casenotes.records import Note

    text = "No concerns about alcohol. Mum has a history of DV."
    gold = (
        Mention(18, 25, "substance_misuse", negated=True),
        Mention(48, 50, "domestic_abuse", temporality="historical"),
    )
    result = score_corpus([Note(note_id="n1", text=text, mentions=gold)])
    systems = result["systems"]
    assert set(systems) == {"casenotes", "keyword", "negspacy"}
    assert systems["casenotes"]["qualifiers"]["negated"]["accuracy"] == 1.0
    assert systems["keyword"]["qualifiers"]["negated"]["accuracy"] == 0.5
    assert systems["negspacy"]["qualifiers"]["negated"]["accuracy"] == 1.0
    assert systems["casenotes"]["qualifiers"]["temporality"]["accuracy"] == 1.0
    assert systems["keyword"]["note_categories"]["ALL"]["fp"] == 2


def test_report_says_when_no_gold_note_has_the_toxic_trio():
    from casenotes.extract.evaluate import markdown, score_corpus
    from casenotes.records import Note

    text = "No concerns about alcohol. Mum has a history of DV."
    gold = (
        Mention(18, 25, "substance_misuse", negated=True),
        Mention(48, 50, "domestic_abuse", temporality="historical"),
    )
    report = markdown(score_corpus([Note(note_id="n1", text=text, mentions=gold)]), "t")
    assert "| toxic-trio flag F1 | n/a | n/a | n/a |" in report
    assert "No note in the gold set has the toxic trio" in report
