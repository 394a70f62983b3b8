"""Rule files are data: they validate, keep stable ids, and bad files give precise errors."""

from __future__ import annotations

import re

import pytest

from casenotes.errors import ConfigError
from casenotes.extract.rules import (
    ContextRuleSet,
    RiskRuleSet,
    SubjectRuleSet,
    load_context_rules,
    load_risk_rules,
    load_subject_rules,
    parse_rules,
)
from casenotes.records import RiskLabel

# Snapshot of rule ids: renaming or deleting a rule breaks logs and saved pipelines, so it must be
# a deliberate change to this list.
RISK_RULE_IDS = [
    "da_abbreviations", "da_acts_and_control", "da_core_terms", "da_interventions",
    "da_violence_to_partner", "da_altercation", "da_partner_violent", "da_everyday_language",
    "da_practice_shorthand", "mh_abbreviations", "mh_in_their_words", "mh_seemed_low", "mh_camhs",
    "mh_core_terms",
    "mh_self_harm", "mh_everyday_language", "mh_adult_services", "mh_services_and_treatment",
    "mh_counselling_and_phobias", "sm_abbreviations", "sm_alcohol", "sm_drinking_frequency",
    "sm_on_top_of_script", "sm_drugs", "housing_abbreviations",
    "housing_temporary_accommodation_abbrev", "housing_core_terms", "housing_practice_words",
    "excl_abbreviations", "excl_core_terms", "excl_everyday_language", "excl_pru_placement",
    "excl_core_terms_2", "neet_abbreviations", "neet_core_terms", "offending_abbreviations",
    "offending_on_suspicion", "offending_everyday_language", "offending_practice_words",
    "offending_core_terms", "offending_drug_supply", "offending_yot_involvement",
    "exploitation_abbreviations", "exploitation_carrying", "exploitation_found_away",
    "exploitation_older_people", "exploitation_core_terms", "exploitation_practice_words",
    "missing_abbreviations", "missing_count", "missing_reported", "missing_core_terms",
    "neglect_abbreviations", "neglect_everyday_language", "neglect_practice_words",
    "neglect_health_and_home", "neglect_core_terms", "exclude_roles_and_services",
    "exclude_non_risk_senses",
]  # fmt: skip
CONTEXT_RULE_IDS = [
    "neg_no", "neg_not", "neg_denies", "neg_clause", "neg_no_evidence", "neg_no_longer",
    "neg_checklist_cross", "neg_backward", "possible_concern", "possible_suspicion",
    "possible_on_suspicion", "possible_concern_word", "possible_concern_after",
    "possible_looks_like", "possible_query_after", "possible_backward", "hist_history_of",
    "hist_backward", "hist_passed", "hist_when_young", "neg_never_been", "hist_section_heading",
    "hist_history_after",
    "hist_year", "hist_year_after", "hyp_conditional", "hyp_risk_of", "hyp_may_be_at_risk",
    "hyp_future_plan", "hyp_section_heading", "hyp_if_after", "hyp_backward",
    "subj_victim_of_offence", "subj_witnessed_abuse", "pseudo_month_may", "pseudo_not_negation",
    "terminators",
]  # fmt: skip
SUBJECT_RULE_IDS = [
    "parent_female", "parent_male", "parent_neutral", "parent_plural", "child_neutral",
    "child_plural", "parent_abbreviations", "child_by_age", "child_female", "child_male",
    "other_plural", "other_people", "pronoun_male", "pronoun_female", "reset_professionals",
]  # fmt: skip


def test_packaged_rule_ids_snapshot():
    assert [r.id for r in load_risk_rules().data.rules] == RISK_RULE_IDS
    assert [r.id for r in load_context_rules().data.rules] == CONTEXT_RULE_IDS
    assert [r.id for r in load_subject_rules().data.rules] == SUBJECT_RULE_IDS


def test_every_label_has_mention_rules_and_a_default_subject():
    labels = {r.label for r in load_risk_rules().data.rules if r.kind == "mention"}
    assert labels == set(RiskLabel)
    assert set(load_subject_rules().data.defaults) == set(RiskLabel)


def test_rule_sets_expose_version_and_digest():
    for loaded in (load_risk_rules(), load_context_rules(), load_subject_rules()):
        described = loaded.describe()
        assert re.fullmatch(r"\d+\.\d+\.\d+", described["version"])
        assert re.fullmatch(r"[0-9a-f]{12}", described["digest"])
        assert described["name"].endswith(".yaml")


def test_digest_changes_with_content():
    raw = b"version: '1'\nrules:\n  - {id: a, label: housing, phrases: [damp]}\n"
    one = parse_rules(raw, RiskRuleSet, "one.yaml")
    two = parse_rules(raw.replace(b"damp", b"mould"), RiskRuleSet, "two.yaml")
    assert one.digest != two.digest


BAD_RISK_RULES = b"""
version: "1"
rules:
  - id: good_rule
    label: housing
    phrases: [damp]
  - id: broken_rule
    label: housing
    phrasez: [mould]
"""


def test_unknown_key_error_names_file_rule_and_key():
    with pytest.raises(ConfigError) as caught:
        parse_rules(BAD_RISK_RULES, RiskRuleSet, "my_rules.yaml")
    message = str(caught.value)
    assert "my_rules.yaml" in message
    assert "rule broken_rule" in message
    assert "phrasez" in message
    assert "good_rule" not in message


def test_bad_label_error_names_rule_and_key():
    raw = b"version: '1'\nrules:\n  - {id: r1, label: poverty, phrases: [skint]}\n"
    with pytest.raises(ConfigError, match=r"rule r1, key label"):
        parse_rules(raw, RiskRuleSet, "x.yaml")


def test_unquoted_yaml_boolean_in_pattern_is_caught():
    raw = (
        b"version: '1'\nrules:\n  - id: r2\n    label: housing\n"
        b"    patterns: [[{LOWER: {IN: [on, at]}}]]\n"
    )
    with pytest.raises(ConfigError, match=r"rule r2.*quote YAML words"):
        parse_rules(raw, RiskRuleSet, "x.yaml")


def test_context_rule_with_unknown_category_is_rejected():
    raw = b"""
version: "1"
categories:
  NEGATED_EXISTENCE: {qualifier: negated, value: true}
rules:
  - {id: c1, category: MAYBE, phrases: [perhaps]}
"""
    with pytest.raises(ConfigError, match=r"category MAYBE"):
        parse_rules(raw, ContextRuleSet, "ctx.yaml")


def test_context_category_cannot_set_an_impossible_value():
    raw = b"""
version: "1"
categories:
  WEIRD: {qualifier: temporality, value: tomorrow}
rules:
  - {id: c1, category: WEIRD, phrases: [soon]}
"""
    with pytest.raises(ConfigError, match=r"categories\.WEIRD"):
        parse_rules(raw, ContextRuleSet, "ctx.yaml")


def test_subject_rules_need_a_default_for_every_label():
    raw = b"""
version: "1"
defaults: {housing: parent}
rules:
  - {id: p, category: parent, phrases: [mum]}
"""
    with pytest.raises(ConfigError, match=r"no default subject"):
        parse_rules(raw, SubjectRuleSet, "subj.yaml")


def test_duplicate_rule_ids_are_rejected():
    raw = (
        b"version: '1'\nrules:\n  - {id: a, label: housing, phrases: [damp]}\n"
        b"  - {id: a, label: neet, phrases: [neet]}\n"
    )
    with pytest.raises(ConfigError, match=r"duplicate rule ids: a"):
        parse_rules(raw, RiskRuleSet, "x.yaml")


def test_missing_rule_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"no such rule file"):
        load_risk_rules(tmp_path / "absent.yaml")
