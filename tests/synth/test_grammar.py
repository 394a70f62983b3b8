import random

import pytest

from casenotes.synth.grammar import (
    Piece,
    Span,
    TextBuilder,
    all_expansions,
    count_expansions,
    expand_choices,
    render,
    verify_spans,
)


def test_choices_nest_and_can_be_optional():
    template = "arrears[ of £[450|800]|] noted"
    assert sorted(all_expansions(template)) == sorted(
        ["arrears of £450 noted", "arrears of £800 noted", "arrears noted"]
    )
    assert count_expansions(template) == 3
    seen = {expand_choices(template, random.Random(seed)) for seed in range(60)}
    assert seen == set(all_expansions(template))


@pytest.mark.parametrize("template", ["a [b|c", "a b|c]", "[[x|y]"])
def test_unbalanced_brackets_are_errors(template):
    with pytest.raises(ValueError, match="unbalanced"):
        expand_choices(template, random.Random(0))


def test_render_places_slot_spans_at_their_offsets():
    def resolve(slot):
        if slot == "name":
            return Piece.whole("Jayden", "pii", "PERSON")
        if slot == "R":
            return Piece.whole("drinking heavily", "risk", "substance_misuse", negated=True)
        return Piece.plain(slot)

    piece = render("[Spoke to|Saw] {name}; mum denies {R}.", random.Random(1), resolve)
    by_label = {span.label: piece.text[span.start : span.end] for span in piece.spans}
    assert by_label == {"PERSON": "Jayden", "substance_misuse": "drinking heavily"}
    assert dict(next(s for s in piece.spans if s.kind == "risk").attrs) == {"negated": True}


def test_literal_rewrites_never_touch_slots():
    piece = render(
        "social worker met {name} and mum",
        random.Random(0),
        lambda slot: Piece.whole("Anand", "pii", "PERSON"),
        literal=lambda text: text.replace("social worker", "SW").replace(" and ", " & "),
    )
    assert piece.text == "SW met Anand & mum"
    (span,) = piece.spans
    assert piece.text[span.start : span.end] == "Anand"


def test_builder_shifts_and_capitalises_without_moving_spans():
    builder = TextBuilder()
    builder.add_text("Seen. ")
    builder.add(Piece.whole("jayden", "pii", "PERSON").capitalised())
    piece = builder.piece()
    assert piece.text == "Seen. Jayden"
    assert piece.text[piece.spans[0].start : piece.spans[0].end] == "Jayden"


def test_verify_spans_finds_each_kind_of_problem():
    text = "Mum denies DV today"
    assert verify_spans(text, [Span(11, 13, "risk", "domestic_abuse")]) == []
    assert "out of range" in verify_spans(text, [Span(15, 40, "pii", "DATE")])[0]
    assert "not trimmed" in verify_spans(text, [Span(10, 13, "risk", "domestic_abuse")])[0]
    overlap = verify_spans(text, [Span(0, 3, "pii", "PERSON"), Span(2, 5, "risk", "x")])
    assert "overlaps" in overlap[0]
