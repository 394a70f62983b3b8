import datetime as dt

import pytest

from casenotes.config import DeidConfig
from casenotes.deid.keys import load_key
from casenotes.deid.operators import Replacer, generalise_date, operators_for, parse_date
from casenotes.errors import ConfigError
from casenotes.identifiers import is_valid_nhs

KEY = b"0123456789abcdef0123456789abcdef"
OTHER_KEY = b"fedcba9876543210fedcba9876543210"
DAY = dt.date(2024, 5, 1)


def replacer(mode, key=KEY, **settings):
    config = DeidConfig(**settings)
    return Replacer(config, operators_for(config, mode), key)


def test_keyed_modes_refuse_to_start_without_a_key():
    for mode in ("pseudonym", "surrogate"):
        with pytest.raises(ConfigError, match="refuses to pseudonymise without one"):
            replacer(mode, key=None)
    assert replacer("placeholder", key=None)  # placeholders need no key


def test_placeholders_are_numbered_per_case_and_consistent():
    r = replacer("placeholder", key=None)
    first = r.replace("PERSON", "Jayden", "case-1", "case-1", DAY)
    assert first == "[PERSON_1]"
    assert r.replace("PERSON", "Kai", "case-1", "case-1", DAY) == "[PERSON_2]"
    assert r.replace("PERSON", "jayden", "case-1", "case-1", DAY) == "[PERSON_1]"
    assert r.replace("PERSON", "Kai", "case-2", "case-2", DAY) == "[PERSON_1]"


def test_pseudonyms_link_across_runs_with_one_key_and_not_across_keys():
    one, again, other = (
        replacer("pseudonym"),
        replacer("pseudonym"),
        replacer("pseudonym", OTHER_KEY),
    )
    token = one.replace("PERSON", "Jayden Smith", "c1", "c1", DAY)
    assert token == again.replace("PERSON", "Jayden Smith", "c9", "c9", DAY)
    assert token != other.replace("PERSON", "Jayden Smith", "c1", "c1", DAY)
    # word by word: "Jayden" alone shares the first token of "Jayden Smith"
    assert one.replace("PERSON", "Jayden", "c2", "c2", DAY) == token.split()[0]
    assert "Jayden" not in token and "Smith" not in token
    nhs = one.replace("UK_NHS", "943 476 5919", "c1", "c1", DAY)
    assert nhs.startswith("UK_NHS_") and "943" not in nhs


def test_surrogates_are_realistic_consistent_and_valid():
    r = replacer("surrogate")
    nhs = r.replace("UK_NHS", "943 476 5919", "c1", "c1", DAY)
    assert is_valid_nhs(nhs) and nhs != "943 476 5919"
    assert nhs == replacer("surrogate").replace("UK_NHS", "9434765919", "c5", "c5", DAY)
    name = r.replace("PERSON", "jayden", "c1", "c1", DAY)
    assert name.islower() and name != "jayden"


def test_dates_shift_by_one_keyed_offset_per_case():
    r = replacer("pseudonym")
    offset = r.shift_days("case-7")
    assert offset != 0 and abs(offset) <= 180
    a = r.replace("DATE", "01/03/2024", "case-7", "case-7", DAY)
    b = r.replace("DATE", "11 March 2024", "case-7", "case-7", DAY)
    first = dt.datetime.strptime(a, "%d/%m/%Y").date()
    second = dt.datetime.strptime(b, "%d %B %Y").date()
    assert (second - first).days == 10  # intervals within a case survive
    assert first - dt.date(2024, 3, 1) == dt.timedelta(days=offset)
    unreadable = r.replace("DATE", "the other week", "case-7", "case-7", DAY)
    assert unreadable.startswith("[DATE_")


def test_dates_of_birth_are_generalised():
    assert generalise_date("12th March 2015", "month", DAY) == "March 2015"
    assert generalise_date("12/03/15", "year", DAY) == "2015"
    r = replacer("placeholder", key=None)
    assert r.replace("DATE_OF_BIRTH", "12.03.2015", "c", "c", DAY) == "March 2015"
    assert parse_date("not a date", DAY) is None


def test_key_comes_from_file_or_environment_and_must_be_long_enough(tmp_path, monkeypatch):
    path = tmp_path / "k"
    path.write_bytes(KEY + b"\n")
    assert load_key(path, "CASENOTES_TEST_KEY") == KEY
    monkeypatch.setenv("CASENOTES_TEST_KEY", OTHER_KEY.decode())
    assert load_key(None, "CASENOTES_TEST_KEY") == OTHER_KEY
    monkeypatch.delenv("CASENOTES_TEST_KEY")
    assert load_key(None, "CASENOTES_TEST_KEY") is None
    path.write_bytes(b"short")
    with pytest.raises(ConfigError, match="too short") as caught:
        load_key(path, "X")
    assert "short" not in str(caught.value).replace("too short", "")
