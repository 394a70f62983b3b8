"""Rebuild ``src/casenotes/resources/deid/first_names.txt`` from Faker's person providers.

The de-identifier's first-name lexicon joins the US census lists of the ``names`` package with
the first names Faker (MIT licence) ships for its locales: British, Irish, South Asian, West and
East African, European, Turkish and more, which is closer to the families in English case notes
than the 1990 US census alone. Only names written in Latin letters are kept, lower-cased, one per
line. A name that is also an English word (by the spaCy model's lemmatizer tables) is kept only
when a curated list of an English-speaking country gives it ("Poppy", "Sian"), because Faker's
big generic ``en`` list and some others hold words that are no one's name ("Author", "Made").
Run it after upgrading Faker or the model, and commit the result:

    .venv/bin/python scripts/build_first_names.py
"""

from __future__ import annotations

import importlib
import pkgutil
import unicodedata
from pathlib import Path

import faker
import faker.providers.person as person_providers

OUT = Path(__file__).resolve().parents[1] / "src/casenotes/resources/deid/first_names.txt"
# Locales whose lists are the registered names of an English-speaking country
CURATED = frozenset({"en_GB", "en_IE", "en_NZ", "en_US", "ga_IE"})
ATTRIBUTES = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")


def latin_word(name: str) -> bool:
    return len(name) >= 2 and all(
        char.isalpha() and "LATIN" in unicodedata.name(char, "") for char in name
    )


def provider_names(provider: type) -> set[str]:
    found: set[str] = set()
    for attribute in ATTRIBUTES:
        value = provider.__dict__.get(attribute)
        if isinstance(value, dict):
            value = list(value)
        if not isinstance(value, list | tuple):
            continue
        found.update(name.lower() for name in value if isinstance(name, str) and latin_word(name))
    return found


def main() -> None:
    import spacy

    from casenotes.config import DeidConfig
    from casenotes.deid.person import english_words

    english = english_words(spacy.load(DeidConfig().model))
    names: set[str] = set()
    curated: set[str] = set()
    locales = []
    for module in pkgutil.iter_modules(person_providers.__path__):
        provider = getattr(
            importlib.import_module(f"{person_providers.__name__}.{module.name}"), "Provider", None
        )
        if provider is None:
            continue
        found = provider_names(provider)
        if found:
            locales.append(module.name)
            names |= found
            if module.name in CURATED:
                curated |= found
    names = {name for name in names if name not in english or name in curated}
    header = (
        f"# First names from Faker {faker.VERSION} (MIT licence), {len(locales)} locales: "
        f"{' '.join(locales)}\n# Rebuilt by scripts/build_first_names.py; one lower-case name "
        "per line.\n"
    )
    OUT.write_text(header + "\n".join(sorted(names)) + "\n", encoding="utf-8")
    print(f"{len(names)} names from {len(locales)} locales -> {OUT}")


if __name__ == "__main__":
    main()
