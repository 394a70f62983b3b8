from casenotes.records import Certainty, Mention, Note, PiiLabel, PiiSpan, RiskLabel, Temporality
from casenotes.synth.stats import corpus_stats


def test_figures_count_what_they_say():
    notes = [
        Note(
            "a",
            "Jo denies DV. Mum is well.",
            case_id="c1",
            pii=(PiiSpan(0, 2, PiiLabel.PERSON),),
            mentions=(Mention(10, 12, RiskLabel.DOMESTIC_ABUSE, negated=True),),
        ),
        Note(
            "b",
            "Al denies DV. Mum is well.",
            case_id="c1",
            pii=(PiiSpan(0, 2, PiiLabel.PERSON),),
            mentions=(Mention(10, 12, RiskLabel.DOMESTIC_ABUSE, negated=True),),
        ),
        Note(
            "c",
            "History of drinking.",
            case_id="c2",
            pii=(),
            mentions=(
                Mention(
                    11,
                    19,
                    RiskLabel.SUBSTANCE_MISUSE,
                    temporality=Temporality.HISTORICAL,
                    certainty=Certainty.POSSIBLE,
                ),
            ),
        ),
    ]
    figures = corpus_stats(notes)
    assert figures["notes"] == 3 and figures["cases"] == 2
    # "<PERSON> denies <RISK>." is one skeleton for two sentences; "mum is well." another.
    assert figures["sentences"] == 5
    assert figures["distinct_sentence_skeletons"] == 3
    assert figures["surface_forms_per_category"] == {"domestic_abuse": 1, "substance_misuse": 1}
    assert figures["qualifier_shares"]["negated"] == round(2 / 3, 4)
    assert figures["qualifier_shares"]["historical"] == round(1 / 3, 4)
    assert figures["notes_without_pii"] == 1
    assert figures["pii_per_label"] == {"PERSON": 2}
