"""Render one note as a self-contained HTML page with its mentions highlighted.

For synthetic or de-identified notes only: the page holds the note's text. Everything from the note
is HTML-escaped; the page loads nothing from outside (inline CSS, no scripts).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from casenotes.records import Mention, Note, RiskLabel

COLOURS: dict[RiskLabel, str] = {
    RiskLabel.DOMESTIC_ABUSE: "#f4a6a6",
    RiskLabel.MENTAL_HEALTH: "#b5c7f5",
    RiskLabel.SUBSTANCE_MISUSE: "#f7d08a",
    RiskLabel.HOUSING: "#b8e0b0",
    RiskLabel.SCHOOL_EXCLUSION: "#d8b5f0",
    RiskLabel.NEET: "#c9e7f2",
    RiskLabel.OFFENDING: "#f2b8d9",
    RiskLabel.EXPLOITATION: "#f5c2a0",
    RiskLabel.MISSING: "#d6d6a0",
    RiskLabel.NEGLECT: "#cfcfcf",
}
NOTICE = (
    "Synthetic or de-identified notes only. For surfacing evidence and measuring need; never for "
    "automated decisions about a child."
)
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; line-height: 1.7; }
.notice { background: #fff3cd; border: 1px solid #e0c36c; padding: .5rem 1rem; }
.text { white-space: pre-wrap; border: 1px solid #ddd; padding: 1rem; }
mark { border-radius: 3px; padding: 0 2px; }
mark.negated { text-decoration: line-through; }
mark.not-current, mark.possible { border-bottom: 2px dashed #333; }
sup.q { font-size: .65em; color: #333; margin-left: 2px; }
table { border-collapse: collapse; margin-top: 1rem; }
td, th { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; }
"""


def qualifier_label(mention: Mention) -> str:
    """Short label of a mention's qualifiers: "mental_health · parent · historical · possible"."""
    parts = [mention.label.value, mention.subject.value]
    if mention.negated:
        parts.insert(1, "NEGATED")
    parts += [mention.temporality.value, mention.certainty.value]
    return " · ".join(parts)


def _classes(mention: Mention) -> str:
    names = [f"risk-{mention.label.value}"]
    if mention.negated:
        names.append("negated")
    if mention.temporality.value != "current":
        names.append("not-current")
    if mention.certainty.value == "possible":
        names.append("possible")
    return " ".join(names)


def render_html(note: Note, mentions: Sequence[Mention], source: str = "") -> str:
    """The page for one note; mentions must not overlap (extraction output never does)."""
    text = note.text
    pieces: list[str] = []
    cursor = 0
    for number, m in enumerate(sorted(mentions, key=lambda m: m.start), start=1):
        if m.start < cursor:
            continue
        pieces.append(html.escape(text[cursor : m.start]))
        label = html.escape(qualifier_label(m))
        pieces.append(
            f'<mark class="{_classes(m)}" style="background:{COLOURS[m.label]}" title="{label}">'
            f'{html.escape(text[m.start : m.end])}</mark><sup class="q">{number}</sup>'
        )
        cursor = m.end
    pieces.append(html.escape(text[cursor:]))
    rows = "".join(
        f"<tr><td>{n}</td><td>{m.start}–{m.end}</td><td>{html.escape(m.label.value)}</td>"
        f"<td>{'yes' if m.negated else 'no'}</td><td>{m.subject.value}</td>"
        f"<td>{m.temporality.value}</td><td>{m.certainty.value}</td></tr>"
        for n, m in enumerate(sorted(mentions, key=lambda m: m.start), start=1)
    )
    title = html.escape(f"Note {note.note_id}")
    meta = html.escape(
        " · ".join(x for x in (note.case_id or "", str(note.date or ""), source) if x)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{STYLE}</style></head><body>"
        f'<p class="notice">{html.escape(NOTICE)}</p><h1>{title}</h1><p>{meta}</p>'
        f'<div class="text">{"".join(pieces)}</div>'
        "<table><tr><th>#</th><th>offsets</th><th>category</th><th>negated</th><th>subject</th>"
        f"<th>temporality</th><th>certainty</th></tr>{rows}</table>"
        "<p>Struck through: negated. Dashed underline: not current, or possible.</p>"
        "</body></html>\n"
    )
