"""Synthetic case notes with gold annotations, generated case by case.

How a corpus comes about
------------------------
1. **A case** (one family) gets demographics for its index child — sex, ethnicity (ONS five groups),
   age, disability, deprivation quintile — and a latent level of need. Deprivation raises the latent
   need a little; the latent need raises the chance of each risk factor being present in the family.
2. **An outcome** — a child protection plan (``escalated``) — is drawn from the risks present and
   the latent need. A note is labelled ``escalated`` when the plan starts within
   ``outcome_window_days`` after the note. Documented noise: with probability
   ``outcome_label_noise`` a case's outcome is flipped (a recorded plan dropped, or a spurious one
   added), as administrative data are imperfect.
3. **Notes** are dated over months or years, each in a style (visits, triage, youth work, exports,
   terse shorthand...). A present risk is written about in a note with a chance that grows as the
   plan approaches; ``risk_omission_rate`` of such mentions are left out (practitioners
   under-record).
   Around them go *distractor* mentions — negated, historical, hypothetical, suspected, or about
   someone else — that a keyword matcher counts wrongly, and filler sentences full of PII and of the
   non-PII words naive tools redact.
4. **Known biases** (``[bias]`` in the config) can be switched on: a group's present risks written
   down less often (under-recording), or a group's outcomes labelled escalated when they were not
   (over-labelling). The switches change nothing else, so a fairness check can be tested on them.

Every note is built by :mod:`casenotes.synth.grammar`, so each gold span sits exactly where its text
is, and :func:`generate` checks that again before it yields the note. Each case has its own random
stream seeded from ``(seed, case number)``: a corpus is the same for a seed whatever its size, and
memory does not grow with the number of notes.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from casenotes.config import SynthConfig
from casenotes.errors import CasenotesError
from casenotes.records import (
    Certainty,
    Mention,
    Note,
    PiiLabel,
    PiiSpan,
    RiskLabel,
    Subject,
    Temporality,
)
from casenotes.synth.family import Family, make_family
from casenotes.synth.grammar import Piece, TextBuilder, render, verify_spans
from casenotes.synth.lexicon import QUALIFIER_CODES, Grammar, RiskForm, Style, load_grammar

ETHNICITY_WEIGHTS = {"White": 0.66, "Mixed": 0.11, "Asian": 0.10, "Black": 0.09, "Other": 0.04}
DEPRIVATION_WEIGHTS = (0.32, 0.24, 0.18, 0.14, 0.12)  # quintile 1 = most deprived
DISABILITY_RATE = 0.12
MALE_RATE = 0.52
AGE_BANDS = ((0, 4, "0-4"), (5, 9, "5-9"), (10, 15, "10-15"), (16, 17, "16+"))

# Chance of each risk being present in a family of average latent need, and the child's minimum age
# for risks that are about the child. Rates loosely follow the factors recorded at the end of
# assessment in England's Children in Need census.
RISK_BASE_RATE = {
    RiskLabel.DOMESTIC_ABUSE: 0.30,
    RiskLabel.MENTAL_HEALTH: 0.32,
    RiskLabel.SUBSTANCE_MISUSE: 0.18,
    RiskLabel.HOUSING: 0.14,
    RiskLabel.SCHOOL_EXCLUSION: 0.10,
    RiskLabel.NEET: 0.25,
    RiskLabel.OFFENDING: 0.14,
    RiskLabel.EXPLOITATION: 0.09,
    RiskLabel.MISSING: 0.12,
    RiskLabel.NEGLECT: 0.20,
}
MIN_CHILD_AGE = {
    RiskLabel.DOMESTIC_ABUSE: 13,
    RiskLabel.MENTAL_HEALTH: 8,
    RiskLabel.SUBSTANCE_MISUSE: 11,
    RiskLabel.SCHOOL_EXCLUSION: 5,
    RiskLabel.NEET: 16,
    RiskLabel.OFFENDING: 10,
    RiskLabel.EXPLOITATION: 10,
    RiskLabel.MISSING: 9,
}
LATENT_SLOPE = 1.1
# Qualifiers of distractor mentions (everything but a present risk stated plainly).
DISTRACTOR_CODES = {
    "c-a-n": 0.33,
    "h-a": 0.17,
    "h-a-n": 0.04,
    "h-p": 0.05,
    "c-p": 0.2,
    "y-a": 0.13,
    "y-p": 0.02,
    "c-a": 0.06,  # only ever used for a subject other than the case's own (a neighbour's drinking)
}
PRESENT_RISK_CODES = {"c-a": 0.78, "c-p": 0.14, "h-a": 0.04, "y-a": 0.04}
MEAN_DAYS_BETWEEN_NOTES = 38
TYPO_RATE = 0.012
PARAGRAPH_BREAK_RATE = 0.2
LONG_NOTE_RATE = 0.12
PRED_AUXILIARY = "was "  # "was {arrested}": the auxiliary stays outside the span


@dataclass(frozen=True, slots=True)
class Case:
    """A fictional family's case: who the index child is, what is really going on, what happened."""

    case_id: str
    sex: str
    ethnicity: str
    age_at_start: int
    disability: str
    deprivation_quintile: int
    latent_need: float
    risks: frozenset[RiskLabel]
    plan_date: dt.date | None
    note_dates: tuple[dt.date, ...]
    under_recorded: bool

    def age_on(self, day: dt.date) -> int:
        return min(17, self.age_at_start + (day - self.note_dates[0]).days // 365)

    def age_band_on(self, day: dt.date) -> str:
        age = self.age_on(day)
        return next(band for low, high, band in AGE_BANDS if low <= age <= high)

    def group_value(self, attribute: str, day: dt.date) -> str:
        if attribute == "age_band":
            return self.age_band_on(day)
        return str(getattr(self, attribute))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _weighted(rng: random.Random, weights: dict) -> object:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _in_group(case_values: dict[str, str], attribute: str, value: str) -> bool:
    return case_values.get(attribute) == value


def simulate_case(index: int, config: SynthConfig, rng: random.Random, n_notes: int) -> Case:
    """Draw one case: demographics, latent need, risks present, dates and outcome."""
    sex = "male" if rng.random() < MALE_RATE else "female"
    ethnicity = str(_weighted(rng, ETHNICITY_WEIGHTS))
    quintile = rng.choices(range(1, 6), weights=DEPRIVATION_WEIGHTS)[0]
    disability = "yes" if rng.random() < DISABILITY_RATE else "no"
    age = rng.choices(range(18), weights=[6] * 5 + [5] * 5 + [6] * 6 + [3] * 2)[0]
    latent = rng.gauss(0.0, 1.0) + 0.15 * (3 - quintile)

    risks = set()
    for label, base in RISK_BASE_RATE.items():
        if _default_subject(label) is Subject.CHILD and age < MIN_CHILD_AGE.get(label, 0):
            continue
        if rng.random() < _sigmoid(_logit(base) + LATENT_SLOPE * latent):
            risks.add(label)

    span_days = (config.end_date - config.start_date).days
    gaps = [max(1, int(rng.expovariate(1.0 / MEAN_DAYS_BETWEEN_NOTES))) for _ in range(n_notes - 1)]
    start = config.start_date + dt.timedelta(days=rng.randrange(max(1, span_days - sum(gaps))))
    dates = [start]
    for gap in gaps:
        dates.append(min(config.end_date, dates[-1] + dt.timedelta(days=gap)))

    trio = all(
        label in risks
        for label in (RiskLabel.DOMESTIC_ABUSE, RiskLabel.MENTAL_HEALTH, RiskLabel.SUBSTANCE_MISUSE)
    )
    core = sum(label in risks for label in list(RiskLabel)[:5])
    p_plan = _sigmoid(-2.6 + 0.7 * latent + 0.45 * core + 1.0 * trio)
    escalated = rng.random() < p_plan
    values = {
        "sex": sex,
        "ethnicity": ethnicity,
        "disability": disability,
        "deprivation_quintile": str(quintile),
        "age_band": _age_band(age),
    }
    if rng.random() < config.outcome_label_noise:
        escalated = not escalated
    over = config.bias.over_labelling
    if over and not escalated and _in_group(values, over.group.attribute, over.group.value):
        escalated = rng.random() < over.rate
    plan_date = None
    if escalated:
        first, last = dates[0] + dt.timedelta(days=20), dates[-1] + dt.timedelta(days=240)
        plan_date = first + dt.timedelta(days=rng.randrange(max(1, (last - first).days)))

    under = config.bias.under_recording
    under_recorded = bool(under and _in_group(values, under.group.attribute, under.group.value))
    return Case(
        case_id=f"C{index:06d}",
        sex=sex,
        ethnicity=ethnicity,
        age_at_start=age,
        disability=disability,
        deprivation_quintile=quintile,
        latent_need=latent,
        risks=frozenset(risks),
        plan_date=plan_date,
        note_dates=tuple(dates),
        under_recorded=under_recorded,
    )


def _age_band(age: int) -> str:
    return next(band for low, high, band in AGE_BANDS if low <= age <= high)


def _default_subject(label: RiskLabel) -> Subject:
    return load_grammar().risks.categories[label].default_subject


@dataclass(frozen=True, slots=True)
class MentionPlan:
    label: RiskLabel
    code: str
    subject: Subject


def _subject_allowed(label: RiskLabel, subject: Subject, child_age: int) -> bool:
    if subject is Subject.CHILD and label in MIN_CHILD_AGE:
        return child_age >= MIN_CHILD_AGE[label]
    return True


def plan_mentions(
    case: Case, day: dt.date, style: Style, config: SynthConfig, rng: random.Random
) -> list[MentionPlan]:
    """Which mentions a note carries: the present risks it records, then distractors."""
    grammar = load_grammar()
    age = case.age_on(day)
    low, high = style.risks
    proximity = 0.0
    if case.plan_date is not None:
        days_before = (case.plan_date - day).days
        proximity = max(0.0, 1.0 - abs(days_before) / 365.0) if days_before > -60 else 0.0

    plans: list[MentionPlan] = []
    for label in sorted(case.risks):
        if rng.random() >= 0.35 + 0.35 * proximity:
            continue
        if rng.random() < config.risk_omission_rate:
            continue
        under = config.bias.under_recording
        if case.under_recorded and under and rng.random() < under.rate:
            continue
        code = str(_weighted(rng, PRESENT_RISK_CODES))
        plans.append(MentionPlan(label, code, grammar.risks.categories[label].default_subject))

    target = rng.randint(low, high)
    attempts = 0
    while len(plans) < target and attempts < 30:
        attempts += 1
        label = rng.choice(list(RiskLabel))
        category = grammar.risks.categories[label]
        subject = Subject(_weighted(rng, category.subjects))
        if not _subject_allowed(label, subject, age):
            continue
        code = str(_weighted(rng, DISTRACTOR_CODES))
        if code == "c-a" and subject is category.default_subject:
            continue  # a plain statement about the case's own people is a present risk, not noise
        if code == "c-a" and label in case.risks and subject is category.default_subject:
            continue
        plans.append(MentionPlan(label, code, subject))
    rng.shuffle(plans)
    return plans


class NoteComposer:
    """Renders one note of a case: header, opening, risk and filler sentences, closing."""

    def __init__(self, grammar: Grammar, case: Case, family: Family, rng: random.Random) -> None:
        self.grammar = grammar
        self.case = case
        self.family = family
        self.rng = rng

    def _literal(self, abbreviate: bool) -> callable:
        rng = self.rng
        pairs = self.grammar.abbreviations

        def rewrite(text: str) -> str:
            if abbreviate:
                for long, short in pairs:
                    text = text.replace(long, short)
            if TYPO_RATE and rng.random() < TYPO_RATE * max(1, len(text) // 6):
                text = _typo(text, rng)
            return text

        return rewrite

    def sentence(self, template: str, literal, mention: MentionPlan | None = None) -> Piece:
        family = self.family
        subject_piece: Piece | None = None
        pronoun = "they"
        if mention is not None:
            subject_piece, possessive, pronoun = family.subject(mention.subject, mention.label)

        def resolve(slot: str) -> Piece:
            if slot == "R":
                return self._risk_piece(mention)
            if slot == "S":
                return subject_piece
            if slot == "S_poss":
                return possessive
            if slot == "PRON":
                return Piece.plain(pronoun)
            return family.resolve(slot)

        return render(template, self.rng, resolve, literal).capitalised()

    def _risk_piece(self, mention: MentionPlan) -> Piece:
        temporality, certainty, negated = QUALIFIER_CODES[mention.code]
        form = self._form
        text = render(form.text, self.rng, lambda slot: Piece.plain(slot)).text
        prefix = ""
        if form.type == "pred" and text.startswith(PRED_AUXILIARY):
            prefix, text = PRED_AUXILIARY, text[len(PRED_AUXILIARY) :]
        risk = Piece.whole(
            text,
            "risk",
            mention.label.value,
            negated=negated,
            subject=mention.subject.value,
            temporality=temporality.value,
            certainty=certainty.value,
        )
        return TextBuilder.join(Piece.plain(prefix), risk) if prefix else risk

    def risk_sentence(self, mention: MentionPlan, literal) -> Piece | None:
        named = mention.subject is not self.grammar.risks.categories[mention.label].default_subject
        pairs = self.grammar.pairs(mention.label, mention.code, mention.subject, named)
        if not pairs:
            return None
        frame, forms = self.rng.choice(pairs)
        self._form: RiskForm = self.rng.choice(forms)
        return self.sentence(frame.text, literal, mention)

    def _filler_count(self, style: Style) -> int:
        """Terse notes stay short; other notes vary, and about one in eight runs long."""
        if style.abbreviate >= 1.0:
            return self.rng.randint(1, 3)
        if self.rng.random() < LONG_NOTE_RATE:
            return self.rng.randint(7, 14)
        return self.rng.randint(2, 6)

    def write(self, style_name: str, day: dt.date, mentions: list[MentionPlan]) -> Piece:
        style = self.grammar.styles[style_name]
        rng = self.rng
        literal = self._literal(rng.random() < style.abbreviate)
        body: list[Piece] = []
        for mention in mentions:
            piece = self.risk_sentence(mention, literal)
            if piece is not None:
                body.append(piece)
        used: set[str] = set()
        for _ in range(self._filler_count(style)):
            pool = self.grammar.fillers[rng.choice(style.fillers)]
            template = rng.choice(pool)
            if template in used:  # one retry; a note rarely says the same thing twice
                template = rng.choice(pool)
            if template not in used:
                used.add(template)
                body.append(self.sentence(template, literal))
        rng.shuffle(body)

        builder = TextBuilder()
        builder.add(self.sentence(rng.choice(style.header), literal))
        sentences = [self.sentence(rng.choice(style.open), literal), *body]
        if rng.random() < 0.8:
            sentences.append(self.sentence(rng.choice(style.close), literal))
        for i, piece in enumerate(sentences):
            if i:
                builder.add_text("\n" if rng.random() < PARAGRAPH_BREAK_RATE else " ")
            builder.add(piece)
        return builder.piece()


def _typo(text: str, rng: random.Random) -> str:
    """One realistic slip in a word of four letters or more: a swap, a drop or a double."""
    words = [i for i, w in enumerate(text.split(" ")) if len(w) >= 4 and w.isalpha()]
    if not words:
        return text
    parts = text.split(" ")
    index = rng.choice(words)
    word = parts[index]
    at = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    elif kind < 0.7:
        word = word[:at] + word[at + 1 :]
    else:
        word = word[:at] + word[at] + word[at:]
    parts[index] = word
    return " ".join(parts)


def _style_for(grammar: Grammar, age: int, config: SynthConfig, rng: random.Random) -> str:
    names = [n for n, s in grammar.styles.items() if s.ages[0] <= age <= s.ages[1]]
    weights = [config.style_weights.get(n, grammar.styles[n].weight) for n in names]
    if not any(weights):
        names, weights = list(grammar.styles), [1.0] * len(grammar.styles)
    return rng.choices(names, weights=weights)[0]


def _to_note(
    case: Case, number: int, day: dt.date, piece: Piece, style: str, escalated: bool
) -> Note:
    problems = verify_spans(piece.text, piece.spans)
    if problems:
        raise CasenotesError(
            f"generator bug: note {case.case_id}-{number:03d} has inconsistent gold spans: "
            + "; ".join(problems[:3])
        )
    pii, mentions = [], []
    for span in sorted(piece.spans, key=lambda s: s.start):
        if span.kind == "pii":
            pii.append(PiiSpan(span.start, span.end, PiiLabel(span.label), 1.0, "gold"))
        else:
            attrs = dict(span.attrs)
            mentions.append(
                Mention(
                    span.start,
                    span.end,
                    RiskLabel(span.label),
                    negated=attrs["negated"],
                    subject=Subject(attrs["subject"]),
                    temporality=Temporality(attrs["temporality"]),
                    certainty=Certainty(attrs["certainty"]),
                )
            )
    return Note(
        note_id=f"{case.case_id}-{number:03d}",
        text=piece.text,
        case_id=case.case_id,
        date=day,
        pii=tuple(pii),
        mentions=tuple(mentions),
        extra={
            "style": style,
            "sex": case.sex,
            "ethnicity": case.ethnicity,
            "age_band": case.age_band_on(day),
            "disability": case.disability,
            "deprivation_quintile": case.deprivation_quintile,
            "escalated": escalated,
        },
    )


def generate_case(index: int, config: SynthConfig, n_notes: int) -> Iterator[Note]:
    """The notes of one case, in date order."""
    rng = random.Random(f"casenotes-synth:{config.seed}:{index}")
    grammar = load_grammar()
    case = simulate_case(index, config, rng, n_notes)
    family = make_family(case, rng)
    writer = NoteComposer(grammar, case, family, rng)
    for number, day in enumerate(case.note_dates, start=1):
        age = case.age_on(day)
        style = _style_for(grammar, age, config, rng)
        family.begin_note(
            day,
            anonymous=rng.random() < config.no_pii_note_rate,
            lowercase_rate=grammar.styles[style].lowercase_names,
        )
        mentions = plan_mentions(case, day, grammar.styles[style], config, rng)
        piece = writer.write(style, day, mentions)
        window = dt.timedelta(days=config.outcome_window_days)
        escalated = case.plan_date is not None and day < case.plan_date <= day + window
        yield _to_note(case, number, day, piece, style, escalated)


def generate(config: SynthConfig) -> Iterator[Note]:
    """Stream ``config.notes`` notes, case after case. Deterministic for ``config.seed``."""
    produced, index = 0, 0
    low, high = config.notes_per_case
    while produced < config.notes:
        sizer = random.Random(f"casenotes-size:{config.seed}:{index}")
        # Whole cases are simulated and the last one cut short, so a smaller corpus is a prefix
        # of a larger one with the same seed.
        for note in generate_case(index, config, sizer.randint(low, high)):
            if produced == config.notes:
                return
            yield note
            produced += 1
        index += 1
