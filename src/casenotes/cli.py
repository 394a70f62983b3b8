"""The ``casenotes`` command line: the only module that prints.

Exit codes (``casenotes.errors.ExitCode``): 0 success; 1 internal error (a bug); 2 bad usage;
3 bad input (unreadable files, or records rejected by ``validate``); 4 a config that does not
validate.
Output never contains note text or identifiers: ids, counts, labels and file names only.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from casenotes import __version__
from casenotes.errors import CasenotesError, ExitCode

OFFLINE_ENVIRONMENT = {
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
}
DEFAULT_SYNTH_CONFIG = Path("configs/synth.toml")

app = typer.Typer(
    name="casenotes",
    help=(
        "De-identify, tag and model the free-text case notes of children's social care. "
        "For surfacing evidence and measuring need; never for automated decisions about a child."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
evaluate_app = typer.Typer(
    help="Evaluate a step against a gold-annotated corpus; reports in Markdown and JSON.",
    no_args_is_help=True,
)
app.add_typer(evaluate_app, name="evaluate")
review_app = typer.Typer(
    help="Ethics review: the review pack for a panel, and recording the panel's decision.",
    no_args_is_help=True,
)
app.add_typer(review_app, name="review")
TrackingOption = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        help="MLflow tracking URI (else $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db).",
    ),
]
# Messages are never wrapped at the console's width: a summary line ("read 13, wrote 12 to
# PATH, rejected 1") stays one line however long its paths, for logs and for grep.
console = Console(stderr=True, soft_wrap=True)
stdout = Console(soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        stdout.print(f"casenotes {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """casenotes: safe analysis of children's social-care case notes."""


def _progress(*, eta: bool = False) -> Progress:
    columns = [
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} notes/s"),
        TimeElapsedColumn(),
    ]
    if eta:
        columns += [TextColumn("ETA"), TimeRemainingColumn()]
    return Progress(
        *columns,
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def _tracked(notes: Iterator, total: int | None, description: str) -> Iterator:
    """Wrap an iterator of notes in a progress bar showing notes/s."""
    start = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task(description, total=total, rate="-")
        for count, note in enumerate(notes, start=1):
            yield note
            if count % 200 == 0:
                rate = count / max(time.perf_counter() - start, 1e-9)
                progress.update(task, completed=count, rate=f"{rate:,.0f}")
        progress.update(task, completed=total)


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file (.jsonl, .csv, .parquet).")],
    notes: Annotated[
        int | None, typer.Option(help="Number of notes (overrides the config).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (overrides the config).")] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="A synth config TOML. Default: configs/synth.toml if present."),
    ] = None,
    stats: Annotated[
        bool, typer.Option("--stats", help="Also write diversity figures to OUT.stats.json.")
    ] = False,
) -> None:
    """Generate fictional case notes with gold PII and risk annotations."""
    from casenotes.config import SynthConfig, load_config
    from casenotes.io import open_writer
    from casenotes.synth.generator import generate
    from casenotes.synth.lexicon import load_grammar

    path = config or (DEFAULT_SYNTH_CONFIG if DEFAULT_SYNTH_CONFIG.exists() else None)
    settings = load_config(path, SynthConfig) if path else SynthConfig()
    overrides = {k: v for k, v in {"notes": notes, "seed": seed}.items() if v is not None}
    settings = SynthConfig.model_validate({**settings.model_dump(), **overrides})
    load_grammar()
    start = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open_writer(out) as writer:
        for note in _tracked(generate(settings), settings.notes, "synth"):
            writer.write(note)
    elapsed = time.perf_counter() - start
    console.print(
        f"wrote {writer.count:,} notes to {out} in {elapsed:.1f}s "
        f"({writer.count / max(elapsed, 1e-9):,.0f} notes/s; seed {settings.seed}, "
        f"grammar {load_grammar().digest})"
    )
    if stats:
        _write_stats(out, _stats_path(out))


def _stats_path(path: Path) -> Path:
    return path.with_name(path.name.split(".")[0] + ".stats.json")


def _write_stats(source: Path, target: Path | None) -> dict:
    from casenotes.io import read_notes
    from casenotes.synth.stats import corpus_stats

    reader = read_notes(source)
    figures = corpus_stats(item.note for item in reader)
    figures["input"] = {"source": str(source), **reader.counts.to_dict()}
    if target is not None:
        target.write_text(json.dumps(figures, indent=2) + "\n")
        console.print(f"corpus figures written to {target}")
    return figures


@app.command()
def stats(
    source: Annotated[Path, typer.Argument(help="An annotated corpus: file, directory or glob.")],
    out: Annotated[Path | None, typer.Option(help="Also write the figures as JSON here.")] = None,
) -> None:
    """Print composition and diversity figures of an annotated corpus (counts only, no text)."""
    figures = _write_stats(source, out)
    stdout.print_json(json.dumps(figures))


@app.command()
def validate(
    source: Annotated[str, typer.Argument(help="Notes to check: a file, a directory or a glob.")],
    rejects: Annotated[
        Path | None,
        typer.Option(help="Rejects file (JSONL). Default: beside the input, *.rejects.jsonl."),
    ] = None,
) -> None:
    """Check notes against the data contract; bad records go to a rejects file with line and reason.

    Gold annotations are checked too: spans inside the text, trimmed, and not overlapping.
    Exits with 3 when any record is rejected.
    """
    from casenotes.errors import RecordError
    from casenotes.io import Reject, RejectsFile, default_rejects_path, read_notes
    from casenotes.synth.grammar import Span, verify_spans

    target = rejects or default_rejects_path(Path(source) if "*" not in source else Path("input"))
    with RejectsFile(target) as sink:
        reader = read_notes(source, rejects=sink)
        good = 0
        for item in reader:
            note = item.note
            spans = [Span(s.start, s.end, "pii", s.label.value) for s in note.pii or ()]
            spans += [Span(m.start, m.end, "risk", m.label.value) for m in note.mentions or ()]
            problems = verify_spans(note.text, spans)
            if problems:
                sink.write(Reject(item.source, item.line, note.note_id, "; ".join(problems[:3])))
                continue
            good += 1
        counts = reader.counts
    rejected = counts.rejected + (counts.written - good)
    if counts.read != good + rejected:
        raise RecordError("validate: counts do not reconcile")  # pragma: no cover - a bug guard
    stdout.print(f"read {counts.read:,} records: {good:,} valid, {rejected:,} rejected")
    if rejected:
        console.print(f"rejected records listed with line and reason in {target}")
        raise typer.Exit(ExitCode.BAD_INPUT)


class _Meter:
    """A progress callback: a bar with notes/s on a terminal, nothing otherwise."""

    def __init__(self, progress: Progress, task) -> None:
        self.progress, self.task, self.start = progress, task, time.perf_counter()

    def __call__(self, handled: int) -> None:
        if handled % 50 == 0:
            rate = handled / max(time.perf_counter() - self.start, 1e-9)
            self.progress.update(self.task, completed=handled, rate=f"{rate:,.0f}")


def _run_step(
    name: str,
    source: str,
    out: Path,
    factory,
    *,
    processes: int,
    batch_size: int,
    rejects: Path | None,
) -> None:
    """Stream notes through one step (a batch-transform factory) with a progress bar, rejects
    and reconciled counts, then report the counts (never any text)."""
    from casenotes.io import default_rejects_path, process_notes

    rejects_path = rejects or default_rejects_path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task(name, total=None, rate="-")
        counts = process_notes(
            source,
            out,
            factory=factory,
            processes=processes,
            batch_size=batch_size,
            rejects_path=rejects_path,
            progress=_Meter(progress, task),
        )
    _report_counts(counts, out, rejects_path, time.perf_counter() - start)


def _report_counts(counts, out: Path, rejects: Path, elapsed: float) -> None:
    console.print(
        f"read {counts.read:,}, wrote {counts.written:,} to {out}, rejected {counts.rejected:,}"
        f"{f' (see {rejects})' if counts.rejected else ''}; "
        f"{counts.read / max(elapsed, 1e-9):,.1f} notes/s"
    )


@app.command()
def deidentify(
    source: Annotated[str, typer.Argument(help="Notes: a file, a directory or a quoted glob.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output (.jsonl, .csv, .parquet).")],
    mode: Annotated[
        str | None,
        typer.Option(help="placeholder (default) | pseudonym | surrogate | redact."),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(help="Secret key for pseudonym/surrogate/date shift (else $CASENOTES_KEY)."),
    ] = None,
    processes: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    config: Annotated[
        Path | None, typer.Option(help="Config TOML. Default: configs/deid.toml if present.")
    ] = None,
    rejects: Annotated[
        Path | None, typer.Option(help="Rejects file. Default: OUT's name + .rejects.jsonl.")
    ] = None,
) -> None:
    """Replace personal data in notes; `pii` lists what was found (offsets, label, recognizer)."""
    from casenotes.config import load_deid_config
    from casenotes.deid import deidentifier_factory
    from casenotes.deid.keys import load_key
    from casenotes.deid.operators import KEYED_OPERATORS, Replacer, operators_for

    settings = load_deid_config(config)
    key = load_key(key_file, settings.key_env)
    operators = operators_for(settings, mode)
    Replacer(settings, operators, key)  # refuses a keyed mode without a key, before any work
    keyed = sorted({op for op in operators.values() if op in KEYED_OPERATORS})
    console.print(
        f"de-identifying with mode {mode or settings.default_operator}"
        f"{'; keyed operators: ' + ', '.join(keyed) if keyed else ''}; {processes} process(es)"
    )
    _run_step(
        "deidentify",
        source,
        out,
        deidentifier_factory(settings, mode, key),
        processes=processes,
        batch_size=settings.chunk_notes,
        rejects=rejects,
    )


@evaluate_app.command("deid")
def evaluate_deid(
    gold: Annotated[str, typer.Argument(help="Gold corpus with `pii` spans (file/dir/glob).")],
    out: Annotated[Path, typer.Option(help="Folder for deid_eval.json and deid_eval.md.")] = Path(
        "evaluation/results"
    ),
    vanilla: Annotated[
        bool, typer.Option("--vanilla/--no-vanilla", help="Also score vanilla Presidio.")
    ] = True,
    config: Annotated[
        Path | None, typer.Option(help="Config TOML. Default: configs/deid.toml if present.")
    ] = None,
    name: Annotated[str, typer.Option(help="Report file stem.")] = "deid_eval",
) -> None:
    """Per-label precision, recall and F2, leak rate and over-redaction; Markdown + JSON."""
    from casenotes.config import load_deid_config
    from casenotes.deid.evaluate import markdown, score_corpus
    from casenotes.io import read_notes

    settings = load_deid_config(config)
    reader = read_notes(gold)
    notes = (item.note for item in reader if item.note.pii is not None)
    reports = score_corpus(notes, settings, vanilla=vanilla)
    out.mkdir(parents=True, exist_ok=True)
    payload = {"gold": gold, "input": reader.counts.to_dict(), "systems": reports}
    (out / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    (out / f"{name}.md").write_text(markdown(reports, f"De-identification on {gold}"))
    headline = reports["casenotes"]
    stdout.print(
        f"direct-identifier recall {headline['direct_identifier_recall']}, leak rate "
        f"{headline['leak_rate']}, F2 {headline['span_by_label']['ALL']['f2']}; "
        f"report: {out / (name + '.md')}"
    )


# ------------------------------------------------------------------------------------ extract
SHOW_WARNING = "for synthetic or de-identified notes only: the page contains the note's text"


def _log_rule_sets(settings) -> None:
    from casenotes.extract.pipeline import describe_rule_sets

    described = describe_rule_sets(settings)
    console.print(
        "rules: " + ", ".join(f"{r['name']} v{r['version']} ({r['digest']})" for r in described)
    )


@app.command()
def extract(
    source: Annotated[str, typer.Argument(help="Notes: a file, a directory or a quoted glob.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output (.jsonl, .csv, .parquet).")],
    processes: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    cases: Annotated[
        Path | None,
        typer.Option(help="Also write per-case timelines and toxic-trio windows (JSONL) here."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Config TOML. Default: configs/extract.toml if present.")
    ] = None,
    rejects: Annotated[
        Path | None, typer.Option(help="Rejects file. Default: OUT's name + .rejects.jsonl.")
    ] = None,
) -> None:
    """Find risk-factor mentions with their qualifiers; adds `mentions` and a `risks` summary."""
    from casenotes.extract.config import load_extract_config
    from casenotes.extract.pipeline import extractor_factory

    settings = load_extract_config(config)
    _log_rule_sets(settings)
    _run_step(
        "extract",
        source,
        out,
        extractor_factory(settings),
        processes=processes,
        batch_size=settings.batch_size,
        rejects=rejects,
    )
    if cases is not None:
        from casenotes.extract.summaries import case_summaries
        from casenotes.io import read_notes

        cases.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with cases.open("w", encoding="utf-8") as handle:
            notes = (item.note for item in read_notes(out))
            for summary in case_summaries(
                notes, settings.toxic_trio_window_days, settings.timeline_note_ids
            ):
                handle.write(json.dumps(summary) + "\n")
                written += 1
        console.print(f"wrote {written:,} case summaries to {cases}")


@app.command()
def show(
    note_file: Annotated[Path, typer.Argument(help="Notes file (synthetic or de-identified).")],
    note_id: Annotated[str, typer.Option("--id", help="note_id of the note to render.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")],
    gold: Annotated[
        bool, typer.Option("--gold/--extract", help="Show the file's own mentions instead.")
    ] = False,
    config: Annotated[
        Path | None, typer.Option(help="Config TOML. Default: configs/extract.toml if present.")
    ] = None,
) -> None:
    """Render one note as HTML with its mentions highlighted and their qualifiers labelled."""
    from casenotes.errors import InputError
    from casenotes.extract.config import load_extract_config
    from casenotes.extract.pipeline import build_pipeline, note_mentions
    from casenotes.extract.render import render_html
    from casenotes.io import read_notes

    console.print(f"warning: {SHOW_WARNING}")
    note = next((i.note for i in read_notes(note_file) if i.note.note_id == note_id), None)
    if note is None:
        raise InputError(f"{note_file}: no note with note_id {note_id!r}")
    if gold:
        if note.mentions is None:
            raise InputError(f"{note_file}: note {note_id!r} has no `mentions` to show")
        mentions = note.mentions
    else:  # after the notes of its case before it in the file, whose names' roles carry over
        earlier = []
        for item in read_notes(note_file) if note.case_id is not None else ():
            if item.note.note_id == note_id:
                break
            if item.note.case_id == note.case_id:
                earlier.append(item.note)
        nlp = build_pipeline(load_extract_config(config))
        mentions = list(note_mentions(nlp, [*earlier, note]))[-1]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(note, mentions, source=note_file.name), encoding="utf-8")
    out.chmod(0o600)
    console.print(f"wrote note {note_id} with {len(mentions)} mention(s) to {out}")


@evaluate_app.command("extract")
def evaluate_extract(
    gold: Annotated[str, typer.Argument(help="Gold corpus with `mentions` (file/dir/glob).")],
    out: Annotated[
        Path, typer.Option(help="Folder for extract_eval.json and extract_eval.md.")
    ] = Path("evaluation/results"),
    config: Annotated[
        Path | None, typer.Option(help="Config TOML. Default: configs/extract.toml if present.")
    ] = None,
    name: Annotated[str, typer.Option(help="Report file stem.")] = "extract_eval",
) -> None:
    """Mention P/R/F1, qualifier accuracy, note-level and toxic-trio F1 vs keyword and NegEx."""
    from casenotes.extract.config import load_extract_config
    from casenotes.extract.evaluate import markdown, score_corpus
    from casenotes.io import read_notes

    settings = load_extract_config(config)
    reader = read_notes(gold)
    result = score_corpus((item.note for item in reader), settings)
    payload = {"gold": gold, "input": reader.counts.to_dict(), **result}
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    (out / f"{name}.md").write_text(markdown(result, f"Extraction on {gold}"))
    ours = result["systems"]["casenotes"]
    stdout.print(
        f"mention F1 {ours['mentions']['ALL']['f1']}, note-level F1 "
        f"{ours['note_categories']['ALL']['f1']}, toxic-trio F1 {ours['toxic_trio']['f1']} "
        f"(keyword baseline note-level F1 "
        f"{result['systems']['keyword']['note_categories']['ALL']['f1']}); "
        f"report: {out / (name + '.md')}"
    )


@app.command()
def train(
    config: Annotated[
        Path, typer.Option(help="Training config, e.g. configs/train_note_risks.toml.")
    ],
    data: Annotated[
        Path | None, typer.Option(help="Annotated notes (overrides `data` in the config).")
    ] = None,
    tracking_uri: Annotated[
        str | None,
        typer.Option(
            help="MLflow tracking URI (else config, else $MLFLOW_TRACKING_URI, else "
            "sqlite:///mlflow.db)."
        ),
    ] = None,
    processes: Annotated[
        int | None, typer.Option(min=1, help="Processes for de-identification.")
    ] = None,
    ids_out: Annotated[
        Path | None,
        typer.Option(help="Write the MLflow run ids (parent and per model) to this JSON file."),
    ] = None,
) -> None:
    """Train, evaluate and explain classifiers; log everything (never text) to MLflow."""
    from casenotes.modeling.config import load_train_config
    from casenotes.modeling.train import train as run_training
    from casenotes.reports.training import comparison, comparison_markdown

    settings = load_train_config(config)
    updates: dict = {}
    if tracking_uri:
        updates["tracking_uri"] = tracking_uri
    if processes:
        updates["privacy"] = settings.privacy.model_copy(update={"processes": processes})
    settings = settings.model_copy(update=updates)
    start = time.perf_counter()
    with _progress() as progress:

        def meter(description: str, total: int | None):
            task = progress.add_task(description, total=total, rate="-")
            return _Meter(progress, task)

        result = run_training(settings, data, progress=meter)
    if ids_out:
        ids_out.parent.mkdir(parents=True, exist_ok=True)
        ids_out.write_text(
            json.dumps(
                {
                    "tracking_uri": result.tracking_uri,
                    "parent": result.parent_run_id,
                    "models": {m.name: m.run_id for m in result.models},
                },
                indent=2,
            )
            + "\n"
        )
    table = comparison(result, settings.label_names)
    stdout.print(comparison_markdown(table), markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"trained {len(result.models)} model(s) in {time.perf_counter() - start:,.0f}s; "
        f"split {result.split['train']}/{result.split['validation']}/{result.split['test']} "
        f"(train/validation/test), {result.rejected} record(s) rejected; reports in "
        f"{result.out_dir}"
    )
    if result.parent_run_id:
        console.print(
            f"MLflow run {result.parent_run_id} in {result.tracking_uri} (experiment "
            f"{result.experiment!r}); ethics review: pending. Browse with: "
            f"mlflow ui --backend-store-uri {result.tracking_uri}"
        )


@app.command()
def card(
    run_id: Annotated[str, typer.Argument(help="The model's MLflow run id (a nested model run).")],
    config: Annotated[
        Path | None, typer.Option(help="Card settings. Default: configs/card.toml.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder for the card files. Default: models/cards/RUN_ID.")
    ] = None,
    tracking_uri: TrackingOption = None,
) -> None:
    """Write the model card (JSON, Markdown, HTML) and ATRS records; log them to the run."""
    from casenotes.review.card import generate_card
    from casenotes.review.config import load_card_settings
    from casenotes.tracking import RunStore

    folder = out or Path("models") / "cards" / run_id
    files = generate_card(run_id, RunStore(tracking_uri), load_card_settings(config), folder)
    console.print(
        f"model card for run {run_id} (review state: {files.state}) validated against the schema "
        f"and logged under card/; digest {files.digest[:12]}…; files in {folder}"
    )


@review_app.command("pack")
def review_pack(
    run_id: Annotated[str, typer.Argument(help="The model's MLflow run id (a nested model run).")],
    config: Annotated[
        Path | None, typer.Option(help="Card settings. Default: configs/card.toml.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="The page. Default: models/cards/RUN_ID/review_pack.html.")
    ] = None,
    tracking_uri: TrackingOption = None,
) -> None:
    """Write the one-page review pack for an ethics panel (self-contained HTML)."""
    from casenotes.review.config import load_card_settings
    from casenotes.review.pack import PACK_FILE, write_pack
    from casenotes.tracking import RunStore

    target = out or Path("models") / "cards" / run_id / PACK_FILE
    write_pack(run_id, RunStore(tracking_uri), load_card_settings(config), target)
    console.print(f"review pack for run {run_id}: {target} (also logged under review/)")


@review_app.command("record")
def review_record(
    run_id: Annotated[str, typer.Argument(help="The model's MLflow run id (a nested model run).")],
    decision: Annotated[str, typer.Option(help="approved | rejected | approved-with-conditions.")],
    panel: Annotated[str, typer.Option(help="Reviewers: 'Name (role); Name (role)'.")],
    conditions: Annotated[
        list[str] | None, typer.Option(help="A condition of approval (repeat for several).")
    ] = None,
    expires: Annotated[
        str | None, typer.Option(help="Expiry date YYYY-MM-DD (default: one year).")
    ] = None,
    notes: Annotated[str | None, typer.Option(help="Panel notes (never case data).")] = None,
    tracking_uri: TrackingOption = None,
) -> None:
    """Record an ethics panel's decision against the exact model bytes and card it reviewed."""
    import datetime as dt

    from casenotes.errors import InputError
    from casenotes.review.decisions import record_decision
    from casenotes.review.records import Decision
    from casenotes.tracking import RunStore

    try:
        chosen = Decision(decision)
        expiry = dt.date.fromisoformat(expires) if expires else None
    except ValueError:
        raise InputError(
            f"--decision must be one of {', '.join(d.value for d in Decision)} and --expires "
            "a date YYYY-MM-DD"
        ) from None
    record, path = record_decision(
        run_id,
        RunStore(tracking_uri),
        decision=chosen,
        panel=panel,
        conditions=conditions or (),
        expires=expiry,
        notes=notes,
    )
    console.print(
        f"recorded {record.decision.value} for run {run_id} by {len(record.panel)} reviewer(s), "
        f"valid until {record.expires}; bundle sha256 {record.bundle_sha256[:12]}…, card sha256 "
        f"{record.card_sha256[:12]}…; record: {path}"
    )


@app.command()
def register(
    run_id: Annotated[str, typer.Argument(help="The model's MLflow run id.")],
    name: Annotated[str | None, typer.Option(help="Registered model name.")] = None,
    tracking_uri: TrackingOption = None,
) -> None:
    """Give an approved model the registry alias `approved` (refused without a valid approval)."""
    from casenotes.review.decisions import APPROVED_ALIAS, register_model
    from casenotes.tracking import RunStore

    model_name, version = register_model(run_id, RunStore(tracking_uri), name=name)
    console.print(f"registered {model_name} version {version} with alias '{APPROVED_ALIAS}'")


@app.command()
def predict(
    run_id: Annotated[str, typer.Argument(help="The model's MLflow run id.")],
    source: Annotated[str, typer.Argument(help="De-identified notes: file, directory or glob.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output (.jsonl, .csv, .parquet).")],
    research_override: Annotated[
        str | None,
        typer.Option(
            help="Apply an unapproved model for research, giving the reason (recorded on the run)."
        ),
    ] = None,
    processes: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    tracking_uri: TrackingOption = None,
) -> None:
    """Score de-identified notes with an approved classifier (the ethics gate checks first)."""
    import functools
    import tempfile

    from casenotes.review.decisions import Predictor

    with tempfile.TemporaryDirectory() as folder:
        clearance = _clear_classifier(run_id, research_override, tracking_uri, folder)
        _run_step(
            "predict",
            source,
            out,
            functools.partial(Predictor, clearance),
            processes=processes,
            batch_size=256,
            rejects=None,
        )


# ---------------------------------------------------------------------------------------- tag
class _TagMeter:
    """Progress of a tag run: notes/s and, when the input size is known, an ETA."""

    def __init__(self, progress: Progress, task) -> None:
        self.progress, self.task, self.start = progress, task, time.perf_counter()

    def __call__(self, tagged: int, position: int) -> None:
        rate = tagged / max(time.perf_counter() - self.start, 1e-9)
        self.progress.update(self.task, completed=position, rate=f"{rate:,.1f}")


@app.command()
def tag(
    archive: Annotated[
        str, typer.Argument(help="Notes: a file, a directory or a quoted glob (JSONL/CSV/Parquet).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (parts, summary).")],
    processes: Annotated[int, typer.Option(min=1, help="Worker processes (local engine).")] = 1,
    engine: Annotated[str, typer.Option(help="local | spark.")] = "local",
    master: Annotated[
        str, typer.Option(help="Spark master (with --engine spark), e.g. spark://host:7077.")
    ] = "local[*]",
    resume: Annotated[
        bool, typer.Option("--resume", help="Carry on a run that stopped (same input, settings).")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an earlier run's output in OUT.")
    ] = False,
    config: Annotated[
        Path | None, typer.Option(help="Config TOML. Default: configs/tag.toml if present.")
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(help="De-identification mode: placeholder | pseudonym | surrogate | redact."),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(help="Secret key for keyed modes (else the variable named in deid config)."),
    ] = None,
    group_by: Annotated[
        list[str] | None,
        typer.Option("--group-by", help="Input column to break the summary down by (repeat)."),
    ] = None,
    min_count: Annotated[
        int | None, typer.Option(min=1, help="Suppress summary counts below this (default 10).")
    ] = None,
    output_format: Annotated[
        str | None, typer.Option("--format", help="parquet (default) | jsonl.")
    ] = None,
    checkpoint_notes: Annotated[
        int | None, typer.Option(min=1, help="Notes per chunk and checkpoint (default 2000).")
    ] = None,
    classifier: Annotated[
        str | None,
        typer.Option(help="Also score notes with this approved model (MLflow run id)."),
    ] = None,
    research_override: Annotated[
        str | None,
        typer.Option(help="Use an unapproved --classifier for research, giving the reason."),
    ] = None,
    mlflow: Annotated[
        bool, typer.Option("--mlflow/--no-mlflow", help="Log the run to MLflow.")
    ] = True,
    tracking_uri: TrackingOption = None,
) -> None:
    """De-identify and extract (and optionally score) a whole archive: resumable, with rejects
    and a summary for analysts in which small counts are suppressed."""
    import dataclasses
    import tempfile

    from casenotes.batch.config import load_tag_config
    from casenotes.batch.runner import TagRun, estimate_records, local_engine, log_run
    from casenotes.batch.tagger import tag_settings, tagger_factory
    from casenotes.config import validate_config
    from casenotes.deid.keys import load_key
    from casenotes.deid.operators import Replacer, operators_for

    if engine not in ("local", "spark"):
        raise typer.BadParameter(f"--engine must be local or spark, not {engine!r}")
    base = load_tag_config(config)
    overrides = {
        "mode": mode,
        "output_format": output_format,
        "checkpoint_notes": checkpoint_notes,
    }
    data = base.model_dump(mode="json")
    data.update({key: value for key, value in overrides.items() if value is not None})
    if group_by:
        data["summary"]["group_by"] = list(group_by)
    if min_count is not None:
        data["summary"]["min_count"] = min_count
    config_model = validate_config(data, type(base), "command-line options")
    with tempfile.TemporaryDirectory() as folder:
        clearance = None
        if classifier is not None:
            clearance = _clear_classifier(classifier, research_override, tracking_uri, folder)
        settings = tag_settings(config_model, clearance=clearance)
        key = load_key(key_file, settings.deid.key_env)
        Replacer(settings.deid, operators_for(settings.deid, config_model.mode), key)
        settings = dataclasses.replace(settings, key=key)
        run = TagRun(archive, out, settings, resume=resume, overwrite=overwrite)
        if run.resumed_from:
            console.print(
                f"resuming {out}: {run.manifest.parts} parts done, {run.resumed_from:,} input "
                "records skipped (re-read only to rebuild the duplicate check)"
            )
        factory = tagger_factory(settings)
        if engine == "spark":
            from casenotes.batch.spark import SparkEngine

            spark_engine = SparkEngine(factory, master=master)
            run_engine = spark_engine.map
            engine_label = f"spark ({master}, parallelism {spark_engine.parallelism})"
            console.print(f"engine {engine_label}")
        else:
            spark_engine = None
            run_engine = local_engine(factory, processes)
            engine_label = f"local, {processes} process(es)"
            console.print(f"engine {engine_label}")
        total = estimate_records(run.files)
        try:
            with _progress(eta=True) as progress:
                task = progress.add_task("tag", total=total, rate="-", completed=run.resumed_from)
                result = run.run(
                    run_engine,
                    progress=_TagMeter(progress, task),
                    facts={"engine": engine_label, "processes": processes},
                )
        finally:
            if spark_engine is not None:
                spark_engine.close()
    counts = result.counts
    console.print(
        f"read {counts.read:,} = written {counts.written:,} + rejected {counts.rejected:,} "
        f"(checked against the files); {result.parts} part(s) in {out / 'notes'}; "
        f"{result.notes_per_second:,.1f} notes/s this attempt"
    )
    if counts.rejected:
        kinds = "; ".join(f"{n:,} × {reason}" for reason, n in result.rejects_by_reason.items())
        console.print(f"rejects ({out / 'rejects.jsonl'}): {kinds}", markup=False)
    console.print(f"summary: {result.summary_files['html']}")
    if mlflow:
        run_id = log_run(
            result, settings, tracking_uri=tracking_uri, engine=engine, processes=processes
        )
        console.print(f"logged to MLflow run {run_id}")


def _clear_classifier(run_id: str, override: str | None, tracking_uri: str | None, folder: str):
    """The ethics gate's clearance for a classifier (refuses with exit code 5 if not cleared)."""
    from casenotes.review.gate import OVERRIDE_WARNING, clear_for_use
    from casenotes.tracking import RunStore

    clearance = clear_for_use(
        run_id, RunStore(tracking_uri), Path(folder), research_override=override
    )
    if clearance.overridden:
        console.print(
            OVERRIDE_WARNING.format(
                run=run_id, refusal=clearance.refusal, reason=clearance.override_reason
            ),
            style="bold red",
            markup=False,
        )
    else:
        record = clearance.record
        console.print(
            f"model run {run_id}: {record.decision.value} until {record.expires} "
            f"({record.file_name})"
        )
    return clearance


def main() -> None:
    """Entry point: offline-safe environment, then the app, mapping errors to exit codes."""
    for key, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    try:
        code = app(standalone_mode=False)
    except CasenotesError as error:
        console.print("error:", style="bold red", end=" ")
        console.print(str(error), markup=False, highlight=False, soft_wrap=True)
        sys.exit(int(error.exit_code))
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        console.print("aborted")
        sys.exit(int(ExitCode.INTERNAL_ERROR))
    except Exception as error:  # the last resort: report a bug, never the data
        if hasattr(error, "show") and hasattr(error, "exit_code"):  # Click's usage errors
            error.show()
            sys.exit(error.exit_code)
        console.print(
            f"[bold red]internal error[/] ({type(error).__name__}); this is a bug in casenotes. "
            "Re-run with CASENOTES_DEBUG=1 for a traceback (it may show data: keep it private)."
        )
        if os.environ.get("CASENOTES_DEBUG"):
            raise
        sys.exit(int(ExitCode.INTERNAL_ERROR))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
