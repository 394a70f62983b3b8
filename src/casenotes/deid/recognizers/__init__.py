"""UK recognizers for case notes, one per module, built from a ``DeidConfig``.

``build_recognizers(config)`` returns every non-PERSON recognizer, ready for a Presidio
``RecognizerRegistry``. Each result names its recognizer (``recognition_metadata
["recognizer_name"]``, the stable names in :data:`RECOGNIZER_NAMES`) and its rule
(``recognition_metadata["pattern_name"]``), and handles its own context words (see ``_base``).
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

from casenotes.config import DeidConfig
from casenotes.deid.recognizers._base import PATTERN_NAME_KEY, Rule, UkRecognizer
from casenotes.deid.recognizers.address import UkAddressRecognizer
from casenotes.deid.recognizers.age import UkAgeRecognizer
from casenotes.deid.recognizers.case_reference import UkCaseReferenceRecognizer
from casenotes.deid.recognizers.dates import UkDateRecognizer
from casenotes.deid.recognizers.email import UkEmailRecognizer
from casenotes.deid.recognizers.location import UkLocationRecognizer
from casenotes.deid.recognizers.nhs import UkNhsNumberRecognizer
from casenotes.deid.recognizers.nino import UkNinoRecognizer
from casenotes.deid.recognizers.organization import UkOrganizationRecognizer
from casenotes.deid.recognizers.phone import UkPhoneNumberRecognizer
from casenotes.deid.recognizers.postcode import UkPostcodeRecognizer
from casenotes.deid.recognizers.upn import UkUpnRecognizer
from casenotes.deid.recognizers.username import UkUsernameRecognizer
from casenotes.deid.recognizers.vehicle import UkVehicleRegistrationRecognizer

_FIXED: tuple[type[UkRecognizer], ...] = (
    UkNhsNumberRecognizer,
    UkNinoRecognizer,
    UkUpnRecognizer,
    UkPostcodeRecognizer,
    UkPhoneNumberRecognizer,
    UkEmailRecognizer,
    UkUsernameRecognizer,
    UkVehicleRegistrationRecognizer,
    UkDateRecognizer,
    UkAgeRecognizer,
    UkAddressRecognizer,
    UkLocationRecognizer,
    UkOrganizationRecognizer,
)
RECOGNIZER_NAMES: tuple[str, ...] = (
    *(cls.NAME for cls in _FIXED),
    UkCaseReferenceRecognizer.NAME,
)


def build_recognizers(config: DeidConfig | None = None) -> list[EntityRecognizer]:
    """Every UK recognizer except PERSON; only those emitting a label in ``config.labels`` (all
    when empty). Case-reference formats come from ``config.case_reference_formats``."""
    config = config or DeidConfig()
    recognizers: list[UkRecognizer] = [cls() for cls in _FIXED]
    recognizers.append(UkCaseReferenceRecognizer(config))
    if config.labels:
        wanted = set(config.labels)
        recognizers = [r for r in recognizers if wanted & set(r.supported_entities)]
    return list(recognizers)


__all__ = [
    "PATTERN_NAME_KEY",
    "RECOGNIZER_NAMES",
    "Rule",
    "UkAddressRecognizer",
    "UkAgeRecognizer",
    "UkCaseReferenceRecognizer",
    "UkDateRecognizer",
    "UkEmailRecognizer",
    "UkLocationRecognizer",
    "UkNhsNumberRecognizer",
    "UkNinoRecognizer",
    "UkOrganizationRecognizer",
    "UkPhoneNumberRecognizer",
    "UkPostcodeRecognizer",
    "UkRecognizer",
    "UkUpnRecognizer",
    "UkUsernameRecognizer",
    "UkVehicleRegistrationRecognizer",
    "build_recognizers",
]
