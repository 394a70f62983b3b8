"""The analysts' summary of a tagged archive: counts and rates of risk factors, small numbers
hidden before anything is written.

Concepts
--------
**Cell.** A set of notes counted together: all notes (``overall``), the notes of one month
(``note.date`` as ``YYYY-MM``; undated notes in ``unknown``) or the notes with one value of a
grouping column (no value: ``missing``). A cell holds the number of notes ``n`` and, per
*measure*, how many of them state it: each risk category (the note's ``risks["categories"]``:
affirmed, current, not negated), the toxic trio, and any risk category at all.

**Accumulating.** :class:`SummaryCounts` costs a few dict look-ups per note. Counts of separate
chunks :meth:`~SummaryCounts.merge` into exactly what one pass over all the notes gives, in any
order and any split, so one process, many processes, Spark and a resumed run report the same
figures. They round-trip through JSON (:meth:`~SummaryCounts.to_dict`) for the checkpoint manifest.

**Pooling.** A grouping column keeps at most ``max_groups`` values: the first in sort order. Notes
with a later value are counted in ``other``; when a new value sorts before a kept one, the last kept
value moves to ``other``. Unlike first-come pooling, which values are kept then depends only on the
set of values seen, never on the order notes arrive in, which is what makes merging exact.

**Disclosure control.** True counts never leave this module. :meth:`SummaryCounts.tables` applies
the rules below and returns :class:`SummaryTables`, which holds only the numbers that may be shown;
:func:`write_summary` renders those as JSON, Markdown and a self-contained HTML page.

1. *Primary*: every count below ``min_count`` is hidden: the number of notes in a group, a count
   of notes stating a measure, and zero.
2. *Complement*: a count is hidden when between 1 and ``min_count - 1`` of its group's notes do not
   state the measure, since the group size minus the count would reveal that small number.
3. *Secondary*: in a breakdown (by month, by each grouping column) the cells of a column add up to
   the overall figure, so a hidden cell could be recovered by subtraction. While only one cell of
   a column is hidden, or the hidden cells add up to fewer than ``min_count`` (or fall short of
   their groups' sizes by between 1 and ``min_count - 1``), the smallest shown cell of that column
   is hidden as well. A group whose size is hidden has all its counts hidden. This is stricter
   than the classic "never exactly one hidden cell" rule: two hidden zeros, or a 3 and a 4, would
   otherwise be revealed as a total of 0 or 7.
4. A rate is shown only when its count and its group size are shown.

Counts are of notes, not of children: a child with many notes counts once per note.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casenotes.batch.config import SummarySettings
from casenotes.extract.summaries import RISKS_FIELD
from casenotes.records import CORE_RISKS, RESERVED_FIELDS, Note, RiskLabel
from casenotes.reports import render

FORMAT = "casenotes.summary_counts.v1"
SUMMARY_FORMAT = "casenotes.tag_summary.v1"

UNKNOWN_MONTH = "unknown"
MISSING_GROUP = "missing"
OTHER_GROUP = "other"
ALL_NOTES = "All notes"
N_FIELD = "n"
TOXIC_TRIO = "toxic_trio"
ANY_RISK = "any_risk"
CATEGORIES: tuple[str, ...] = tuple(label.value for label in RiskLabel)
MEASURES: tuple[str, ...] = (*CATEGORIES, TOXIC_TRIO, ANY_RISK)
PREVALENCE_MEASURES: tuple[str, ...] = (*CATEGORIES, TOXIC_TRIO)
TREND_MEASURES: tuple[str, ...] = (*(label.value for label in CORE_RISKS), TOXIC_TRIO)

MEASURE_TITLES: Mapping[str, str] = {
    "domestic_abuse": "Domestic abuse",
    "mental_health": "Mental health",
    "substance_misuse": "Substance misuse",
    "housing": "Housing",
    "school_exclusion": "School exclusion",
    "neet": "NEET",
    "offending": "Offending",
    "exploitation": "Exploitation",
    "missing": "Missing",
    "neglect": "Neglect",
    TOXIC_TRIO: "Toxic trio",
    ANY_RISK: "Any risk",
}
MEASURE_PHRASES: Mapping[str, str] = {
    "domestic_abuse": "domestic abuse",
    "mental_health": "mental health problems",
    "substance_misuse": "substance misuse",
    "housing": "housing problems",
    "school_exclusion": "school exclusion",
    "neet": "a young person not in education, employment or training (NEET)",
    "offending": "offending",
    "exploitation": "exploitation",
    "missing": "a child missing from home or care",
    "neglect": "neglect",
    TOXIC_TRIO: (
        "the toxic trio (domestic abuse with a parent's mental health problems and a parent's "
        "substance misuse)"
    ),
    ANY_RISK: "at least one of the ten risk factors",
}

# Why a cell is hidden (the ``suppressed`` value of a cell in summary.json).
FLAG_SMALL = "small count"
FLAG_COMPLEMENT = "complement small"
FLAG_SECONDARY = "secondary"
FLAG_GROUP_HIDDEN = "group size hidden"
HIDDEN_MARK = "—"
SYMBOL_COMPLEMENT = "*"
SYMBOL_SECONDARY = "†"

INTENDED_USE = (
    "These figures are for measuring need and service planning; not for decisions about "
    "individual children."
)
UNIT_NOTE = (
    "Counts are of case notes, not of children or families: a child with many notes is counted "
    "once per note. A note counts towards a risk factor when it states it as current and "
    "affirmed, not denied, suspected, past or hypothetical."
)
RULE_PRIMARY = (
    "Counts below {min_count} are shown as '<{min_count}': every count below {min_count} is "
    "hidden, including the number of notes in a group and including zero."
)
RULE_COMPLEMENT = (
    "A count is also hidden (marked {symbol}) when fewer than {min_count} of its group's notes, "
    "but at least one, do not record it: the group size minus the count would reveal that "
    "small number."
)
RULE_SECONDARY = (
    "In each breakdown (by month and by each grouping column), when a hidden number could be "
    "worked out by subtracting the shown ones from the overall figure (only one number in a "
    "column is hidden, or the hidden ones add up to fewer than {min_count}, or fall short of "
    "their groups' sizes by fewer than {min_count}), the smallest shown number in that column is "
    "hidden too (marked {symbol}), and so on until none can be. When a group's number of notes "
    "is hidden, all of its counts are hidden too."
)
RULE_RATE = "A percentage is shown only when both its count and its group's number of notes are."
RULE_POOLING = (
    "Each grouping column keeps at most {max_groups} values, the first in alphabetical order; "
    "notes with any other value are counted together as '{other}', notes without a value as "
    "'{missing}'."
)
FOOTNOTE_SMALL = "<{min_count}: fewer than {min_count} notes (possibly none); hidden."
FOOTNOTE_COMPLEMENT = (
    "{symbol} hidden: fewer than {min_count} of the group's notes do not record it, so the group "
    "size minus this count would reveal a small number."
)
FOOTNOTE_SECONDARY = (
    "{symbol} hidden so that other hidden numbers cannot be worked out by subtraction from the "
    "totals."
)
TREND_CAPTION = (
    "Share of notes per month. Gaps are months whose numbers are too small to show, or months "
    "without notes; they are not zeros."
)
PREVALENCE_CAPTION = "Share of all notes tagged that record each risk factor."

_SENTINELS = frozenset({MISSING_GROUP, OTHER_GROUP})
_DISALLOWED_GROUP_BY = RESERVED_FIELDS | {RISKS_FIELD}
_WIDTH = 1 + len(MEASURES)  # a cell: n, then one count per measure
_CATEGORY_INDEX: Mapping[str, int] = {name: 1 + i for i, name in enumerate(CATEGORIES)}
_TRIO_INDEX = 1 + MEASURES.index(TOXIC_TRIO)
_ANY_INDEX = 1 + MEASURES.index(ANY_RISK)
_INCREMENTS: dict[tuple[tuple[Any, ...], bool], tuple[int, ...]] = {}
_INCREMENTS_LIMIT = 4096


# -- accumulating ---------------------------------------------------------------------------------


def _compute_increments(categories: Iterable[Any], trio: bool) -> tuple[int, ...]:
    found = sorted(
        {_CATEGORY_INDEX[c] for c in categories if isinstance(c, str) and c in _CATEGORY_INDEX}
    )
    if found:
        found.append(_ANY_INDEX)
    if trio:
        found.append(_TRIO_INDEX)
    return tuple(found)


def _increments(risks: object) -> tuple[int, ...]:
    """Positions of a cell to add one to for a note with these ``risks`` (beyond ``n``)."""
    if not isinstance(risks, Mapping):
        return ()
    categories = risks.get("categories")
    if categories is None or isinstance(categories, str | bytes):
        categories = ()
    trio = bool(risks.get("toxic_trio"))
    try:
        key = (tuple(categories), trio)
        return _INCREMENTS[key]
    except KeyError:
        found = _compute_increments(key[0], trio)
        if len(_INCREMENTS) < _INCREMENTS_LIMIT:
            _INCREMENTS[key] = found
        return found
    except TypeError:  # unhashable or not iterable: count what can be counted, cache nothing
        return _compute_increments(categories if isinstance(categories, Iterable) else (), trio)


def _bump(cell: list[int], increments: tuple[int, ...]) -> None:
    cell[0] += 1
    for i in increments:
        cell[i] += 1


def _add_into(cell: list[int], other: Sequence[int]) -> None:
    for i, value in enumerate(other):
        cell[i] += value


def _group_value(value: object) -> str:
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return MISSING_GROUP
    return value if type(value) is str else str(value)


class _Groups:
    """One grouping column's cells: at most ``limit`` real values (the first in sort order)."""

    __slots__ = ("ceiling", "cells", "limit", "values")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.cells: dict[str, list[int]] = {}
        self.values = 0  # real values kept (not missing or other)
        self.ceiling: str | None = None  # the largest kept real value, once ``limit`` are kept

    def cell_for(self, key: str) -> list[int]:
        cell = self.cells.get(key)
        if cell is not None:
            return cell
        if key in _SENTINELS:
            cell = self.cells[key] = [0] * _WIDTH
            return cell
        if self.values < self.limit:
            cell = self.cells[key] = [0] * _WIDTH
            self.values += 1
            if self.values == self.limit:
                self.ceiling = self._largest()
            return cell
        assert self.ceiling is not None
        if key < self.ceiling:  # evict the largest kept value into "other"
            _add_into(self._other(), self.cells.pop(self.ceiling))
            cell = self.cells[key] = [0] * _WIDTH
            self.ceiling = self._largest()
            return cell
        return self._other()

    def _other(self) -> list[int]:
        cell = self.cells.get(OTHER_GROUP)
        if cell is None:
            cell = self.cells[OTHER_GROUP] = [0] * _WIDTH
        return cell

    def _largest(self) -> str:
        return max(k for k in self.cells if k not in _SENTINELS)


class SummaryCounts:
    """Mergeable, JSON-serialisable counts of notes per cell: overall, per month, per group."""

    def __init__(self, group_by: Sequence[str] = (), max_groups: int = 200) -> None:
        group_by = tuple(group_by)
        if isinstance(max_groups, bool) or not isinstance(max_groups, int) or max_groups < 1:
            raise ValueError(f"max_groups must be a positive integer, got {max_groups!r}")
        if len(set(group_by)) != len(group_by):
            raise ValueError(f"group_by names a column twice: {list(group_by)}")
        for column in group_by:
            if not isinstance(column, str) or not column:
                raise ValueError(f"group_by columns must be non-empty strings, got {column!r}")
            if column in _DISALLOWED_GROUP_BY:
                raise ValueError(
                    f"group_by column {column!r} is a note field, not an input column to group "
                    "by; months are counted anyway (dates) and per-case counts are never "
                    "published: remove it from [tag.summary] group_by"
                )
        self.group_by: tuple[str, ...] = group_by
        self.max_groups = max_groups
        self._overall = [0] * _WIDTH
        self._months: dict[str, list[int]] = {}
        self._groups: dict[str, _Groups] = {column: _Groups(max_groups) for column in group_by}

    @classmethod
    def from_settings(cls, settings: SummarySettings) -> SummaryCounts:
        return cls(settings.group_by, settings.max_groups)

    @property
    def notes(self) -> int:
        """How many notes have been counted."""
        return self._overall[0]

    def add(self, note: Note) -> None:
        """Count one tagged note in every cell it belongs to."""
        extra = note.extra
        increments = _increments(extra.get(RISKS_FIELD))
        _bump(self._overall, increments)
        date = note.date
        month = UNKNOWN_MONTH if date is None else date.isoformat()[:7]
        cell = self._months.get(month)
        if cell is None:
            cell = self._months[month] = [0] * _WIDTH
        _bump(cell, increments)
        for column, groups in self._groups.items():
            _bump(groups.cell_for(_group_value(extra.get(column))), increments)

    def add_all(self, notes: Iterable[Note]) -> SummaryCounts:
        for note in notes:
            self.add(note)
        return self

    def merge(self, other: SummaryCounts) -> SummaryCounts:
        """A new accumulator holding both: the same as adding all their notes to one."""
        if not isinstance(other, SummaryCounts):
            raise TypeError(f"cannot merge SummaryCounts with {type(other).__name__}")
        if (other.group_by, other.max_groups) != (self.group_by, self.max_groups):
            raise ValueError(
                "cannot merge summary counts with different settings: group_by "
                f"{list(self.group_by)} / {list(other.group_by)}, max_groups "
                f"{self.max_groups} / {other.max_groups}"
            )
        merged = SummaryCounts(self.group_by, self.max_groups)
        for source in (self, other):
            _add_into(merged._overall, source._overall)
            for month, counts in source._months.items():
                cell = merged._months.get(month)
                if cell is None:
                    cell = merged._months[month] = [0] * _WIDTH
                _add_into(cell, counts)
            for column, groups in source._groups.items():
                target = merged._groups[column]
                for key, counts in groups.cells.items():
                    _add_into(target.cell_for(key), counts)
        return merged

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "group_by": list(self.group_by),
            "max_groups": self.max_groups,
            "fields": [N_FIELD, *MEASURES],
            "overall": list(self._overall),
            "month": {k: list(v) for k, v in sorted(self._months.items())},
            "groups": {
                column: {k: list(v) for k, v in sorted(groups.cells.items())}
                for column, groups in self._groups.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SummaryCounts:
        """Rebuild from :meth:`to_dict`; ValueError names what does not fit."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValueError(f"summary counts: not a {FORMAT} object")
        if data.get("fields") != [N_FIELD, *MEASURES]:
            raise ValueError(
                "summary counts: stored with other measures than this version counts "
                f"({data.get('fields')!r}); start the run afresh"
            )
        counts = cls(data.get("group_by", ()), data.get("max_groups", 0))
        counts._overall = _vector(data.get("overall"), "overall")
        months = data.get("month")
        if not isinstance(months, Mapping):
            raise ValueError("summary counts: 'month' must be an object")
        counts._months = {str(k): _vector(v, f"month {k}") for k, v in months.items()}
        groups = data.get("groups")
        if not isinstance(groups, Mapping) or set(groups) != set(counts.group_by):
            raise ValueError(f"summary counts: 'groups' must hold exactly {list(counts.group_by)}")
        for column, cells in groups.items():
            if not isinstance(cells, Mapping):
                raise ValueError(f"summary counts: groups of {column!r} must be an object")
            target = counts._groups[column]
            for key, vector in cells.items():
                _add_into(target.cell_for(str(key)), _vector(vector, f"{column}={key}"))
        return counts

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SummaryCounts):
            return NotImplemented
        return (
            self.group_by == other.group_by
            and self.max_groups == other.max_groups
            and self._overall == other._overall
            and self._months == other._months
            and all(self._groups[c].cells == other._groups[c].cells for c in self.group_by)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (
            f"SummaryCounts(group_by={list(self.group_by)}, max_groups={self.max_groups}, "
            f"notes={self.notes}, months={len(self._months)})"
        )

    def tables(self, settings: SummarySettings) -> SummaryTables:
        """The tables that may be published: every disclosure rule applied, true counts dropped."""
        if list(settings.group_by) != list(self.group_by):
            raise ValueError(
                f"summary settings group by {settings.group_by}, these counts by "
                f"{list(self.group_by)}"
            )
        m, complements = settings.min_count, settings.suppress_complements
        overall_flags = _initial_flags(self._overall, m, complements)
        overall = Table(
            name="overall",
            title="All notes",
            rows=(_row(ALL_NOTES, self._overall, overall_flags),),
        )
        months = sorted(k for k in self._months if k != UNKNOWN_MONTH)
        if UNKNOWN_MONTH in self._months:
            months.append(UNKNOWN_MONTH)
        month = _breakdown(
            "month", "By month", [(k, self._months[k]) for k in months], overall_flags, settings
        )
        groups = {}
        for column, cells in self._groups.items():
            keys = sorted(k for k in cells.cells if k not in _SENTINELS)
            keys += [k for k in (MISSING_GROUP, OTHER_GROUP) if k in cells.cells]
            groups[column] = _breakdown(
                column, f"By {column}", [(k, cells.cells[k]) for k in keys], overall_flags, settings
            )
        return SummaryTables(
            min_count=m,
            suppress_complements=complements,
            max_groups=self.max_groups,
            overall=overall,
            month=month,
            groups=groups,
        )


def _vector(value: object, where: str) -> list[int]:
    if (
        not isinstance(value, list)
        or len(value) != _WIDTH
        or not all(type(v) is int and v >= 0 for v in value)
    ):
        raise ValueError(f"summary counts: {where} must be {_WIDTH} non-negative integers")
    return list(value)


# -- disclosure control ---------------------------------------------------------------------------


def _initial_flags(counts: Sequence[int], min_count: int, complements: bool) -> list[str | None]:
    """Primary and complement suppression of one cell: why each position is hidden, or None."""
    n = counts[0]
    flags: list[str | None] = [FLAG_SMALL if n < min_count else None]
    for count in counts[1:]:
        if count < min_count:
            flags.append(FLAG_SMALL)
        elif complements and 0 < n - count < min_count:
            flags.append(FLAG_COMPLEMENT)
        else:
            flags.append(None)
    return flags


def _exposed(
    rows: Sequence[Sequence[int]],
    flags: Sequence[Sequence[str | None]],
    column: int,
    total_hidden: bool,
    min_count: int,
    complements: bool,
) -> bool:
    """Could subtraction from the overall figure recover hidden cells of this column?"""
    hidden = [r for r, row_flags in enumerate(flags) if row_flags[column] is not None]
    if not hidden:
        return total_hidden  # all shown: they add up to the hidden overall figure
    if total_hidden:
        return False
    if len(hidden) == 1:
        return True
    if sum(rows[r][column] for r in hidden) < min_count:
        return True
    if column and complements and all(flags[r][0] is None for r in hidden):
        shortfall = sum(rows[r][0] - rows[r][column] for r in hidden)
        return 0 < shortfall < min_count
    return False


def _secondary(
    rows: Sequence[Sequence[int]],
    flags: list[list[str | None]],
    total_flags: Sequence[str | None],
    min_count: int,
    complements: bool,
) -> None:
    """Secondary suppression of a breakdown, in place, until no hidden cell can be subtracted."""

    def hide_row(r: int) -> None:
        for c in range(1, _WIDTH):
            if flags[r][c] is None:
                flags[r][c] = FLAG_GROUP_HIDDEN

    for r, row_flags in enumerate(flags):
        if row_flags[0] is not None:
            hide_row(r)
    changed = True
    while changed:
        changed = False
        for c in range(_WIDTH):
            while _exposed(rows, flags, c, total_flags[c] is not None, min_count, complements):
                shown = [r for r, row_flags in enumerate(flags) if row_flags[c] is None]
                if not shown:
                    break
                smallest = min(shown, key=lambda r: (rows[r][c], r))
                flags[smallest][c] = FLAG_SECONDARY
                if c == 0:
                    hide_row(smallest)
                changed = True


@dataclass(frozen=True, slots=True)
class Cell:
    """A published number: ``count`` and ``rate`` are None when hidden; ``suppressed`` says why."""

    count: int | None
    rate: float | None = None
    suppressed: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "rate": self.rate, "suppressed": self.suppressed}


@dataclass(frozen=True, slots=True)
class Row:
    """One group of a table: its number of notes and a cell per measure."""

    group: str
    n: Cell
    measures: Mapping[str, Cell]

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            N_FIELD: {"count": self.n.count, "suppressed": self.n.suppressed},
            "measures": {name: cell.to_dict() for name, cell in self.measures.items()},
        }


@dataclass(frozen=True, slots=True)
class Table:
    """``overall``, ``month`` or one grouping column."""

    name: str
    title: str
    rows: tuple[Row, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "rows": [r.to_dict() for r in self.rows]}


def _row(group: str, counts: Sequence[int], flags: Sequence[str | None]) -> Row:
    n_shown = flags[0] is None
    n = counts[0]
    measures = {}
    for i, name in enumerate(MEASURES, start=1):
        if flags[i] is None:
            rate = round(counts[i] / n, 6) if n_shown and n else None
            measures[name] = Cell(counts[i], rate, None)
        else:
            measures[name] = Cell(None, None, flags[i])
    return Row(group=group, n=Cell(n if n_shown else None, None, flags[0]), measures=measures)


def _breakdown(
    name: str,
    title: str,
    cells: Sequence[tuple[str, Sequence[int]]],
    total_flags: Sequence[str | None],
    settings: SummarySettings,
) -> Table:
    m, complements = settings.min_count, settings.suppress_complements
    rows = [counts for _, counts in cells]
    flags = [_initial_flags(counts, m, complements) for counts in rows]
    _secondary(rows, flags, total_flags, m, complements)
    return Table(
        name=name,
        title=title,
        rows=tuple(_row(k, counts, f) for (k, counts), f in zip(cells, flags, strict=True)),
    )


@dataclass(frozen=True, slots=True)
class SummaryTables:
    """What may be published: the tables after every rule, with the rules they were made under."""

    min_count: int
    suppress_complements: bool
    max_groups: int
    overall: Table
    month: Table
    groups: Mapping[str, Table]

    @property
    def rules(self) -> tuple[str, ...]:
        m = self.min_count
        rules = [RULE_PRIMARY.format(min_count=m)]
        if self.suppress_complements:
            rules.append(RULE_COMPLEMENT.format(min_count=m, symbol=SYMBOL_COMPLEMENT))
        rules.append(RULE_SECONDARY.format(min_count=m, symbol=SYMBOL_SECONDARY))
        rules.append(RULE_RATE)
        if self.groups:
            rules.append(
                RULE_POOLING.format(
                    max_groups=self.max_groups, other=OTHER_GROUP, missing=MISSING_GROUP
                )
            )
        return tuple(rules)

    @property
    def all_tables(self) -> tuple[Table, ...]:
        return (self.overall, self.month, *self.groups.values())

    def readings(self) -> list[str]:
        """Plain-language sentences from the overall row (shown numbers only)."""
        row = self.overall.rows[0]
        m = self.min_count
        if row.n.count is None:
            return [f"Fewer than {m} notes were tagged, so no counts are shown."]
        lead = f"Of the {row.n.count:,} notes tagged,"
        readings = []
        for name in MEASURES:
            cell, phrase = row.measures[name], MEASURE_PHRASES[name]
            if cell.count is not None:
                readings.append(f"{lead} {cell.count:,} ({_percent(cell.rate)}) record {phrase}.")
            elif cell.suppressed == FLAG_COMPLEMENT:
                readings.append(f"{lead} all but fewer than {m} record {phrase}.")
            else:
                readings.append(f"{lead} fewer than {m} record {phrase}.")
        return readings

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": SUMMARY_FORMAT,
            "intended_use": INTENDED_USE,
            "unit": UNIT_NOTE,
            "min_count": self.min_count,
            "suppress_complements": self.suppress_complements,
            "max_groups": self.max_groups,
            "measures": list(MEASURES),
            "rules": list(self.rules),
            "readings": self.readings(),
            "tables": {
                "overall": self.overall.to_dict(),
                "month": self.month.to_dict(),
                "groups": {column: t.to_dict() for column, t in self.groups.items()},
            },
        }


# -- rendering ------------------------------------------------------------------------------------

FACT_LABELS: Mapping[str, str] = {
    "input": "Input",
    "read": "Records read",
    "written": "Notes written",
    "rejected": "Records rejected",
    "engine": "Engine",
    "processes": "Processes",
    "elapsed_seconds": "Elapsed (seconds)",
    "notes_per_second": "Notes per second",
    "rule_sets": "Rule sets",
    "started": "Started",
    "finished": "Finished",
}


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{100 * rate:.1f}%"


def _cell_text(cell: Cell, min_count: int) -> str:
    if cell.count is not None:
        return f"{cell.count:,}"
    if cell.suppressed == FLAG_SMALL:
        return f"<{min_count}"
    if cell.suppressed == FLAG_COMPLEMENT:
        return HIDDEN_MARK + SYMBOL_COMPLEMENT
    return HIDDEN_MARK + SYMBOL_SECONDARY


def _display_table(table: Table, min_count: int) -> dict[str, Any]:
    """A table as strings, shared by the Markdown and the HTML."""
    first = {"overall": "", "month": "Month"}.get(table.name, table.name)
    header = [first, "Notes", *(MEASURE_TITLES[name] for name in MEASURES)]
    rows = []
    for row in table.rows:
        cells = [{"text": _cell_text(row.n, min_count), "rate": "", "why": row.n.suppressed or ""}]
        for name in MEASURES:
            cell = row.measures[name]
            cells.append(
                {
                    "text": _cell_text(cell, min_count),
                    "rate": _percent(cell.rate),
                    "why": cell.suppressed or "",
                }
            )
        rows.append({"group": row.group, "cells": cells})
    return {"name": table.name, "title": table.title, "header": header, "rows": rows}


def _footnotes(tables: SummaryTables) -> list[str]:
    m = tables.min_count
    notes = [FOOTNOTE_SMALL.format(min_count=m)]
    if tables.suppress_complements:
        notes.append(FOOTNOTE_COMPLEMENT.format(min_count=m, symbol=SYMBOL_COMPLEMENT))
    notes.append(FOOTNOTE_SECONDARY.format(symbol=SYMBOL_SECONDARY))
    return notes


def _fact_value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        if {"name", "version"} <= set(value):
            digest = str(value.get("digest") or "")
            return f"{value['name']} {value['version']}" + (f" ({digest[:12]})" if digest else "")
        return ", ".join(f"{k}: {_fact_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(_fact_value(v) for v in value)
    return str(value)


def _facts(facts: Mapping[str, object]) -> list[tuple[str, str]]:
    return [
        (FACT_LABELS.get(key, key.replace("_", " ").capitalize()), _fact_value(value))
        for key, value in facts.items()
    ]


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _markdown(tables: SummaryTables, facts: Sequence[tuple[str, str]]) -> str:
    lines = ["# Risk factors in tagged case notes", "", f"> {INTENDED_USE}", "", UNIT_NOTE, ""]
    lines += ["## Key figures", ""]
    lines += [f"- {reading}" for reading in tables.readings()]
    lines += ["", "## How small numbers are protected", ""]
    lines += [f"- {_md_escape(rule)}" for rule in tables.rules]
    for table in tables.all_tables:
        shown = _display_table(table, tables.min_count)
        lines += ["", f"## {_md_escape(table.title)}", ""]
        if not shown["rows"]:
            lines.append("No notes.")
            continue
        lines.append("| " + " | ".join(_md_escape(h) for h in shown["header"]) + " |")
        lines.append("| --- |" + " ---: |" * (len(shown["header"]) - 1))
        for row in shown["rows"]:
            cells = [c["text"] + (f" ({c['rate']})" if c["rate"] else "") for c in row["cells"]]
            lines.append("| " + " | ".join([_md_escape(row["group"]), *cells]) + " |")
    lines += ["", "Notes on the tables:", ""]
    lines += [f"- {_md_escape(note)}" for note in _footnotes(tables)]
    lines += ["", "## About this run", "", "| | |", "| --- | --- |"]
    lines += [f"| {_md_escape(k)} | {_md_escape(v)} |" for k, v in facts]
    return "\n".join(lines) + "\n"


# Inline SVG charts, drawn by hand: no scripts, no fonts or images from elsewhere.
_CORE_COLOUR, _EXTENDED_COLOUR, _TRIO_COLOUR = "#2b6cb0", "#7fa7d6", "#b83232"
_NICE_TOPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1.0)


def _nice_top(value: float) -> float:
    return next((top for top in _NICE_TOPS if value <= top), 1.0)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _colour(measure: str) -> str:
    if measure == TOXIC_TRIO:
        return _TRIO_COLOUR
    core = {label.value for label in CORE_RISKS}
    return _CORE_COLOUR if measure in core else _EXTENDED_COLOUR


def _prevalence_svg(tables: SummaryTables) -> str:
    row = tables.overall.rows[0]
    label_w, bar_w, value_w, row_h, pad = 150, 320, 130, 24, 8
    width, height = label_w + bar_w + value_w, 2 * pad + row_h * len(PREVALENCE_MEASURES) + 18
    shown = [row.measures[m].rate for m in PREVALENCE_MEASURES]
    top = _nice_top(max((r for r in shown if r is not None), default=0.0))
    title = "Share of notes recording each risk factor"
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{_esc(title)}" font-family="system-ui, sans-serif" font-size="12">',
        f"<title>{_esc(title)}</title>",
    ]
    for i, measure in enumerate(PREVALENCE_MEASURES):
        cell = row.measures[measure]
        y = pad + i * row_h
        mid = y + row_h / 2 + 4
        parts.append(
            f'<text x="{label_w - 8}" y="{mid:.1f}" text-anchor="end">'
            f"{_esc(MEASURE_TITLES[measure])}</text>"
        )
        if cell.rate is not None and cell.count is not None:
            length = bar_w * cell.rate / top
            parts.append(
                f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="{row_h - 8}" '
                f'fill="{_colour(measure)}"/>'
            )
            parts.append(
                f'<text x="{label_w + length + 6:.1f}" y="{mid:.1f}">'
                f"{_percent(cell.rate)} ({cell.count:,})</text>"
            )
        else:
            parts.append(
                f'<text x="{label_w + 6}" y="{mid:.1f}" fill="#555">'
                f"{_esc(_cell_text(cell, tables.min_count))} (not shown)</text>"
            )
    axis_y = pad + row_h * len(PREVALENCE_MEASURES)
    parts.append(
        f'<line x1="{label_w}" y1="{pad}" x2="{label_w}" y2="{axis_y}" stroke="#333"/>'
        f'<text x="{label_w}" y="{axis_y + 14}" text-anchor="middle" fill="#555">0%</text>'
        f'<text x="{label_w + bar_w}" y="{axis_y + 14}" text-anchor="middle" fill="#555">'
        f"{100 * top:g}%</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while True:
        key = f"{year:04d}-{month:02d}"
        months.append(key)
        if key >= last:
            return months
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _trend_svg(measure: str, months: Sequence[str], rates: Mapping[str, float]) -> str:
    width, height, left, right, top, bottom = 320, 150, 44, 12, 24, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    y_top = _nice_top(max(rates.values(), default=0.0))
    step = plot_w / (len(months) - 1) if len(months) > 1 else 0.0

    def x(i: int) -> float:
        return left + (i * step if len(months) > 1 else plot_w / 2)

    def y(rate: float) -> float:
        return top + plot_h * (1 - rate / y_top)

    title = f"{MEASURE_TITLES[measure]}: share of notes by month"
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{_esc(title)}" font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{_esc(title)}</title>",
        f'<text x="{left}" y="14" font-weight="600">{_esc(MEASURE_TITLES[measure])}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#333"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>',
        f'<text x="{left - 4}" y="{top + plot_h + 4}" text-anchor="end" fill="#555">0%</text>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" fill="#555">{100 * y_top:g}%</text>',
        f'<text x="{left}" y="{height - 6}" fill="#555">{_esc(months[0])}</text>',
    ]
    if len(months) > 1:
        parts.append(
            f'<text x="{left + plot_w}" y="{height - 6}" text-anchor="end" fill="#555">'
            f"{_esc(months[-1])}</text>"
        )
    colour = _colour(measure)
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, month in enumerate(months):
        rate = rates.get(month)
        if rate is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        point = f"{x(i):.1f},{y(rate):.1f}"
        segment.append(point)
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(rate):.1f}" r="2.5" fill="{colour}"/>')
    if segment:
        segments.append(segment)
    if not rates:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
            'fill="#555">no month large enough to show</text>'
        )
    for points in segments:
        if len(points) > 1:
            parts.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                'stroke-width="1.8"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _trend_svgs(tables: SummaryTables) -> list[str]:
    dated = [row for row in tables.month.rows if row.group != UNKNOWN_MONTH]
    if not dated:
        return []
    months = _month_range(dated[0].group, dated[-1].group)
    charts = []
    for measure in TREND_MEASURES:
        rates: dict[str, float] = {}
        for row in dated:
            rate = row.measures[measure].rate
            if rate is not None:
                rates[row.group] = rate
        charts.append(_trend_svg(measure, months, rates))
    return charts


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _json_default(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _jsonable(value: object) -> object:
    return json.loads(json.dumps(value, default=_json_default))


def write_summary(
    tables: SummaryTables, folder: Path, facts: Mapping[str, object]
) -> dict[str, Path]:
    """Write ``summary.json``, ``summary.md`` and ``summary.html`` into ``folder``.

    Only what ``tables`` holds is written (every rule already applied), with ``facts`` about the
    run (counts, timings, rule-set versions) as a small table. Returns the paths by kind.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shown_facts = _facts(facts)
    paths = {
        "json": folder / "summary.json",
        "markdown": folder / "summary.md",
        "html": folder / "summary.html",
    }
    document = {**tables.to_dict(), "facts": _jsonable(dict(facts))}
    _write(paths["json"], json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    _write(paths["markdown"], _markdown(tables, shown_facts))
    page = render(
        "tag_summary.html.j2",
        intended_use=INTENDED_USE,
        unit_note=UNIT_NOTE,
        min_count=tables.min_count,
        readings=tables.readings(),
        rules=tables.rules,
        prevalence_svg=_prevalence_svg(tables),
        prevalence_caption=PREVALENCE_CAPTION,
        trend_svgs=_trend_svgs(tables),
        trend_caption=TREND_CAPTION,
        tables=[_display_table(t, tables.min_count) for t in tables.all_tables],
        footnotes=_footnotes(tables),
        facts=shown_facts,
    )
    _write(paths["html"], page)
    return paths
