"""Build the independently written gold corpora from their marked-up sources.

The notes in ``extract_notes.txt`` and ``deid_notes.txt`` were written by hand in the styles
practitioners use, without reading the generator, its grammar or the project's rules, so that the
extractor and the de-identifier can be checked on text that neither was built from. They are small
(80 notes each) and written by one author: a check of robustness beside the synthetic held-out
sets, not a replacement for an evaluation on real, hand-labelled notes. A second batch per task
(``*_notes_b.txt``, split ``dev_b``) was written later by other authors under the same rules; it
was scored once before any change made from it, then read like the dev split. A third batch by two
more authors per task (``*_notes_c1.txt``, ``*_notes_c2.txt``; one author each, in styles the
earlier batches lack) is split by case into ``dev_c``, read like the dev splits, and ``test_c``,
only scored. Both were scored before any change made from them (``*_first`` reports).

Markup (the same in every source file):

- a note starts with ``=== note_id=… case_id=… date=YYYY-MM-DD split=…`` (one of ``SPLITS``);
  its text runs to the next header, with blank lines at either end dropped;
- a risk mention is ``[[span|label|negated|subject|temporality|certainty]]`` (``negated`` is
  ``yes`` or ``no``);
- a piece of personal data is ``{{value|LABEL}}``.

The sources of a task give ``<task>_<split>.jsonl`` beside them, in the gold shape of DOMAIN.md
(``mentions`` or ``pii`` with offsets into the plain text). The ``dev`` and ``dev_b`` splits may be
read while improving rules; the ``test`` split is only scored.

Usage (from the project root)::

    .venv/bin/python evaluation/independent/build.py
    .venv/bin/python evaluation/independent/build.py --check evaluation/independent/FILE.txt
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "src"))

from casenotes.records import (  # noqa: E402
    Certainty,
    PiiLabel,
    RiskLabel,
    Subject,
    Temporality,
)

HEADER = re.compile(r"^=== (.*)$")
FIELD = re.compile(r"(\w+)=(\S+)")
MARK = re.compile(r"\[\[(.+?)\]\]|\{\{(.+?)\}\}")
SPLITS = ("dev", "test", "dev_b", "dev_c", "test_c")
SOURCES = {
    "extract": (
        "extract_notes.txt",
        "extract_notes_b.txt",
        "extract_notes_c1.txt",
        "extract_notes_c2.txt",
    ),
    "deid": ("deid_notes.txt", "deid_notes_b.txt", "deid_notes_c1.txt", "deid_notes_c2.txt"),
}


class MarkupError(ValueError):
    """A note whose markup cannot be read, named by file, line and note id."""


def _mention(fields: list[str], where: str) -> dict:
    if len(fields) != 6:
        raise MarkupError(f"{where}: a mention needs 6 fields, got {len(fields)}")
    _, label, negated, subject, temporality, certainty = (f.strip() for f in fields)
    if negated not in ("yes", "no"):
        raise MarkupError(f"{where}: negated must be yes or no, got {negated!r}")
    try:
        return {
            "label": RiskLabel(label).value,
            "negated": negated == "yes",
            "subject": Subject(subject).value,
            "temporality": Temporality(temporality).value,
            "certainty": Certainty(certainty).value,
        }
    except ValueError as error:
        raise MarkupError(f"{where}: {error}") from None


def _pii(fields: list[str], where: str) -> dict:
    if len(fields) != 2:
        raise MarkupError(f"{where}: personal data needs 2 fields, got {len(fields)}")
    try:
        return {"label": PiiLabel(fields[1].strip()).value, "score": 1.0, "recognizer": "gold"}
    except ValueError as error:
        raise MarkupError(f"{where}: {error}") from None


def parse_note(marked: str, where: str) -> tuple[str, list[dict], list[dict]]:
    """Plain text, mentions and personal-data spans of one marked-up note."""
    text: list[str] = []
    mentions: list[dict] = []
    pii: list[dict] = []
    at = last = 0
    for match in MARK.finditer(marked):
        text.append(marked[last : match.start()])
        at += match.start() - last
        fields = (match.group(1) or match.group(2)).split("|")
        value = fields[0]
        if not value.strip() or value != value.strip():
            raise MarkupError(f"{where}: a marked span is empty or has spaces at its ends")
        if match.group(1) is not None:
            mentions.append({"start": at, "end": at + len(value), **_mention(fields, where)})
        else:
            pii.append({"start": at, "end": at + len(value), **_pii(fields, where)})
        text.append(value)
        at += len(value)
        last = match.end()
    text.append(marked[last:])
    plain = "".join(text)
    for token in ("[[", "]]", "{{", "}}"):
        if token in plain:
            raise MarkupError(f"{where}: unmatched {token!r} left in the text")
    return plain, mentions, pii


def parse(path: Path) -> list[dict]:
    """Every note of one source file, in order."""
    notes: list[dict] = []
    header: dict | None = None
    body: list[str] = []
    start_line = 0

    def close() -> None:
        if header is None:
            return
        where = f"{path.name}:{start_line} ({header.get('note_id', '?')})"
        for key in ("note_id", "case_id", "date", "split"):
            if key not in header:
                raise MarkupError(f"{where}: header has no {key}")
        if header["split"] not in SPLITS:
            raise MarkupError(f"{where}: split must be one of {SPLITS}, got {header['split']!r}")
        text, mentions, pii = parse_note("\n".join(body).strip("\n"), where)
        if not text.strip():
            raise MarkupError(f"{where}: the note has no text")
        notes.append({**header, "text": text, "mentions": mentions, "pii": pii})

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        found = HEADER.match(line)
        if found:
            close()
            header, body, start_line = dict(FIELD.findall(found.group(1))), [], number
        elif header is not None:
            body.append(line)
        elif line.strip():
            raise MarkupError(f"{path.name}:{number}: text before the first === header")
    close()
    return notes


def check_together(notes: list[dict], names: str) -> None:
    """Note ids are unique and no case is in two splits, across all sources of a task."""
    ids = [note["note_id"] for note in notes]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise MarkupError(f"{names}: note ids repeat: {', '.join(repeated)}")
    cases: dict[str, set[str]] = {}
    for note in notes:
        cases.setdefault(note["case_id"], set()).add(note["split"])
    mixed = sorted(case for case, splits in cases.items() if len(splits) > 1)
    if mixed:
        raise MarkupError(f"{names}: cases in more than one split: {', '.join(mixed)}")


def check(path: Path) -> int:
    """Parse one source file and print what it holds, writing nothing (for its author)."""
    try:
        notes = parse(path)
        check_together(notes, path.name)
    except MarkupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for split in SPLITS:
        rows = [note for note in notes if note["split"] == split]
        if rows:
            mentions = sum(len(note["mentions"]) for note in rows)
            pii = sum(len(note["pii"]) for note in rows)
            print(f"{path.name} {split}: {len(rows)} notes, {mentions} mentions, {pii} pii spans")
    return 0


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        return check(Path(sys.argv[2]))
    for task, names in SOURCES.items():
        notes = []
        try:
            for name in names:
                if (HERE / name).exists():
                    notes += parse(HERE / name)
                else:
                    print(f"{name}: not written yet")
            check_together(notes, " + ".join(names))
        except MarkupError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        for split in SPLITS:
            if not any(note["split"] == split for note in notes):
                continue
            rows = [
                {
                    key: value
                    for key, value in note.items()
                    if key != "split" and (key != ("pii" if task == "extract" else "mentions"))
                }
                for note in notes
                if note["split"] == split
            ]
            out = HERE / f"{task}_{split}.jsonl"
            out.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
            spans = sum(len(row.get("mentions") or row.get("pii") or []) for row in rows)
            print(f"{out.name}: {len(rows)} notes, {spans} spans")
    return 0


if __name__ == "__main__":
    sys.exit(main())
