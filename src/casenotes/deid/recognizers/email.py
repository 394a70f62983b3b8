"""E-mail addresses."""

from __future__ import annotations

import re

from casenotes.deid.recognizers._base import Rule, UkRecognizer
from casenotes.records import PiiLabel


class UkEmailRecognizer(UkRecognizer):
    """``kelly.smith@hotmail.co.uk``, ``j.o'neill@westmarsh.gov.uk``: the whole address.

    The text is skipped without an "@".
    """

    NAME = "uk_email"
    ENTITIES = (PiiLabel.EMAIL_ADDRESS.value,)
    CONTEXT = ("email", "e-mail", "mail")
    PREFILTER = re.compile("@")
    RULES = (
        Rule(
            name="email",
            regex=re.compile(
                r"(?<![\w.%+'-])[\w%+-][\w.%+'-]*(?<=[\w%+-])@"
                r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}\b"
            ),
            score=0.9,
        ),
    )
