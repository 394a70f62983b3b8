import datetime as dt
import html
import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casenotes.batch.config import SummarySettings
from casenotes.batch.summary import (
    ANY_RISK,
    FLAG_COMPLEMENT,
    FLAG_GROUP_HIDDEN,
    FLAG_SECONDARY,
    FLAG_SMALL,
    INTENDED_USE,
    MEASURES,
    OTHER_GROUP,
    RULE_PRIMARY,
    TOXIC_TRIO,
    SummaryCounts,
    SummaryTables,
    write_summary,
)
from casenotes.records import Note, RiskLabel

DA, MH, SM, HOUSING = "domestic_abuse", "mental_health", "substance_misuse", "housing"
CATEGORIES = [label.value for label in RiskLabel]
SECRET = "Kayden told SW that mum's partner hit her"
FACTS = {
    "input": "archive/notes-*.jsonl",
    "read": 12_003,
    "written": 12_000,
    "rejected": 3,
    "engine": "local",
    "processes": 2,
    "elapsed_seconds": 81.25,
    "notes_per_second": 147.7,
    "rule_sets": [{"name": "risk_rules", "version": "3", "digest": "0123456789abcdef0123"}],
    "started": dt.datetime(2024, 5, 1, 9, 0, 0),
    "finished": "2024-05-01T09:01:21",
}


def make_note(
    i: int,
    categories=(),
    *,
    trio: bool = False,
    date: dt.date | None = dt.date(2024, 1, 15),
    team: object = "A",
    risks: bool = True,
) -> Note:
    extra: dict[str, object] = {"team": team}
    if risks:
        extra["risks"] = {
            "categories": list(categories),
            "toxic_trio": trio,
            "counts": {c: 1 for c in categories},
            "present_counts": {c: 1 for c in categories},
        }
    return Note(note_id=f"n{i}", text=SECRET, date=date, extra=extra)


def group_notes(spec: dict[str, tuple[int, int]], category: str = DA) -> list[Note]:
    """``{team: (n, with_category)}`` → that many notes per team, all in one month."""
    notes = []
    for team, (n, with_category) in spec.items():
        for j in range(n):
            cats = (category,) if j < with_category else ()
            notes.append(make_note(len(notes), cats, team=team))
    return notes


def vector(n, **counts):
    return [n, *(counts.get(m, 0) for m in MEASURES)]


def cells(table, measure):
    """``{group: (count, suppressed)}`` of one column of a table."""
    if measure == "n":
        return {row.group: (row.n.count, row.n.suppressed) for row in table.rows}
    return {
        row.group: (row.measures[measure].count, row.measures[measure].suppressed)
        for row in table.rows
    }


# -- accumulating -------------------------------------------------------------------------------


def test_add_counts_each_note_overall_by_month_and_by_group():
    counts = SummaryCounts(group_by=["team"])
    counts.add(make_note(1, [DA, MH, SM], trio=True, date=dt.date(2024, 2, 29), team="A"))
    counts.add(make_note(2, [HOUSING], date=dt.date(2024, 2, 1), team=7))
    counts.add(make_note(3, [], date=None, team=None))
    counts.add(make_note(4, [DA, "not_a_label"], date=dt.date(2023, 12, 31), team=""))
    data = counts.to_dict()
    assert data["overall"] == vector(
        4,
        domestic_abuse=2,
        mental_health=1,
        substance_misuse=1,
        housing=1,
        toxic_trio=1,
        any_risk=3,
    )
    assert data["month"] == {
        "2023-12": vector(1, domestic_abuse=1, any_risk=1),
        "2024-02": vector(
            2,
            domestic_abuse=1,
            mental_health=1,
            substance_misuse=1,
            housing=1,
            toxic_trio=1,
            any_risk=2,
        ),
        "unknown": vector(1),
    }
    assert data["groups"]["team"] == {
        "7": vector(1, housing=1, any_risk=1),
        "A": vector(
            1, domestic_abuse=1, mental_health=1, substance_misuse=1, toxic_trio=1, any_risk=1
        ),
        "missing": vector(2, domestic_abuse=1, any_risk=1),
    }
    assert counts.notes == 4


def test_a_note_without_risks_counts_in_n_only():
    counts = SummaryCounts()
    counts.add(make_note(1, risks=False))
    counts.add(Note(note_id="n2", text="x", extra={"risks": "not a dict"}))
    assert counts.to_dict()["overall"] == vector(2)


def test_group_by_a_note_field_is_refused():
    with pytest.raises(ValueError, match="case_id"):
        SummaryCounts(group_by=["case_id"])


def test_merge_of_two_halves_equals_the_whole():
    notes = [
        make_note(
            i,
            CATEGORIES[: i % 4],
            trio=i % 7 == 0,
            team="ABC"[i % 3],
            date=dt.date(2024, 1 + i % 5, 1) if i % 9 else None,
        )
        for i in range(60)
    ]
    whole = SummaryCounts(["team"]).add_all(notes)
    first = SummaryCounts(["team"]).add_all(notes[:23])
    second = SummaryCounts(["team"]).add_all(notes[23:])
    assert first.merge(second) == whole
    assert second.merge(first) == whole
    assert first != whole
    assert first.to_dict()["overall"][0] == 23  # merge made a new object, the halves are intact


def test_merge_refuses_other_settings():
    with pytest.raises(ValueError, match="different settings"):
        SummaryCounts(["team"]).merge(SummaryCounts(["team"], max_groups=3))


def test_round_trip_through_json():
    counts = SummaryCounts(["team", "area"], max_groups=2)
    for i in range(30):
        note = make_note(
            i,
            CATEGORIES[i % 10 : i % 10 + 2],
            trio=i % 5 == 0,
            team=f"t{i % 4}",
            date=None if i == 3 else dt.date(2024, 1 + i % 3, 2),
        )
        counts.add(note)
    restored = SummaryCounts.from_dict(json.loads(json.dumps(counts.to_dict())))
    assert restored == counts
    assert restored.to_dict() == counts.to_dict()
    # and it goes on counting like the original
    restored.add(make_note(99, [DA], team="t0"))
    counts.add(make_note(99, [DA], team="t0"))
    assert restored == counts


def test_from_dict_refuses_counts_of_other_measures():
    data = SummaryCounts().to_dict()
    data["fields"] = data["fields"][:-1]
    with pytest.raises(ValueError, match="other measures"):
        SummaryCounts.from_dict(data)
    data = SummaryCounts().to_dict()
    data["overall"] = [1, 2]
    with pytest.raises(ValueError, match="overall"):
        SummaryCounts.from_dict(data)


def test_max_groups_keeps_the_first_values_in_sort_order_and_pools_the_rest_as_other():
    notes = [
        make_note(i, [DA] if team == "C" else [], team=team)
        for i, team in enumerate(["C", "A", "C", "D", "B", None, "A"])
    ]
    counts = SummaryCounts(["team"], max_groups=2).add_all(notes)
    groups = counts.to_dict()["groups"]["team"]
    assert groups == {
        "A": vector(2),
        "B": vector(1),
        OTHER_GROUP: vector(3, domestic_abuse=2, any_risk=2),  # C twice, D once
        "missing": vector(1),
    }
    # the kept values depend on the values seen, not on the order they came in
    assert SummaryCounts(["team"], max_groups=2).add_all(reversed(notes)) == counts


# -- suppression ----------------------------------------------------------------------------------


def test_primary_suppression_hides_every_count_below_min_count_including_zero():
    notes = group_notes({"A": (25, 9)}) + group_notes({"A": (0, 0)})
    notes += [make_note(100 + i, [HOUSING], team="A") for i in range(10)]
    counts = SummaryCounts().add_all(notes)
    tables = counts.tables(SummarySettings(min_count=10, suppress_complements=False))
    row = tables.overall.rows[0]
    assert (row.n.count, row.n.suppressed) == (35, None)
    assert (row.measures[DA].count, row.measures[DA].suppressed) == (None, FLAG_SMALL)
    assert row.measures[DA].rate is None
    assert (row.measures[MH].count, row.measures[MH].suppressed) == (None, FLAG_SMALL)  # zero
    assert (row.measures[HOUSING].count, row.measures[HOUSING].rate) == (10, round(10 / 35, 6))
    assert row.measures[ANY_RISK].count == 19

    tiny = SummaryCounts().add_all(group_notes({"A": (9, 9)})).tables(SummarySettings())
    assert tiny.overall.rows[0].n.suppressed == FLAG_SMALL
    assert all(cell.count is None for cell in tiny.overall.rows[0].measures.values())
    assert tiny.readings() == ["Fewer than 10 notes were tagged, so no counts are shown."]


@pytest.mark.parametrize(
    ("complements", "with_da", "expected"),
    [
        (True, 20, (None, FLAG_COMPLEMENT)),  # 5 notes without: hidden
        (True, 16, (None, FLAG_COMPLEMENT)),  # 9 without
        (True, 15, (15, None)),  # 10 without: fine
        (True, 25, (25, None)),  # none without: nothing small to reveal
        (False, 20, (20, None)),
    ],
)
def test_complement_suppression(complements, with_da, expected):
    counts = SummaryCounts().add_all(group_notes({"A": (25, with_da)}))
    tables = counts.tables(SummarySettings(suppress_complements=complements))
    assert cells(tables.overall, DA) == {"All notes": expected}


def test_secondary_suppression_hides_the_smallest_other_cell_when_one_is_hidden():
    counts = SummaryCounts(["team"]).add_all(
        group_notes({"A": (50, 5), "B": (40, 20), "C": (30, 12)})
    )
    tables = counts.tables(SummarySettings(group_by=["team"], suppress_complements=False))
    assert cells(tables.groups["team"], DA) == {
        "A": (None, FLAG_SMALL),
        "B": (20, None),
        "C": (None, FLAG_SECONDARY),  # else 37 - 20 - 12 = 5 for A
    }
    assert cells(tables.groups["team"], "n") == {"A": (50, None), "B": (40, None), "C": (30, None)}
    assert cells(tables.overall, DA) == {"All notes": (37, None)}
    # the month breakdown has a single cell, equal to the overall one: shown
    assert cells(tables.month, DA) == {"2024-01": (37, None)}


def test_a_hidden_group_size_hides_its_counts_and_is_protected_itself():
    counts = SummaryCounts(["team"]).add_all(
        group_notes({"A": (50, 20), "B": (30, 15), "C": (5, 0)})
    )
    tables = counts.tables(SummarySettings(group_by=["team"], suppress_complements=False))
    team = tables.groups["team"]
    assert cells(team, "n") == {
        "A": (50, None),
        "B": (None, FLAG_SECONDARY),
        "C": (None, FLAG_SMALL),
    }
    assert cells(team, DA) == {
        "A": (20, None),
        "B": (None, FLAG_GROUP_HIDDEN),
        "C": (None, FLAG_SMALL),
    }
    assert team.rows[1].measures[DA].rate is None
    assert team.rows[0].measures[DA].rate == 0.4


def test_hidden_cells_adding_up_to_a_small_number_are_protected():
    counts = SummaryCounts(["team"]).add_all(
        group_notes({"A": (100, 3), "B": (100, 4), "C": (100, 50), "D": (100, 60)})
    )
    tables = counts.tables(SummarySettings(group_by=["team"]))
    assert cells(tables.groups["team"], DA) == {
        "A": (None, FLAG_SMALL),
        "B": (None, FLAG_SMALL),
        "C": (None, FLAG_SECONDARY),  # else 117 - 60 = 57 - 50 = 7 = A + B
        "D": (60, None),
    }


def test_complements_adding_up_to_a_small_number_are_protected():
    counts = SummaryCounts(["team"]).add_all(
        group_notes({"A": (100, 97), "B": (100, 96), "C": (100, 50), "D": (100, 60)})
    )
    tables = counts.tables(SummarySettings(group_by=["team"]))
    assert cells(tables.groups["team"], DA) == {
        "A": (None, FLAG_COMPLEMENT),
        "B": (None, FLAG_COMPLEMENT),
        "C": (None, FLAG_SECONDARY),  # else A + B = 193, so 200 - 193 = 7 notes lack it
        "D": (60, None),
    }


def test_months_are_chronological_with_unknown_last():
    notes = [
        make_note(i, date=d)
        for i, d in enumerate(
            [dt.date(2024, 3, 1), None, dt.date(2023, 11, 5), dt.date(2024, 1, 9)] * 10
        )
    ]
    tables = SummaryCounts().add_all(notes).tables(SummarySettings())
    assert [row.group for row in tables.month.rows] == ["2023-11", "2024-01", "2024-03", "unknown"]


def test_tables_refuse_other_grouping_than_counted():
    with pytest.raises(ValueError, match="group by"):
        SummaryCounts(["team"]).tables(SummarySettings(group_by=["area"]))


# -- rendering ------------------------------------------------------------------------------------


def shown_html_counts(page: str) -> list[str]:
    texts = re.findall(r'<td class="num count[^"]*"[^>]*>(.*?)</td>', page)
    return [html.unescape(re.sub(r'<span class="rate">.*?</span>', "", t)) for t in texts]


def shown_markdown_counts(markdown: str) -> list[str]:
    texts = []
    in_table = False
    for line in markdown.splitlines():
        if line.startswith("## "):
            in_table = line[3:] in {"All notes", "By month"} or line.startswith("## By ")
            header = True
            continue
        if in_table and line.startswith("| "):
            if header or line.startswith("| ---"):
                header = False
                continue
            row = [c.strip() for c in line.strip("|").split(" | ")]
            texts += [re.sub(r" \(\d+\.\d%\)$", "", c) for c in row[1:]]
    return texts


def check_shown_text(text: str, min_count: int) -> None:
    if text in {f"<{min_count}", "—*", "—†"}:
        return
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", text), text
    assert int(text.replace(",", "")) >= min_count


def mixed_corpus() -> list[Note]:
    notes = group_notes({"A": (60, 30), "B": (45, 8), "C": (4, 2)})
    notes = [
        Note(
            note_id=n.note_id,
            text=n.text,
            date=dt.date(2024, 1 + i % 4, 3) if i % 11 else None,
            extra=n.extra,
        )
        for i, n in enumerate(notes)
    ]
    return notes + [make_note(500 + i, [DA, MH, SM], trio=True, team="A") for i in range(12)]


def test_write_summary_writes_three_files_with_only_shown_numbers(tmp_path):
    counts = SummaryCounts(["team"]).add_all(mixed_corpus())
    tables = counts.tables(SummarySettings(group_by=["team"]))
    paths = write_summary(tables, tmp_path / "summary", FACTS)
    assert set(paths) == {"json", "markdown", "html"}
    assert [p.name for p in paths.values()] == ["summary.json", "summary.md", "summary.html"]
    document = json.loads(paths["json"].read_text())
    page = paths["html"].read_text()
    markdown = paths["markdown"].read_text()
    for text in (json.dumps(document), page, markdown):
        assert SECRET not in text and "Kayden" not in text
    assert document["tables"] == tables.to_dict()["tables"]
    assert document["facts"]["started"] == "2024-05-01T09:00:00"
    assert document["rules"][0] == RULE_PRIMARY.format(min_count=10)
    assert document["rules"][0].startswith("Counts below 10 are shown as '<10'")

    # the HTML: self-contained, no scripts, nothing fetched from elsewhere
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "http" not in page
    assert INTENDED_USE in page and INTENDED_USE in markdown
    assert "not for decisions about individual children" in page
    assert "Of the 121 notes tagged, 52 (43.0%) record domestic abuse." in page
    assert "Of the 121 notes tagged, 12 (9.9%) record the toxic trio" in markdown
    assert page.count("<svg") == 7  # prevalence + five core categories + toxic trio
    assert "risk_rules 3 (0123456789ab)" in page and "12,003" in page
    assert "&lt;10" in page and "—†" in page
    shown = shown_html_counts(page)
    assert len(shown) == (1 + 5 + 3) * 13  # overall, four months and unknown, three teams
    for text in shown:
        check_shown_text(text, 10)
    md_shown = shown_markdown_counts(markdown)
    assert len(md_shown) == len(shown)
    for text in md_shown:
        check_shown_text(text, 10)
    # team C (4 notes) never shows; team B's 8 domestic-abuse notes neither
    team = {row.group: row for row in tables.groups["team"].rows}
    assert team["C"].n.count is None and team["B"].measures[DA].count is None


def test_suppressed_months_are_gaps_in_the_trend_not_zeros(tmp_path):
    notes = group_notes({"A": (40, 20)})
    notes = [
        Note(note_id=n.note_id, text="x", date=dt.date(2024, 1 + i % 4, 1), extra=n.extra)
        for i, n in enumerate(notes)
    ]  # 10 notes per month, 5 with domestic abuse: every monthly count of it is hidden but n
    notes += [make_note(100 + i, [DA], date=dt.date(2024, 3, 2)) for i in range(20)]
    tables = SummaryCounts().add_all(notes).tables(SummarySettings(suppress_complements=False))
    assert [row.measures[DA].count for row in tables.month.rows] == [None, None, 25, None]
    page = write_summary(tables, tmp_path, {})["html"].read_text()
    da_chart = re.search(r'<svg[^>]*aria-label="Domestic abuse: share[^"]*".*?</svg>', page)
    assert da_chart is not None
    assert da_chart.group().count("<circle") == 1  # one shown month, no point at zero
    assert "<polyline" not in da_chart.group()


# -- properties ------------------------------------------------------------------------------------

MONTHS = [dt.date(2023, 12, 31), dt.date(2024, 1, 5), dt.date(2024, 2, 5), dt.date(2024, 4, 5)]
note_specs = st.tuples(
    st.sets(st.sampled_from(CATEGORIES[:5]), max_size=3),
    st.booleans(),
    st.one_of(st.none(), st.sampled_from(MONTHS)),
    st.one_of(st.none(), st.sampled_from(["A", "B", "C", "D", "E"])),
)


def build(specs) -> list[Note]:
    return [
        make_note(i, sorted(cats), trio=trio and {DA, MH, SM} <= cats, date=date, team=team)
        for i, (cats, trio, date, team) in enumerate(specs)
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=st.lists(note_specs, max_size=160),
    min_count=st.integers(1, 12),
    complements=st.booleans(),
    max_groups=st.integers(1, 6),
)
def test_no_shown_count_is_below_min_count_and_no_hidden_cell_can_be_subtracted(
    specs, min_count, complements, max_groups
):
    counts = SummaryCounts(["team"], max_groups=max_groups).add_all(build(specs))
    summary = SummarySettings(
        group_by=["team"],
        min_count=min_count,
        suppress_complements=complements,
        max_groups=max_groups,
    )
    tables = counts.tables(summary)
    truth = counts.to_dict()
    overall = tables.overall.rows[0]
    for table, true_cells in [
        (tables.month, truth["month"]),
        (tables.groups["team"], truth["groups"]["team"]),
    ]:
        for position, measure in enumerate(["n", *MEASURES]):
            column = cells(table, measure)
            total = overall.n if measure == "n" else overall.measures[measure]
            hidden = [g for g, (count, _) in column.items() if count is None]
            if total.count is not None and hidden:
                assert len(hidden) >= 2
                assert sum(true_cells[g][position] for g in hidden) >= min_count
                sizes = cells(table, "n")
                if position and complements and all(sizes[g][0] is not None for g in hidden):
                    shortfall = sum(true_cells[g][0] - true_cells[g][position] for g in hidden)
                    assert not 0 < shortfall < min_count
    _check_outputs(tables, min_count)


def _check_outputs(tables: SummaryTables, min_count: int) -> None:
    for table in tables.all_tables:
        for row in table.rows:
            for cell in [row.n, *row.measures.values()]:
                assert (cell.count is None) == (cell.suppressed is not None)
                assert cell.count is None or cell.count >= min_count
            for cell in row.measures.values():
                if cell.count is None or row.n.count is None:
                    assert cell.rate is None
                else:
                    assert cell.rate == round(cell.count / row.n.count, 6)
    with tempfile.TemporaryDirectory() as folder:
        paths = write_summary(tables, Path(folder), FACTS)
        document = json.loads(paths["json"].read_text())
        page = paths["html"].read_text()
        markdown = paths["markdown"].read_text()
    for table in [
        document["tables"]["overall"],
        document["tables"]["month"],
        *document["tables"]["groups"].values(),
    ]:
        for row in table["rows"]:
            for cell in [row["n"], *row["measures"].values()]:
                assert cell["count"] is None or cell["count"] >= min_count
    assert "<script" not in page and "http" not in page
    shown = shown_html_counts(page)
    md_shown = shown_markdown_counts(markdown)
    assert len(shown) == len(md_shown) == 13 * sum(len(t.rows) for t in tables.all_tables)
    for text in shown + md_shown:
        check_shown_text(text, min_count)


@settings(max_examples=60, deadline=None)
@given(
    specs=st.lists(note_specs, max_size=60),
    split=st.integers(0, 60),
    max_groups=st.integers(1, 4),
)
def test_merging_any_split_equals_counting_all_at_once(specs, split, max_groups):
    notes = build(specs)
    whole = SummaryCounts(["team"], max_groups).add_all(notes)
    first = SummaryCounts(["team"], max_groups).add_all(notes[:split])
    second = SummaryCounts(["team"], max_groups).add_all(notes[split:])
    assert first.merge(second) == whole
    assert second.merge(first) == whole
    assert SummaryCounts.from_dict(json.loads(json.dumps(whole.to_dict()))) == whole
    assert sum(cell[0] for cell in whole.to_dict()["groups"]["team"].values()) == len(notes)
    assert whole.to_dict()["overall"][1 + MEASURES.index(TOXIC_TRIO)] == sum(
        1 for cats, trio, _, _ in specs if trio and {DA, MH, SM} <= cats
    )
