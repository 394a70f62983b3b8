"""Every spaCy factory of casenotes, in one place, with versioned names.

spaCy does not allow dots in factory names, so the version is the ``_v1`` suffix: a change that
alters output for the same rules gets a new name, and the old one stays registered.

Importing this module registers the factories; nothing else in the package registers any. The
package also declares them as ``spacy_factories`` entry points, so ``nlp.add_pipe(name)`` finds them
in any pipeline once casenotes is installed.
"""

from __future__ import annotations

from spacy.language import Language

from casenotes.extract.components import SPANS_KEY, ContextQualifier, RiskMatcher, SpansToEnts

RISK_MATCHER = "casenotes_risk_matcher_v1"
CONTEXT = "casenotes_context_v1"


@Language.factory(RISK_MATCHER, default_config={"spans_key": SPANS_KEY})
def make_risk_matcher(nlp: Language, name: str, spans_key: str) -> RiskMatcher:
    return RiskMatcher(nlp, name, spans_key=spans_key)


@Language.factory(CONTEXT, default_config={"spans_key": SPANS_KEY})
def make_context(nlp: Language, name: str, spans_key: str) -> ContextQualifier:
    return ContextQualifier(nlp, name, spans_key=spans_key)


SPANS_TO_ENTS = "casenotes_spans_to_ents_v1"


@Language.factory(SPANS_TO_ENTS, default_config={"spans_key": SPANS_KEY})
def make_spans_to_ents(nlp: Language, name: str, spans_key: str) -> SpansToEnts:
    """Copy the risk spans to ``doc.ents`` (for components such as negspacy that read ents)."""
    return SpansToEnts(spans_key)
