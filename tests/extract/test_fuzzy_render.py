"""Typo tolerance and the HTML page."""

from __future__ import annotations

import pytest

from casenotes.extract.fuzzy import TypoIndex, within_one_edit
from casenotes.extract.render import render_html
from casenotes.records import Mention, Note


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("anxeity", "anxiety", True),  # swapped neighbours
        ("dometic", "domestic", True),  # dropped letter
        ("dommestic", "domestic", True),  # doubled letter
        ("changes", "charges", False),  # changed letter: too many real words
        ("neglect", "neglect", True),
        ("abc", "abcde", False),
    ],
)
def test_within_one_edit(a, b, expected):
    assert within_one_edit(a, b) is expected


def test_typo_index():
    index = TypoIndex(["overcrowding", "domestic", "county", "country"], min_length=7)
    assert index.correct("overcrowdng") == "overcrowding"
    assert index.correct("county") is None  # itself a lexicon word
    assert index.correct("dom") is None
    assert index.correct("domestics") is None  # a plural is not a typo


def test_page_escapes_text_and_labels_qualifiers():
    text = "<script>x</script> Mum has a history of DV & drinks."
    start = text.index("DV")
    note = Note(note_id="n<1>", text=text)
    page = render_html(
        note, [Mention(start, start + 2, "domestic_abuse", temporality="historical")]
    )
    assert "<script>x" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "n&lt;1&gt;" in page
    assert "domestic_abuse · parent · historical · affirmed" in page
    assert ">DV</mark>" in page
    assert "Synthetic or de-identified notes only" in page
    assert "http" not in page  # self-contained


@pytest.mark.parametrize(
    ("token", "expected"),
    [("taht", "that"), ("thhat", "that"), ("wiill", "will"), ("mother", None), ("every", None)],
)
def test_fixed_ends_keep_real_words_apart_from_short_trigger_words(token, expected):
    # "mother" is "other" with a letter added in front, "every" is "ever" with one added at the
    # end: real words, not typos; a typo keeps the first letter, and the last unless swapped
    index = TypoIndex(["that", "will", "other", "ever"], min_length=4, fixed_ends=True)
    assert index.correct(token) == expected
