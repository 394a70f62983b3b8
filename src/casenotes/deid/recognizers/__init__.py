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
from casenotes.deid.recognizers.address import AddressRecognizer
from casenotes.deid.recognizers.age import AgeRecognizer
from casenotes.deid.recognizers.case_reference import CaseReferenceRecognizer
from casenotes.deid.recognizers.dates import DateRecognizer
from casenotes.deid.recognizers.email import EmailRecognizer
from casenotes.deid.recognizers.location import LocationRecognizer
from casenotes.deid.recognizers.nhs import NhsNumberRecognizer
from casenotes.deid.recognizers.nino import NinoRecognizer
from casenotes.deid.recognizers.organization import OrganizationRecognizer
from casenotes.deid.recognizers.phone import PhoneNumberRecognizer
from casenotes.deid.recognizers.postcode import PostcodeRecognizer
from casenotes.deid.recognizers.upn import UpnRecognizer
from casenotes.deid.recognizers.username import UsernameRecognizer
from casenotes.deid.recognizers.vehicle import VehicleRegistrationRecognizer

_FIXED: tuple[type[UkRecognizer], ...] = (
    NhsNumberRecognizer,
    NinoRecognizer,
    UpnRecognizer,
    PostcodeRecognizer,
    PhoneNumberRecognizer,
    EmailRecognizer,
    UsernameRecognizer,
    VehicleRegistrationRecognizer,
    DateRecognizer,
    AgeRecognizer,
    AddressRecognizer,
    LocationRecognizer,
    OrganizationRecognizer,
)
RECOGNIZER_NAMES: tuple[str, ...] = (
    *(cls.NAME for cls in _FIXED),
    CaseReferenceRecognizer.NAME,
)


def build_recognizers(config: DeidConfig | None = None) -> list[EntityRecognizer]:
    """Every UK recognizer except PERSON; only those emitting a label in ``config.labels`` (all
    when empty). Case-reference formats come from ``config.case_reference_formats``."""
    config = config or DeidConfig()
    recognizers: list[UkRecognizer] = [cls() for cls in _FIXED]
    recognizers.append(CaseReferenceRecognizer(config))
    if config.labels:
        wanted = set(config.labels)
        recognizers = [r for r in recognizers if wanted & set(r.supported_entities)]
    return list(recognizers)


__all__ = [
    "PATTERN_NAME_KEY",
    "RECOGNIZER_NAMES",
    "AddressRecognizer",
    "AgeRecognizer",
    "CaseReferenceRecognizer",
    "DateRecognizer",
    "EmailRecognizer",
    "LocationRecognizer",
    "NhsNumberRecognizer",
    "NinoRecognizer",
    "OrganizationRecognizer",
    "PhoneNumberRecognizer",
    "PostcodeRecognizer",
    "Rule",
    "UkRecognizer",
    "UpnRecognizer",
    "UsernameRecognizer",
    "VehicleRegistrationRecognizer",
    "build_recognizers",
]
